# The course's commands. `make lab` to study, `make test` to check everything.
# Both start from nothing but Python 3.11+ and make: they create .venv, install the
# pinned versions from constraints.txt and build the datasets when needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DATASETS_BUILT := datasets/.complete
GENERATOR_SOURCES := $(shell find generator -name '*.py' -o -name '*.json' -o -name '*.csv' 2>/dev/null)
FIRST_NOTEBOOK := notebooks/00_welcome.ipynb
# Extra options for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
# JupyterLab refuses to start as root unless told to; in a container one often is root
ROOT_ARGS := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
# Solution notebooks and the exercise notebooks written from them (pairs of folders).
EXERCISE_SETS := solutions:exercises tests/fixtures/minicourse/solutions:tests/fixtures/minicourse/exercises
NBVAL := --nbval --nbval-sanitize-with tests/nbval-sanitize.cfg
# Parallel test workers (pytest-xdist); each notebook and each test file stays in one worker.
TEST_WORKERS ?= 2
PARALLEL := -n $(TEST_WORKERS) --dist loadfile

.DEFAULT_GOAL := help
.PHONY: help lab test test-browser unit lint datasets contents exercises notebooks bench realism lock clean

help:
	@echo "make lab        set everything up and open the course in JupyterLab"
	@echo "make test       set everything up and run every check (lint, tests, notebooks, exercises)"
	@echo "make test-browser  run the browser tests (needs Chromium or Chrome installed)"
	@echo "make unit       run the fast unit tests only (no databases built, no notebooks), in seconds"
	@echo "make datasets   rebuild the default databases under datasets/"
	@echo "make notebooks  re-run the stored notebooks and save their outputs"
	@echo "make contents   write the course map, the navigation links and the instructor guide's facts"
	@echo "make exercises  write exercises/ from solutions/ (after make contents)"
	@echo "make bench      run the benchmarks and print their figures"
	@echo "make realism    measure how real the databases behave (datasets/REALISM.md)"
	@echo "make lock       re-resolve the pinned versions in constraints.txt"
	@echo "make clean      remove .venv and built files"

# The installed modules are compiled after the install on every core (pip compiles them one
# at a time): a kernel or test worker then loads them compiled, even where Python is told not
# to write compiled files (PYTHONDONTWRITEBYTECODE)
$(INSTALLED): pyproject.toml constraints.txt config/jupyterlab-overrides.json
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "This course needs Python 3.11 or newer; $(PYTHON) is " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check -c constraints.txt -e '.[dev]'
	$(BIN)/python -m compileall -q -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp config/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $@

# the four databases; retail and auto also with their source systems' extracts, with errors
$(DATASETS_BUILT): $(INSTALLED) $(GENERATOR_SOURCES) course/datasets.py
	$(BIN)/python -m course.datasets --out datasets --quiet
	@touch $@

# the course folder is the file browser's root; the first notebook opens in it
lab: $(DATASETS_BUILT)
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/$(FIRST_NOTEBOOK) \
		$(ROOT_ARGS) $(LAB_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint $(DATASETS_BUILT)
	$(BIN)/python -m course.exercises check $(EXERCISE_SETS)
	@$(BIN)/python -m pytest $(PARALLEL) $(NBVAL) --ignore=tests/browser tests notebooks solutions templates; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure, not a pass"; exit 1; fi; \
	exit $$rc

# a real Chromium driven by Playwright: the demos, the website, the in-browser course
test-browser: $(DATASETS_BUILT)
	@$(BIN)/python -c 'from course import browser; browser.chromium()' 2>/dev/null || \
		{ $(BIN)/python -c 'from course import browser; browser.chromium()' 2>&1 | tail -1; exit 1; }
	$(BIN)/python -m pytest tests/browser

# the unit tests that build nothing: a quick loop while changing the engine (make test runs all)
unit: $(INSTALLED)
	$(BIN)/python -m pytest -q -m "not slow" tests

datasets: $(INSTALLED)
	@rm -f $(DATASETS_BUILT)
	@$(MAKE) --no-print-directory $(DATASETS_BUILT)

contents: $(INSTALLED)
	$(BIN)/python -m course.contents write

exercises: contents
	$(BIN)/python -m course.exercises write $(EXERCISE_SETS)

# Re-run stored notebooks top to bottom and save them with their outputs, e.g.
# make notebooks NOTEBOOKS=notebooks/01_customer_database.ipynb (default: all of them).
NOTEBOOKS ?= $(wildcard notebooks/*.ipynb solutions/*.ipynb templates/*.ipynb tests/fixtures/minicourse/solutions/*.ipynb)
notebooks: $(DATASETS_BUILT)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.record_timing=False --ExecutePreprocessor.timeout=600 $(NOTEBOOKS)
	$(MAKE) --no-print-directory exercises

# each statistic a lesson leans on, beside a real reference (two more seeds built in a temp folder)
realism: $(DATASETS_BUILT)
	$(BIN)/python -m generator.realism --out datasets/REALISM.md

bench: $(DATASETS_BUILT)
	$(BIN)/python benchmarks/run.py

lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	.lock-venv/bin/python -m pip check
	{ echo "# Exact versions the stored notebook outputs were made with. Written by make lock."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	rm -rf .lock-venv
	@echo "constraints.txt updated: re-run the notebooks (make test) so their stored outputs match"

clean:
	rm -rf $(VENV) $(DATASETS_BUILT) .pytest_cache .ruff_cache
	find datasets -name '*.sqlite' -o -name '*.parquet' | xargs rm -f
