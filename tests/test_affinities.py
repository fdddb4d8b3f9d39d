"""Chapter 07's affinities: association rules with mlxtend recover the supermarket's planted
affinity, and the lift within receipts of the same size tells it from the many rules a careless
threshold finds."""

import pandas as pd
import pytest

import generator
from course import affinities

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail")


@pytest.fixture(scope="module")
def baskets(retail):
    return affinities.baskets(retail, retail.as_of)


@pytest.fixture(scope="module")
def found(baskets):
    return affinities.within_size(baskets, affinities.rules(baskets, min_support=0.005))


def test_support_confidence_and_lift_are_the_textbook_ones():
    baskets = pd.DataFrame(
        {
            "a": [1, 1, 1, 0, 0, 0, 1, 0],
            "b": [1, 1, 0, 1, 0, 0, 1, 0],
            "c": [0, 1, 0, 1, 1, 0, 0, 1],
        }
    ).astype(bool)
    rules = affinities.rules(baskets, min_support=0.1).set_index(["antecedent", "consequent"])
    rule = rules.loc[("a", "b")]
    assert rule.support == 3 / 8  # both
    assert rule.confidence == 3 / 4  # both, of those with a
    assert rule.lift == pytest.approx((3 / 4) / (4 / 8))  # over b's share


def test_baskets_hold_every_receipt_up_to_the_date(retail, baskets):
    seen = retail["transactions"]
    assert len(baskets) == (seen.timestamp.dt.normalize() <= retail.as_of).sum()
    assert baskets.any(axis=1).all()
    earlier = affinities.baskets(retail, retail.as_of - pd.Timedelta(days=90))
    assert len(earlier) < len(baskets)


def test_the_planted_affinity_is_the_strongest_rule(found):
    assert affinities.planted_pairs() == {frozenset({"nappies", "baby_food"})}
    top = found.iloc[0]
    assert {top.antecedent, top.consequent} == {"nappies", "baby_food"}
    assert top.lift > 3 and top.lift_within_size > 3


def test_a_careless_threshold_finds_many_spurious_pairs_and_basket_size_explains_them(found):
    planted = affinities.planted_pairs()
    careless = affinities.recovery(found, planted, min_lift=1.0)
    assert careless.planted_found == 1
    assert careless.spurious >= 20  # big baskets hold more of everything
    within = affinities.recovery(found, planted, min_lift=1.2, lift="lift_within_size")
    assert within.planted_found == 1 and within.spurious == 0
