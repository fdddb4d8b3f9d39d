"""The automaker and its dealers: leads, follow-ups, test drives, sales, vehicles, service.

What the data must teach (the automaker case, textbook 第四节 四) is planted here: leads come
from auto shows, the website, the hotline, referrals and walk-ins and convert differently by
source; owners come back for service on a time-or-mileage schedule, less often once the warranty
ends; after some years they replace their car and a share buy the brand again; service reminders
and trade-in offers are measured against a random control group. Rates live in ``auto.json``
beside this file, with their sources.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from generator import acquisition, arrays, outlets, population
from generator import campaigns as campaign_engine
from generator.blocks import Block
from generator.context import Context
from generator.industries.auto_campaign import service_chances, trade_in_chances
from generator.locales import Locale
from generator.population import Window
from generator.registry import Industry, load_spec
from generator.schema import Column, Schema, Table
from generator.streams import SHARE_CELLS, choose, cumulative, share_table

SPEC = load_spec(__file__)  # checked against its schema
SOURCES = tuple(SPEC["population"]["acquisition_sources"])
LEAD_SOURCES = tuple(SPEC["funnel"]["test_drive"])  # the sources a lead can have
SEGMENTS = tuple(SPEC["population"]["traits"]["segments"])
TRIMS = len(SPEC["trims"]["factor"])
MODEL_BASE = 101  # the first model id; ids are consecutive, one per model and trim
CAMPAIGN_KINDS = ("service reminder", "trade-in offer")
SERVICE_TYPES = ("first service", "maintenance", "repair")
FINANCING = ("cash", "loan", "lease")
FOLLOWUP_CHANNELS = ("phone", "sms", "email")
OUTCOMES = ("no answer", "call back later", "test drive booked", "not interested")
COMPONENTS = tuple(SPEC["service"]["components"])
SURVEY_KINDS = ("purchase", "service")
PAGES = tuple(SPEC["web"]["pages"])
DEVICES = ("mobile", "desktop")
WEB_MIXES = ("landing", "browse", "buy", "owner")  # the page mixes of the web spec
# the four mixes' share tables one after the other: mix k's pages from cell k * SHARE_CELLS on
_PAGE_DRAW = np.concatenate([share_table(SPEC["web"][m]) for m in WEB_MIXES])
_SHOWS_MODEL = np.isin(PAGES, ("model", "configurator", "finance calculator"))  # per page
# id schemes: a lead or a sale is the customer number followed by one digit (1 = first car,
# 2 = replacement), a follow-up the lead number followed by one digit, a service visit or a
# survey the customer number followed by three digits (the customer's n-th one)
PER_CUSTOMER = 10
PER_LEAD = 10
PER_CUSTOMER_VISITS = 1000
PER_CUSTOMER_PAGES = 100_000  # page views and web sessions are numbered within their customer
LEAD_IN_DAYS = 400  # a car's service schedule is followed from this long before the window
MAX_FOLLOWUPS = SPEC["funnel"]["max_followups"]  # per lead; at most 9 (PER_LEAD)


# ---------------------------------------------------------------- general helpers
# (general in form: candidates for the engine)

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # the 33 characters a VIN may use
_VIN_VALUE = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9],
        strict=True,
    )
)
VIN_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2])
# model-year codes (position 10) repeat every 30 years from 1980 = A; no I, O, Q, U, Z or 0
VIN_YEARS = "ABCDEFGHJKLMNPRSTVWXY123456789"


def _vin_values() -> np.ndarray:
    values = np.zeros(128, np.int64)
    for digit in range(10):
        values[ord(str(digit))] = digit
    for letter, value in _VIN_VALUE.items():
        values[ord(letter)] = value
    return values


VIN_VALUES = _vin_values()


def vin_check_digits(body: np.ndarray) -> np.ndarray:
    """The ISO 3779 / North-American check digit (position 9) of VINs as (n, 17) ASCII codes."""
    total = (VIN_VALUES[body] * VIN_WEIGHTS).sum(axis=1) % 11
    return np.where(total == 10, ord("X"), ord("0") + total).astype(np.uint8)


def vins(wmi: str, vds: np.ndarray, year: np.ndarray, serial: np.ndarray) -> pa.Array:
    """17-character VINs, vectorised: world manufacturer code, 5-character descriptor (an
    (n, 5) array of ASCII codes), model year and a serial number below 33 × 10**6 (position 11,
    the plant and batch, holds the serial's millions in the VIN alphabet; 12-17 the rest)."""
    n = len(year)
    if len(serial) and serial.max() >= 33 * 10**6:
        raise ValueError("VIN serial numbers run out beyond 33 million vehicles")
    out = np.zeros((n, 17), np.uint8)
    out[:, :3] = np.frombuffer(wmi.encode("ascii"), np.uint8)
    out[:, 3:8] = vds
    out[:, 9] = np.frombuffer(VIN_YEARS.encode("ascii"), np.uint8)[(year - 1980) % 30]
    alphabet = np.frombuffer(VIN_ALPHABET.encode("ascii"), np.uint8)
    out[:, 10] = alphabet[serial // 10**6]
    rest = serial % 10**6
    for position in range(16, 10, -1):
        out[:, position] = ord("0") + rest % 10
        rest //= 10
    out[:, 8] = vin_check_digits(out)
    offsets = np.arange(0, 17 * n + 1, 17, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(out.tobytes())]
    )


def days_to_dates(start: pd.Timestamp, days: np.ndarray) -> np.ndarray:
    """Day numbers counted from ``start`` as datetime64[s] dates."""
    return (np.datetime64(start.date(), "D") + days.astype("timedelta64[D]")).astype(
        "datetime64[s]"
    )


def gamma_days(rng: np.random.Generator, shape_scale, n: int) -> np.ndarray:
    """Whole numbers of days, at least one, drawn from Gamma(shape, scale)."""
    shape, scale = shape_scale
    return 1 + np.floor(rng.gamma(shape, scale, n)).astype(np.int64)


def _shares(shares: dict[str, float]) -> np.ndarray:
    return cumulative(np.array(list(shares.values()), float))


def _cat(names: tuple[str, ...], codes: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, np.int8), dtype=_dtype(names))


def _labels(names: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """Category codes as an Arrow column of their names."""
    return pa.array(names).take(pa.array(np.asarray(codes, np.int8)))


@functools.cache
def _dtype(names: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(pd.Index(list(names), dtype="str"))


# ---------------------------------------------------------------- schema

PEOPLE = "customers"  # the table of the people each block is made of
FUTURE_EVENTS = ("future_sales", "future_service_visits")  # the hidden future's events
# the event tables, seen and in the hidden future (the benchmark counts their rows)
EVENTS = (
    "leads",
    "lead_followups",
    "test_drives",
    "sales",
    "service_visits",
    "warranty_claims",
    "surveys",
    "web_page_views",
    *FUTURE_EVENTS,
)

COMPANY = SPEC["company"]["name"]  # the company's name, per locale
REGION = SPEC["company"]["region"]  # where the customers live, per locale
BLOCK_SIZE = 20_000  # customers per block: about 20 events each (mostly web page views)
C = Column
_person = population.person_columns(
    SPEC["population"],
    C("customer_id", "int", "Customer number (prospect or owner)", "客户编号"),
    registered=("Date of the first lead, or of the warranty card for earlier owners", "建档日期"),
    extra=(
        C(
            "dealer_id",
            "int",
            "The customer's dealer (nearest, or where the first lead came in)",
            "所属经销商",
            references="dealers.dealer_id",
        ),
    ),
)
_customer = C("customer_id", "int", "Customer", "客户编号", references="customers.customer_id")
_dealer = C("dealer_id", "int", "Dealer", "经销商编号", references="dealers.dealer_id")
_model = C("model_id", "int", "Model and trim", "车型编号", references="models.model_id")
_vin = C(
    "vin", "str", "Vehicle identification number", "车辆识别代号(VIN)", references="vehicles.vin"
)
_campaign = C("campaign_id", "int", "Campaign", "活动编号", references="campaigns.campaign_id")
_SALE_GROSS = C(
    "gross_profit",
    "money",
    "The dealer's gross profit: price − the model's unit cost, plus the used-car gross of the "
    "car traded in (unit_costs)",
    "销售毛利",
    unit="currency",
)
_VISIT_COLUMNS = (  # a workshop visit's columns after the dealer's, seen or in the future
    C(
        "odometer_km",
        "int",
        "Odometer reading",
        "行驶里程",
        check="odometer_km >= 0",
        unit="km",
    ),
    C("service_type", "category", "Kind of visit", "服务类型", values=SERVICE_TYPES),
    C("warranty", "bool", "Repair covered by the warranty", "是否保修"),
    C(
        "revenue",
        "money",
        "Amount billed to the customer",
        "客户付费金额",
        check="revenue >= 0",
        unit="currency",
    ),
    C(
        "gross_profit",
        "money",
        "The dealer's gross profit on the repair order: what the customer (or, for the free "
        "first service and warranty repairs, the maker) paid, less the parts and labour",
        "工单毛利",
        unit="currency",
    ),
)

SCHEMA = Schema(
    industry="auto",
    title=SPEC["title"],
    notes=tuple(SPEC["sources"]),
    tables=(
        outlets.table(
            SPEC["outlets"],
            "The brand's dealers",
            "经销商",
            C("service_bays", "int", "Workshop bays", "维修工位", check="service_bays > 0"),
            ("Dealer", "经销商"),
        ),
        Table(
            "models",
            "Models on sale, one row per trim",
            "车型",
            (
                C("model_id", "int", "Model-and-trim number", "车型编号"),
                C("model", "str", "Model name", "车系"),
                C("trim", "str", "Trim level", "配置"),
                C(
                    "body",
                    "category",
                    "Body type",
                    "车身类型",
                    values=("sedan", "SUV", "MPV", "EV"),
                ),
                C(
                    "list_price",
                    "money",
                    "List price",
                    "指导价",
                    check="list_price > 0",
                    unit="currency",
                ),
                C("vin_code", "str", "Model code in the VIN (positions 4-5)", "VIN车型代码"),
                C(
                    "unit_cost",
                    "money",
                    "The dealer's cost of the car (invoice price)",
                    "经销商进价",
                    check="unit_cost > 0",
                    unit="currency",
                ),
            ),
            key=("model_id",),
        ),
        Table(
            "unit_costs",
            "What a contact costs and what a trade-in and the workshop earn",
            "单位成本与毛利",
            (
                C("item", "str", "What is costed", "项目"),
                C("value", "float", "Amount (or share)", "数值"),
                C("unit", "str", "Unit of the value", "单位"),
            ),
            key=("item",),
        ),
        acquisition.table(LEAD_SOURCES),
        Table(
            "customers",
            "Prospects (everyone who became a lead) and owners",
            "客户(潜客与车主)",
            _person,
            key=("customer_id",),
            indexes=("postcode",),
        ),
        Table(
            "leads",
            "Sales leads: an enquiry with its source and the model of interest",
            "销售线索",
            (
                C("lead_id", "int", "Lead number", "线索编号"),
                _customer,
                _dealer,
                C("created_on", "date", "Date the lead came in", "线索日期"),
                C(
                    "source",
                    "category",
                    "Where the lead came from",
                    "线索来源",
                    values=LEAD_SOURCES,
                ),
                _model,
                C(
                    "existing_owner",
                    "bool",
                    "The customer already owns one of the brand's cars",
                    "是否老车主",
                ),
                C(
                    "campaign_id",
                    "int",
                    "Campaign that brought the lead (a trade-in offer), if any",
                    "来源活动",
                    nullable=True,
                    references="campaigns.campaign_id",
                ),
            ),
            key=("lead_id",),
            indexes=("created_on",),
        ),
        Table(
            "lead_followups",
            "The dealer's follow-up contacts on a lead",
            "线索跟进",
            (
                C("followup_id", "int", "Follow-up number", "跟进编号"),
                C("lead_id", "int", "Lead", "线索编号", references="leads.lead_id"),
                _customer,
                C("contacted_on", "date", "Date of the contact", "跟进日期"),
                C("channel", "category", "Channel", "跟进方式", values=FOLLOWUP_CHANNELS),
                C("outcome", "category", "Result of the contact", "跟进结果", values=OUTCOMES),
            ),
            key=("followup_id",),
        ),
        Table(
            "test_drives",
            "Test drives",
            "试驾",
            (
                C("test_drive_id", "int", "Test-drive number (the lead's number)", "试驾编号"),
                C("lead_id", "int", "Lead", "线索编号", references="leads.lead_id"),
                _customer,
                _dealer,
                _model,
                C("driven_on", "date", "Date of the test drive", "试驾日期"),
            ),
            key=("test_drive_id",),
        ),
        Table(
            "vehicles",
            "Vehicles sold to the database's customers",
            "车辆",
            (
                C(
                    "vin",
                    "str",
                    "Vehicle identification number (17 characters)",
                    "车辆识别代号(VIN)",
                ),
                _model,
                C("model_year", "int", "Model year", "年款"),
                C("colour", "str", "Colour", "颜色"),
                C("built_on", "date", "Production date", "生产日期"),
            ),
            key=("vin",),
        ),
        Table(
            "sales",
            "New-car sales",
            "新车销售",
            (
                C("sale_id", "int", "Sale number", "销售编号"),
                _customer,
                C(
                    "lead_id",
                    "int",
                    "Lead the sale closed (none for sales recorded from warranty cards)",
                    "线索编号",
                    nullable=True,
                    references="leads.lead_id",
                ),
                _dealer,
                _vin,
                _model,
                C("sold_on", "date", "Date of sale (delivery)", "销售日期"),
                C("list_price", "money", "List price", "指导价", unit="currency"),
                C("price", "money", "Price paid", "成交价", check="price > 0", unit="currency"),
                C(
                    "financing",
                    "category",
                    "How the car was paid for",
                    "付款方式",
                    values=FINANCING,
                ),
                C(
                    "trade_in",
                    "bool",
                    "The buyer traded in their previous car of the brand",
                    "是否置换",
                ),
                _SALE_GROSS,
            ),
            key=("sale_id",),
            indexes=("sold_on",),
        ),
        Table(
            "service_visits",
            "Workshop visits at the dealers",
            "售后维修保养",
            (
                C("visit_id", "int", "Repair-order number", "工单编号"),
                _vin,
                _customer,
                _dealer,
                C("visited_on", "date", "Date of the visit", "进厂日期"),
                *_VISIT_COLUMNS,
            ),
            key=("visit_id",),
            indexes=("visited_on",),
        ),
        Table(
            "warranty_claims",
            "Warranty repairs claimed by the dealer from the maker",
            "保修索赔",
            (
                C("claim_id", "int", "Claim number (the repair order's number)", "索赔编号"),
                C(
                    "visit_id",
                    "int",
                    "Repair order",
                    "工单编号",
                    references="service_visits.visit_id",
                ),
                _vin,
                C("component", "category", "Component repaired", "故障部件", values=COMPONENTS),
                C(
                    "amount",
                    "money",
                    "Amount claimed",
                    "索赔金额",
                    check="amount > 0",
                    unit="currency",
                ),
                C("approved", "bool", "Approved by the maker", "是否批准"),
            ),
            key=("claim_id",),
        ),
        Table(
            "surveys",
            "Satisfaction surveys after a purchase or a service visit",
            "满意度调查",
            (
                C("survey_id", "int", "Survey number", "调查编号"),
                _customer,
                _dealer,
                C("kind", "category", "What was rated", "调查类型", values=SURVEY_KINDS),
                C("answered_on", "date", "Date answered", "回复日期"),
                C(
                    "score",
                    "int",
                    "How likely to recommend the dealer, 0-10",
                    "推荐意愿评分",
                    check="score BETWEEN 0 AND 10",
                ),
            ),
            key=("survey_id",),
        ),
        Table(
            "web_page_views",
            "Pages of the brand's website opened by known customers (signed in, or recognised "
            "after they left their details on a form)",
            "官网浏览记录",
            (
                C("page_view_id", "int", "Page-view number", "浏览编号"),
                _customer,
                C(
                    "session_id",
                    "int",
                    "Visit number: the pages opened in one visit share it",
                    "访问编号",
                ),
                C("viewed_at", "timestamp", "Date and time the page was opened", "浏览时间"),
                C("page", "category", "Page of the website", "页面", values=PAGES),
                C(
                    "model_id",
                    "int",
                    "Model the page shows (model, configurator and finance pages)",
                    "车型编号",
                    nullable=True,
                    references="models.model_id",
                ),
                C("device", "category", "Device", "设备", values=DEVICES),
            ),
            key=("page_view_id",),
            indexes=("viewed_at",),
        ),
        campaign_engine.campaigns_table(
            C("kind", "category", "Kind of campaign", "活动类型", values=CAMPAIGN_KINDS),
            meaning="Marketing campaigns to owners",
            who="owners",
            launched=("Date the messages were sent", "发送日期"),
            response="Days after launch a service (reminder) or a purchase (trade-in) counts",
            offer=C(
                "offer_value", "money", "Voucher or trade-in bonus", "优惠金额", unit="currency"
            ),
        ),
        campaign_engine.contacts_table(
            _customer,
            meaning="Eligible owners: contacted (treatment) or held out",
            sent=("Date sent (treatment only)", "发送日期"),
            responded="Came for a scheduled service (reminder) or bought a new car (trade-in)",
        ),
        Table(
            "customer_truth",
            "Latent traits behind each customer's behaviour",
            "客户真实特征",
            (
                _customer,
                C("segment", "category", "Latent segment", "潜在细分", values=SEGMENTS),
                C(
                    "purchase_intent",
                    "float",
                    "0-1: how ready to buy when the lead came in",
                    "购买意向",
                ),
                C(
                    "loyalty",
                    "float",
                    "Probability of buying the brand again at replacement",
                    "品牌忠诚度",
                ),
                C(
                    "price_sensitivity",
                    "float",
                    "0 (indifferent) to 1 (very price sensitive)",
                    "价格敏感度",
                ),
                C("annual_km", "float", "Kilometres driven a year", "年行驶里程", unit="km"),
                C(
                    "stop_hazard",
                    "float",
                    "Monthly probability of leaving the brand's network for good",
                    "流失风险",
                ),
                C(
                    "stopped_on",
                    "date",
                    "Date the customer left for good",
                    "流失日期",
                    nullable=True,
                ),
            ),
            key=("customer_id",),
            truth=True,
        ),
        Table(
            "replacements",
            "When each car bought is (or would be) replaced, and with which brand",
            "换车时间",
            (
                C("vin", "str", "The car replaced", "车辆识别代号(VIN)"),
                _customer,
                C("sold_on", "date", "Date the car was bought", "购车日期"),
                C(
                    "replace_on",
                    "date",
                    "Planned replacement date (may be after the as-of date)",
                    "计划换车日期",
                ),
                C(
                    "replaced",
                    "bool",
                    "Replaced by the as-of date (while still a customer)",
                    "是否已换车",
                ),
                C(
                    "same_brand",
                    "bool",
                    "Replaced (or will be) with the brand's car",
                    "是否再购本品牌",
                ),
            ),
            key=("vin",),
            truth=True,
        ),
        campaign_engine.truth_table("owner"),
        *population.future_tables(
            _customer,
            (
                C("service_visits", "int", "Workshop visits in the hidden future", "未来进厂次数"),
                C(
                    "service_revenue",
                    "money",
                    "Amount billed for them",
                    "未来售后收入",
                    unit="currency",
                ),
                C(
                    "service_margin",
                    "money",
                    "The dealers' gross profit on them",
                    "未来售后毛利",
                    unit="currency",
                ),
                C("cars_bought", "int", "New cars bought in the hidden future", "未来购车数"),
                C(
                    "vehicle_margin",
                    "money",
                    "The dealers' gross profit on them",
                    "未来整车毛利",
                    unit="currency",
                ),
                C(
                    "bought_on",
                    "date",
                    "Date of the first new car bought in the hidden future",
                    "未来购车日期",
                    nullable=True,
                ),
                C(
                    "bought_at",
                    "int",
                    "Dealer that sold it",
                    "未来购车经销商",
                    nullable=True,
                    references="dealers.dealer_id",
                ),
                C(
                    "trade_in",
                    "bool",
                    "It replaced the owner's car of the brand (bought again)",
                    "是否置换再购",
                ),
                C(
                    "replaced_elsewhere_on",
                    "date",
                    "Date the owner replaces their car with another brand's (the workshop "
                    "loses the car)",
                    "转投他牌日期",
                    nullable=True,
                ),
            ),
        ),
        Table(
            "future_sales",
            "New cars sold in the hidden future (the 12 months after the as-of date)",
            "未来新车销售",
            (
                C("sale_id", "int", "Sale number", "销售编号"),
                _customer,
                C(
                    "lead_id",
                    "int",
                    "Lead the sale closed: an open lead of the as-of date, or none",
                    "线索编号",
                    nullable=True,
                ),
                _dealer,
                C("vin", "str", "Vehicle identification number", "车辆识别代号(VIN)"),
                _model,
                C("sold_on", "date", "Date of sale (delivery)", "销售日期"),
                C("price", "money", "Price paid", "成交价", unit="currency"),
                C("trade_in", "bool", "The buyer traded in their car of the brand", "是否置换"),
                _SALE_GROSS,
            ),
            key=("sale_id",),
            truth=True,
        ),
        Table(
            "future_service_visits",
            "Workshop visits in the hidden future (the 12 months after the as-of date)",
            "未来售后维修保养",
            (
                C("visit_id", "int", "Repair-order number", "工单编号"),
                C("vin", "str", "Vehicle identification number", "车辆识别代号(VIN)"),
                _customer,
                _dealer,
                C("visited_on", "date", "Date of the visit", "进厂日期"),
                *_VISIT_COLUMNS,
            ),
            key=("visit_id",),
            truth=True,
        ),
    ),
)


# ---------------------------------------------------------------- reference tables


def reference(build: Context) -> dict[str, pd.DataFrame]:
    """Dealers, models, unit costs, campaigns (the same whatever the number of customers) and
    the spend per acquisition channel (planned for the build's customers)."""
    locale, window = build.locale, build.window
    return {
        "dealers": outlets.draw(build, SPEC["outlets"], SPEC["company"]),
        "models": _models(locale),
        "unit_costs": _unit_costs(locale),
        "channel_spend": acquisition.channel_spend(build),
        "campaigns": _campaigns(locale, window),
    }


def _models(locale: Locale) -> pd.DataFrame:
    rows = []
    factor = SPEC["money"][locale.code]["vehicle"]
    at_cost = 1 - SPEC["margins"]["vehicle_gross_at_list"]
    for i, m in enumerate(SPEC["models"]):
        for t, (trim, up) in enumerate(
            zip(SPEC["trims"][locale.code], SPEC["trims"]["factor"], strict=True)
        ):
            price = round(m["price"] * up * factor / 100) * 100
            rows.append(
                {
                    "model_id": MODEL_BASE + i * TRIMS + t,
                    "model": locale.label(m),
                    "trim": trim,
                    "body": m["body"],
                    "list_price": float(price),
                    "vin_code": m["code"],
                    "unit_cost": round(price * at_cost, 2),
                }
            )
    return pd.DataFrame(rows)


def _unit_costs(locale: Locale) -> pd.DataFrame:
    """What a contact costs by channel (lead follow-ups and campaign messages), what the car
    traded in earns when it is sold on, and the workshop's gross margin."""
    currency = locale.currency
    contact = campaign_engine.CONTACT_COST[currency]
    used = used_car_gross(locale)
    rows = [(f"contact by {ch}", contact[ch], f"{currency} per contact") for ch in contact]
    rows += [
        ("used-car gross profit per trade-in", used, f"{currency} per car traded in"),
        (
            "service and parts gross margin",
            SPEC["margins"]["service_gross_margin"],
            "share of service and parts sales",
        ),
    ]
    return pd.DataFrame(rows, columns=["item", "value", "unit"])


def used_car_gross(locale: Locale) -> float:
    """The gross profit of selling on a car traded in, in the locale's currency."""
    return float(SPEC["margins"]["used_vehicle_gross"] * SPEC["money"][locale.code]["vehicle"])


def _campaigns(locale: Locale, window: Window) -> pd.DataFrame:
    rows = []
    factor = SPEC["money"][locale.code]
    eligibility = SPEC["eligibility"]
    for i, c in enumerate(SPEC["campaigns"], start=1):
        launched = window.as_of - pd.Timedelta(days=c["days_before_as_of"])
        # a campaign needs a year of history before it and its whole window inside
        if launched - pd.Timedelta(days=365) < window.start:
            continue
        reminder = c["kind"] == "service reminder"
        rows.append(
            {
                "campaign_id": i,
                "name": locale.label(c, en="name"),
                "kind": c["kind"],
                "channel": c["channel"],
                "launched_on": launched,
                "response_days": c["window_days"],
                "holdout_share": c["holdout"],
                "offer_value": float(c["offer"] * factor["service" if reminder else "vehicle"]),
                "eligibility": (
                    f"owners last serviced {eligibility['service_due_days']}+ days ago"
                    if reminder
                    else f"owners of a car {eligibility['trade_in_age_years']}+ years old"
                ),
            }
        )
    return pd.DataFrame(rows, columns=[c.name for c in SCHEMA.table("campaigns").columns])


# ---------------------------------------------------------------- one block of customers


class AutoBlock(Block):
    industry = "auto"

    def __init__(self, *args):
        super().__init__(*args)
        window, locale, ref = self.window, self.locale, self.ref
        start = window.start
        # customers are simulated into the hidden future; what happens after the as-of date
        # (day number ``as_of``) is written only to the truth (the future_* tables)
        self.as_of = (window.as_of - start).days  # the last day students see
        self.end = (window.end - start).days  # the hidden future's last day
        self.reg = (self.people["registered_on"] - start).dt.days.to_numpy()
        leaves = self.people["truth_leaves_on"]  # for good, in the seen days or the future
        last = (leaves - start).dt.days.to_numpy(dtype=float, na_value=np.inf) - 1
        self.last = np.minimum(last, self.end).astype(np.int64)  # last day of activity
        self.seen_last = np.minimum(self.last, self.as_of)  # ... that students see
        self.money = SPEC["money"][locale.code]
        self.models = ref["models"]
        self.dealer_ids = ref["dealers"]["dealer_id"].to_numpy()
        self.campaigns = list(ref["campaigns"].itertuples(index=False))
        self._latent()

    def _latent(self):
        rng, p = self.rng("latent"), self.people
        segment = p["truth_segment"].cat.codes.to_numpy()
        latent = SPEC["latent"]
        a, b = np.array([latent["intent"][s] for s in SEGMENTS], float).T
        self.intent = rng.beta(a[segment], b[segment])
        a, b = np.array([latent["loyalty"][s] for s in SEGMENTS], float).T
        self.loyalty = rng.beta(a[segment], b[segment])
        self.km = latent["annual_km"] * np.exp(
            rng.normal(0, latent["annual_km_sigma"], self.n)
            + latent["annual_km_activity_power"] * np.log(p["truth_activity"].to_numpy())
        )
        self.sensitivity = p["truth_price_sensitivity"].to_numpy()
        self.segment = segment
        dealers = self.ref["dealers"]
        by_city = {c: i for i, c in enumerate(dealers["city"])}
        local = np.array([by_city.get(c, -1) for c in p["city"].cat.categories])
        local = local[p["city"].cat.codes.to_numpy()] if len(local) else np.zeros(self.n, int)
        self.home = np.where(local >= 0, local, rng.integers(0, len(dealers), self.n))

    # -- leads, test drives and the first sale
    def _first_funnel(self):
        rng, f = self.rng("funnel"), SPEC["funnel"]
        source = self.people["acquisition_source"].cat.codes.to_numpy().astype(np.int64)
        owner = self.reg < 0  # recorded from a warranty card before the window: already bought
        lead = ~owner & (self.reg <= self.last)
        td_rate = np.array(list(f["test_drive"].values()))
        sale_rate = np.array(list(f["sale_after_test_drive"].values()))
        src = np.minimum(source, len(LEAD_SOURCES) - 1)
        boost = f["intent_boost"] * self.intent
        most = f["max_chance"]
        td_day = self.reg + gamma_days(rng, f["days_to_test_drive"], self.n)
        drove = lead & (rng.random(self.n) < np.clip(td_rate[src] * boost, 0, most))
        drove &= td_day <= self.last
        p_sale = np.where(drove, sale_rate[src], f["sale_without_test_drive"]) * boost
        wait = gamma_days(rng, f["days_to_sale"], self.n)
        # some take months to decide, a few more than a year (a stream of its own)
        late_rng = self.rng("late_sales")
        late = late_rng.random(self.n) < f["late_sale_share"]
        wait = np.where(late, gamma_days(late_rng, f["late_days_to_sale"], self.n), wait)
        sale_day = np.where(drove, td_day, self.reg) + wait
        bought = lead & (rng.random(self.n) < np.clip(p_sale, 0, most)) & (sale_day <= self.last)
        sale_day = np.where(owner, self.reg, sale_day)
        bought |= owner
        # the model of interest by segment and trim by spending power; some buy another one
        pref = np.array([SPEC["model_preference"][s] for s in SEGMENTS])
        cum = np.cumsum(pref, axis=1)
        cum /= cum[:, -1:]
        u = rng.random(self.n)
        model = (cum[self.segment] < u[:, None]).sum(axis=1)
        spend = np.log(self.people["truth_spend"].to_numpy())
        t = f["trim"]  # a trim up for each spend_step of log spending power
        trim = t["typical"] + spend / t["spend_step"] + rng.normal(0, t["sigma"], self.n)
        trim = np.clip(np.floor(trim), 0, TRIMS - 1)
        interest = model * TRIMS + trim.astype(np.int64)
        other = rng.integers(0, len(SPEC["models"]) * TRIMS, self.n)
        bought_model = np.where(rng.random(self.n) < f["other_model_share"], other, interest)
        dealer = np.where(
            rng.random(self.n) < SPEC["company"]["home_dealer_share"],
            self.home,
            rng.integers(0, len(self.dealer_ids), self.n),
        )
        return {
            "source": src,
            "lead": lead,
            "drove": drove,
            "td_day": td_day,
            "bought": bought,
            "sale_day": sale_day,
            "interest": interest,
            "model": bought_model,
            "dealer": dealer,
        }

    # -- replacement, with trade-in campaigns moving it
    def _replacement(self, first):
        rng, own = self.rng("replacement"), SPEC["ownership"]
        years = own["replace_years"] * np.exp(rng.normal(0, own["replace_sigma"], self.n))
        planned = first["sale_day"] + np.round(years * 365.25).astype(np.int64)
        same = rng.random(self.n) < self.loyalty
        contacts = []
        respond_campaign = np.zeros(self.n, np.int64)
        for c in self.campaigns:
            if c.kind != "trade-in offer":
                continue
            spec = SPEC["campaigns"][c.campaign_id - 1]
            launch = (c.launched_on - self.window.start).days
            end = launch + c.response_days - 1
            age = (launch - first["sale_day"]) / 365.25
            eligible = (
                first["bought"]
                & (age >= SPEC["eligibility"]["trade_in_age_years"])
                & (planned >= launch)  # still has the car
                & (self.last >= launch)
                & self.people[f"consent_{c.channel}"].to_numpy()
            )
            alive = np.clip((np.minimum(self.last, end) - launch + 1) / c.response_days, 0, 1)
            p_control, uplift = trade_in_chances(
                spec["p_control"],
                spec["uplift"],
                self.loyalty,
                self.sensitivity,
                alive,
                age,
                SPEC["eligibility"]["trade_in_age_years"],
            )
            result = self._run(c, eligible, p_control, uplift)
            who = result["index"].to_numpy()
            yes = result["responded"].to_numpy()
            r = self.rng(f"response.{c.campaign_id}")
            top = np.minimum(end, self.last[who])
            day = launch + np.floor(r.random(len(who)) * (top - launch + 1)).astype(np.int64)
            in_window = (planned[who] >= launch) & (planned[who] <= end)
            put_off = own["put_off"]  # who would have replaced in the window and did not
            later = end + put_off["days_after_window"]
            later = later + np.floor(r.exponential(put_off["mean_days"], len(who))).astype(np.int64)
            planned[who] = np.where(yes, day, np.where(in_window, later, planned[who]))
            same[who] = same[who] | yes
            respond_campaign[who[yes]] = c.campaign_id
            contacts.append(result)
        replaced = first["bought"] & (planned <= self.last)
        return planned, same, replaced, respond_campaign, contacts

    def _run(self, c, eligible, p_control, uplift) -> pd.DataFrame:
        result = campaign_engine.run(
            self.seed,
            self.no,
            {"industry": "auto", "campaign_id": c.campaign_id, "holdout": c.holdout_share},
            self.ids,
            eligible,
            p_control,
            uplift,
        )
        result["channel"] = c.channel
        result["sent_on"] = campaign_engine.sent_dates(result["treated"], c.launched_on)
        return result

    # -- assembly
    def tables(self) -> dict[str, pd.DataFrame | pa.Table]:
        first = self._first_funnel()
        planned, same, replaced, trade_in_campaign, contacts = self._replacement(first)
        rng = self.rng("repurchase")
        f, own = SPEC["funnel"], SPEC["ownership"]
        # the replacement with the brand: a repeat lead shortly before, then the sale
        again = np.flatnonzero(replaced & same)
        again_day = planned[again]
        before = gamma_days(rng, f["repeat_lead_days_before_sale"], len(again))
        lead_day = np.maximum(again_day - before, np.maximum(self.reg[again] + 1, 0))
        lead_day = np.minimum(lead_day, again_day)
        # before the window no lead was recorded; after the as-of date leads are not kept
        has_lead = (again_day >= 0) & (lead_day <= self.as_of)
        repeat_source = choose(rng, _shares(f["repeat_lead_sources"]), len(again))
        repeat_drove = has_lead & (rng.random(len(again)) < f["repeat_test_drive"])
        new_model = np.where(
            rng.random(len(again)) < own["same_model_share"],
            first["model"][again],
            rng.integers(0, len(SPEC["models"]) * TRIMS, len(again)),
        )
        upgrade = rng.random(len(again)) < own["trim_upgrade_share"]  # a higher trim than before
        new_model = (
            new_model - new_model % TRIMS + np.minimum(new_model % TRIMS + upgrade, TRIMS - 1)
        )
        # vehicles: every first car, then the replacements
        v0 = np.flatnonzero(first["bought"])
        veh = {
            "index": np.concatenate([v0, again]),
            "n": np.concatenate([np.zeros(len(v0), np.int64), np.ones(len(again), np.int64)]),
            "day": np.concatenate([first["sale_day"][v0], again_day]),
            "model": np.concatenate([first["model"][v0], new_model]),
            "dealer": np.concatenate([first["dealer"][v0], self.home[again]]),
        }
        # a car stays until it is replaced (the day before the new one) or its owner leaves
        stays = np.where(
            replaced[veh["index"]] & (veh["n"] == 0),
            planned[veh["index"]] - 1,
            self.last[veh["index"]],
        )
        veh["until"] = np.minimum(stays, self.last[veh["index"]])
        order = np.lexsort((veh["n"], veh["index"]))
        veh = {k: v[order] for k, v in veh.items()}
        built = self.rng("built").integers(*own["built_days_before_sale"], len(order))
        veh["built"] = veh["day"] - built
        veh["vin"] = self._vins(veh)
        visits, reminder_contacts = self._service(veh)
        contacts += reminder_contacts
        leads = self._leads(
            first,
            again,
            again_day,
            lead_day,
            (repeat_source, repeat_drove, new_model),
            trade_in_campaign,
            has_lead,
        )
        sold = self._sales(first, veh, again, has_lead, trade_in_campaign)
        # students see what happened up to the as-of date; the future's go to the truth
        sales, future_sales = self._split(sold["sales"], "sold_on")
        service, future_visits = self._split(visits["service_visits"], "visited_on")
        claims = visits["warranty_claims"]
        claims = claims[claims["visit_id"].isin(service["visit_id"])].reset_index(drop=True)
        # the cars of the seen sales (Arrow's hash lookup: pandas compares strings in Python)
        seen_vin = pc.is_in(pa.array(sold["vehicles"]["vin"]), value_set=pa.array(sales["vin"]))
        vehicles = sold["vehicles"][seen_vin.to_numpy(zero_copy_only=False)]
        out = {
            "customers": self._customers(),
            **leads,
            "sales": sales,
            "vehicles": vehicles.reset_index(drop=True),
            "service_visits": service,
            "warranty_claims": claims,
            **campaign_engine.contact_tables(contacts, SCHEMA),
            "customer_truth": self._customer_truth(),
            "replacements": self._replacements(veh, planned, same, replaced),
            **self._future(future_sales, future_visits, veh, planned, same),
        }
        out["surveys"] = self._surveys(sales, service)
        out["web_page_views"] = self._web(out["leads"], sales, veh)
        return out

    def _split(self, frame: pd.DataFrame, column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The rows of ``frame`` dated up to the as-of date, and those of the hidden future."""
        seen = (frame[column] <= self.window.as_of).to_numpy()
        return (
            frame[seen].reset_index(drop=True),
            frame[~seen].reset_index(drop=True),
        )

    def _vins(self, veh) -> pa.Array:
        codes = self.models["vin_code"].to_numpy()[veh["model"]]
        trim = veh["model"] % TRIMS
        vds = np.zeros((len(codes), 5), np.uint8)
        code_bytes = np.frombuffer("".join(codes).encode("ascii"), np.uint8).reshape(-1, 2)
        vds[:, :2] = code_bytes
        vds[:, 2] = np.frombuffer(b"ABC", np.uint8)[trim]
        body = {"sedan": "4", "SUV": "7", "MPV": "8", "EV": "E"}
        bodies = np.array([ord(body[b]) for b in self.models["body"]], np.uint8)
        vds[:, 3] = bodies[veh["model"]]
        vds[:, 4] = ord("1")
        year = self._model_year(veh["built"])
        serial = (self.ids[veh["index"]] - 1) * 2 + veh["n"]
        wmi = SPEC["company"]["wmi"][self.locale.code]  # made in China (L) or the US (1)
        return vins(wmi, vds, year, serial)

    def _model_year(self, day):
        date = days_to_dates(self.window.start, day).astype("datetime64[M]")
        year = date.astype("datetime64[Y]").astype(np.int64) + 1970
        month = (date - date.astype("datetime64[Y]")).astype(np.int64) + 1
        return year + (month >= 9)  # next year's models arrive in September

    def _leads(self, first, again, again_day, lead_day, repeat, campaign, has_lead):
        repeat_source, repeat_drove, new_model = repeat
        rng, f = self.rng("leads"), SPEC["funnel"]
        who1 = np.flatnonzero(first["lead"])
        who2 = again[has_lead]
        lead_who = np.concatenate([who1, who2])
        k = np.concatenate([np.ones(len(who1), np.int64), np.full(len(who2), 2)])
        created = np.concatenate([self.reg[who1], lead_day[has_lead]])
        source = np.concatenate([first["source"][who1], repeat_source[has_lead]])
        model = np.concatenate([first["interest"][who1], new_model[has_lead]])
        dealer = np.concatenate([first["dealer"][who1], self.home[who2]])
        drove = np.concatenate([first["drove"][who1], repeat_drove[has_lead]])
        repeat_td = lead_day[has_lead] + f["repeat_days_to_test_drive"]
        repeat_td = np.minimum(repeat_td, again_day[has_lead])
        td_day = np.concatenate([first["td_day"][who1], repeat_td])
        camp = np.concatenate([np.zeros(len(who1), np.int64), campaign[who2]])
        order = np.lexsort((k, lead_who))
        lead_who, k, created, source, model, dealer, drove, td_day, camp = (
            a[order] for a in (lead_who, k, created, source, model, dealer, drove, td_day, camp)
        )
        lead_id = self.ids[lead_who] * PER_CUSTOMER + k
        model_id = self.models["model_id"].to_numpy()[model]
        dealer_id = self.dealer_ids[dealer]
        leads = pd.DataFrame(
            {
                "lead_id": lead_id,
                "customer_id": self.ids[lead_who],
                "dealer_id": dealer_id,
                "created_on": days_to_dates(self.window.start, created),
                "source": _cat(LEAD_SOURCES, source),
                "model_id": model_id,
                "existing_owner": k == 2,
                "campaign_id": pd.Series(camp, dtype="Int64").where(camp > 0),
            }
        )
        t = np.flatnonzero(drove & (td_day <= self.as_of))  # the future's are not kept
        tests = pd.DataFrame(
            {
                "test_drive_id": lead_id[t],
                "lead_id": lead_id[t],
                "customer_id": self.ids[lead_who[t]],
                "dealer_id": dealer_id[t],
                "model_id": model_id[t],
                "driven_on": days_to_dates(self.window.start, td_day[t]),
            }
        )
        # follow-ups on first leads: on a channel the customer agreed to, until the test drive
        # or, without one, for a few weeks
        consent = np.stack([self.people[f"consent_{c}"].to_numpy() for c in FOLLOWUP_CHANNELS], 1)
        first_lead = np.flatnonzero(k == 1)
        fl_who = lead_who[first_lead]
        n_f = np.minimum(rng.poisson(f["followups_mean"], len(first_lead)), MAX_FOLLOWUPS)
        n_f = np.where(consent[fl_who].any(axis=1), n_f, 0)
        row = np.repeat(np.arange(len(first_lead)), n_f)
        gap = gamma_days(rng, f["followup_gap_days"], len(row))
        day = created[first_lead][row] + arrays.run_cumsum(row, gap)
        without = created[first_lead] + f["followup_days"]  # without a test drive
        stop = np.where(drove[first_lead], td_day[first_lead], without)
        stop = np.minimum(stop, self.seen_last[fl_who])
        keep = day <= stop[row]
        row, day = row[keep], day[keep]
        # a channel each: the first consented of a random preference order
        pref = rng.random((len(row), 3)) + (~consent[fl_who[row]]) * 2
        channel = pref.argmin(axis=1)
        seq = arrays.rank(row)
        is_last = np.r_[row[1:] != row[:-1], True] if len(row) else np.zeros(0, bool)
        drove_r = drove[first_lead][row]
        outcome = np.where(rng.random(len(row)) < f["followup_no_answer"], 0, 1)
        outcome = np.where(is_last & drove_r, 2, outcome)
        gives_up = rng.random(len(row)) < f["last_followup_not_interested"]
        outcome = np.where(is_last & ~drove_r & gives_up, 3, outcome)
        followups = pd.DataFrame(
            {
                "followup_id": lead_id[first_lead][row] * PER_LEAD + seq,
                "lead_id": lead_id[first_lead][row],
                "customer_id": self.ids[fl_who[row]],
                "contacted_on": days_to_dates(self.window.start, day),
                "channel": _cat(FOLLOWUP_CHANNELS, channel),
                "outcome": _cat(OUTCOMES, outcome),
            }
        )
        return {"leads": leads, "lead_followups": followups, "test_drives": tests}

    def _sales(self, first, veh, again, has_lead, campaign):
        rng, own = self.rng("sales"), SPEC["ownership"]
        who = veh["index"]
        n = len(who)
        list_price = self.models["list_price"].to_numpy()[veh["model"]]
        low, per = own["discount_by_sensitivity"]
        discount = own["max_discount"] * rng.random(n) * (low + per * self.sensitivity[who])
        trade_bonus = np.zeros(n)
        offer = self.ref["campaigns"].set_index("campaign_id")["offer_value"]
        responded = (veh["n"] == 1) & (campaign[who] > 0)
        if responded.any():
            trade_bonus[responded] = offer.reindex(campaign[who][responded]).to_numpy()
        price_cents = np.round(list_price * (1 - discount) * 100) - np.round(trade_bonus * 100)
        price = np.round(price_cents / 100, 2)
        financing = own["financing"][self.locale.code]
        fin = choose(rng, _shares(financing), n)
        # lead ids: the first lead for first cars bought in the window, the repeat lead after
        with_lead = np.where(veh["n"] == 0, first["lead"][who], False)
        lead_of_again = np.zeros(self.n, bool)
        lead_of_again[again[has_lead]] = True
        with_lead |= (veh["n"] == 1) & lead_of_again[who]
        lead_id = self.ids[who] * PER_CUSTOMER + veh["n"] + 1
        sales = pd.DataFrame(
            {
                "sale_id": lead_id,
                "customer_id": self.ids[who],
                "lead_id": pd.Series(lead_id, dtype="Int64").where(with_lead),
                "dealer_id": self.dealer_ids[veh["dealer"]],
                "vin": veh["vin"].to_pandas(),
                "model_id": self.models["model_id"].to_numpy()[veh["model"]],
                "sold_on": days_to_dates(self.window.start, veh["day"]),
                "list_price": list_price,
                "price": price,
                "financing": _cat(FINANCING, fin),
                "trade_in": veh["n"] == 1,
            }
        )
        unit_cost = self.models["unit_cost"].to_numpy()[veh["model"]]
        used = np.where(veh["n"] == 1, used_car_gross(self.locale), 0.0)
        sales["gross_profit"] = np.round(price - unit_cost + used, 2)
        colours = own["colours"][self.locale.code]
        colour = np.array(colours)[choose(rng, cumulative(own["colour_shares"]), n)]
        built = veh["built"]
        vehicles = (
            pd.DataFrame(
                {
                    "vin": veh["vin"].to_pandas(),
                    "model_id": sales["model_id"],
                    "model_year": self._model_year(built),
                    "colour": colour,
                    "built_on": days_to_dates(self.window.start, built),
                }
            )
            .sort_values("vin", kind="stable")
            .reset_index(drop=True)
        )
        return {"sales": sales, "vehicles": vehicles}

    # -- service: a time-or-mileage schedule per car, reminders, repairs and warranty claims
    def _service(self, veh):
        rng, s = self.rng("service"), SPEC["service"]
        who, nv = veh["index"], len(veh["index"])
        daily = self.km[who] / 365.25
        first_gap = np.minimum(s["first_days"], s["first_km"] / daily)
        gap = np.minimum(s["interval_days"], s["interval_km"] / daily)
        # a car bought long before the window joins its schedule shortly before the window
        # starts: k0 scheduled services are skipped, the step before them is the base
        k0 = np.maximum(np.floor((-LEAD_IN_DAYS - veh["day"] - first_gap) / gap), 0)
        base = veh["day"] + np.where(k0 > 0, first_gap + (k0 - 1) * gap, 0)
        # a service every gap, give or take, until the car leaves (a few to spare)
        n_steps = np.ceil(np.maximum(veh["until"] - base, 0) / (0.6 * gap)).astype(np.int64) + 2
        car = np.repeat(np.arange(nv), n_steps)
        step = arrays.rank(car) - 1 + k0.astype(np.int64)[car]
        length = np.where(step == 0, first_gap[car], gap[car])
        k = s["interval_gamma_shape"]  # the spread: 1 / sqrt(k) of the interval
        length = length * rng.gamma(k, 1 / k, len(car))
        when = np.round(base[car] + arrays.run_cumsum(car, length)).astype(np.int64)
        # the owner comes to the dealer for a scheduled service, less often after the warranty
        age = (when - veh["day"][car]) / 365.25
        share = np.where(
            age < s["warranty_years"],
            s["dealer_share_in_warranty"],
            s["dealer_share_after_warranty"],
        )
        by = s["dealer_share_by_loyalty"]
        loyal = by["slope"] * self.loyalty[who][car] / by["reference_loyalty"]
        share = share * (by["base"] + loyal).clip(0, by["most"])
        comes = rng.random(len(car)) < np.clip(share, 0, s["max_dealer_share"])
        ok = comes & (when >= 0) & (when <= veh["until"][car])
        v, day = car[ok], when[ok]
        kind = np.where(step[ok] == 0, 0, 1)
        # repairs at random through each car's life inside the window
        first_day = np.maximum(veh["day"], 0)
        life = np.maximum(veh["until"] - first_day + 1, 0)
        n_rep = rng.poisson(s["repairs_per_year"] * life / 365.25)
        rv = np.repeat(np.arange(nv), n_rep)
        r_day = first_day[rv] + np.floor(rng.random(len(rv)) * life[rv]).astype(np.int64)
        v = np.concatenate([v, rv])
        day = np.concatenate([day, r_day])
        kind = np.concatenate([kind, np.full(len(rv), 2)])
        # service reminders: eligible owners' scheduled visits in the window give way to the
        # outcome, a visit on a day in the window for those who respond
        contacts = []
        for c in self.campaigns:
            if c.kind != "service reminder":
                continue
            spec = SPEC["campaigns"][c.campaign_id - 1]
            launch = (c.launched_on - self.window.start).days
            end_c = launch + c.response_days - 1
            car = np.full(self.n, -1)  # the car each customer has at the launch, if any
            has = (veh["day"] <= launch - SPEC["eligibility"]["service_due_days"]) & (
                veh["until"] >= launch
            )
            car[who[has]] = np.flatnonzero(has)
            before = (day < launch) & (kind != 2)
            last_seen = np.full(nv, -(10**6))
            np.maximum.at(last_seen, v[before], day[before])
            last_seen = np.maximum(last_seen, veh["day"])
            due = np.zeros(self.n, bool)
            holder = car >= 0
            due[holder] = launch - last_seen[car[holder]] >= SPEC["eligibility"]["service_due_days"]
            eligible = due & (self.last >= launch) & self.people[f"consent_{c.channel}"].to_numpy()
            alive = np.clip((np.minimum(self.last, end_c) - launch + 1) / c.response_days, 0, 1)
            until = np.where(holder, veh["until"][np.maximum(car, 0)], -1)
            alive = np.minimum(
                alive, np.clip((np.minimum(until, end_c) - launch + 1) / c.response_days, 0, 1)
            )
            # an owner who is due comes with a chance that grows with their loyalty
            p_due = spec["p_control"] * (SPEC["response"]["due_by_loyalty"] + self.loyalty)
            p_control, uplift = service_chances(
                p_due, spec["uplift"], self.loyalty, self.sensitivity, alive
            )
            result = self._run(c, eligible, p_control, uplift)
            target = car[result["index"].to_numpy()]
            drop = np.isin(v, target) & (day >= launch) & (day <= end_c) & (kind != 2)
            v, day, kind = v[~drop], day[~drop], kind[~drop]
            yes = result["responded"].to_numpy()
            r = self.rng(f"response.{c.campaign_id}")
            t = target[yes]
            top = np.minimum(np.minimum(end_c, self.last[who[t]]), veh["until"][t])
            add = launch + np.floor(r.random(len(t)) * (top - launch + 1)).astype(np.int64)
            v = np.concatenate([v, t])
            day = np.concatenate([day, add])
            kind = np.concatenate([kind, np.full(len(t), 1)])
            contacts.append(result)
        return self._visits(veh, v, day, kind), contacts

    def _visits(self, veh, v, day, kind):
        rng, s = self.rng("visits"), SPEC["service"]
        key = np.sort(v.astype(np.int64) * (1 << 40) + (day + (1 << 20)) * 4 + kind)
        # one visit per car and day (a repair on a service day joins the service)
        v, day, kind = key >> 40, ((key >> 2) & ((1 << 38) - 1)) - (1 << 20), key & 3
        keep = arrays.starts(v * (1 << 38) + day)
        v, day, kind = v[keep], day[keep], kind[keep]
        who = veh["index"][v]
        daily = self.km[who] / 365.25
        # odometer: what was driven since the previous visit (or the sale), never backwards
        previous = np.where(arrays.starts(v), veh["day"][v], np.r_[0, day[:-1]])
        k = s["driving_gamma_shape"]
        driven = (day - previous) * daily * rng.gamma(k, 1 / k, len(v))
        # (the first visit's reading includes what the car did before the window)
        km = np.floor(arrays.run_cumsum(v, driven)).astype(np.int64) + arrays.rank(v)
        age = (day - veh["day"][v]) / 365.25
        in_warranty = (age < s["warranty_years"]) & (km < s["warranty_km"])
        warranty = (kind == 2) & in_warranty
        price = self.money["service"] * np.where(
            kind == 2, s["repair_price"], s["maintenance_price"]
        )
        trim = veh["model"][v] % TRIMS  # the top trim's work costs top_trim_premium more
        premium = 1 + s["top_trim_premium"] * trim / (TRIMS - 1)
        price = price * rng.lognormal(0, s["price_sigma"], len(v)) * premium
        cost = np.round(price, 2)
        revenue = np.where(warranty | (kind == 0), 0.0, cost)  # the first service is free
        # visits are numbered per customer in time order (days are in the window: 0..end)
        order = np.argsort(arrays.pack((who, self.n), (day, self.end + 1)), kind="stable")
        v, day, kind, who, km, warranty, revenue, cost = (
            a[order] for a in (v, day, kind, who, km, warranty, revenue, cost)
        )
        visit_id = self.ids[who] * PER_CUSTOMER_VISITS + arrays.rank(who)
        selling = rng.random(len(v)) < s["selling_dealer_share"]
        dealer = np.where(selling, veh["dealer"][v], self.home[who])
        w = np.flatnonzero(warranty)
        component = choose(rng, _shares(s["components"]), len(w))
        approved = rng.random(len(w)) < s["claim_approved"]
        paid = cost.copy()  # by the customer, or by the maker (the first service, warranty)
        paid[w[~approved]] = 0.0
        visits = pd.DataFrame(
            {
                "visit_id": visit_id,
                "vin": veh["vin"].take(pa.array(v)).to_pandas(),
                "customer_id": self.ids[who],
                "dealer_id": self.dealer_ids[dealer],
                "visited_on": days_to_dates(self.window.start, day),
                "odometer_km": km,
                "service_type": _cat(SERVICE_TYPES, kind),
                "warranty": warranty,
                "revenue": revenue,
                "gross_profit": self._service_gross(cost, paid),
            }
        )
        claims = pd.DataFrame(
            {
                "claim_id": visit_id[w],
                "visit_id": visit_id[w],
                "vin": visits["vin"].to_numpy()[w],
                "component": _cat(COMPONENTS, component),
                "amount": np.maximum(cost[w], 1.0),
                "approved": approved,
            }
        )
        return {"service_visits": visits, "warranty_claims": claims}

    def _service_gross(self, price: np.ndarray, paid: np.ndarray) -> np.ndarray:
        """The dealer's gross profit on each repair order: what was ``paid`` for it, less its
        parts and labour (the work's ``price`` less the order's gross margin)."""
        m = SPEC["margins"]
        rng = self.rng("service_margin")
        margin = np.clip(
            rng.normal(m["service_gross_margin"], m["service_margin_sigma"], len(price)),
            *m["service_margin_range"],
        )
        return np.round(paid - price * (1 - margin), 2)

    def _surveys(self, sales, visits):
        rng, s = self.rng("surveys"), SPEC["surveys"]
        start = np.datetime64(self.window.start.date(), "D")
        sale_day = (sales["sold_on"].to_numpy().astype("datetime64[D]") - start).astype(np.int64)
        visit_day = (visits["visited_on"].to_numpy().astype("datetime64[D]") - start).astype(
            np.int64
        )
        base = self.ids[0]
        who = (
            np.concatenate([sales["customer_id"].to_numpy(), visits["customer_id"].to_numpy()])
            - base
        )
        day = np.concatenate([sale_day, visit_day])
        kind = np.concatenate(
            [np.zeros(len(sale_day), np.int64), np.ones(len(visit_day), np.int64)]
        )
        dealer = np.concatenate([sales["dealer_id"].to_numpy(), visits["dealer_id"].to_numpy()])
        repair = np.concatenate(
            [np.zeros(len(sale_day), bool), (visits["service_type"] == "repair").to_numpy()]
        )
        answers = rng.random(len(who)) < np.where(kind == 0, s["after_sale"], s["after_service"])
        answered = day + gamma_days(rng, s["days"], len(who))
        keep = answers & (day >= 0) & (answered <= self.seen_last[who])
        who, day, kind, dealer, repair, answered = (
            a[keep] for a in (who, day, kind, dealer, repair, answered)
        )
        # loyal customers are more satisfied; repairs lower the score
        sc = s["score"]
        mean = sc["base"] + sc["per_loyalty"] * self.loyalty[who] - sc["repair"] * repair
        score = np.round(mean + rng.normal(0, sc["sigma"], len(who)))
        score = np.clip(score, 0, 10).astype(np.int64)
        order = np.lexsort((kind, answered, who))
        who, kind, dealer, answered, score = (
            a[order] for a in (who, kind, dealer, answered, score)
        )
        return pd.DataFrame(
            {
                "survey_id": self.ids[who] * PER_CUSTOMER_VISITS + arrays.rank(who),
                "customer_id": self.ids[who],
                "dealer_id": dealer,
                "kind": _cat(SURVEY_KINDS, kind),
                "answered_on": days_to_dates(self.window.start, answered),
                "score": score,
            }
        )

    # -- the website: research visits around each lead, owners' visits while they own a car
    def _web(self, leads, sales, veh) -> pa.Table:
        rng, w = self.rng("web"), SPEC["web"]
        start = np.datetime64(self.window.start.date(), "D")

        def days(dates) -> np.ndarray:
            return (dates.to_numpy().astype("datetime64[D]") - start).astype(np.int64)

        # research: visits from the lead's day until the sale it closed, or for some weeks
        who_l = leads["customer_id"].to_numpy() - (self.ids[0] if self.n else 0)
        created = days(leads["created_on"])
        closed = sales["lead_id"].notna().to_numpy()
        sale_day = np.full(len(leads), np.inf)
        closing = pd.Index(leads["lead_id"].to_numpy()).get_indexer(
            sales["lead_id"].to_numpy(np.int64, na_value=0)[closed]
        )
        sale_day[closing] = days(sales["sold_on"])[closed]
        until = np.fmin(sale_day, created + w["research_days"])
        until = np.minimum(until, self.seen_last[who_l]).astype(np.int64)
        intent = self.intent[who_l]
        base, per = w["sessions_per_lead"]
        n_r = rng.poisson(base + per * intent)
        r = np.repeat(np.arange(len(who_l)), n_r)
        span = np.maximum(until - created + 1, 1)[r]
        skew = w["research_skew"]  # visits crowd towards the lead's day
        r_day = created[r] + np.floor(rng.random(len(r)) ** skew * span).astype(np.int64)
        model_ids = self.models["model_id"].to_numpy()
        interest = leads["model_id"].to_numpy()[r]
        # ownership: visits to the owners' area and to book services while the car is kept
        first_day = np.maximum(veh["day"], 0)
        life = np.maximum(np.minimum(veh["until"], self.as_of) - first_day + 1, 0)
        rate = w["owner_sessions_per_year"] * (w["owner_loyalty_base"] + self.loyalty[veh["index"]])
        o = np.repeat(np.arange(len(life)), rng.poisson(rate * life / 365.25))
        o_day = first_day[o] + np.floor(rng.random(len(o)) * life[o]).astype(np.int64)
        # the visits of both kinds, each with its time of day and device
        who = np.concatenate([who_l[r], veh["index"][o]])
        day = np.concatenate([r_day, o_day])
        owner = np.concatenate([np.zeros(len(r), bool), np.ones(len(o), bool)])
        model = np.concatenate([interest, model_ids[veh["model"][o]]])
        x = np.concatenate([intent[r], np.zeros(len(o))])
        second = choose(rng, cumulative(w["hours"]), len(who)) * 3600
        second += rng.integers(0, 3600, len(who))
        mobile = rng.random(len(who)) < w["mobile_share"][self.locale.code]
        # the visits in order of customer, day and time; their pages are drawn in that order
        day_of = arrays.pack((who, self.n), (day, self.end + 1))  # the customer's day
        order = np.argsort(day_of * 86_400 + second, kind="stable")
        who, day, day_of, owner = who[order], day[order], day_of[order], owner[order]
        model, x, second, mobile = model[order], x[order], second[order], mobile[order]
        # pages: a landing page, then more the keener the visitor
        base, per = w["extra_pages"]
        pages = 1 + rng.poisson(np.where(owner, w["owner_extra_pages"], base + per * x))
        s = np.repeat(np.arange(len(who)), pages)  # the visit of each page
        first = np.cumsum(pages) - pages  # each visit's first page
        # each page from its mix: the landing page's, a browser's, a buyer's or an owner's
        mix = 1 + (rng.random(len(s)) < x[s])
        mix[owner[s]] = 3
        mix[first] = 0
        page = _PAGE_DRAW[mix * SHARE_CELLS + rng.integers(0, SHARE_CELLS, len(s), np.int16)]
        shows = _SHOWS_MODEL[page]
        other = model_ids[rng.integers(0, len(model_ids), len(s))]
        shown = np.where(rng.random(len(s)) < w["other_model_share"], other, model[s])
        dwell = np.floor(rng.exponential(w["seconds_per_page"], len(s))).astype(np.int64)
        dwell = w["min_seconds_per_page"] + dwell
        ended = np.cumsum(dwell)  # seconds since the block's first page began, at each page's end
        began = ended - dwell
        offset = began - began[first][s]  # seconds from the visit's start to each page
        # a late visit starts early enough to end by midnight, and not before an earlier visit
        # of the same day starts (both late and long: rare, but the order must hold)
        length = ended[first + pages - 1] - began[first]
        second = np.minimum(second, np.maximum(86_399 - length, 0))
        second = arrays.run_min_to_end(day_of, second, 86_400)
        since = (day * 86_400 + second)[s] + offset
        stamp = np.datetime64(start, "s") + since.astype("timedelta64[s]")
        customer = self.ids[who]
        visit_first = arrays.run_first(who)  # each visit's customer's first visit
        visit = customer * PER_CUSTOMER_PAGES + np.arange(len(who)) - visit_first + 1
        number = np.arange(len(s)) - first[visit_first][s] + 1  # within the customer
        return pa.Table.from_arrays(
            [
                pa.array(customer[s] * PER_CUSTOMER_PAGES + number),
                pa.array(customer[s]),
                pa.array(visit[s]),
                pa.array(stamp),
                _labels(PAGES, page),
                pa.array(shown, mask=~shows),
                _labels(DEVICES, ~mobile[s]),
            ],
            schema=SCHEMA.table("web_page_views").arrow,
        )

    def _customers(self) -> pd.DataFrame:
        frame = self.people.assign(dealer_id=self.dealer_ids[self.home])
        # owners recorded before the window came from warranty cards
        source = frame["acquisition_source"].cat.codes.to_numpy()
        source = np.where(self.reg < 0, SOURCES.index("warranty card"), source)
        frame["acquisition_source"] = _cat(SOURCES, source)
        return frame[[c.name for c in SCHEMA.table("customers").columns]]

    def _customer_truth(self) -> pd.DataFrame:
        p = self.people
        return pd.DataFrame(
            {
                "customer_id": self.ids,
                "segment": p["truth_segment"],
                "purchase_intent": self.intent.round(4),
                "loyalty": self.loyalty.round(4),
                "price_sensitivity": p["truth_price_sensitivity"].round(4),
                "annual_km": self.km.round(0),
                "stop_hazard": p["truth_stop_hazard"].round(5),
                "stopped_on": p["truth_stopped_on"],
            }
        )

    def _replacements(self, veh, planned, same, replaced) -> pd.DataFrame:
        """Each first car sold by the as-of date: when it is (or will be) replaced, whether by
        the as-of date, and whether with the brand's car."""
        first = np.flatnonzero((veh["n"] == 0) & (veh["day"] <= self.as_of))
        who = veh["index"][first]
        return (
            pd.DataFrame(
                {
                    "vin": veh["vin"].take(pa.array(first)).to_pandas(),
                    "customer_id": self.ids[who],
                    "sold_on": days_to_dates(self.window.start, veh["day"][first]),
                    "replace_on": days_to_dates(self.window.start, planned[who]),
                    "replaced": replaced[who] & (planned[who] <= self.as_of),
                    "same_brand": same[who],
                }
            )
            .sort_values("vin", kind="stable")
            .reset_index(drop=True)
        )

    def _future(self, sales, visits, veh, planned, same) -> dict[str, pd.DataFrame]:
        """The hidden future: its new-car sales and workshop visits, and each customer's
        outcome (visits, purchases and their margins, a car bought again, a car lost to
        another brand, leaving for good)."""
        who_sale = pd.Index(self.ids).get_indexer(sales["customer_id"])
        who_visit = pd.Index(self.ids).get_indexer(visits["customer_id"])

        def total(who, money) -> np.ndarray:
            cents = np.bincount(who, weights=np.round(money.to_numpy() * 100), minlength=self.n)
            return np.round(cents) / 100

        order = np.lexsort((sales["sold_on"].to_numpy(), who_sale))
        first = order[arrays.starts(who_sale[order])]  # each buyer's first future sale
        bought_on = np.full(self.n, np.datetime64("NaT"), "datetime64[s]")
        bought_on[who_sale[first]] = sales["sold_on"].to_numpy()[first]
        bought_at = np.zeros(self.n, np.int64)
        bought_at[who_sale[first]] = sales["dealer_id"].to_numpy()[first]
        trade_in = np.zeros(self.n, bool)
        trade_in[who_sale[first]] = sales["trade_in"].to_numpy()[first]
        # a first car replaced with another brand's in the future: the workshop loses it
        owner = np.zeros(self.n, bool)
        owner[veh["index"][veh["n"] == 0]] = True
        elsewhere = owner & ~same & (planned > self.as_of) & (planned <= self.last)
        leaves = self.people["truth_leaves_on"]
        customers = pd.DataFrame(
            {
                "customer_id": self.ids,
                "leaves_on": leaves.where(leaves > self.window.as_of),
                "service_visits": np.bincount(who_visit, minlength=self.n),
                "service_revenue": total(who_visit, visits["revenue"]),
                "service_margin": total(who_visit, visits["gross_profit"]),
                "cars_bought": np.bincount(who_sale, minlength=self.n),
                "vehicle_margin": total(who_sale, sales["gross_profit"]),
                "bought_on": bought_on,
                "bought_at": pd.Series(bought_at, dtype="Int64").where(bought_at > 0),
                "trade_in": trade_in,
                "replaced_elsewhere_on": np.where(
                    elsewhere,
                    days_to_dates(self.window.start, planned),
                    np.datetime64("NaT", "s"),
                ),
            }
        )
        columns = {name: [c.name for c in SCHEMA.table(name).columns] for name in FUTURE_EVENTS}
        return {
            "future_customers": customers,
            "future_sales": sales[columns["future_sales"]],
            "future_service_visits": visits[columns["future_service_visits"]],
        }


INDUSTRY = Industry(
    name="auto",
    spec=SPEC,
    schema=SCHEMA,
    block=AutoBlock,
    block_size=BLOCK_SIZE,
    people=PEOPLE,
    events=EVENTS,
    reference=reference,
    company=COMPANY,
    region=REGION,
    campaign="generator.industries.auto_campaign",
)
