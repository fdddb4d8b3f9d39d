"""Loading a build into a PostgreSQL server, with its keys and constraints, by COPY.

For users who outgrow SQLite, and for lessons that need users and rights (chapter 04)::

    python -m generator export datasets/auto --to postgresql://user@host:5432/db

    from generator import postgres
    postgres.export("datasets/auto", "postgresql://...")

Each industry goes into a PostgreSQL schema of its own name (``auto.customers``), its hidden
truth into ``<industry>_truth`` (so that rights can keep it from students). The types are
PostgreSQL's own (``DATE``, ``TIMESTAMP``, ``BOOLEAN``, ``NUMERIC(14, 2)`` for money), with
every primary key, CHECK and foreign key of the build's schema; the foreign keys and indexes
are added after the rows, as a bulk load should. Everything happens in one transaction: a
load that fails (a bad row, a lost connection) leaves the server as it was. Loading a build
again replaces its two schemas.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from generator.schema import Column, Table

# column type -> PostgreSQL type
PG_TYPES = {
    "int": "BIGINT",
    "float": "DOUBLE PRECISION",
    "money": "NUMERIC(14, 2)",
    "str": "TEXT",
    "category": "TEXT",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


class ExportError(ValueError):
    """A build cannot be loaded into the server (one clear message)."""


def column_sql(column: Column) -> str:
    """A column's definition in PostgreSQL: its type, NOT NULL and its CHECKs. The types say
    what SQLite's CHECKs had to (a real date, a whole cent, a true/false)."""
    parts = [column.name, PG_TYPES[column.type]]
    if not column.nullable:
        parts.append("NOT NULL")
    parts += [f"CHECK ({c})" for c in column.checks()]
    return " ".join(parts)


def schema_names(industry: str) -> tuple[str, str]:
    """The PostgreSQL schemas a build goes into: its tables, and its truth."""
    return industry, f"{industry}_truth"


def _where(table: Table, industry: str) -> str:
    public, truth = schema_names(industry)
    return f"{truth if table.truth else public}.{table.name}"


def create_statements(table: Table, industry: str) -> list[str]:
    """CREATE TABLE with the columns, the primary key and the CHECKs (before the rows)."""
    lines = [column_sql(c) for c in table.columns]
    lines.append(f"PRIMARY KEY ({', '.join(table.key)})")
    body = ",\n  ".join(lines)
    return [f"CREATE TABLE {_where(table, industry)} (\n  {body}\n)"]


def constraint_statements(table: Table, industry: str, tables: dict[str, Table]) -> list[str]:
    """The foreign keys and indexes (after the rows)."""
    where = _where(table, industry)
    statements = [
        f"ALTER TABLE {where} ADD FOREIGN KEY ({name}) "
        f"REFERENCES {_where(tables[target], industry)} ({column})"
        for name, target, column in table.foreign_keys()
    ]
    return statements + [f"CREATE INDEX ON {where} ({name})" for name in table.indexed()]


def _csv_chunks(data: pa.Table, rows: int = 50_000):
    """The rows as CSV text without a header, a slice at a time (nulls unquoted and empty, as
    PostgreSQL's CSV format reads them; an empty text is quoted)."""
    options = pacsv.WriteOptions(include_header=False)
    for start in range(0, data.num_rows, rows):
        sink = pa.BufferOutputStream()
        pacsv.write_csv(data.slice(start, rows), sink, write_options=options)
        yield sink.getvalue().to_pybytes()


def export(folder: str | Path, url: str, progress: bool = False) -> dict[str, int]:
    """Load the build in ``folder`` into the PostgreSQL server at ``url``; returns the rows
    loaded per table (``schema.table``)."""
    import psycopg

    from generator.builder import schema
    from generator.reading import read_table

    folder = Path(folder)
    manifest = folder / "manifest.json"
    if not manifest.exists():
        raise FileNotFoundError(f"{folder} is not a built dataset (it has no manifest.json)")
    if not url.startswith(("postgresql://", "postgres://")):
        raise ExportError(
            f"{url!r} is not a PostgreSQL connection string: write it as "
            "postgresql://user[:password]@host[:port]/database"
        )
    built = json.loads(manifest.read_text(encoding="utf-8"))
    industry = built["industry"]
    whole = schema(industry, built["parameters"].get("sources", False))
    tables = {t.name: t for t in whole.tables}
    try:
        connection = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as error:
        raise ExportError(f"cannot connect to {_safe(url)}: {reason(error)}") from None
    loaded = {}
    with connection:  # one transaction: all or nothing
        with connection.cursor() as cursor:
            for name in schema_names(industry):
                cursor.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
                cursor.execute(f"CREATE SCHEMA {name}")
            for table in whole.tables:
                for statement in create_statements(table, industry):
                    cursor.execute(statement)
            steps = whole.tables
            if progress:
                from tqdm.auto import tqdm

                steps = tqdm(steps, desc=f"{industry} to PostgreSQL", unit="table")
            for table in steps:
                data = read_table(folder, table)
                names = ", ".join(c.name for c in table.columns)
                copy = f"COPY {_where(table, industry)} ({names}) FROM STDIN (FORMAT csv)"
                with cursor.copy(copy) as pipe:
                    for chunk in _csv_chunks(data):
                        pipe.write(chunk)
                loaded[_where(table, industry)] = data.num_rows
            for table in whole.tables:
                for statement in constraint_statements(table, industry, tables):
                    cursor.execute(statement)
            cursor.execute("ANALYZE")
    connection.close()
    return loaded


def reason(error: Exception) -> str:
    """What the server said, in one line (the first of its message)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _safe(url: str) -> str:
    """A connection string without its password (for messages)."""
    head, at, tail = url.rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, user = head.partition("//")
    return f"{scheme}//{user.split(':')[0]}:***@{tail}"
