"""The drug maker: regions, hospitals, doctors, representatives, patients and their refills.

What the data must teach (the multinational drug maker in China, textbook chapter 3, section 4,
case 3) is planted here: a few doctors write most prescriptions (an ABC pyramid), patients
refill on their pack size with gaps, now and then take a break off therapy and come back, and
some stop for good, and a patient-support programme with SMS reminders, randomised among new
patients, raises adherence (the proportion of days covered, PDC) by a known amount. Products
carry their cost of goods, and ``unit_costs`` what a detailing call, an SMS reminder and an
enrolment cost. Patients are simulated 12 months past the as-of date; that hidden future goes
only to the truth (``future_customers``, ``future_refills``, ``future_prescriptions``), and
:mod:`generator.industries.pharma_campaign` runs the programme on any list of patients in it.
Rates live in ``pharma.json`` beside this file, with sources.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from generator import acquisition, arrays, population
from generator.blocks import Block
from generator.calendar import day_weights, sample_days
from generator.campaigns import CONTACT_COST
from generator.context import Context
from generator.industries.pharma_campaign import gap_days, programme_gaps, with_programme
from generator.locales import Locale
from generator.registry import Industry, load_spec
from generator.schema import Column, Schema, Table
from generator.streams import choose, cumulative, stream

SPEC = load_spec(__file__)  # checked against its schema
PRODUCTS = SPEC["products"]
AREAS = tuple(dict.fromkeys(p["area"] for p in PRODUCTS))
SPECIALTIES = SPEC["doctors"]["specialties"]
TIERS = tuple(SPEC["doctors"]["tiers"])  # A (the top prescribers) to D
HOSPITAL_TIERS = tuple(t for loc in ("zh_CN", "en_US") for t in SPEC["hospital_tiers"][loc])
TITLES = tuple(t for loc in ("zh_CN", "en_US") for t in SPEC["doctors"]["titles"][loc])
SPECIALTY_NAMES = tuple(
    dict.fromkeys([s["zh"] for s in SPECIALTIES.values()] + [s["en"] for s in SPECIALTIES.values()])
)
GROUPS = ("programme", "usual care")
CALL_CHANNELS = tuple(SPEC["detailing"]["channels"])
AUDIENCES = ("primary care", "specialist", "patient")  # whom a unit cost is for
ACTIVITIES = (*CALL_CHANNELS, "sms reminder", "programme enrolment")
PEOPLE = "patients"  # the table of the people each block is made of
# the event tables, seen and in the hidden future (the benchmark counts their rows)
EVENTS = (
    "prescriptions",
    "refills",
    "reminders",
    "detailing_calls",
    "future_prescriptions",
    "future_refills",
)
PRODUCT_BASE = 101  # the first product id; ids are consecutive
# a prescription, fill or reminder number is the patient number followed by three digits
EVENT_NUMBERS = 1_000
# a detailing call number is the doctor number followed by five digits
CALL_NUMBERS = 100_000
DOCTORS_PER_BLOCK = 2_000  # detailing calls are drawn for this many doctors at a time (~90,000)
# shown to students: pseudonymised patients carry no name, street address or e-mail
HIDDEN_PERSON_FIELDS = ("given_name", "family_name", "address", "email", "phone")

COMPANY = SPEC["company"]["name"]  # the company's name, per locale
REGION = None  # customers live nationwide
BLOCK_SIZE = 20_000  # patients per block: about 20 fills and prescriptions each
C = Column
_person = tuple(
    c
    for c in population.person_columns(
        SPEC["population"],
        C("patient_id", "int", "Patient number", "患者编号"),
        registered=("Date the patient entered the database (first therapy)", "建档日期"),
        extra=(
            C(
                "patient_code",
                "str",
                "Pseudonymous patient code (no name is kept)",
                "患者代码",
                check="length(patient_code) = 10",
            ),
            C("doctor_id", "int", "Treating doctor", "主治医生", references="doctors.doctor_id"),
        ),
    )
    if c.name not in HIDDEN_PERSON_FIELDS
)
_region = C("region_id", "int", "Sales region", "销售大区", references="regions.region_id")
_PATIENT = C("patient_id", "int", "Patient", "患者编号", references="patients.patient_id")
_PRESCRIPTION = (
    C("prescription_id", "int", "Prescription number", "处方编号"),
    _PATIENT,
    C(
        "doctor_id",
        "int",
        "Prescribing doctor",
        "医生编号",
        references="doctors.doctor_id",
    ),
    C("product_id", "int", "Product", "产品编号", references="products.product_id"),
    C("written_on", "date", "Date written", "开方日期"),
    C(
        "packs_per_fill",
        "int",
        "Packs dispensed at each fill",
        "每次取药盒数",
        check="packs_per_fill > 0",
    ),
    C(
        "fills_authorised",
        "int",
        "Number of fills the prescription allows",
        "可取药次数",
        check="fills_authorised > 0",
    ),
)
_REFILL = (
    C("refill_id", "int", "Dispensing number", "取药编号"),
    C(
        "prescription_id",
        "int",
        "Prescription",
        "处方编号",
        references="prescriptions.prescription_id",
    ),
    _PATIENT,
    C("product_id", "int", "Product", "产品编号", references="products.product_id"),
    C(
        "fill_number",
        "int",
        "1 for the first fill of the prescription, 2... for refills",
        "第几次取药",
        check="fill_number > 0",
    ),
    C("dispensed_on", "date", "Date dispensed", "取药日期"),
    C("packs", "int", "Packs dispensed", "盒数", check="packs > 0"),
    C("days_supply", "int", "Days the packs last", "供药天数", unit="days"),
    C("amount", "money", "packs × price", "金额", unit="currency"),
)
# in the hidden future, a refill may be of a prescription written there
_FUTURE_RX = C(
    "prescription_id",
    "int",
    "Prescription (in prescriptions, or in future_prescriptions if written in the future)",
    "处方编号",
)

SCHEMA = Schema(
    industry="pharma",
    title=SPEC["title"],
    notes=tuple(SPEC["sources"]),
    tables=(
        Table(
            "regions",
            "The company's sales regions",
            "销售大区",
            (
                C("region_id", "int", "Region number", "大区编号"),
                C("name", "str", "Region name", "大区名称"),
                C("states", "str", "States or provinces it covers", "覆盖省份"),
            ),
            key=("region_id",),
        ),
        Table(
            "hospitals",
            "Hospitals and clinics where the company's doctors work",
            "医院",
            (
                C("hospital_id", "int", "Hospital number", "医院编号"),
                C("name", "str", "Hospital name", "医院名称"),
                C("tier", "category", "Hospital grade", "医院等级", values=HOSPITAL_TIERS),
                C("city", "str", "City", "城市"),
                C("region", "str", "State (en_US) or province (zh_CN)", "州/省"),
                _region,
                C("beds", "int", "Number of beds", "床位数", check="beds >= 0"),
            ),
            key=("hospital_id",),
        ),
        Table(
            "reps",
            "Medical representatives",
            "医药代表",
            (
                C("rep_id", "int", "Representative number", "代表编号"),
                C("given_name", "str", "Given name", "名"),
                C("family_name", "str", "Family name", "姓"),
                _region,
                C("hired_on", "date", "Date hired", "入职日期"),
            ),
            key=("rep_id",),
        ),
        Table(
            "doctors",
            "Doctors the company works with",
            "医生",
            (
                C("doctor_id", "int", "Doctor number", "医生编号"),
                C("given_name", "str", "Given name", "名"),
                C("family_name", "str", "Family name", "姓"),
                C("gender", "category", "Gender", "性别", values=("F", "M")),
                C(
                    "hospital_id",
                    "int",
                    "Hospital",
                    "医院编号",
                    references="hospitals.hospital_id",
                ),
                C("specialty", "category", "Specialty", "科室", values=SPECIALTY_NAMES),
                C("title", "category", "Professional title", "职称", values=TITLES),
                C(
                    "rep_id",
                    "int",
                    "Responsible representative",
                    "负责代表",
                    references="reps.rep_id",
                ),
            ),
            key=("doctor_id",),
        ),
        Table(
            "products",
            "The company's prescription drugs",
            "产品",
            (
                C("product_id", "int", "Product number", "产品编号"),
                C("name", "str", "Brand name and strength", "产品名称"),
                C("therapy_area", "category", "Therapy area", "治疗领域", values=AREAS),
                C("pack_days", "int", "Days one pack lasts", "每盒天数", unit="days"),
                C(
                    "price",
                    "money",
                    "Price per pack",
                    "每盒价格",
                    check="price > 0",
                    unit="currency",
                ),
                C("launched_on", "date", "Launch date", "上市日期"),
                C(
                    "unit_cost",
                    "money",
                    "Cost of goods per pack (making, packing and shipping it)",
                    "每盒成本",
                    check="unit_cost > 0",
                    unit="currency",
                ),
            ),
            key=("product_id",),
        ),
        Table(
            "unit_costs",
            "What serving doctors and patients costs the company, per unit",
            "服务成本",
            (
                C("activity", "category", "What is done", "活动", values=ACTIVITIES),
                C(
                    "audience",
                    "category",
                    "For whom: a primary-care doctor, a specialist or a patient",
                    "对象",
                    values=AUDIENCES,
                ),
                C("unit", "str", "What the cost is counted per", "计量单位"),
                C("cost", "money", "Cost per unit", "单位成本", check="cost > 0", unit="currency"),
            ),
            key=("activity", "audience"),
        ),
        acquisition.table(tuple(SPEC["acquisition"]["cost"]["en_US"])),
        Table(
            "detailing_calls",
            "Representatives' calls on doctors",
            "医药代表拜访",
            (
                C("call_id", "int", "Call number", "拜访编号"),
                C("rep_id", "int", "Representative", "代表编号", references="reps.rep_id"),
                C("doctor_id", "int", "Doctor", "医生编号", references="doctors.doctor_id"),
                C("call_date", "date", "Date of the call", "拜访日期"),
                C("channel", "category", "Kind of call", "拜访方式", values=CALL_CHANNELS),
                C(
                    "product_id",
                    "int",
                    "Product discussed",
                    "推介产品",
                    references="products.product_id",
                ),
            ),
            key=("call_id",),
            indexes=("call_date",),
        ),
        Table(
            "patients",
            "Patients on the company's therapies (pseudonymised)",
            "患者(匿名化)",
            _person,
            key=("patient_id",),
            indexes=("patient_code",),
        ),
        Table(
            "prescriptions",
            "Prescriptions written by doctors",
            "处方",
            _PRESCRIPTION,
            key=("prescription_id",),
        ),
        Table(
            "refills",
            "Dispensings against a prescription: the first fill and its refills",
            "取药(续方)记录",
            _REFILL,
            key=("refill_id",),
            indexes=("dispensed_on",),
        ),
        Table(
            "patient_programme",
            "New patients randomised to the patient-support programme (SMS reminders) or not",
            "患者关爱项目(含对照组)",
            (
                C("patient_id", "int", "Patient", "患者编号", references="patients.patient_id"),
                C("index_date", "date", "First fill: the day of randomisation", "入组评估日期"),
                C("test_group", "category", "programme or usual care", "分组", values=GROUPS),
                C(
                    "enrolled_on",
                    "date",
                    "Date enrolled (programme group only)",
                    "入组日期",
                    nullable=True,
                ),
                C(
                    "mobile",
                    "str",
                    "Mobile number for the reminders (programme group only; fictional, as phone)",
                    "手机号",
                    nullable=True,
                ),
            ),
            key=("patient_id",),
        ),
        Table(
            "reminders",
            "SMS refill reminders sent by the programme",
            "短信续药提醒",
            (
                C("reminder_id", "int", "Reminder number", "提醒编号"),
                C("patient_id", "int", "Patient", "患者编号", references="patients.patient_id"),
                C("sent_on", "date", "Date sent", "发送日期"),
                C("channel", "category", "Channel", "渠道", values=("sms",)),
            ),
            key=("reminder_id",),
        ),
        Table(
            "doctor_truth",
            "Each doctor's latent prescribing volume and response to calls",
            "医生真实处方潜力",
            (
                C("doctor_id", "int", "Doctor", "医生编号", references="doctors.doctor_id"),
                C(
                    "volume",
                    "float",
                    "Relative prescribing volume (patients attracted)",
                    "处方潜力",
                ),
                C("tier", "category", "True ABC tier (A: top fifth)", "真实ABC等级", values=TIERS),
                C(
                    "call_lift",
                    "float",
                    "Most that calls can raise the doctor's prescribing (0.3: by 30 %)",
                    "拜访最大提升",
                ),
            ),
            key=("doctor_id",),
            truth=True,
        ),
        Table(
            "patient_truth",
            "Latent traits behind each patient's refills",
            "患者真实特征",
            (
                C("patient_id", "int", "Patient", "患者编号", references="patients.patient_id"),
                C(
                    "segment",
                    "category",
                    "Latent segment",
                    "潜在细分",
                    values=tuple(SPEC["population"]["traits"]["segments"]),
                ),
                C(
                    "adherence",
                    "float",
                    "Adherence propensity: expected share of days covered while on therapy",
                    "依从倾向",
                ),
                C(
                    "adherence_programme",
                    "float",
                    "The same in the programme",
                    "入组后依从倾向",
                ),
                C("stop_hazard", "float", "Monthly probability of stopping for good", "停药风险"),
                C(
                    "stopped_on",
                    "date",
                    "Date the patient stopped therapy for good",
                    "停药日期",
                    nullable=True,
                ),
            ),
            key=("patient_id",),
            truth=True,
        ),
        Table(
            "programme_truth",
            "Each randomised patient's PDC over the follow-up with and without the programme",
            "项目真实效果",
            (
                C("patient_id", "int", "Patient", "患者编号", references="patients.patient_id"),
                C(
                    "pdc_usual_care",
                    "float",
                    "PDC in the follow-up days after the index date, without the programme",
                    "未入组PDC",
                ),
                C("pdc_programme", "float", "The same, in the programme", "入组PDC"),
                C("effect", "float", "pdc_programme − pdc_usual_care", "真实效果"),
            ),
            key=("patient_id",),
            truth=True,
        ),
        *population.future_tables(
            _PATIENT,
            (
                C("refills", "int", "Dispensings in the hidden future", "未来取药次数"),
                C("packs", "int", "Packs dispensed in the hidden future", "未来盒数"),
                C("amount", "money", "Their amount (packs × price)", "未来金额", unit="currency"),
                C(
                    "margin",
                    "money",
                    "Their gross margin (packs × (price − unit_cost))",
                    "未来毛利",
                    unit="currency",
                ),
                C(
                    "pdc",
                    "float",
                    "Proportion of the hidden future's days covered (supply dispensed before the "
                    "as-of date counts for the days it lasts into it)",
                    "未来PDC",
                ),
                C(
                    "next_refill_on",
                    "date",
                    "First dispensing after the as-of date (empty: none in the hidden future)",
                    "下次取药日期",
                    nullable=True,
                ),
            ),
        ),
        Table(
            "future_refills",
            "Dispensings of the hidden future (the 12 months after the as-of date)",
            "未来取药记录",
            (
                *(_FUTURE_RX if c.name == "prescription_id" else c for c in _REFILL),
                C(
                    "margin",
                    "money",
                    "Gross margin: packs × (price − unit_cost)",
                    "毛利",
                    unit="currency",
                ),
                C(
                    "break_days",
                    "int",
                    "Days of a break off therapy before this dispensing, on top of the patient's "
                    "usual gap (0: none); the support programme does not shorten them",
                    "停药间歇天数",
                    unit="days",
                ),
            ),
            key=("refill_id",),
            truth=True,
        ),
        Table(
            "future_prescriptions",
            "Prescriptions first dispensed in the hidden future",
            "未来处方",
            _PRESCRIPTION,
            key=("prescription_id",),
            truth=True,
        ),
    ),
)


# ---------------------------------------------------------------- general helpers
# (candidates for the engine: nothing here is specific to pharma)


def allocate(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """``total`` items split in proportion to ``weights``, at least ``minimum`` each.

    Largest remainders, deterministic (ties go to the earlier entry).
    """
    weights = np.asarray(weights, float)
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"cannot give {minimum} each of {total} to {len(weights)}")
    exact = spare * weights / weights.sum()
    count = np.floor(exact).astype(np.int64)
    left = spare - count.sum()
    order = np.lexsort((np.arange(len(weights)), -(exact - count)))
    count[order[:left]] += 1
    return count + minimum


def pseudonyms(ids: np.ndarray, seed: int, prefix: str = "P") -> np.ndarray:
    """Codes of ``prefix`` and 8 hex digits, a keyed bijection of 32-bit ``ids``: never equal.

    The same id and seed give the same code; the code does not reveal the id's order.
    """
    mask = np.uint64(0xFFFFFFFF)
    x = (np.asarray(ids, np.uint64) + np.uint64(seed * 2654435761 & 0xFFFFFFFF)) & mask
    for multiplier in (0x9E3779B1, 0x85EBCA77):  # odd multipliers and xor-shifts: invertible
        x = (x * np.uint64(multiplier)) & mask
        x ^= x >> np.uint64(15)
    digits = (x[:, None] >> (np.arange(7, -1, -1, dtype=np.uint64) * np.uint64(4))) & np.uint64(15)
    text = np.frombuffer(b"0123456789ABCDEF", dtype="S1")[digits.astype(np.int64)]
    return np.char.add(prefix + "-", text.view(f"S{8}").ravel().astype(str))


# ---------------------------------------------------------------- reference tables


def _sizes(customers: int, regions: int) -> tuple[int, int, int]:
    company = SPEC["company"]
    doctors = max(-(-customers // company["patients_per_doctor"]), 2 * regions)
    hospitals = max(regions, -(-doctors // company["doctors_per_hospital"]))
    reps = max(regions, -(-doctors // company["doctors_per_rep"]))
    return doctors, hospitals, reps


def reference(build: Context) -> dict[str, pd.DataFrame]:
    """Regions, hospitals, reps, doctors (one per ~25 patients), products, the unit costs of
    serving doctors and patients and the spend per acquisition channel."""
    seed, locale, window = build.seed, build.locale, build.window
    regions = SPEC["regions"][locale.code]
    n_doctors, n_hospitals, n_reps = _sizes(build.params.customers, len(regions))
    geo = locale.geography
    state_column = locale.region_column
    region_of = {s: i for i, r in enumerate(regions) for s in r["states"]}
    geo_region = geo[state_column].map(region_of).to_numpy()
    people = np.bincount(geo_region, weights=geo["weight"], minlength=len(regions))
    region_table = pd.DataFrame(
        {
            "region_id": np.arange(1, len(regions) + 1),
            "name": [r["name"] for r in regions],
            "states": [", ".join(r["states"]) for r in regions],
        }
    )
    hospitals = _hospitals(seed, locale, geo, geo_region, people, n_hospitals, state_column)
    reps = _reps(seed, locale, window, people, n_reps)
    doctors, truth = _doctors(seed, locale, hospitals, reps, n_doctors, people)
    products = _products(locale, window)
    return {
        "regions": region_table,
        "hospitals": hospitals,
        "reps": reps,
        "doctors": doctors,
        "products": products,
        "unit_costs": _unit_costs(locale),
        "channel_spend": acquisition.channel_spend(build),
        "doctor_truth": truth,
    }


def reference_blocks(build: Context) -> Iterator[dict[str, pd.DataFrame]]:
    """The detailing calls, for ``DOCTORS_PER_BLOCK`` doctors at a time: an event table that
    grows with the number of doctors is never held whole (memory stays flat)."""
    ref = build.ref
    doctors, truth = ref["doctors"], ref["doctor_truth"]
    for number, first in enumerate(range(0, len(doctors), DOCTORS_PER_BLOCK)):
        part = slice(first, first + DOCTORS_PER_BLOCK)
        calls = _detailing(
            stream(build.seed, "pharma.detailing", number),
            build.locale,
            build.window,
            doctors[part],
            truth[part],
            ref["products"],
        )
        yield {"detailing_calls": calls}


def _hospitals(seed, locale, geo, geo_region, people, n, state_column) -> pd.DataFrame:
    rng = stream(seed, "pharma.hospitals")
    per_region = allocate(n, people)
    region = np.repeat(np.arange(len(people)), per_region)
    rows = np.empty(n, np.int64)
    weight = geo["weight"].to_numpy()
    for r in range(len(people)):  # a handful of regions
        inside = np.flatnonzero(geo_region == r)
        at = np.flatnonzero(region == r)
        rows[at] = inside[choose(rng, cumulative(weight[inside]), len(at))]
    tiers = SPEC["hospital_tiers"][locale.code]
    tier = choose(rng, cumulative([t["share"] for t in tiers.values()]), n)
    names = list(tiers)
    place = geo.iloc[rows]
    city = place["city"].to_numpy(object)
    district = place["district"].to_numpy(object) if "district" in place else city
    frame = pd.DataFrame({"city": city, "tier": np.array(names, dtype=object)[tier]})
    same = frame.groupby(["city", "tier"], sort=False).cumcount().to_numpy() + 1
    name = []
    for c, d, t, k in zip(city, district, frame["tier"], same, strict=True):
        template = tiers[t]["name"]
        number = locale.numeral(k)
        label = template.format(city=c, district=d, n=number)
        if "{n}" not in template and k > 1:  # the second hospital of a name: a branch
            label += SPEC["hospital_branch"][locale.code].format(n=number)
        name.append(label)
    low = np.array([tiers[t]["beds"][0] for t in names])[tier]
    high = np.array([tiers[t]["beds"][1] for t in names])[tier]
    beds = low + np.floor(rng.random(n) * (high - low + 1)).astype(np.int64)
    return pd.DataFrame(
        {
            "hospital_id": np.arange(1, n + 1),
            "name": name,
            "tier": frame["tier"],
            "city": city,
            "region": place[state_column].to_numpy(object),
            "region_id": region + 1,
            "beds": beds // 10 * 10,
        }
    )


def _reps(seed, locale, window, people, n) -> pd.DataFrame:
    rng = stream(seed, "pharma.reps")
    spec = SPEC["reps"]
    region = np.repeat(np.arange(len(people)), allocate(n, people))
    female = rng.random(n) < spec["female_share"]
    hired = window.start - pd.to_timedelta(rng.integers(*spec["hired_days_before"], n), unit="D")
    return pd.DataFrame(
        {
            "rep_id": np.arange(1, n + 1),
            "given_name": locale.draw_given(rng, female).to_pandas(),
            "family_name": locale.family.draw(rng, n).to_pandas(),
            "region_id": region + 1,
            "hired_on": hired.normalize(),
        }
    )


def _doctors(seed, locale, hospitals, reps, n, people) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = stream(seed, "pharma.doctors")
    h = len(hospitals)
    tiers = SPEC["hospital_tiers"][locale.code]
    spec = SPEC["doctors"]
    # a hospital's size: its beds and a few more, so a clinic without beds draws doctors too
    size = hospitals["beds"].to_numpy() + spec["hospital_size_extra_beds"]
    # every hospital has a doctor; each region's other doctors follow its people (patients see
    # doctors of their own region), going to the region's hospitals by size
    hospital_region = hospitals["region_id"].to_numpy() - 1
    per_region = np.bincount(hospital_region, minlength=len(people))
    spare = allocate(n, people, minimum=0) - per_region
    spare = np.maximum(spare, 0)
    spare[np.argmax(people)] += n - h - spare.sum()  # the rounding, in the largest region
    picks = [np.arange(h)]
    for r in np.flatnonzero(spare > 0):
        mine = np.flatnonzero(hospital_region == r)
        picks.append(mine[choose(rng, cumulative(size[mine]), int(spare[r]))])
    hospital = np.sort(np.concatenate(picks))
    female = rng.random(n) < spec["female_share"]
    specialty = choose(rng, cumulative([s["share"] for s in SPECIALTIES.values()]), n)
    label = locale.language
    specialty_names = np.array([s[label] for s in SPECIALTIES.values()], dtype=object)
    titles = spec["titles"][locale.code]
    title = choose(rng, cumulative(list(titles.values())), n)
    hospital_tier = hospitals["tier"].to_numpy(object)[hospital]
    boost = np.array([tiers[t]["volume"] for t in hospital_tier])
    volume = np.exp(rng.normal(0, spec["volume_sigma"], n)) * boost
    # the true tier: A for the top fifth by latent volume, then B, C, D
    shares = np.cumsum(list(spec["tiers"].values()))
    position = np.empty(n)
    position[np.argsort(-volume, kind="stable")] = (np.arange(n) + 0.5) / n
    tier = np.searchsorted(shares, position)
    # each region's doctors are shared out among its representatives in turn
    region = hospitals["region_id"].to_numpy()[hospital]
    rep_region = reps["region_id"].to_numpy()
    rep = np.empty(n, np.int64)
    for r in np.unique(region):  # a handful of regions
        mine = np.flatnonzero(region == r)
        theirs = reps["rep_id"].to_numpy()[rep_region == r]
        rep[mine] = theirs[np.arange(len(mine)) % len(theirs)]
    doctor_id = np.arange(1, n + 1)
    doctors = pd.DataFrame(
        {
            "doctor_id": doctor_id,
            "given_name": locale.draw_given(rng, female).to_pandas(),
            "family_name": locale.family.draw(rng, n).to_pandas(),
            "gender": np.where(female, "F", "M"),
            "hospital_id": hospitals["hospital_id"].to_numpy()[hospital],
            "specialty": specialty_names[specialty],
            "title": np.array(list(titles), dtype=object)[title],
            "rep_id": rep,
        }
    )
    # how much calls move the doctor (see pharma_campaign.call_multiplier): its own stream,
    # so the draws above are those of builds made before it
    response = SPEC["detailing"]["response"]
    lift = response["max_lift"] * np.exp(
        stream(seed, "pharma.doctors.response").normal(0, response["lift_sigma"], n)
        - response["lift_sigma"] ** 2 / 2
    )
    truth = pd.DataFrame(
        {
            "doctor_id": doctor_id,
            "volume": volume.round(4),
            "tier": np.array(TIERS)[tier],
            "call_lift": lift.round(4),
        }
    )
    return doctors, truth


def _products(locale, window) -> pd.DataFrame:
    label = locale.language
    return pd.DataFrame(
        {
            "product_id": np.arange(PRODUCT_BASE, PRODUCT_BASE + len(PRODUCTS)),
            "name": [p[label] for p in PRODUCTS],
            "therapy_area": [p["area"] for p in PRODUCTS],
            "pack_days": [p["pack_days"] for p in PRODUCTS],
            "price": [p["price"][locale.code] for p in PRODUCTS],
            "launched_on": [
                (window.as_of - pd.DateOffset(years=p["launched_years_before"])).normalize()
                for p in PRODUCTS
            ],
            "unit_cost": _price_and_cost(locale)[1],
        }
    )


def _price_and_cost(locale: Locale) -> tuple[np.ndarray, np.ndarray]:
    """Each product's price per pack and its cost of goods (its ``cost_share`` of the price),
    in the locale's currency."""
    price = np.array([p["price"][locale.code] for p in PRODUCTS])
    cost = np.round(price * np.array([p["cost_share"] for p in PRODUCTS]), 2)
    return price, cost


def _unit_costs(locale: Locale) -> pd.DataFrame:
    """The cost of each detailing call by channel and doctor (primary care or specialist), of
    an SMS reminder (what the kit's campaigns charge for an SMS) and of enrolling a patient in
    the support programme."""
    costs = SPEC["costs"]
    rows = [
        (channel, audience, "attendee" if channel == "meeting" else "call", cost)
        for channel, by_audience in costs["call"][locale.code].items()
        for audience, cost in by_audience.items()
    ]
    rows.append(("sms reminder", "patient", "message", CONTACT_COST[locale.currency]["sms"]))
    rows.append(
        ("programme enrolment", "patient", "patient", costs["programme_enrolment"][locale.code])
    )
    return pd.DataFrame(rows, columns=["activity", "audience", "unit", "cost"])


def _area_products() -> tuple[np.ndarray, np.ndarray]:
    """Per therapy area: the cumulative shares of its products (padded) and their positions."""
    width = max(sum(p["area"] == a for p in PRODUCTS) for a in AREAS)
    cum = np.ones((len(AREAS), width))
    position = np.zeros((len(AREAS), width), np.int64)
    for i, area in enumerate(AREAS):
        mine = [k for k, p in enumerate(PRODUCTS) if p["area"] == area]
        cum[i, : len(mine)] = cumulative([PRODUCTS[k]["share"] for k in mine])
        position[i, : len(mine)] = mine
        position[i, len(mine) :] = mine[-1]
    return cum, position


def _specialty_areas() -> np.ndarray:
    """Cumulative shares of the therapy areas, one row per specialty."""
    rows = [[s["areas"].get(a, 0.0) for a in AREAS] for s in SPECIALTIES.values()]
    return np.array([cumulative(r) for r in rows])


def _detailing(rng, locale, window, doctors, truth, products) -> pd.DataFrame:
    spec = SPEC["detailing"]
    months = len(window.days) / 30.44
    rate = np.array([spec["calls_per_month"][t] for t in TIERS])
    tier = pd.Categorical(truth["tier"], categories=TIERS).codes
    count = rng.poisson(rate[tier] * months)
    who = np.repeat(np.arange(len(doctors)), count)
    weights = day_weights(window, locale, SPEC["calendar"])
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    day = sample_days(rng, cum, np.zeros(len(who), np.int64), np.full(len(who), len(weights) - 1))
    order = np.lexsort((day, who))
    who, day = who[order], day[order]
    seq = np.arange(len(who)) - np.searchsorted(who, who)
    # the product discussed: one the doctor's specialty prescribes
    label = locale.language
    specialty = pd.Categorical(
        doctors["specialty"], categories=[s[label] for s in SPECIALTIES.values()]
    ).codes[who]
    area = (_specialty_areas()[specialty] < rng.random(len(who))[:, None]).sum(axis=1)
    product_cum, product_pos = _area_products()
    pick = (product_cum[area] < rng.random(len(who))[:, None]).sum(axis=1)
    product = product_pos[area, pick]
    channel = choose(rng, cumulative(list(spec["channels"].values())), len(who))
    doctor_id = doctors["doctor_id"].to_numpy()[who]
    return pd.DataFrame(
        {
            "call_id": doctor_id * CALL_NUMBERS + seq + 1,
            "rep_id": doctors["rep_id"].to_numpy()[who],
            "doctor_id": doctor_id,
            "call_date": np.datetime64(window.start.date(), "D") + day.astype("timedelta64[D]"),
            "channel": np.array(CALL_CHANNELS, dtype=object)[channel],
            "product_id": products["product_id"].to_numpy()[product],
        }
    )


# ---------------------------------------------------------------- one block of patients


class PharmaBlock(Block):
    industry = "pharma"

    def __init__(self, *args):
        super().__init__(*args)
        window = self.window
        start = window.start
        # patients are simulated into the hidden future; day numbers from ``seen`` on are
        # written only to the truth (the future_* tables)
        self.seen = len(window.days)
        self.n_days = len(window.all_days)
        self.registered = (self.people["registered_on"] - start).dt.days.to_numpy()
        leaves = self.people["truth_leaves_on"]
        stop = (leaves - start).dt.days.to_numpy(dtype=float, na_value=np.inf)
        self.stop = np.minimum(stop, self.n_days)  # first day with no fill (the future's end)
        self.start = np.datetime64(start.date(), "D")

    def _doctor_and_product(self) -> tuple[np.ndarray, np.ndarray]:
        """A doctor in the patient's own sales region (heavy-tailed weights), then a product."""
        rng = self.rng("doctor")
        doctors, hospitals = self.ref["doctors"], self.ref["hospitals"]
        regions = SPEC["regions"][self.locale.code]
        region_of = {s: i for i, r in enumerate(regions) for s in r["states"]}
        states = self.people["region"].cat
        patient_region = np.array([region_of[c] for c in states.categories])[states.codes]
        # hospital ids are 1, 2, ...
        hospital_region = hospitals["region_id"].to_numpy() - 1
        doctor_region = hospital_region[doctors["hospital_id"].to_numpy() - 1]
        volume = self.ref["doctor_truth"]["volume"].to_numpy()
        u = rng.random(self.n)
        doctor = np.empty(self.n, np.int64)
        for r in range(len(regions)):  # a handful of regions
            mine = np.flatnonzero(patient_region == r)
            theirs = np.flatnonzero(doctor_region == r)
            pick = np.searchsorted(cumulative(volume[theirs]), u[mine], side="right")
            doctor[mine] = theirs[np.minimum(pick, len(theirs) - 1)]
        label = self.locale.language
        specialty = pd.Categorical(
            doctors["specialty"], categories=[s[label] for s in SPECIALTIES.values()]
        ).codes[doctor]
        area = (_specialty_areas()[specialty] < rng.random(self.n)[:, None]).sum(axis=1)
        product_cum, product_pos = _area_products()
        pick = (product_cum[area] < rng.random(self.n)[:, None]).sum(axis=1)
        return doctor, product_pos[area, pick]

    def tables(self) -> dict[str, pd.DataFrame | pa.Table]:
        p, n = self.people, self.n
        therapy, programme = SPEC["therapy"], SPEC["programme"]
        doctor, product = self._doctor_and_product()
        pack_days = np.array([q["pack_days"] for q in PRODUCTS])[product]

        # adherence propensity from the latent segment; the programme closes part of the gap
        rng = self.rng("adherence")
        segments = SPEC["population"]["traits"]["segments"]
        segment = p["truth_segment"].cat.codes.to_numpy()
        a = np.array([s["adherence_a"] for s in segments.values()])[segment]
        b = np.array([s["adherence_b"] for s in segments.values()])[segment]
        adherence = np.clip(rng.beta(a, b), *therapy["adherence_range"])
        adherence_programme = with_programme(adherence, programme["gap_closed"])

        # the first fill: the day of registration, or within the first pack for patients
        # already on therapy before the window
        prevalent = self.registered < 0
        first = np.where(
            prevalent,
            np.floor(rng.random(n) * pack_days).astype(np.int64),
            self.registered,
        )

        # slots: each patient's possible fills (at most one a pack from the first fill to the
        # hidden future's end), kept flat and sorted by patient; prescriptions of 1-3 fills of
        # 1-3 packs
        h = programme["follow_up_days"]
        room = np.maximum(self.n_days - 1 - first, -1) // pack_days + 1
        patient = np.repeat(np.arange(n), room)
        offset = np.cumsum(room) - room
        position = arrays.rank(patient) - 1  # the slot's number within its patient
        size = len(patient)
        rx_rng = self.rng("prescriptions")
        # the j-th slot of a patient also draws the length and packs of their j-th prescription
        fills = 1 + choose(rx_rng, cumulative(therapy["fills_authorised"]), size)
        quantity = np.array([int(k) for k in therapy["quantity"]])
        packs_rx = quantity[choose(rx_rng, cumulative(list(therapy["quantity"].values())), size)]
        rx_start = arrays.run_cumsum(patient, fills) - fills
        new = np.zeros(size, bool)
        starting = rx_start < room[patient]
        new[(offset[patient] + rx_start)[starting]] = True
        rx = arrays.run_cumsum(patient, new.astype(np.int64)) - 1  # the slot's prescription
        at = offset[patient] + rx  # where that prescription's draws are kept
        packs, fills_rx = packs_rx[at], fills[at]
        fill_number = position - rx_start[at] + 1
        supply = packs * pack_days[patient]

        # gaps: the same draws under both potential adherences, and now and then a break off
        # therapy on top, which the programme does not shorten
        draw = self.rng("gaps").exponential(1.0, size)
        gap = gap_days(supply, draw, adherence[patient])
        pause = self._breaks(size)

        def schedule(gaps):
            step = supply + gaps
            return first[patient] + arrays.run_cumsum(patient, step) - step

        # the randomised programme: new patients with SMS consent, first fill in its run
        launch = self.seen - programme["launch_days_before_as_of"]
        eligible = (
            ~prevalent
            & (first >= launch)
            & (first <= self.seen - 1 - h)
            & (first < self.stop)
            & p["consent_sms"].to_numpy()
        )
        group_draw = self.rng("programme").random(n)
        enrolled = eligible & (group_draw < programme["share_enrolled"])
        day_usual = schedule(gap + pause)
        day_programme = schedule(
            programme_gaps(gap, adherence[patient], programme["gap_closed"]) + pause
        )
        day = np.where(enrolled[patient], day_programme, day_usual)
        alive = self.stop[patient]
        end = first[patient] + h

        def pdc(days):
            counted = (days < alive) & (days < end)
            covered = np.where(counted, np.minimum(supply, end - days), 0)
            return np.bincount(patient, weights=covered, minlength=n) / h

        # no fill on or after the stop date (nor after the future's end); students see the
        # fills up to the as-of date, the future's go to the truth
        valid = day < alive
        v = np.flatnonzero(valid & (day < self.seen))
        f = np.flatnonzero(valid & (day >= self.seen))
        events = dict(
            patient=patient,
            position=position,
            rx=rx,
            new=new,
            day=day,
            packs=packs,
            supply=supply,
            fill_number=fill_number,
            fills=fills_rx,
            product=product,
            doctor=doctor,
            # the break before each fill: the one after the patient's previous fill
            pause=np.where(position > 0, np.r_[0, pause[:-1]], 0),
        )
        refills = self._refills(events, v)
        prescriptions = self._prescriptions(events, v)

        # reminders: a few days before each refill falls due, while on therapy
        due = day + supply - programme["reminder_days_before"]
        m = np.flatnonzero(valid & enrolled[patient] & (due < alive) & (due <= self.seen - 1))
        reminders = pa.Table.from_arrays(
            [
                pa.array(self.ids[patient[m]] * EVENT_NUMBERS + position[m] + 1),
                pa.array(self.ids[patient[m]]),
                pa.array(self.start + due[m].astype("timedelta64[D]")),
                pa.array(np.full(len(m), "sms", dtype=object), pa.string()),
            ],
            schema=SCHEMA.table("reminders").arrow,
        )

        who = np.flatnonzero(eligible)
        phones = p["phone"].to_numpy(dtype=object)
        index_date = self.start + first[who].astype("timedelta64[D]")
        programme_table = pd.DataFrame(
            {
                "patient_id": self.ids[who],
                "index_date": index_date,
                "test_group": np.where(enrolled[who], GROUPS[0], GROUPS[1]),
                "enrolled_on": np.where(enrolled[who], index_date, np.datetime64("NaT")),
                "mobile": np.where(enrolled[who], phones[who], None),
            }
        )
        usual, treated = pdc(day_usual)[who], pdc(day_programme)[who]
        programme_truth = pd.DataFrame(
            {
                "patient_id": self.ids[who],
                "pdc_usual_care": usual,
                "pdc_programme": treated,
                "effect": treated - usual,
            }
        )
        patients = p.rename(columns={"customer_id": "patient_id"}).assign(
            patient_code=pseudonyms(self.ids, self.seed),
            doctor_id=self.ref["doctors"]["doctor_id"].to_numpy()[doctor],
        )
        patient_truth = pd.DataFrame(
            {
                "patient_id": self.ids,
                "segment": p["truth_segment"],
                "adherence": adherence.round(4),
                "adherence_programme": adherence_programme.round(4),
                "stop_hazard": p["truth_stop_hazard"].round(5),
                "stopped_on": p["truth_stopped_on"],
            }
        )
        return {
            "patients": patients[[c.name for c in SCHEMA.table("patients").columns]],
            "prescriptions": prescriptions,
            "refills": refills,
            "patient_programme": programme_table,
            "reminders": reminders,
            "patient_truth": patient_truth,
            "programme_truth": programme_truth,
            "future_customers": self._future_customers(events, np.flatnonzero(valid), f),
            "future_refills": self._refills(events, f, future=True),
            "future_prescriptions": self._prescriptions(events, f, future=True),
        }

    def _breaks(self, size: int) -> np.ndarray:
        """Days of a break off therapy after each of ``size`` fill slots (0: none): a share of
        gaps, lognormal lengths."""
        spec = SPEC["therapy"]["breaks"]
        rng = self.rng("breaks")
        on_break = np.flatnonzero(rng.random(size) < spec["share"])
        days = np.zeros(size, np.int64)
        length = rng.lognormal(np.log(spec["median_days"]), spec["sigma"], len(on_break))
        days[on_break] = np.floor(length)
        return days

    def _money(self, events: dict, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The amount (packs × price) and gross margin (packs × (price − unit cost)) of the
        fills at ``rows``, in cents."""
        product = events["product"][events["patient"][rows]]
        price, cost = (np.round(c * 100).astype(np.int64) for c in _price_and_cost(self.locale))
        packs = events["packs"][rows]
        return packs * price[product], packs * (price - cost)[product]

    def _refills(self, events: dict, rows: np.ndarray, future: bool = False) -> pa.Table:
        """The dispensings at ``rows`` of the block's fill slots (``events``); in the hidden
        future with their gross margin."""
        patient = events["patient"][rows]
        pid = self.ids[patient]
        amount, margin = self._money(events, rows)
        columns = [
            pa.array(pid * EVENT_NUMBERS + events["position"][rows] + 1),
            pa.array(pid * EVENT_NUMBERS + events["rx"][rows] + 1),
            pa.array(pid),
            pa.array(PRODUCT_BASE + events["product"][patient]),
            pa.array(events["fill_number"][rows]),
            pa.array(self.start + events["day"][rows].astype("timedelta64[D]")),
            pa.array(events["packs"][rows]),
            pa.array(events["supply"][rows]),
            pa.array(amount / 100),
        ]
        if future:
            columns += [pa.array(margin / 100), pa.array(events["pause"][rows])]
        return pa.Table.from_arrays(
            columns, schema=SCHEMA.table("future_refills" if future else "refills").arrow
        )

    def _prescriptions(self, events: dict, rows: np.ndarray, future: bool = False) -> pa.Table:
        """The prescriptions first filled at ``rows`` of the block's fill slots."""
        w = rows[events["new"][rows]]
        patient = events["patient"][w]
        doctor_ids = self.ref["doctors"]["doctor_id"].to_numpy()
        return pa.Table.from_arrays(
            [
                pa.array(self.ids[patient] * EVENT_NUMBERS + events["rx"][w] + 1),
                pa.array(self.ids[patient]),
                pa.array(doctor_ids[events["doctor"][patient]]),
                pa.array(PRODUCT_BASE + events["product"][patient]),
                pa.array(self.start + events["day"][w].astype("timedelta64[D]")),
                pa.array(events["packs"][w]),
                pa.array(events["fills"][w]),
            ],
            schema=SCHEMA.table("future_prescriptions" if future else "prescriptions").arrow,
        )

    def _future_customers(self, events: dict, valid: np.ndarray, rows: np.ndarray):
        """Each patient in the hidden future: the fills at ``rows`` summed, the share of its
        days covered by every fill (``valid``: those before the as-of date count for the
        supply they carry over), the first refill and the day they stop for good."""
        n, patient = self.n, events["patient"]
        amount, margin = self._money(events, rows)
        day, supply = events["day"][valid], events["supply"][valid]
        covered = np.clip(
            np.minimum(day + supply, self.n_days) - np.maximum(day, self.seen), 0, None
        )
        first = np.full(n, np.datetime64("NaT"), "datetime64[D]")
        order = rows[::-1]  # latest first: the earliest fill wins
        first[patient[order]] = self.start + events["day"][order].astype("timedelta64[D]")
        leaves = self.people["truth_leaves_on"]
        return pd.DataFrame(
            {
                "patient_id": self.ids,
                "leaves_on": leaves.where(leaves > self.window.as_of),
                "refills": np.bincount(patient[rows], minlength=n),
                "packs": np.bincount(
                    patient[rows], weights=events["packs"][rows], minlength=n
                ).astype(np.int64),
                "amount": arrays.group_sum(patient[rows], amount, n) / 100,
                "margin": arrays.group_sum(patient[rows], margin, n) / 100,
                "pdc": (
                    np.bincount(patient[valid], weights=covered, minlength=n)
                    / (self.n_days - self.seen)
                ).round(4),
                "next_refill_on": first,
            }
        )


def source_lists(ref: dict[str, pd.DataFrame], locale: Locale) -> dict[str, pd.DataFrame]:
    """The reference tables as the company's source systems list them (one column per field
    role, the true id as ``customer_id``): doctors with their hospital's name, hospitals."""
    hospitals = ref["hospitals"]
    name = dict(zip(hospitals["hospital_id"], hospitals["name"], strict=True))
    doctors = ref["doctors"]
    return {
        "doctors": pd.DataFrame(
            {
                "customer_id": doctors["doctor_id"].to_numpy(),
                "given_name": doctors["given_name"].to_numpy(dtype=object),
                "family_name": doctors["family_name"].to_numpy(dtype=object),
                "gender": doctors["gender"].to_numpy(dtype=object),
                "organisation": doctors["hospital_id"].map(name).to_numpy(dtype=object),
                "specialty": doctors["specialty"].to_numpy(dtype=object),
                "title": doctors["title"].to_numpy(dtype=object),
            }
        ),
        "hospitals": pd.DataFrame(
            {
                "customer_id": hospitals["hospital_id"].to_numpy(),
                "organisation": hospitals["name"].to_numpy(dtype=object),
                "tier": hospitals["tier"].to_numpy(dtype=object),
                "city": hospitals["city"].to_numpy(dtype=object),
                "region": hospitals["region"].to_numpy(dtype=object),
                "beds": hospitals["beds"].astype(str).to_numpy(dtype=object),
            }
        ),
    }


INDUSTRY = Industry(
    name="pharma",
    spec=SPEC,
    schema=SCHEMA,
    block=PharmaBlock,
    block_size=BLOCK_SIZE,
    people=PEOPLE,
    events=EVENTS,
    reference=reference,
    company=COMPANY,
    region=REGION,
    reference_blocks=reference_blocks,
    source_lists=source_lists,
    campaign="generator.industries.pharma_campaign",
)
