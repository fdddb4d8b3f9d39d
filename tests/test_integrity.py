"""A damaged build is found and named: a missing, truncated or edited file (checked against
the manifest's sha256), by `generator verify` and by `generator.load` as it reads a table."""

import gzip
import shutil

import pytest

import generator
from generator import cli, integrity

from conftest import ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture
def bank(tmp_path):
    """A copy of the default bank build, as the build wrote it (no exports)."""
    folder = tmp_path / "bank"
    shutil.copytree(
        ROOT / "datasets" / "bank", folder, ignore=shutil.ignore_patterns("*.parquet", "*.sqlite")
    )
    return folder


def test_an_intact_build_verifies(bank, capsys):
    assert integrity.problems(bank) == []
    assert cli.main(["verify", str(bank.parent)]) == 0
    assert "ok:" in capsys.readouterr().out
    assert len(generator.load("bank", bank.parent)["customers"]) > 0


@pytest.mark.parametrize("damage", ["missing", "truncated", "edited"])
def test_a_damaged_file_is_named_by_verify_and_by_load(bank, damage, capsys):
    path = bank / "customers.csv.gz"
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:  # a value edited, the file still a valid gzipped CSV
        text = gzip.decompress(path.read_bytes()).replace(b",", b";", 1)
        path.write_bytes(gzip.compress(text, mtime=0))
    word = "missing" if damage == "missing" else "changed or truncated"
    (found,) = integrity.problems(bank)  # one file damaged, one problem
    assert word in found and "customers.csv.gz" in found
    assert cli.main(["verify", str(bank)]) == 1
    err = capsys.readouterr().err
    assert "damaged:" in err and "customers.csv.gz" in err and "make datasets" in err
    data = generator.load("bank", bank.parent)
    with pytest.raises(integrity.DamagedBuild, match=f"customers.csv.gz.*{word}|{word}"):
        data["customers"]
    assert len(data["accounts"]) > 0  # the intact tables still load


def test_a_damaged_export_is_named_when_read(bank):
    """A Parquet file made from the build (not in its manifest) that cannot be read is named,
    with what to do, instead of an Arrow error."""
    (bank / "customers.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(integrity.DamagedBuild, match="customers.parquet cannot be read"):
        generator.load("bank", bank.parent)["customers"]


def test_verify_refuses_a_folder_without_a_build(tmp_path, capsys):
    assert cli.main(["verify", str(tmp_path)]) == 2
    assert "no build" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text("{not json")
    assert "manifest.json is damaged" in integrity.problems(tmp_path)[0]
