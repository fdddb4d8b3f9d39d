"""`make lab` (and `python -m course lab`, the same command) brings up JupyterLab on the
course: started on a free local port, asked, stopped. A student's JupyterLab has none of
nbgrader's instructor tools; `make instructor` (`python -m course instructor`) has them."""

import json
import re
import sys
import urllib.error
import urllib.request

import pytest

from conftest import ROOT
from servers import free_port, server

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

TOKEN = "course-test-token"
#: nbgrader's instructor tools: its JupyterLab plugins, and its server's pages
INSTRUCTOR_PLUGINS = {
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
}
STUDENT_PLUGINS = {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"}
INSTRUCTOR_PAGES = ("/formgrader", "/formgraders")


def start(form: str, command: str, args: str) -> list[str]:
    """The command line a student types: make's short form or the Python one."""
    if form == "make":
        return ["make", "--no-print-directory", command, f"LAB_ARGS={args}"]
    return [sys.executable, "-m", "course", command, "--", *args.split()]


@pytest.fixture(scope="module", params=["make", "python"])
def lab(request):
    yield from served(request.param, "lab")


@pytest.fixture(scope="module", params=["make", "python"])
def instructor(request):
    yield from served(request.param, "instructor")


def served(form: str, command: str):
    """JupyterLab started as ``form`` (make or python) ``command`` (lab or instructor) on a
    free port; its address while it runs."""
    port = free_port()
    args = f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
    args += f"--IdentityProvider.token={TOKEN}"  # as a student types it: no --allow-root
    base = f"http://127.0.0.1:{port}"
    with server(start(form, command, args), f"{base}/api/status?token={TOKEN}", timeout=120):
        yield base


def get(base: str, path: str) -> dict:
    request = urllib.request.Request(base + path, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def opened(base: str, path: str):
    request = urllib.request.Request(base + path, headers={"Authorization": f"token {TOKEN}"})
    return urllib.request.urlopen(request, timeout=30)


def status(base: str, path: str) -> int:
    """The HTTP status of a page (after redirects)."""
    try:
        with opened(base, path) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def page_config(base: str) -> dict:
    """The configuration JupyterLab's page hands the browser (``jupyter-config-data``)."""
    with opened(base, "/lab") as response:
        page = response.read().decode()
    found = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
    )
    return json.loads(found.group(1))


def test_the_course_folders_are_listed(lab):
    names = {item["name"] for item in get(lab, "/api/contents")["content"]}
    assert {"notebooks", "exercises", "solutions", "datasets", "README.md"} <= names


def test_every_notebook_is_listed(lab):
    listed = {item["name"] for item in get(lab, "/api/contents/notebooks")["content"]}
    on_disk = {p.name for p in (ROOT / "notebooks").iterdir() if not p.name.startswith(".")}
    assert "README.md" in listed
    assert on_disk == listed - {".ipynb_checkpoints"}


def test_no_news_prompt_greets_the_class(lab):
    settings = get(lab, "/lab/api/settings/@jupyterlab/apputils-extension:notification")
    # the override file make lab installs becomes the default the class starts with
    assert settings["schema"]["properties"]["fetchNews"]["default"] == "false"


def test_the_lab_opens_on_the_welcome_notebook(lab):
    request = urllib.request.Request(lab + "/", headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.url.endswith("/lab/tree/notebooks/00_welcome.ipynb")


def test_a_students_lab_has_no_instructor_tools(lab):
    config = page_config(lab)
    assert "@jupyter/nbgrader" in {ext["name"] for ext in config["federated_extensions"]}
    disabled = set(config["disabledExtensions"])
    assert INSTRUCTOR_PLUGINS <= disabled
    assert not STUDENT_PLUGINS & disabled  # the assignment list and validate stay
    for page in INSTRUCTOR_PAGES:
        assert status(lab, page) == 404, page


def test_the_instructors_lab_has_formgrader(instructor):
    config = page_config(instructor)
    assert "@jupyter/nbgrader" in {ext["name"] for ext in config["federated_extensions"]}
    assert not (INSTRUCTOR_PLUGINS | STUDENT_PLUGINS) & set(config["disabledExtensions"])
    with opened(instructor, "/formgrader") as response:
        assert response.status == 200
        assert response.url.endswith("/formgrader/manage_assignments")
    assert status(instructor, "/formgraders") == 200


def test_the_instructors_lab_is_the_course(instructor):
    names = {item["name"] for item in get(instructor, "/api/contents")["content"]}
    assert {"notebooks", "exercises", "solutions", "datasets", "README.md"} <= names
