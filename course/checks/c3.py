"""Checks for case C3, a multinational drug maker's database marketing in China: ``from
course.checks import c3 as check``.

Every right answer is computed from the drug maker's database that ``generator.load`` opens
from :func:`course.datasets.case_folder` (the China build inside the course's databases, or the
folder named by ``GENERATOR_DATASETS``), so the checks hold for a database built with any seed,
locale or currency. The open decision, the representatives' call plan for the next six months,
is judged by what it is worth rather than by equality: the check runs it through the campaign
simulator and its true worth over all the doctors (the plan's expected profit against the usual
calls) must reach a bar set from the data: a share of what the course's reference rule (each
call to the doctor whose next call adds most expected prescriptions) reaches at its best total
of calls, and more than the usual calls are worth. Any plan that reaches the bar is right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

import generator
from course import adherence, customer_value, datasets, periods, prescribers
from course.checking import Amount, Decision, Number, Read, series_forms, task
from generator.simulator import CampaignError

#: Each doctor's value and the pyramid read the last these many days up to the as-of date.
VALUE_DAYS = 365

#: The call plan's follow-up (about six months) and the share of its doctors the simulator
#: keeps on their usual calls (the control doctors).
PLAN_DAYS = prescribers.PLAN_DAYS
HOLDOUT = 0.5

#: The reference rule's totals of calls, as multiples of the usual plan's total; a plan must
#: be worth at least ``PLAN_SHARE`` of the best of them.
REFERENCE_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5)
PLAN_SHARE = 0.6

#: The trial's adherence: the proportion of days covered over these many days from each
#: patient's index date (the first fill).
PDC_DAYS = 180

#: Task 5: the group's PDC over the last ``GAP_DAYS`` days, and the programme's follow-up.
GAP_DAYS = 180
PROGRAMME_DAYS = 365

LAYERS = tuple(customer_value.ABC_LAYERS)
GROUPS = ("programme", "usual care")


@cache
def pharma():
    return generator.load("pharma", datasets.case_folder("pharma"))


@cache
def _value(days: int = VALUE_DAYS) -> pd.DataFrame:
    return prescribers.doctor_value(pharma(), pharma().as_of, days)


# ---------------------------------------------------------------- task 1: the pyramid


def _as_pyramid(answer) -> pd.DataFrame | str:
    """The answer as a table indexed A, B, C, D with ``doctors`` and ``value_share``, or why
    it cannot be read."""
    how = (
        "a DataFrame indexed by layer (A, B, C, D) with the columns doctors and value_share "
        "(`customer_value.pyramid`'s customers and share_of_total are fine too)."
    )
    if not isinstance(answer, pd.DataFrame):
        return f"The answer should be {how} It is a {type(answer).__name__}."
    frame = answer.set_index("layer") if "layer" in answer.columns else answer
    frame = frame.rename(columns={"customers": "doctors", "share_of_total": "value_share"})
    missing = [c for c in ("doctors", "value_share") if c not in frame.columns]
    if missing:
        return f"Your table has no column {', '.join(missing)}: give {how}"
    labels = [str(k) for k in frame.index]
    if sorted(labels) != sorted(LAYERS):
        shown = ", ".join(sorted(labels)[:6])
        return f"Give one row per layer, A, B, C and D (yours: {shown}): {how}"
    try:
        values = pd.DataFrame(
            frame[["doctors", "value_share"]].to_numpy(dtype="float64"),
            index=labels,
            columns=["doctors", "value_share"],
        )
    except (TypeError, ValueError):
        return "The counts and shares should be numbers."
    if values.isna().any().any():
        return "A count or a share is NaN: every layer holds doctors."
    return values.loc[list(LAYERS)]


@dataclass(frozen=True)
class _Pyramid(Read):
    """Per layer the doctors (exact) and their share of the total value (within 1e-5)."""

    noun = "a table of doctors and value share by layer"

    def read(self, answer):
        return _as_pyramid(answer)

    def equal(self, got, want):
        return bool(
            (got["doctors"] == want["doctors"]).all()
            and np.allclose(got["value_share"], want["value_share"], rtol=0, atol=1e-5)
        )

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if np.allclose(got["value_share"], 100 * want["value_share"], rtol=1e-6):
            return "Your shares look like percentages: give them as shares between 0 and 1."
        if not (got["doctors"] == want["doctors"]).all():
            return (
                "Your layers hold other numbers of doctors than the pyramid's (A the top 5 %, "
                "B the next 15 %, C the next 30 %, D the rest): use `customer_value.abc_layers`."
            )
        return "Each layer holds the right number of doctors, but the value shares differ."

    def variants(self, answer):
        table = _as_pyramid(answer)
        return [
            answer,
            table,
            table.iloc[::-1],
            table[["value_share", "doctors"]],
            table.astype({"doctors": "int64"}).assign(below_zero=0),
            table.rename_axis("layer").reset_index(),
            table.rename(columns={"doctors": "customers", "value_share": "share_of_total"}),
            table.set_axis(pd.CategoricalIndex(table.index), axis=0),
        ]


def _pyramid_of(value: pd.Series, layer: pd.Series) -> pd.DataFrame:
    table = customer_value.pyramid(value, layer)
    return table[["customers", "share_of_total"]].set_axis(["doctors", "value_share"], axis=1)


@task(
    _Pyramid(),
    hint="Take each doctor's `value` over the last 365 days (`prescribers.doctor_value`: the "
    "margin of their prescriptions less the calls' cost), put the doctors in layers with "
    "`customer_value.abc_layers`, and give per layer the doctors and their share of the total "
    "value (`customer_value.pyramid`).",
)
def prescriber_pyramid():
    value = _value()
    right = _pyramid_of(value["value"], customer_value.abc_layers(value["value"]))
    margin, written = value["margin"], value["prescriptions"].astype(float)
    longer = _value(2 * VALUE_DAYS)["value"]
    tiers = pharma().truth("doctor_truth").set_index("doctor_id")["tier"].astype(str)
    return right, {
        "Your value is the margin alone: a doctor's value is the margin of their prescriptions "
        "less what the calls on them cost (`value`).": _pyramid_of(
            margin, customer_value.abc_layers(margin)
        ),
        "Your pyramid counts prescriptions: rank and add up the doctors' value (margin less "
        "the calls' cost), not what they wrote.": _pyramid_of(
            written, customer_value.abc_layers(written)
        ),
        "Your value covers two years: the pyramid reads the last 365 days "
        "(`prescribers.doctor_value`'s default).": _pyramid_of(
            longer, customer_value.abc_layers(longer)
        ),
        "Your layers are the simulator's true tiers, which the company never sees: rank the "
        "doctors by the value in the records (`customer_value.abc_layers`).": _pyramid_of(
            value["value"], tiers.reindex(value.index)
        ),
    }


# ---------------------------------------------------------------- task 2: calls and prescriptions


def _counts(days: int = VALUE_DAYS, start=None, visits_only: bool = False) -> pd.DataFrame:
    """Each doctor's calls and prescriptions in the ``days`` days up to the as-of date (or
    from the day after ``start``, a mistake), every doctor, 0 where none."""
    ds = pharma()
    calls, written = ds["detailing_calls"], ds["prescriptions"]
    if visits_only:
        calls = calls[calls["channel"].astype(str) == "visit"]
    if start is None:
        calls = calls[periods.in_window(calls["call_date"], ds.as_of, days)]
        written = written[periods.in_window(written["written_on"], ds.as_of, days)]
    else:
        calls = calls[(calls["call_date"] > start) & (calls["call_date"] <= ds.as_of)]
        written = written[(written["written_on"] > start) & (written["written_on"] <= ds.as_of)]
    doctors = ds["doctors"]["doctor_id"]
    return pd.DataFrame(
        {
            "calls": calls.groupby("doctor_id").size().reindex(doctors, fill_value=0),
            "prescriptions": written.groupby("doctor_id").size().reindex(doctors, fill_value=0),
        }
    )


@task(
    Number(),
    hint="Count each doctor's calls (`detailing_calls`, every kind) and prescriptions "
    "(`prescriptions`) in the 365 days up to the as-of date (`periods.in_window`, or "
    "`prescribers.doctor_value`), every doctor with 0 where there is none, and give the "
    "(Pearson) correlation of the two columns (`Series.corr`).",
)
def calls_and_prescriptions():
    ds = pharma()
    right = _counts()
    both = right[(right["calls"] > 0) & (right["prescriptions"] > 0)]
    calls = ds["detailing_calls"]
    calls = calls[periods.in_window(calls["call_date"], ds.as_of, VALUE_DAYS)]
    by_rep = ds["doctors"].set_index("doctor_id")["rep_id"].map(calls.groupby("rep_id").size())
    by_rep = by_rep.fillna(0).reindex(right.index)
    wrong = {
        "Your counts cover two years: the task reads the 365 days up to the as-of date.": _counts(
            2 * VALUE_DAYS
        ),
        "Your counts cover the whole database: the task reads the 365 days up to the as-of "
        "date.": _counts(10_000),
        "Your window starts a day early (365 days before the as-of date, included): the last "
        "365 days start at `periods.window_start(as_of, 365)`.": _counts(
            start=ds.as_of - pd.Timedelta(days=VALUE_DAYS + 1)
        ),
        "Your doctors leave out those without a call or a prescription in the year (an inner "
        "join): every doctor counts, with 0 where there is none.": both,
        "Your calls are visits only: count every kind of call (visit, remote, meeting).": _counts(
            visits_only=True
        ),
    }
    answers = {hint: float(t["calls"].corr(t["prescriptions"])) for hint, t in wrong.items()}
    answers[
        "Your calls are the representative's, counted for each of their doctors: join "
        "the calls to the doctors by `doctor_id`, not by `rep_id`."
    ] = float(by_rep.corr(right["prescriptions"]))
    answers[
        "That is Spearman's rank correlation: the task asks for the Pearson correlation "
        "(`Series.corr`'s default)."
    ] = float(right["calls"].corr(right["prescriptions"], method="spearman"))
    return float(right["calls"].corr(right["prescriptions"])), answers


# ---------------------------------------------------------------- task 3: the call plan


@cache
def usual() -> pd.DataFrame:
    """The representatives' usual calls as a plan for the next ``PLAN_DAYS`` days."""
    return prescribers.usual_plan(pharma(), pharma().as_of, PLAN_DAYS)


def marginal_plan(total: int, prescriptions: pd.Series | None = None) -> pd.DataFrame:
    """The reference rule: ``total`` calls, each given in turn to the doctor whose next call
    adds most expected prescriptions (:func:`prescribers.expected_extra` by the trials' curve,
    from last year's prescriptions scaled to the plan's days, against the usual calls); ties
    go to the lower doctor_id."""
    plan = usual()
    if prescriptions is None:
        prescriptions = _value()["prescriptions"] * PLAN_DAYS / VALUE_DAYS
    expected = prescriptions.reindex(plan["doctor_id"]).to_numpy(dtype=float)
    steps = np.arange(total + 1)
    levels = prescribers.multiplier(steps, PLAN_DAYS)
    base = prescribers.multiplier(plan["calls"].to_numpy(), PLAN_DAYS)
    gains = (expected / base)[:, None] * np.diff(levels)[None, :]  # doctor × k-th call
    doctor = np.repeat(np.arange(len(plan)), total)
    order = np.lexsort((np.tile(steps[1:], len(plan)), doctor, -gains.ravel()))[:total]
    calls = np.bincount(doctor[order], minlength=len(plan))
    return pd.DataFrame({"doctor_id": plan["doctor_id"].to_numpy(), "calls": calls})


def _scaled(scale: float) -> int:
    return int(round(scale * usual()["calls"].sum()))


def _as_plan(answer) -> pd.DataFrame | str:
    """The answer as a table of every doctor's whole calls (doctor_id, calls; sorted by
    doctor), or why it cannot be one."""
    how = (
        "a table with the columns doctor_id and calls (the visits on the doctor over the next "
        f"{PLAN_DAYS} days), one row for every doctor."
    )
    if isinstance(answer, pd.Series) and answer.index.name == "doctor_id":
        answer = answer.rename("calls").reset_index()
    if isinstance(answer, pd.DataFrame) and answer.index.name == "doctor_id":
        answer = answer if "doctor_id" in answer.columns else answer.reset_index()
    if not isinstance(answer, pd.DataFrame):
        return f"The answer should be {how} It is a {type(answer).__name__}."
    missing = [c for c in ("doctor_id", "calls") if c not in answer.columns]
    if missing:
        return f"Your table has no column {', '.join(missing)}: give {how}"
    ids = pd.to_numeric(answer["doctor_id"], errors="coerce")
    if ids.isna().any() or (ids != ids.round()).any():
        return "The doctor_id column should hold doctor ids (whole numbers)."
    ids = ids.astype("int64")
    twice = ids[ids.duplicated()].unique()
    if len(twice):
        return (
            f"{len(twice):,} doctors are in your plan more than once (e.g. "
            f"{', '.join(map(str, twice[:3]))}): give each doctor one row with all their calls."
        )
    doctors = pharma()["doctors"]["doctor_id"]
    unknown = ids[~ids.isin(doctors)]
    if len(unknown):
        return (
            f"{len(unknown):,} of your doctor ids are not the company's doctors (e.g. "
            f"{', '.join(map(str, unknown[:3]))})."
        )
    left_out = doctors[~doctors.isin(ids)]
    if len(left_out):
        return (
            f"Your plan leaves out {len(left_out):,} of the {len(doctors):,} doctors (e.g. "
            f"{', '.join(map(str, left_out[:3]))}): a doctor left out is not in the simulation "
            "at all, so the plan must list every doctor once, with 0 calls for none."
        )
    calls = pd.to_numeric(answer["calls"], errors="coerce")
    if isinstance(answer["calls"].dtype, pd.BooleanDtype) or answer["calls"].dtype == bool:
        return "The calls should be numbers of calls, not True/False."
    bad = calls.isna() | ~np.isfinite(calls.astype(float)) | (calls < 0) | (calls != calls.round())
    if bad.any():
        odd = answer["calls"][bad.to_numpy()].iloc[0]
        return (
            f"The calls should be whole numbers of 0 or more (one of yours is {odd!r}): round "
            "them (`.round().astype(int)`) and give 0 where there is none."
        )
    plan = pd.DataFrame({"doctor_id": ids.to_numpy(), "calls": calls.astype("int64").to_numpy()})
    return plan.sort_values("doctor_id", kind="stable").reset_index(drop=True)


def _rows(plan: pd.DataFrame) -> tuple[tuple[int, int], ...]:
    return tuple(plan.itertuples(index=False, name=None))


@cache
def _worth(rows: tuple[tuple[int, int], ...]) -> tuple[float | None, str]:
    """A plan's true worth over all its doctors (the simulator's expected profit against the
    usual calls, no group drawn), or None and why the simulator refused it."""
    plan = pd.DataFrame(list(rows), columns=["doctor_id", "calls"])
    try:
        outcome = generator.simulate(pharma(), {"kind": "call plan"}, plan, holdout=HOLDOUT)
    except CampaignError as error:
        return None, f"The simulator refused your plan: {error}."
    return float(outcome.truth["incremental_profit"].sum()), ""


def worth(plan: pd.DataFrame) -> float:
    """What a plan (doctor_id, calls) is truly worth over all the doctors (see the module)."""
    read = _as_plan(plan)
    if isinstance(read, str):
        raise CampaignError(read)
    earned, why = _worth(_rows(read))
    if earned is None:
        raise CampaignError(why)
    return earned


@cache
def references() -> pd.Series:
    """The reference rule's true worth at each total of ``REFERENCE_SCALES`` (by scale)."""
    return pd.Series(
        {s: worth(marginal_plan(_scaled(s))) for s in REFERENCE_SCALES}, name="worth"
    ).rename_axis("scale")


def reference_plan() -> pd.DataFrame:
    """The reference rule at its best total of calls."""
    return marginal_plan(_scaled(references().idxmax()))


@cache
def plan_bar() -> float:
    """The worth a plan must reach: ``PLAN_SHARE`` of the best reference's, and more than the
    usual calls are worth, rounded down to a whole amount."""
    return float(math.floor(max(PLAN_SHARE * references().max(), worth(usual()) + 1)))


@dataclass(frozen=True)
class _Plan(Decision):
    """A call plan (doctor_id and calls for every doctor; or a Series of calls indexed by
    doctor_id), judged by its true worth in the simulator: right when it reaches
    :func:`plan_bar`. A named mistake is recognised when the answer is the same plan."""

    noun = "a table of doctor_id and calls"

    def read(self, answer):
        return _as_plan(answer)

    def equal(self, got, want):
        return _rows(got) == _rows(want)

    def score(self, form):
        return _worth(_rows(form))

    def bar(self):
        return plan_bar()

    def short(self, earned):
        currency = pharma().currency
        return (
            f"Your plan is truly worth {earned:,.0f} {currency} against the usual calls (over "
            f"all the doctors, the next {PLAN_DAYS} days); the bar is {plan_bar():,.0f} "
            f"{currency} ({PLAN_SHARE:.0%} of what the course's reference rule reaches at its "
            "best total of calls)."
        )

    def variants(self, answer):
        plan = _as_plan(answer)
        return [
            answer,
            plan.iloc[::-1],
            plan[["calls", "doctor_id"]],
            plan.set_index("doctor_id"),
            plan.set_index("doctor_id")["calls"],
            plan.assign(calls=plan["calls"].astype(float)),
            plan.assign(calls_per_month=0.0),
        ]


def _shared(total: int, who: np.ndarray) -> np.ndarray:
    """``total`` calls shared as evenly as possible among the doctors ``who`` (True/False),
    the first ones getting the calls left over."""
    given = np.where(who, total // who.sum(), 0)
    given[np.flatnonzero(who)[: total % who.sum()]] += 1
    return given


def _plan_of(calls) -> pd.DataFrame:
    return pd.DataFrame({"doctor_id": usual()["doctor_id"].to_numpy(), "calls": calls})


@task(
    _Plan(),
    hint="A call pays where the margin of the prescriptions it adds (at scale: the database "
    "sees a tenth of the doctors' patients) is more than it costs. By the trials' curve "
    "(`prescribers.expected_extra`, diminishing returns), give each doctor calls while the "
    "next one still pays, wherever that doctor sits in the pyramid.",
    praise="Your plan reaches the bar.",
)
def call_plan():
    plan = usual()
    total = int(plan["calls"].sum())
    written = _value()["prescriptions"].reindex(plan["doctor_id"]).to_numpy()
    top = pd.Series(written).rank(ascending=False, method="first").to_numpy() <= len(written) // 5
    share = np.floor(total * written / written.sum() + 0.5).astype(np.int64)
    return reference_plan(), {
        "That is the usual plan, last year's calls: the representatives call most on the "
        "biggest prescribers, who are far along the flat part of the curve. Move calls to "
        "where the next one adds most.": plan[["doctor_id", "calls"]],
        "All the calls on the top fifth is the worst way to spend them: the biggest "
        "prescribers are already on the flat part of the curve, and the other doctors lose "
        "calls that paid.": _plan_of(_shared(total, top)),
        "Calls shared equally go to many doctors who write too little for a call to pay: "
        "give calls where the next one adds most.": _plan_of(
            _shared(total, np.ones(len(written), bool))
        ),
        "Calls in proportion to the prescriptions follow the size of the doctor, not what "
        "the next call adds (diminishing returns): the biggest prescribers get calls that "
        "add little.": _plan_of(share),
        "No calls at all loses far more than any plan gains: the calls do raise the "
        "prescriptions, most of all the first few a month.": _plan_of(np.zeros(len(plan), int)),
    }


# ---------------------------------------------------------------- task 4: the programme


def _trial(start=None, days: int = PDC_DAYS) -> pd.Series:
    """Each randomised patient's PDC over ``days`` days from ``start`` (default their index
    date), indexed by patient_id."""
    programme = pharma()["patient_programme"].set_index("patient_id")
    start = programme["index_date"] if start is None else start
    return adherence.pdc(pharma()["refills"], start, days).reindex(programme.index)


def _by_group(values: pd.Series) -> pd.Series:
    group = pharma()["patient_programme"].set_index("patient_id")["test_group"].astype(str)
    means = values.astype(float).groupby(group.reindex(values.index)).mean()
    return means.reindex(list(GROUPS)).rename("adherent_share").rename_axis("test_group")


def _as_shares(answer) -> pd.Series | str:
    how = 'a Series of adherent shares indexed by test_group ("programme", "usual care").'
    if isinstance(answer, dict):
        answer = pd.Series(answer, dtype="object")
    if isinstance(answer, pd.DataFrame):
        frame = answer.set_index("test_group") if "test_group" in answer.columns else answer
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        if len(numeric) != 1:
            return f"Give one share per group, not a table: {how}"
        answer = frame[numeric[0]]
    if isinstance(answer, int | float | np.number):
        return f"Give the share of each group, not one number: {how}"
    if not isinstance(answer, pd.Series):
        return f"The answer should be {how} It is a {type(answer).__name__}."
    labels = {str(k) for k in answer.index}
    if not set(GROUPS) <= labels:
        shown = ", ".join(sorted(labels)[:4])
        return f"Give a share for each group, programme and usual care (yours: {shown}): {how}"
    picked = answer.set_axis([str(k) for k in answer.index])[list(GROUPS)]
    try:
        values = picked.astype("float64")
    except (TypeError, ValueError):
        return "The shares should be numbers between 0 and 1."
    if values.isna().any():
        return "A share is NaN: does every randomised patient have a PDC?"
    return values


@dataclass(frozen=True)
class _Shares(Read):
    """A share per group of the trial (a Series or dict indexed programme, usual care; other
    labels are ignored), each within 1e-9."""

    noun = "a Series of shares by test_group"

    def read(self, answer):
        return _as_shares(answer)

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if np.allclose(got, 100 * want, rtol=1e-6):
            return "Your shares look like percentages: give them as shares between 0 and 1."
        told = [
            f"the {g} share is too {'high' if got[g] > want[g] else 'low'}"
            for g in GROUPS
            if not math.isclose(got[g], want[g], rel_tol=1e-9, abs_tol=1e-9)
        ]
        return f"{', and '.join(told).capitalize()}."

    def variants(self, answer):
        shares = _as_shares(answer)
        return [
            answer,
            shares,
            shares.to_dict(),
            shares + 1e-12,
            pd.concat([shares, pd.Series({"difference": shares.iloc[0] - shares.iloc[1]})]),
            shares.set_axis(pd.CategoricalIndex(shares.index)),
            *series_forms(shares, "test_group", "adherent_share"),
        ]


@task(
    _Shares(),
    hint="For each randomised patient of `patient_programme`, the PDC over the 180 days from "
    "their `index_date` (`adherence.pdc` with the index dates as a Series by patient_id); a "
    "patient is adherent at a PDC of 0.8 or more (`adherence.ADHERENT`). Give the adherent "
    "share of each `test_group`.",
)
def programme_adherence():
    ds = pharma()
    right = _trial()
    programme = ds["patient_programme"].set_index("patient_id")
    last = _trial(pd.Series(periods.window_start(ds.as_of, PDC_DAYS), index=programme.index))
    return _by_group(right >= adherence.ADHERENT), {
        "Your PDC covers the last 180 days up to the as-of date: the trial measures each "
        "patient over the 180 days from their own first fill, the `index_date`.": _by_group(
            last >= adherence.ADHERENT
        ),
        "Your PDC starts at `enrolled_on`, which only the programme's patients have: both "
        "groups start at their `index_date`, the day of randomisation.": _by_group(
            _trial(programme["enrolled_on"]) >= adherence.ADHERENT
        ),
        "A patient at exactly 0.8 is adherent: count a PDC of 0.8 or more (`>=`).": _by_group(
            right > adherence.ADHERENT
        ),
        "That is the mean PDC: the task asks for the share of patients who are adherent "
        "(a PDC of 0.8 or more).": _by_group(right),
        "Your PDC covers 365 days: the trial measures the 180 days from each patient's index "
        "date.": _by_group(_trial(days=365) >= adherence.ADHERENT),
    }


# ---------------------------------------------------------------- task 5: the programme's worth


@cache
def _recent_pdc() -> pd.Series:
    """Every patient's PDC over the ``GAP_DAYS`` days up to the as-of date, 0 for those without
    a fill in it."""
    ds = pharma()
    covered = adherence.pdc(ds["refills"], periods.window_start(ds.as_of, GAP_DAYS), GAP_DAYS)
    return covered.reindex(ds["patients"]["patient_id"], fill_value=0.0)


def eligible() -> pd.Index:
    """The patients the programme may be offered to: SMS consent, not in it already."""
    ds = pharma()
    patients, programme = ds["patients"], ds["patient_programme"]
    enrolled = programme.loc[programme["test_group"].astype(str) == "programme", "patient_id"]
    keep = patients["consent_sms"].astype(bool) & ~patients["patient_id"].isin(enrolled)
    return pd.Index(patients.loc[keep, "patient_id"], name="patient_id")


def with_gaps(covered: pd.Series | None = None, most: float = adherence.ADHERENT) -> pd.Index:
    """Task 5's group: the eligible patients whose PDC over the last ``GAP_DAYS`` days is
    above 0 and below ``most`` (0.8)."""
    covered = (_recent_pdc() if covered is None else covered).reindex(eligible())
    return covered.index[(covered > 0) & (covered < most)]


@cache
def _offer(ids: tuple[int, ...], days: int = PROGRAMME_DAYS):
    campaign = {"kind": "programme", "follow_up_days": days}
    return generator.simulate(pharma(), campaign, np.array(ids, dtype=np.int64), holdout=HOLDOUT)


def _per_contacted(ids, days: int = PROGRAMME_DAYS) -> float:
    outcome = _offer(tuple(int(i) for i in ids), days)
    return outcome.true_incremental_profit / int((outcome.customers["group"] == "treatment").sum())


@task(
    Amount(within=0.006),  # to the cent, per patient
    hint="Take the patients who agreed to SMS and are not in the programme, whose PDC over the "
    "180 days up to the as-of date (`adherence.pdc` from `periods.window_start(as_of, 180)`) "
    "is above 0 and below 0.8. Offer them the programme with `generator.simulate(pharma, "
    '{"kind": "programme", "follow_up_days": 365}, ids, holdout=0.5)` and divide its '
    "`true_incremental_profit` by the number of patients contacted (group treatment).",
)
def programme_worth():
    group = with_gaps()
    outcome = _offer(tuple(int(i) for i in group))
    contacted = int((outcome.customers["group"] == "treatment").sum())
    summary = outcome.summary()
    covered = _recent_pdc().reindex(eligible())
    return _per_contacted(group), {
        "That is over 180 days: the task follows the patients for 365 days "
        '(`"follow_up_days": 365`).': _per_contacted(group, PDC_DAYS),
        "Your list is every eligible patient: offer it to those whose recent PDC is above 0 "
        "and below 0.8.": _per_contacted(eligible()),
        "Your list includes the lapsed, with no supply in the last 180 days (a PDC of 0): the "
        "group's PDC is above 0 and below 0.8.": _per_contacted(covered.index[covered < 0.8]),
        "A patient at exactly 0.8 is adherent and not in the group: keep a PDC below 0.8 "
        "(`<`).": _per_contacted(with_gaps(most=adherence.ADHERENT + 1e-9)),
        "That is per listed patient: divide by the contacted (group treatment), about half of "
        "the list.": outcome.true_incremental_profit / len(group),
        "That is the company's estimate against its control group: the task asks for the "
        "truth (`outcome.true_incremental_profit`).": summary["estimated_incremental_profit"]
        / contacted,
        "That is the mean over every listed patient (`truth`'s incremental_profit): give "
        "what the contacted truly earned (`true_incremental_profit`) per contacted "
        "patient.": float(outcome.truth["incremental_profit"].mean()),
    }
