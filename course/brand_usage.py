"""Brand × usage cells (case C1): Dick's Supermarket split its pain-reliever buyers into
national-brand buyers, store-brand buyers and switchers, each light, medium or heavy users, and
gave each of the nine cells its own offer (seed 001).

From the receipts up to an as-of date: the brand class from the share of the units bought that
were the store brand, the usage class from the days bought, in thirds of the buyers::

    table = brand_usage.buyers(retail, retail.as_of)
    table = brand_usage.cells(table)
    table.groupby(["brand_class", "usage_class"]).size().unstack()

The store sees only what is bought in it: the brand class is read well, the usage class less
so, since a heavy user who buys elsewhere looks like a light one here.

Then the offers: :func:`list_members` (who gets the fortnightly shopping list),
:func:`simulate_offer` (a coupon per cell, in the campaign simulator against a control group)
and :func:`funded` (the same coupon paid for by the manufacturer: what each side earns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course import periods

BRAND_CLASSES = ("national", "switcher", "store")
USAGE_CLASSES = ("light", "medium", "heavy")
CELLS = tuple(f"{b}/{u}" for b in BRAND_CLASSES for u in USAGE_CLASSES)

#: Dick's sends a shopping list every other week to customers spending over 25 USD a week
#: (seed 001).
LIST_WEEKLY_SPEND = 25.0

#: The national brand's maker keeps this share of what the chain pays it (its unit cost) as
#: gross margin: the kit's assumption, in the 55-65 % range consumer-health makers report.
MAKER_MARGIN = 0.55


def buyers(ds, as_of, category: str = "pain_reliever", days: int = 730) -> pd.DataFrame:
    """Each customer who bought ``category`` here in the ``days`` days up to ``as_of``
    (indexed by customer_id): ``units``, ``store_units`` (of the store brand), ``store_share``
    and ``purchase_days``."""
    products = ds["products"]
    products = products[products["category"] == category][["product_id", "store_brand"]]
    receipts = ds["transactions"][["transaction_id", "customer_id", "timestamp"]]
    receipts = receipts[periods.in_window(receipts["timestamp"], as_of, days)]
    lines = ds["transaction_items"][["transaction_id", "product_id", "quantity"]]
    lines = lines.merge(products, on="product_id").merge(receipts, on="transaction_id")
    lines["store_units"] = np.where(lines["store_brand"], lines["quantity"], 0)
    lines["day"] = lines["timestamp"].dt.normalize()
    table = lines.groupby("customer_id").agg(
        units=("quantity", "sum"),
        store_units=("store_units", "sum"),
        purchase_days=("day", "nunique"),
    )
    table.insert(2, "store_share", table["store_units"] / table["units"])
    return table


def cells(table: pd.DataFrame, store: float = 0.75, national: float = 0.25) -> pd.DataFrame:
    """:func:`buyers` with each customer's ``brand_class`` (store when at least ``store`` of
    their units were the store brand, national when at most ``national``, a switcher between),
    ``usage_class`` (light, medium, heavy: the thirds of the buyers by purchase days, ties in
    customer order) and ``cell`` (e.g. ``national/heavy``)."""
    out = table.copy()
    out["brand_class"] = pd.Categorical(
        np.select(
            [out["store_share"] >= store, out["store_share"] <= national],
            ["store", "national"],
            "switcher",
        ),
        categories=BRAND_CLASSES,
    )
    rank = out["purchase_days"].rank(method="first")
    out["usage_class"] = pd.qcut(rank, 3, labels=list(USAGE_CLASSES))
    out["cell"] = out["brand_class"].astype(str) + "/" + out["usage_class"].astype(str)
    return out


def list_members(ds, as_of, weekly: float = LIST_WEEKLY_SPEND, weeks: int = 8) -> pd.DataFrame:
    """Each customer's average spend a week over the ``weeks`` weeks up to ``as_of``
    (``weekly_spend``, indexed by customer_id, every customer) and ``member``: True when it
    is over ``weekly`` (the fortnightly shopping list's rule)."""
    receipts = ds["transactions"][["customer_id", "timestamp", "total"]]
    receipts = receipts[periods.in_window(receipts["timestamp"], as_of, 7 * weeks)]
    ids = ds["customers"]["customer_id"]
    spend = receipts.groupby("customer_id")["total"].sum().reindex(ids, fill_value=0.0)
    out = pd.DataFrame({"weekly_spend": (spend / weeks).round(2)})
    out["member"] = out["weekly_spend"] > weekly
    return out


def simulate_offer(
    ds,
    table: pd.DataFrame,
    plan: dict,
    channel: str = "email",
    brand: str = "store",
    sends: pd.Series | None = None,
    holdout: float = 0.5,
) -> pd.DataFrame:
    """Run a coupon for ``brand`` pain reliever with a value per cell of :func:`cells`'
    ``table`` (``plan``: cell -> coupon value; a cell left out or at 0 gets nothing), sent by
    ``channel`` to the cell's customers who agreed to it: one ``generator.simulate``
    campaign per coupon value, each with its own control group (``holdout``). ``sends``: a
    send day per customer (a Series indexed by customer_id; those without one are sent the
    day after the as-of date), for offers timed to each customer's cycle.

    One row per cell sent and a ``total`` row: the coupon, customers listed, contacted and
    held out, the incremental profit the chain would estimate against the control group
    (with its 95 % interval) and, from the simulator's truth, what contacting the contacted
    truly earned (``true_incremental_profit``) and what contacting everyone listed would
    have (``true_value``: the plan's worth with no group drawn)."""
    import generator
    from course import targeting
    from generator.simulator import CampaignError, Outcome

    unknown = sorted(set(plan) - set(CELLS))
    if unknown:
        raise CampaignError(f"unknown cell {unknown[0]!r} (known: {', '.join(CELLS)})")
    agreed = ds["customers"].set_index("customer_id")[f"consent_{channel}"]
    listed = table[agreed.reindex(table.index, fill_value=False).to_numpy()]
    rows = {}
    for value in sorted({v for v in plan.values() if v}):
        group = listed[listed["cell"].isin([c for c, v in plan.items() if v == value])]
        if group.empty:
            continue
        campaign = {
            "category": "pain_reliever",
            "channel": channel,
            "coupon_value": value,
            "brand": brand,
        }
        ids = group.index.to_numpy()
        if sends is not None:
            first = ds.as_of + pd.Timedelta(days=1)
            ids = pd.DataFrame({"customer_id": ids, "sent_on": sends.reindex(ids).fillna(first)})
        outcome = generator.simulate(ds, campaign, ids, holdout=holdout)
        cell = group["cell"]
        for name in sorted(cell.unique()):
            keep = cell.reindex(outcome.customers["customer_id"]).to_numpy() == name
            customers, truth = outcome.customers[keep], outcome.truth[keep]
            treated = (customers["group"] == "treatment").to_numpy()
            part = Outcome(
                campaign,
                customers.reset_index(drop=True),
                truth.reset_index(drop=True),
                float(truth["incremental_profit"][treated].sum().round(2)),
            )
            e = targeting.evaluation(part)
            rows[name] = {
                "coupon": value,
                "listed": len(customers),
                "contacted": int(e["contacted"]),
                "held_out": int(e["held_out"]),
                "incremental_profit": float(e["incremental_profit"]),
                "incremental_profit_low": float(e["incremental_profit_low"]),
                "incremental_profit_high": float(e["incremental_profit_high"]),
                "true_incremental_profit": float(e["true_incremental_profit"]),
                "true_value": float(truth["incremental_profit"].sum().round(2)),
            }
    if not rows:
        raise CampaignError("the plan sends nothing: give at least one cell a coupon")
    out = pd.DataFrame(rows).T.reindex([c for c in CELLS if c in rows])
    total = out.drop(columns="coupon").sum()
    # the cells' control groups are drawn apart: their errors add in squares
    half = (out["incremental_profit_high"] - out["incremental_profit_low"]) / 2
    total["incremental_profit_low"] = total["incremental_profit"] - np.sqrt((half**2).sum())
    total["incremental_profit_high"] = total["incremental_profit"] + np.sqrt((half**2).sum())
    out.loc["total"] = total
    for column in ("listed", "contacted", "held_out"):
        out[column] = out[column].astype(int)
    return out


def funded(ds, outcome, maker_margin: float = MAKER_MARGIN) -> pd.Series:
    """A simulated national-brand coupon (``brand`` national) as a deal in which the brand's
    maker pays for every coupon used: what it is worth in the simulator's truth if every
    listed customer is contacted (no group drawn): the chain's incremental profit with no
    coupon to pay (``chain_profit_if_funded``) and without the deal (``chain_profit_if_not``),
    and the maker's (``maker_profit``: the extra units at its margin, ``maker_margin`` of the
    chain's unit cost, less the coupons used, those of customers who would have bought anyway
    included). Only the campaign's window counts for the maker: the few who switch for good
    are left out of its side."""
    campaign = outcome.campaign
    if campaign.get("brand") != "national":
        raise ValueError("a maker-funded deal is for a national-brand coupon (brand='national')")
    products = ds["products"]
    national = products[(products["category"] == campaign["category"]) & ~products["store_brand"]]
    coupon = min(campaign["coupon_value"], round(0.5 * national["price"].mean(), 2))
    truth = outcome.truth
    coupons = float((truth["coupons_used"] * coupon).sum())
    extra = float(truth["uplift"].sum())
    profit = float(truth["incremental_profit"].sum())
    unit = maker_margin * national["unit_cost"].mean()
    return pd.Series(
        {
            "listed": len(truth),
            "extra_units": extra,
            "coupons_paid": coupons,
            "chain_profit_if_funded": profit + coupons,
            "chain_profit_if_not": profit,
            "maker_profit": extra * unit - coupons,
        }
    ).round(2)
