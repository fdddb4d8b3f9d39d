"""The joint geography tables load with the right types and hold coherent addresses."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from generator import geography

from conftest import ROOT

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

BUILD_TOOL = ROOT / "tools" / "build_geography.py"

US_COLUMNS = ["state_code", "state", "city", "zip", "area_code", "weight"]
CN_COLUMNS = ["province", "city", "district", "postcode", "area_code", "weight"]


def _build_tool():
    """The script that builds the tables: its China Post allocation is the one to check."""
    spec = importlib.util.spec_from_file_location("build_geography", BUILD_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# China Post's 2-digit postcode zones of each province (kept once, in the build script)
CN_POSTCODE_PREFIXES = _build_tool().CN_POSTCODE_PREFIXES
# places whose post is served from a neighbouring province's zone
CN_CROSS_BORDER = {
    "阿荣旗",
    "扎兰屯市",
    "莫力达瓦达斡尔族自治旗",
    "阿拉善左旗",
    "阿拉善右旗",
    "额济纳旗",
    "故城县",
    "嵊泗县",
}
CN_CROSS_BORDER_CITIES = {"兴安盟", "阿拉善盟"}


@pytest.fixture(scope="module")
def us() -> pd.DataFrame:
    return geography.load("en_US")


@pytest.fixture(scope="module")
def cn() -> pd.DataFrame:
    return geography.load("zh_CN")


def test_unknown_locale_is_refused():
    with pytest.raises(ValueError, match="unknown locale"):
        geography.load("fr_FR")


def test_load_is_cached(us):
    assert geography.load("en_US") is us


@pytest.mark.parametrize(("locale", "columns"), [("en_US", US_COLUMNS), ("zh_CN", CN_COLUMNS)])
def test_columns_types_and_no_gaps(locale, columns):
    table = geography.load(locale)
    assert list(table.columns) == columns
    assert len(table) > 1000
    assert not table.isna().any().any()
    assert table["weight"].dtype == "float64"
    assert (table["weight"] > 0).all()
    for column in columns[:-1]:
        assert isinstance(table[column].dtype, pd.StringDtype), column
        assert (table[column].str.strip() != "").all(), column
    place = ["state_code", "city", "zip"] if locale == "en_US" else ["city", "district"]
    assert not table.duplicated(place).any()  # one row per place


def test_us_codes_are_well_formed(us):
    assert us["zip"].str.fullmatch(r"\d{5}").all()
    assert us["area_code"].str.fullmatch(r"[2-9]\d\d").all()
    assert us["state_code"].str.fullmatch(r"[A-Z]{2}").all()
    assert us["zip"].is_unique
    assert (us["zip"].str[0] == "0").any()  # leading zeros survive (New England)


def test_us_states_are_consistent(us):
    names = us.groupby("state_code")["state"].nunique()
    assert len(names) == 51 and (names == 1).all()
    assert us["state"].nunique() == 51
    assert {"DC", "AK", "HI", "WY", "VT"} <= set(us["state_code"])
    # a ZIP's first three digits (its sectional centre) belong to one state
    assert (us.groupby(us["zip"].str[:3])["state_code"].nunique() == 1).all()


def test_us_covers_a_few_hundred_cities_weighted_by_size(us):
    cities = us.groupby(["state_code", "city"])["weight"].sum()
    assert 200 <= len(cities) <= 1000
    assert cities.idxmax() == ("NY", "New York")
    assert cities[("IL", "Chicago")] > 10 * cities[("IL", "Peoria")]


def test_us_spot_facts(us):
    chicago = us[us["city"] == "Chicago"]
    assert set(chicago["state_code"]) == {"IL"}
    assert set(chicago["area_code"]) <= {"312", "773", "872"}
    assert "60601" in set(chicago["zip"])
    row = us[us["zip"] == "10001"].iloc[0]
    assert (row["state_code"], row["city"], row["area_code"]) == ("NY", "New York", "212")
    assert set(us.loc[us["state_code"] == "DC", "city"]) == {"Washington"}
    assert set(us.loc[us["city"] == "Houston", "state_code"]) == {"TX"}
    assert set(us.loc[us["state_code"] == "HI", "area_code"]) == {"808"}
    assert us.loc[us["zip"] == "02108", "city"].tolist() == ["Boston"]


def test_cn_codes_are_well_formed(cn):
    assert cn["postcode"].str.fullmatch(r"\d{6}").all()
    assert cn["area_code"].str.fullmatch(r"0\d{2,3}").all()
    assert (cn["postcode"].str[0] == "0").any()  # leading zeros survive (内蒙古, 河北)


def test_cn_covers_every_province(cn):
    assert set(cn["province"]) == set(CN_POSTCODE_PREFIXES)
    assert cn["province"].nunique() == 31


def test_cn_cities_are_consistent(cn):
    assert (cn.groupby("city")["province"].nunique() == 1).all()
    assert (cn.groupby("city")["area_code"].nunique() == 1).all()
    assert cn["city"].nunique() >= 300
    municipalities = cn[cn["province"].isin(["北京市", "天津市", "上海市", "重庆市"])]
    assert (municipalities["city"] == municipalities["province"]).all()


def test_cn_postcodes_lie_in_their_province(cn):
    zone = cn["postcode"].str[:2]
    allowed = cn["province"].map(CN_POSTCODE_PREFIXES).str.split()
    inside = pd.Series([z in a for z, a in zip(zone, allowed, strict=True)], index=cn.index)
    across = cn["district"].isin(CN_CROSS_BORDER) | cn["city"].isin(CN_CROSS_BORDER_CITIES)
    assert (inside | across).all(), cn[~(inside | across)]


def test_cn_weights_favour_big_cities(cn):
    cities = cn.groupby("city")["weight"].sum()
    assert cities.idxmax() == "重庆市"
    assert cities["广州市"] > 10 * cities["嘉峪关市"]


def test_cn_spot_facts(cn):
    def city(name):
        rows = cn[cn["city"] == name]
        return set(rows["province"]), set(rows["area_code"])

    assert city("广州市") == ({"广东省"}, {"020"})
    assert city("北京市") == ({"北京市"}, {"010"})
    assert city("深圳市") == ({"广东省"}, {"0755"})
    assert city("天津市") == ({"天津市"}, {"022"})
    assert city("南宁市") == ({"广西壮族自治区"}, {"0771"})
    assert city("成都市") == ({"四川省"}, {"028"})
    assert city("乌鲁木齐市") == ({"新疆维吾尔自治区"}, {"0991"})
    tianhe = cn[(cn["city"] == "广州市") & (cn["district"] == "天河区")]
    assert len(tianhe) == 1 and tianhe["postcode"].iloc[0].startswith("51")
    assert "朝阳区" in set(cn.loc[cn["city"] == "北京市", "district"])
