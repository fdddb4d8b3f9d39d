"""`python -m course COMMAND`: the course's commands with nothing but Python (make calls them)."""

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course import commands

from conftest import ROOT


def course(*args, python=(sys.executable,), **kwargs) -> subprocess.CompletedProcess:
    """``python -m course ARGS`` in a fresh process, its output captured."""
    return subprocess.run(
        [*python, "-m", "course", *args], cwd=ROOT, capture_output=True, text=True, **kwargs
    )


def test_it_runs_on_the_standard_library_alone():
    """No site-packages (-S) and no PYTHONPATH (-E): the computer's own Python, before
    anything is installed, can run it."""
    result = course("--help", python=(sys.executable, "-E", "-S"))
    assert result.returncode == 0, result.stderr
    assert "lab" in result.stdout and "test" in result.stdout


def test_it_imports_nothing_outside_the_standard_library():
    """Every module loaded to run a command line is the standard library's or the course's
    own (course/__init__.py imports nothing)."""
    script = (
        "import sys\n"
        "from course import __main__, commands\n"
        "commands.parse(['lab', '--', '--no-browser'])\n"
        "outside = sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)"
        " - {'course', '__main__'})\n"
        "print(outside)\n"
    )
    result = subprocess.run(
        [sys.executable, "-E", "-S", "-c", script], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "platform, python, ruff",
    [
        ("win32", r"Scripts\python.exe", r"Scripts\ruff.exe"),
        ("linux", "bin/python", "bin/ruff"),
        ("darwin", "bin/python", "bin/ruff"),
    ],
)
def test_the_environments_programs_on_each_platform(platform, python, ruff):
    venv = Path(".venv")
    expected = [venv / Path(*re.split(r"[\\/]", p)) for p in (python, ruff)]
    found = [commands.venv_python(venv, platform), commands.venv_program(venv, "ruff", platform)]
    assert found == expected


def test_a_stamp_is_stale_when_missing_or_older_than_a_source(tmp_path):
    stamp, source = tmp_path / ".installed", tmp_path / "constraints.txt"
    source.write_text("x")
    assert commands.stale(stamp, [source])  # never made
    stamp.touch()
    now = time.time()
    os.utime(source, (now - 60, now - 60))
    os.utime(stamp, (now - 30, now - 30))
    assert not commands.stale(stamp, [source])
    os.utime(source, (now, now))  # changed since
    assert commands.stale(stamp, [source])


def test_the_install_depends_on_what_it_installs_from():
    sources = {path.relative_to(ROOT).as_posix() for path in commands.install_sources()}
    assert {"pyproject.toml", "constraints.txt", "config/jupyterlab-overrides.json"} <= sources
    assert all((ROOT / source).is_file() for source in sources)


def test_the_web_extra_is_installed_only_by_the_commands_that_need_it(tmp_path, monkeypatch):
    """lab and test install the course without Voila, Sphinx and Playwright; demos, site and
    test-browser add them once (their own stamp); a change to what the install comes from
    installs again."""
    installs = []

    def run(*args, quiet=False, env=None):
        if args[1:4] == ("-m", "pip", "install"):
            installs.append(args[-1])

    source = tmp_path / "constraints.txt"
    source.write_text("x")
    os.utime(source, (time.time() - 60, time.time() - 60))
    monkeypatch.setattr(commands, "install_sources", lambda: [source])
    monkeypatch.setattr(commands, "run", run)
    monkeypatch.setattr(commands, "write_jupyter_config", lambda venv: None)
    context = commands.Context(venv=tmp_path / "venv")
    context.python.parent.mkdir(parents=True)
    context.python.touch()  # the environment exists
    commands.install(context)
    commands.install(context)
    made = context.stamp.stat().st_mtime_ns
    for web in (True, True, False):
        commands.install(context, web)
    assert installs == ["pip", ".[dev]", "pip", ".[dev,web]"]  # pip itself first, pinned
    # the databases depend on the environment's stamp: adding the web extra leaves it be
    assert context.stamp.stat().st_mtime_ns == made
    for stamp in (context.stamp, context.web_stamp):  # the source changed since
        os.utime(stamp, (time.time() - 120, time.time() - 120))
    commands.install(context, web=True)
    commands.install(context)
    assert installs == ["pip", ".[dev]", "pip", ".[dev,web]", "pip", ".[dev,web]"]


def test_the_test_workers_groups(monkeypatch):
    """A worker takes a file at a time (a notebook's cells in order, a module's fixtures once),
    but the files that work out the answer keys together, and each run on other data alone."""
    asked = []
    for step in ("lint", "datasets_ready", "run"):
        monkeypatch.setattr(commands, step, lambda *args, **kwargs: None)
    monkeypatch.setattr(commands, "pytest", lambda context, *args: asked.extend(args))
    commands.test(commands.Context(), argparse.Namespace(workers="3"))
    assert asked[:4] == ["-n", "3", "--dist", "loadgroup"]  # the groups below
    spec = importlib.util.spec_from_file_location("suite_setup", ROOT / "conftest.py")
    suite_setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite_setup)
    group = suite_setup.group
    assert group("notebooks/05_k.ipynb::Cell 3") == group("notebooks/05_k.ipynb::Cell 9")
    assert group("tests/test_retail.py::test_a[default]") == "tests/test_retail.py"
    keys = {
        group("tests/test_checks.py::test_right[ch05.margin]"),
        group("tests/test_hidden_tests.py::test_hidden[05.ipynb:margin]"),
        group("tests/test_guide.py::test_every_page_is_up_to_date_with_the_notebooks"),
        group("tests/test_ch05_wrong_answers.py::test_margin"),
        group("tests/test_c4_wrong_answers.py::test_trade_in_list"),
    }
    assert len(keys) == 1
    runs = [f"tests/test_notebooks_on_another_seed.py::test_runs[0{n}.ipynb0]" for n in (1, 2)]
    assert group(runs[0]) != group(runs[1])


def test_the_databases_depend_on_the_generators_sources():
    sources = {p.relative_to(ROOT).as_posix() for p in commands.found(commands.DATASET_SOURCES)}
    assert "generator/builder.py" in sources
    assert any(name.endswith(".json") for name in sources)
    assert any(name.endswith(".csv") for name in sources)


def test_an_unknown_command_is_one_message_and_a_failure():
    result = course("lba")
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "unknown command 'lba'" in result.stderr


def test_jupyterlabs_options_go_after_two_dashes():
    _, _, arguments = commands.parse(["lab", "--", "--no-browser", "--port", "8899"])
    assert arguments.extra == ["--no-browser", "--port", "8899"]
    with pytest.raises(commands.Failure, match="go after --"):
        commands.parse(["lab", "--no-browser"])
    with pytest.raises(commands.Failure, match="no arguments after --"):
        commands.parse(["unit", "--", "-k", "x"])


def test_the_test_workers_come_from_the_option_or_test_workers(monkeypatch):
    monkeypatch.delenv("TEST_WORKERS", raising=False)
    assert commands.parse(["test"])[2].workers == "3"
    assert commands.parse(["test", "--workers", "4"])[2].workers == "4"
    monkeypatch.setenv("TEST_WORKERS", "2")
    assert commands.parse(["test"])[2].workers == "2"


def test_a_python_too_old_is_told_before_anything_else():
    """The version check comes first: nothing else of the course is imported before it."""
    script = (
        "import runpy, sys\n"
        "sys.version_info = (3, 9, 18, 'final', 0)\n"
        "sys.argv = ['course', 'nonsense']\n"
        "runpy.run_module('course', run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-E", "-S", "-c", script], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().endswith("is Python 3.9.18.")
    assert "needs Python 3.11 or newer" in result.stderr and result.stderr.count("\n") == 1


def test_a_missing_venv_module_is_named(monkeypatch):
    real = commands.importlib.util.find_spec
    monkeypatch.setattr(
        commands.importlib.util,
        "find_spec",
        lambda name: None if name == "ensurepip" else real(name),
    )
    with pytest.raises(commands.Failure, match="python3-venv"):
        commands.can_make_venvs()


def test_collecting_no_tests_fails(monkeypatch, capsys):
    monkeypatch.setattr(
        commands.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 5)
    )
    with pytest.raises(commands.Failure, match="collected no tests") as failure:
        commands.pytest(commands.Context(), "tests")
    assert failure.value.status == 1


def make_dry_run(*args) -> str:
    """What make would run (make -n), with the Makefile's own defaults."""
    variables = {"PYTHON", "VENV", "LAB_ARGS", "TEST_WORKERS", "NOTEBOOKS", "MAKEFLAGS"}
    env = {key: value for key, value in os.environ.items() if key not in variables}
    return subprocess.run(
        ["make", "-n", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()


def makefile_targets() -> dict[str, str]:
    """The Makefile's COMMANDS, each with the recipe make would run for it (make -n)."""
    text = (ROOT / "Makefile").read_text()
    names = re.search(r"^COMMANDS :=((?:.*\\\n)*.*)$", text, re.M).group(1)
    return {name: make_dry_run(name) for name in names.replace("\\\n", " ").split()}


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_every_make_target_is_the_python_command():
    targets = makefile_targets()
    assert {"lab", "test", "test-browser", "unit", "lint", "datasets"} <= set(targets)
    for name, recipe in targets.items():
        assert recipe.startswith(f"python3 -m course --venv .venv {name}"), (name, recipe)
        assert commands.ALIASES.get(name, name) in commands.COMMANDS, name
    # and every command has its make target
    assert set(commands.COMMANDS) <= set(targets)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_makes_variables_reach_the_python_command():
    dry = make_dry_run
    assert dry("lab", "LAB_ARGS=--no-browser --port 8899").endswith(
        "lab -- --no-browser --port 8899"
    )
    assert dry("test", "TEST_WORKERS=4").endswith("test --workers 4")
    assert dry("test").endswith("test --workers 3")
    assert dry("notebooks", "NOTEBOOKS=notebooks/a.ipynb").endswith("notebooks notebooks/a.ipynb")


def test_the_instructor_config_turns_on_what_the_students_turns_off():
    def read(path):
        return json.loads((ROOT / path).read_text())

    student, instructor = ROOT / "config" / "student", ROOT / commands.INSTRUCTOR_CONFIG
    lab = "labconfig/page_config.json"
    off = read(student / lab)["disabledExtensions"]
    assert off and all(off.values())
    assert read(instructor / lab)["disabledExtensions"] == dict.fromkeys(off, False)
    server = "jupyter_server_config.json"
    off = read(student / server)["ServerApp"]["jpserver_extensions"]
    assert "nbgrader.server_extensions.formgrader" in off and not any(off.values())
    on = read(instructor / server)["ServerApp"]["jpserver_extensions"]
    assert on == dict.fromkeys(off, True)
    # the install writes the student's into the environment
    installed = {
        source for source in commands.JUPYTER_CONFIG if source.startswith("config/student")
    }
    assert installed == {f"config/student/{lab}", f"config/student/{server}"}


def test_the_instructors_config_comes_first(monkeypatch):
    """JUPYTER_CONFIG_PATH is read before the environment's configuration, so the instructor's
    folder overrides the student's the install wrote; a folder already named there stays."""
    context = commands.Context()
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    assert "JUPYTER_CONFIG_PATH" not in commands.lab_environment(context)
    env = commands.lab_environment(context, instructor=True)
    assert env["JUPYTER_CONFIG_PATH"] == str(ROOT / "config" / "instructor")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "elsewhere")
    env = commands.lab_environment(context, instructor=True)
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [
        str(ROOT / "config" / "instructor"),
        "elsewhere",
    ]
    assert env["PATH"].split(os.pathsep)[0] == str(context.python.parent)


@pytest.mark.slow  # starts the commands in fresh processes
def test_an_up_to_date_course_is_neither_installed_nor_built_again():
    """`make test` brings the environment and the databases up to date before pytest starts;
    then neither command does anything. Out of date here (pytest run on its own), the test
    fails rather than rebuild: the databases would go from under the tests running beside it."""
    context = commands.Context()
    if commands.stale(context.stamp, commands.install_sources()):
        pytest.fail("the environment is out of date: run `python -m course setup` first")
    if commands.datasets_stale(context):
        pytest.fail("the databases are out of date: run `python -m course datasets` first")
    for args in (["setup"], ["datasets", "--when-stale"]):
        again = course(*args, check=True)
        assert again.stdout == again.stderr == "", args  # nothing run
