"""The hidden future of every company: the 12 months after the as-of date, simulated with the
same latent model and written only to the truth (``_truth/future_*``), so that predictions can be
scored; and what the campaign simulator does alike for all of them. Each company's own future and
simulator are tested in ``test_future_<industry>.py``."""

import hashlib

import pandas as pd
import pytest

import generator
from generator.builder import industry
from generator.population import FUTURE_MONTHS
from generator.simulator import CampaignError

from conftest import ROOT


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("name", list(generator.INDUSTRIES))
def test_what_students_see_is_the_same_without_the_future(name, tmp_path):
    """The future is simulated either way; a build without it leaves out its truth files,
    and every other data file, source extracts included, is byte for byte the same."""
    options = dict(customers=400, seed=11, formats=("csv.gz",))
    if industry(name).SPEC.get("systems"):
        options.update(sources=True, dirty=0.05)
    generator.build([name], tmp_path / "with", **options)
    generator.build([name], tmp_path / "without", future=False, **options)
    with_future = _files(tmp_path / "with" / name)
    without = _files(tmp_path / "without" / name)
    described = {"manifest.json", "DATA_DICTIONARY.md"}  # they list what the build holds
    future = {f for f in with_future if f.startswith("_truth/future_")}
    assert "_truth/future_customers.csv.gz" in future
    assert set(without) == set(with_future) - future
    assert {k: v for k, v in without.items() if k not in described} == {
        k: v for k, v in with_future.items() if k not in described | future
    }
    ds = generator.load(name, tmp_path / "without")
    with pytest.raises(KeyError, match="no hidden future"):
        ds.truth("future_customers")
    with pytest.raises(CampaignError, match="no hidden future"):
        generator.simulate(ds, {}, [1])


@pytest.mark.parametrize("name", list(generator.INDUSTRIES))
def test_every_company_keeps_its_future_customers(name):
    ds = generator.load(name, ROOT / "datasets")
    future = ds.truth("future_customers")
    people = ds[industry(name).PEOPLE]
    key = future.columns[0]
    assert (future[key].sort_values().to_numpy() == people[key].sort_values().to_numpy()).all()
    leaves = future["leaves_on"].dropna()
    assert (leaves > ds.as_of).all()
    assert (leaves <= ds.as_of + pd.DateOffset(months=FUTURE_MONTHS)).all()


def test_a_bad_holdout_or_folder_is_refused(tmp_path):
    retail = generator.load("retail", ROOT / "datasets")
    with pytest.raises(CampaignError, match="holdout"):
        generator.simulate(retail, {}, [1], holdout=1.5)
    with pytest.raises(CampaignError, match="no built database"):
        generator.simulate(tmp_path, {}, [1])
