"""pytest setup shared by the unit tests and nbval's notebook runs."""

# Exercise notebooks stop at `raise NotImplementedError()` by design: never execute them.
collect_ignore_glob = ["exercises/*", "tests/fixtures/minicourse/exercises/*", ".venv/*"]


def pytest_collection_modifyitems(config, items):
    """Every notebook cell nbval runs is slow, like the tests that build databases."""
    import pytest

    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
