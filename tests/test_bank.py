"""The bank database: integrity, and the lessons it must teach, on three builds.

The default dataset (committed under datasets/) and the run's other builds: another seed, and zh_CN.
"""

import sqlite3

import numpy as np
import pandas as pd
import pytest

from conftest import BUILDS, assert_database_intact, course_data, empty_database

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module", params=BUILDS)
def data(request, other_data_builds, tmp_path_factory):
    return course_data("bank", request.param, other_data_builds, tmp_path_factory)


@pytest.fixture(scope="module")
def frames(data):
    """Transactions with their account's holder, product type and dates; accounts likewise."""
    accounts = data["accounts"].merge(data["products"][["product_id", "product_type"]])
    t = data["transactions"].merge(
        accounts[["account_id", "customer_id", "product_type", "opened_on", "closed_on"]],
        on="account_id",
    )
    return t, accounts


def _cents(values: pd.Series) -> pd.Series:
    return (values * 100).round().astype("int64")


# ---------------------------------------------------------------- integrity


def test_sqlite_keys_and_constraints_hold(data):
    assert_database_intact(data)


def test_the_database_refuses_a_bad_row(data, tmp_path):
    db = empty_database(data, tmp_path)
    db.execute("INSERT INTO branches VALUES (1, 'x', 'y', 'z', '2020-01-01', 10)")
    with pytest.raises(sqlite3.IntegrityError):  # not a date
        db.execute("INSERT INTO branches VALUES (2, 'x', 'y', 'z', '31/12/2024', 10)")
    with pytest.raises(sqlite3.IntegrityError):  # no such account
        db.execute("INSERT INTO transactions VALUES (1, 99, '2024-01-01', 'fee', 'system', -1.0)")
    with pytest.raises(sqlite3.IntegrityError):  # not a kind of transaction
        db.execute("INSERT INTO transactions VALUES (1, 99, '2024-01-01', 'gift', 'system', 1.0)")


def test_rows_match_the_manifest(data):
    for table in data:
        assert len(data[table]) == data.manifest["rows"][table], table


def test_no_activity_outside_each_customers_life(data, frames):
    t, accounts = frames
    customers = data["customers"].set_index("customer_id")
    truth = data.truth("customer_truth").set_index("customer_id")
    assert (accounts.opened_on >= accounts.customer_id.map(customers.registered_on)).all()
    assert (t.booked_on >= t.customer_id.map(customers.registered_on)).all()
    assert (t.booked_on <= data.as_of).all()
    assert not (t.booked_on > t.customer_id.map(truth.stopped_on)).any()
    assert not (accounts.opened_on > accounts.customer_id.map(truth.stopped_on)).any()


def test_no_contact_on_a_refused_channel(data):
    contacts = data["campaign_contacts"].merge(data["customers"], on="customer_id")
    consent = np.select(
        [contacts.channel == c for c in ("mail", "email", "sms", "phone")],
        [contacts[f"consent_{c}"] for c in ("mail", "email", "sms", "phone")],
    )
    assert consent.astype(bool).all()
    treated = contacts.test_group == "treatment"
    assert contacts.sent_on[treated].notna().all()
    assert contacts.sent_on[~treated].isna().all()
    phone = contacts.channel == "phone"
    assert contacts.call_seconds[phone & treated].notna().all()
    assert contacts.call_seconds[~(phone & treated)].isna().all()


# ---------------------------------------------------------------- must hold


def test_every_month_end_balance_reconciles_to_the_cent(data, frames):
    """The account must always balance: opening balance + its transactions = each balance."""
    t, accounts = frames
    balances = data["monthly_balances"]
    t = t.assign(cents=_cents(t.amount), month_end=t.booked_on + pd.offsets.MonthEnd(0))
    moved = t.groupby(["account_id", "month_end"]).cents.sum()
    running = moved.groupby(level="account_id").cumsum().rename("moved").reset_index()
    check = pd.merge_asof(
        balances.sort_values("month_end"),
        running.sort_values("month_end"),
        on="month_end",
        by="account_id",
    )
    opening = check.account_id.map(accounts.set_index("account_id").opening_balance)
    expected = _cents(opening) + check.moved.fillna(0).astype("int64")
    assert len(check) > 0 and (expected == _cents(check.balance)).all()
    # and a closed account was emptied (or paid off) to the cent
    final = _cents(accounts.opening_balance) + accounts.account_id.map(
        t.groupby("account_id").cents.sum()
    ).fillna(0).astype("int64")
    assert (final[accounts.closed_on.notna()] == 0).all()


def test_no_transaction_on_a_closed_or_not_yet_opened_account(frames):
    t, _ = frames
    assert (t.booked_on >= t.opened_on).all()
    assert not (t.booked_on > t.closed_on).any()


def test_product_holding_depends_on_age_and_income(data, frames):
    _, accounts = frames
    customers = data["customers"].set_index("customer_id")
    age = (data.as_of - customers.birth_date).dt.days / 365.25
    held = pd.crosstab(accounts.customer_id, accounts.product_type) > 0
    held = held.reindex(customers.index, fill_value=False)
    young, middle = age < 28, (age >= 35) & (age < 55)
    assert held.mortgage[young].mean() < 0.3 * held.mortgage[middle].mean()
    high, low = customers.income_band == "high", customers.income_band == "low"
    assert held.fund[high].mean() > 2 * held.fund[low].mean()
    assert held.term_deposit[age >= 60].mean() > 2 * held.term_deposit[age < 30].mean()


def test_leavers_close_every_account_and_fade_first(data, frames):
    t, accounts = frames
    stopped = data.truth("customer_truth").set_index("customer_id").stopped_on
    all_closed = accounts.groupby("customer_id").closed_on.apply(lambda s: s.notna().all())
    share = all_closed.mean()
    assert 0.05 <= share <= 0.35
    assert (all_closed == stopped.reindex(all_closed.index).notna()).all()
    # transactions a month in the last quarter before closing vs months 7-12 before
    leaving = t[t.customer_id.map(stopped).notna()]
    months_before = (leaving.customer_id.map(stopped) - leaving.booked_on).dt.days // 30.44
    old = stopped[stopped - pd.DateOffset(months=13) >= data.as_of - pd.DateOffset(years=3)]
    recent = leaving[leaving.customer_id.isin(old.index)]
    months_before = months_before[recent.index]
    last_quarter = (months_before < 3).sum() / 3
    year_before = ((months_before >= 6) & (months_before < 12)).sum() / 6
    assert last_quarter < 0.75 * year_before


def test_term_deposit_phone_campaign_measures_its_true_uplift(data):
    campaigns = data["campaigns"]
    call = campaigns[(campaigns.product_type == "term_deposit") & (campaigns.channel == "phone")]
    assert len(call) == 1
    campaign = call.campaign_id.iloc[0]
    contacts = data["campaign_contacts"]
    contacts = contacts[contacts.campaign_id == campaign]
    outcomes = data["campaign_outcomes"]
    outcomes = outcomes[outcomes.campaign_id == campaign]
    responded = contacts.customer_id.isin(outcomes.customer_id).astype(float)
    treated = responded[contacts.test_group == "treatment"]
    control = responded[contacts.test_group == "control"]
    assert 0.05 <= treated.mean() <= 0.15
    truth = data.truth("campaign_truth")
    truth = truth[truth.campaign_id == campaign]
    assert truth.uplift.notna().all() and len(truth) == len(contacts)
    difference = treated.mean() - control.mean()
    se = np.sqrt(treated.var() / len(treated) + control.var() / len(control))
    assert abs(difference - truth.uplift.mean()) <= 3 * se
    assert difference > 2 * se  # visible with its control group at this size


# ---------------------------------------------------------------- lessons


def test_the_top_fifth_hold_most_of_the_deposits(data, frames):
    _, accounts = frames
    balances = data["monthly_balances"]
    last = balances[balances.month_end == balances.month_end.max()].merge(accounts)
    deposits = last[last.product_type.isin(["current", "savings", "term_deposit"])]
    per_customer = deposits.groupby("customer_id").balance.sum().sort_values(ascending=False)
    assert per_customer.iloc[: len(per_customer) // 5].sum() / per_customer.sum() > 0.5


def test_customers_hold_one_or_several_products(frames):
    _, accounts = frames
    products = accounts.groupby("customer_id").product_type.nunique()
    assert 0.2 <= (products == 1).mean() <= 0.5
    assert (products >= 3).mean() >= 0.2


def test_deposit_accounts_never_go_overdrawn(data, frames):
    _, accounts = frames
    balances = data["monthly_balances"].merge(accounts)
    deposit = balances.product_type.isin(["current", "savings", "term_deposit", "fund"])
    assert (balances.balance[deposit] >= 0).all()
    assert (balances.balance[balances.product_type == "mortgage"] < 0).all()


# ---------------------------------------------------------------- locale


def test_names_and_money_fit_the_locale(data):
    customers = data["customers"]
    if data.manifest["parameters"]["locale"] == "zh_CN":
        assert customers.family_name.str.fullmatch(r"[\u4e00-\u9fff]{1,2}").all()
        assert customers.phone.str.fullmatch(r"14[0-4]\d{8}").all()
        assert data["products"].name.str.contains(r"[\u4e00-\u9fff]").all()
        assert data["branches"].name.str.contains("银行").all()
    else:
        assert customers.phone.str.fullmatch(r"\(\d{3}\) 555-01\d\d").all()
        assert (customers.region == "OH").all()
        assert data["products"].name.str.fullmatch(r"[ -~]+").all()
    for table, column in [("transactions", "amount"), ("monthly_balances", "balance")]:
        values = data[table][column]
        assert (_cents(values) == values * 100).all() or np.allclose(
            _cents(values) / 100, values, atol=1e-9
        )


def test_loaded_tables_have_proper_types(data):
    t = data["transactions"]
    assert t.booked_on.dtype.kind == "M" and data["accounts"].closed_on.dtype.kind == "M"
    assert isinstance(t.kind.dtype, pd.CategoricalDtype)
    assert t.amount.dtype == "float64" and t.account_id.dtype == "int64"
    assert data["customers"].consent_phone.dtype == bool
    with pytest.raises(KeyError, match="ground truth"):
        data["customer_truth"]
