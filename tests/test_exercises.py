"""The exercise pipeline: exercises/ is exactly what the solutions give, and drift is caught."""

import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from course import exercises

from conftest import MINICOURSE, ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

PAIRS = [
    (ROOT / "solutions", ROOT / "exercises"),
    (MINICOURSE / "solutions", MINICOURSE / "exercises"),
]


@pytest.mark.parametrize("solutions, stored", PAIRS, ids=["course", "minicourse"])
def test_exercises_are_what_the_solutions_give(solutions, stored):
    assert exercises.differences(solutions, stored) == []


@pytest.fixture
def minicourse_copy(tmp_path):
    shutil.copytree(MINICOURSE / "solutions", tmp_path / "solutions")
    shutil.copytree(MINICOURSE / "exercises", tmp_path / "exercises")
    return tmp_path / "solutions", tmp_path / "exercises"


def test_a_stale_exercise_notebook_is_reported(minicourse_copy):
    solutions, stored = minicourse_copy
    path = solutions / "01_minicourse.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[2].source += "\n\nA sentence added to the solution only."
    nbformat.write(notebook, path)

    assert exercises.differences(solutions, stored) == [
        f"{stored / '01_minicourse.ipynb'}: stale (differs from what {path} gives)"
    ]
    cli = subprocess.run(
        [sys.executable, "-m", "course.exercises", "check", f"{solutions}:{stored}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert cli.returncode == 1
    assert "stale" in cli.stderr and "make exercises" in cli.stderr

    exercises.write(solutions, stored)
    assert exercises.differences(solutions, stored) == []


def test_missing_and_orphaned_exercises_are_reported(minicourse_copy):
    solutions, stored = minicourse_copy
    (stored / "01_minicourse.ipynb").rename(stored / "02_renamed.ipynb")
    problems = exercises.differences(solutions, stored)
    assert problems == [
        f"{stored / '01_minicourse.ipynb'}: missing",
        f"{stored / '02_renamed.ipynb'}: has no solution notebook",
    ]


def test_the_exercise_hides_every_solution_and_hidden_test():
    solution = nbformat.read(MINICOURSE / "solutions" / "01_minicourse.ipynb", as_version=4)
    exercise = exercises.exercise_from_solution(solution)
    text = json.dumps(exercise)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "groupby" not in text  # the answers' code is gone
    answers = [c for c in exercise.cells if c.metadata.get("nbgrader", {}).get("solution")]
    code = [c for c in answers if c.cell_type == "code"]
    assert len(code) == 3
    assert all("# YOUR CODE HERE\nraise NotImplementedError()" in c.source for c in code)
    written = [c for c in answers if c.cell_type == "markdown"]  # a judgement question
    assert [c.source for c in written] == ["YOUR ANSWER HERE"]
    assert "seasonal peak" not in text  # the model answer is gone
    assert all(
        c.outputs == [] and c.execution_count is None
        for c in exercise.cells
        if c.cell_type == "code"
    )


def test_a_solution_region_outside_a_solution_cell_is_refused():
    solution = nbformat.read(MINICOURSE / "solutions" / "01_minicourse.ipynb", as_version=4)
    del solution.cells[3].metadata["nbgrader"]
    with pytest.raises(RuntimeError, match="non-solution cell"):
        exercises.exercise_from_solution(solution)
