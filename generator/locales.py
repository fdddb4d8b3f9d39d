"""What differs between locales: names, addresses, phones, e-mails, currency and holidays.

Vocabulary comes from Faker's locale providers (their name lists with their frequency
weights) and from the joint geography table, built once per locale; rows are then drawn with
NumPy, never with a per-row Faker loop. Contact details are fictional: e-mail domains are the
reserved ``example.*`` domains, and US phone numbers use the 555-01XX range set aside for
fiction. Mainland China has no such range: numbers there have the valid mobile format only.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import holidays
import numpy as np
import pandas as pd
from faker.providers.address.zh_CN import Provider as CnAddress
from faker.providers.person.en_US import Provider as UsPerson
from faker.providers.person.zh_CN import Provider as CnPerson

from generator import geography

EMAIL_DOMAINS = np.array(["example.com", "example.net", "example.org"])


@dataclass(frozen=True)
class Pool:
    """Values with drawing probabilities."""

    values: np.ndarray
    p: np.ndarray

    @classmethod
    def of(cls, values, weights=None) -> Pool:
        if isinstance(values, dict):
            values, weights = list(values), list(values.values())
        w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
        return cls(np.asarray(values, dtype=object), w / w.sum())

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.values[rng.choice(len(self.values), size=n, p=self.p)]


@dataclass(frozen=True)
class Locale:
    code: str
    country: str  # ISO code for the holidays library
    currency: str
    given_male: Pool
    given_female: Pool
    family: Pool
    streets: Pool

    @property
    def geography(self) -> pd.DataFrame:
        return geography.load(self.code)

    def draw_given(self, rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
        names = np.where(
            female, self.given_female.draw(rng, len(female)), self.given_male.draw(rng, len(female))
        )
        if self.code == "zh_CN":  # about half of Chinese given names have two characters
            second = np.where(
                female,
                self.given_female.draw(rng, len(female)),
                self.given_male.draw(rng, len(female)),
            )
            names = np.where(rng.random(len(female)) < 0.5, names + second, names)
        return names

    def addresses(self, rng: np.random.Generator, n: int, region: str | None = None):
        """Whole addresses from the joint geography table, drawn with population weights.

        ``region`` (a state code or a province) keeps to one region, for a regional company.
        """
        columns = _columns(self.code)
        rows = rng.choice(len(columns["city"]), size=n, p=_weights(self.code, region))
        number = rng.integers(1, 9999 if self.code == "en_US" else 300, size=n).astype(str)
        street = self.streets.draw(rng, n)
        if self.code == "en_US":
            address = number.astype(object) + " " + street
        else:
            address = columns["district"][rows] + street + number.astype(object) + "号"
        region_column = "state_code" if self.code == "en_US" else "province"
        postcode_column = "zip" if self.code == "en_US" else "postcode"
        return {
            "address": address,
            "city": columns["city"][rows],
            "region": columns[region_column][rows],
            "postcode": columns[postcode_column][rows],
            "area_code": columns["area_code"][rows],
        }

    def phones(self, rng: np.random.Generator, area_codes: np.ndarray) -> np.ndarray:
        n = len(area_codes)
        if self.code == "en_US":  # 555-0100 to 555-0199 are reserved for fiction
            line = rng.integers(100, 200, size=n).astype(str)
            return "(" + area_codes + ") 555-0" + line
        prefix = rng.choice(np.array(["135", "136", "138", "139", "150", "158", "186", "188"]), n)
        rest = rng.integers(0, 10**8, size=n)
        return prefix + np.char.zfill(rest.astype(str), 8).astype(object)

    def emails(self, rng: np.random.Generator, given: np.ndarray, family: np.ndarray) -> np.ndarray:
        n = len(given)
        domain = EMAIL_DOMAINS[rng.integers(0, len(EMAIL_DOMAINS), size=n)].astype(object)
        if self.code == "zh_CN":  # numeric mailbox names, as on QQ mail
            return rng.integers(10**5, 10**10, size=n).astype(str).astype(object) + "@" + domain
        digits = np.where(rng.random(n) < 0.5, rng.integers(1, 100, size=n).astype(str), "")
        local = [
            f"{g}.{f}{d}".lower().replace(" ", "")
            for g, f, d in zip(given, family, digits, strict=True)
        ]
        return np.array(local, dtype=object) + "@" + domain

    def holidays(self, start: dt.date, end: dt.date) -> dict[dt.date, str]:
        years = range(start.year, end.year + 1)
        return dict(holidays.country_holidays(self.country, years=years))


@functools.cache
def _columns(code: str) -> dict[str, np.ndarray]:
    """The geography table's columns as arrays, ready to index."""
    geo = geography.load(code)
    return {name: geo[name].to_numpy(object) for name in geo.columns if name != "weight"}


@functools.cache
def _weights(code: str, region: str | None) -> np.ndarray:
    geo = geography.load(code)
    w = geo["weight"].to_numpy(float)
    if region is not None:
        inside = (geo["state_code" if code == "en_US" else "province"] == region).to_numpy()
        if not inside.any():
            raise ValueError(f"no region {region!r} in the {code} geography")
        w = np.where(inside, w, 0.0)
    return w / w.sum()


def _cn_given(names) -> Pool:
    return Pool.of(sorted(set(names)))


LOCALES = {
    "en_US": Locale(
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
    "zh_CN": Locale(
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
