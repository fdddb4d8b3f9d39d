"""The company's outlets (门店/网点/经销商): the stores, branches or dealers its customers use.

Every industry with outlets has the same table, named by the industry (``stores``,
``branches``, ``dealers``): a number, a name, the city and region, the opening day and one
number of the outlet's size. What differs is data, the spec's ``outlets`` section::

    "outlets": {
      "table": "stores", "key": "store_id", "count": 8,
      "cities": "drawn",                 # or "largest": the region's biggest cities in turn
      "opened_days_before": [400, 9000], # opened this many days before the window starts
      "size": {"column": "floor_area_m2", "range": [8, 45], "step": 100},
      "name": {"en_US": "{company} {city} {number}", "zh_CN": "..."},
      "nth": {"en_US": " {n}", "zh_CN": "{n}号"}   # the second outlet in a city, if named so
    }

A name's fields: ``company`` (the company's name), ``city``, ``place`` (the city's short
name), ``number`` (the outlet's number) and ``nth`` (empty for a city's first outlet).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.context import Context
from generator.locales import Locale
from generator.schema import Column, Table
from generator.streams import stream


def table(spec: dict, meaning: str, zh: str, size: Column, words: tuple[str, str]) -> Table:
    """The outlets' table: ``words`` names one outlet in English and Chinese ("Store", "门店");
    ``size`` is the column of its size."""
    C = Column
    word, word_zh = words
    return Table(
        spec["table"],
        meaning,
        zh,
        (
            C(spec["key"], "int", f"{word} number", f"{word_zh}编号"),
            C("name", "str", f"{word} name", f"{word_zh}名称"),
            C("city", "str", "City", "城市"),
            C("region", "str", "State or province", "州/省"),
            C("opened_on", "date", "Opening date", "开业日期"),
            size,
        ),
        key=(spec["key"],),
    )


def draw(build: Context, spec: dict, company: dict) -> pd.DataFrame:
    """The outlets of ``company`` (its ``name`` and ``region`` per locale) as ``spec`` (the
    ``outlets`` section) says, the same rows for the same seed whatever else is built (their
    own random stream, named by the industry)."""
    locale, window = build.locale, build.window
    rng = stream(build.seed, f"{build.name}.{spec['table']}")
    region = company["region"][locale.code]
    cities = locale.cities(region)
    n = spec["count"]
    if spec["cities"] == "drawn":  # by population, then in order of name
        weights = (cities / cities.sum()).to_numpy()
        city = np.sort(rng.choice(cities.index.to_numpy(object), size=n, p=weights))
    else:  # the biggest cities in turn, the first ones twice when there are too few
        city = np.resize(cities.index.to_numpy(object), n)
    low, high = spec["opened_days_before"]
    opened = window.start - pd.to_timedelta(rng.integers(low, high, size=n), unit="D")
    size = spec["size"]
    return pd.DataFrame(
        {
            spec["key"]: np.arange(1, n + 1),
            "name": _names(spec, company["name"][locale.code], city, locale),
            "city": city.astype(str),
            "region": region,
            "opened_on": opened.normalize(),
            size["column"]: rng.integers(*size["range"], size=n) * size.get("step", 1),
        }
    )


def _names(spec: dict, company: str, city: np.ndarray, locale: Locale) -> list[str]:
    template, nth = spec["name"][locale.code], spec.get("nth", {}).get(locale.code, "")
    seen: dict[str, int] = {}
    names = []
    for number, c in enumerate(city, start=1):
        seen[c] = seen.get(c, 0) + 1
        fields = {
            "company": company,
            "city": c,
            "place": locale.short_city(c),
            "number": number,
            "nth": nth.format(n=seen[c]) if seen[c] > 1 else "",
        }
        names.append(template.format(**fields).strip())
    return names
