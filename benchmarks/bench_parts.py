"""A build in parts against the number of workers: rows per second, parallel efficiency, the
time spent outside the workers, and peak memory.

Retail and the bank at 100,000 customers (BENCH_SCALE scales it), written in parts of five
blocks each to Parquet, by 1 and by 2 worker processes (as many as this machine's cores allow),
each build in a fresh process. The baseline of the 2-worker figure is the 1-worker build of the
same run; the target is 1.8x on two cores.

Why it keeps scaling: a worker generates and writes its own parts, so the only serial work is
what the main process does outside the workers (the reference tables, the data dictionary, the
manifest). Loading the industry (its module, and its spec checked against the JSON Schema:
about a second, mostly importing jsonschema) is done before the clock starts, as the process's
own start is. With that time s and the workers' time p at one worker, N workers take about
s + p / N (Amdahl); the projection for 16 workers is printed from this run's own s and p.
Peak memory: of the main process and of the largest worker, at two sizes ten times apart (it
must stay flat with size; the whole build holds main + N x worker at most, linear in workers).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
NAMES = ("retail", "bank")
BLOCKS_PER_PART = 5

# Run in a fresh process: times the parts apart from the rest, and reads both peaks.
BUILD = """
import json, resource, sys, time
from pathlib import Path
import generator
import generator.registry
from generator import parts

name, out, customers, nparts, workers = sys.argv[1:6]
spent = {}
write_parts = parts.write_parts

def timed(*args, **kwargs):
    begin = time.perf_counter()
    try:
        return write_parts(*args, **kwargs)
    finally:
        spent["parts"] = time.perf_counter() - begin

parts.write_parts = timed
generator.registry.get(name)  # importing its module and checking its spec: the process's start
begin = time.perf_counter()
generator.build([name], out, customers=int(customers), parts=int(nparts), workers=int(workers),
                formats=("parquet",))
wall = time.perf_counter() - begin
status = Path("/proc/self/status").read_text().splitlines()
main = int(next(x for x in status if x.startswith("VmHWM:")).split()[1]) / 1024
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
rows = json.loads((Path(out) / name / "manifest.json").read_text())["rows"]
print(json.dumps(dict(wall=wall, parts=spent["parts"], rows=sum(rows.values()),
                      main=main, worker=worker)))
"""


def build(name: str, customers: int, workers: int) -> dict:
    from generator.builder import industry

    blocks = -(-customers // industry(name).block_size)
    nparts = min(blocks, max(workers, blocks // BLOCKS_PER_PART))
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-c", BUILD, name, out, str(customers), str(nparts), str(workers)],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(done.stdout.splitlines()[-1])


def run() -> list[dict]:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    most = min(2, cores)
    n = int(100_000 * SCALE)
    results = []
    for name in NAMES:
        one = build(name, n, 1)
        many = build(name, n, most)
        small = build(name, n // 10, most)
        rows = one["rows"]
        outside = one["wall"] - one["parts"]
        per_worker = rows / one["parts"]
        speedup = one["wall"] / many["wall"]
        projected = one["wall"] / (outside + one["parts"] / 16)
        results += [
            {
                "name": f"{name}: rows/s, 1 worker ({rows:,} rows)",
                "value": rows / one["wall"],
                "unit": "rows/s",
            },
            {
                "name": f"{name}: rows/s, {most} workers",
                "value": rows / many["wall"],
                "unit": "rows/s",
                "baseline": rows / one["wall"],
                "target": f">= {1.8 if most == 2 else 1.0}x the 1-worker rate",
            },
            {
                "name": f"{name}: parallel efficiency, {most} workers",
                "value": 100 * speedup / most,
                "unit": "%",
                "target": ">= 90 %",
            },
            {
                "name": f"{name}: rows/s per worker, inside the workers",
                "value": per_worker,
                "unit": "rows/s",
            },
            {
                "name": f"{name}: time outside the workers",
                "value": outside,
                "unit": "s",
                "target": f"small against {one['parts']:.1f} s in them",
            },
            {
                "name": f"{name}: projected speedup on 16 workers",
                "value": projected,
                "unit": "x",
                "target": "from this run's serial time (Amdahl)",
            },
        ]
        for label, figures in ((f"{n // 10:,}", small), (f"{n:,}", many)):
            results += [
                {
                    "name": f"{name}: peak memory, main, {label} customers",
                    "value": figures["main"],
                    "unit": "MiB",
                    "target": "flat with size",
                },
                {
                    "name": f"{name}: peak memory, a worker, {label} customers",
                    "value": figures["worker"],
                    "unit": "MiB",
                    "target": "flat with size",
                },
            ]
    return results
