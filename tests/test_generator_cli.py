"""The generator's command line answers bad input with one clear line and exit status 2."""

import subprocess
import sys

from conftest import ROOT


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_unknown_industry_is_refused_clearly():
    result = run("build", "insurance")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2
    assert len(lines) == 1 and "unknown industry 'insurance'" in lines[0]


def test_help_explains_the_build_command():
    result = run("build", "--help")
    assert result.returncode == 0
    assert "INDUSTRY" in result.stdout and "--out" in result.stdout
