"""One definition of "the last N days" (course.periods), and every place that counts active
customers or an RFM window agrees with it: the checks, the marketing table in pandas and in
SQL, and the warehouse snapshots."""

import pandas as pd
import pytest

import generator
from course import marketing_db as mdb
from course import periods
from course.checking import answer_key
from course.checks import ch01

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def retail():
    return generator.load("retail")


@pytest.fixture(scope="module")
def marketing(retail):
    return mdb.marketing_table(retail)


def test_the_last_90_days_end_on_the_as_of_date_and_number_90():
    as_of = pd.Timestamp("2025-12-31 23:59")
    assert periods.window_start(as_of, 90) == pd.Timestamp("2025-10-03")
    days = pd.Series(pd.date_range("2025-09-01", "2026-01-05", freq="D"))
    inside = periods.in_window(days, as_of, 90)
    assert inside.sum() == 90
    assert days[inside].min() == pd.Timestamp("2025-10-03")
    assert days[inside].max() == pd.Timestamp("2025-12-31")
    assert periods.sql_window_start(90) == "date(:as_of, '-89 days')"
    with pytest.raises(ValueError, match="at least one day"):
        periods.window_start(as_of, 0)


def test_every_count_of_active_customers_agrees(retail, marketing):
    by_receipts = len(periods.active_customers(retail["transactions"], retail.as_of))
    by_recency = int(periods.is_active(marketing["recency_days"]).sum())
    by_sql = retail.sql(
        "SELECT COUNT(DISTINCT customer_id) AS n FROM transactions "
        f"WHERE date(timestamp) >= {periods.sql_window_start(periods.ACTIVE_DAYS)} "
        "AND date(timestamp) <= :as_of",
        {"as_of": f"{retail.as_of:%Y-%m-%d}"},
    )["n"].item()
    history = mdb.snapshots(retail, [retail.as_of])
    by_snapshot = int(periods.is_active(history["recency_days"]).sum())
    checked, _ = answer_key(ch01.active_customers)
    assert by_receipts == by_recency == by_sql == by_snapshot == checked


def test_the_rfm_window_is_the_same_rule(retail, marketing):
    receipts = retail["transactions"]
    inside = periods.in_window(receipts["timestamp"], retail.as_of, mdb.RFM_DAYS)
    assert marketing["frequency_12m"].sum() == inside.sum()
    assert marketing["monetary_12m"].sum() == pytest.approx(receipts.loc[inside, "total"].sum())


def test_a_customer_whose_last_receipt_opens_the_window_is_active():
    recency = pd.Series([0, 89, 90, None], dtype="Int64")
    assert periods.is_active(recency).tolist() == [True, True, False, False]


@pytest.mark.parametrize(
    ("as_of", "first", "last"),
    [("2025-12-31", "2025-01-31", "2025-12-31"), ("2025-06-15 13:00", "2024-06-30", "2025-05-31")],
)
def test_month_ends_are_the_last_twelve_up_to_the_as_of_date(as_of, first, last):
    ends = periods.month_ends(as_of)
    assert len(ends) == 12
    assert (ends[0], ends[-1]) == (pd.Timestamp(first), pd.Timestamp(last))
