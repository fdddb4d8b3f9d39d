"""The course's four databases, built the one way the notebooks expect them.

All four companies at the default size; retail, bank and auto also with their source systems'
extracts, carrying errors at 5 %; then Parquet and SQLite copies for fast loading and SQL.
``make datasets`` runs it with the defaults; another seed or locale gives a course on other
data (the tests run every notebook on two such builds)::

    python -m course.datasets --out datasets
    python -m course.datasets --out other-data --seed 2024 --locale zh_CN

The cases that happen in China (C3, the drug maker; C4, the automaker) run by default on
zh_CN builds of their companies, which ``make datasets`` writes beside the others, in
``datasets/zh_CN/``; :func:`case_folder` says where a case finds its company.
"""

from __future__ import annotations

import argparse
import os
import sys
from itertools import repeat
from pathlib import Path

import generator
from generator.builder import export
from generator.pool import process_pool

WITH_SOURCES = ("retail", "bank", "auto")  # source systems: chapters 02 and 03
DIRTY = 0.05  # the rate of each kind of error in those extracts
EXPORTS = ("parquet", "sqlite")

#: The cases set in China and the locale of their default databases.
CASES_LOCALE = "zh_CN"
CASES = ("pharma", "auto")


def build(
    out: str | Path,
    *,
    seed: int = 42,
    locale: str = "en_US",
    quiet: bool = True,
    cases: bool = False,
) -> Path:
    """Build the course's databases into ``out`` (one folder per company) and return it.
    ``cases``: also build the companies of the cases set in China in ``CASES_LOCALE``, into
    ``out/zh_CN`` (unless the course is built in that locale already)."""
    out = Path(out)
    _build(out, generator.INDUSTRIES, seed=seed, locale=locale, quiet=quiet)
    if cases and locale != CASES_LOCALE:
        _build(out / CASES_LOCALE, CASES, seed=seed, locale=CASES_LOCALE, quiet=quiet)
    return out


def _build(out: Path, industries, *, seed: int, locale: str, quiet: bool) -> None:
    # every core: the files are the same whatever the number of workers
    options = dict(seed=seed, locale=locale, progress=not quiet, workers=os.cpu_count() or 1)
    sources = [name for name in industries if name in WITH_SOURCES]
    plain = [name for name in industries if name not in WITH_SOURCES]
    if plain:
        generator.build(plain, out, **options)
    if sources:  # the same tables as without sources, and the extracts
        generator.build(sources, out, sources=True, dirty=DIRTY, **options)
    # the companies' copies side by side, one process each (as many as there are cores)
    with process_pool(min(len(industries), os.cpu_count() or 1)) as pool:
        for paths in pool.map(export, [out / name for name in industries], repeat(EXPORTS)):
            for path in paths:
                if not quiet:
                    print(f"wrote {path}")


def case_folder(industry: str, path: str | Path | None = None) -> Path:
    """The folder of databases a case set in China opens ``industry`` from: the ``zh_CN``
    folder inside the course's databases (``path``, else ``GENERATOR_DATASETS``, else
    ``datasets/``) when it holds the company, else the course's databases themselves (a
    course built in zh_CN, or on other data without the cases' own builds)::

        pharma = generator.load("pharma", datasets.case_folder("pharma"))
    """
    from generator.dataset import datasets_folder

    folder = datasets_folder(path)
    inside = folder / CASES_LOCALE
    return inside if (inside / industry / "manifest.json").exists() else folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.datasets", description=__doc__)
    parser.add_argument("--out", default="datasets", help="folder to build into")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--locale", default="en_US", help="en_US or zh_CN (default en_US)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)
    try:
        build(args.out, seed=args.seed, locale=args.locale, quiet=args.quiet, cases=True)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
