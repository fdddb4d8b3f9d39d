"""The hotel chain: a spec and one small module, and the lessons its data must teach.

Guests differ a lot (the top fifth brings most room revenue), business travellers stay short, on
weekdays and at higher rates, loyalty tiers follow nights and recency predicts next year's stays.
"""

import copy
import json

import numpy as np
import pandas as pd
import pytest

import generator
from generator import registry
from generator.industries import hotel
from generator.registry import SpecError

from conftest import files

pytestmark = pytest.mark.slow  # builds databases

SIZE = dict(customers=4_000, years=2, seed=5)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("hotel")
    generator.build(["hotel"], out, **SIZE)
    return out / "hotel"


@pytest.fixture(scope="module")
def ds(built):
    return generator.load("hotel", built.parent)


@pytest.fixture(scope="module")
def stays(ds):
    return ds["stays"]


def test_the_same_seed_gives_the_same_bytes(built, tmp_path):
    generator.build(["hotel"], tmp_path, **SIZE)
    assert files(tmp_path / "hotel") == files(built)


def test_the_top_fifth_of_guests_brings_most_room_revenue(ds, stays):
    revenue = stays.groupby("guest_id").revenue.sum().reindex(ds["guests"].guest_id, fill_value=0)
    revenue = revenue.sort_values(ascending=False).to_numpy()
    top = revenue[: len(revenue) // 5].sum() / revenue.sum()
    assert 0.6 < top < 0.9
    per_guest = stays.groupby("guest_id").size()
    assert (per_guest == 1).mean() > 0.3  # a long tail of one-stay guests


def test_business_travellers_stay_short_on_weekdays_at_higher_rates(ds, stays):
    by = stays.assign(weekend=stays.arrival.dt.day_of_week.isin([4, 5])).groupby(
        "purpose", observed=True
    )
    nights, weekend, rate = by.nights.mean(), by.weekend.mean(), by.rate.mean()
    assert nights["business"] < 2.2 < 2.5 < nights["leisure"]
    assert weekend["business"] < 0.2 and weekend["leisure"] > 0.35
    assert rate["business"] > 1.1 * rate["leisure"]
    # and they come more often: the business-travel segment has the most stays per guest
    truth = ds.truth("guest_truth").set_index("guest_id")
    count = stays.groupby("guest_id").size().reindex(truth.index, fill_value=0)
    per_segment = count.groupby(truth.segment, observed=True).mean()
    assert per_segment.idxmax() == "business travellers"
    assert per_segment["business travellers"] > 3 * per_segment["occasional guests"]


def test_stays_keep_to_the_guests_lifetime_and_never_overlap(ds, stays):
    guests = ds["guests"].set_index("guest_id")
    truth = ds.truth("guest_truth").set_index("guest_id")
    assert (stays.arrival.to_numpy() >= guests.registered_on[stays.guest_id].to_numpy()).all()
    stopped = truth.stopped_on[stays.guest_id].to_numpy()
    assert not (stays.arrival.to_numpy() >= stopped).any()
    assert (stays.arrival <= ds.as_of).all() and (stays.booked_on <= stays.arrival).all()
    assert (ds.truth("future_stays").arrival > ds.as_of).all()
    ordered = stays.sort_values(["guest_id", "arrival"])
    departs = ordered.arrival + pd.to_timedelta(ordered.nights, unit="D")
    same = ordered.guest_id.to_numpy()[1:] == ordered.guest_id.to_numpy()[:-1]
    assert (ordered.arrival.to_numpy()[1:][same] >= departs.to_numpy()[:-1][same]).all()
    assert np.allclose(stays.revenue, (stays.rate * stays.nights).round(2))


def test_loyalty_tiers_follow_the_last_years_nights(ds, stays):
    year = stays[stays.arrival > ds.as_of - pd.Timedelta(days=365)]
    nights = year.groupby("guest_id").nights.sum()
    accounts = ds["loyalty_accounts"].set_index("guest_id")
    assert (accounts.qualifying_nights == nights.reindex(accounts.index, fill_value=0)).all()
    floors = hotel.SPEC["loyalty_tiers"]
    expected = pd.cut(
        accounts.qualifying_nights,
        [*floors.values(), np.inf],
        right=False,
        labels=list(floors),
    )
    assert (accounts.tier.astype(str) == expected.astype(str)).all()
    assert (accounts.tier != "member").mean() > 0.03  # some elite guests, most members


def test_recency_predicts_next_years_stays(ds, stays):
    last = stays.groupby("guest_id").arrival.max()
    days = (ds.as_of - last).dt.days
    future = ds.truth("future_customers").set_index("guest_id").stays.reindex(days.index)
    recent, lapsed = future[days <= 90], future[days > 365]
    assert len(recent) > 100 and len(lapsed) > 100
    assert recent.mean() > 4 * lapsed.mean()
    assert (recent > 0).mean() > (lapsed > 0).mean() + 0.3


def test_the_true_pyramid_has_few_vips_and_many_small_guests(ds):
    tiers = ds.truth("guest_truth").value_tier.value_counts(normalize=True)
    assert tiers["A"] < tiers["B"] < tiers["C"] < tiers["D"]
    assert 0.02 < tiers["A"] < 0.1


def test_a_chinese_build_has_chinese_hotels_and_yuan_rates(tmp_path):
    generator.build(["hotel"], tmp_path, customers=300, years=1, locale="zh_CN")
    ds = generator.load("hotel", tmp_path)
    assert ds.currency == "CNY"
    assert ds["hotels"].name.str.startswith("海景").all()
    rates = ds["stays"].rate
    assert (rates == rates.round()).all() and rates.mean() > 200  # whole yuan


def spec():
    return json.loads((registry.FOLDER / "hotel.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda s: s.update(favourite_hotel_share=1.5), "favourite_hotel_share"),
        (lambda s: s["purposes"]["business"]["channels"].update(app=-0.1), "channels/app"),
        (lambda s: s["chain"]["adr"]["CNY"].pop("upscale"), "chain/adr/CNY"),
        (lambda s: s.update(rate_season=[1.0] * 11), "rate_season"),
    ],
)
def test_a_bad_hotel_number_is_refused_by_its_schema(change, where):
    broken = copy.deepcopy(spec())
    change(broken)
    with pytest.raises(SpecError, match=f"hotel.json: .*{where}"):
        registry.check(broken, "hotel.json", registry.FOLDER / "hotel.schema.json")


def test_the_module_stays_small():
    lines = (registry.FOLDER / "hotel.py").read_text(encoding="utf-8").count("\n")
    assert lines < 450
