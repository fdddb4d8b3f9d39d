"""The drug maker's prescribers (case C3): each doctor's value, the representatives' calls on
them, and what a plan of calls may be expected to bring.

A drug maker's customers, for its representatives, are the doctors. The database holds each
doctor's prescriptions (of the patients it knows), the refills they brought and the calls made
on them::

    value = prescribers.doctor_value(pharma, pharma.as_of)     # margin, calls, value per doctor
    value["layer"] = customer_value.abc_layers(value["value"])  # the medical ABC pyramid
    usual = prescribers.usual_plan(pharma, pharma.as_of)       # the calls of the last year

What a call does is known from the company's own trials, not from the recorded calls (the
representatives call most on the biggest prescribers, so calls and prescriptions go together
whatever a call does): :data:`CALL_RESPONSE` is that curve, and :func:`expected_extra` what a
plan may be expected to add with it. The hidden truth (each doctor's own response) is the
simulator's: ``generator.simulate(pharma, {"kind": "call plan"}, plan)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course import periods
from generator.industries.pharma import SPEC, SPECIALTIES

#: What calls do, on average, from the company's trials: a doctor's prescriptions rise with c
#: calls a month as 1 + max_lift × (1 − exp(−c / saturation_calls_per_month)); a remote call
#: counts for ``weights["remote"]`` of a visit; the database holds ``database_share`` of the
#: doctors' patients on the company's medicines.
CALL_RESPONSE = dict(SPEC["detailing"]["response"])

#: The follow-up of a plan of calls, in days (the simulator's default): about six months.
PLAN_DAYS = SPEC["programme"]["follow_up_days"]

_DAYS_PER_MONTH = 30.44


def audiences(ds) -> pd.Series:
    """Each doctor's audience ("primary care" or "specialist"), by their specialty, as
    ``unit_costs`` prices calls."""
    names = {s[k]: s["audience"] for s in SPECIALTIES.values() for k in ("en", "zh")}
    doctors = ds["doctors"].set_index("doctor_id")
    return doctors["specialty"].astype(str).map(names).rename("audience")


def doctor_value(ds, as_of=None, days: int = 365) -> pd.DataFrame:
    """Every doctor's last ``days`` days to ``as_of`` (default the build's as-of date), one
    row each by ``doctor_id``: ``prescriptions`` written, ``margin`` of the refills dispensed
    on their prescriptions (amount less the packs' cost of goods), ``calls`` made on them,
    what the calls cost (``call_cost``, each at its price for its kind and the doctor's
    audience) and ``value`` (margin − call cost)."""
    as_of = ds.as_of if as_of is None else pd.Timestamp(as_of)
    doctors = ds["doctors"].set_index("doctor_id")
    written = ds["prescriptions"]
    written = written[periods.in_window(written["written_on"], as_of, days)]
    refills = ds["refills"]
    refills = refills[periods.in_window(refills["dispensed_on"], as_of, days)]
    refills = refills.merge(ds["prescriptions"][["prescription_id", "doctor_id"]])
    refills = refills.merge(ds["products"][["product_id", "unit_cost"]])
    margin = refills["amount"] - refills["packs"] * refills["unit_cost"]
    calls = ds["detailing_calls"]
    calls = calls[periods.in_window(calls["call_date"], as_of, days)]
    prices = ds["unit_costs"].astype({"activity": str, "audience": str})
    prices = prices.set_index(["activity", "audience"])["cost"]
    audience = calls["doctor_id"].map(audiences(ds))
    cost = pd.Series(
        prices.reindex(
            pd.MultiIndex.from_arrays([calls["channel"].astype(str), audience])
        ).to_numpy(),
        index=calls.index,
    )
    table = pd.DataFrame(
        {
            "prescriptions": written.groupby("doctor_id").size(),
            "margin": margin.groupby(refills["doctor_id"]).sum(),
            "calls": calls.groupby("doctor_id").size(),
            "call_cost": cost.groupby(calls["doctor_id"]).sum(),
        }
    )
    table = table.reindex(doctors.index).fillna(0)
    table = table.astype({"prescriptions": "int64", "calls": "int64"})
    table["margin"] = table["margin"].round(2)
    table["call_cost"] = table["call_cost"].round(2)
    table["value"] = (table["margin"] - table["call_cost"]).round(2)
    return table


def usual_plan(ds, as_of=None, days: int = PLAN_DAYS, history: int = 365) -> pd.DataFrame:
    """The representatives' usual calls as a plan for the next ``days`` days: each doctor's
    calls a month over the last ``history`` days, times the months of the plan, rounded
    (``doctor_id``, ``calls_per_month``, ``calls``)."""
    as_of = ds.as_of if as_of is None else pd.Timestamp(as_of)
    calls = ds["detailing_calls"]
    calls = calls[periods.in_window(calls["call_date"], as_of, history)]
    doctors = ds["doctors"]["doctor_id"]
    count = calls.groupby("doctor_id").size().reindex(doctors, fill_value=0)
    rate = count / (history / _DAYS_PER_MONTH)
    return pd.DataFrame(
        {
            "doctor_id": doctors.to_numpy(),
            "calls_per_month": rate.round(2).to_numpy(),
            "calls": np.round(rate.to_numpy() * (days / _DAYS_PER_MONTH)).astype(np.int64),
        }
    )


def multiplier(calls, days: int = PLAN_DAYS, channel: str = "visit", lift=None):
    """How much a doctor prescribes with ``calls`` calls over ``days`` days against none, by
    :data:`CALL_RESPONSE` (``lift``: the most calls add, by default the trials' average)."""
    r = CALL_RESPONSE
    lift = r["max_lift"] if lift is None else lift
    per_month = np.asarray(calls, float) / (days / _DAYS_PER_MONTH)
    return 1 + lift * (
        1 - np.exp(-per_month * r["weights"][channel] / r["saturation_calls_per_month"])
    )


def expected_extra(prescriptions, calls, usual, days: int = PLAN_DAYS, channel="visit"):
    """The prescriptions a plan may be expected to add over ``days`` days to doctors who would
    write ``prescriptions`` with their ``usual`` calls, if they get ``calls`` instead (negative
    where they get fewer), by the trials' average response (:func:`multiplier`)."""
    prescriptions = np.asarray(prescriptions, float)
    ratio = multiplier(calls, days, channel) / multiplier(usual, days)
    return prescriptions * (ratio - 1)
