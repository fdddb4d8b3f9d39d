"""How each system writes a value: names in its order (or in pinyin, or a nickname), dates in
its format, phone numbers, codes, ages on the extract date."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from generator import locales
from generator.sources.codes import (
    CONSENT_CODES,
    GENDER_CODES,
    INCOME_CODES,
)


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
