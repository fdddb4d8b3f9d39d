"""Case C3's checks tell right from wrong on the default data: plausible answers, written the way
a student would write them, are judged as they should be — the wrong ones refused (with the hint
of their mistake where the check names it), the right ones in another form accepted — and the
data hold the cases that separate them (doctors without a prescription in the year, calls and
prescriptions on the day before the window, patients at a PDC of exactly 0.8).

The open decision, the representatives' call plan, is judged by its true worth in the campaign
simulator over all the doctors: the bar is a share of the course's reference rule at its best
total of calls, and above what the usual calls are worth. The solution's plan (calls while the
next one pays, by the trials' curve and the margin at scale) reaches it on the default build and
on the other builds; the usual calls, all calls to the top fifth, calls shared equally, calls in
proportion to the prescriptions and no calls do not, on any of them.

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import nbformat
import numpy as np
import pandas as pd
import pytest

import generator
from course import adherence, customer_value, periods, prescribers
from course.checking import answer_key
from course.checks import c3

from conftest import OTHER_DATA, ROOT, accepted, clear_caches, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

CACHED = (c3.pharma, c3._value, c3.usual, c3._worth, c3.references, c3.plan_bar)
CACHED += (c3._recent_pdc, c3._offer)


def forget():
    clear_caches(CACHED)


@pytest.fixture(scope="module")
def pharma():
    forget()
    return c3.pharma()


@pytest.fixture(scope="module")
def value(pharma):
    return prescribers.doctor_value(pharma, pharma.as_of)


def hint_of(task, words: str) -> tuple[str, object]:
    """The named mistake of ``task`` whose hint holds ``words``, and its answer."""
    _, mistakes = answer_key(task)
    return next((hint, wrong) for hint, wrong in mistakes.items() if words in hint)


# ---------------------------------------------------------------- task 1: the pyramid


def test_prescriber_pyramid(value, capsys):
    layers = customer_value.abc_layers(value["value"])
    table = customer_value.pyramid(value["value"], layers)
    assert accepted(c3.prescriber_pyramid, table, capsys)  # the course's own columns
    named = table.rename(columns={"customers": "doctors", "share_of_total": "value_share"})
    assert accepted(c3.prescriber_pyramid, named[["doctors", "value_share"]], capsys)
    # the value not rounded to the cent: the same shares
    exact = value["margin"] - value["call_cost"]
    assert accepted(
        c3.prescriber_pyramid,
        customer_value.pyramid(exact, customer_value.abc_layers(exact)),
        capsys,
    )
    # by hand: the layers cut from the ranked values
    ranked = value["value"].rank(ascending=False, method="first")
    cut = pd.cut(ranked, [0, 10, 40, 100, 200], labels=["A", "B", "C", "D"])
    by_hand = pd.DataFrame(
        {
            "doctors": cut.value_counts(),
            "value_share": value["value"].groupby(cut, observed=True).sum() / value["value"].sum(),
        }
    )
    assert accepted(c3.prescriber_pyramid, by_hand, capsys)

    margin = value["margin"]
    assert "margin alone" in refused(
        c3.prescriber_pyramid, customer_value.pyramid(margin, customer_value.abc_layers(margin))
    )
    written = value["prescriptions"].astype(float)
    assert "counts prescriptions" in refused(
        c3.prescriber_pyramid,
        customer_value.pyramid(written, customer_value.abc_layers(written)),
    )
    two = prescribers.doctor_value(c3.pharma(), c3.pharma().as_of, 730)["value"]
    assert "two years" in refused(
        c3.prescriber_pyramid, customer_value.pyramid(two, customer_value.abc_layers(two))
    )
    tiers = c3.pharma().truth("doctor_truth").set_index("doctor_id")["tier"].astype(str)
    assert "true tiers" in refused(
        c3.prescriber_pyramid, customer_value.pyramid(value["value"], tiers)
    )
    # the shares of the layers' margins, ranked by value: differ, told which part
    mixed = customer_value.pyramid(margin, layers)
    assert "value shares differ" in refused(c3.prescriber_pyramid, mixed)
    percent = named.assign(value_share=100 * named["value_share"])
    assert "percentages" in refused(c3.prescriber_pyramid, percent)
    quintiles = customer_value.abc_layers(value["value"], dict(A=0.2, B=0.3, C=0.3, D=0.2))
    assert "abc_layers" in refused(
        c3.prescriber_pyramid, customer_value.pyramid(value["value"], quintiles)
    )
    assert "one row per layer" in refused(c3.prescriber_pyramid, named.drop("D"))
    assert "no column value_share" in refused(
        c3.prescriber_pyramid, named.drop(columns="value_share")
    )
    assert "DataFrame" in refused(c3.prescriber_pyramid, named["value_share"])


# ---------------------------------------------------------------- task 2: calls and prescriptions


def test_the_data_hold_doctors_without_prescriptions_and_days_before_the_window(pharma, value):
    assert (value["prescriptions"] == 0).sum() > 0  # an inner join drops them
    day = periods.window_start(pharma.as_of, 365) - pd.Timedelta(days=1)
    assert (pharma["detailing_calls"]["call_date"] == day).sum() > 0
    assert (pharma["prescriptions"]["written_on"] == day).sum() > 0
    assert set(pharma["detailing_calls"]["channel"].astype(str)) > {"visit"}


def test_calls_and_prescriptions(pharma, value, capsys):
    right = value["calls"].corr(value["prescriptions"])
    assert accepted(c3.calls_and_prescriptions, right, capsys)
    assert accepted(
        c3.calls_and_prescriptions,
        np.corrcoef(value["calls"], value["prescriptions"])[0, 1],
        capsys,
    )
    # by SQL-like counting over the whole table, then a merge
    calls = pharma["detailing_calls"]
    recent = calls[calls["call_date"] >= pharma.as_of - pd.Timedelta(days=364)]
    counted = recent.groupby("doctor_id").size().rename("calls").reset_index()
    merged = pharma["doctors"][["doctor_id"]].merge(counted, how="left").fillna(0)
    merged = merged.merge(value["prescriptions"].reset_index())
    assert accepted(
        c3.calls_and_prescriptions, merged["calls"].corr(merged["prescriptions"]), capsys
    )

    longer = prescribers.doctor_value(pharma, pharma.as_of, 730)
    assert "two years" in refused(
        c3.calls_and_prescriptions, longer["calls"].corr(longer["prescriptions"])
    )
    both = value[(value["calls"] > 0) & (value["prescriptions"] > 0)]
    assert "inner join" in refused(
        c3.calls_and_prescriptions, both["calls"].corr(both["prescriptions"])
    )
    spearman = value["calls"].corr(value["prescriptions"], method="spearman")
    assert "Spearman" in refused(c3.calls_and_prescriptions, spearman)
    hint, wrong = hint_of(c3.calls_and_prescriptions, "a day early")
    assert refused(c3.calls_and_prescriptions, wrong) == hint
    assert "rounded" in refused(c3.calls_and_prescriptions, round(right, 2))
    assert "number" in refused(c3.calls_and_prescriptions, value[["calls", "prescriptions"]].corr())


# ---------------------------------------------------------------- task 3: the call plan


def money_plan(ds) -> pd.DataFrame:
    """The solution's plan: each doctor gets calls while the next one's extra margin (at
    scale) is more than a visit costs, by the trials' curve."""
    value = prescribers.doctor_value(ds, ds.as_of)
    usual = prescribers.usual_plan(ds, ds.as_of).set_index("doctor_id")
    now = usual["calls"].reindex(value.index).to_numpy()
    expected = value["prescriptions"].to_numpy() * prescribers.PLAN_DAYS / 365
    per = (value["margin"] / value["prescriptions"].where(value["prescriptions"] > 0)).fillna(0)
    at_scale = per.to_numpy() / prescribers.CALL_RESPONSE["database_share"]
    visits = ds["unit_costs"].query("activity == 'visit'")
    price = visits.set_index(visits["audience"].astype(str))["cost"]
    cost = prescribers.audiences(ds).reindex(value.index).map(price).to_numpy()
    steps = np.arange(0, 121)
    extra = prescribers.expected_extra(expected[:, None], steps[None, :], now[:, None])
    pays = np.diff(extra, axis=1) * at_scale[:, None] - cost[:, None]
    return pd.DataFrame({"doctor_id": value.index, "calls": (pays > 0).sum(axis=1)})


def one_at_a_time(expected: pd.Series, now: np.ndarray, total: int) -> np.ndarray:
    """The reference rule as the lesson writes it: each call in turn to the doctor whose next
    call adds most (the first such doctor on a tie)."""
    given = np.zeros(len(now), dtype=int)
    for _ in range(total):
        gain = prescribers.expected_extra(expected, given + 1, now) - prescribers.expected_extra(
            expected, given, now
        )
        given[np.argmax(gain)] += 1
    return given


def test_the_reference_rule_is_the_lessons_and_the_bar_a_share_of_its_best(pharma, value):
    usual = c3.usual()
    expected = value["prescriptions"].reindex(usual["doctor_id"]) * prescribers.PLAN_DAYS / 365
    for total in (0, 7, 300):
        by_hand = one_at_a_time(expected.to_numpy(), usual["calls"].to_numpy(), total)
        assert (c3.marginal_plan(total)["calls"].to_numpy() == by_hand).all()
    references = c3.references()
    assert list(references.index) == list(c3.REFERENCE_SCALES)
    best = c3.worth(c3.reference_plan())
    assert best == references.max()
    assert c3.plan_bar() == pytest.approx(max(c3.PLAN_SHARE * best, c3.worth(usual) + 1), abs=1)
    assert c3.plan_bar() > c3.worth(usual)
    # the worth is the simulator's truth over all the doctors, whatever group is drawn
    outcome = generator.simulate(pharma, {"kind": "call plan"}, usual, holdout=0.2)
    assert c3.worth(usual) == pytest.approx(outcome.truth["incremental_profit"].sum())


def test_call_plan(pharma, value, capsys):
    plan = money_plan(pharma)
    assert accepted(c3.call_plan, plan, capsys)
    assert accepted(c3.call_plan, plan.set_index("doctor_id")["calls"], capsys)
    assert accepted(c3.call_plan, plan.astype({"calls": float}).iloc[::-1], capsys)
    assert c3.worth(plan) > c3.references().max()  # money beats counting prescriptions here

    _, mistakes = answer_key(c3.call_plan)
    for hint, wrong in mistakes.items():
        assert refused(c3.call_plan, wrong) == hint
    usual = prescribers.usual_plan(pharma, pharma.as_of)
    assert "usual plan" in refused(c3.call_plan, usual)  # with its calls_per_month column
    total = int(usual["calls"].sum())
    # a student's own versions of the named plans: refused by the bar, told what they are worth
    top = value["prescriptions"].rank(ascending=False, method="first") <= 40
    fifth = pd.DataFrame({"doctor_id": value.index, "calls": np.where(top, total // 40, 0)})
    told = refused(c3.call_plan, fifth)
    assert "truly worth" in told and "the bar is" in told
    share = value["prescriptions"] / value["prescriptions"].sum()
    proportional = pd.DataFrame(
        {"doctor_id": value.index, "calls": (total * share).round().to_numpy()}
    )
    assert c3.worth(proportional) < c3.plan_bar()
    assert "truly worth" in refused(c3.call_plan, plan.assign(calls=plan["calls"] * 5))

    # plans the simulator cannot run, or that leave doctors out: a readable message each
    assert "leaves out 10 of the 200 doctors" in refused(c3.call_plan, plan.iloc[10:])
    assert "every doctor once" in refused(c3.call_plan, plan[plan["calls"] > 0])
    assert "whole numbers of 0 or more" in refused(c3.call_plan, plan.assign(calls=-1))
    assert "whole numbers of 0 or more" in refused(
        c3.call_plan, plan.assign(calls=plan["calls"] / 7)
    )
    assert "whole numbers of 0 or more" in refused(
        c3.call_plan, plan.assign(calls=plan["calls"].astype(object).where(plan.index > 0, "many"))
    )
    assert "more than once" in refused(c3.call_plan, pd.concat([plan, plan.head(3)]))
    odd = plan.assign(doctor_id=plan["doctor_id"] + 1000)
    assert "not the company's doctors" in refused(c3.call_plan, odd)
    assert "no column calls" in refused(c3.call_plan, plan.rename(columns={"calls": "visits"}))
    assert "doctor ids" in refused(c3.call_plan, plan.assign(doctor_id="x"))
    assert "table" in refused(c3.call_plan, plan["calls"].tolist())


# ---------------------------------------------------------------- task 4: the trial


def test_the_data_hold_patients_at_exactly_the_threshold(pharma):
    programme = pharma["patient_programme"].set_index("patient_id")
    covered = adherence.pdc(pharma["refills"], programme["index_date"])
    assert (covered == adherence.ADHERENT).sum() > 0
    assert programme["enrolled_on"].isna().sum() > 0  # usual care has none


def test_programme_adherence(pharma, capsys):
    programme = pharma["patient_programme"].set_index("patient_id")
    group = programme["test_group"].astype(str)
    covered = adherence.pdc(pharma["refills"], programme["index_date"], 180)
    right = (covered >= 0.8).groupby(group).mean()
    assert accepted(c3.programme_adherence, right, capsys)
    assert accepted(c3.programme_adherence, right.to_dict(), capsys)
    # by hand, through a merge and with the category dtype of the data
    frame = programme.reset_index().merge(covered.reset_index())
    table = frame.groupby("test_group", observed=True)["pdc"].apply(lambda p: (p >= 0.8).mean())
    assert accepted(c3.programme_adherence, table, capsys)
    assert accepted(c3.programme_adherence, table.reset_index(), capsys)

    assert "as-of date" in refused(
        c3.programme_adherence,
        (
            adherence.pdc(pharma["refills"], periods.window_start(pharma.as_of, 180)).reindex(
                programme.index, fill_value=0
            )
            >= 0.8
        )
        .groupby(group)
        .mean(),
    )
    enrolled = adherence.pdc(pharma["refills"], programme["enrolled_on"], 180)
    assert "enrolled_on" in refused(c3.programme_adherence, (enrolled >= 0.8).groupby(group).mean())
    assert "`>=`" in refused(c3.programme_adherence, (covered > 0.8).groupby(group).mean())
    assert "mean PDC" in refused(c3.programme_adherence, covered.groupby(group).mean())
    year = adherence.pdc(pharma["refills"], programme["index_date"], 365)
    assert "365 days" in refused(c3.programme_adherence, (year >= 0.8).groupby(group).mean())
    assert "percentages" in refused(c3.programme_adherence, 100 * right)
    assert "programme share is too high" in refused(
        c3.programme_adherence, right + pd.Series({"programme": 0.01, "usual care": 0.0})
    )
    assert "not one number" in refused(c3.programme_adherence, right.diff().iloc[-1])
    assert "usual care" in refused(c3.programme_adherence, right.drop("usual care"))


# ---------------------------------------------------------------- task 5: the programme's worth


def test_the_data_hold_eligible_patients_at_the_edges(pharma):
    recent = c3._recent_pdc().reindex(c3.eligible())
    assert (recent == 0).sum() > 0 and (recent == adherence.ADHERENT).sum() > 0


def test_programme_worth(pharma, capsys):
    patients = pharma["patients"].set_index("patient_id")
    programme = pharma["patient_programme"]
    enrolled = programme.loc[programme["test_group"] == "programme", "patient_id"]
    eligible = patients.index[patients["consent_sms"] & ~patients.index.isin(enrolled)]
    start = periods.window_start(pharma.as_of, 180)
    recent = adherence.pdc(pharma["refills"], start, 180).reindex(eligible, fill_value=0.0)
    ids = recent.index[(recent > 0) & (recent < 0.8)]
    assert list(ids) == list(c3.with_gaps())

    def per_contacted(listed, days=365, **campaign):
        offer = generator.simulate(
            pharma, {"follow_up_days": days, **campaign}, np.asarray(listed), holdout=0.5
        )
        return offer, offer.true_incremental_profit / (
            offer.customers["group"] == "treatment"
        ).sum()

    offer, right = per_contacted(ids)
    assert accepted(c3.programme_worth, right, capsys)
    assert accepted(c3.programme_worth, round(right, 2), capsys)
    _, same = per_contacted(ids[::-1], kind="programme")  # the order and the kind do not matter
    assert accepted(c3.programme_worth, same, capsys)
    treated = offer.customers["group"] == "treatment"
    summed = offer.truth.loc[treated.to_numpy(), "incremental_profit"].sum() / treated.sum()
    assert accepted(c3.programme_worth, summed, capsys)  # the truth per patient, added up

    assert "180 days" in refused(c3.programme_worth, per_contacted(ids, 180)[1])
    assert "every eligible" in refused(c3.programme_worth, per_contacted(eligible)[1])
    lapsed_too = recent.index[recent < 0.8]
    assert "lapsed" in refused(c3.programme_worth, per_contacted(lapsed_too)[1])
    at_most = recent.index[(recent > 0) & (recent <= 0.8)]
    assert "exactly 0.8" in refused(c3.programme_worth, per_contacted(at_most)[1])
    assert "per listed" in refused(c3.programme_worth, offer.true_incremental_profit / len(ids))
    seen = offer.summary()
    estimate = seen["estimated_incremental_profit"] / seen["contacted"]
    assert "control group" in refused(c3.programme_worth, estimate)
    mean = offer.truth["incremental_profit"].mean()
    assert "mean over every listed" in refused(c3.programme_worth, mean)
    assert "too high" in refused(c3.programme_worth, right + 1)
    assert "number" in refused(c3.programme_worth, offer)


# ---------------------------------------------------------------- other builds


@pytest.mark.parametrize("name", list(OTHER_DATA))
def test_on_other_builds_the_solution_passes_and_the_named_plans_fail(
    other_data_builds, name, monkeypatch, capsys
):
    monkeypatch.setenv("GENERATOR_DATASETS", str(other_data_builds(name)))
    forget()
    try:
        ds = c3.pharma()
        assert accepted(c3.call_plan, money_plan(ds), capsys)
        assert c3.plan_bar() > c3.worth(c3.usual())
        _, mistakes = answer_key(c3.call_plan)
        for hint, plan in mistakes.items():
            assert refused(c3.call_plan, plan) == hint
            assert c3.worth(plan) < c3.plan_bar()
        for task in (
            c3.prescriber_pyramid,
            c3.calls_and_prescriptions,
            c3.call_plan,
            c3.programme_adherence,
            c3.programme_worth,
        ):
            expected, mistakes = answer_key(task)
            assert accepted(task, expected, capsys)
            for hint, wrong in mistakes.items():
                assert not task.kind.same(wrong, expected), (task.name, hint)
    finally:
        monkeypatch.delenv("GENERATOR_DATASETS")
        forget()


# ---------------------------------------------------------------- the solution notebook


def test_the_solution_notebooks_plan_is_calls_while_the_next_one_pays(pharma, capsys):
    notebook = nbformat.read(ROOT / "solutions" / "C3_drug_maker_in_china.ipynb", as_version=4)
    source = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "c3 as check" in source
    names: dict = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            exec(cell.source, names)
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "call-plan-answer":
            break
    capsys.readouterr()
    pd.testing.assert_frame_equal(
        names["answer"].reset_index(drop=True), money_plan(pharma), check_dtype=False
    )
