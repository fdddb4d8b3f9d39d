"""Each industry end to end: the default dataset, event rows per second, and peak memory.

Event rows are the rows of an industry's event tables (``EVENTS`` in its module, e.g. retail's
transaction items, and those of the hidden future, which the generator makes the same way),
written to Parquet. Peak memory is that of a whole build in a fresh
process, at two sizes ten times apart: it must stay flat. BENCH_SCALE (default 1) scales the
sizes: at 1 the memory check builds 100,000 and 1,000,000 customers per industry, which takes
a long time on two cores; BENCH_SCALE=0.1 shows the same trend over 10,000 to 100,000.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import generator
from generator.builder import industry

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
# BENCH_INDUSTRIES=bank,auto limits the run to some industries
NAMES = [n for n in os.environ.get("BENCH_INDUSTRIES", ",".join(generator.INDUSTRIES)).split(",")]


def build(name: str, out: Path, **parameters) -> tuple[float, dict]:
    start = time.perf_counter()
    generator.build([name], out, **parameters)
    seconds = time.perf_counter() - start
    rows = json.loads((out / name / "manifest.json").read_text())["rows"]
    return seconds, rows


# Printed by the fresh process: its own peak in KiB. Linux's getrusage() maxrss would count the
# parent's memory too (a child started by vfork/exec inherits its high-water mark), so there the
# peak is read from /proc (VmHWM); elsewhere maxrss is all there is (bytes on macOS).
PEAK = """
import resource, sys
from pathlib import Path
status = Path("/proc/self/status")
if status.exists():
    line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
    print(int(line.split()[1]))
else:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(peak // 1024 if sys.platform == "darwin" else peak)
"""


def peak_memory_mib(name: str, customers: int, out: Path) -> float:
    """Peak resident memory of a whole build in a fresh process (Parquet output)."""
    script = (
        "import generator\n"
        f"generator.build([{name!r}], {str(out)!r}, customers={customers}, "
        "formats=('parquet',))\n" + PEAK
    )
    done = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    return int(done.stdout.split()[-1]) / 1024


def run() -> list[dict]:
    results = []
    for name in NAMES:
        events = industry(name).events
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            seconds, rows = build(name, scratch / "default")  # the default parameters
            results.append(
                {
                    "name": f"{name}: default dataset ({sum(rows.values()):,} rows, csv.gz)",
                    "value": seconds,
                    "unit": "s",
                    "target": "<= 5 s",
                }
            )
            # big enough that starting 2 worker processes is paid back
            n = int(100_000 * SCALE)
            for workers in (1, 2):
                seconds, rows = build(
                    name,
                    scratch / f"events{workers}",
                    customers=n,
                    formats=("parquet",),
                    workers=workers,
                )
                count = sum(rows[t] for t in events)
                results.append(
                    {
                        "name": f"{name}: event rows/s to Parquet ({count:,}, {workers} worker(s))",
                        "value": count / seconds,
                        "unit": "rows/s",
                        "target": ">= 1,000,000",
                    }
                )
            for n in (int(100_000 * SCALE), int(1_000_000 * SCALE)):
                results.append(
                    {
                        "name": f"{name}: peak memory, {n:,} customers",
                        "value": peak_memory_mib(name, n, scratch / f"memory{n}"),
                        "unit": "MiB",
                        "target": "<= 2,048, flat",
                    }
                )
    return results
