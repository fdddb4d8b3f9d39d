"""The generator's contract: deterministic, parallel, in parts, atomic, and clear about bad input.

Every test that builds data runs for each industry.
"""

import hashlib
import json
import sqlite3
import subprocess

import numpy as np
import pandas as pd
import pytest

import generator
from course import datasets as course_datasets
from generator import builder, writers
from generator.params import Params
from generator.reading import to_pandas
from generator.schema import Column, Schema, Table
from generator.streams import share_table

from conftest import ROOT, cli, files

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


def small_size(name):
    """Two whole blocks of the industry and part of a third: workers and parts have something
    to split."""
    return dict(customers=builder.industry(name).block_size * 2 + 300, years=2)


INDUSTRIES = list(generator.INDUSTRIES)


@pytest.fixture(scope="module", params=INDUSTRIES)
def small(request, tmp_path_factory):
    """A small build of one industry in every format (its folder is named after it)."""
    out = tmp_path_factory.mktemp("small")
    generator.build(
        [request.param], out, formats=("csv.gz", "parquet", "sqlite"), **small_size(request.param)
    )
    return out / request.param


# ---------------------------------------------------------------- determinism


def test_the_same_arguments_with_one_or_four_workers_give_identical_files(small, tmp_path):
    """Built again with the same arguments, by four workers instead of one: the same bytes
    (how many workers build is not a parameter of the data)."""
    generator.build(
        [small.name],
        tmp_path,
        formats=("csv.gz", "parquet", "sqlite"),
        workers=4,
        **small_size(small.name),
    )
    assert files(tmp_path / small.name) == files(small)


def test_a_build_in_parts_holds_the_same_tables(small, tmp_path):
    """Each customer table in two part files, written by two workers, read back as one."""
    generator.build(
        [small.name], tmp_path, formats=("parquet",), parts=2, workers=2, **small_size(small.name)
    )
    parted, whole = generator.load(small.name, tmp_path), generator.load(small.name, small.parent)
    assert parted.manifest["rows"] == whole.manifest["rows"]
    for name in parted:
        pd.testing.assert_frame_equal(parted[name], whole[name], obj=name, check_exact=True)


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_another_seed_gives_other_data(industry, tmp_path):
    people = f"{builder.industry(industry).people}.csv.gz"
    built = {}
    for seed in (42, 43):
        generator.build([industry], tmp_path / str(seed), seed=seed, customers=300, years=1)
        built[seed] = files(tmp_path / str(seed) / industry)[people]
    assert built[42] != built[43]


def test_a_part_generated_alone_gives_the_same_rows(small):
    params = Params(parts=3, **small_size(small.name))
    module = builder.industry(small.name)
    people = module.schema.table(module.people)  # customers, patients...
    key = people.key[0]
    blocks = builder.generate_part(small.name, params, 1)
    alone = pd.concat([to_pandas(writers.to_arrow(t[people.name], people), people) for t in blocks])
    whole = generator.load(small.name, small.parent)[people.name]
    first = alone[key].iloc[0]
    expected = whole[whole[key].between(first, alone[key].iloc[-1])]
    pd.testing.assert_frame_equal(
        alone.reset_index(drop=True),
        expected.reset_index(drop=True),
        check_dtype=False,
        check_exact=True,
    )


def test_the_manifest_records_parameters_rows_and_hashes(small):
    manifest = json.loads((small / "manifest.json").read_text())
    assert manifest["parameters"]["customers"] == small_size(small.name)["customers"]
    listed = manifest["files"]
    assert listed == {k: v for k, v in files(small).items() if k != "manifest.json"}
    assert (
        manifest["rows"][builder.industry(small.name).people] == small_size(small.name)["customers"]
    )


# every committed default dataset: the course's, and the zh_CN ones of the cases set in China
COMMITTED = [f"datasets/{name}" for name in INDUSTRIES] + [
    f"datasets/{course_datasets.CASES_LOCALE}/{name}" for name in course_datasets.CASES
]


@pytest.mark.parametrize("folder", COMMITTED)
def test_the_committed_dataset_is_rebuilt_byte_for_byte(folder, tmp_path):
    committed = ROOT / folder
    industry = committed.name
    parameters = json.loads((committed / "manifest.json").read_text())["parameters"]
    parameters["formats"] = tuple(parameters["formats"])
    generator.build([industry], tmp_path, **parameters)
    rebuilt = files(tmp_path / industry)
    tracked = subprocess.run(
        ["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert tracked, "the default dataset is not committed"
    # the bytes git holds, not the working tree's (`make datasets` rebuilds those on a clone)
    stored = {
        p.removeprefix(f"{folder}/"): hashlib.sha256(
            subprocess.run(["git", "show", f":{p}"], cwd=ROOT, capture_output=True).stdout
        ).hexdigest()
        for p in tracked
    }
    assert stored == rebuilt, "the committed dataset is not what the generator builds"


def test_the_cases_set_in_china_open_their_zh_cn_companies(tmp_path, monkeypatch):
    monkeypatch.delenv("GENERATOR_DATASETS", raising=False)
    for name in course_datasets.CASES:
        folder = course_datasets.case_folder(name)
        assert folder == ROOT / "datasets" / "zh_CN"
        assert generator.load(name, folder).currency == "CNY"
    assert course_datasets.case_folder("retail") == ROOT / "datasets"
    # a course on other data without the cases' own builds: the cases open it as it is
    assert course_datasets.case_folder("pharma", tmp_path) == tmp_path
    monkeypatch.setenv("GENERATOR_DATASETS", str(tmp_path))
    assert course_datasets.case_folder("auto") == tmp_path


def test_the_data_dictionary_covers_every_table(small):
    text = (small / "DATA_DICTIONARY.md").read_text()
    for table in generator.load(small.name, small.parent).schema.tables:
        assert f"`{table.path}`" in text
        for column in table.columns:
            assert f"`{column.name}`" in text


def test_the_schema_refuses_days_and_times_that_do_not_exist():
    """SQLite's date() hands '2024-02-30' back unchanged; the CHECK must still refuse it."""
    when = Table(
        "events",
        "A test table",
        "测试",
        (Column("day", "date", "Day"), Column("at", "timestamp", "Time")),
        key=("day",),
    )
    db = sqlite3.connect(":memory:")
    db.executescript(Schema(industry="test", title="test", tables=(when,)).ddl())
    db.execute("INSERT INTO events VALUES ('2024-02-29', '2024-02-29 23:59:59')")
    for bad in [("2024-02-30", "2024-03-01 10:00:00"), ("2024-03-02", "2024-02-30 10:00:00")]:
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO events VALUES (?, ?)", bad)


def command_line(args: list[str], capsys) -> tuple[int, str, str]:
    """``python -m generator ARGS`` run in this process: exit status, output and errors (the
    command line itself, in a fresh process, is tested below with :func:`conftest.cli`)."""
    from generator import cli as command

    try:
        status = command.main(args)
    except SystemExit as stop:  # argparse's errors and --help
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_describe_prints_the_dictionary(industry, capsys):
    status, out, _ = command_line(["describe", industry], capsys)
    last = builder.industry(industry).schema.tables[-1]
    assert status == 0 and f"`{last.path}`" in out


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args, message",
    [
        (["--customers", "0"], "customers must be at least 1"),
        (["--customers", "-5"], "customers must be at least 1"),
        (["--customers", "1.5"], "customers must be a whole number"),
        (["--customers", "many"], "customers must be a whole number"),
        (["--seed", "x"], "seed must be a whole number"),
        (["--years", "0"], "years must be between"),
        (["--workers", "0"], "workers must be at least 1"),
        (["--parts", "-1"], "parts must be zero"),
        (["--parts", "2", "--formats", "csv.gz,parquet"], "has one format"),
        (["--parts", "2", "--formats", "sqlite"], "SQLite database is one file"),
        (["--parts", "2", "--sources"], "source extracts are single files"),
        (["--parts", "4"], "cannot be more than the retail build's blocks"),
        (["--cluster", "tcp://127.0.0.1:9"], "--cluster writes parts: add --parts N"),
        (["--locale", "fr_FR"], "unknown locale 'fr_FR'"),
        (["--as-of", "2025-13-01"], "as-of date must be YYYY-MM-DD"),
        (["--as-of", "31/12/2025"], "as-of date must be YYYY-MM-DD"),
        (["--formats", "xlsx"], "unknown format 'xlsx'"),
        (["--dirty", "0.1"], "add --sources"),
        (["--sources", "--dirty", "0.9"], "dirty must be a rate between 0 and"),
        (["--sources", "--dirty", "lots"], "dirty must be a rate between 0 and"),
    ],
)
def test_a_bad_parameter_is_one_clear_line(args, message, tmp_path, capsys):
    status, _, err = command_line(["build", *INDUSTRIES, "--out", str(tmp_path), *args], capsys)
    assert status == 2
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["insurance"], "unknown industry 'insurance'"),  # refused by the generator
        (["retail", "--customers", "many"], "customers must be a whole number"),
        (["retail", "--formats"], "expected one argument"),  # refused by argparse
    ],
)
def test_the_command_line_shows_the_one_line_and_nothing_else(args, message, tmp_path):
    """In a fresh process, as a student runs it: no warning or traceback around the line."""
    result = cli("build", *args, "--out", str(tmp_path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("keep me")
    for out in (target, target / "below"):
        result = cli("build", "retail", "--customers", "10", "--out", str(out))
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("industry", INDUSTRIES)
@pytest.mark.parametrize(
    "failure, status", [(KeyboardInterrupt, 1), (OSError(28, "No space left on device"), 1)]
)
def test_an_interrupted_or_failed_build_leaves_the_old_dataset(
    industry, failure, status, tmp_path, monkeypatch, capsys
):
    from generator import cli as command
    from generator import writers

    generator.build([industry], tmp_path, customers=50, years=1)
    before = files(tmp_path / industry)
    calls = {"n": 0}
    original = writers.DatasetWriter.write

    def failing(self, tables):
        calls["n"] += 1
        if calls["n"] == 2:  # after the first block's files have been started
            raise failure
        return original(self, tables)

    monkeypatch.setattr(writers.DatasetWriter, "write", failing)
    code = command.main(
        [
            "build",
            industry,
            "--customers",
            "50",
            "--seed",
            "9",
            "--years",
            "1",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == status
    assert capsys.readouterr().err.count("\n") == 1
    assert files(tmp_path / industry) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [industry]  # no scratch left


def test_a_write_error_in_the_background_writer_fails_the_build(tmp_path, monkeypatch, capsys):
    """Files are written by a background thread; its errors must still end the build."""
    from generator import cli as command
    from generator import writers

    generator.build(["retail"], tmp_path, customers=50, years=1)
    before = files(tmp_path / "retail")
    calls = {"n": 0}
    original = writers.CsvWriter.write

    def full_disk(self, data):
        calls["n"] += 1
        if calls["n"] == 8:  # a table of the first block of customers
            raise OSError(28, "No space left on device")
        return original(self, data)

    monkeypatch.setattr(writers.CsvWriter, "write", full_disk)
    args = ["build", "retail", "--customers", "50", "--seed", "9", "--years", "1"]
    code = command.main([*args, "--out", str(tmp_path), "--quiet"])
    assert code == 1
    assert "No space left on device" in capsys.readouterr().err
    assert files(tmp_path / "retail") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["retail"]


def test_a_share_table_draws_exactly_the_shares():
    table = share_table([0.45, 0.55, 0])
    assert len(table) == 1000
    assert np.bincount(table, minlength=3).tolist() == [450, 550, 0]
    assert share_table([1, 3], cells=4).tolist() == [0, 1, 1, 1]  # shares are normalised
    with pytest.raises(ValueError, match="not whole numbers of 1/1000"):
        share_table([1, 2])  # thirds


def test_build_workers_come_from_a_fork_server():
    """Never forked from the caller, which may run threads (a Jupyter kernel, a test worker):
    a child forked beside a running thread can inherit a lock that nobody will release."""
    import multiprocessing

    from generator.pool import process_pool

    with process_pool(1) as pool:
        if "forkserver" in multiprocessing.get_all_start_methods():
            assert pool._mp_context.get_start_method() == "forkserver"
        assert pool.submit(sum, [1, 2]).result() == 3
