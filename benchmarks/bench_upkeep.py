"""Keeping a customer file alive (course.upkeep, lesson 03), at two sizes ten times apart.

- the maintenance run: a year of monthly runs of the update feed on the bank's customer
  file, in updates applied per second, against a full refresh every month (the file
  reloaded and every update reported so far applied again: what a company without an
  incremental, idempotent run does);
- standardising the bank's source records (names, phones, e-mails, US addresses with
  scourgify), in records per second.

Sizes: 10,000 and 100,000 bank customers at BENCH_SCALE=1.
"""

from __future__ import annotations

import os
import tempfile
import time

import pandas as pd

import generator
from course import building, upkeep

SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def _bank(customers: int, folder: str):
    generator.build("bank", folder, customers=customers, sources=True, dirty=0.05)
    return generator.load("bank", folder)


def _incremental(ds, start, ends) -> tuple[float, int]:
    feed = ds["customer_updates"]
    db = upkeep.open_file(ds, start)
    upkeep.maintain(db, feed, start)
    begin = time.perf_counter()
    applied = 0
    for end in ends:
        counts = upkeep.maintain(db, feed, end)
        applied += int(counts[list(upkeep.decay.REPORTED)].sum())
    return time.perf_counter() - begin, applied


def _full_refresh(ds, start, ends) -> float:
    feed = ds["customer_updates"]
    begin = time.perf_counter()
    for end in ends:
        db = upkeep.open_file(ds, start)
        upkeep.maintain(db, feed, end)
    return time.perf_counter() - begin


def run() -> list[dict]:
    results = []
    for customers in (int(10_000 * SCALE), int(100_000 * SCALE)):
        with tempfile.TemporaryDirectory() as folder:
            ds = _bank(customers, folder)
            ends = upkeep.month_ends(ds)
            start = ends[0] - pd.offsets.MonthBegin(1) - pd.Timedelta(days=1)
            seconds, applied = _incremental(ds, start, ends)
            refresh = _full_refresh(ds, start, ends)
            results.append(
                {
                    "name": f"maintenance, a year of updates ({customers:,} customers)",
                    "value": applied / seconds,
                    "unit": "updates/s",
                    "baseline": applied / refresh,
                    # a million customers bring about 17,000 updates a month: a run in a minute
                    "target": ">= 300 and faster than a monthly full refresh",
                }
            )
            records = building.merge([building.extract(ds, s) for s in ds.systems], ds.locale)
            begin = time.perf_counter()
            upkeep.standardise(records, ds.locale)
            results.append(
                {
                    "name": f"standardise source records ({len(records):,})",
                    "value": len(records) / (time.perf_counter() - begin),
                    "unit": "records/s",
                    "target": ">= 5,000",
                }
            )
    return results
