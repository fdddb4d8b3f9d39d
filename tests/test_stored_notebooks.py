"""Notebooks are stored the way students should meet them: one clean run, with outputs."""

import nbformat
import pytest

from conftest import MINICOURSE, ROOT

STORED = sorted(
    [
        *(ROOT / "notebooks").glob("*.ipynb"),
        *(ROOT / "solutions").glob("*.ipynb"),
        *(ROOT / "templates").glob("*.ipynb"),
        *(MINICOURSE / "solutions").glob("*.ipynb"),
    ]
)
IDS = [str(path.relative_to(ROOT)) for path in STORED]


def test_there_are_stored_notebooks():
    assert STORED


@pytest.mark.parametrize("path", STORED, ids=IDS)
def test_stored_as_one_clean_run(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"  # no "Select Kernel" dialog
    code = [c for c in notebook.cells if c.cell_type == "code" and c.source.strip()]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert not any("execution" in c.metadata for c in code), "timings stored: use make notebooks"
