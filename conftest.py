"""pytest setup shared by the unit tests and nbval's notebook runs."""

# Exercise notebooks stop at `raise NotImplementedError()` by design: never execute them.
collect_ignore_glob = ["exercises/*", "tests/fixtures/minicourse/exercises/*", ".venv/*"]


# The longest test files, longest first (measured: minutes each). Parallel workers take whole
# files in the order collected, so these go first: a long file started last would leave the
# other workers idle at the end.
LONGEST_FIRST = (
    "test_notebooks_in_chinese.py",
    "test_notebooks_on_another_seed.py",
    "test_nbgrader_lessons.py",
    "test_generator.py",
    "test_nbgrader_cases.py",
)


def pytest_collection_modifyitems(config, items):
    """Every notebook cell nbval runs is slow, like the tests that build databases; the
    longest files are collected first (:data:`LONGEST_FIRST`)."""
    import pytest

    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
    rank = {name: at for at, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
