"""The drug maker's patient-support programme: how a patient's refill gaps follow their
adherence, what the programme (SMS reminders) does to them, and the campaign simulator
(:func:`generator.simulate`) that offers the programme to any list of patients.

The recorded programme (in :mod:`generator.industries.pharma`) and the simulator use the same
:func:`gap_days` and :func:`programme_gaps`, so a simulated programme works like the recorded
one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator import arrays, population


def gap_days(supply, draw, adherence):
    """Days without medicine after a supply of ``supply`` days runs out, for a patient whose
    expected share of days covered is ``adherence`` and a unit-mean exponential ``draw``: a gap
    of supply × draw × (1/adherence − 1) keeps the share of days covered at about
    ``adherence``."""
    return np.floor(supply * draw * (1 / adherence - 1) + 0.5).astype(np.int64)


def with_programme(adherence, gap_closed: float):
    """A patient's adherence in the programme: it closes ``gap_closed`` of 1 − adherence."""
    return adherence + gap_closed * (1 - adherence)


def programme_gaps(gaps, adherence, gap_closed: float):
    """The same patient's ``gaps`` (days) in the programme: each shortened by the ratio of
    1/adherence − 1 in and out of it, so the same draw gives the adherence the programme
    brings (:func:`with_programme`)."""
    treated = with_programme(adherence, gap_closed)
    scale = (1 / treated - 1) / (1 / adherence - 1)
    return np.floor(gaps * scale + 0.5).astype(np.int64)


# ---------------------------------------------------------------- the campaign simulator


def simulate(ds, campaign: dict, patient_ids, holdout: float):
    """The patient-support programme (SMS refill reminders) offered to ``patient_ids`` from a
    day in the hidden future (see :func:`generator.simulate`).

    ``campaign``: ``launched_on`` (a day in the hidden future; default the day after the as-of
    date), ``follow_up_days`` (the days over which adherence is measured; default the recorded
    programme's 180) and ``channel`` (``sms``, the only one the programme uses). Every listed
    patient must have agreed to SMS and not be in the programme already. A patient responds
    when adherent: a proportion of days covered (PDC) of at least 0.8 over the follow-up.
    """
    from generator import simulator
    from generator.industries.pharma import SPEC

    campaign = _campaign(ds, campaign, SPEC["programme"]["follow_up_days"])
    ids = _listed(ds, patient_ids)
    launch, days = campaign["launched_on"], campaign["follow_up_days"]
    seed = ds.manifest["parameters"]["seed"]
    extra = days // int(ds["products"]["pack_days"].min()) + 2  # fills a draw may add
    kinds = ("gap", "break", "length", "angle")
    purposes = ("group", *(f"{kind}{k}" for kind in kinds for k in range(extra)))
    u = simulator.draws(seed, campaign, ids, purposes)
    fills = _fills(ds, ids, launch)
    truth = ds.truth("patient_truth").set_index("patient_id").loc[ids]
    adherence = truth["adherence"].to_numpy()
    gone = truth["stopped_on"].fillna(
        ds.truth("future_customers").set_index("patient_id").loc[ids, "leaves_on"]
    )
    leave = (gone - launch).dt.days.to_numpy(dtype=float, na_value=np.inf)
    end = (ds.as_of + pd.DateOffset(months=population.FUTURE_MONTHS) - launch).days + 1
    treated_fills = _with_programme(fills, adherence, leave, end, u, extra)
    before = SPEC["programme"]["reminder_days_before"]
    reminders = _reminders(treated_fills, leave, days, before)
    control, programme = _outcome(fills, len(ids), days), _outcome(treated_fills, len(ids), days)
    costs = ds["unit_costs"].set_index("activity")["cost"]
    cost = costs["programme enrolment"] + costs["sms reminder"] * reminders
    adherent = SPEC["simulator"]["adherent_pdc"]
    treated = u["group"] >= holdout
    seen = {k: np.where(treated, programme[k], control[k]) for k in control}
    results = {
        "pdc": seen["pdc"].round(4),
        "refills": seen["refills"],
        "packs": seen["packs"],
        "spend": np.round(seen["amount"], 2),
    }
    customers = simulator.observed(
        ids, treated, seen["pdc"] >= adherent, results, seen["margin"], cost, key="patient_id"
    )
    # each patient's two potential outcomes: the model is deterministic given the draws
    p_control = (control["pdc"] >= adherent).astype(float)
    p_treated = (programme["pdc"] >= adherent).astype(float)
    expected = programme["margin"] - control["margin"] - cost
    return simulator.outcome(
        campaign,
        customers,
        treated,
        p_control,
        p_treated,
        expected,
        pdc_control=control["pdc"].round(4),
        pdc_treated=programme["pdc"].round(4),
    )


def _listed(ds, patient_ids) -> np.ndarray:
    """The listed patients' ids, or one clear error: a bad list, patients who did not agree to
    SMS, or patients in the programme already."""
    from generator import simulator

    patients = ds["patients"].set_index("patient_id")
    ids = simulator.listed(patients, patient_ids, "sms", who="patient")
    programme = ds["patient_programme"]
    enrolled = programme.loc[programme["test_group"] == "programme", "patient_id"]
    inside = ids[np.isin(ids, enrolled)]
    if len(inside):
        raise simulator.CampaignError(
            f"{len(inside)} of the patients are in the programme already "
            f"(e.g. {simulator.some(inside)}): leave them out"
        )
    return ids


def _fills(ds, ids: np.ndarray, launch: pd.Timestamp) -> dict[str, np.ndarray]:
    """Every dispensing of the listed patients, seen and in the hidden future, as arrays sorted
    by patient (``who``: the position in ``ids``) and day (``t``: days from the launch), with
    their supply, packs, amount, margin and the break off therapy before each."""
    products = ds["products"].set_index("product_id")
    seen = ds["refills"]
    seen = seen[seen["patient_id"].isin(ids)]
    unit_cost = seen["product_id"].map(products["unit_cost"]).to_numpy()
    seen = seen.assign(margin=(seen["amount"] - seen["packs"] * unit_cost).round(2), break_days=0)
    future = ds.truth("future_refills")
    columns = [
        "patient_id",
        "dispensed_on",
        "days_supply",
        "packs",
        "amount",
        "margin",
        "break_days",
    ]
    both = pd.concat(
        [seen[columns], future.loc[future["patient_id"].isin(ids), columns]], ignore_index=True
    )
    position = pd.Series(np.arange(len(ids)), index=ids)
    who = position.loc[both["patient_id"]].to_numpy()
    t = (both["dispensed_on"] - launch).dt.days.to_numpy()
    order = np.lexsort((t, who))
    return {
        "who": who[order],
        "t": t[order],
        "supply": both["days_supply"].to_numpy()[order],
        "packs": both["packs"].to_numpy()[order],
        "amount": both["amount"].to_numpy()[order],
        "margin": both["margin"].to_numpy()[order],
        "pause": both["break_days"].to_numpy()[order],
    }


def _with_programme(fills, adherence, leave, end, u, extra) -> dict[str, np.ndarray]:
    """The listed patients' dispensings (:func:`_fills`) had they joined the programme at the
    launch: from the first refill reminded after it, each gap shrinks as in the recorded
    programme (:func:`programme_gaps`; breaks off therapy stay as they are), so later refills
    come sooner, and more of them fit before the patient stops for good (``leave``) or the
    hidden future ends (``end``, days from the launch). Those are drawn from the patient's own
    numbers ``u`` (``extra`` of them), as the generator draws gaps and breaks."""
    from generator.industries.pharma import SPEC

    spec, breaks = SPEC["programme"], SPEC["therapy"]["breaks"]
    closed, before = spec["gap_closed"], spec["reminder_days_before"]
    who, t, supply = fills["who"], fills["t"], fills["supply"]
    due = t + supply
    last = np.r_[who[1:] != who[:-1], True] if len(who) else np.zeros(0, bool)
    gap = np.r_[t[1:], 0] - due
    pause = np.r_[fills["pause"][1:], 0]  # the break before the next fill
    a = adherence[who]
    shrunk = np.where(due - before >= 0, programme_gaps(gap - pause, a, closed) + pause, gap)
    step = np.where(last, 0, supply + shrunk)
    moved = t[arrays.run_first(who)] + arrays.run_cumsum(who, step) - step
    # after each patient's last dispensing: the next gap was not seen (it runs past the stop
    # or the future's end), so it is drawn again beyond that point, then the fills after it
    at = np.flatnonzero(last)
    p, s = who[at], supply[at][:, None]
    stop = np.minimum(leave, end)[p]
    draw = np.column_stack([-np.log1p(-u[f"gap{k}"][p]) for k in range(extra)])
    regular = gap_days(s, draw, adherence[p][:, None])
    regular[:, 0] += np.maximum(stop - due[at], 0).astype(np.int64)  # stop: a finite day
    normal = np.column_stack(
        [
            np.sqrt(-2 * np.log1p(-u[f"length{k}"][p])) * np.cos(2 * np.pi * u[f"angle{k}"][p])
            for k in range(extra)
        ]
    )
    on_break = np.column_stack([u[f"break{k}"][p] < breaks["share"] for k in range(extra)])
    length = np.floor(np.exp(np.log(breaks["median_days"]) + breaks["sigma"] * normal))
    pauses = np.where(on_break, length, 0).astype(np.int64)
    gaps = programme_gaps(regular, adherence[p][:, None], closed)
    gaps[:, 0] = np.where(due[at] - before >= 0, gaps[:, 0], regular[:, 0])
    day = moved[at][:, None] + np.cumsum(s + gaps + pauses, axis=1)
    row, _ = np.nonzero(day < stop[:, None])
    new = at[row]
    out = {
        "who": np.r_[who, who[new]],
        "t": np.r_[moved, day[day < stop[:, None]]],
        **{k: np.r_[fills[k], fills[k][new]] for k in ("supply", "packs", "amount", "margin")},
    }
    order = np.lexsort((out["t"], out["who"]))
    return {k: v[order] for k, v in out.items()}


def _reminders(fills, leave, days: int, before: int) -> np.ndarray:
    """Per patient, the SMS reminders the programme sends in the ``days`` of the follow-up:
    ``before`` days before each refill falls due, while on therapy (before ``leave``)."""
    who = fills["who"]
    sent = fills["t"] + fills["supply"] - before
    return np.bincount(who[(sent >= 0) & (sent < days) & (sent < leave[who])], minlength=len(leave))


def _outcome(fills, n: int, days: int) -> dict[str, np.ndarray]:
    """Per patient (``n``), what the dispensings (:func:`_fills`) give over the ``days`` of
    the follow-up from the launch: refills, packs, amount, margin and the PDC."""
    who, t, supply = fills["who"], fills["t"], fills["supply"]
    inside = (t >= 0) & (t < days)
    covered = np.clip(np.minimum(t + supply, days) - np.maximum(t, 0), 0, None)

    def total(values):
        return np.bincount(who[inside], weights=values[inside], minlength=n)

    return {
        "refills": np.bincount(who[inside], minlength=n),
        "packs": total(fills["packs"]).astype(np.int64),
        "amount": np.round(total(fills["amount"] * 100)) / 100,
        "margin": np.round(total(fills["margin"] * 100)) / 100,
        "pdc": np.bincount(who, weights=covered, minlength=n) / days,
    }


def _campaign(ds, campaign: dict, follow_up: int) -> dict:
    """The programme's settings checked and completed, or one clear error: it reminds by SMS
    only."""
    from generator import simulator

    return simulator.settings(
        ds,
        campaign,
        choices={"channel": ("sms",)},
        days=("follow_up_days", follow_up),
        defaults={"channel": "sms"},
        what="programme",
    )
