"""Run every benchmark in this folder and print its figures.

Each ``bench_*.py`` module defines ``run() -> list[dict]``: one dict per measurement with at
least ``name``, ``value`` and ``unit``, and where it applies ``baseline`` (the same work done
the naive way, measured in the same run) and ``target``. Figures, not pass/fail: targets are
checked by reading this output, never by timed unit tests.

    python benchmarks/run.py            # all benchmarks
    python benchmarks/run.py profiles   # only bench_profiles.py
"""

from __future__ import annotations

import importlib.util
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(names: list[str]) -> int:
    paths = sorted(HERE.glob("bench_*.py"))
    if names:
        paths = [p for p in paths if p.stem.removeprefix("bench_") in names]
    if not paths:
        print("no benchmark matches", file=sys.stderr)
        return 2
    print(f"python {platform.python_version()} on {platform.machine()}, {_cores()} cores")
    for path in paths:
        print(f"\n== {path.stem.removeprefix('bench_')}")
        for row in load(path).run():
            line = f"  {row['name']:<48} {row['value']:>14,.1f} {row['unit']}"
            if "baseline" in row:
                ratio = row["value"] / row["baseline"]
                line += f"   (baseline {row['baseline']:,.1f}, {ratio:.1f}x)"
            if "target" in row:
                line += f"   target {row['target']}"
            print(line, flush=True)
    return 0


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
