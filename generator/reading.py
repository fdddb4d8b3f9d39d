"""Reading one table of a build from its files: the fastest format there is, a folder of
parts as one table, and the schema's types (for :mod:`generator.dataset`, the exports and
PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from generator.schema import Table

ENDINGS = (".parquet", ".csv.gz", ".csv")  # fastest first


def table_file(folder: Path, table: Table) -> Path:
    """The fastest file there is of a table: Parquet, else CSV (plain or gzipped); or the
    folder of a table written in parts."""
    base = folder / table.path
    for path in (*(Path(f"{base}{ending}") for ending in ENDINGS), base):
        if path.exists():
            return path
    raise FileNotFoundError(f"no file for table {table.name!r} in {folder}")


def part_files(folder: Path) -> list[Path]:
    """The part files of a table written in parts, in order (of the fastest format there)."""
    for ending in ENDINGS:
        found = sorted(folder.glob(f"part-*{ending}"))
        if found:
            return found
    raise FileNotFoundError(f"no part files in {folder}")


def read_table(folder: Path, table: Table) -> pa.Table:
    """One table from the fastest file there is (:func:`table_file`); its parts as one."""
    path = table_file(folder, table)
    if path.is_dir():
        return pa.concat_tables([_read_file(part, table) for part in part_files(path)])
    return _read_file(path, table)


def _read_file(path: Path, table: Table) -> pa.Table:
    if path.suffix == ".parquet":
        return pq.read_table(path)
    data = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types=table.arrow,
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    return data.cast(table.arrow)


def to_pandas(data: pa.Table, table: Table) -> pd.DataFrame:
    """Arrow data as a DataFrame with the schema's pandas types."""
    frame = data.to_pandas()
    for column in table.columns:
        if column.type in ("date", "timestamp"):
            frame[column.name] = pd.to_datetime(frame[column.name]).astype("datetime64[s]")
        elif column.type == "category":  # the schema's values, in its order
            frame[column.name] = pd.Categorical(
                frame[column.name], categories=column.values or None
            )
    dtypes = {k: v for k, v in table.pandas_dtypes().items() if v != "category"}
    return frame.astype(dtypes)
