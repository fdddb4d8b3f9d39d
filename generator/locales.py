"""What differs between locales: names, addresses, phones, e-mails, currency and holidays.

Vocabulary comes from Faker's locale providers (their name lists with their frequency
weights) and from the joint geography table, built once per locale; rows are then drawn with
NumPy and assembled as Arrow strings, never with a per-row Faker loop. Contact details are
fictional: e-mail domains are the reserved ``example.*`` domains, US phone numbers use the
555-01XX range set aside for fiction, and mainland Chinese mobile numbers start with 140-144,
which China's numbering plan (MIIT, 电信网编号计划 2017) gives to 13-digit numbers for the
Internet of things: an 11-digit number there is no subscriber's, yet it passes the usual
check of a mobile number (eleven digits, 1 then 3-9).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import ClassVar

import holidays
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.address.zh_CN import Provider as CnAddress
from faker.providers.person.en_US import Provider as UsPerson
from faker.providers.person.zh_CN import Provider as CnPerson

from generator import geography
from generator.streams import choose, cumulative

EMAIL_DOMAINS = pa.array(["example.com", "example.net", "example.org"])
# 140-144 hold only 13-digit Internet-of-things numbers: no person has an 11-digit number there
CN_MOBILE_PREFIXES = np.array([140, 141, 142, 143, 144], dtype=np.int64)


@dataclass(frozen=True)
class Pool:
    """Values (an Arrow string array) with drawing probabilities."""

    values: pa.Array
    cdf: np.ndarray  # cumulative drawing probabilities

    @functools.cached_property
    def lengths(self) -> np.ndarray:
        """The number of characters of each value."""
        return pc.utf8_length(self.values).to_numpy()

    @classmethod
    def of(cls, values, weights=None) -> Pool:
        if isinstance(values, dict):
            values, weights = list(values), list(values.values())
        w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
        return cls(pa.array(values, type=pa.string()), cumulative(w / w.sum()))

    def codes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return choose(rng, self.cdf, n)

    def draw(self, rng: np.random.Generator, n: int) -> pa.Array:
        return self.values.take(self.codes(rng, n))


@dataclass(frozen=True, eq=False)  # one instance per locale, hashed by identity
class Locale:
    """What every locale provides, as Faker's providers do: the base class holds what all share,
    and each locale is a subclass (:class:`UnitedStates`, :class:`China`) with its vocabulary and
    its ways (how an address, a phone number, a mailbox, a name are written). A third locale is a
    subclass, its geography table and an entry in :data:`LOCALES`: nothing else branches on the
    locale's code."""

    code: str
    country: str  # ISO code for the holidays library
    currency: str
    given_male: Pool
    given_female: Pool
    family: Pool
    streets: Pool

    language: ClassVar[str]  # the language of its labels: a spec's "en" or "zh" entries
    region_column: ClassVar[str]  # the geography table's column of states or provinces
    postcode_column: ClassVar[str]  # the geography table's column of postcodes
    house_numbers: ClassVar[int]  # street numbers run from 1 below this
    phone_country: ClassVar[str]  # the international dialling code
    phone_groups: ClassVar[tuple[int, int]]  # where a number is split into three groups
    family_first_separator: ClassVar[str]  # "SMITH, John"; "WANG Xiaoming"
    word_separator: ClassVar[str]  # between the words of a name: "Maple Ridge Bank Main"
    foreign_gender_code: ClassVar[str]  # a gender code from another language's systems

    def label(self, entry: dict, en: str = "en", zh: str = "zh"):
        """The entry's text in this locale's language, from a spec entry that has both (by
        default under the keys "en" and "zh")."""
        return entry[{"en": en, "zh": zh}[self.language]]

    @property
    def geography(self) -> pd.DataFrame:
        return geography.load(self.code)

    def cities(self, region: str | None = None) -> pd.Series:
        """Population weight of each city (in ``region``, a state code or province), the
        biggest first: where a company puts its stores, branches or dealers."""
        geo = self.geography
        if region is not None:
            geo = geo[geo[self.region_column] == region]
        weights = geo.groupby("city")["weight"].sum()
        return weights.sort_values(ascending=False, kind="stable")

    def draw_given(self, rng: np.random.Generator, female: np.ndarray) -> pa.Array:
        n = len(female)
        f, m = self.given_female, self.given_male
        first_f, first_m = f.codes(rng, n), m.codes(rng, n)
        names = pc.if_else(female, f.values.take(first_f), m.values.take(first_m))
        return self._given_names(rng, female, names, first_f, first_m)

    def _given_names(self, rng, female, names, first_f, first_m) -> pa.Array:
        """The given names drawn, as this locale completes them."""
        return names

    def addresses(self, rng: np.random.Generator, n: int, region: str | None = None):
        """Whole addresses from the joint geography table, drawn with population weights.

        ``region`` (a state code or a province) keeps to one region, for a regional company.
        The street address is text, city, region and postcode are categoricals and the
        telephone area code is an Arrow string array (for :meth:`phones`).
        """
        return self._compose(rng, choose(rng, _weights(self, region), n))

    def addresses_within(self, rng: np.random.Generator, regions: np.ndarray):
        """Like :meth:`addresses`, one for each of ``regions``, inside that state or province."""
        order, cdf, names = _within(self)
        which = names.get_indexer(regions)
        if (which < 0).any():
            raise ValueError(f"unknown region in the {self.code} geography")
        rows = order[np.searchsorted(cdf, which + rng.random(len(regions)), side="right")]
        return self._compose(rng, rows)

    def _compose(self, rng: np.random.Generator, rows: np.ndarray):
        n = len(rows)
        number = _text(rng.integers(1, self.house_numbers, size=n))
        street = self.streets.draw(rng, n)
        return {
            "address": self._street_address(number, street, rows).to_pandas(),
            "city": _column(self.code, "city", rows),
            "region": _column(self.code, self.region_column, rows),
            "postcode": _column(self.code, self.postcode_column, rows),
            "area_code": _column(self.code, "area_code", rows, arrow=True),
        }

    def _street_address(self, number: pa.Array, street: pa.Array, rows: np.ndarray) -> pa.Array:
        raise NotImplementedError

    def phones(self, rng: np.random.Generator, area_codes: pa.Array) -> pa.Array:
        raise NotImplementedError

    def emails(self, rng: np.random.Generator, given: pa.Array, family: pa.Array) -> pa.Array:
        raise NotImplementedError

    def typing_letters(self) -> str:
        """Characters a typing error can put in."""
        raise NotImplementedError

    def numeral(self, k: int) -> str:
        """A number as a name writes it (the second branch: 2, 二)."""
        return str(k)

    def short_city(self, city: str) -> str:
        """A city's name as a business name uses it."""
        return city

    def holidays(self, start: dt.date, end: dt.date) -> dict[dt.date, str]:
        years = range(start.year, end.year + 1)
        return dict(holidays.country_holidays(self.country, years=years))

    def _domains(self, rng: np.random.Generator, n: int) -> pa.Array:
        return EMAIL_DOMAINS.take(rng.integers(0, len(EMAIL_DOMAINS), size=n))


@dataclass(frozen=True, eq=False)  # one instance per locale, hashed by identity
class UnitedStates(Locale):
    language = "en"
    region_column = "state_code"
    postcode_column = "zip"
    house_numbers = 9999
    phone_country = "+1"
    phone_groups = (3, 6)
    family_first_separator = ", "
    word_separator = " "
    foreign_gender_code = "word_zh"

    def _street_address(self, number, street, rows):
        return pc.binary_join_element_wise(number, street, " ")

    def phones(self, rng, area_codes):
        line = _text(rng.integers(100, 200, size=len(area_codes)))  # 555-0100 to 555-0199
        return pc.binary_join_element_wise("(", area_codes, ") 555-0", line, "")  # are fictional

    def emails(self, rng, given, family):
        n = len(given)
        domain = self._domains(rng, n)
        digits = pc.if_else(rng.random(n) < 0.5, _text(rng.integers(1, 100, size=n)), "")
        local = pc.binary_join_element_wise(given, ".", family, digits, "")
        local = pc.replace_substring(pc.utf8_lower(local), " ", "")
        return pc.binary_join_element_wise(local, domain, "@")

    def typing_letters(self) -> str:
        return "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, eq=False)  # one instance per locale, hashed by identity
class China(Locale):
    language = "zh"
    region_column = "province"
    postcode_column = "postcode"
    house_numbers = 300
    phone_country = "+86"
    phone_groups = (3, 7)
    family_first_separator = " "
    word_separator = ""
    foreign_gender_code = "word"

    def _given_names(self, rng, female, names, first_f, first_m):
        """A one-character name often takes a second character."""
        n, f, m = len(female), self.given_female, self.given_male
        second_f, second_m = f.codes(rng, n), m.codes(rng, n)
        second = pc.if_else(female, f.values.take(second_f), m.values.take(second_m))
        single = (np.where(female, f.lengths[first_f], m.lengths[first_m]) == 1) & (
            np.where(female, f.lengths[second_f], m.lengths[second_m]) == 1
        )
        joined = single & (rng.random(n) < 0.5)
        return pc.if_else(joined, pc.binary_join_element_wise(names, second, ""), names)

    def _street_address(self, number, street, rows):
        district = _column(self.code, "district", rows, arrow=True)
        return pc.binary_join_element_wise(district, street, number, "号", "")

    def phones(self, rng, area_codes):
        n = len(area_codes)
        prefix = CN_MOBILE_PREFIXES[rng.choice(len(CN_MOBILE_PREFIXES), n)]
        return _text(prefix * 10**8 + rng.integers(0, 10**8, size=n))  # 11 digits

    def emails(self, rng, given, family):
        n = len(given)
        domain = self._domains(rng, n)  # numeric mailbox names, as on QQ mail
        return pc.binary_join_element_wise(_text(rng.integers(10**5, 10**10, size=n)), domain, "@")

    def typing_letters(self) -> str:
        names = list(CnPerson.first_names_male) + list(CnPerson.first_names_female)
        return "".join(sorted({ch for name in names for ch in name}))

    def numeral(self, k: int) -> str:
        """1 -> 一, 12 -> 十二, 35 -> 三十五 (up to 99)."""
        digits = "零一二三四五六七八九"
        tens, ones = divmod(k, 10)
        if not tens:
            return digits[ones]
        return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")

    def short_city(self, city: str) -> str:
        return city.removesuffix("市")  # 上海市 -> 美瑞上海4S店


def _text(numbers: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(numbers), pa.string())


@functools.cache
def _factorized(code: str, name: str) -> tuple[np.ndarray, pd.CategoricalDtype, pa.Array]:
    """A geography column as codes per row, its categories, and the categories as Arrow."""
    codes, uniques = pd.factorize(geography.load(code)[name])
    uniques = pd.Index(uniques.astype(object), dtype="str")
    return codes, pd.CategoricalDtype(uniques), pa.array(uniques, type=pa.string())


def _column(code: str, name: str, rows: np.ndarray, arrow: bool = False):
    """The values of geography column ``name`` at ``rows``: a Categorical, or Arrow strings."""
    codes, dtype, values = _factorized(code, name)
    if arrow:
        return values.take(codes[rows])
    return pd.Categorical.from_codes(codes[rows], dtype=dtype)


@functools.cache
def _within(locale: Locale) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Geography rows grouped by region, and cumulative weights that run from k to k + 1
    within the k-th region: one search then draws a row inside any row's own region."""
    geo = locale.geography
    region = geo[locale.region_column].to_numpy(dtype=object)
    names = pd.Index(sorted(set(region)), dtype="str")
    which = names.get_indexer(region)
    order = np.lexsort((np.arange(len(region)), which))
    weight = geo["weight"].to_numpy(float)[order]
    total = np.bincount(which[order], weights=weight)
    within = np.cumsum(weight) - np.r_[0, np.cumsum(total)[:-1]][which[order]]
    return order, which[order] + within / total[which[order]], names


@functools.cache
def _weights(locale: Locale, region: str | None) -> np.ndarray:
    """Cumulative population weights of the geography table's rows (within ``region``)."""
    geo = locale.geography
    w = geo["weight"].to_numpy(float)
    if region is not None:
        inside = (geo[locale.region_column] == region).to_numpy()
        if not inside.any():
            raise ValueError(f"no region {region!r} in the {locale.code} geography")
        w = np.where(inside, w, 0.0)
    return cumulative(w / w.sum())


def _cn_given(names) -> Pool:
    return Pool.of(sorted(set(names)))


LOCALES = {
    "en_US": UnitedStates(
        code="en_US",
        country="US",
        currency="USD",
        given_male=Pool.of(dict(UsPerson.first_names_male)),
        given_female=Pool.of(dict(UsPerson.first_names_female)),
        family=Pool.of(dict(UsPerson.last_names)),
        streets=Pool.of(
            [
                f"{name} {suffix}"
                for name in list(UsPerson.last_names)[:200]
                for suffix in ("St", "Ave", "Rd", "Dr", "Ln")
            ]
        ),
    ),
    "zh_CN": China(
        code="zh_CN",
        country="CN",
        currency="CNY",
        given_male=_cn_given(CnPerson.first_names_male),
        given_female=_cn_given(CnPerson.first_names_female),
        family=Pool.of(dict(CnPerson.last_names)),
        streets=Pool.of(
            [
                f"{name}{suffix}"
                for name in (
                    "人民",
                    "解放",
                    "建设",
                    "中山",
                    "和平",
                    "文化",
                    "新华",
                    "胜利",
                    "青年",
                    "光明",
                    "长江",
                    "黄河",
                    "东风",
                    "友谊",
                )
                for suffix in CnAddress.street_suffixes
            ]
        ),
    ),
}


def get(code: str) -> Locale:
    if code not in LOCALES:
        raise ValueError(f"unknown locale {code!r} (known: {', '.join(LOCALES)})")
    return LOCALES[code]
