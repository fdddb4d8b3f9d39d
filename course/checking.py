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

A task gives verdicts and hints, nothing else: it has no method that returns the answer.
The grader's and the tests' way in is :func:`answer_key` (the right answer and the named
mistakes), and :meth:`Kind.variants` lists the forms of an answer a check promises to accept
(a column or the index, any column order, another dtype...), which the tests feed through
every visible check and every hidden test.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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

    def accepts(self, answer: Any, expected: Any) -> bool:
        """Whether ``answer`` is right; most kinds: the same as the expected answer."""
        return self.same(answer, expected)

    def difference(self, answer: Any, expected: Any) -> str:
        """A hint about how the answer differs, without revealing the expected value."""
        return ""

    def variants(self, answer: Any) -> list[Any]:
        """Other forms of ``answer`` that this kind accepts as the same answer."""
        return [answer]


class Read(Kind):
    """A kind whose answers are first read into one form (a table, a Series, a tuple...):
    :meth:`read` returns that form, or one sentence saying why the answer cannot be read,
    which the student sees. Two answers are the same when their forms are (:meth:`equal`: by
    default their numbers, within ``rtol`` and ``atol``)."""

    rtol, atol = 1e-6, 1e-9

    def read(self, answer: Any) -> Any:
        raise NotImplementedError

    def problem(self, answer):
        form = self.read(answer)
        return form if isinstance(form, str) else None

    def same(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if isinstance(got, str) or isinstance(want, str):
            return False
        return self.equal(got, want)

    def equal(self, got: Any, want: Any) -> bool:
        """Whether two answers read into their form are the same."""
        return bool(np.allclose(np.asarray(got), np.asarray(want), rtol=self.rtol, atol=self.atol))


@dataclass(frozen=True)
class Decision(Read):
    """An open decision (a plan, a list of customers), read into one form and judged by what
    it truly earns in the campaign simulator: right when :meth:`score` reaches :meth:`bar`,
    whatever the plan. A named mistake is recognised when the answer is the same plan. Unlike
    :class:`Score`, the bar is computed from the data when first asked for, and the simulator
    may refuse an answer with a reason the student reads."""

    def score(self, form: Any) -> tuple[float | None, str]:
        """What the answer read into its form truly earns, or None and one sentence saying
        why the simulator cannot run it."""
        raise NotImplementedError

    def bar(self) -> float:
        raise NotImplementedError

    def short(self, earned: float) -> str:
        """What the student reads when the plan falls short: its worth against the bar."""
        raise NotImplementedError

    def equal(self, got, want):
        return got == want

    def accepts(self, answer, expected):
        earned, _ = self.score(self.read(answer))
        return earned is not None and earned >= self.bar()

    def difference(self, answer, expected):
        earned, why = self.score(self.read(answer))
        return why if earned is None else self.short(earned)


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
        answer, expected = float(answer), float(expected)
        if 0 < abs(expected) <= 1 and self.same(answer, expected * 100):
            return "Your number looks like a percentage: give it as a share between 0 and 1."
        decimals = _rounded_to(answer, expected)
        if decimals is not None:
            places = "a whole number" if decimals == 0 else f"{decimals} decimal place(s)"
            return (
                f"Your number looks rounded to {places}: the check expects full precision, "
                "so give the value as computed (round only when you print it)."
            )
        return "Your number is too high." if answer > expected else "Your number is too low."

    def variants(self, answer):
        forms = [answer, float(answer), np.float64(answer)]
        if float(answer).is_integer():
            forms += [int(answer), np.int64(answer)]
        return forms


@dataclass(frozen=True)
class Amount(Number):
    """An amount of money, equal within ``within`` (in the currency): sums of rounded amounts
    may differ from the check's by a few cents."""

    within: float = 0.05
    noun = "a number (an amount of money)"

    def same(self, answer, expected):
        return abs(float(answer) - float(expected)) <= self.within

    def difference(self, answer, expected):
        return "Your amount is too high." if answer > expected else "Your amount is too low."


@dataclass(frozen=True)
class Values(Kind):
    """A collection whose order does not matter (a list, set, Series or Index of labels).

    With ``distinct`` (a target list, say) every value must be there once: a list that
    repeats a value is not the same answer, and gets a hint that says so.
    """

    distinct: bool = False
    noun = "a collection of values"

    def problem(self, answer):
        if isinstance(answer, pd.DataFrame):
            return (
                "The answer should be a list of values, but it is a table: pick its column, "
                'e.g. `frame["customer_id"]`.'
            )
        if isinstance(answer, str | bytes):
            return (
                "The answer is one piece of text; put the value(s) in a list, "
                "e.g. `[value]`, or give the Series that holds them."
            )
        if not isinstance(answer, Iterable):
            return f"The answer should be {self.noun} (a list, set or Series)."
        return None

    def same(self, answer, expected):
        if self.distinct:
            return _as_counter(answer) == _as_counter(expected)
        return _as_set(answer) == _as_set(expected)

    def difference(self, answer, expected):
        got, want = _as_set(answer), _as_set(expected)
        repeats = sum(_as_counter(answer).values()) - len(got)
        if self.distinct and repeats:
            return (
                f"Your list repeats values ({repeats:,} extra entries): each should be on it "
                "once (`.drop_duplicates()` or `.unique()`)."
            )
        if len(got) != len(want):
            return f"You have {len(got)} values; the right selection has {len(want)}."
        return "You have the right number of values, but not the right ones."

    def variants(self, answer):
        values = list(answer)
        return [
            values,
            values[::-1],
            tuple(values),
            pd.Series(values),
            pd.Index(values),
            np.array(values),
            *([] if self.distinct else [values + values[:1]]),
            *([set(values)] if len(set(values)) == len(values) else []),
        ]


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
        # a category column sorts by its categories' order: compare its values instead
        frame = frame.assign(
            **{
                c: frame[c].astype(frame[c].cat.categories.dtype)
                for c in frame.columns
                if isinstance(frame[c].dtype, pd.CategoricalDtype)
            }
        )
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

    def variants(self, answer):
        frame = _flat(answer).rename_axis(columns=None)
        columns = list(self.columns) or list(frame.columns)
        first, rest = columns[0], columns[1:]
        widened = frame.assign(**{c: frame[c].astype(float) for c in _integer_columns(frame)})
        texts = [c for c in frame.columns if frame[c].dtype == object or frame[c].dtype == "str"]
        forms = [
            frame,
            frame[columns[::-1] + [c for c in frame.columns if c not in columns]],
            frame.assign(an_extra_column=1),
            frame.set_index(first),
            widened,
            frame.assign(**{c: frame[c].astype("category") for c in texts}),
            # categories in another order than the values' (as a groupby on a category gives)
            frame.assign(
                **{
                    c: pd.Categorical(frame[c], categories=sorted(set(frame[c]))[::-1])
                    for c in texts
                }
            ),
        ]
        if not self.ordered:
            forms.append(frame.iloc[::-1])
        if len(rest) == 1:  # one value per key: a Series indexed by the key
            forms.append(frame.set_index(first)[rest[0]])
        return forms


@dataclass(frozen=True)
class Score(Kind):
    """An answer judged by how well it does, not by equality: any answer whose ``score``
    reaches ``bar`` is right (a matching of records with an F1 of at least 0.9 against the
    truth, whatever method found it). A named mistake is recognised when the answer is
    ``equal`` to it (by default ``==``); ``validate`` says why an answer cannot be scored.
    """

    score: Callable[[Any], float] = field(default=lambda answer: 0.0)
    bar: float = 1.0
    measure: str = "score"
    equal: Callable[[Any, Any], bool] | None = None
    validate: Callable[[Any], str | None] | None = None
    noun = "an answer"

    def problem(self, answer):
        return self.validate(answer) if self.validate else None

    def same(self, answer, expected):
        return bool(self.equal(answer, expected) if self.equal else answer == expected)

    def accepts(self, answer, expected):
        return self.score(answer) >= self.bar

    def difference(self, answer, expected):
        return f"Your answer's {self.measure} is {self.score(answer):.3f}; the bar is {self.bar}."


#: The probe under which a :class:`Behaviour`'s ``observe`` reports SQL that failed to run.
FAILED = "your SQL"


@dataclass(frozen=True)
class Behaviour(Kind):
    """SQL judged by what it does, not by how it is written: ``observe(sql)`` runs the
    statements in a fresh database and returns what can be seen afterwards, one outcome per
    probe (``{probe: outcome}``: what a role gets when it connects and asks, say). Two answers
    are the same when every probe sees the same outcome, so ``GRANT SELECT (a, b)`` and
    ``GRANT SELECT (b, a)`` are one answer, and a named mistake is recognised by its effect.
    """

    observe: Callable[[str], Mapping[str, Any]] = field(default=lambda sql: {})
    #: Whether a hint may say what a probe should see (not when that is the answer itself).
    reveal: bool = True
    noun = "SQL statements in one string"

    def problem(self, answer):
        if not isinstance(answer, str):
            return (
                f"The answer should be {self.noun} (between triple quotes), "
                f"not a {type(answer).__name__}."
            )
        if not answer.strip():
            return "The SQL is empty: write the statements between the triple quotes."
        return None

    def same(self, answer, expected):
        return dict(self.observe(answer)) == dict(self.observe(expected))

    def difference(self, answer, expected):
        got, want = self.observe(answer), self.observe(expected)
        if FAILED in got:  # the SQL did not run: say why first
            return f"Your SQL failed: {got[FAILED]}"
        for probe, outcome in want.items():
            if got.get(probe) != outcome:
                if not self.reveal:
                    return f"{probe} {got.get(probe, 'nothing')}: not what it should."
                return f"{probe} {got.get(probe, 'not reached')}, but it should be {outcome}."
        return ""

    def variants(self, answer):
        text = answer.strip()
        return [answer, text, f"\n  {text}\n\n", text.rstrip(";"), text.replace("\n", "\n    ")]


def series_forms(series: pd.Series, key: str, name: str) -> list:
    """The forms a check of one value per ``key`` promises to accept beside ``series``
    itself (for :meth:`Kind.variants`): another name, the rows in reverse, a one-column
    frame named ``name``, and a frame with ``key`` as a column."""
    named = series.rename(name).rename_axis(key)
    return [series.rename("anything"), series.iloc[::-1], named.to_frame(), named.reset_index()]


def _flat(frame: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """A frame with its index as ordinary columns (so groupby results compare either way)."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    return frame


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _as_set(values) -> set:
    return {_plain(v) for v in values}


def _as_counter(values) -> Counter:
    return Counter(_plain(v) for v in values)


def _integer_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]


def _rounded_to(answer: float, expected: float) -> int | None:
    """The number of decimals ``answer`` looks rounded to, if rounding ``expected`` gives it."""
    for decimals in range(7):
        step = 10.0**-decimals
        if (
            math.isclose(answer, round(answer, decimals), abs_tol=1e-12)
            and abs(answer - expected) <= step / 2 + 1e-12
        ):
            return decimals
    return None


# ---------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """One exercise's check: call it with the student's answer. It gives a verdict and a hint,
    never the answer (graders and tests use :func:`answer_key`)."""

    name: str
    kind: Kind
    hint: str
    _answers: Callable[[], tuple[Any, Mapping[str, Any]]] = field(repr=False)
    praise: str = ""
    _worked_out: dict = field(default_factory=dict, repr=False, compare=False)

    def _key(self) -> tuple[Any, Mapping[str, Any]]:
        """The right answer and the named mistakes on the databases the check reads, worked out
        once per folder of databases (``GENERATOR_DATASETS``) however often it is called."""
        folder = os.environ.get("GENERATOR_DATASETS", "")
        if folder not in self._worked_out:
            self._worked_out[folder] = self._answers()
        return self._worked_out[folder]

    def __call__(self, answer: Any = None) -> None:
        if answer is None:
            raise CheckFailed(self.name, "There is no answer yet: assign your result to `answer`.")
        problem = self.kind.problem(answer)
        if problem:
            raise CheckFailed(self.name, problem)
        expected, mistakes = self._key()
        if self.kind.accepts(answer, expected):
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
            name=reference.__name__, kind=kind, hint=hint, _answers=reference, praise=praise
        )

    return make


def answer_key(check: Task) -> tuple[Any, Mapping[str, Any]]:
    """For graders and tests, not for students: the right answer and the named mistakes
    (hint -> the answer that mistake gives), computed from the data the check reads."""
    return check._key()


def reference_module(check: Task) -> str:
    """The module that defines a task (its chapter's checks), e.g. ``course.checks.ch01``."""
    return check._answers.__module__


def tasks_in(module: ModuleType) -> list[Task]:
    """Every task a checks module defines, in the order they appear."""
    return [value for value in vars(module).values() if isinstance(value, Task)]
