"""The supermarket's hidden future and its campaign simulator: the 12 months after the as-of
date as the truth keeps them, scored predictions, and coupons run on any list of customers."""

import numpy as np
import pandas as pd
import pytest

import generator
from generator.industries.retail_campaign import need_chances, window_chance
from generator.population import FUTURE_MONTHS
from generator.simulator import CampaignError

import conftest
from conftest import ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail", ROOT / "datasets")


# ---------------------------------------------------------------- the hidden future


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


def test_spells_away_past_the_as_of_date_are_only_in_the_future(retail):
    """``lapses`` is the truth as it stood on the as-of date; the rest of a spell, and spells
    that begin later, are the hidden future's (``future_lapses``)."""
    lapses, later = retail.truth("lapses"), retail.truth("future_lapses")
    assert (lapses.lapsed_on <= retail.as_of).all()
    assert (lapses.returned_on.dropna() <= retail.as_of).all()
    under_way = lapses[lapses.returned_on.isna()].set_index(["customer_id", "lapsed_on"]).index
    known = later.set_index(["customer_id", "lapsed_on"]).index
    assert under_way.isin(known).all()
    assert (
        (later.lapsed_on > retail.as_of)
        | later.returned_on.isna()
        | (later.returned_on > retail.as_of)
    ).all()


# ---------------------------------------------------------------- the simulator

COFFEE = {"category": "coffee", "channel": "email", "coupon_value": 1.5}


@pytest.fixture(scope="module")
def emailable(retail):
    return conftest.emailable(retail)


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


def test_another_campaign_draws_afresh(retail, emailable, outcome):
    other = generator.simulate(retail, {**COFFEE, "coupon_value": 2.0}, emailable, holdout=0.5)
    assert (other.customers.group != outcome.customers.group).any()


def test_a_bigger_coupon_moves_more_customers(retail, emailable, outcome):
    bigger = generator.simulate(retail, {**COFFEE, "coupon_value": 4.0}, emailable, holdout=0.5)
    assert bigger.truth.uplift.mean() > outcome.truth.uplift.mean()


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


def test_the_estimated_profit_comes_with_an_interval_that_holds_the_truth(outcome):
    summary = outcome.summary()
    low, high = summary.estimated_incremental_profit_low, summary.estimated_incremental_profit_high
    assert low < summary.estimated_incremental_profit < high
    assert low <= outcome.true_incremental_profit <= high


@pytest.mark.parametrize(
    "cycle, share, shape, days", [(21, 0.5, 2, 28), (56, 0.8, 2, 28), (9, 0.3, 3, 42)]
)
def test_the_chance_of_a_purchase_in_a_window_is_the_renewal_processs(cycle, share, shape, days):
    """Needs on gaps of Gamma(shape) around the cycle, each bought here with the share: the
    chance of a purchase in a window at a random moment, against a simulation of it."""
    rng = np.random.default_rng(5)
    n, span = 20_000, 60 * cycle
    gaps = cycle * rng.gamma(shape, 1 / shape, (n, int(span / cycle * 2) + 40))
    needs = np.cumsum(gaps, axis=1) - rng.random((n, 1)) * cycle
    here = rng.random(needs.shape) < share
    start = span / 2
    bought = ((needs >= start) & (needs < start + days) & here).any(axis=1).mean()
    chance = window_chance(days, [cycle], [share], shape)[0]
    assert abs(bought - chance) < 3 * np.sqrt(chance * (1 - chance) / n)
    # exponential gaps, bought every time: the Poisson chance
    assert window_chance(days, [cycle], [1.0], 1)[0] == pytest.approx(1 - np.exp(-days / cycle))


def test_the_truths_chance_without_the_offer_is_what_the_hidden_future_does(retail, emailable):
    """Held out, customers buy as often as the truth's p_control says: over many windows, the
    customers with each level of p_control bought within noise of it (the truth is calibrated,
    so the control group and the true incremental profit tell the same story)."""
    rows = []
    for day in range(1, 300, 23):
        launched = retail.as_of + pd.Timedelta(days=day)
        campaign = {"category": "pain_reliever", "channel": "email", "coupon_value": 2.0}
        run = generator.simulate(
            retail, {**campaign, "launched_on": launched}, emailable, holdout=0.5
        )
        held_out = run.customers["group"] == "control"
        rows.append(
            pd.DataFrame(
                {
                    "p": run.truth.loc[held_out, "p_control"],
                    "bought": run.customers.loc[held_out, "responded"].astype(float),
                }
            )
        )
    table = pd.concat(rows)
    table = table[table["p"] > 0]
    levels = table.groupby(pd.qcut(table["p"], 5), observed=True).agg(
        p=("p", "mean"), bought=("bought", "mean"), n=("bought", "size")
    )
    error = np.sqrt(levels["p"] * (1 - levels["p"]) / levels["n"])
    assert ((levels["bought"] - levels["p"]).abs() < 0.03 + 3 * error).all(), levels
    assert abs(table["bought"].mean() - table["p"].mean()) < 0.02


# ---------------------------------------------------------------- offers timed to the need


def test_the_truth_keeps_every_need_from_the_last_before_the_as_of_date(retail):
    """Each need at any shop: one on or before the as-of date per customer and category at
    most, the rest in the hidden future; the needs bought here are the future's purchases."""
    needs = retail.truth("needs")
    past = needs[needs.need_on <= retail.as_of]
    assert not past.duplicated(["customer_id", "category"]).any()
    future = needs[needs.need_on > retail.as_of]
    assert future.need_on.max() <= retail.as_of + pd.DateOffset(months=FUTURE_MONTHS)
    # a share of needs is bought elsewhere
    assert 0.3 < future.bought_here.mean() < 0.8
    # the first need bought here is the next purchase of the category, within a few days
    first = future[future.bought_here].groupby(["customer_id", "category"]).need_on.min()
    nxt = retail.truth("future_next_purchases").dropna()
    nxt = nxt.set_index(["customer_id", "category"]).next_purchase_on
    both = first.index.intersection(nxt.index)
    gap = (nxt[both] - first[both]).dt.days.abs()
    assert (gap <= 7).mean() > 0.85


@pytest.mark.parametrize(
    "cycle, share, age, days",
    [(21, 0.6, 5, 28), (21, 0.6, 30, 10), (56, 0.4, 50, 14), (7, 0.5, 3, 28), (35, 0.9, 60, 7)],
)
def test_the_chance_of_a_need_given_the_days_since_the_last_is_the_renewal_processs(
    cycle, share, age, days
):
    """Knowing it is ``age`` days since the last need: the chance of a need, and of buying
    here, in the next ``days`` days, against a simulation of the gaps that outlast the age."""
    from scipy.stats import gamma

    rng = np.random.default_rng(11)
    n, shape, scale = 100_000, 2.0, cycle / 2.0
    lived = gamma.cdf(age, shape, scale=scale)
    first = gamma.ppf(lived + (1 - lived) * rng.random(n), shape, scale=scale) - age
    need = (first < days).mean()
    bought, when = np.zeros(n, bool), first
    for _ in range(int(4 * days / cycle) + 20):
        bought |= (when < days) & (rng.random(n) < share)
        when = when + rng.gamma(shape, scale, n)
    chance, here = need_chances([age], days, [cycle], [share], shape)
    for simulated, computed in ((need, chance[0]), (bought.mean(), here[0])):
        assert abs(simulated - computed) < 4 * np.sqrt(computed * (1 - computed) / n) + 1e-3


def test_at_a_random_point_of_the_cycle_the_chance_is_the_stationary_one():
    """Averaged over the ages a customer has at a random moment (density ∝ the chance the gap
    outlasts the age), the chance given the age is :func:`window_chance`."""
    from scipy.stats import gamma

    cycle, share, days, shape = 21.0, 0.6, 28, 2.0
    ages = (np.arange(40_000) + 0.5) * cycle * 12 / 40_000
    weight = gamma.sf(ages, shape, scale=cycle / shape)
    weight /= weight.sum()
    _, here = need_chances(ages, days, np.full(ages.size, cycle), np.full(ages.size, share), shape)
    assert (weight * here).sum() == pytest.approx(window_chance(days, [cycle], [share], shape)[0])


def test_sent_on_one_day_a_timed_send_is_the_campaign_launched_that_day(retail, emailable):
    day = retail.as_of + pd.Timedelta(days=9)
    ids = emailable[:400]
    blast = generator.simulate(retail, {**COFFEE, "launched_on": day}, ids, holdout=0.5)
    timed = generator.simulate(
        retail, COFFEE, pd.DataFrame({"customer_id": ids, "sent_on": day}), holdout=0.5
    )
    assert (timed.customers.sent_on == day).all()
    pd.testing.assert_frame_equal(timed.customers.drop(columns="sent_on"), blast.customers)
    pd.testing.assert_frame_equal(timed.truth, blast.truth)


def test_a_coupon_just_after_a_need_moves_fewer_than_one_when_the_next_is_due(retail):
    """The truth's timing: sent the day after a customer's need (at any shop) a coupon has
    less to work on than sent when their next need is due, one cycle later."""
    needs = retail.truth("needs").query("category == 'detergent'")
    last = needs[needs.need_on <= retail.as_of].set_index("customer_id").need_on
    cycle = (
        retail.truth("purchase_cycles").query("category == 'detergent'").set_index("customer_id")
    )
    consent = retail["customers"].set_index("customer_id").consent_email
    after = last + pd.Timedelta(days=1)
    due = last + pd.to_timedelta(cycle.cycle_days.reindex(last.index).round(), unit="D")
    ok = (after > retail.as_of) & consent.reindex(last.index).to_numpy()
    campaign = {
        "category": "detergent",
        "channel": "email",
        "coupon_value": 1.5,
        "response_days": 10,
    }
    runs = {
        name: generator.simulate(
            retail, campaign, pd.DataFrame({"customer_id": sent.index[ok], "sent_on": sent[ok]})
        ).truth
        for name, sent in (("after", after), ("due", due))
    }
    assert runs["due"].p_control.mean() > 2 * runs["after"].p_control.mean()
    assert runs["due"].uplift.mean() > 1.2 * runs["after"].uplift.mean()


@pytest.mark.parametrize(
    "table, message",
    [
        (pd.DataFrame({"customer_id": [1]}), "needs the columns customer_id and sent_on"),
        (pd.DataFrame({"customer_id": [1], "sent_on": ["someday"]}), "sent_on must hold dates"),
        (pd.DataFrame({"customer_id": [1], "sent_on": [None]}), "needs a sent_on date"),
        (pd.DataFrame({"customer_id": [1], "sent_on": ["2025-01-01"]}), "in the hidden future"),
    ],
)
def test_a_bad_timed_send_gets_one_clear_error(retail, table, message):
    with pytest.raises(CampaignError, match=message):
        generator.simulate(retail, COFFEE, table)


def test_a_timed_send_has_no_launch_day(retail, emailable):
    table = pd.DataFrame(
        {"customer_id": emailable[:3], "sent_on": retail.as_of + pd.Timedelta(days=3)}
    )
    with pytest.raises(CampaignError, match="leave launched_on out"):
        generator.simulate(
            retail, {**COFFEE, "launched_on": retail.as_of + pd.Timedelta(days=2)}, table
        )


# ---------------------------------------------------------------- a coupon for one brand


@pytest.fixture(scope="module")
def pain_buyers(retail):
    """Pain-reliever buyers who agreed to e-mail, with their true brand preference."""
    truth = retail.truth("customer_truth").set_index("customer_id")
    customers = retail["customers"].set_index("customer_id")
    users = truth.index[truth.pain_brand.notna()]
    return truth.loc[users[customers.loc[users, "consent_email"].to_numpy()], "pain_brand"]


@pytest.fixture(scope="module")
def brand_outcomes(retail, pain_buyers):
    coupon = {"category": "pain_reliever", "channel": "email", "coupon_value": 1.0}
    return {
        brand: generator.simulate(
            retail, {**coupon, **({"brand": brand} if brand else {})}, pain_buyers.index
        )
        for brand in (None, "store", "national")
    }


def test_a_brand_coupon_appeals_less_to_the_other_brands_loyal_buyers(pain_buyers, brand_outcomes):
    uplift = {
        brand: outcome.truth.set_index("customer_id").uplift.groupby(pain_buyers).mean()
        for brand, outcome in brand_outcomes.items()
    }
    # the brand's own buyers and switchers are moved as by any coupon of the category; the
    # other brand's loyal buyers a quarter as much
    assert uplift["store"]["national"] < 0.4 * uplift["store"]["store"]
    assert uplift["national"]["store"] < 0.4 * uplift["national"]["national"]
    assert uplift["store"]["switcher"] > 0.7 * uplift[None]["switcher"]
    # without a brand nothing differs between the classes beyond their habits
    assert uplift[None]["national"] > 0.7 * uplift[None]["store"]


def test_the_purchase_a_brand_coupon_brings_is_a_unit_of_that_brand(retail, brand_outcomes):
    products = retail["products"]
    pain = products[products.category == "pain_reliever"]
    store_price = pain.loc[pain.store_brand, "price"].mean()
    customers = brand_outcomes["store"].customers
    bought = retail.truth("future_purchases")
    window = bought[
        bought.product_id.isin(pain.product_id)
        & (bought.purchased_on < retail.as_of + pd.Timedelta(days=29))
    ]
    brought = customers[customers.responded & ~customers.customer_id.isin(window.customer_id)]
    assert len(brought) > 5
    assert np.allclose(brought.spend, round(store_price, 2))


def test_a_few_who_use_it_switch_for_good_and_what_that_earns_is_in_the_truth(
    retail, pain_buyers, brand_outcomes
):
    outcome = brand_outcomes["store"]
    truth = outcome.truth.set_index("customer_id")
    customers = outcome.customers.set_index("customer_id")
    switched = truth.index[truth.switched]
    # only contacted customers who used the coupon and did not already prefer the store brand
    assert (customers.loc[switched, "group"] == "treatment").all()
    assert (customers.loc[switched, "discount"] > 0).all()
    assert (pain_buyers[switched] != "store").all()
    used = customers.discount > 0
    users = used & (pain_buyers[customers.index] != "store")
    assert truth.switched.sum() < 0.25 * users.sum()
    assert (truth.loc[~truth.switched, "switch_value"] == 0).all()
    # the expected coupons used lie between none and one
    assert truth.coupons_used.between(0, 1).all()


def test_a_convert_to_the_store_brand_is_worth_more_the_more_they_need(retail, pain_buyers):
    from generator.industries.retail import SPEC
    from generator.industries.retail_campaign import _switch_value

    ids = pain_buyers.index.to_numpy()
    last = pd.Series(retail.as_of + pd.Timedelta(days=28), index=ids)
    usage = retail.truth("customer_truth").set_index("customer_id").loc[ids, "pain_usage"]
    spec = SPEC["simulator"]["brand_coupon"]
    # a unit of the store brand earns 0.2 less than a national one; needs moved here earn it all
    store = _switch_value(retail, ids, "pain_reliever", "store", last, 2.2, 2.4, spec)
    value = pd.Series(store, index=ids).groupby(usage).mean()
    assert 0 < value["light"] < value["medium"] < value["heavy"]
    # a switch to a national brand moves no needs here: it earns only the margin's difference
    national = _switch_value(retail, ids, "pain_reliever", "national", last, 2.4, 2.2, spec)
    assert (national >= 0).all() and (national <= 0.2 * 30).all()


def test_a_coupon_without_a_brand_has_no_brand_columns(brand_outcomes):
    assert "switched" not in brand_outcomes[None].truth
    assert "coupons_used" in brand_outcomes["national"].truth


@pytest.mark.parametrize(
    "brand, message",
    [("own", "unknown brand 'own' (known: store, national)")],
)
def test_a_bad_brand_gets_one_clear_error(retail, pain_buyers, brand, message):
    coupon = {"category": "pain_reliever", "channel": "email", "coupon_value": 1.0, "brand": brand}
    with pytest.raises(CampaignError, match=message.replace("(", r"\(").replace(")", r"\)")):
        generator.simulate(retail, coupon, pain_buyers.index)


def test_a_coupon_above_half_the_price_moves_and_costs_as_much_as_one_at_half(retail, pain_buyers):
    products = retail["products"]
    store = products[(products.category == "pain_reliever") & products.store_brand]
    half = round(0.5 * store.price.mean(), 2)
    coupon = {"category": "pain_reliever", "channel": "email", "brand": "store"}
    at_half = generator.simulate(retail, {**coupon, "coupon_value": half}, pain_buyers.index)
    huge = generator.simulate(retail, {**coupon, "coupon_value": 20 * half}, pain_buyers.index)
    assert np.allclose(huge.truth.uplift, at_half.truth.uplift)
    assert np.allclose(huge.truth.incremental_profit, at_half.truth.incremental_profit)
