"""Checks for chapter 01, What a customer database is: ``from course.checks import ch01 as check``.

Every right answer is computed from the retail database that ``generator.load("retail")``
opens (the folder named by ``GENERATOR_DATASETS``, if set), so the checks hold for a
database built with any seed or locale.
"""

from functools import cache

import numpy as np
import pandas as pd

import generator
from course import marketing_db as mdb
from course import periods
from course.checking import Number, Table, Values, task


@cache
def data():
    return generator.load("retail")


@cache
def _receipts() -> pd.DataFrame:
    receipts = data()["transactions"]
    return receipts.assign(day=receipts["timestamp"].dt.normalize())


def _customers_in_last(days: int) -> pd.Series:
    """The customer of every receipt in the last ``days`` days (the course's one definition)."""
    receipts = _receipts()
    return receipts.loc[periods.in_window(receipts["day"], data().as_of, days), "customer_id"]


def _customers_since(start: pd.Timestamp, strict: bool = False) -> pd.Series:
    receipts = _receipts()
    recent = receipts["day"] > start if strict else receipts["day"] >= start
    return receipts.loc[recent, "customer_id"]


@task(
    Number(),
    hint=f"Count each customer once who has a receipt dated in the last {periods.ACTIVE_DAYS} "
    "days, the as-of date included: on or after "
    f"`periods.window_start(as_of, {periods.ACTIVE_DAYS})`.",
)
def active_customers():
    days = periods.ACTIVE_DAYS
    window = _customers_in_last(days)
    start = periods.window_start(data().as_of, days)
    return window.nunique(), {
        "You counted receipts; count the customers who made them (each once).": len(window),
        f"Check the first day of the window: `as_of - {days} days` gives {days + 1} days. "
        f"The last {days} days start on `periods.window_start(as_of, {days})`, "
        f"`as_of - {days - 1} days`.": _customers_since(start - pd.Timedelta(days=1)).nunique(),
        "Check the first day of the window: a receipt dated on the window's first day counts "
        "(use >=, not >).": _customers_since(start, strict=True).nunique(),
        f"Keep only the receipts of the last {days} days.": _receipts()["customer_id"].nunique(),
    }


@task(
    Table(columns=("customer_id", "points_balance")),
    hint="One row per customer in `loyalty_points`: the sum of their points, earned and redeemed.",
)
def points_balance():
    points = data()["loyalty_points"]
    balance = points.groupby("customer_id")["points"].sum().rename("points_balance")
    earned = points[points["kind"] == "earned"].groupby("customer_id")["points"].sum()
    flipped = points["points"].abs().groupby(points["customer_id"]).sum()
    rows = points.groupby("customer_id").size()
    as_table = lambda s: s.rename("points_balance").reset_index()  # noqa: E731
    return balance.reset_index(), {
        "Redeemed points are stored as negative numbers: adding their absolute value "
        "counts them as if they had been earned.": as_table(flipped),
        "That is the points earned; the balance also takes off the points redeemed.": (
            as_table(earned.reindex(balance.index, fill_value=0))
        ),
        "You counted rows of the ledger; add up the `points` column instead.": as_table(rows),
    }


#: Days of the category-sales task's window (the RFM year).
SALES_DAYS = 365


@cache
def _lines() -> pd.DataFrame:
    """Every receipt line with its receipt's customer, timestamp, day and total, and its
    product's category."""
    ds = data()
    products = ds["products"][["product_id", "category"]]
    receipts = _receipts()[["transaction_id", "customer_id", "timestamp", "day", "total"]]
    lines = ds["transaction_items"].merge(receipts, on="transaction_id")
    lines = lines.merge(products, on="product_id")
    return lines.assign(category=lines["category"].astype(str))


def _per_category(lines: pd.DataFrame, values: pd.Series | str, how: str = "sum"):
    values = lines[values] if isinstance(values, str) else values
    totals = values.groupby(lines["category"]).agg(how).astype(float)
    return totals.rename("sales").rename_axis("category").reset_index()


@task(
    Table(columns=("category", "sales")),
    hint=f"One row per product category: the sum of `amount` over the receipt lines whose "
    f"receipt is dated in the last {SALES_DAYS} days (the course's rule: on or after "
    f"`date(:as_of, '-{SALES_DAYS - 1} days')`, the as-of date included).",
)
def category_sales():
    lines = _lines()
    as_of, days = data().as_of, SALES_DAYS
    start = periods.window_start(as_of, days)
    recent = lines[lines["day"] >= start]
    return _per_category(recent, "amount"), {
        "You added up `total`, the whole receipt's amount, once for every line of the receipt "
        "(the JOIN repeats it on each line): add up the lines' `amount` instead.": (
            _per_category(recent, "total")
        ),
        "That is the number of receipt lines (COUNT); the task asks for sales, the sum of "
        "`amount`.": _per_category(recent, "amount", how="size"),
        "`quantity * unit_price` is the shelf price before coupon discounts; `amount` is what "
        "the customer paid.": _per_category(recent, recent["quantity"] * recent["unit_price"]),
        f"Check the first day of the window: `date(:as_of, '-{days} days')` gives {days + 1} "
        f"days; the last {days} days start on `date(:as_of, '-{days - 1} days')`.": (
            _per_category(lines[lines["day"] >= start - pd.Timedelta(days=1)], "amount")
        ),
        "Check the first day of the window: a receipt dated on the window's first day counts "
        "(use >=, not >).": _per_category(lines[lines["day"] > start], "amount"),
        "Check the last day: receipts on the as-of date count. `timestamp` holds a time, so "
        "`timestamp <= :as_of` (or BETWEEN ... AND :as_of) drops that day's receipts; compare "
        "`date(timestamp)`.": _per_category(
            lines[lines["timestamp"].between(start, as_of)], "amount"
        ),
        f"Keep only the receipts of the last {days} days (a WHERE on the receipt's date).": (
            _per_category(lines, "amount")
        ),
    }


def _response(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    return (
        frame.pivot_table(index="campaign_id", columns="test_group", values=value, observed=True)
        .rename(columns={"treatment": "treatment_rate", "control": "control_rate"})
        .reset_index()
        .rename_axis(columns=None)[["campaign_id", "treatment_rate", "control_rate"]]
    )


@task(
    Table(columns=("campaign_id", "treatment_rate", "control_rate")),
    hint="One row per campaign; each rate is the share of that group's customers who responded.",
)
def campaign_response():
    contacts = data()["campaign_contacts"].assign(
        test_group=lambda f: f["test_group"].astype(str),
        responded=lambda f: f["responded"].astype(float),
    )
    rates = _response(contacts, "responded")
    counts = contacts.groupby(["campaign_id", "test_group"])["responded"].sum().reset_index()
    counts = _response(counts, "responded")
    eligible = contacts.groupby("campaign_id")["responded"].transform("size")
    over_all = (
        contacts.assign(share=contacts["responded"] / eligible)
        .groupby(["campaign_id", "test_group"])["share"]
        .sum()
        .reset_index()
    )
    over_all = _response(over_all, "share")
    percent = rates.assign(
        treatment_rate=rates["treatment_rate"] * 100, control_rate=rates["control_rate"] * 100
    )
    whole = rates.assign(
        treatment_rate=np.floor(rates["treatment_rate"]),
        control_rate=np.floor(rates["control_rate"]),
    )
    return rates, {
        "Those are numbers of responders (SUM); a rate is an average of `responded` (AVG).": counts,
        "Your rates are whole numbers: in SQLite an integer divided by an integer is an integer, "
        "so `SUM(responded) / COUNT(*)` rounds every share down to 0. Use `AVG(responded)`, or "
        "multiply by 1.0 before dividing.": whole,
        "Your rates are percentages; give them as shares between 0 and 1.": percent,
        "You divided by every customer of the campaign; divide each group's responders by "
        "the size of that group only.": over_all,
    }


@task(
    Number(),
    hint="Rank customers by sales, largest first, and find how far down the list the running "
    "total of sales first reaches half of all sales; divide by the number of customers.",
)
def half_of_sales():
    marketing = mdb.marketing_table(data())

    def share(values: pd.Series, members: int, off_by_one: bool = False) -> float:
        running = values.sort_values(ascending=False).cumsum().to_numpy()
        reached = int(np.argmax(running >= running[-1] / 2))  # first position reaching half
        return (reached + (0 if off_by_one else 1)) / members

    members = len(marketing)
    buyers = marketing[marketing["transactions"] > 0]
    ascending = marketing["sales"].sort_values().cumsum().to_numpy()
    smallest_first = (int(np.argmax(ascending >= ascending[-1] / 2)) + 1) / members
    return share(marketing["sales"], members), {
        "Rank the customers from the largest to the smallest spender.": smallest_first,
        "Count the customer whose sales take the running total past one half.": share(
            marketing["sales"], members, off_by_one=True
        ),
        "Divide by every member, including those who never bought: they are part of the "
        "100 %.": share(buyers["sales"], len(buyers)),
        "Rank customers by their sales, not by their number of receipts.": (
            _share_by(marketing, "transactions")
        ),
    }


def _share_by(marketing: pd.DataFrame, rank_by: str) -> float:
    ranked = marketing.sort_values([rank_by, "customer_id"], ascending=[False, True])
    running = ranked["sales"].cumsum().to_numpy()
    return (int(np.argmax(running >= running[-1] / 2)) + 1) / len(marketing)


#: Days of the e-mail offer's window: the customers who bought detergent in the last 30 days.
TARGET_DAYS = 30


def _detergent_lines() -> pd.DataFrame:
    """The receipt lines of detergent products, with their receipt's customer and time."""
    lines = _lines()
    return lines[lines["category"] == "detergent"]


def _bought_detergent(first_day=None, strict: bool = False, until_midnight: bool = False):
    """The customer of every detergent line on or after ``first_day`` (one per line)."""
    lines = _detergent_lines()
    if first_day is not None:
        keep = lines["day"] > first_day if strict else lines["day"] >= first_day
        if until_midnight:
            keep &= lines["timestamp"] <= data().as_of
        lines = lines[keep]
    return lines["customer_id"]


@task(
    Values(distinct=True),
    hint=f"Customers with a detergent receipt dated in the last {TARGET_DAYS} days (the "
    f"{TARGET_DAYS} days that end on the as-of date, both included) who agreed to e-mail, "
    "each once.",
)
def email_targets():
    customers = data()["customers"]
    by_email = set(customers.loc[customers["consent_email"], "customer_id"])
    by_mail = set(customers.loc[customers["consent_mail"], "customer_id"])
    days = TARGET_DAYS
    start = periods.window_start(data().as_of, days)
    recent = _bought_detergent(start)

    def targets(buyers: pd.Series, allowed: set = by_email) -> list:
        return sorted(set(buyers) & allowed)

    return targets(recent), {
        "Some of these customers never agreed to e-mail: keep only `consent_email`.": targets(
            recent, set(customers["customer_id"])
        ),
        f"Keep only detergent bought in the last {days} days.": targets(_bought_detergent()),
        "That is the consent to (paper) mail; the offer goes out by e-mail.": targets(
            recent, by_mail
        ),
        f"Check the first day of the window: `as_of - {days} days` gives {days + 1} days. The "
        f"last {days} days start on `as_of - {days - 1} days` "
        f"(`periods.window_start(as_of, {days})`).": targets(
            _bought_detergent(start - pd.Timedelta(days=1))
        ),
        "Check the first day of the window: a receipt dated on the window's first day counts "
        "(use >=, not >).": targets(_bought_detergent(start, strict=True)),
        "Check the last day: receipts on the as-of date count. `timestamp <= as_of` compares "
        "with midnight and drops that day's receipts; compare days, or leave the upper bound "
        "out.": targets(_bought_detergent(start, until_midnight=True)),
        "Your list has a customer once for every detergent line (or receipt) they bought: each "
        "customer gets one e-mail, so list each once (`.drop_duplicates()`, `.unique()`).": (
            sorted(recent[recent.isin(by_email)])
        ),
    }


RFM = ["customer_id", "recency_days", "frequency_12m", "monetary_12m"]


def _rfm(
    receipts: pd.DataFrame,
    measured_on: pd.Timestamp,
    window: int | None = mdb.RFM_DAYS,
    by_time: bool = False,
):
    """RFM as of ``measured_on``: frequency and monetary over the ``window`` days up to it
    (every receipt given if None); recency from the latest timestamp if ``by_time``."""
    recent = periods.in_window(receipts["day"], measured_on, window) if window else True
    receipts = receipts.assign(in_window=recent, recent_total=receipts["total"] * recent)
    table = receipts.groupby("customer_id").agg(
        last=("timestamp" if by_time else "day", "max"),
        frequency_12m=("in_window", "sum"),
        monetary_12m=("recent_total", "sum"),
    )
    table["recency_days"] = (measured_on - table["last"]).dt.days
    return table.reset_index()[RFM]


@task(
    Table(columns=tuple(RFM)),
    hint="Keep only the receipts dated on or before `then`, and measure recency and the "
    "365-day window from `then`.",
)
def rfm_year_earlier():
    ds = data()
    then = ds.as_of - pd.DateOffset(years=1)
    days = mdb.RFM_DAYS
    right = mdb.marketing_table(ds, then)
    right = right.loc[right["transactions"] > 0, RFM].reset_index(drop=True)
    receipts = _receipts()
    known = receipts[receipts["day"] <= then]
    return right, {
        "Your table uses receipts from after `then`: a snapshot only knows what had happened "
        "by its date.": _rfm(receipts, then),
        "Measure recency from `then`, not from the as-of date.": _rfm(known, then).assign(
            recency_days=lambda f: f["recency_days"] + (ds.as_of - then).days
        ),
        f"Frequency and monetary count only the {days} days up to `then`.": _rfm(
            known, then, window=None
        ),
        f"Check the window's first day: `then - {days} days` itself is outside the {days} days "
        "up to `then` (after it, not on it).": _rfm(known, then, window=days + 1),
        "Receipts dated on `then` itself count: `timestamp <= then` compares with midnight and "
        "drops that day's receipts (compare days: `timestamp.dt.normalize()`).": _rfm(
            receipts[receipts["timestamp"] <= then], then
        ),
        "Measure recency between days, not times: a receipt's time of day makes "
        "`(then - timestamp).dt.days` one day short (use `timestamp.dt.normalize()`).": _rfm(
            known, then, by_time=True
        ),
    }


#: The tables of a customer's single view that the single-view task counts, in its order.
VIEW_TABLES = ("transactions", "loyalty_points", "campaign_contacts", "complaints")


def most_valuable() -> int:
    """The customer with the largest lifetime value: the single-view task's customer."""
    marketing = mdb.marketing_table(data())
    return int(marketing.loc[marketing["lifetime_value"].idxmax(), "customer_id"])


def _rows_about(who: int, tables: dict | None = None) -> pd.DataFrame:
    tables = tables or {name: data()[name] for name in VIEW_TABLES}
    counts = {name: int((frame["customer_id"] == who).sum()) for name, frame in tables.items()}
    return pd.DataFrame({"table": list(counts), "rows": list(counts.values())})


@task(
    Table(columns=("table", "rows")),
    hint="One row per table (transactions, loyalty_points, campaign_contacts, complaints): "
    "the number of that table's rows whose `customer_id` is `who`.",
)
def single_view():
    ds, who = data(), most_valuable()
    tables = {name: ds[name] for name in VIEW_TABLES}
    items = ds["transaction_items"].merge(ds["transactions"][["transaction_id", "customer_id"]])
    points, contacts = tables["loyalty_points"], tables["campaign_contacts"]
    return _rows_about(who, tables), {
        "Your `transactions` count is the customer's receipt lines (`transaction_items`): the "
        "transactions table has one row per receipt.": _rows_about(
            who, {**tables, "transactions": items}
        ),
        "Your `campaign_contacts` count has only the campaigns that contacted the customer: "
        "the single view also shows the campaigns that held them out (control).": _rows_about(
            who, {**tables, "campaign_contacts": contacts[contacts["test_group"] == "treatment"]}
        ),
        "Your `loyalty_points` count has only the points earned: redemptions are rows about the "
        "customer too.": _rows_about(
            who, {**tables, "loyalty_points": points[points["kind"] == "earned"]}
        ),
        "One of your counts is the whole table's: keep only the rows of customer `who`.": (
            _rows_about(who).assign(
                rows=lambda f: f["rows"].where(
                    f["table"] != "complaints", len(tables["complaints"])
                )
            )
        ),
    }
