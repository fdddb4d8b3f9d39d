"""The in-browser course (``python -m course.lite build``): JupyterLite served as plain files,
its notebook run from the Run menu in Chromium, and what the browser's Python prints checked
against pandas here. Nothing may be fetched from anywhere but the site itself."""

import sys
import time

import pytest

import generator
from course import lite

from .conftest import free_port, screenshot, server


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return lite.build(tmp_path_factory.mktemp("lite") / "site")


def test_the_notebook_runs_in_the_browser(site, page):
    customers = generator.load("retail")["customers"]
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    with server([*command, "-d", str(site)], base):
        started = time.monotonic()
        page.goto(f"{base}lab/index.html?path=welcome.ipynb")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(
            timeout=240_000
        )
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        outputs = page.locator(".jp-OutputArea-output")
        outputs.filter(has_text="customers: ").first.wait_for(timeout=240_000)
        page.locator(".jp-OutputArea-output img").first.wait_for(timeout=240_000)
        print(f"opened and ran in {time.monotonic() - started:.0f} s")
        text = page.locator(".jp-Notebook").inner_text()
        screenshot(page, "lite")
        page.locator(".jp-OutputArea-output img").first.scroll_into_view_if_needed()
        screenshot(page, "lite-plot")
    assert f"customers: {len(customers):,}" in text
    assert f"customers by source: {len(customers):,}" in text
    assert "Traceback" not in text and "Error" not in text, text[-2000:]
    assert not page.problems, page.problems
    elsewhere = [url for url in requests if not url.startswith(base)]
    assert not elsewhere, elsewhere[:5]
