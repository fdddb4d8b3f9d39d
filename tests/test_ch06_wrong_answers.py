"""Chapter 06's checks tell right from wrong on the default data: plausible answers, written the
way a student would write them, are judged as they should be — the wrong ones refused (with the
hint of their mistake where the check names it), the right ones in another form accepted — and
the data hold the cases that separate them (responders among the held out, a skewed margin,
deciles that `pd.qcut` cuts otherwise, customers the contact-pressure rule leaves out).

Two tasks are judged by what the answer earns: a target list by its true incremental profit in
the campaign simulator, an uplift ranking by its Qini coefficient of profit against the
simulator's truth. Any answer that reaches the bar is right, and the bars separate the course's
answers from random ones.

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import math

import numpy as np
import pandas as pd
import pytest

import generator
from course import targeting
from course.checking import answer_key
from course.checks import ch06
from course.marketing_db import CONTACT_COST, Z95, difference_of_shares

from conftest import accepted, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def bank():
    return ch06.bank()


@pytest.fixture(scope="module")
def past(bank):
    """The past term-deposit campaign as the exercise reads it: launch day, responded, the
    called and the held out."""
    campaigns = bank["campaigns"].set_index("campaign_id")
    campaign = campaigns.index[campaigns["product_type"] == "term_deposit"][0]
    listed = bank["campaign_contacts"].query("campaign_id == @campaign").set_index("customer_id")
    opened = bank["campaign_outcomes"].query("campaign_id == @campaign")
    responded = pd.Series(listed.index.isin(opened["customer_id"]), index=listed.index)
    called = listed.index[listed["test_group"] == "treatment"]
    held = listed.index[listed["test_group"] == "control"]
    return campaigns.loc[campaign, "launched_on"], responded, called, held, opened


@pytest.fixture(scope="module")
def margins(bank, past):
    *_, opened = past
    accounts = bank["accounts"].merge(bank["products"], on="product_id")
    deposits = opened.merge(accounts[["account_id", "margin_rate"]], on="account_id")
    return deposits.assign(margin=deposits["amount"] * deposits["margin_rate"] / 100)


@pytest.fixture(scope="module")
def cost(bank):
    return CONTACT_COST[bank.currency]["phone"]


# ---------------------------------------------------------------- task 1: break-even


def test_the_data_hold_held_out_responders_and_a_skewed_margin(past, margins):
    _, responded, called, held, _ = past
    assert responded[held].sum() > 0  # so "the called's responders only" is another answer
    assert margins["margin"].mean() > 1.5 * margins["margin"].median()


def test_break_even(past, margins, cost, capsys):
    _, _, called, _, _ = past
    mean = margins["margin"].mean()
    assert accepted(ch06.break_even, targeting.break_even_rate(cost, mean), capsys)
    assert accepted(ch06.break_even, cost / mean, capsys)
    total = (margins["amount"] * margins["margin_rate"]).sum() / 100
    assert accepted(ch06.break_even, cost / (total / len(margins)), capsys)

    assert "Upside down" in refused(ch06.break_even, mean / cost)
    assert "amount deposited" in refused(ch06.break_even, cost / margins["amount"].mean())
    raw = (margins["amount"] * margins["margin_rate"]).mean()
    assert "percentage" in refused(ch06.break_even, cost / raw)
    of_called = margins[margins["customer_id"].isin(called)]
    assert "non-responders" in refused(
        ch06.break_even, cost / (of_called["margin"].sum() / len(called))
    )
    assert "median" in refused(ch06.break_even, cost / margins["margin"].median())
    assert "held out who opened" in refused(ch06.break_even, cost / of_called["margin"].mean())
    assert "percentage" in refused(ch06.break_even, 100 * cost / mean)
    assert "rounded" in refused(ch06.break_even, round(cost / mean, 4))
    assert "number" in refused(ch06.break_even, pd.Series([cost / mean]))


# ---------------------------------------------------------------- task 2: decile lift


@pytest.fixture(scope="module")
def score(bank, past):
    launched_on, responded, called, _, _ = past
    features = targeting.bank_features(bank, launched_on - pd.Timedelta(days=1)).loc[called]
    model = targeting.response_model(features, responded[called])
    return pd.Series(model.predict_proba(features)[:, 1], index=called)


def test_the_data_cut_qcut_deciles_otherwise(score, past):
    _, responded, called, _, _ = past
    course = targeting.gains(score, responded[called])["customers"]
    qcut = (10 - pd.qcut(score, 10, labels=False)).value_counts().sort_index()
    assert not course.reset_index(drop=True).equals(qcut.reset_index(drop=True))


def test_decile_lift(bank, past, score, capsys):
    launched_on, responded, called, held, _ = past
    table = targeting.gains(score, responded[called])
    assert accepted(ch06.decile_lift, table["lift"], capsys)
    assert accepted(ch06.decile_lift, table, capsys)  # the whole gains table
    assert accepted(ch06.decile_lift, table["lift"].tolist(), capsys)
    assert accepted(ch06.decile_lift, table[["lift"]].reset_index(), capsys)
    # by hand: positions from the highest score (ties by customer_id), ten equal groups
    ranked = responded[called].loc[score.sort_values(ascending=False, kind="stable").index]
    decile = np.arange(len(ranked)) * 10 // len(ranked) + 1
    by_hand = ranked.groupby(decile).mean() / ranked.mean()
    assert accepted(ch06.decile_lift, by_hand, capsys)

    def lift_of(day, trained_on):
        features = targeting.bank_features(bank, day)
        model = targeting.response_model(features.loc[trained_on], responded[trained_on])
        scored = pd.Series(model.predict_proba(features.loc[called])[:, 1], index=called)
        return targeting.gains(scored, responded[called])["lift"]

    day_before = launched_on - pd.Timedelta(days=1)
    assert "know the future" in refused(ch06.decile_lift, lift_of(bank.as_of, called))
    assert "launch day" in refused(ch06.decile_lift, lift_of(launched_on, called))
    everyone = called.append(held)
    assert "called customers only" in refused(ch06.decile_lift, lift_of(day_before, everyone))
    assert "lowest score up" in refused(
        ch06.decile_lift, targeting.gains(-score, responded[called])["lift"]
    )
    # the deciles simply read backwards: refused, told which way decile 1 goes
    assert "Decile 1" in refused(ch06.decile_lift, table["lift"].to_numpy()[::-1].tolist())
    control = table["response_rate"] / responded[held].mean()
    assert "control group" in refused(ch06.decile_lift, control)
    assert "cumulative" in refused(ch06.decile_lift, table["cumulative_lift"])
    top = 10 - pd.qcut(score, 10, labels=False)
    by_qcut = responded[called].groupby(top).mean() / responded[called].mean()
    assert "qcut" in refused(ch06.decile_lift, by_qcut)
    # the response rates, not the lifts
    assert "differ" in refused(ch06.decile_lift, table["response_rate"])
    assert "0 to 9" in refused(ch06.decile_lift, table["lift"].reset_index(drop=True))
    assert "table" in refused(ch06.decile_lift, table.drop(columns="lift"))
    assert "ten numbers" in refused(ch06.decile_lift, table["lift"].tolist()[:9])


# ---------------------------------------------------------------- task 3: the cut-off


def test_best_cut_off(past, score, margins, cost, capsys):
    _, responded, called, _, _ = past
    margin = margins["margin"].mean()
    depths = targeting.profit_by_depth(score, responded[called], margin, cost)
    best = targeting.best_depth(depths)
    assert accepted(ch06.best_cut_off, best["contacted"], capsys)
    assert accepted(ch06.best_cut_off, int(best["contacted"]), capsys)
    # by hand: the cumulative profit of the ranked customers, its highest point
    ranked = responded[called].loc[score.sort_values(ascending=False, kind="stable").index]
    profit = (ranked.cumsum() * margin - np.arange(1, len(ranked) + 1) * cost).to_numpy()
    assert accepted(ch06.best_cut_off, int(np.argmax(profit)) + 1, capsys)

    assert "Off by one" in refused(ch06.best_cut_off, int(np.argmax(profit)))
    assert "share" in refused(ch06.best_cut_off, best["share_contacted"])
    assert "best profit" in refused(ch06.best_cut_off, best["profit"])
    assert "everyone" in refused(ch06.best_cut_off, len(called))
    assert "accuracy rule" in refused(ch06.best_cut_off, int((score >= 0.5).sum()))
    table = targeting.gains(score, responded[called])
    paying = table[table["response_rate"] >= cost / margin]
    assert "decile" in refused(ch06.best_cut_off, int(paying["customers"].sum()))
    # the median margin gives the same depth here (the ranking's best point does not move):
    # not a named mistake, and accepted
    median = targeting.profit_by_depth(score, responded[called], margins["margin"].median(), cost)
    if targeting.best_depth(median)["contacted"] == best["contacted"]:
        assert accepted(ch06.best_cut_off, targeting.best_depth(median)["contacted"], capsys)


# ---------------------------------------------------------------- task 4: incremental


def test_incremental_response(past, capsys):
    _, responded, called, held, _ = past
    yes, no = responded[called], responded[held]
    right = difference_of_shares(yes, no)
    assert accepted(ch06.incremental_response, right, capsys)
    assert accepted(ch06.incremental_response, list(right), capsys)
    p, q = yes.mean(), no.mean()
    se = math.sqrt(p * (1 - p) / len(yes) + q * (1 - q) / len(no))
    by_hand = pd.Series({"difference": p - q, "low": p - q - 1.96 * se, "high": p - q + 1.96 * se})
    assert accepted(ch06.incremental_response, by_hand, capsys)

    alone = math.sqrt(p * (1 - p) / len(yes))
    assert "naive" in refused(ch06.incremental_response, (p, p - Z95 * alone, p + Z95 * alone))
    called_only = (p - q, p - q - Z95 * alone, p - q + Z95 * alone)
    assert "held out's rate is an estimate" in refused(ch06.incremental_response, called_only)
    wide = (p - q, p - q - 2.576 * se, p - q + 2.576 * se)
    assert "99 %" in refused(ch06.incremental_response, wide)
    backwards = difference_of_shares(no, yes)
    assert "wrong way" in refused(ch06.incremental_response, backwards)
    assert "percentages" in refused(ch06.incremental_response, tuple(100 * v for v in right))
    # a 90 % interval, or another: the difference is right, the interval not
    narrow = (p - q, p - q - 1.645 * se, p - q + 1.645 * se)
    assert "90 %" in refused(ch06.incremental_response, narrow)
    other = (p - q, p - q - 1.5 * se, p - q + 1.5 * se)
    assert "both groups" in refused(ch06.incremental_response, other)
    assert "order" in refused(ch06.incremental_response, (right[1], right[0], right[2]))
    assert "three numbers" in refused(ch06.incremental_response, right[:2])
    assert "three numbers" in refused(ch06.incremental_response, right[0])


# ---------------------------------------------------------------- task 5: a target list


@pytest.fixture(scope="module")
def eligible(bank):
    """The customers the new campaign may call, scored by the course's response model on
    their features on the as-of date, and the features."""
    today = targeting.bank_features(bank, bank.as_of)
    accounts = bank["accounts"].merge(bank["products"][["product_id", "product_type"]])
    holders = accounts.query("product_type == 'term_deposit' and closed_on.isna()")
    without = today.index[~today.index.isin(holders["customer_id"])]
    may_call = targeting.reachable(bank, without, "phone", bank.as_of, most=1, days=365)
    model = ch06._model()
    return pd.Series(model.predict_proba(today.loc[may_call])[:, 1], index=may_call), today


def true_profit(bank, ids) -> float:
    campaign = {"product_type": "term_deposit", "channel": "phone"}
    return generator.simulate(bank, campaign, list(ids), holdout=0.2).true_incremental_profit


def test_the_contact_pressure_rule_leaves_customers_out(bank, eligible):
    score, _ = eligible
    customers = bank["customers"].set_index("customer_id")
    consenting = customers.index[customers["consent_phone"]]
    pressed = targeting.recent_contacts(bank, bank.as_of, 365).index
    assert len(consenting.intersection(pressed)) > 100
    assert not score.index.isin(pressed).any()


def test_the_bar_separates_the_course_list_from_random_lists(bank, eligible):
    score, _ = eligible
    course = true_profit(bank, targeting.top(score, most=ch06.MOST_LISTED))
    assert ch06.profit_bar() <= ch06.PROFIT_SHARE * course < ch06.profit_bar() + 1
    for seed in range(10):
        ids = np.random.default_rng(seed).choice(score.index, ch06.MOST_LISTED, replace=False)
        assert true_profit(bank, ids) < ch06.profit_bar(), seed


def test_target_list(bank, eligible, capsys):
    score, today = eligible
    right = targeting.top(score, most=ch06.MOST_LISTED)
    assert accepted(ch06.target_list, right, capsys)
    assert accepted(ch06.target_list, right.tolist(), capsys)
    assert accepted(ch06.target_list, pd.Series(right, dtype="float64"), capsys)
    # fewer calls than the centre can make, and another ranking: right when they earn enough
    assert accepted(ch06.target_list, targeting.top(score, most=400), capsys)
    balances = today.loc[score.index].filter(like="balance_").sum(axis=1)
    assert accepted(ch06.target_list, targeting.top(balances, most=ch06.MOST_LISTED), capsys)

    _, mistakes = answer_key(ch06.target_list)
    named = next(v for k, v in mistakes.items() if k.startswith("A random list"))
    assert "random list" in refused(ch06.target_list, named)
    for seed in range(1, 4):  # other random lists: below the bar, told what they earn
        ids = np.random.default_rng(seed).choice(score.index, ch06.MOST_LISTED, replace=False)
        assert "truly earns" in refused(ch06.target_list, ids)
    lowest = score.sort_values(kind="stable").index[: ch06.MOST_LISTED]
    assert "lowest scores" in refused(ch06.target_list, lowest)
    assert "everyone you may call" in refused(ch06.target_list, score.index)
    longer = targeting.top(score, most=ch06.MOST_LISTED + 100)
    assert "at most 500" in refused(ch06.target_list, longer)

    customers = bank["customers"].set_index("customer_id")
    refusing = customers.index[~customers["consent_phone"]]
    refusing = refusing.difference(targeting.recent_contacts(bank, bank.as_of, 365).index)
    one_more = right[:-1].append(refusing[:1])
    assert "did not agree" in refused(ch06.target_list, one_more)
    accounts = bank["accounts"].merge(bank["products"][["product_id", "product_type"]])
    holders = accounts.query("product_type == 'term_deposit' and closed_on.isna()")
    holding = pd.Index(holders["customer_id"]).intersection(
        customers.index[customers.consent_phone]
    )
    holding = holding.difference(targeting.recent_contacts(bank, bank.as_of, 365).index)
    assert "already hold" in refused(ch06.target_list, right[:-1].append(holding[:1]))
    pressed = targeting.recent_contacts(bank, bank.as_of, 365).index
    pressed = pressed.intersection(customers.index[customers.consent_phone])
    assert "contact-pressure" in refused(ch06.target_list, right[:-1].append(pressed[:1]))
    for hint in mistakes:  # the named lists of the rules, each recognised
        if "consent" in hint or "hold a term" in hint or "received a campaign" in hint:
            assert refused(ch06.target_list, mistakes[hint]) == hint

    assert "scores?" in refused(ch06.target_list, score.nlargest(ch06.MOST_LISTED))
    assert "table" in refused(ch06.target_list, score.to_frame())
    assert "empty" in refused(ch06.target_list, [])
    assert "more than once" in refused(ch06.target_list, right[:-1].append(right[:1]))
    assert "not in this database" in refused(ch06.target_list, [*right[:-1], 10**9])


# ---------------------------------------------------------- task 6: a ranking by expected profit


@pytest.fixture(scope="module")
def pilot():
    """The pilot as the check builds it (the exercise runs the same code)."""
    x, treated, bought, truth = ch06._pilot()
    return x, treated, bought, truth.reset_index()


def qini(score, truth, column="incremental_profit"):
    curve = targeting.qini_against_truth(score, truth.set_index("customer_id")[column])
    return targeting.qini_coefficient(curve)


@pytest.mark.parametrize("method", targeting.UPLIFT_METHODS)
def test_the_expected_profit_of_either_uplift_model_reaches_the_bar(pilot, method, capsys):
    x, treated, bought, truth = pilot
    ranking = ch06.expected_profit(x, treated, bought, method)
    assert qini(ranking, truth) >= ch06.QINI_BAR + 0.1
    assert accepted(ch06.uplift_ranking, ranking, capsys)


def test_the_bar_separates_uplift_from_random_rankings(pilot):
    x, _, _, truth = pilot
    for seed in range(10):
        ranking = pd.Series(np.random.default_rng(seed).random(len(x)), index=x.index)
        assert qini(ranking, truth) < ch06.QINI_BAR, seed


def test_uplift_ranking(pilot, capsys):
    x, treated, bought, truth = pilot
    right = ch06.expected_profit(x, treated, bought)
    assert accepted(ch06.uplift_ranking, right.sort_values(), capsys)
    assert accepted(ch06.uplift_ranking, right.rank(), capsys)  # only the order counts
    # a simple rule: the fewest trips for the category first (a coupon moves them most here)
    assert accepted(ch06.uplift_ranking, -x["category_trips"].astype(float), capsys)

    response = targeting.response_model(x[treated], bought[treated])
    by_response = pd.Series(response.predict_proba(x)[:, 1], index=x.index)
    assert qini(by_response, truth) < 0
    assert "response model" in refused(ch06.uplift_ranking, by_response)
    trained_on_all = targeting.response_model(x, bought)
    on_all = pd.Series(trained_on_all.predict_proba(x)[:, 1], index=x.index)
    assert "Below zero" in refused(ch06.uplift_ranking, on_all)
    assert "upside down" in refused(ch06.uplift_ranking, -right)
    by_truth = truth.set_index("customer_id")
    assert "p_control" in refused(ch06.uplift_ranking, by_truth["p_control"])
    for column in ["uplift", "incremental_profit"]:
        assert "truth" in refused(ch06.uplift_ranking, by_truth[column])
    for column in ["p_control", "p_treated"]:  # upside down, they rank well: read from it
        assert "truth" in refused(ch06.uplift_ranking, -by_truth[column])
    assert refused(ch06.uplift_ranking, by_truth["p_treated"])
    randomly = pd.Series(np.random.default_rng(3).random(len(x)), index=x.index)
    assert "Qini coefficient of profit" in refused(ch06.uplift_ranking, randomly)

    assert "misses 10" in refused(ch06.uplift_ranking, right.iloc[10:])
    extra = pd.concat([right, pd.Series([0.5], index=[10**9])])
    assert "has 1 others" in refused(ch06.uplift_ranking, extra)
    assert "row numbers" in refused(ch06.uplift_ranking, right.reset_index(drop=True))
    assert "table" in refused(ch06.uplift_ranking, right.to_frame())
    assert "NaN" in refused(ch06.uplift_ranking, right.where(right > 0))
    assert "same value" in refused(ch06.uplift_ranking, right * 0 + 1)
    assert "Series" in refused(ch06.uplift_ranking, right.to_numpy())
