"""Check cells: a student's answer against the reference answer, with a hint when it is wrong.

A task is written once, as a function that computes the right answer from the data and
the answers that known mistakes would give::

    @task(Number(), hint="Add up the amounts of every receipt in the window.")
    def revenue_in_december():
        receipts = load_receipts()
        december = receipts[receipts.date.between("2025-12-01", "2025-12-31")]
        return december.amount.sum(), {
            "Check the last day of the window: is 31 December inside it?":
                receipts[receipts.date.between("2025-12-01", "2025-12-30")].amount.sum(),
        }

The student runs ``check.revenue_in_december(answer)``. A right answer prints a short
verdict. A wrong one raises :class:`CheckFailed`, which Jupyter shows as one line with the
hint of the mistake it matches (or the task's general hint), never the answer itself; as an
``AssertionError`` it also fails an nbgrader test cell. Because the right answer is computed
from the data, the same check works on a database built with any seed or locale.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd


class CheckFailed(AssertionError):
    """The answer is not right yet. Shown in Jupyter as a single line, without a traceback."""

    def __init__(self, task: str, hint: str):
        super().__init__(f"{task}: not yet. {hint}")
        self.task = task
        self.hint = hint

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"\N{CROSS MARK} {self}"]


# ---------------------------------------------------------------- answer kinds


class Kind:
    """How answers of one kind are validated and compared."""

    noun = "an answer"

    def problem(self, answer: Any) -> str | None:
        """Why ``answer`` cannot be compared at all (wrong type or shape), or None."""
        return None

    def same(self, answer: Any, expected: Any) -> bool:
        raise NotImplementedError

    def difference(self, answer: Any, expected: Any) -> str:
        """A hint about how the answer differs, without revealing the expected value."""
        return ""


@dataclass(frozen=True)
class Number(Kind):
    """A single number, equal within a relative tolerance."""

    rel: float = 1e-6
    noun = "a number"

    def problem(self, answer):
        if isinstance(answer, bool) or not isinstance(answer, int | float | np.number):
            return f"The answer should be {self.noun}, but it is a {type(answer).__name__}."
        if isinstance(answer, float | np.floating) and math.isnan(answer):
            return "The answer is NaN: an empty selection or a missing value crept in."
        return None

    def same(self, answer, expected):
        return math.isclose(float(answer), float(expected), rel_tol=self.rel, abs_tol=self.rel)

    def difference(self, answer, expected):
        return "Your number is too high." if answer > expected else "Your number is too low."


@dataclass(frozen=True)
class Values(Kind):
    """A collection whose order does not matter (a list, set, Series or Index of labels)."""

    noun = "a collection of values"

    def problem(self, answer):
        if isinstance(answer, str | bytes) or not isinstance(answer, Iterable):
            return f"The answer should be {self.noun} (a list, set or Series)."
        return None

    def same(self, answer, expected):
        return _as_set(answer) == _as_set(expected)

    def difference(self, answer, expected):
        got, want = _as_set(answer), _as_set(expected)
        if len(got) != len(want):
            return f"You have {len(got)} values; the right selection has {len(want)}."
        return "You have the right number of values, but not the right ones."


@dataclass(frozen=True)
class Table(Kind):
    """A DataFrame (or Series) compared on its values; row order matters only if ``ordered``.

    ``columns`` are the columns that must be there; any extra columns are ignored.
    """

    columns: tuple[str, ...] = ()
    ordered: bool = False
    rel: float = 1e-6
    noun = "a table (DataFrame)"

    def problem(self, answer):
        if isinstance(answer, pd.Series):
            answer = answer.reset_index()
        if not isinstance(answer, pd.DataFrame):
            return f"The answer should be {self.noun}, but it is a {type(answer).__name__}."
        missing = [c for c in self.columns if c not in _flat(answer).columns]
        if missing:
            return f"The table needs the column(s) {', '.join(missing)}."
        return None

    def _normal(self, frame):
        # ``unstack`` and ``pivot`` name the column axis; that name is not part of the answer
        frame = _flat(frame).rename_axis(columns=None)[list(self.columns) or None]
        if not self.ordered:
            frame = frame.sort_values(list(frame.columns), kind="stable")
        return frame.reset_index(drop=True)

    def same(self, answer, expected):
        got, want = self._normal(answer), self._normal(expected)
        if got.shape != want.shape:
            return False
        try:
            pd.testing.assert_frame_equal(
                got,
                want,
                check_dtype=False,
                check_exact=False,
                rtol=self.rel,
                check_index_type=False,
                check_column_type=False,
                check_categorical=False,
            )
        except AssertionError:
            return False
        return True

    def difference(self, answer, expected):
        got, want = self._normal(answer), self._normal(expected)
        if len(got) != len(want):
            return f"Your table has {len(got)} rows; the right one has {len(want)}."
        return "The table has the right number of rows but some values differ."


def _flat(frame: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """A frame with its index as ordinary columns (so groupby results compare either way)."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    return frame


def _as_set(values) -> set:
    return {v.item() if isinstance(v, np.generic) else v for v in values}


# ---------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """One exercise's check: call it with the student's answer."""

    name: str
    kind: Kind
    hint: str
    reference: Callable[[], tuple[Any, Mapping[str, Any]]]
    praise: str = ""

    def expected(self) -> Any:
        return self.reference()[0]

    def mistakes(self) -> Mapping[str, Any]:
        """Hint -> the answer that mistake gives. Tests feed each of these to the check."""
        return self.reference()[1]

    def __call__(self, answer: Any = None) -> None:
        if answer is None:
            raise CheckFailed(self.name, "There is no answer yet: assign your result to `answer`.")
        problem = self.kind.problem(answer)
        if problem:
            raise CheckFailed(self.name, problem)
        expected, mistakes = self.reference()
        if self.kind.same(answer, expected):
            print(f"\N{WHITE HEAVY CHECK MARK} {self.name}: correct. {self.praise}".rstrip())
            return
        for hint, wrong in mistakes.items():
            if self.kind.problem(wrong) is None and self.kind.same(answer, wrong):
                raise CheckFailed(self.name, hint)
        raise CheckFailed(
            self.name, " ".join(filter(None, [self.kind.difference(answer, expected), self.hint]))
        )

    def __repr__(self) -> str:
        return f"<check {self.name}: call it with your answer>"


def task(kind: Kind, hint: str, praise: str = "") -> Callable[[Callable], Task]:
    """Turn a reference function returning ``(right_answer, {hint: wrong_answer})`` into a Task."""

    def make(reference: Callable[[], tuple[Any, Mapping[str, Any]]]) -> Task:
        return Task(
            name=reference.__name__, kind=kind, hint=hint, reference=reference, praise=praise
        )

    return make


def tasks_in(module: ModuleType) -> list[Task]:
    """Every task a checks module defines, in the order they appear."""
    return [value for value in vars(module).values() if isinstance(value, Task)]
