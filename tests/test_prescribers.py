"""The drug maker's prescribers (case C3): each doctor's value, the usual calls as a plan, and
the trials' call response the course plans with."""

import numpy as np
import pandas as pd
import pytest

import generator
from course import customer_value, prescribers
from generator.industries.pharma_campaign import call_multiplier

from conftest import ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def pharma():
    return generator.load("pharma", ROOT / "datasets")


def test_a_doctors_value_is_the_margin_of_their_prescriptions_less_their_calls(pharma):
    value = prescribers.doctor_value(pharma)
    assert len(value) == len(pharma["doctors"]) and value.index.name == "doctor_id"
    # by hand for one doctor
    doctor = value["prescriptions"].idxmax()
    start = pharma.as_of - pd.Timedelta(days=364)
    written = pharma["prescriptions"].query("doctor_id == @doctor")
    mine = pharma["refills"].merge(written[["prescription_id"]])
    mine = mine[mine.dispensed_on >= start].merge(pharma["products"][["product_id", "unit_cost"]])
    margin = (mine.amount - mine.packs * mine.unit_cost).sum()
    assert value.loc[doctor, "margin"] == pytest.approx(margin, abs=0.01)
    assert value.loc[doctor, "prescriptions"] == (written.written_on >= start).sum()
    calls = pharma["detailing_calls"].query("doctor_id == @doctor and call_date >= @start")
    assert value.loc[doctor, "calls"] == len(calls)
    assert value.loc[doctor, "call_cost"] > 0
    assert (value["value"] == (value["margin"] - value["call_cost"]).round(2)).all()


def test_the_medical_pyramid_of_doctors_is_concentrated(pharma):
    value = prescribers.doctor_value(pharma)
    layers = customer_value.abc_layers(value["value"])
    table = customer_value.pyramid(value["value"], layers)
    assert table.iloc[0, :].notna().all()
    top = value["margin"].sort_values(ascending=False)
    assert top.head(len(top) // 5).sum() > 0.5 * top.sum()


def test_the_usual_plan_is_the_last_years_calls(pharma):
    usual = prescribers.usual_plan(pharma)
    last_year = pharma["detailing_calls"].call_date > pharma.as_of - pd.Timedelta(days=365)
    assert usual.calls_per_month.sum() * 12 == pytest.approx(last_year.sum(), rel=0.01)
    assert usual.calls.sum() == pytest.approx(last_year.sum() / 2, rel=0.05)  # half a year


def test_the_trials_curve_is_the_simulators_at_the_average_doctor():
    calls = np.array([0, 3, 6, 12, 24])
    months = prescribers.PLAN_DAYS / 30.44
    lift = prescribers.CALL_RESPONSE["max_lift"]
    assert np.allclose(prescribers.multiplier(calls), call_multiplier(calls / months, lift))
    assert prescribers.expected_extra([10.0], [6], [6])[0] == 0
    extra = prescribers.expected_extra([10.0, 10.0], [6, 12], [0, 6])
    assert extra[0] > extra[1] > 0  # diminishing returns
    assert prescribers.expected_extra([10.0], [6], [12])[0] < 0


def test_the_usual_plan_is_worth_nothing_against_the_usual_calls(pharma):
    """The simulator's control doctors keep the calls the course's usual plan reads."""
    plan = prescribers.usual_plan(pharma)[["doctor_id", "calls"]]
    truth = generator.simulate(pharma, {"kind": "call plan"}, plan).truth
    assert (truth.prescriptions_planned == truth.prescriptions_usual).all()
    assert (truth.incremental_profit == 0).all()
