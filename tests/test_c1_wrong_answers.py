"""Case C1's checks tell right from wrong on the default data: plausible answers, written the way
a student would write them, are judged as they should be — the wrong ones refused (with the hint
of their mistake where the check names it), the right ones in another form accepted — and the
data hold the cases that separate them (buyers at exactly a brand threshold, buyers tied on
their purchase days, receipts on the as-of date, customers who skipped weeks).

The open decision, a store-brand coupon per cell, is judged by what it is worth in the campaign
simulator: the bar is a share of the best coupon per cell on a grid. The solution's plan (the
smallest coupon for the heavy users) reaches it on the default build and on the other builds;
the seed's plan (the biggest coupon for the heavy users) and the pilot's one coupon for every
cell do not, on any of them.

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import nbformat
import numpy as np
import pandas as pd
import pytest

import generator
from course import brand_usage, one_to_one, periods, targeting
from course.checking import answer_key
from course.checks import c1

from conftest import OTHER_DATA, ROOT, accepted, clear_caches, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

CACHED = (c1.retail, c1._cells, c1.pilot, c1._earned, c1.grid, c1.deal_outcome)


def forget():
    clear_caches(CACHED)


@pytest.fixture(scope="module")
def retail():
    forget()
    return c1.retail()


@pytest.fixture(scope="module")
def cells(retail):
    return brand_usage.cells(brand_usage.buyers(retail, retail.as_of))


def store_price(retail) -> float:
    pain = retail["products"].query("category == 'pain_reliever'")
    return float(pain.loc[pain["store_brand"], "price"].mean())


def reverse_plan(retail) -> dict:
    """The solution's plan: the smallest coupon of the grid for the heavy users, the pilot's for
    the others (the seed's plan the other way round)."""
    price = store_price(retail)
    small, usual = round(0.05 * price, 2), round(0.2 * price, 2)
    return {c: small if c.endswith("/heavy") else usual for c in brand_usage.CELLS}


def worth(retail, cells, plan, sends=None) -> float:
    table = brand_usage.simulate_offer(retail, cells, plan, sends=sends)
    return float(table.loc["total", "true_value"])


# ---------------------------------------------------------------- task 1: the nine cells


def by_hand(retail, days=730, usage="purchase_days", store=0.75, national=0.25):
    """Task 1 the way the solution builds it."""
    products = retail["products"]
    pain = products.loc[products["category"] == "pain_reliever", ["product_id", "store_brand"]]
    receipts = retail["transactions"]
    receipts = receipts[periods.in_window(receipts["timestamp"], retail.as_of, days)]
    lines = retail["transaction_items"].merge(pain).merge(receipts, on="transaction_id")
    lines["store_units"] = lines["quantity"].where(lines["store_brand"], 0)
    lines["day"] = lines["timestamp"].dt.normalize()
    buyer = lines.groupby("customer_id").agg(
        units=("quantity", "sum"),
        store_units=("store_units", "sum"),
        purchase_days=("day", "nunique"),
    )
    share = buyer["store_units"] / buyer["units"]
    buyer["brand_class"] = np.select(
        [share >= store, share <= national], ["store", "national"], "switcher"
    )
    ranks = buyer[usage].rank(method="first")
    buyer["usage_class"] = pd.qcut(ranks, 3, labels=["light", "medium", "heavy"])
    return buyer


def test_the_data_hold_buyers_at_the_thresholds_and_ties(retail, cells):
    assert cells["store_share"].isin([0.25, 0.75]).sum() > 10
    # the thirds' cut points fall inside runs of tied buyers
    ranks = cells["purchase_days"].rank(method="first")
    cuts = cells["purchase_days"][ranks.isin([len(cells) // 3, len(cells) // 3 + 1])]
    assert (cells["purchase_days"] == cuts.iloc[0]).sum() > 2
    assert (cells["units"] != cells["purchase_days"]).sum() > 100


def test_nine_cells(retail, cells, capsys):
    buyer = by_hand(retail)
    table = pd.crosstab(buyer["brand_class"], buyer["usage_class"])
    assert accepted(c1.nine_cells, table, capsys)  # rows in alphabetical order
    assert accepted(c1.nine_cells, buyer.groupby(["brand_class", "usage_class"]).size(), capsys)
    counts = cells.groupby(["brand_class", "usage_class"], observed=False).size().unstack()
    assert accepted(c1.nine_cells, counts, capsys)
    assert accepted(c1.nine_cells, pd.crosstab(cells["brand_class"], cells["usage_class"]), capsys)
    pivot = cells.pivot_table(
        index="brand_class", columns="usage_class", values="units", aggfunc="count", observed=False
    )
    assert accepted(c1.nine_cells, pivot, capsys)

    # the named mistakes, written by hand
    year = by_hand(retail, 365)
    assert "one year" in refused(
        c1.nine_cells, pd.crosstab(year["brand_class"], year["usage_class"])
    )
    units = by_hand(retail, usage="units")
    assert "units bought" in refused(
        c1.nine_cells, pd.crosstab(units["brand_class"], units["usage_class"])
    )
    strict = by_hand(retail, store=0.75 + 1e-9, national=0.25 - 1e-9)
    assert "exactly 0.25 or 0.75" in refused(
        c1.nine_cells, pd.crosstab(strict["brand_class"], strict["usage_class"])
    )
    tied = buyer.assign(
        usage_class=pd.qcut(buyer["purchase_days"], 3, labels=["light", "medium", "heavy"])
    )
    assert "tied" in refused(c1.nine_cells, pd.crosstab(tied["brand_class"], tied["usage_class"]))
    swapped = table.rename(index={"national": "store", "store": "national"})
    assert "wrong way round" in refused(c1.nine_cells, swapped)
    # a window a day too long: the general hint, which says what differs
    longer = by_hand(retail, 731)
    told = refused(c1.nine_cells, pd.crosstab(longer["brand_class"], longer["usage_class"]))
    assert "buyers" in told and "730 days" in told
    # one class right, the other wrong: told which
    usage_off = buyer.assign(
        usage_class=pd.qcut(
            buyer["units"].rank(method="first"), 3, labels=["light", "medium", "heavy"]
        )
    )
    wrong_usage = pd.crosstab(usage_off["brand_class"], usage_off["usage_class"])
    assert c1._Grid().difference(wrong_usage, table).startswith("Each brand class holds the right")

    assert "wrong way round" in refused(c1.nine_cells, table.T)
    assert "NaN" in refused(c1.nine_cells, table.where(table > 60))
    assert "rows" in refused(c1.nine_cells, table.drop("switcher"))
    assert "DataFrame" in refused(c1.nine_cells, table.to_numpy())


# ---------------------------------------------------------------- task 2: the list


def week_spend(retail, days=56):
    receipts = retail["transactions"]
    window = receipts[periods.in_window(receipts["timestamp"], retail.as_of, days)]
    return window, window.groupby("customer_id")["total"].sum()


def test_the_data_hold_receipts_on_the_as_of_date_and_customers_who_skipped_weeks(retail):
    window, spend = week_spend(retail)
    assert (window["timestamp"].dt.normalize() == retail.as_of.normalize()).sum() > 0
    weeks = (retail.as_of.normalize() - window["timestamp"].dt.normalize()).dt.days // 7
    shopped = weeks.groupby(window["customer_id"]).nunique()
    assert (shopped < 8).mean() > 0.5
    # nobody spent exactly 25 a week: `>=` and `>` agree, so the check cannot name that mistake
    assert not (spend.round(2) == 200).any()


def test_shopping_list(retail, capsys):
    window, spend = week_spend(retail)
    members = spend[spend / 8 > 25]
    right = pd.Series(
        {"members": len(members), "revenue_share": members.sum() / window["total"].sum()}
    )
    assert accepted(c1.shopping_list, right, capsys)
    assert accepted(c1.shopping_list, (len(members), right["revenue_share"]), capsys)
    # from the course's function: the weekly spend rounded to the cent, times 8
    listed = brand_usage.list_members(retail, retail.as_of)
    share = (listed.loc[listed["member"], "weekly_spend"] * 8).sum() / window["total"].sum()
    assert accepted(
        c1.shopping_list, {"members": listed["member"].sum(), "revenue_share": share}, capsys
    )
    assert accepted(c1.shopping_list, right.to_frame().T, capsys)

    assert "percentage" in refused(c1.shopping_list, right * [1, 100])
    window4, spend4 = week_spend(retail, 28)
    members4 = spend4[spend4 / 4 > 25]
    four = {"members": len(members4), "revenue_share": members4.sum() / window4["total"].sum()}
    assert "Four weeks" in refused(c1.shopping_list, four)
    before = window[window["timestamp"] < retail.as_of.normalize()]
    spent = before.groupby("customer_id")["total"].sum()
    kept = spent[spent / 8 > 25]
    midnight = {"members": len(kept), "revenue_share": kept.sum() / before["total"].sum()}
    assert "whole day" in refused(c1.shopping_list, midnight)
    whole_history = members.sum() / retail["transactions"]["total"].sum()
    assert "all the revenue" in refused(
        c1.shopping_list, {"members": len(members), "revenue_share": whole_history}
    )
    assert "too many members" in refused(c1.shopping_list, right + [1, 0])
    assert "too low" in refused(c1.shopping_list, right - [0, 0.01])
    assert "True/False" in refused(c1.shopping_list, {"members": True, "revenue_share": 0.5})
    assert "no revenue_share" in refused(c1.shopping_list, {"members": len(members)})
    assert "two numbers" in refused(c1.shopping_list, len(members))


# ---------------------------------------------------------------- task 3: the pilot


@pytest.fixture(scope="module")
def pilot(retail, cells):
    """The pilot the way the notebook runs it."""
    agreed = retail["customers"].set_index("customer_id")["consent_email"]
    listed = cells.index[agreed.loc[cells.index].to_numpy()]
    coupon = round(0.2 * store_price(retail), 2)
    campaign = {"category": "pain_reliever", "channel": "email", "coupon_value": coupon}
    return generator.simulate(retail, {**campaign, "brand": "store"}, listed, holdout=0.5)


def test_the_notebooks_pilot_is_the_checks_and_simulate_offers(retail, cells, pilot):
    pd.testing.assert_frame_equal(pilot.customers, c1.pilot().customers)
    pd.testing.assert_frame_equal(pilot.truth, c1.pilot().truth)
    one_size = brand_usage.simulate_offer(retail, cells, c1.one_size())
    assert one_size.loc["total", "contacted"] == (pilot.customers["group"] == "treatment").sum()
    assert one_size.loc["total", "true_value"] == pytest.approx(
        pilot.truth["incremental_profit"].sum(), abs=0.05
    )


def test_pilot_by_usage(cells, pilot, capsys):
    seen = pilot.customers.set_index("customer_id")
    usage = cells["usage_class"].reindex(seen.index)
    rates = seen["responded"].groupby([usage, seen["group"]], observed=True).mean().unstack()
    right = pd.DataFrame(
        {
            "control_rate": rates["control"],
            "incremental_response": rates["treatment"] - rates["control"],
        }
    )
    assert accepted(c1.pilot_by_usage, right, capsys)
    with_groups = pd.concat([rates.rename(columns=str), right], axis=1)  # the groups' rates too
    assert accepted(c1.pilot_by_usage, with_groups, capsys)
    assert accepted(c1.pilot_by_usage, right.reset_index(), capsys)
    # by hand, the way chapter 06 evaluates a campaign: one evaluation per usage class
    rows = {}
    for u in brand_usage.USAGE_CLASSES:
        keep = (usage == u).to_numpy()
        part = type(pilot)(pilot.campaign, pilot.customers[keep], pilot.truth[keep], 0.0)
        e = targeting.evaluation(part)
        rows[u] = {
            "control_rate": e["control_rate"],
            "incremental_response": e["incremental_response"],
        }
    assert accepted(c1.pilot_by_usage, pd.DataFrame(rows).T, capsys)

    assert "subtract" in refused(
        c1.pilot_by_usage, right.assign(incremental_response=rates["treatment"])
    )
    assert "wrong way" in refused(
        c1.pilot_by_usage, right.assign(incremental_response=-right["incremental_response"])
    )
    everyone = seen["responded"].groupby(usage, observed=True).mean()
    ignored = pd.DataFrame(
        {"control_rate": everyone, "incremental_response": rates["treatment"] - everyone}
    )
    assert "both groups" in refused(c1.pilot_by_usage, ignored)
    brand = cells["brand_class"].reindex(seen.index)
    by_brand = seen["responded"].groupby([brand, seen["group"]], observed=True).mean().unstack()
    by_brand = pd.DataFrame(
        {
            "control_rate": by_brand["control"],
            "incremental_response": by_brand["treatment"] - by_brand["control"],
        }
    )
    assert "brand classes" in refused(c1.pilot_by_usage, by_brand)
    assert "percentages" in refused(c1.pilot_by_usage, right * 100)
    assert "control rates differ" in refused(c1.pilot_by_usage, right.assign(control_rate=0.2))
    assert "no column control_rate" in refused(c1.pilot_by_usage, rates)
    assert "one row per usage class" in refused(c1.pilot_by_usage, right.drop("medium"))
    assert "DataFrame" in refused(c1.pilot_by_usage, right["incremental_response"])


# ---------------------------------------------------------------- task 4: the plan


def test_the_grid_is_the_cells_worth_and_the_bar_a_share_of_its_best(retail, cells):
    grid = c1.grid()
    assert list(grid.index) == list(brand_usage.CELLS)
    assert list(grid.columns) == [round(s * store_price(retail), 2) for s in c1.GRID_SHARES]
    best = c1.best_plan()
    assert worth(retail, cells, best) == pytest.approx(grid.max(axis=1).clip(lower=0).sum())
    assert c1.plan_bar() == pytest.approx(
        c1.PLAN_SHARE * grid.max(axis=1).clip(lower=0).sum(), abs=0.01
    )
    # the heavy users' big coupon loses money: they buy anyway
    heavy = [c for c in brand_usage.CELLS if c.endswith("/heavy")]
    assert (grid.loc[heavy].iloc[:, -1] < grid.loc[heavy].iloc[:, 0]).all()


def test_conversion_plan(retail, cells, capsys):
    plan = reverse_plan(retail)
    assert accepted(c1.conversion_plan, plan, capsys)
    assert accepted(c1.conversion_plan, pd.Series(plan), capsys)
    # timed to each customer's cycle (chapter 07): a pair (plan, send days), Series or table
    days = one_to_one.purchase_days(retail, retail.as_of, ["pain_reliever"])
    predicted = one_to_one.next_purchase(one_to_one.intervals(days), retail.as_of)
    sends = one_to_one.timed_sends(predicted, retail.as_of)
    assert accepted(c1.conversion_plan, (plan, sends.set_index("customer_id")["sent_on"]), capsys)
    assert accepted(c1.conversion_plan, (plan, sends), capsys)
    timed = worth(retail, cells, plan, sends.set_index("customer_id")["sent_on"])
    assert timed == pytest.approx(worth(retail, cells, plan), abs=2)  # timing changes little

    _, mistakes = answer_key(c1.conversion_plan)
    for hint, wrong in mistakes.items():
        assert refused(c1.conversion_plan, wrong) == hint
    price = store_price(retail)
    seed = {c: round(c1.SEED_SHARES[c.split("/")[1]] * price, 2) for c in brand_usage.CELLS}
    assert "seed's plan" in refused(c1.conversion_plan, seed)
    assert "the pilot" in refused(
        c1.conversion_plan, dict.fromkeys(brand_usage.CELLS, round(0.2 * price, 2))
    )
    told = refused(c1.conversion_plan, {"store/light": round(0.2 * price, 2)})  # one cell only
    assert "is worth" in told and "the bar is" in told

    assert "no cell 'store/huge'" in refused(c1.conversion_plan, {**plan, "store/huge": 1.0})
    assert "no cell 'heavy'" in refused(c1.conversion_plan, {"heavy": 0.5, "light": 1.0})
    assert "sends nothing" in refused(c1.conversion_plan, {})
    assert "sends nothing" in refused(c1.conversion_plan, dict.fromkeys(brand_usage.CELLS, 0))
    assert "0 (none) or more" in refused(c1.conversion_plan, {**plan, "store/heavy": -0.5})
    assert "half the store brand's price" in refused(
        c1.conversion_plan, {**plan, "store/light": 100.0}
    )
    assert "an amount" in refused(c1.conversion_plan, {**plan, "store/light": "1.00"})
    assert "dict" in refused(c1.conversion_plan, list(plan.values()))
    late = pd.Series(retail.as_of, index=[int(c1._listed()[0])])  # sent on the as-of date
    assert "simulator refused" in refused(c1.conversion_plan, (plan, late))
    assert "customer_id and sent_on" in refused(
        c1.conversion_plan, (plan, sends.drop(columns="sent_on"))
    )


@pytest.mark.parametrize("name", list(OTHER_DATA))
def test_on_other_builds_the_solution_passes_and_the_seeds_plan_and_the_pilot_fail(
    other_data_builds, name, monkeypatch, capsys
):
    monkeypatch.setenv("GENERATOR_DATASETS", str(other_data_builds(name)))
    forget()
    try:
        ds = c1.retail()
        assert accepted(c1.conversion_plan, reverse_plan(ds), capsys)
        assert accepted(c1.conversion_plan, c1.best_plan(), capsys)
        for plan in (c1.seed_plan(), c1.one_size()):
            assert "the bar" not in refused(c1.conversion_plan, plan)  # named: refused by hint
            assert c1._earned(c1._as_plan(plan))[0] < c1.plan_bar()
        for task in (c1.nine_cells, c1.shopping_list, c1.pilot_by_usage, c1.maker_deal):
            expected, mistakes = answer_key(task)
            assert accepted(task, expected, capsys)
            for hint, wrong in mistakes.items():
                assert not task.kind.same(wrong, expected), (task.name, hint)
    finally:
        monkeypatch.delenv("GENERATOR_DATASETS")
        forget()


# ---------------------------------------------------------------- task 5: the deal


def test_maker_deal(retail, pilot, capsys):
    agreed = pilot.customers["customer_id"]
    coupon = round(
        0.2
        * retail["products"].query("category == 'pain_reliever' and ~store_brand")["price"].mean(),
        2,
    )
    campaign = {
        "category": "pain_reliever",
        "channel": "email",
        "coupon_value": coupon,
        "brand": "national",
    }
    offer = generator.simulate(retail, campaign, agreed.to_numpy(), holdout=0.5)
    deal = brand_usage.funded(retail, offer)
    right = deal["chain_profit_if_funded"] - pilot.truth["incremental_profit"].sum()
    assert accepted(c1.maker_deal, right, capsys)
    assert accepted(c1.maker_deal, round(right, 2), capsys)  # to the cent
    one_size = brand_usage.simulate_offer(retail, c1._cells(), c1.one_size())
    assert accepted(
        c1.maker_deal, deal["chain_profit_if_funded"] - one_size.loc["total", "true_value"], capsys
    )
    # the deal is worth more to the chain than its own coupon, and costs the maker its coupons
    assert right > 0 and deal["coupons_paid"] > 0

    own = pilot.truth["incremental_profit"].sum()
    assert "maker earns" in refused(c1.maker_deal, deal["maker_profit"] - own)
    assert "paid by the chain" in refused(c1.maker_deal, deal["chain_profit_if_not"] - own)
    assert "subtract" in refused(c1.maker_deal, deal["chain_profit_if_funded"])
    assert "contacted half" in refused(
        c1.maker_deal, deal["chain_profit_if_funded"] - pilot.true_incremental_profit
    )
    assert "too high" in refused(c1.maker_deal, right + 1)
    assert "number" in refused(c1.maker_deal, deal)


# ---------------------------------------------------------------- the solution notebook


def test_the_solution_notebooks_plan_is_the_reverse_of_the_seeds(retail, capsys):
    notebook = nbformat.read(ROOT / "solutions" / "C1_supermarket_chain.ipynb", as_version=4)
    source = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "c1 as check" in source
    names: dict = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            exec(cell.source, names)
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "conversion-plan-answer":
            break
    capsys.readouterr()
    assert names["answer"] == reverse_plan(retail)
