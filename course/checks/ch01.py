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
    return rates, {
        "Those are numbers of responders (SUM); a rate is an average of `responded` (AVG).": counts,
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


def _detergent_buyers(days: int | None) -> set:
    ds = data()
    products = ds["products"]
    detergent = products.loc[products["category"] == "detergent", "product_id"]
    items = ds["transaction_items"]
    receipts = _receipts()
    if days is not None:
        receipts = receipts[receipts["day"] >= ds.as_of - pd.Timedelta(days=days)]
    bought = items.loc[items["product_id"].isin(detergent), "transaction_id"]
    return set(receipts.loc[receipts["transaction_id"].isin(bought), "customer_id"])


@task(
    Values(),
    hint="Customers with a detergent receipt dated on or after `as_of - 180 days` who agreed "
    "to be contacted by e-mail.",
)
def email_targets():
    customers = data()["customers"]
    by_email = set(customers.loc[customers["consent_email"], "customer_id"])
    by_mail = set(customers.loc[customers["consent_mail"], "customer_id"])
    recent = _detergent_buyers(180)
    return sorted(recent & by_email), {
        "Some of these customers never agreed to e-mail: keep only `consent_email`.": sorted(
            recent
        ),
        "Keep only detergent bought in the last 180 days.": sorted(
            _detergent_buyers(None) & by_email
        ),
        "That is the consent to (paper) mail; the offer goes out by e-mail.": sorted(
            recent & by_mail
        ),
    }


RFM = ["customer_id", "recency_days", "frequency_12m", "monetary_12m"]


def _rfm(receipts: pd.DataFrame, measured_on: pd.Timestamp, window: bool = True):
    recent = receipts["day"] > measured_on - pd.Timedelta(days=365) if window else True
    receipts = receipts.assign(in_window=recent, recent_total=receipts["total"] * recent)
    table = receipts.groupby("customer_id").agg(
        last=("day", "max"),
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
        "Frequency and monetary count only the 365 days up to `then`.": _rfm(
            known, then, window=False
        ),
    }
