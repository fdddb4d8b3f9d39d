"""nbgrader run for real on the course's solutions (tests/test_nbgrader_*.py): generate the
assignment, hand in a blank and a perfect submission, autograde, read the gradebook."""

import os
import shutil
import sys
from contextlib import contextmanager
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


@contextmanager
def environment(values: dict[str, str]):
    """``os.environ`` with ``values`` set, for the kernels nbgrader starts; restored after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def nbgrader(course, command: str, assignment: str, env: dict | None = None) -> None:
    """``nbgrader generate_assignment`` or ``nbgrader autograde`` (every student) of
    ``assignment`` in the course folder ``course``, through nbgrader's own API in this process
    (as its formgrader does): a command-line run would pay nbgrader's start-up each time."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "kit"
    values = {
        # nbgrader runs its own tools (alembic) from the environment's bin folder
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "PYTHONPATH": str(MINICOURSE),  # the fixture's check module
        **(env or {}),
    }
    with environment(values):
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        if command == "generate_assignment":
            result = api.generate_assignment(assignment, force=True)
        elif command == "autograde":
            result = api.autograde(assignment, "*", force=True)
        else:
            raise ValueError(f"no such nbgrader command here: {command}")
    assert result["success"], (result.get("error") or "") + (result.get("log") or "")[-3000:]


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
    (course / "source" / assignment).mkdir(parents=True)
    shutil.copy(solution, course / "source" / assignment)
    nbgrader(course, "generate_assignment", assignment)


def graded_run(assignment: str, course: Path):
    """Generate, hand in (a blank and a perfect submission), autograde, in the nbgrader course
    folder ``course``: yields the assignment, each student's (score, max_score) and the folder.

    A test file's assignments share one course folder, as an instructor's do (and nbgrader
    then creates its gradebook once, not once per assignment)."""
    solution, _ = ASSIGNMENTS[assignment]
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
