"""Case C2's micro-codes: five parts from what the bank knew on a date, their sizes, and how
stable each part is from one date to another."""

import pandas as pd
import pytest

import generator
from course import micro_codes

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def bank():
    return generator.load("bank")


@pytest.fixture(scope="module")
def now(bank):
    return micro_codes.codes(bank, bank.as_of)


@pytest.fixture(scope="module")
def before(bank):
    return micro_codes.codes(bank, bank.as_of - pd.DateOffset(months=6))


def test_every_code_is_its_five_parts(now):
    assert now.index.is_unique
    assert set(now["life_stage"]) <= set(micro_codes.LIFE_STAGE.values())
    assert set(now["value"]) == {"A", "B", "C"}
    assert set(now["holdings"]) <= {"0", "1", "2"}
    assert set(now["channel"]) <= {"D", "P", "N"}
    assert set(now["signal"]) <= {"+", "-", "="}
    rebuilt = now.apply(
        lambda r: f"{r.life_stage}-{r.value}-{r.holdings}-{r.channel}{r.signal}", axis=1
    )
    assert (rebuilt == now["code"]).all()


def test_value_tiers_are_a_fifth_three_tenths_and_half(now):
    shares = now["value"].value_counts(normalize=True)
    assert shares["A"] == pytest.approx(0.2, abs=0.01)
    assert shares["B"] == pytest.approx(0.3, abs=0.01)
    assert shares["C"] == pytest.approx(0.5, abs=0.01)


def test_codes_use_nothing_after_their_date(bank, before):
    """The codes of a date are the same when every row after it is removed."""
    day = bank.as_of - pd.DateOffset(months=6)
    cut = {
        "customers": bank["customers"][bank["customers"]["registered_on"] <= day],
        "accounts": bank["accounts"][bank["accounts"]["opened_on"] <= day],
        "transactions": bank["transactions"][bank["transactions"]["booked_on"] <= day],
        "monthly_balances": bank["monthly_balances"][bank["monthly_balances"]["month_end"] <= day],
        "products": bank["products"],
    }
    accounts = cut["accounts"]
    cut["accounts"] = accounts.assign(
        closed_on=accounts["closed_on"].where(accounts["closed_on"] <= day)
    )
    pd.testing.assert_frame_equal(micro_codes.codes(cut, day), before)


def test_sizes_and_stability_tell_how_actionable_the_codes_are(before, now):
    size = micro_codes.sizes(now, smallest=30)
    assert size["codes"] > 50  # fine-grained
    assert 0.4 < size["share in codes with 30+"] < 1
    stable = micro_codes.stability(before, now)
    assert stable["life_stage"] > 0.95  # a household changes slowly
    assert stable["value"] > 0.7
    assert stable["signal"] < stable["value"]  # a behaviour signal moves from month to month
    assert stable["code"] < min(stable[p] for p in micro_codes.PARTS)
    table = micro_codes.migration(before, now, "value")
    assert table.sum(axis=1).round(6).eq(1).all()


def test_a_plan_runs_one_campaign_per_product_and_channel(bank, now):
    from course import targeting
    from generator.simulator import CampaignError

    features = targeting.bank_features(bank, bank.as_of)
    deposit = targeting.reachable(
        bank, features.index[features.holds_term_deposit == 0], "phone", bank.as_of
    )[:200]
    fund = features.index[(features.holds_fund == 0) & ~features.index.isin(deposit)]
    fund = targeting.reachable(bank, fund, "email", bank.as_of)[:300]
    plan = pd.concat(
        [
            pd.DataFrame(
                {"customer_id": deposit, "product_type": "term_deposit", "channel": "phone"}
            ),
            pd.DataFrame({"customer_id": fund, "product_type": "fund", "channel": "email"}),
        ]
    )
    table = micro_codes.simulate_plan(bank, plan)
    alone = generator.simulate(
        bank, {"product_type": "fund", "channel": "email"}, fund, holdout=0.2
    )
    assert table.loc["fund by email", "true_incremental_profit"] == pytest.approx(
        alone.true_incremental_profit
    )
    parts = table.drop(index="total")
    assert table.loc["total", "contacted"] == parts["contacted"].sum()
    assert table.loc["total", "true_incremental_profit"] == pytest.approx(
        parts["true_incremental_profit"].sum()
    )
    with pytest.raises(CampaignError, match="more than once"):
        micro_codes.simulate_plan(bank, pd.concat([plan, plan.head(1)]))


def test_the_plans_interval_adds_the_campaigns_in_squares(bank):
    from course import targeting

    features = targeting.bank_features(bank, bank.as_of)
    ids = features.index[(features.holds_fund == 0) & (features.holds_credit_card == 0)]
    fund = targeting.reachable(bank, ids, "email", bank.as_of)[:300]
    card = targeting.reachable(bank, ids.difference(fund), "sms", bank.as_of)[:300]
    plan = pd.concat(
        [
            pd.DataFrame({"customer_id": fund, "product_type": "fund", "channel": "email"}),
            pd.DataFrame({"customer_id": card, "product_type": "credit_card", "channel": "sms"}),
        ]
    )
    table = micro_codes.simulate_plan(bank, plan)
    parts, total = table.drop(index="total"), table.loc["total"]
    half = (parts.incremental_profit_high - parts.incremental_profit_low) / 2
    assert total.incremental_profit_high - total.incremental_profit == pytest.approx(
        (half**2).sum() ** 0.5
    )
    assert total.incremental_profit_low < total.incremental_profit < total.incremental_profit_high
