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

import html
import io

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


# ---------------------------------------------------------------- the classroom demo


def replenished(ds) -> list[str]:
    """The categories customers replenish on a cycle: those the products table gives a typical
    replenishment time, and pain relievers (their cycle depends on how much the household
    uses, so the table gives none)."""
    products = ds["products"]
    timed = products.dropna(subset=["replenishment_days"])["category"].astype(str).unique()
    return [*timed, "pain_reliever"]


def regular_shoppers(ds, as_of, weekly: float = 25.0, days: int = 91) -> pd.Index:
    """The customers who spend over ``weekly`` a week (seed 001's Dick's Supermarket sent its
    list to those spending over $25): their spend in the ``days`` days up to ``as_of`` over
    the weeks in them. ``weekly`` is in the build's currency."""
    receipts = ds["transactions"]
    window = receipts[periods.in_window(receipts["timestamp"], as_of, days)]
    spend = window.groupby("customer_id")["total"].sum() / (days / 7)
    return spend.index[spend > weekly]


def spread_customers(table: pd.DataFrame, category: str, customers, n: int = 10) -> list[int]:
    """``n`` of ``customers`` who bought ``category`` on two days or more (rows of
    :func:`intervals`), spread from the shortest history to the longest: evenly spaced in the
    order of their purchase days (ties by customer_id)."""
    rows = table[(table["category"] == category) & table["customer_id"].isin(list(customers))]
    rows = rows.sort_values(["purchase_days", "customer_id"])
    if rows.empty:
        return []
    places = np.linspace(0, len(rows) - 1, min(n, len(rows))).round().astype(int)
    return [int(c) for c in rows["customer_id"].iloc[places]]


def cycle_summary(
    table: pd.DataFrame,
    scored: pd.DataFrame,
    listed: pd.DataFrame,
    customer_id: int,
    category: str,
) -> str:
    """What the classroom demo says of one customer and category, one fact a line: their cycle
    here (from :func:`intervals`), the predicted and the true next purchase (from
    :func:`next_purchase_error`) and how much of the next 30 days' spend their shopping list
    covered (from :func:`coverage`)."""
    own = table[(table["customer_id"] == customer_id) & (table["category"] == category)]
    if own.empty:
        return f"customer {customer_id} bought {category} here on fewer than two days: no cycle"
    row = scored[(scored["customer_id"] == customer_id) & (scored["category"] == category)]
    row = row.iloc[0]
    true_next = row["next_purchase_on"]
    listed = listed[listed["customer_id"] == customer_id]
    return "\n".join(
        [
            f"cycle here: {own['mean_gap'].iloc[0]:.1f} days "
            f"({own['purchase_days'].iloc[0]} bought)",
            f"predicted next: {row['predicted_on']:%Y-%m-%d}; "
            + (
                f"true next: {true_next:%Y-%m-%d}"
                if pd.notna(true_next)
                else "not bought again in 12 months"
            ),
            f"list of 10: {listed['coverage'].iloc[0]:.0%} of the next 30 days' spend"
            if len(listed)
            else "no purchase in the next 30 days",
        ]
    )


def timeline(ax, days: pd.DataFrame, as_of, customer_id, category, scored=None) -> None:
    """Draw on ``ax`` the days one customer bought a category here (rows of
    :func:`purchase_days`), the gap in days between each purchase and the next, the as-of date
    and, given ``scored`` (:func:`next_purchase_error`), the predicted next purchase (a red
    cross) and the true one (a green square)."""
    own = days[(days["customer_id"] == customer_id) & (days["category"] == category)]
    bought = own["day"]
    ax.plot(bought, np.zeros(len(bought)), "o", color="tab:blue", label="bought here")
    for start, end in zip(bought.iloc[:-1], bought.iloc[1:], strict=True):
        ax.annotate(f"{(end - start).days}", (start + (end - start) / 2, 0.02), ha="center")
    ax.axvline(pd.Timestamp(as_of), color="grey", linestyle="--", label="as-of date")
    if scored is not None:
        row = scored[(scored["customer_id"] == customer_id) & (scored["category"] == category)]
        if len(row):
            row = row.iloc[0]
            ax.plot(row["predicted_on"], 0, "x", color="tab:red", ms=10, label="predicted next")
            ax.plot(row["next_purchase_on"], 0, "s", color="tab:green", label="true next")
    ax.set(ylim=(-0.05, 0.1), yticks=[], xlabel="Day")
    ax.set_title(f"Customer {customer_id}: {category}, gaps in days (购买周期)")
    ax.legend(loc="upper left", ncols=4)


def timeline_png(days: pd.DataFrame, as_of, customer_id, category, scored=None) -> bytes:
    """:func:`timeline` as a PNG picture (drawn without pyplot, so nothing is left open)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 2.8))
    timeline(figure.subplots(), days, as_of, customer_id, category, scored)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def cycle_explorer(
    days: pd.DataFrame,
    table: pd.DataFrame,
    scored: pd.DataFrame,
    listed: pd.DataFrame,
    customers: list[int],
    categories: list[str],
    category: str,
    as_of,
):
    """A classroom widget: pick a customer and a category, see their purchase timeline
    (:func:`timeline`, with the predicted and the true next purchase) and
    :func:`cycle_summary`. ``days``, ``table``, ``scored``, ``listed``: :func:`purchase_days`,
    :func:`intervals`, :func:`next_purchase_error` and :func:`coverage` of the lesson.
    Returns an ``ipywidgets.VBox``; it first shows ``customers[0]`` and ``category``."""
    import ipywidgets as widgets

    customer_pick = widgets.Dropdown(options=customers, description="Customer")
    category_pick = widgets.Dropdown(options=categories, value=category, description="Category")
    picture = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
    summary = widgets.HTML()

    def draw(_=None) -> None:
        customer_id, chosen = customer_pick.value, category_pick.value
        text = cycle_summary(table, scored, listed, customer_id, chosen)
        own = (table["customer_id"] == customer_id) & (table["category"] == chosen)
        has_cycle = bool(own.any())
        picture.value = (  # the picture before the text, so the text says the picture is new
            timeline_png(days, as_of, customer_id, chosen, scored) if has_cycle else b""
        )
        picture.layout.display = None if has_cycle else "none"
        summary.value = f"<pre>{html.escape(text)}</pre>"

    customer_pick.observe(draw, names="value")
    category_pick.observe(draw, names="value")
    draw()
    return widgets.VBox([widgets.HBox([customer_pick, category_pick]), picture, summary])
