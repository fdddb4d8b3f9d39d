"""The course website's pieces that need no build (course.site); test_site.py builds the site
and reads it in Chromium. They run with the browser tests, which install Sphinx (the web
extra)."""

import re
from pathlib import Path

import nbformat
from sphinx.util.matching import Matcher

from course import contents, site

from .conftest import ROOT

LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


def _published(path: str) -> bool:
    """Whether ``path`` (from the repository's root) is a page of the site."""
    config = ROOT / "site" / "conf.py"
    namespace: dict = {"__file__": str(config)}
    exec(config.read_text(encoding="utf-8"), namespace)
    excluded = Matcher(namespace["exclude_patterns"])
    parents = [str(p) for p in Path(path).parents if str(p) != "."]  # a folder left unwalked
    if excluded(path) or any(excluded(folder) for folder in parents):
        return False
    return Matcher(namespace["include_patterns"])(path)


def test_the_title_is_the_readmes():
    assert site.title() == "Customer data management (第三章 客户数据管理), hands-on"


def test_the_sites_course_map_links_every_lesson_and_no_solution():
    table = site.map_table()
    for chapter in contents.chapters():
        assert f"../notebooks/{chapter.file}" in table
    targets = [m.group(1) for m in LINK.finditer(table)]
    assert targets and not any("solutions" in t for t in targets)
    for target in targets:
        assert (ROOT / "site" / target).exists(), target
        assert _published(str((Path("site") / target).resolve().relative_to(ROOT.resolve())))


def test_every_notebook_link_is_a_page_of_the_site_or_rewritten():
    for folder in (contents.LESSONS, contents.EXERCISES):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            assert _published(f"{folder}/{path.name}")
            text = "\n".join(
                c.source
                for c in nbformat.read(path, as_version=4).cells
                if c.cell_type == "markdown"
            )
            for match in LINK.finditer(text):
                target = match.group(1)
                if target.startswith(("http://", "https://")):
                    continue
                whole = target + (match.group(2) or "")
                if whole in site.LINKS:
                    continue
                page = (path.parent / target).resolve().relative_to(ROOT.resolve())
                assert _published(str(page)), f"{path.name} links {target}, not on the site"


def test_the_solutions_are_never_published():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        assert not _published(f"solutions/{path.name}")
