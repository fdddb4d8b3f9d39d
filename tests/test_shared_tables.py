"""The tables every industry shares (outlets, campaigns, campaign contacts) come from the
engine: the same columns under the same names, whatever the industry calls its outlets."""

import pandas as pd
import pytest

from generator import builder, outlets
from generator.params import Params
from generator.registry import get, names

WITH_OUTLETS = [n for n in names() if "outlets" in get(n).spec]
WITH_CAMPAIGNS = [n for n in names() if any(t.name == "campaigns" for t in get(n).schema.tables)]


def test_the_industries_with_shared_tables():
    assert WITH_OUTLETS == ["retail", "bank", "auto"]
    assert WITH_CAMPAIGNS == ["retail", "bank", "auto"]


@pytest.mark.parametrize("name", WITH_OUTLETS)
def test_outlets_have_the_engines_columns(name):
    spec = get(name).spec["outlets"]
    columns = [c.name for c in get(name).schema.table(spec["table"]).columns]
    size = spec["size"]["column"]
    assert columns == [spec["key"], "name", "city", "region", "opened_on", size]


@pytest.mark.parametrize("name", WITH_CAMPAIGNS)
def test_campaigns_and_contacts_have_the_engines_columns(name):
    schema = get(name).schema
    campaigns = [c.name for c in schema.table("campaigns").columns]
    assert campaigns[:2] == ["campaign_id", "name"]
    assert campaigns[3:7] == ["channel", "launched_on", "response_days", "holdout_share"]
    assert campaigns[-1] == "eligibility"
    contacts = [c.name for c in schema.table("campaign_contacts").columns]
    assert contacts[:5] == ["campaign_id", "customer_id", "test_group", "channel", "sent_on"]


@pytest.mark.parametrize("code", ["en_US", "zh_CN"])
def test_outlets_are_drawn_alone_the_same_and_named_from_the_spec(code):
    company = {"name": {code: "Co"}, "region": {"en_US": "OH", "zh_CN": "江苏省"}}
    build = builder.context("retail", Params(seed=1, locale=code, as_of="2024-12-31", years=1))
    cities = list(build.locale.cities(company["region"][code]).index)
    n = len(cities) + 2  # more kiosks than cities: the biggest two get a second one
    spec = {
        "table": "kiosks", "key": "kiosk_id", "count": n, "cities": "largest",
        "opened_days_before": [10, 20], "size": {"column": "staff", "range": [1, 3], "step": 2},
        "name": {code: "{company}|{city}|{number}{nth}"}, "nth": {code: "#{n}"},
    }  # fmt: skip
    first = outlets.draw(build, spec, company)
    again = outlets.draw(build, spec, company)
    pd.testing.assert_frame_equal(first, again)
    assert list(first.columns) == ["kiosk_id", "name", "city", "region", "opened_on", "staff"]
    assert first["staff"].isin([2, 4]).all()
    days = (build.window.start - first["opened_on"]).dt.days
    assert days.between(10, 19).all()
    # the biggest cities in turn, then the biggest two again, numbered as their second
    assert list(first["city"]) == cities + cities[:2]
    assert first["name"].iloc[0] == f"Co|{cities[0]}|1"
    assert list(first["name"].iloc[-2:]) == [f"Co|{cities[0]}|{n - 1}#2", f"Co|{cities[1]}|{n}#2"]
    assert first["name"].str.contains("#").sum() == 2
