"""Every lesson and solution runs top to bottom on the course's databases rebuilt in the zh_CN
locale (seed 2024), with Chinese drawn in every lesson (see other_data_runs.py)."""

import pytest

from other_data_runs import NOTEBOOKS, run_on

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_notebook_runs(path, other_data_builds, monkeypatch):
    run_on(path, other_data_builds("seed2024-zh_CN"), monkeypatch)
