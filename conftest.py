"""pytest setup shared by the unit tests and nbval's notebook runs."""

# Exercise notebooks stop at `raise NotImplementedError()` by design: never execute them.
collect_ignore_glob = ["exercises/*", "tests/fixtures/minicourse/exercises/*", ".venv/*"]
