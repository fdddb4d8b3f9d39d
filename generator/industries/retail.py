"""The supermarket chain: stores, products, receipts and their items, loyalty points, campaigns.

What the data must teach (the Dick's Supermarket case, textbook seed 001) is planted here:
families with small children buy nappies and baby food, pet owners buy pet food, pain-reliever
buyers fall into brand (national / store / switcher) by usage (light / medium / heavy) cells,
consumables are bought on each customer's own cycle, and a few customers bring most revenue.
Rates live in ``retail.json`` beside this file, with their sources.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from generator import arrays, costs, outlets, population
from generator import campaigns as campaign_engine
from generator.blocks import Block
from generator.calendar import day_weights, sample_days
from generator.context import Context
from generator.industries.retail_campaign import response_chances
from generator.locales import Locale
from generator.population import Window
from generator.registry import Industry, load_spec
from generator.schema import Column, Schema, Table
from generator.streams import stream

SPEC = load_spec(__file__)  # checked against its schema
CATEGORIES = {c["name"]: c for c in SPEC["categories"]}
CYCLE = [c["name"] for c in SPEC["categories"] if c["kind"] == "cycle"]
BASKET = [c["name"] for c in SPEC["categories"] if c["kind"] == "basket"]
BASKET_CODES = np.array([list(CATEGORIES).index(name) for name in BASKET])
CODE = {name: code for code, name in enumerate(CATEGORIES)}
PAIN = CODE["pain_reliever"]
CHANNEL = pd.CategoricalDtype(pd.Index(["store", "online"], dtype="str"))
POINTS_KIND = pd.CategoricalDtype(pd.Index(["earned", "redeemed"], dtype="str"))
PEOPLE = "customers"  # the table of the people each block is made of
# the event tables, seen and in the hidden future (the benchmark counts their rows)
EVENTS = ("transaction_items", "future_purchases")
PRODUCT_BASE = 1001  # the first product id; ids are consecutive
# a receipt number is the customer number followed by five digits: the customer's n-th trip
RECEIPT_NUMBERS = 100_000

COMPANY = SPEC["chain"]["name"]  # the company's name, per locale
REGION = SPEC["chain"]["region"]  # where the customers live, per locale
BLOCK_SIZE = 2_000  # customers per block: about 180 receipt lines each
C = Column
_CUSTOMER = C("customer_id", "int", "Customer", "会员编号", references="customers.customer_id")
_person = population.person_columns(
    SPEC["population"],
    C("customer_id", "int", "Loyalty-card customer number", "会员编号"),
    registered=("Date the customer joined the loyalty programme", "注册日期"),
    extra=(
        C(
            "home_store_id",
            "int",
            "The store the customer registered at",
            "常去门店",
            references="stores.store_id",
        ),
    ),
)

SCHEMA = Schema(
    industry="retail",
    title=SPEC["title"],
    notes=tuple(SPEC["sources"]),
    tables=(
        outlets.table(
            SPEC["outlets"],
            "The chain's stores",
            "门店",
            C("floor_area_m2", "int", "Sales floor area", "营业面积", unit="m²"),
            ("Store", "门店"),
        ),
        Table(
            "products",
            "Products on sale",
            "商品",
            (
                C("product_id", "int", "Product number (SKU)", "商品编号"),
                C("name", "str", "Product name", "商品名称"),
                C("category", "category", "Category", "品类", values=tuple(CATEGORIES)),
                C("brand", "str", "Brand", "品牌"),
                C("store_brand", "bool", "The chain's own brand (vs a national brand)", "自有品牌"),
                C("price", "money", "Shelf price", "价格", check="price > 0", unit="currency"),
                C(
                    "unit_cost",
                    "money",
                    "What the chain pays the supplier per unit",
                    "进货成本",
                    check="unit_cost > 0 AND unit_cost < price",
                    unit="currency",
                ),
                C(
                    "replenishment_days",
                    "int",
                    "Typical days between purchases (consumables only)",
                    "补货周期",
                    nullable=True,
                    unit="days",
                ),
            ),
            key=("product_id",),
        ),
        costs.table("the chain"),
        Table(
            "customers",
            "Loyalty-card members",
            "会员",
            _person,
            key=("customer_id",),
            indexes=("postcode",),
        ),
        Table(
            "transactions",
            "Receipts: one row per shopping trip",
            "交易(小票)",
            (
                C("transaction_id", "int", "Receipt number", "小票编号"),
                _CUSTOMER,
                C("store_id", "int", "Store", "门店编号", references="stores.store_id"),
                C("timestamp", "timestamp", "Date and time of the purchase", "交易时间"),
                C("channel", "category", "In store or online", "渠道", values=("store", "online")),
                C(
                    "total",
                    "money",
                    "Amount paid: the sum of the receipt's items",
                    "金额",
                    unit="currency",
                ),
            ),
            key=("transaction_id",),
            indexes=("timestamp",),
        ),
        Table(
            "transaction_items",
            "Receipt lines",
            "交易明细",
            (
                C(
                    "transaction_id",
                    "int",
                    "Receipt",
                    "小票编号",
                    references="transactions.transaction_id",
                ),
                C("line", "int", "Line number on the receipt", "行号"),
                C("product_id", "int", "Product", "商品编号", references="products.product_id"),
                C("quantity", "int", "Units bought", "数量", check="quantity > 0"),
                C("unit_price", "money", "Price per unit", "单价", unit="currency"),
                C(
                    "discount",
                    "money",
                    "Coupon discount on the line",
                    "优惠金额",
                    check="discount >= 0",
                    unit="currency",
                ),
                C("amount", "money", "quantity × unit_price − discount", "金额", unit="currency"),
            ),
            key=("transaction_id", "line"),
        ),
        Table(
            "loyalty_points",
            "Points earned and redeemed",
            "积分",
            (
                C(
                    "transaction_id",
                    "int",
                    "Receipt",
                    "小票编号",
                    references="transactions.transaction_id",
                ),
                C("kind", "category", "Earned or redeemed", "类型", values=("earned", "redeemed")),
                _CUSTOMER,
                C("date", "date", "Date", "日期"),
                C("points", "int", "Points (negative when redeemed)", "积分"),
            ),
            key=("transaction_id", "kind"),
        ),
        campaign_engine.campaigns_table(
            C("category", "category", "Promoted category", "推广品类", values=tuple(CATEGORIES)),
            offer=C("coupon_value", "money", "Coupon discount", "优惠券面值", unit="currency"),
        ),
        campaign_engine.contacts_table(
            _CUSTOMER, responded="Bought the promoted category within the response window"
        ),
        Table(
            "coupon_redemptions",
            "Campaign coupons used at the till",
            "优惠券核销",
            (
                C("campaign_id", "int", "Campaign", "活动编号", references="campaigns.campaign_id"),
                _CUSTOMER,
                C(
                    "transaction_id",
                    "int",
                    "Receipt",
                    "小票编号",
                    references="transactions.transaction_id",
                ),
                C("redeemed_on", "date", "Date", "核销日期"),
                C("discount", "money", "Discount given", "优惠金额", unit="currency"),
            ),
            key=("campaign_id", "customer_id"),
        ),
        Table(
            "complaints",
            "Customer complaints",
            "投诉",
            (
                C("complaint_id", "int", "Complaint number", "投诉编号"),
                _CUSTOMER,
                C("store_id", "int", "Store concerned", "门店编号", references="stores.store_id"),
                C("received_on", "date", "Date received", "受理日期"),
                C(
                    "channel",
                    "category",
                    "How it came in",
                    "投诉渠道",
                    values=("store", "phone", "email", "web"),
                ),
                C(
                    "topic",
                    "category",
                    "Topic",
                    "投诉类型",
                    values=("product quality", "price", "staff", "waiting time", "out of stock"),
                ),
                C("resolved", "bool", "Resolved to the customer's satisfaction", "是否解决"),
            ),
            key=("complaint_id",),
        ),
        Table(
            "customer_truth",
            "Latent traits behind each customer's behaviour",
            "客户真实特征",
            (
                _CUSTOMER,
                C(
                    "segment",
                    "category",
                    "Latent segment",
                    "潜在细分",
                    values=tuple(SPEC["population"]["traits"]["segments"]),
                ),
                C("activity", "float", "Shopping-rate multiplier", "活跃度"),
                C("spend", "float", "Basket-size multiplier", "消费力"),
                C(
                    "price_sensitivity",
                    "float",
                    "0 (indifferent) to 1 (very price sensitive)",
                    "价格敏感度",
                ),
                C("stop_hazard", "float", "Monthly probability of leaving for good", "流失风险"),
                C(
                    "stopped_on",
                    "date",
                    "Date the customer stopped buying for good (by the as-of date)",
                    "流失日期",
                    nullable=True,
                ),
                C(
                    "lapse_hazard",
                    "float",
                    "Monthly probability of starting a spell away (see lapses)",
                    "暂时流失风险",
                ),
                C(
                    "share_of_wallet",
                    "float",
                    "Share of the customer's everyday grocery need bought at the chain",
                    "钱包份额",
                ),
                C(
                    "coupon_use",
                    "float",
                    "Probability of using a coupon they were sent when buying its category",
                    "优惠券使用倾向",
                ),
                C("pet_owner", "bool", "Owns a pet", "养宠物"),
                C("baby", "bool", "Has a child under three", "有婴幼儿"),
                C(
                    "pain_brand",
                    "category",
                    "Pain-reliever brand preference",
                    "止痛药品牌偏好",
                    values=("national", "store", "switcher"),
                    nullable=True,
                ),
                C(
                    "pain_usage",
                    "category",
                    "Pain-reliever usage",
                    "止痛药用量",
                    values=("light", "medium", "heavy"),
                    nullable=True,
                ),
            ),
            key=("customer_id",),
            truth=True,
        ),
        Table(
            "purchase_cycles",
            "Each customer's own replenishment cycle per category",
            "个人补货周期",
            (
                _CUSTOMER,
                C("category", "category", "Category", "品类", values=tuple(CYCLE)),
                C(
                    "cycle_days",
                    "float",
                    "Planted mean days between purchases",
                    "周期",
                    unit="days",
                ),
            ),
            key=("customer_id", "category"),
            truth=True,
        ),
        Table(
            "needs",
            "Each time a customer needed a category they replenish, at any shop: their last need "
            "on or before the as-of date and every need after it",
            "需求时点",
            (
                _CUSTOMER,
                C("category", "category", "Category", "品类", values=tuple(CYCLE)),
                C("need_on", "date", "Day the need arose", "需求日期"),
                C(
                    "bought_here",
                    "bool",
                    "Bought at the chain (not elsewhere, and not while away)",
                    "在本店购买",
                ),
            ),
            key=("customer_id", "category", "need_on"),
            truth=True,
        ),
        Table(
            "lapses",
            "Spells away: each time a customer stopped buying for a while, and came back",
            "暂时流失",
            (
                _CUSTOMER,
                C("lapsed_on", "date", "First day away", "流失开始"),
                C(
                    "returned_on",
                    "date",
                    "First day back (empty: still away on the as-of date, or left for good "
                    "while away)",
                    "回归日期",
                    nullable=True,
                ),
            ),
            key=("customer_id", "lapsed_on"),
            truth=True,
        ),
        Table(
            "future_lapses",
            "Spells away the hidden future sees: those under way on the as-of date and those "
            "that begin after it, with their true end",
            "未来暂时流失",
            (
                _CUSTOMER,
                C("lapsed_on", "date", "First day away", "流失开始"),
                C(
                    "returned_on",
                    "date",
                    "First day back (empty: still away at the end of the hidden future, or "
                    "left for good while away)",
                    "回归日期",
                    nullable=True,
                ),
            ),
            key=("customer_id", "lapsed_on"),
            truth=True,
        ),
        Table(
            "wallet",
            "Each customer's true need per category and the share of it bought at the chain",
            "钱包份额(真实)",
            (
                _CUSTOMER,
                C("category", "category", "Category", "品类", values=tuple(CATEGORIES)),
                C(
                    "need_per_year",
                    "money",
                    "Expected spend on the category a year, at every shop, while buying",
                    "年需求金额",
                    unit="currency",
                ),
                C("share", "float", "Share of that need bought at the chain", "本店份额"),
            ),
            key=("customer_id", "category"),
            truth=True,
        ),
        campaign_engine.truth_table(),
        *population.future_tables(
            _CUSTOMER,
            (
                C("trips", "int", "Receipts in the hidden future", "未来购物次数"),
                C("spend", "money", "Spend in the hidden future", "未来消费额", unit="currency"),
                C(
                    "margin",
                    "money",
                    "Gross margin of that spend (amount − quantity × unit cost)",
                    "未来毛利",
                    unit="currency",
                ),
                C(
                    "away_on_as_of",
                    "bool",
                    "In a spell away on the as-of date",
                    "截至日暂时流失",
                ),
            ),
        ),
        Table(
            "future_purchases",
            "Receipt lines of the hidden future (the 12 months after the as-of date)",
            "未来购买明细",
            (
                _CUSTOMER,
                C("transaction_id", "int", "Receipt", "小票编号"),
                C("purchased_on", "date", "Date", "购买日期"),
                C("product_id", "int", "Product", "商品编号", references="products.product_id"),
                C("quantity", "int", "Units bought", "数量"),
                C("amount", "money", "quantity × unit_price", "金额", unit="currency"),
                C("margin", "money", "amount − quantity × unit_cost", "毛利", unit="currency"),
            ),
            key=("transaction_id", "product_id"),
            truth=True,
        ),
        Table(
            "future_next_purchases",
            "Each customer's next purchase of each category they replenish, in the hidden future",
            "下次购买日期",
            (
                _CUSTOMER,
                C("category", "category", "Category", "品类", values=tuple(CYCLE)),
                C(
                    "next_purchase_on",
                    "date",
                    "First purchase of the category at the chain after the as-of date (empty: "
                    "none in the 12 months)",
                    "下次购买日期",
                    nullable=True,
                ),
            ),
            key=("customer_id", "category"),
            truth=True,
        ),
    ),
)


# ---------------------------------------------------------------- reference tables


def reference(build: Context) -> dict[str, pd.DataFrame]:
    """The tables that do not depend on customers: stores, products, campaigns.

    (The chain has the same stores whatever the number of customers.)
    """
    locale, window = build.locale, build.window
    return {
        "stores": outlets.draw(build, SPEC["outlets"], SPEC["chain"]),
        "products": _products(build.seed, locale),
        "campaigns": _campaigns(locale, window),
        "service_costs": costs.service_costs(SPEC["service_costs"], locale),
    }


def _products(seed: int, locale: Locale) -> pd.DataFrame:
    rng = stream(seed, "retail.products")
    cost_rng = stream(seed, "retail.products.costs")
    margin = SPEC["gross_margin"]
    brands = SPEC["brands"][locale.code]
    rows = []
    for category in SPEC["categories"]:
        low, high = category["price"]
        label = locale.label(category)
        for k in range(category["products"]):
            store_brand = k % round(1 / SPEC["store_brand_share"]) == 1
            if category["name"] == "pain_reliever":
                store_brand = k % 2 == 1
                brand = brands["store"] if store_brand else brands["pain_national"]
            else:
                brand = (
                    brands["store"]
                    if store_brand
                    else brands["national"][rng.integers(len(brands["national"]))]
                )
            size = category["sizes"][k % len(category["sizes"])]
            price = rng.uniform(low, high) * (1 - SPEC["store_brand_discount"] * store_brand)
            share = (
                margin["categories"][category["name"]] + margin["store_brand_extra"] * store_brand
            )
            share += cost_rng.uniform(-1, 1) * margin["spread"]
            cycle = category.get("cycle_days")
            rows.append(
                (
                    f"{brand} {label} {size}",
                    category["name"],
                    brand,
                    store_brand,
                    round(price, 2),
                    round(price * (1 - share), 2),
                    cycle if isinstance(cycle, int) else None,
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "name",
            "category",
            "brand",
            "store_brand",
            "price",
            "unit_cost",
            "replenishment_days",
        ],
    )
    frame.insert(0, "product_id", np.arange(PRODUCT_BASE, PRODUCT_BASE + len(frame)))
    frame["replenishment_days"] = frame["replenishment_days"].astype("Int64")
    return frame


def _campaigns(locale: Locale, window: Window) -> pd.DataFrame:
    rows = []
    for i, c in enumerate(SPEC["campaigns"], start=1):
        launched = window.as_of - pd.Timedelta(days=c["days_before_as_of"])
        # a campaign needs 180 days of history before it and its whole window inside
        if launched - pd.Timedelta(days=180) < window.start:
            continue
        rows.append(
            {
                "campaign_id": i,
                "name": locale.label(c, en="name"),
                "category": c["category"],
                "channel": c["channel"],
                "launched_on": launched,
                "response_days": c["window_days"],
                "holdout_share": c["holdout"],
                "coupon_value": c["discount"],
                "eligibility": c["eligible"],
            }
        )
    return pd.DataFrame(rows, columns=[c.name for c in SCHEMA.table("campaigns").columns])


def _catalogue(products: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Product ids by category code (rows padded with -1) and the number in each category."""
    codes = pd.Categorical(products["category"], categories=list(CATEGORIES)).codes
    count = np.bincount(codes, minlength=len(CATEGORIES))
    table = np.full((len(CATEGORIES), count.max()), -1, dtype=np.int64)
    for code in range(len(CATEGORIES)):
        ids = products["product_id"].to_numpy()[codes == code]
        table[code, : len(ids)] = ids
    return table, count


# ---------------------------------------------------------------- purchase events
# A block's planned purchases are kept as aligned NumPy arrays (customer index, day, category
# code, campaign, coupon): far cheaper than DataFrames for millions of rows.


def _events(index, day, cat, campaign_id=None, treated=None) -> dict[str, np.ndarray]:
    n = len(index)
    return {
        "index": np.asarray(index, dtype=np.int64),
        "day": np.asarray(day, dtype=np.int64),
        "cat": np.asarray(cat, dtype=np.int64),
        "campaign_id": np.zeros(n, np.int64) if campaign_id is None else campaign_id,
        "treated": np.zeros(n, bool) if treated is None else treated,
    }


def _take(events: dict[str, np.ndarray], rows) -> dict[str, np.ndarray]:
    return {name: values[rows] for name, values in events.items()}


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not parts:
        return _events([], [], [])
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


# ---------------------------------------------------------------- one block of customers


class RetailBlock(Block):
    industry = "retail"

    def __init__(self, *args):
        super().__init__(*args)
        window, locale, ref = self.window, self.locale, self.ref
        # customers are simulated into the hidden future; day numbers from ``seen`` on are
        # written only to the truth (the future_* tables)
        self.days = window.all_days
        self.seen = len(window.days)
        self.weights = day_weights(window, locale, SPEC["calendar"], future=True)
        self.cum = np.concatenate([[0.0], np.cumsum(self.weights)])
        start = window.start
        begins = np.maximum(self.people["registered_on"], start)
        self.first = (begins - start).dt.days.to_numpy()
        leaves = self.people["truth_leaves_on"]
        last = leaves.fillna(window.end + pd.Timedelta(days=1)) - pd.Timedelta(days=1)
        self.last = np.minimum((last - start).dt.days.to_numpy(), len(self.days) - 1)
        self.behaviour = SPEC["behaviour"]
        products, campaigns = ref["products"], ref["campaigns"]
        self.price = np.zeros(products["product_id"].max() - PRODUCT_BASE + 1)
        self.price[products["product_id"].to_numpy() - PRODUCT_BASE] = products["price"]
        self.cost = np.zeros_like(self.price)
        self.cost[products["product_id"].to_numpy() - PRODUCT_BASE] = products["unit_cost"]
        self.product_category = np.zeros(len(self.price), np.int64)
        self.product_category[products["product_id"].to_numpy() - PRODUCT_BASE] = pd.Categorical(
            products["category"], categories=list(CATEGORIES)
        ).codes
        self.coupon = np.zeros(campaigns["campaign_id"].to_numpy().max(initial=0) + 1)
        self.coupon[campaigns["campaign_id"].to_numpy()] = campaigns["coupon_value"]
        self.catalogue = _catalogue(products)
        pain = products[products["category"] == "pain_reliever"]
        own = pain["store_brand"].to_numpy()
        self.pain_products = pain["product_id"].to_numpy()[own], pain["product_id"].to_numpy()[~own]
        self._latent()
        self._wallet()
        self._lapses()

    # -- latent retail traits
    def _latent(self):
        rng, b, p = self.rng("latent"), self.behaviour, self.people
        family = p["household_type"].isin(["young_children", "older_children"]).to_numpy()
        pet_share = np.where(family, b["pet_owner_share_families"], b["pet_owner_share"])
        self.pet = rng.random(self.n) < pet_share
        self.baby = (p["household_type"] == "young_children").to_numpy() & (
            rng.random(self.n) < b["baby_buyer_share"]
        )
        self.pain = rng.random(self.n) < b["pain_user_share"]
        self.pain_brand = np.array(list(b["pain_brand"]))[
            rng.choice(3, self.n, p=list(b["pain_brand"].values()))
        ]
        self.pain_usage = np.array(list(b["pain_usage"]))[
            rng.choice(3, self.n, p=list(b["pain_usage"].values()))
        ]
        self.redeemer = rng.beta(*b["loyalty"]["redeemer_beta"], self.n)  # cashes points in
        self.coupon_use = self.rng("coupon_use").beta(*b["coupon_use"], self.n)
        self.online = self.rng("online").beta(*SPEC["chain"]["online"], self.n)
        # where in each category's shelf a customer's usual product sits
        self.favourite = self.rng("favourites").random((self.n, len(CATEGORIES)))
        self.taste = self.rng("taste").lognormal(0, b["taste_sigma"], (self.n, len(BASKET)))
        stores = self.ref["stores"]
        home = rng.integers(0, len(stores), self.n)  # a store in the customer's own city if any
        by_city = {c: i for i, c in enumerate(stores["city"])}
        local = np.array([by_city.get(c, -1) for c in p["city"]])
        self.home = np.where(local >= 0, local, home)

    def _wallet(self):
        """Share of wallet: of all a customer needs, the share they buy at this chain.

        ``share`` is the customer's share of their everyday groceries (their trips);
        ``category_share`` the share of each category's need (consumables may be bought
        elsewhere more or less often than groceries).
        """
        rng, spec = self.rng("wallet"), self.behaviour["share_of_wallet"]
        segment = self.people["truth_segment"]
        a, b = np.array([spec["segments"][s] for s in segment.cat.categories], float).T
        codes = segment.cat.codes.to_numpy()
        self.share = np.clip(rng.beta(a[codes], b[codes]), 0.01, 0.99)
        shift = np.array([spec["category_shift"].get(c, 0.0) for c in CATEGORIES])
        logit = np.log(self.share / (1 - self.share))[:, None] + shift
        logit = logit + rng.normal(0, spec["category_spread"], (self.n, len(CATEGORIES)))
        self.category_share = 1 / (1 + np.exp(-logit))
        self.category_share[:, BASKET_CODES] = self.share[:, None]

    def _lapses(self):
        """Spells away: a customer lapses for a while (a competitor's offer, a move nearby, a
        season away) and comes back, on top of leaving for good; the more likely a customer is
        to leave, the more often they lapse.

        Sets ``lapse``: each customer's spells (begin and end day, ``most`` of them, some
        after their last day or past the future's end).
        """
        rng, spec = self.rng("lapses"), self.behaviour["lapses"]
        self.lapse_rate = spec["monthly_hazard"] * rng.gamma(*spec["rate_gamma"], self.n)
        shape = (self.n, spec["most"])
        away = rng.exponential(1.0, shape) * 30.44 / self.lapse_rate[:, None]
        sigma = spec["sigma"]
        spell = rng.lognormal(np.log(spec["mean_days"]) - sigma**2 / 2, sigma, shape)
        begin = self.first[:, None] + np.cumsum(away + spell, axis=1) - spell
        self.lapse = np.floor(begin), np.floor(begin + spell)

    def _awake(self, index, day) -> np.ndarray:
        """True where customer ``index`` is not in a spell away on ``day``."""
        begin, end = self.lapse
        away = np.zeros(len(index), bool)
        for k in range(begin.shape[1]):
            away |= (day >= begin[index, k]) & (day < end[index, k])
        return ~away

    # -- when each customer buys
    def _top_up_trips(self):
        """Everyday trips at this chain: the customer's share of their trips, none away."""
        rng = self.rng("trips")
        rate = self.behaviour["top_up_trips_per_week"] * self.people["truth_activity"].to_numpy()
        rate = rate * self.share
        active = self.last >= self.first
        expected = np.where(active, rate / 7 * (self.cum[self.last + 1] - self.cum[self.first]), 0)
        who = np.repeat(np.arange(self.n), rng.poisson(expected))
        day = sample_days(rng, self.cum, self.first[who], self.last[who])
        awake = self._awake(who, day)
        return who[awake], day[awake]

    def _cycle_events(self) -> dict[str, np.ndarray]:
        """Planned purchase days of consumables, each customer on their own cycle.

        Sets ``self.cycle``: each customer's cycle in days per category (NaN for non-buyers).
        """
        rng = self.rng("cycles")
        self.cycle = np.full((self.n, len(CATEGORIES)), np.nan)
        self.needs = []  # every need, at any shop: (customer index, day, category, bought here)
        shape = self.behaviour["cycle_gap_shape"]
        events = []
        for name in CYCLE:
            category, code = CATEGORIES[name], CODE[name]
            buyers = category["buyers"]
            others = np.zeros(0, np.int64)
            if buyers == "baby":
                who = np.flatnonzero(self.baby)
                # and a few other households (grandparents, gifts, older toddlers)
                share, _ = category.get("other_buyers", (0.0, 0))
                others = np.flatnonzero(~self.baby & (rng.random(self.n) < share))
            elif buyers == "pet":
                who = np.flatnonzero(self.pet)
            elif buyers == "pain":
                who = np.flatnonzero(self.pain)
            else:
                who = np.flatnonzero(rng.random(self.n) < buyers)
            if category["cycle_days"] == "usage":
                days = self.behaviour["pain_cycle_days"]
                base = np.array([days[u] for u in self.pain_usage[who]], dtype=float)
            else:
                base = np.full(len(who), float(category["cycle_days"]))
            if len(others):
                base = np.concatenate(
                    [base, np.full(len(others), float(category["other_buyers"][1]))]
                )
                who = np.concatenate([who, others])
            cycle = base * rng.lognormal(0, self.behaviour["cycle_sigma"], len(who))
            self.cycle[who, code] = cycle
            if len(who) == 0:
                continue
            # irregular gaps: Erlang-2 around the customer's own cycle
            steps = int(np.ceil(len(self.days) / cycle.min() * 1.6)) + 4
            gaps = cycle[:, None] * rng.gamma(shape, 1 / shape, (len(who), steps))
            start = self.first[who] + rng.random(len(who)) * cycle
            when = np.floor(start[:, None] + np.cumsum(gaps, axis=1) - gaps[:, :1])
            rows, cols = np.nonzero(when <= self.last[who][:, None])
            index, day = who[rows], when[rows, cols].astype(np.int64)
            # bought here (the customer's share of the category), and not while away
            here = rng.random(len(index)) < self.category_share[index, code]
            keep = here & self._awake(index, day)
            self.needs.append((index, day, np.full(len(index), code), keep))
            events.append(_events(index[keep], day[keep], np.full(int(keep.sum()), code)))
        return _concat(events)

    # -- campaigns: replace organic purchases in the window by the potential outcomes
    def _campaigns(self, events, trips_who, trips_day):
        contacts, responses = [], []
        for c in self.ref["campaigns"].itertuples(index=False):
            spec = SPEC["campaigns"][c.campaign_id - 1]
            code = CODE[c.category]
            launch = (c.launched_on - self.window.start).days
            end = launch + c.response_days - 1
            # history before launch: trips and purchases of the promoted or gate category
            before = (trips_day < launch) & (trips_day >= launch - 90)
            active_90 = np.bincount(trips_who[before], minlength=self.n) > 0
            day, promoted = events["day"], events["cat"] == code
            if c.eligibility == "active_90":
                eligible = active_90
            else:  # bought_180: bought the promoted category in the 180 days before
                mask = (day >= launch - 180) & (day <= launch - 1) & promoted
                eligible = np.bincount(events["index"][mask], minlength=self.n) > 0
            eligible &= self.people[f"consent_{c.channel}"].to_numpy()
            # the chance of buying the category in the window without contact, and the uplift
            in_window = (day >= launch) & (day <= end) & promoted
            cycle = np.nan_to_num(self.cycle[:, code], nan=np.inf)
            alive = np.clip((np.minimum(self.last, end) - launch + 1) / c.response_days, 0, 1)
            awake = self._awake(np.arange(self.n), np.full(self.n, launch))
            p_control, uplift = response_chances(
                spec["uplift"],
                c.response_days,
                cycle,
                self.category_share[:, code],
                self.people["truth_price_sensitivity"].to_numpy(),
                awake,
                alive,
                self.behaviour["cycle_gap_shape"],
            )
            result = campaign_engine.run(
                self.seed,
                self.no,
                {"industry": "retail", "campaign_id": c.campaign_id, "holdout": c.holdout_share},
                self.people["customer_id"].to_numpy(),
                eligible,
                p_control,
                uplift,
            )
            # eligible customers' organic purchases in the window give way to the outcome
            drop = in_window & eligible[events["index"]]
            events = _take(events, ~drop)
            rng = self.rng(f"response.{c.campaign_id}")
            responders = result[result["responded"]]
            who = responders["index"].to_numpy()
            r_first = np.maximum(launch, self.first[who])
            r_last = np.minimum(end, self.last[who])
            day = r_first + np.floor(rng.random(len(who)) * (r_last - r_first + 1))
            responses.append(
                _events(
                    who,
                    day.astype(np.int64),
                    np.full(len(who), code),
                    np.full(len(who), c.campaign_id),
                    responders["treated"].to_numpy(),
                )
            )
            result["channel"] = c.channel
            result["sent_on"] = campaign_engine.sent_dates(result["treated"], c.launched_on)
            contacts.append(result)
        return events, contacts, responses

    # -- assembly
    def tables(self) -> dict[str, pd.DataFrame | pa.Table]:
        trips_who, trips_day = self._top_up_trips()
        events = self._cycle_events()
        events, contacts, responses = self._campaigns(events, trips_who, trips_day)
        events = _concat([events, *responses])
        # a contacted buyer uses the coupon if they remember it (their habit with coupons);
        # only a coupon used moves a pain-reliever buyer to the store brand
        remembers = self.rng("coupon_used").random(len(events["index"]))
        events["coupon"] = events["treated"] & (remembers < self.coupon_use[events["index"]])
        trips, items = self._attach(trips_who, trips_day, events)
        return self._output(trips, items, contacts)

    def _attach(self, trips_who, trips_day, events):
        """Consumables join a planned trip within a few days, or make trips of their own.

        Returns the trips (customer index, day, planned) and the events with their trip.
        """
        stride = len(self.days) + 1
        planned = arrays.unique(trips_who.astype(np.int64) * stride + trips_day)
        key = events["index"] * stride + events["day"]
        pos = np.searchsorted(planned, key)
        left = planned[np.clip(pos - 1, 0, max(len(planned) - 1, 0))] if len(planned) else key
        right = planned[np.clip(pos, 0, max(len(planned) - 1, 0))] if len(planned) else key
        # neighbours only count when they exist and belong to the same customer
        same_left = (pos > 0) & ((left // stride) == (key // stride))
        same_right = (pos < len(planned)) & ((right // stride) == (key // stride))
        # a consumable joins a trip at most a few days (and under a third of its cycle) away
        own_cycle = np.nan_to_num(self.cycle[events["index"], events["cat"]], nan=30.0)
        tol = np.minimum(self.behaviour["attach_tolerance_days"], np.floor(own_cycle / 3))
        width = self.behaviour["shared_trip_days"]
        d_left = np.where(same_left, key - left, 10**9)
        d_right = np.where(same_right, right - key, 10**9)
        best = np.where(d_left <= d_right, left, right)
        near = np.minimum(d_left, d_right) <= tol
        # the rest share trips among themselves: events in the same stretch of days (its
        # phase random per customer) are bought together on the stretch's first event day
        customer = key // stride
        phase = self.rng("stretches").integers(0, width, self.n)[customer]
        stretch = customer * stride + (key % stride + phase) // width
        attached = np.where(near, best, arrays.group_min(stretch, key))
        # a campaign response happens on its own day
        attached = np.where(events["campaign_id"] > 0, key, attached)
        trip_keys = arrays.unique(np.concatenate([planned, attached]))
        events["trip"] = np.searchsorted(trip_keys, attached)
        trips = {
            "index": trip_keys // stride,
            "day": trip_keys % stride,
            "planned": np.isin(trip_keys, planned),
        }
        return trips, events

    def _output(self, trips, events, contacts):
        p, b = self.people, self.behaviour
        rng = self.rng("baskets")
        ids = p["customer_id"].to_numpy()
        who = trips["index"]
        n_trips = len(who)
        # basket items: a top-up trip always has some, a consumables-only trip may have none
        spend = p["truth_spend"].to_numpy()[who]
        mean = b["discretionary_items_per_trip"] * spend
        count = np.where(
            trips["planned"],
            1 + rng.poisson(np.maximum(mean - 1, 0)),
            rng.poisson(mean * b["items_on_a_consumables_trip"]),
        )
        item_trip = np.repeat(np.arange(n_trips), count)
        taste = self.taste
        popularity = np.array([CATEGORIES[c]["popularity"] for c in BASKET])
        cum = np.cumsum(taste * popularity, axis=1)
        cum /= cum[:, -1:]
        u = rng.random(len(item_trip))
        buyer = who[item_trip]
        basket_cat = np.zeros(len(item_trip), np.int64)
        for column in cum.T:  # the number of a customer's cumulative shares below u
            basket_cat += column[buyer] < u
        basket_cat = np.minimum(basket_cat, len(BASKET) - 1)
        basket_product = self._pick_products(rng, BASKET_CODES[basket_cat], buyer)
        cycle_product = self._pick_products(
            rng, events["cat"], events["index"], coupon=events["coupon"]
        )
        # receipt lines sorted by (trip, campaign, product), the coupon flag in the lowest bit
        products, campaigns = len(self.price), len(self.coupon)
        key = arrays.pack(
            (np.concatenate([events["trip"], item_trip]), len(trips["index"])),
            (np.concatenate([events["campaign_id"], np.zeros_like(item_trip)]), campaigns),
            (np.concatenate([cycle_product, basket_product]) - PRODUCT_BASE, products),
            (np.concatenate([events["coupon"], np.zeros(len(item_trip), bool)]), 2),
        )
        key = np.sort(key)
        # the same product twice in a basket is one receipt line (its quantity is drawn below)
        key = key[arrays.starts(key >> 1)]
        used, key = (key & 1).astype(bool), key >> 1
        product, key = key % products + PRODUCT_BASE, key // products
        campaign, line_trip = key % campaigns, key // campaigns
        n_lines = len(line_trip)
        # transactions
        hours = np.asarray(b["hours"], float)
        hour = rng.choice(24, n_trips, p=hours / hours.sum())
        minute = rng.integers(0, 60, n_trips)
        day = np.datetime64(self.window.start.date(), "D") + trips["day"].astype("timedelta64[D]")
        stamp = day.astype("datetime64[s]") + (hour * 3600 + minute * 60).astype("timedelta64[s]")
        online = rng.random(n_trips) < self.online[who]
        other = rng.integers(0, len(self.ref["stores"]), n_trips)
        store_index = np.where(
            rng.random(n_trips) < SPEC["chain"]["home_store_share"], self.home[who], other
        )
        seq = arrays.rank(who)  # trips are sorted by customer
        transaction_id = ids[who] * RECEIPT_NUMBERS + seq
        # lines: quantity, price, coupon
        quantity = rng.choice([1, 2, 3], n_lines, p=list(b["quantity"].values()))
        quantity = np.where(campaign > 0, 1, quantity)
        unit_price = self.price[product - PRODUCT_BASE]
        redeems = (campaign > 0) & used
        discount = np.where(redeems, self.coupon[campaign], 0.0)
        cap = b["coupon_discount_cap"]  # of the line's price
        discount = np.minimum(discount, np.round(unit_price * quantity * cap, 2))
        amount = np.round(quantity * unit_price - discount, 2)
        # students see the trips up to the as-of date; the future's go to the truth
        future = trips["day"] >= self.seen
        seen = ~future[line_trip]
        items = pa.Table.from_arrays(  # the biggest table goes straight to Arrow
            [
                pa.array(transaction_id[line_trip][seen]),
                pa.array(arrays.rank(line_trip)[seen]),
                pa.array(product[seen]),
                pa.array(quantity[seen]),
                pa.array(unit_price[seen]),
                pa.array(discount[seen]),
                pa.array(amount[seen]),
            ],
            schema=SCHEMA.table("transaction_items").arrow,
        )
        cents = np.bincount(line_trip, weights=np.round(amount * 100), minlength=n_trips)
        total = np.round(cents) / 100
        shown = (np.bincount(line_trip, minlength=n_trips) > 0) & ~future
        transactions = pd.DataFrame(
            {
                "transaction_id": transaction_id[shown],
                "customer_id": ids[who][shown],
                "store_id": self.ref["stores"]["store_id"].to_numpy()[store_index][shown],
                "timestamp": stamp[shown],
                "channel": pd.Categorical.from_codes(online[shown].astype(np.int8), dtype=CHANNEL),
                "total": total[shown],
            }
        )
        lines = {"trip": line_trip, "campaign_id": campaign}
        bought = {
            "line": ~seen,
            "customer": who[line_trip][~seen],
            "transaction_id": transaction_id[line_trip][~seen],
            "day": day[line_trip][~seen],
            "product": product[~seen],
            "quantity": quantity[~seen],
            "amount": amount[~seen],
        }
        return {
            "customers": self._customers(),
            "transactions": transactions,
            "transaction_items": items,
            "loyalty_points": self._points(transactions, who[shown]),
            **self._contacts(contacts, lines, transaction_id, day, redeems, discount),
            "complaints": self._complaints(),
            **self._truth(),
            **self._future(bought),
        }

    def _pick_products(self, rng, codes, who, coupon=None):
        """A product for each (category code, customer): their usual one, or another.

        Pain relievers follow the customer's brand preference (a coupon is for the store
        brand).
        """
        table, count = self.catalogue
        usual = (self.favourite[who, codes] * count[codes]).astype(np.int64)
        other = (rng.random(len(codes)) * count[codes]).astype(np.int64)
        habit = self.behaviour["usual_product_share"]
        out = table[codes, np.where(rng.random(len(codes)) < habit, usual, other)]
        pain = np.flatnonzero(codes == PAIN)
        if len(pain):
            brand = self.pain_brand[who[pain]]
            wants_store = np.where(
                brand == "switcher",
                rng.random(len(pain)) < self.behaviour["switcher_store_brand_share"],
                brand == "store",
            )
            loyal = rng.random(len(pain)) < self.behaviour["brand_loyalty"]
            wants_store = np.where(loyal, wants_store, ~wants_store)
            if coupon is not None:
                wants_store |= coupon[pain]
            pool_store, pool_national = self.pain_products
            pick = rng.integers(0, 1 << 30, len(pain))
            out[pain] = np.where(
                wants_store,
                pool_store[pick % len(pool_store)],
                pool_national[pick % len(pool_national)],
            )
        return out

    def _customers(self) -> pd.DataFrame:
        home = self.ref["stores"]["store_id"].to_numpy()[self.home]
        frame = self.people.assign(home_store_id=home)
        return frame[[c.name for c in SCHEMA.table("customers").columns]]

    def _points(self, transactions: pd.DataFrame, who: np.ndarray) -> pd.DataFrame:
        """Points earned on every receipt, and a voucher redeemed when a block is crossed."""
        loyalty = self.behaviour["loyalty"]
        earned = np.floor(transactions["total"].to_numpy() * loyalty["points_per_unit"])
        earned = earned.astype(np.int64)
        customer = transactions["customer_id"].to_numpy()  # sorted, receipts in time order
        cumulative = arrays.run_cumsum(customer, earned)
        block = loyalty["redeem_block"]
        crossed = (cumulative // block) > ((cumulative - earned) // block)
        rng = self.rng("points")
        redeem = np.flatnonzero(crossed & (rng.random(len(earned)) < self.redeemer[who]))
        # each receipt's earned row, followed by its redeemed row if any
        row = np.concatenate([np.arange(len(earned)), redeem])
        order = np.argsort(np.concatenate([2 * np.arange(len(earned)), 2 * redeem + 1]))
        row, redeemed = row[order], order >= len(earned)
        date = transactions["timestamp"].to_numpy().astype("datetime64[D]")
        return pd.DataFrame(
            {
                "transaction_id": transactions["transaction_id"].to_numpy()[row],
                "kind": pd.Categorical.from_codes(redeemed.astype(np.int8), dtype=POINTS_KIND),
                "customer_id": customer[row],
                "date": date[row],
                "points": np.where(redeemed, -block, earned[row]),
            }
        )

    def _contacts(self, contacts, lines, transaction_id, day, redeems, discount):
        tables = campaign_engine.contact_tables(contacts, SCHEMA)
        is_coupon = (lines["campaign_id"] > 0) & redeems
        trip = lines["trip"][is_coupon]
        customer = transaction_id[trip] // RECEIPT_NUMBERS
        redemptions = pd.DataFrame(
            {
                "campaign_id": lines["campaign_id"][is_coupon],
                "customer_id": customer,
                "transaction_id": transaction_id[trip],
                "redeemed_on": day[trip],
                "discount": discount[is_coupon],
            }
        )
        tables["coupon_redemptions"] = redemptions.sort_values(
            ["campaign_id", "customer_id"]
        ).reset_index(drop=True)
        return tables

    def _complaints(self) -> pd.DataFrame:
        rng = self.rng("complaints")
        last = np.minimum(self.last, self.seen - 1)
        active_days = np.maximum(last - self.first + 1, 0)
        count = rng.poisson(self.behaviour["complaints_per_year"] * active_days / 365.25)
        who = np.repeat(np.arange(self.n), count)
        day = self.first[who] + np.floor(rng.random(len(who)) * active_days[who]).astype(int)
        # some who leave complain shortly before they go
        leaving = np.flatnonzero(
            self.people["truth_stopped_on"].notna().to_numpy()
            & (active_days > 60)
            & (rng.random(self.n) < self.behaviour["complaint_before_stop"])
        )
        who = np.concatenate([who, leaving])
        day = np.concatenate([day, last[leaving] - rng.integers(0, 60, len(leaving))])
        order = np.lexsort((day, who))
        who, day = who[order], day[order]
        seq = pd.Series(who).groupby(who).cumcount().to_numpy() + 1
        stores = self.ref["stores"]["store_id"].to_numpy()
        topics = SCHEMA.table("complaints").column("topic").values
        channels = SCHEMA.table("complaints").column("channel").values
        by_channel = [self.behaviour["complaint_channels"][c] for c in channels]
        by_topic = [self.behaviour["complaint_topics"][t] for t in topics]
        return pd.DataFrame(
            {
                "complaint_id": self.people["customer_id"].to_numpy()[who] * 100 + seq,
                "customer_id": self.people["customer_id"].to_numpy()[who],
                "store_id": stores[self.home[who]],
                "received_on": self.window.start + pd.to_timedelta(day, unit="D"),
                "channel": np.array(channels)[rng.choice(len(channels), len(who), p=by_channel)],
                "topic": np.array(topics)[rng.choice(len(topics), len(who), p=by_topic)],
                "resolved": rng.random(len(who)) < self.behaviour["complaints_resolved"],
            }
        )

    def _truth(self) -> dict[str, pd.DataFrame]:
        p = self.people
        pain = np.where(self.pain, self.pain_brand, None)
        usage = np.where(self.pain, self.pain_usage, None)
        customer_truth = pd.DataFrame(
            {
                "customer_id": p["customer_id"],
                "segment": p["truth_segment"],
                "activity": p["truth_activity"].round(4),
                "spend": p["truth_spend"].round(4),
                "price_sensitivity": p["truth_price_sensitivity"].round(4),
                "stop_hazard": p["truth_stop_hazard"].round(5),
                "stopped_on": p["truth_stopped_on"],
                "lapse_hazard": self.lapse_rate.round(5),
                "share_of_wallet": self.share.round(4),
                "coupon_use": self.coupon_use.round(4),
                "pet_owner": self.pet,
                "baby": self.baby,
                "pain_brand": pain,
                "pain_usage": usage,
            }
        )
        who, code = np.nonzero(~np.isnan(self.cycle))
        cycles = pd.DataFrame(
            {
                "customer_id": p["customer_id"].to_numpy()[who],
                "category": np.array(list(CATEGORIES))[code],
                "cycle_days": self.cycle[who, code].round(2),
            }
        )
        cycles = cycles.sort_values(["customer_id", "category"]).reset_index(drop=True)
        return {
            "customer_truth": customer_truth,
            "purchase_cycles": cycles,
            "needs": self._needs_table(),
            **self._lapse_tables(),
            "wallet": self._wallet_table(),
        }

    def _needs_table(self) -> pd.DataFrame:
        """The needs the hidden future's campaigns are timed against: per customer and
        category the last need on or before the as-of date and every one after it (two needs
        on one day are one, bought here if either was)."""
        parts = list(zip(*self.needs, strict=True)) if self.needs else [[]] * 4
        index, day, code, here = (
            np.concatenate(part) if len(part) else np.zeros(0, np.int64) for part in parts
        )
        key = index.astype(np.int64) * len(CATEGORIES) + code
        as_of = self.seen - 1
        last_seen = np.full(self.n * len(CATEGORIES), -1, np.int64)
        past = day <= as_of
        np.maximum.at(last_seen, key[past], day[past])
        keep = (day > as_of) | (day == last_seen[key])
        table = pd.DataFrame(
            {
                "customer_id": self.ids[index[keep]],
                "category": np.array(list(CATEGORIES))[code[keep]],
                "need_on": np.datetime64(self.window.start.date(), "D") + day[keep],
                "bought_here": here[keep].astype(bool),
            }
        )
        table = table.groupby(["customer_id", "category", "need_on"], as_index=False)[
            "bought_here"
        ].any()
        return table.reset_index(drop=True)

    def _lapse_tables(self) -> dict[str, pd.DataFrame]:
        """The spells away that begin while the customer buys: as they stood on the as-of
        date (``lapses``), and every spell the hidden future sees, with its true end
        (``future_lapses``)."""
        begin, end = self.lapse
        who, k = np.nonzero(begin <= self.last[:, None])
        begin, end = begin[who, k].astype(np.int64), end[who, k].astype(np.int64)
        back = end <= self.last[who]  # not left for good while away
        start = np.datetime64(self.window.start.date(), "D")
        lapsed = start + begin.astype("timedelta64[D]")
        returned = np.where(back, start + end.astype("timedelta64[D]"), np.datetime64("NaT"))
        seen = begin < self.seen
        by_as_of = back & (end < self.seen)
        future = ~seen | ~by_as_of
        return {
            "lapses": pd.DataFrame(
                {
                    "customer_id": self.ids[who[seen]],
                    "lapsed_on": lapsed[seen],
                    "returned_on": np.where(by_as_of, returned, np.datetime64("NaT"))[seen],
                }
            ),
            "future_lapses": pd.DataFrame(
                {
                    "customer_id": self.ids[who[future]],
                    "lapsed_on": lapsed[future],
                    "returned_on": returned[future],
                }
            ),
        }

    def _wallet_table(self) -> pd.DataFrame:
        """Each customer's expected yearly need per category (at every shop, while buying)
        and the share of it bought here: consumables from their cycle, everyday groceries
        from their trips, baskets and tastes."""
        b, products = self.behaviour, self.ref["products"]
        mean_price = products.groupby("category", observed=True)["price"].mean()
        price = np.array([mean_price[c] for c in CATEGORIES])
        units = sum(int(k) * v for k, v in b["quantity"].items())
        need = 365.25 / self.cycle * price * units  # consumables (NaN for non-buyers)
        trips = b["top_up_trips_per_week"] * 52.18 * self.people["truth_activity"].to_numpy()
        items = trips * b["discretionary_items_per_trip"] * self.people["truth_spend"].to_numpy()
        taste = self.taste * np.array([CATEGORIES[c]["popularity"] for c in BASKET])
        taste /= taste.sum(axis=1, keepdims=True)
        need[:, BASKET_CODES] = items[:, None] * taste * price[BASKET_CODES] * units
        who, code = np.nonzero(np.isfinite(need))
        return pd.DataFrame(
            {
                "customer_id": self.ids[who],
                "category": np.array(list(CATEGORIES))[code],
                "need_per_year": need[who, code].round(2),
                "share": self.category_share[who, code].round(4),
            }
        )

    def _future(self, bought: dict) -> dict[str, pd.DataFrame]:
        """The hidden future: its receipt lines, each customer's outcome, and the next
        purchase of each category they replenish."""
        cost = self.cost[bought["product"] - PRODUCT_BASE]
        margin = np.round(bought["amount"] - bought["quantity"] * cost, 2)
        purchases = pd.DataFrame(
            {
                "customer_id": self.ids[bought["customer"]],
                "transaction_id": bought["transaction_id"],
                "purchased_on": bought["day"],
                "product_id": bought["product"],
                "quantity": bought["quantity"],
                "amount": bought["amount"],
                "margin": margin,
            }
        )
        customer = bought["customer"]
        first_line = arrays.starts(bought["transaction_id"])  # lines are sorted by receipt
        spend = np.bincount(customer, weights=np.round(bought["amount"] * 100), minlength=self.n)
        gross = np.bincount(customer, weights=np.round(margin * 100), minlength=self.n)
        leaves = self.people["truth_leaves_on"]
        as_of = self.seen - 1
        customers = pd.DataFrame(
            {
                "customer_id": self.ids,
                "leaves_on": leaves.where(leaves > self.window.as_of),
                "trips": np.bincount(customer[first_line], minlength=self.n),
                "spend": np.round(spend) / 100,
                "margin": np.round(gross) / 100,
                "away_on_as_of": ~self._awake(np.arange(self.n), np.full(self.n, as_of))
                & (self.last >= as_of),
            }
        )
        # the first future purchase of each replenished category
        category = self.product_category[bought["product"] - PRODUCT_BASE]
        who, code = np.nonzero(np.isfinite(self.cycle))
        first = np.full((self.n, len(CATEGORIES)), np.datetime64("NaT"), "datetime64[D]")
        order = np.argsort(bought["day"], kind="stable")[::-1]  # latest first: earliest wins
        first[customer[order], category[order]] = bought["day"][order]
        nxt = pd.DataFrame(
            {
                "customer_id": self.ids[who],
                "category": np.array(list(CATEGORIES))[code],
                "next_purchase_on": first[who, code],
            }
        )
        nxt = nxt.sort_values(["customer_id", "category"]).reset_index(drop=True)
        return {
            "future_customers": customers,
            "future_purchases": purchases,
            "future_next_purchases": nxt,
        }


INDUSTRY = Industry(
    name="retail",
    spec=SPEC,
    schema=SCHEMA,
    block=RetailBlock,
    block_size=BLOCK_SIZE,
    people=PEOPLE,
    events=EVENTS,
    reference=reference,
    company=COMPANY,
    region=REGION,
    campaign="generator.industries.retail_campaign",
)
