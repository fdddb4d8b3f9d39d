"""The errors real systems have, put into the records at a rate per kind: duplicates, typos,
nicknames, swapped names, pinyin, missing and invalid values, inconsistent codes."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from generator import locales
from generator.sources.codes import (
    DIRT,
    GENDER_CODES,
)
from generator.sources.formats import (
    _pinyin,
    nickname_choices,
)

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
