"""The student's JupyterLab (python -m course lab, make lab) and the instructor's (python -m
course instructor, make instructor) as each sees them in Chromium: a lesson opens with its
stored plots, and nbgrader's menu holds the instructor's tools only in the instructor's lab."""

import sys

import pytest

from .conftest import free_port, screenshot, server

TOKEN = "course-browser-test"
LESSON = "notebooks/05_knowing_the_customer.ipynb"
#: nbgrader's menu items that are the instructor's alone
INSTRUCTOR_TOOLS = {"Formgrader", "Create assignment", "Course List"}


@pytest.fixture(scope="module", params=["lab", "instructor"])
def lab(request):
    """(who, address) of a JupyterLab started as the course's command starts it."""
    port = free_port()
    command = [sys.executable, "-m", "course", request.param, "--", "--no-browser"]
    command += [f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}"]
    url = f"http://127.0.0.1:{port}"
    with server(command, f"{url}/api/status?token={TOKEN}"):
        yield request.param, url


def open_lesson(page, url: str) -> None:
    page.goto(f"{url}/lab/tree/{LESSON}?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)


def nbgrader_menu(page) -> set[str]:
    page.click("#jp-menu-panel >> text=Nbgrader")
    page.wait_for_selector(".lm-Menu")
    items = {line.strip() for line in page.inner_text(".lm-Menu").splitlines() if line.strip()}
    page.keyboard.press("Escape")
    return items


def test_a_lesson_opens_with_its_plots_and_nbgraders_menu_fits_the_user(page, lab):
    who, url = lab
    open_lesson(page, url)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-OutputArea-output img')]"
        ".some(i => i.complete && i.naturalWidth > 0)"
    )
    assert "RFM" in page.inner_text(".jp-Notebook")
    items = nbgrader_menu(page)
    assert "Assignment List" in items  # a student lists and validates assignments
    if who == "lab":
        assert not items & INSTRUCTOR_TOOLS, items
    else:
        assert INSTRUCTOR_TOOLS <= items, items
    # the first plot, as a person reading the lesson would scroll to it
    for _ in range(2):  # the cells around it take their heights as they are drawn
        page.evaluate(
            "() => document.querySelector('.jp-OutputArea-output img')"
            ".scrollIntoView({block: 'end'})"
        )
        page.wait_for_timeout(700)
    screenshot(page, f"{who}-05-lesson")
    assert page.problems == []
