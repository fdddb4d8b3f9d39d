"""The automaker's owners (case C4): the cars on record, whether they come back to the brand's
workshops after the warranty ends, and how long they keep a car before buying the next one.

Every function reads what the company's database holds up to an as-of date::

    fleet = ownership.cars(auto)                     # each owner's latest car, its age, visits
    ownership.retention(fleet)                       # serviced in the last year, by car age
    cycle = ownership.replacement_times(auto)        # years to the next car of the brand
    ownership.kaplan_meier(cycle)                    # the share still not replaced, by age

A car replaced by another brand's leaves no trace in the database: its owner simply stops
coming. That is why replacement times are *censored* (the owner has not bought again yet, as
far as the brand knows) and are read with a survival curve, not an average.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from generator.industries.auto import SPEC

#: Years of the basic warranty (the brand's workshops do its work for free).
WARRANTY_YEARS = SPEC["service"]["warranty_years"]

_YEAR = 365.25


def cars(ds, as_of=None) -> pd.DataFrame:
    """Each owner's latest car bought on or before ``as_of`` (default the build's as-of date),
    one row each by ``vin``: the customer, model, dealer and day of the sale, ``age_years`` on
    ``as_of``, ``in_warranty``, the visits to the brand's workshops in the last 365 days
    (``visits_12m``; ``serviced_12m``: at least one maintenance or first service) and the day
    of the last visit."""
    as_of = ds.as_of if as_of is None else pd.Timestamp(as_of)
    sales = ds["sales"]
    sales = sales[sales["sold_on"] <= as_of].sort_values(["customer_id", "sold_on", "sale_id"])
    latest = sales.groupby("customer_id").last().reset_index().set_index("vin")
    visits = ds["service_visits"]
    visits = visits[visits["visited_on"] <= as_of]
    year = visits[visits["visited_on"] > as_of - pd.Timedelta(days=365)]
    service = year[year["service_type"].astype(str) != "repair"]
    age = (as_of - latest["sold_on"]).dt.days / _YEAR
    return pd.DataFrame(
        {
            "customer_id": latest["customer_id"],
            "model_id": latest["model_id"],
            "dealer_id": latest["dealer_id"],
            "sold_on": latest["sold_on"],
            "age_years": age,
            "in_warranty": age < WARRANTY_YEARS,
            "visits_12m": year.groupby("vin").size().reindex(latest.index, fill_value=0),
            "serviced_12m": latest.index.isin(service["vin"]),
            "last_visit": visits.groupby("vin")["visited_on"].max().reindex(latest.index),
        }
    )


def retention(fleet: pd.DataFrame, max_age: int = 10) -> pd.DataFrame:
    """Service retention (售后保留率) by the car's age in whole years (up to ``max_age``): the
    cars of :func:`cars` and the share serviced at the brand's workshops in the last 365 days.
    Cars younger than one year are left out (their first service may not be due)."""
    years = np.floor(fleet["age_years"]).astype(int).clip(upper=max_age)
    mine = fleet[years >= 1]
    group = mine.groupby(years[years >= 1].rename("age_years"))
    return pd.DataFrame(
        {
            "cars": group.size(),
            "serviced_share": group["serviced_12m"].mean(),
            "in_warranty": group["in_warranty"].mean(),
        }
    )


def replacement_times(ds, as_of=None) -> pd.DataFrame:
    """Each car sold on or before ``as_of``, one row by ``vin``: ``years`` to its owner's next
    car of the brand (``replaced`` True), or, if they have not bought one yet, to ``as_of``
    (``replaced`` False: censored). Cars of owners first recorded from a warranty card are in
    too; a car replaced by another brand's looks like one not replaced yet."""
    as_of = ds.as_of if as_of is None else pd.Timestamp(as_of)
    sales = ds["sales"]
    sales = sales[sales["sold_on"] <= as_of].sort_values(["customer_id", "sold_on", "sale_id"])
    following = sales.groupby("customer_id")["sold_on"].shift(-1)
    replaced = following.notna()
    end = following.where(replaced, as_of)
    return pd.DataFrame(
        {
            "customer_id": sales["customer_id"].to_numpy(),
            "sold_on": sales["sold_on"].to_numpy(),
            "years": ((end - sales["sold_on"]).dt.days / _YEAR).round(3).to_numpy(),
            "replaced": replaced.to_numpy(),
        },
        index=pd.Index(sales["vin"].to_numpy(), name="vin"),
    )


def kaplan_meier(times: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan–Meier estimate (statsmodels) of the share of cars not yet replaced by the
    brand at each age, from :func:`replacement_times`: ``years`` and ``not_replaced``, with a
    95 % interval (``low``, ``high``)."""
    fit = SurvfuncRight(times["years"].to_numpy(), times["replaced"].to_numpy().astype(int))
    low, high = _pointwise(fit)
    return pd.DataFrame(
        {
            "years": fit.surv_times,
            "not_replaced": fit.surv_prob,
            "low": low,
            "high": high,
        }
    )


def _pointwise(fit) -> tuple[np.ndarray, np.ndarray]:
    """A pointwise 95 % interval of the survival curve (Greenwood's standard error)."""
    se = fit.surv_prob_se
    return np.clip(fit.surv_prob - 1.96 * se, 0, 1), np.clip(fit.surv_prob + 1.96 * se, 0, 1)
