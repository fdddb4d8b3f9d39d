"""Instructors can load the solution notebooks into nbgrader: a real generate + autograde run,
for the case studies (C1–C4) (nbgrader_runs.py). Code tasks are graded automatically;
judgement questions wait for the instructor (manually graded answer cells)."""

import nbformat
import pytest
from nbgrader.api import Gradebook

from course.checking import answer_key
from course.checks import ch01

from conftest import ROOT
from nbgrader_runs import (
    ASSIGNMENTS,
    GRADERS_BUILD,
    GradedTests,
    graded_run,
    nbgrader,
    points,
    released,
)

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

HERE = [name for name in ASSIGNMENTS if not (name == "minicourse" or name[0].isdigit())]


@pytest.fixture(scope="module", params=HERE)
def graded(request, nbgrader_course, other_data_builds):
    yield from graded_run(request.param, nbgrader_course, other_data_builds(GRADERS_BUILD))


class TestTheCases(GradedTests):
    """The case studies C1–C4."""


def test_a_grader_on_another_build_catches_answers_typed_in(tmp_path_factory, other_data_builds):
    """Graded use (README, "Grading"): the grader autogrades on a build with another seed. Code
    that computes its answers keeps every automatic point there (the solutions' graded runs,
    GradedTests); an answer typed in as a number, which passed the visible check on the
    students' data, loses its point."""
    assignment = "01_customer_database"
    solution = ROOT / "solutions" / f"{assignment}.ipynb"
    course = tmp_path_factory.mktemp("graded-elsewhere")
    released(course, assignment, solution)
    typed = nbformat.read(solution, as_version=4)
    cell = next(
        c
        for c in typed.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "active-customers-answer"
    )
    value, _ = answer_key(ch01.active_customers)  # right on the students' (default) data
    cell.source = f"### BEGIN SOLUTION\nactive_customers = {value}\n### END SOLUTION"
    (course / "submitted" / "types" / assignment).mkdir(parents=True)
    nbformat.write(typed, course / "submitted" / "types" / assignment / solution.name)

    elsewhere = str(other_data_builds(GRADERS_BUILD))
    nbgrader(course, "autograde", assignment, env={"GENERATOR_DATASETS": elsewhere})
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        score = gradebook.find_submission(assignment, "types").score
    assert score == points(solution, manual=False) - 1
