"""Micro-codes (case C2, 微码营销): every bank customer carries a short code built from five
parts, and each code can get its own offer, channel and timing.

The textbook's case names the idea, not its recipe; the parts and their cut points here are the
kit's own reconstruction, each from what the bank knew on an as-of date
(:func:`course.targeting.bank_features`):

====  ==================  =========================================================
part  name                values
====  ==================  =========================================================
1     life stage 人生阶段   S single, C couple, Y young children, O older children,
                          R retired (the household type)
2     value 价值           A the top 20 % by assets (deposits and funds), B the next
                          30 %, C the other half
3     holdings 持有产品     how many of the six products beyond a current account the
                          customer holds: 0, 1, 2 (two or more)
4     channel 渠道偏好      D digital (online and mobile are at least half of their
                          transactions in 90 days), P physical (branch, ATM, card
                          payments), N none (no transaction in 90 days)
5     signal 行为信号       + money coming in (deposits and transfers in) rose (the
                          last 90 days' at least 1.2 times the 90 days before), - it
                          fell (at most 0.8 times, or nothing came in), = otherwise
====  ==================  =========================================================

A code reads ``C-A-1-D+``: a couple, top value, one product beyond the current account,
digital, money coming in rising::

    codes = micro_codes.codes(bank, bank.as_of)
    before = micro_codes.codes(bank, bank.as_of - pd.DateOffset(months=6))
    micro_codes.migration(before, codes, "value")
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from course import targeting

PARTS = ("life_stage", "value", "holdings", "channel", "signal")
LIFE_STAGE = {
    "single": "S",
    "couple": "C",
    "young_children": "Y",
    "older_children": "O",
    "retired": "R",
}
ASSETS = ("current", "savings", "term_deposit", "fund")
BEYOND_CURRENT = ("savings", "term_deposit", "credit_card", "fund", "mortgage", "insurance")
DIGITAL = ("online", "mobile")
PHYSICAL = ("branch", "ATM", "POS")


def codes(ds, as_of) -> pd.DataFrame:
    """Each customer registered by ``as_of`` with the five parts of their code and the
    ``code`` itself (indexed by customer_id), from what the bank knew on ``as_of``."""
    day = pd.Timestamp(as_of).normalize()
    f = targeting.bank_features(ds, day)
    out = pd.DataFrame(index=f.index)
    out["life_stage"] = f["household_type"].map(LIFE_STAGE)
    assets = f[[f"balance_{p}" for p in ASSETS]].clip(lower=0).sum(axis=1)
    share_above = assets.rank(pct=True, method="first")
    out["value"] = np.select([share_above > 0.8, share_above > 0.5], ["A", "B"], "C")
    held = (f[[f"holds_{p}" for p in BEYOND_CURRENT]] > 0).sum(axis=1)
    out["holdings"] = held.clip(upper=2).astype(str)
    digital = f[[f"tx_90d_{c}" for c in DIGITAL]].sum(axis=1)
    physical = f[[f"tx_90d_{c}" for c in PHYSICAL]].sum(axis=1)
    out["channel"] = np.select([digital + physical == 0, digital >= physical], ["N", "D"], "P")
    recent = f["inflow_90d"]  # deposits and transfers in, the 90 days up to the date
    earlier = targeting.bank_features(ds, day - pd.Timedelta(days=90))["inflow_90d"]
    before = earlier.reindex(f.index, fill_value=0.0)
    ratio = recent / before.where(before > 0)
    out["signal"] = np.select(
        [recent <= 0, ratio >= 1.2, ratio <= 0.8, before <= 0], ["-", "+", "-", "+"], "="
    )
    out["code"] = (
        out["life_stage"]
        + "-"
        + out["value"]
        + "-"
        + out["holdings"]
        + "-"
        + out["channel"]
        + out["signal"]
    )
    return out


def sizes(table: pd.DataFrame, smallest: int = 30) -> pd.Series:
    """How actionable the codes are by size: the number of codes, the customers in codes of at
    least ``smallest`` members and their share, the median code's size."""
    counts = table["code"].value_counts()
    big = counts[counts >= smallest]
    return pd.Series(
        {
            "codes": len(counts),
            f"codes with {smallest}+ customers": len(big),
            f"customers in codes with {smallest}+": int(big.sum()),
            f"share in codes with {smallest}+": big.sum() / counts.sum(),
            "median customers per code": float(counts.median()),
        }
    )


def migration(before: pd.DataFrame, after: pd.DataFrame, part: str = "code") -> pd.DataFrame:
    """Where the customers of each value of ``part`` (or the whole ``code``) in ``before``
    stand in ``after``: a table of shares, each row summing to 1, for the customers in both."""
    both = before.index.intersection(after.index)
    return pd.crosstab(before.loc[both, part], after.loc[both, part], normalize="index")


def stability(before: pd.DataFrame, after: pd.DataFrame) -> pd.Series:
    """The share of the customers in both tables whose part (and whole code) is the same."""
    both = before.index.intersection(after.index)
    return pd.Series(
        {p: (before.loc[both, p] == after.loc[both, p]).mean() for p in (*PARTS, "code")}
    )


def simulate_plan(ds, plan: pd.DataFrame, holdout: float = 0.2, launched_on=None) -> pd.DataFrame:
    """Run a cross-sell plan that gives each customer their own product and channel: one
    ``generator.simulate`` campaign per (product_type, channel) of ``plan`` (columns
    customer_id, product_type, channel), each with its own random control group. One row per
    campaign and a ``total`` row: customers contacted and held out, contact cost, the
    incremental profit the bank would estimate against the control groups (with its 95 %
    interval, from chapter 06's ``targeting.evaluation``; the total's from the campaigns'
    intervals added in squares, as their control groups are drawn apart) and the true
    incremental profit.
    ``launched_on``: the campaigns' launch day (default the day after the as-of date)."""
    import generator
    from generator.simulator import CampaignError

    twice = plan["customer_id"][plan["customer_id"].duplicated()]
    if len(twice):
        raise CampaignError(
            f"{twice.nunique()} customers are in the plan more than once (e.g. "
            f"{', '.join(str(i) for i in twice.unique()[:3])}): give each customer one offer"
        )
    rows = {}
    extra = {} if launched_on is None else {"launched_on": launched_on}
    for (product, channel), group in plan.groupby(["product_type", "channel"], sort=True):
        campaign = {"product_type": product, "channel": channel, **extra}
        outcome = generator.simulate(ds, campaign, group["customer_id"], holdout=holdout)
        e = targeting.evaluation(outcome)
        rows[f"{product} by {channel}"] = {
            "contacted": int(e["contacted"]),
            "held_out": int(e["held_out"]),
            "contact_cost": float(outcome.customers["contact_cost"].sum()),
            "incremental_profit": float(e["incremental_profit"]),
            "incremental_profit_low": float(e["incremental_profit_low"]),
            "incremental_profit_high": float(e["incremental_profit_high"]),
            "true_incremental_profit": float(e["true_incremental_profit"]),
        }
    table = pd.DataFrame(rows).T
    total = table[["contacted", "held_out", "contact_cost", "incremental_profit"]].sum()
    # the campaigns' control groups are drawn apart: their errors add in squares
    half = (table["incremental_profit_high"] - table["incremental_profit_low"]) / 2
    total["incremental_profit_low"] = total["incremental_profit"] - np.sqrt((half**2).sum())
    total["incremental_profit_high"] = total["incremental_profit"] + np.sqrt((half**2).sum())
    total["true_incremental_profit"] = table["true_incremental_profit"].sum()
    table.loc["total"] = total
    return table
