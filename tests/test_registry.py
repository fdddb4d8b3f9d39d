"""The industries are found, not listed, and each keeps the contract; a spec that breaks its
schema is refused on loading with the place it breaks."""

import copy
import json

import pytest

import generator
from generator import registry
from generator.blocks import Block
from generator.registry import Industry, SpecError


def test_the_industries_are_found_in_the_specs_order():
    names = registry.names()
    assert names[:4] == ("retail", "bank", "pharma", "auto")
    assert generator.INDUSTRIES == names
    orders = [registry.get(n).spec["order"] for n in names]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)


@pytest.mark.parametrize("name", registry.names())
def test_every_industry_keeps_the_contract(name):
    industry = registry.get(name)
    assert isinstance(industry, Industry) and industry.name == name
    assert industry.schema.industry == name
    assert industry.schema.table(industry.people).key  # guests, patients... by their id
    assert issubclass(industry.block, Block) and industry.block.industry == name
    assert industry.block_size >= 1_000 and callable(industry.reference)
    assert set(industry.company) == {"en_US", "zh_CN"}
    assert industry.region is None or set(industry.region) == {"en_US", "zh_CN"}
    assert all(industry.schema.table(t) for t in industry.events)


def test_an_unknown_industry_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown industry 'insurance' \(known: retail, bank"):
        registry.get("insurance")


def spec(name="retail"):
    return json.loads((registry.FOLDER / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "change, where, rule",
    [
        (lambda s: s["population"]["consent"].update(email=1.4), "population/consent/email", "1.4"),
        (lambda s: s["population"].pop("traits"), "population", "'traits' is a required"),
        (lambda s: s.update(order="first"), "order", "'first' is not of type 'integer'"),
        (lambda s: s.update(sources=[]), "sources", "should be non-empty"),
        (
            lambda s: s["population"]["traits"]["segments"]["busy families"].update(share=-0.1),
            "population/traits/segments/busy families/share",
            "-0.1 is less than the minimum",
        ),
        (lambda s: s["systems"][0].update(format="xlsx"), "systems/0/format", "'xlsx' is not"),
    ],
)
def test_a_spec_that_breaks_the_schema_is_refused_with_the_place(change, where, rule):
    broken = copy.deepcopy(spec())
    change(broken)
    with pytest.raises(SpecError, match="retail.json: ") as refused:
        registry.check(broken, "retail.json")
    assert f": {where}: " in str(refused.value) and rule in str(refused.value)


@pytest.mark.parametrize("name", registry.names())
def test_every_spec_as_shipped_passes_its_schemas(name):
    own = registry.FOLDER / f"{name}.schema.json"
    registry.check(spec(name), f"{name}.json", own)


def test_a_module_without_its_industry_is_refused(tmp_path, monkeypatch):
    """A spec beside a module that defines no INDUSTRY (here the retail campaign simulator's)."""
    (tmp_path / "retail_campaign.json").write_text(json.dumps(spec() | {"order": 9}))
    (tmp_path / "retail_campaign.py").write_text("")
    monkeypatch.setattr(registry, "FOLDER", tmp_path)
    registry.names.cache_clear()
    try:
        assert registry.names() == ("retail_campaign",)
        with pytest.raises(TypeError, match="retail_campaign.py must define INDUSTRY"):
            registry.get("retail_campaign")
    finally:
        registry.names.cache_clear()


def test_a_build_names_one_industry_several_or_all():
    assert registry.chosen("all") == registry.chosen(["all"]) == list(registry.names())
    assert registry.chosen("bank") == ["bank"]
    assert registry.chosen(["hotel", "retail"]) == ["hotel", "retail"]
    with pytest.raises(ValueError, match=r"unknown industry 'insurance' \(known: retail.*or all"):
        registry.chosen(["retail", "insurance"])
