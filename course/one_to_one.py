"""One-to-one marketing from a customer's own history (chapter 07): how often each customer buys
each replenished category here, when they will next buy it, and a personal shopping list scored
by how much of the next month's basket it covers.

Everything is computed from receipts dated on or before an as-of date; the hidden future
(``_truth/future_purchases``, ``future_next_purchases``) scores it::

    days = one_to_one.purchase_days(retail, retail.as_of)
    intervals = one_to_one.intervals(days)
    predicted = one_to_one.next_purchase(intervals, retail.as_of)
    one_to_one.next_purchase_error(predicted, retail.truth("future_next_purchases"))

A store sees only the purchases made in it: a customer who buys a category here one time in two
shows an interval of twice their need's cycle. The interval estimated here is the cycle of the
purchases here (the truth's ``cycle_days`` / ``share``), which is what timing an offer needs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course import periods


def _lines(ds, as_of) -> pd.DataFrame:
    """Receipt lines up to ``as_of`` (inclusive) with the customer, the day and the category."""
    day = pd.Timestamp(as_of).normalize()
    receipts = ds["transactions"][["transaction_id", "customer_id", "timestamp"]]
    receipts = receipts[receipts["timestamp"].dt.normalize() <= day]
    products = ds["products"][["product_id", "category"]]
    lines = ds["transaction_items"][["transaction_id", "product_id", "quantity"]]
    lines = lines.merge(receipts, on="transaction_id").merge(products, on="product_id")
    lines["day"] = lines["timestamp"].dt.normalize()
    lines["category"] = lines["category"].astype(str)
    return lines


def purchase_days(ds, as_of, categories=None) -> pd.DataFrame:
    """One row per customer, category and day on which the customer bought the category here,
    up to ``as_of`` (inclusive): ``customer_id``, ``category``, ``day``. ``categories``: the
    categories to keep (default: all)."""
    lines = _lines(ds, as_of)
    if categories is not None:
        lines = lines[lines["category"].isin(list(categories))]
    days = lines[["customer_id", "category", "day"]].drop_duplicates()
    return days.sort_values(["customer_id", "category", "day"]).reset_index(drop=True)


def intervals(days: pd.DataFrame) -> pd.DataFrame:
    """Each customer's interval between purchases of each category, from :func:`purchase_days`:
    one row per customer and category bought on two days or more, with ``purchase_days``,
    ``first`` and ``last`` day, ``mean_gap`` and ``median_gap`` in days (the gaps between
    consecutive purchase days). The mean gap is the span over the number of gaps, so it does not
    depend on how the gaps fell in between; the median is less moved by one long absence."""
    keys = ["customer_id", "category"]
    gaps = days.groupby(keys)["day"].diff().dt.days
    table = (
        days.assign(gap=gaps)
        .groupby(keys)
        .agg(
            purchase_days=("day", "size"),
            first=("day", "min"),
            last=("day", "max"),
            median_gap=("gap", "median"),
        )
    )
    table = table[table["purchase_days"] >= 2]
    table.insert(
        3, "mean_gap", (table["last"] - table["first"]).dt.days / (table["purchase_days"] - 1)
    )
    return table.reset_index()


def next_purchase(table: pd.DataFrame, as_of, gap: str = "mean_gap") -> pd.DataFrame:
    """The predicted next purchase day of each row of :func:`intervals`: the last purchase day
    plus the customer's ``gap`` (rounded to whole days), and, when that day has already passed,
    the day after ``as_of`` (the customer is due now). Columns ``customer_id``, ``category``,
    ``predicted_on``."""
    day = pd.Timestamp(as_of).normalize()
    due = table["last"] + pd.to_timedelta(table[gap].round(), unit="D")
    due = due.where(due > day, day + pd.Timedelta(days=1))
    return table[["customer_id", "category"]].assign(predicted_on=due)


def next_purchase_error(predicted: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """Predicted next purchase days against the hidden future's (``future_next_purchases``:
    ``customer_id``, ``category``, ``next_purchase_on``, empty when the customer did not buy
    the category in the future's 12 months). One row per prediction with ``next_purchase_on``
    and ``error_days`` (predicted − actual; NaN when the customer never bought it again)."""
    actual = actual.assign(category=actual["category"].astype(str))
    scored = predicted.merge(
        actual[["customer_id", "category", "next_purchase_on"]],
        on=["customer_id", "category"],
        how="left",
    )
    scored["error_days"] = (scored["predicted_on"] - scored["next_purchase_on"]).dt.days
    return scored


def shopping_lists(ds, as_of, size: int = 10, days: int = 365) -> pd.DataFrame:
    """A personal shopping list per customer (seed 001's Dick's Supermarket): the ``size``
    products the customer bought on the most days in the ``days`` days up to ``as_of``, ties
    by the latest purchase, then by product_id. One row per customer and product, with
    ``rank`` (1 the first) and ``days_bought``."""
    lines = _lines(ds, as_of)
    lines = lines[periods.in_window(lines["day"], as_of, days)]
    bought = lines.groupby(["customer_id", "product_id"]).agg(
        days_bought=("day", "nunique"), last=("day", "max")
    )
    bought = bought.reset_index().sort_values(
        ["customer_id", "days_bought", "last", "product_id"],
        ascending=[True, False, False, True],
    )
    bought["rank"] = bought.groupby("customer_id").cumcount() + 1
    listed = bought[bought["rank"] <= size]
    return listed[["customer_id", "rank", "product_id", "days_bought"]].reset_index(drop=True)


def coverage(lists: pd.DataFrame, future: pd.DataFrame, first, days: int = 30) -> pd.DataFrame:
    """How much of each customer's basket in the ``days`` days from ``first`` (the hidden
    future's purchases: ``customer_id``, ``purchased_on``, ``product_id``, ``amount``) a list
    (``customer_id``, ``product_id``) holds: per customer who bought in that time, the
    ``products`` they bought, how many of them were ``on_list``, the ``spend`` and the
    ``spend_on_list``, and ``coverage`` (the share of the spend on listed products)."""
    start = pd.Timestamp(first).normalize()
    end = start + pd.Timedelta(days=days - 1)
    basket = future[future["purchased_on"].between(start, end)]
    basket = basket.groupby(["customer_id", "product_id"])["amount"].sum().reset_index()
    listed = pd.MultiIndex.from_frame(lists[["customer_id", "product_id"]])
    basket["on_list"] = pd.MultiIndex.from_frame(basket[["customer_id", "product_id"]]).isin(listed)
    basket["spend_on_list"] = np.where(basket["on_list"], basket["amount"], 0.0)
    table = basket.groupby("customer_id").agg(
        products=("product_id", "size"),
        on_list=("on_list", "sum"),
        spend=("amount", "sum"),
        spend_on_list=("spend_on_list", "sum"),
    )
    table["coverage"] = table["spend_on_list"] / table["spend"]
    return table.reset_index()


def timed_sends(predicted: pd.DataFrame, as_of, lead: int = 3, horizon: int = 28) -> pd.DataFrame:
    """Offers timed to each customer's own cycle (seed 001's Dick's Supermarket): for every
    prediction of :func:`next_purchase` due in the ``horizon`` days after ``as_of``, a send
    day ``lead`` days before it (at the earliest the day after ``as_of``). Columns
    ``customer_id``, ``category``, ``sent_on``: ready for ``generator.simulate`` once one
    category is chosen."""
    day = pd.Timestamp(as_of).normalize()
    due = predicted[predicted["predicted_on"] <= day + pd.Timedelta(days=horizon)]
    sent = (due["predicted_on"] - pd.Timedelta(days=lead)).clip(lower=day + pd.Timedelta(days=1))
    return due[["customer_id", "category"]].assign(sent_on=sent).reset_index(drop=True)


def category_share(
    days: pd.DataFrame, as_of, window: int = 365, peers: float = 0.9
) -> pd.DataFrame:
    """Each customer's share of wallet in each category, estimated from behaviour alone: the
    days they bought it here in the ``window`` days up to ``as_of`` (from
    :func:`purchase_days`), against the need of the category's best customers (the ``peers``
    quantile of those days among its buyers, the peer idea of Perlich et al. 2007 applied to
    one category). One row per customer and category bought in the window: ``days_bought``,
    ``need_days`` (the category's), ``share`` (capped at 1)."""
    recent = days[periods.in_window(days["day"], as_of, window)]
    bought = recent.groupby(["customer_id", "category"]).size().rename("days_bought")
    bought = bought.reset_index()
    need = bought.groupby("category")["days_bought"].quantile(peers).rename("need_days")
    bought = bought.merge(need.reset_index(), on="category")
    bought["share"] = (bought["days_bought"] / bought["need_days"]).clip(upper=1.0)
    return bought


def true_category_share(ds) -> pd.DataFrame:
    """The truth's share of each customer's need bought at the chain, per category
    (``_truth/wallet``): ``customer_id``, ``category``, ``true_share``."""
    wallet = ds.truth("wallet")
    return pd.DataFrame(
        {
            "customer_id": wallet["customer_id"],
            "category": wallet["category"].astype(str),
            "true_share": wallet["share"],
        }
    )
