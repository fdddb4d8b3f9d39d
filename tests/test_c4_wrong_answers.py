"""Case C4's checks tell right from wrong on the default data: plausible answers, written the way
a student would write them, are judged as they should be — the wrong ones refused (with the hint
of their mistake where the check names it), the right ones in another form accepted — and the
data hold the cases that separate them (leads too young to be mature, test drives after a
lead's first days, repairs among the workshop visits, cars sold long after they were built).

Three tasks are judged by how well an answer does. The lead score must rank the later leads
(an AUC bar) from what a lead shows in its first three days: a score that reads a later test
drive or the dealer's follow-ups is refused, whatever its AUC. The open decision, the prospects
the dealers call, is scored in the campaign simulator against the best rule "call the leads up
to N days old": the solution's list (the lead ages whose calls pay) reaches it on the default
build and on the other builds; calling everyone, the oldest leads or the freshest only does
not. The timed trade-in offer must be worth, per owner, 1.3 times the offer to every owner:
the list read from the Kaplan–Meier curve reaches it on every build; every owner and the
newest cars do not.

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import nbformat
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import generator
from course import channels, funnel, ownership
from course.checking import answer_key
from course.checks import c4
from generator.industries.auto import SPEC

from conftest import OTHER_DATA, ROOT, accepted, clear_caches, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

CACHED = (
    c4.auto,
    c4._leads,
    c4._split,
    c4._model_scores,
    c4._alike,
    c4._open,
    c4._follow_up,
    c4.follow_up_rules,
    c4._fleet,
    c4._owners,
    c4._trade_in,
)
FOLLOW_UP = {"kind": "lead follow-up", "channel": "phone"}


def forget():
    clear_caches(CACHED)


@pytest.fixture(scope="module")
def auto():
    forget()
    return c4.auto()


@pytest.fixture(scope="module")
def leads(auto):
    return funnel.leads(auto)


# ---------------------------------------------------------------- the solution's answers


def funnel_by_hand(leads, auto, mature=True, over="sold", cost="cost_per_sale"):
    kept = leads[leads["mature"]] if mature else leads
    by = kept.groupby("source", observed=True)
    table = pd.DataFrame({"test_drive_rate": by["test_drive"].mean()})
    if over == "sold":
        table["sale_rate"] = by["sold"].mean()
    else:  # sales over test drives
        table["sale_rate"] = (
            kept[kept["test_drive"]].groupby("source", observed=True)["sold"].mean()
        )
    table.index = table.index.astype(str)
    table["cost_per_sale"] = channels.lead_channels(auto)[cost]
    return table


def split(leads, auto):
    usable = leads[leads["mature"] & ~leads["sold_early"]]
    day = auto.as_of - pd.Timedelta(days=455)
    return usable[usable["created_on"] < day], usable[usable["created_on"] >= day]


def model_score(train, test, columns) -> pd.Series:
    def x(frame):
        if "source" in columns:
            return pd.get_dummies(frame[columns], columns=["source"], dtype=float).astype(float)
        return frame[columns].astype(float)

    model = LogisticRegression(max_iter=1000).fit(x(train), train["sold"])
    score = model.predict_proba(x(test).reindex(columns=x(train).columns, fill_value=0.0))
    return pd.Series(score[:, 1], index=test.index)


def prospects(auto):
    """Every prospect with an open lead, whatever its age, who agreed to phone calls."""
    days = (auto.as_of - auto["leads"]["created_on"].min()).days + 1
    table = funnel.prospects(auto, days=days)
    phone = auto["customers"].set_index("customer_id")["consent_phone"]
    return table[phone.reindex(table.index).to_numpy()]


def solution_calls(auto) -> list:
    """The solution's list: the prospects in the lead-age bands whose calls truly pay."""
    table = prospects(auto)
    everyone = generator.simulate(auto, FOLLOW_UP, table.index, holdout=0.5)
    worth = pd.Series(everyone.truth["incremental_profit"].to_numpy(), index=table.index)
    bands = pd.cut(table["age_days"], [-1, 30, 60, 90, 180, 365, np.inf])
    by_band = worth.groupby(bands, observed=True).sum()
    return list(table.index[bands.isin(by_band.index[by_band > 0]).to_numpy()])


def sms_owners(auto) -> pd.DataFrame:
    fleet = ownership.cars(auto).reset_index().set_index("customer_id")
    sms = auto["customers"].set_index("customer_id")["consent_sms"]
    return fleet[sms.reindex(fleet.index).to_numpy()]


def solution_trade_in(auto) -> list:
    """The solution's list: the owners whose car is at an age in which the Kaplan–Meier curve
    says at least 5 % of the cars left are replaced."""
    km = ownership.kaplan_meier(ownership.replacement_times(auto))
    years = np.arange(11)
    at = pd.Series([km.loc[km["years"] <= y, "not_replaced"].min() for y in years], index=years)
    at = at.fillna(1.0)
    hazard = 1 - at.shift(-1) / at
    owners = sms_owners(auto)
    ages = hazard.index[hazard >= 0.05]
    return list(owners.index[np.floor(owners["age_years"]).isin(ages)])


# ---------------------------------------------------------------- task 1: the funnel


def test_the_data_hold_young_leads_and_test_drives_without_a_sale(leads):
    assert (~leads["mature"]).sum() > 100
    young = leads[~leads["mature"]]
    assert young["sold"].mean() != leads.loc[leads["mature"], "sold"].mean()
    assert (leads["test_drive"] & ~leads["sold"]).sum() > 100


def test_funnel_by_source(auto, leads, capsys):
    right = funnel_by_hand(leads, auto)
    assert accepted(c4.funnel_by_source, right, capsys)
    summary = funnel.summary(leads)
    summary.index = summary.index.astype(str)
    whole = summary.join(channels.lead_channels(auto)[["cost_per_sale"]])
    assert accepted(c4.funnel_by_source, whole, capsys)  # the summary's other columns too
    assert accepted(c4.funnel_by_source, right.reset_index(), capsys)

    assert "mature leads only" in refused(
        c4.funnel_by_source, funnel_by_hand(leads, auto, mature=False)
    )
    assert "over the test drives" in refused(
        c4.funnel_by_source, funnel_by_hand(leads, auto, over="test drives")
    )
    assert "spend per new prospect" in refused(
        c4.funnel_by_source, funnel_by_hand(leads, auto, cost="cost_per_customer")
    )
    # the cost from lead_channels' conversion instead: told which column differs
    revenue = right.assign(cost_per_sale=channels.lead_channels(auto)["revenue_per_customer"])
    assert "cost_per_sale differ" in refused(c4.funnel_by_source, revenue)
    percent = right.assign(
        test_drive_rate=100 * right["test_drive_rate"], sale_rate=100 * right["sale_rate"]
    )
    assert "percentages" in refused(c4.funnel_by_source, percent)
    assert "no column cost_per_sale" in refused(
        c4.funnel_by_source, right.drop(columns="cost_per_sale")
    )
    assert "one row per lead source" in refused(c4.funnel_by_source, right.iloc[1:])
    assert "DataFrame" in refused(c4.funnel_by_source, right["sale_rate"])


# ---------------------------------------------------------------- task 2: the lead score


def test_the_data_hold_late_test_drives_and_follow_ups(leads):
    assert (leads["test_drive"] & ~leads["test_drive_early"]).sum() > 100
    assert (leads["followups"] > 0).sum() > 500


def test_lead_score(auto, leads, capsys):
    train, test = split(leads, auto)
    columns = ["deep_views", "views", "test_drive_early", "existing_owner", "source"]
    assert accepted(c4.lead_score, model_score(train, test, columns), capsys)
    assert accepted(
        c4.lead_score, model_score(train, test, ["deep_views", "test_drive_early"]), capsys
    )
    # a rule of thumb, no model: deep views, and an early test drive counts for three
    thumb = test["deep_views"] + 3 * test["test_drive_early"]
    assert accepted(c4.lead_score, thumb, capsys)
    # scores for every mature lead: the test leads are read
    every = pd.concat([model_score(train, train, columns), model_score(train, test, columns)])
    assert accepted(c4.lead_score, every, capsys)
    frame = model_score(train, test, columns).rename("score").rename_axis("lead_id")
    assert accepted(c4.lead_score, frame.reset_index(), capsys)

    # what comes after the first days: refused however well it ranks
    for later in (["deep_views", "test_drive"], ["views", "test_drive"], ["followups"]):
        told = refused(c4.lead_score, model_score(train, test, later))
        assert "comes later" in told or "Your score reads" in told, later
    named = refused(c4.lead_score, model_score(train, test, ["deep_views", "followups"]))
    assert "follow-ups" in named
    assert "comes later" in refused(
        c4.lead_score, model_score(train, test, ["deep_views", "test_drive_early", "followups"])
    )
    # the score date (created_on) is not among what a score may read
    assert "comes later" in refused(c4.lead_score, thumb + test["created_on"].dt.day / 1000)
    # deep views alone rank, but not well enough
    told = refused(c4.lead_score, model_score(train, test, ["deep_views"]))
    assert "the bar is 0.75" in told
    assert "ranks the buyers last" in refused(c4.lead_score, -thumb)
    assert "misses" in refused(c4.lead_score, model_score(train, train, columns))
    assert "row numbers" in refused(c4.lead_score, thumb.reset_index(drop=True))
    assert "lost their leads" in refused(c4.lead_score, thumb.to_numpy())
    assert "numbers" in refused(c4.lead_score, test["test_drive_early"])


# ---------------------------------------------------------------- task 3: the follow-up


def test_the_rules_and_the_bar(auto):
    rules = c4.follow_up_rules()
    table = prospects(auto)
    everyone = generator.simulate(auto, FOLLOW_UP, table.index, holdout=0.5)
    worth = pd.Series(everyone.truth["incremental_profit"].to_numpy(), index=table.index)
    for days, value in rules.items():
        assert value == pytest.approx(worth[table["age_days"] <= days].sum())
    assert c4.follow_up_bar() == pytest.approx(0.9 * rules.max(), abs=1)
    # calling everyone is worth less than the bar: the cold leads lose money
    assert worth.sum() < c4.follow_up_bar()
    assert worth[table["age_days"] > 365].sum() < 0


def test_follow_up_list(auto, capsys):
    table = prospects(auto)
    calls = solution_calls(auto)
    assert accepted(c4.follow_up_list, calls, capsys)
    assert accepted(c4.follow_up_list, pd.Series(calls), capsys)
    assert accepted(c4.follow_up_list, table.loc[calls].reset_index(), capsys)
    # the course's prospects of the last year, who agreed to phone
    year = funnel.prospects(auto)
    phone = auto["customers"].set_index("customer_id")["consent_phone"]
    assert accepted(c4.follow_up_list, year.index[phone.loc[year.index].to_numpy()], capsys)

    _, mistakes = answer_key(c4.follow_up_list)
    for hint, wrong in mistakes.items():
        assert refused(c4.follow_up_list, list(wrong)) == hint
    assert "cold" in refused(c4.follow_up_list, list(table.index))
    assert "sends nothing" not in refused(c4.follow_up_list, calls[:5])  # told its worth
    assert "the bar is" in refused(c4.follow_up_list, calls[:5])
    oldest = table.sort_values("age_days", ascending=False).index[:200]
    assert "the bar is" in refused(c4.follow_up_list, oldest)
    assert "empty" in refused(c4.follow_up_list, [])

    # an owner who bought after their latest lead: no lead to follow up
    sales = auto["sales"]
    bought = sales.loc[sales["lead_id"].notna(), "customer_id"]
    owner = int(bought[~bought.isin(prospects(auto).index)].iloc[0])
    told = refused(c4.follow_up_list, [*calls, owner])
    assert "simulator refused" in told and "closed without a sale" in told
    # a prospect who did not agree to phone calls
    days = (auto.as_of - auto["leads"]["created_on"].min()).days + 1
    every = funnel.prospects(auto, days=days)
    silent = every.index[~phone.loc[every.index].to_numpy()]
    told = refused(c4.follow_up_list, [*calls, int(silent[0])])
    assert "simulator refused" in told and "phone" in told
    assert "more than once" in refused(c4.follow_up_list, [*calls, calls[0]])
    assert "whole numbers" in refused(c4.follow_up_list, ["a", "b"])


# ---------------------------------------------------------------- task 4: service retention


def retention_by_hand(auto, repairs=False, ever=False, built=False) -> pd.Series:
    fleet = ownership.cars(auto)
    visits = auto["service_visits"]
    if not repairs:
        visits = visits[visits["service_type"].astype(str) != "repair"]
    if not ever:
        visits = visits[visits["visited_on"] > auto.as_of - pd.Timedelta(days=365)]
    serviced = fleet.index.isin(visits["vin"])
    age = np.floor(fleet["age_years"]).astype(int)  # as the task says: `age_years`
    if built:
        since = auto["vehicles"].set_index("vin")["built_on"].reindex(fleet.index)
        age = np.floor((auto.as_of - since).dt.days / 365.25).astype(int)
    return pd.Series(serviced, index=fleet.index).groupby(age.to_numpy()).mean().loc[1:7]


def test_the_data_hold_repairs_and_cars_sold_long_after_they_were_built(auto):
    fleet = ownership.cars(auto)
    built = auto["vehicles"].set_index("vin")["built_on"].reindex(fleet.index)
    assert ((fleet["sold_on"] - built).dt.days > 90).sum() > 500
    by_build = np.floor((auto.as_of - built).dt.days / 365.25)
    assert (by_build != np.floor(fleet["age_years"])).sum() > 500  # a whole year apart
    visits = auto["service_visits"]
    assert (visits["service_type"].astype(str) == "repair").sum() > 500


def test_service_retention(auto, capsys):
    right = retention_by_hand(auto)
    assert accepted(c4.service_retention, right, capsys)
    assert accepted(c4.service_retention, ownership.retention(ownership.cars(auto)), capsys)
    assert accepted(c4.service_retention, right.to_dict(), capsys)
    assert accepted(c4.service_retention, retention_by_hand(auto), capsys)

    assert "count repairs" in refused(c4.service_retention, retention_by_hand(auto, repairs=True))
    assert "at any time" in refused(c4.service_retention, retention_by_hand(auto, ever=True))
    assert "production date" in refused(c4.service_retention, retention_by_hand(auto, built=True))
    assert "percentages" in refused(c4.service_retention, 100 * right)
    assert "no share for the age(s) 7" in refused(c4.service_retention, right.loc[1:6])
    # the shares of all the cars bought, not only each owner's latest: told which ages differ
    sales = auto["sales"].set_index("vin")
    visits = auto["service_visits"]
    year = visits[
        (visits["visited_on"] > auto.as_of - pd.Timedelta(days=365))
        & (visits["service_type"].astype(str) != "repair")
    ]
    age = np.floor((auto.as_of - sales["sold_on"]).dt.days / 365.25).astype(int)
    every_car = pd.Series(sales.index.isin(year["vin"]), index=sales.index).groupby(age).mean()
    assert "differs at the car age(s)" in refused(c4.service_retention, every_car)


# ---------------------------------------------------------------- task 5: the trade-in offer


def test_the_usual_bonus_is_the_specs(auto):
    factor = SPEC["money"][auto.locale]["vehicle"]
    assert c4.usual_bonus() == SPEC["simulator"]["trade-in offer"]["typical_offer"] * factor


def test_trade_in_list(auto, capsys):
    listed = solution_trade_in(auto)
    assert len(listed) >= 100
    assert accepted(c4.trade_in_list, listed, capsys)
    assert accepted(c4.trade_in_list, pd.Series(listed), capsys)
    owners = sms_owners(auto)
    after_warranty = owners.index[owners["age_years"] >= 4]
    assert accepted(c4.trade_in_list, after_warranty, capsys)

    _, mistakes = answer_key(c4.trade_in_list)
    for hint, wrong in mistakes.items():
        assert refused(c4.trade_in_list, list(wrong)) == hint
    assert "every owner" in refused(c4.trade_in_list, list(owners.index))
    newest = owners.sort_values("age_years").index[:300]
    assert "the bar is" in refused(c4.trade_in_list, newest)
    assert "at least 100" in refused(c4.trade_in_list, listed[:50])
    prospect = int(prospects(auto).index.difference(owners.index)[0])
    assert "own no car" in refused(c4.trade_in_list, [*listed, prospect])
    fleet = ownership.cars(auto)
    silent = fleet.loc[~fleet["customer_id"].isin(owners.index), "customer_id"]
    told = refused(c4.trade_in_list, [*listed, int(silent.iloc[0])])
    assert "simulator refused" in told and "sms" in told


# ---------------------------------------------------------------- other builds


@pytest.mark.parametrize("name", list(OTHER_DATA))
def test_on_other_builds_the_solution_passes_and_the_named_lists_fail(
    other_data_builds, name, monkeypatch, capsys
):
    monkeypatch.setenv("GENERATOR_DATASETS", str(other_data_builds(name)))
    forget()
    try:
        ds = c4.auto()
        assert accepted(c4.follow_up_list, solution_calls(ds), capsys)
        assert accepted(c4.trade_in_list, solution_trade_in(ds), capsys)
        train, test = split(funnel.leads(ds), ds)
        plain = model_score(train, test, ["deep_views", "test_drive_early"])
        assert accepted(c4.lead_score, plain, capsys)
        for task in (
            c4.funnel_by_source,
            c4.lead_score,
            c4.follow_up_list,
            c4.service_retention,
            c4.trade_in_list,
        ):
            expected, mistakes = answer_key(task)
            assert accepted(task, expected, capsys)
            for hint, wrong in mistakes.items():
                assert not task.kind.same(wrong, expected), (task.name, hint)
                assert refused(task, wrong) == hint, (task.name, hint)
    finally:
        monkeypatch.delenv("GENERATOR_DATASETS")
        forget()


# ---------------------------------------------------------------- the solution notebook


def test_the_solution_notebooks_lists_are_the_ones_tested_here(auto, capsys):
    notebook = nbformat.read(ROOT / "solutions" / "C4_automaker_in_china.ipynb", as_version=4)
    source = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "c4 as check" in source
    names: dict = {}
    found = {}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type != "code" or grade_id.endswith("-check"):
            continue
        if "plt." in cell.source:  # the plots: not needed here
            continue
        exec(cell.source, names)
        if grade_id in ("follow-up-list-answer", "trade-in-list-answer"):
            found[grade_id] = sorted(names["answer"])
        if grade_id == "trade-in-list-answer":
            break
    capsys.readouterr()
    assert found["follow-up-list-answer"] == sorted(solution_calls(auto))
    assert found["trade-in-list-answer"] == sorted(solution_trade_in(auto))
