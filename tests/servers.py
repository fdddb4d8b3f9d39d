"""Servers the tests start (JupyterLab, Voila, a web server): on a free local port, until
they answer, stopped with their children afterwards; what they print goes to a file, never to
a pipe nobody reads (a full pipe would stop them)."""

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager

import pytest

from conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(command: list[str], url: str, *, cwd=ROOT, timeout: float = 180, env=None):
    """Run ``command`` (a server) until ``url`` answers; stop it and its children afterwards."""
    log = tempfile.TemporaryFile()  # a pipe nobody reads would fill and stop the server
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    if process.poll() is None:
                        os.killpg(process.pid, signal.SIGTERM)
                    log.seek(0)
                    said = log.read().decode(errors="replace")[-3000:]
                    pytest.fail(f"{' '.join(command)} did not serve {url}:\n{said}")
                time.sleep(0.5)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()
