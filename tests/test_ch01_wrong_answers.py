"""Chapter 01's checks tell right from wrong on the default data: plausible wrong answers, written
the way a student would write them (named mistakes or not), are all refused, and the data hold the
cases that separate them (receipts on a window's first day, on the day before, on the as-of date).

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import numpy as np
import pandas as pd
import pytest

import generator
from course import periods
from course.checking import answer_key
from course.checks import ch01

from conftest import refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def ds():
    return generator.load("retail")


@pytest.fixture(scope="module")
def params(ds):
    return {"as_of": f"{ds.as_of:%Y-%m-%d}"}


# ---------------------------------------------------------------- task 1: active customers


def test_active_customers_refuses_every_window_but_the_courses(ds):
    receipts = ds["transactions"]
    as_of = ds.as_of
    right, _ = answer_key(ch01.active_customers)
    assert right == len(periods.active_customers(receipts, as_of))
    for first_day in (as_of - pd.Timedelta(days=90), as_of - pd.Timedelta(days=88)):
        wrong = receipts.loc[receipts["timestamp"] >= first_day, "customer_id"].nunique()
        assert "first day" in refused(ch01.active_customers, wrong)
    start = periods.window_start(as_of, 90)
    until_midnight = receipts["timestamp"].between(start, as_of)  # drops the as-of date
    assert refused(ch01.active_customers, receipts.loc[until_midnight, "customer_id"].nunique())


# ---------------------------------------------------------------- task 3: sales per category


CATEGORY_SALES = """
    SELECT p.category, {value} AS sales
    FROM transaction_items AS i
    JOIN transactions AS t USING (transaction_id)
    JOIN products AS p USING (product_id)
    WHERE {window}
    GROUP BY p.category
"""
RIGHT_WINDOW = "date(t.timestamp) >= date(:as_of, '-364 days')"


def category_sales(ds, params, value="SUM(i.amount)", window=RIGHT_WINDOW):
    return ds.sql(CATEGORY_SALES.format(value=value, window=window), params)


def test_category_sales_accepts_the_query_in_sql(ds, params, capsys):
    ch01.category_sales(category_sales(ds, params))
    ch01.category_sales(category_sales(ds, params).set_index("category")["sales"])
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize(
    "value, window, says",
    [
        ("SUM(t.total)", RIGHT_WINDOW, "once for every line"),
        ("COUNT(*)", RIGHT_WINDOW, "number of receipt lines"),
        ("SUM(i.quantity * i.unit_price)", RIGHT_WINDOW, "before coupon discounts"),
        ("SUM(i.amount)", "date(t.timestamp) >= date(:as_of, '-365 days')", "366 days"),
        ("SUM(i.amount)", "date(t.timestamp) > date(:as_of, '-364 days')", "use >=, not >"),
        ("SUM(i.amount)", "t.timestamp BETWEEN date(:as_of, '-364 days') AND :as_of", "as-of"),
        ("SUM(i.amount)", "t.timestamp <= :as_of AND " + RIGHT_WINDOW, "as-of date"),
        ("SUM(i.amount)", "1", "last 365 days"),
    ],
)
def test_category_sales_refuses_each_sql_mistake(ds, params, value, window, says):
    assert says in refused(ch01.category_sales, category_sales(ds, params, value, window))


def test_category_sales_refuses_the_wrong_grouping(ds, params):
    by_product = ds.sql(
        "SELECT product_id AS category, SUM(amount) AS sales FROM transaction_items "
        "JOIN transactions USING (transaction_id) WHERE date(timestamp) >= date(:as_of, "
        "'-364 days') GROUP BY product_id",
        params,
    )
    assert "rows" in refused(ch01.category_sales, by_product)


# ---------------------------------------------------------------- task 4: campaign response


def test_campaign_response_refuses_whole_number_division_and_swapped_groups(ds):
    whole = ds.sql("""
        SELECT campaign_id,
               SUM(CASE WHEN test_group = 'treatment' THEN responded ELSE 0 END)
                 / SUM(test_group = 'treatment') AS treatment_rate,
               SUM(CASE WHEN test_group = 'control' THEN responded ELSE 0 END)
                 / SUM(test_group = 'control') AS control_rate
        FROM campaign_contacts GROUP BY campaign_id
    """)
    assert (whole[["treatment_rate", "control_rate"]] == 0).all().all()  # SQLite's trap
    assert "integer divided by an integer" in refused(ch01.campaign_response, whole)
    right, _ = answer_key(ch01.campaign_response)
    swapped = right.rename(
        columns={"treatment_rate": "control_rate", "control_rate": "treatment_rate"}
    )
    assert refused(ch01.campaign_response, swapped)


# ---------------------------------------------------------------- task 6: e-mail targets


@pytest.fixture(scope="module")
def detergent_lines(ds):
    products = ds["products"]
    detergent = products.loc[products["category"] == "detergent", "product_id"]
    items = ds["transaction_items"]
    lines = items[items["product_id"].isin(detergent)].merge(
        ds["transactions"], on="transaction_id"
    )
    customers = ds["customers"]
    consenting = customers.loc[customers["consent_email"], "customer_id"]
    return lines[lines["customer_id"].isin(consenting)].assign(
        day=lambda f: f["timestamp"].dt.normalize()
    )


def test_the_data_separate_the_target_windows(ds, detergent_lines):
    """Consenting detergent buyers whose last detergent receipt falls on the window's first day,
    on the day before it and on the as-of date: without them a check could not tell a 29-, 30-
    or 31-day window, a strict `>` or a `timestamp <= as_of` apart."""
    last = detergent_lines.groupby("customer_id")["day"].max()
    start = periods.window_start(ds.as_of, ch01.TARGET_DAYS)
    assert (last == start).sum() > 0
    assert (last == start - pd.Timedelta(days=1)).sum() > 0
    assert (last == ds.as_of.normalize()).sum() > 0


def test_email_targets_refuses_repeats_windows_and_wrong_consents(ds, detergent_lines, capsys):
    as_of = ds.as_of
    start = periods.window_start(as_of, ch01.TARGET_DAYS)
    recent = detergent_lines[detergent_lines["timestamp"] >= start]
    ch01.email_targets(recent["customer_id"].unique())
    ch01.email_targets(set(recent["customer_id"]))
    assert capsys.readouterr().out.count("correct") == 2
    assert "once for every detergent line" in refused(ch01.email_targets, recent["customer_id"])
    per_receipt = recent.drop_duplicates("transaction_id")["customer_id"]
    assert "once" in refused(ch01.email_targets, per_receipt)
    one_twice = [*recent["customer_id"].unique(), recent["customer_id"].iloc[0]]
    assert "repeats" in refused(ch01.email_targets, one_twice)
    for first_day, says in (
        (start - pd.Timedelta(days=1), "31 days"),
        (start + pd.Timedelta(days=1), "use >=, not >"),
    ):
        wrong = detergent_lines.loc[detergent_lines["timestamp"] >= first_day, "customer_id"]
        assert says in refused(ch01.email_targets, wrong.unique())
    until_midnight = detergent_lines["timestamp"].between(start, as_of)
    wrong = detergent_lines.loc[until_midnight, "customer_id"].unique()
    assert "as-of date" in refused(ch01.email_targets, wrong)
    assert refused(ch01.email_targets, recent[["customer_id"]])  # a table, not a list
    assert refused(ch01.email_targets, recent["customer_id"].astype(str).unique())


# ---------------------------------------------------------------- tasks 5 and 7


def test_half_of_sales_refuses_rounded_and_percent_answers():
    right, mistakes = answer_key(ch01.half_of_sales)
    # a rounding that is no named mistake too (0.1102 to 0.110 is also one customer too few)
    rounded = next(
        value
        for value in (round(right, 3), round(right, 2), round(right, 1))
        if value != right and all(abs(value - m) > 1e-12 for m in mistakes.values())
    )
    assert "full precision" in refused(ch01.half_of_sales, rounded)
    assert "percentage" in refused(ch01.half_of_sales, right * 100)


def test_rfm_year_earlier_refuses_customers_who_had_not_bought_and_time_of_day(ds):
    right, _ = answer_key(ch01.rfm_year_earlier)
    then = ds.as_of - pd.DateOffset(years=1)
    customers = ds["customers"]
    everyone = customers.loc[customers["registered_on"] <= then, ["customer_id"]].merge(
        right, how="left"
    )
    assert len(everyone) > len(right)  # members who had not bought by then
    assert "rows" in refused(ch01.rfm_year_earlier, everyone.fillna(0))
    receipts = ds["transactions"]
    known = receipts[receipts["timestamp"].dt.normalize() <= then]
    last = known.groupby("customer_id")["timestamp"].max()
    by_time = right.set_index("customer_id").assign(recency_days=(then - last).dt.days)
    assert "times" in refused(ch01.rfm_year_earlier, by_time.reset_index())
    shifted = right.assign(monetary_12m=right["monetary_12m"] + np.where(right.index == 0, 1, 0))
    assert refused(ch01.rfm_year_earlier, shifted)
