"""Command line: build databases, add formats to a build, describe an industry.

    python -m generator build retail --customers 5000 --seed 42 --locale zh_CN --out datasets
    python -m generator build all
    python -m generator build retail --customers 1000000 --parts 20 --workers 8
    python -m generator export datasets/retail --formats parquet,sqlite
    python -m generator export datasets/retail --to postgresql://user@localhost:5432/course
    python -m generator describe retail

Bad input gets one line on standard error and exit status 2; a failed or interrupted write
gets one line and exit status 1, and leaves no partial dataset behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator import __version__
from generator.params import FORMATS, MAX_DIRTY, ParameterError, Params
from generator.registry import chosen
from generator.registry import names as industries

DEFAULTS = Params()


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def _formats(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m generator", description="Build the course's synthetic customer databases."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    build = commands.add_parser(
        "build",
        help="build one or more industries' databases",
        description="Build databases into OUT/<industry>/.",
    )
    build.add_argument(
        "industries", nargs="+", metavar="INDUSTRY", help=f"{', '.join(industries())}, or all"
    )
    build.add_argument(
        "--customers",
        default=str(DEFAULTS.customers),
        help=f"number of customers (default {DEFAULTS.customers:,})",
    )
    build.add_argument(
        "--seed",
        default=str(DEFAULTS.seed),
        help=f"random seed: the same seed gives the same files (default {DEFAULTS.seed})",
    )
    build.add_argument(
        "--sources",
        action="store_true",
        help="also write each source system's extract of the customers (sources/)",
    )
    build.add_argument(
        "--dirty",
        default=str(DEFAULTS.dirty),
        metavar="RATE",
        help="with --sources: the rate of each kind of error (duplicates, typos, missing and "
        f"invalid values...) in the extracts, 0 to {MAX_DIRTY} (default {DEFAULTS.dirty})",
    )
    build.add_argument(
        "--no-future",
        dest="future",
        action="store_false",
        help="leave out the hidden future (_truth/future_*); the other files stay the same",
    )
    build.add_argument(
        "--locale",
        default=DEFAULTS.locale,
        help=f"en_US or zh_CN: names, addresses, holidays (default {DEFAULTS.locale})",
    )
    build.add_argument(
        "--as-of",
        default=DEFAULTS.as_of,
        help=f"last day of the data, YYYY-MM-DD (default {DEFAULTS.as_of})",
    )
    build.add_argument(
        "--years",
        default=str(DEFAULTS.years),
        help=f"years of history up to the as-of date (default {DEFAULTS.years})",
    )
    build.add_argument(
        "--formats",
        default=",".join(DEFAULTS.formats),
        help=f"comma-separated, from {', '.join(FORMATS)} (default {','.join(DEFAULTS.formats)})",
    )
    build.add_argument(
        "--workers",
        default=str(DEFAULTS.workers),
        help="generate with this many processes at once; the files do not depend on it (default 1)",
    )
    build.add_argument(
        "--parts",
        default=str(DEFAULTS.parts),
        help="write each customer table as this many part files, each by the worker that "
        "makes it (default 0: one file per table); for big builds, read with DuckDB",
    )
    build.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="with --parts: write the parts as tasks on this Dask scheduler "
        "(tcp://host:8786); OUT may then be a URL the workers can reach (s3://...)",
    )
    build.add_argument("--out", default="datasets", help="output folder (default datasets)")
    build.add_argument("--quiet", action="store_true", help="no progress bar")

    export = commands.add_parser(
        "export", help="add Parquet and SQLite files to a build, or load it into PostgreSQL"
    )
    export.add_argument("folders", nargs="+", metavar="FOLDER", help="e.g. datasets/retail")
    export.add_argument(
        "--formats", default="parquet,sqlite", help="comma-separated (default parquet,sqlite)"
    )
    export.add_argument(
        "--to",
        metavar="URL",
        help="load into a PostgreSQL server instead (postgresql://user@host:port/database), "
        "in a schema named after the industry, with keys and constraints",
    )

    verify = commands.add_parser(
        "verify",
        help="check that a build's files are those its manifest lists (none missing, "
        "truncated or edited)",
    )
    verify.add_argument(
        "folders", nargs="+", help="a build's folder, or a folder of builds (e.g. datasets)"
    )
    describe = commands.add_parser("describe", help="print an industry's data dictionary")
    describe.add_argument("industry", metavar="INDUSTRY", help=", ".join(industries()))
    return parser


def _whole(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ParameterError(f"{name} must be a whole number, not {text!r}") from None


def _industries(names: list[str]) -> list[str]:
    try:
        return chosen(names)
    except ValueError as error:
        raise ParameterError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (
        ValueError,
        FileNotFoundError,
        NotADirectoryError,
        PermissionError,
        FileExistsError,
    ) as exc:  # bad input: parameters, paths
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was left half-written", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. a full disk
        print(
            f"error: writing failed ({exc.strerror or exc}); nothing was left half-written",
            file=sys.stderr,
        )
        return 1


def _rate(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ParameterError(
            f"{name} must be a rate between 0 and {MAX_DIRTY}, not {text!r}"
        ) from None


def _verify(folders: list[str]) -> int:
    from generator import integrity

    damaged = 0
    for folder in folders:
        found = integrity.builds(Path(folder))
        if not found:
            raise FileNotFoundError(f"no build (no manifest.json) in {folder}")
        for build in found:
            wrong = integrity.problems(build)
            damaged += bool(wrong)
            if wrong:
                print(f"damaged: {build}", file=sys.stderr)
                for line in wrong:
                    print(f"  {line}", file=sys.stderr)
            else:
                print(f"ok: {build} ({len(integrity.listed(build))} files as built)")
    if damaged:
        print(f"error: {damaged} damaged build(s); {integrity.ADVICE}", file=sys.stderr)
        return 1
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "verify":
        return _verify(args.folders)
    if args.command == "describe":
        from generator.builder import schema

        print(schema(_industries([args.industry])[0], with_sources=True).dictionary())
        return 0
    if args.command == "export" and args.to:
        from generator.postgres import export as load

        for folder in args.folders:
            rows = load(Path(folder), args.to)
            print(f"loaded {folder}: {len(rows)} tables, {sum(rows.values()):,} rows")
        return 0
    if args.command == "export":
        from generator.builder import export

        formats = _formats(args.formats)
        Params(formats=formats)  # checks the format names
        for folder in args.folders:
            for path in export(Path(folder), formats):
                print(f"wrote {path}")
        return 0
    from generator.builder import build

    names = _industries(args.industries)
    params = Params(
        customers=_whole("customers", args.customers),
        seed=_whole("seed", args.seed),
        locale=args.locale,
        as_of=args.as_of,
        years=_whole("years", args.years),
        formats=_formats(args.formats),
        workers=_whole("workers", args.workers),
        parts=_whole("parts", args.parts),
        sources=args.sources,
        dirty=_rate("dirty", args.dirty),
        future=args.future,
    )
    if args.cluster and not params.parts:
        raise ParameterError("--cluster writes parts: add --parts N")
    out = args.out if "://" in args.out else Path(args.out)
    for path in build(names, params, out, progress=not args.quiet, cluster=args.cluster):
        print(f"built {path}")
    return 0
