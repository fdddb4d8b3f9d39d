"""The hidden future of every company: the 12 months after the as-of date, simulated with the
same latent model and written only to the truth (``_truth/future_*``), so that predictions can be
scored; and what the campaign simulator does alike for all of them. Each company's own future and
simulator are tested in ``test_future_<industry>.py``."""

import hashlib

import numpy as np
import pandas as pd
import pytest

import generator
from generator.builder import industry
from generator.population import FUTURE_MONTHS
from generator.simulator import CampaignError

from conftest import (
    ROOT,
    callable_without_a_deposit,
    emailable,
    owners_who_take_sms,
    patients_not_in_the_programme,
)

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


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
    if industry(name).spec.get("systems"):
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
    people = ds[industry(name).people]
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


# ---------------------------------------------------------------- the simulator, alike for all


#: one campaign per company, and whom it may go to
EXAMPLES = {
    "retail": ({"category": "coffee", "channel": "email", "coupon_value": 1.5}, emailable),
    "bank": ({"product_type": "term_deposit", "channel": "phone"}, callable_without_a_deposit),
    "pharma": ({}, patients_not_in_the_programme),
    "auto": (
        {"kind": "service reminder", "channel": "sms", "offer_value": 30},
        owners_who_take_sms,
    ),
}


@pytest.fixture(scope="module", params=list(EXAMPLES))
def example(request):
    ds = generator.load(request.param, ROOT / "datasets")
    campaign, listable = EXAMPLES[request.param]
    ids = listable(ds)
    return ds, campaign, ids, generator.simulate(ds, campaign, ids, holdout=0.5)


def test_the_same_list_gives_the_same_outcome_in_any_order(example):
    ds, campaign, ids, outcome = example
    again = generator.simulate(ds, campaign, ids[::-1], holdout=0.5)
    key = outcome.customers.columns[0]
    a = outcome.customers.sort_values(key).reset_index(drop=True)
    b = again.customers.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert again.true_incremental_profit == outcome.true_incremental_profit


def test_a_customers_outcome_does_not_depend_on_the_rest_of_the_list(example):
    ds, campaign, ids, outcome = example
    some = ids[::7]
    part = generator.simulate(ds, campaign, some, holdout=0.5)
    key = outcome.customers.columns[0]
    whole = outcome.customers.set_index(key).loc[some].reset_index()
    pd.testing.assert_frame_equal(part.customers, whole)
    truth = outcome.truth.set_index(key).loc[some].reset_index()
    pd.testing.assert_frame_equal(part.truth, truth)


def test_profit_is_margin_less_contact_and_the_truth_adds_up(example):
    *_, outcome = example
    c = outcome.customers
    assert np.allclose(c.profit, c.margin - c.contact_cost, atol=0.011)
    assert (c.contact_cost[c.group == "control"] == 0).all()
    assert (c.contact_cost[c.group == "treatment"] > 0).all()
    treated = (c.group == "treatment").to_numpy()
    expected = outcome.truth.incremental_profit[treated].sum()
    assert np.isclose(outcome.true_incremental_profit, expected, atol=1)
    assert 0.4 < treated.mean() < 0.6  # the holdout asked for


@pytest.mark.parametrize(
    "ids, message",
    [
        ([], "is empty"),
        ("twice", "1 (customer|patient) id is listed more than once"),
        ([10**9, 10**9 + 1], "2 (customer|patient) ids are not in this database"),
        (["seven"], "whole numbers"),
    ],
)
def test_a_bad_list_gets_one_clear_error(example, ids, message):
    ds, campaign, listed, _ = example
    if ids == "twice":
        ids = [listed[0], listed[0]]
    with pytest.raises(CampaignError, match=message):
        generator.simulate(ds, campaign, ids)


def test_only_the_supermarkets_offers_are_timed_per_customer(example):
    """A table of send days is for the supermarket's timed coupons; the other companies'
    simulators ask for a list of ids, in one clear message."""
    ds, campaign, ids, _ = example
    if ds.industry == "retail":
        pytest.skip("the supermarket times its offers per customer")
    table = pd.DataFrame({"customer_id": ids[:3], "sent_on": ds.as_of + pd.Timedelta(days=3)})
    with pytest.raises(CampaignError, match="which only the supermarket's simulator runs"):
        generator.simulate(ds, campaign, table)
