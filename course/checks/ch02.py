"""Checks for chapter 02, Building the customer database (`from course.checks import ch02`).

Every right answer is computed from the automaker's source-system extracts that
``generator.load("auto")`` opens (the folder named by ``GENERATOR_DATASETS``, if set), so
the checks hold for a database built with any seed or locale.
"""

from functools import cache

import pandas as pd

import generator
from course import building
from course.checking import Number, Table, Values, task
from generator import sources


@cache
def data():
    return generator.load("auto")


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


def _counts(values: pd.Series) -> pd.DataFrame:
    counts = values.value_counts()
    return counts.rename_axis("gender").rename("records").reset_index()


@task(
    Table(columns=("gender", "records")),
    hint="Map every code in the hotline log's gender column to `M` or `F` "
    "(`building.gender_codes`), then count the records per standard code.",
)
def hotline_genders():
    raw = _raw("hotline_log", "gender")
    own = {v: k for k, v in sources.GENDER_CODES[_option("hotline_log", "gender") or "MF"].items()}
    return _counts(building.gender_codes(raw)), {
        "These are the codes as the hotline wrote them: translate them into `M` and `F` "
        "before counting.": _counts(raw),
        "Some records use another system's codes (a code error): translate every code "
        "the lesson's table knows, not only the hotline's own.": _counts(raw.map(own)),
    }


def _birth_dates() -> tuple[pd.Series, str]:
    return _raw("warranty_cards", "birth_date"), _option("warranty_cards", "birth_date")


@task(
    Number(),
    hint="Count the birth dates that are written on the card but are not a day of the "
    "calendar: parse them in the card's own format and count the ones that fail.",
)
def impossible_birth_dates():
    written, form = _birth_dates()
    parsed = pd.to_datetime(written, format=form, errors="coerce")
    day_first = form.replace("%m", "%M").replace("%d", "%m").replace("%M", "%d")
    swapped = pd.to_datetime(written, format=day_first, errors="coerce")
    return int((written.notna() & parsed.isna()).sum()), {
        "You also counted the cards with no birth date at all: count only dates that are "
        "written but impossible.": int(parsed.isna().sum()),
        "Check the format: month and day are the other way round on these cards.": int(
            (written.notna() & swapped.isna()).sum()
        ),
    }


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


@task(
    Values(),
    hint="Read your bar chart: which key's bar is the longest? Answer with a list holding "
    'that field\'s name, e.g. ["email"].',
)
def best_exact_key():
    merges = {field: _merged_away(field) for field in ("phone", "email", "postcode")}
    ranked = sorted(merges, key=merges.get, reverse=True)
    return [ranked[0]], {
        "That is the shortest bar: the key that merges the fewest records.": [ranked[-1]],
        "That bar is not the longest: compare it with the others again.": [ranked[1]],
    }


@cache
def _exact_key_quality() -> dict:
    frame = records()
    fields = ["given_key", "family_key", "phone"]
    complete = frame[fields].notna().all(axis=1)
    key = frame[fields].fillna("").agg("|".join, axis=1).where(complete, frame["unique_id"])
    found = pd.Series(key.to_numpy(), index=frame["unique_id"])
    truth = building.true_customers(data())
    keyed_only = found[complete.to_numpy()]
    return {
        "all": building.linkage_quality(found, truth),
        "keyed": building.linkage_quality(keyed_only, truth),
    }


@task(
    Number(),
    hint="Give every record a customer: its exact key, or its own id when a part of the key "
    "is missing; compare that with `building.true_customers(ds)` using "
    "`building.linkage_quality` and take the share of true pairs found.",
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
    }
