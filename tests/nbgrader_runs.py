"""nbgrader run for real on the course's solutions (tests/test_nbgrader_*.py): generate the
assignment, hand in a blank and a perfect submission, autograde on a build with another seed (as
the README tells graders to), read the gradebook and the graded notebooks."""

import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import nbformat
from nbgrader.api import Gradebook

from conftest import MINICOURSE, ROOT
from other_data_runs import report, watch

# the build a grader autogrades on: the run's other build with another seed (conftest.py)
GRADERS_BUILD = "seed7-en_US"

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


class Graded(NamedTuple):
    """An assignment autograded: each student's (score, max_score), the nbgrader course folder
    and the perfect submission as autograde ran it (its cells' outputs)."""

    assignment: str
    scores: dict[str, tuple[float, float]]
    course: Path
    perfect: nbformat.NotebookNode


def graded_run(assignment: str, course: Path, build: Path):
    """Generate, hand in (a blank and a perfect submission), autograde on the databases in the
    folder ``build``, in the nbgrader course folder ``course``: yields a :class:`Graded`.

    A test file's assignments share one course folder, as an instructor's do (and nbgrader
    then creates its gradebook once, not once per assignment). The perfect submission carries
    the cells that record lost glyphs (other_data_runs.py), as a student may add cells."""
    solution, _ = ASSIGNMENTS[assignment]
    released(course, assignment, solution)
    # one student hands in the blank release, another the solution
    shutil.copytree(course / "release" / assignment, course / "submitted" / "blank" / assignment)
    perfect = course / "submitted" / "perfect" / assignment
    shutil.copytree(course / "source" / assignment, perfect)
    notebook = nbformat.read(perfect / solution.name, as_version=4)
    watch(notebook)
    nbformat.write(notebook, perfect / solution.name)
    nbgrader(course, "autograde", assignment, env={"GENERATOR_DATASETS": str(build)})
    autograded = course / "autograded" / "perfect" / assignment / solution.name
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {
            student: (
                gradebook.find_submission(assignment, student).score,
                gradebook.find_submission(assignment, student).max_score,
            )
            for student in ("blank", "perfect")
        }
    yield Graded(assignment, scores, course, nbformat.read(autograded, as_version=4))


class GradedTests:
    """What every graded assignment must show; a test file subclasses it (``class Test...``)
    and gives the module-scoped fixture ``graded`` (:func:`graded_run` for its assignments)."""

    def test_the_solution_gets_every_automatic_point(self, graded):
        solution = ASSIGNMENTS[graded.assignment][0]
        score, max_score = graded.scores["perfect"]
        assert max_score == points(solution) >= 3
        assert score == points(solution, manual=False)

    def test_the_solution_runs_on_the_graders_build_without_an_error(self, graded):
        """Every cell runs on the build with another seed, and no plot loses a character (the
        solutions' run on that build: the lessons' is test_notebooks_on_another_seed.py)."""
        failed = [
            cell.source.splitlines()[0]
            for cell in graded.perfect.cells
            if any(output.output_type == "error" for output in cell.get("outputs", []))
        ]
        assert failed == []
        assert report(graded.perfect)["missing"] == [], "a plot lost characters"

    def test_every_chapter_asks_a_judgement_question_graded_by_hand(self, graded):
        solution = ASSIGNMENTS[graded.assignment][0]
        assert points(solution, manual=True) > 0
        with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gradebook:
            assert gradebook.find_submission(graded.assignment, "perfect").needs_manual_grade

    def test_the_blank_exercise_gets_zero(self, graded):
        assert graded.scores["blank"] == (0, points(ASSIGNMENTS[graded.assignment][0]))

    def test_nbgraders_student_version_matches_ours(self, graded):
        """What nbgrader releases has the same cells as the exercise notebook we write."""
        solution, exercise = ASSIGNMENTS[graded.assignment]
        released = nbformat.read(graded.course / "release" / graded.assignment / solution.name, 4)
        ours = nbformat.read(exercise, 4)
        assert [c.source for c in released.cells] == [c.source for c in ours.cells]
