"""The automaker's sales funnel (case C4): leads, test drives and sales, by source and dealer,
and the prospects whose lead closed without a sale.

Every function reads what the company's database holds up to an as-of date::

    table = funnel.leads(auto)                  # one row per lead, with what followed it
    funnel.summary(table, "source")             # leads, test drives, sales, days to sale
    funnel.prospects(auto)                      # leads that closed without a sale, to follow up

A lead is *sold* when its customer bought a car within ``within`` days of it (90 by default);
only leads at least that old (``mature``) can say whether they were, so rates use those.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Pages that show a prospect shopping in earnest: building a car, pricing a loan, booking a
#: test drive.
DEEP_PAGES = ("configurator", "finance calculator", "test-drive booking")

#: Days after a lead within which a sale counts as the lead's.
SALE_DAYS = 90

#: Days from a lead (its own day included) whose page views count as its behaviour: a lead is
#: scored when they are over.
SCORE_DAYS = 3


def leads(ds, as_of=None, within: int = SALE_DAYS) -> pd.DataFrame:
    """Every lead created on or before ``as_of`` (default the build's as-of date), one row
    each by ``lead_id``: its customer, dealer, source, day and whether the customer owned a
    car of the brand; ``test_drive`` (a test drive on it by ``as_of``; ``test_drive_early``:
    in its first :data:`SCORE_DAYS` days), ``followups`` (the dealer's contacts on it) and the
    customer's page views in the lead's first :data:`SCORE_DAYS` days (``views``;
    ``deep_views`` of :data:`DEEP_PAGES`): what a score of the lead may use; ``sold`` (a car
    bought within ``within`` days, by ``as_of``), ``days_to_sale``, ``sold_early`` (within the
    :data:`SCORE_DAYS`, before a score) and ``mature`` (the lead is ``within`` days old, so
    ``sold`` is final)."""
    as_of = ds.as_of if as_of is None else pd.Timestamp(as_of)
    table = ds["leads"]
    table = table[table["created_on"] <= as_of].set_index("lead_id")
    drives = ds["test_drives"]
    drives = drives[drives["driven_on"] <= as_of]
    opened = drives["lead_id"].map(table["created_on"])
    early_drives = drives[drives["driven_on"] < opened + pd.Timedelta(days=SCORE_DAYS)]
    contacts = ds["lead_followups"]
    contacts = contacts[contacts["contacted_on"] <= as_of]
    sales = ds["sales"]
    sales = sales[sales["sold_on"] <= as_of][["customer_id", "sold_on"]]
    # the customer's first sale on or after the lead
    after = table.reset_index()[["lead_id", "customer_id", "created_on"]].merge(sales)
    after = after[after["sold_on"] >= after["created_on"]]
    first_sale = after.groupby("lead_id")["sold_on"].min().reindex(table.index)
    days = (first_sale - table["created_on"]).dt.days
    views = ds["web_page_views"][["customer_id", "viewed_at", "page"]]
    early = table.reset_index()[["lead_id", "customer_id", "created_on"]].merge(views)
    end = early["created_on"] + pd.Timedelta(days=SCORE_DAYS)
    early = early[(early["viewed_at"] >= early["created_on"]) & (early["viewed_at"] < end)]
    deep = early["page"].astype(str).isin(DEEP_PAGES)
    return table.assign(
        test_drive=table.index.isin(drives["lead_id"]),
        test_drive_early=table.index.isin(early_drives["lead_id"]),
        followups=contacts.groupby("lead_id").size().reindex(table.index, fill_value=0),
        views=early.groupby("lead_id").size().reindex(table.index, fill_value=0),
        deep_views=deep.groupby(early["lead_id"]).sum().reindex(table.index, fill_value=0),
        sold=(days < within).to_numpy(),
        days_to_sale=days.where(days < within).astype("Int64"),
        sold_early=(days < SCORE_DAYS).to_numpy(),
        mature=(table["created_on"] + pd.Timedelta(days=within) <= as_of).to_numpy(),
    )


def summary(table: pd.DataFrame, by="source") -> pd.DataFrame:
    """The funnel of :func:`leads`'s mature leads by ``by`` (a column, or columns): ``leads``,
    ``test_drive_rate``, ``sale_rate`` (sold within the window), ``sale_after_test_drive``
    (sales over test drives) and the median ``days_to_sale``."""
    mature = table[table["mature"]]
    group = mature.groupby(by, observed=True)
    out = pd.DataFrame(
        {
            "leads": group.size(),
            "test_drive_rate": group["test_drive"].mean(),
            "sale_rate": group["sold"].mean(),
            "sale_after_test_drive": mature[mature["test_drive"]]
            .groupby(by, observed=True)["sold"]
            .mean(),
            "days_to_sale": group["days_to_sale"].median().astype(float),
        }
    )
    return out.sort_values("sale_rate", ascending=False)


def prospects(ds, as_of=None, days: int = 365) -> pd.DataFrame:
    """Customers whose latest lead closed without a sale (no car bought since), that lead
    created in the last ``days`` days, one row each by ``customer_id``: the lead's columns of
    :func:`leads` and ``age_days`` (days from the lead to ``as_of``) — the prospects a dealer
    may follow up (the simulator's ``"lead follow-up"``)."""
    as_of = ds.as_of if as_of is None else pd.Timestamp(as_of)
    table = leads(ds, as_of)
    latest = table.reset_index().sort_values(["customer_id", "created_on", "lead_id"])
    latest = latest.groupby("customer_id").last()
    sales = ds["sales"]
    last_sale = sales[sales["sold_on"] <= as_of].groupby("customer_id")["sold_on"].max()
    bought = last_sale.reindex(latest.index) >= latest["created_on"]
    recent = latest["created_on"] > as_of - pd.Timedelta(days=days)
    out = latest[~bought.to_numpy() & recent.to_numpy()].drop(
        columns=["sold", "days_to_sale", "sold_early", "mature"]
    )
    out["age_days"] = (as_of - out["created_on"]).dt.days.astype(np.int64)
    return out
