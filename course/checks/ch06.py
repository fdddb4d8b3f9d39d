"""Checks for chapter 06, The database-marketing procedure: ``from course.checks import ch06 as
check``.

Every right answer is computed from the bank's and the supermarket's databases that
``generator.load`` opens (the folder named by ``GENERATOR_DATASETS``, if set), so the checks
hold for a database built with any seed, locale or currency. Two tasks are judged by what the
answer earns rather than by equality: a target list is run through the campaign simulator and
must earn a share of what the course's own list earns (its true incremental profit), and a
ranking of the pilot must reach a Qini coefficient of profit scored against the simulator's
truth. Any method that reaches the bar is right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

import generator
from course import targeting
from course.checking import Kind, Number, Read, Values, series_forms, task
from course.marketing_db import CONTACT_COST, Z95, difference_of_shares
from generator.simulator import CampaignError

#: The bank's past campaign the chapter learns from: term deposits by phone.
PAST_CAMPAIGN = 1

#: The new campaign: term deposits by phone, launched the day after the as-of date.
TERM_DEPOSIT = {"product_type": "term_deposit", "channel": "phone"}

#: The call centre's capacity, the share of the list held out as the control group, and so
#: the longest list the new campaign may have (400 calls + 100 held out).
CALLS = 400
HOLDOUT = 0.2
MOST_LISTED = round(CALLS / (1 - HOLDOUT))

#: The contact-pressure rule: nobody who received a campaign contact in these many days up to
#: the as-of date.
PRESSURE_DAYS = 365

#: A target list must truly earn at least this share of what the course's list earns.
PROFIT_SHARE = 0.8

#: The supermarket's pilot: a pain-reliever coupon by e-mail, half the list held out.
PILOT = {"category": "pain_reliever", "channel": "email", "coupon_value": 2.0}
PILOT_HOLDOUT = 0.5

#: A ranking of the pilot must reach this Qini coefficient of profit (0 random, 1 perfect).
QINI_BAR = 0.15

#: A ranking that follows the simulator's truth this closely (rank correlation) was read
#: from it.
TOO_GOOD = 0.98


@cache
def bank():
    return generator.load("bank")


@cache
def retail():
    return generator.load("retail")


# ---------------------------------------------------------------- the past campaign


@cache
def _past() -> tuple[pd.Timestamp, pd.Series, pd.Index, pd.Index]:
    """The past campaign's launch day, whether each listed customer responded (opened a term
    deposit in its window), the called and the held out."""
    ds = bank()
    launched_on = ds["campaigns"].set_index("campaign_id").loc[PAST_CAMPAIGN, "launched_on"]
    contacts = ds["campaign_contacts"]
    listed = contacts[contacts["campaign_id"] == PAST_CAMPAIGN].set_index("customer_id")
    outcomes = ds["campaign_outcomes"]
    opened = outcomes.loc[outcomes["campaign_id"] == PAST_CAMPAIGN, "customer_id"]
    responded = pd.Series(listed.index.isin(opened), index=listed.index, name="responded")
    treated = (listed["test_group"] == "treatment").to_numpy()
    return launched_on, responded, listed.index[treated], listed.index[~treated]


@cache
def _margins() -> pd.DataFrame:
    """Each responder of the past campaign (called or held out): the account opened, its
    opening amount and first-year margin (amount × margin_rate / 100)."""
    ds = bank()
    outcomes = ds["campaign_outcomes"]
    opened = outcomes[outcomes["campaign_id"] == PAST_CAMPAIGN]
    rates = ds["accounts"][["account_id", "product_id"]].merge(
        ds["products"][["product_id", "margin_rate"]]
    )
    opened = opened.merge(rates, on="account_id")
    return opened.assign(margin=opened["amount"] * opened["margin_rate"] / 100)


def _phone_cost() -> float:
    return CONTACT_COST[bank().currency]["phone"]


def _margin_per_response() -> float:
    return float(_margins()["margin"].mean())


# ---------------------------------------------------------------- task 1: break-even


@task(
    Number(),
    hint="The break-even response rate is what a call costs (`CONTACT_COST[bank.currency]"
    '["phone"]`) over the margin one response brings: the mean first-year margin of the '
    "campaign's responders, each the amount of the account they opened times its product's "
    "`margin_rate` / 100. Give it as a share between 0 and 1.",
)
def break_even():
    cost, margins = _phone_cost(), _margins()
    _, _, called, _ = _past()
    of_called = margins[margins["customer_id"].isin(called)]
    return targeting.break_even_rate(cost, _margin_per_response()), {
        "Upside down: that is the margin over the cost. The break-even rate is the cost of a "
        "contact over the margin of a response, a small share.": _margin_per_response() / cost,
        "That divides by the amount deposited: the bank does not earn the deposit, it earns "
        "a margin on it (amount × margin_rate / 100).": cost / margins["amount"].mean(),
        "`margin_rate` is a percentage: divide it by 100 to get the margin.": cost
        / (margins["amount"] * margins["margin_rate"]).mean(),
        "That averages the margin over every called customer, non-responders included: the "
        "break-even rate needs the margin of one response, the mean over the responders "
        "only.": cost / (of_called["margin"].sum() / len(called)),
        "That is the median margin: the task asks for the mean (the few large deposits are "
        "part of what a response brings).": cost / margins["margin"].median(),
        "Take every responder of the campaign, the held out who opened one too: a response "
        "brings the same margin whatever made it.": cost / of_called["margin"].mean(),
    }


# ---------------------------------------------------------------- task 2: decile lift


@cache
def _features(day) -> pd.DataFrame:
    return targeting.bank_features(bank(), pd.Timestamp(day))


def _model_on(day, trained_on: pd.Index):
    _, responded, _, _ = _past()
    return targeting.response_model(_features(day).loc[trained_on], responded[trained_on])


@cache
def _model():
    """The course's response model: trained on the called of the past campaign, with their
    features the day before its launch."""
    launched_on, _, called, _ = _past()
    return _model_on(launched_on - pd.Timedelta(days=1), called)


def _score_called(model, day) -> pd.Series:
    _, _, called, _ = _past()
    return pd.Series(model.predict_proba(_features(day).loc[called])[:, 1], index=called)


@cache
def _score() -> pd.Series:
    launched_on, _, _, _ = _past()
    return _score_called(_model(), launched_on - pd.Timedelta(days=1))


def _lift(score: pd.Series) -> pd.Series:
    _, responded, called, _ = _past()
    return targeting.gains(score, responded[called])["lift"]


def _deciles(answer) -> pd.Series | str:
    """The answer as ten numbers indexed 1..10, or why it cannot be read so."""
    how = 'e.g. `targeting.gains(score, responded[called])["lift"]`.'
    if isinstance(answer, pd.DataFrame):
        if "lift" not in answer.columns:
            return f"The answer should be the lift of each decile, but it is a table: {how}"
        answer = answer.set_index("decile")["lift"] if "decile" in answer else answer["lift"]
    if isinstance(answer, list | tuple | np.ndarray) and not isinstance(answer, pd.Series):
        values = np.asarray(answer).ravel()
        if len(values) != 10:
            return f"Give ten numbers, one per decile, not {len(values)}: {how}"
        answer = pd.Series(values, index=range(1, 11))
    if not isinstance(answer, pd.Series):
        return f"The answer should be a Series of ten lifts indexed by decile: {how}"
    if not pd.api.types.is_numeric_dtype(answer) or pd.api.types.is_bool_dtype(answer):
        return "The lifts should be numbers (a decile's response rate over the overall rate)."
    if answer.isna().any():
        return "Some deciles have no lift (NaN): is every decile filled with customers?"
    labels = sorted(answer.index.tolist(), key=str)
    if len(answer) == 10 and set(answer.index.tolist()) == set(range(10)):
        return (
            "Your Series is indexed 0 to 9: index it by decile, 1 to 10 (decile 1 the highest "
            f"scores), {how}"
        )
    if set(answer.index.tolist()) != set(range(1, 11)):
        return (
            f"Give one lift per decile, indexed 1 to 10; your Series has {len(answer)} "
            f"values indexed {', '.join(map(str, labels[:4]))}{'...' if len(labels) > 4 else ''}."
        )
    return answer.sort_index().astype("float64")


@dataclass(frozen=True)
class _Deciles(Read):
    """Ten numbers, one per decile (a Series indexed 1..10, a list in decile order, or the
    gains table itself), equal within a relative tolerance."""

    noun = "the lift of each decile"

    def read(self, answer):
        return _deciles(answer)

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        wrong = int((~np.isclose(got.to_numpy(), want.to_numpy(), rtol=1e-6)).sum())
        told = [f"{wrong} of the 10 deciles' lifts differ."]
        if got.iloc[0] < got.iloc[-1]:
            told.append("Decile 1 should hold the highest scores, the best prospects.")
        elif got.is_monotonic_decreasing and math.isclose(got.iloc[-1], 1.0, rel_tol=1e-9):
            told.append("Your lifts fall to 1 at decile 10: are they cumulative?")
        return " ".join(told)

    def variants(self, answer):
        series = _deciles(answer)
        return [
            answer,
            series,
            series.tolist(),
            series.to_numpy(),
            *series_forms(series, "decile", "lift"),
        ]


@task(
    _Deciles(),
    hint="Train `targeting.response_model` on the called customers of campaign 1 only, with "
    "their features the day before its launch (`targeting.bank_features(bank, launched_on - "
    "pd.Timedelta(days=1))`), score the same called customers with `.predict_proba(...)[:, "
    '1]`, and give `targeting.gains(score, responded[called])["lift"]`.',
)
def decile_lift():
    launched_on, responded, called, held = _past()
    day_before = launched_on - pd.Timedelta(days=1)
    score = _score()
    table = targeting.gains(score, responded[called])
    leaked = _score_called(_model_on(bank().as_of, called), bank().as_of)
    on_launch = _score_called(_model_on(launched_on, called), launched_on)
    everyone = _score_called(_model_on(day_before, called.append(held)), day_before)
    top = 10 - pd.qcut(score, 10, labels=False)
    by_qcut = responded[called].groupby(top).mean() / responded[called].mean()
    return table["lift"], {
        "Those features know the future: on the as-of date the bank has seen who opened a "
        "term deposit after the call. Build them the day before the launch.": _lift(leaked),
        "The launch day is already part of the campaign: build the features the day before "
        "the launch.": _lift(on_launch),
        "Train the model on the called customers only: the held out never got the offer, so "
        "their response says nothing about how the offer is taken.": _lift(everyone),
        "Your deciles run from the lowest score up: decile 1 holds the highest scores, the "
        "customers to call first.": _lift(-score),
        "That is each decile's rate over the control group's rate: lift compares a decile "
        "with the overall rate of the same called customers.": table["response_rate"]
        / responded[held].mean(),
        "That is the cumulative lift (the top deciles together): give each decile's own "
        "lift.": table["cumulative_lift"],
        "`pd.qcut` cuts the deciles at quantiles of the score, not at positions: its groups "
        "differ in size from the course's. Use `targeting.gains`.": by_qcut,
    }


# ---------------------------------------------------------------- task 3: the cut-off


@task(
    Number(),
    hint="Rank the called customers by the score of task 2, the highest first, and find how "
    "many to contact for the highest profit at the phone's cost and the margin of task 1 "
    '(`targeting.profit_by_depth` then `targeting.best_depth`: its "contacted"), as a number '
    "of customers.",
)
def best_cut_off():
    _, responded, called, _ = _past()
    score = _score()
    margin, cost = _margin_per_response(), _phone_cost()
    depths = targeting.profit_by_depth(score, responded[called], margin, cost)
    best = targeting.best_depth(depths)
    table = targeting.gains(score, responded[called])
    below = table.index[table["response_rate"] < targeting.break_even_rate(cost, margin)]
    paying = table.loc[: below.min() - 1] if len(below) else table
    return float(best["contacted"]), {
        "Off by one: `idxmax()` gives the row's label, which counts from 0. Read the "
        '"contacted" column of the best row.': float(depths["profit"].idxmax()),
        "That is the share of the customers contacted: give their number.": float(
            best["share_contacted"]
        ),
        "That is the best profit: the task asks how many customers to contact for it.": float(
            best["profit"]
        ),
        "Contacting everyone finds the most responders, not the most profit: the last ones "
        "cost more than they bring.": float(len(called)),
        "That is the accuracy rule, a predicted probability of at least 0.5: a call pays "
        "from a chance far below that, the break-even rate.": float((score >= 0.5).sum()),
        "That cuts where a decile's response rate falls below the break-even rate: a decile "
        "mixes customers above and below it. Find the best depth customer by customer "
        "(`targeting.profit_by_depth`).": float(paying["customers"].sum()),
    }


# ---------------------------------------------------------------- task 4: incremental


def _triple(answer) -> np.ndarray | str:
    how = "e.g. `difference_of_shares(yes, no)` gives `(difference, low, high)`."
    if isinstance(answer, pd.DataFrame):
        return f"Give three numbers, (difference, low, high), not a table: {how}"
    if isinstance(answer, str | bytes) or not isinstance(
        answer, list | tuple | np.ndarray | pd.Series
    ):
        return f"The answer should be three numbers, (difference, low, high): {how}"
    values = np.asarray(list(answer), dtype=object).ravel()
    if len(values) != 3:
        return f"Give three numbers, (difference, low, high), not {len(values)}: {how}"
    if not all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)
        for v in values
    ):
        return f"The three values should be numbers: {how}"
    values = values.astype("float64")
    if np.isnan(values).any():
        return "A value is NaN: an empty group crept in."
    if not values[1] <= values[0] <= values[2]:
        return "Give them in the order (difference, low, high): the interval's low end first."
    return values


@dataclass(frozen=True)
class _Interval(Read):
    """An estimate with its interval, (estimate, low, high): the estimate equal within a
    relative tolerance, the ends within a thousandth of the interval's half-width (so 1.96
    standard errors and 1.959964 give the same interval)."""

    rel: float = 1e-6
    noun = "three numbers"

    def read(self, answer):
        return _triple(answer)

    def equal(self, got, want):
        half = (want[2] - want[1]) / 2
        return math.isclose(got[0], want[0], rel_tol=self.rel, abs_tol=self.rel) and bool(
            np.all(np.abs(got[1:] - want[1:]) <= 1e-3 * half + 1e-12)
        )

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if np.allclose(got, want * 100, rtol=self.rel):
            return "Your numbers look like percentages: give them as shares between 0 and 1."
        if not math.isclose(got[0], want[0], rel_tol=self.rel, abs_tol=self.rel):
            return (
                "Your difference is too high."
                if got[0] > want[0]
                else "Your difference is too low."
            )
        told = "The difference is right but not its interval"
        z = Z95 * (got[2] - got[1]) / (want[2] - want[1])
        for level, at in [("99 %", 2.575829), ("90 %", 1.644854)]:
            if abs(z - at) < 0.01:
                return f"{told}: that is a {level} interval; the task asks for the 95 % one."
        return (
            f"{told}: the 95 % interval of a difference of two shares counts the uncertainty "
            "of both groups (`difference_of_shares`)."
        )

    def variants(self, answer):
        values = [float(v) for v in answer]
        return [
            answer,
            tuple(values),
            values,
            np.array(values),
            pd.Series(values, index=["difference", "low", "high"]),
            tuple(np.float64(v) for v in values),
        ]


@task(
    _Interval(),
    hint="Compare the share of the called who responded with the share of the held out who "
    "did (`responded[called]`, `responded[held_out]`): `difference_of_shares(yes, no)` gives "
    "the difference with its 95 % interval, as (difference, low, high).",
)
def incremental_response():
    _, responded, called, held = _past()
    yes, no = responded[called], responded[held]
    p, q = yes.mean(), no.mean()
    both = math.sqrt(p * (1 - p) / len(yes) + q * (1 - q) / len(no))
    alone = math.sqrt(p * (1 - p) / len(yes))
    d = p - q
    return difference_of_shares(yes, no), {
        "That is the response rate of the called alone, the naive view: it credits the call "
        "with the customers who would have opened a deposit anyway. Subtract the held out's "
        "rate.": (p, p - Z95 * alone, p + Z95 * alone),
        "The interval counts the uncertainty of the called only: the held out's rate is an "
        "estimate too (`difference_of_shares` adds both).": (d, d - Z95 * alone, d + Z95 * alone),
        "That is a 99 % interval: the task asks for the 95 % one (1.96 standard errors).": (
            d,
            d - 2.575829 * both,
            d + 2.575829 * both,
        ),
        "The wrong way round: the incremental response is the called's rate minus the held "
        "out's.": (-d, -d - Z95 * both, -d + Z95 * both),
    }


# ---------------------------------------------------------------- task 5: a target list


@cache
def _holders() -> pd.Index:
    """Customers who hold an open term deposit on the as-of date."""
    ds = bank()
    accounts = ds["accounts"].merge(ds["products"][["product_id", "product_type"]])
    open_deposits = (accounts["product_type"] == "term_deposit") & accounts["closed_on"].isna()
    return pd.Index(accounts.loc[open_deposits, "customer_id"].unique())


@cache
def _pressed() -> pd.Index:
    """Customers the contact-pressure rule leaves out."""
    ds = bank()
    return targeting.recent_contacts(ds, ds.as_of, PRESSURE_DAYS).index


@cache
def _today_score() -> pd.Series:
    """The course's response model's score of every bank customer on the as-of date."""
    features = _features(bank().as_of)
    return pd.Series(_model().predict_proba(features)[:, 1], index=features.index)


def _pool(consent: bool = True, holders: bool = False, pressure: bool = True) -> pd.Series:
    """The score of the customers the new campaign may call (or, for a mistake, of those it
    may call if a rule is forgotten)."""
    score = _today_score()
    customers = bank()["customers"].set_index("customer_id")
    keep = np.ones(len(score), dtype=bool)
    if consent:
        keep &= customers.loc[score.index, "consent_phone"].to_numpy(bool)
    if not holders:
        keep &= ~score.index.isin(_holders())
    if pressure:
        keep &= ~score.index.isin(_pressed())
    return score[keep]


@cache
def _earned(ids: tuple[int, ...]) -> tuple[float | None, str]:
    """What a list truly earns in the simulator, or None and why it cannot be run."""
    pressed = [i for i in ids if i in _pressed()]
    if len(ids) > MOST_LISTED:
        return None, (
            f"Your list has {len(ids):,} customers: the call centre makes {CALLS} calls and "
            f"{HOLDOUT * 100:.0f} % of the list is held out, so list at most {MOST_LISTED}."
        )
    if pressed:
        return None, (
            f"{len(pressed)} of your customers received a campaign contact in the "
            f"{PRESSURE_DAYS} days up to the as-of date (e.g. "
            f"{', '.join(map(str, pressed[:3]))}): the contact-pressure rule leaves them out."
        )
    try:
        outcome = generator.simulate(bank(), TERM_DEPOSIT, list(ids), holdout=HOLDOUT)
    except CampaignError as error:
        return None, f"The simulator refused your list: {error}."
    return outcome.true_incremental_profit, ""


def _ids(answer) -> tuple[int, ...]:
    return tuple(sorted(int(v) for v in answer))


@cache
def _solution_list() -> pd.Index:
    return targeting.top(_pool(), most=MOST_LISTED)


@cache
def profit_bar() -> float:
    """The true incremental profit a target list must reach: a share of what the course's
    list earns, rounded down to a whole amount."""
    earned, _ = _earned(_ids(_solution_list()))
    return float(math.floor(PROFIT_SHARE * earned))


@dataclass(frozen=True)
class _TargetList(Values):
    """A list of customer ids, judged by what it truly earns in the simulator: right when the
    campaign's true incremental profit reaches :func:`profit_bar`. A named mistake is
    recognised when the answer is the same list."""

    distinct: bool = True
    noun = "a list of customer ids"

    def problem(self, answer):
        told = super().problem(answer)
        if told:
            return told
        values = pd.Series(list(answer))
        if values.empty:
            return "The list is empty: give the ids of the customers to call."
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.isna().any() or (numbers != numbers.round()).any():
            if isinstance(answer, pd.Series) and pd.api.types.is_float_dtype(answer):
                return (
                    "Your Series holds numbers that are not customer ids (scores?): give the "
                    "ids, e.g. the `.index` of the top of a score."
                )
            return "Give customer ids, whole numbers (the `customer_id` of each customer)."
        return None

    def accepts(self, answer, expected):
        earned, _ = _earned(_ids(answer))
        return earned is not None and earned >= profit_bar()

    def difference(self, answer, expected):
        earned, why = _earned(_ids(answer))
        if earned is None:
            return why
        currency = bank().currency
        return (
            f"Your list's campaign truly earns {earned:,.0f} {currency} of incremental profit; "
            f"the bar is {profit_bar():,.0f} {currency} ({PROFIT_SHARE:.0%} of what the "
            "course's list earns)."
        )


@task(
    _TargetList(),
    hint="Score every customer you may call (consent to phone, no open term deposit, no "
    f"campaign contact in the last {PRESSURE_DAYS} days: `targeting.reachable`) with a "
    "response model on their features on the as-of date, and list the best prospects.",
    praise="Your list reaches the bar.",
)
def target_list():
    reachable = _pool()
    randomly = np.random.default_rng(0).choice(reachable.index, MOST_LISTED, replace=False)
    lowest = reachable.sort_values(kind="stable").index[:MOST_LISTED]
    return sorted(_solution_list()), {
        "A random list of the customers you may call: rank them by a response model's score "
        "and list the best prospects first.": sorted(randomly),
        "Those are the lowest scores: sort the score from the highest (`targeting.top`).": sorted(
            lowest
        ),
        f"That is everyone you may call: the call centre makes {CALLS} calls, and with "
        f"{HOLDOUT * 100:.0f} % held out the list holds at most {MOST_LISTED}.": sorted(
            reachable.index
        ),
        "Some of your customers did not agree to be called: a campaign may contact only "
        "those with `consent_phone`.": sorted(
            targeting.top(_pool(consent=False), most=MOST_LISTED)
        ),
        "Some of your customers already hold a term deposit: offer it to those without one "
        "on the as-of date.": sorted(targeting.top(_pool(holders=True), most=MOST_LISTED)),
        f"Some of your customers received a campaign contact in the last {PRESSURE_DAYS} "
        "days: the contact-pressure rule leaves them out (`targeting.reachable`).": sorted(
            targeting.top(_pool(pressure=False), most=MOST_LISTED)
        ),
    }


# ---------------------------------------------------------- task 6: a ranking by expected profit


@cache
def _pilot_run():
    """The supermarket's pilot as the exercise builds it: the features of its customers and
    the simulator's outcome."""
    ds = retail()
    features = targeting.retail_features(ds, ds.as_of, PILOT["category"])
    buyers = features.index[features["category_trips"] > 0]
    ids = targeting.reachable(ds, buyers, PILOT["channel"], ds.as_of, most=None)
    return features, generator.simulate(ds, PILOT, ids, holdout=PILOT_HOLDOUT)


def _pilot():
    """The pilot's features of the listed customers, who was contacted, who responded, and
    the truth (indexed by customer_id)."""
    features, outcome = _pilot_run()
    seen = outcome.customers.set_index("customer_id")
    return (
        features.loc[seen.index],
        seen["group"] == "treatment",
        seen["responded"],
        outcome.truth.set_index("customer_id"),
    )


def _qini(score: pd.Series) -> float:
    _, _, _, truth = _pilot()
    curve = targeting.qini_against_truth(score.astype("float64"), truth["incremental_profit"])
    return targeting.qini_coefficient(curve)


def _ranking_problem(answer) -> str | None:
    how = "e.g. `model.predict(features)` of an uplift model, indexed by customer_id."
    if isinstance(answer, pd.DataFrame):
        return f"The answer should be one score per customer, but it is a table: {how}"
    if not isinstance(answer, pd.Series):
        return (
            f"The answer should be a pandas Series of scores indexed by customer_id, but it is "
            f"a {type(answer).__name__}: {how}"
        )
    if not pd.api.types.is_numeric_dtype(answer) or pd.api.types.is_bool_dtype(answer):
        return "The scores should be numbers (higher = send the coupon first)."
    if answer.isna().any():
        return f"{int(answer.isna().sum()):,} customers have no score (NaN): score each one."
    features, _, _, truth = _pilot()
    if isinstance(answer.index, pd.RangeIndex) and answer.index.name != "customer_id":
        return f"Your Series is indexed by row numbers, not by customer: {how}"
    if not answer.index.is_unique:
        return "Some customers appear more than once: give each customer one score."
    missing = features.index.difference(answer.index)
    extra = answer.index.difference(features.index)
    if len(missing) or len(extra):
        return (
            f"Score exactly the pilot's {len(features):,} customers: your Series misses "
            f"{len(missing):,} of them and has {len(extra):,} others."
        )
    if answer.nunique() <= 1:
        return "Your score gives every customer the same value: it cannot rank them."
    score = answer.reindex(truth.index).astype("float64")
    # the truth's own columns, in the order that ranks well (p_control and p_treated upside
    # down: the least likely to buy anyway first); p_control as it is is a named mistake
    for column, sign in [
        ("uplift", 1),
        ("incremental_profit", 1),
        ("p_control", -1),
        ("p_treated", -1),
    ]:
        if sign * score.corr(truth[column], method="spearman") >= TOO_GOOD:
            return (
                f"That ranking follows the simulator's truth ({column}): a company never sees "
                "it. Rank from what it knows, the pilot's features, contacts and responses."
            )
    return None


@dataclass(frozen=True)
class _Ranking(Kind):
    """A score per pilot customer, judged by its Qini coefficient of profit against the
    simulator's truth: right from :data:`QINI_BAR`. A named mistake is recognised when the
    answer holds the same scores."""

    noun = "a Series of scores indexed by customer_id"

    def problem(self, answer):
        return _ranking_problem(answer)

    def same(self, answer, expected):
        if not isinstance(answer, pd.Series) or not isinstance(expected, pd.Series):
            return False
        if not answer.index.sort_values().equals(expected.index.sort_values()):
            return False
        got = answer.reindex(expected.index).astype("float64").to_numpy()
        return bool(np.allclose(got, expected.astype("float64").to_numpy(), rtol=1e-6))

    def accepts(self, answer, expected):
        return _qini(answer) >= QINI_BAR

    def difference(self, answer, expected):
        qini = _qini(answer)
        told = [
            f"Your ranking's Qini coefficient of profit is {qini:.3f}; the bar is {QINI_BAR} "
            "(0 is a random order, 1 the perfect one)."
        ]
        if qini < 0:
            told.append(
                "Below zero: it sends the coupon first to customers it does not pay for, "
                "those who would buy anyway. Score what the coupon earns, not who buys."
            )
        return " ".join(told)

    def variants(self, answer):
        return [
            answer,
            answer.astype("float32").astype("float64"),
            answer.rename("anything"),
            answer.sort_values(),
            answer.rename_axis(None),
        ]


def expected_profit(features, treated, responded, method: str = "two_models") -> pd.Series:
    """The course's ranking of the pilot: each customer's expected incremental profit of the
    coupon (:func:`course.targeting.coupon_profit`) from an uplift model and a response model
    trained on the pilot, the margin of a unit of the category, the share of the e-mailed
    buyers who used the coupon, the coupon's value and the e-mail's cost."""
    ds = retail()
    uplift = targeting.uplift_model(features, treated, responded, method).predict(features)
    response = targeting.response_model(features[treated], responded[treated])
    buys_if_sent = pd.Series(response.predict_proba(features)[:, 1], index=features.index)
    products = ds["products"][ds["products"]["category"] == PILOT["category"]]
    unit_margin = (products["price"] - products["unit_cost"]).mean()
    return targeting.coupon_profit(
        uplift,
        buys_if_sent,
        unit_margin,
        _redemption(),
        PILOT["coupon_value"],
        CONTACT_COST[ds.currency][PILOT["channel"]],
    )


def _redemption() -> float:
    """The share of the pilot's e-mailed buyers who used the coupon."""
    seen = _pilot_run()[1].customers
    sent_buyers = seen[(seen["group"] == "treatment") & seen["responded"]]
    return float((sent_buyers["discount"] > 0).mean())


@task(
    _Ranking(),
    hint="Rank by what the coupon earns: fit an uplift model on the pilot "
    "(`targeting.uplift_model(X, treated, bought)`: what the coupon adds) and a response model "
    "on the customers sent the coupon (the chance they buy, and so use it), and combine them "
    "with `targeting.coupon_profit`, higher = send the coupon first.",
    praise="Your ranking reaches the bar.",
)
def uplift_ranking():
    features, treated, responded, truth = _pilot()
    right = expected_profit(features, treated, responded)
    response = targeting.response_model(features[treated], responded[treated])
    by_response = pd.Series(response.predict_proba(features)[:, 1], index=features.index)
    randomly = pd.Series(np.random.default_rng(0).random(len(features)), index=features.index)
    return right, {
        "That is a response model's score: it ranks first the customers most likely to buy, "
        "and many of them buy pain relievers anyway, coupon or not, and use it on a sale "
        "already made. Rank by what the coupon earns.": by_response,
        "Higher scores are sent the coupon first: your order is upside down.": -right,
        "A random order earns what a random list earns: rank by what the coupon earns.": (randomly),
        "That is the truth's p_control, the chance to buy without the coupon: no company sees "
        "it, and ranking by it sends coupons first to those who buy anyway.": truth[
            "p_control"
        ].reindex(features.index),
    }
