"""Every check accepts the right answer and rejects each known mistake with its own hint."""

import importlib
import pkgutil

import pandas as pd
import pytest

import course.checks
from course.checking import CheckFailed, Number, Table, Values, tasks_in

import minicourse_checks

MODULES = [minicourse_checks] + [
    importlib.import_module(f"course.checks.{info.name}")
    for info in pkgutil.iter_modules(course.checks.__path__)
]
TASKS = [t for module in MODULES for t in tasks_in(module)]
IDS = [f"{t.reference.__module__}.{t.name}" for t in TASKS]


def test_there_are_checks_to_test():
    assert len(TASKS) >= 3


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_the_right_answer_passes(task, capsys):
    task(task.expected())
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_each_known_mistake_fails_with_its_hint(task):
    mistakes = task.mistakes()
    assert len(mistakes) >= 2, "a check needs at least two realistic wrong answers to reject"
    for hint, wrong in mistakes.items():
        assert not task.kind.same(wrong, task.expected()), f"mistake gives the right answer: {hint}"
        with pytest.raises(CheckFailed) as failed:
            task(wrong)
        assert failed.value.hint == hint


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_no_answer_and_the_wrong_type_fail_clearly(task):
    with pytest.raises(CheckFailed, match="no answer yet"):
        task(None)
    with pytest.raises(CheckFailed, match="should be"):
        task("a string")


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
