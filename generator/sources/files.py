"""The extract files of every system, in each system's own format and encoding."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from generator.sources.codes import (
    for_locale,
)

# ---------------------------------------------------------------- files


class SourceFiles:
    """The extract files of every system, appended block by block, in each system's format."""

    def __init__(self, folder: Path, systems: list[dict], locale: str):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.files = {}
        for system in systems:
            encoding = for_locale(system.get("encoding", "utf-8"), locale) or "utf-8"
            suffix = "csv" if system["format"] == "csv" else "jsonl"
            path = folder / f"{system['name']}.{suffix}"
            self.files[system["name"]] = (open(path, "w", encoding=encoding, newline=""), system)  # noqa: SIM115
        self.header = dict.fromkeys(self.files, True)

    def write(self, name: str, records: pd.DataFrame) -> None:
        file, system = self.files[name]
        if system["format"] == "csv":
            records.to_csv(file, index=False, header=self.header[name], lineterminator="\n")
        else:
            # a missing value is JSON's null (NaN is not JSON: other tools refuse it)
            frame = records.astype(object).where(records.notna(), None)
            for row in frame.to_dict(orient="records"):
                file.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
        self.header[name] = False

    def close(self) -> None:
        for file, _ in self.files.values():
            file.close()
