"""Build parameters, checked once: a bad value is a one-line error, never a half-built dataset."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import pandas as pd

from generator import locales

FORMATS = ("csv", "csv.gz", "parquet", "sqlite")
MAX_YEARS = 10
MAX_DIRTY = 0.3


class ParameterError(ValueError):
    """A parameter that cannot be used; its message says which and why."""


@dataclass(frozen=True)
class Params:
    customers: int = 5_000
    seed: int = 42
    locale: str = "en_US"
    as_of: str = "2025-12-31"
    years: int = 3
    formats: tuple[str, ...] = ("csv.gz",)
    workers: int = 1  # processes (or a cluster's tasks) at once; the files do not depend on it
    parts: int = 0  # 0: one file per table; N: the customers' tables in N part files each
    sources: bool = False  # also write the source-system extracts (sources/)
    dirty: float = 0.0  # the rate of each kind of error in the extracts
    future: bool = True  # also write the hidden future (_truth/future_*)

    def __post_init__(self):
        for name in ("customers", "seed", "years", "workers", "parts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{name} must be a whole number, not {value!r}")
        if self.customers < 1:
            raise ParameterError(f"customers must be at least 1, not {self.customers}")
        if self.seed < 0:
            raise ParameterError(f"seed must be zero or positive, not {self.seed}")
        if not 1 <= self.years <= MAX_YEARS:
            raise ParameterError(f"years must be between 1 and {MAX_YEARS}, not {self.years}")
        if self.workers < 1:
            raise ParameterError(f"workers must be at least 1, not {self.workers}")
        if self.parts < 0:
            raise ParameterError(
                f"parts must be zero (one file per table) or more, not {self.parts}"
            )
        try:
            locales.get(self.locale)
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
        try:
            day = dt.date.fromisoformat(self.as_of)
        except (TypeError, ValueError):
            raise ParameterError(f"as-of date must be YYYY-MM-DD, not {self.as_of!r}") from None
        if not dt.date(1990, 1, 1) <= day <= dt.date(2100, 12, 31):
            raise ParameterError(f"as-of date {self.as_of} is outside 1990-2100")
        if not isinstance(self.sources, bool):
            raise ParameterError(f"sources must be true or false, not {self.sources!r}")
        if not isinstance(self.future, bool):
            raise ParameterError(f"future must be true or false, not {self.future!r}")
        if isinstance(self.dirty, bool) or not isinstance(self.dirty, int | float):
            raise ParameterError(
                f"dirty must be a rate between 0 and {MAX_DIRTY}, not {self.dirty!r}"
            )
        if not 0 <= self.dirty <= MAX_DIRTY:
            raise ParameterError(
                f"dirty must be a rate between 0 and {MAX_DIRTY}, not {self.dirty}"
            )
        if self.dirty and not self.sources:
            raise ParameterError("dirty data is put into source extracts: add --sources")
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown or not self.formats:
            raise ParameterError(
                f"unknown format {unknown[0] if unknown else '(none)'!r} "
                f"(known: {', '.join(FORMATS)})"
            )
        if self.parts:
            self._check_parts()

    def _check_parts(self) -> None:
        if "sqlite" in self.formats:
            raise ParameterError(
                "a SQLite database is one file and cannot be written in parts: build without "
                "--parts, or query the parts with DuckDB"
            )
        if len(self.formats) > 1:
            raise ParameterError(
                "a build in parts has one format (one folder of part files per table), "
                f"not {', '.join(self.formats)}"
            )
        if self.sources:
            raise ParameterError(
                "source extracts are single files: build --sources without --parts"
            )

    @property
    def as_of_date(self) -> pd.Timestamp:
        return pd.Timestamp(self.as_of)

    def record(self) -> dict:
        """The parameters as the manifest records them."""
        record = asdict(self)
        record["formats"] = list(self.formats)
        del record["workers"]  # the output does not depend on it
        if not record["parts"]:
            del record["parts"]  # the default: builds made before it existed read the same
        if record["future"]:
            del record["future"]  # the default: builds made before it existed read the same
        return record
