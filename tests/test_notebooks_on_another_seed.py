"""Every lesson runs top to bottom on the course's databases rebuilt with another seed (7) (see
other_data_runs.py). The solutions run on that build under nbgrader's autograde, as a grader
runs them (tests/nbgrader_runs.py): the same checks, and the grades too."""

import pytest

from course import datasets

from nbgrader_runs import GRADERS_BUILD
from other_data_runs import LESSONS, run_on

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

BUILD = "seed7-en_US"  # conftest.OTHER_DATA


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_the_notebook_runs(path, other_data_builds, monkeypatch):
    run_on(path, other_data_builds(BUILD), monkeypatch)


def test_the_solutions_run_on_this_build_under_nbgrader():
    """This file leaves the solutions to the graded runs: they must be on the same build."""
    assert GRADERS_BUILD == BUILD


def test_a_bad_option_is_one_clear_error_and_builds_nothing(tmp_path, capsys):
    assert datasets.main(["--out", str(tmp_path / "out"), "--locale", "fr_FR"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "fr_FR" in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
