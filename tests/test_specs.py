"""Every industry's behaviour spec is valid: shares sum to 1, ranges ordered, names resolve."""

import math

import pytest

from generator import INDUSTRIES
from generator.blocks import Block
from generator.builder import industry

SPECS = {name: industry(name).spec for name in INDUSTRIES}


def shares(section: dict) -> list[tuple[str, dict]]:
    """Every {name: share} mapping that must sum to 1, found by walking the spec."""
    found = []

    def walk(path, value):
        if isinstance(value, dict):
            names = path.split(".")[-2:]  # a share table, or a locale's table inside one
            if (
                value
                and all(isinstance(v, int | float) for v in value.values())
                and (names[-1] in SHARE_KEYS or (names[-1] in LOCALES and names[0] in SHARE_KEYS))
            ):
                found.append((path, value))
            for key, inner in value.items():
                walk(f"{path}.{key}", inner)
        elif isinstance(value, list):
            for number, inner in enumerate(value):
                walk(f"{path}[{number}]", inner)

    walk("spec", section)
    return found


SHARE_KEYS = {
    "household_types",
    "income_bands",
    "acquisition_sources",
    "pain_brand",
    "pain_usage",
    "quantity",
    "channels",
    "repeat_lead_sources",
    "components",
    "financing",
}
LOCALES = {"en_US", "zh_CN"}


@pytest.mark.parametrize("name", SPECS)
def test_shares_sum_to_one(name):
    found = shares(SPECS[name])
    assert len(found) >= 4
    for path, mapping in found:
        assert math.isclose(sum(mapping.values()), 1.0, abs_tol=1e-9), path
        assert all(0 <= v <= 1 for v in mapping.values()), path


@pytest.mark.parametrize("name", SPECS)
def test_every_spec_has_sources(name):
    assert len(SPECS[name]["sources"]) >= 3


def test_retail_spec_is_consistent():
    spec = SPECS["retail"]
    segments = spec["population"]["traits"]["segments"]
    assert math.isclose(sum(s["share"] for s in segments.values()), 1.0)
    categories = {c["name"]: c for c in spec["categories"]}
    for c in spec["categories"]:
        low, high = c["price"]
        assert 0 < low < high, c["name"]
        assert c["kind"] in ("cycle", "basket")
    basket = [c["popularity"] for c in spec["categories"] if c["kind"] == "basket"]
    assert math.isclose(sum(basket), 1.0, abs_tol=1e-9)
    for campaign in spec["campaigns"]:
        assert categories[campaign["category"]]["kind"] == "cycle"  # response is measurable
        assert campaign["eligible"] in ("active_90", "bought_180")
        assert 0 < campaign["holdout"] < 0.5 and campaign["uplift"] > 0
        assert campaign["channel"] in spec["population"]["consent"]
    assert len(spec["calendar"]["weekday"]) == 7 and len(spec["calendar"]["month"]) == 12
    assert len(spec["behaviour"]["hours"]) == 24


@pytest.mark.parametrize("name", SPECS)
def test_every_industry_module_keeps_the_contract(name):
    module = industry(name)
    assert module.schema.industry == name
    assert module.spec["sources"], "rates need their sources"
    people = module.schema.table(module.people)
    assert "registered_on" in {c.name for c in people.columns}
    # event tables are what students see, and the hidden future's (which is made the same way)
    assert module.events and all(
        not module.schema.table(t).truth or t.startswith("future_") for t in module.events
    )
    assert callable(module.reference) and issubclass(module.block, Block)
    assert module.block.industry == name
    assert module.region is None or set(module.region) == {"en_US", "zh_CN"}
    assert isinstance(module.block_size, int) and module.block_size >= 1_000
    assert set(module.company) == {"en_US", "zh_CN"}
