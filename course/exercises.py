"""Write exercise notebooks from solution notebooks (one source), and check they are in sync.

A solution notebook is marked the way nbgrader marks it: solution cells carry nbgrader
metadata and their answer sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
hidden tests sit between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` in graded
cells. The exercise version is made by nbgrader's own preprocessors (the same ones
``nbgrader generate_assignment`` runs), with every output cleared.

    python -m course.exercises write solutions:exercises    # make exercises
    python -m course.exercises check solutions:exercises    # part of make test
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    ClearSolutions,
)


def exercise_from_solution(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of a solution notebook."""
    notebook = copy.deepcopy(solution)
    resources: dict = {}
    for step in (CheckCellMetadata(), ClearSolutions(), ClearHiddenTests(), ClearOutput()):
        notebook, resources = step.preprocess(notebook, resources)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    return notebook


def render(notebook: nbformat.NotebookNode) -> str:
    """The exact text an exercise notebook is stored as."""
    nbformat.validate(notebook)
    return nbformat.writes(notebook, version=4) + "\n"


def expected_exercises(solutions: Path) -> dict[str, str]:
    """File name -> text of every exercise notebook that ``solutions`` gives."""
    return {
        path.name: render(exercise_from_solution(nbformat.read(path, as_version=4)))
        for path in sorted(solutions.glob("*.ipynb"))
    }


def differences(solutions: Path, exercises: Path) -> list[str]:
    """What is out of date in ``exercises`` (empty when in sync)."""
    wanted = expected_exercises(solutions)
    found = {path.name for path in exercises.glob("*.ipynb")} if exercises.is_dir() else set()
    problems = []
    for name, text in wanted.items():
        path = exercises / name
        if name not in found:
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: stale (differs from what {solutions / name} gives)")
    problems += [
        f"{exercises / name}: has no solution notebook" for name in sorted(found - set(wanted))
    ]
    return problems


def write(solutions: Path, exercises: Path) -> list[Path]:
    """Write ``exercises`` from ``solutions``, removing exercises whose solution is gone."""
    wanted = expected_exercises(solutions)
    exercises.mkdir(parents=True, exist_ok=True)
    for path in exercises.glob("*.ipynb"):
        if path.name not in wanted:
            path.unlink()
    written = []
    for name, text in wanted.items():
        path = exercises / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def _pair(text: str) -> tuple[Path, Path]:
    solutions, sep, exercises = text.partition(":")
    if not sep or not solutions or not exercises:
        raise argparse.ArgumentTypeError(f"expected SOLUTIONS:EXERCISES, got {text!r}")
    if not Path(solutions).is_dir():
        raise argparse.ArgumentTypeError(f"no such folder of solution notebooks: {solutions}")
    return Path(solutions), Path(exercises)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course.exercises",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["write", "check"])
    parser.add_argument("pairs", nargs="+", type=_pair, metavar="SOLUTIONS:EXERCISES")
    args = parser.parse_args(argv)
    if args.action == "write":
        for solutions, exercises in args.pairs:
            for path in write(solutions, exercises):
                print(f"wrote {path}")
        return 0
    problems = [p for solutions, exercises in args.pairs for p in differences(solutions, exercises)]
    if problems:
        print(
            "Exercise notebooks are out of date with their solutions (run `make exercises`):",
            *problems,
            sep="\n  ",
            file=sys.stderr,
        )
        return 1
    print(f"exercise notebooks in sync ({len(args.pairs)} folder pair(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
