"""Checks for case C2, a bank's "micro-code" marketing: ``from course.checks import c2 as
check``.

Every right answer is computed from the bank's database that ``generator.load`` opens (the
folder named by ``GENERATOR_DATASETS``, if set), so the checks hold for a database built with
any seed, locale or currency. The open decision, a cross-sell plan, is judged by what it earns
rather than by equality: the check runs it through the campaign simulator
(:func:`course.micro_codes.simulate_plan`) and it must truly earn a share of what the course's
own plan earns. Any plan within the budget and the contact rules that reaches the bar is right.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

import generator
from course import micro_codes, periods, targeting
from course.checking import Decision, Read, series_forms, task
from course.marketing_db import CONTACT_COST
from generator.industries.bank_campaign import OFFERED
from generator.simulator import CampaignError

#: The past campaign whose response the tasks read by value tier: term deposits by phone.
PAST_CAMPAIGN = 1

#: Next month's cross-sell budget: what this many phone calls cost (1,000 USD, 2,000 CNY), spent
#: on the contacted customers; the simulator holds out ``HOLDOUT`` of every list, so a plan may
#: list customers whose contacts would cost up to ``budget() / (1 - HOLDOUT)``.
CALLS = 400
HOLDOUT = 0.2

#: The contact-pressure rule: nobody who received a campaign contact in these many days up to
#: the as-of date.
PRESSURE_DAYS = 365

#: A plan must truly earn at least this share of what the course's plan earns.
PROFIT_SHARE = 0.8

#: The course's plan: for each value tier, the products in the order they are offered (the
#: first the customer does not hold). Deposits and funds earn a margin on the money invested,
#: which the value tier measures; a card's margin does not need savings.
PRODUCT_ORDER = {
    "A": ("fund", "term_deposit", "credit_card"),
    "B": ("fund", "credit_card", "term_deposit"),
    "C": ("credit_card", "fund", "term_deposit"),
}

CHANNELS = ("phone", "sms", "email", "mail")
CODE = re.compile(r"^[SCYOR]-[ABC]-\d+-[DPN][+=-]$")


@cache
def bank():
    return generator.load("bank")


def budget() -> float:
    """Next month's cross-sell budget in the bank's currency: ``CALLS`` phone calls."""
    return CALLS * CONTACT_COST[bank().currency]["phone"]


@cache
def _codes(day) -> pd.DataFrame:
    return micro_codes.codes(bank(), pd.Timestamp(day))


@cache
def _features(day) -> pd.DataFrame:
    return targeting.bank_features(bank(), pd.Timestamp(day))


def _joined(parts: pd.DataFrame) -> pd.Series:
    """The code of each row of a parts table (life_stage, value, holdings, channel, signal)."""
    code = parts["life_stage"] + "-" + parts["value"] + "-" + parts["holdings"].astype(str)
    return (code + "-" + parts["channel"] + parts["signal"]).rename("code")


def _tiers(assets: pd.Series, method: str = "first") -> pd.Series:
    share = assets.rank(pct=True, method=method)
    return pd.Series(np.select([share > 0.8, share > 0.5], ["A", "B"], "C"), index=assets.index)


# ---------------------------------------------------------------- task 1: the codes


def _as_codes(answer) -> pd.Series | str:
    """The answer as a Series of code strings indexed by customer_id, or why it cannot be."""
    how = 'e.g. a Series of codes like "C-A-1-D+" indexed by customer_id.'
    if isinstance(answer, pd.DataFrame):
        frame = answer.set_index("customer_id") if "customer_id" in answer.columns else answer
        if "code" not in frame.columns:
            return f"The table has no column `code`: give the codes, {how}"
        answer = frame["code"]
    if not isinstance(answer, pd.Series):
        return f"The answer should be a pandas Series, but it is a {type(answer).__name__}: {how}"
    if isinstance(answer.index, pd.RangeIndex) and answer.index.name != "customer_id":
        return f"Your Series is indexed by row numbers, not by customer: {how}"
    if not answer.index.is_unique:
        return "Some customers appear more than once: give each customer one code."
    values = answer.astype("string")
    if values.isna().any():
        return f"{int(values.isna().sum()):,} customers have no code (NaN): code each one."
    odd = ~values.str.fullmatch(CODE.pattern)
    if odd.any():
        return (
            f"{int(odd.sum()):,} codes are not of the form life stage-value-holdings-channel"
            f'signal, like "C-A-1-D+" (one of them is {values[odd].iloc[0]!r}).'
        )
    try:
        index = pd.Index(answer.index.astype("int64"), name="customer_id")
    except (TypeError, ValueError):
        return f"The index should hold customer ids (whole numbers): {how}"
    return pd.Series(values.to_numpy(dtype=object), index=index, name="code")


@dataclass(frozen=True)
class _Codes(Read):
    """A code per customer (a Series indexed by customer_id, or a table with a ``code``
    column), equal when every customer has the same code."""

    noun = "a Series of codes indexed by customer_id"

    def read(self, answer):
        return _as_codes(answer)

    def equal(self, got, want):
        if len(got) != len(want):
            return False
        return bool(got.reindex(want.index).eq(want).all())

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        missing, extra = want.index.difference(got.index), got.index.difference(want.index)
        if len(missing) or len(extra):
            return (
                f"Code every customer registered by the as-of date ({len(want):,}): your Series "
                f"misses {len(missing):,} of them and has {len(extra):,} others."
            )
        split = [s.reindex(want.index).str.split("-", n=3, expand=True) for s in (got, want)]
        parts = {
            "life stage": [split[0][0], split[1][0]],
            "value": [split[0][1], split[1][1]],
            "holdings": [split[0][2], split[1][2]],
            "channel": [split[0][3].str[0], split[1][3].str[0]],
            "signal": [split[0][3].str[1:], split[1][3].str[1:]],
        }
        wrong = {name: int((a != b).sum()) for name, (a, b) in parts.items()}
        told = ", ".join(f"{name} ({n:,} customers)" for name, n in wrong.items() if n)
        differ = int((got.reindex(want.index) != want).sum())
        return f"{differ:,} of the {len(want):,} customers' codes differ, in the part(s): {told}."

    def variants(self, answer):
        series = _as_codes(answer)
        return [
            answer,
            series,
            series.astype("category"),
            *series_forms(series, "customer_id", "code"),
        ]


def _signal(recent: pd.Series, before: pd.Series) -> pd.Series:
    ratio = recent / before.where(before > 0)
    signal = np.select(
        [recent <= 0, ratio >= 1.2, ratio <= 0.8, before <= 0], ["-", "+", "-", "+"], "="
    )
    return pd.Series(signal, index=recent.index)


def _last_channel(day) -> pd.Series:
    """The channel part read from each customer's latest transaction (any date): a mistake."""
    ds, f = bank(), _features(day)
    booked = ds["transactions"].merge(ds["accounts"][["account_id", "customer_id"]])
    named = booked["channel"].astype(str)
    booked = booked[
        (booked["booked_on"] <= day) & named.isin(micro_codes.DIGITAL + micro_codes.PHYSICAL)
    ]
    booked = booked.sort_values(["booked_on", "transaction_id"], kind="stable")
    last = booked.groupby("customer_id")["channel"].last().astype(str)
    digital = np.where(last.isin(micro_codes.DIGITAL), "D", "P")
    return pd.Series(digital, index=last.index).reindex(f.index, fill_value="N")


def _every_amount_before(day) -> pd.Series:
    """Every amount above zero booked to each customer's accounts in the 90 days before the
    last 90 (interest included): the mistake of task 1's signal."""
    f = _features(day)
    booked = bank()["transactions"].merge(bank()["accounts"][["account_id", "customer_id"]])
    earlier = periods.in_window(booked["booked_on"], day - pd.Timedelta(days=90), 90)
    inflow = booked[earlier & (booked["amount"] > 0)].groupby("customer_id")["amount"].sum()
    return inflow.reindex(f.index, fill_value=0.0)


@task(
    _Codes(),
    hint="Build each part from the features on the as-of date as the recipe says: the life "
    "stage from `household_type` (`micro_codes.LIFE_STAGE`); the value tier from the balances "
    'of `micro_codes.ASSETS` only, ranked with `rank(pct=True, method="first")`; the holdings '
    "from the six products of `micro_codes.BEYOND_CURRENT`, capped at 2; the channel from the "
    "`tx_90d_` counts (digital at least physical is D); the signal from `inflow_90d` against "
    "`inflow_before`. Join them as life stage-value-holdings-channel signal.",
)
def micro_code():
    day = bank().as_of
    right = _codes(day)
    f = _features(day)

    def changed(**parts) -> pd.Series:
        return _joined(right.assign(**parts))

    balances = f.filter(like="balance_")
    with_debt = _tiers(balances.sum(axis=1))
    deposits = _tiers(f[[f"balance_{p}" for p in micro_codes.ASSETS if p != "fund"]].sum(axis=1))
    assets = f[[f"balance_{p}" for p in micro_codes.ASSETS]].clip(lower=0).sum(axis=1)
    every = (f.filter(like="holds_") > 0).sum(axis=1).clip(upper=2).astype(str)
    uncapped = (f[[f"holds_{p}" for p in micro_codes.BEYOND_CURRENT]] > 0).sum(axis=1)
    digital = f[[f"tx_90d_{c}" for c in micro_codes.DIGITAL]].sum(axis=1)
    physical = f[[f"tx_90d_{c}" for c in micro_codes.PHYSICAL]].sum(axis=1)
    strict = np.select([digital + physical == 0, digital > physical], ["N", "D"], "P")
    return right["code"], {
        "Your value tiers count the credit-card and mortgage balances, which are debts "
        "(below zero): the value part ranks the customers' assets only, the balances of "
        "`micro_codes.ASSETS`.": changed(value=with_debt),
        "Your value tiers leave the funds out: assets are deposits and funds "
        "(`micro_codes.ASSETS`).": changed(value=deposits),
        'Ranked with method="dense", equal assets share one rank and the ranks stop at the '
        "number of distinct amounts: the shares are no longer the share of customers at or "
        'below. Rank with `method="first"`.': changed(value=_tiers(assets, "dense")),
        "Your holdings count the current account: the part counts the products beyond it "
        "(`micro_codes.BEYOND_CURRENT`).": changed(holdings=every),
        'Your holdings go above 2: the part is 0, 1 or 2, where 2 means "two or more" '
        "(`.clip(upper=2)`).": changed(holdings=uncapped.astype(str)),
        "Your channel part follows each customer's latest transaction: the preference is "
        "the mix of the last 90 days (digital at least half of them is D; none is "
        "N).": changed(channel=_last_channel(day)),
        "A tie (as many digital as physical transactions) is digital: D when digital is at "
        "least physical.": changed(channel=pd.Series(strict, index=f.index)),
        "Your earlier window counts every amount above zero, interest included: money coming "
        "in is deposits and transfers in, in both windows (`inflow_90d` of the features 90 "
        "days earlier).": changed(signal=_signal(f["inflow_90d"], _every_amount_before(day))),
    }


# ---------------------------------------------------------------- task 2: stability


def _as_shares(answer) -> pd.Series | str:
    how = 'e.g. `pd.Series({"code": ..., "value": ...})` or `micro_codes.stability(...)`.'
    if isinstance(answer, dict):
        answer = pd.Series(answer, dtype="object")
    if isinstance(answer, pd.DataFrame):
        return f"Give one share per part, not a table: {how}"
    if not isinstance(answer, pd.Series):
        return (
            f"The answer should be a Series of shares by part, not a {type(answer).__name__}: {how}"
        )
    missing = [k for k in ("code", "value") if k not in answer.index]
    if missing:
        return f"Your answer has no share for {', '.join(missing)}: {how}"
    picked = answer[["code", "value"]]
    try:
        values = picked.astype("float64")
    except (TypeError, ValueError):
        return "The shares should be numbers between 0 and 1."
    if values.isna().any():
        return "A share is NaN: are there customers in both tables?"
    return values


@dataclass(frozen=True)
class _Shares(Read):
    """The share keeping their code and their value part (a Series or dict with keys ``code``
    and ``value``; other parts are ignored), each equal within a relative tolerance."""

    noun = "a Series of shares by part"

    def read(self, answer):
        return _as_shares(answer)

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if np.allclose(got.to_numpy(), 100 * want.to_numpy(), rtol=1e-6):
            return "Your shares look like percentages: give them as shares between 0 and 1."
        told = [
            f"the {key} share is too {'high' if got[key] > want[key] else 'low'}"
            for key in ("code", "value")
            if not math.isclose(got[key], want[key], rel_tol=1e-6, abs_tol=1e-9)
        ]
        return f"{', and '.join(told).capitalize()}."

    def variants(self, answer):
        shares = _as_shares(answer)
        return [
            answer,
            shares,
            shares.to_dict(),
            shares.iloc[::-1],
            pd.concat([shares, pd.Series({"life_stage": 1.0, "holdings": 0.5})]),
            shares.rename("share keeping it"),
        ]


def _diagonal(table: pd.DataFrame) -> float:
    return float(np.mean([table.at[k, k] if k in table.columns else 0.0 for k in table.index]))


@task(
    _Shares(),
    hint="Build the codes six months before the as-of date (`bank.as_of - "
    "pd.DateOffset(months=6)`) and on the as-of date with `micro_codes.codes`, and compare them "
    "over the customers in both tables (`micro_codes.stability(before, now)`): give the shares "
    'keeping the `"code"` and the `"value"` part.',
)
def stability():
    day = bank().as_of
    now, before = _codes(day), _codes(day - pd.DateOffset(months=6))
    right = micro_codes.stability(before, now)[["code", "value"]]
    later = before.reindex(now.index)
    days180 = _codes(day - pd.Timedelta(days=180))
    return right, {
        "Your shares count the customers who joined in the six months as changed: compare "
        "the customers in both tables only (`micro_codes.stability` does).": pd.Series(
            {p: float((later[p] == now[p]).mean()) for p in ("code", "value")}
        ),
        "Those are the shares that changed: the task asks for the shares that kept their "
        "code and their value part.": 1 - right,
        "180 days is not six months: take `bank.as_of - pd.DateOffset(months=6)`, the same "
        "day of the month six months earlier.": micro_codes.stability(days180, now)[
            ["code", "value"]
        ],
        "That is the mean of the migration table's diagonal, each code (tier) counted alike "
        "however many customers it holds: give the share of customers.": pd.Series(
            {
                "code": _diagonal(micro_codes.migration(before, now, "code")),
                "value": _diagonal(micro_codes.migration(before, now, "value")),
            }
        ),
    }


# ---------------------------------------------------------------- task 3: response by tier


@cache
def _past() -> tuple[pd.Timestamp, pd.Series, pd.Series]:
    """The past campaign's launch day, whether each listed customer responded and whether
    they were called (True) or held out."""
    ds = bank()
    launched_on = ds["campaigns"].set_index("campaign_id").loc[PAST_CAMPAIGN, "launched_on"]
    contacts = ds["campaign_contacts"]
    listed = contacts[contacts["campaign_id"] == PAST_CAMPAIGN].set_index("customer_id")
    outcomes = ds["campaign_outcomes"]
    opened = outcomes.loc[outcomes["campaign_id"] == PAST_CAMPAIGN, "customer_id"]
    responded = pd.Series(listed.index.isin(opened), index=listed.index, name="responded")
    called = pd.Series(listed["test_group"].eq("treatment").to_numpy(), index=listed.index)
    return launched_on, responded, called


def _rates(tiers: pd.Series) -> pd.DataFrame:
    _, responded, called = _past()
    tier = tiers.reindex(responded.index)
    group = np.where(called, "called", "held_out")
    return responded.groupby([tier, group]).mean().unstack()


def _as_tiers(answer) -> pd.Series | str:
    how = "e.g. a Series indexed by value tier A, B, C."
    if isinstance(answer, dict):
        answer = pd.Series(answer, dtype="object")
    if isinstance(answer, pd.DataFrame):
        frame = answer.set_index("value") if "value" in answer.columns else answer
        if "incremental_response" in frame.columns:
            answer = frame["incremental_response"]
        elif frame.shape[1] == 1:
            answer = frame.iloc[:, 0]
        else:
            return f"Give one number per tier, not a table with {frame.shape[1]} columns: {how}"
    if not isinstance(answer, pd.Series):
        return f"The answer should be a Series, not a {type(answer).__name__}: {how}"
    labels = {str(k) for k in answer.index}
    if labels != {"A", "B", "C"}:
        shown = ", ".join(sorted(labels)[:5])
        return f"Give one number per value tier, indexed A, B, C (yours: {shown}): {how}"
    try:
        values = pd.Series(answer.to_numpy(dtype="float64"), index=[str(k) for k in answer.index])
    except (TypeError, ValueError):
        return "The incremental responses should be numbers (shares between −1 and 1)."
    if values.isna().any():
        return "A tier's value is NaN: did every tier have called and held-out customers?"
    return values.sort_index()


@dataclass(frozen=True)
class _ByTier(Read):
    """One number per value tier (a Series or dict indexed A, B, C, or a table with a
    ``value`` column), each equal within a relative tolerance."""

    noun = "a Series indexed by value tier"

    def read(self, answer):
        return _as_tiers(answer)

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if np.allclose(got.to_numpy(), 100 * want.to_numpy(), rtol=1e-6):
            return "Your numbers look like percentages: give them as shares."
        off = [k for k in want.index if not math.isclose(got[k], want[k], rel_tol=1e-6)]
        return f"The tiers {', '.join(off)} differ."

    def variants(self, answer):
        values = _as_tiers(answer)
        return [
            answer,
            values,
            values.to_dict(),
            values.iloc[::-1],
            values.rename_axis("value").rename("incremental_response").reset_index(),
            values.to_frame("anything"),
            pd.Series(values.to_numpy(), index=pd.CategoricalIndex(values.index)),
        ]


@task(
    _ByTier(),
    hint="Take the value tiers of the codes the day before the campaign's launch "
    "(`micro_codes.codes(bank, launched_on - pd.Timedelta(days=1))`), and per tier the "
    "response rate of the called minus that of the held out.",
)
def response_by_tier():
    launched_on, _, _ = _past()
    then = _rates(_codes(launched_on - pd.Timedelta(days=1))["value"])
    after = _rates(_codes(bank().as_of)["value"])
    _, responded, _ = _past()
    f = _features(launched_on - pd.Timedelta(days=1)).loc[responded.index]
    assets = f[[f"balance_{p}" for p in micro_codes.ASSETS]].clip(lower=0).sum(axis=1)
    within = _rates(_tiers(assets))
    return then["called"] - then["held_out"], {
        "Those tiers are the customers' value on the as-of date, after the campaign (and "
        "after the deposits it sold): take the tiers the day before the "
        "launch.": after["called"] - after["held_out"],
        "That is the response rate of the called only: subtract the rate of the held out, "
        "who show what the called would have done without a call.": then["called"],
        "The wrong way round: the incremental response is the called's rate minus the held "
        "out's.": then["held_out"] - then["called"],
        "Your tiers rank the campaign's listed customers among themselves: a tier is the "
        "customer's place among all the bank's customers (the codes of that "
        "day).": within["called"] - within["held_out"],
    }


# ---------------------------------------------------------------- task 4: reconciliation


@cache
def _book() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each account's last month end with its stored balance and opening balance, and the
    transactions with that month end beside them."""
    ds = bank()
    balances = ds["monthly_balances"].sort_values(["account_id", "month_end"], kind="stable")
    last = balances.groupby("account_id").tail(1).set_index("account_id")
    opening = ds["accounts"].set_index("account_id")["opening_balance"]
    last = last.assign(opening_balance=opening.reindex(last.index))
    moves = ds["transactions"].merge(last[["month_end"]], left_on="account_id", right_index=True)
    return last, moves


def _recomputed(moves: pd.DataFrame, with_opening: bool = True) -> pd.Series:
    last, _ = _book()
    moved = moves.groupby("account_id")["amount"].sum().reindex(last.index, fill_value=0.0)
    opening = last["opening_balance"] if with_opening else 0.0
    return (opening + moved).round(2).rename("balance")


def _as_balances(answer) -> pd.Series | str:
    how = "e.g. a Series of balances indexed by account_id."
    if isinstance(answer, pd.DataFrame):
        frame = answer.set_index("account_id") if "account_id" in answer.columns else answer
        numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        if "balance" in frame.columns:
            answer = frame["balance"]
        elif len(numeric) == 1:
            answer = frame[numeric[0]]
        else:
            return f"Give one balance per account, not a table: {how}"
    if not isinstance(answer, pd.Series):
        return f"The answer should be a pandas Series, not a {type(answer).__name__}: {how}"
    if isinstance(answer.index, pd.RangeIndex) and answer.index.name != "account_id":
        return f"Your Series is indexed by row numbers, not by account: {how}"
    if not pd.api.types.is_numeric_dtype(answer) or pd.api.types.is_bool_dtype(answer):
        return "The balances should be amounts (numbers)."
    if not answer.index.is_unique:
        return "Some accounts appear more than once: give each account its last month end."
    if answer.isna().any():
        return f"{int(answer.isna().sum()):,} accounts have no balance (NaN)."
    return answer.astype("float64")


@dataclass(frozen=True)
class _Balances(Read):
    """A balance per account (a Series indexed by account_id), equal to the cent."""

    noun = "a Series of balances indexed by account_id"

    def read(self, answer):
        return _as_balances(answer)

    def equal(self, got, want):
        if len(got) != len(want):
            return False
        if not got.index.sort_values().equals(want.index.sort_values()):
            return False
        return bool(((got.reindex(want.index) - want).abs() < 0.005).all())

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        missing, extra = want.index.difference(got.index), got.index.difference(want.index)
        if len(missing) or len(extra):
            return (
                f"Give every account with a month-end balance ({len(want):,}): yours misses "
                f"{len(missing):,} of them and has {len(extra):,} others."
            )
        off = int(((got.reindex(want.index) - want).abs() >= 0.005).sum())
        return f"{off:,} of the {len(want):,} accounts' balances differ by a cent or more."

    def variants(self, answer):
        series = _as_balances(answer)
        return [
            answer,
            series.round(2),
            series + 1e-9,
            *series_forms(series, "account_id", "balance"),
        ]


@task(
    _Balances(),
    hint="For each account take its last month end in `monthly_balances`; add to its "
    "`opening_balance` the amounts of its transactions booked on or before that day.",
)
def recomputed_balances():
    _, moves = _book()
    upto = moves[moves["booked_on"] <= moves["month_end"]]
    return _recomputed(upto), {
        "Your balances include the transactions booked after the account's last month end "
        "(the closing ones, say): add up to that day only.": _recomputed(moves),
        "The month end itself is part of the month: add the transactions booked on or "
        "before it (`<=`).": _recomputed(moves[moves["booked_on"] < moves["month_end"]]),
        "An account starts from its opening balance: add the transactions to "
        "`opening_balance`.": _recomputed(upto, with_opening=False),
        "Interest and fees are transactions too (channel `system`): add every "
        "transaction.": _recomputed(upto[upto["channel"].astype(str) != "system"]),
    }


# ---------------------------------------------------------------- task 5: the plan


@cache
def _pressed() -> pd.Index:
    """Customers the contact-pressure rule leaves out."""
    ds = bank()
    return targeting.recent_contacts(ds, ds.as_of, PRESSURE_DAYS).index


def _limit() -> float:
    """The most a plan's list may cost if every listed customer were contacted."""
    return budget() / (1 - HOLDOUT)


def _as_plan(answer) -> pd.DataFrame | str:
    how = "a table with the columns customer_id, product_type and channel, one row a customer."
    if isinstance(answer, pd.DataFrame) and answer.index.name == "customer_id":
        answer = answer.reset_index()
    if not isinstance(answer, pd.DataFrame):
        return f"The answer should be {how}"
    missing = [c for c in ("customer_id", "product_type", "channel") if c not in answer.columns]
    if missing:
        return f"Your table has no column {', '.join(missing)}: give {how}"
    if answer.empty:
        return "The plan is empty: list the customers to contact."
    ids = pd.to_numeric(answer["customer_id"], errors="coerce")
    if ids.isna().any() or (ids != ids.round()).any():
        return "The customer_id column should hold customer ids (whole numbers)."
    products = answer["product_type"].astype(str)
    channels = answer["channel"].astype(str)
    if not products.isin(OFFERED).all():
        odd = products[~products.isin(OFFERED)].iloc[0]
        return f"The bank offers {', '.join(OFFERED)} in campaigns, not {odd!r}."
    if not channels.isin(CHANNELS).all():
        odd = channels[~channels.isin(CHANNELS)].iloc[0]
        return f"The channels are {', '.join(CHANNELS)}, not {odd!r}."
    return pd.DataFrame(
        {"customer_id": ids.astype("int64").to_numpy(), "product_type": products.to_numpy()}
        | {"channel": channels.to_numpy()}
    )


def _rows(plan: pd.DataFrame) -> tuple[tuple[int, str, str], ...]:
    return tuple(sorted(plan.itertuples(index=False, name=None)))


def _cost(plan: pd.DataFrame) -> float:
    return float(plan["channel"].map(CONTACT_COST[bank().currency]).sum())


@cache
def _earned(rows: tuple[tuple[int, str, str], ...]) -> tuple[float | None, str]:
    """What a plan truly earns in the simulator, or None and why it cannot be run."""
    plan = pd.DataFrame(list(rows), columns=["customer_id", "product_type", "channel"])
    currency = bank().currency
    twice = plan["customer_id"][plan["customer_id"].duplicated()].unique()
    if len(twice):
        return None, (
            f"{len(twice):,} customers are in your plan more than once (e.g. "
            f"{', '.join(map(str, twice[:3]))}): give each customer one offer."
        )
    spent = _cost(plan) * (1 - HOLDOUT)
    if spent > budget() + 1e-6:
        return None, (
            f"Your plan's contacts cost {spent:,.2f} {currency} ({1 - HOLDOUT:.0%} of the listed "
            f"are contacted, the rest held out): the budget is {budget():,.2f} {currency}."
        )
    pressed = plan["customer_id"][plan["customer_id"].isin(_pressed())]
    if len(pressed):
        return None, (
            f"{len(pressed):,} of your customers received a campaign contact in the "
            f"{PRESSURE_DAYS} days up to the as-of date (e.g. "
            f"{', '.join(map(str, pressed[:3]))}): the contact-pressure rule leaves them out "
            "(`targeting.reachable`)."
        )
    try:
        table = micro_codes.simulate_plan(bank(), plan, holdout=HOLDOUT)
    except CampaignError as error:
        return None, f"The simulator refused your plan: {error}."
    return float(table.loc["total", "true_incremental_profit"]), ""


def course_plan(consent: bool = True, holders: bool = False, pressure: bool = True) -> pd.DataFrame:
    """The course's plan (or, for a mistake, the plan with a rule forgotten): every customer
    with a transaction in 90 days and no recent campaign contact is offered the first product
    of their value tier's ``PRODUCT_ORDER`` they do not hold, by SMS (else e-mail); the
    wealthiest who agree to calls are called instead while the budget lasts."""
    ds = bank()
    codes, f = _codes(ds.as_of), _features(ds.as_of)
    keep = codes["channel"] != "N"
    if pressure:
        keep &= ~codes.index.isin(_pressed())
    codes = codes[keep]
    product = pd.Series("", index=codes.index, dtype=object)
    for tier, order in PRODUCT_ORDER.items():
        for p in reversed(order):
            free = f.loc[codes.index, f"holds_{p}"].eq(0) | holders
            product[(codes["value"] == tier) & free] = p
    product = product[product != ""]
    codes = codes.loc[product.index]
    agreed = ds["customers"].set_index("customer_id").loc[codes.index]
    if not consent:
        agreed = agreed.assign(**{f"consent_{c}": True for c in CHANNELS})
    cost = pd.Series(CONTACT_COST[ds.currency])
    channel = pd.Series(
        np.select([agreed["consent_sms"], agreed["consent_email"]], ["sms", "email"], ""),
        index=codes.index,
    )
    left = _limit() - channel.map(cost).fillna(0.0).sum()
    assets = f.loc[codes.index, [f"balance_{p}" for p in micro_codes.ASSETS]].sum(axis=1)
    callable_ = assets[agreed["consent_phone"].to_numpy(bool)]
    ranked = targeting.top(callable_)
    extra = (cost["phone"] - channel[ranked].map(cost).fillna(0.0)).cumsum()
    channel[ranked[(extra <= left).to_numpy()]] = "phone"
    chosen = channel != ""
    return pd.DataFrame(
        {
            "customer_id": codes.index[chosen],
            "product_type": product[chosen].to_numpy(),
            "channel": channel[chosen].to_numpy(),
        }
    )


@cache
def profit_bar() -> float:
    """The true incremental profit a plan must reach: a share of what the course's plan
    earns, rounded down to a whole amount."""
    earned, _ = _earned(_rows(course_plan()))
    return float(math.floor(PROFIT_SHARE * earned))


def random_plan(seed: int = 0) -> pd.DataFrame:
    """A plan by chance: the customers the rules allow in a random order, each a random
    product they do not hold by a random channel they agreed to, while the budget lasts."""
    ds = bank()
    f = _features(ds.as_of)
    agreed = ds["customers"].set_index("customer_id")
    rng = np.random.default_rng(seed)
    ids = rng.permutation(f.index[~f.index.isin(_pressed())].to_numpy())
    cost, left, rows = CONTACT_COST[ds.currency], _limit(), []
    for customer in ids:
        products = [p for p in OFFERED if f.at[customer, f"holds_{p}"] == 0]
        channels = [c for c in CHANNELS if agreed.at[customer, f"consent_{c}"] and cost[c] <= left]
        if products and channels:
            channel = channels[rng.integers(len(channels))]
            rows.append((customer, products[rng.integers(len(products))], channel))
            left -= cost[channel]
    return pd.DataFrame(rows, columns=["customer_id", "product_type", "channel"])


def one_size(product: str, channel: str, seed: int = 0) -> pd.DataFrame:
    """One product by one channel to a random list of the customers the rules allow, as long
    as the budget lasts (one size fits all)."""
    ds = bank()
    f = _features(ds.as_of)
    ids = f.index[(f[f"holds_{product}"] == 0) & ~f.index.isin(_pressed())]
    ids = targeting.reachable(ds, ids, channel, ds.as_of, most=None)
    size = min(len(ids), int(_limit() // CONTACT_COST[ds.currency][channel]))
    chosen = np.random.default_rng(seed).choice(ids, size, replace=False)
    return pd.DataFrame({"customer_id": chosen, "product_type": product, "channel": channel})


@dataclass(frozen=True)
class _Plan(Decision):
    """A cross-sell plan, judged by what it truly earns in the simulator: right when the
    plans' true incremental profit reaches :func:`profit_bar`. A named mistake is recognised
    when the answer is the same plan."""

    noun = "a table of customer_id, product_type, channel"

    def read(self, answer):
        return _as_plan(answer)

    def equal(self, got, want):
        return _rows(got) == _rows(want)

    def score(self, form):
        return _earned(_rows(form))

    def bar(self):
        return profit_bar()

    def short(self, earned):
        currency = bank().currency
        return (
            f"Your plan truly earns {earned:,.0f} {currency} of incremental profit; the bar "
            f"is {profit_bar():,.0f} {currency} ({PROFIT_SHARE:.0%} of what the course's plan "
            "earns)."
        )

    def variants(self, answer):
        plan = _as_plan(answer)
        return [
            answer,
            plan.iloc[::-1],
            plan[["channel", "product_type", "customer_id"]],
            plan.set_index("customer_id"),
            plan.assign(code="x"),
            plan.astype({"product_type": "category", "channel": "category"}),
        ]


@task(
    _Plan(),
    hint="Offer each customer the rules allow a product they do not hold, chosen by their "
    "code (the value part tells what a deposit or a fund would be worth), by the cheapest "
    "channel they agreed to; spend what the budget leaves on calls to the customers worth "
    "most.",
    praise="Your plan reaches the bar.",
)
def cross_sell_plan():
    fund_by_sms = one_size("fund", "sms")
    return course_plan(), {
        "A plan by chance (random products by random channels): choose each customer's "
        "product by their code and the channel by what it costs and adds.": random_plan(0),
        "That is one size fits all, one product by one channel to everyone it reaches: "
        "give each customer a product they do not hold, chosen by their code.": fund_by_sms,
        "Some of your customers did not agree to the channel you chose: keep to their "
        "`consent_<channel>` (`targeting.reachable`).": course_plan(consent=False),
        "Some of your customers already hold the product you offer: offer each a product "
        "they do not hold on the as-of date.": course_plan(holders=True),
        f"Some of your customers received a campaign contact in the last {PRESSURE_DAYS} "
        "days: the contact-pressure rule leaves them out "
        "(`targeting.reachable`).": course_plan(pressure=False),
    }
