"""Build an industry's database: blocks of customers, streamed to disk, then moved into place.

The folder is written under a temporary name beside its destination and renamed only when
every file, the manifest and the data dictionary are complete: an error, a full disk or an
interrupted build leaves the previous dataset (or nothing) behind, never half of one.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyarrow as pa
from tqdm.auto import tqdm

from generator import __version__, decay, integrity, locales, population, registry, sources
from generator.context import Context
from generator.estimates import preflight
from generator.params import ParameterError, Params
from generator.population import Window
from generator.reading import read_table
from generator.registry import Industry
from generator.schema import Schema
from generator.streams import block
from generator.writers import DatasetWriter, to_arrow

LIBRARIES = ("faker", "holidays", "numpy", "pandas", "pyarrow")
FUTURE = "future_"  # the hidden future's truth tables are named future_*


def industry(name: str) -> Industry:
    """The industry called ``name``: its spec, schema, block and reference tables (the
    contract is :class:`generator.registry.Industry`)."""
    return registry.get(name)


@functools.cache
def context(name: str, params: Params) -> Context:
    """The build of ``name`` with ``params`` (an unknown industry is refused here)."""
    window = Window(params.as_of_date, params.years)
    return Context(industry(name), params, locales.get(params.locale), window)


def reference_tables(name: str, params: Params) -> dict[str, pd.DataFrame]:
    """Tables that do not depend on customer blocks (stores, products, campaigns...).

    They may scale with the number of customers (e.g. one doctor per so many patients), never
    with the number of workers or parts.
    """
    return context(name, params).ref


def schema(name: str, with_sources: bool = False, with_future: bool = True) -> Schema:
    """An industry's whole schema: its own tables, the life events, with sources the truth
    about the source-system records and, with the future, the hidden future's truth tables
    (``future_*``)."""
    extra = (decay.TABLE, decay.UPDATES, *(sources.TABLES if with_sources else ()))
    own = industry(name).schema
    tables = [t for t in own.tables + extra if with_future or not t.name.startswith(FUTURE)]
    return dataclasses.replace(own, tables=tuple(tables))


def reference_blocks(name: str, params: Params) -> Iterator[dict[str, pd.DataFrame]]:
    """The reference events of an industry that has them, a part at a time (see
    :class:`generator.registry.Industry`); nothing for the others."""
    build = context(name, params)
    make = build.industry.reference_blocks
    return iter(()) if make is None else make(build)


def block_tables(name: str, params: Params, block_no: int) -> dict[str, pd.DataFrame | pa.Table]:
    """Every customer-dependent table of one block: the same rows whoever asks, in any order.

    A table is a DataFrame, or an Arrow table where an industry builds a big one directly.
    With sources, each system's records are under ``sources/<system>``.
    """
    build = context(name, params)
    first, count = block(params.customers, build.industry.block_size, block_no)
    people = population.customers(build, block_no, first, count)
    tables = build.industry.block(build, block_no, people).tables()
    if not params.future:  # simulated all the same, so the rest is the same either way
        tables = {name: rows for name, rows in tables.items() if not name.startswith(FUTURE)}
    events = decay.life_events(build, block_no, people)
    tables["life_events"] = events
    tables["customer_updates"] = decay.updates(build, block_no, events)
    systems = build.industry.spec.get("systems", []) if params.sources else []
    if systems:
        records, corruptions = [], []
        for system in systems:
            extract, truth, errors = sources.extract(build, system, block_no, people, events)
            tables[f"sources/{system['name']}"] = extract
            records.append(truth)
            corruptions.append(errors)
        tables["source_records"] = pd.concat(records, ignore_index=True)
        tables["corruptions"] = pd.concat(corruptions, ignore_index=True)
    return tables


def part_blocks(name: str, params: Params, part: int) -> range:
    """The blocks part number ``part`` (0-based) of ``params.parts`` holds: a run of whole
    blocks, the same whoever writes it."""
    total, parts = context(name, params).blocks, max(params.parts, 1)
    if not 0 <= part < parts:
        raise ValueError(f"part {part} is not one of the build's {parts} part(s)")
    return range(part * total // parts, (part + 1) * total // parts)  # none empty


def generate_part(
    name: str, params: Params, part: int
) -> Iterator[dict[str, pd.DataFrame | pa.Table]]:
    """The block tables of one part, generated alone: the same rows as in the whole build."""
    for block_no in part_blocks(name, params, part):
        yield block_tables(name, params, block_no)


def _arrow_block(name: str, params: Params, block_no: int) -> dict:
    """A block as Arrow tables: cheap to send back from a worker process."""
    whole = schema(name, params.sources, params.future)
    return {
        table: frame if table.startswith("sources/") else to_arrow(frame, whole.table(table))
        for table, frame in block_tables(name, params, block_no).items()
    }


def _all_blocks(name: str, params: Params, progress: bool) -> Iterator[dict]:
    numbers = range(context(name, params).blocks)
    bar = tqdm(total=len(numbers), desc=f"{name}", unit="block", disable=not progress, leave=False)
    workers = min(params.workers, os.cpu_count() or 1)
    try:
        if workers == 1:
            for block_no in numbers:
                yield block_tables(name, params, block_no)
                bar.update()
            return
        from generator.pool import process_pool  # none in a browser (Pyodide)

        with process_pool(workers) as pool:
            pending = []
            for block_no in numbers:  # keep a few blocks in flight, write them in order
                pending.append(pool.submit(_arrow_block, name, params, block_no))
                if len(pending) > 2 * workers:
                    yield pending.pop(0).result()
                    bar.update()
            for future in pending:
                yield future.result()
                bar.update()
    finally:
        bar.close()


def write_industry(
    name: str, params: Params, folder: Path, progress: bool = False, cluster=None, root=None
) -> None:
    """Write every table, the manifest and the dictionary of one industry into ``folder``.

    A build in parts (``params.parts``) has its parts written by workers (local processes, or
    the tasks of a Dask ``cluster``) under ``root``, an fsspec location (default ``folder``):
    see :mod:`generator.parts`.
    """
    build = context(name, params)
    spec = build.industry.spec
    whole = schema(name, params.sources, params.future)
    writer = DatasetWriter(folder, whole, params.formats, lazy=bool(params.parts))
    systems = spec.get("systems", []) if params.sources else []
    listed = spec.get("reference_systems", []) if params.sources else []
    extracts = (
        sources.SourceFiles(folder / "sources", systems + listed, params.locale)
        if systems or listed
        else None
    )
    parted_rows, parted_files = {}, {}
    try:
        writer.write(build.ref)
        for tables in reference_blocks(name, params):
            writer.write(tables)
        if params.sources:
            writer.write(_reference_sources(build, extracts))
        if params.parts:
            from generator import parts

            parted_rows, parted_files = parts.write_parts(
                name, params, root or folder, cluster, progress
            )
        for tables in () if params.parts else _all_blocks(name, params, progress):
            writer.write(tables)
            for system in systems:
                extracts.write(system["name"], tables[f"sources/{system['name']}"])
        if systems and spec.get("postcode_list"):
            bought = sources.postcode_list(build.locale, params.seed, build.region)
            bought.to_csv(folder / "sources" / "postcode_demographics.csv", index=False)
    finally:
        writer.close()
        if extracts:
            extracts.close()
    rows = {table: n + parted_rows.get(table, 0) for table, n in writer.rows.items()}
    dictionary = whole.dictionary(rows)
    dictionary += "\n" + _locale_note(params.locale)
    dictionary += _decay_note(params.locale)
    if systems or listed:
        bought = bool(spec.get("postcode_list"))
        dictionary += _sources_note(systems + listed, params, bought)
    (folder / "DATA_DICTIONARY.md").write_text(dictionary, encoding="utf-8")
    manifest = {
        "generator": __version__,
        "industry": name,
        "parameters": params.record(),
        "libraries": {lib: metadata.version(lib) for lib in LIBRARIES},
        "rows": rows,
        "files": _hashes(folder, parted_files),
    }
    if "sqlite" in params.formats:
        manifest["libraries"]["sqlite"] = sqlite3.sqlite_version
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")


def _hashes(folder: Path, known: dict[str, str]) -> dict[str, str]:
    """sha256 of every file: those ``known`` (the parts, hashed by their writers) and the
    others in ``folder``, read in chunks (a big table must not be read into memory)."""
    found = dict(known)
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and path.name != "manifest.json" and relative not in known:
            found[relative] = integrity.sha256(path)
    return dict(sorted(found.items()))


def _locale_note(locale: str) -> str:
    return (
        f"Money columns are in {locales.get(locale).currency}. "
        "Addresses are drawn whole from a joint geography table (region, city, district or "
        f"ZIP, postcode, area code) for {locale}, weighted by population; see the generator's "
        "`generator/data/README.md` for its sources.\n"
    )


def _reference_sources(build: Context, extracts) -> dict[str, pd.DataFrame]:
    """The systems' lists of reference tables (doctors, hospitals...), written at once."""
    listed = build.industry.spec.get("reference_systems", [])
    if not listed:
        return {}
    tables = build.industry.source_lists(build.ref, build.locale)
    records, errors = [], []
    for system in listed:
        found, truth, corrupted = sources.reference_extract(build, system, tables[system["table"]])
        extracts.write(system["name"], found)
        records.append(truth)
        errors.append(corrupted)
    return {
        "source_records": pd.concat(records, ignore_index=True),
        "corruptions": pd.concat(errors, ignore_index=True),
    }


def _decay_note(locale: str) -> str:
    lines = ["", "## Life events (`_truth/life_events`)", ""]
    lines += [
        "The customer table keeps what each customer gave when they joined; the life events "
        "say what changed since, so that the table's staleness can be measured. Rates:",
        "",
    ]
    return "\n".join(lines + [f"- {line}" for line in decay.sources(locale)]) + "\n"


def _sources_note(systems: list[dict], params: Params, bought: bool) -> str:
    lines = ["", "## Source-system extracts (`sources/`)", ""]
    lines += [
        "The same customers as the company's systems record them, each extracted on its own "
        f"date, with errors at a rate of {params.dirty} per kind of error "
        "(`_truth/source_records` and `_truth/corruptions` tell the truth about every record).",
        "",
        "| file | system | 中文 | format | encoding | customers known | extracted |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in systems:
        suffix = "csv" if s["format"] == "csv" else "jsonl"
        encoding = sources.for_locale(s.get("encoding", "utf-8"), params.locale) or "utf-8"
        lines.append(
            f"| `sources/{s['name']}.{suffix}` | {s['title']} | {s['zh']} | {s['format']} | "
            f"{encoding} | {s['coverage']:.0%} | {s['extract_days_before']} days before the "
            "as-of date |"
        )
    if bought:
        figures = sources.POSTCODE_FIGURES[params.locale]
        lines += [
            "",
            "`sources/postcode_demographics.csv` is a list bought from a data vendor: households, "
            "income, families with children and median age per postcode, to extend the "
            f"customer records. Centred on {figures['source']}.",
        ]
    return "\n".join(lines) + "\n"


def build(
    names: list[str], params: Params, out, progress: bool = False, cluster=None
) -> list[Path | str]:
    """Build each industry into ``out/<industry>``, replacing an older build only when done.

    ``out`` is a folder, or an fsspec URL (``s3://bucket/course``...) for a build on a Dask
    ``cluster`` whose workers cannot see this machine's disk.
    """
    for name in names:  # unknown names and impossible parts fail before anything is written
        check(name, params)
    if _is_url(out):
        return [_build_at_url(name, params, str(out), progress, cluster) for name in names]
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output path {out} is a file, not a folder")
    for guess in preflight(names, params, out, progress):  # refused before anything is written
        print(f"building {guess}", file=sys.stderr, flush=True)
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(out, os.W_OK):
        raise PermissionError(f"output folder {out} is not writable")
    built = []
    for name in names:
        scratch = Path(tempfile.mkdtemp(prefix=f".{name}.building-", dir=out))
        scratch.chmod(0o755)
        try:
            write_industry(name, params, scratch, progress, cluster)
            _replace(scratch, out / name)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        built.append(out / name)
    return built


def check(name: str, params: Params) -> None:
    """Refuse, before anything is written, what cannot be built."""
    build = context(name, params)
    if params.parts > build.blocks:
        raise ParameterError(
            f"parts ({params.parts:,}) cannot be more than the {name} build's blocks of "
            f"customers ({build.blocks:,} of {build.industry.block_size:,} customers)"
        )


def _is_url(out) -> bool:
    return isinstance(out, str) and "://" in out


def _build_at_url(name: str, params: Params, out: str, progress: bool, cluster) -> str:
    """A build written to an fsspec location: the parts by the workers, the rest from a local
    folder, the manifest last. An older build there is removed first, so that a failed build
    leaves files without a manifest (no build), never an old manifest over new files."""
    import fsspec

    fs, base = fsspec.core.url_to_fs(out)
    target = f"{base.rstrip('/')}/{name}"
    if fs.exists(target):
        fs.rm(target, recursive=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}.building-") as scratch:
        scratch = Path(scratch)
        write_industry(name, params, scratch, progress, cluster, root=f"{out.rstrip('/')}/{name}")
        files = sorted(p for p in scratch.rglob("*") if p.is_file())
        for path in sorted(files, key=lambda p: p.name == "manifest.json"):  # manifest last
            remote = f"{target}/{path.relative_to(scratch).as_posix()}"
            fs.makedirs(remote.rsplit("/", 1)[0], exist_ok=True)
            fs.put_file(str(path), remote)
    return f"{out.rstrip('/')}/{name}"


def _replace(new: Path, target: Path) -> None:
    """Put the finished ``new`` folder where ``target`` is, removing the older build."""
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(target)


def export(folder: Path, formats: tuple[str, ...]) -> list[Path]:
    """Add other formats (Parquet, SQLite) to a built folder, from its CSV files.

    The manifest is left as the build wrote it: exports are derived files.
    """
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if not manifest.exists():
        raise FileNotFoundError(f"{folder} is not a built dataset (it has no manifest.json)")
    built = json.loads(manifest.read_text(encoding="utf-8"))
    whole = schema(built["industry"], built["parameters"].get("sources", False))
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}.export-", dir=folder.parent))
    try:
        writer = DatasetWriter(scratch, whole, formats)
        try:
            for table in whole.tables:
                writer.write({table.name: read_table(folder, table)})
        finally:
            writer.close()
        written = []
        for path in sorted(scratch.rglob("*")):
            if path.is_file():
                target = folder / path.relative_to(scratch)
                target.parent.mkdir(exist_ok=True)
                os.replace(path, target)
                written.append(target)
        return written
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
