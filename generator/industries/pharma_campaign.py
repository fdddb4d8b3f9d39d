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

from generator import arrays, locales, population


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


KINDS = ("programme", "call plan")


def simulate(ds, campaign: dict, listed, holdout: float):
    """The patient-support programme offered to a list of patients (``kind`` "programme", the
    default: :func:`programme`), or a plan of representatives' calls on doctors (``kind`` "call
    plan": :func:`call_plan`), from a day in the hidden future (see :func:`generator.simulate`).
    """
    from generator import simulator

    campaign = dict(campaign)
    kind = campaign.pop("kind", "programme")
    if kind not in KINDS:
        raise simulator.CampaignError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    if kind == "call plan":
        return call_plan(ds, campaign, listed, holdout)
    return programme(ds, campaign, listed, holdout)


def programme(ds, campaign: dict, patient_ids, holdout: float):
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


# ---------------------------------------------------------------- the call plan


def call_multiplier(calls_per_month, lift, weight=1.0):
    """How much a doctor prescribes with ``calls_per_month`` calls (of a channel counting
    ``weight`` of a visit) against none: 1 + lift × (1 − exp(−calls / saturation)). The first
    calls do most; ``lift`` (the doctor's ``call_lift``) is the most calls can add."""
    from generator.industries.pharma import SPEC

    scale = SPEC["detailing"]["response"]["saturation_calls_per_month"]
    return 1 + lift * (1 - np.exp(-np.asarray(calls_per_month) * weight / scale))


def usual_calls(ds, days: int = 365) -> pd.Series:
    """Each doctor's usual calls a month: their recorded calls over the last ``days`` days to
    the as-of date (the representatives call by the doctor's true tier, spec
    ``detailing.calls_per_month``), per month of 30.44 days."""
    calls = ds["detailing_calls"]
    recent = calls[calls["call_date"] > ds.as_of - pd.Timedelta(days=days)]
    doctors = ds["doctors"]["doctor_id"]
    count = recent.groupby("doctor_id").size().reindex(doctors, fill_value=0)
    return (count / (days / 30.44)).astype(float).rename("calls_per_month")


def call_plan(ds, campaign: dict, plan, holdout: float):
    """A plan of representatives' calls on doctors, run over ``follow_up_days`` (default 180)
    from ``launched_on`` (default the day after the as-of date).

    ``plan``: a table of ``doctor_id`` and ``calls`` (the calls on the doctor over the follow-up,
    a whole number, 0 for none); ``campaign``: ``channel`` ("visit", the default, or "remote",
    a call counting for less at a quarter of the cost). A random ``holdout`` share of the
    listed doctors keep their usual calls (:func:`usual_calls`, last year's, over the follow-up
    and rounded to whole visits): the control group.

    A doctor's prescriptions over the follow-up are what the hidden future holds under the usual
    calls, scaled by :func:`call_multiplier` of the plan's calls against the usual ones: extra
    prescriptions are drawn (Poisson) and each is worth the doctor's average prescription (the
    margin of the packs dispensed on it), over the database's share of the doctor's patients (the
    database holds the programme's patients, a tenth of those on the company's medicines; spec
    ``detailing.response.database_share``); fewer calls lose prescriptions (each with the chance
    the lower multiplier says). ``responded``: the doctor wrote at least one prescription;
    ``contact_cost``: what the plan's calls cost beyond the usual ones (negative when fewer),
    so the profit of a contacted doctor is against the usual plan.
    """
    from scipy import stats

    from generator import simulator
    from generator.industries.pharma import SPEC

    spec = SPEC["detailing"]["response"]
    campaign = simulator.settings(
        ds,
        campaign,
        choices={"channel": tuple(spec["weights"])},
        days=("follow_up_days", SPEC["programme"]["follow_up_days"]),
        defaults={"channel": "visit"},
        what="call plan",
    )
    ids, calls = _plan(ds, plan)
    launch, days = campaign["launched_on"], campaign["follow_up_days"]
    months = days / 30.44
    truth = ds.truth("doctor_truth").set_index("doctor_id").loc[ids]
    usual = np.round(usual_calls(ds).loc[ids].to_numpy() * months)  # over the follow-up
    lift = truth["call_lift"].to_numpy()
    ratio = call_multiplier(calls / months, lift, spec["weights"][campaign["channel"]]) / (
        call_multiplier(usual / months, lift)
    )
    count, value, rate = _prescribing(ds, ids, launch, days)
    value = value / spec["database_share"]  # the database's prescriptions stand for more
    seed = ds.manifest["parameters"]["seed"]
    u = simulator.draws(seed, {**campaign, "kind": "call plan"}, ids, ("group", "more", "fewer"))
    treated = u["group"] >= holdout
    more = np.maximum(stats.poisson.ppf(u["more"], rate * np.maximum(ratio - 1, 0)), 0)
    fewer = np.maximum(stats.binom.ppf(u["fewer"], count, np.clip(1 - ratio, 0, 1)), 0)
    planned = (count + more - fewer).astype(np.int64)
    seen = np.where(treated, planned, count)
    margin = seen * value
    cost = _call_costs(ds, ids, campaign["channel"]) * calls - _call_costs(ds, ids, "visit") * usual
    results = {
        "calls": np.where(treated, calls, usual).astype(np.int64),
        "prescriptions": seen,
    }
    customers = simulator.observed(ids, treated, seen > 0, results, margin, cost, key="doctor_id")
    expected = rate * (ratio - 1) * value - cost
    return simulator.outcome(
        {**campaign, "kind": "call plan"},
        customers,
        treated,
        1 - np.exp(-rate),
        1 - np.exp(-rate * ratio),
        expected,
        prescriptions_usual=np.round(rate, 2),
        prescriptions_planned=np.round(rate * ratio, 2),
    )


def _plan(ds, plan) -> tuple[np.ndarray, np.ndarray]:
    """The plan's doctors and calls, or one clear error."""
    from generator import simulator

    if not isinstance(plan, pd.DataFrame) or not {"doctor_id", "calls"} <= set(plan.columns):
        raise simulator.CampaignError(
            "a call plan is a table of doctor_id and calls (the calls on each doctor over the "
            "follow-up)"
        )
    doctors = ds["doctors"].set_index("doctor_id")
    ids = simulator.check_ids(plan["doctor_id"].tolist(), doctors.index, who="doctor")
    calls = pd.to_numeric(plan["calls"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(calls) | (calls < 0) | (calls != np.round(calls))
    if bad.any():
        raise simulator.CampaignError(
            f"calls must be whole numbers of 0 or more, not {plan['calls'].iloc[np.argmax(bad)]!r}"
        )
    return ids, calls


def _prescribing(ds, ids, launch, days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per doctor: the prescriptions the hidden future holds over the ``days`` from ``launch``
    (under the usual calls), the margin of the packs dispensed on one of them (the doctor's
    average, else everyone's), and the doctor's expected prescriptions over such a window (the
    year before the launch and the window together, so a quiet window is not taken for none)."""
    future = ds.truth("future_prescriptions")
    written = pd.concat([ds["prescriptions"], future], ignore_index=True)
    end = launch + pd.Timedelta(days=days)
    window = future[(future["written_on"] >= launch) & (future["written_on"] < end)]
    fills = ds.truth("future_refills")
    worth = fills.groupby("prescription_id")["margin"].sum()
    worth = window["prescription_id"].map(worth).fillna(0.0)
    count = window.groupby("doctor_id").size().reindex(ids, fill_value=0).to_numpy()
    total = worth.groupby(window["doctor_id"]).sum().reindex(ids, fill_value=0.0).to_numpy()
    average = worth.mean() if len(worth) else 0.0
    value = np.where(count > 0, total / np.maximum(count, 1), average)
    year = written[
        (written["written_on"] >= launch - pd.Timedelta(days=365)) & (written["written_on"] < end)
    ]
    seen = year.groupby("doctor_id").size().reindex(ids, fill_value=0).to_numpy()
    return count, np.round(value, 2), seen * days / (365 + days)


def _call_costs(ds, ids, channel: str) -> np.ndarray:
    """What a call of ``channel`` costs on each doctor (primary care or specialist)."""
    from generator.industries.pharma import SPECIALTIES

    costs = ds["unit_costs"].set_index(["activity", "audience"])["cost"]
    label = locales.get(ds.locale).language
    audience = {s[label]: s["audience"] for s in SPECIALTIES.values()}
    who = ds["doctors"].set_index("doctor_id").loc[ids, "specialty"].map(audience)
    return np.array([costs[(channel, a)] for a in who])
