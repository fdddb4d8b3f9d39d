"""Command line: ``python -m generator build INDUSTRY... | all --out DIR``."""

from __future__ import annotations

import argparse
import sys

from generator import INDUSTRIES, __version__


class UsageError(Exception):
    """A bad argument: reported as one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator",
        description="Build the course's synthetic customer databases.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build one or more industries' databases")
    build.add_argument(
        "industries",
        nargs="+",
        metavar="INDUSTRY",
        help="industries to build, or 'all' (known: %s)" % (", ".join(INDUSTRIES) or "none yet"),
    )
    build.add_argument("--out", default="datasets", help="output folder (default: datasets)")
    return parser


def _industries(names: list[str]) -> list[str]:
    if names == ["all"]:
        return list(INDUSTRIES)
    unknown = [name for name in names if name not in INDUSTRIES]
    if unknown:
        known = ", ".join(INDUSTRIES) or "none yet"
        raise UsageError(f"unknown industry {unknown[0]!r} (known: {known}, or 'all')")
    return names


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        industries = _industries(args.industries)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not industries:
        print("nothing to build: no industry is registered yet")
    return 0
