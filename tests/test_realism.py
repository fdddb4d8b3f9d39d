"""The realism report (generator.realism): its statistics are computed as they say, and the
report in datasets/ is what the committed default datasets give."""

import pandas as pd
import pytest

import generator
from generator import realism

from conftest import ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


def test_recency_fifths_counts_purchase_days_after_the_split():
    end = pd.Timestamp("2025-12-31")
    rows = []
    for customer in range(10):  # customer k last bought k*30 days before the split
        split = end - pd.DateOffset(months=3)
        rows.append((customer, split - pd.Timedelta(days=30 * customer)))
    # the two most recent buy on two days after the split, one of the lapsed once
    rows += [(0, end), (0, end - pd.Timedelta(days=1)), (1, end), (1, end), (9, end)]
    frame = pd.DataFrame(rows, columns=["customer_id", "date"])
    fifths = realism.recency_fifths(frame, end)
    assert fifths["purchase_days"].tolist() == [1.5, 0.0, 0.0, 0.0, 0.5]
    assert fifths["buy_again"].tolist() == [1.0, 0.0, 0.0, 0.0, 0.5]


@pytest.fixture(scope="module")
def default():
    industries = sorted({s.industry for s in realism.STATISTICS})
    return {"default": {i: generator.load(i, ROOT / "datasets") for i in industries}}


def test_the_report_shows_what_the_default_datasets_give(default):
    values = realism.measure(default)
    written = (ROOT / "datasets" / "REALISM.md").read_text(encoding="utf-8")
    for stat, value in zip(realism.STATISTICS, values["default"], strict=True):
        row = next(line for line in written.splitlines() if f"| {stat.name} |" in line)
        assert row.split(" | ")[2].startswith(stat.show(value)), stat.name


@pytest.mark.parametrize("industry", sorted({s.industry for s in realism.STATISTICS}))
def test_the_statistics_are_in_their_bands(default, industry):
    for stat in realism.STATISTICS:
        if stat.industry == industry:
            value = stat.measure(default["default"][industry])
            assert stat.within(value), (stat.name, value, stat.band)


def test_every_build_in_the_report_is_in_its_bands():
    """The report measures two more seeds (one zh_CN) beside the default datasets: the
    statistics hold on any seed, not only on the one committed."""
    written = (ROOT / "datasets" / "REALISM.md").read_text(encoding="utf-8")
    rows = [line for line in written.splitlines() if line.startswith("| ") and "✓" in line + "✗"]
    rows = [r for r in rows if any(f"| {s.name} |" in r for s in realism.STATISTICS)]
    assert len(rows) == len(realism.STATISTICS)
    for row in rows:
        assert "✗" not in row, row
