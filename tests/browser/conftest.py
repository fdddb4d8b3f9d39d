"""Browser tests: a real Chromium, driven by Playwright, against the course's demos, website
and in-browser build. ``make test-browser`` runs them (``make test`` does not: it needs only
Python). Each page they open is saved as a picture under ``screenshots/`` for a person to look at.
"""

from pathlib import Path

import pytest

from course import browser as found

from servers import free_port, server  # noqa: F401  (the browser tests take them from here)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(__file__).parent in item.path.parents:
            item.add_marker(pytest.mark.slow)


def left_behind(request) -> bool:
    """Voila's request to stop a page's kernel, sent as the reader leaves the page: the browser
    may abort it on the way out (ERR_ABORTED); the server stops the kernel anyway."""
    return "/voila/api/shutdown/" in request.url and "ERR_ABORTED" in (request.failure or "")


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium; its absence fails the run with one message, never a skip."""
    from playwright.sync_api import sync_playwright

    try:
        program = found.chromium()
    except found.BrowserMissing as missing:
        pytest.exit(str(missing), returncode=1)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(program), args=list(found.FLAGS))
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh page whose console errors and failed requests are collected in ``page.problems``."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on(
        "requestfailed",
        lambda request: (
            None
            if left_behind(request)
            else page.problems.append(f"request failed: {request.url} {request.failure}")
        ),
    )
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save what ``page`` shows as ``screenshots/<name>.png`` (the folder is not committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
