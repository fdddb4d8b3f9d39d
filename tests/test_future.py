"""The hidden future: the 12 months after the as-of date, simulated with the same latent model
and written only to the truth (``_truth/future_*``), so that predictions can be scored.

Industries with a hidden future so far: retail.
"""

import hashlib

import numpy as np
import pandas as pd
import pytest

import generator
from generator.population import FUTURE_MONTHS

from conftest import ROOT

WITH_FUTURE = ["retail"]


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail", ROOT / "datasets")


@pytest.mark.parametrize("industry", WITH_FUTURE)
def test_what_students_see_is_the_same_without_the_future(industry, tmp_path):
    """The future is simulated either way; a build without it leaves out its truth files,
    and every other data file is byte for byte the same."""
    options = dict(customers=400, seed=11, formats=("csv.gz",))
    generator.build([industry], tmp_path / "with", **options)
    generator.build([industry], tmp_path / "without", future=False, **options)
    with_future = _files(tmp_path / "with" / industry)
    without = _files(tmp_path / "without" / industry)
    described = {"manifest.json", "DATA_DICTIONARY.md"}  # they list what the build holds
    future = {name for name in with_future if name.startswith("_truth/future_")}
    assert future, "no future tables written"
    assert set(without) == set(with_future) - future
    assert {k: v for k, v in without.items() if k not in described} == {
        k: v for k, v in with_future.items() if k not in described | future
    }
    ds = generator.load(industry, tmp_path / "without")
    with pytest.raises(KeyError, match="no hidden future"):
        ds.truth("future_customers")


def test_the_future_begins_after_the_as_of_date_and_lasts_a_year(retail):
    bought = retail.truth("future_purchases")
    assert bought.purchased_on.min() > retail.as_of
    assert bought.purchased_on.max() <= retail.as_of + pd.DateOffset(months=FUTURE_MONTHS)
    assert retail["transactions"].timestamp.max() < retail.as_of + pd.Timedelta(days=1)


def test_each_customers_future_adds_up(retail):
    bought = retail.truth("future_purchases")
    future = retail.truth("future_customers").set_index("customer_id")
    assert len(future) == len(retail["customers"])
    spend = bought.groupby("customer_id").amount.sum().reindex(future.index, fill_value=0)
    margin = bought.groupby("customer_id").margin.sum().reindex(future.index, fill_value=0)
    trips = bought.groupby("customer_id").transaction_id.nunique()
    assert np.allclose(spend, future.spend, atol=0.01)
    assert np.allclose(margin, future.margin, atol=0.01)
    assert (trips.reindex(future.index, fill_value=0) == future.trips).all()
    # receipts go on numbering after each customer's last seen receipt
    last_seen = retail["transactions"].groupby("customer_id").transaction_id.max()
    first_future = bought.groupby("customer_id").transaction_id.min()
    both = last_seen.index.intersection(first_future.index)
    assert (first_future[both] > last_seen[both]).all()


def test_nobody_who_left_comes_back_and_leavers_stop(retail):
    truth = retail.truth("customer_truth").set_index("customer_id")
    future = retail.truth("future_customers").set_index("customer_id")
    gone = truth.index[truth.stopped_on.notna()]
    assert (future.loc[gone, "trips"] == 0).all()
    leaving = future[future.leaves_on.notna()]
    assert 0.02 * len(future) < len(leaving) < 0.3 * len(future)
    bought = retail.truth("future_purchases").merge(leaving.reset_index(), on="customer_id")
    assert (bought.purchased_on < bought.leaves_on).all()


def test_recency_predicts_the_hidden_future_but_not_perfectly(retail):
    t = retail["transactions"]
    recency = (retail.as_of - t.groupby("customer_id").timestamp.max()).dt.days
    fifth = pd.qcut(recency.rank(method="first"), 5, labels=False)
    future = retail.truth("future_customers").set_index("customer_id").loc[recency.index]
    buys = (future.trips > 0).groupby(fifth).mean()
    spend = future.spend.groupby(fifth).mean()
    assert buys.iloc[0] > 0.9 and spend.iloc[0] > 10 * spend.iloc[-1]
    assert 0.03 < buys.iloc[-1] < 0.4  # some of the most lapsed come back


def test_next_purchases_are_the_first_of_each_replenished_category(retail):
    nxt = retail.truth("future_next_purchases")
    cycles = retail.truth("purchase_cycles")
    assert len(nxt) == len(cycles)
    bought = retail.truth("future_purchases").merge(
        retail["products"][["product_id", "category"]], on="product_id"
    )
    first = bought.groupby(["customer_id", "category"], observed=True).purchased_on.min()
    known = nxt.dropna(subset=["next_purchase_on"]).set_index(["customer_id", "category"])
    assert (first.reindex(known.index) == known.next_purchase_on).all()
    assert 0.3 < known.shape[0] / len(nxt) < 0.95


def test_margins_are_a_supermarkets_and_store_brands_earn_more(retail):
    products = retail["products"]
    margin = 1 - products.unit_cost / products.price
    assert (margin > 0).all() and 0.2 < margin.mean() < 0.35
    by_brand = margin.groupby(products.store_brand).mean()
    assert by_brand[True] > by_brand[False] + 0.05
    bought = retail.truth("future_purchases").merge(products, on="product_id")
    expected = (bought.amount - bought.quantity * bought.unit_cost).round(2)
    assert np.allclose(expected, bought.margin, atol=0.011)
