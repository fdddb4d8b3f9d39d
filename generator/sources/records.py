"""One system's records of one block of customers (or of a reference table), as extracted
on its own date, with the truth about every record."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from generator import decay
from generator.context import Context
from generator.sources.codes import (
    KEY_SPACE,
    fields,
    for_locale,
)
from generator.sources.errors import _corrupt
from generator.sources.formats import (
    _age,
    _format,
    _values,
)
from generator.streams import stream

# ---------------------------------------------------------------- one system, one block


def extract(
    build: Context,
    system: dict,
    block: int,
    people: pd.DataFrame,
    events: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One system's records of one block of customers: (records, source_records, corruptions),
    with errors at the build's ``dirty`` rate.

    Records are text, as the system would export them (missing values are None). ``people``
    may also be a list the system keeps of something else (doctors, hospitals: see
    :func:`reference_extract`), with ``events`` None: nothing about them changes.
    """
    seed, window, dirty = build.seed, build.window, build.params.dirty
    name, code = system["name"], build.locale.code
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


def reference_extract(build: Context, system: dict, table: pd.DataFrame):
    """A system's list of a reference table (e.g. the reps' list of doctors, a vendor's list of
    hospitals). ``table`` has the true id as ``customer_id`` and a column per field role."""
    return extract(build, system, 0, table, None)


def _keys(system: dict, ids: np.ndarray, copy_no: np.ndarray) -> np.ndarray:
    """Each system numbers its customers its own way: a scrambled, unique number per record."""
    key = system["key"]
    space = 10 ** key["digits"]
    multiplier = zlib.crc32(system["name"].encode()) | 1
    multiplier += 2 if multiplier % 5 == 0 else 0  # coprime with 10: a bijection mod 10^d
    number = ((ids + copy_no * KEY_SPACE) * multiplier) % space
    text = pd.Series(number).astype(str).str.zfill(key["digits"])
    return (key["prefix"] + text).to_numpy(dtype=object)
