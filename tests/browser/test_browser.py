"""The browser itself: found, started, and its absence told in one message."""

import pytest

from course import browser

from .conftest import screenshot


def test_a_page_renders_chinese_text(page):
    page.set_content("<h1>客户数据管理</h1>")
    assert page.inner_text("h1") == "客户数据管理"
    assert screenshot(page, "browser").stat().st_size > 0


def test_a_missing_browser_is_one_clear_message(monkeypatch):
    monkeypatch.setenv(browser.VARIABLE, "/nowhere/chromium")
    with pytest.raises(browser.BrowserMissing, match="COURSE_BROWSER=/nowhere/chromium"):
        browser.chromium()
    monkeypatch.delenv(browser.VARIABLE)
    monkeypatch.setenv("PATH", "/nowhere")
    monkeypatch.setattr(browser, "PLACES", ())
    with pytest.raises(browser.BrowserMissing, match="apt install chromium"):
        browser.chromium()
