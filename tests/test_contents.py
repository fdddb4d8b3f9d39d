"""The course map in the README and the navigation links in the notebooks are written from the
notebooks themselves (course.contents), and a test fails when either drifts."""

import shutil

import nbformat
import pytest

from course import contents

from conftest import ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


def test_the_readme_map_and_every_notebooks_links_are_up_to_date():
    assert contents.drift() == [], "run `make contents`"


def test_a_written_lesson_tells_its_title_and_databases():
    chapters = {c.number: c for c in contents.chapters()}
    assert chapters["01"].ready and chapters["01"].databases == ("retail",)
    assert chapters["01"].title.startswith("What a customer database is")
    assert chapters["00"].databases == contents.ALL
    assert all(c.ready for c in chapters.values())  # the course is written, every case too


def test_a_chapter_without_its_lesson_is_not_ready(course_copy):
    (course_copy / "notebooks" / "C4_automaker_in_china.ipynb").unlink()
    chapters = {c.number: c for c in contents.chapters(course_copy)}
    assert not chapters["C4"].ready and chapters["C3"].ready


def test_every_notebook_links_its_neighbours_and_the_map():
    for path in [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "solutions").glob("*.ipynb")]:
        cells = nbformat.read(path, as_version=4).cells
        top, bottom = cells[0], cells[-1]
        for cell in (top, bottom):
            assert contents.TAG in cell.metadata["tags"], path.name
            assert "(../README.md#course-map)" in cell.source
        assert top.source == bottom.source


@pytest.fixture
def course_copy(tmp_path):
    for folder in ("notebooks", "solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    return tmp_path


def test_a_new_lesson_is_a_drift_until_written_in(course_copy):
    lesson = course_copy / "notebooks" / "03_keeping_it_alive.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# 03 Keeping it alive (第二节 四)")]
    notebook.cells.append(nbformat.v4.new_code_cell('bank = generator.load("bank")'))
    nbformat.write(notebook, lesson)
    problems = contents.drift(course_copy)
    assert "README.md: the course map differs from the notebooks" in problems
    assert "notebooks/03_keeping_it_alive.ipynb: navigation links out of date" in problems

    contents.write(course_copy)
    assert contents.drift(course_copy) == []
    readme = (course_copy / "README.md").read_text()
    assert "[Keeping it alive (第二节 四)](notebooks/03_keeping_it_alive.ipynb)" in readme
    cells = nbformat.read(lesson, as_version=4).cells
    assert "[◀ 02 Building the customer database]" in cells[0].source
    assert cells[1].source.startswith("# 03")  # the lesson's own cells are kept, in order
