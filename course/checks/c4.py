"""Checks for case C4, a multinational automaker digs for gold in China: ``from course.checks
import c4 as check``.

Every right answer is computed from the automaker's database that the case loads
(``generator.load("auto", datasets.case_folder("auto"))``: the default zh_CN build, or the
company of the build ``GENERATOR_DATASETS`` names), so the checks hold for a database built with
any seed, locale or currency. Three tasks are judged by how well an answer does rather than by
equality:

- the lead score, by its AUC on the later leads, and only if it reads nothing a lead shows
  after its first three days (leads alike in what the score may read must score alike);
- the open decision, the prospects the dealers call, by its true worth in the campaign
  simulator against a bar set from simple rules (call the leads up to N days old);
- the timed trade-in offer, by its true worth per owner listed against sending it to every
  owner who agreed to SMS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import generator
from course import channels, datasets, funnel, ownership
from course.checking import Decision, Read, series_forms, task
from generator.simulator import CampaignError

# ---------------------------------------------------------------- task 2: the lead score

#: The time split: the score learns from the mature leads created before the as-of date less
#: these many days and is tested on the mature leads created on or after it (about a year of
#: them); leads sold within the score's first days are left out of both.
SPLIT_DAYS = 455

#: What a lead score may read: the lead's own columns when it came in and what its first
#: ``funnel.SCORE_DAYS`` days show. A test drive after them, the dealer's follow-ups and the
#: sale come later.
SCORE_COLUMNS = (
    "source",
    "dealer_id",
    "model_id",
    "existing_owner",
    "campaign_id",
    "views",
    "deep_views",
    "test_drive_early",
)

#: The AUC a lead score must reach on the test leads.
AUC_BAR = 0.75

# ---------------------------------------------------------------- task 3: the follow-up

#: The follow-up decision: phone calls, the simulator's window, half the list held out.
FOLLOW_UP = {"kind": "lead follow-up", "channel": "phone"}
HOLDOUT = 0.5

#: The reference rules: call every prospect who agreed to phone whose lead is at most N days
#: old, N on this grid; a list must be worth ``FOLLOW_UP_SHARE`` of the best of them.
AGE_GRID = (30, 60, 90, 120, 180, 240, 365, 730)
FOLLOW_UP_SHARE = 0.9

# ---------------------------------------------------------------- task 4: service retention

#: The car ages (whole years) of the retention task.
AGES = tuple(range(1, 8))

# ---------------------------------------------------------------- task 5: the trade-in offer

#: The trade-in offer goes by SMS; a list must hold at least ``TRADE_IN_LEAST`` owners and be
#: worth, per owner listed, ``TRADE_IN_RATIO`` times what the offer to every owner who agreed
#: to SMS is worth per owner.
TRADE_IN_CHANNEL = "sms"
TRADE_IN_LEAST = 100
TRADE_IN_RATIO = 1.3


@cache
def auto():
    return generator.load("auto", datasets.case_folder("auto"))


@cache
def _leads() -> pd.DataFrame:
    return funnel.leads(auto())


def _agreed(channel: str) -> pd.Series:
    return auto()["customers"].set_index("customer_id")[f"consent_{channel}"].astype(bool)


def _ids(values) -> tuple[int, ...] | str:
    """A list of customer ids as a sorted tuple of whole numbers, or why it cannot be."""
    how = "a list (or Series) of customer ids."
    if isinstance(values, pd.DataFrame):
        if "customer_id" not in values.columns:
            if values.index.name == "customer_id":
                values = values.index
            else:
                return f"Give {how} Your table has no column customer_id."
        else:
            values = values["customer_id"]
    if isinstance(values, str | bytes | dict) or not hasattr(values, "__iter__"):
        return f"The answer should be {how}"
    ids = pd.Series(list(values), dtype="object")
    if ids.empty:
        return "The list is empty: list the customers to contact."
    numbers = pd.to_numeric(ids, errors="coerce")
    if numbers.isna().any() or (numbers != numbers.round()).any():
        return "The list should hold customer ids (whole numbers)."
    numbers = numbers.astype("int64")
    twice = numbers[numbers.duplicated()].unique()
    if len(twice):
        return (
            f"{len(twice):,} customers are listed more than once (e.g. "
            f"{', '.join(map(str, twice[:3]))}): list each once."
        )
    return tuple(sorted(int(n) for n in numbers))


# ---------------------------------------------------------------- task 1: the funnel by source

FUNNEL_COLUMNS = ("test_drive_rate", "sale_rate", "cost_per_sale")


def _as_funnel(answer) -> pd.DataFrame | str:
    """The answer as a table by source of the three columns, or why it cannot be."""
    how = (
        "a DataFrame indexed by source (auto show, website, ...) with the columns "
        "test_drive_rate, sale_rate and cost_per_sale."
    )
    if not isinstance(answer, pd.DataFrame):
        return f"The answer should be {how} It is a {type(answer).__name__}."
    for key in ("source", "channel"):
        if key in answer.columns:
            answer = answer.set_index(key)
    missing = [c for c in FUNNEL_COLUMNS if c not in answer.columns]
    if missing:
        return f"Your table has no column {', '.join(missing)}: give {how}"
    sources = sorted(str(s) for s in auto()["leads"]["source"].unique())
    rows = sorted(str(s) for s in answer.index)
    if rows != sources:
        return f"Give one row per lead source ({', '.join(sources)}); yours: {', '.join(rows)}."
    try:
        values = pd.DataFrame(
            answer[list(FUNNEL_COLUMNS)].to_numpy(dtype="float64"),
            index=[str(s) for s in answer.index],
            columns=list(FUNNEL_COLUMNS),
        )
    except (TypeError, ValueError):
        return "The rates and costs should be numbers."
    if values.isna().any().any():
        return "A value is NaN: every source has mature leads, test drives and buyers."
    return values.loc[sources]


@dataclass(frozen=True)
class _Funnel(Read):
    """A table by source with test_drive_rate, sale_rate and cost_per_sale (others ignored),
    the source as the index or a column, rows in any order; equal within a relative
    tolerance."""

    noun = "a table by source"

    def read(self, answer):
        return _as_funnel(answer)

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if np.allclose(
            got[["test_drive_rate", "sale_rate"]], 100 * want[["test_drive_rate", "sale_rate"]]
        ):
            return "Your rates look like percentages: give them as shares between 0 and 1."
        off = [
            c
            for c in FUNNEL_COLUMNS
            if not np.allclose(got[c], want[c], rtol=self.rtol, atol=self.atol)
        ]
        return f"Your column(s) {', '.join(off)} differ."

    def variants(self, answer):
        table = _as_funnel(answer)
        return [
            answer,
            table,
            table.iloc[::-1],
            table[list(FUNNEL_COLUMNS)[::-1]],
            table.rename_axis("source").reset_index(),
            table.assign(leads=1),
            table.set_axis(pd.CategoricalIndex(table.index), axis=0),
        ]


def _funnel(table: pd.DataFrame, rates: str = "sale_rate", cost: str = "cost_per_sale"):
    summary = funnel.summary(table)
    summary.index = summary.index.astype(str)
    lead_channels = channels.lead_channels(auto())
    return pd.DataFrame(
        {
            "test_drive_rate": summary["test_drive_rate"],
            "sale_rate": summary[rates],
            "cost_per_sale": lead_channels[cost].reindex(summary.index),
        }
    ).rename_axis("source")


@task(
    _Funnel(),
    hint="Take the leads of `funnel.leads(auto)` that are mature (90 days old: `mature`) and, "
    "by source, the share with a test drive and the share sold (`funnel.summary` does both); "
    "take the cost per sale from `channels.lead_channels(auto)` (spend per buyer).",
)
def funnel_by_source():
    table = _leads()
    every = table.assign(mature=True)
    return _funnel(table), {
        "Your rates count every lead, the recent ones too: a lead less than 90 days old may "
        "still buy, so the rates read the mature leads only (`mature`).": _funnel(every),
        "Your sale rate is over the test drives (`sale_after_test_drive`): the funnel's sale "
        "rate is the share of all (mature) leads sold.": _funnel(table, "sale_after_test_drive"),
        "Your cost is the spend per new prospect (`cost_per_customer`): the cost per sale is "
        "the spend per buyer (`cost_per_sale`).": _funnel(table, cost="cost_per_customer"),
    }


# ---------------------------------------------------------------- task 2: the lead score


def split_day() -> pd.Timestamp:
    """The day that splits the leads: training before it, testing on or after it."""
    return auto().as_of - pd.Timedelta(days=SPLIT_DAYS)


@cache
def _split() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mature leads not sold in their first days, before and on or after the split."""
    table = _leads()
    usable = table[table["mature"] & ~table["sold_early"]]
    before = usable["created_on"] < split_day()
    return usable[before], usable[~before]


@cache
def _model_scores(columns: tuple[str, ...], invert: bool = False) -> pd.Series:
    """A logistic regression on ``columns`` (source as dummies), fitted on the training leads,
    scoring the test leads."""
    train, test = _split()

    def features(frame):
        x = frame[list(columns)].copy()
        if "source" in x:
            x = pd.get_dummies(x, columns=["source"], dtype=float)
        return x.astype(float)

    model = LogisticRegression(max_iter=1000).fit(features(train), train["sold"])
    x = features(test).reindex(columns=features(train).columns, fill_value=0.0)
    score = model.predict_proba(x)[:, 1]
    return pd.Series(1 - score if invert else score, index=test.index, name="score")


def _as_scores(answer) -> pd.Series | str:
    """The answer as a score per test lead (float, indexed by lead_id), or why it cannot be."""
    how = "a Series of scores indexed by lead_id, one per test lead."
    if isinstance(answer, pd.DataFrame):
        frame = answer.set_index("lead_id") if "lead_id" in answer.columns else answer
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        if "score" in frame.columns:
            answer = frame["score"]
        elif len(numeric) == 1:
            answer = frame[numeric[0]]
        else:
            return f"Give one score per lead (a column `score`): {how}"
    if isinstance(answer, np.ndarray):
        return f"Your scores have lost their leads: give {how}"
    if not isinstance(answer, pd.Series):
        return f"The answer should be {how} It is a {type(answer).__name__}."
    if isinstance(answer.index, pd.RangeIndex) and answer.index.name != "lead_id":
        return f"Your Series is indexed by row numbers, not by lead: give {how}"
    if pd.api.types.is_bool_dtype(answer) or not pd.api.types.is_numeric_dtype(answer):
        return "The scores should be numbers (higher: more likely to buy)."
    if not answer.index.is_unique:
        return "Some leads appear more than once: give each lead one score."
    try:
        index = pd.Index(answer.index.astype("int64"), name="lead_id")
    except (TypeError, ValueError):
        return f"The index should hold lead ids (whole numbers): {how}"
    _, test = _split()
    missing = test.index.difference(index)
    if len(missing):
        return (
            f"Score every test lead ({len(test):,}: mature, not sold in their first "
            f"{funnel.SCORE_DAYS} days, created on or after {split_day():%Y-%m-%d}): yours "
            f"misses {len(missing):,} of them."
        )
    scores = pd.Series(answer.to_numpy(dtype="float64"), index=index).loc[test.index]
    if not np.isfinite(scores).all():
        return "Some scores are NaN or infinite: score every test lead."
    return scores


@cache
def _alike() -> np.ndarray:
    """A group number per test lead: leads alike in every column of ``SCORE_COLUMNS``."""
    _, test = _split()
    keys = [test[c].astype("string").fillna("none") for c in SCORE_COLUMNS]
    return test.groupby(keys, sort=False).ngroup().to_numpy()


def _looks_ahead(scores: pd.Series) -> int:
    """How many groups of test leads alike in every column of ``SCORE_COLUMNS`` got different
    scores: a score that tells them apart read something else."""
    _, test = _split()
    group = pd.Series(scores.loc[test.index].to_numpy()).groupby(_alike())
    spread = group.max() - group.min()
    scale = float(scores.max() - scores.min()) or 1.0
    return int((spread > 1e-9 * scale).sum())


def _auc(scores: pd.Series) -> float:
    _, test = _split()
    return float(roc_auc_score(test["sold"].to_numpy(), scores.loc[test.index].to_numpy()))


@dataclass(frozen=True)
class _LeadScore(Read):
    """A score per test lead (a Series indexed by lead_id, or a table with lead_id and
    score; leads outside the test set are ignored), right when it reads only
    ``SCORE_COLUMNS`` (leads alike in them score alike) and its AUC reaches ``AUC_BAR``. A
    named mistake is recognised when the scores are the same."""

    noun = "a Series of scores indexed by lead_id"

    def read(self, answer):
        return _as_scores(answer)

    def equal(self, got, want):
        return bool(np.allclose(got.to_numpy(), want.loc[got.index].to_numpy(), rtol=1e-6))

    def accepts(self, answer, expected):
        scores = self.read(answer)
        return _looks_ahead(scores) == 0 and _auc(scores) >= AUC_BAR

    def difference(self, answer, expected):
        scores = self.read(answer)
        ahead = _looks_ahead(scores)
        if ahead:
            return (
                f"Your score tells apart leads that looked the same when they were scored "
                f"({ahead:,} groups of test leads alike in {', '.join(SCORE_COLUMNS)} got "
                "different scores): it reads something that comes later, such as a test drive "
                "after the first days (`test_drive`) or the dealer's follow-ups (`followups`)."
            )
        auc = _auc(scores)
        if auc < 0.5:
            return (
                f"Your score's AUC is {auc:.3f}, below 0.5: it ranks the buyers last. A "
                "higher score should mean more likely to buy."
            )
        return f"Your score's AUC on the test leads is {auc:.3f}; the bar is {AUC_BAR}."

    def variants(self, answer):
        scores = _as_scores(answer)
        train, _ = _split()
        every = pd.concat([scores, pd.Series(0.5, index=train.index)])  # the test leads read
        return [
            answer,
            *series_forms(scores, "lead_id", "score"),
            100 * scores,
            scores.rank(),
            every,
        ]


@task(
    _LeadScore(),
    hint="Fit a model (e.g. `LogisticRegression`) on the training leads with the columns the "
    "score may read (the deep page views and an early test drive say most) and score the test "
    "leads with it (`predict_proba(...)[:, 1]`), indexed by lead_id.",
    praise="Your score ranks the later leads well, from what they showed in their first days.",
)
def lead_score():
    right = _model_scores(("deep_views", "views", "test_drive_early", "source", "existing_owner"))
    return right, {
        "Your score reads `test_drive`, a test drive at any time, often after the score is "
        "made: read `test_drive_early` (in the first days) "
        "instead.": _model_scores(("deep_views", "test_drive")),
        "Your score reads the dealer's follow-ups, which come after the score (and stop once "
        "the prospect has a test drive): leave `followups` "
        "out.": _model_scores(("deep_views", "followups")),
        "Your score ranks the buyers last (an AUC below 0.5): a higher score should mean more "
        "likely to buy.": _model_scores(("deep_views", "test_drive_early"), invert=True),
    }


# ---------------------------------------------------------------- task 3: the follow-up


@cache
def _open() -> pd.DataFrame:
    """Every prospect whose latest lead closed without a sale, whatever its age, who agreed to
    phone calls: whom the dealers may call."""
    ds = auto()
    first = ds["leads"]["created_on"].min()
    table = funnel.prospects(ds, days=(ds.as_of - first).days + 1)
    return table[_agreed("phone").reindex(table.index, fill_value=False).to_numpy()]


@cache
def _follow_up(ids: tuple[int, ...]) -> tuple[float | None, str]:
    """What calling ``ids`` is truly worth (the truth's incremental profit summed over
    everyone listed), or None and why the simulator refused the list."""
    try:
        outcome = generator.simulate(auto(), FOLLOW_UP, np.array(ids), holdout=HOLDOUT)
    except CampaignError as error:
        return None, f"The simulator refused your list: {error}."
    return float(outcome.truth["incremental_profit"].sum()), ""


def _up_to(days: int) -> tuple[int, ...]:
    table = _open()
    return tuple(sorted(int(i) for i in table.index[table["age_days"] <= days]))


@cache
def follow_up_rules() -> pd.Series:
    """What each reference rule is worth: call every prospect who agreed to phone whose lead
    is at most N days old (N on ``AGE_GRID``)."""
    return pd.Series(
        {days: _follow_up(_up_to(days))[0] for days in AGE_GRID}, name="true_worth"
    ).rename_axis("days")


def follow_up_bar() -> float:
    """The true worth a list must reach: ``FOLLOW_UP_SHARE`` of the best reference rule's,
    rounded down to a whole amount."""
    return float(math.floor(FOLLOW_UP_SHARE * follow_up_rules().max()))


@dataclass(frozen=True)
class _Customers(Decision):
    """A list of customer ids (a list, Series, Index, array, or a table with customer_id),
    read as its sorted ids; subclasses say how the simulator scores it."""

    noun = "a list of customer ids"

    def read(self, answer):
        return _ids(answer)

    def table(self) -> pd.DataFrame:
        """The customers the list is drawn from, indexed by customer_id (a form students keep)."""
        raise NotImplementedError

    def variants(self, answer):
        ids = list(_ids(answer))
        return [
            answer,
            ids,
            ids[::-1],
            pd.Series(ids, name="customer_id"),
            pd.Index(ids, name="customer_id"),
            np.array(ids),
            pd.DataFrame({"customer_id": ids}),
            self.table().loc[ids],
        ]


@dataclass(frozen=True)
class _Prospects(_Customers):
    """Prospects to call, judged by their true worth in the simulator: right when it reaches
    :func:`follow_up_bar`. A named mistake is recognised when it is the same list."""

    def score(self, form):
        return _follow_up(form)

    def bar(self):
        return follow_up_bar()

    def short(self, worth):
        currency = auto().currency
        return (
            f"Calling your list is truly worth {worth:,.0f} {currency}; the bar is "
            f"{follow_up_bar():,.0f} {currency} ({FOLLOW_UP_SHARE:.0%} of the best rule that "
            "calls the leads up to an age)."
        )

    def table(self):
        return _open()


@task(
    _Prospects(),
    hint="A call revives a lead that has not gone cold, and the fresher the lead the more "
    "likely: compare what calling the prospects up to each lead age is worth, and leave out "
    "those whose call costs more than it can bring.",
    praise="Your list reaches the bar.",
)
def follow_up_list():
    best = int(follow_up_rules().idxmax())
    table = _open()
    return _up_to(best), {
        "That calls every prospect, the leads gone cold years ago too: a call to a lead "
        "that old revives almost nobody and costs a consultant's time. Leave the cold "
        "leads out.": tuple(sorted(int(i) for i in table.index)),
        "Those are the oldest leads (more than a year old): they have gone cold, and a call "
        "revives almost nobody. Call the fresher ones.": tuple(
            sorted(int(i) for i in table.index[table["age_days"] > 365])
        ),
        "Those are only the leads of the last 30 days: the dealers are still working them and "
        "most who will buy do so without a call. Reach further back.": _up_to(30),
    }


# ---------------------------------------------------------------- task 4: service retention


def _as_by_age(answer) -> pd.Series | str:
    """The answer as shares by car age 1-7 (other ages ignored), or why it cannot be."""
    how = "a Series of shares indexed by car age in whole years (1, 2, ... 7)."
    if isinstance(answer, pd.DataFrame):
        frame = answer.set_index("age_years") if "age_years" in answer.columns else answer
        if "serviced_share" in frame.columns:
            answer = frame["serviced_share"]
        elif frame.shape[1] == 1:
            answer = frame.iloc[:, 0]
        else:
            return f"Give one share per car age (a column `serviced_share`): {how}"
    if isinstance(answer, dict):
        answer = pd.Series(answer)
    if not isinstance(answer, pd.Series):
        return f"The answer should be {how} It is a {type(answer).__name__}."
    if pd.api.types.is_bool_dtype(answer) or not pd.api.types.is_numeric_dtype(answer):
        return "The shares should be numbers between 0 and 1."
    try:
        ages = [int(a) for a in answer.index]
    except (TypeError, ValueError):
        return f"The index should hold car ages in whole years: {how}"
    shares = pd.Series(answer.to_numpy(dtype="float64"), index=ages)
    missing = [a for a in AGES if a not in shares.index]
    if missing:
        return f"Your Series has no share for the age(s) {', '.join(map(str, missing))}: {how}"
    shares = shares[~shares.index.duplicated()].loc[list(AGES)]
    if shares.isna().any():
        return "A share is NaN: every age from 1 to 7 has cars."
    return shares


@dataclass(frozen=True)
class _ByAge(Read):
    """The share serviced in the last 365 days by car age 1-7 (a Series or dict indexed by
    age, or a table with age_years and serviced_share), each within a relative tolerance."""

    noun = "a Series of shares indexed by car age"

    def read(self, answer):
        return _as_by_age(answer)

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if np.allclose(got.to_numpy(), 100 * want.to_numpy(), rtol=1e-6):
            return "Your shares look like percentages: give them as shares between 0 and 1."
        off = [str(a) for a in AGES if not math.isclose(got[a], want[a], rel_tol=1e-6)]
        return f"The share differs at the car age(s) {', '.join(off)}."

    def variants(self, answer):
        shares = _as_by_age(answer)
        return [
            answer,
            shares,
            shares.to_dict(),
            *series_forms(shares, "age_years", "serviced_share"),
            shares.set_axis(shares.index.astype("int32")),
            pd.concat([pd.Series({0: 0.9}), shares, pd.Series({8: 0.1})]),
        ]


@cache
def _fleet() -> pd.DataFrame:
    return ownership.cars(auto())


def _retention(fleet: pd.DataFrame) -> pd.Series:
    return ownership.retention(fleet)["serviced_share"].loc[list(AGES)]


@task(
    _ByAge(),
    hint="Take each owner's latest car (`ownership.cars(auto)`): its age in whole years on the "
    "as-of date from the day it was sold, and whether it had a maintenance or first service "
    "(not a repair) at the brand's workshops in the 365 days up to the as-of date; then the "
    "share serviced by age (`ownership.retention`).",
)
def service_retention():
    ds, fleet = auto(), _fleet()
    visits = ds["service_visits"]
    visits = visits[visits["visited_on"] <= ds.as_of]
    year = visits[visits["visited_on"] > ds.as_of - pd.Timedelta(days=365)]
    service = visits[visits["service_type"].astype(str) != "repair"]
    built = ds["vehicles"].set_index("vin")["built_on"].reindex(fleet.index)
    return _retention(fleet), {
        "Your shares count repairs: a repair brings the car in whether the owner stays with "
        "the brand or not; count maintenance and first services "
        "only.": _retention(fleet.assign(serviced_12m=fleet.index.isin(year["vin"]))),
        "Your shares count a service at any time: retention asks who came in the 365 days "
        "up to the as-of date.": _retention(
            fleet.assign(serviced_12m=fleet.index.isin(service["vin"]))
        ),
        "Your car ages start from the production date (`vehicles.built_on`): a car's age "
        "(and its warranty) runs from the day it was sold.": _retention(
            fleet.assign(age_years=(ds.as_of - built).dt.days / 365.25)
        ),
    }


# ---------------------------------------------------------------- task 5: the trade-in offer


def usual_bonus() -> float:
    """The brand's usual trade-in bonus: the smallest bonus of its recorded trade-in offers."""
    campaigns = auto()["campaigns"]
    offers = campaigns.loc[campaigns["kind"].astype(str) == "trade-in offer", "offer_value"]
    return float(offers.min())


def trade_in_campaign() -> dict:
    return {"kind": "trade-in offer", "channel": TRADE_IN_CHANNEL, "offer_value": usual_bonus()}


@cache
def _owners() -> pd.DataFrame:
    """The owners (each with their latest car) who agreed to SMS, by customer_id."""
    fleet = _fleet().reset_index().set_index("customer_id")
    return fleet[_agreed(TRADE_IN_CHANNEL).reindex(fleet.index, fill_value=False).to_numpy()]


@cache
def _trade_in(ids: tuple[int, ...]) -> tuple[float | None, str]:
    """The true worth per owner of the usual trade-in offer to ``ids``, or None and why not."""
    owners = _fleet()["customer_id"]
    strangers = [i for i in ids if i not in set(owners)]
    if strangers:
        return None, (
            f"{len(strangers):,} of your customers own no car of the brand (e.g. "
            f"{', '.join(map(str, strangers[:3]))}): a trade-in offer is for owners."
        )
    if len(ids) < TRADE_IN_LEAST:
        return None, f"List at least {TRADE_IN_LEAST} owners (yours: {len(ids)})."
    try:
        outcome = generator.simulate(auto(), trade_in_campaign(), np.array(ids), holdout=HOLDOUT)
    except CampaignError as error:
        return None, f"The simulator refused your list: {error}."
    return float(outcome.truth["incremental_profit"].sum()) / len(ids), ""


def _everyone() -> tuple[int, ...]:
    return tuple(sorted(int(i) for i in _owners().index))


def trade_in_bar() -> float:
    """The true worth per owner a list must reach: ``TRADE_IN_RATIO`` times that of the offer
    to every owner who agreed to SMS, rounded down to the cent."""
    worth, _ = _trade_in(_everyone())
    return math.floor(100 * TRADE_IN_RATIO * worth) / 100


def _aged(low: float, high: float = np.inf) -> tuple[int, ...]:
    owners = _owners()
    age = owners["age_years"]
    return tuple(sorted(int(i) for i in owners.index[(age >= low) & (age < high)]))


@dataclass(frozen=True)
class _TradeIn(_Customers):
    """A list of owners' customer ids, judged by the true worth per owner of the usual
    trade-in offer by SMS to them: right when it reaches :func:`trade_in_bar` with at least
    ``TRADE_IN_LEAST`` owners. A named mistake is recognised when it is the same list."""

    def score(self, form):
        return _trade_in(form)

    def bar(self):
        return trade_in_bar()

    def short(self, worth):
        currency = auto().currency
        return (
            f"The offer to your list is truly worth {worth:,.2f} {currency} per owner; the bar "
            f"is {trade_in_bar():,.2f} {currency} per owner ({TRADE_IN_RATIO:g} times what it "
            "is worth per owner sent to every owner who agreed to SMS)."
        )

    def table(self):
        return _owners()


@task(
    _TradeIn(),
    hint="An offer moves an owner most when it reaches them near the day they would replace "
    "their car anyway: read from the Kaplan–Meier curve (`ownership.kaplan_meier`) at which car "
    "ages replacement begins, and send the offer to the owners whose car is at those ages.",
    praise="Your list reaches the bar.",
)
def trade_in_list():
    return _aged(4), {
        "That is every owner who agreed to SMS: most are years from replacing their car, so "
        "the bonus moves few of them. Time the offer to the car's age.": _everyone(),
        "Those are the newest cars (still under the warranty): their owners seldom replace "
        "them, offer or not. Look where the Kaplan–Meier curve falls.": _aged(
            0, ownership.WARRANTY_YEARS
        ),
    }
