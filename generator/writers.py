"""Table writers: each table is written block by block, so memory stays flat as size grows.

Every writer produces the same bytes whatever the shard count: a CSV block is its own gzip
member (with no time stamp), a Parquet block is its own row group, and SQLite receives the
blocks in the same order.
"""

from __future__ import annotations

import gzip
import io
import os
import sqlite3
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from generator.schema import Schema, Table

CSV_OPTIONS = dict(quoting_style="needed")
# CSV text is formatted and compressed in pieces of this many rows, in parallel threads (Arrow
# and zlib release the GIL); each compressed piece is one gzip member, so the bytes depend on
# the rows alone, not on the number of threads or shards.
ROWS_PER_PIECE = 50_000
_THREADS = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)


def to_arrow(frame: pd.DataFrame | pa.Table, table: Table) -> pa.Table:
    """A block as an Arrow table of exactly the schema's columns and types."""
    if isinstance(frame, pa.Table):
        return frame.select([c.name for c in table.columns]).cast(table.arrow)
    arrays = []
    for column in table.columns:
        values = frame[column.name]
        if column.type in ("date", "timestamp"):
            if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":  # the fast way
                values = values.to_numpy().astype("datetime64[s]", copy=False)
            else:
                values = pd.to_datetime(values).to_numpy("datetime64[s]")
            array = pa.array(values, type=pa.timestamp("s"), from_pandas=True)
            arrays.append(array.cast(column.arrow, safe=False))
            continue
        if column.type in ("str", "category"):
            if values.dtype == object:
                values = values.where(values.notna(), None)
            array = pa.array(values, from_pandas=True)
            if pa.types.is_dictionary(array.type):
                array = array.dictionary_decode()
            arrays.append(array.cast(column.arrow))
            continue
        if column.type == "int" and values.dtype != np.int64:
            values = values.astype("Int64")
        arrays.append(pa.array(values, type=column.arrow, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=table.arrow)


def part_name(part: int) -> str:
    """A part file's name without its extension: ``part-00003``."""
    return f"part-{part:05d}"


class CsvWriter:
    def __init__(self, path: Path, compress: bool, table: Table):
        self.path, self.compress, self.table = path, compress, table
        self.file = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.header = True

    def write(self, data: pa.Table) -> None:
        starts = range(0, max(len(data), 1), ROWS_PER_PIECE)
        pieces = [
            (data.slice(start, ROWS_PER_PIECE), self.header and start == 0) for start in starts
        ]
        self.header = False
        for chunk in _THREADS.map(self._encode, pieces):
            self.file.write(chunk)

    def _encode(self, piece: tuple[pa.Table, bool]) -> bytes:
        data, header = piece
        buffer = io.BytesIO()
        pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=header, **CSV_OPTIONS))
        text = buffer.getvalue()
        return gzip.compress(text, compresslevel=6, mtime=0) if self.compress else text

    def close(self) -> None:
        try:
            if self.header:  # no rows came: the file still names its columns
                self.write(self.table.arrow.empty_table())
        finally:
            self.file.close()


# A column's dictionary encoding stops once its dictionary passes this many bytes (about 1,000
# distinct numbers): categories, flags and foreign keys keep it, ids and times fall back to
# plain at once. Arrow's default (1 MiB) builds a dictionary for nearly unique columns, which
# made the files a third bigger and slower to write.
DICTIONARY_BYTES = 8 * 1024


class ParquetWriter:
    def __init__(self, path: Path, table: Table):
        self.writer = pq.ParquetWriter(
            path, table.arrow, compression="zstd", dictionary_pagesize_limit=DICTIONARY_BYTES
        )

    def write(self, data: pa.Table) -> None:
        self.writer.write_table(data, row_group_size=max(len(data), 1))

    def close(self) -> None:
        self.writer.close()


class SqliteWriter:
    """One database for all the tables students see; constraints in the DDL, indexes at the end."""

    def __init__(self, path: Path, schema: Schema):
        self.schema = schema
        self.db = sqlite3.connect(path, check_same_thread=False)  # used by one thread at a time
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.indexes = []
        for table in schema.public:
            create, *indexes = table.ddl()
            self.db.execute(create)
            self.indexes += indexes

    def write(self, table: Table, data: pa.Table) -> None:
        columns = []
        for column, array in zip(table.columns, data.columns, strict=True):
            if column.type in ("date", "timestamp"):
                array = array.cast(pa.string())
            values = array.to_numpy(zero_copy_only=False)
            if column.type == "bool":
                values = np.where(pd.isna(values), None, values.astype(object))
            columns.append(values.tolist())
        marks = ", ".join("?" * len(table.columns))
        rows = zip(*columns, strict=True)
        self.db.executemany(f"INSERT INTO {table.name} VALUES ({marks})", rows)

    def close(self) -> None:
        for statement in self.indexes:
            self.db.execute(statement)
        self.db.commit()
        self.db.execute("VACUUM")
        self.db.close()


class DatasetWriter:
    """All tables of one industry in the chosen formats, under ``folder``.

    Blocks are converted to Arrow and written by a background thread, in order, so that
    generating the next block overlaps converting and writing this one. At most
    ``IN_FLIGHT`` blocks wait to be written (memory stays flat); a write error is raised by the
    next call to :meth:`write` or by :meth:`close`.

    A whole build has one file per table and format (``transactions.parquet``); every table of
    the schema gets its file, written or not. With ``part`` the writer holds one numbered part
    of the tables it is given (``transactions/part-00003.parquet``), and with ``lazy`` only the
    tables it is given: a parted build is written by several such writers. Such a worker's
    writer is ``inline``: it writes in the caller's thread, so that one worker is one core and
    N workers scale on N cores (a background thread would make one worker use more than one).
    """

    IN_FLIGHT = 2

    def __init__(
        self,
        folder: Path,
        schema: Schema,
        formats: tuple[str, ...],
        part: int | None = None,
        lazy: bool = False,
        inline: bool = False,
    ):
        self.folder, self.schema, self.formats, self.part = folder, schema, formats, part
        self.lazy, self.inline = lazy or part is not None, inline
        self.files: dict[str, list] = {}
        self.rows = {t.name: 0 for t in schema.tables}
        (folder / "_truth").mkdir(parents=True, exist_ok=True)
        if not self.lazy:
            for table in schema.tables:
                self._open(table)
        self.sqlite = (
            SqliteWriter(folder / f"{schema.industry}.sqlite", schema)
            if "sqlite" in formats
            else None
        )
        self._thread = ThreadPoolExecutor(max_workers=1)
        self._pending: deque[Future] = deque()

    def _open(self, table: Table) -> list:
        """The table's writers, one per format, opened at the first call."""
        if table.name in self.files:
            return self.files[table.name]
        base = self.folder / table.path
        if self.part is not None:
            base.mkdir(parents=True, exist_ok=True)
            base = base / part_name(self.part)
        writers = []
        if "csv" in self.formats:
            writers.append(CsvWriter(Path(f"{base}.csv"), False, table))
        if "csv.gz" in self.formats:
            writers.append(CsvWriter(Path(f"{base}.csv.gz"), True, table))
        if "parquet" in self.formats:
            writers.append(ParquetWriter(Path(f"{base}.parquet"), table))
        self.files[table.name] = writers
        return writers

    def write(self, tables: dict[str, pd.DataFrame | pa.Table]) -> None:
        given = []
        for table in self.schema.tables:
            if table.name not in tables:
                continue
            self.rows[table.name] += len(tables[table.name])
            given.append((table, tables[table.name]))
        if self.inline:
            self._write(given)
            return
        while len(self._pending) >= self.IN_FLIGHT:
            self._pending.popleft().result()
        self._pending.append(self._thread.submit(self._write, given))

    def _write(self, given: list[tuple[Table, pd.DataFrame | pa.Table]]) -> None:
        for table, frame in given:
            data = to_arrow(frame, table)
            for writer in self._open(table):
                writer.write(data)
            if self.sqlite and not table.truth:
                self.sqlite.write(table, data)

    def close(self) -> None:
        """Finish the writes still pending, then close every file (raising a write's error)."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            for future in self._pending:
                future.cancel()
            self._thread.shutdown(wait=True)
            for writers in self.files.values():
                for writer in writers:
                    writer.close()
            if self.sqlite:
                self.sqlite.close()
