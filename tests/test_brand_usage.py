"""Case C1's nine cells: pain-reliever buyers by brand class and usage class from the receipts,
against the truth's brand preference and usage."""

import pandas as pd
import pytest

import generator
from course import brand_usage


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
