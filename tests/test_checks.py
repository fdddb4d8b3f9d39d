"""Every check accepts the right answer and rejects each known mistake with its own hint."""

import importlib
import pkgutil
from dataclasses import dataclass

import pandas as pd
import pytest

import course.checks
from course.checking import (
    CheckFailed,
    Decision,
    Number,
    Read,
    Score,
    Table,
    Values,
    answer_key,
    reference_module,
    task,
    tasks_in,
)

import minicourse_checks

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

MODULES = [minicourse_checks] + [
    importlib.import_module(f"course.checks.{info.name}")
    for info in pkgutil.iter_modules(course.checks.__path__)
]
TASKS = [t for module in MODULES for t in tasks_in(module)]
IDS = [f"{reference_module(t)}.{t.name}" for t in TASKS]


def test_there_are_checks_to_test():
    assert len(TASKS) >= 3


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_the_right_answer_passes_in_every_form_the_check_accepts(task, capsys):
    expected, _ = answer_key(task)
    for form in task.kind.variants(expected):
        task(form)
        assert "correct" in capsys.readouterr().out, f"refused {type(form).__name__}: {form!r}"


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_each_known_mistake_fails_with_its_hint(task):
    expected, mistakes = answer_key(task)
    assert len(mistakes) >= 2, "a check needs at least two realistic wrong answers to reject"
    for hint, wrong in mistakes.items():
        # the data must separate the mistake from the right answer, or the check cannot tell
        assert not task.kind.same(wrong, expected), f"mistake gives the right answer: {hint}"
        with pytest.raises(CheckFailed) as failed:
            task(wrong)
        assert failed.value.hint == hint


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_a_task_gives_verdicts_not_answers(task):
    public = {name for name in dir(task) if not name.startswith("_")}
    assert public == {"name", "kind", "hint", "praise"}
    assert "expected" not in repr(task)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_no_answer_and_the_wrong_type_fail_clearly(task):
    with pytest.raises(CheckFailed, match="no answer yet"):
        task(None)
    with pytest.raises(CheckFailed) as failed:  # a hint, never a TypeError from deep inside
        task("a string")
    assert failed.value.hint


def test_an_unknown_wrong_answer_gets_the_general_hint_not_the_answer():
    with pytest.raises(CheckFailed) as failed:
        minicourse_checks.december_revenue(1000.0)
    assert "too high" in failed.value.hint
    assert "December 2025" in failed.value.hint
    assert "377" not in str(failed.value)


def test_a_failed_check_shows_as_one_line_in_jupyter():
    failure = CheckFailed("task", "A hint.")
    assert failure._render_traceback_() == ["\N{CROSS MARK} task: not yet. A hint."]
    assert isinstance(failure, AssertionError)  # so an nbgrader test cell fails


def test_a_rounded_number_is_told_to_keep_full_precision():
    assert "rounded to 3 decimal place(s)" in Number().difference(0.149, 0.14937)
    assert "rounded to a whole number" in Number().difference(3092.0, 3091.6)
    assert "percentage" in Number().difference(14.937, 0.14937)
    assert Number().difference(3093, 3092) == "Your number is too high."


def test_a_list_check_hints_at_tables_text_and_repeats():
    values = Values(distinct=True)
    assert "table" in values.problem(pd.DataFrame({"customer_id": [1, 2]}))
    assert "list" in values.problem("phone")
    assert values.same([1, 2], pd.Series([2, 1]))
    assert not values.same([1, 2, 2], [1, 2])
    assert "repeats" in values.difference([1, 2, 2], [1, 2])
    assert Values().same([1, 2, 2], [1, 2])  # without `distinct`, repeats do not matter


def test_kinds_compare_what_they_should():
    assert Number().same(0.1 + 0.2, 0.3)
    assert not Number().same(1.0, 1.01)
    assert Values().same(["a", "b"], pd.Series(["b", "a"]))
    assert not Values().same(["a"], ["a", "b"])
    frame = pd.DataFrame({"k": ["x", "y"], "v": [1.0, 2.0]})
    shuffled = frame.iloc[::-1]
    assert Table(columns=("k", "v")).same(shuffled, frame)
    assert not Table(columns=("k", "v"), ordered=True).same(shuffled, frame)
    assert Table(columns=("k", "v")).same(frame.set_index("k")["v"], frame)  # index as column
    assert not Table(columns=("k", "v")).same(frame.assign(v=[1.0, 2.5]), frame)

    class Pair(Read):  # two numbers, given as a pair or a dict
        def read(self, answer):
            if isinstance(answer, dict):
                answer = (answer.get("low"), answer.get("high"))
            if not isinstance(answer, tuple) or len(answer) != 2:
                return "Give two numbers."
            return pd.Series(answer, index=["low", "high"], dtype=float)

    assert Pair().same({"low": 1.0, "high": 2.0}, (1.0, 2.0 + 1e-12))
    assert not Pair().same((1.0, 2.1), (1.0, 2.0))
    assert Pair().problem([1.0]) == "Give two numbers." and Pair().problem((1, 2)) is None


def test_a_scored_answer_passes_at_the_bar_and_a_named_mistake_gets_its_hint():
    kind = Score(score=lambda answer: sum(answer) / 10, bar=0.5, measure="F1")

    @task(kind, hint="Match more records.")
    def matching():
        return [1, 1, 1, 1, 1], {"Every record alone scores nothing.": [0, 0, 0, 0, 0]}

    matching([1, 1, 1, 1, 1, 0])  # not the reference answer, but it reaches the bar
    with pytest.raises(CheckFailed, match="Every record alone"):
        matching([0, 0, 0, 0, 0])
    with pytest.raises(CheckFailed, match="F1 is 0.300; the bar is 0.5"):
        matching([1, 1, 1])


def test_a_decision_passes_at_the_bar_and_says_why_the_simulator_refused_it():
    @dataclass(frozen=True)
    class Budget(Decision):
        noun = "a list of numbers"

        def read(self, answer):
            return tuple(answer) if isinstance(answer, list) else "Give a list."

        def score(self, form):
            if any(x < 0 for x in form):
                return None, "The simulator refused your list: no negative spend."
            return float(sum(form)), ""

        def bar(self):
            return 5.0

        def short(self, earned):
            return f"Your plan earns {earned:g}; the bar is {self.bar():g}."

    @task(Budget(), hint="Spend more.")
    def budget():
        return [3, 3], {"Spending on one channel only.": [4]}

    budget([2, 4])  # not the reference answer, but it reaches the bar
    with pytest.raises(CheckFailed, match="one channel only"):
        budget([4])
    with pytest.raises(CheckFailed, match="earns 3; the bar is 5"):
        budget([1, 2])
    with pytest.raises(CheckFailed, match="no negative spend"):
        budget([9, -1])
