"""Reading a built database: tables as typed DataFrames, SQL on its SQLite file, its truth.

    retail = generator.load("retail")
    retail["transactions"]                 # a DataFrame: dates as datetimes, categories typed
    retail.sql("SELECT ...")               # a DataFrame from the SQLite database
    retail.truth("customer_truth")         # the generator's hidden ground truth
    retail.manifest["parameters"]          # how it was built

The default folder is ``datasets/`` at the top of the course (or the folder named by the
``GENERATOR_DATASETS`` environment variable).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow as pa

from generator import integrity, locales
from generator.reading import ENDINGS, read_table, table_file, to_pandas
from generator.registry import get as industry
from generator.schema import Schema, Table
from generator.sources import for_locale

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "datasets"


def datasets_folder(path: str | Path | None = None) -> Path:
    if path is not None:
        return Path(path)
    return Path(os.environ.get("GENERATOR_DATASETS", DEFAULT_FOLDER))


class Dataset(Mapping):
    """One industry's built database."""

    def __init__(self, industry: str, folder: Path, schema: Schema):
        self.industry, self.folder, self.schema = industry, folder, schema
        self._cache: dict[str, pd.DataFrame] = {}

    @classmethod
    def open(cls, industry: str, path: str | Path | None = None) -> Dataset:
        from generator.builder import schema

        schema(industry)  # an unknown industry is refused first
        folder = datasets_folder(path) / industry
        if not (folder / "manifest.json").exists():
            raise FileNotFoundError(
                f"no {industry} database in {folder.parent}: build it with "
                f"`python -m generator build {industry} --out {folder.parent}` (or make datasets)"
            )
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        parameters = manifest["parameters"]
        whole = schema(industry, parameters.get("sources", False), parameters.get("future", True))
        return cls(industry, folder, whole)

    # -- the tables students see
    def __getitem__(self, name: str) -> pd.DataFrame:
        table = self.schema.table(name)
        if table.truth:
            raise KeyError(f"{name} is ground truth: use .truth({name!r})")
        return self._frame(table)

    def __iter__(self) -> Iterator[str]:
        return iter(t.name for t in self.schema.public)

    def __len__(self) -> int:
        return len(self.schema.public)

    def __repr__(self) -> str:
        rows = self.manifest["rows"]
        listed = ", ".join(f"{t.name} ({rows.get(t.name, 0):,})" for t in self.schema.public)
        return f"<{self.industry} database in {self.folder.name}/: {listed}>"

    def truth(self, name: str) -> pd.DataFrame:
        """A ground-truth table (under ``_truth/``): what the generator planted."""
        if name.startswith("future_") and not self.manifest["parameters"].get("future", True):
            raise KeyError(f"{name}: this build has no hidden future (it was built --no-future)")
        table = self.schema.table(name)
        if not table.truth:
            raise KeyError(f"{name} is not a truth table")
        return self._frame(table)

    # -- the source systems' extracts (built with --sources)
    @property
    def systems(self) -> list[dict]:
        """The source systems whose extracts this build holds (empty without --sources)."""
        if not self.manifest["parameters"].get("sources"):
            return []
        spec = industry(self.industry).spec
        return spec.get("systems", []) + spec.get("reference_systems", [])

    def source(self, name: str) -> pd.DataFrame:
        """One system's extract as its file holds it: every value text, missing ones None.

        The file is read in the system's own format and encoding (students meet those in
        ``sources/`` themselves; this is the shortcut).
        """
        systems = {s["name"]: s for s in self.systems}
        if name not in systems:
            known = ", ".join(systems) or "none: build with --sources"
            raise KeyError(f"no source system {name!r} (known: {known})")
        system, locale = systems[name], self.manifest["parameters"]["locale"]
        encoding = for_locale(system.get("encoding", "utf-8"), locale) or "utf-8"
        path = self.folder / "sources" / f"{name}.{system['format']}"
        if system["format"] == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            return frame.replace("", None)
        with open(path, encoding=encoding) as file:
            rows = [json.loads(line) for line in file]
        return pd.DataFrame(rows).astype(object).where(lambda f: f.notna(), None)

    def _frame(self, table: Table) -> pd.DataFrame:
        if table.name not in self._cache:
            self._cache[table.name] = to_pandas(self._read(table), table)
        return self._cache[table.name].copy()

    def _read(self, table: Table) -> pa.Table:
        """A table's data, from a file checked against the manifest (the files the build
        wrote) or, for a file made from them (an export), read or named as damaged."""
        files = integrity.listed(self.folder)
        try:
            path = table_file(self.folder, table)
        except FileNotFoundError:
            forms = {f"{table.path}{ending}" for ending in ENDINGS}
            missing = sorted(forms & set(files))
            if missing:  # the manifest lists it: the build lost a file
                raise integrity.DamagedBuild(
                    f"{self.folder / missing[0]} is missing; {integrity.ADVICE}"
                ) from None
            raise
        name = path.relative_to(self.folder).as_posix()
        # the file to read, or every part of a table in parts
        for listed in (
            [name] if name in files else sorted(f for f in files if f.startswith(f"{name}/"))
        ):
            wrong = integrity.problem(self.folder, listed, files[listed])
            if wrong:
                raise integrity.DamagedBuild(f"{wrong}; {integrity.ADVICE}")
        try:
            return read_table(self.folder, table)
        except (pa.ArrowException, OSError, ValueError) as error:
            raise integrity.DamagedBuild(
                f"{path} cannot be read ({type(error).__name__}): it is damaged; delete it and "
                f"run `make datasets` or `python -m generator export {self.folder}`"
            ) from None

    @cached_property
    def manifest(self) -> dict:
        return json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))

    @property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.manifest["parameters"]["as_of"])

    @property
    def locale(self) -> str:
        """The locale the database was built in: en_US or zh_CN."""
        return self.manifest["parameters"]["locale"]

    @property
    def company(self) -> str:
        """The company's name in the database's locale."""
        return for_locale(industry(self.industry).company, self.locale)

    @property
    def currency(self) -> str:
        """The currency of the money columns: USD for en_US, CNY for zh_CN."""
        return locales.get(self.locale).currency

    # -- SQL
    @property
    def sqlite_path(self) -> Path:
        return self.folder / f"{self.industry}.sqlite"

    def connect(self) -> sqlite3.Connection:
        """A read-only connection to the SQLite database (built by ``make datasets``)."""
        if not self.sqlite_path.exists():
            raise FileNotFoundError(
                f"{self.sqlite_path} is missing: run `make datasets` or "
                f"`python -m generator export {self.folder}`"
            )
        return sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True)

    def sql(self, query: str, params: tuple | dict = ()) -> pd.DataFrame:
        with self.connect() as db:
            return pd.read_sql_query(query, db, params=params)
