"""Joint geography tables: whole, coherent addresses to draw with population weights.

Each locale's table (``generator/data/geo_<locale>.csv``, built by
``tools/build_geography.py``) has one row per consistent combination of region, city,
district or ZIP, postal code and telephone area code, plus a positive ``weight``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"

# text columns of each locale's table, before its float ``weight`` column
COLUMNS = {
    "en_US": ["state_code", "state", "city", "zip", "area_code"],
    "zh_CN": ["province", "city", "district", "postcode", "area_code"],
}


@functools.cache
def load(locale: str) -> pd.DataFrame:
    """The geography table of ``locale`` (``en_US`` or ``zh_CN``); cached, do not mutate.

    Codes are read as strings, so ZIP codes, postcodes and area codes keep leading zeros.
    """
    if locale not in COLUMNS:
        raise ValueError(f"unknown locale {locale!r}; expected one of {sorted(COLUMNS)}")
    dtypes = dict.fromkeys(COLUMNS[locale], "string") | {"weight": "float64"}
    path = DATA_DIR / f"geo_{locale}.csv"
    return pd.read_csv(path, dtype=dtypes, usecols=list(dtypes), keep_default_na=False)
