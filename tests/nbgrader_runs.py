"""nbgrader run for real on the course's solutions (tests/test_nbgrader_*.py): generate the
assignment, hand in a blank and a perfect submission, autograde, read the gradebook."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from conftest import MINICOURSE, ROOT

# assignment -> (its solution notebook, the exercise notebook we write from it)
ASSIGNMENTS = {
    "minicourse": (
        MINICOURSE / "solutions" / "01_minicourse.ipynb",
        MINICOURSE / "exercises" / "01_minicourse.ipynb",
    ),
    **{
        path.stem: (path, ROOT / "exercises" / path.name)
        for path in sorted((ROOT / "solutions").glob("*.ipynb"))
    },
}


def nbgrader(course, *args, env: dict | None = None):
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"],
        cwd=course,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            # nbgrader runs its own tools (alembic) from the environment's bin folder
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
            "PYTHONPATH": str(MINICOURSE),  # the fixture's check module
            **(env or {}),
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def points(path, manual: bool | None = None) -> int:
    """The points of a notebook's graded cells: all, only the manually graded answers
    (``manual=True``) or only the automatically graded tests (``manual=False``)."""
    total = 0
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and (manual is None or bool(meta.get("solution")) == manual):
            total += meta.get("points", 0)
    return total


def released(course, assignment: str, solution) -> None:
    """An nbgrader course folder with ``solution`` as the source of ``assignment``, released."""
    (course / "nbgrader_config.py").write_text('c.CourseDirectory.course_id = "kit"\n')
    (course / "source" / assignment).mkdir(parents=True)
    shutil.copy(solution, course / "source" / assignment)
    nbgrader(course, "generate_assignment", assignment)


def graded_run(assignment: str, tmp_path_factory):
    """Generate, hand in (a blank and a perfect submission), autograde: yields the assignment,
    each student's (score, max_score) and the nbgrader course folder."""
    solution, _ = ASSIGNMENTS[assignment]
    course = tmp_path_factory.mktemp("course")
    released(course, assignment, solution)
    # one student hands in the blank release, another the solution
    shutil.copytree(course / "release" / assignment, course / "submitted" / "blank" / assignment)
    shutil.copytree(course / "source" / assignment, course / "submitted" / "perfect" / assignment)
    nbgrader(course, "autograde", assignment)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        yield (
            assignment,
            {
                student: (
                    gradebook.find_submission(assignment, student).score,
                    gradebook.find_submission(assignment, student).max_score,
                )
                for student in ("blank", "perfect")
            },
            course,
        )


class GradedTests:
    """What every graded assignment must show; a test file subclasses it (``class Test...``)
    and gives the module-scoped fixture ``graded`` (:func:`graded_run` for its assignments)."""

    def test_the_solution_gets_every_automatic_point(self, graded):
        assignment, scores, _ = graded
        solution = ASSIGNMENTS[assignment][0]
        score, max_score = scores["perfect"]
        assert max_score == points(solution) >= 3
        assert score == points(solution, manual=False)

    def test_every_chapter_asks_a_judgement_question_graded_by_hand(self, graded):
        assignment, _, course = graded
        solution = ASSIGNMENTS[assignment][0]
        assert points(solution, manual=True) > 0
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            assert gradebook.find_submission(assignment, "perfect").needs_manual_grade

    def test_the_blank_exercise_gets_zero(self, graded):
        assignment, scores, _ = graded
        assert scores["blank"] == (0, points(ASSIGNMENTS[assignment][0]))

    def test_nbgraders_student_version_matches_ours(self, graded):
        """What nbgrader releases has the same cells as the exercise notebook we write."""
        assignment, _, course = graded
        solution, exercise = ASSIGNMENTS[assignment]
        released = nbformat.read(course / "release" / assignment / solution.name, 4)
        ours = nbformat.read(exercise, 4)
        assert [c.source for c in released.cells] == [c.source for c in ours.cells]
