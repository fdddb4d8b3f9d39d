"""Nothing in a notebook is tied to the default databases: every lesson and solution runs top to
bottom on the course's databases rebuilt with another seed, and in the zh_CN locale.

Execution only: the outputs differ from the stored ones, as they should. The check cells of the
solutions must still pass, since each check computes its answer from the data it is given.
"""

import nbformat
import pytest
from nbclient import NotebookClient

from course import datasets

from conftest import ROOT

NOTEBOOKS = sorted([*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "solutions").glob("*.ipynb")])
OTHER_DATA = {"seed7-en_US": dict(seed=7), "seed2024-zh_CN": dict(seed=2024, locale="zh_CN")}


@pytest.fixture(scope="module", params=list(OTHER_DATA))
def other_data(request, tmp_path_factory):
    return datasets.build(tmp_path_factory.mktemp(request.param), **OTHER_DATA[request.param])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_notebook_runs_on_other_data(path, other_data, monkeypatch):
    monkeypatch.setenv("GENERATOR_DATASETS", str(other_data))  # the kernel inherits it
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError, with the failing cell, on any error


def test_a_bad_option_is_one_clear_error_and_builds_nothing(tmp_path, capsys):
    assert datasets.main(["--out", str(tmp_path / "out"), "--locale", "fr_FR"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "fr_FR" in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
