"""Running a notebook on other databases (tests/test_notebooks_on_*.py): nothing in a notebook is
tied to the default databases, so every lesson and solution runs top to bottom on the course's
databases rebuilt with another seed, and in the zh_CN locale. One test file per build. On the
build with another seed the solutions run as a grader runs them, under nbgrader's autograde
(tests/nbgrader_runs.py, with the same cells around them), so that file runs the lessons only.

Execution only: the outputs differ from the stored ones, as they should. The check cells of the
solutions must still pass, since each check computes its answer from the data it is given.

Chinese must render: on the zh_CN build no plot may miss a glyph (Matplotlib warns "Glyph ...
missing from font"), and every lesson draws Chinese text in at least one plot. A cell put
before the notebook's own records both; a cell put after it reports them.
"""

import json

import nbformat
from nbclient import NotebookClient

from conftest import ROOT

# every lesson and solution but the appendices (A*), which build their own data
NOTEBOOKS = sorted(
    path
    for path in [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "solutions").glob("*.ipynb")]
    if not path.name.startswith("A")
)
LESSONS = [path for path in NOTEBOOKS if path.parent.name == "notebooks"]


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


def watch(notebook) -> None:
    """Put the cell that records missing glyphs and Chinese text before ``notebook``'s own cells
    and the cell that reports them after (read the report with :func:`report`)."""
    notebook.cells.insert(0, nbformat.v4.new_code_cell(WATCH_TEXT))
    notebook.cells.append(nbformat.v4.new_code_cell(REPORT_TEXT))


def report(notebook) -> dict:
    """What the cells of :func:`watch` recorded in ``notebook``, once executed: the first missing
    glyphs (``missing``) and how many texts were drawn in Chinese (``chinese``)."""
    return json.loads(notebook.cells[-1].outputs[0]["text"])


def run_on(path, other_data, monkeypatch) -> None:
    """Run the notebook at ``path`` on the build in folder ``other_data``: no error, no lost glyph,
    and Chinese drawn in a lesson of a zh_CN build."""
    monkeypatch.setenv("GENERATOR_DATASETS", str(other_data))  # the kernel inherits it
    notebook = nbformat.read(path, as_version=4)
    watch(notebook)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError, with the failing cell, on any error
    found = report(notebook)
    assert found["missing"] == [], "a plot lost characters: set the course style (style.setup())"
    if "zh_CN" in other_data.name and path.parent.name == "notebooks":
        assert found["chinese"] > 0, "no plot in this lesson shows Chinese text in a zh_CN build"
