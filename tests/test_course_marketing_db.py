"""Chapter 01: the marketing table, its snapshots and the single customer view (retail data)."""

import numpy as np
import pandas as pd
import pytest

from course import marketing_db as mdb

from conftest import industry_build


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return industry_build("retail", "default", None, tmp_path_factory)


@pytest.fixture(scope="module")
def marketing(ds):
    return mdb.marketing_table(ds)


@pytest.fixture(scope="module")
def earlier(ds):
    """A date well inside the history, not a month end."""
    return ds.as_of - pd.Timedelta(days=400)


def test_one_row_per_customer_in_order(ds, marketing):
    assert list(marketing.columns) == list(mdb.COLUMNS)
    assert marketing["customer_id"].tolist() == sorted(ds["customers"]["customer_id"])
    assert {c: str(t) for c, t in marketing.dtypes.items()} == mdb.COLUMNS


def test_totals_reconcile_with_the_operational_tables(ds, marketing):
    receipts, points = ds["transactions"], ds["loyalty_points"]
    assert marketing["transactions"].sum() == len(receipts)
    assert marketing["sales"].sum() == pytest.approx(receipts["total"].sum(), rel=1e-12)
    assert marketing["points_balance"].sum() == points["points"].sum()
    contacts = ds["campaign_contacts"]
    treated = contacts[contacts["test_group"] == "treatment"]
    assert marketing["campaigns_contacted"].sum() == len(treated)  # every result is in
    assert marketing["campaigns_responded"].sum() == treated["responded"].sum()
    np.testing.assert_allclose(marketing["lifetime_value"], mdb.GROSS_MARGIN * marketing["sales"])


def test_one_customer_by_hand(ds, marketing):
    receipts = ds["transactions"]
    customer = receipts["customer_id"].value_counts().idxmax()
    mine = receipts[receipts["customer_id"] == customer]
    row = marketing.set_index("customer_id").loc[customer]
    days = mine["timestamp"].dt.normalize()
    assert row["first_purchase"] == days.min() and row["last_purchase"] == days.max()
    assert row["recency_days"] == (ds.as_of - days.max()).days
    in_year = days > ds.as_of - pd.Timedelta(days=365)
    assert row["frequency_12m"] == in_year.sum()
    assert row["monetary_12m"] == pytest.approx(mine.loc[in_year, "total"].sum())
    birth = ds["customers"].set_index("customer_id").loc[customer, "birth_date"]
    age = ds.as_of.year - birth.year - ((ds.as_of.month, ds.as_of.day) < (birth.month, birth.day))
    assert row["age"] == age


def test_rfm_fields_are_consistent(marketing):
    never = marketing["transactions"] == 0
    assert never.any()  # the default data has members who never bought
    assert marketing.loc[never, "recency_days"].isna().all()
    assert marketing.loc[never, "first_purchase"].isna().all()
    assert (marketing.loc[never, ["sales", "frequency_12m", "monetary_12m"]] == 0).all().all()
    bought = marketing[~never]
    assert (bought["recency_days"] >= 0).all()
    assert (bought["frequency_12m"] <= bought["transactions"]).all()
    assert (bought["monetary_12m"] <= bought["sales"] + 1e-9).all()
    assert (bought["first_purchase"] >= bought["registered_on"]).all()
    assert (marketing["points_balance"] >= 0).all()
    assert (marketing["campaigns_responded"] <= marketing["campaigns_contacted"]).all()


def test_sql_and_pandas_give_the_same_table(ds, marketing, earlier):
    pd.testing.assert_frame_equal(mdb.marketing_table_sql(ds), marketing)
    pd.testing.assert_frame_equal(
        mdb.marketing_table_sql(ds, earlier), mdb.marketing_table(ds, earlier)
    )


def test_an_earlier_table_knows_only_the_past(ds, earlier):
    then = mdb.marketing_table(ds, earlier)
    customers = ds["customers"]
    assert len(then) == (customers["registered_on"] <= earlier).sum()
    assert (then["last_purchase"].dropna() <= earlier).all()
    receipts = ds["transactions"]
    known = receipts[receipts["timestamp"] < earlier + pd.Timedelta(days=1)]
    assert then["transactions"].sum() == len(known)
    campaigns = ds["campaigns"]
    done = campaigns["launched_on"] + pd.to_timedelta(campaigns["response_days"], unit="D")
    contacts = ds["campaign_contacts"]
    treated = contacts[
        (contacts["test_group"] == "treatment")
        & contacts["campaign_id"].isin(campaigns.loc[done <= earlier, "campaign_id"])
    ]
    assert then["campaigns_contacted"].sum() == len(treated)


def test_snapshots_keep_one_table_per_month_end(ds, marketing):
    dates = mdb.month_ends(ds, 3)
    assert dates[-1] <= ds.as_of and len(dates) == 3
    assert all(d.is_month_end for d in dates) and dates == sorted(dates)
    history = mdb.snapshots(ds, dates)
    assert list(history.columns) == ["snapshot", *mdb.COLUMNS]
    assert history["snapshot"].drop_duplicates().tolist() == dates
    last = history[history["snapshot"] == dates[-1]].drop(columns="snapshot")
    pd.testing.assert_frame_equal(last.reset_index(drop=True), mdb.marketing_table(ds, dates[-1]))
    growing = history.groupby("snapshot")["transactions"].sum()
    assert growing.is_monotonic_increasing


def test_codes_by_system_lists_the_database_and_each_source(ds):
    codes = mdb.codes_by_system(ds, "gender")
    assert codes.loc[0, "system"].startswith("customers")
    assert codes.loc[0, "values (records)"].count("(") == 2  # F and M only
    assert set(codes["system"][1:]) == {s["name"] for s in ds.systems if "fields" in s}
    assert ds.currency == "USD"


def test_customer_view_gathers_every_table(ds, marketing):
    contacts = ds["campaign_contacts"]
    customer = int(contacts["customer_id"].value_counts().idxmax())
    view = mdb.customer_view(ds, customer, marketing, receipts=3)
    assert view.profile["customer_id"] == customer
    assert view.marketing["customer_id"] == customer
    assert len(view.receipts) == 3
    assert view.receipts["timestamp"].is_monotonic_decreasing
    latest = ds["transactions"].query("customer_id == @customer")["timestamp"].max()
    assert pd.Timestamp(view.receipts["timestamp"].iloc[0]) == latest
    assert len(view.campaigns) == (contacts["customer_id"] == customer).sum()
    complaints = ds["complaints"]
    assert len(view.complaints) == (complaints["customer_id"] == customer).sum()
    page = view.html()
    assert view.name in page and "Latest receipts" in page and "NaT" not in page
    with pytest.raises(KeyError):
        mdb.customer_view(ds, marketing["customer_id"].max() + 1, marketing)


def test_customer_view_of_a_member_who_never_bought(ds, marketing):
    never = int(marketing.loc[marketing["transactions"] == 0, "customer_id"].iloc[0])
    view = mdb.customer_view(ds, never, marketing)
    assert view.receipts.empty
    assert "No receipts." in view.html()


def test_example_customers_follow_their_rules(marketing):
    examples = mdb.example_customers(marketing)
    ids = list(examples.values())
    assert ids[0] == marketing.loc[marketing["lifetime_value"].idxmax(), "customer_id"]
    assert len(set(ids)) == len(ids) >= 4
    assert all(f"#{i})" in label for label, i in examples.items())
    lapsed = next(i for label, i in examples.items() if label.startswith("lapsed"))
    assert marketing.set_index("customer_id").loc[lapsed, "recency_days"] > 180


def test_the_explorer_shows_the_customer_picked(ds, marketing):
    explorer = mdb.customer_explorer(ds, marketing)
    (picker, number), view = explorer.children[0].children, explorer.children[1]
    first = picker.value
    assert first == number.value == next(iter(mdb.example_customers(marketing).values()))
    assert f"Customer {first}:" in view.value
    other = picker.options[1][1]
    picker.value = other
    assert number.value == other and f"Customer {other}:" in view.value
    number.value = int(marketing["customer_id"].max()) + 1
    assert "No customer" in view.value
    number.value = first
    assert picker.value == first and f"Customer {first}:" in view.value
