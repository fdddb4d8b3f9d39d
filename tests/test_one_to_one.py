"""Chapter 07's one-to-one functions: purchase intervals from a customer's own history, the
next purchase predicted and scored against the hidden future, and personal shopping lists scored
by how much of the next month's basket they cover."""

import pandas as pd
import pytest

import generator
from course import one_to_one
from generator.industries.retail import CYCLE

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail")


@pytest.fixture(scope="module")
def estimated(retail):
    """Each customer's interval per replenished category, beside the truth's interval of the
    purchases here (the need's cycle over the share bought here)."""
    days = one_to_one.purchase_days(retail, retail.as_of, CYCLE)
    table = one_to_one.intervals(days)
    truth = retail.truth("purchase_cycles").merge(retail.truth("wallet"))
    truth = truth.assign(category=truth["category"].astype(str))
    truth["here_days"] = truth["cycle_days"] / truth["share"]
    return table.merge(truth[["customer_id", "category", "here_days"]])


def test_intervals_of_a_customer_by_hand():
    days = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3, 3],
            "category": ["coffee"] * 4 + ["coffee", "tea", "tea"],
            "day": pd.to_datetime(
                ["2025-01-01", "2025-01-11", "2025-01-21", "2025-03-02", "2025-01-05"]
                + ["2025-02-01", "2025-02-15"]
            ),
        }
    )
    table = one_to_one.intervals(days).set_index(["customer_id", "category"])
    assert list(table.index) == [(1, "coffee"), (3, "tea")]  # one purchase day: no interval
    assert table.loc[(1, "coffee"), "mean_gap"] == pytest.approx(60 / 3)
    assert table.loc[(1, "coffee"), "median_gap"] == 10
    assert table.loc[(3, "tea"), "purchase_days"] == 2
    predicted = one_to_one.next_purchase(table.reset_index(), "2025-03-10")
    assert list(predicted["predicted_on"]) == list(pd.to_datetime(["2025-03-22", "2025-03-11"]))


def test_the_interval_estimate_improves_with_history(estimated):
    error = (estimated["mean_gap"] / estimated["here_days"] - 1).abs()
    short = error[estimated["purchase_days"] <= 3].median()
    long = error[estimated["purchase_days"] > 20].median()
    assert long < 0.2 < short
    # the store sees the purchases here, not the need: the interval is the cycle over the share
    ratio = (estimated["mean_gap"] / estimated["here_days"]).median()
    assert ratio == pytest.approx(1, abs=0.1)


def test_the_next_purchase_is_predicted_better_than_from_the_category_alone(retail, estimated):
    future = retail.truth("future_next_purchases")
    own = one_to_one.next_purchase(estimated, retail.as_of)
    typical = estimated.groupby("category")["mean_gap"].transform("median")
    by_category = one_to_one.next_purchase(estimated.assign(mean_gap=typical), retail.as_of)
    errors = {
        name: one_to_one.next_purchase_error(p, future)["error_days"].abs().median()
        for name, p in {"own": own, "category": by_category}.items()
    }
    assert errors["own"] < errors["category"]
    scored = one_to_one.next_purchase_error(own, future)
    assert scored["predicted_on"].gt(retail.as_of).all()
    assert scored["next_purchase_on"].isna().any()  # some never buy it again


def test_a_personal_list_covers_much_more_of_the_next_month_than_the_bestsellers(retail):
    lists = one_to_one.shopping_lists(retail, retail.as_of, size=10)
    assert lists.groupby("customer_id").size().max() == 10
    assert lists["rank"].min() == 1
    future = retail.truth("future_purchases")
    first = retail.as_of + pd.Timedelta(days=1)
    personal = one_to_one.coverage(lists, future, first)
    counts = retail["transaction_items"].groupby("product_id").size()
    best = counts.sort_values(ascending=False, kind="stable").index[:10]
    everyone = lists["customer_id"].unique()
    bestsellers = pd.MultiIndex.from_product([everyone, best], names=["customer_id", "product_id"])
    common = one_to_one.coverage(bestsellers.to_frame(index=False), future, first)
    assert personal["coverage"].mean() > 0.4 > 0.1 > common["coverage"].mean()
    assert personal["coverage"].between(0, 1).all()


def test_lists_know_nothing_after_their_date(retail):
    day = retail.as_of - pd.Timedelta(days=200)

    class Before:
        def __getitem__(self, name):
            table = retail[name]
            if name == "transactions":
                return table[table["timestamp"].dt.normalize() <= day]
            return table

    pd.testing.assert_frame_equal(
        one_to_one.shopping_lists(retail, day), one_to_one.shopping_lists(Before(), day)
    )
    pd.testing.assert_frame_equal(
        one_to_one.purchase_days(retail, day), one_to_one.purchase_days(Before(), day)
    )


def test_timed_sends_go_a_few_days_before_each_due_date():
    as_of = pd.Timestamp("2025-12-31")
    predicted = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "category": ["coffee"] * 4,
            "predicted_on": pd.to_datetime(
                ["2026-01-01", "2026-01-10", "2026-01-28", "2026-02-20"]
            ),
        }
    )
    sends = one_to_one.timed_sends(predicted, as_of, lead=3, horizon=28)
    assert sends.customer_id.tolist() == [1, 2, 3]  # the fourth is not due within 28 days
    expected = pd.to_datetime(["2026-01-01", "2026-01-07", "2026-01-25"])
    assert (sends.sent_on.to_numpy() == expected.to_numpy()).all()


def test_the_share_of_wallet_from_behaviour_ranks_the_truths_where_needs_are_alike(retail):
    """Where every buyer needs about as much (a replenished category, one cycle for all), the
    days bought here against the best customers' rank the true share well; where needs differ
    (pain relievers: light to heavy users; baby food: babies and occasional buyers) less well,
    because a small need looks like a small share."""
    days = one_to_one.purchase_days(retail, retail.as_of)
    table = one_to_one.category_share(days, retail.as_of)
    table = table.merge(one_to_one.true_category_share(retail), on=["customer_id", "category"])
    assert table.share.between(0, 1).all()
    rank = {
        category: group.share.corr(group.true_share, method="spearman")
        for category, group in table.groupby("category")
    }
    for category in ("coffee", "detergent", "toilet_paper", "pet_food"):
        assert rank[category] > 0.5, rank
    assert rank["pain_reliever"] < rank["detergent"]
    assert rank["baby_food"] < rank["detergent"]
