"""How big a build will be, and how long it will take, before it starts.

A build's tables grow with its customers, block by block, and every block is drawn from the same
distributions: one block built aside (in the system's temporary folder) and scaled up tells the
rows, the bytes on disk and the time of the whole build. :func:`generator.builder.build` uses it
to refuse a build that will not fit on its disk before writing anything, and to say how big a
large one will be::

    python -m generator build retail --customers 10000000000   # refused: needs about 22 TB
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path

from generator.params import Params

# Builds of at most this many blocks are not estimated: they are small, and the sample would
# cost a fair share of the build itself.
SMALL = 10
# An estimate is said aloud (with progress on) from this size or time.
LARGE_BYTES = 1 << 30
LARGE_SECONDS = 60.0
# A generous upper bound of a build's size, per customer, year of history and format: several
# times what any industry writes (the supermarket, the biggest, about 0.7 kB in Parquet, 1.5 kB
# in SQLite). When even the bound fits, no sample is built: the check costs nothing.
BOUND_PER_CUSTOMER_YEAR = 16_000
BOUND_FIXED = 50_000_000


class TooBig(ValueError):
    """A build that will not fit where it is to be written; the message says by how much."""


@dataclasses.dataclass(frozen=True)
class Estimate:
    industry: str
    customers: int
    rows: int
    bytes: int
    seconds: float

    @property
    def large(self) -> bool:
        return self.bytes >= LARGE_BYTES or self.seconds >= LARGE_SECONDS

    def __str__(self) -> str:
        return (
            f"{self.industry}, {self.customers:,} customers: about {_count(self.rows)} rows, "
            f"{size(self.bytes)} on disk, {_duration(self.seconds)} to build"
        )


def estimate(name: str, params: Params) -> Estimate:
    """Rows, bytes and seconds of building ``name`` with ``params``, from one block built aside
    with the same parameters and scaled by the number of customers."""
    from generator.builder import industry, write_industry

    sample = min(params.customers, industry(name).block_size)
    small = dataclasses.replace(params, customers=sample, parts=0, workers=1)
    with tempfile.TemporaryDirectory(prefix=f".{name}.estimate-") as folder:
        begin = time.perf_counter()
        write_industry(name, small, Path(folder))
        seconds = time.perf_counter() - begin
        written = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
        rows = _rows(Path(folder))
    scale = params.customers / sample
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(params.workers, params.parts, cores or 1) if params.parts else 1
    return Estimate(
        name,
        params.customers,
        round(rows * scale),
        round(written * scale),
        seconds * scale / workers,
    )


def bound(params: Params) -> int:
    """Bytes a build with ``params`` writes at most (see :data:`BOUND_PER_CUSTOMER_YEAR`)."""
    per_customer = BOUND_PER_CUSTOMER_YEAR * params.years * len(params.formats)
    return BOUND_FIXED + params.customers * per_customer


def preflight(names: list[str], params: Params, out: Path, progress: bool) -> list[Estimate]:
    """Before a build writes anything: refuse it when it will not fit at ``out`` and, with
    ``progress``, say how big a large one will be. Each industry's sample is built only when
    it is needed: when the generous :func:`bound` does not fit, or to be said aloud."""
    from generator.builder import context

    free = _free(_existing(out))
    big = [n for n in names if context(n, params).blocks > SMALL]
    doubtful = bound(params) * len(big) * 1.1 > free
    said = progress and bound(params) >= LARGE_BYTES
    estimates = [estimate(name, params) for name in big] if doubtful or said else []
    check_space(estimates, out)
    return [e for e in estimates if progress and e.large]


def _existing(out: Path) -> Path:
    place = Path(out)
    while not place.exists():  # the folder is made later: its nearest existing parent's disk
        place = place.parent
    return place


def check_space(estimates: list[Estimate], out: Path) -> None:
    """Refuse builds whose estimated size will not fit in the free space at ``out``."""
    if not estimates:
        return
    need = sum(e.bytes for e in estimates)
    free = _free(_existing(out))
    if need * 1.1 > free:  # a margin for the estimate's error
        names = ", ".join(e.industry for e in estimates)
        raise TooBig(
            f"the build of {names} needs about {size(need)} but only {size(free)} is free at "
            f"{out}: use fewer customers (--customers), another place (--out) or free some space"
        )


def _free(place: Path) -> int:
    import shutil

    return shutil.disk_usage(place).free


def _rows(folder: Path) -> int:
    import json

    return sum(json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["rows"].values())


def size(n: float) -> str:
    """Bytes as people say them: 216 MB, 1.4 GB, 22 TB."""
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" or n >= 100 else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError


def _count(n: int) -> str:
    for unit, step in (("billion", 1e9), ("million", 1e6)):
        if n >= step:
            return f"{n / step:,.1f} {unit}"
    return f"{n:,}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:,.0f} days"
