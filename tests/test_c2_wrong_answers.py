"""Case C2's checks tell right from wrong on the default data: plausible answers, written the way
a student would write them, are judged as they should be — the wrong ones refused (with the hint
of their mistake where the check names it), the right ones in another form accepted — and the
data hold the cases that separate them (debts among the balances, customers who joined in the
six months, accounts with transactions after their last month end, customers the
contact-pressure rule leaves out).

The open decision, a cross-sell plan, is judged by what it earns: its true incremental profit in
the campaign simulator must reach a share of the course's plan. The bar separates the course's
plan from random plans and from one-size-fits-all campaigns on the same budget.

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import nbformat
import numpy as np
import pandas as pd
import pytest

from course import micro_codes, targeting
from course.checking import answer_key
from course.checks import c2
from course.marketing_db import CONTACT_COST

from conftest import ROOT, accepted, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def bank():
    return c2.bank()


@pytest.fixture(scope="module")
def features(bank):
    return targeting.bank_features(bank, bank.as_of)


@pytest.fixture(scope="module")
def now(bank):
    return micro_codes.codes(bank, bank.as_of)


@pytest.fixture(scope="module")
def before(bank):
    return micro_codes.codes(bank, bank.as_of - pd.DateOffset(months=6))


def joined(parts: pd.DataFrame) -> pd.Series:
    return (
        parts["life_stage"]
        + "-"
        + parts["value"]
        + "-"
        + parts["holdings"].astype(str)
        + "-"
        + parts["channel"]
        + parts["signal"]
    )


def tiers(assets: pd.Series, method: str = "first") -> pd.Series:
    share = assets.rank(pct=True, method=method)
    return pd.Series(np.select([share > 0.8, share > 0.5], ["A", "B"], "C"), index=assets.index)


# ---------------------------------------------------------------- task 1: the codes


def by_hand(bank, features) -> pd.Series:
    """The codes the way the exercise builds them, from the features and the earlier inflow."""
    f = features
    earlier = targeting.bank_features(bank, bank.as_of - pd.Timedelta(days=90))
    before = earlier["inflow_90d"].reindex(f.index, fill_value=0.0)
    assets = f[[f"balance_{p}" for p in micro_codes.ASSETS]].clip(lower=0).sum(axis=1)
    held = (f[[f"holds_{p}" for p in micro_codes.BEYOND_CURRENT]] > 0).sum(axis=1)
    digital = f[[f"tx_90d_{c}" for c in micro_codes.DIGITAL]].sum(axis=1)
    physical = f[[f"tx_90d_{c}" for c in micro_codes.PHYSICAL]].sum(axis=1)
    recent = f["inflow_90d"]
    ratio = recent / before.replace(0, np.nan)
    signal = np.select(
        [recent <= 0, ratio >= 1.2, ratio <= 0.8, before <= 0], ["-", "+", "-", "+"], "="
    )
    parts = pd.DataFrame(
        {
            "life_stage": f["household_type"].map(micro_codes.LIFE_STAGE),
            "value": tiers(assets),
            "holdings": held.clip(upper=2).astype(str),
            "channel": np.select([digital + physical == 0, digital >= physical], ["N", "D"], "P"),
            "signal": signal,
        },
        index=f.index,
    )
    return joined(parts)


def test_the_data_hold_debts_and_ties_that_separate_the_value_tiers(features):
    assert (features["balance_credit_card"] < 0).sum() > 100
    assert (features["balance_mortgage"] < 0).sum() > 100
    assets = features[[f"balance_{p}" for p in micro_codes.ASSETS]].clip(lower=0).sum(axis=1)
    assert (assets == 0).sum() > 100  # ties, all below the median
    assert not tiers(assets, "dense").equals(tiers(assets))
    # ties at the bottom do not reach the cut points: qcut and the other rank methods agree
    qcut = pd.qcut(assets, [0, 0.5, 0.8, 1], labels=["C", "B", "A"]).astype(str)
    assert (qcut == tiers(assets)).all()
    assert (tiers(assets, "average") == tiers(assets)).all()


def test_micro_code(bank, features, now, before, capsys):
    assert accepted(c2.micro_code, now["code"], capsys)
    assert accepted(c2.micro_code, now, capsys)  # the parts table with its code column
    assert accepted(c2.micro_code, now.reset_index(), capsys)
    hand = by_hand(bank, features)
    assert accepted(c2.micro_code, hand, capsys)
    assets = features[[f"balance_{p}" for p in micro_codes.ASSETS]].clip(lower=0).sum(axis=1)
    qcut = pd.qcut(assets, [0, 0.5, 0.8, 1], labels=["C", "B", "A"]).astype(str)
    assert accepted(c2.micro_code, joined(now.assign(value=qcut)), capsys)

    debt = tiers(features.filter(like="balance_").sum(axis=1))
    assert "debts" in refused(c2.micro_code, joined(now.assign(value=debt)))
    assert "dense" in refused(c2.micro_code, joined(now.assign(value=tiers(assets, "dense"))))
    every = (features.filter(like="holds_") > 0).sum(axis=1).clip(upper=2).astype(str)
    assert "current account" in refused(c2.micro_code, joined(now.assign(holdings=every)))
    held = (features[[f"holds_{p}" for p in micro_codes.BEYOND_CURRENT]] > 0).sum(axis=1)
    assert "above 2" in refused(c2.micro_code, joined(now.assign(holdings=held.astype(str))))
    _, mistakes = answer_key(c2.micro_code)
    latest = next(v for k, v in mistakes.items() if "latest transaction" in k)
    assert "latest transaction" in refused(c2.micro_code, latest)
    interest = next(v for k, v in mistakes.items() if "interest included" in k)
    assert "interest included" in refused(c2.micro_code, interest)
    # the holdings counted over accounts, not products: the same here (nobody holds two
    # accounts of one type beyond the current account), accepted
    accounts = features[[f"holds_{p}" for p in micro_codes.BEYOND_CURRENT]].sum(axis=1)
    counted = joined(now.assign(holdings=accounts.clip(upper=2).astype(str)))
    if counted.equals(now["code"]):
        assert accepted(c2.micro_code, counted, capsys)
    else:  # where someone holds two accounts of one type, the check must say which part
        assert "holdings (" in refused(c2.micro_code, counted)

    # two mistakes at once, or the codes of another date: told which parts differ
    both = joined(now.assign(value=debt, holdings=every))
    told = refused(c2.micro_code, both)
    assert "value (" in told and "holdings (" in told and "channel (" not in told
    assert "part(s)" in refused(c2.micro_code, before["code"].reindex(now.index).fillna("S-C-0-N-"))
    assert "misses" in refused(c2.micro_code, now["code"].iloc[10:])
    assert "row numbers" in refused(c2.micro_code, now["code"].reset_index(drop=True))
    assert "form" in refused(c2.micro_code, now["code"].str.replace("-", ""))
    assert "column `code`" in refused(c2.micro_code, now.drop(columns="code"))
    assert "Series" in refused(c2.micro_code, now["code"].tolist())


# ---------------------------------------------------------------- task 2: stability


def test_the_data_hold_newcomers(before, now):
    assert len(now.index.difference(before.index)) > 100
    assert before.index.difference(now.index).empty


def test_stability(bank, now, before, capsys):
    assert accepted(c2.stability, micro_codes.stability(before, now), capsys)
    both = before.index.intersection(now.index)
    hand = {p: float((before.loc[both, p] == now.loc[both, p]).mean()) for p in ["code", "value"]}
    assert accepted(c2.stability, hand, capsys)
    assert accepted(c2.stability, pd.Series(hand), capsys)

    later = before.reindex(now.index)
    everyone = {p: (later[p] == now[p]).mean() for p in ["code", "value"]}
    assert "joined" in refused(c2.stability, everyone)
    assert "changed" in refused(c2.stability, 1 - pd.Series(hand))
    days = micro_codes.codes(bank, bank.as_of - pd.Timedelta(days=180))
    assert "180 days" in refused(c2.stability, micro_codes.stability(days, now))
    shares = micro_codes.migration(before, now, "value")
    diagonal = {"code": hand["code"], "value": float(np.mean(np.diag(shares)))}
    assert "value share is too low" in refused(c2.stability, diagonal)
    assert "percentages" in refused(c2.stability, pd.Series(hand) * 100)
    year = micro_codes.codes(bank, bank.as_of - pd.DateOffset(years=1))
    assert "too" in refused(c2.stability, micro_codes.stability(year, now))
    assert "no share for value" in refused(c2.stability, {"code": hand["code"]})
    assert "table" in refused(c2.stability, pd.DataFrame([hand]))


# ---------------------------------------------------------------- task 3: response by tier


@pytest.fixture(scope="module")
def past(bank):
    campaigns = bank["campaigns"].set_index("campaign_id")
    campaign = campaigns.index[campaigns["product_type"] == "term_deposit"][0]
    listed = bank["campaign_contacts"].query("campaign_id == @campaign").set_index("customer_id")
    opened = bank["campaign_outcomes"].query("campaign_id == @campaign")
    responded = pd.Series(listed.index.isin(opened["customer_id"]), index=listed.index)
    return campaigns.loc[campaign, "launched_on"], responded, listed["test_group"].astype(str)


def by_tier(responded, group, tier) -> pd.DataFrame:
    return responded.groupby([tier.reindex(responded.index), group]).mean().unstack()


def test_response_by_tier(bank, past, now, capsys):
    launched_on, responded, group = past
    then = micro_codes.codes(bank, launched_on - pd.Timedelta(days=1))["value"]
    rates = by_tier(responded, group, then)
    right = rates["treatment"] - rates["control"]
    assert accepted(c2.response_by_tier, right, capsys)
    assert accepted(c2.response_by_tier, right.to_dict(), capsys)
    frame = right.rename("incremental_response").reset_index()
    assert accepted(c2.response_by_tier, frame, capsys)
    # with the groups as columns: refused as a table, told to give one number per tier
    assert "table" in refused(c2.response_by_tier, rates.assign(difference=right))

    after = by_tier(responded, group, now["value"])
    assert "after the campaign" in refused(
        c2.response_by_tier, after["treatment"] - after["control"]
    )
    assert "called only" in refused(c2.response_by_tier, rates["treatment"])
    assert "wrong way" in refused(c2.response_by_tier, rates["control"] - rates["treatment"])
    features = targeting.bank_features(bank, launched_on - pd.Timedelta(days=1))
    assets = features.loc[responded.index, [f"balance_{p}" for p in micro_codes.ASSETS]]
    within = by_tier(responded, group, tiers(assets.clip(lower=0).sum(axis=1)))
    assert "among themselves" in refused(
        c2.response_by_tier, within["treatment"] - within["control"]
    )
    ratio = rates["treatment"] / rates["control"]
    assert "differ" in refused(c2.response_by_tier, ratio)
    assert "percentages" in refused(c2.response_by_tier, right * 100)
    assert "A, B, C" in refused(c2.response_by_tier, right.drop("C"))
    assert "A, B, C" in refused(c2.response_by_tier, right.reset_index(drop=True))


# ---------------------------------------------------------------- task 4: reconciliation


@pytest.fixture(scope="module")
def last(bank):
    balances = bank["monthly_balances"].sort_values(["account_id", "month_end"])
    return balances.groupby("account_id").tail(1).set_index("account_id")


def recomputed(bank, last, upto=True, opening=True, keep=None):
    moves = bank["transactions"].join(last["month_end"], on="account_id", how="inner")
    if upto:
        moves = moves[moves["booked_on"] <= moves["month_end"]]
    if keep is not None:
        moves = moves[keep(moves)]
    moved = moves.groupby("account_id")["amount"].sum().reindex(last.index, fill_value=0.0)
    start = bank["accounts"].set_index("account_id")["opening_balance"].reindex(last.index)
    return ((start if opening else 0.0) + moved).round(2)


def test_the_data_hold_transactions_after_an_accounts_last_month_end(bank, last):
    moves = bank["transactions"].join(last["month_end"], on="account_id", how="inner")
    assert (moves["booked_on"] > moves["month_end"]).sum() > 100
    on_the_day = moves["booked_on"] == moves["month_end"]
    assert on_the_day.sum() > 100
    exact = recomputed(bank, last) + 0.0  # rounded: the cents agree
    assert ((exact - last["balance"]).abs() < 0.005).all()


def test_recomputed_balances(bank, last, capsys):
    right = recomputed(bank, last)
    assert accepted(c2.recomputed_balances, right, capsys)
    assert accepted(c2.recomputed_balances, last["balance"], capsys)  # the stored ones agree
    frame = right.rename("balance").reset_index()
    assert accepted(c2.recomputed_balances, frame, capsys)
    # month by month, as the lesson reconciles every month end: the last row of each account
    moves = bank["transactions"]
    month = (moves["booked_on"] + pd.offsets.MonthEnd(0)).rename("month_end")
    moved = moves.groupby(["account_id", month])["amount"].sum().groupby(level=0).cumsum()
    book = bank["monthly_balances"].merge(bank["accounts"][["account_id", "opening_balance"]])
    book = pd.merge_asof(
        book.sort_values("month_end"),
        moved.rename("moved").reset_index().sort_values("month_end"),
        on="month_end",
        by="account_id",
    )
    book["recomputed"] = book["opening_balance"] + book["moved"].fillna(0.0)
    lesson = book.sort_values("month_end").groupby("account_id").tail(1)
    assert accepted(c2.recomputed_balances, lesson.set_index("account_id")["recomputed"], capsys)

    assert "after the account's last month end" in refused(
        c2.recomputed_balances, recomputed(bank, last, upto=False)
    )
    before_the_day = recomputed(bank, last, keep=lambda m: m["booked_on"] < m["month_end"])
    assert "month end itself" in refused(c2.recomputed_balances, before_the_day)
    assert "opening balance" in refused(
        c2.recomputed_balances, recomputed(bank, last, opening=False)
    )
    system = recomputed(bank, last, keep=lambda m: m["channel"].astype(str) != "system")
    assert "Interest and fees" in refused(c2.recomputed_balances, system)
    assert "cent or more" in refused(c2.recomputed_balances, right.round(0))
    open_only = right[right.index.isin(bank["accounts"].query("closed_on.isna()")["account_id"])]
    assert "misses" in refused(c2.recomputed_balances, open_only)
    assert "row numbers" in refused(c2.recomputed_balances, right.reset_index(drop=True))
    assert "NaN" in refused(c2.recomputed_balances, right.where(right > 0))


# ---------------------------------------------------------------- task 5: the plan


def true_profit(bank, plan) -> float:
    table = micro_codes.simulate_plan(bank, plan, holdout=c2.HOLDOUT)
    return float(table.loc["total", "true_incremental_profit"])


def cheapest_random(bank, seed: int) -> pd.DataFrame:
    """Random products, each by the cheapest channel the customer agreed to: the strongest
    plan by chance (everyone reached, almost for free)."""
    f = targeting.bank_features(bank, bank.as_of)
    customers = bank["customers"].set_index("customer_id")
    pressed = targeting.recent_contacts(bank, bank.as_of, 365).index
    rng = np.random.default_rng(seed)
    costs = CONTACT_COST[bank.currency]
    rows, left = [], c2.budget() / (1 - c2.HOLDOUT)
    for customer in rng.permutation(f.index[~f.index.isin(pressed)].to_numpy()):
        products = [
            p for p in ("term_deposit", "credit_card", "fund") if f.at[customer, f"holds_{p}"] == 0
        ]
        channels = [c for c in c2.CHANNELS if customers.at[customer, f"consent_{c}"]]
        channels = [c for c in channels if costs[c] <= left]
        if products and channels:
            channel = min(channels, key=costs.get)
            rows.append((customer, products[rng.integers(len(products))], channel))
            left -= costs[channel]
    return pd.DataFrame(rows, columns=["customer_id", "product_type", "channel"])


def test_the_contact_pressure_rule_leaves_customers_out(bank):
    pressed = targeting.recent_contacts(bank, bank.as_of, 365).index
    assert len(pressed) > 100
    assert not c2.course_plan()["customer_id"].isin(pressed).any()


def test_the_budget_makes_the_channel_matter(bank):
    costs = CONTACT_COST[bank.currency]
    most = c2.budget() / (1 - c2.HOLDOUT)
    sms = targeting.reachable(bank, bank["customers"]["customer_id"], "sms", bank.as_of)
    phone = targeting.reachable(bank, bank["customers"]["customer_id"], "phone", bank.as_of)
    assert len(sms) * costs["sms"] < most  # messages reach everyone who agreed
    assert len(phone) * costs["phone"] > 2 * most  # calls reach a few of them
    plan = c2.course_plan()
    assert plan["channel"].map(costs).sum() <= most + 1e-6
    assert {"phone", "sms"} <= set(plan["channel"])


def test_the_bar_separates_the_course_plan_from_random_and_one_size_plans(bank):
    course = true_profit(bank, c2.course_plan())
    assert c2.profit_bar() <= c2.PROFIT_SHARE * course < c2.profit_bar() + 1
    for seed in range(5):
        assert true_profit(bank, c2.random_plan(seed)) < c2.profit_bar(), seed
    for seed in range(3):
        assert true_profit(bank, cheapest_random(bank, seed)) < c2.profit_bar(), seed
    for product in ("term_deposit", "credit_card", "fund"):
        for channel in c2.CHANNELS:
            plan = c2.one_size(product, channel)
            assert true_profit(bank, plan) < c2.profit_bar(), (product, channel)


def test_cross_sell_plan(bank, capsys):
    right = c2.course_plan()
    assert accepted(c2.cross_sell_plan, right, capsys)
    assert accepted(c2.cross_sell_plan, right.set_index("customer_id"), capsys)
    assert accepted(c2.cross_sell_plan, right.sample(frac=1, random_state=1), capsys)
    # another plan that earns enough: the fund first for every tier
    funds = dict.fromkeys("ABC", ("fund", "term_deposit", "credit_card"))
    original = c2.PRODUCT_ORDER.copy()
    try:
        c2.PRODUCT_ORDER.update(funds)
        fund_first = c2.course_plan()
    finally:
        c2.PRODUCT_ORDER.update(original)
    assert not fund_first.equals(right)
    assert accepted(c2.cross_sell_plan, fund_first, capsys)

    _, mistakes = answer_key(c2.cross_sell_plan)
    for hint, plan in mistakes.items():
        assert refused(c2.cross_sell_plan, plan) == hint
    for seed in range(1, 4):  # other random plans: below the bar, told what they earn
        assert "truly earns" in refused(c2.cross_sell_plan, c2.random_plan(seed))
    assert "truly earns" in refused(c2.cross_sell_plan, cheapest_random(bank, 0))
    calls_only = right[right["channel"] == "phone"]
    assert "truly earns" in refused(c2.cross_sell_plan, calls_only)

    costs = CONTACT_COST[bank.currency]
    customers = bank["customers"].set_index("customer_id")
    pressed = targeting.recent_contacts(bank, bank.as_of, 365).index
    texts = right[right["channel"] == "sms"]
    callable_ = customers.loc[texts["customer_id"], "consent_phone"].to_numpy()
    louder = right.copy()
    louder.loc[texts.index[callable_], "channel"] = "phone"
    assert louder["channel"].map(costs).sum() * (1 - c2.HOLDOUT) > c2.budget()
    assert "the budget is" in refused(c2.cross_sell_plan, louder)
    assert "more than once" in refused(c2.cross_sell_plan, pd.concat([right, right.head(2)]))
    pressed_ok = customers.index[customers["consent_sms"]].intersection(pressed)
    features = targeting.bank_features(bank, bank.as_of)
    pressed_ok = pressed_ok[features.loc[pressed_ok, "holds_credit_card"].to_numpy() == 0]
    extra = pd.DataFrame(
        {"customer_id": pressed_ok[:1], "product_type": "credit_card", "channel": "sms"}
    )
    assert "contact-pressure" in refused(c2.cross_sell_plan, pd.concat([right, extra]))
    one = right.copy()
    refusing = customers.loc[one["customer_id"], "consent_mail"].to_numpy()
    one.loc[np.flatnonzero(~refusing)[:1], "channel"] = "mail"
    assert "did not agree to be contacted by mail" in refused(c2.cross_sell_plan, one)
    holding = right.copy()
    holders = features.loc[holding["customer_id"], "holds_fund"].to_numpy() > 0
    holding.loc[np.flatnonzero(holders)[:1], "product_type"] = "fund"
    assert "already hold a fund" in refused(c2.cross_sell_plan, holding)

    assert "offers" in refused(c2.cross_sell_plan, right.assign(product_type="mortgage"))
    assert "channels are" in refused(c2.cross_sell_plan, right.assign(channel="letter"))
    assert "no column channel" in refused(c2.cross_sell_plan, right.drop(columns="channel"))
    assert "empty" in refused(c2.cross_sell_plan, right.head(0))
    assert "table" in refused(c2.cross_sell_plan, right["customer_id"].tolist())


def test_the_solution_notebooks_plan_is_the_course_plan(capsys):
    """The solution builds the course's plan, whose earnings set the bar."""
    notebook = nbformat.read(ROOT / "solutions" / "C2_micro_code_marketing.ipynb", as_version=4)
    names: dict = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            exec(cell.source, names)
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "cross-sell-plan-answer":
            break
    capsys.readouterr()
    assert c2._rows(names["answer"]) == c2._rows(c2.course_plan())
