"""The campaign simulator (generator.simulate): outcomes drawn from the build's hidden future
and latent truth, the same for the same list, and one clear error for a bad one."""

import numpy as np
import pandas as pd
import pytest

import generator
from generator.simulator import CampaignError

from conftest import ROOT

COFFEE = {"category": "coffee", "channel": "email", "coupon_value": 1.5}


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail", ROOT / "datasets")


@pytest.fixture(scope="module")
def emailable(retail):
    customers = retail["customers"]
    return customers.loc[customers.consent_email, "customer_id"].to_numpy()


@pytest.fixture(scope="module")
def outcome(retail, emailable):
    return generator.simulate(retail, COFFEE, emailable, holdout=0.5)


def test_the_control_group_does_what_the_hidden_future_says(retail, outcome):
    """Held out, a customer does exactly what the future truth records without a campaign;
    so the control group's response rate is the future's rate for such customers."""
    first = retail.as_of + pd.Timedelta(days=1)
    last = first + pd.Timedelta(days=27)
    coffee = retail["products"].query("category == 'coffee'").product_id
    future = retail.truth("future_purchases")
    window = future[future.product_id.isin(coffee) & future.purchased_on.between(first, last)]
    bought = outcome.customers.customer_id.isin(window.customer_id)
    control = outcome.customers.group == "control"
    assert (outcome.customers.responded[control] == bought[control]).all()
    # in distribution: the control rate is the whole list's no-campaign rate, within noise
    rate, n = bought.mean(), control.sum()
    assert abs(outcome.customers.responded[control].mean() - rate) < 3 * np.sqrt(
        rate * (1 - rate) / n
    )


def test_the_control_group_measures_the_true_uplift(outcome):
    summary = outcome.summary()
    treated = outcome.customers.group == "treatment"
    true = outcome.truth.uplift[treated].mean()
    assert summary.incremental_response_low <= true <= summary.incremental_response_high
    assert 0.01 < true < 0.15  # a real-strength effect
    assert summary.response_rate_contacted > summary.response_rate_held_out


def test_the_same_list_gives_the_same_outcome_in_any_order(retail, emailable, outcome):
    again = generator.simulate(retail, COFFEE, emailable[::-1], holdout=0.5)
    a = outcome.customers.sort_values("customer_id").reset_index(drop=True)
    b = again.customers.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert again.true_incremental_profit == outcome.true_incremental_profit


def test_a_customers_outcome_does_not_depend_on_the_rest_of_the_list(retail, emailable, outcome):
    some = emailable[::7]
    part = generator.simulate(retail, COFFEE, some, holdout=0.5).customers
    whole = outcome.customers.set_index("customer_id").loc[some].reset_index()
    pd.testing.assert_frame_equal(part, whole)


def test_another_campaign_draws_afresh(retail, emailable, outcome):
    other = generator.simulate(retail, {**COFFEE, "coupon_value": 2.0}, emailable, holdout=0.5)
    assert (other.customers.group != outcome.customers.group).any()


def test_a_bigger_coupon_moves_more_customers(retail, emailable, outcome):
    bigger = generator.simulate(retail, {**COFFEE, "coupon_value": 4.0}, emailable, holdout=0.5)
    assert bigger.truth.uplift.mean() > outcome.truth.uplift.mean()


def test_profit_adds_up(outcome):
    c = outcome.customers
    assert np.allclose(c.profit, c.margin - c.contact_cost, atol=0.011)
    assert (c.contact_cost[c.group == "control"] == 0).all()
    assert (c.discount[~c.responded] == 0).all()


@pytest.mark.parametrize(
    "ids, message",
    [
        ([], "the list of customers is empty"),
        ([1, 1], "1 customer id is listed more than once"),
        ([10**9, 10**9 + 1], "2 customer ids are not in this database"),
        (["seven"], "whole numbers"),
    ],
)
def test_a_bad_list_gets_one_clear_error(retail, ids, message):
    with pytest.raises(CampaignError, match=message):
        generator.simulate(retail, COFFEE, ids)


def test_customers_who_refused_the_channel_are_refused(retail):
    refused = retail["customers"].query("not consent_sms").customer_id.head(3)
    with pytest.raises(CampaignError, match="did not agree to be contacted by sms"):
        generator.simulate(retail, {**COFFEE, "channel": "sms"}, refused)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"category": "caviar"}, "unknown category"),
        ({"channel": "pigeon"}, "unknown channel"),
        ({"coupon_value": -1}, "coupon_value must be a positive amount"),
        ({"launched_on": "2025-06-01"}, "must run in the hidden future"),
        ({"response_days": 400}, "must run in the hidden future"),
        ({"budget": 10}, "unknown campaign setting 'budget'"),
    ],
)
def test_a_bad_campaign_gets_one_clear_error(retail, emailable, change, message):
    with pytest.raises(CampaignError, match=message):
        generator.simulate(retail, {**COFFEE, **change}, emailable[:5])


def test_a_bad_holdout_or_a_build_without_a_simulator_is_refused(retail, emailable):
    with pytest.raises(CampaignError, match="holdout"):
        generator.simulate(retail, COFFEE, emailable[:5], holdout=1.5)
    with pytest.raises(CampaignError, match="no campaign simulator yet"):
        generator.simulate(generator.load("bank", ROOT / "datasets"), COFFEE, [1])
