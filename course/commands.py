"""What ``python -m course COMMAND`` does (and ``make COMMAND``, which calls it).

Each command starts from nothing but Python: it creates the virtual environment, installs the
pinned versions from constraints.txt when pyproject.toml, constraints.txt or the Jupyter
configuration changed since the last install (stamp ``<venv>/.installed``), and builds the
databases when the generator changed since the last build (stamp ``datasets/.complete``).
The demos, the website and the browser tests also install the ``web`` extra, the first time
they run (stamp ``<venv>/.installed-web``): studying and testing the course never need it.

Only the standard library here, and nothing shell-only: it runs on Windows, macOS and Linux
with the computer's own Python, before anything is installed. A new command is one function
with the :func:`command` decorator (and one name in the Makefile's COMMANDS)."""

import argparse
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(".venv")
DATASETS_BUILT = Path("datasets/.complete")
FIRST_NOTEBOOK = "notebooks/00_welcome.ipynb"
#: what the install depends on, besides the Jupyter configuration it writes (below)
INSTALL_SOURCES = ("pyproject.toml", "constraints.txt")
#: the Jupyter configuration the install writes into the environment: file in the course ->
#: place in the environment. The student's JupyterLab: no news prompt, and none of nbgrader's
#: instructor tools (formgrader, create assignment, course list); `instructor` turns them on.
JUPYTER_CONFIG = {
    "config/jupyterlab-overrides.json": "share/jupyter/lab/settings/overrides.json",
    "config/student/labconfig/page_config.json": "etc/jupyter/labconfig/page_config.json",
    "config/student/jupyter_server_config.json": "etc/jupyter/jupyter_server_config.json",
}
#: read by the `instructor` command's JupyterLab before the environment's configuration
INSTRUCTOR_CONFIG = Path("config/instructor")
#: the databases are built again when one of these is newer than the last build
DATASET_SOURCES = ("generator/**/*.py", "generator/**/*.json", "generator/**/*.csv")
DATASET_BUILDER = "course/datasets.py"
#: solution notebooks and the exercise notebooks written from them (pairs of folders)
EXERCISE_SETS = (
    "solutions:exercises",
    "tests/fixtures/minicourse/solutions:tests/fixtures/minicourse/exercises",
)
NBVAL = ("--nbval", "--nbval-sanitize-with", "tests/nbval-sanitize.cfg")
TEST_PATHS = ("tests", "notebooks", "solutions", "templates")
#: the notebooks `notebooks` re-runs when none is named
STORED_NOTEBOOKS = (
    "notebooks/*.ipynb",
    "solutions/*.ipynb",
    "templates/*.ipynb",
    "tests/fixtures/minicourse/solutions/*.ipynb",
)
NO_TESTS = 5  # pytest's exit status when it collected no tests


class Failure(Exception):
    """What went wrong, in one sentence, and the exit status to leave with."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------------------------------------
# Pure helpers: where things are, and whether a stamp is stale


def scripts_dir(venv: Path, platform: str = sys.platform) -> Path:
    """The folder of a virtual environment's programs: ``Scripts`` on Windows, else ``bin``."""
    return venv / ("Scripts" if platform == "win32" else "bin")


def venv_python(venv: Path, platform: str = sys.platform) -> Path:
    """A virtual environment's Python (``Scripts\\python.exe`` on Windows, else
    ``bin/python``)."""
    return scripts_dir(venv, platform) / ("python.exe" if platform == "win32" else "python")


def venv_program(venv: Path, name: str, platform: str = sys.platform) -> Path:
    """A program a package installed into the environment, such as ``ruff``."""
    return scripts_dir(venv, platform) / (f"{name}.exe" if platform == "win32" else name)


def stale(stamp: Path, sources: Iterable[Path]) -> bool:
    """Whether ``stamp`` must be made again, as make decides: it is missing, or one of its
    sources was changed after it."""
    if not stamp.exists():
        return True
    made = stamp.stat().st_mtime
    return any(source.stat().st_mtime > made for source in sources if source.exists())


def found(patterns: Iterable[str], root: Path = ROOT) -> list[Path]:
    """The files matching glob ``patterns`` under ``root``, each pattern's matches sorted."""
    return [path for pattern in patterns for path in sorted(root.glob(pattern)) if path.is_file()]


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def is_root() -> bool:
    """Whether this runs as root (POSIX; never on Windows), where JupyterLab needs
    ``--allow-root``."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


# ---------------------------------------------------------------------------------------------
# Running programs


def shown(args: Iterable) -> str:
    """A command line as make would show it: the course's own files relative to its folder."""

    def short(arg):
        if isinstance(arg, Path) and arg.is_relative_to(ROOT):
            return str(arg.relative_to(ROOT))
        return str(arg)

    return subprocess.list2cmdline([short(arg) for arg in args])


def course_environment() -> dict:
    """The environment the course's programs run in: this one, except that Python may keep
    the modules it compiles. Where it is told not to (PYTHONDONTWRITEBYTECODE, set in many
    containers), every kernel, test worker and build would compile pandas and the rest again
    each time it starts, and pytest would rewrite every test module again in each worker. The
    compiled files go into the course's own environment and its ignored __pycache__ folders."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run(*args, quiet: bool = False, env: dict | None = None) -> None:
    """Run a program in the course folder (shown first, as make shows it, unless ``quiet``),
    in ``env`` (default :func:`course_environment`); a :class:`Failure` with its exit status
    when it fails."""
    if not quiet:
        print(shown(args), flush=True)
    env = course_environment() if env is None else env
    status = subprocess.run([str(arg) for arg in args], cwd=ROOT, env=env).returncode
    if status:
        raise Failure(f"{shown(args)} failed (exit status {status})", status)


def output(*args) -> str:
    return subprocess.run(
        [str(arg) for arg in args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def pytest(context: "Context", *args) -> None:
    """pytest in the environment; collecting no tests is a failure, not a pass."""
    try:
        run(context.python, "-m", "pytest", *args)
    except Failure as failure:
        if failure.status == NO_TESTS:
            raise Failure("pytest collected no tests: that is a failure, not a pass") from None
        raise


def foreground(args: list, env: dict) -> int:
    """Run a long-lived program (JupyterLab) in the course folder and wait for it. Ctrl+C is
    the program's to answer (JupyterLab asks whether to stop), so it is ignored here; a stop
    sent to this process (SIGTERM) stops the program too."""
    print(shown(args), flush=True)

    def wait_on(signum, frame):  # a handler, not SIG_IGN: the program would inherit that
        pass

    interrupt = signal.signal(signal.SIGINT, wait_on)
    child = subprocess.Popen([str(arg) for arg in args], cwd=ROOT, env=env)

    def stop(signum, frame):
        child.terminate()

    terminate = signal.signal(signal.SIGTERM, stop)
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, terminate)
        if child.poll() is None:
            child.terminate()
            child.wait()


# ---------------------------------------------------------------------------------------------
# The steps commands share


@dataclass
class Context:
    """Where the commands work: the virtual environment (relative to the course folder)."""

    venv: Path = VENV

    @property
    def folder(self) -> Path:
        return ROOT / self.venv

    @property
    def python(self) -> Path:
        return venv_python(self.folder)

    @property
    def stamp(self) -> Path:
        return self.folder / ".installed"

    @property
    def web_stamp(self) -> Path:
        return self.folder / ".installed-web"

    def program(self, name: str) -> Path:
        return venv_program(self.folder, name)


def can_make_venvs() -> None:
    """A Failure naming what to install when this Python cannot create virtual environments
    (Debian and Ubuntu ship venv's pip separately)."""
    if importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None:
        raise Failure(
            f"{sys.executable} cannot create virtual environments: its venv module is missing "
            "(Debian/Ubuntu: sudo apt install python3-venv; elsewhere install Python from "
            "python.org)"
        )


def install_sources() -> list[Path]:
    return [ROOT / name for name in (*INSTALL_SOURCES, *JUPYTER_CONFIG)]


def install(context: Context, web: bool = False) -> None:
    """Create the environment and install the pinned versions, when anything they come from
    changed since the last install; with ``web``, also the web extra (Voila, Sphinx,
    Playwright: the demos, the website and the browser tests)."""
    sources = install_sources()
    environment_stale = stale(context.stamp, sources)
    if not environment_stale and not (web and stale(context.web_stamp, sources)):
        return
    if not context.python.exists():
        can_make_venvs()
        run(sys.executable, "-m", "venv", context.venv, quiet=True)
    python = context.python
    # nothing compiled now: a module is compiled when first imported, and kept (see
    # course_environment), so only what the course imports is compiled, once. -qq: pip's
    # errors only (setuptools warns about every editable install of a folder like ours)
    pip = ("-m", "pip", "install", "-qq", "--no-compile", "--disable-pip-version-check")
    # pip itself first, at its pinned version: the one a new venv brings can be years old and
    # resolves the pinned set in twice the time
    run(python, *pip, "-c", "constraints.txt", "pip")
    run(python, *pip, "-c", "constraints.txt", "-e", ".[dev,web]" if web else ".[dev]")
    write_jupyter_config(context.folder)
    if environment_stale:  # adding the web extra changes nothing the databases are built with
        touch(context.stamp)
    if web:
        touch(context.web_stamp)


def write_jupyter_config(venv: Path) -> None:
    for source, place in JUPYTER_CONFIG.items():
        target = venv / place
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, target)


def datasets_stale(context: Context) -> bool:
    sources = [context.stamp, ROOT / DATASET_BUILDER, *found(DATASET_SOURCES)]
    return stale(ROOT / DATASETS_BUILT, sources)


def build_datasets(context: Context) -> None:
    """The four databases (retail and auto also with their source systems' extracts, with
    errors) and the hotel chain, under datasets/."""
    run(context.python, "-m", "course.datasets", "--out", "datasets", "--quiet")
    touch(ROOT / DATASETS_BUILT)


def datasets_ready(context: Context, web: bool = False) -> None:
    """Installed (with the web extra if ``web``), and the databases built from the generator
    as it is now."""
    install(context, web)
    if datasets_stale(context):
        build_datasets(context)


# ---------------------------------------------------------------------------------------------
# The commands


@dataclass
class Command:
    name: str
    summary: str
    function: Callable
    options: Callable | None = None  # adds the command's options to its parser
    extra: bool = False  # takes arguments after `--` for the program it runs


COMMANDS: dict[str, Command] = {}
ALIASES = {"install": "setup"}


def command(summary: str, options: Callable | None = None, extra: bool = False):
    """Register the decorated ``function(context, arguments)`` as a command named after it
    (underscores become dashes)."""

    def register(function):
        name = function.__name__.replace("_", "-")
        COMMANDS[name] = Command(name, summary, function, options, extra)
        return function

    return register


@command("show the commands")
def help(context, arguments):
    print(usage())


@command("create .venv and install the pinned versions, when they changed (or: install)")
def setup(context, arguments):
    install(context)


def when_stale(parser):
    parser.add_argument(
        "--when-stale",
        action="store_true",
        help="only when the generator changed since the last build (as lab and test do)",
    )


@command("rebuild the default databases under datasets/", when_stale)
def datasets(context, arguments):
    if arguments.when_stale:
        datasets_ready(context)
        return
    install(context)
    (ROOT / DATASETS_BUILT).unlink(missing_ok=True)
    build_datasets(context)


def lab_environment(context: Context, instructor: bool = False) -> dict:
    """The environment JupyterLab runs in: the course's programs first on the PATH (a
    terminal in JupyterLab finds them; nbgrader runs alembic from there); the instructor's
    Jupyter configuration before the environment's, when asked."""
    env = course_environment()
    env["PATH"] = os.pathsep.join([str(context.python.parent), env.get("PATH", "")])
    if instructor:
        paths = [str(ROOT / INSTRUCTOR_CONFIG), env.get("JUPYTER_CONFIG_PATH", "")]
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(path for path in paths if path)
    return env


def jupyterlab(context: Context, arguments, instructor: bool = False) -> int:
    """JupyterLab on the course: the course folder is the file browser's root and the first
    notebook opens in it; as root it needs --allow-root (in a container one often is root)."""
    datasets_ready(context)
    args = [
        context.python,
        "-m",
        "jupyterlab",
        "--ServerApp.root_dir=.",
        f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}",
        *(["--allow-root"] if is_root() else []),
        *arguments.extra,
    ]
    return foreground(args, lab_environment(context, instructor))


@command("set everything up and open the course in JupyterLab", extra=True)
def lab(context, arguments):
    return jupyterlab(context, arguments)


@command("the same JupyterLab with nbgrader's instructor tools (formgrader)", extra=True)
def instructor(context, arguments):
    return jupyterlab(context, arguments, instructor=True)


@command("ruff: the code's errors and its format")
def lint(context, arguments):
    install(context)
    run(context.program("ruff"), "check", ".")
    run(context.program("ruff"), "format", "--check", ".")


def workers(parser):
    parser.add_argument(
        "--workers",
        default=os.environ.get("TEST_WORKERS", "3"),
        help="parallel test workers (pytest-xdist; default TEST_WORKERS or 3); each notebook "
        "and each test file stays in one worker, but for the notebook runs on other data (the "
        "groups: conftest.py)",
    )


@command("set everything up and run every check (lint, tests, notebooks, exercises)", workers)
def test(context, arguments):
    lint(context, arguments)
    datasets_ready(context)
    run(context.python, "-m", "course.exercises", "check", *EXERCISE_SETS)
    parallel = ("-n", arguments.workers, "--dist", "loadgroup")  # groups: conftest.py
    pytest(context, *parallel, *NBVAL, "--ignore=tests/browser", *TEST_PATHS)


@command("run the browser tests (needs Chromium or Chrome installed)")
def test_browser(context, arguments):
    """A real Chromium driven by Playwright: the demos, the website, the in-browser course."""
    from course import browser

    try:
        browser.chromium()
    except browser.BrowserMissing as missing:
        raise Failure(str(missing)) from None
    datasets_ready(context, web=True)
    pytest(context, "-n", "2", "--dist", "loadfile", "tests/browser")


def port(default: int):
    def options(parser):
        parser.add_argument("--port", type=int, default=default, help=f"(default {default})")
        parser.add_argument(
            "--no-browser", action="store_true", help="serve without opening a browser"
        )

    return options


@command("serve every chapter's classroom demo as a Voila app, with an index", port(8866))
def demos(context, arguments):
    """The widgets of the lessons with no code shown, on one local port (course/demos.py)."""
    datasets_ready(context, web=True)
    shown = ["--no-browser"] if arguments.no_browser else []
    serve = [context.python, "-m", "course.demos", "serve", "--port", str(arguments.port)]
    return foreground([*serve, *shown], lab_environment(context))


@command("build the in-browser course (JupyterLite, nothing installed) into _lite/")
def lite(context, arguments):
    """JupyterLite with Pyodide, served from _lite/ (course/lite.py, docs/jupyterlite.md)."""
    datasets_ready(context)
    run(context.python, "-m", "course.lite", "build")


@command("build the course website in _site/ from the stored notebooks (offline)")
def site(context, arguments):
    """Sphinx, MyST-NB and the Sphinx Book Theme (course/site.py); open _site/index.html."""
    install(context, web=True)
    run(context.python, "-m", "course.site", "--out", "_site")


@command("run the fast unit tests only (no databases built, no notebooks), in seconds")
def unit(context, arguments):
    install(context)
    pytest(context, "-q", "-m", "not slow", "--ignore=tests/browser", "tests")


def notebook_names(parser):
    parser.add_argument(
        "notebooks", nargs="*", help="the notebooks to re-run (default: all the stored ones)"
    )


@command("re-run the stored notebooks and save their outputs", notebook_names)
def notebooks(context, arguments):
    datasets_ready(context)
    chosen = arguments.notebooks or [path.relative_to(ROOT) for path in found(STORED_NOTEBOOKS)]
    run(
        context.python,
        "-m",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--inplace",
        "--ExecutePreprocessor.record_timing=False",
        "--ExecutePreprocessor.timeout=600",
        *chosen,
    )
    exercises(context, arguments)


@command("write the course map, the navigation links and the instructor guide's facts")
def contents(context, arguments):
    install(context)
    run(context.python, "-m", "course.contents", "write")


@command("write exercises/ from solutions/ (after contents)")
def exercises(context, arguments):
    contents(context, arguments)
    run(context.python, "-m", "course.exercises", "write", *EXERCISE_SETS)


@command("run the benchmarks and print their figures")
def bench(context, arguments):
    datasets_ready(context)
    run(context.python, "benchmarks/run.py")


@command("measure how real the databases behave (datasets/REALISM.md)")
def realism(context, arguments):
    """Each statistic a lesson leans on, beside a real reference (two more seeds built in a
    temporary folder)."""
    datasets_ready(context)
    run(context.python, "-m", "generator.realism", "--out", "datasets/REALISM.md")


@command("re-resolve the pinned versions in constraints.txt")
def lock(context, arguments):
    can_make_venvs()
    folder = ROOT / ".lock-venv"
    shutil.rmtree(folder, ignore_errors=True)
    try:
        run(sys.executable, "-m", "venv", folder)
        python = venv_python(folder)
        pip = (python, "-m", "pip")
        run(*pip, "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip")
        run(*pip, "install", "--quiet", "--disable-pip-version-check", "-e", ".[dev,web]")
        run(*pip, "check")
        # pip freeze leaves pip out; the install pins it too (it installs pip first)
        pip_version = output(*pip, "--version").split()[1]
        frozen = output(*pip, "freeze", "--exclude-editable").splitlines()
        pins = "\n".join(sorted([*frozen, f"pip=={pip_version}"], key=str.lower))
        header = (
            "# Exact versions the stored notebook outputs were made with. Written by make lock."
        )
        (ROOT / "constraints.txt").write_text(f"{header}\n{pins}\n", encoding="utf-8")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("constraints.txt updated: re-run the notebooks (make test) so their stored outputs match")


@command("remove .venv and built files")
def clean(context, arguments):
    for folder in (context.folder, ROOT / ".pytest_cache", ROOT / ".ruff_cache"):
        shutil.rmtree(folder, ignore_errors=True)
    (ROOT / DATASETS_BUILT).unlink(missing_ok=True)
    for path in found(("datasets/**/*.sqlite", "datasets/**/*.parquet")):
        path.unlink()


# ---------------------------------------------------------------------------------------------
# The command line


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        "The course's commands (run them in the course folder):",
        "",
        "  python -m course COMMAND      (Windows: py -m course COMMAND; or make COMMAND)",
        "",
    ]
    lines += [f"  {name:<{width}}  {c.summary}" for name, c in COMMANDS.items()]
    lines += [
        "",
        "JupyterLab's own options go after --, e.g. python -m course lab -- --no-browser "
        "--port 8899",
        "Options: --venv DIR (the environment, default .venv); COMMAND --help for a command's.",
    ]
    return "\n".join(lines)


class Parser(argparse.ArgumentParser):
    """Errors as one sentence (a Failure), not a usage block."""

    def error(self, message):
        raise Failure(f"{self.prog}: {message} (python -m course help lists the commands)", 2)


def parse(argv: list[str]) -> tuple[Command, Context, argparse.Namespace]:
    argv = list(argv)
    venv = VENV
    while argv[:1] == ["--venv"] or argv[:1] and argv[0].startswith("--venv="):
        if argv[0] == "--venv":
            if len(argv) < 2:
                raise Failure("--venv needs a folder, e.g. --venv .venv", 2)
            venv, argv = Path(argv[1]), argv[2:]
        else:
            venv, argv = Path(argv[0].split("=", 1)[1]), argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        argv = ["help"]
    name = ALIASES.get(argv[0], argv[0])
    if name not in COMMANDS:
        raise Failure(
            f"unknown command {argv[0]!r}; the commands are {', '.join(COMMANDS)} "
            "(python -m course help says what each does)",
            2,
        )
    chosen = COMMANDS[name]
    rest = argv[1:]
    extra = []
    if "--" in rest:
        at = rest.index("--")
        rest, extra = rest[:at], rest[at + 1 :]
        if not chosen.extra:
            raise Failure(f"{name} takes no arguments after --", 2)
    parser = Parser(prog=f"python -m course {name}", description=chosen.summary)
    if chosen.options:
        chosen.options(parser)
    arguments, unknown = parser.parse_known_args(rest)
    if unknown:
        message = f"{name}: unrecognized arguments: {' '.join(unknown)}"
        if chosen.extra:
            message += (
                f" (JupyterLab's go after --: python -m course {name} -- {' '.join(unknown)})"
            )
        raise Failure(message, 2)
    arguments.extra = extra
    return chosen, Context(venv), arguments


def main(argv: list[str]) -> int:
    try:
        chosen, context, arguments = parse(argv)
        return chosen.function(context, arguments) or 0
    except Failure as failure:
        print(f"error: {failure}", file=sys.stderr)
        return failure.status
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
