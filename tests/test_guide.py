"""The instructor guide: a page per written chapter, its facts written from the notebooks (and
up to date), every task and question tied to an objective, every objective assessed."""

import nbformat
import pytest

from course import contents, guide

from conftest import ROOT

pytestmark = pytest.mark.slow  # reads every notebook and database

WITH_EXERCISES = [c for c in contents.chapters() if contents.has_exercises(c)]


def test_every_page_is_up_to_date_with_the_notebooks():
    assert guide.drift() == [], "run `make contents`"


@pytest.mark.parametrize("chapter", WITH_EXERCISES, ids=[c.number for c in WITH_EXERCISES])
def test_every_objective_is_assessed_and_every_task_names_one(chapter):
    lesson = nbformat.read(ROOT / "notebooks" / chapter.file, as_version=4)
    goals = guide.objectives(lesson)
    found = guide.items(nbformat.read(ROOT / "solutions" / chapter.file, as_version=4))
    assert 3 <= len(goals) <= 7
    for item in found:
        assert item.objectives, f"{item.title}: say which objective it assesses (Objective N.)"
        assert set(item.objectives) <= set(range(1, len(goals) + 1)), item.title
    assessed = {n for item in found for n in item.objectives}
    assert assessed == set(range(1, len(goals) + 1))
    assert any(item.manual for item in found), "a judgement question graded by hand"


def test_the_written_part_counts_and_lists_what_the_notebooks_hold():
    chapter = next(c for c in WITH_EXERCISES if c.number == "01")
    part = guide.written_part(chapter)
    solution = nbformat.read(ROOT / "solutions" / chapter.file, as_version=4)
    for item in guide.items(solution):
        assert f"`{item.grade_id}`" in part
    assert "Not assessed" not in part
    assert "Model answer" in part
    assert f"{guide.words(solution):,}" in part


def test_time_is_rounded_up_to_five_minutes():
    assert guide._minutes(0.5) == 5 and guide._minutes(41) == 45 and guide._minutes(45) == 45
