"""Instructors can load the solution notebooks into nbgrader: a real generate + autograde run,
for the fixture course and chapters 01–07 (nbgrader_runs.py). Code tasks are graded automatically;
judgement questions wait for the instructor (manually graded answer cells)."""

import pytest

from nbgrader_runs import ASSIGNMENTS, GRADERS_BUILD, GradedTests, graded_run

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

HERE = [name for name in ASSIGNMENTS if name == "minicourse" or name[0].isdigit()]


@pytest.fixture(scope="module", params=HERE)
def graded(request, nbgrader_course, other_data_builds):
    yield from graded_run(request.param, nbgrader_course, other_data_builds(GRADERS_BUILD))


class TestTheLessons(GradedTests):
    """Chapters 01–07 and the fixture course."""
