"""The drug maker's hidden future (the 12 months after the as-of date, kept in ``_truth/``),
its margins and costs to serve, and the campaign simulator that offers the patient-support
programme (SMS reminders) to any list of patients."""

import numpy as np
import pandas as pd
import pytest

import generator
from generator.campaigns import CONTACT_COST
from generator.industries.pharma import SPEC
from generator.industries.pharma_campaign import call_multiplier, usual_calls
from generator.population import FUTURE_MONTHS
from generator.simulator import CampaignError

from conftest import ROOT, patients_not_in_the_programme

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

ADHERENT = SPEC["simulator"]["adherent_pdc"]


@pytest.fixture(scope="module")
def pharma():
    return generator.load("pharma", ROOT / "datasets")


@pytest.fixture(scope="module")
def fills(pharma):
    """Every dispensing, seen and in the hidden future."""
    columns = ["patient_id", "dispensed_on", "days_supply", "packs", "amount"]
    future = pharma.truth("future_refills")
    return pd.concat([pharma["refills"][columns], future[columns]], ignore_index=True)


@pytest.fixture(scope="module")
def listable(pharma):
    return patients_not_in_the_programme(pharma)


@pytest.fixture(scope="module")
def outcome(pharma, listable):
    return generator.simulate(pharma, {}, listable, holdout=0.5)


def covered(fills: pd.DataFrame, start: pd.Timestamp, days: int) -> pd.Series:
    """Each patient's proportion of ``days`` from ``start`` covered by their dispensings."""
    end = start + pd.Timedelta(days=days)
    first = fills.dispensed_on.clip(lower=start)
    last = (fills.dispensed_on + pd.to_timedelta(fills.days_supply, unit="D")).clip(upper=end)
    return ((last - first).dt.days.clip(lower=0).groupby(fills.patient_id).sum()) / days


# ---------------------------------------------------------------- the hidden future


def test_the_future_begins_after_the_as_of_date_and_lasts_a_year(pharma):
    end = pharma.as_of + pd.DateOffset(months=FUTURE_MONTHS)
    for table, column in (
        ("future_refills", "dispensed_on"),
        ("future_prescriptions", "written_on"),
    ):
        day = pharma.truth(table)[column]
        assert day.min() > pharma.as_of and day.max() <= end
    for table, column in (("refills", "dispensed_on"), ("prescriptions", "written_on")):
        assert pharma[table][column].max() <= pharma.as_of
    assert pharma["reminders"].sent_on.max() <= pharma.as_of


def test_each_patients_future_adds_up(pharma, fills):
    bought = pharma.truth("future_refills")
    future = pharma.truth("future_customers").set_index("patient_id")
    assert len(future) == len(pharma["patients"])
    per = bought.groupby("patient_id")
    for column, total in (("refills", per.size()), ("packs", per.packs.sum())):
        assert (total.reindex(future.index, fill_value=0) == future[column]).all()
    for column in ("amount", "margin"):
        total = per[column].sum().reindex(future.index, fill_value=0)
        assert np.allclose(total, future[column], atol=0.01)
    first = per.dispensed_on.min()
    assert (first == future.next_refill_on.dropna()).all()
    assert future.next_refill_on.notna().sum() == len(first)
    # the PDC of the future's days counts what was dispensed before for the days it lasts
    days = (pharma.as_of + pd.DateOffset(months=FUTURE_MONTHS) - pharma.as_of).days
    pdc = covered(fills, pharma.as_of + pd.Timedelta(days=1), days)
    assert np.allclose(pdc.reindex(future.index, fill_value=0), future.pdc, atol=1e-4)
    # dispensing and prescription numbers go on after the seen ones, never twice
    assert pd.concat([pharma["refills"].refill_id, bought.refill_id]).is_unique
    written = pharma.truth("future_prescriptions")
    both = pd.concat([pharma["prescriptions"], written])
    assert both.prescription_id.is_unique
    assert bought.prescription_id.isin(both.prescription_id).all()
    assert (written.doctor_id.isin(pharma["doctors"].doctor_id)).all()


def test_nobody_who_stopped_comes_back_and_leavers_stop(pharma):
    stopped = pharma.truth("patient_truth").set_index("patient_id").stopped_on
    future = pharma.truth("future_customers").set_index("patient_id")
    assert (future.loc[stopped.dropna().index, "refills"] == 0).all()
    leaving = future[future.leaves_on.notna()]
    assert 0.03 * len(future) < len(leaving) < 0.3 * len(future)
    bought = pharma.truth("future_refills").merge(leaving.reset_index(), on="patient_id")
    assert (bought.dispensed_on < bought.leaves_on).all()


def test_recency_predicts_the_hidden_future_but_not_perfectly(pharma):
    """Days since the last dispensing: the most recent fifth nearly all refill in the next
    year, the most lapsed seldom do, but some come back from a break off therapy."""
    refills = pharma["refills"]
    last = refills.groupby("patient_id").dispensed_on.max()
    recency = (pharma.as_of - last).dt.days
    fifth = pd.qcut(recency.rank(method="first"), 5, labels=False)
    future = pharma.truth("future_customers").set_index("patient_id").loc[recency.index]
    refill = (future.refills > 0).groupby(fifth).mean()
    assert refill.iloc[0] > 0.9 and refill.is_monotonic_decreasing
    assert 0.002 < refill.iloc[-1] < 0.1
    # lapsed by the usual definition (no supply for 90 days): some refill again
    supply = refills.groupby("patient_id").days_supply.last()
    lapsed = last + pd.to_timedelta(supply + 90, unit="D") < pharma.as_of
    assert 0.03 < (future.refills[lapsed] > 0).mean() < 0.3
    breaks = pharma.truth("future_refills").break_days
    assert (breaks >= 0).all() and 0.005 < (breaks > 0).mean() < 0.1


def test_doctors_prescribing_goes_on_in_the_future(pharma):
    doctors = pharma["doctors"].doctor_id
    seen = pharma["prescriptions"].groupby("doctor_id").size().reindex(doctors, fill_value=0)
    future = pharma.truth("future_prescriptions").groupby("doctor_id").size()
    future = future.reindex(doctors, fill_value=0)
    assert 0.5 < np.corrcoef(seen, future)[0, 1] < 0.99


# ---------------------------------------------------------------- margins and costs


def test_margins_are_a_drug_makers(pharma):
    products = pharma["products"]
    margin = 1 - products.unit_cost / products.price
    assert ((margin > 0.6) & (margin < 0.9)).all()
    bought = pharma.truth("future_refills").merge(products, on="product_id")
    assert np.allclose(bought.amount - bought.packs * bought.unit_cost, bought.margin, atol=0.011)
    overall = bought.margin.sum() / bought.amount.sum()
    assert 0.7 < overall < 0.83  # large drug makers' median: 76.5 % (JAMA 2020)


def test_unit_costs_say_what_serving_doctors_and_patients_costs(pharma):
    costs = pharma["unit_costs"].set_index(["activity", "audience"]).cost
    assert costs["visit", "primary care"] == 210 and costs["visit", "specialist"] == 285
    assert costs["remote", "specialist"] < costs["visit", "specialist"]
    assert costs["sms reminder", "patient"] == CONTACT_COST["USD"]["sms"]
    calls = pharma["detailing_calls"].merge(pharma["doctors"], on="doctor_id")
    assert set(calls.channel) <= set(costs.index.get_level_values("activity"))


# ---------------------------------------------------------------- the simulator


def test_the_control_group_does_what_the_hidden_future_says(pharma, fills, outcome):
    """Held out, a patient does exactly what the future truth records: the same PDC, refills
    and spend over the follow-up; the control group's adherence is the list's, within noise."""
    start, days = pharma.as_of + pd.Timedelta(days=1), SPEC["programme"]["follow_up_days"]
    ids = outcome.customers.patient_id
    pdc = covered(fills[fills.patient_id.isin(ids)], start, days).reindex(ids, fill_value=0)
    end = start + pd.Timedelta(days=days)
    inside = fills[fills.dispensed_on.between(start, end, inclusive="left")]
    spend = inside.groupby("patient_id").amount.sum().reindex(ids, fill_value=0)
    control = (outcome.customers.group == "control").to_numpy()
    held = outcome.customers[control]
    assert np.allclose(held.pdc, pdc.to_numpy()[control], atol=1e-4)
    assert np.allclose(held.spend, spend.to_numpy()[control], atol=0.01)
    assert (held.responded == (pdc.to_numpy()[control] >= ADHERENT)).all()
    rate, n = (pdc >= ADHERENT).mean(), control.sum()
    assert abs(held.responded.mean() - rate) < 3 * np.sqrt(rate * (1 - rate) / n)


def test_usual_care_adherence_is_realistic(pharma, outcome):
    """Among patients on therapy at the launch (a dispensing in the 90 days before it), the
    held-out group's adherent share is WHO's "about half" (the realism band, 35-70 %)."""
    refills = pharma["refills"]
    recent = refills[refills.dispensed_on > pharma.as_of - pd.Timedelta(days=90)].patient_id
    c = outcome.customers
    held = c[(c.group == "control") & c.patient_id.isin(recent)]
    assert 0.35 <= held.responded.mean() <= 0.7


def test_the_control_group_measures_the_true_uplift(outcome):
    summary = outcome.summary()
    treated = outcome.customers.group == "treatment"
    true = outcome.truth.uplift[treated].mean()
    assert summary.incremental_response_low <= true <= summary.incremental_response_high
    assert 0.02 < true < 0.2  # the programme's planted share of the adherence gap
    assert (outcome.truth.pdc_treated >= outcome.truth.pdc_control - 1e-9).all()
    assert summary.response_rate_contacted > summary.response_rate_held_out


def test_another_campaign_draws_afresh(pharma, listable, outcome):
    later = generator.simulate(pharma, {"launched_on": "2026-03-01"}, listable, holdout=0.5)
    assert (later.customers.group != outcome.customers.group).any()


@pytest.mark.parametrize(
    "campaign, message",
    [
        ({"channel": "email"}, "unknown channel 'email' \\(known: sms\\)"),
        ({"launched_on": "2025-06-01"}, "must run in the hidden future"),
        ({"follow_up_days": 400}, "must run in the hidden future"),
        ({"follow_up_days": 0}, "follow_up_days must be a whole number"),
        ({"launched_on": "someday"}, "launched_on must be a date"),
        ({"budget": 10}, "unknown campaign setting 'budget'"),
    ],
)
def test_a_bad_campaign_gets_one_clear_error(pharma, listable, campaign, message):
    with pytest.raises(CampaignError, match=message):
        generator.simulate(pharma, campaign, listable[:5])


@pytest.mark.parametrize(
    "who, message",
    [("refused", "did not agree to be contacted by sms"), ("enrolled", "in the programme already")],
)
def test_patients_the_programme_cannot_take_are_refused(pharma, who, message):
    patients, programme = pharma["patients"], pharma["patient_programme"]
    named = {
        "refused": patients.loc[~patients.consent_sms, "patient_id"].head(3).tolist(),
        "enrolled": programme.loc[programme.test_group == "programme", "patient_id"].head(2),
    }
    with pytest.raises(CampaignError, match=message):
        generator.simulate(pharma, {}, named[who])


def test_a_contacted_patient_costs_at_least_the_enrolment(outcome):
    c = outcome.customers
    enrolment = SPEC["costs"]["programme_enrolment"]["en_US"]
    assert (c.contact_cost[c.group == "treatment"] >= enrolment).all()


# ---------------------------------------------------------------- the call plan

MONTHS = SPEC["programme"]["follow_up_days"] / 30.44


@pytest.fixture(scope="module")
def usual(pharma):
    """Every doctor with their usual calls over the follow-up (visits, by the true tier)."""
    rate = usual_calls(pharma)
    return pd.DataFrame({"doctor_id": rate.index, "calls": np.round(rate.to_numpy() * MONTHS)})


def plan(pharma, table, holdout=0.5):
    return generator.simulate(pharma, {"kind": "call plan"}, table, holdout=holdout)


def test_calls_lift_prescribing_with_diminishing_returns():
    lift = np.array([0.3])
    steps = [call_multiplier(c, lift)[0] for c in (0, 1, 2, 3, 4)]
    gains = np.diff(steps)
    assert steps[0] == 1 and steps[-1] < 1.3  # never more than the doctor's lift
    assert (gains > 0).all() and (np.diff(gains) < 0).all()
    assert call_multiplier(2, lift, weight=0.4)[0] < call_multiplier(2, lift)[0]  # remote < visit


def test_the_usual_plan_changes_nothing(pharma, usual):
    outcome = plan(pharma, usual)
    truth = outcome.truth
    assert np.allclose(truth.prescriptions_planned, truth.prescriptions_usual)
    assert (truth.uplift == 0).all()
    # what its calls cost is rounded per doctor, so only that is left of its worth
    assert abs(truth.incremental_profit.sum()) < 0.01 * pharma["unit_costs"].cost.max() * len(usual)
    treated = outcome.customers.group == "treatment"
    assert (outcome.customers.contact_cost[treated].abs() < 1e-9).all()


def test_control_doctors_get_the_usual_calls_and_their_hidden_future(pharma, usual):
    more = usual.assign(calls=usual.calls + 6)
    outcome = plan(pharma, more)
    c = outcome.customers.set_index("doctor_id")
    control = c[c.group == "control"]
    future = pharma.truth("future_prescriptions")
    end = pharma.as_of + pd.Timedelta(days=1 + SPEC["programme"]["follow_up_days"])
    window = future[(future.written_on > pharma.as_of) & (future.written_on < end)]
    written = window.groupby("doctor_id").size().reindex(control.index, fill_value=0)
    assert (control.prescriptions == written).all()
    assert (control.calls == usual.set_index("doctor_id").calls.loc[control.index]).all()
    assert (control.contact_cost == 0).all()


def test_extra_calls_bring_prescriptions_where_doctors_are_called_little(pharma, usual):
    tier = pharma.truth("doctor_truth").set_index("doctor_id").tier.loc[usual.doctor_id]
    extra = {}
    for name in ("A", "C"):
        mine = usual[(tier == name).to_numpy()]
        truth = plan(pharma, mine.assign(calls=mine.calls + 6)).truth
        gained = truth.prescriptions_planned - truth.prescriptions_usual
        extra[name] = gained.sum() / truth.prescriptions_usual.sum()
    # A doctors are called 4 times a month: saturated; C doctors' share grows far more
    assert extra["C"] > 3 * extra["A"] > 0


def test_moving_calls_from_saturated_to_hungry_doctors_pays(pharma, usual):
    """The recorded plan over-calls the top tier (spec: most doctors over-detailed): the same
    number of calls shared out by each doctor's last year of prescriptions and the mean
    response earns more prescriptions and more money than the usual plan."""
    written = pharma["prescriptions"]
    last = written[written.written_on > pharma.as_of - pd.Timedelta(days=365)]
    rate = last.groupby("doctor_id").size().reindex(usual.doctor_id, fill_value=0).to_numpy()
    lift = SPEC["detailing"]["response"]["max_lift"]
    # greedy: each call to the doctor whose next call adds most expected prescriptions
    calls = np.zeros(len(rate))
    for _ in range(int(usual.calls.sum())):
        gain = rate * lift * np.exp(-calls / MONTHS) * (1 - np.exp(-1 / MONTHS))
        calls[np.argmax(gain)] += 1
    better = plan(pharma, usual.assign(calls=calls)).truth
    assert better.prescriptions_planned.sum() > better.prescriptions_usual.sum() + 30
    assert better.incremental_profit.sum() > 0
    top_only = usual.assign(calls=np.where(rate >= np.quantile(rate, 0.8), 45, 0))
    worse = plan(pharma, top_only).truth
    assert worse.incremental_profit.sum() < 0


def test_the_recorded_calls_follow_the_tier_not_the_effect(pharma):
    """Calls and prescriptions go together in the recorded data because representatives call
    most on the biggest prescribers: the correlation is strong though a call's effect is
    modest (the students' lesson: only a control group measures it)."""
    calls = pharma["detailing_calls"].groupby("doctor_id").size().rename("calls")
    written = pharma["prescriptions"].groupby("doctor_id").size().rename("written")
    both = pd.concat([calls, written], axis=1).fillna(0)
    assert both.corr().iloc[0, 1] > 0.5
    # within a true tier, where representatives call every doctor alike, the link is gone
    tier = pharma.truth("doctor_truth").set_index("doctor_id").tier.loc[both.index]
    within = both.groupby(tier, observed=True).apply(
        lambda g: g.calls.corr(g.written, method="spearman")
    )
    assert (within.abs() < 0.4).all()


@pytest.mark.parametrize(
    "table, settings, message",
    [
        (pd.DataFrame({"doctor_id": [1]}), {}, "a call plan is a table of doctor_id and calls"),
        (pd.DataFrame({"doctor_id": [1], "calls": [-1]}), {}, "whole numbers of 0 or more"),
        (pd.DataFrame({"doctor_id": [1], "calls": [1.5]}), {}, "whole numbers of 0 or more"),
        (pd.DataFrame({"doctor_id": [99999], "calls": [1]}), {}, "not in this database"),
        (pd.DataFrame({"doctor_id": [1, 1], "calls": [1, 2]}), {}, "listed more than once"),
        (pd.DataFrame({"doctor_id": [1], "calls": [1]}), {"channel": "fax"}, "unknown channel"),
        (pd.DataFrame({"doctor_id": [1], "calls": [1]}), {"kind": "lunch"}, "unknown kind"),
    ],
)
def test_a_bad_call_plan_gets_one_clear_error(pharma, table, settings, message):
    with pytest.raises(CampaignError, match=message):
        generator.simulate(pharma, {"kind": "call plan", **settings}, table)
