"""The automaker's funnel (leads, test drives, sales, prospects to follow up) and owners
(cars on record, service retention, the replacement cycle) for case C4."""

import numpy as np
import pandas as pd
import pytest

import generator
from course import funnel, ownership

from conftest import ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def auto():
    return generator.load("auto", ROOT / "datasets")


@pytest.fixture(scope="module")
def leads(auto):
    return funnel.leads(auto)


def test_each_lead_knows_what_followed_it(auto, leads):
    assert len(leads) == len(auto["leads"]) and leads.index.name == "lead_id"
    sales = auto["sales"]
    one = leads[leads.sold].iloc[0]
    bought = sales[(sales.customer_id == one.customer_id) & (sales.sold_on >= one.created_on)]
    assert (bought.sold_on.min() - one.created_on).days == one.days_to_sale < funnel.SALE_DAYS
    assert leads.test_drive.sum() == auto["test_drives"].lead_id.nunique()
    assert leads.followups.sum() == len(auto["lead_followups"])
    assert (leads.test_drive | ~leads.test_drive_early).all()
    young = leads.created_on > auto.as_of - pd.Timedelta(days=funnel.SALE_DAYS)
    assert not leads.mature[young].any() and leads.mature[~young].all()


def test_early_behaviour_scores_a_lead(leads):
    """What a prospect does in the lead's first days says how likely a sale is."""
    scored = leads[leads.mature & ~leads.sold_early]
    by_depth = scored.groupby(scored.deep_views.clip(upper=2)).sold.mean()
    assert by_depth.is_monotonic_increasing and by_depth.iloc[-1] > 2 * by_depth.iloc[0]
    assert scored[scored.test_drive_early].sold.mean() > 2 * scored.sold.mean()


def test_follow_ups_go_with_fewer_sales_because_they_stop_at_the_test_drive(leads):
    """The recorded follow-ups are not an experiment: the dealer keeps calling the leads that
    do not come in, so more calls go with fewer sales (the case's lesson)."""
    mature = leads[leads.mature]
    by_calls = mature.groupby(mature.followups.clip(upper=3)).sold.mean()
    assert by_calls.iloc[0] > by_calls.iloc[-1]


def test_the_funnel_summary(leads):
    table = funnel.summary(leads, "source")
    assert table.leads.sum() == leads.mature.sum()
    assert table.sale_rate.between(0.05, 0.6).all()
    assert (table.sale_after_test_drive > table.sale_rate).all()


def test_prospects_are_the_leads_that_closed_without_a_sale(auto):
    table = funnel.prospects(auto)
    assert table.index.is_unique and (table.age_days < 365).all()
    outcome = generator.simulate(
        auto,
        {"kind": "lead follow-up", "channel": "sms"},
        table.index[table.index.isin(auto["customers"].query("consent_sms").customer_id)],
    )
    assert len(outcome.customers) > 100


def test_service_retention_falls_after_the_warranty(auto):
    fleet = ownership.cars(auto)
    assert fleet.index.is_unique and fleet.customer_id.is_unique
    table = ownership.retention(fleet)
    assert table.serviced_share.loc[1] > table.serviced_share.loc[4] > table.serviced_share.loc[7]
    assert table.in_warranty.loc[1] == 1 and table.in_warranty.loc[5] == 0


def test_the_replacement_cycle_is_read_with_censoring(auto):
    times = ownership.replacement_times(auto)
    assert len(times) == len(auto["sales"])
    assert 0 < times.replaced.mean() < 0.5  # most cars are not replaced yet (censored)
    curve = ownership.kaplan_meier(times)
    assert curve.not_replaced.is_monotonic_decreasing
    assert (curve.low <= curve.not_replaced).all() and (curve.not_replaced <= curve.high).all()
    # censored cars make the naive average of the replaced ones too short
    assert times[times.replaced].years.mean() < 6.5
    assert np.interp(5, curve.years, curve.not_replaced) > 0.5
