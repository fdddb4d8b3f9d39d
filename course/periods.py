"""Time windows, defined once: what "the last N days" means in every notebook and check.

A database ends on its as-of date (``ds.as_of``, the last day of its data). The course counts
"the last 90 days" as the 90 calendar days that end on the as-of date, both ends included: from
``as_of - 89 days`` to ``as_of``. The same rule gives the RFM model's 365-day window and every
"bought in the last N days" of a campaign list, so a student who follows one chapter is never
told they are wrong in the next::

    start = periods.window_start(ds.as_of, 90)       # the window's first day
    recent = periods.in_window(receipts["timestamp"], ds.as_of, 90)
    active = periods.active_customers(receipts, ds.as_of)
    recency_days < periods.ACTIVE_DAYS               # the same customers, from recency

In SQL the first day is ``date(:as_of, '-89 days')``: :func:`sql_window_start` writes it.
"""

from __future__ import annotations

import pandas as pd

#: A customer is *active* with a receipt in this many days up to the as-of date.
ACTIVE_DAYS = 90


def window_start(as_of, days: int) -> pd.Timestamp:
    """The first day of the ``days`` days that end on ``as_of`` (both included)."""
    if days < 1:
        raise ValueError(f"a window has at least one day, not {days}")
    return pd.Timestamp(as_of).normalize() - pd.Timedelta(days=days - 1)


def in_window(timestamps: pd.Series, as_of, days: int) -> pd.Series:
    """True for each timestamp whose day is one of the ``days`` days that end on ``as_of``."""
    day = pd.to_datetime(timestamps).dt.normalize()
    return (day >= window_start(as_of, days)) & (day <= pd.Timestamp(as_of).normalize())


def active_customers(receipts: pd.DataFrame, as_of, days: int = ACTIVE_DAYS) -> pd.Index:
    """The customers with a receipt (``timestamp``, ``customer_id``) in the last ``days``
    days up to ``as_of``, each once, in ascending order."""
    recent = receipts.loc[in_window(receipts["timestamp"], as_of, days), "customer_id"]
    return pd.Index(recent.unique(), name="customer_id").sort_values()


def is_active(recency_days: pd.Series, days: int = ACTIVE_DAYS) -> pd.Series:
    """The same rule read from recency (days since the latest receipt): fewer than ``days``.

    A customer whose latest receipt is on the window's first day has a recency of
    ``days - 1``. Customers who never bought (missing recency) are not active.
    """
    return (recency_days < days).fillna(False).astype(bool)


def age_on(birth_dates: pd.Series, day) -> pd.Series:
    """Age in whole years on ``day``: one less than the difference of the years until the
    birthday has come."""
    day = pd.Timestamp(day)
    before_birthday = birth_dates.dt.strftime("%m-%d") > day.strftime("%m-%d")
    return day.year - birth_dates.dt.year - before_birthday.astype(int)


def month_ends(as_of, months: int = 12) -> list[pd.Timestamp]:
    """The last ``months`` month ends on or before ``as_of``, oldest first."""
    return list(pd.date_range(end=pd.Timestamp(as_of).normalize(), periods=months, freq="ME"))


def sql_window_start(days: int, as_of: str = ":as_of") -> str:
    """The window's first day in SQLite, e.g. ``date(:as_of, '-89 days')`` for 90 days."""
    if days < 1:
        raise ValueError(f"a window has at least one day, not {days}")
    return f"date({as_of}, '-{days - 1} days')"
