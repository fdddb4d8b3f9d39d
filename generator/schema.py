"""One schema definition per industry, from which everything else is derived.

A :class:`Schema` lists tables and their columns with types, keys, constraints and meaning (in
English, with the Chinese term). From it come the SQLite DDL, the Arrow schema the writers use,
the pandas dtypes ``generator.load`` returns, and ``DATA_DICTIONARY.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

# column type -> (Arrow type, SQLite type)
TYPES = {
    "int": (pa.int64(), "INTEGER"),
    "float": (pa.float64(), "REAL"),
    "money": (pa.float64(), "REAL"),
    "str": (pa.string(), "TEXT"),
    "category": (pa.string(), "TEXT"),
    "bool": (pa.bool_(), "INTEGER"),
    "date": (pa.date32(), "TEXT"),
    "timestamp": (pa.timestamp("s"), "TEXT"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    meaning: str
    zh: str = ""
    nullable: bool = False
    values: tuple[str, ...] = ()  # allowed values of a category
    references: str = ""  # "table.column" of a foreign key
    check: str = ""  # an extra SQL CHECK expression
    unit: str = ""

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")

    @property
    def arrow(self) -> pa.DataType:
        return TYPES[self.type][0]

    def checks(self) -> list[str]:
        """The CHECKs every SQL database states alike: the column's own, and its list of
        allowed values."""
        checks = [self.check] if self.check else []
        if self.values:
            listed = ", ".join("'" + v.replace("'", "''") + "'" for v in self.values)
            checks.append(f"{self.name} IN ({listed})")
        return checks

    def sql(self) -> str:
        """The column in SQLite, whose CHECKs also do what its types cannot."""
        parts = [self.name, TYPES[self.type][1]]
        if not self.nullable:
            parts.append("NOT NULL")
        checks = self.checks()
        if self.type == "bool":
            checks.append(f"{self.name} IN (0, 1)")
        # IS, not =: a malformed date gives NULL, which = lets through; the +0 modifier makes
        # SQLite normalise a day that does not exist (30 February 1990 becomes 2 March), so it fails
        if self.type == "date":
            checks.append(f"date({self.name}, '+0 days') IS {self.name}")
        if self.type == "timestamp":
            checks.append(f"datetime({self.name}, '+0 seconds') IS {self.name}")
        if self.type == "money":
            checks.append(f"{self.name} = round({self.name}, 2)")
        parts += [f"CHECK ({c})" for c in checks]
        return " ".join(parts)


@dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    truth: bool = False  # ground truth, kept apart from what students see (in _truth/)
    indexes: tuple[str, ...] = ()  # extra indexed columns (foreign keys are indexed anyway)

    def __post_init__(self):
        names = [c.name for c in self.columns]
        unknown = [k for k in self.key + self.indexes if k not in names]
        if unknown or len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: bad key/index {unknown} or duplicate columns")

    @property
    def arrow(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow, nullable=c.nullable) for c in self.columns])

    @property
    def path(self) -> str:
        """Where the table's files go, relative to the industry folder (without extension)."""
        return f"_truth/{self.name}" if self.truth else self.name

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def foreign_keys(self) -> list[tuple[str, str, str]]:
        """(column, referenced table, referenced column) of each foreign key."""
        return [(c.name, *c.references.split(".")) for c in self.columns if c.references]

    def indexed(self) -> list[str]:
        """The columns to index: the foreign keys and the extra indexes (not the key itself)."""
        names = [column for column, _, _ in self.foreign_keys()] + list(self.indexes)
        return [name for name in dict.fromkeys(names) if (name,) != self.key]

    def ddl(self) -> list[str]:
        lines = [c.sql() for c in self.columns]
        lines.append(f"PRIMARY KEY ({', '.join(self.key)})")
        for name, table, column in self.foreign_keys():
            lines.append(f"FOREIGN KEY ({name}) REFERENCES {table}({column})")
        body = ",\n  ".join(lines)
        statements = [f"CREATE TABLE {self.name} (\n  {body}\n)"]
        statements += [
            f"CREATE INDEX idx_{self.name}_{name} ON {self.name}({name})" for name in self.indexed()
        ]
        return statements

    def pandas_dtypes(self) -> dict[str, str]:
        kinds = {"category": "category", "str": "str", "float": "float64", "money": "float64"}
        dtypes = {}
        for c in self.columns:
            if c.type in kinds:
                dtypes[c.name] = kinds[c.type]
            elif c.type == "int":
                dtypes[c.name] = "Int64" if c.nullable else "int64"
            elif c.type == "bool":
                dtypes[c.name] = "boolean" if c.nullable else "bool"
        return dtypes

    def date_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.type in ("date", "timestamp")]


@dataclass(frozen=True)
class Schema:
    industry: str
    title: str
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = field(default=())  # sources and remarks for the dictionary

    def __post_init__(self):
        columns = {(t.name, c.name) for t in self.tables for c in t.columns}
        for t in self.tables:
            for c in t.columns:
                if c.references and tuple(c.references.split(".")) not in columns:
                    raise ValueError(f"{t.name}.{c.name} references unknown {c.references}")

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"{self.industry} has no table {name!r}")

    @property
    def public(self) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if not t.truth)

    def ddl(self) -> str:
        """SQLite DDL for the tables students see (truth tables are not in the database)."""
        return ";\n\n".join(s for t in self.public for s in t.ddl()) + ";\n"

    def dictionary(self, row_counts: dict[str, int] | None = None) -> str:
        """DATA_DICTIONARY.md: every table and column, its type, key and meaning."""
        out = [f"# Data dictionary: {self.title}", ""]
        out += [
            "Tables under `_truth/` are the generator's hidden ground truth: they are not part of",
            "the company's database and are there so that answers and models can be checked.",
            "",
        ]
        for t in self.tables:
            rows = f" ({row_counts[t.name]:,} rows)" if row_counts and t.name in row_counts else ""
            out += [f"## `{t.path}` — {t.meaning} ({t.zh}){rows}", ""]
            out += [f"Key: {', '.join(t.key)}.", ""]
            out += ["| column | type | meaning | 中文 | notes |", "|---|---|---|---|---|"]
            for c in t.columns:
                notes = []
                if c.references:
                    notes.append(f"→ `{c.references}`")
                if c.values:
                    notes.append("one of " + ", ".join(f"`{v}`" for v in c.values))
                if c.unit:
                    notes.append(c.unit)
                if c.nullable:
                    notes.append("may be empty")
                out.append(f"| `{c.name}` | {c.type} | {c.meaning} | {c.zh} | {'; '.join(notes)} |")
            out.append("")
        if self.notes:
            out += ["## Sources and assumptions", ""] + [f"- {n}" for n in self.notes] + [""]
        return "\n".join(out)
