"""Case C1's nine cells: pain-reliever buyers by brand class and usage class from the receipts,
against the truth's brand preference and usage."""

import numpy as np
import pandas as pd
import pytest

import generator
from course import brand_usage
from generator.simulator import CampaignError

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail")


@pytest.fixture(scope="module")
def table(retail):
    return brand_usage.cells(brand_usage.buyers(retail, retail.as_of))


def test_a_buyer_by_hand():
    table = pd.DataFrame(
        {"units": [4, 4, 4], "store_units": [4, 0, 2], "purchase_days": [1, 5, 9]},
        index=pd.Index([1, 2, 3], name="customer_id"),
    )
    table.insert(2, "store_share", table["store_units"] / table["units"])
    out = brand_usage.cells(table)
    assert out["brand_class"].astype(str).tolist() == ["store", "national", "switcher"]
    assert out["usage_class"].astype(str).tolist() == ["light", "medium", "heavy"]
    assert out.loc[3, "cell"] == "switcher/heavy"


def test_every_one_of_the_nine_cells_holds_buyers(table):
    counts = table.groupby(["brand_class", "usage_class"], observed=False).size()
    assert len(counts) == 9 and (counts >= 10).all()
    assert (
        table["usage_class"].value_counts().max() - table["usage_class"].value_counts().min() <= 1
    )


def test_the_brand_class_is_read_well_and_the_usage_class_less_so(retail, table):
    truth = retail.truth("customer_truth").set_index("customer_id").loc[table.index]
    brand = pd.crosstab(truth["pain_brand"], table["brand_class"], normalize="index")
    assert brand.loc["national", "national"] > 0.85
    assert brand.loc["store", "store"] > 0.85
    assert brand.loc["switcher", "switcher"] > 0.5
    usage = pd.crosstab(truth["pain_usage"], table["usage_class"], normalize="index")
    assert usage.loc["heavy", "heavy"] > usage.loc["heavy", "light"]
    assert usage.loc["light", "light"] > usage.loc["light", "heavy"]
    assert usage.loc["heavy", "heavy"] < 0.85  # a heavy user who buys elsewhere looks lighter


def test_buyers_know_nothing_after_their_date(retail):
    day = retail.as_of - pd.Timedelta(days=200)
    early = brand_usage.buyers(retail, day)
    receipts = retail["transactions"]
    kept = receipts[receipts["timestamp"].dt.normalize() <= day]
    cut = {
        "products": retail["products"],
        "transactions": kept,
        "transaction_items": retail["transaction_items"][
            retail["transaction_items"]["transaction_id"].isin(kept["transaction_id"])
        ],
    }
    pd.testing.assert_frame_equal(brand_usage.buyers(cut, day), early)


def test_the_shopping_list_goes_to_customers_spending_over_25_a_week(retail):
    members = brand_usage.list_members(retail, retail.as_of)
    assert len(members) == len(retail["customers"])
    receipts = retail["transactions"]
    day = retail.as_of.normalize()
    recent = receipts[
        (receipts.timestamp.dt.normalize() > day - pd.Timedelta(days=56))
        & (receipts.timestamp.dt.normalize() <= day)
    ]
    by_hand = recent.groupby("customer_id").total.sum() / 8
    assert np.allclose(members.weekly_spend.loc[by_hand.index], by_hand.round(2))
    assert (members.member == (members.weekly_spend > 25)).all()
    assert 0.05 < members.member.mean() < 0.4


@pytest.fixture(scope="module")
def one_size(retail, table):
    return brand_usage.simulate_offer(retail, table, {c: 1.0 for c in brand_usage.CELLS})


def test_an_offer_per_cell_adds_up_and_is_the_simulators(retail, table, one_size):
    cells = one_size.drop("total")
    assert list(cells.index) == list(brand_usage.CELLS)
    for column in ("listed", "contacted", "held_out", "true_value", "true_incremental_profit"):
        assert np.isclose(one_size.loc["total", column], cells[column].sum())
    assert (cells.contacted + cells.held_out == cells.listed).all()
    # the cells of one coupon value are one campaign: the same as simulating it directly
    agreed = retail["customers"].set_index("customer_id").consent_email
    ids = table.index[agreed.loc[table.index].to_numpy()]
    coupon = {"category": "pain_reliever", "channel": "email", "coupon_value": 1.0}
    outcome = generator.simulate(retail, {**coupon, "brand": "store"}, ids, holdout=0.5)
    total = one_size.loc["total"]  # the sum of the cells, each to the cent
    assert np.isclose(total["true_value"], outcome.truth.incremental_profit.sum(), atol=0.05)
    assert np.isclose(total["true_incremental_profit"], outcome.true_incremental_profit, atol=0.05)


def test_heavy_users_buy_anyway_so_their_big_coupon_is_mostly_a_subsidy(retail, table, one_size):
    small = brand_usage.simulate_offer(retail, table, {c: 0.25 for c in brand_usage.CELLS})
    big = brand_usage.simulate_offer(retail, table, {c: 2.0 for c in brand_usage.CELLS})
    for cell in ("store/heavy", "switcher/heavy", "national/heavy"):
        assert big.loc[cell, "true_value"] < small.loc[cell, "true_value"]
    seeds = {
        c: {"light": 0.5, "medium": 1.0, "heavy": 2.0}[c.split("/")[1]] for c in small.index[:-1]
    }
    assert (
        brand_usage.simulate_offer(retail, table, seeds).loc["total", "true_value"]
        < (one_size.loc["total", "true_value"])
    )


@pytest.mark.parametrize(
    "plan, message",
    [({"store/huge": 1.0}, "unknown cell 'store/huge'"), ({"store/light": 0}, "sends nothing")],
)
def test_a_bad_plan_gets_one_clear_error(retail, table, plan, message):
    with pytest.raises(CampaignError, match=message):
        brand_usage.simulate_offer(retail, table, plan)


def test_a_maker_funded_coupon_moves_the_coupons_cost_to_the_maker(retail, table):
    agreed = retail["customers"].set_index("customer_id").consent_email
    ids = table.index[agreed.loc[table.index].to_numpy()]
    coupon = {"category": "pain_reliever", "channel": "email", "coupon_value": 1.0}
    outcome = generator.simulate(retail, {**coupon, "brand": "national"}, ids)
    deal = brand_usage.funded(retail, outcome)
    gap = deal.chain_profit_if_funded - deal.chain_profit_if_not
    assert np.isclose(gap, deal.coupons_paid, atol=0.02) and deal.coupons_paid > 0
    assert deal.maker_profit < deal.extra_units * 5
    with pytest.raises(ValueError, match="national-brand coupon"):
        brand_usage.funded(retail, generator.simulate(retail, {**coupon, "brand": "store"}, ids))
