"""Chapter 06's targeting: features that know nothing after their date, gains and lift, the
cut-off by profit, and the Qini curve scored against the true uplift."""

import numpy as np
import pandas as pd
import pytest

import generator
from course import targeting

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def bank():
    return generator.load("bank")


@pytest.fixture(scope="module")
def term_deposit(bank):
    """The bank's term-deposit campaign: features the day before its launch, who was
    contacted, who responded, and the true uplift of each listed customer."""
    campaign = bank["campaigns"].set_index("campaign_id").loc[1]
    day = campaign["launched_on"] - pd.Timedelta(days=1)
    listed = bank["campaign_contacts"].query("campaign_id == 1").set_index("customer_id")
    outcomes = bank["campaign_outcomes"].query("campaign_id == 1")["customer_id"]
    features = targeting.bank_features(bank, day).loc[listed.index]
    responded = pd.Series(listed.index.isin(outcomes), index=listed.index)
    truth = bank.truth("campaign_truth").query("campaign_id == 1").set_index("customer_id")
    return features, responded, listed["test_group"] == "treatment", truth["uplift"]


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail")


class Before:
    """A database as it stood on a day: every row dated after it taken away."""

    def __init__(self, ds, day):
        self.ds, self.day = ds, pd.Timestamp(day)

    def __getitem__(self, name):
        table, day = self.ds[name], self.day
        if name == "customers":
            return table[table["registered_on"] <= day]
        if name == "transactions" and "timestamp" in table:
            return table[table["timestamp"].dt.normalize() <= day]
        if name == "transaction_items":
            return table[table["transaction_id"].isin(self["transactions"]["transaction_id"])]
        if name == "coupon_redemptions":
            return table[table["redeemed_on"] <= day]
        if name == "accounts":
            table = table[table["opened_on"] <= day].copy()
            table.loc[table["closed_on"] > day, "closed_on"] = pd.NaT
            return table
        if name == "monthly_balances":
            return table[table["month_end"] <= day]
        if name == "transactions":
            return table[table["booked_on"] <= day]
        return table


@pytest.mark.parametrize("day", ["2024-11-05", "2025-06-17"])
def test_the_features_know_nothing_after_their_date(bank, day):
    full = targeting.bank_features(bank, day)
    cut = targeting.bank_features(Before(bank, day), day)
    pd.testing.assert_frame_equal(full, cut)


@pytest.mark.parametrize(
    ("day", "category"), [("2024-09-06", "pain_reliever"), ("2025-09-01", "detergent")]
)
def test_the_supermarkets_features_know_nothing_after_their_date(retail, day, category):
    full = targeting.retail_features(retail, day, category)
    cut = targeting.retail_features(Before(retail, day), day, category)
    pd.testing.assert_frame_equal(full, cut)


def test_the_supermarkets_features_describe_the_category(retail):
    day = pd.Timestamp("2025-09-01")
    features = targeting.retail_features(retail, day, "detergent")
    registered = retail["customers"].query("registered_on <= @day")["customer_id"]
    assert sorted(features.index) == sorted(registered)
    assert features.notna().all().all()
    assert features["store_brand_share"].between(0, 1).all()
    assert features["online_share"].between(0, 1).all()
    buyers = features["category_trips"] > 0
    assert 0.2 < buyers.mean() < 1
    assert (features.loc[buyers, "category_trips"] <= features.loc[buyers, "frequency"]).all()
    assert (features.loc[buyers, "days_since_category"] < 365).all()


def test_the_features_describe_every_registered_customer(bank):
    day = pd.Timestamp("2025-06-17")
    features = targeting.bank_features(bank, day)
    registered = bank["customers"].query("registered_on <= @day")["customer_id"]
    assert sorted(features.index) == sorted(registered)
    assert features.notna().all().all()
    assert (features["holds_current"] >= 0).all() and (features["days_since_tx"] >= 0).all()


def test_the_break_even_rate():
    assert targeting.break_even_rate(2.5, 125) == pytest.approx(0.02)
    with pytest.raises(ValueError, match="positive margin"):
        targeting.break_even_rate(2.5, 0)


def test_the_response_model_is_deterministic_and_better_than_chance(term_deposit):
    features, responded, treated, _ = term_deposit
    first = targeting.response_model(features[treated], responded[treated])
    again = targeting.response_model(features[treated], responded[treated])
    score = first.predict_proba(features)[:, 1]
    assert np.array_equal(score, again.predict_proba(features)[:, 1])
    table = targeting.gains(pd.Series(score, features.index)[treated], responded[treated])
    assert table.loc[1, "lift"] > 1.5


def test_gains_of_a_perfect_and_a_random_score():
    responded = pd.Series([1] * 10 + [0] * 90, index=range(100))
    perfect = targeting.gains(responded.astype(float), responded)
    assert (perfect["customers"] == 10).all()
    assert perfect.loc[1, "share_of_responders"] == 1
    assert perfect.loc[1, "lift"] == pytest.approx(10)
    assert perfect["cumulative_lift"].iloc[-1] == pytest.approx(1)
    flat = targeting.gains(pd.Series(0.5, index=range(100)), responded)
    assert flat.loc[1, "responders"] == 10  # ties go by customer_id: the first ten


def test_the_profit_cut_off():
    score = pd.Series([0.9, 0.8, 0.7, 0.6, 0.5], index=[1, 2, 3, 4, 5])
    responded = pd.Series([1, 1, 0, 1, 0], index=score.index)
    depths = targeting.profit_by_depth(score, responded, margin_per_response=10, contact_cost=4)
    assert depths["profit"].tolist() == [6, 12, 8, 14, 10]
    assert targeting.best_depth(depths)["contacted"] == 4


def test_qini_is_one_for_the_truth_and_near_zero_at_random():
    uplift = pd.Series(np.random.default_rng(1).uniform(-0.02, 0.2, 5000))
    curve = targeting.qini_against_truth(uplift, uplift)
    assert targeting.qini_coefficient(curve) == pytest.approx(1)
    noise = pd.Series(np.random.default_rng(2).random(5000))
    assert abs(targeting.qini_coefficient(targeting.qini_against_truth(noise, uplift))) < 0.1
    assert curve["model"].iloc[-1] == pytest.approx(uplift.sum())


def test_a_response_model_finds_some_uplift_but_not_all(term_deposit):
    features, responded, treated, uplift = term_deposit
    model = targeting.response_model(features[treated], responded[treated])
    score = pd.Series(model.predict_proba(features)[:, 1], features.index)
    qini = targeting.qini_coefficient(targeting.qini_against_truth(score, uplift))
    assert 0 < qini < 0.9  # it ranks buyers, not those the call changes


def test_a_response_model_for_the_store_brand_switch_picks_who_buys_anyway(retail):
    """The supermarket's pain-reliever campaign moves buyers to the store brand. A response
    model ranks the heavy buyers first, who buy anyway: against the true uplift it does no
    better than a random list (chapter 06's case for uplift models)."""
    campaign = retail["campaigns"].set_index("campaign_id").loc[3]
    assert campaign["category"] == "pain_reliever"
    day = campaign["launched_on"] - pd.Timedelta(days=1)
    listed = retail["campaign_contacts"].query("campaign_id == 3").set_index("customer_id")
    features = targeting.retail_features(retail, day, "pain_reliever").loc[listed.index]
    treated = listed["test_group"] == "treatment"
    model = targeting.response_model(features[treated], listed.loc[treated, "responded"])
    score = pd.Series(model.predict_proba(features)[:, 1], features.index)
    assert targeting.gains(score[treated], listed.loc[treated, "responded"]).loc[1, "lift"] > 1.3
    truth = retail.truth("campaign_truth").query("campaign_id == 3").set_index("customer_id")
    assert targeting.qini_coefficient(targeting.qini_against_truth(score, truth["uplift"])) < 0.1


# ---------------------------------------------------------------- who may be contacted


def test_only_consenting_customers_under_the_contact_pressure_are_reachable(bank):
    ids = bank["customers"]["customer_id"]
    consenting = targeting.reachable(bank, ids, "phone", bank.as_of, most=None)
    customers = bank["customers"].set_index("customer_id")
    assert customers.loc[consenting, "consent_phone"].all()
    assert len(consenting) == customers["consent_phone"].sum()
    fund = bank["campaigns"].set_index("campaign_id").loc[3, "launched_on"]
    day = fund + pd.Timedelta(days=40)  # the fund e-mail's contacts are recent
    contacted = targeting.recent_contacts(bank, day, days=90)
    assert len(contacted) > 100
    spared = targeting.reachable(bank, ids, "phone", day, most=1, days=90)
    assert not spared.isin(contacted.index).any()
    assert set(spared) | set(consenting.intersection(contacted.index)) == set(consenting)
    assert targeting.recent_contacts(bank, fund - pd.Timedelta(days=1), days=30).empty


def test_top_takes_the_highest_scores_by_share_and_by_count():
    score = pd.Series([0.5, 0.9, 0.5, 0.1], index=[7, 3, 2, 9])
    assert list(targeting.top(score, 0.5)) == [3, 2]  # a tie goes to the lower id
    assert list(targeting.top(score, 1.0, most=3)) == [3, 2, 7]
    with pytest.raises(ValueError, match="share"):
        targeting.top(score, 0)


# ---------------------------------------------------------------- evaluating a campaign


@pytest.fixture(scope="module")
def term_deposit_campaign(bank):
    """A phone campaign for term deposits to every eligible customer, run in the simulator."""
    features = targeting.bank_features(bank, bank.as_of)
    holders = bank["accounts"].merge(bank["products"]).query("product_type == 'term_deposit'")
    eligible = features.index[~features.index.isin(holders["customer_id"])]
    ids = targeting.reachable(bank, eligible, "phone", bank.as_of)
    return generator.simulate(bank, {"product_type": "term_deposit", "channel": "phone"}, ids)


def test_the_evaluation_of_a_campaign(term_deposit_campaign):
    outcome = term_deposit_campaign
    figures = targeting.evaluation(outcome)
    summary = outcome.summary()
    treated = outcome.customers[outcome.customers["group"] == "treatment"]
    assert figures["contacted"] == len(treated)
    assert figures["orders"] == treated["responded"].sum()
    assert figures["campaign_cost"] == pytest.approx(2.5 * len(treated))
    assert figures["cost_per_order"] == pytest.approx(figures["campaign_cost"] / figures["orders"])
    assert figures["incremental_response"] == summary["incremental_response"]
    assert figures["incremental_orders"] == pytest.approx(
        summary["incremental_response"] * len(treated)
    )
    low, high = figures[["incremental_profit_low", "incremental_profit_high"]]
    assert low < figures["incremental_profit"] < high
    assert low < figures["true_incremental_profit"] < high  # the interval holds the truth here
    assert figures["roi"] == pytest.approx(figures["incremental_profit"] / figures["campaign_cost"])
    # the naive view credits the campaign with the orders that would have come anyway
    assert figures["naive_profit"] > figures["incremental_profit"]


# ---------------------------------------------------------------- uplift models


@pytest.fixture(scope="module")
def pilot(retail):
    """A 50/50 test of a pain-reliever coupon by e-mail, run in the simulator on the
    category's buyers of the last year who agreed to e-mail: their features on the as-of date,
    who was contacted, who responded, and the truth."""
    features = targeting.retail_features(retail, retail.as_of, "pain_reliever")
    buyers = features.index[features["category_trips"] > 0]
    ids = targeting.reachable(retail, buyers, "email", retail.as_of, most=None)
    campaign = {"category": "pain_reliever", "channel": "email", "coupon_value": 2.0}
    outcome = generator.simulate(retail, campaign, ids, holdout=0.5)
    customers = outcome.customers.set_index("customer_id")
    return (
        features.loc[customers.index],
        customers["group"] == "treatment",
        customers["responded"],
        outcome.truth.set_index("customer_id"),
    )


@pytest.mark.parametrize("method", targeting.UPLIFT_METHODS)
def test_an_uplift_model_targets_the_profit_a_response_model_misses(pilot, method):
    """Every buyer who was sent a coupon may use it, also those who would have bought anyway.
    A response model ranks those first, and its ranking earns less than a random list against
    each customer's true incremental profit; an uplift model ranks by what the coupon changes
    and earns more than a random list."""
    features, treated, responded, truth = pilot
    response = targeting.response_model(features[treated], responded[treated])
    by_response = pd.Series(response.predict_proba(features)[:, 1], features.index)
    model = targeting.uplift_model(features, treated, responded, method)
    by_uplift = model.predict(features)
    again = targeting.uplift_model(features, treated, responded, method).predict(features)
    assert by_uplift.equals(again)

    def profit_qini(score):
        curve = targeting.qini_against_truth(score, truth["incremental_profit"])
        return targeting.qini_coefficient(curve)

    assert profit_qini(by_response) < 0
    assert profit_qini(by_uplift) > 0.1


@pytest.mark.parametrize("method", targeting.UPLIFT_METHODS)
def test_the_expected_profit_of_a_coupon_ranks_better_than_the_uplift_alone(retail, pilot, method):
    """The profit of a coupon needs both models: the uplift (the purchases it adds) and the
    chance of buying when sent one (the coupons it pays on purchases that would have come
    anyway). Ranked by that expected profit, the pilot's customers earn more against the truth
    than ranked by the uplift alone."""
    features, treated, responded, truth = pilot
    response = targeting.response_model(features[treated], responded[treated])
    buys_if_sent = pd.Series(response.predict_proba(features)[:, 1], features.index)
    uplift = targeting.uplift_model(features, treated, responded, method).predict(features)
    products = retail["products"].query("category == 'pain_reliever'")
    unit_margin = (products["price"] - products["unit_cost"]).mean()
    profit = targeting.coupon_profit(uplift, buys_if_sent, unit_margin, 0.35, 2.0, 0.01)
    assert profit.loc[uplift.index[0]] == pytest.approx(
        uplift.iloc[0] * unit_margin - buys_if_sent.iloc[0] * 0.35 * 2.0 - 0.01
    )

    def profit_qini(score):
        curve = targeting.qini_against_truth(score, truth["incremental_profit"])
        return targeting.qini_coefficient(curve)

    assert profit_qini(profit) > max(profit_qini(uplift), 0.25)


def test_an_unknown_uplift_method_is_named(pilot):
    features, treated, responded, _ = pilot
    with pytest.raises(ValueError, match="unknown uplift method 'magic'"):
        targeting.uplift_model(features, treated, responded, "magic")


# ---------------------------------------------------------------- the classroom demo


def test_a_plan_contacts_what_its_budget_pays_for(bank, term_deposit_campaign):
    customers = term_deposit_campaign.customers["customer_id"]
    score = pd.Series(np.arange(len(customers), 0, -1), index=customers.to_numpy(), dtype=float)
    campaign = {"product_type": "term_deposit", "channel": "phone"}
    outcome = targeting.run_plan(bank, campaign, score, share=1.0, budget=500)
    listed = outcome.customers["customer_id"]
    assert len(listed) == int(500 / 2.5 / 0.8)
    assert list(listed) == list(score.index[: len(listed)])  # the highest scores first
    assert targeting.evaluation(outcome)["campaign_cost"] <= 500 * 1.1
    again = targeting.run_plan(bank, campaign, score, share=1.0, budget=500)
    assert again.customers.equals(outcome.customers)
    fewer = targeting.run_plan(bank, campaign, score, share=0.1, budget=10**6)
    assert len(fewer.customers) == round(0.1 * len(score))


def test_the_planner_shows_the_campaign_of_its_settings(bank, term_deposit_campaign):
    customers = term_deposit_campaign.customers["customer_id"]
    score = pd.Series(np.arange(len(customers), 0, -1), index=customers.to_numpy(), dtype=float)
    box = targeting.planner(
        bank, {"product_type": "term_deposit"}, score, channels=("phone", "sms")
    )
    (budget, share), (channel, run), shown = (
        box.children[0].children,
        box.children[1].children,
        box.children[2],
    )
    first = shown.value
    assert "true incremental profit" in first
    share.value = 0.6
    run.click()
    assert shown.value != first
    share.value = 0.3
    run.click()
    assert shown.value == first  # the same settings, the same result
    channel.value = "sms"
    budget.value = 100
    run.click()
    assert shown.value != first
