"""Affinities (chapter 07): association rules between the categories a receipt holds, found
with mlxtend's apriori, and told apart from what basket size alone produces.

A big basket holds more of everything, so almost any two categories appear together a little
more often than chance: at a careless threshold (lift above 1) most rules are that. The lift
within receipts of the same size removes it; what stays is a real affinity, such as the one the
supermarket's households with a baby plant (nappies and baby food)::

    baskets = affinities.baskets(retail, retail.as_of)
    found = affinities.rules(baskets, min_support=0.005)
    found = affinities.within_size(baskets, found)
    affinities.recovery(found, affinities.planted_pairs(), min_lift=1.5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlxtend.frequent_patterns import apriori, association_rules


def baskets(ds, as_of=None) -> pd.DataFrame:
    """One row per receipt (up to ``as_of``, inclusive; default all), one boolean column per
    category: True when the receipt holds it."""
    receipts = ds["transactions"][["transaction_id", "timestamp"]]
    if as_of is not None:
        day = pd.Timestamp(as_of).normalize()
        receipts = receipts[receipts["timestamp"].dt.normalize() <= day]
    lines = ds["transaction_items"][["transaction_id", "product_id"]]
    lines = lines[lines["transaction_id"].isin(receipts["transaction_id"])]
    category = ds["products"].set_index("product_id")["category"].astype(str)
    names = sorted(category.unique())
    column = pd.Categorical(category.reindex(lines["product_id"]), categories=names).codes
    row, receipt = pd.factorize(lines["transaction_id"], sort=True)
    held = np.zeros((len(receipt), len(names)), bool)
    held[row, column] = True
    table = pd.DataFrame(held, index=pd.Index(receipt, name="transaction_id"), columns=names)
    return table


def rules(baskets: pd.DataFrame, min_support: float = 0.01, min_lift: float = 1.0) -> pd.DataFrame:
    """Rules A → B between two categories with mlxtend (apriori, then association_rules):
    those found together on at least ``min_support`` of the receipts with a lift of at least
    ``min_lift``. Columns ``antecedent``, ``consequent``, ``support``, ``confidence``,
    ``lift``, strongest lift first."""
    itemsets = apriori(baskets, min_support=min_support, use_colnames=True, max_len=2)
    columns = ["antecedent", "consequent", "support", "confidence", "lift"]
    if (itemsets["itemsets"].map(len) == 2).sum() == 0:
        return pd.DataFrame(columns=columns)
    found = association_rules(itemsets, len(baskets), metric="lift", min_threshold=min_lift)
    found["antecedent"] = found["antecedents"].map(lambda s: next(iter(s)))
    found["consequent"] = found["consequents"].map(lambda s: next(iter(s)))
    found = found.sort_values(["lift", "antecedent", "consequent"], ascending=[False, True, True])
    return found[columns].reset_index(drop=True)


def within_size(baskets: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """``found`` (from :func:`rules`) with the lift basket size alone explains taken out:
    ``expected`` is the number of receipts that would hold both if, among receipts with the
    same number of categories, the two were independent (summed over sizes, as the
    Mantel-Haenszel idea does); ``lift_within_size`` is the receipts that hold both over
    that."""
    size = baskets.sum(axis=1)
    share = baskets.groupby(size).mean()  # each category's share of the receipts of each size
    count = size.value_counts()
    rows = []
    for a, b in zip(found["antecedent"], found["consequent"], strict=True):
        both = int((baskets[a] & baskets[b]).sum())
        expected = float((share[a] * share[b] * count.reindex(share.index)).sum())
        rows.append((both, expected))
    out = found.copy()
    out["together"] = [both for both, _ in rows]
    out["expected"] = [expected for _, expected in rows]
    out["lift_within_size"] = out["together"] / out["expected"]
    return out


def planted_pairs() -> set[frozenset[str]]:
    """The affinities the supermarket's generator plants: categories bought by the same kind
    of household (its spec's ``buyers``: those with a baby buy nappies and baby food)."""
    from generator.industries.retail import SPEC

    groups: dict[str, list[str]] = {}
    for category in SPEC["categories"]:
        buyers = category.get("buyers")
        if isinstance(buyers, str):
            groups.setdefault(buyers, []).append(category["name"])
    return {
        frozenset((a, b))
        for names in groups.values()
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    }


def recovery(
    found: pd.DataFrame, planted: set[frozenset[str]], min_lift: float = 1.0, lift: str = "lift"
) -> pd.Series:
    """How many of the ``planted`` pairs the rules with ``lift`` (a column of ``found``) of at
    least ``min_lift`` hold, and how many other pairs they hold (spurious: no affinity was
    planted between them). Pairs, not rules: A → B and B → A are one pair."""
    kept = found[found[lift] >= min_lift]
    pairs = {frozenset((a, b)) for a, b in zip(kept["antecedent"], kept["consequent"], strict=True)}
    return pd.Series(
        {
            "pairs": len(pairs),
            "planted_found": len(pairs & planted),
            "planted": len(planted),
            "spurious": len(pairs - planted),
        }
    )
