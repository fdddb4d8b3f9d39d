"""Lifetime value (course.lifetime_value, lesson 05) at two sizes ten times apart.

For each size, a fresh process builds the supermarket, summarises its purchases and fits
BG/NBD and Gamma-Gamma (PyMC-Marketing, maximum a posteriori), twice: with PyTensor's C
backend (a C++ compiler on the machine) and, as the baseline, with its Python backend (what a
student without a compiler gets). The first fit compiles into a fresh cache, so its time
includes what a first run on a new machine pays; the second fit shows a warm run.

Sizes: 5,000 (the default database) and 50,000 supermarket customers at BENCH_SCALE=1. The
Python baseline runs at the smaller size only: at the larger one it needs three to four
minutes (about 240 customers a second), which would take the benchmark past ten minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

SCALE = float(os.environ.get("BENCH_SCALE", "1"))

# Run in a fresh process: PyTensor reads its flags once, when it is imported.
FIT = """
import json, sys, time
import generator
from course import lifetime_value as lv

folder, customers = sys.argv[1], int(sys.argv[2])
generator.build("retail", folder, customers=customers)
ds = generator.load("retail", folder)
begin = time.perf_counter()
summary = lv.summary(ds)
summarised = time.perf_counter() - begin
times = []
for _ in range(2):
    begin = time.perf_counter()
    model = lv.fit(summary)
    model.predict(summary)
    times.append(time.perf_counter() - begin)
print(json.dumps({"buyers": len(summary), "summary": summarised, "first": times[0],
                  "warm": times[1]}))
"""


def _fit(customers: int, compiled: bool) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        flags = [f"base_compiledir={folder}/pytensor", "blas__ldflags="]
        if not compiled:
            flags.append("cxx=")
        env = os.environ | {"PYTENSOR_FLAGS": ",".join(flags)}
        done = subprocess.run(
            [sys.executable, "-c", FIT, f"{folder}/data", str(customers)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    results = []
    compiler = shutil.which("g++") is not None
    for size, customers in enumerate((int(5_000 * SCALE), int(50_000 * SCALE))):
        backends = [True, False] if compiler and size == 0 else [compiler]
        runs = {compiled: _fit(customers, compiled) for compiled in backends}
        best = runs[backends[0]]
        row = {
            "name": f"BG/NBD + Gamma-Gamma fit, warm ({best['buyers']:,} buyers)",
            "value": best["buyers"] / best["warm"],
            "unit": "customers/s",
            # a class of 30 refitting the default 5,000 customers: a few seconds each
            "target": ">= 1,000 (the default database in under 5 s)",
        }
        if len(backends) == 2:
            row["baseline"] = runs[False]["buyers"] / runs[False]["warm"]
        results.append(row)
        results.append(
            {
                "name": f"first fit, compiling ({best['buyers']:,} buyers)",
                "value": best["first"],
                "unit": "s",
                "target": "<= 60",
            }
        )
        results.append(
            {
                "name": f"purchase summary ({best['buyers']:,} buyers)",
                "value": best["buyers"] / best["summary"],
                "unit": "customers/s",
            }
        )
    return results
