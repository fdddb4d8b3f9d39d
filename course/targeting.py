"""Choosing whom to contact (chapter 06): the break-even response rate, leakage-free features
of the bank's and the supermarket's customers as of a campaign's date, a response model, gains
and lift by decile, the cut-off by expected profit, who may be contacted (consent and contact
pressure), a campaign's evaluation against its control group, uplift models, the
Qini curve scored against the true uplift, and the planner widget of the classroom demo.

A past campaign is the training set: its contacted customers (the treatment group) and
whether they responded, with features computed from what the bank knew the day before the
launch, never after::

    features = targeting.bank_features(bank, launched_on - 1 day)
    model = targeting.response_model(features.loc[treated], responded)
    table = targeting.gains(model.predict_proba(features)[:, 1], responded)
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _prepare(features: pd.DataFrame) -> ColumnTransformer:
    """A model's preparation of ``features``: categories one-hot encoded, numbers
    standardised."""
    categories = [c for c in features.columns if c in CATEGORIES]
    numbers = [c for c in features.columns if c not in CATEGORIES]
    return ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categories),
            ("numbers", StandardScaler(), numbers),
        ]
    )


def response_model(features: pd.DataFrame, responded: pd.Series):
    """A logistic regression of ``responded`` on ``features`` (categories one-hot encoded,
    numbers standardised): a fitted scikit-learn pipeline, deterministic."""
    model = make_pipeline(_prepare(features), LogisticRegression(max_iter=2000))
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


# ---------------------------------------------------------------- who may be contacted


def recent_contacts(ds, as_of, days: int = 365) -> pd.Series:
    """Campaign contacts each customer received in the ``days`` days up to ``as_of``
    (inclusive), indexed by customer_id (only those with at least one). The held-out customers
    of a campaign were not contacted."""
    day = pd.Timestamp(as_of).normalize()
    contacts = ds["campaign_contacts"]
    treated = contacts["test_group"] == "treatment"
    inside = treated & periods.in_window(contacts["sent_on"], day, days)
    return contacts[inside].groupby("customer_id").size().rename("contacts")


def reachable(
    ds, customer_ids, channel: str, as_of, most: int | None = 1, days: int = 365
) -> pd.Index:
    """The listed customers a campaign may contact by ``channel`` on the day after ``as_of``:
    those who agreed to it (``consent_<channel>``) and who received fewer than ``most``
    campaign contacts in the ``days`` days up to ``as_of`` (the contact-pressure rule;
    ``most=None``: no such rule), in the order listed."""
    ids = pd.Index(customer_ids)
    customers = ds["customers"].set_index("customer_id")
    agreed = customers.loc[ids, f"consent_{channel}"].to_numpy(bool)
    if most is None:
        return ids[agreed]
    pressed = recent_contacts(ds, as_of, days).reindex(ids, fill_value=0).to_numpy() >= most
    return ids[agreed & ~pressed]


def top(score: pd.Series, share: float = 1.0, most: int | None = None) -> pd.Index:
    """The customers with the highest ``score`` (ties by customer_id): the first ``share`` of
    them, and no more than ``most``."""
    if not 0 < share <= 1:
        raise ValueError(f"share must be more than 0 and at most 1, not {share!r}")
    count = int(round(share * len(score)))
    if most is not None:
        count = min(count, int(most))
    return score.index[_order(score)[:count]]


# ---------------------------------------------------------------- evaluating a campaign


def evaluation(outcome) -> pd.Series:
    """A campaign's results as the fourth stage (评估) reads them, from its ``customers``
    (what the company observed: ``group``, ``responded``, ``margin``, ``contact_cost``,
    ``profit`` per listed customer) and, for a simulated campaign, the truth:

    - what the contacted did: ``response_rate``, ``orders``, ``campaign_cost`` (contacts),
      ``cost_per_order``, and the naive view that credits the campaign with every order of
      the contacted: ``naive_profit`` (their margin − the cost) and ``naive_roi``;
    - against the control group: ``control_rate``, ``incremental_response`` and
      ``incremental_orders`` with 95 % intervals, ``cost_per_incremental_order``,
      ``incremental_profit`` with its interval and ``roi`` (incremental profit over cost);
    - ``true_incremental_profit``: what the campaign really earned (the simulator's truth).
    """
    summary = outcome.summary()
    c = outcome.customers
    treated = c[c["group"] == "treatment"]
    cost = float(treated["contact_cost"].sum())
    orders = int(treated["responded"].sum())
    contacted = len(treated)
    naive = float(treated["margin"].sum()) - cost
    incremental_orders = summary["incremental_response"] * contacted
    return pd.Series(
        {
            "contacted": contacted,
            "held_out": int(summary["held_out"]),
            "response_rate": summary["response_rate_contacted"],
            "orders": orders,
            "campaign_cost": cost,
            "cost_per_order": cost / orders if orders else np.nan,
            "naive_profit": naive,
            "naive_roi": naive / cost if cost else np.nan,
            "control_rate": summary["response_rate_held_out"],
            "incremental_response": summary["incremental_response"],
            "incremental_response_low": summary["incremental_response_low"],
            "incremental_response_high": summary["incremental_response_high"],
            "incremental_orders": incremental_orders,
            "incremental_orders_low": summary["incremental_response_low"] * contacted,
            "incremental_orders_high": summary["incremental_response_high"] * contacted,
            "cost_per_incremental_order": (
                cost / incremental_orders if incremental_orders > 0 else np.nan
            ),
            "incremental_profit": summary["estimated_incremental_profit"],
            "incremental_profit_low": summary["estimated_incremental_profit_low"],
            "incremental_profit_high": summary["estimated_incremental_profit_high"],
            "roi": summary["estimated_incremental_profit"] / cost if cost else np.nan,
            "true_incremental_profit": summary["true_incremental_profit"],
        }
    )


# ---------------------------------------------------------------- uplift models


#: The uplift models :func:`uplift_model` fits, by name.
UPLIFT_METHODS = ("two_models", "causal_forest")


@dataclass
class UpliftModel:
    """A fitted uplift model: :meth:`predict` estimates, for each customer, how much a contact
    raises their chance of responding."""

    prepare: ColumnTransformer
    learner: object
    method: str

    def predict(self, features: pd.DataFrame) -> pd.Series:
        x = self.prepare.transform(features)
        if self.method == "two_models":
            contacted, held_out = self.learner
            estimate = contacted.predict_proba(x)[:, 1] - held_out.predict_proba(x)[:, 1]
        else:
            estimate = np.asarray(self.learner.effect(x)).reshape(len(features))
        return pd.Series(estimate, index=features.index, name="uplift")


def uplift_model(
    features: pd.DataFrame,
    treated: pd.Series,
    responded: pd.Series,
    method: str = "two_models",
    seed: int = 0,
) -> UpliftModel:
    """An uplift model (增量模型) fitted on a randomised test: ``features`` of the listed
    customers, ``treated`` (contacted, or held out as the control group) and ``responded``.

    ``method``: ``"two_models"`` (the two-model or T-learner approach: a logistic regression
    for the contacted and one for the held out; the uplift is the difference of their
    predicted chances), or ``"causal_forest"``, EconML's causal forest (a forest whose trees
    split where the effect of the contact differs most, with honest estimates: Athey,
    Tibshirani & Wager 2019), told that the test was randomised (every customer had the same
    chance of being contacted). Deterministic for a ``seed``.
    """
    if method not in UPLIFT_METHODS:
        raise ValueError(f"unknown uplift method {method!r} (known: {', '.join(UPLIFT_METHODS)})")
    prepare = _prepare(features).fit(features)
    x = prepare.transform(features)
    contacted = treated.reindex(features.index).to_numpy(bool)
    y = responded.reindex(features.index).astype(int).to_numpy()
    if method == "two_models":
        learner = tuple(
            LogisticRegression(max_iter=2000).fit(x[group], y[group])
            for group in (contacted, ~contacted)
        )
    else:
        from econml.dml import CausalForestDML
        from sklearn.dummy import DummyClassifier

        learner = CausalForestDML(
            model_y=LogisticRegression(max_iter=2000),
            model_t=DummyClassifier(),  # randomised: the same chance of contact for all
            discrete_outcome=True,
            discrete_treatment=True,
            n_estimators=200,
            min_samples_leaf=5,
            inference=False,
            random_state=seed,
            n_jobs=1,
        ).fit(y, contacted.astype(int), X=x)
    return UpliftModel(prepare, learner, method)


def coupon_profit(
    uplift: pd.Series,
    buys_if_sent: pd.Series,
    unit_margin: float,
    redemption: float,
    coupon: float,
    contact_cost: float = 0.0,
) -> pd.Series:
    """The expected incremental profit of sending each customer a coupon: the margin of the
    purchases the coupon adds (``uplift`` × ``unit_margin``), less the coupons redeemed by
    every customer who buys when sent one — those who would have bought anyway included —
    (``buys_if_sent`` × ``redemption``, the share of buyers who use it, × ``coupon``), less
    the contact. ``uplift`` from an uplift model, ``buys_if_sent`` from a response model
    trained on the contacted: a response model says who will use a coupon, an uplift model
    whom it moves, and the profit needs both."""
    profit = (
        uplift * unit_margin
        - buys_if_sent.reindex(uplift.index) * redemption * coupon
        - contact_cost
    )
    return profit.rename("expected_profit")


# ---------------------------------------------------------------- the classroom demo


def run_plan(ds, campaign: dict, score: pd.Series, share: float, budget: float, holdout=0.2):
    """The campaign of a plan, run in the simulator: the customers with the highest ``score``
    who agreed to the campaign's channel, the first ``share`` of them, as many as the
    ``budget`` pays for at the channel's contact cost (the held-out share is not contacted
    and costs nothing). Returns the simulator's outcome."""
    import generator
    from generator.campaigns import CONTACT_COST

    channel = campaign["channel"]
    customers = ds["customers"].set_index("customer_id")
    agreed = score[customers.loc[score.index, f"consent_{channel}"].to_numpy(bool)]
    affordable = budget / CONTACT_COST[ds.currency][channel] / (1 - holdout)
    listed = top(agreed, share, most=max(int(affordable), 1))
    return generator.simulate(ds, campaign, listed, holdout=holdout)


PLAN_ROWS = {
    "contacted": "contacted",
    "held_out": "held out (control group)",
    "response_rate": "response rate of the contacted",
    "control_rate": "response rate of the held out",
    "campaign_cost": "cost of the contacts",
    "cost_per_order": "cost per order",
    "incremental_profit": "incremental profit (estimated from the control group)",
    "roi": "ROI (incremental profit / cost)",
    "true_incremental_profit": "true incremental profit (the simulator's truth)",
}


def plan_table(outcome) -> pd.Series:
    """The planner's few figures of :func:`evaluation`, with readable names."""
    figures = evaluation(outcome)[list(PLAN_ROWS)]
    return figures.rename(PLAN_ROWS).round(3)


def planner(ds, campaign: dict, score: pd.Series, channels=("phone", "sms", "email", "mail")):
    """A classroom widget: set the budget, the cut-off (the share of the ranked list to
    contact) and the channel, press Run, and see the campaign's response, cost, incremental
    profit and ROI from the simulator. The same settings always give the same result.

    ``campaign``: the simulator's campaign without its channel; ``score``: each eligible
    customer's score (highest first). Returns an ``ipywidgets.VBox``.
    """
    import ipywidgets as widgets

    budget = widgets.FloatSlider(
        value=2000, min=100, max=10000, step=100, description="Budget", readout_format=",.0f"
    )
    share = widgets.FloatSlider(
        value=0.3, min=0.05, max=1.0, step=0.05, description="Cut-off", readout_format=".0%"
    )
    channel = widgets.Dropdown(options=list(channels), value=channels[0], description="Channel")
    run = widgets.Button(description="Run the campaign")
    shown = widgets.HTML()

    def show(_=None) -> None:
        outcome = run_plan(
            ds, {**campaign, "channel": channel.value}, score, share.value, budget.value
        )
        shown.value = plan_table(outcome).to_frame(ds.currency).to_html()

    run.on_click(show)
    show()
    return widgets.VBox([widgets.HBox([budget, share]), widgets.HBox([channel, run]), shown])
