"""Checks for chapter 02, Building the customer database (`from course.checks import ch02`).

Every right answer is computed from the automaker's source-system extracts that
``generator.load("auto")`` opens (the folder named by ``GENERATOR_DATASETS``, if set), and
from the supermarket's receipts for the data-mining task, so the checks hold for a database
built with any seed or locale. The tasks that start from the lesson's customers use the
lesson's own build (:func:`course.building.build`), as the exercise notebook does.
"""

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd

import generator
from course import building
from course.checking import Kind, Number, Table, Values, task
from generator import sources


@cache
def data():
    return generator.load("auto")


@cache
def built() -> building.Build:
    """The lesson's build: extract, merge, delete, validate, identify, update."""
    return building.build(data())


def _locale() -> str:
    return data().locale


def _system(name: str) -> dict:
    return next(s for s in data().systems if s["name"] == name)


def _raw(name: str, role: str) -> pd.Series:
    system = _system(name)
    return data().source(name)[building.column_for(system, role, _locale())]


def _option(name: str, role: str):
    return building.format_for(_system(name), role, _locale())


@cache
def records() -> pd.DataFrame:
    """The merged records of every system, as the lesson's extract and merge steps give them."""
    ds = data()
    return building.merge([building.extract(ds, s) for s in ds.systems], _locale())


# ---------------------------------------------------------------- extract


def _counts(values: pd.Series) -> pd.DataFrame:
    counts = values.value_counts()
    return counts.rename_axis("gender").rename("records").reset_index()


@task(
    Table(columns=("gender", "records")),
    hint="Write a dictionary that gives `M` or `F` for every code the hotline's gender column "
    "holds (look at its `value_counts()` first: some records use other systems' codes), map "
    "the column through it, then count the records per standard code.",
)
def hotline_genders():
    raw = _raw("hotline_log", "gender")
    own = {v: k for k, v in sources.GENDER_CODES[_option("hotline_log", "gender") or "MF"].items()}
    kept_as_written = raw.map(own).fillna(raw)
    return _counts(building.gender_codes(raw)), {
        "These are the codes as the hotline wrote them: translate them into `M` and `F` "
        "before counting.": _counts(raw),
        "Some records use another system's codes (a code error), and your table lost them: "
        "put every code the column holds into your dictionary, not only the hotline's own.": (
            _counts(raw.map(own))
        ),
        "Some codes are still as written: `replace` leaves a code that is not in your "
        "dictionary unchanged. Give every code the column holds its `M` or `F`.": _counts(
            kept_as_written
        ),
    }


# ---------------------------------------------------------------- validate


def _birth_dates() -> pd.DataFrame:
    written = records()["birth_date"]
    parts = written.str.extract(r"^(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)$").astype(float)
    return parts.assign(written=written)


def _ids(keep: pd.Series) -> list[str]:
    return sorted(records().loc[keep.fillna(False).astype(bool), "unique_id"])


@task(
    Values(),
    hint="List the `unique_id` of every record whose birth date is written but is not a day "
    'of the calendar: parse `records["birth_date"]` (written `YYYY-MM-DD`) with '
    '`pd.to_datetime(..., format="%Y-%m-%d", errors="coerce")` and keep the dates that are '
    "written but fail.",
)
def impossible_birth_dates():
    dates = _birth_dates()
    written = dates["written"].notna()
    parsed = pd.to_datetime(dates["written"], format="%Y-%m-%d", errors="coerce")
    month, day = dates["month"], dates["day"]
    common_year_lengths = month.map({2: 28, 4: 30, 6: 30, 9: 30, 11: 30}).fillna(31)
    return _ids(written & parsed.isna()), {
        "Your list has records with no birth date at all: keep only dates that are written "
        "but impossible.": _ids(parsed.isna()),
        "Your rule only knows February (day 30 or 31): other impossible dates are in the "
        "data too. Let the calendar decide instead of listing cases.": _ids(
            (month == 2) & (day >= 30)
        ),
        "Your rule only checks that the month is at most 12 and the day at most 31: "
        "30 February or 31 April pass it. Let the calendar decide.": _ids(
            (month > 12) | (day > 31)
        ),
        "Your rule forgets leap years: 29 February is a real day in 1988 or 2000. Let the "
        "calendar decide.": _ids((month > 12) | (day > common_year_lengths)),
    }


# ---------------------------------------------------------------- merge and identify


def _emails(more_than: int | None, skip_missing: bool = True, count_systems: bool = False):
    """Per e-mail address, its records (or systems), keeping addresses on more than
    ``more_than`` records."""
    frame = records()
    if skip_missing:
        frame = frame[frame["email"].notna()]
    groups = frame.groupby("email", dropna=False)
    counted = groups["system"].nunique() if count_systems else groups.size()
    if more_than is not None:
        counted = counted[groups.size() > more_than]
    return counted.rename("records").reset_index()


@task(
    Table(columns=("email", "records")),
    hint="GROUP BY the e-mail address, count the records with COUNT(*), keep the groups "
    "with more than one record (HAVING), and leave out records without an e-mail.",
)
def shared_emails():
    return _emails(1), {
        "Your table has every address; keep only those on more than one record (HAVING).": (
            _emails(None)
        ),
        "One of your rows is the records without an e-mail: NULL is not an address, so "
        "filter it out with WHERE email IS NOT NULL.": _emails(1, skip_missing=False),
        "You counted systems; count the records that carry each address.": _emails(
            1, count_systems=True
        ),
    }


def _keyed(fields: list[str]) -> pd.DataFrame:
    return records().dropna(subset=fields)


def _merged_away(field: str) -> int:
    keyed = _keyed(["given_key", "family_key", field])
    return len(keyed) - len(keyed.drop_duplicates(["given_key", "family_key", field]))


@task(
    Number(),
    hint="Keep the records that have a given-name key, a family-name key and a phone; an "
    "exact match keeps one record per distinct (given_key, family_key, phone): how many "
    "records does it merge away?",
)
def exact_merges():
    fields = ["given_key", "family_key", "phone"]
    keyed = _keyed(fields)
    groups = keyed.groupby(fields).size()
    everything = records()[fields].fillna("")
    return _merged_away("phone"), {
        "That is the number of keys shared by several records; count the records merged "
        "away (a key on three records merges two).": int((groups > 1).sum()),
        "You counted every record in a group of duplicates; one record of each group stays.": int(
            groups[groups > 1].sum()
        ),
        "Records without a phone have no key: leave them out instead of matching them on "
        "an empty phone.": len(everything) - len(everything.drop_duplicates()),
    }


@cache
def _exact_key_quality() -> dict:
    frame = records()
    fields = ["given_key", "family_key", "phone"]
    complete = frame[fields].notna().all(axis=1)
    truth = building.true_customers(data())

    def quality(separator: str, only_complete: bool = False) -> dict:
        key = (
            frame[fields].fillna("").agg(separator.join, axis=1).where(complete, frame["unique_id"])
        )
        found = pd.Series(key.to_numpy(), index=frame["unique_id"])
        return building.linkage_quality(
            found[complete.to_numpy()] if only_complete else found, truth
        )

    return {"all": quality("|"), "keyed": quality("|", True), "glued": quality("")}


@task(
    Number(),
    hint="Give every record a customer: its exact key (the three parts joined with a "
    "separator), or its own id when a part of the key is missing; compare that with "
    "`building.true_customers(ds)` using `building.linkage_quality` and take the share of "
    "true pairs found.",
)
def exact_key_recall():
    quality = _exact_key_quality()
    return quality["all"]["recall"], {
        "That is the precision (the share of the pairs it makes that are right); the "
        "question asks for the recall.": quality["all"]["precision"],
        "That is F1, which mixes precision and recall; the question asks for the recall.": (
            quality["all"]["f1"]
        ),
        "You left out the records without a complete key: their true pairs count too, as "
        "pairs the exact key misses.": quality["keyed"]["recall"],
        'You joined the key\'s parts without a separator: "amandar" + "ice" and "amanda" + '
        '"rice" become the same text. Join them with a character no name holds, such as "|".': (
            quality["glued"]["recall"]
        ),
    }


# ---------------------------------------------------------------- update


def _with_customer(field: str) -> pd.DataFrame:
    clean = built().clean
    frame = clean.assign(customer_key=clean["unique_id"].map(built().customer))
    return frame[["customer_key", "unique_id", "extracted_on", field]]


def _latest(field: str, newest: bool = True, skip_missing: bool = True) -> pd.DataFrame:
    frame = _with_customer(field)
    if skip_missing:
        frame = frame.dropna(subset=[field])
    ordered = frame.sort_values(["extracted_on", "unique_id"], ascending=[not newest, True])
    first = ordered.drop_duplicates("customer_key")
    return first[["customer_key", field]].sort_values("customer_key", ignore_index=True)


def _most_common(field: str) -> pd.DataFrame:
    frame = _with_customer(field).dropna(subset=[field])
    counts = frame.groupby(["customer_key", field]).size().rename("n").reset_index()
    ordered = counts.sort_values(["customer_key", "n", field], ascending=[True, False, True])
    return ordered.drop_duplicates("customer_key")[["customer_key", field]]


@task(
    Table(columns=("customer_key", "postcode")),
    hint="Keep the records that have a postcode, sort them newest extract first (and by "
    "`unique_id` within one extract), and take the first postcode of each customer: "
    "one row per customer who has a postcode anywhere.",
)
def latest_postcodes():
    return _latest("postcode"), {
        "You kept the oldest postcode: sort the extracts newest first (`ascending=False`).": (
            _latest("postcode", newest=False)
        ),
        "Some of your postcodes are missing: the most recent record does not always have one. "
        "Drop the records without a postcode before you take each customer's first.": (
            _latest("postcode", skip_missing=False)
        ),
        "You took the postcode most of the customer's records hold: for a fact that changes "
        "(people move) the most recent extract wins, not the majority.": _most_common("postcode"),
    }


# ---------------------------------------------------------------- extend


@cache
def postcode_list() -> pd.DataFrame:
    path = data().folder / "sources" / "postcode_demographics.csv"
    return pd.read_csv(path, dtype={"postcode": str})


def _extended(how: str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    frame = built().golden if frame is None else frame
    joined = frame.merge(postcode_list(), on="postcode", how=how)
    return joined[["customer_key", "median_income"]]


@task(
    Table(columns=("customer_key", "median_income")),
    hint='Join `postcodes` onto `golden` on the postcode with `merge(..., how="left")`: one '
    "row per customer, with the area's `median_income` where the list knows the postcode.",
)
def extended_customers():
    clean = built().clean
    records_keyed = clean.assign(customer_key=clean["unique_id"].map(built().customer))
    return _extended("left"), {
        "Your table lost the customers without a known postcode (an inner join): extending "
        'keeps every customer, with nothing added where the list has no match (`how="left"`).': (
            _extended("inner")
        ),
        "Your table has a row per source record: extend the golden records (`golden`, one "
        "row per customer), not the records.": _extended("left", records_keyed),
    }


# ---------------------------------------------------------------- a constraint


@dataclass(frozen=True)
class CheckConstraint(Kind):
    """A SQL CHECK expression on one column, compared by what it does: the values it lets
    into a table and the values it refuses, tried on every value in ``cases()``."""

    column: str = "birth_date"
    cases: Callable[[], tuple] = tuple
    noun = "a SQL CHECK expression (a piece of text)"

    def _refused(self, expression: str) -> frozenset:
        db = sqlite3.connect(":memory:")
        try:
            db.execute(f"CREATE TABLE t ({self.column} TEXT CHECK ({expression}))")
            refused = set()
            for value in self.cases():
                try:
                    db.execute("INSERT INTO t VALUES (?)", (value,))
                except sqlite3.IntegrityError:
                    refused.add(value)
            return frozenset(refused)
        finally:
            db.close()

    def problem(self, answer):
        if not isinstance(answer, str):
            return f"The answer should be {self.noun}, but it is a {type(answer).__name__}."
        if self.column not in answer:
            return f"Your expression never looks at the column `{self.column}`."
        try:
            self._refused(answer)
        except sqlite3.Error as error:
            return f"SQLite cannot use your expression as a CHECK: {error}."
        return None

    def same(self, answer, expected):
        return self._refused(answer) == self._refused(expected)

    def difference(self, answer, expected):
        got, want = self._refused(answer), self._refused(expected)
        parts = []
        if want - got:
            parts.append(f"Your CHECK lets in {len(want - got):,} value(s) it should refuse.")
        if got - want:
            parts.append(f"Your CHECK refuses {len(got - want):,} value(s) it should let in.")
        return " ".join(parts)

    def variants(self, answer):
        return [answer, f"({answer})", " ".join(answer.split()), answer.replace("IS", "is")]


def _youngest() -> pd.Timestamp:
    """The latest birth date of a customer at least 16 years old on the as-of date."""
    return data().as_of - pd.DateOffset(years=16)


def _birth_date_cases() -> tuple:
    """Every birth date the records hold (and no date at all), text that is not a date, and
    the days around the youngest allowed birth date."""
    written = records()["birth_date"].dropna().unique().tolist()
    youngest, as_of = _youngest(), data().as_of
    days = [youngest - pd.Timedelta(days=1), youngest, youngest + pd.Timedelta(days=1), as_of]
    others = ["31/12/1990", "not a date", "1990-2-3", "", "1990-13-01", "1990-02-30", "1991-02-29"]
    others += [f"{day:%Y-%m-%d}" for day in days]
    return (None, *sorted(set(written) | set(others)))


@task(
    CheckConstraint(column="birth_date", cases=_birth_date_cases),
    hint="Two conditions joined with AND: the lesson's test that the value is a real day "
    "(`date(birth_date, '+0 days') IS birth_date`), and a comparison with the latest birth "
    "date of a 16-year-old on the as-of date, that day itself allowed. Leave a missing birth "
    "date allowed.",
)
def birth_date_check():
    youngest = f"{_youngest():%Y-%m-%d}"
    real_day = "date(birth_date, '+0 days') IS birth_date"
    old_enough = f"birth_date <= '{youngest}'"
    return f"{real_day} AND {old_enough}", {
        "Your CHECK lets in customers younger than 16 on the as-of date: add the age rule "
        "(a comparison of the birth date with the as-of date minus 16 years).": real_day,
        "Your CHECK lets in values that are not dates at all: the age comparison alone "
        "compares text, and '1990-13-01' sorts before any later year. Add the test that the "
        "value is a real day.": old_enough,
        "With `=`, a value SQLite cannot read at all (month 13, '31/12/1990') gives NULL, and "
        "a CHECK that comes out NULL lets the row in: compare with `IS` instead.": (
            f"birth_date = date(birth_date, '+0 days') AND {old_enough}"
        ),
        "`date()` without a modifier gives 30 February back unchanged: add the modifier "
        "`'+0 days'` so that SQLite normalises the day.": (
            f"date(birth_date) IS birth_date AND {old_enough}"
        ),
        "Your CHECK refuses a customer who turns 16 on the as-of date: they are 16, so that "
        "day is allowed (`<=`, not `<`).": f"{real_day} AND birth_date < '{youngest}'",
        "Your CHECK refuses cards without a birth date: a missing value is allowed (the "
        "column has no NOT NULL), so let NULL through.": (
            f"birth_date IS NOT NULL AND {real_day} AND {old_enough}"
        ),
    }


# ---------------------------------------------------------------- a data mart, and consent


def _golden_where(*, owners=True, consent="yes") -> list[int]:
    """The golden records' customer keys with a phone, kept by ownership and SMS consent."""
    golden = built().golden
    keep = golden["phone"].notna()
    if owners:
        keep &= golden["owner"] == 1
    if consent == "yes":
        keep &= golden["consent_sms"].eq(1)
    elif consent == "not no":
        keep &= ~golden["consent_sms"].eq(0)
    return sorted(golden.loc[keep, "customer_key"].astype(int))


@task(
    Values(distinct=True),
    hint="The view keeps the owners (`owner = 1`) who have a phone number and whose SMS "
    "consent is 1; read the customer keys from it.",
)
def sms_reminders():
    return _golden_where(), {
        "Your list has owners who never agreed to SMS: having a number is not permission. "
        "Keep only `consent_sms = 1`.": _golden_where(consent=None),
        "Your list has owners whose SMS consent is unknown (NULL: no system asked them): no "
        "statement is not a yes, so they may not be texted. Test `consent_sms = 1`.": (
            _golden_where(consent="not no")
        ),
        "Your list has customers who own no car (yet): a service reminder is for owners "
        "(`owner = 1`).": _golden_where(owners=False),
    }


# ---------------------------------------------------------------- data mining

RULE = ("beverages", "snacks")  # the rule {beverages} -> {snacks}


@cache
def _rule_numbers() -> dict:
    retail = generator.load("retail")
    lines = retail["transaction_items"].merge(retail["products"], on="product_id")
    receipts = lines["transaction_id"].nunique()
    has = {
        category: set(lines.loc[lines["category"] == category, "transaction_id"])
        for category in RULE
    }
    a, b = (len(has[c]) / receipts for c in RULE)
    both = len(has[RULE[0]] & has[RULE[1]]) / receipts
    a_lines, b_lines = ((lines["category"] == c).sum() / receipts for c in RULE)
    return {
        "support": both,
        "confidence": both / a,
        "reverse": both / b,
        "lift": both / (a * b),
        "lines": both / (a_lines * b_lines),
    }


@task(
    Number(),
    hint="Work per receipt: the share of receipts with beverages, with snacks, and with both "
    "(the support); lift = support / (share with beverages x share with snacks).",
)
def beverages_snacks_lift():
    rule = _rule_numbers()
    return rule["lift"], {
        "That is the confidence (support / share with beverages); lift also divides by the "
        "share of receipts with snacks.": rule["confidence"],
        "That is the confidence of the other rule (snacks -> beverages); lift divides the "
        "support by both shares.": rule["reverse"],
        "That is the support (the share of receipts with both); lift compares it with what "
        "chance alone would give.": rule["support"],
        "You counted receipt lines, not receipts: a receipt with two snack lines counts "
        "once. Reduce the lines to one row per receipt and category first.": rule["lines"],
    }
