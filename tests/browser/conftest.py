"""Browser tests: a real Chromium, driven by Playwright, against the course's demos, website
and in-browser build. ``make test-browser`` runs them (``make test`` does not: it needs only
Python). Each page they open is saved as a picture under ``screenshots/`` for a person to look at.
"""

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from course import browser as found

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.slow)


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
        lambda request: page.problems.append(f"request failed: {request.url} {request.failure}"),
    )
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save what ``page`` shows as ``screenshots/<name>.png`` (the folder is not committed)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(command: list[str], url: str, *, cwd=ROOT, timeout: float = 180, env=None):
    """Run ``command`` (a server) until ``url`` answers; stop it and its children afterwards."""
    log = tempfile.TemporaryFile()  # a pipe nobody reads would fill and stop the server
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    if process.poll() is None:
                        os.killpg(process.pid, signal.SIGTERM)
                    log.seek(0)
                    said = log.read().decode(errors="replace")[-3000:]
                    pytest.fail(f"{' '.join(command)} did not serve {url}:\n{said}")
                time.sleep(0.5)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()
