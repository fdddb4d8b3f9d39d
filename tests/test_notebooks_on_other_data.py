"""Nothing in a notebook is tied to the default databases: every lesson and solution runs top to
bottom on the course's databases rebuilt with another seed, and in the zh_CN locale.

Execution only: the outputs differ from the stored ones, as they should. The check cells of the
solutions must still pass, since each check computes its answer from the data it is given.

Chinese must render: on the zh_CN build no plot may miss a glyph (Matplotlib warns "Glyph ...
missing from font"), and every lesson draws Chinese text in at least one plot. A cell put
before the notebook's own records both; a cell put after it reports them.
"""

import json

import nbformat
import pytest
from nbclient import NotebookClient

from course import datasets

from conftest import OTHER_DATA, ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

# every lesson and solution but the appendices (A*), which build their own data
NOTEBOOKS = sorted(
    path
    for path in [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "solutions").glob("*.ipynb")]
    if not path.name.startswith("A")
)


@pytest.fixture(scope="module", params=list(OTHER_DATA))
def other_data(request, other_data_builds):
    return other_data_builds(request.param)


# Run before the notebook: record every missing-glyph warning and every text drawn in Chinese.
WATCH_TEXT = """
import warnings
import matplotlib.text

_missing_glyphs, _chinese_texts = [], []
_show_warning, _draw_text = warnings.showwarning, matplotlib.text.Text.draw
warnings.filterwarnings("always", message=r"Glyph .* missing from font")


def _record_warning(message, category, filename, lineno, file=None, line=None):
    if "missing from font" in str(message):
        _missing_glyphs.append(str(message))
    else:
        _show_warning(message, category, filename, lineno, file, line)


def _record_text(self, renderer):
    if any("\\u4e00" <= ch <= "\\u9fff" for ch in self.get_text()):
        _chinese_texts.append(self.get_text())
    return _draw_text(self, renderer)


warnings.showwarning = _record_warning
matplotlib.text.Text.draw = _record_text
"""
# Run after it: what was recorded, as one line of JSON.
REPORT_TEXT = """
import json
print(json.dumps({"missing": _missing_glyphs[:5], "chinese": len(_chinese_texts)}))
"""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_notebook_runs_on_other_data(path, other_data, monkeypatch):
    monkeypatch.setenv("GENERATOR_DATASETS", str(other_data))  # the kernel inherits it
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(WATCH_TEXT))
    notebook.cells.append(nbformat.v4.new_code_cell(REPORT_TEXT))
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError, with the failing cell, on any error
    report = json.loads(notebook.cells[-1].outputs[0]["text"])
    assert report["missing"] == [], "a plot lost characters: set the course style (style.setup())"
    if "zh_CN" in other_data.name and path.parent.name == "notebooks":
        assert report["chinese"] > 0, "no plot in this lesson shows Chinese text in a zh_CN build"


def test_a_bad_option_is_one_clear_error_and_builds_nothing(tmp_path, capsys):
    assert datasets.main(["--out", str(tmp_path / "out"), "--locale", "fr_FR"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "fr_FR" in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
