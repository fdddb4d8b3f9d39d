"""Chapter 05's measures of a customer: RFM, profit after the cost to serve, the ABC pyramid,
share of wallet and the spend trigger. Each agrees with its other form (pandas and SQL, the
marketing table of chapter 01) and behaves as the lesson says on the default databases."""

import sqlite3

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import generator
from course import customer_value as cv
from course import marketing_db

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail")


@pytest.fixture(scope="module")
def bank():
    return generator.load("bank")


@pytest.fixture(scope="module")
def scores(retail):
    return cv.rfm_scores(cv.rfm(retail["transactions"], retail.as_of))


@pytest.fixture(scope="module")
def profit(retail):
    return cv.retail_profit(retail).set_index("customer_id")


@pytest.fixture(scope="module")
def bank_profit(bank):
    return cv.bank_profit(bank).set_index("customer_id")


# ------------------------------------------------------------------------------------ RFM


@pytest.mark.parametrize("days_before", [0, 200])
def test_rfm_is_the_marketing_tables_recency_frequency_and_monetary(retail, days_before):
    day = retail.as_of - pd.Timedelta(days=days_before)
    table = cv.rfm(retail["transactions"], day).set_index("customer_id")
    marketing = marketing_db.marketing_table(retail, day).set_index("customer_id")
    marketing = marketing.dropna(subset=["recency_days"])
    assert table.index.equals(marketing.index)
    assert (table["recency_days"] == marketing["recency_days"]).all()
    assert (table["frequency"] == marketing["frequency_12m"]).all()
    assert np.allclose(table["monetary"], marketing["monetary_12m"], atol=0.006)


@pytest.mark.parametrize("days_before", [0, 365])
def test_the_sql_scores_are_the_pandas_scores(retail, days_before):
    day = retail.as_of - pd.Timedelta(days=days_before)
    scored = cv.rfm_scores(cv.rfm(retail["transactions"], day))
    sql = retail.sql(cv.RFM_SQL, {"as_of": day.strftime("%Y-%m-%d")})
    assert sql["customer_id"].tolist() == scored["customer_id"].tolist()
    for column in ["recency_days", "frequency", "r", "f", "m", "cell"]:
        assert sql[column].tolist() == scored[column].tolist(), column
    assert np.allclose(sql["monetary"], scored["monetary"])


def test_each_sql_part_runs_alone(retail):
    measures = retail.sql(cv.RFM_PARTS["measures"], {"as_of": f"{retail.as_of:%Y-%m-%d}"})
    assert len(measures) == retail["transactions"]["customer_id"].nunique()


@given(st.lists(st.integers(0, 6), min_size=1, max_size=40), st.integers(1, 7))
def test_ntile_is_sqls_ntile(values, groups):
    series = pd.Series(values, index=pd.Index(range(100, 100 + len(values)), name="customer_id"))
    with sqlite3.connect(":memory:") as db:
        db.execute("CREATE TABLE t (customer_id INTEGER, v INTEGER)")
        db.executemany("INSERT INTO t VALUES (?, ?)", list(series.items()))
        rows = db.execute(
            f"SELECT customer_id, NTILE({groups}) OVER (ORDER BY v, customer_id) FROM t"
        ).fetchall()
    assert cv.ntile(series, groups).to_dict() == dict(rows)


def test_scores_are_quintiles_with_five_the_best(scores):
    assert scores[["r", "f", "m"]].apply(lambda s: s.value_counts().nunique()).eq(1).all()
    by_r = scores.groupby("r")["recency_days"]
    assert (by_r.max().drop(1).to_numpy() <= by_r.min().drop(5).to_numpy()).all()
    assert scores.groupby("f")["frequency"].mean().is_monotonic_increasing
    assert scores.groupby("m")["monetary"].mean().is_monotonic_increasing
    assert scores["cell"].str.fullmatch("[1-5]{3}").all()


def test_every_r_f_pair_has_exactly_one_named_segment():
    pairs = [(r, f) for _, _, rs, fs in cv.RFM_SEGMENTS for r in rs for f in fs]
    assert sorted(pairs) == [(r, f) for r in range(1, 6) for f in range(1, 6)]


def test_every_customer_gets_a_segment(scores):
    assert scores["segment"].notna().all()
    assert list(scores["segment"].cat.categories) == cv.SEGMENT_ORDER


def test_recency_predicts_the_future_but_not_perfectly(retail, scores):
    future = cv.by_score(scores, retail.truth("future_customers"))
    assert future["bought_again"].is_monotonic_increasing
    assert future["spend"].is_monotonic_increasing
    assert future.loc[5, "bought_again"] > 0.9
    assert 0.02 < future.loc[1, "bought_again"] < 0.5  # some "lost" customers come back


def test_migration_rows_are_shares_of_the_customers_seen_on_both_dates(retail, scores):
    before = cv.rfm_scores(cv.rfm(retail["transactions"], retail.as_of - pd.Timedelta(days=365)))
    matrix = cv.migration(
        before.set_index("customer_id")["segment"], scores.set_index("customer_id")["segment"]
    )
    assert np.allclose(matrix.sum(axis=1), 1)
    counts = cv.migration(
        before.set_index("customer_id")["r"], scores.set_index("customer_id")["r"], False
    )
    assert counts.to_numpy().sum() == len(set(before["customer_id"]) & set(scores["customer_id"]))
    assert np.diag(counts).sum() < counts.to_numpy().sum()  # scores move
    assert counts.loc[5, 5] > counts.loc[5, 1]  # but not at random


# ------------------------------------------------------------------- profit and its layers


def test_retail_profit_is_margin_minus_the_cost_to_serve(retail, profit):
    assert (profit.index == retail["customers"]["customer_id"].sort_values().to_numpy()).all()
    lines = ["handling", "complaints", "coupons", "contacts"]
    assert np.allclose(profit[lines].sum(axis=1), profit["cost_to_serve"], atol=0.02)
    assert np.allclose(profit["margin"] - profit["cost_to_serve"], profit["profit"], atol=0.02)
    assert (profit["margin"] <= profit["revenue"]).all()
    assert 0.2 < profit["margin"].sum() / profit["revenue"].sum() < 0.45
    costs = retail["service_costs"].set_index("activity")["cost"]
    expected = (profit["receipts"] - profit["online_orders"]) * costs["store receipt"] + profit[
        "online_orders"
    ] * costs["online order"]
    assert np.allclose(profit["handling"], expected, atol=0.02)


def test_below_zero_supermarket_customers_are_the_expensive_to_serve(profit):
    below = profit[profit["profit"] < 0]
    rest = profit[(profit["profit"] >= 0) & (profit["receipts"] > 0)]
    assert 0 < len(below) < 0.2 * len(profit)
    online = lambda t: (t["online_orders"] / t["receipts"].clip(lower=1)).mean()  # noqa: E731
    assert online(below) > 2 * online(rest)


def test_the_last_years_margin_ranks_the_next_years(retail, profit):
    future = retail.truth("future_customers").set_index("customer_id")
    assert profit["margin"].corr(future["margin"], method="spearman") > 0.7


def test_bank_profit_adds_up_and_ranks_the_hidden_futures(bank, bank_profit):
    parts = bank_profit["interest_margin"] + bank_profit["fees"] - bank_profit["cost_to_serve"]
    assert np.allclose(parts, bank_profit["profit"], atol=0.02)
    future = bank.truth("future_customers").set_index("customer_id")
    assert bank_profit["profit"].corr(future["profit"], method="spearman") > 0.8
    ratio = bank_profit["profit"].sum() / future["profit"].sum()
    assert 0.75 < ratio < 1.25  # the same definition of profit, a year apart


def test_a_banks_profit_is_a_whale_curve(bank_profit):
    curve = cv.whale_curve(bank_profit["profit"])
    assert curve["share_of_profit"].iloc[-1] == pytest.approx(1)
    assert curve["share_of_profit"].max() > 1  # the profitable earn more than the whole base
    assert 0.1 < (bank_profit["profit"] < 0).mean() < 0.4


@pytest.mark.parametrize("n", [1, 7, 20, 101, 5000])
def test_the_pyramids_layers_have_their_sizes_and_order(n):
    value = pd.Series(np.random.default_rng(n).normal(size=n).round(1), name="profit")
    layer = cv.abc_layers(value)
    sizes = layer.value_counts().reindex(list(cv.ABC_LAYERS)).to_numpy()
    assert sizes.sum() == n
    assert np.allclose(sizes / n, list(cv.ABC_LAYERS.values()), atol=1 / n + 1e-9)
    tops = value.groupby(layer, observed=True).agg(["min", "max"])
    assert (tops["min"].to_numpy()[:-1] >= tops["max"].to_numpy()[1:]).all()


def test_the_layers_must_add_up_to_everyone():
    with pytest.raises(ValueError, match="add up to 1"):
        cv.abc_layers(pd.Series([1.0, 2.0]), {"A": 0.5, "B": 0.4})


def test_the_pyramid_by_profit_concentrates_profit_at_the_top(profit, bank_profit):
    for value in (profit["profit"], bank_profit["profit"]):
        table = cv.pyramid(value, cv.abc_layers(value))
        assert table["customers"].sum() == len(value)
        assert table["share_of_total"].sum() == pytest.approx(1)
        assert table.loc["A", "share_of_total"] > 0.25  # 5 % of customers
        assert table["per_customer"].is_monotonic_decreasing


# -------------------------------------------------------------------------- share of wallet


def test_the_true_wallet_adds_up(retail):
    wallet = cv.true_wallet(retail)
    assert np.allclose(wallet["ours"] + wallet["headroom"], wallet["need"], atol=0.02)
    assert wallet["share"].between(0, 1).all()


def test_a_wallet_estimated_from_peers_ranks_the_true_share(retail, profit):
    customers = retail["customers"].set_index("customer_id")
    year = customers["registered_on"] < retail.as_of - pd.Timedelta(days=364)
    spend = profit.loc[year[year].index, "revenue"]
    estimate = cv.wallet_estimate(spend, customers.loc[spend.index, "household_type"])
    assert estimate["share"].between(0, 1).all() and (estimate["headroom"] >= 0).all()
    truth = cv.true_wallet(retail).set_index("customer_id").loc[spend.index]
    assert 0.2 < estimate["share"].corr(truth["share"], method="spearman") < 0.9


# ------------------------------------------------------------------------ automated trigger


def test_the_monthly_trigger_in_sql_and_pandas_agree_and_fire_once(retail):
    threshold = 2000
    fired = []
    for month_end in pd.date_range(end=retail.as_of, periods=12, freq="ME"):
        sql = retail.sql(
            cv.TRIGGER_SQL, {"month_end": f"{month_end:%Y-%m-%d}", "threshold": threshold}
        )
        frame = cv.crossings(retail["transactions"], month_end, threshold)
        assert sql["customer_id"].tolist() == frame["customer_id"].tolist()
        assert (sql["by_month_end"] >= threshold).all() and (sql["before_month"] < threshold).all()
        fired += sql["customer_id"].tolist()
    assert len(fired) == len(set(fired)) > 0  # cumulative spend passes a threshold once
