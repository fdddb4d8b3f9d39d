"""Checks for chapter 05, Knowing the customer: ``from course.checks import ch05 as check``.

Every right answer is computed from the supermarket's and the bank's databases that
``generator.load`` opens (the folder named by ``GENERATOR_DATASETS``, if set), so the checks
hold for a database built with any seed or locale. The lifetime-value task is judged by how
well the prediction does against the hidden future (the truth's ``future_customers``), not by
equality: any method that reaches the bar is right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

import generator
from course import customer_value, lifetime_value, periods
from course.checking import Kind, Table, Values, task
from course.marketing_db import RFM_DAYS

#: The automated trigger's threshold of cumulative spend, in the database's currency.
THRESHOLD = 1_000

#: The lifetime-value task's bars: the prediction's rank correlation with what each customer
#: really brought must reach this share of what the course's model reaches on the same data,
#: and its total must be within this share of the true total.
RANK_SHARE = 0.9
TOTAL_TOLERANCE = 0.2

#: A prediction that ranks the customers this well has seen the future.
TOO_GOOD = 0.98


@cache
def data():
    return generator.load("retail")


@cache
def bank():
    return generator.load("bank")


# ---------------------------------------------------------------- RFM


def _scores(table: pd.DataFrame, reverse: bool = False) -> pd.DataFrame:
    keyed = table.set_index("customer_id")
    recency = keyed["recency_days"] if reverse else -keyed["recency_days"]
    return pd.DataFrame(
        {
            "r": customer_value.ntile(recency),
            "f": customer_value.ntile(keyed["frequency"]),
            "m": customer_value.ntile(keyed["monetary"]),
        }
    ).reset_index()


def _rfm(as_of, days: int = RFM_DAYS) -> pd.DataFrame:
    return customer_value.rfm(data()["transactions"], as_of, days)


@task(
    Table(columns=("customer_id", "r", "f", "m")),
    hint="One row per customer with a receipt on or before the as-of date: recency in days "
    "from the latest receipt to the as-of date, frequency and monetary over the receipts of "
    "the last 365 days (from `periods.window_start(as_of, 365)`, both ends included); then "
    "`r = customer_value.ntile(-recency_days)`, `f = ntile(frequency)`, `m = ntile(monetary)`, "
    "each a Series indexed by customer_id.",
)
def rfm_scores():
    as_of = data().as_of
    return _scores(_rfm(as_of)), {
        "Your recency score is upside down: 5 is the best score, and the best recency is the "
        "fewest days since the last receipt. Score `-recency_days`.": _scores(
            _rfm(as_of), reverse=True
        ),
        "Frequency and monetary count the receipts of the last 365 days only, not the whole "
        "history.": _scores(_rfm(as_of, days=100_000)),
        "Check the first day of the window: `as_of - 365 days` gives 366 days. The last 365 "
        "days start on `periods.window_start(as_of, 365)`, `as_of - 364 days`.": _scores(
            _rfm(as_of, days=366)
        ),
    }


def _long(matrix: pd.DataFrame, name: str = "share") -> pd.DataFrame:
    return matrix.rename_axis(index="before", columns="after").stack().rename(name).reset_index()


def _r_scores(as_of) -> pd.Series:
    return _scores(_rfm(as_of)).set_index("customer_id")["r"]


@task(
    Table(columns=("before", "after", "share")),
    hint="Score R on each date over every customer who has a receipt by that date (a year "
    "before the as-of date: `as_of - pd.Timedelta(days=365)`, and the as-of date), keep the "
    "customers scored on both dates, and give, for each R score on the first date, the share "
    "of its customers with each R score on the second (each row's shares add up to 1): "
    "25 rows.",
)
def r_migration():
    as_of = data().as_of
    before, after = _r_scores(as_of - pd.Timedelta(days=365)), _r_scores(as_of)
    right = customer_value.migration(before, after)
    both = pd.concat({"before": before, "after": after}, axis=1, join="inner")
    columns = pd.crosstab(both["before"], both["after"], normalize="columns")
    kept = before.reindex(after.index).fillna(0).astype("int64")
    early, late = _rfm(as_of - pd.Timedelta(days=365)), _rfm(as_of)
    rescored = [
        _scores(table[table["customer_id"].isin(both.index)]).set_index("customer_id")["r"]
        for table in (early, late)
    ]
    return _long(right), {
        "Give shares, not counts: divide each row by its customers (each row adds up to 1).": (
            _long(customer_value.migration(before, after, normalize=False))
        ),
        "Each row (an R score on the first date) should add up to 1: you divided by the "
        "columns' totals (`normalize='columns'`); divide by the rows' (`normalize='index'`).": (
            _long(columns)
        ),
        "Keep only the customers scored on both dates: the customers who had not bought yet "
        "a year earlier have no R score to move from.": _long(
            customer_value.migration(kept, after)
        ),
        "Score each date over all the customers who have bought by then, then keep those on "
        "both dates: a score is a customer's place among everyone's, not among the "
        "survivors'.": _long(customer_value.migration(*rescored)),
    }


# ---------------------------------------------------------------- profit, the pyramid


@cache
def _bank_profit() -> pd.DataFrame:
    return customer_value.bank_profit(bank()).set_index("customer_id")


def _layers(value: pd.Series) -> pd.DataFrame:
    return customer_value.abc_layers(value).astype(str).rename("layer").reset_index()


@task(
    Table(columns=("customer_id", "layer")),
    hint="Sort the bank's customers by `profit` (`customer_value.bank_profit(bank)`), the "
    "highest first, ties by customer_id; the first 5 % of customers (by count) are A, the "
    "next 15 % B, the next 30 % C and the rest D.",
)
def bank_layers():
    profit = _bank_profit()
    ordered = profit["profit"].sort_values(ascending=False, kind="stable")
    cumulative = ordered.cumsum() / ordered.sum()
    by_share = pd.cut(cumulative, [-np.inf, 0.05, 0.20, 0.50, np.inf], labels=list("ABCD"))
    by_share = by_share.astype(str).rename("layer").rename_axis("customer_id").reset_index()
    return _layers(profit["profit"]), {
        "That is the pyramid by income (interest margin and fees): a customer who earns the "
        "bank a lot but costs more to serve is not a VIP. Use the profit after the cost to "
        "serve.": _layers(profit["interest_margin"] + profit["fees"]),
        "The layers are cut by the number of customers (5 %, 15 %, 30 %, 50 % of them), not "
        "by their cumulative share of the profit.": by_share,
        "Your pyramid stands on its head: A is the most profitable 5 %, so sort the profit "
        "from the highest.": _layers(-profit["profit"]),
    }


@cache
def _retail_profit() -> pd.DataFrame:
    return customer_value.retail_profit(data())


@task(
    Values(distinct=True),
    hint="Take each supermarket customer's profit over the last 365 days after the cost to "
    "serve (`customer_value.retail_profit(retail)`, every registered customer, buyers or "
    "not) and keep those whose profit is below zero.",
)
def below_zero():
    profit = _retail_profit()
    right = profit.loc[profit["profit"] < 0, "customer_id"]
    return sorted(right), {
        "Below zero means less than zero: a customer with no purchase and no cost has a "
        "profit of exactly zero, which is not a loss (use <, not <=).": sorted(
            profit.loc[profit["profit"] <= 0, "customer_id"]
        ),
        "No customer has a negative margin or revenue: a customer falls below zero only once "
        "the cost to serve them (receipts, online orders, complaints, coupons, contacts) is "
        "taken off. Use the profit.": sorted(profit.loc[profit["margin"] < 0, "customer_id"]),
        "Keep every customer, not only those who bought in the last 365 days: a customer who "
        "bought nothing but was sent campaigns costs money too.": sorted(
            profit.loc[(profit["profit"] < 0) & (profit["receipts"] > 0), "customer_id"]
        ),
    }


# ---------------------------------------------------------------- lifetime value


@cache
def _daily() -> pd.DataFrame:
    return lifetime_value.occasions(data())


@cache
def _model_prediction(value: str = "margin") -> pd.Series:
    summary = lifetime_value.summarise(_daily(), data().as_of, value)
    predicted = lifetime_value.fit(summary).predict(summary)
    return predicted.set_index("customer_id")["value"].rename("predicted")


@cache
def _future() -> pd.Series:
    return data().truth("future_customers").set_index("customer_id")["margin"]


def _figures(answer: pd.Series) -> dict[str, float]:
    figures, _ = lifetime_value.score(answer, _future())
    return figures


@cache
def rank_bar() -> float:
    """The rank correlation a prediction must reach: a share of the course model's."""
    reached = _figures(_model_prediction())["rank_correlation"]
    return math.floor(RANK_SHARE * reached * 100) / 100


def _aligned(answer: pd.Series, other: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    index = answer.index.union(other.index)
    return (
        answer.reindex(index).astype("float64").fillna(0).to_numpy(),
        other.reindex(index).astype("float64").fillna(0).to_numpy(),
    )


def _same_prediction(answer, other) -> bool:
    if not isinstance(answer, pd.Series) or not isinstance(other, pd.Series):
        return False
    got, want = _aligned(answer, other)
    return bool(np.allclose(got, want, rtol=1e-6, atol=1e-6))


def _prediction_problem(answer) -> str | None:
    how = (
        'e.g. `predicted.set_index("customer_id")["value"]` for a table of predictions '
        "with a `customer_id` column."
    )
    if isinstance(answer, pd.DataFrame):
        return (
            "The answer should be a Series of predicted margins indexed by customer_id, "
            f"but it is a table: pick its column, {how}"
        )
    if not isinstance(answer, pd.Series):
        return (
            "The answer should be a pandas Series of predicted margins indexed by "
            f"customer_id, but it is a {type(answer).__name__}: {how}"
        )
    if not pd.api.types.is_numeric_dtype(answer) or pd.api.types.is_bool_dtype(answer):
        return "The predictions should be numbers (the margin each customer will bring)."
    if answer.isna().any():
        return (
            f"{int(answer.isna().sum()):,} customers have no prediction (NaN): give each "
            "customer a number (0 for one you expect nothing from), or leave them out."
        )
    if isinstance(answer.index, pd.RangeIndex) and answer.index.name != "customer_id":
        return (
            "Your Series is indexed by row numbers, not by customer: index it by "
            f"customer_id, {how}"
        )
    customers = set(data()["customers"]["customer_id"])
    unknown = int((~answer.index.isin(list(customers))).sum())
    if unknown or not answer.index.is_unique:
        return (
            "Index the Series by customer_id, each customer once: "
            f"{unknown:,} of its labels are not customers of the supermarket."
            if unknown
            else "Some customers appear more than once: give each customer one prediction."
        )
    if answer.nunique() <= 1:
        return (
            "Your prediction gives every customer the same value: it cannot rank them (its "
            "rank correlation is undefined). Predict each customer's own margin."
        )
    figures = _figures(answer)
    if _same_prediction(answer, _future()) or figures["rank_correlation"] >= TOO_GOOD:
        return (
            "That is too good to be a prediction: it ranks the customers almost exactly as "
            "the hidden future does, so it must use data from after the as-of date (the "
            "truth, or receipts after it). Predict from what the company knew on the as-of "
            "date."
        )
    return None


@dataclass(frozen=True)
class _Prediction(Kind):
    """A prediction per customer, judged against the hidden future: right when its rank
    correlation with what happened reaches :func:`rank_bar` and its total is within
    ``TOTAL_TOLERANCE`` of the true total. A named mistake is recognised when the answer
    equals it (the same value for every customer)."""

    noun = "a Series of predictions indexed by customer_id"

    def problem(self, answer):
        return _prediction_problem(answer)

    def same(self, answer, expected):
        return _same_prediction(answer, expected)

    def accepts(self, answer, expected):
        figures = _figures(answer)
        return (
            figures["rank_correlation"] >= rank_bar()
            and abs(figures["total_error"]) <= TOTAL_TOLERANCE
        )

    def difference(self, answer, expected):
        figures = _figures(answer)
        rank, total = figures["rank_correlation"], figures["total_error"]
        told = [
            f"Your prediction's rank correlation with what each customer really brought is "
            f"{rank:.3f} (the bar is {rank_bar():.2f}); its total is {total:+.0%} of the true "
            f"total (the bar: within ±{TOTAL_TOLERANCE:.0%})."
        ]
        if total > 1:
            told.append(
                f"A total {1 + total:.1f} times the truth: is it revenue rather than margin, "
                "or more than the 12 months after the as-of date?"
            )
        elif total < -0.5:
            told.append(
                "A total far below the truth: is it the number of purchases rather than the "
                "margin they bring?"
            )
        return " ".join(told)

    def variants(self, answer):
        return [answer, answer.astype("float32").astype("float64"), answer.rename("anything")]


@task(
    _Prediction(),
    hint="Predict from what the company knew on the as-of date, e.g. with the course's models: "
    "`lifetime_value.summary(retail)` (margins), `lifetime_value.fit(...)` and "
    "`.predict(summary)`; the `value` column is the margin of the next 52 weeks.",
    praise="Your prediction reaches the bar.",
)
def margin_prediction():
    daily = _daily()
    to_date = daily.groupby("customer_id")["margin"].sum()
    summary = lifetime_value.summarise(daily, data().as_of, "margin")
    purchases = lifetime_value.fit(summary, spend=False).predict(summary)
    return _model_prediction(), {
        "That prediction is in revenue: the task asks for the margin (gross profit) each "
        "customer will bring, a fraction of what they spend.": _model_prediction("revenue"),
        "That is each customer's margin to date, over their whole history: the task asks "
        "for the margin of the 12 months after the as-of date.": to_date,
        "That is the number of purchases each customer will make: multiply it by the margin "
        "a purchase brings (Gamma-Gamma's `value_per_purchase`).": purchases.set_index(
            "customer_id"
        )["purchases"],
    }


# ---------------------------------------------------------------- the automated trigger


def _spend_until(day, start=None) -> pd.Series:
    receipts = data()["transactions"]
    days = receipts["timestamp"].dt.normalize()
    kept = days <= day if start is None else (days >= start) & (days <= day)
    return receipts["total"].where(kept, 0).groupby(receipts["customer_id"]).sum()


@task(
    Values(distinct=True),
    hint=f"A customer's cumulative spend is the total of all their receipts since their "
    f"first. Keep the customers whose cumulative spend is at least {THRESHOLD:,} at the end "
    "of the as-of date's month (its receipts up to the as-of date included) and was below it "
    "the day before the month began.",
)
def trigger():
    as_of = data().as_of
    first = as_of.replace(day=1)
    right = customer_value.crossings(data()["transactions"], as_of, THRESHOLD)["customer_id"]
    by_end = _spend_until(as_of)
    rolling = _spend_until(as_of, periods.window_start(as_of, 365))
    rolling_before = _spend_until(
        first - pd.Timedelta(days=1), periods.window_start(first - pd.Timedelta(days=1), 365)
    )
    month = _spend_until(as_of, first)
    return sorted(right), {
        "Those are all the customers above the threshold at the month's end: the trigger "
        "fires once, in the month the spend passes it, so leave out those who were already "
        "above it before the month began.": sorted(by_end.index[by_end >= THRESHOLD]),
        "That is the spend of the month alone: the trigger watches the cumulative spend, "
        "every receipt since the customer's first.": sorted(month.index[month >= THRESHOLD]),
        "That is the spend of a rolling 365 days: cumulative spend counts every receipt "
        "since the customer's first, and never goes down.": sorted(
            rolling.index[(rolling >= THRESHOLD) & (rolling_before < THRESHOLD)]
        ),
    }
