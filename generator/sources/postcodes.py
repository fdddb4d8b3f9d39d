"""A list bought from a data vendor: demographics for every postcode where the company's
customers can live (used to extend the customer records, 数据扩展)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.locales import Locale
from generator.streams import stream

# ---------------------------------------------------------------- a bought list by postcode

# what a data vendor sells per postcode, and the national figures it is centred on
POSTCODE_FIGURES = {
    "en_US": {
        "income": 80_610,  # median household income 2023, US Census Bureau (CPS ASEC 2024)
        "age": 38.9,  # median age 2022, US Census Bureau population estimates
        "families": 0.39,  # share of households that are families with own children, roughly
        "source": "median household income USD 80,610 (US Census Bureau, 2023) and median age "
        "38.9 (2022 estimates); spread between postcodes is an assumption",
    },
    "zh_CN": {
        "income": 39_218,  # per-capita disposable income 2023, National Bureau of Statistics
        "age": 38.8,  # median age, 2020 census
        "families": 0.45,
        "source": "per-capita disposable income CNY 39,218 (National Bureau of Statistics, "
        "2023) and median age 38.8 (2020 census); spread between postcodes is an assumption",
    },
}


def postcode_list(locale: Locale, seed: int, region: str | None) -> pd.DataFrame:
    """A bought external list: demographics for every postcode where the company's customers
    can live (used to extend the customer records, 数据扩展)."""
    from generator import geography

    geo = geography.load(locale.code)
    postcode, region_column = locale.postcode_column, locale.region_column
    if region is not None:
        geo = geo[geo[region_column] == region]
    weight = geo.groupby(postcode, sort=True)["weight"].sum()
    figures = POSTCODE_FIGURES[locale.code]
    rng = stream(seed, "sources.postcodes")
    n = len(weight)
    income = figures["income"] * rng.lognormal(0, 0.35, n)
    households = np.maximum(
        np.round(weight / weight.sum() * 400_000 * rng.lognormal(0, 0.2, n)), 50
    )
    return pd.DataFrame(
        {
            "postcode": weight.index.astype(str),
            "households": households.astype(np.int64),
            "income_index": np.round(income / figures["income"] * 100).astype(np.int64),
            "median_income": np.round(income, -2).astype(np.int64),
            "families_with_children": np.round(
                np.clip(rng.normal(figures["families"], 0.08, n), 0.05, 0.9), 3
            ),
            "median_age": np.round(rng.normal(figures["age"], 4.0, n), 1),
        }
    )
