"""Customer profiles per second (shared by every industry), against a naive per-row Faker loop.

The size can be scaled with BENCH_SCALE (default 1: 100,000 profiles per locale).
"""

from __future__ import annotations

import os
import time

from faker import Faker

from generator import builder, streams
from generator.params import Params
from generator.population import customers

SCALE = float(os.environ.get("BENCH_SCALE", "1"))


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


def best(measure, *args, runs: int = 3) -> float:
    """The best of a few runs: both ways are timed alike, so noise does not favour either."""
    return max(measure(*args) for _ in range(runs))


def vectorised_profiles(locale: str, n: int) -> float:
    build = builder.context("retail", Params(customers=n, seed=1, locale=locale))
    size = build.industry.block_size
    customers(build, 0, 1, size)  # warm the vocabulary caches
    start = time.perf_counter()
    for number in range(build.blocks):
        first, count = streams.block(n, size, number)
        customers(build, number, first, count)
    return n / (time.perf_counter() - start)


def run() -> list[dict]:
    results = []
    for locale in ("en_US", "zh_CN"):
        n = int(100_000 * SCALE)
        ours = best(vectorised_profiles, locale, n)
        naive = best(naive_faker_profiles, locale, 2_000)
        results.append(
            {
                "name": f"customer profiles/s ({locale}, {n:,})",
                "value": ours,
                "unit": "rows/s",
                "baseline": naive,
                "target": ">= 100,000 and >= 50x",
            }
        )
    return results
