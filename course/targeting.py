"""Choosing whom to contact (chapter 06): the break-even response rate, leakage-free features
of the bank's customers as of a campaign's date, a response model, gains and lift by decile,
the cut-off by expected profit, and an uplift ranking scored against the true uplift.

A past campaign is the training set: its contacted customers (the treatment group) and
whether they responded, with features computed from what the bank knew the day before the
launch, never after::

    features = targeting.bank_features(bank, launched_on - 1 day)
    model = targeting.response_model(features.loc[treated], responded)
    table = targeting.gains(model.predict_proba(features)[:, 1], responded)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from course import periods

#: The bank's product types, in the order of its products table.
PRODUCT_TYPES = (
    "current",
    "savings",
    "term_deposit",
    "credit_card",
    "fund",
    "mortgage",
    "insurance",
)

#: The channels of the bank's transactions that a customer chooses (``system`` lines are the
#: bank's own: interest, fees).
CHANNELS = ("branch", "ATM", "POS", "online", "mobile")

#: The profile columns a model reads as categories.
CATEGORIES = ("household_type", "income_band")


def break_even_rate(contact_cost: float, margin_per_response: float) -> float:
    """The response rate at which a contact pays for itself: cost per contact over the margin
    one response brings. Below it, every contact loses money on average."""
    if margin_per_response <= 0:
        raise ValueError(f"a response must bring a positive margin, not {margin_per_response}")
    return contact_cost / margin_per_response


def _profile(customers: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """Age in whole years, days since registration and the profile's categories on ``day``,
    for the customers registered by then (indexed by customer_id)."""
    customers = customers[customers["registered_on"] <= day].set_index("customer_id")
    table = pd.DataFrame(index=customers.index)
    table["age"] = periods.age_on(customers["birth_date"], day)
    table["tenure_days"] = (day - customers["registered_on"]).dt.days
    for column in CATEGORIES:
        table[column] = customers[column].astype(str)
    return table


def bank_features(ds, as_of) -> pd.DataFrame:
    """What the bank knew about each customer registered by ``as_of`` (inclusive), one row
    per customer indexed by customer_id, from rows dated on or before ``as_of`` only:

    - profile: ``age`` (whole years), ``tenure_days`` (since registration),
      ``household_type``, ``income_band``;
    - ``holds_<type>``: open accounts of each product type on ``as_of``;
    - ``balance_<type>``: their balances at the last month end on or before ``as_of``;
    - ``tx_90d_<channel>``: transactions in the 90 days up to ``as_of`` per channel, and
      ``inflow_90d`` (deposits and transfers in); ``days_since_tx`` (since the latest; the
      tenure when there is none).
    """
    day = pd.Timestamp(as_of).normalize()
    table = _profile(ds["customers"], day)

    accounts = ds["accounts"].merge(ds["products"][["product_id", "product_type"]])
    open_then = (accounts["opened_on"] <= day) & (
        accounts["closed_on"].isna() | (accounts["closed_on"] > day)
    )
    accounts = accounts[open_then & accounts["customer_id"].isin(table.index)]
    kind = accounts["product_type"].astype(str)
    held = accounts.groupby([accounts["customer_id"], kind]).size().unstack(fill_value=0)
    balances = ds["monthly_balances"]
    month_end = balances.loc[balances["month_end"] <= day, "month_end"].max()
    last = balances[balances["month_end"] == month_end].merge(
        accounts[["account_id", "customer_id", "product_type"]]
    )
    owed = last.groupby(["customer_id", last["product_type"].astype(str)])["balance"].sum()
    owed = owed.unstack(fill_value=0.0)
    for product in PRODUCT_TYPES:
        table[f"holds_{product}"] = held.get(product, pd.Series(dtype=int)).reindex(
            table.index, fill_value=0
        )
        table[f"balance_{product}"] = (
            owed.get(product, pd.Series(dtype=float)).reindex(table.index, fill_value=0.0).round(2)
        )

    booked = ds["transactions"]
    booked = booked[booked["booked_on"] <= day].merge(ds["accounts"][["account_id", "customer_id"]])
    latest = booked.groupby("customer_id")["booked_on"].max()
    recent = booked[periods.in_window(booked["booked_on"], day, 90)]
    channel = recent["channel"].astype(str)
    counts = recent.groupby([recent["customer_id"], channel]).size().unstack(fill_value=0)
    for name in CHANNELS:
        table[f"tx_90d_{name}"] = counts.get(name, pd.Series(dtype=int)).reindex(
            table.index, fill_value=0
        )
    inflow = recent[recent["kind"].isin(["deposit", "transfer_in"])]
    table["inflow_90d"] = (
        inflow.groupby("customer_id")["amount"].sum().reindex(table.index, fill_value=0.0)
    ).round(2)
    since = (day - latest.reindex(table.index)).dt.days
    table["days_since_tx"] = since.fillna(table["tenure_days"]).astype("int64")
    return table


def retail_features(ds, as_of, category: str) -> pd.DataFrame:
    """What the supermarket knew about each customer registered by ``as_of`` (inclusive)
    before a campaign for ``category``, one row per customer indexed by customer_id, from
    rows dated on or before ``as_of`` only:

    - profile: ``age``, ``tenure_days``, ``household_type``, ``income_band``;
    - RFM (:func:`course.customer_value.rfm`): ``recency_days`` (the tenure when they never
      bought), ``frequency``, ``monetary``; ``online_share`` of those receipts;
    - the category in the last 365 days: ``category_trips`` (receipts with it),
      ``category_spend``, ``store_brand_share`` (of its units), ``days_since_category`` (the
      tenure when never);
    - ``coupons_365d``: campaign coupons redeemed in the last 365 days.
    """
    from course import customer_value

    day = pd.Timestamp(as_of).normalize()
    table = _profile(ds["customers"], day)
    receipts = ds["transactions"]
    receipts = receipts[receipts["timestamp"].dt.normalize() <= day]
    rfm = customer_value.rfm(receipts, day).set_index("customer_id")
    table = table.join(rfm)
    table["frequency"] = table["frequency"].fillna(0).astype("int64")
    table["monetary"] = table["monetary"].fillna(0.0)
    recent = receipts[periods.in_window(receipts["timestamp"], day, 365)]
    online = (recent["channel"] == "online").groupby(recent["customer_id"]).mean()
    table["online_share"] = online.reindex(table.index, fill_value=0.0).round(4)

    products = ds["products"][["product_id", "category", "store_brand"]]
    items = ds["transaction_items"].merge(products[products["category"] == category])
    items = items.merge(receipts[["transaction_id", "customer_id", "timestamp"]])
    last = items.groupby("customer_id")["timestamp"].max().dt.normalize()
    items = items[periods.in_window(items["timestamp"], day, 365)]
    bought = items.groupby("customer_id")
    table["category_trips"] = bought["transaction_id"].nunique()
    table["category_spend"] = bought["amount"].sum().round(2)
    own = (items["quantity"] * items["store_brand"]).groupby(items["customer_id"]).sum()
    table["store_brand_share"] = (own / bought["quantity"].sum()).round(4)
    table[["category_trips", "category_spend", "store_brand_share"]] = table[
        ["category_trips", "category_spend", "store_brand_share"]
    ].fillna(0)
    table["category_trips"] = table["category_trips"].astype("int64")
    days_since = (day - last.reindex(table.index)).dt.days
    table["days_since_category"] = days_since.fillna(table["tenure_days"]).astype("int64")
    table["recency_days"] = table["recency_days"].fillna(table["tenure_days"]).astype("int64")

    coupons = ds["coupon_redemptions"]
    coupons = coupons[periods.in_window(coupons["redeemed_on"], day, 365)]
    table["coupons_365d"] = (
        coupons.groupby("customer_id").size().reindex(table.index, fill_value=0).astype("int64")
    )
    return table


def response_model(features: pd.DataFrame, responded: pd.Series):
    """A logistic regression of ``responded`` on ``features`` (categories one-hot encoded,
    numbers standardised): a fitted scikit-learn pipeline, deterministic."""
    categories = [c for c in features.columns if c in CATEGORIES]
    numbers = [c for c in features.columns if c not in CATEGORIES]
    prepare = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), categories),
            ("numbers", StandardScaler(), numbers),
        ]
    )
    model = make_pipeline(prepare, LogisticRegression(max_iter=2000))
    return model.fit(features, responded.reindex(features.index).astype(int))


def _order(score: pd.Series) -> np.ndarray:
    """Positions from the highest score to the lowest, ties by the index."""
    return np.lexsort((score.index.to_numpy(), -score.to_numpy()))


def gains(score: pd.Series, responded: pd.Series, groups: int = 10) -> pd.DataFrame:
    """The gains table (增益表): customers ranked by ``score`` (highest first, ties by
    customer_id) and cut into ``groups`` groups of equal size (decile 1 the best), with each
    group's customers, responders and response rate, its lift (rate over the overall rate),
    and the cumulative share of customers and of responders (the gains chart) and the
    cumulative lift."""
    responded = responded.reindex(score.index).astype(int)
    order = _order(score)
    decile = np.empty(len(order), dtype="int64")
    decile[order] = np.arange(len(order)) * groups // len(order) + 1
    frame = pd.DataFrame({"decile": decile, "responded": responded.to_numpy()})
    table = frame.groupby("decile")["responded"].agg(customers="size", responders="sum")
    overall = table["responders"].sum() / table["customers"].sum()
    table["response_rate"] = table["responders"] / table["customers"]
    table["lift"] = table["response_rate"] / overall
    table["share_of_customers"] = table["customers"].cumsum() / table["customers"].sum()
    table["share_of_responders"] = table["responders"].cumsum() / table["responders"].sum()
    table["cumulative_lift"] = table["share_of_responders"] / table["share_of_customers"]
    return table


def profit_by_depth(
    score: pd.Series, responded: pd.Series, margin_per_response: float, contact_cost: float
) -> pd.DataFrame:
    """Contacting the customers with the highest ``score`` first: after each customer, how
    many were contacted, how many of them responded and the profit (responders × margin −
    contacts × cost). One row per depth, from 1 to everyone."""
    responded = responded.reindex(score.index).astype(int).to_numpy()[_order(score)]
    contacted = np.arange(1, len(responded) + 1)
    responders = np.cumsum(responded)
    return pd.DataFrame(
        {
            "contacted": contacted,
            "share_contacted": contacted / len(contacted),
            "responders": responders,
            "profit": responders * margin_per_response - contacted * contact_cost,
        }
    )


def best_depth(depths: pd.DataFrame) -> pd.Series:
    """The row of :func:`profit_by_depth` with the highest profit (the shallowest if tied)."""
    return depths.loc[depths["profit"].idxmax()]


def qini_against_truth(score: pd.Series, uplift: pd.Series, points: int = 100) -> pd.DataFrame:
    """The Qini curve scored against the true uplift: customers ranked by ``score``; for each
    share contacted, the expected incremental responses (the sum of the true ``uplift``, a
    probability per customer, of those contacted) of the ranking, of a random list and of
    the perfect ranking (by the true uplift itself)."""
    uplift = uplift.reindex(score.index).astype("float64")
    ranked = np.cumsum(uplift.to_numpy()[_order(score)])
    perfect = np.cumsum(np.sort(uplift.to_numpy())[::-1])
    n = len(ranked)
    at = np.unique(np.linspace(0, n, points + 1).round().astype(int))
    gained = np.concatenate([[0.0], ranked])[at]
    best = np.concatenate([[0.0], perfect])[at]
    return pd.DataFrame(
        {
            "share_contacted": at / n,
            "model": gained,
            "random": at / n * uplift.sum(),
            "perfect": best,
        }
    )


def qini_coefficient(curve: pd.DataFrame) -> float:
    """The area between a :func:`qini_against_truth` curve and the random line, over the
    same area for the perfect ranking: 1 for the perfect order, 0 for a random one."""
    x = curve["share_contacted"].to_numpy()
    model = np.trapezoid(curve["model"] - curve["random"], x)
    perfect = np.trapezoid(curve["perfect"] - curve["random"], x)
    return float(model / perfect)
