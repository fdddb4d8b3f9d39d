"""The course website (``python -m course.site``, make site) as a reader sees it in Chromium.

The site is built once into a temporary folder and served by Python's own web server; the
reader opens the home page and follows "next" through every chapter. Each page must have its
title, its plots, working links (anchors too), no raw Markdown or directives in its prose,
Chinese text drawn with the site's own font, and ask nothing of any other host.
"""

import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from course import contents, site

from .conftest import ROOT, free_port, screenshot, server

CHINESE = re.compile(r"[\u4e00-\u9fff]")
#: what Markdown or MyST left unrendered looks like in a page's prose
RAW = {
    # words between ** (a phone masked as 138****1234 is no markup)
    "bold markers": re.compile(r"\*\*[A-Za-z\u4e00-\u9fff][^*\n]{0,80}\*\*"),
    "a Markdown link": re.compile(r"\]\("),
    "a colon fence": re.compile(r":::"),
    "a directive": re.compile(r"\{[a-z][a-z-]*\}`?"),
    "HTML": re.compile(r"<(div|span|table|img|a)[\s>]"),
    "a literal \\n": re.compile(r"\\n"),
    "a table row": re.compile(r"^\|.*\|$", re.M),
}
#: the prose of the page's article: code, outputs printed as text and scripts left out
PROSE = """() => {
    const article = document.querySelector("article").cloneNode(true);
    article.querySelectorAll("pre, code, script, style, .headerlink").forEach(n => n.remove());
    return article.innerText;
}"""
BROKEN_IMAGES = (
    "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
)
FONT_STATUS = """async () => {
    await document.fonts.ready;
    return [...document.fonts].filter(f => f.family.replace(/"/g, "") === "Course CJK")
        .map(f => f.status);
}"""
#: the web server, quiet: it writes a line per request to a pipe nobody reads
QUIET_SERVER = (
    "import os, runpy, sys; sys.stderr = open(os.devnull, 'w'); "
    "runpy.run_module('http.server', run_name='__main__')"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "course.site", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"the site did not build:\n{done.stdout}\n{done.stderr}"
    return out


@pytest.fixture(scope="module")
def home(built):
    """The site's address, served from the build by ``python -m http.server``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-c", QUIET_SERVER, "--bind", "127.0.0.1"]
    with server([*command, "--directory", str(built), str(port)], url):
        yield url


class Links:
    """Every local link's target fetched once: does it answer, and which ids has it."""

    def __init__(self, home: str):
        self.host = urllib.parse.urlsplit(home).netloc
        self.ids: dict[str, set[str] | None] = {}

    def problems(self, hrefs: list[str]) -> list[str]:
        found = []
        for href in hrefs:
            parts = urllib.parse.urlsplit(href)
            if parts.scheme not in ("http", "https") or parts.netloc != self.host:
                continue  # mailto: and the like; other hosts are not fetched here
            if "/solutions/" in parts.path:
                found.append(f"{href}: a link to the solutions, which are not published")
                continue
            target = urllib.parse.urlunsplit(parts._replace(fragment=""))
            if target not in self.ids:
                self.ids[target] = self._fetch(target)
            ids = self.ids[target]
            anchor = urllib.parse.unquote(parts.fragment)
            if ids is None:
                found.append(f"{href}: no such page")
            elif anchor and anchor not in ids:
                found.append(f"{href}: no #{anchor} on that page")
        return found

    @staticmethod
    def _fetch(url: str) -> set[str] | None:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                text = answer.read().decode("utf-8", errors="replace")
        except urllib.error.URLError:
            return None
        return set(re.findall(r'\bid="([^"]+)"', text))


def outside_requests(page, home: str) -> list[str]:
    """The requests ``page`` makes to any host but the site's, collected as they happen."""
    host = urllib.parse.urlsplit(home).netloc
    seen: list[str] = []
    page.on(
        "request",
        lambda request: (
            seen.append(request.url)
            if urllib.parse.urlsplit(request.url).netloc not in (host, "")
            and not request.url.startswith(("data:", "blob:"))
            else None
        ),
    )
    return seen


def open_home(page, home: str) -> None:
    """The site's address, and the home page it opens."""
    page.goto(home)
    page.wait_for_url(f"**/{site.HOME}.html")
    page.wait_for_load_state("networkidle")


def check_page(page, links: Links, outside: list[str], *, chinese: bool = True) -> list[str]:
    """What is wrong with the page on screen (an empty list when nothing is)."""
    found = []
    if broken := page.evaluate(BROKEN_IMAGES):
        found.append(f"images not loaded: {broken}")
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    found += links.problems(hrefs)
    prose = page.evaluate(PROSE)
    for name, pattern in RAW.items():
        if match := pattern.search(prose):
            start = max(match.start() - 60, 0)
            found.append(f"{name} in the text: …{prose[start : match.end() + 60]!r}…")
    if chinese and not CHINESE.search(prose):
        found.append("no Chinese character in the text")
    found += page.problems + [f"asked another host: {url}" for url in outside]
    return found


def test_every_chapter_reads_in_order(page, home):
    """Home page, then "next" through every lesson, case and appendix: each page as it should be."""
    links, outside = Links(home), outside_requests(page, home)
    open_home(page, home)
    assert page.title().startswith(site.title()), page.title()
    assert page.inner_text("h1").startswith(site.title())
    screenshot(page, "site-home")
    assert check_page(page, links, outside) == []
    assert page.evaluate(FONT_STATUS) == ["loaded"], "the site's Chinese font did not load"

    chapters = [c for c in contents.chapters() if c.ready]
    visited = []
    while len(visited) < len(chapters):
        page.click("a.right-next")
        page.wait_for_load_state("networkidle")
        chapter = chapters[len(visited)]
        name = Path(urllib.parse.urlsplit(page.url).path).stem
        visited.append(name)
        screenshot(page, f"site-{name}")
        assert name == Path(chapter.file).stem, f"after {visited[:-1]} came {page.url}"
        assert chapter.title in page.inner_text("article h1"), page.inner_text("article h1")
        assert chapter.title in page.title()
        assert check_page(page, links, outside) == [], page.url
    assert page.evaluate(FONT_STATUS) == ["loaded"]


def test_the_course_map_and_the_instructor_guide_are_on_the_home_page(page, home):
    links, outside = Links(home), outside_requests(page, home)
    open_home(page, home)
    course_map = page.locator("#course-map")
    assert course_map.is_visible()
    lessons = course_map.locator("table a").evaluate_all("links => links.map(a => a.href)")
    for chapter in contents.chapters():
        if chapter.ready:
            assert any(Path(chapter.file).stem + ".html" in href for href in lessons), chapter
    assert not any("solutions" in href for href in lessons)
    page.click("nav.bd-links a:text-is('Instructor guide')")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("article h1").startswith("Instructor guide")
    screenshot(page, "site-instructors")
    assert check_page(page, links, outside, chinese=False) == []  # the guide's index is English


def test_search_finds_a_key_term(page, home):
    outside = outside_requests(page, home)
    page.goto(urllib.parse.urljoin(home, "search.html?q=RFM"))
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=20_000)
    found = results.evaluate_all("links => links.map(a => a.href)")
    screenshot(page, "site-search")
    assert any("notebooks/05_knowing_the_customer.html" in href for href in found), found
    assert page.problems == [] and outside == []


def test_nothing_unpublished_is_built(built):
    assert not (built / "solutions").exists()
    assert not (built / "README.html").exists()
    pages = {str(p.relative_to(built)) for p in site.pages_built(built)}
    for chapter in contents.chapters():
        if chapter.ready:
            assert f"notebooks/{Path(chapter.file).stem}.html" in pages
