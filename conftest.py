"""pytest setup shared by the unit tests and nbval's notebook runs."""

from fnmatch import fnmatch

import pytest

# Exercise notebooks stop at `raise NotImplementedError()` by design: never execute them.
collect_ignore_glob = ["exercises/*", "tests/fixtures/minicourse/exercises/*", ".venv/*"]


def pytest_collection_modifyitems(config, items):
    """Every notebook cell nbval runs is slow, like the tests that build databases."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)


# Parallel workers (pytest-xdist, `--dist loadgroup`) take a group of tests at a time. A group
# is a file, so that its module fixtures are made once and a notebook's cells run in order in
# one kernel, except for:
# - the files that work out the checks' answer keys (every task's right answer and named
#   mistakes, kept in the process that works them out: a minute of work): one group, so that
#   the keys are worked out once in a run rather than once in every worker;
ANSWER_KEYS = ("test_checks.py", "test_hidden_tests.py", "test_guide.py", "test_*_wrong_answers.py")
# - the runs of every notebook on the other builds (tests/other_data_runs.py): each run is a
#   group, like a notebook's own file, so that no worker is left with a whole build's runs.
EACH_TEST_APART = ("test_notebooks_in_chinese.py", "test_notebooks_on_another_seed.py")


def group(nodeid: str) -> str:
    """The group of tests that the test ``nodeid`` runs with in one worker."""
    path = nodeid.split("::")[0]
    name = path.rsplit("/", 1)[-1]
    if any(fnmatch(name, pattern) for pattern in ANSWER_KEYS):
        return "answer keys"
    return nodeid if name in EACH_TEST_APART else path


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` with the groups of :func:`group`, named by path: xdist's own
    `xdist_group` marks group nothing under pytest 9.2 (pytest-xdist issue 1386)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CourseGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid)

    return CourseGroups(config, log)
