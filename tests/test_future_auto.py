"""The automaker's hidden future (the 12 months after the as-of date, written only to
``_truth/future_*``), its margins and cost to serve, and its campaign simulator: a service
reminder or a trade-in offer to any list of owners, against a random control group."""

import numpy as np
import pandas as pd
import pytest

import generator
from generator.industries.auto import SPEC
from generator.industries.auto_campaign import timing
from generator.population import FUTURE_MONTHS
from generator.simulator import CampaignError

from conftest import ROOT, owners_who_take_sms

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

REMINDER = {"kind": "service reminder", "channel": "sms", "offer_value": 30}
TRADE_IN = {"kind": "trade-in offer", "channel": "mail", "offer_value": 1500}


@pytest.fixture(scope="module")
def auto():
    return generator.load("auto", ROOT / "datasets")


@pytest.fixture(scope="module")
def owners(auto):
    return owners_who_take_sms(auto)


@pytest.fixture(scope="module")
def reminder(auto, owners):
    return generator.simulate(auto, REMINDER, owners, holdout=0.5)


# ---------------------------------------------------------------- the hidden future


def test_the_future_begins_after_the_as_of_date_and_lasts_a_year(auto):
    end = auto.as_of + pd.DateOffset(months=FUTURE_MONTHS)
    for table, column in (("future_sales", "sold_on"), ("future_service_visits", "visited_on")):
        dates = auto.truth(table)[column]
        assert len(dates) > 50, table
        assert dates.min() > auto.as_of and dates.max() <= end, table
    future = auto.truth("future_customers")
    for column in ("leaves_on", "bought_on", "replaced_elsewhere_on"):
        dates = future[column].dropna()
        assert len(dates) and dates.min() > auto.as_of and dates.max() <= end, column
    assert auto["sales"].sold_on.max() <= auto.as_of
    assert auto["service_visits"].visited_on.max() <= auto.as_of


def test_each_customers_future_adds_up(auto):
    sales, visits = auto.truth("future_sales"), auto.truth("future_service_visits")
    future = auto.truth("future_customers").set_index("customer_id")
    assert len(future) == len(auto["customers"])

    def per_customer(frame, column):
        return frame.groupby("customer_id")[column].sum().reindex(future.index, fill_value=0)

    assert (per_customer(visits.assign(n=1), "n") == future.service_visits).all()
    assert np.allclose(per_customer(visits, "revenue"), future.service_revenue, atol=0.01)
    assert np.allclose(per_customer(visits, "gross_profit"), future.service_margin, atol=0.01)
    assert (per_customer(sales.assign(n=1), "n") == future.cars_bought).all()
    assert np.allclose(per_customer(sales, "gross_profit"), future.vehicle_margin, atol=0.01)
    first = sales.sort_values("sold_on").groupby("customer_id").first()
    bought = future.dropna(subset=["bought_on"])
    assert (first.sold_on.reindex(bought.index) == bought.bought_on).all()
    assert (first.dealer_id.reindex(bought.index) == bought.bought_at).all()
    assert (first.trade_in.reindex(bought.index) == bought.trade_in).all()
    assert not future.trade_in[future.bought_on.isna()].any()


def test_ids_go_on_after_the_seen_ones(auto):
    visits = pd.concat([auto["service_visits"], auto.truth("future_service_visits")])
    sales = pd.concat([auto["sales"], auto.truth("future_sales")])
    assert visits.visit_id.is_unique and sales.sale_id.is_unique and sales.vin.is_unique
    last_seen = auto["service_visits"].groupby("customer_id").visit_id.max()
    first_future = auto.truth("future_service_visits").groupby("customer_id").visit_id.min()
    both = last_seen.index.intersection(first_future.index)
    assert (first_future[both] > last_seen[both]).all()
    # a car in the future's workshop was sold by then, to the same customer
    cars = sales.set_index("vin")
    future = auto.truth("future_service_visits")
    assert (future.visited_on >= future.vin.map(cars.sold_on)).all()
    assert (future.customer_id == future.vin.map(cars.customer_id)).all()


def test_trade_ins_replace_a_car_and_open_leads_close(auto):
    sales = auto.truth("future_sales")
    trade = sales[sales.trade_in]
    assert len(trade) > 30 and trade.customer_id.isin(auto["sales"].customer_id).all()
    # an open lead of the as-of date may close in the future; no sale closes a lead twice
    closed = sales.lead_id.dropna()
    assert closed.isin(auto["leads"].lead_id).all()
    assert not closed.isin(auto["sales"].lead_id.dropna()).any()


def test_nobody_who_left_comes_back_and_leavers_stop(auto):
    truth = auto.truth("customer_truth").set_index("customer_id")
    future = auto.truth("future_customers").set_index("customer_id")
    gone = truth.index[truth.stopped_on.notna()]
    assert (future.loc[gone, ["service_visits", "cars_bought"]] == 0).all().all()
    assert future.loc[gone, "leaves_on"].isna().all()
    leaving = future[future.leaves_on.notna()]
    assert 0.01 * len(future) < len(leaving) < 0.2 * len(future)
    for table, column in (("future_sales", "sold_on"), ("future_service_visits", "visited_on")):
        events = auto.truth(table).merge(leaving.reset_index(), on="customer_id")
        assert (events[column] < events.leaves_on).all(), table
    # a car replaced with another brand's does not come back to the workshop
    lost = future.dropna(subset=["replaced_elsewhere_on"])
    visits = auto.truth("future_service_visits").merge(lost.reset_index(), on="customer_id")
    assert (visits.visited_on < visits.replaced_elsewhere_on).all()


def test_recency_predicts_the_hidden_future_but_not_perfectly(auto):
    """Owners seen lately (a sale or a workshop visit) come back to the workshop in the next
    year far more often than those not seen for long, but some of those come back too."""
    seen = pd.concat(
        [
            auto["sales"][["customer_id", "sold_on"]].set_axis(["customer_id", "on"], axis=1),
            auto["service_visits"][["customer_id", "visited_on"]].set_axis(
                ["customer_id", "on"], axis=1
            ),
        ]
    )
    recency = (auto.as_of - seen.groupby("customer_id").on.max()).dt.days
    fifth = pd.qcut(recency.rank(method="first"), 5, labels=False)
    future = auto.truth("future_customers").set_index("customer_id").loc[recency.index]
    comes = (future.service_visits > 0).groupby(fifth).mean()
    assert comes.iloc[0] > 0.6 and comes.iloc[0] > 4 * comes.iloc[-1]
    assert 0.01 < comes.iloc[-1] < 0.3
    assert comes.iloc[0] < 0.95  # not everyone seen lately comes back


# ---------------------------------------------------------------- margins and cost to serve


def test_margins_are_a_car_dealers(auto):
    models = auto["models"]
    at_list = 1 - models.unit_cost / models.list_price
    assert np.allclose(at_list, SPEC["margins"]["vehicle_gross_at_list"], atol=1e-4)
    sales = pd.concat([auto["sales"], auto.truth("future_sales")])
    cost = sales.model_id.map(models.set_index("model_id").unit_cost)
    used = auto["unit_costs"].set_index("item").value["used-car gross profit per trade-in"]
    expected = (sales.price - cost + np.where(sales.trade_in, used, 0)).round(2)
    assert np.allclose(expected, sales.gross_profit, atol=0.011)
    new = auto["sales"][~auto["sales"].trade_in]
    share = new.gross_profit.sum() / new.price.sum()
    assert 0.04 < share < 0.08  # about 6 % of the price (NADA, Sonic Automotive)
    assert 1_200 < new.gross_profit.mean() < 3_000  # USD 2,247 a car (Presidio-NCM 2024)


def test_the_workshop_earns_its_margin_and_loses_rejected_claims(auto):
    visits = auto["service_visits"]
    paid = visits[visits.revenue > 0]
    margin = paid.gross_profit.sum() / paid.revenue.sum()
    assert abs(margin - SPEC["margins"]["service_gross_margin"]) < 0.02  # NADA: 46.6 %
    claims = auto["warranty_claims"].merge(visits, on="visit_id")
    assert (claims.gross_profit[~claims.approved] < 0).all()
    assert (claims.gross_profit[claims.approved] > 0).all()
    assert 0 < (visits.gross_profit < 0).mean() < 0.05


def test_contacts_have_a_cost(auto):
    costs = auto["unit_costs"].set_index("item").value
    for channel in ("mail", "email", "sms", "phone"):
        assert costs[f"contact by {channel}"] > 0
    assert costs["contact by phone"] > costs["contact by sms"]


# ---------------------------------------------------------------- the campaign simulator


def _window(auto, table, column, launched, days):
    future = auto.truth(table)
    last = launched + pd.Timedelta(days=days - 1)
    return future[future[column].between(launched, last)]


def test_the_control_group_does_what_the_hidden_future_says(auto, reminder):
    first = auto.as_of + pd.Timedelta(days=1)
    came = reminder.customers.customer_id.isin(
        _window(auto, "future_service_visits", "visited_on", first, 45).customer_id
    )
    control = reminder.customers.group == "control"
    assert (reminder.customers.responded[control] == came[control]).all()
    rate, n = came.mean(), control.sum()
    assert abs(reminder.customers.responded[control].mean() - rate) < 3 * np.sqrt(
        rate * (1 - rate) / n
    )
    # the truth's chance without the reminder is near what the future says
    assert abs(reminder.truth.p_control.mean() - rate) < 0.06


def test_a_trade_in_offers_control_group_buys_what_the_future_says(auto, owners):
    mailable = auto["customers"].set_index("customer_id").loc[owners, "consent_mail"]
    ids = owners[mailable.to_numpy()]
    outcome = generator.simulate(auto, TRADE_IN, ids, holdout=0.5)
    bought = outcome.customers.customer_id.isin(
        _window(auto, "future_sales", "sold_on", auto.as_of + pd.Timedelta(days=1), 90).customer_id
    )
    control = outcome.customers.group == "control"
    assert (outcome.customers.responded[control] == bought[control]).all()
    summary = outcome.summary()
    treated = outcome.customers.group == "treatment"
    true = outcome.truth.uplift[treated].mean()
    assert summary.incremental_response_low <= true <= summary.incremental_response_high
    assert 0.01 < true < 0.15


def test_the_control_group_measures_the_true_uplift(reminder):
    summary = reminder.summary()
    treated = reminder.customers.group == "treatment"
    true = reminder.truth.uplift[treated].mean()
    assert summary.incremental_response_low <= true <= summary.incremental_response_high
    assert 0.02 < true < 0.2
    assert summary.response_rate_contacted > summary.response_rate_held_out


def test_a_bigger_offer_moves_more_owners(auto, owners, reminder):
    bigger = generator.simulate(auto, {**REMINDER, "offer_value": 80}, owners, holdout=0.5)
    assert bigger.truth.uplift.mean() > reminder.truth.uplift.mean()


def test_customers_who_refused_the_channel_are_refused(auto):
    refused = auto["customers"].query("not consent_sms").customer_id.head(3)
    with pytest.raises(CampaignError, match="did not agree to be contacted by sms"):
        generator.simulate(auto, REMINDER, refused)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kind": "raffle"}, "unknown kind 'raffle'"),
        ({"channel": "pigeon"}, "unknown channel"),
        ({"offer_value": 0}, "offer_value must be a positive amount"),
        ({"launched_on": "2025-06-01"}, "must run in the hidden future"),
        ({"response_days": 400}, "must run in the hidden future"),
        ({"budget": 10}, "unknown campaign setting 'budget'"),
    ],
)
def test_a_bad_campaign_gets_one_clear_error(auto, owners, change, message):
    with pytest.raises(CampaignError, match=message):
        generator.simulate(auto, {**REMINDER, **change}, owners[:5])


# ---------------------------------------------------------------- timing and follow-ups


def test_a_trade_in_offer_moves_an_owner_most_near_their_replacement():
    sim = SPEC["simulator"]["trade-in offer"]
    factor = timing(np.array([-400.0, -30, 0, 45, 90, 120, 500, np.inf]), 90, sim)
    t = sim["timing"]
    assert factor[2] == factor[3] == factor[4] == pytest.approx(t["near"])  # inside the window
    assert factor[0] < factor[1] < factor[2] and factor[4] > factor[5] > factor[6]
    assert factor[-1] == pytest.approx(t["far"])  # no replacement in sight


def test_an_offer_timed_to_the_replacement_earns_more_per_owner(auto, owners):
    mailable = auto["customers"].set_index("customer_id").loc[owners, "consent_mail"]
    ids = owners[mailable.to_numpy()]
    truth = generator.simulate(auto, TRADE_IN, ids, holdout=0.5).truth.set_index("customer_id")
    sales = pd.concat([auto["sales"], auto.truth("future_sales")])
    car = sales[sales.sold_on <= auto.as_of].sort_values("sold_on").groupby("customer_id").last()
    replace_on = car.loc[ids, "vin"].map(auto.truth("replacements").set_index("vin").replace_on)
    days = (replace_on - auto.as_of).dt.days
    near = truth.incremental_profit[(days > 0) & (days <= 180)]
    far = truth.incremental_profit[days > 730]
    assert len(near) > 20 and near.mean() > 3 * far.mean()


@pytest.fixture(scope="module")
def prospects(auto):
    """Customers whose latest lead closed without a sale and who agreed to phone calls."""
    leads = auto["leads"].sort_values(["customer_id", "created_on"]).groupby("customer_id").last()
    sold = auto["sales"].groupby("customer_id").sold_on.max().reindex(leads.index)
    open_leads = leads[~(sold >= leads.created_on)]
    phone = auto["customers"].set_index("customer_id").loc[open_leads.index, "consent_phone"]
    return open_leads[phone.to_numpy()]


FOLLOW_UP = {"kind": "lead follow-up", "channel": "phone"}


def test_a_follow_ups_control_group_buys_what_the_future_says(auto, prospects):
    outcome = generator.simulate(auto, FOLLOW_UP, prospects.index, holdout=0.5)
    bought = outcome.customers.customer_id.isin(
        _window(auto, "future_sales", "sold_on", auto.as_of + pd.Timedelta(days=1), 60).customer_id
    )
    control = outcome.customers.group == "control"
    assert (outcome.customers.responded[control] == bought[control]).all()
    treated = ~control
    assert (outcome.customers.responded[treated] >= bought[treated]).all()  # nobody lost
    cost = auto["unit_costs"].set_index("item").loc["contact by phone", "value"]
    assert (outcome.customers.contact_cost[treated] > cost).all()  # the consultant's time too


def test_a_lead_goes_cold(auto, prospects):
    truth = generator.simulate(auto, FOLLOW_UP, prospects.index).truth.set_index("customer_id")
    age = (auto.as_of - prospects.created_on).dt.days
    revived = truth.uplift.groupby(pd.cut(age, [0, 90, 365, 10_000])).mean()
    assert revived.iloc[0] > 2 * revived.iloc[1] > 2 * revived.iloc[2] > 0
    # calling a cold lead costs more than it brings; a warm one pays
    value = truth.incremental_profit.groupby(pd.cut(age, [0, 90, 365, 10_000])).mean()
    assert value.iloc[0] > 0 > value.iloc[2]


def test_a_follow_up_is_for_prospects_who_did_not_buy(auto, owners):
    with pytest.raises(CampaignError, match="no lead that closed without a sale"):
        generator.simulate(auto, {**FOLLOW_UP, "channel": "sms"}, owners[:5])
    with pytest.raises(CampaignError, match="unknown campaign setting 'offer_value'"):
        generator.simulate(auto, {**FOLLOW_UP, "offer_value": 10}, owners[:5])
