import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from course.checking import CheckFailed

ROOT = Path(__file__).resolve().parent.parent
MINICOURSE = ROOT / "tests" / "fixtures" / "minicourse"


def files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path) with its sha256: two builds compared byte
    for byte."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def cli(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    """``python -m generator ARGS`` in a fresh process, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=cwd
    )


# the fixture's check module, importable as `minicourse_checks`
sys.path.insert(0, str(MINICOURSE))


@pytest.fixture
def root() -> Path:
    return ROOT


# The course's databases rebuilt with another seed and in the other locale: every notebook
# must run on them, and a grader can grade on them (built once per test session).
OTHER_DATA = {"seed7-en_US": dict(seed=7), "seed2024-zh_CN": dict(seed=2024, locale="zh_CN")}


@pytest.fixture(scope="session")
def other_data_builds(tmp_path_factory):
    """name -> folder of the course's databases built with ``OTHER_DATA[name]`` (on demand).

    Built once per test run: parallel workers share the run's temporary folder, and the first
    to need a build makes it while the others wait for it (a lock per build)."""
    import os

    from filelock import FileLock

    from course import datasets

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # each worker's folder is in the run's folder
        shared = shared.parent

    def get(name: str) -> Path:
        folder, done = shared / f"other-data-{name}", shared / f"other-data-{name}.done"
        with FileLock(str(shared / f"other-data-{name}.lock")):
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)
                datasets.build(folder, **OTHER_DATA[name])
                done.touch()
        return folder

    return get


@pytest.fixture(scope="module")
def nbgrader_course(tmp_path_factory) -> Path:
    """An empty nbgrader course folder, one per test file (nbgrader_runs.py)."""
    return tmp_path_factory.mktemp("course")


def assert_database_intact(data) -> None:
    """The SQLite database of a build keeps its keys and constraints and has every row."""
    with data.connect() as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in data}
    assert counts == {t: data.manifest["rows"][t] for t in data}


def empty_database(data, folder) -> sqlite3.Connection:
    """An empty copy of a build's SQLite schema, foreign keys enforced: to try rows on."""
    db = sqlite3.connect(folder / "empty.sqlite")
    db.executescript(data.schema.ddl())
    db.execute("PRAGMA foreign_keys = ON")
    return db


def industry_build(industry: str, name: str, options: dict | None, tmp_path_factory):
    """The committed default dataset (``options`` None) or a fresh build with ``options``.

    The committed dataset is CSV only: when its SQLite file has not been exported yet (``make
    datasets`` does it), a copy is exported into a temporary folder.
    """
    import generator
    from generator.builder import export

    if options is None:
        dataset = generator.load(industry, ROOT / "datasets")
        if dataset.sqlite_path.exists():
            return dataset
        copy = tmp_path_factory.mktemp("default") / industry
        shutil.copytree(dataset.folder, copy)
        export(copy, ("sqlite",))
        return generator.load(industry, copy.parent)
    out = tmp_path_factory.mktemp(name)
    generator.build([industry], out, formats=("csv.gz", "sqlite"), **options)
    return generator.load(industry, out)


# The databases an industry's tests run on: the committed default and the run's other builds.
BUILDS = ["default", *OTHER_DATA]


def course_data(industry: str, name: str, other_data_builds, tmp_path_factory):
    """One company's database of :data:`BUILDS`: the committed default dataset, or its
    database in the run's other build ``name``, which the notebook runs share."""
    import generator

    if name == "default":
        return industry_build(industry, name, None, tmp_path_factory)
    return generator.load(industry, other_data_builds(name))


def clear_caches(functions) -> None:
    """Clear a check module's cached functions, so that it reads the database anew (after
    GENERATOR_DATASETS changes)."""
    for function in functions:
        function.cache_clear()


def refused(task, answer) -> str:
    """The hint a check gives a wrong answer (fails the test if the check accepts it)."""
    with pytest.raises(CheckFailed) as failed:
        task(answer)
    return failed.value.hint


def accepted(task, answer, capsys) -> bool:
    """Whether a check calls ``answer`` correct (``capsys`` reads what it printed)."""
    task(answer)
    return "correct" in capsys.readouterr().out


# -------------------------------------------------------- whom a simulated campaign may go to


def emailable(ds):
    """Supermarket customers who agreed to e-mail."""
    customers = ds["customers"]
    return customers.loc[customers.consent_email, "customer_id"].to_numpy()


def callable_without_a_deposit(ds):
    """Bank customers who agreed to calls and hold no term deposit on the as-of date."""
    accounts = ds["accounts"].merge(ds["products"][["product_id", "product_type"]])
    holding = accounts.query("product_type == 'term_deposit' and closed_on.isna()").customer_id
    customers = ds["customers"]
    keep = customers.consent_phone & ~customers.customer_id.isin(holding)
    return customers.loc[keep, "customer_id"].to_numpy()


def patients_not_in_the_programme(ds):
    """Patients the programme may be offered to: SMS consent, not in it already."""
    patients, programme = ds["patients"], ds["patient_programme"]
    enrolled = programme.loc[programme.test_group == "programme", "patient_id"]
    keep = patients.consent_sms & ~patients.patient_id.isin(enrolled)
    return patients.loc[keep, "patient_id"].to_numpy()


def owners_who_take_sms(ds):
    """Customers with a car of the brand on the as-of date who agreed to SMS."""
    customers = ds["customers"].set_index("customer_id")
    truth = ds.truth("customer_truth").set_index("customer_id")
    kept = ds.truth("replacements").query("not replaced or same_brand")
    ids = pd.Index(kept.customer_id.unique())
    ids = ids[customers.loc[ids, "consent_sms"].to_numpy() & truth.loc[ids, "stopped_on"].isna()]
    return np.sort(ids.to_numpy())
