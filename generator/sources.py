"""Source-system extracts: the same customers as each of a company's systems records them.

Before a customer database exists, a company's customers are scattered over systems that
were never meant to agree: a loyalty-card system, a web shop, a call centre's log, paper
surveys typed in by hand. Each has its own customer number, file format, text encoding,
date format, name order, code list and phone format, and each was extracted on its own date,
so it shows each customer as they were then (moves and new phone numbers from
:mod:`generator.decay`). With ``dirty > 0`` the records also carry the errors real systems
have: duplicates, typos, nicknames, swapped names, pinyin for characters, missing and invalid
values, inconsistent codes.

Nothing is lost: ``_truth/source_records`` says which true customer every record belongs to,
and ``_truth/corruptions`` what was done to which field, with the value before.

An industry lists its systems in its spec's ``systems`` section; each system has a ``name``,
``title``/``zh``, ``format`` (``csv`` or ``jsonl``), ``encoding`` (per locale), ``coverage``
(the share of customers it knows), ``extract_days_before`` (the as-of date minus this is its
extract date), a ``key`` (``prefix`` and ``digits``), ``typing`` (how much more often than
elsewhere typos happen, e.g. 3 for hand-typed forms), ``romanised`` (per locale: Chinese names
in pinyin) and ``fields``: ``[column, role, option]`` where a column name or option may differ
by locale (``{"en_US": ..., "zh_CN": ...}``). A field with the role ``consent_<channel>``
records the customer's consent to that channel as it stood on the extract date.
"""

from __future__ import annotations

import functools
import json
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from generator import decay, locales
from generator.locales import Locale
from generator.population import Window
from generator.schema import Column, Table
from generator.streams import stream

C = Column
# the kinds of error, and the roles of the fields each can hit
DIRT = {
    "duplicate": (),
    "typo": ("given_name", "family_name", "full_name", "address", "email", "organisation"),
    "nickname": ("given_name", "full_name"),
    "pinyin": ("given_name", "family_name", "full_name"),
    "swapped": ("given_name", "full_name"),
    "missing": ("phone", "email", "postcode", "birth_date", "address"),
    "invalid": ("birth_date", "email", "phone"),
    "code": ("gender",),
}
GENDER_CODES = {
    "MF": {"M": "M", "F": "F"},
    "digit": {"M": "1", "F": "2"},
    "word": {"M": "male", "F": "female"},
    "word_zh": {"M": "男", "F": "女"},
}
# the same income bands, written the ways different systems do
INCOME_CODES = {
    "digit": {"low": "1", "middle": "2", "high": "3"},
    "letter": {"low": "L", "middle": "M", "high": "H"},
    "zh": {"low": "低", "middle": "中", "high": "高"},
}
# a consent to be contacted by one channel (role ``consent_<channel>``), as systems write it
CONSENT_CODES = {
    "YN": {True: "Y", False: "N"},
    "10": {True: "1", False: "0"},
    "zh": {True: "是", False: "否"},
}
KEY_SPACE = 10**7  # ids below this keep the keys of a record and its copy unique

TABLES = (
    Table(
        "source_records",
        "Which true customer each source-system record belongs to",
        "源系统记录归属",
        (
            C("system", "str", "Source system", "源系统"),
            C("record_key", "str", "The record's key in its system", "记录编号"),
            C("customer_id", "int", "The true customer (or doctor, hospital...)", "真实客户"),
            C("extracted_on", "date", "The system's extract date", "抽取日期"),
            C(
                "duplicate_of",
                "str",
                "Key of the record this one duplicates",
                "重复于",
                nullable=True,
            ),
        ),
        key=("system", "record_key"),
        truth=True,
    ),
    Table(
        "corruptions",
        "Every error put into a source record, and the value before",
        "数据错误记录",
        (
            C("system", "str", "Source system", "源系统"),
            C("record_key", "str", "The record's key in its system", "记录编号"),
            C("field", "str", "The column that was changed", "字段"),
            C("kind", "category", "Kind of error", "错误类型", values=tuple(DIRT)),
            C("original", "str", "The value before the error", "原值", nullable=True),
        ),
        key=("system", "record_key", "field", "kind"),
        truth=True,
    ),
)


# ---------------------------------------------------------------- one system, one block


def extract(
    system: dict,
    locale: Locale,
    window: Window,
    seed: int,
    block: int,
    people: pd.DataFrame,
    events: pd.DataFrame | None,
    dirty: float,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One system's records of one block of customers: (records, source_records, corruptions).

    Records are text, as the system would export them (missing values are None). ``people``
    may also be a list the system keeps of something else (doctors, hospitals: see
    :func:`reference_extract`), with ``events`` None: nothing about them changes.
    """
    name, code = system["name"], locale.code
    rng = stream(seed, f"sources.{name}", block)
    extracted = window.as_of - pd.Timedelta(days=system["extract_days_before"])
    if events is None:
        state, on_file = people, np.ones(len(people), bool)
    else:
        state = decay.state_at(people, events, extracted)
        on_file = (people["registered_on"] <= extracted).to_numpy()
    known = np.flatnonzero(on_file & (rng.random(len(people)) < system["coverage"]))
    # duplicates: a second record made from what the customer told the company when they joined
    copies = np.flatnonzero(rng.random(len(known)) < dirty) if dirty else np.zeros(0, int)
    rows = np.concatenate([known, known[copies]])
    copy_no = np.r_[np.zeros(len(known), np.int64), np.ones(len(copies), np.int64)]
    current = np.r_[np.ones(len(known), bool), np.zeros(len(copies), bool)]
    ids = people["customer_id"].to_numpy()[rows]
    keys = _keys(system, ids, copy_no)
    layout = [(for_locale(c, code), role, for_locale(o, code)) for c, role, o in fields(system)]
    romanised = bool(for_locale(system.get("romanised", False), code))
    records = {}
    for column, role, option in layout:
        if role == "key":
            records[column] = keys
            continue
        if role == "age":  # years on the extract date, not a birth date
            records[column] = _age(_values(people, "birth_date", rows), extracted)
            continue
        now = _values(state, role, rows)
        then = _values(people, role, rows)
        values = np.where(current, now, then)
        records[column] = _format(
            role, option, values, people, state, rows, current, code, romanised
        )
    records = pd.DataFrame(records)
    truth = pd.DataFrame(
        {
            "system": name,
            "record_key": keys,
            "customer_id": ids,
            "extracted_on": np.datetime64(extracted.date(), "s"),
            "duplicate_of": np.where(copy_no > 0, _keys(system, ids, np.zeros_like(copy_no)), None),
        }
    )
    corruptions = _corrupt(system, records, layout, rng, dirty, code, romanised)
    order = np.argsort(keys, kind="stable")
    records = records.iloc[order].reset_index(drop=True)
    truth = truth.iloc[order].reset_index(drop=True)
    return (
        records,
        truth,
        corruptions.sort_values(["record_key", "field", "kind"]).reset_index(drop=True),
    )


def reference_extract(
    system: dict, locale: Locale, window: Window, seed: int, table: pd.DataFrame, dirty: float
):
    """A system's list of a reference table (e.g. the reps' list of doctors, a vendor's list of
    hospitals). ``table`` has the true id as ``customer_id`` and a column per field role."""
    return extract(system, locale, window, seed, 0, table, None, dirty)


def fields(system: dict) -> list[tuple]:
    """A system's fields as (column, role, option); column and option may differ by locale."""
    return [(f[0], f[1], f[2] if len(f) > 2 else None) for f in system["fields"]]


def for_locale(value, code: str):
    """A spec value that may differ by locale (``{"en_US": ..., "zh_CN": ...}``)."""
    return value.get(code) if isinstance(value, dict) else value


def _keys(system: dict, ids: np.ndarray, copy_no: np.ndarray) -> np.ndarray:
    """Each system numbers its customers its own way: a scrambled, unique number per record."""
    key = system["key"]
    space = 10 ** key["digits"]
    multiplier = zlib.crc32(system["name"].encode()) | 1
    multiplier += 2 if multiplier % 5 == 0 else 0  # coprime with 10: a bijection mod 10^d
    number = ((ids + copy_no * KEY_SPACE) * multiplier) % space
    text = pd.Series(number).astype(str).str.zfill(key["digits"])
    return (key["prefix"] + text).to_numpy(dtype=object)


def _values(frame: pd.DataFrame, role: str, rows: np.ndarray) -> np.ndarray:
    if role == "full_name":
        role = "given_name"  # joined with the family name in _format
    return frame[role].to_numpy(dtype=object)[rows]


def _format(role, option, values, people, state, rows, current, code, romanised) -> np.ndarray:
    """The system's way of writing a value."""
    values = pd.Series(values, dtype=object)
    if role == "gender":
        return values.map(GENDER_CODES[option or "MF"]).to_numpy(dtype=object)
    if role in ("birth_date", "registered_on"):
        return _dates(values, option or "%Y-%m-%d")
    if role == "phone":
        return _phone(values, option, code)
    if role.startswith("consent_"):
        return values.map(CONSENT_CODES[option or "YN"]).to_numpy(dtype=object)
    if role == "income_band" and option:
        return values.map(INCOME_CODES[option]).to_numpy(dtype=object)
    if role in ("given_name", "family_name", "full_name"):
        given = values if role != "family_name" else None
        family = pd.Series(
            np.where(
                current, _values(state, "family_name", rows), _values(people, "family_name", rows)
            ),
            dtype=object,
        )
        if romanised:
            family, given = family.map(_pinyin), None if given is None else given.map(_pinyin)
        if role == "given_name":
            return given.to_numpy(dtype=object)
        if role == "family_name":
            return family.to_numpy(dtype=object)
        return _full_name(given, family, option or "given_first", code, romanised)
    return values.to_numpy(dtype=object)


def _age(born: np.ndarray, on: pd.Timestamp) -> np.ndarray:
    """Completed years of age on a date, as text."""
    born = pd.to_datetime(pd.Series(born))
    before_birthday = (born.dt.month > on.month) | (
        (born.dt.month == on.month) & (born.dt.day > on.day)
    )
    years = on.year - born.dt.year - before_birthday.astype(int)
    return years.astype(str).to_numpy(dtype=object)


def _dates(values: pd.Series, form: str) -> np.ndarray:
    stamps = pd.to_datetime(values)
    text = stamps.dt.strftime(form)
    return text.where(stamps.notna(), None).to_numpy(dtype=object)


def _phone(values: pd.Series, option: str | None, code: str) -> np.ndarray:
    digits = values.str.replace(r"\D", "", regex=True)
    if option is None:
        return values.to_numpy(dtype=object)
    if option == "digits":
        return digits.to_numpy(dtype=object)
    locale = locales.get(code)
    first, second = locale.phone_groups
    parts = digits.str[:first], digits.str[first:second], digits.str[second:]
    country = locale.phone_country
    if option == "dashed":
        return (parts[0] + "-" + parts[1] + "-" + parts[2]).to_numpy(dtype=object)
    if option == "intl":
        return (country + " " + parts[0] + " " + parts[1] + " " + parts[2]).to_numpy(dtype=object)
    raise ValueError(f"unknown phone format {option!r}")


def _full_name(given, family, order: str, code: str, romanised: bool) -> np.ndarray:
    locale = locales.get(code)
    if locale.language == "zh" and not romanised:  # Chinese names: family name first, no space
        return (family + given).to_numpy(dtype=object)
    if order == "family_first":  # e.g. "SMITH, John" or "WANG Xiaoming"
        sep = locale.family_first_separator
        return (family.str.upper() + sep + given).to_numpy(dtype=object)
    return (given + " " + family).to_numpy(dtype=object)


@functools.cache
def _pinyin(text: str) -> str:
    """A Chinese name in pinyin, as a romanising system writes it: 小明 -> Xiaoming."""
    from pypinyin import lazy_pinyin  # its dictionaries are big: loaded only when needed

    return "".join(lazy_pinyin(text)).capitalize()


@functools.cache
def _nicknames():
    from nicknames import NickNamer  # loaded only when needed

    return NickNamer()


@functools.cache
def nickname_choices(given: str) -> tuple[str, ...]:
    """The usual nicknames of an English given name (none for most other names)."""
    found = _nicknames().nicknames_of(given.lower())
    return tuple(sorted(n.capitalize() for n in found if len(n) > 1))


# ---------------------------------------------------------------- errors


def _corrupt(system, records, layout, rng, dirty, code, romanised) -> pd.DataFrame:
    """Put errors into ``records`` in place; return what was done (one row per changed field).

    Each kind of error hits a record with probability ``dirty`` (typos ``typing`` times more
    often), in one of the record's layout that kind can hit.
    """
    done = []
    key_column = next(c for c, r, _ in layout if r == "key")
    keys = records[key_column].to_numpy(dtype=object)
    n = len(records)
    language = locales.get(code).language
    for kind, roles in DIRT.items():
        draw = rng.random(n)  # drawn for every kind, so that no rate shifts another's numbers
        pick = rng.integers(0, 1 << 30, n)
        eligible = [(c, r, o) for c, r, o in layout if r in roles]
        if (
            not dirty
            or not eligible
            or (kind == "nickname" and language != "en")  # English nicknames
            or (kind == "pinyin" and (language != "zh" or romanised))  # Chinese in pinyin
        ):
            continue
        rate = dirty * (system.get("typing", 1) if kind == "typo" else 1)
        for row in np.flatnonzero(draw < rate):  # only the few records hit
            column, role, option = eligible[pick[row] % len(eligible)]
            before = records.at[row, column]
            after = _damage(kind, role, option, before, records, row, layout, pick[row], code)
            if after is _SKIP:
                continue
            if kind == "swapped" and role == "given_name":
                family = next(c for c, r, _ in layout if r == "family_name")
                records.at[row, family] = before
                done.append((keys[row], family, kind, after))
            records.at[row, column] = after
            done.append((keys[row], column, kind, before))
    frame = pd.DataFrame(done, columns=["record_key", "field", "kind", "original"])
    return frame.assign(system=system["name"])[["system", *frame.columns]]


_SKIP = object()


def _damage(kind, role, option, value, records, row, layout, pick, code):
    """One value with one error of ``kind`` (or _SKIP where the error cannot apply)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return _SKIP
    text = str(value)
    if kind == "typo":
        if len(text) < 2:  # one character (a Chinese name often has one): another in its place
            letters = _letters(code)
            swap = letters[pick % len(letters)]
            return swap if swap != text else letters[(pick + 1) % len(letters)]
        i = pick % (len(text) - 1)
        if pick % 3 == 0:  # two letters swapped
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if pick % 3 == 1:  # one letter dropped
            return text[:i] + text[i + 1 :]
        return text[:i] + text[i] + text[i:]  # one letter doubled
    if kind == "nickname":
        given = text.split(" ")[0] if role == "full_name" else text
        choices = nickname_choices(given)
        if not choices:
            return _SKIP
        return text.replace(given, choices[pick % len(choices)], 1)
    if kind == "pinyin":
        return (
            " ".join(_pinyin(part) for part in text.split(" "))
            if role != "full_name"
            else (_pinyin(text[1:]) + " " + _pinyin(text[0]))
        )
    if kind == "swapped":
        if role == "given_name":
            family = next(c for c, r, _ in layout if r == "family_name")
            return records.at[row, family]
        parts = text.replace(",", "").split(" ")
        if len(parts) < 2:  # a Chinese name without a space: the given name put first
            return text[1:] + text[0] if len(text) > 1 else _SKIP
        return " ".join(parts[::-1])
    if kind == "missing":
        return None
    if kind == "invalid":
        if role == "email":
            return text.replace("@", "@@") if pick % 2 else text.replace("@", " at ")
        if role == "phone":
            return text[:-2]
        return _impossible_date(text, option or "%Y-%m-%d", pick)
    if kind == "code":
        foreign = locales.get(code).foreign_gender_code  # codes a system might meet
        choices = [c for c in GENDER_CODES if c not in (option or "MF", foreign)]
        scheme = GENDER_CODES[choices[pick % len(choices)]]
        true = next(k for k, v in GENDER_CODES[option or "MF"].items() if v == text)
        return scheme[true]
    raise ValueError(kind)


@functools.cache
def _letters(code: str) -> str:
    """Characters a typing error can put in: letters, or the characters of Chinese names."""
    return locales.get(code).typing_letters()


# the ways a written date fails to be a day of the calendar, as real forms show them
IMPOSSIBLE_DATES = (
    "30 February",
    "29 February of a common year",
    "31st of a 30-day month",
    "month 13",
)


def _impossible_date(text: str, form: str, pick: int) -> str:
    """The date written as a day that does not exist, one of :data:`IMPOSSIBLE_DATES`:
    30 February, 29 February of a year that is not a leap year, the 31st of April, June,
    September or November, or a 13th month."""
    stamp = pd.Timestamp(pd.to_datetime(text, format=form))
    year, day = stamp.year, f"{stamp.day:02d}"
    kind = IMPOSSIBLE_DATES[pick % len(IMPOSSIBLE_DATES)]
    if kind == "30 February":
        month, day = "02", "30"
    elif kind == "29 February of a common year":
        year += 1 if stamp.is_leap_year else 0
        month, day = "02", "29"
    elif kind == "31st of a 30-day month":
        month, day = ("04", "06", "09", "11")[pick // len(IMPOSSIBLE_DATES) % 4], "31"
    else:
        month = "13"
    return form.replace("%Y", f"{year:04d}").replace("%m", month).replace("%d", day)


# ---------------------------------------------------------------- a bought list by postcode

# what a data vendor sells per postcode, and the national figures it is centred on
POSTCODE_FIGURES = {
    "en_US": {
        "income": 80_610,  # median household income 2023, US Census Bureau (CPS ASEC 2024)
        "age": 38.9,  # median age 2022, US Census Bureau population estimates
        "families": 0.39,  # share of households that are families with own children, roughly
        "source": "median household income USD 80,610 (US Census Bureau, 2023) and median age "
        "38.9 (2022 estimates); spread between postcodes is an assumption",
    },
    "zh_CN": {
        "income": 39_218,  # per-capita disposable income 2023, National Bureau of Statistics
        "age": 38.8,  # median age, 2020 census
        "families": 0.45,
        "source": "per-capita disposable income CNY 39,218 (National Bureau of Statistics, "
        "2023) and median age 38.8 (2020 census); spread between postcodes is an assumption",
    },
}


def postcode_list(locale: Locale, seed: int, region: str | None) -> pd.DataFrame:
    """A bought external list: demographics for every postcode where the company's customers
    can live (used to extend the customer records, 数据扩展)."""
    from generator import geography

    geo = geography.load(locale.code)
    postcode, region_column = locale.postcode_column, locale.region_column
    if region is not None:
        geo = geo[geo[region_column] == region]
    weight = geo.groupby(postcode, sort=True)["weight"].sum()
    figures = POSTCODE_FIGURES[locale.code]
    rng = stream(seed, "sources.postcodes")
    n = len(weight)
    income = figures["income"] * rng.lognormal(0, 0.35, n)
    households = np.maximum(
        np.round(weight / weight.sum() * 400_000 * rng.lognormal(0, 0.2, n)), 50
    )
    return pd.DataFrame(
        {
            "postcode": weight.index.astype(str),
            "households": households.astype(np.int64),
            "income_index": np.round(income / figures["income"] * 100).astype(np.int64),
            "median_income": np.round(income, -2).astype(np.int64),
            "families_with_children": np.round(
                np.clip(rng.normal(figures["families"], 0.08, n), 0.05, 0.9), 3
            ),
            "median_age": np.round(rng.normal(figures["age"], 4.0, n), 1),
        }
    )


# ---------------------------------------------------------------- files


class SourceFiles:
    """The extract files of every system, appended block by block, in each system's format."""

    def __init__(self, folder: Path, systems: list[dict], locale: str):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.files = {}
        for system in systems:
            encoding = for_locale(system.get("encoding", "utf-8"), locale) or "utf-8"
            suffix = "csv" if system["format"] == "csv" else "jsonl"
            path = folder / f"{system['name']}.{suffix}"
            self.files[system["name"]] = (open(path, "w", encoding=encoding, newline=""), system)  # noqa: SIM115
        self.header = dict.fromkeys(self.files, True)

    def write(self, name: str, records: pd.DataFrame) -> None:
        file, system = self.files[name]
        if system["format"] == "csv":
            records.to_csv(file, index=False, header=self.header[name], lineterminator="\n")
        else:
            # a missing value is JSON's null (NaN is not JSON: other tools refuse it)
            frame = records.astype(object).where(records.notna(), None)
            for row in frame.to_dict(orient="records"):
                file.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
        self.header[name] = False

    def close(self) -> None:
        for file, _ in self.files.values():
            file.close()
