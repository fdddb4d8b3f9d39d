"""The conventions every chapter follows (notebooks/README.md), where a test can hold them."""

import re

import nbformat
import pytest

from conftest import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def cells(path):
    return nbformat.read(path, as_version=4).cells


def headings(path) -> list[str]:
    return [
        line
        for cell in cells(path)
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_a_lesson_ends_with_its_summary_in_english_and_in_chinese(path):
    found = headings(path)
    assert "## Summary" in found and "## 小结" in found
    assert found.index("## 小结") == found.index("## Summary") + 1
    chinese = next(c.source for c in cells(path) if c.source.startswith("## 小结"))
    assert len(CHINESE.findall(chinese)) > 50, "the Chinese summary says what the English one says"


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=[p.name for p in LESSONS + SOLUTIONS])
def test_the_setup_cell_sets_the_course_style_and_no_other_cell_imports(path):
    code = [c.source for c in cells(path) if c.cell_type == "code"]
    assert "style.setup()" in code[0]
    for source in code[1:]:
        assert not re.search(r"^\s*(import|from) \w", source, re.M), source[:80]
    assert not any("set_theme" in source for source in code)


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=[p.name for p in LESSONS + SOLUTIONS])
def test_time_is_the_as_of_date_never_today(path):
    prose = "\n".join(c.source for c in cells(path) if c.cell_type == "markdown")
    code = "\n".join(c.source for c in cells(path) if c.cell_type == "code")
    assert not re.search(r"\btoday'?s?\b", prose, re.I)
    assert not re.search(r"\b(today|now)\(\)|date\.today|datetime\.now", code)
