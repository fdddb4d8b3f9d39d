"""Life events: yearly rates within the published ranges of each locale, and state_at."""

import numpy as np
import pandas as pd
import pytest

from generator import builder, decay, locales, streams
from generator.params import Params
from generator.population import customers

# published yearly ranges (see generator/data/decay.json): moves, family-name changes of women
MOVES = {"en_US": (0.08, 0.11), "zh_CN": (0.03, 0.08)}


def retail(code: str, seed: int):
    """The build context of 6,000 retail customers in ``code``."""
    params = Params(customers=6000, seed=seed, locale=code, as_of="2025-12-31", years=3)
    return builder.context("retail", params)


WINDOW = retail("en_US", 3).window


@pytest.fixture(scope="module", params=["en_US", "zh_CN"])
def block(request):
    build = retail(request.param, 3)
    people, events = [], []
    for number in range(build.blocks):
        first, count = streams.block(build.params.customers, build.industry.block_size, number)
        p = customers(build, number, first, count)
        events.append(decay.life_events(build, number, p))
        people.append(p)
    return request.param, pd.concat(people, ignore_index=True), pd.concat(events)


def customer_years(people):
    begins = np.maximum(people["registered_on"], WINDOW.start)
    return ((WINDOW.as_of - begins).dt.days + 1).sum() / 365.25


def test_yearly_moves_are_within_the_published_range(block):
    code, people, events = block
    low, high = MOVES[code]
    rate = (events["kind"] == "moved").sum() / customer_years(people)
    assert low <= rate <= high


def test_name_changes_follow_the_locale(block):
    code, people, events = block
    changes = events[events["kind"] == "name_change"]
    women = people.loc[people["gender"] == "F"]
    rate = len(changes) / customer_years(women)
    if code == "zh_CN":
        assert rate == 0
    else:
        assert 0.006 <= rate <= 0.02
        assert changes["customer_id"].isin(women["customer_id"]).all()


def test_events_happen_while_the_customer_is_on_file(block):
    _, people, events = block
    joined = events.merge(people[["customer_id", "registered_on"]], on="customer_id")
    assert (joined["date"] >= joined["registered_on"]).all()
    assert (events["date"] <= WINDOW.as_of).all()


def test_deaths_end_the_customer_life(block):
    _, people, events = block
    died = events[events["kind"] == "died"].merge(people, on="customer_id")
    assert len(died) > 0
    assert (died["date"] == died["truth_stopped_on"]).all()
    assert 0.003 <= len(died) / customer_years(people) <= 0.02


def test_state_at_applies_the_latest_event(block):
    _, people, events = block
    moves = events[events["kind"] == "moved"]
    customer = moves["customer_id"].value_counts().index[0]  # someone who moved
    mine = moves[moves["customer_id"] == customer]
    before = decay.state_at(people, events, mine["date"].iloc[0] - pd.Timedelta(days=1))
    after = decay.state_at(people, events, WINDOW.as_of)
    original = people.loc[people["customer_id"] == customer, "address"].iloc[0]
    assert before.loc[before["customer_id"] == customer, "address"].iloc[0] == original
    assert (
        after.loc[after["customer_id"] == customer, "address"].iloc[0] == mine["address"].iloc[-1]
    )
    withdrawn = events[events["kind"] == "consent_withdrawn"].iloc[0]
    row = after["customer_id"] == withdrawn["customer_id"]
    assert not after.loc[row, f"consent_{withdrawn['channel']}"].iloc[0]


def test_the_same_block_gives_the_same_events():
    build = retail("en_US", 5)
    p = customers(build, 2, 4001, 300)
    one = decay.life_events(build, 2, p)
    two = decay.life_events(build, 2, p)
    pd.testing.assert_frame_equal(one, two)


def test_people_move_within_their_state_or_province(block):
    _, people, events = block
    moves = events[events["kind"] == "moved"].merge(people, on="customer_id", suffixes=("", "_was"))
    assert (moves["region"] == moves["region_was"].astype(str)).all()


def test_addresses_within_keep_each_row_in_its_region():
    import numpy as np

    for code, regions in [("en_US", ["CA", "WI", "TX", "WI"]), ("zh_CN", ["浙江省", "广东省"])]:
        drawn = locales.get(code).addresses_within(np.random.default_rng(0), np.array(regions * 50))
        assert list(drawn["region"].astype(str)) == regions * 50


def test_a_consent_is_withdrawn_once(block):
    _, _, events = block
    withdrawn = events[events["kind"] == "consent_withdrawn"]
    assert not withdrawn.duplicated(["customer_id", "channel"]).any()
