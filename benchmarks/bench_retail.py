"""Retail generator speed and memory, with a naive per-row Faker loop as the baseline.

Sizes can be scaled with BENCH_SCALE (default 1): the memory check builds 100,000 and
1,000,000 customers at scale 1, which takes several minutes on two cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from faker import Faker

import generator
from generator import locales
from generator.industries.retail import SPEC
from generator.population import Window, customers
from generator.streams import BLOCK_SIZE, blocks

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
WINDOW = Window(pd.Timestamp("2025-12-31"), 3)


def naive_faker_profiles(locale: str, n: int) -> float:
    """Profiles per second with one Faker call per field per row (what we avoid)."""
    fake = Faker(locale)
    fake.seed_instance(1)
    start = time.perf_counter()
    rows = [
        (
            fake.first_name(),
            fake.last_name(),
            fake.date_of_birth(minimum_age=18),
            fake.street_address(),
            fake.city(),
            fake.postcode(),
            fake.phone_number(),
            fake.email(),
        )
        for _ in range(n)
    ]
    assert len(rows) == n
    return n / (time.perf_counter() - start)


def vectorised_profiles(locale: str, n: int) -> float:
    spec, loc = SPEC["population"], locales.get(locale)
    customers(spec, loc, WINDOW, 1, 0, 1, BLOCK_SIZE)  # warm the vocabulary caches
    start = time.perf_counter()
    for block, (first, count) in enumerate(blocks(n)):
        customers(spec, loc, WINDOW, 1, block, first, count)
    return n / (time.perf_counter() - start)


def build_seconds(out: Path, **parameters) -> tuple[float, dict]:
    start = time.perf_counter()
    generator.build(["retail"], out, **parameters)
    seconds = time.perf_counter() - start
    rows = json.loads((out / "retail" / "manifest.json").read_text())["rows"]
    return seconds, rows


def peak_memory_mib(customers_count: int, out: Path) -> float:
    """Peak resident memory of a whole build in a fresh process (Parquet output)."""
    script = (
        "import resource, generator; "
        f"generator.build(['retail'], {str(out)!r}, customers={customers_count}, "
        "formats=('parquet',)); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    return int(done.stdout.split()[-1]) / 1024


def run() -> list[dict]:
    results = []
    for locale in ("en_US", "zh_CN"):
        n = int(100_000 * SCALE)
        ours = vectorised_profiles(locale, n)
        naive = naive_faker_profiles(locale, 2_000)
        results.append(
            {
                "name": f"customer profiles/s ({locale}, {n:,})",
                "value": ours,
                "unit": "rows/s",
                "baseline": naive,
                "target": ">= 100,000 and >= 50x",
            }
        )
    with tempfile.TemporaryDirectory() as scratch:
        seconds, rows = build_seconds(Path(scratch) / "default")  # the default parameters
        results.append(
            {
                "name": "default dataset (5,000 customers, csv.gz)",
                "value": seconds,
                "unit": "s",
                "target": "<= 5 s",
            }
        )
        n = int(20_000 * SCALE)
        for shards in (1, 2):
            seconds, rows = build_seconds(
                Path(scratch) / f"items{shards}", customers=n, formats=("parquet",), shards=shards
            )
            results.append(
                {
                    "name": f"transaction items/s to Parquet ({n:,} cust., {shards} shard(s))",
                    "value": rows["transaction_items"] / seconds,
                    "unit": "rows/s",
                    "target": ">= 1,000,000",
                }
            )
        for n in (int(100_000 * SCALE), int(1_000_000 * SCALE)):
            mib = peak_memory_mib(n, Path(scratch) / f"memory{n}")
            results.append(
                {
                    "name": f"peak memory, {n:,} customers, 3 years",
                    "value": mib,
                    "unit": "MiB",
                    "target": "<= 2,048, flat",
                }
            )
    return results
