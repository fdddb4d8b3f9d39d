"""Instructors can load the solution notebooks into nbgrader: a real generate + autograde run."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import MINICOURSE

ASSIGNMENT = "minicourse"


def nbgrader(course, *args):
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"],
        cwd=course,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            # nbgrader runs its own tools (alembic) from the environment's bin folder
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
            "PYTHONPATH": str(MINICOURSE),
        },
    )  # the fixture's check module
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text('c.CourseDirectory.course_id = "kit"\n')
    shutil.copytree(MINICOURSE / "solutions", course / "source" / ASSIGNMENT)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    # one student hands in the blank release, another the solution
    shutil.copytree(course / "release" / ASSIGNMENT, course / "submitted" / "blank" / ASSIGNMENT)
    shutil.copytree(course / "source" / ASSIGNMENT, course / "submitted" / "perfect" / ASSIGNMENT)
    nbgrader(course, "autograde", ASSIGNMENT)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        yield (
            {
                student: (
                    gradebook.find_submission(ASSIGNMENT, student).score,
                    gradebook.find_submission(ASSIGNMENT, student).max_score,
                )
                for student in ("blank", "perfect")
            },
            course,
        )


def test_the_solution_gets_full_marks(graded):
    scores, _ = graded
    score, max_score = scores["perfect"]
    assert max_score == 3 and score == max_score


def test_the_blank_exercise_gets_zero(graded):
    scores, _ = graded
    assert scores["blank"] == (0, 3)


def test_nbgraders_student_version_matches_ours(graded):
    """What nbgrader releases has the same cells as the exercise notebook we write."""
    _, course = graded
    released = nbformat.read(course / "release" / ASSIGNMENT / "01_minicourse.ipynb", 4)
    ours = nbformat.read(MINICOURSE / "exercises" / "01_minicourse.ipynb", 4)
    assert [c.source for c in released.cells] == [c.source for c in ours.cells]
