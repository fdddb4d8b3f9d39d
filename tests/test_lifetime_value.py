"""Lifetime value: the models reproduce the published CDNOW fit on the real data, and their
prediction for the supermarket is scored against the hidden future, where it is good and
where it is wrong as the lesson says (customers away on the as-of date come back)."""

import importlib.metadata

import numpy as np
import pandas as pd
import pytest

import generator
from course import lifetime_value as lv

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

# The papers print three decimals; a maximum-likelihood fit of the same data gives them back.
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def cdnow():
    return lv.cdnow_occasions()


@pytest.fixture(scope="module")
def cdnow_summary(cdnow):
    return lv.summarise(cdnow, lv.CDNOW_CALIBRATION_END, "amount")


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail")


@pytest.fixture(scope="module")
def retail_fit(retail):
    summary = lv.summary(retail)
    model = lv.fit(summary)
    return summary, model, model.predict(summary)


def test_cdnow_is_the_papers_cohort(cdnow):
    raw = lv.cdnow_transactions()
    assert raw["customer_id"].nunique() == 2357
    assert raw["date"].min() == pd.Timestamp("1997-01-01")
    assert raw["date"].max() == pd.Timestamp("1998-06-30")
    assert len(cdnow) <= len(raw)


def test_our_summary_of_cdnow_is_the_published_one(cdnow_summary):
    """The summary lifetimes ships (x, t_x, T in weeks and the mean repeat spend) is what
    :func:`summarise` makes of the raw purchases."""
    path = importlib.metadata.distribution("lifetimes").locate_file(
        "lifetimes/datasets/cdnow_customers_summary_with_transactions.csv"
    )
    published = pd.read_csv(path).set_index("ID")
    ours = cdnow_summary.set_index("customer_id").loc[published.index]
    assert (ours["frequency"] == published["x"]).all()
    assert np.allclose(ours["recency"], published["t_x"], atol=0.006)
    assert np.allclose(ours["T"], published["T"], atol=0.006)
    repeat = published["x"] > 0
    assert np.allclose(
        ours.loc[repeat, "monetary_value"], published.loc[repeat, "zbar"], atol=0.006
    )


def test_the_models_reproduce_fader_hardie_and_lee_on_cdnow(cdnow_summary):
    fitted = lv.fit(cdnow_summary).parameters()
    purchases = lv.reproduces(fitted, lv.FADER_HARDIE_LEE, TOLERANCE)
    spend = lv.reproduces(fitted, lv.FADER_HARDIE_LEE_SPEND, TOLERANCE)
    assert purchases["within"], purchases["gaps"]
    assert spend["within"], spend["gaps"]


def test_reproduces_names_the_gap():
    result = lv.reproduces({"r": 0.3}, {"r": 0.243}, TOLERANCE)
    assert not result["within"] and result["gaps"]["r"] == pytest.approx(0.057 / 0.243)


def test_the_cdnow_holdout_is_predicted_as_in_the_paper(cdnow):
    table = lv.holdout(cdnow, lv.CDNOW_CALIBRATION_END, "1998-06-30", "amount")
    assert table.attrs["weeks"] == 39
    model = lv.fit(table, spend=False)
    groups = lv.by_frequency(table, model.predict(table, table.attrs["weeks"]))
    assert groups["customers"].sum() == 2357
    assert list(groups.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    # the paper's figure 4: predictions follow the holdout within about half a purchase
    assert (groups["predicted"] - groups["actual"]).abs().max() < 0.5
    assert groups["actual"].is_monotonic_increasing


def test_the_holdout_counts_only_what_came_after_the_calibration(retail):
    daily = lv.occasions(retail)
    end = retail.as_of - pd.Timedelta(days=365)
    table = lv.holdout(daily, end, retail.as_of)
    after = daily[daily["date"] > end].groupby("customer_id").size()
    counted = table.set_index("customer_id")["holdout_purchases"]
    assert counted.sum() == after.reindex(counted.index).fillna(0).sum()
    assert (table["T"] <= (end - daily["date"].min()).days / 7 + 1e-9).all()


def test_the_prediction_ranks_the_hidden_future(retail, retail_fit):
    _, _, predicted = retail_fit
    future = retail.truth("future_customers").set_index("customer_id")
    purchases, _ = lv.score(predicted.set_index("customer_id")["purchases"], future["trips"])
    value, table = lv.score(predicted.set_index("customer_id")["value"], future["margin"])
    assert purchases["rank_correlation"] > 0.7
    assert abs(purchases["total_error"]) < 0.15
    assert value["rank_correlation"] > 0.7
    assert abs(value["total_error"]) < 0.2
    assert table["customers"].sum() == len(future)
    assert table["predicted"].is_monotonic_decreasing


def test_the_model_writes_off_customers_who_are_only_away(retail, retail_fit):
    _, _, predicted = retail_fit
    future = retail.truth("future_customers").set_index("customer_id")
    joined = predicted.set_index("customer_id").join(future)
    away = joined[joined["away_on_as_of"]]
    here = joined[~joined["away_on_as_of"]]
    assert away["purchases"].sum() < 0.7 * away["trips"].sum()  # lapsers come back
    assert abs(here["purchases"].sum() / here["trips"].sum() - 1) < 0.15


def test_score_of_the_truth_itself_is_perfect():
    actual = pd.Series([0.0, 1, 2, 3, 5, 8, 13, 21, 34, 55], index=range(10))
    figures, table = lv.score(actual, actual)
    assert figures["rank_correlation"] == pytest.approx(1)
    assert figures["total_error"] == 0 and figures["decile_error"] == 0
    assert len(table) == 10


def test_score_counts_missing_customers_as_zero():
    actual = pd.Series([1.0, 2.0, 3.0, 4.0], index=[1, 2, 3, 4])
    figures, _ = lv.score(actual.drop(4), actual, deciles=2)
    assert figures["total_error"] == pytest.approx(-0.4)


def test_without_the_lifetimes_package_cdnow_says_how_to_get_it(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(FileNotFoundError, match="make lab"):
        lv.cdnow_transactions()
