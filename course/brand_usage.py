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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course import periods

BRAND_CLASSES = ("national", "switcher", "store")
USAGE_CLASSES = ("light", "medium", "heavy")


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
