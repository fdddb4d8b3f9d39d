"""Chapter 05's checks tell right from wrong on the default data: plausible answers, written the
way a student would write them, are judged as they should be — the wrong ones refused (with the
hint of their mistake where the check names it), the right ones in another form accepted — and
the data hold the cases that separate them (receipts on the RFM window's first day, customers
scored on one date only, customers with a profit of exactly zero, customers who bought nothing
but cost money, customers above the trigger's threshold before the month).

The lifetime-value task is judged against the hidden future: any prediction that reaches the
bar is right, the course's model and a simpler forecast alike; one that has seen the future is
refused for that.

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import numpy as np
import pandas as pd
import pytest

from course import customer_value, lifetime_value, periods
from course.checking import answer_key
from course.checks import ch05

from conftest import accepted, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def ds():
    return ch05.data()


@pytest.fixture(scope="module")
def receipts(ds):
    return ds["transactions"].assign(day=ds["transactions"]["timestamp"].dt.normalize())


def scores(measures: pd.DataFrame) -> pd.DataFrame:
    keyed = measures.set_index("customer_id") if "customer_id" in measures else measures
    return pd.DataFrame(
        {
            "r": customer_value.ntile(-keyed["recency_days"]),
            "f": customer_value.ntile(keyed["frequency"]),
            "m": customer_value.ntile(keyed["monetary"]),
        }
    )


# ---------------------------------------------------------------- task 1: RFM scores


def test_the_data_hold_receipts_on_the_windows_edge(ds, receipts):
    start = periods.window_start(ds.as_of, 365)
    assert (receipts["day"] == start).any()
    assert (receipts["day"] == start - pd.Timedelta(days=1)).any()


def test_rfm_scores(ds, receipts, capsys):
    as_of = ds.as_of
    lesson = customer_value.rfm_scores(customer_value.rfm(receipts, as_of))
    assert accepted(ch05.rfm_scores, lesson, capsys)  # extra columns: cell, segment
    assert accepted(ch05.rfm_scores, lesson[["customer_id", "r", "f", "m"]].astype(float), capsys)
    # the measures as a student sums them (unrounded), from the receipts
    recent = receipts[periods.in_window(receipts["day"], as_of, 365)]
    measures = pd.DataFrame(
        {
            "recency_days": (as_of - receipts.groupby("customer_id")["day"].max()).dt.days,
            "frequency": recent.groupby("customer_id").size(),
            "monetary": recent.groupby("customer_id")["total"].sum(),
        }
    ).fillna(0)
    assert accepted(ch05.rfm_scores, scores(measures).reset_index(), capsys)
    # the SQL version of the lesson
    sql = ds.sql(customer_value.RFM_SQL, {"as_of": f"{as_of:%Y-%m-%d}"})
    assert accepted(ch05.rfm_scores, sql, capsys)
    # Cannot tell on this data: pandas' qcut of the ranks ("first": ties by customer_id) cuts
    # the same groups as NTILE when the customers divide by five, as they do here; the task
    # states NTILE's rule for the other builds.
    if len(measures) % 5 == 0:
        qcut = {
            name: pd.qcut(values.rank(method="first"), 5, labels=False) + 1
            for name, values in [
                ("r", -measures["recency_days"]),
                ("f", measures["frequency"]),
                ("m", measures["monetary"]),
            ]
        }
        assert accepted(ch05.rfm_scores, pd.DataFrame(qcut).reset_index(), capsys)

    reversed_r = scores(measures).assign(r=customer_value.ntile(measures["recency_days"]))
    assert "upside down" in refused(ch05.rfm_scores, reversed_r.reset_index())
    # 6 - ntile(recency) is the same order but ties the other way round: refused
    flipped = scores(measures).assign(r=6 - customer_value.ntile(measures["recency_days"]))
    assert refused(ch05.rfm_scores, flipped.reset_index())
    history = measures.assign(
        frequency=receipts.groupby("customer_id").size(),
        monetary=receipts.groupby("customer_id")["total"].sum(),
    )
    assert "whole history" in refused(ch05.rfm_scores, scores(history).reset_index())
    wide = receipts[receipts["day"] >= as_of - pd.Timedelta(days=365)]
    off = measures.assign(
        frequency=wide.groupby("customer_id").size(),
        monetary=wide.groupby("customer_id")["total"].sum(),
    ).fillna(0)
    assert "366 days" in refused(ch05.rfm_scores, scores(off).reset_index())
    # the measures themselves, not the scores
    assert "column" in refused(ch05.rfm_scores, measures.reset_index())


# ---------------------------------------------------------------- task 2: migration


def r_scores(receipts, day) -> pd.Series:
    measures = customer_value.rfm(receipts, day).set_index("customer_id")
    return customer_value.ntile(-measures["recency_days"])


def long(matrix: pd.DataFrame) -> pd.DataFrame:
    return matrix.rename_axis(index="before", columns="after").stack().rename("share").reset_index()


def test_the_data_hold_customers_scored_on_one_date_only(ds, receipts):
    before = r_scores(receipts, ds.as_of - pd.Timedelta(days=365))
    after = r_scores(receipts, ds.as_of)
    assert len(after.index.difference(before.index)) > 0  # new customers
    assert (customer_value.migration(before, after) > 0).all().all()  # all 25 pairs occur


def test_r_migration(ds, receipts, capsys):
    before = r_scores(receipts, ds.as_of - pd.Timedelta(days=365))
    after = r_scores(receipts, ds.as_of)
    right = long(customer_value.migration(before, after))
    assert accepted(ch05.r_migration, right, capsys)
    # a groupby instead of a crosstab
    both = pd.DataFrame({"before": before, "after": after}).dropna().astype(int)
    counts = both.groupby(["before", "after"]).size()
    shares = (counts / counts.groupby(level="before").transform("sum")).rename("share")
    assert accepted(ch05.r_migration, shares.reset_index(), capsys)
    # a merge of the two dates' tables
    merged = (
        before.rename("before")
        .reset_index()
        .merge(after.rename("after").reset_index(), on="customer_id")
    )
    matrix = pd.crosstab(merged["before"], merged["after"], normalize="index")
    assert accepted(ch05.r_migration, matrix.stack().rename("share").reset_index(), capsys)

    counted = long(customer_value.migration(before, after, normalize=False))
    assert "counts" in refused(ch05.r_migration, counted)
    columns = pd.crosstab(both["before"], both["after"], normalize="columns")
    assert "columns' totals" in refused(ch05.r_migration, long(columns))
    outer = pd.DataFrame({"before": before, "after": after}).fillna(0).astype(int)
    kept = pd.crosstab(outer["before"], outer["after"], normalize="index")
    assert "both dates" in refused(ch05.r_migration, long(kept))
    # the matrix of the whole scores (a 5×5 frame), not the long table: refused, told why
    assert "column" in refused(ch05.r_migration, customer_value.migration(before, after))


# ---------------------------------------------------------------- task 3: the bank's pyramid


def test_bank_layers(capsys):
    profit = customer_value.bank_profit(ch05.bank())
    by_profit = profit.set_index("customer_id")["profit"]
    right = customer_value.abc_layers(by_profit)
    assert accepted(ch05.bank_layers, right.reset_index(), capsys)
    assert accepted(ch05.bank_layers, right, capsys)  # a Series indexed by customer_id
    # by rank: the first 5 % of the sorted customers, by count
    ordered = profit.sort_values(["profit", "customer_id"], ascending=[False, True])
    position = np.arange(1, len(ordered) + 1) / len(ordered)
    cut = pd.cut(position, [0, 0.05, 0.20, 0.50, 1], labels=list("ABCD"))
    assert accepted(ch05.bank_layers, ordered[["customer_id"]].assign(layer=cut), capsys)

    income = customer_value.abc_layers(
        profit.set_index("customer_id")[["interest_margin", "fees"]].sum(axis=1)
    )
    assert "by income" in refused(ch05.bank_layers, income.reset_index())
    # the cost to serve alone, or the balances: other values, refused
    costs = customer_value.abc_layers(-profit.set_index("customer_id")["cost_to_serve"])
    assert refused(ch05.bank_layers, costs.reset_index())
    upside = customer_value.abc_layers(-by_profit)
    assert "on its head" in refused(ch05.bank_layers, upside.reset_index())
    share = ordered["profit"].cumsum() / ordered["profit"].sum()
    by_share = pd.cut(share, [-np.inf, 0.05, 0.20, 0.50, np.inf], labels=list("ABCD"))
    cumulative = ordered[["customer_id"]].assign(layer=by_share.astype(str))
    assert "number of customers" in refused(ch05.bank_layers, cumulative)


# ---------------------------------------------------------------- task 4: below zero


def test_the_data_hold_zero_profit_and_costly_non_buyers(ds):
    profit = customer_value.retail_profit(ds)
    assert (profit["profit"] == 0).any()
    assert ((profit["profit"] < 0) & (profit["receipts"] == 0)).any()


def test_below_zero(ds, capsys):
    profit = customer_value.retail_profit(ds)
    right = profit.loc[profit["profit"] < 0, "customer_id"]
    assert accepted(ch05.below_zero, right, capsys)
    assert accepted(ch05.below_zero, right.tolist(), capsys)
    computed = profit["margin"] - profit["cost_to_serve"]
    assert accepted(ch05.below_zero, profit.loc[computed < 0, "customer_id"], capsys)

    assert "use <, not <=" in refused(
        ch05.below_zero, profit.loc[profit["profit"] <= 0, "customer_id"]
    )
    assert "cost to serve" in refused(
        ch05.below_zero, profit.loc[profit["margin"] < 0, "customer_id"]
    )
    assert "cost to serve" in refused(
        ch05.below_zero, profit.loc[profit["revenue"] < 0, "customer_id"]
    )
    buyers = profit[(profit["profit"] < 0) & (profit["receipts"] > 0)]
    assert "bought nothing" in refused(ch05.below_zero, buyers["customer_id"])
    assert "table" in refused(ch05.below_zero, profit[profit["profit"] < 0])
    assert "repeats" in refused(ch05.below_zero, pd.concat([right, right]))


# ---------------------------------------------------------------- task 5: lifetime value


@pytest.fixture(scope="module")
def predicted(ds):
    summary = lifetime_value.summary(ds)
    return lifetime_value.fit(summary).predict(summary)


def test_margin_prediction(ds, predicted, capsys):
    right = predicted.set_index("customer_id")["value"]
    assert accepted(ch05.margin_prediction, right, capsys)
    # any method above the bar: the purchases times each customer's mean repeat margin
    summary = lifetime_value.summary(ds).set_index("customer_id")
    simple = predicted.set_index("customer_id")["purchases"] * summary["monetary_value"]
    assert accepted(ch05.margin_prediction, simple, capsys)
    # or last year's margin as next year's: a fair baseline, above the bar here
    last_year = customer_value.retail_profit(ds).set_index("customer_id")["margin"]
    assert accepted(ch05.margin_prediction, last_year, capsys)
    # the customers the model expects nothing from left out: they count as 0
    assert accepted(ch05.margin_prediction, right[right > 0.01], capsys)

    future = ds.truth("future_customers").set_index("customer_id")
    assert "too good" in refused(ch05.margin_prediction, future["margin"])
    noisy = future["margin"] * np.random.default_rng(5).uniform(0.95, 1.05, len(future))
    assert "too good" in refused(ch05.margin_prediction, noisy)
    # revenue: the named mistake, and any other prediction of revenue
    _, mistakes = answer_key(ch05.margin_prediction)
    revenue = next(v for k, v in mistakes.items() if "revenue" in k)
    assert "in revenue" in refused(ch05.margin_prediction, revenue)
    last_revenue = customer_value.retail_profit(ds).set_index("customer_id")["revenue"]
    assert "revenue rather than margin" in refused(ch05.margin_prediction, last_revenue)
    daily = lifetime_value.occasions(ds)
    to_date = daily.groupby("customer_id")["margin"].sum()
    assert "margin to date" in refused(ch05.margin_prediction, to_date)
    purchases = predicted.set_index("customer_id")["purchases"]
    assert "number of purchases" in refused(ch05.margin_prediction, purchases)
    assert "far below" in refused(ch05.margin_prediction, right / 3)
    # the right values, but indexed by row number instead of customer
    assert "row numbers" in refused(ch05.margin_prediction, predicted["value"])
    assert "Series" in refused(ch05.margin_prediction, predicted)
    assert "NaN" in refused(ch05.margin_prediction, right.where(right > 1))
    # a constant: its ranks say nothing
    assert "rank correlation" in refused(
        ch05.margin_prediction, pd.Series(future["margin"].mean(), index=future.index)
    )


def test_the_bar_is_a_share_of_what_the_model_reaches(predicted):
    figures, _ = lifetime_value.score(
        predicted.set_index("customer_id")["value"],
        ch05.data().truth("future_customers").set_index("customer_id")["margin"],
    )
    assert ch05.rank_bar() <= ch05.RANK_SHARE * figures["rank_correlation"]
    assert ch05.rank_bar() > ch05.RANK_SHARE * figures["rank_correlation"] - 0.01
    assert abs(figures["total_error"]) < ch05.TOTAL_TOLERANCE / 2


# ---------------------------------------------------------------- task 6: the trigger


def test_the_data_hold_customers_already_above_the_threshold(ds, receipts):
    before = receipts.loc[receipts["day"] < ds.as_of.replace(day=1)]
    assert (before.groupby("customer_id")["total"].sum() >= ch05.THRESHOLD).any()


def test_trigger(ds, receipts, capsys):
    as_of, threshold = ds.as_of, ch05.THRESHOLD
    right = customer_value.crossings(receipts, as_of, threshold)["customer_id"]
    assert accepted(ch05.trigger, right, capsys)
    params = {"month_end": f"{as_of:%Y-%m-%d}", "threshold": threshold}
    assert accepted(ch05.trigger, ds.sql(customer_value.TRIGGER_SQL, params)["customer_id"], capsys)
    # Cannot tell: nobody's cumulative spend is exactly the threshold, and nobody crossed it
    # on the month's first day, so `>` for `>=`, or the day before counted with `<=` on the
    # first, give the same customers. Neither is a named mistake for that reason.
    first = as_of.replace(day=1)
    by_end = receipts.loc[receipts["day"] <= as_of].groupby("customer_id")["total"].sum()
    before = receipts.loc[receipts["day"] < first].groupby("customer_id")["total"].sum()
    before = before.reindex(by_end.index, fill_value=0)
    strict = by_end.index[(by_end > threshold) & (before < threshold)]
    assert accepted(ch05.trigger, strict, capsys)

    above = by_end.index[by_end >= threshold]
    assert "already above" in refused(ch05.trigger, above)
    month = receipts.loc[receipts["day"] >= first].groupby("customer_id")["total"].sum()
    assert "month alone" in refused(ch05.trigger, month.index[month >= threshold])
    assert "repeats" in refused(ch05.trigger, pd.concat([right, right]))
    # the customers of the month before: refused
    previous = customer_value.crossings(receipts, first - pd.Timedelta(days=1), threshold)
    assert refused(ch05.trigger, previous["customer_id"])
