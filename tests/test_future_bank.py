"""The bank's hidden future, margins and campaign simulator.

The 12 months after the as-of date are simulated with the same model and written only to the
truth (``_truth/future_customers``, ``_truth/future_account_openings``); every product's margin
and every channel's cost are known, so profit per customer can be computed; and
``generator.simulate`` runs a product offer on any list of customers against a random control.
"""

import numpy as np
import pandas as pd
import pytest

import generator
from generator.population import FUTURE_MONTHS
from generator.simulator import CampaignError

from conftest import ROOT, callable_without_a_deposit

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

OFFER = {"product_type": "term_deposit", "channel": "phone"}
# net interest margin: FDIC-insured institutions 2023, Chinese commercial banks Q4 2024
NIM = {"en_US": (0.033, (0.02, 0.045)), "zh_CN": (0.0152, (0.01, 0.02))}


@pytest.fixture(scope="module")
def bank():
    return generator.load("bank", ROOT / "datasets")


@pytest.fixture(scope="module")
def bank_zh(tmp_path_factory):
    out = tmp_path_factory.mktemp("bank_zh")
    generator.build(["bank"], out, seed=2024, locale="zh_CN", customers=3000, formats=("parquet",))
    return generator.load("bank", out)


@pytest.fixture(scope="module", params=["en_US", "zh_CN"])
def both(request, bank, bank_zh):
    return bank if request.param == "en_US" else bank_zh


@pytest.fixture(scope="module")
def callable_ids(bank):
    return callable_without_a_deposit(bank)


@pytest.fixture(scope="module")
def outcome(bank, callable_ids):
    return generator.simulate(bank, OFFER, callable_ids, holdout=0.5)


# ---------------------------------------------------------------- the hidden future


def test_the_future_begins_after_the_as_of_date_and_lasts_a_year(both):
    end = both.as_of + pd.DateOffset(months=FUTURE_MONTHS)
    opened = both.truth("future_account_openings").opened_on
    leaves = both.truth("future_customers").leaves_on.dropna()
    assert opened.min() > both.as_of and opened.max() <= end
    assert leaves.min() > both.as_of and leaves.max() <= end
    assert both["transactions"].booked_on.max() <= both.as_of
    assert both["accounts"].opened_on.max() <= both.as_of
    assert both["accounts"].closed_on.max() <= both.as_of
    assert both["monthly_balances"].month_end.max() <= both.as_of
    balances = both.truth("future_monthly_balances")
    assert balances.month_end.min() > both.as_of and balances.month_end.max() <= end
    lines = both.truth("future_transactions")
    assert lines.booked_on.min() > both.as_of and lines.booked_on.max() <= end
    # statement numbers go on after each account's last seen line
    last_seen = both["transactions"].groupby("account_id").transaction_id.max()
    first_future = lines.groupby("account_id").transaction_id.min()
    common = last_seen.index.intersection(first_future.index)
    assert (first_future[common] > last_seen[common]).all()
    assert balances.month_end.nunique() == FUTURE_MONTHS


def test_each_accounts_future_balances_go_on_from_the_seen_ones(both):
    """Every account open at the as-of date has a balance at each future month end until it
    closes, and the accounts opened in the future join them."""
    balances = both.truth("future_monthly_balances")
    known = set(both["accounts"].account_id) | set(both.truth("future_account_openings").account_id)
    assert set(balances.account_id) <= known
    last_seen = both["monthly_balances"].groupby("account_id").month_end.max()
    still_open = both["accounts"].set_index("account_id").closed_on.isna()
    carried = last_seen[(last_seen == last_seen.max())].index
    carried = carried[still_open.reindex(carried, fill_value=False).to_numpy()]
    first_future = balances.groupby("account_id").month_end.min()
    assert first_future.reindex(carried).notna().mean() > 0.9


def test_each_customers_future_adds_up(both):
    future = both.truth("future_customers").set_index("customer_id")
    opened = both.truth("future_account_openings")
    assert len(future) == len(both["customers"])
    per_customer = opened.groupby("customer_id").size().reindex(future.index, fill_value=0)
    assert (per_customer == future.products_opened).all()
    assert np.allclose(
        future.profit, future.interest_margin + future.fees - future.cost_to_serve, atol=0.011
    )
    # account numbers go on after each customer's last seen account, and stay unique
    accounts = both["accounts"]
    assert not opened.account_id.isin(accounts.account_id).any()
    assert opened.account_id.is_unique
    last_seen = accounts.groupby("customer_id").account_id.max()
    first_new = opened.groupby("customer_id").account_id.min()
    assert (first_new > last_seen.reindex(first_new.index)).all()
    assert (opened.account_id // 100 == opened.customer_id).all()


def test_nobody_who_left_comes_back_and_leavers_stop(both):
    stopped = both.truth("customer_truth").set_index("customer_id").stopped_on
    future = both.truth("future_customers").set_index("customer_id")
    gone = stopped.index[stopped.notna()]
    assert (future.loc[gone, ["transactions", "products_opened"]] == 0).all().all()
    assert (future.loc[gone, ["deposits", "owed", "profit"]] == 0).all().all()
    leaving = future[future.leaves_on.notna()]
    assert 0.02 * len(future) < len(leaving) < 0.15 * len(future)
    assert (leaving.deposits == 0).all() and (leaving.owed == 0).all()  # everything closed
    opened = both.truth("future_account_openings").merge(leaving.reset_index())
    assert (opened.opened_on < opened.leaves_on).all()


def test_recency_predicts_the_hidden_future_but_not_perfectly(both):
    """The most recently active customers transact far more in the next year than the most
    lapsed fifth; but some of the most recent leave, and some of the lapsed stay."""
    t = both["transactions"].merge(both["accounts"][["account_id", "customer_id"]])
    last = t[t.channel != "system"].groupby("customer_id").booked_on.max()
    customers = both["customers"].customer_id
    recency = (both.as_of - last).dt.days.reindex(customers).fillna(10**5)
    fifth = pd.qcut(recency.rank(method="first"), 5, labels=False)
    future = both.truth("future_customers").set_index("customer_id").loc[recency.index]
    transactions = future.transactions.groupby(fifth.to_numpy()).mean()
    active = (future.transactions > 0).groupby(fifth.to_numpy()).mean()
    leaving = future.leaves_on.notna().groupby(fifth.to_numpy()).mean()
    assert transactions.iloc[0] > 4 * transactions.iloc[-1]
    assert active.iloc[0] > 0.95 and 0.05 < active.iloc[-1] < 0.6
    assert leaving.iloc[0] > 0.01  # the most recent leave too


def test_products_opened_follow_age_and_income(both):
    opened = both.truth("future_account_openings").merge(
        both["products"][["product_id", "product_type"]]
    )
    customers = both["customers"].set_index("customer_id")
    age = (both.as_of - customers.birth_date).dt.days / 365.25
    mortgage = customers.index.isin(opened.query("product_type == 'mortgage'").customer_id)
    assert mortgage[(age >= 28) & (age < 55)].mean() > 3 * mortgage[age >= 65].mean()
    assert 0.1 < (both.truth("future_customers").products_opened > 0).mean() < 0.4


# ---------------------------------------------------------------- margins and cost to serve


def test_margins_are_a_banks(both):
    products = both["products"]
    assert (products.margin_rate >= 0).all()
    deposits = products[products.product_type.isin(["current", "savings", "term_deposit"])]
    funding = deposits.margin_rate + deposits.interest_rate
    assert np.allclose(funding, funding.iloc[0])  # one funding rate: margin = it − rate paid
    loans = products[products.product_type == "mortgage"]
    assert np.allclose(loans.interest_rate - loans.margin_rate, funding.iloc[0])
    assert (products.commission[products.product_type == "insurance"] > 0).all()
    # the bank's net interest income over its balances is near the published margin
    future = both.truth("future_customers")
    nim = future.interest_margin.sum() / max(future.deposits.sum(), future.owed.sum())
    low, high = NIM[both.locale][1]
    assert low < nim < high, nim


def test_serving_a_customer_costs_most_at_the_branch(both):
    cost = both["service_costs"].set_index("activity").cost
    assert cost["branch transaction"] > cost["ATM transaction"] > cost["online transaction"]
    assert cost["online transaction"] >= cost["mobile transaction"] > 0
    future = both.truth("future_customers")
    active = future[future.transactions > 0]
    assert (active.cost_to_serve > 0).all()
    # what students can compute: last year's cost to serve from the visible data
    t = both["transactions"].merge(both["accounts"][["account_id", "customer_id"]])
    t = t[t.booked_on > both.as_of - pd.DateOffset(years=1)]
    unit = t.channel.astype(str).map(lambda c: cost.get(f"{c} transaction", 0.0))
    per_customer = unit.groupby(t.customer_id).sum()
    branch_heavy = t[t.channel == "branch"].groupby("customer_id").size() >= 12
    heavy = per_customer.reindex(branch_heavy.index[branch_heavy])
    assert heavy.median() > 2 * per_customer.median()


def test_profit_per_customer_is_skewed_and_a_fifth_or_more_are_below_zero(both):
    """Bank Administration Institute: the best 20 % of retail customers earn virtually all
    the profit and the last 20 % lose money; Meridien Research: about 30 % drain profit; more
    than 60 % on a fully loaded basis (First Manhattan). The kit's profit is a contribution
    (no overheads), so the lower end: 15-40 % of active customers below zero, a few hundred
    a year for the median customer."""
    profit = both.truth("future_customers").query("transactions > 0").profit
    top = profit.sort_values(ascending=False)
    assert top.iloc[: len(top) // 5].sum() > 0.65 * top.sum()  # the best fifth earn most
    assert 0.15 < (profit < 0).mean() < 0.4
    assert 100 < profit.median() < 1000
    # the unprofitable are those with small balances: the low-income band loses most often
    band = both["customers"].set_index("customer_id").income_band
    below = (profit < 0).groupby(both.truth("future_customers").customer_id.map(band)).mean()
    assert below["low"] > below["middle"] > below["high"]


@pytest.fixture(scope="module")
def pay(both):
    """Each staying customer's pay lines (current-account credits) in the last seen year, for
    those whose current account was open all year."""
    accounts = both["accounts"].merge(both["products"][["product_id", "product_type"]])
    current = accounts[accounts.product_type == "current"]
    year = both.as_of - pd.DateOffset(years=1)
    future = both.truth("future_customers")
    truth = both.truth("customer_truth")
    gone = truth.customer_id[truth.stopped_on.notna()]
    staying = future.customer_id[future.leaves_on.isna() & ~future.customer_id.isin(gone)]
    held = current[(current.opened_on <= year) & current.customer_id.isin(staying)]
    t = both["transactions"].merge(held[["account_id", "customer_id"]])
    return t[(t.kind == "transfer_in") & (t.booked_on > year)]


def test_pay_arrives_once_a_month_on_the_customers_pay_day(pay):
    lines = pay.groupby("customer_id")
    assert (lines.size() == 12).mean() > 0.99
    assert (lines.booked_on.agg(lambda d: d.dt.day.nunique()) == 1).mean() > 0.99
    assert (lines.amount.std() / lines.amount.mean()).median() < 0.06  # a little noise


def test_current_accounts_hold_one_to_two_months_of_pay(both, pay):
    """US families keep a median of USD 8,000 in transaction accounts (Survey of Consumer
    Finances 2022): about one to two months of take-home pay. The balance follows the pay and
    does not wander: a customer's last seen year averages about what their first did."""
    monthly_pay = pay.groupby("customer_id").amount.mean()
    accounts = both["accounts"].merge(both["products"][["product_id", "product_type"]])
    current = accounts.loc[accounts.product_type == "current", ["account_id", "customer_id"]]
    balances = both["monthly_balances"].merge(current)
    last = balances[balances.month_end == balances.month_end.max()]
    months = last.set_index("customer_id").balance.reindex(monthly_pay.index) / monthly_pay
    assert 1 <= months.median() <= 2, months.median()
    band = both["customers"].set_index("customer_id").income_band.reindex(months.index)
    assert months.groupby(band, observed=True).median().between(0.8, 2.5).all()
    assert 0.05 < (months < 0.5).mean() < 0.3 and (months > 6).mean() < 0.15
    first_year = balances.month_end <= balances.month_end.min() + pd.DateOffset(months=11)
    last_year = balances.month_end > both.as_of - pd.DateOffset(years=1)
    drift = (
        balances[last_year].groupby("customer_id").balance.mean()
        / balances[first_year].groupby("customer_id").balance.mean()
    ).reindex(monthly_pay.index)
    assert 0.85 < drift.median() < 1.2 and drift.quantile(0.9) < 2


def test_statement_lines_stay_within_the_size_budget(both):
    months = both["monthly_balances"].month_end.nunique()
    per_customer_month = len(both["transactions"]) / len(both["customers"]) / months
    assert 2.5 < per_customer_month < 4


# ---------------------------------------------------------------- the campaign simulator


def test_the_control_group_does_what_the_hidden_future_says(bank, outcome):
    first = bank.as_of + pd.Timedelta(days=1)
    last = first + pd.Timedelta(days=29)
    opened = bank.truth("future_account_openings").merge(bank["products"])
    opened = opened[(opened.product_type == "term_deposit") & opened.opened_on.between(first, last)]
    c = outcome.customers
    control = c.group == "control"
    did = c.customer_id.isin(opened.customer_id)
    assert (c.responded[control] == did[control]).all()
    assert (c.responded | ~did).all()  # an offer never stops anyone opening one
    # in distribution: the control rate is the list's no-campaign rate and its true chance
    rate, n = did.mean(), control.sum()
    se = np.sqrt(max(rate * (1 - rate), 1e-4) / n)
    assert abs(c.responded[control].mean() - rate) < 3 * se
    assert abs(c.responded[control].mean() - outcome.truth.p_control[control].mean()) < 4 * se
    row = opened.set_index("customer_id").loc[c.customer_id[control & did]]
    assert np.allclose(c.amount[control & did], row.amount)


def test_the_control_group_measures_the_true_uplift(outcome):
    summary = outcome.summary()
    treated = outcome.customers.group == "treatment"
    true = outcome.truth.uplift[treated].mean()
    assert summary.incremental_response_low <= true <= summary.incremental_response_high
    # a term-deposit call gets the response of the recorded calls (Moro et al.: 11 %)
    assert 0.05 <= summary.response_rate_contacted <= 0.15
    assert summary.response_rate_contacted > summary.response_rate_held_out


def test_a_call_moves_more_customers_than_an_email(bank, callable_ids, outcome):
    customers = bank["customers"].set_index("customer_id")
    both_ok = callable_ids[customers.loc[callable_ids, "consent_email"].to_numpy()]
    email = generator.simulate(bank, {**OFFER, "channel": "email"}, both_ok, holdout=0.5)
    call = outcome.truth.set_index("customer_id").loc[both_ok]
    assert email.truth.uplift.mean() < call.uplift.mean()


def test_refusers_and_holders_are_refused(bank):
    refused = bank["customers"].query("not consent_phone").customer_id.head(3)
    with pytest.raises(CampaignError, match="did not agree to be contacted by phone"):
        generator.simulate(bank, OFFER, refused)
    accounts = bank["accounts"].merge(bank["products"][["product_id", "product_type"]])
    holders = accounts.query("product_type == 'term_deposit' and closed_on.isna()").customer_id
    callable_holders = bank["customers"].query("consent_phone").customer_id
    ids = holders[holders.isin(callable_holders)].head(2)
    with pytest.raises(CampaignError, match="already hold a term deposit"):
        generator.simulate(bank, OFFER, ids)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"product_type": "mortgage"}, "unknown product type"),
        ({"channel": "pigeon"}, "unknown channel"),
        ({"launched_on": "2025-06-01"}, "must run in the hidden future"),
        ({"response_days": 400}, "must run in the hidden future"),
        ({"response_days": 2.5}, "response_days must be a whole number"),
        ({"budget": 10}, "unknown campaign setting 'budget'"),
    ],
)
def test_a_bad_campaign_gets_one_clear_error(bank, callable_ids, change, message):
    with pytest.raises(CampaignError, match=message):
        generator.simulate(bank, {**OFFER, **change}, callable_ids[:5])
