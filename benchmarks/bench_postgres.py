"""Loading a build into PostgreSQL (``python -m generator export DIR --to postgresql://…``,
chapter 04), at two sizes ten times apart, against writing the same build's SQLite file in
the same run (the kit's default database).

Both read the build's files and write every table with its keys, CHECKs, foreign keys and
indexes: PostgreSQL by COPY into one transaction on the kit's private server
(:mod:`generator.pgserver`), SQLite by the generator's own writer. Figures are rows per second
over the whole load. Also measured: starting the private server, and making a fresh copy of
the chapter's loaded database (what each SQL check of chapter 04 does).

Sizes: 10,000 and 100,000 automaker customers at BENCH_SCALE=1.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import generator
from generator import pgserver, postgres
from generator.builder import export

SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def run() -> list[dict]:
    results = []
    begin = time.perf_counter()
    server = pgserver.start()
    results.append(
        {
            "name": "start the private PostgreSQL server",
            "value": time.perf_counter() - begin,
            "unit": "s",
            "target": "<= 3 s",
        }
    )
    for customers in (int(10_000 * SCALE), int(100_000 * SCALE)):
        with tempfile.TemporaryDirectory() as folder:
            generator.build("auto", folder, customers=customers)
            built = Path(folder) / "auto"
            begin = time.perf_counter()
            export(built, ("sqlite",))
            sqlite = time.perf_counter() - begin
            begin = time.perf_counter()
            loaded = postgres.export(built, server.url)
            seconds = time.perf_counter() - begin
            rows = sum(loaded.values())
            results.append(
                {
                    "name": f"export to PostgreSQL, auto ({customers:,} customers, {rows:,} rows)",
                    "value": rows / seconds,
                    "unit": "rows/s",
                    "baseline": rows / sqlite,
                    "target": ">= 100,000 rows/s",
                }
            )
    from course import access

    with access.scratch():  # the template is made on first use
        pass
    begin = time.perf_counter()
    with access.scratch():
        pass
    results.append(
        {
            "name": "a fresh copy of chapter 04's database (one SQL check)",
            "value": time.perf_counter() - begin,
            "unit": "s",
            "target": "<= 1 s",
        }
    )
    server.stop()
    return results
