"""Adherence (依从性) from the pharmacy's refills: the proportion of days covered (PDC).

A patient's PDC over a window is the share of its days on which they had medicine: each fill
covers ``days_supply`` days from the day it was dispensed, and a refill bought before the last
supply ran out starts when it does (the usual method: the Pharmacy Quality Alliance's). A
patient is called adherent at a PDC of 0.8 or more::

    covered = adherence.pdc(pharma["refills"], programme.set_index("patient_id")["index_date"])
    (covered >= adherence.ADHERENT).mean()
"""

from __future__ import annotations

import pandas as pd

#: The usual threshold of adherence: a PDC of at least 0.8.
ADHERENT = 0.8


def pdc(refills: pd.DataFrame, start, days: int = 180) -> pd.Series:
    """Each patient's proportion of days covered in the ``days`` days from ``start`` (one
    date for everyone, or a Series of dates indexed by patient_id), from ``refills``
    (``patient_id``, ``dispensed_on``, ``days_supply``). With a Series the result has its
    patients, 0 for those without a fill that covers the window; with one date, every
    patient in ``refills``."""
    fills = refills[["patient_id", "dispensed_on", "days_supply"]].sort_values(
        ["patient_id", "dispensed_on"], kind="stable"
    )
    who = fills["patient_id"]
    supply = fills["days_supply"].astype("int64")
    day = (fills["dispensed_on"] - pd.Timestamp("1970-01-01")).dt.days
    # a fill starts when it is dispensed or when the supply before it runs out, whichever is
    # later: with S the supplies summed, its end is S + the running maximum of day - S before
    supplied = supply.groupby(who).cumsum()
    end = supplied + (day - (supplied - supply)).groupby(who).cummax()
    begin = end - supply
    if isinstance(start, pd.Series):
        first = (pd.to_datetime(start) - pd.Timestamp("1970-01-01")).dt.days
        first = first.reindex(who).to_numpy()
        patients = start.index
    else:
        first = (pd.Timestamp(start) - pd.Timestamp("1970-01-01")).days
        patients = pd.Index(who.unique(), name="patient_id")
    covered = (end.clip(upper=first + days) - begin.clip(lower=first)).clip(lower=0)
    share = covered.groupby(who).sum().reindex(patients, fill_value=0) / days
    return share.rename("pdc").rename_axis("patient_id")
