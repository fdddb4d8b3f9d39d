# The course's commands, short form: `make lab` to study, `make test` to check everything.
# Each target is `python -m course <target>` (course/commands.py does the work), so the two
# forms are the same code; where make is missing (Windows), run `py -m course lab` instead.
# Both start from nothing but Python 3.11+: they create .venv, install the pinned versions
# from constraints.txt and build the datasets when needed.
#
# A new command is a function in course/commands.py and its name in COMMANDS below (and, if
# make passes it a variable, a line `name: ARGS = ...` as for lab and test).

PYTHON ?= python3
VENV ?= .venv
COURSE = $(PYTHON) -m course --venv $(VENV)
COMMANDS := help setup install datasets lab instructor lint test test-browser demos site lite \
	unit notebooks contents exercises bench realism lock clean

# Extra options for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
# Parallel test workers (pytest-xdist); each notebook and each test file stays in one worker,
# but for the notebook runs on other data (the groups of tests a worker takes: conftest.py).
# Three on two cores: while a worker waits for a notebook's kernel to start or for a server,
# the third keeps the cores busy (measured: 17 min 39 s of tests against 19 min 57 s with two;
# a fourth kept them no busier: 88 % of two cores with three workers or four).
TEST_WORKERS ?= 3
# The notebooks `make notebooks` re-runs, e.g. NOTEBOOKS=notebooks/01_customer_database.ipynb
# (default: all the stored ones).
NOTEBOOKS ?=

# each command's arguments from make's variables (none unless set here)
ARGS :=
lab instructor: ARGS = -- $(LAB_ARGS)
# the demos' port, e.g. make demos PORT=9000
demos: ARGS = $(if $(PORT),--port $(PORT))
test: ARGS = --workers $(TEST_WORKERS)
notebooks: ARGS = $(NOTEBOOKS)

.DEFAULT_GOAL := help
.PHONY: $(COMMANDS) FORCE

$(COMMANDS):
	@$(COURSE) $@ $(ARGS)

# the stamps, for a target that needs the environment or the databases first (the course
# decides whether they are out of date)
INSTALLED := $(VENV)/.installed
DATASETS_BUILT := datasets/.complete
$(INSTALLED): FORCE
	@$(COURSE) setup
$(DATASETS_BUILT): FORCE
	@$(COURSE) datasets --when-stale
