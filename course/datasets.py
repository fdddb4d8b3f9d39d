"""The course's four databases, built the one way the notebooks expect them.

All four companies at the default size; retail, bank and auto also with their source systems'
extracts, carrying errors at 5 %; then Parquet and SQLite copies for fast loading and SQL.
``make datasets`` runs it with the defaults; another seed or locale gives a course on other
data (the tests run every notebook on two such builds)::

    python -m course.datasets --out datasets
    python -m course.datasets --out other-data --seed 2024 --locale zh_CN
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import generator
from generator.builder import export

WITH_SOURCES = ("retail", "bank", "auto")  # source systems: chapters 02 and 03
DIRTY = 0.05  # the rate of each kind of error in those extracts
EXPORTS = ("parquet", "sqlite")


def build(out: str | Path, *, seed: int = 42, locale: str = "en_US", quiet: bool = True) -> Path:
    """Build the course's databases into ``out`` (one folder per company) and return it."""
    out = Path(out)
    options = dict(seed=seed, locale=locale, progress=not quiet)
    generator.build("all", out, **options)
    generator.build(list(WITH_SOURCES), out, sources=True, dirty=DIRTY, **options)
    for name in generator.INDUSTRIES:
        for path in export(out / name, EXPORTS):
            if not quiet:
                print(f"wrote {path}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.datasets", description=__doc__)
    parser.add_argument("--out", default="datasets", help="folder to build into")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--locale", default="en_US", help="en_US or zh_CN (default en_US)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)
    try:
        build(args.out, seed=args.seed, locale=args.locale, quiet=args.quiet)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
