"""A build in parts: the same bytes whatever writes them, read as one table, hashed part by part,
and never half-written."""

import errno
import json

import duckdb
import pandas as pd
import pytest

import generator
from generator import builder, parts
from generator.params import ParameterError

from conftest import files

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

INDUSTRIES = list(generator.INDUSTRIES)


def size(name):
    """Three blocks of the industry and part of a fourth: three parts of unequal length."""
    return dict(customers=builder.industry(name).block_size * 3 + 100, years=1)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Retail in 3 parts by 2 workers, and whole (one file per table)."""
    out = tmp_path_factory.mktemp("parts")
    generator.build(
        ["retail"], out / "parts", formats=("parquet",), parts=3, workers=2, **size("retail")
    )
    generator.build(["retail"], out / "whole", formats=("parquet",), **size("retail"))
    return out / "parts" / "retail", out / "whole" / "retail"


def test_the_parts_are_the_same_bytes_whatever_the_number_of_workers(built, tmp_path):
    generator.build(
        ["retail"], tmp_path, formats=("parquet",), parts=3, workers=1, **size("retail")
    )
    assert files(tmp_path / "retail") == files(built[0])


def test_each_customer_table_is_a_folder_of_parts_and_the_reference_tables_one_file(built):
    folder, _ = built
    assert sorted(p.name for p in (folder / "transactions").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    assert (folder / "stores.parquet").is_file()
    assert (folder / "_truth" / "customer_truth").is_dir()
    assert not list(folder.rglob(".*"))  # no unfinished part left behind


def test_the_manifest_lists_and_hashes_every_part_and_counts_every_row(built):
    folder, whole = built
    manifest = json.loads((folder / "manifest.json").read_text())
    written = {k: v for k, v in files(folder).items() if k != "manifest.json"}
    assert manifest["files"] == written
    assert manifest["parameters"]["parts"] == 3
    assert manifest["rows"] == json.loads((whole / "manifest.json").read_text())["rows"]


def test_load_reads_a_table_in_parts_as_the_whole_build_has_it(built):
    folder, whole = built
    parted, one = generator.load("retail", folder.parent), generator.load("retail", whole.parent)
    for table in ("customers", "transactions", "transaction_items", "stores"):
        pd.testing.assert_frame_equal(parted[table], one[table], check_exact=True)
    pd.testing.assert_frame_equal(
        parted.truth("future_purchases"), one.truth("future_purchases"), check_exact=True
    )


def test_duckdb_and_pandas_read_the_parts_of_a_table_as_one(built):
    folder, whole = built
    query = "SELECT COUNT(*), ROUND(SUM(total), 2) FROM read_parquet('{}')"
    parted = duckdb.sql(query.format(folder / "transactions" / "*.parquet")).fetchall()[0]
    assert parted == duckdb.sql(query.format(whole / "transactions.parquet")).fetchall()[0]
    assert len(pd.read_parquet(folder / "transactions")) == parted[0]


def test_a_missing_or_edited_part_is_named(built, tmp_path):
    import shutil

    from generator import integrity

    copy = tmp_path / "retail"
    shutil.copytree(built[0], copy)
    (copy / "transactions" / "part-00001.parquet").unlink()
    with (copy / "customers" / "part-00002.parquet").open("ab") as file:
        file.write(b"x")
    found = integrity.problems(copy)
    assert len(found) == 2
    assert "transactions/part-00001.parquet is missing" in found[1]
    assert "customers/part-00002.parquet was changed" in found[0]
    ds = generator.load("retail", tmp_path)
    with pytest.raises(integrity.DamagedBuild, match="part-00001.parquet is missing"):
        ds["transactions"]


def test_more_parts_than_blocks_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(
        ParameterError, match=r"parts \(5\) cannot be more than .* blocks of customers \(4 of"
    ):
        generator.build(["retail"], tmp_path, parts=5, **size("retail"))
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_in_a_part_leaves_the_old_build_and_no_part(built, tmp_path, monkeypatch):
    """A part that fails (here: the disk fills as it is written) fails the build; the older
    build stays as it was and nothing of the new one is left."""
    from generator import writers

    generator.build(["retail"], tmp_path, customers=50, years=1)
    before = files(tmp_path / "retail")
    original, calls = writers.ParquetWriter.write, {"n": 0}

    def full(self, data):
        calls["n"] += 1
        if calls["n"] == 30:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, data)

    monkeypatch.setattr(writers.ParquetWriter, "write", full)
    with pytest.raises(OSError, match="No space left"):
        generator.build(["retail"], tmp_path, formats=("parquet",), parts=3, **size("retail"))
    assert files(tmp_path / "retail") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["retail"]


def test_a_part_is_put_in_place_whole(built, tmp_path):
    """write_part writes beside the folder and renames: what it reports is what is there."""
    params = generator.params.Params(formats=("parquet",), parts=3, **size("retail"))
    result = parts.write_part("retail", params, 2, str(tmp_path))
    assert result["files"] == files(tmp_path)
    assert all(name.endswith("part-00002.parquet") for name in result["files"])
    assert (
        result["files"]["transactions/part-00002.parquet"]
        == files(built[0])["transactions/part-00002.parquet"]
    )
