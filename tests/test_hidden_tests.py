"""A student who sees ✅ never loses the point in nbgrader: hidden tests accept exactly what the
visible check accepts.

For every graded cell of every solution notebook, each form of the right answer that the check
promises to accept (``Kind.variants``: the key as a column or as the index, columns in another
order, another dtype, a list or a Series...) is fed through the visible check and through the
cell's hidden tests. Both must pass.
"""

import importlib
import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from course.checking import answer_key

from conftest import MINICOURSE, ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

SOLUTIONS = sorted(
    [*(ROOT / "solutions").glob("*.ipynb"), *(MINICOURSE / "solutions").glob("*.ipynb")]
)
CHECK_MODULE = re.compile(r"^(?:from course\.checks import (\w+)|import (\w+)) as check$", re.M)
CHECK_CALL = re.compile(r"^check\.(\w+)\((\w+)\)$")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def graded_cells():
    """(notebook, grade_id, check module, task name, answer variable, hidden test code)."""
    found = []
    for path in SOLUTIONS:
        notebook = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
        imported = CHECK_MODULE.search(code)
        module = f"course.checks.{imported[1]}" if imported[1] else imported[2]
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade"):
                continue
            call = CHECK_CALL.match(cell.source.splitlines()[0])
            assert call, f"{path.name} {meta['grade_id']}: a graded cell starts with its check"
            hidden = "".join(HIDDEN.findall(cell.source))
            found.append((path.name, meta["grade_id"], module, *call.groups(), hidden))
    return found


CELLS = graded_cells()


def test_every_solution_has_graded_cells():
    assert {cell[0] for cell in CELLS} == {path.name for path in SOLUTIONS}


@pytest.mark.parametrize("cell", CELLS, ids=[f"{c[0]}:{c[1]}" for c in CELLS])
def test_hidden_tests_accept_what_the_check_accepts(cell, capsys):
    _, _, module, task_name, variable, hidden = cell
    check = importlib.import_module(module)
    task = getattr(check, task_name)
    expected, _ = answer_key(task)
    for form in task.kind.variants(expected):
        names = {"check": check, "pd": pd, "np": np, variable: form}
        exec(f"check.{task_name}({variable})", names)  # the visible check
        exec(hidden, names)  # the hidden tests, if any
    assert "correct" in capsys.readouterr().out
