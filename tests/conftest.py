import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINICOURSE = ROOT / "tests" / "fixtures" / "minicourse"

# the fixture's check module, importable as `minicourse_checks`
sys.path.insert(0, str(MINICOURSE))


@pytest.fixture
def root() -> Path:
    return ROOT


def assert_database_intact(data) -> None:
    """The SQLite database of a build keeps its keys and constraints and has every row."""
    with data.connect() as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in data}
    assert counts == {t: data.manifest["rows"][t] for t in data}
