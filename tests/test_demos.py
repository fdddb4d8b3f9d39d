"""The classroom demos: each builds its widget from the lesson's data, a control moved changes
what it shows as the course's tested function says, and demos/ holds one notebook per demo."""

import html

import nbformat
import pandas as pd
import pytest

from course import building, customer_value, demos, marketing_db, one_to_one, targeting

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


def _children(widget):
    """Every widget inside ``widget``, depth first."""
    for child in getattr(widget, "children", ()):
        yield child
        yield from _children(child)


def _find(widget, kind: str, description: str | None = None):
    found = [
        w
        for w in _children(widget)
        if type(w).__name__ == kind and description in (None, getattr(w, "description", None))
    ]
    assert found, f"no {kind} {description or ''} in the demo"
    return found[0]


def test_the_customer_explorer_shows_the_customer_typed():
    ds, marketing = demos.explorer_inputs()
    widget = demos.customer_explorer()
    view = _find(widget, "HTML")
    other = int(marketing["customer_id"].iloc[10])
    _find(widget, "IntText").value = other
    assert view.value == marketing_db.customer_view(ds, other, marketing).html()


@pytest.mark.parametrize("demo", ["linkage_threshold", "cheapest_threshold"])
def test_the_threshold_slider_says_what_matching_at_its_threshold_finds(demo):
    scores, truth, duplicates, start = getattr(demos, f"{demo.replace('_threshold', '')}_inputs")()
    widget = getattr(demos, demo)()
    slider, label = _find(widget, "FloatSlider"), _find(widget, "Label")
    assert slider.value == pytest.approx(start)
    assert label.value == building.threshold_summary(scores, truth, start, duplicates)
    slider.value = 0.3
    assert label.value == building.threshold_summary(scores, truth, 0.3, duplicates)


def test_the_cheapest_threshold_is_chapter_03s():
    assert 0.05 <= demos.cheapest_inputs()[3] <= 0.99


def test_the_pyramid_follows_its_sliders():
    value = demos.pyramid_inputs()
    widget = demos.pyramid_sizes()
    summary, table = [w for w in _children(widget) if type(w).__name__ == "HTML"]
    layers = customer_value.ABC_LAYERS
    assert (
        table.value
        == customer_value.pyramid(value, customer_value.abc_layers(value)).round(3).to_html()
    )
    for name, share in zip("ABC", (0.2, 0.3, 0.5), strict=True):
        _find(widget, "FloatSlider", f"{name} share").value = share
    eighty_twenty = {"A": 0.2, "B": 0.3, "C": 0.5, "D": 0.0}
    shown = customer_value.pyramid(value, customer_value.abc_layers(value, eighty_twenty))
    assert table.value == shown.round(3).to_html()
    assert html.escape(customer_value.pyramid_summary(value, eighty_twenty)) in summary.value
    assert list(layers) == list(eighty_twenty)
    _find(widget, "FloatSlider", "A share").value = 0.5  # 0.5 + 0.3 + 0.5: over 100 %
    assert "over 100 %" in summary.value and table.value == ""


def test_top_layers_and_the_summary():
    assert customer_value.top_layers(0.05, 0.15, 0.3) == customer_value.ABC_LAYERS
    with pytest.raises(ValueError, match="over 100"):
        customer_value.top_layers(0.5, 0.5, 0.1)
    value = pd.Series([10.0, 5, 3, 2], index=[1, 2, 3, 4])
    layers = customer_value.top_layers(0.25, 0.25, 0.25)
    assert customer_value.pyramid_summary(value, layers) == (
        "layer A, 25% of the customers, brings 50% of the total"
    )


def test_the_planner_runs_the_plan_set():
    bank, offer, score = demos.planner_inputs()
    widget = demos.campaign_planner()
    shown = _find(widget, "HTML")
    _find(widget, "FloatSlider", "Budget").value = 3000
    _find(widget, "Dropdown", "Channel").value = "sms"
    _find(widget, "Button").click()
    outcome = targeting.run_plan(bank, {**offer, "channel": "sms"}, score, 0.3, 3000)
    assert shown.value == targeting.plan_table(outcome).to_frame(bank.currency).to_html()


def test_the_purchase_cycles_follow_the_pickers():
    inputs = demos.cycle_inputs()
    assert len(inputs["customers"]) == demos.SHOPPERS
    widget = demos.purchase_cycles()
    picture, summary = _find(widget, "Image"), _find(widget, "HTML")
    first = bytes(picture.value)
    assert first.startswith(b"\x89PNG")
    customer = inputs["customers"][-1]
    _find(widget, "Dropdown", "Customer").value = customer
    _find(widget, "Dropdown", "Category").value = "coffee"
    expected = one_to_one.cycle_summary(
        inputs["table"], inputs["scored"], inputs["listed"], customer, "coffee"
    )
    assert summary.value == f"<pre>{html.escape(expected)}</pre>"
    assert bytes(picture.value) != first


def test_cycle_summary_by_hand():
    day = pd.Timestamp
    table = pd.DataFrame(
        {"customer_id": [1], "category": ["tea"], "purchase_days": [3], "mean_gap": [10.0]}
    )
    scored = pd.DataFrame(
        {
            "customer_id": [1],
            "category": ["tea"],
            "predicted_on": [day("2025-01-11")],
            "next_purchase_on": [pd.NaT],
        }
    )
    listed = pd.DataFrame({"customer_id": [1], "coverage": [0.25]})
    assert one_to_one.cycle_summary(table, scored, listed, 1, "tea") == (
        "cycle here: 10.0 days (3 bought)\n"
        "predicted next: 2025-01-11; not bought again in 12 months\n"
        "list of 10: 25% of the next 30 days' spend"
    )
    assert one_to_one.cycle_summary(table, scored, listed.iloc[:0], 1, "tea").endswith(
        "no purchase in the next 30 days"
    )
    assert "no cycle" in one_to_one.cycle_summary(table, scored, listed, 2, "tea")


def test_spread_customers_go_from_short_to_long_histories():
    table = pd.DataFrame(
        {"customer_id": range(1, 8), "category": "tea", "purchase_days": [9, 2, 5, 3, 7, 4, 6]}
    )
    assert one_to_one.spread_customers(table, "tea", range(1, 8), 3) == [2, 3, 1]
    assert one_to_one.spread_customers(table, "coffee", range(1, 8), 3) == []


def _notebooks():
    return sorted(demos.FOLDER.glob("*.ipynb"))


def test_every_demo_has_its_notebook_and_every_notebook_a_demo():
    names = {path.stem for path in _notebooks()}
    assert names == {demos.INDEX} | {demo.notebook for demo in demos.DEMOS}


@pytest.mark.parametrize("path", _notebooks(), ids=lambda path: path.stem)
def test_a_demo_notebook_is_stored_as_written_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    assert book.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    if path.stem == demos.INDEX:
        assert not code
        text = book.cells[0].source
        assert all(f"]({demo.notebook}.ipynb)" in text for demo in demos.DEMOS)
        expected = demos.index_notebook()
    else:
        (cell,) = code
        function = cell.source.split("demos.")[-1].removesuffix("()")
        assert callable(getattr(demos, function))
        expected = demos.notebook(next(d for d in demos.DEMOS if d.notebook == path.stem))
    assert [c.source for c in book.cells] == [c.source for c in expected.cells], (
        "run python -m course.demos notebooks"
    )


def test_the_kernels_import_this_course_and_read_its_datasets(monkeypatch):
    monkeypatch.delenv("GENERATOR_DATASETS", raising=False)
    env = demos.kernel_environment()
    assert env["PYTHONPATH"].split(":")[0] == str(demos.ROOT)
    assert env["GENERATOR_DATASETS"] == str(demos.ROOT / "datasets")
    command = demos.voila_command(8999)
    assert "--port=8999" in command and f"--template={demos.TEMPLATE}" in command
    assert (demos.TEMPLATES / "voila" / "templates" / demos.TEMPLATE / "conf.json").is_file()
