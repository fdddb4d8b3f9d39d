"""Browser tests (make test-browser): a package, so that its conftest is not the suite's."""
