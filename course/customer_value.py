"""Knowing the customer (chapter 05): RFM scores and segments, profit after the cost to serve,
the ABC customer pyramid, share of wallet, and the automated spend trigger.

Every function reads what the company's database holds (never ``_truth/``) up to an as-of
date, so that it can be computed on an earlier date and scored against what came after::

    table = customer_value.rfm(retail["transactions"], retail.as_of)
    scored = customer_value.rfm_scores(table)            # r, f, m scores 1-5, cell, segment
    profit = customer_value.retail_profit(retail)        # margin − cost to serve, last 365 days
    layers = customer_value.abc_layers(profit["profit"]) # A, B, C, D

The windows are the course's (``course.periods``): "the last 365 days" are the 365 days that
end on the as-of date, both included.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course import periods
from course.marketing_db import RFM_DAYS

# ------------------------------------------------------------------------------------ RFM


def rfm(receipts: pd.DataFrame, as_of, days: int = RFM_DAYS) -> pd.DataFrame:
    """The RFM model's three measures (RFM 模型) for every customer with a receipt on or
    before ``as_of``, one row each, ordered by customer_id:

    - ``recency_days`` (最近一次消费): days from the latest receipt to ``as_of``;
    - ``frequency`` (消费频率): receipts in the ``days`` days that end on ``as_of``;
    - ``monetary`` (消费金额): the amount of those receipts.

    ``receipts`` has ``customer_id``, ``timestamp`` and ``total`` (the supermarket's
    ``transactions``); these are the marketing table's ``recency_days``, ``frequency_12m`` and
    ``monetary_12m`` of chapter 01.
    """
    day = pd.Timestamp(as_of).normalize()
    seen = receipts.assign(day=receipts["timestamp"].dt.normalize())
    seen = seen[seen["day"] <= day]
    recent = periods.in_window(seen["day"], day, days)
    seen = seen.assign(recent=recent.astype("int64"), recent_total=seen["total"].where(recent, 0))
    table = seen.groupby("customer_id").agg(
        last=("day", "max"), frequency=("recent", "sum"), monetary=("recent_total", "sum")
    )
    table.insert(0, "recency_days", (day - table.pop("last")).dt.days.astype("int64"))
    table["monetary"] = table["monetary"].round(2)
    return table.reset_index()


def ntile(values: pd.Series, groups: int = 5) -> pd.Series:
    """SQL's ``NTILE(groups) OVER (ORDER BY value, key)``: the values sorted (ties by the
    index, the customer_id), cut into ``groups`` groups of equal size, the first groups one
    larger when the count does not divide. Group 1 holds the smallest values."""
    order = np.lexsort((values.index.to_numpy(), values.to_numpy()))
    small, big = divmod(len(values), groups)
    sizes = [small + 1] * big + [small] * (groups - big)
    tiles = np.empty(len(values), dtype="int64")
    tiles[order] = np.repeat(np.arange(1, groups + 1), sizes)
    return pd.Series(tiles, index=values.index, name=values.name)


#: The usual named segments of an RFM analysis, read from the recency and frequency scores
#: (5 = best): the widely used R-F grid of RFM practice. Each is (name, 中文, R scores,
#: F scores); every one of the 25 (R, F) pairs falls in exactly one.
RFM_SEGMENTS = (
    ("champions", "最有价值", (5,), (4, 5)),
    ("loyal", "忠诚客户", (3, 4), (4, 5)),
    ("potential loyalists", "潜力客户", (4, 5), (2, 3)),
    ("new customers", "新客户", (5,), (1,)),
    ("promising", "有希望", (4,), (1,)),
    ("need attention", "需要关注", (3,), (3,)),
    ("about to sleep", "即将沉睡", (3,), (1, 2)),
    ("at risk", "有流失风险", (1, 2), (3, 4)),
    ("can't lose them", "不能失去", (1, 2), (5,)),
    ("hibernating", "沉睡客户", (1, 2), (1, 2)),
)

#: The segments' names, best first.
SEGMENT_ORDER = [name for name, *_ in RFM_SEGMENTS]


def segment_of(r_score: pd.Series, f_score: pd.Series) -> pd.Series:
    """Each customer's named segment (:data:`RFM_SEGMENTS`) from the R and F scores."""
    names = pd.Series(pd.NA, index=r_score.index, dtype="object")
    for name, _, rs, fs in RFM_SEGMENTS:
        names[r_score.isin(rs) & f_score.isin(fs)] = name
    return pd.Categorical(names, categories=SEGMENT_ORDER)


def rfm_scores(table: pd.DataFrame, groups: int = 5) -> pd.DataFrame:
    """:func:`rfm`'s table with the quintile scores ``r``, ``f``, ``m`` (1-5, 5 the best:
    the most recent, the most frequent, the most spent; :func:`ntile`, ties by customer_id),
    the ``cell`` (e.g. ``"535"``: one of the 125 RFM cells) and the named ``segment``."""
    keyed = table.set_index("customer_id")
    scored = table.copy()
    scored["r"] = ntile(-keyed["recency_days"], groups).to_numpy()
    scored["f"] = ntile(keyed["frequency"], groups).to_numpy()
    scored["m"] = ntile(keyed["monetary"], groups).to_numpy()
    scored["cell"] = scored["r"].astype(str) + scored["f"].astype(str) + scored["m"].astype(str)
    scored["segment"] = segment_of(scored["r"], scored["f"])
    return scored


#: The same RFM scores in SQL (SQLite's window functions): one sub-query per step, each runs
#: alone. ``:as_of`` is the as-of date as text (``YYYY-MM-DD``).
RFM_PARTS = {
    "measures": f"""SELECT customer_id,
       CAST(julianday(:as_of) - julianday(MAX(date(timestamp))) AS INTEGER) AS recency_days,
       SUM(date(timestamp) >= {periods.sql_window_start(RFM_DAYS)}) AS frequency,
       ROUND(SUM(CASE WHEN date(timestamp) >= {periods.sql_window_start(RFM_DAYS)}
                      THEN total ELSE 0 END), 2) AS monetary
FROM transactions
WHERE date(timestamp) <= :as_of
GROUP BY customer_id""",
    "scores": """SELECT customer_id, recency_days, frequency, monetary,
       NTILE(5) OVER (ORDER BY -recency_days, customer_id) AS r,
       NTILE(5) OVER (ORDER BY frequency, customer_id) AS f,
       NTILE(5) OVER (ORDER BY monetary, customer_id) AS m
FROM measures""",
}

#: The whole query: the parts as a CTE, then one row per customer.
RFM_SQL = (
    "WITH "
    + ",\n".join(f"{name} AS (\n{sql}\n)" for name, sql in RFM_PARTS.items())
    + "\nSELECT *, r || f || m AS cell FROM scores ORDER BY customer_id"
)


def migration(before: pd.Series, after: pd.Series, normalize: bool = True) -> pd.DataFrame:
    """The transition matrix of a score or segment between two dates (客户迁移): one row per
    value on the first date, one column per value on the second, for the customers who have
    one on both. ``normalize`` gives each row's shares (summing to 1), else counts."""
    both = pd.concat({"before": before, "after": after}, axis=1, join="inner").dropna()
    return pd.crosstab(both["before"], both["after"], normalize="index" if normalize else False)


def by_score(scores: pd.DataFrame, future: pd.DataFrame, score: str = "r") -> pd.DataFrame:
    """What customers of each score did next: per value of ``score``, the customers, the
    share who bought at all in the hidden future and their mean trips and spend.
    ``future`` is the truth's ``future_customers`` (customer_id, trips, spend)."""
    joined = scores[["customer_id", score]].merge(future, on="customer_id")
    return joined.groupby(score).agg(
        customers=("customer_id", "size"),
        bought_again=("trips", lambda trips: (trips > 0).mean()),
        trips=("trips", "mean"),
        spend=("spend", "mean"),
    )


# ------------------------------------------------------------------- profit and its layers


def item_margins(ds) -> pd.DataFrame:
    """The supermarket's receipt lines with ``margin`` = amount − quantity × unit_cost."""
    items = ds["transaction_items"].merge(
        ds["products"][["product_id", "unit_cost"]], on="product_id"
    )
    return items.assign(margin=items["amount"] - items["quantity"] * items["unit_cost"])


def _costs(ds) -> pd.Series:
    return ds["service_costs"].set_index("activity")["cost"]


def retail_profit(ds, as_of=None, days: int = RFM_DAYS) -> pd.DataFrame:
    """Each supermarket customer's profit in the ``days`` days up to ``as_of`` (default: the
    as-of date), one row per registered customer:

    ``revenue`` and ``margin`` (amount − quantity × unit_cost) of their receipts, the cost to
    serve them (``service_costs``: each store receipt and online order, complaint, redeemed
    coupon and campaign contact), and ``profit`` = margin − cost_to_serve.
    """
    day = pd.Timestamp(ds.as_of if as_of is None else as_of).normalize()
    costs = _costs(ds)
    receipts = ds["transactions"]
    receipts = receipts[periods.in_window(receipts["timestamp"], day, days)]
    margins = item_margins(ds).groupby("transaction_id")["margin"].sum()
    receipts = receipts.assign(
        margin=receipts["transaction_id"].map(margins),
        handling=receipts["channel"]
        .astype(str)
        .map({"store": costs["store receipt"], "online": costs["online order"]}),
    )
    table = pd.DataFrame(index=ds["customers"].query("registered_on <= @day")["customer_id"])
    spent = receipts.groupby("customer_id")
    table["revenue"] = spent["total"].sum()
    table["margin"] = spent["margin"].sum()
    table["receipts"] = spent.size()
    table["online_orders"] = (
        (receipts["channel"] == "online").groupby(receipts["customer_id"]).sum()
    )
    table["handling"] = spent["handling"].sum()
    complaints = ds["complaints"]
    complaints = complaints[periods.in_window(complaints["received_on"], day, days)]
    table["complaints"] = complaints.groupby("customer_id").size() * costs["complaint"]
    coupons = ds["coupon_redemptions"]
    coupons = coupons[periods.in_window(coupons["redeemed_on"], day, days)]
    table["coupons"] = coupons.groupby("customer_id").size() * costs["coupon redeemed"]
    contacts = ds["campaign_contacts"].dropna(subset=["sent_on"])
    contacts = contacts[periods.in_window(contacts["sent_on"], day, days)]
    price = contacts["channel"].astype(str).map(lambda c: costs[f"{c} contact"])
    table["contacts"] = price.groupby(contacts["customer_id"]).sum()
    table = table.fillna(0)
    table["cost_to_serve"] = table[["handling", "complaints", "coupons", "contacts"]].sum(axis=1)
    table["profit"] = table["margin"] - table["cost_to_serve"]
    money = ["revenue", "margin", "handling", "complaints", "coupons", "contacts"]
    table[money + ["cost_to_serve", "profit"]] = table[money + ["cost_to_serve", "profit"]].round(2)
    counts = ["receipts", "online_orders"]
    table[counts] = table[counts].astype("int64")
    return table.reset_index()


def bank_profit(ds, as_of=None, months: int = 12) -> pd.DataFrame:
    """Each bank customer's profit over the ``months`` month ends up to ``as_of``, one row per
    registered customer, the way the bank's finance department counts it:

    - ``interest_margin``: each month end's balance of a current, savings, term-deposit or
      mortgage account times the product's ``margin_rate`` / 12;
    - ``fees``: fee lines, funds' management fee (balance × margin_rate / 12), card
      interchange (card spending × margin_rate) and insurance commission (per month open);
    - ``cost_to_serve``: each transaction at its channel's cost, and each open account's
      yearly upkeep per month (``service_costs``);
    - ``profit`` = interest_margin + fees − cost_to_serve.
    """
    day = pd.Timestamp(ds.as_of if as_of is None else as_of).normalize()
    ends = pd.DatetimeIndex(periods.month_ends(day, months))
    start = ends[0] - pd.offsets.MonthBegin(1)
    costs = _costs(ds)
    products = ds["products"].set_index("product_id")
    accounts = ds["accounts"].join(
        products[["product_type", "margin_rate", "commission"]], on="product_id"
    )
    accounts = accounts.set_index("account_id")
    monthly_rate = accounts["margin_rate"] / 100 / 12

    balances = ds["monthly_balances"]
    balances = balances[balances["month_end"].isin(ends)]
    earned = balances["balance"].abs() * balances["account_id"].map(monthly_rate)
    kind = balances["account_id"].map(accounts["product_type"]).astype(str)
    interest = earned.where(kind.isin(["current", "savings", "term_deposit", "mortgage"]), 0)
    fund_fee = earned.where(kind == "fund", 0)

    booked = ds["transactions"]
    booked = booked[(booked["booked_on"] >= start) & (booked["booked_on"] <= day)]
    b_kind = booked["account_id"].map(accounts["product_type"]).astype(str)
    fee_lines = -booked["amount"].where(booked["kind"] == "fee", 0)
    card_spend = -booked["amount"].where(
        (b_kind == "credit_card") & (booked["kind"] == "card_payment"), 0
    )
    interchange = card_spend * booked["account_id"].map(accounts["margin_rate"]) / 100
    unit = {c: costs.get(f"{c} transaction", 0.0) for c in booked["channel"].astype(str).unique()}
    handling = booked["channel"].astype(str).map(unit)

    opened, closed = accounts["opened_on"], accounts["closed_on"]
    open_months = sum(
        ((opened <= end) & (closed.isna() | (closed > end))).astype(int) for end in ends
    )
    upkeep_year = np.where(
        accounts["product_type"].astype(str) == "current",
        costs["current account upkeep"],
        costs["account upkeep"],
    )
    upkeep = open_months * upkeep_year / 12
    commission = open_months * accounts["commission"] / 12

    def per_customer(values: pd.Series, account_ids: pd.Series) -> pd.Series:
        owner = account_ids.map(accounts["customer_id"])
        return values.groupby(owner.to_numpy()).sum()

    own = accounts.reset_index()
    table = pd.DataFrame(index=ds["customers"].query("registered_on <= @day")["customer_id"])
    table["interest_margin"] = per_customer(interest, balances["account_id"])
    table["fees"] = (
        per_customer(fee_lines + interchange, booked["account_id"])
        .add(per_customer(fund_fee, balances["account_id"]), fill_value=0)
        .add(commission.groupby(own["customer_id"].to_numpy()).sum(), fill_value=0)
    )
    table["cost_to_serve"] = per_customer(handling, booked["account_id"]).add(
        upkeep.groupby(own["customer_id"].to_numpy()).sum(), fill_value=0
    )
    table["transactions"] = booked["account_id"].map(accounts["customer_id"]).value_counts()
    table = table.fillna(0)
    table["profit"] = table["interest_margin"] + table["fees"] - table["cost_to_serve"]
    money = ["interest_margin", "fees", "cost_to_serve", "profit"]
    table[money] = table[money].round(2)
    table["transactions"] = table["transactions"].astype("int64")
    return table.reset_index()


#: The ABC customer pyramid (客户金字塔, seed 003's ABC分类法): the share of customers in each
#: layer, from the top. The textbook names the layers, not their sizes; these are the kit's.
ABC_LAYERS = {"A": 0.05, "B": 0.15, "C": 0.30, "D": 0.50}

#: Each layer's name in the textbook.
ABC_NAMES = {
    "A": "VIP customers (VIP顾客)",
    "B": "major customers (主要顾客)",
    "C": "ordinary customers (普通顾客)",
    "D": "small customers (小顾客)",
}


def abc_layers(value: pd.Series, layers: dict[str, float] | None = None) -> pd.Series:
    """Each customer's layer of the pyramid by ``value`` (profit, say), the highest first:
    the top 5 % are A, the next 15 % B, the next 30 % C, the rest D (:data:`ABC_LAYERS`).
    Ties are broken by the index (customer_id), so the layers have exactly those sizes."""
    layers = ABC_LAYERS if layers is None else layers
    if abs(sum(layers.values()) - 1) > 1e-9:
        raise ValueError(f"the layers' shares must add up to 1, not {sum(layers.values())}")
    order = np.lexsort((value.index.to_numpy(), -value.to_numpy()))
    bounds = np.round(np.cumsum(list(layers.values())) * len(value)).astype(int)
    labels = np.empty(len(value), dtype=object)
    labels[order] = np.repeat(list(layers), np.diff(bounds, prepend=0))
    return pd.Series(
        pd.Categorical(labels, categories=list(layers)),
        index=value.index,
        name="layer",
    )


def pyramid(value: pd.Series, layer: pd.Series) -> pd.DataFrame:
    """Per layer: the customers and their share, the total ``value`` and its share, the value
    per customer, and how many of them are below zero."""
    frame = pd.DataFrame({"value": value, "layer": layer})
    table = frame.groupby("layer", observed=False)["value"].agg(
        customers="size", total="sum", per_customer="mean", below_zero=lambda v: (v < 0).sum()
    )
    table.insert(1, "share_of_customers", table["customers"] / table["customers"].sum())
    table.insert(3, "share_of_total", table["total"] / table["total"].sum())
    return table


def top_layers(*shares: float) -> dict[str, float]:
    """The pyramid's layers (:data:`ABC_LAYERS`' names) from the shares of all but the last,
    highest first: the last layer is the rest. Refuses shares that add up to more than 1."""
    names = list(ABC_LAYERS)
    if len(shares) != len(names) - 1:
        raise ValueError(f"give the shares of {', '.join(names[:-1])}")
    rest = round(1 - sum(shares), 9)
    if rest < 0:
        raise ValueError(f"the top layers hold {sum(shares):.0%} of the customers, over 100 %")
    return {**dict(zip(names[:-1], shares, strict=True)), names[-1]: rest}


def pyramid_summary(value: pd.Series, layers: dict[str, float]) -> str:
    """One line for the classroom demo: how much of the total ``value`` the top layer of the
    pyramid cut with ``layers`` brings."""
    table = pyramid(value, abc_layers(value, layers))
    top = table.index[0]
    return (
        f"layer {top}, {table.loc[top, 'share_of_customers']:.0%} of the customers, brings "
        f"{table.loc[top, 'share_of_total']:.0%} of the total"
    )


def pyramid_sizes(value: pd.Series):
    """A classroom widget: the pyramid's sizes are a choice. Sliders set the share of the
    customers in each layer but the last (which holds the rest); under them,
    :func:`pyramid_summary` and :func:`pyramid` for those sizes (rounded to 3 places).
    Starts at :data:`ABC_LAYERS`. Returns an ``ipywidgets.VBox``."""
    import html

    import ipywidgets as widgets

    names = list(ABC_LAYERS)
    sliders = [
        widgets.FloatSlider(
            value=ABC_LAYERS[name],
            min=0.01,
            max=0.9,
            step=0.01,
            description=f"{name} share",
            readout_format=".0%",
        )
        for name in names[:-1]
    ]
    summary = widgets.HTML()
    shown = widgets.HTML()

    def show(_=None) -> None:
        try:
            layers = top_layers(*(slider.value for slider in sliders))
        except ValueError as refused:
            summary.value = f"<b>{html.escape(str(refused))}</b>"
            shown.value = ""
            return
        summary.value = f"<b>{html.escape(pyramid_summary(value, layers))}</b>"
        shown.value = pyramid(value, abc_layers(value, layers)).round(3).to_html()

    for slider in sliders:
        slider.observe(show, names="value")
    show()
    return widgets.VBox([widgets.HBox(sliders), summary, shown])


def whale_curve(value: pd.Series) -> pd.DataFrame:
    """The cumulative-profit ("whale") curve: customers sorted from the most to the least
    profitable, with the cumulative share of customers and of total profit. Where the curve
    rises above 1, the most profitable customers earn more than the whole base; the
    below-zero customers bring it back down."""
    ordered = value.sort_values(ascending=False).to_numpy()
    return pd.DataFrame(
        {
            "share_of_customers": np.arange(1, len(ordered) + 1) / len(ordered),
            "share_of_profit": np.cumsum(ordered) / ordered.sum(),
        }
    )


# -------------------------------------------------------------------------- share of wallet


def wallet_estimate(spend: pd.Series, peers: pd.Series, quantile: float = 0.9) -> pd.DataFrame:
    """Estimate each customer's wallet (what they spend on the category in all stores) from
    behaviour alone: the ``quantile`` (90th percentile) of spend among their peers (customers
    of the same ``peers`` group, e.g. household type), the way banks and retailers estimate
    a wallet they cannot see (Perlich et al. 2007, "High-quantile modeling for customer
    wallet estimation"). Returns the ``wallet``, the ``share`` of it the customer spends with
    us (at most 1) and the ``headroom`` left to grow (wallet − spend, at least 0)."""
    wallet = spend.groupby(peers).transform(lambda s: s.quantile(quantile))
    wallet = np.maximum(wallet, spend)
    return pd.DataFrame(
        {
            "spend": spend,
            "wallet": wallet.round(2),
            "share": (spend / wallet).where(wallet > 0).fillna(0).round(4),
            "headroom": (wallet - spend).round(2),
        }
    )


def true_wallet(ds) -> pd.DataFrame:
    """The truth: each customer's yearly need across categories (``need``), the part that
    comes to us (``ours`` = need × share) and the rest (``headroom``), from ``_truth/wallet``."""
    wallet = ds.truth("wallet")
    wallet = wallet.assign(ours=wallet["need_per_year"] * wallet["share"])
    table = wallet.groupby("customer_id")[["need_per_year", "ours"]].sum()
    table.columns = ["need", "ours"]
    table["share"] = (table["ours"] / table["need"]).round(4)
    table["headroom"] = (table["need"] - table["ours"]).round(2)
    table[["need", "ours"]] = table[["need", "ours"]].round(2)
    return table.reset_index()


# ------------------------------------------------------------------------ automated trigger

#: The automated service trigger (自动化服务, seed 004): the customers whose cumulative spend
#: passed ``:threshold`` during the month that ends on ``:month_end``: at or above it by the
#: month's end, below it the day before the month began. It runs once a month.
TRIGGER_SQL = """WITH spend AS (
  SELECT customer_id,
         SUM(CASE WHEN date(timestamp) <= :month_end THEN total ELSE 0 END) AS by_month_end,
         SUM(CASE WHEN date(timestamp) < date(:month_end, 'start of month')
                  THEN total ELSE 0 END) AS before_month
  FROM transactions
  GROUP BY customer_id
)
SELECT customer_id, ROUND(before_month, 2) AS before_month,
       ROUND(by_month_end, 2) AS by_month_end
FROM spend
WHERE by_month_end >= :threshold AND before_month < :threshold
ORDER BY customer_id"""


def crossings(receipts: pd.DataFrame, month_end, threshold: float) -> pd.DataFrame:
    """:data:`TRIGGER_SQL` in pandas: who passed ``threshold`` of cumulative spend in the month
    that ends on ``month_end``."""
    end = pd.Timestamp(month_end).normalize()
    first = end.replace(day=1)
    day = receipts["timestamp"].dt.normalize()
    by_end = receipts["total"].where(day <= end, 0).groupby(receipts["customer_id"]).sum()
    before = receipts["total"].where(day < first, 0).groupby(receipts["customer_id"]).sum()
    passed = (by_end >= threshold) & (before < threshold)
    table = pd.DataFrame({"before_month": before.round(2), "by_month_end": by_end.round(2)})
    return table[passed].reset_index()
