"""Checks for chapter 07, Relationship and one-to-one marketing: ``from course.checks import ch07
as check``.

Every right answer is computed from the supermarket's database that ``generator.load`` opens
(the folder named by ``GENERATOR_DATASETS``, if set), so the checks hold for a database built
with any seed, locale or currency. Three tasks are judged by how well the answer does against
the hidden future or the truth rather than by equality, and any method that reaches the bar is
right: a next-purchase prediction by its median error in days against the customers' real next
purchases, a shopping list by how much of the next month's spend it covers, and a share of
wallet by its rank correlation with the truth's share and its mean error. The timed send list
is compared with the course's and, when right, run through the campaign simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

import generator
from course import affinities, one_to_one, periods, targeting
from course.checking import Kind, Read, Table, Task, series_forms, task
from generator.simulator import CampaignError

#: The category of the purchase-cycle task and of the timed offer.
CYCLE_CATEGORY = "coffee"

#: The category of the next-purchase and of the share-of-wallet tasks.
NEXT_CATEGORY = "detergent"
WALLET_CATEGORY = "detergent"

#: A next-purchase prediction must have a median absolute error of at most the course's own
#: prediction's (the last purchase day plus the customer's mean gap) plus these many days.
NEXT_MARGIN = 5

#: A shopping list holds at most this many products per customer, for the customers with a
#: receipt in the last ``LIST_DAYS`` days; it is scored on the ``COVERAGE_DAYS`` days after the
#: as-of date and must cover this share of what the course's lists cover.
LIST_SIZE = 10
LIST_DAYS = 365
COVERAGE_DAYS = 30
COVERAGE_SHARE = 0.9

#: The association rules' thresholds: support over the receipts, lift.
MIN_SUPPORT = 0.005
MIN_LIFT = 1.0

#: A share-of-wallet estimate must rank the customers like the truth (Spearman) at least this
#: well, and be this close to it on average (mean absolute error).
SPEARMAN_BAR = 0.5
ERROR_BAR = 0.25
WALLET_DAYS = 365

#: The timed coffee offer: an e-mail coupon sent ``LEAD`` days before each predicted purchase
#: that falls within ``HORIZON`` days after the as-of date, half the list held out.
LEAD = 3
HORIZON = 28
COFFEE_COUPON = {"category": "coffee", "channel": "email", "coupon_value": 1.5, "response_days": 10}
HOLDOUT = 0.5


@cache
def retail():
    return generator.load("retail")


def _as_of() -> pd.Timestamp:
    return pd.Timestamp(retail().as_of).normalize()


def _day(n: int) -> pd.Timestamp:
    """The day ``n`` days after the as-of date."""
    return _as_of() + pd.Timedelta(days=n)


@cache
def _days(category: str) -> pd.DataFrame:
    return one_to_one.purchase_days(retail(), retail().as_of, [category])


@cache
def _intervals(category: str) -> pd.DataFrame:
    return one_to_one.intervals(_days(category))


@cache
def _receipt_lines() -> pd.DataFrame:
    """Receipt lines up to the as-of date: customer, receipt, timestamp, product, category,
    amount."""
    ds = retail()
    receipts = ds["transactions"][["transaction_id", "customer_id", "timestamp"]]
    receipts = receipts[receipts["timestamp"].dt.normalize() <= _as_of()]
    lines = ds["transaction_items"][["transaction_id", "product_id", "quantity", "amount"]]
    products = ds["products"][["product_id", "category"]]
    lines = lines.merge(receipts, on="transaction_id").merge(products, on="product_id")
    return lines.assign(category=lines["category"].astype(str))


# ---------------------------------------------------------------- shared answer forms


@dataclass(frozen=True)
class _PerCustomer(Table):
    """One number per customer: a Series indexed by customer_id (any name) or a table with
    ``customer_id`` and the value's column, equal within a relative tolerance."""

    value: str = "value"
    noun = "a Series indexed by customer_id"

    def _framed(self, answer):
        if isinstance(answer, pd.Series):
            answer = answer.rename(self.value)
            if answer.index.name is None:
                answer = answer.rename_axis("customer_id")
        return answer

    def problem(self, answer):
        if isinstance(answer, pd.Series) and isinstance(answer.index, pd.RangeIndex):
            if answer.index.name in (None, "customer_id") and answer.name != "customer_id":
                return "Your Series is indexed by row numbers: index it by customer_id."
        if isinstance(answer, list | tuple | np.ndarray):
            return "The answer should be a Series indexed by customer_id, not a plain list."
        told = super().problem(self._framed(answer))
        if told:
            return told
        frame = self._framed(answer)
        frame = frame.to_frame() if isinstance(frame, pd.Series) else frame
        values = frame.reset_index()[self.value]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            return f"The {self.value} should be numbers (days)."
        return None

    def same(self, answer, expected):
        return super().same(self._framed(answer), self._framed(expected))

    def difference(self, answer, expected):
        got, want = self._normal(self._framed(answer)), self._normal(self._framed(expected))
        if len(got) != len(want):
            return f"You have {len(got):,} customers; the right answer has {len(want):,}."
        if got[got.columns[0]].equals(want[want.columns[0]]):
            mine, right = got[self.value].to_numpy(float), want[self.value].to_numpy(float)
            for decimals in range(4):
                if np.allclose(mine, np.round(mine, decimals)) and np.allclose(
                    mine, np.round(right, decimals)
                ):
                    return (
                        f"Your values look rounded to {decimals} decimal place(s): give them "
                        "as computed (round only when you print them)."
                    )
        return "The right customers, but some values differ."

    def variants(self, answer):
        framed = self._framed(answer)
        return [*super().variants(framed), framed.rename("anything")]


def _customer_series(answer, what: str, how: str) -> pd.Series | str:
    """A per-customer answer as a Series indexed by customer_id, or why it cannot be read."""
    if isinstance(answer, pd.DataFrame):
        frame = answer.reset_index() if "customer_id" in answer.index.names else answer
        if "customer_id" not in frame.columns or what not in frame.columns:
            return (
                f"The answer should be a Series indexed by customer_id (or a table with "
                f"customer_id and {what}): {how}"
            )
        answer = frame.set_index("customer_id")[what]
    if not isinstance(answer, pd.Series):
        return (
            f"The answer should be a pandas Series indexed by customer_id, but it is a "
            f"{type(answer).__name__}: {how}"
        )
    if isinstance(answer.index, pd.RangeIndex) and answer.index.name != "customer_id":
        return f"Your Series is indexed by row numbers, not by customer: {how}"
    if not answer.index.is_unique:
        return "Some customers appear more than once: give each customer one value."
    return answer


def _population(answer: pd.Series, ids: pd.Index, who: str) -> str | None:
    missing, extra = ids.difference(answer.index), answer.index.difference(ids)
    if len(missing) or len(extra):
        return (
            f"Give exactly the {len(ids):,} {who}: your Series misses {len(missing):,} of them "
            f"and has {len(extra):,} others."
        )
    return None


# ---------------------------------------------------------------- task 1: a purchase cycle


@task(
    _PerCustomer(columns=("customer_id", "mean_gap"), value="mean_gap"),
    hint="Take each customer's days with a coffee purchase up to the as-of date (one row per "
    "customer and day: `one_to_one.purchase_days`), keep the customers with two days or "
    "more, and divide the span from their first to their last day by the number of gaps "
    "between the days (the number of days less one): `one_to_one.intervals`.",
)
def purchase_cycle():
    days = _days(CYCLE_CATEGORY)
    table = _intervals(CYCLE_CATEGORY).set_index("customer_id")
    per = days.groupby("customer_id")["day"].agg(["min", "max", "size"])
    span = (per["max"] - per["min"]).dt.days
    lines = _receipt_lines()
    receipts = lines[lines["category"] == CYCLE_CATEGORY]
    receipts = receipts.drop_duplicates("transaction_id").sort_values(["customer_id", "timestamp"])
    steps = receipts.groupby("customer_id")["timestamp"].diff()
    floored = steps.dt.days.groupby(receipts["customer_id"]).mean().dropna()
    hours = (steps.dt.total_seconds() / 86400).groupby(receipts["customer_id"]).mean().dropna()
    return table["mean_gap"], {
        "That is the median gap: the task asks for the mean, the span over the number of "
        "gaps.": table["median_gap"],
        "365 / the number of purchases counts purchases per year, but the history is longer "
        "than a year and starts at different times: divide the span from the first to the "
        "last purchase day by the number of gaps.": 365 / table["purchase_days"],
        "Divide the span by the number of gaps between the days, one less than the number of "
        "days.": span[per["size"] >= 2] / per.loc[per["size"] >= 2, "size"],
        "Customers with a single purchase day have no gap (your answer holds them with NaN): "
        "keep the customers with two purchase days or more.": span / (per["size"] - 1),
        "Customers with a single purchase day have no gap (your answer gives them 0): keep "
        "the customers with two purchase days or more.": (span / (per["size"] - 1)).fillna(0.0),
        "`.dt.days` of the gaps between timestamps drops the hours of each gap: work with "
        "each purchase's day (`timestamp.dt.normalize()`), then take the gaps.": floored,
        "Your gaps count hours: work with each purchase's day (`timestamp.dt.normalize()`), "
        "then take the gaps in whole days.": hours,
    }


# ---------------------------------------------------------------- task 2: the next purchase


@cache
def _next_actual() -> pd.Series:
    """Each customer's real next detergent purchase in the hidden future (NaT: none in it)."""
    future = retail().truth("future_next_purchases")
    future = future[future["category"].astype(str) == NEXT_CATEGORY]
    return future.set_index("customer_id")["next_purchase_on"]


def _predicted_ids() -> pd.Index:
    return pd.Index(_intervals(NEXT_CATEGORY)["customer_id"], name="customer_id")


def _next_dates(answer) -> pd.Series | str:
    how = "e.g. the last purchase day plus the customer's mean gap, indexed by customer_id."
    series = _customer_series(answer, "predicted_on", how)
    if isinstance(series, str):
        return series
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return (
            "The predictions should be dates, not numbers: add each customer's gap to their "
            "last purchase day (`pd.to_timedelta(gap, unit='D')`)."
        )
    try:
        dates = pd.to_datetime(series)
    except (ValueError, TypeError):
        return "The predictions should be dates (Timestamps), one per customer."
    if dates.isna().any():
        return f"{int(dates.isna().sum()):,} customers have no predicted day (NaT): give each one."
    told = _population(
        dates,
        _predicted_ids(),
        f"{NEXT_CATEGORY} buyers with two purchase days or more up to the as-of date",
    )
    return told or dates.dt.normalize().sort_index()


def _median_error(dates: pd.Series) -> float:
    actual = _next_actual().reindex(dates.index)
    errors = (dates - actual).dt.days.abs().dropna()
    return float(errors.median())


@cache
def next_purchase_bar() -> float:
    """The median absolute error (days) a prediction must not exceed: the course's own
    prediction's plus :data:`NEXT_MARGIN`."""
    return _median_error(_course_next()) + NEXT_MARGIN


@cache
def _course_next() -> pd.Series:
    predicted = one_to_one.next_purchase(_intervals(NEXT_CATEGORY), retail().as_of)
    return predicted.set_index("customer_id")["predicted_on"].sort_index()


@dataclass(frozen=True)
class _NextPurchase(Read):
    """A predicted next purchase day per customer, judged by its median absolute error in days
    against the customers' real next purchases (those who bought again in the hidden future):
    right at :func:`next_purchase_bar` or below, unless every customer gets the same day. A
    named mistake is recognised when the answer holds the same days."""

    noun = "a Series of dates indexed by customer_id"

    def read(self, answer):
        return _next_dates(answer)

    def equal(self, got, want):
        return bool(got.index.equals(want.index) and (got == want).all())

    def accepts(self, answer, expected):
        dates = _next_dates(answer)
        return dates.nunique() > 1 and _median_error(dates) <= next_purchase_bar()

    def difference(self, answer, expected):
        dates = _next_dates(answer)
        if dates.nunique() <= 1:
            return (
                "Every customer has the same predicted day: predict each customer's own next "
                "purchase from their own history."
            )
        bought = int(_next_actual().reindex(dates.index).notna().sum())
        told = [
            f"Your predictions' median absolute error is {_median_error(dates):.1f} days over "
            f"the {bought:,} customers who bought {NEXT_CATEGORY} again; the bar is "
            f"{next_purchase_bar():.1f} days."
        ]
        past = int((dates <= _as_of()).sum())
        if past:
            told.append(
                f"{past:,} of your days are on or before the as-of date: a customer who has "
                "not bought by then buys the day after it at the earliest."
            )
        return " ".join(told)

    def variants(self, answer):
        frame = answer.rename("predicted_on").rename_axis("customer_id").reset_index()
        return [
            answer,
            answer.rename("anything"),
            answer.sort_values(),
            answer.dt.strftime("%Y-%m-%d"),
            frame,
            frame.assign(category=NEXT_CATEGORY).iloc[::-1],
        ]


@task(
    _NextPurchase(),
    hint="Predict each customer's next purchase as their last purchase day plus their own gap "
    "(`one_to_one.next_purchase`), and move the days that have already passed to the day "
    "after the as-of date.",
    praise="Your predictions reach the bar.",
)
def next_purchase():
    table = _intervals(NEXT_CATEGORY).set_index("customer_id").sort_index()
    right = _course_next()
    unmoved = table["last"] + pd.to_timedelta(table["mean_gap"].round(), unit="D")
    return right, {
        "That is the last purchase day itself: add the customer's gap to it.": table["last"],
        "Everyone on the day after the as-of date is a blast, not a prediction: predict each "
        "customer's own day from their last purchase and their gap.": pd.Series(
            _day(1), index=table.index
        ),
        "Some of your days are already past on the as-of date: a customer who is overdue "
        "has not bought yet, so they are due now, the day after the as-of date.": unmoved,
    }


# ---------------------------------------------------------------- task 3: a shopping list


def _lists(answer) -> pd.DataFrame | str:
    how = "one row per customer and product listed."
    if isinstance(answer, pd.Series):
        return f"The answer should be a table with the columns customer_id and product_id: {how}"
    if not isinstance(answer, pd.DataFrame):
        return (
            f"The answer should be a table (DataFrame) with the columns customer_id and "
            f"product_id, but it is a {type(answer).__name__}: {how}"
        )
    frame = answer.reset_index() if "customer_id" in answer.index.names else answer
    missing = [c for c in ("customer_id", "product_id") if c not in frame.columns]
    if missing:
        return f"The table needs the column(s) {', '.join(missing)}: {how}"
    pairs = frame[["customer_id", "product_id"]]
    if pairs.isna().any().any():
        return "Some rows have no customer_id or product_id: give both on every row."
    if not all(pd.api.types.is_numeric_dtype(pairs[c]) for c in pairs.columns):
        return "customer_id and product_id should be the ids (whole numbers)."
    pairs = pairs.astype("int64").drop_duplicates()
    per = pairs.groupby("customer_id").size()
    over = per[per > LIST_SIZE]
    if len(over):
        return (
            f"{len(over):,} customers have more than {LIST_SIZE} products on their list (e.g. "
            f"customer {over.index[0]} has {over.iloc[0]}): keep each customer's "
            f"{LIST_SIZE} best."
        )
    return pairs.sort_values(["customer_id", "product_id"]).reset_index(drop=True)


@cache
def _listed_customers() -> pd.Index:
    """The customers with a receipt in the last LIST_DAYS days, who get a list."""
    return periods.active_customers(retail()["transactions"], retail().as_of, LIST_DAYS)


@cache
def _future_purchases() -> pd.DataFrame:
    return retail().truth("future_purchases")


def _coverage(pairs: pd.DataFrame) -> float:
    """The mean share of the next COVERAGE_DAYS days' spend that the lists hold, over the
    listed customers who shop in those days."""
    scored = one_to_one.coverage(pairs, _future_purchases(), _day(1), COVERAGE_DAYS)
    scored = scored[scored["customer_id"].isin(_listed_customers())]
    return float(scored["coverage"].mean())


@cache
def _course_lists() -> pd.DataFrame:
    lists = one_to_one.shopping_lists(retail(), retail().as_of, LIST_SIZE, LIST_DAYS)
    return lists[["customer_id", "product_id"]]


@cache
def coverage_bar() -> float:
    """The mean coverage a list must reach: COVERAGE_SHARE of what the course's lists cover."""
    return COVERAGE_SHARE * _coverage(_course_lists())


@dataclass(frozen=True)
class _ShoppingLists(Read):
    """Up to LIST_SIZE products per customer (customer_id, product_id), judged by the mean
    share of the next month's spend they cover: right from :func:`coverage_bar`. A named
    mistake is recognised when the answer lists the same products."""

    noun = "a table of customer_id and product_id"

    def read(self, answer):
        return _lists(answer)

    def equal(self, got, want):
        return bool(got.equals(want))

    def accepts(self, answer, expected):
        return _coverage(_lists(answer)) >= coverage_bar()

    def difference(self, answer, expected):
        pairs = _lists(answer)
        told = [
            f"Your lists cover {_coverage(pairs):.1%} of the next {COVERAGE_DAYS} days' spend "
            f"of the customers who shop then; the bar is {coverage_bar():.1%} "
            f"({COVERAGE_SHARE:.0%} of what the course's lists cover)."
        ]
        products = pairs.groupby("customer_id")["product_id"].apply(frozenset)
        if len(products) > 1 and products.nunique() == 1:
            told.append(
                "Every customer has the same list: build each one from the customer's own "
                "purchases."
            )
        return " ".join(told)

    def variants(self, answer):
        frame = answer.reset_index(drop=True)
        return [
            frame,
            frame.iloc[::-1],
            frame.assign(rank=frame.groupby("customer_id").cumcount() + 1),
            frame[["product_id", "customer_id"]],
            frame.set_index("customer_id"),
            frame.astype("float64"),
        ]


def _ranked(lines: pd.DataFrame) -> pd.DataFrame:
    """The LIST_SIZE products each customer bought on the most days among ``lines``."""
    bought = lines.assign(day=lines["timestamp"].dt.normalize())
    bought = bought.groupby(["customer_id", "product_id"]).agg(
        days=("day", "nunique"), last=("day", "max")
    )
    bought = bought.reset_index().sort_values(
        ["customer_id", "days", "last", "product_id"], ascending=[True, False, False, True]
    )
    return bought[bought.groupby("customer_id").cumcount() < LIST_SIZE][
        ["customer_id", "product_id"]
    ]


@task(
    _ShoppingLists(),
    hint=f"List for each customer the {LIST_SIZE} products they bought on the most days in "
    f"the last {LIST_DAYS} days (`one_to_one.shopping_lists`): their own regular purchases.",
    praise="Your lists reach the bar.",
)
def shopping_list():
    lines = _receipt_lines()
    recent = lines[periods.in_window(lines["timestamp"], retail().as_of, LIST_DAYS)]
    receipts = recent.groupby("product_id")["transaction_id"].nunique()
    top = receipts.sort_values(ascending=False, kind="stable").index[:LIST_SIZE]
    customers = _listed_customers()
    bestsellers = pd.DataFrame(
        {"customer_id": np.repeat(customers, len(top)), "product_id": np.tile(top, len(customers))}
    )
    first_day = lines["timestamp"].min().normalize()
    first_year = lines[lines["timestamp"] < first_day + pd.Timedelta(days=365)]
    latest = recent.sort_values("timestamp").drop_duplicates(
        ["customer_id", "product_id"], keep="last"
    )
    latest = latest.sort_values(["customer_id", "timestamp"], ascending=[True, False])
    latest = latest[latest.groupby("customer_id").cumcount() < LIST_SIZE]
    return _course_lists(), {
        f"The same {LIST_SIZE} bestsellers for everyone: a personal list holds what each "
        "customer buys.": bestsellers,
        "Your lists come from the first year of the history: customers' habits change, so "
        f"list from the last {LIST_DAYS} days.": _ranked(first_year),
        "Those are the last products each customer bought: a one-off purchase is as likely "
        "to be on it as a weekly one. List the products bought on the most days.": latest[
            ["customer_id", "product_id"]
        ],
        f"Your lists come from the last 90 days only: {LIST_DAYS} days show each customer's "
        "regular purchases better.": _ranked(
            recent[periods.in_window(recent["timestamp"], retail().as_of, 90)]
        ),
    }


# ---------------------------------------------------------------- task 4: association rules

RULE_COLUMNS = ("antecedent", "consequent", "support", "confidence", "lift")


@cache
def _baskets() -> pd.DataFrame:
    return affinities.baskets(retail(), retail().as_of)


def _swapped_confidence(rules: pd.DataFrame, baskets: pd.DataFrame) -> pd.DataFrame:
    share = baskets.mean()
    return rules.assign(confidence=rules["support"] / share.reindex(rules["consequent"]).to_numpy())


@task(
    Table(columns=RULE_COLUMNS),
    hint="Work on receipts up to the as-of date, one row per receipt and one True/False column "
    "per category (`affinities.baskets`); keep the pairs of categories found together on at "
    f"least {MIN_SUPPORT:.1%} of the receipts, and give both rules of each pair with a lift "
    "of at least 1 (`affinities.rules`): support = share of receipts with both, confidence "
    "of A → B = support / share with A, lift = confidence / share with B.",
)
def association_rules():
    baskets = _baskets()
    right = affinities.rules(baskets, MIN_SUPPORT, MIN_LIFT)
    owner = retail()["transactions"].set_index("transaction_id")["customer_id"]
    customers = baskets.groupby(owner.reindex(baskets.index).to_numpy()).any()
    return right, {
        "Your lift column holds the confidence: lift divides the confidence by the share of "
        "receipts with the consequent.": right.assign(lift=right["confidence"]),
        "That counts customers, not receipts: an affinity is two categories in the same "
        "basket, so each row of the table is a receipt.": affinities.rules(
            customers, MIN_SUPPORT, MIN_LIFT
        ),
        "Your confidence divides the support by the consequent's share: the confidence of "
        "A → B is the support over the share of receipts with A, the antecedent.": (
            _swapped_confidence(right, baskets)
        ),
        "Your table also holds rules with a lift below 1, pairs found together less often "
        "than chance: keep a lift of at least 1.": affinities.rules(baskets, MIN_SUPPORT, 0.0),
        f"That is a minimum support of {10 * MIN_SUPPORT:.0%}: the task asks for "
        f"{MIN_SUPPORT:.1%} of the receipts, a share of {MIN_SUPPORT}.": affinities.rules(
            baskets, 10 * MIN_SUPPORT, MIN_LIFT
        ),
    }


# ---------------------------------------------------------------- task 5: share of wallet


@cache
def _wallet_buyers() -> pd.Index:
    """The customers who bought the category in the last WALLET_DAYS days."""
    days = _days(WALLET_CATEGORY)
    recent = days[periods.in_window(days["day"], retail().as_of, WALLET_DAYS)]
    return pd.Index(recent["customer_id"].unique(), name="customer_id").sort_values()


@cache
def _true_share() -> pd.Series:
    truth = one_to_one.true_category_share(retail())
    truth = truth[truth["category"] == WALLET_CATEGORY].set_index("customer_id")["true_share"]
    return truth.reindex(_wallet_buyers()).dropna()


def _shares(answer) -> pd.Series | str:
    how = "e.g. the share of the category's need each customer buys here, from 0 to 1."
    series = _customer_series(answer, "share", how)
    if isinstance(series, str):
        return series
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return "The shares should be numbers from 0 to 1."
    if series.isna().any():
        return f"{int(series.isna().sum()):,} customers have no share (NaN): estimate each one."
    if (series < 0).any() or (series > 1).any():
        return (
            "Some shares are below 0 or above 1: a share of wallet is a share of the "
            "customer's need, from 0 to 1 (cap it at 1)."
        )
    told = _population(
        series,
        _wallet_buyers(),
        f"customers who bought {WALLET_CATEGORY} in the last {WALLET_DAYS} days",
    )
    return told or series.astype("float64").sort_index()


def _wallet_scores(shares: pd.Series) -> tuple[float, float]:
    """Spearman's rank correlation with the truth's share (NaN for a constant) and the mean
    absolute error, over the buyers the truth holds."""
    truth = _true_share()
    mine = shares.reindex(truth.index)
    error = float((mine - truth).abs().mean())
    if mine.nunique() <= 1:
        return math.nan, error
    rho = np.corrcoef(mine.rank().to_numpy(), truth.rank().to_numpy())[0, 1]
    return float(rho), error


@dataclass(frozen=True)
class _WalletShares(Read):
    """A share of wallet per buyer, judged against the truth: right when its rank correlation
    reaches SPEARMAN_BAR and its mean absolute error is at most ERROR_BAR. A named mistake is
    recognised when the answer holds the same shares."""

    noun = "a Series of shares indexed by customer_id"

    def read(self, answer):
        return _shares(answer)

    def equal(self, got, want):
        return bool(got.index.equals(want.index) and np.allclose(got, want, rtol=1e-6))

    def accepts(self, answer, expected):
        rho, error = _wallet_scores(_shares(answer))
        return rho >= SPEARMAN_BAR and error <= ERROR_BAR

    def difference(self, answer, expected):
        rho, error = _wallet_scores(_shares(answer))
        if math.isnan(rho):
            return (
                "Every customer has the same share: it cannot tell who is worth growing. "
                f"Its mean absolute error against the truth is {error:.3f} (the bar is "
                f"{ERROR_BAR})."
            )
        return (
            f"Your shares' rank correlation with the truth is {rho:.3f} (the bar is "
            f"{SPEARMAN_BAR}) and their mean absolute error {error:.3f} (the bar is "
            f"{ERROR_BAR})."
        )

    def variants(self, answer):
        return [
            answer,
            answer.sort_values(),
            answer.astype("float32").astype("float64"),
            *series_forms(answer, "customer_id", "share"),
        ]


@task(
    _WalletShares(),
    hint=f"Count each buyer's days with a {WALLET_CATEGORY} purchase in the last "
    f"{WALLET_DAYS} days and compare them with the need of the category's best customers (the "
    "90th percentile of those days among its buyers), capped at 1: "
    "`one_to_one.category_share`.",
    praise="Your estimate reaches both bars.",
)
def share_of_wallet():
    days = _days(WALLET_CATEGORY)
    right = one_to_one.category_share(days, retail().as_of, WALLET_DAYS)
    right = right.set_index("customer_id")["share"].sort_index()
    lines = _receipt_lines()
    recent = lines[periods.in_window(lines["timestamp"], retail().as_of, WALLET_DAYS)]
    spend = recent.groupby("customer_id")["amount"].sum()
    in_category = recent[recent["category"] == WALLET_CATEGORY].groupby("customer_id")["amount"]
    basket = (in_category.sum() / spend).reindex(right.index)
    recent_days = days[periods.in_window(days["day"], retail().as_of, WALLET_DAYS)]
    bought = recent_days.groupby("customer_id").size().reindex(right.index)
    return right, {
        f"That is {WALLET_CATEGORY}'s share of each customer's spend here, a share of their "
        "basket: share of wallet is the share of the customer's need for the category that "
        "they buy here.": basket,
        "Dividing by the most days of any buyer compares everyone with one outlier: take the "
        "need of the category's best customers, a high percentile of the buyers' days.": bought
        / bought.max(),
        "A share of 1 for everyone assumes every buyer buys all their "
        f"{WALLET_CATEGORY} here: estimate each one from their own purchases.": pd.Series(
            1.0, index=right.index
        ),
    }


# ---------------------------------------------------------------- task 6: a timed offer


@cache
def _coffee_predictions(gap: str = "mean_gap") -> pd.DataFrame:
    return one_to_one.next_purchase(_intervals(CYCLE_CATEGORY), retail().as_of, gap)


@cache
def _emailable() -> pd.Index:
    customers = retail()["customers"]
    return pd.Index(customers.loc[customers["consent_email"], "customer_id"])


def _consenting(predicted: pd.DataFrame) -> pd.DataFrame:
    return predicted[predicted["customer_id"].isin(_emailable())]


def _sends(predicted: pd.DataFrame, lead: int = LEAD, horizon: int = HORIZON) -> pd.DataFrame:
    sends = one_to_one.timed_sends(predicted, retail().as_of, lead, horizon)
    return sends[["customer_id", "sent_on"]]


@dataclass(frozen=True)
class _SendList(Table):
    """A table of customer_id and sent_on (dates, in any form pandas reads), the same rows as
    the course's; when wrong, the simulator's verdict on it is part of the hint."""

    def _dated(self, answer):
        if isinstance(answer, pd.Series):
            answer = answer.rename("sent_on").to_frame()
        frame = answer.reset_index() if "customer_id" in answer.index.names else answer
        try:
            return frame.assign(sent_on=pd.to_datetime(frame["sent_on"]).dt.normalize())
        except (ValueError, TypeError):
            return frame

    def problem(self, answer):
        if isinstance(answer, pd.Series) and isinstance(answer.index, pd.RangeIndex):
            return "The answer should be a table with customer_id and sent_on, one row each."
        told = super().problem(answer)
        if told:
            return told
        frame = _flat_frame(answer)
        try:
            dates = pd.to_datetime(frame["sent_on"])
        except (ValueError, TypeError):
            return "sent_on should hold dates, the day each customer's e-mail goes out."
        if pd.api.types.is_numeric_dtype(frame["sent_on"]) or dates.isna().any():
            return "sent_on should hold a date on every row, the day the e-mail goes out."
        return None

    def same(self, answer, expected):
        return super().same(self._dated(answer), self._dated(expected))

    def difference(self, answer, expected):
        got, want = self._normal(self._dated(answer)), self._normal(self._dated(expected))
        told = [
            f"Your list has {len(got):,} sends; the right one has {len(want):,}."
            if len(got) != len(want)
            else "The right number of sends, but not the same customers or days."
        ]
        try:
            generator.simulate(retail(), COFFEE_COUPON, got, holdout=HOLDOUT)
        except CampaignError as error:
            told.append(f"The simulator refuses it: {error}.")
        return " ".join(told)

    def variants(self, answer):
        frame = self._dated(answer)
        return [
            *super().variants(frame),
            frame.assign(sent_on=frame["sent_on"].dt.strftime("%Y-%m-%d")),
            frame.assign(sent_on=frame["sent_on"].dt.date),
        ]


def _flat_frame(answer) -> pd.DataFrame:
    if isinstance(answer, pd.Series):
        answer = answer.to_frame()
    return answer.reset_index() if "customer_id" in answer.index.names else answer


class _TimedTask(Task):
    """A task whose right answer, a table of timed sends, is then run through the campaign
    simulator: the student sees what the offer did against its control group."""

    def __call__(self, answer=None) -> None:
        super().__call__(answer)
        sends = _SendList(columns=("customer_id", "sent_on"))._dated(_flat_frame(answer))
        outcome = generator.simulate(retail(), COFFEE_COUPON, sends, holdout=HOLDOUT)
        seen = targeting.evaluation(outcome)
        print(
            f"In the simulator ({HOLDOUT * 100:.0f} % held out): response rate "
            f"{seen['response_rate']:.1%} against {seen['control_rate']:.1%} held out, "
            f"incremental response {seen['incremental_response']:.1%} (95 % interval "
            f"{seen['incremental_response_low']:.1%} to {seen['incremental_response_high']:.1%}"
            f"); the truth: incremental profit {outcome.true_incremental_profit:,.2f} "
            f"{retail().currency}."
        )


def _timed_task(kind: Kind, hint: str, praise: str = ""):
    def make(reference) -> Task:
        return _TimedTask(
            name=reference.__name__, kind=kind, hint=hint, _answers=reference, praise=praise
        )

    return make


@_timed_task(
    _SendList(columns=("customer_id", "sent_on")),
    hint=f"Predict each coffee buyer's next purchase as in task 1 and the lesson "
    f"(`one_to_one.next_purchase`), keep those who agreed to e-mail, and send a coupon "
    f"{LEAD} days before each predicted day that falls within the {HORIZON} days after the "
    "as-of date, at the earliest the day after it (`one_to_one.timed_sends`).",
)
def timed_offer():
    predicted = _coffee_predictions()
    emailable = _consenting(predicted)
    right = _sends(emailable)
    due = emailable[emailable["predicted_on"] <= _day(HORIZON)]
    unclipped = due[["customer_id"]].assign(sent_on=due["predicted_on"] - pd.Timedelta(days=LEAD))
    return right, {
        "Everyone on the day after the as-of date is a blast: send each customer's coupon "
        f"{LEAD} days before their own predicted purchase.": right.assign(sent_on=_day(1)),
        f"That sends on the predicted day itself: send {LEAD} days before it, while the "
        "customer is deciding.": _sends(emailable, lead=0),
        f"That sends {LEAD} days after the predicted day: send {LEAD} days before it.": _sends(
            emailable, lead=-LEAD
        ),
        "Some of your customers did not agree to e-mail (`consent_email`): the campaign may "
        "contact only those who did.": _sends(predicted),
        f"Your list holds customers due later than {HORIZON} days after the as-of date: "
        "send only to those whose predicted day falls within them.": _sends(
            emailable, horizon=3650
        ),
        f"The {HORIZON}th day after the as-of date is inside the window: keep the customers "
        "due on it.": _sends(emailable, horizon=HORIZON - 1),
        "Some of your sends are dated on or before the as-of date (customers who are due "
        "now): send them the day after it.": unclipped,
        "That uses the median gap: the task asks for task 1's mean gap.": _sends(
            _consenting(_coffee_predictions("median_gap"))
        ),
    }
