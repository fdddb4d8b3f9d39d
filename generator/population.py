"""Customers: who they are (what students see) and their latent traits (the ground truth).

Shared by all industries. An industry's spec says how households, incomes, acquisition sources
and consent are distributed; this module draws one block of customers from it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from generator.context import Context
from generator.schema import Column, Table
from generator.streams import choose, cumulative, stream

CHANNELS = ("mail", "email", "sms", "phone")
#: New customers register no later than this many days before the as-of date.
LAST_REGISTRATION_DAYS = 30
#: The hidden future: the months after the as-of date that are simulated with the same latent
#: model and written only to the ground truth (``_truth/future_*``), to score predictions.
FUTURE_MONTHS = 12
CHANNELS_ZH = ("邮寄", "电子邮件", "短信", "电话")


@dataclass(frozen=True)
class Window:
    """The simulated calendar: ``years`` of activity up to the fixed ``as_of`` date, which
    students see, and the hidden future of :data:`FUTURE_MONTHS` after it, up to ``end``."""

    as_of: pd.Timestamp
    years: int

    @functools.cached_property
    def start(self) -> pd.Timestamp:
        return self.as_of - pd.DateOffset(years=self.years) + pd.Timedelta(days=1)

    @property
    def days(self) -> pd.DatetimeIndex:
        """The days students see: from ``start`` to ``as_of``."""
        return pd.date_range(self.start, self.as_of, freq="D")

    @functools.cached_property
    def end(self) -> pd.Timestamp:
        """The last day of the hidden future."""
        return self.as_of + pd.DateOffset(months=FUTURE_MONTHS)

    @property
    def all_days(self) -> pd.DatetimeIndex:
        """The seen days followed by the hidden future's: from ``start`` to ``end``."""
        return pd.date_range(self.start, self.end, freq="D")

    def month_ends(self, future: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Day numbers (0 = the window's first day) of each month's first and last day.

        Only months whose last day is inside the window (with ``future``, by the hidden
        future's end) count; the first day of the first month may be before the window
        (negative).
        """
        start = np.datetime64(self.start.date(), "D")
        end = np.datetime64((self.end if future else self.as_of).date(), "D")
        months = np.arange(start.astype("datetime64[M]"), end.astype("datetime64[M]") + 1)
        first = months.astype("datetime64[D]")
        last = (months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
        keep = last <= end
        return (first[keep] - start).astype(np.int64), (last[keep] - start).astype(np.int64)


def person_columns(
    spec: dict,
    key: Column,
    registered: tuple[str, str],
    extra: tuple[Column, ...] = (),
) -> tuple[Column, ...]:
    """The schema columns of the people :func:`customers` makes, as a customers table shows them.

    ``key`` is the id column (its name and meaning differ by industry), ``registered`` the
    (meaning, Chinese term) of the registration date, and ``extra`` industry columns placed
    after the acquisition source, before the consent flags.
    """
    C = Column
    return (
        key,
        C("given_name", "str", "Given name", "名"),
        C("family_name", "str", "Family name", "姓"),
        C("gender", "category", "Gender", "性别", values=("F", "M")),
        C("birth_date", "date", "Date of birth", "出生日期"),
        C(
            "household_type",
            "category",
            "Household type from the application form",
            "家庭类型",
            values=tuple(spec["household_types"]),
        ),
        C(
            "income_band",
            "category",
            "Household income band",
            "收入水平",
            values=tuple(spec["income_bands"]),
        ),
        C("address", "str", "Street address", "地址"),
        C("city", "str", "City", "城市"),
        C("region", "str", "State (en_US) or province (zh_CN)", "州/省"),
        C("postcode", "str", "ZIP code or postcode", "邮编"),
        C("phone", "str", "Phone number (fictional: 555-01xx in the US, 140-144 in China)", "电话"),
        C("email", "str", "E-mail address (reserved example domains)", "电子邮箱", nullable=True),
        C("registered_on", "date", *registered),
        C(
            "acquisition_source",
            "category",
            "How the customer was acquired",
            "获客渠道",
            values=tuple(spec["acquisition_sources"]),
        ),
        *extra,
        *(
            C(f"consent_{ch}", "bool", f"Agreed to be contacted by {ch}", f"同意{zh}联系")
            for ch, zh in zip(CHANNELS, CHANNELS_ZH, strict=True)
        ),
    )


def future_tables(key: Column, extra: tuple[Column, ...]) -> tuple[Table, ...]:
    """The ``future_customers`` truth table every industry keeps: one row per customer for the
    hidden future (:data:`FUTURE_MONTHS` after the as-of date), whether and when they leave for
    good, and the industry's own outcomes (``extra``)."""
    return (
        Table(
            "future_customers",
            f"Each customer in the hidden future: the {FUTURE_MONTHS} months after the as-of date",
            "未来客户表现",
            (
                key,
                Column(
                    "leaves_on",
                    "date",
                    "Date the customer leaves for good in the hidden future (empty: stays, or "
                    "had left by the as-of date)",
                    "未来流失日期",
                    nullable=True,
                ),
                *extra,
            ),
            key=(key.name,),
            truth=True,
        ),
    )


def _codes(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    """Positions in ``shares`` (names to their shares), drawn with those shares."""
    p = np.array(list(shares.values()), dtype=float)
    return choose(rng, cumulative(p / p.sum()), n)


def _pick(rng: np.random.Generator, shares: dict[str, float], n: int) -> pd.Categorical:
    return _category(tuple(shares), _codes(rng, shares, n))


def _category(names: tuple[str, ...], codes: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, dtype=_dtype(names))


@functools.cache
def _dtype(names: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(pd.Index(list(names), dtype="str"))


def _email_shares(spec: dict, source: pd.Categorical) -> np.ndarray:
    """Each person's chance of having given an e-mail address: one share for everyone, or a
    share per acquisition channel (a web form asks for it, a hotline call seldom does)."""
    share = spec.get("email_share", 0.85)
    if not isinstance(share, dict):
        return np.full(len(source), share)
    return np.array([share[c] for c in source.categories])[source.codes]


def customers(build: Context, block: int, first_id: int, count: int) -> pd.DataFrame:
    """One block of customers with their public fields and latent traits (``truth_*`` columns),
    ``count`` of them numbered from ``first_id``, in the build's region (or nationwide).

    The industry's spec says who they are in its ``population`` section: ``household_types``,
    ``income_bands`` (shares), ``acquisition_sources`` (shares), ``consent`` (share per
    channel), ``email_share`` (one share, or a share per acquisition source), ``age``
    ([min, max]), ``tenure_before_window_share`` and ``traits``: latent ``segments`` (each with
    a share, the mean log activity and spend, a Beta(a, b) price sensitivity and a hazard
    multiplier), the spread of activity and spend within a segment and the base monthly hazard
    of leaving for good.

    The industry's name names the random streams: two companies built with the same seed have
    different customers.
    """
    spec, locale, window = build.industry.spec["population"], build.locale, build.window
    seed, industry, region = build.seed, build.name, build.region
    rng = stream(seed, f"{industry}.population.people", block)
    n = count
    female = rng.random(n) < 0.51
    given = locale.draw_given(rng, female)
    family = locale.family.draw(rng, n)
    age_min, age_max = spec["age"]
    age_days = rng.integers(age_min * 366, age_max * 365, size=n)
    as_of = np.datetime64(window.as_of.date(), "D")
    start = np.datetime64(window.start.date(), "D")
    birth = as_of - age_days.astype("timedelta64[D]")
    age = age_days / 365.25

    kinds = tuple(
        dict.fromkeys([*spec["household_types"], "couple", "retired", "single", "young_children"])
    )
    household = _codes(rng, spec["household_types"], n)
    # households follow age: no young children past 55, retirement after 60
    code = {name: kinds.index(name) for name in ("single", "couple", "retired", "young_children")}
    young = age < 30
    old = age >= 62
    household = np.where(old & (household != code["single"]), code["retired"], household)
    household = np.where(
        (age > 55) & (household == code["young_children"]), code["couple"], household
    )
    household = np.where(young & (household == code["retired"]), code["single"], household)
    household = _category(kinds, household)
    income = _pick(rng, spec["income_bands"], n)

    geo_rng = stream(seed, f"{industry}.population.address", block)
    address = locale.addresses(geo_rng, n, region=region)
    phone = locale.phones(geo_rng, address["area_code"])
    email_rng = stream(seed, f"{industry}.population.email", block)
    email = locale.emails(email_rng, given, family)
    email_draw = email_rng.random(n)

    reg_rng = stream(seed, f"{industry}.population.registration", block)
    before = reg_rng.random(n) < spec["tenure_before_window_share"]
    window_days = (window.as_of - window.start).days
    offset = np.where(
        before,
        -reg_rng.integers(1, 5 * 365, size=n),
        reg_rng.integers(0, window_days - LAST_REGISTRATION_DAYS, size=n),
    )
    registered = start + offset.astype("timedelta64[D]")
    adult_on = birth + np.timedelta64(18 * 366, "D")  # safely past the 18th birthday
    registered = np.minimum(np.maximum(registered, adult_on), as_of)
    source = _pick(reg_rng, spec["acquisition_sources"], n)
    has_email = email_draw < _email_shares(spec, source)

    consent_rng = stream(seed, f"{industry}.population.consent", block)
    consent = {f"consent_{c}": consent_rng.random(n) < spec["consent"][c] for c in CHANNELS}
    consent["consent_email"] &= has_email

    # latent segment first; the traits follow from it (ground truth, never shown to students)
    trait_rng = stream(seed, f"{industry}.population.traits", block)
    traits = spec["traits"]
    segments = traits["segments"]
    which = _codes(trait_rng, {name: seg["share"] for name, seg in segments.items()}, n)
    segment = _category(tuple(segments), which)
    param = {
        key: np.array([seg[key] for seg in segments.values()], dtype=float)[which]
        for key in ("activity_mu", "spend_mu", "price_a", "price_b", "hazard")
    }
    activity = np.exp(param["activity_mu"] + trait_rng.normal(0, traits["activity_sigma"], n))
    spend = np.exp(param["spend_mu"] + trait_rng.normal(0, traits["spend_sigma"], n))
    price_sensitivity = trait_rng.beta(param["price_a"], param["price_b"])
    # monthly hazard of leaving for good, heterogeneous (some never leave within the window)
    hazard = traits["monthly_stop_hazard"] * param["hazard"] * trait_rng.gamma(2.0, 0.5, size=n)
    months_to_stop = trait_rng.exponential(1 / hazard)
    begins = np.maximum(registered, start)
    stop_days = np.minimum(months_to_stop * 30.44, 365 * 200).astype(np.int64)
    stop = begins + stop_days.astype("timedelta64[D]")
    stopped = stop <= as_of
    leaves = stop <= np.datetime64(window.end.date(), "D")

    frame = pd.DataFrame(
        {
            "customer_id": np.arange(first_id, first_id + n, dtype=np.int64),
            "given_name": given.to_pandas(),
            "family_name": family.to_pandas(),
            "gender": _category(("M", "F"), female.astype(np.int8)),
            "birth_date": birth.astype("datetime64[s]"),
            "household_type": household,
            "income_band": income,
            "address": address["address"],
            "city": address["city"],
            "region": address["region"],
            "postcode": address["postcode"],
            "phone": phone.to_pandas(),
            "email": pc.if_else(has_email, email, pa.scalar(None, pa.string())).to_pandas(),
            "registered_on": registered.astype("datetime64[s]"),
            "acquisition_source": source,
            **consent,
            "truth_segment": segment,
            "truth_activity": activity,
            "truth_spend": spend,
            "truth_price_sensitivity": price_sensitivity,
            "truth_stop_hazard": hazard,
            "truth_stopped_on": np.where(stopped, stop, np.datetime64("NaT")).astype(
                "datetime64[s]"
            ),
            # the same, in the seen days or the hidden future
            "truth_leaves_on": np.where(leaves, stop, np.datetime64("NaT")).astype("datetime64[s]"),
        }
    )
    return frame
