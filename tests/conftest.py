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
