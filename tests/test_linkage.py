"""The duplicates in the default dirty retail sources can be found, but not by exact matching.

Chapter 02 teaches record linkage on the auto extracts with ``course.building``: each
system's extract standardised, exact duplicates deleted, invalid values blanked, then a
Fellegi-Sunter model (splink, with DuckDB). The same build on another company's systems, the
retail ones, reaches F1 >= 0.9 against the truth; an exact match on name and phone stays
well below.
"""

import pandas as pd
import pytest

import generator
from course import building

from conftest import ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def data():
    return generator.load("retail", ROOT / "datasets")


@pytest.fixture(scope="module")
def records(data):
    return building.merge([building.extract(data, s) for s in data.systems], data.locale)


@pytest.fixture(scope="module")
def truth(data):
    return building.true_customers(data)


def test_splink_finds_the_duplicates(data, truth):
    # chapter 02's whole build, in its order: invalid values are blanked before matching
    built = building.build(data)
    quality = building.linkage_quality(built.customer, truth)
    assert quality["f1"] >= 0.9, quality
    assert quality["precision"] >= 0.95, quality


def test_an_exact_match_on_name_and_phone_misses_many(records, truth):
    key = records["given_key"] + "|" + records["family_key"] + "|" + records["phone"]
    # records without a name or phone match nothing: each is a customer of its own
    key = key.where(key.notna(), "record:" + records["unique_id"])
    found = pd.Series(pd.factorize(key)[0], index=records["unique_id"].to_numpy())
    quality = building.linkage_quality(found, truth)
    assert quality["f1"] < 0.85, quality
