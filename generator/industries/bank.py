"""The retail bank: branches, products, accounts, transactions, month-end balances, campaigns.

What the data must teach (the "micro-code marketing" case, 微码营销) is planted here: which
products a customer holds follows their age and income, so fine-grained customer codes and
cross-sell targets can be found; every account balances to the cent (opening balance plus its
transactions gives each month-end balance); some customers close all their accounts and use
them less and less before they do; and a term-deposit phone campaign with a random control
group measures its true uplift. Pay arrives once a month and spending follows the balance,
so a current account keeps about a month or two of pay. Each product's margin and each
channel's cost to serve are known, so profit per customer can be computed. Customers are
simulated a year past the as-of date; that hidden future is written only to the truth
(``future_*``). Rates live in ``bank.json`` beside this file, with sources.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from generator import arrays, costs, outlets, population
from generator import campaigns as campaign_engine
from generator.blocks import Block
from generator.context import Context
from generator.industries.bank_campaign import response_chances
from generator.locales import Locale
from generator.population import Window
from generator.registry import Industry, load_spec
from generator.schema import Column, Schema, Table

SPEC = load_spec(__file__)  # checked against its schema
TYPES = tuple(SPEC["product_types"])  # current first: every customer's primary account
TYPE = {name: code for code, name in enumerate(TYPES)}
PRODUCTS = SPEC["products"]
KINDS = (
    "deposit",
    "withdrawal",
    "card_payment",
    "transfer_in",
    "transfer_out",
    "fee",
    "interest",
)
KIND = {name: code for code, name in enumerate(KINDS)}
CREDIT = np.array([k in ("deposit", "transfer_in") for k in KINDS])  # interest: either sign
OUTFLOWS = ("withdrawal", "card_payment", "transfer_out")  # what a customer takes out
CHANNELS = ("branch", "ATM", "POS", "mobile", "online", "system")
CHANNEL = {name: code for code, name in enumerate(CHANNELS)}
KIND_DTYPE = pd.CategoricalDtype(pd.Index(list(KINDS), dtype="str"))
CHANNEL_DTYPE = pd.CategoricalDtype(pd.Index(list(CHANNELS), dtype="str"))
INCOMES = tuple(SPEC["population"]["income_bands"])
# account number = customer number followed by two digits; a transaction number = account
# number followed by five digits (the account's n-th statement line)
ACCOUNT_NUMBERS = 100
TRANSACTION_NUMBERS = 100_000
PRODUCT_BASE = 101
BALANCE_TYPES = tuple(t for t in TYPES if t != "insurance")  # a policy has no balance
NEVER = 10**7  # a day index far past any window: "not closed"

PEOPLE = "customers"  # the table of the people each block is made of
# the event tables, seen and in the hidden future (the benchmark counts their rows)
EVENTS = ("transactions", "monthly_balances", "future_transactions", "future_monthly_balances")
MARGINS = SPEC["margins"]

COMPANY = SPEC["bank"]["name"]  # the company's name, per locale
REGION = SPEC["bank"]["region"]  # where the customers live, per locale
BLOCK_SIZE = 2_000  # customers per block: about 160 transactions each
C = Column
_person = population.person_columns(
    SPEC["population"],
    C("customer_id", "int", "Customer number", "客户号"),
    registered=("Date the customer opened their first account", "开户日期"),
    extra=(
        C(
            "home_branch_id",
            "int",
            "The branch that keeps the customer's file",
            "归属网点",
            references="branches.branch_id",
        ),
    ),
)


def _lines(account: Column) -> tuple[Column, ...]:
    """The columns of a statement line (seen, or in the hidden future)."""
    return (
        C("transaction_id", "int", "Transaction number", "流水号"),
        account,
        C("booked_on", "date", "Booking date", "记账日期"),
        C("kind", "category", "Kind of movement", "交易类型", values=KINDS),
        C("channel", "category", "Where it was made", "交易渠道", values=CHANNELS),
        C(
            "amount",
            "money",
            "Signed amount: positive into the account, negative out of it",
            "交易金额",
            check="amount <> 0",
            unit="currency",
        ),
    )


def _month_ends(account: Column) -> tuple[Column, ...]:
    """The columns of a month-end balance (seen, or in the hidden future)."""
    return (
        account,
        C("month_end", "date", "Last day of the month", "月末日期"),
        C(
            "balance",
            "money",
            "Balance at the end of the day (negative for money owed)",
            "余额",
            unit="currency",
        ),
    )


SCHEMA = Schema(
    industry="bank",
    title=SPEC["title"],
    notes=tuple(SPEC["sources"]),
    tables=(
        outlets.table(
            SPEC["outlets"],
            "The bank's branches",
            "网点",
            C("staff", "int", "Staff at the branch", "员工人数", check="staff > 0"),
            ("Branch", "网点"),
        ),
        Table(
            "products",
            "Products the bank sells",
            "金融产品",
            (
                C("product_id", "int", "Product number", "产品编号"),
                C("name", "str", "Product name", "产品名称"),
                C("product_type", "category", "Kind of product", "产品类型", values=TYPES),
                C(
                    "term_months",
                    "int",
                    "Term (term deposits and mortgages)",
                    "期限",
                    nullable=True,
                    unit="months",
                ),
                C(
                    "interest_rate",
                    "float",
                    "Annual interest rate paid (deposits) or charged (loans, cards)",
                    "年利率",
                    check="interest_rate >= 0",
                    unit="% a year",
                ),
                C(
                    "annual_fee",
                    "money",
                    "Annual fee (cards)",
                    "年费",
                    check="annual_fee >= 0",
                    unit="currency",
                ),
                C(
                    "margin_rate",
                    "float",
                    "What the bank earns: on deposits its funding rate minus the rate paid, on "
                    "loans the rate charged minus its funding rate, on funds the management fee "
                    "(% a year of the balance); on credit cards the interchange (% of spending)",
                    "利差/费率",
                    check="margin_rate >= 0",
                    unit="%",
                ),
                C(
                    "commission",
                    "money",
                    "Commission the bank earns a year on each policy it sold (insurance)",
                    "年佣金",
                    check="commission >= 0",
                    unit="currency",
                ),
            ),
            key=("product_id",),
        ),
        costs.table("the bank"),
        Table(
            "customers",
            "The bank's personal customers",
            "个人客户",
            _person,
            key=("customer_id",),
            indexes=("postcode",),
        ),
        Table(
            "accounts",
            "Accounts and policies, one row per product a customer holds or held",
            "账户",
            (
                C("account_id", "int", "Account number", "账号"),
                C("customer_id", "int", "Holder", "客户号", references="customers.customer_id"),
                C("product_id", "int", "Product", "产品编号", references="products.product_id"),
                C(
                    "branch_id",
                    "int",
                    "Branch that opened it",
                    "开户网点",
                    references="branches.branch_id",
                ),
                C("opened_on", "date", "Date opened", "开户日期"),
                C(
                    "closed_on",
                    "date",
                    "Date closed (empty while open)",
                    "销户日期",
                    nullable=True,
                    check="closed_on IS NULL OR closed_on >= opened_on",
                ),
                C(
                    "opening_balance",
                    "money",
                    "Balance when these records begin: at the window's first day for older "
                    "accounts, 0 for accounts opened since (their first deposit is a transaction); "
                    "negative for money owed",
                    "期初余额",
                    unit="currency",
                ),
            ),
            key=("account_id",),
        ),
        Table(
            "transactions",
            "Statement lines: every movement of money on an account",
            "交易流水",
            _lines(C("account_id", "int", "Account", "账号", references="accounts.account_id")),
            key=("transaction_id",),
            indexes=("booked_on",),
        ),
        Table(
            "monthly_balances",
            "Each open account's balance at the end of every month",
            "月末余额",
            _month_ends(
                C("account_id", "int", "Account", "账号", references="accounts.account_id")
            ),
            key=("account_id", "month_end"),
        ),
        campaign_engine.campaigns_table(
            C("product_type", "category", "Product offered", "推广产品", values=TYPES),
            launched=("First day of contact", "开始日期"),
            response="Days after launch an opened product counts as a response",
        ),
        campaign_engine.contacts_table(
            C("customer_id", "int", "Customer", "客户号", references="customers.customer_id"),
            meaning="Eligible customers: contacted (treatment) or held out (control)",
            sent=("Date of the contact (treatment only)", "联系日期"),
            extra=(
                C(
                    "call_seconds",
                    "int",
                    "Length of the call, 0 when nobody answered (phone, treatment only)",
                    "通话时长",
                    nullable=True,
                    check="call_seconds >= 0",
                    unit="seconds",
                ),
            ),
        ),
        Table(
            "campaign_outcomes",
            "Responses: the product opened within the response window (both groups)",
            "活动响应",
            (
                C("campaign_id", "int", "Campaign", "活动编号", references="campaigns.campaign_id"),
                C("customer_id", "int", "Customer", "客户号", references="customers.customer_id"),
                C(
                    "account_id",
                    "int",
                    "Account opened",
                    "新开账号",
                    references="accounts.account_id",
                ),
                C("opened_on", "date", "Date opened", "开户日期"),
                C(
                    "amount",
                    "money",
                    "First deposit or purchase (0 for a card)",
                    "首笔金额",
                    check="amount >= 0",
                    unit="currency",
                ),
            ),
            key=("campaign_id", "customer_id"),
        ),
        Table(
            "customer_truth",
            "Latent traits behind each customer's behaviour",
            "客户真实特征",
            (
                C("customer_id", "int", "Customer", "客户号", references="customers.customer_id"),
                C(
                    "segment",
                    "category",
                    "Latent segment",
                    "潜在细分",
                    values=tuple(SPEC["population"]["traits"]["segments"]),
                ),
                C("activity", "float", "Transaction-rate multiplier", "活跃度"),
                C("wealth", "float", "Wealth multiplier (deposits and fund sizes)", "财富系数"),
                C("rate_sensitivity", "float", "0 (indifferent) to 1 (chases rates)", "利率敏感度"),
                C("stop_hazard", "float", "Monthly probability of leaving for good", "流失风险"),
                C(
                    "stopped_on",
                    "date",
                    "Date the customer closed their last account",
                    "流失日期",
                    nullable=True,
                ),
            ),
            key=("customer_id",),
            truth=True,
        ),
        campaign_engine.truth_table(response="opening the product"),
        *population.future_tables(
            C("customer_id", "int", "Customer", "客户号", references="customers.customer_id"),
            (
                C(
                    "transactions",
                    "int",
                    "Transactions the customer made (not the bank's interest and fee lines)",
                    "未来交易笔数",
                ),
                C(
                    "products_opened",
                    "int",
                    "Accounts and policies opened in the hidden future",
                    "未来新开产品数",
                ),
                C(
                    "deposits",
                    "money",
                    "Deposits and funds at the last month end of the hidden future",
                    "期末存款余额",
                    unit="currency",
                ),
                C(
                    "owed",
                    "money",
                    "Mortgages and card balances owed at the last month end of the hidden future",
                    "期末贷款余额",
                    unit="currency",
                ),
                C(
                    "interest_margin",
                    "money",
                    "Net interest margin earned: each month end's deposit and loan balances "
                    "times the product's margin_rate / 12",
                    "净利息收入",
                    unit="currency",
                ),
                C(
                    "fees",
                    "money",
                    "Fees earned: fee lines, funds' management fees, card interchange and "
                    "insurance commissions",
                    "手续费收入",
                    unit="currency",
                ),
                C(
                    "cost_to_serve",
                    "money",
                    "Transactions times their channel's cost, and the upkeep of open accounts "
                    "(see service_costs)",
                    "服务成本",
                    unit="currency",
                ),
                C(
                    "profit",
                    "money",
                    "interest_margin + fees − cost_to_serve",
                    "客户利润",
                    unit="currency",
                ),
            ),
        ),
        Table(
            "future_account_openings",
            "Accounts and policies opened in the hidden future (the 12 months after the as-of "
            "date), with no campaign",
            "未来开户",
            (
                C("account_id", "int", "Account number", "账号"),
                C("customer_id", "int", "Holder", "客户号", references="customers.customer_id"),
                C("product_id", "int", "Product", "产品编号", references="products.product_id"),
                C("opened_on", "date", "Date opened", "开户日期"),
                C(
                    "amount",
                    "money",
                    "First deposit, fund purchase or loan paid out (0 for a card or a policy)",
                    "首笔金额",
                    check="amount >= 0",
                    unit="currency",
                ),
            ),
            key=("account_id",),
            truth=True,
        ),
        Table(
            "future_transactions",
            "Statement lines of the hidden future (the 12 months after the as-of date), with "
            "no campaign",
            "未来交易流水",
            _lines(C("account_id", "int", "Account", "账号")),
            key=("transaction_id",),
            truth=True,
        ),
        Table(
            "future_monthly_balances",
            "Each account's balance at the end of every month of the hidden future, opened "
            "before or in it, with no campaign",
            "未来月末余额",
            _month_ends(C("account_id", "int", "Account", "账号")),
            key=("account_id", "month_end"),
            truth=True,
        ),
    ),
)


# ---------------------------------------------------------------- general helpers


def opening_months(kind: str, locale: str) -> float:
    """What an account of ``kind`` opens with, in months of the holder's income (before their
    wealth): households in China keep about three times as much saved as in the US."""
    months = SPEC["opening_amount_months_of_income"].get(kind, 0.0)
    saved = kind in ("savings", "term_deposit", "fund")
    return months * (SPEC["savings_multiple"][locale] if saved else 1.0)


def lognormal_mean(rng: np.random.Generator, mean: np.ndarray, sigma: float) -> np.ndarray:
    """Lognormal draws with the given means (arrays) and log-scale spread."""
    return mean * np.exp(sigma * rng.standard_normal(len(mean)) - sigma**2 / 2)


def term_days(product_index: np.ndarray) -> np.ndarray:
    """The term in days of each product (positions in the spec's products; 0: no term)."""
    months = np.array([p.get("term_months", 0) for p in PRODUCTS])[product_index]
    return np.round(months * 365.25 / 12).astype(np.int64)


def pick_product(name: str, u: np.ndarray, income_code: np.ndarray) -> np.ndarray:
    """The product (a position in the spec's products) of kind ``name`` each customer takes,
    from a uniform draw ``u`` and the products' shares; a card tier needs the income for it."""
    pool = [i for i, p in enumerate(PRODUCTS) if p["type"] == name]
    shares = np.array([PRODUCTS[i]["share"] for i in pool])
    pick = np.searchsorted(np.cumsum(shares / shares.sum()), u, side="right")
    pick = np.minimum(pick, len(pool) - 1)
    if name == "credit_card":
        pick = np.minimum(pick, income_code)
    return np.array(pool)[pick]


def propensity(name: str, age: np.ndarray, income_code: np.ndarray, wealth: np.ndarray):
    """Relative propensity to hold a product type, from age, income band and wealth."""
    t = SPEC["product_types"][name]
    effect = np.array([SPEC["income_effect"][b] for b in INCOMES])[income_code]
    curve = np.interp(age, SPEC["ages"], t["age_curve"])
    return curve * effect ** t["income_power"] * wealth ** t["wealth_power"]


def holding_chance(name: str, relative: np.ndarray, first: np.ndarray, last: int, seen: int):
    """Each customer's chance of holding a product of kind ``name`` at some time up to day
    ``last``, from their ``relative`` propensity. A term deposit runs from a day drawn evenly
    from ``first`` to ``last``: its chance grows with that span so that as many run in the
    ``seen`` days as the spec's holding share says, however long the future."""
    t = SPEC["product_types"][name]
    p = t["holding"] * relative
    if name == "term_deposit":
        p = p * (last - first + 1) / np.maximum(seen - first, 1)
    return np.clip(p, 0, SPEC["holding_cap"])


# ---------------------------------------------------------------- reference tables


def reference(build: Context) -> dict[str, pd.DataFrame]:
    """Branches, products and campaigns (the same whatever the number of customers)."""
    locale, window = build.locale, build.window
    return {
        "branches": outlets.draw(build, SPEC["outlets"], SPEC["bank"]),
        "products": _products(locale),
        "service_costs": costs.service_costs(SPEC["service_costs"], locale),
        "campaigns": _campaigns(locale, window),
    }


def _products(locale: Locale) -> pd.DataFrame:
    rows = []
    for i, p in enumerate(PRODUCTS):
        rows.append(
            {
                "product_id": PRODUCT_BASE + i,
                "name": locale.label(p),
                "product_type": p["type"],
                "term_months": p.get("term_months"),
                "interest_rate": p["rate"][locale.code],
                "annual_fee": p.get("annual_fee", {}).get(locale.code, 0.0),
                "margin_rate": _margin_rate(p["type"], p["rate"][locale.code], locale),
                "commission": MARGINS["insurance_commission"][locale.code]
                if p["type"] == "insurance"
                else 0.0,
            }
        )
    frame = pd.DataFrame(rows)
    frame["term_months"] = frame["term_months"].astype("Int64")
    return frame


def _margin_rate(kind: str, rate: float, locale: Locale) -> float:
    """What the bank earns on a product of this kind paying or charging ``rate`` (% a year):
    deposits are lent on at the bank's funding rate, loans funded at it; funds earn their
    management fee, cards the interchange on their spending, policies a commission instead."""
    funding = MARGINS["funding_rate"][locale.code]
    if kind in ("current", "savings", "term_deposit"):
        margin = funding - rate
    elif kind == "mortgage":
        margin = rate - funding
    elif kind == "fund":
        margin = MARGINS["fund_fee"][locale.code]
    elif kind == "credit_card":
        margin = MARGINS["card_interchange"][locale.code]
    else:
        margin = 0.0
    return round(max(margin, 0.0), 3)


def _campaigns(locale: Locale, window: Window) -> pd.DataFrame:
    rows = []
    for i, c in enumerate(SPEC["campaigns"], start=1):
        launched = window.as_of - pd.Timedelta(days=c["days_before_as_of"])
        if launched - pd.Timedelta(days=180) < window.start:
            continue  # a campaign needs half a year of history before it
        rows.append(
            {
                "campaign_id": i,
                "name": locale.label(c, en="name"),
                "product_type": c["product_type"],
                "channel": c["channel"],
                "launched_on": launched,
                "response_days": c["window_days"],
                "holdout_share": c["holdout"],
                "eligibility": f"customers for {c['tenure_days']}+ days without this product, "
                f"consent to {c['channel']}",
            }
        )
    return pd.DataFrame(rows, columns=[c.name for c in SCHEMA.table("campaigns").columns])


# ---------------------------------------------------------------- one block of customers


def _lowest(acct: np.ndarray, cents: np.ndarray, size: int) -> np.ndarray:
    """Each account's lowest running balance among the given ones, at most 0."""
    lowest = np.zeros(size, np.int64)
    np.minimum.at(lowest, acct, cents)
    return lowest


def _hundreds(cents: np.ndarray) -> np.ndarray:
    """Amounts in cents rounded up to whole hundreds of the currency."""
    return (np.ceil(cents / 10000) * 10000).astype(np.int64)


class BankBlock(Block):
    industry = "bank"

    def __init__(self, *args):
        super().__init__(*args)
        window, locale, ref = self.window, self.locale, self.ref
        p = self.people
        # customers are simulated into the hidden future; day numbers from ``seen`` on are
        # written only to the truth (the future_* tables)
        self.days = len(window.all_days)
        self.seen = len(window.days)
        start = np.datetime64(window.start.date(), "D")
        self.start = start
        self.reg = (p["registered_on"].to_numpy().astype("datetime64[D]") - start).astype(np.int64)
        leaves = p["truth_leaves_on"].to_numpy().astype("datetime64[D]")
        self.stop = np.where(
            np.isnat(leaves), NEVER, (leaves - start).astype(np.int64)
        )  # the day a customer leaves for good, in the seen days or the future, or never
        self.stop = np.where(self.stop < self.days, self.stop, NEVER)
        as_of = window.as_of
        self.age = ((as_of - p["birth_date"]).dt.days / 365.25).to_numpy()
        self.income_code = p["income_band"].cat.codes.to_numpy()
        bands = SPEC["money"]["monthly_income"][locale.code]
        self.income = np.array([bands[b] for b in INCOMES])[self.income_code]
        self.activity = p["truth_activity"].to_numpy()
        self.wealth = p["truth_spend"].to_numpy()
        self.sensitivity = p["truth_price_sensitivity"].to_numpy()
        self.month_first, self.month_last = window.month_ends(future=True)
        # the month (index into month_last) of every day: a lookup beats a search per event
        self.month_of = np.searchsorted(self.month_last, np.arange(self.days + 2))
        self.products = ref["products"]
        self.rate = self.products["interest_rate"].to_numpy() / 100
        digital = SPEC["digital"]
        self.digital = np.interp(
            self.age,
            [digital["young_age"], digital["old_age"]],
            [digital["young_share"], digital["old_share"]],
        )
        branches = ref["branches"]
        by_city = {c: i for i, c in enumerate(branches["city"])}
        local = np.array([by_city.get(c, -1) for c in p["city"]])
        rng = self.rng("branch")
        self.home = np.where(local >= 0, local, rng.integers(0, len(branches), self.n))
        # the day of the month (0: the 1st) each customer's pay or pension arrives, and the
        # day their standing orders (rent, bills) go out, a few days later
        money, rng = SPEC["money"], self.rng("pay_day")
        self.monthly_day = {"pay": rng.integers(0, money["pay_days"], self.n)}
        low, high = money["bills_days_after_pay"]
        after = self.monthly_day["pay"] + rng.integers(low, high + 1, self.n)
        self.monthly_day["bills"] = np.minimum(after, money["pay_days"] - 1)

    # -- which products each customer holds, and when opened and closed
    def _propensity(self, name: str) -> np.ndarray:
        """Relative propensity to hold a product type, from age, income and wealth."""
        return propensity(name, self.age, self.income_code, self.wealth)

    def _holdings(self):
        """Per product type: held, product, opening day and closing day (NEVER if open)."""
        rng = self.rng("holdings")
        n, last = self.n, self.days - 1
        self.held = np.zeros((len(TYPES), n), bool)
        self.product = np.zeros((len(TYPES), n), np.int64)
        self.open = np.zeros((len(TYPES), n), np.int64)
        self.close = np.full((len(TYPES), n), NEVER, np.int64)
        for code, name in enumerate(TYPES):
            t = SPEC["product_types"][name]
            u = rng.random((4, n))
            self.product[code] = pick_product(name, u[1], self.income_code)
            if name == "current":
                self.held[code], self.open[code] = True, self.reg
                continue
            if name == "term_deposit":  # a deposit that is running at some time in the window
                term = self._term_days(self.product[code])
                low = np.maximum(self.reg, -term)
                p = holding_chance(name, self._propensity(name), low, last, self.seen)
                opened = low + np.floor(u[2] * (last - low + 1)).astype(np.int64)
                closed = np.where(opened + term <= last, opened + term, NEVER)
            else:
                p = holding_chance(name, self._propensity(name), self.reg, last, self.seen)
                opened = self.reg + np.floor(rng.exponential(t["delay_years"] * 365.25, n))
                opened = opened.astype(np.int64)
                life = rng.exponential(t["life_years"] * 365.25, n).astype(np.int64)
                closed = np.maximum(opened, 0) + life
                closed = np.where(closed <= last, closed, NEVER)
            self.held[code] = (u[0] < p) & (opened <= last) & (opened < self.stop)
            self.open[code], self.close[code] = opened, closed
        # leaving customers close everything within a few weeks, the current account last
        spread = SPEC["attrition"]["close_spread_days"]
        leaving = self.stop < NEVER
        early = self.stop - np.floor(rng.random((len(TYPES), n)) * spread).astype(np.int64)
        early[TYPE["current"]] = self.stop
        early = np.maximum(early, np.maximum(self.open, 0))
        self.close = np.where(leaving, np.minimum(self.close, early), self.close)

    def _term_days(self, product_index: np.ndarray) -> np.ndarray:
        return term_days(product_index)

    # -- campaigns: replace organic openings in the window by the potential outcomes
    def _campaigns(self):
        contacts, self.responses = [], []
        last = self.days - 1
        for c in self.ref["campaigns"].itertuples(index=False):
            spec = SPEC["campaigns"][c.campaign_id - 1]
            code = TYPE[c.product_type]
            launch = (c.launched_on.to_datetime64().astype("datetime64[D]") - self.start).astype(
                int
            )
            end = min(launch + c.response_days - 1, last)
            consent = self.people[f"consent_{c.channel}"].to_numpy()
            no_product = ~self.held[code] | (self.open[code] > launch)
            tenure = self.reg <= launch - spec["tenure_days"]
            eligible = tenure & (self.stop > end) & no_product & consent
            rng = self.rng(f"contact.{c.campaign_id}")
            answered = rng.random(self.n) < SPEC["offers"]["answered"].get(c.channel, 1.0)
            p_control, uplift = response_chances(
                spec["base"],
                spec["uplift"],
                self._propensity(c.product_type),
                self.sensitivity,
                answered,
            )
            result = campaign_engine.run(
                self.seed,
                self.no,
                {"industry": "bank", "campaign_id": c.campaign_id, "holdout": c.holdout_share},
                self.ids,
                eligible,
                p_control,
                uplift,
            )
            who = result["index"].to_numpy()
            # eligible customers: an organic opening inside the window gives way to the outcome
            organic = self.held[code][who] & (self.open[code][who] <= end)
            self.held[code][who[organic]] = False
            responded = result["responded"].to_numpy()
            new = who[responded]
            opened = launch + np.floor(rng.random(len(new)) * (end - launch + 1)).astype(np.int64)
            self.held[code][new] = True
            self.open[code][new] = opened
            if c.product_type == "term_deposit":
                term = self._term_days(self.product[code][new])
                closed = np.where(opened + term <= last, opened + term, NEVER)
            else:
                closed = np.full(len(new), NEVER)
            self.close[code][new] = np.minimum(
                closed, np.where(self.stop[new] < NEVER, self.stop[new], NEVER)
            )
            self.responses.append((c.campaign_id, code, new))
            treated = result["treated"].to_numpy()
            seconds = np.where(
                answered[who],
                np.round(
                    rng.uniform(*spec.get("call_seconds", [0, 1]), len(who))
                    * np.where(responded, SPEC["offers"]["responder_call_length"], 1.0)
                ),
                0,
            ).astype(np.int64)
            result["channel"] = c.channel
            result["sent_on"] = campaign_engine.sent_dates(treated, c.launched_on)
            result["call_seconds"] = pd.array(
                np.where(treated & (c.channel == "phone"), seconds, 0), dtype="Int64"
            )
            if c.channel != "phone":
                result["call_seconds"] = pd.array([pd.NA] * len(result), dtype="Int64")
            else:
                result.loc[~treated, "call_seconds"] = pd.NA
            contacts.append(result)
        return contacts

    # -- accounts
    def _accounts(self):
        t_code, who = np.nonzero(self.held)
        opened, closed = self.open[t_code, who], self.close[t_code, who]
        order = np.lexsort((t_code, opened, who))
        self.a_type, self.a_who = t_code[order], who[order]
        self.a_open, self.a_close = opened[order], closed[order]
        self.a_product = self.product[self.a_type, self.a_who]
        self.a_id = self.ids[self.a_who] * ACCOUNT_NUMBERS + arrays.rank(self.a_who)
        rng = self.rng("accounts")
        m = len(self.a_who)
        branches = self.ref["branches"]["branch_id"].to_numpy()
        home = rng.random(m) < SPEC["bank"]["home_branch_share"]
        self.a_branch = branches[
            np.where(home, self.home[self.a_who], rng.integers(0, len(branches), m))
        ]
        # the money an account starts with, in cents
        income = self.income[self.a_who]
        months = np.array([opening_months(t, self.locale.code) for t in TYPES])
        mean = months[self.a_type] * income * self.wealth[self.a_who]
        size = lognormal_mean(rng, mean, SPEC["balances"]["opening_sigma"])
        self.a_start = np.round(size * 100).astype(np.int64)  # deposit at opening (cents)
        self.a_target = self.a_start.copy()  # the balance the holder usually keeps
        money = SPEC["money"]
        low, high = money["mortgage_income_multiple"][self.locale.code]
        principal = income * 12 * rng.uniform(low, high, m)
        principal = np.round(principal / 1000) * 1000 * 100  # cents, in thousands
        mortgage = self.a_type == TYPE["mortgage"]
        term = self._term_days(self.a_product)
        elapsed = np.clip(-self.a_open, 0, None)
        remaining = np.clip(1 - elapsed / np.maximum(term, 1), money["mortgage_least_remaining"], 1)
        self.a_principal = np.where(mortgage, np.round(principal * remaining), 0).astype(np.int64)
        card = self.a_type == TYPE["credit_card"]
        self.a_start = np.where(mortgage, -self.a_principal, self.a_start)
        owed = -np.round(income * money["card_balance_months_of_income"] * 100)
        self.a_start = np.where(card, owed, self.a_start).astype(np.int64)
        self.a_start[self.a_type == TYPE["insurance"]] = 0
        before = self.a_open < 0
        self.opening = np.where(before, self.a_start, 0)
        # months left on a mortgage, for its monthly repayment
        months_left = np.maximum(
            np.round((term - elapsed) / 30.44), money["mortgage_least_months_left"]
        )
        r = self.rate[self.a_product] / 12
        with np.errstate(divide="ignore", invalid="ignore"):
            pay = np.where(
                r > 0,
                self.a_principal * r / (1 - (1 + r) ** -months_left),
                self.a_principal / months_left,
            )
        self.a_payment = np.where(mortgage, np.round(pay), 0).astype(np.int64)

    # -- statement lines
    def _channel(self, rng, channels: dict, who: np.ndarray) -> np.ndarray:
        """A channel per event from the flow's shares; digital ones by the customer's age."""
        names = list(channels)
        shares = np.array(list(channels.values()), float)
        digital = np.array([c in ("mobile", "online") for c in names])
        if digital.any() and (~digital).any():
            d_share = shares * digital / (shares * digital).sum()
            p_share = shares * ~digital / (shares * ~digital).sum()
            go_digital = rng.random(len(who)) < self.digital[who]
            u = rng.random(len(who))
            pick_d = np.searchsorted(np.cumsum(d_share), u * 0.999999, side="right")
            pick_p = np.searchsorted(np.cumsum(p_share), u * 0.999999, side="right")
            pick = np.where(go_digital, pick_d, pick_p)
        else:
            cdf = np.cumsum(shares / shares.sum())
            pick = np.searchsorted(cdf, rng.random(len(who)) * 0.999999, side="right")
        return np.array([CHANNEL[c] for c in names])[pick]

    def _flows(self):
        """The statement lines as drawn: pay on each holder's pay day, spending, saving, fees,
        openings (``_follow_balances`` then sizes the outflows to the balance)."""
        rng = self.rng("flows")
        fade = SPEC["attrition"]
        parts = []
        live_first = np.maximum(self.a_open, 0)
        live_last = np.minimum(self.a_close - 1, self.days - 1)
        months = np.maximum(live_last - live_first + 1, 0) / 30.44
        who_all = self.a_who
        for flow in SPEC["flows"]:
            accounts = np.flatnonzero(self.a_type == TYPE[flow["type"]])
            if "monthly" in flow:
                acct, day = self._monthly_days(flow["monthly"], accounts, live_first, live_last)
            else:
                scale = self.activity[who_all[accounts]] if flow.get("activity", True) else 1.0
                rate = flow["per_month"] * scale
                count = rng.poisson(rate * months[accounts])
                acct = np.repeat(accounts, count)
                day = live_first[acct] + np.floor(
                    rng.random(len(acct)) * (live_last[acct] - live_first[acct] + 1)
                ).astype(np.int64)
            if not len(acct):
                continue
            who = who_all[acct]
            # customers about to leave use their accounts less and less
            keep = rng.random(len(acct)) < np.clip(
                (self.stop[who] - day) / fade["fade_days"], fade["fade_floor"], 1
            )
            acct, day, who = acct[keep], day[keep], who[keep]
            mean = (
                flow["share_of_income"]
                * self.income[who]
                / (flow["per_month"] * (self.activity[who] if flow.get("activity", True) else 1.0))
            )
            if flow["type"] in ("savings", "fund"):
                mean = mean * self.wealth[who]
            amount = np.maximum(np.round(lognormal_mean(rng, mean, flow["sigma"]) * 100), 1)
            sign = 1 if CREDIT[KIND[flow["kind"]]] else -1
            parts.append(
                (
                    acct,
                    day,
                    np.full(len(acct), KIND[flow["kind"]]),
                    self._channel(rng, flow["channels"], who),
                    sign * amount.astype(np.int64),
                )
            )
        # the first deposit of an account opened in the window (a mortgage pays out its loan)
        new = np.flatnonzero((self.a_open >= 0) & (self.a_start != 0))
        kind = np.where(
            self.a_type[new] == TYPE["mortgage"],
            KIND["transfer_out"],
            np.where(self.a_type[new] == TYPE["current"], KIND["deposit"], KIND["transfer_in"]),
        )
        channel = np.where(
            rng.random(len(new)) < self.digital[self.a_who[new]],
            CHANNEL["online"],
            CHANNEL["branch"],
        )
        parts.append((new, self.a_open[new], kind, channel, self.a_start[new]))
        self.first_rows = sum(len(part[0]) for part in parts[:-1]) + np.arange(len(new))
        # annual card fees on each anniversary of opening
        card_fee = self.products["annual_fee"].to_numpy()[self.a_product]
        fee_accounts = np.flatnonzero(card_fee > 0)
        for year in range(0, 60):
            day = self.a_open[fee_accounts] + np.round(year * 365.25).astype(np.int64)
            ok = (day >= live_first[fee_accounts]) & (day <= live_last[fee_accounts])
            if day.min(initial=NEVER) > self.days:
                break
            acct = fee_accounts[ok]
            parts.append(
                (
                    acct,
                    day[ok],
                    np.full(len(acct), KIND["fee"]),
                    np.full(len(acct), CHANNEL["system"]),
                    -np.round(card_fee[acct] * 100).astype(np.int64),
                )
            )
        # a term deposit's interest is paid when it matures
        td = np.flatnonzero((self.a_type == TYPE["term_deposit"]) & (self.a_close < self.days))
        term = self._term_days(self.a_product[td])
        matured = td[self.a_close[td] == self.a_open[td] + term]
        interest = np.round(
            self.a_start[matured]
            * self.rate[self.a_product[matured]]
            * self._term_days(self.a_product[matured])
            / 365.25
        ).astype(np.int64)
        ok = interest > 0
        parts.append(
            (
                matured[ok],
                self.a_close[matured][ok],
                np.full(ok.sum(), KIND["interest"]),
                np.full(ok.sum(), CHANNEL["system"]),
                interest[ok],
            )
        )
        return [np.concatenate(column) for column in zip(*parts, strict=True)]

    def _monthly_days(self, which, accounts, live_first, live_last):
        """One event a month on each holder's ``which`` day (pay or bills) while the account
        is open: the accounts (repeated) and the days."""
        day = self.month_first[None, :] + self.monthly_day[which][self.a_who[accounts]][:, None]
        live = (day >= live_first[accounts, None]) & (day <= live_last[accounts, None])
        rows, months = np.nonzero(live)
        return accounts[rows], day[rows, months]

    def _follow_balances(self, acct, day, kind, cents) -> np.ndarray:
        """Outflows that follow the balance. Each month the withdrawals, payments and
        transfers out of a current, savings or fund account (their days and shares of the
        month as drawn) take it from where it stands towards its usual balance (what it opened
        with, ``a_target``) by the spec's pull, with a little noise, at most ``most_scale``
        times what was drawn, and never below zero within the month: people spend what they
        are paid and keep a cushion. Returns the amounts in cents, those outflows rescaled."""
        rule = SPEC["balances"]
        pull = np.zeros(len(TYPES))
        for name, share in rule["pull"].items():
            pull[TYPE[name]] = share
        outflow = np.isin(kind, [KIND[k] for k in OUTFLOWS])
        follows = (pull[self.a_type[acct]] > 0) & outflow & (cents < 0)
        n_acc, n_months = len(self.a_id), len(self.month_last) + 1  # + days after the last
        # each account's events by day, credits first (as ``_no_overdrafts`` keeps them)
        key = arrays.pack((acct, n_acc), (day + 1, self.days + 2), (cents < 0, 2))
        order = np.argsort(key, kind="stable")
        o_acct, o_follow = acct[order], follows[order]
        group = o_acct * n_months + self.month_of[day[order]]
        fixed = np.where(o_follow, 0, cents[order])
        drawn = np.where(o_follow, -cents[order], 0)
        # running sums within each account's month (one pass over the runs for both)
        first_of_run = arrays.run_first(group)
        fixed_by, drawn_by = (np.cumsum(x) for x in (fixed, drawn))
        fixed_by = fixed_by - (fixed_by - fixed)[first_of_run]
        drawn_by = drawn_by - (drawn_by - drawn)[first_of_run]
        month_fixed = arrays.group_sum(group, fixed, n_acc * n_months).reshape(n_acc, n_months)
        month_drawn = arrays.group_sum(group, drawn, n_acc * n_months).reshape(n_acc, n_months)
        at = np.flatnonzero(o_follow)
        # by month, then account (a stable sort of small numbers is a radix sort)
        at = at[np.argsort((group[at] % n_months).astype(np.int16), kind="stable")]
        month = group[at] % n_months
        bounds = np.searchsorted(month, np.arange(n_months + 1))
        who = o_acct[at]
        # what does not depend on the balance, for every month at once: each outflow's run of
        # its account's outflows in its month, and each run's account, month and sums
        starts = arrays.starts(month * n_acc + who)
        first = np.flatnonzero(starts)
        run = np.cumsum(starts) - 1
        acc, acc_month = who[first], month[first]
        run_bounds = np.searchsorted(acc_month, np.arange(n_months + 1))
        noise = self.rng("balances").standard_normal((n_acc, n_months)) * rule["sigma"]
        k, usual = pull[self.a_type][acc], self.a_target[acc].astype(float)
        month_in = month_fixed[acc, acc_month]
        limit = np.maximum(month_drawn[acc, acc_month], 1)
        wander = noise[acc, acc_month] * usual
        fixed_at, drawn_at = fixed_by[at], drawn_by[at]
        asked = drawn[at]
        balance = self.opening.astype(float)
        spent = np.zeros(len(at))
        for m in range(n_months):
            e0, e1, r0, r1 = bounds[m], bounds[m + 1], run_bounds[m], run_bounds[m + 1]
            if e1 > e0:
                runs, here = slice(r0, r1), slice(e0, e1)
                now = balance[acc[runs]]
                aim = usual[runs] + (1 - k[runs]) * (now - usual[runs]) + wander[runs]
                factor = (now + month_in[runs] - np.maximum(aim, 0)) / limit[runs]
                factor = np.clip(factor, 0, rule["most_scale"])
                # and no more than keeps every day of the month above zero
                starts_m = first[runs] - e0
                ratio = (balance[who[here]] + fixed_at[here]) / drawn_at[here]
                room = np.minimum.reduceat(ratio, starts_m)
                factor = np.minimum(factor, np.maximum(room, 0))
                spent[here] = np.floor(asked[here] * factor[run[here] - r0])
                balance[acc[runs]] -= np.add.reduceat(spent[here], starts_m)
            balance += month_fixed[:, m]
        spent_all = np.zeros(len(order))
        spent_all[at] = spent
        spent = spent_all
        out = cents.copy()
        out[order[at]] = -spent[at].astype(np.int64)
        return out

    def _no_overdrafts(self, acct, day, kind, channel, cents):
        """Keep deposit accounts from going below 0: raise the money an account starts with
        enough for the seen days (for the whole time if opened in the hidden future), and in
        the future move money in on the day it would go short; so the past does not depend
        on the future. Returns the events with those top-ups added."""
        # credits before debits on the same day
        key = arrays.pack((acct, len(self.a_id)), (day + 1, self.days + 2), (cents < 0, 2))
        order = np.argsort(key, kind="stable")
        s_acct, s_day = acct[order], day[order]
        running = arrays.run_cumsum(s_acct, cents[order]) + self.opening[s_acct]
        counted = (s_day < self.seen) | (self.a_open[s_acct] >= self.seen)
        deposit = np.isin(
            self.a_type, [TYPE[t] for t in ("current", "savings", "fund", "term_deposit")]
        )
        short = _hundreds(-_lowest(s_acct[counted], running[counted], len(self.a_id)))
        short = np.where(deposit, short, 0)
        before = self.a_open < 0
        self.opening = self.opening + np.where(before, short, 0)
        first_row = self.first_rows  # each new account's opening deposit
        cents = cents.copy()
        cents[first_row] += short[acct[first_row]]
        self.a_start = self.a_start + np.where(before, 0, short)
        # the hidden future: a transfer in on the first day an account would go short
        running = running + short[s_acct]
        dips = np.flatnonzero(~counted & (running < 0) & deposit[s_acct])
        top_up = _hundreds(-_lowest(s_acct[dips], running[dips], len(self.a_id)))
        first_dip = dips[arrays.starts(s_acct[dips])]
        who = s_acct[first_dip]
        n = len(who)
        topped = (
            who,
            s_day[first_dip],
            np.full(n, KIND["transfer_in"]),
            np.where(
                self.digital[self.a_who[who]] > SPEC["digital"]["mobile_top_up_above"],
                CHANNEL["mobile"],
                CHANNEL["branch"],
            ),
            top_up[who],
        )
        return [
            np.concatenate([x, extra]).astype(np.int64)
            for x, extra in zip((acct, day, kind, channel, cents), topped, strict=True)
        ]

    def _monthly(self, acct, day, cents):
        """Month by month: card repayments, mortgage repayments and interest, then balances."""
        rng = self.rng("monthly")
        n_acc, n_months = len(self.a_id), len(self.month_last)
        month_of = self.month_of[day]  # month index of each event
        grid = arrays.group_sum(acct * (n_months + 1) + month_of, cents, n_acc * (n_months + 1))
        grid = grid.reshape(n_acc, n_months + 1)
        balance = self.opening.astype(np.int64).copy()
        out = []
        t = self.a_type
        card = np.flatnonzero(t == TYPE["credit_card"])
        mortgage = np.flatnonzero(t == TYPE["mortgage"])
        savings = np.flatnonzero(t == TYPE["savings"])
        pay_day = np.minimum(np.mod(self.a_open, 28), 27)
        card_channel = np.where(
            rng.random(len(self.a_id)) < self.digital[self.a_who],
            CHANNEL["mobile"],
            CHANNEL["branch"],
        )

        def live(accounts, d):
            return (self.a_open[accounts] <= d) & (self.a_close[accounts] > d) & (d >= 0)

        as_of_month = np.datetime64(self.window.start.date(), "M")
        quarter = (as_of_month.astype(int) + np.arange(n_months)) % 12 % 3 == 2
        for m in range(n_months):
            first, last = self.month_first[m], self.month_last[m]
            start_balance = balance.copy()
            balance += grid[:, m]
            # credit cards: last month's statement is paid in full on the spec's day (the 20th)
            d = first + (SPEC["money"]["card_repayment_day"] - 1)
            ok = card[live(card, d) & (start_balance[card] < 0) & (d >= 0)]
            if len(ok):
                amount = -start_balance[ok]
                out.append((ok, np.full(len(ok), d), KIND["transfer_in"], card_channel[ok], amount))
                balance[ok] += amount
            # mortgages: a repayment on the account's day, interest at the month's end
            d = first + pay_day[mortgage]
            ok = live(mortgage, d) & (balance[mortgage] < 0)
            acc = mortgage[ok]
            amount = np.minimum(self.a_payment[acc], -balance[acc])
            out.append(
                (acc, d[ok], KIND["transfer_in"], np.full(len(acc), CHANNEL["system"]), amount)
            )
            balance[acc] += amount
            ok = mortgage[live(mortgage, last) & (balance[mortgage] < 0)]
            interest = np.round(balance[ok] * self.rate[self.a_product[ok]] / 12).astype(np.int64)
            out.append(
                (
                    ok,
                    np.full(len(ok), last),
                    KIND["interest"],
                    np.full(len(ok), CHANNEL["system"]),
                    interest,
                )
            )
            balance[ok] += interest
            # savings: interest at the end of each quarter
            if quarter[m]:
                ok = savings[live(savings, last) & (balance[savings] > 0)]
                interest = np.round(balance[ok] * self.rate[self.a_product[ok]] / 4).astype(
                    np.int64
                )
                ok, interest = ok[interest > 0], interest[interest > 0]
                out.append(
                    (
                        ok,
                        np.full(len(ok), last),
                        KIND["interest"],
                        np.full(len(ok), CHANNEL["system"]),
                        interest,
                    )
                )
                balance[ok] += interest
        derived = [
            np.concatenate([np.broadcast_to(np.asarray(part[i]), part[0].shape) for part in out])
            if out
            else np.zeros(0, np.int64)
            for i in range(5)
        ]
        return derived

    def tables(self) -> dict[str, pd.DataFrame | pa.Table]:
        self._holdings()
        contacts = self._campaigns()
        self._accounts()
        acct, day, kind, channel, cents = self._flows()
        cents = self._follow_balances(acct, day, kind, cents)
        acct, day, kind, channel, cents = self._no_overdrafts(acct, day, kind, channel, cents)
        d_acct, d_day, d_kind, d_channel, d_cents = self._monthly(acct, day, cents)
        acct = np.concatenate([acct, d_acct]).astype(np.int64)
        day = np.concatenate([day, d_day]).astype(np.int64)
        kind = np.concatenate([kind, d_kind]).astype(np.int64)
        channel = np.concatenate([channel, d_channel]).astype(np.int64)
        cents = np.concatenate([cents, d_cents]).astype(np.int64)
        # closing: whatever is left is paid out (or paid off) on the closing day
        final = self.opening + arrays.group_sum(acct, cents, len(self.a_id))
        closing = np.flatnonzero((self.a_close < self.days) & (final != 0))
        rng = self.rng("closing")
        c_kind = np.where(final[closing] > 0, KIND["transfer_out"], KIND["transfer_in"])
        c_channel = np.where(
            rng.random(len(closing)) < self.digital[self.a_who[closing]],
            CHANNEL["online"],
            CHANNEL["branch"],
        )
        n_before = len(acct)
        acct = np.concatenate([acct, closing])
        day = np.concatenate([day, self.a_close[closing]])
        kind = np.concatenate([kind, c_kind])
        channel = np.concatenate([channel, c_channel])
        cents = np.concatenate([cents, -final[closing]])
        last_of_day = np.arange(len(acct)) >= n_before
        keep = cents != 0
        acct, day, kind, channel, cents, last_of_day = (
            x[keep] for x in (acct, day, kind, channel, cents, last_of_day)
        )
        key = arrays.pack((acct, len(self.a_id)), (day + 1, self.days + 2), (last_of_day, 2))
        order = np.argsort(key, kind="stable")
        acct, day, kind, channel, cents = (x[order] for x in (acct, day, kind, channel, cents))
        balance, live = self._balance_grid(acct, day, cents)
        # students see everything up to the as-of date; the future goes to the truth
        events = {"acct": acct, "day": day, "kind": kind, "channel": channel, "cents": cents}
        return {
            "customers": self._customers(),
            "accounts": self._account_table(),
            **self._transactions(acct, day, kind, channel, cents),
            "monthly_balances": self._balances(balance, live),
            **self._contacts(contacts),
            **self._truth(),
            **self._future(events, balance, live),
        }

    def _date(self, day: np.ndarray) -> np.ndarray:
        return self.start + day.astype("timedelta64[D]")

    def _customers(self) -> pd.DataFrame:
        home = self.ref["branches"]["branch_id"].to_numpy()[self.home]
        frame = self.people.assign(home_branch_id=home)
        return frame[[c.name for c in SCHEMA.table("customers").columns]]

    def _account_table(self) -> pd.DataFrame:
        """The accounts opened by the as-of date; one closed after it shows as open."""
        shown = self.a_open < self.seen
        closed = np.where(self.a_close < self.seen, self.a_close, 0)[shown]
        return pd.DataFrame(
            {
                "account_id": self.a_id[shown],
                "customer_id": self.ids[self.a_who[shown]],
                "product_id": PRODUCT_BASE + self.a_product[shown],
                "branch_id": self.a_branch[shown],
                "opened_on": self._date(self.a_open[shown]),
                "closed_on": np.where(
                    self.a_close[shown] < self.seen, self._date(closed), np.datetime64("NaT")
                ),
                "opening_balance": self.opening[shown] / 100,
            }
        )

    def _transactions(self, acct, day, kind, channel, cents) -> dict[str, pa.Table]:
        """The statement lines up to the as-of date, numbered per account, and the hidden
        future's, whose numbers go on from there."""
        seq = arrays.rank(acct)
        seen = day < self.seen
        return {
            "transactions": self._lines(
                "transactions", *(x[seen] for x in (acct, day, kind, channel, cents, seq))
            ),
            "future_transactions": self._lines(
                "future_transactions",
                *(x[~seen] for x in (acct, day, kind, channel, cents, seq)),
            ),
        }

    def _lines(self, table, acct, day, kind, channel, cents, seq) -> pa.Table:
        return pa.Table.from_arrays(
            [
                pa.array(self.a_id[acct] * TRANSACTION_NUMBERS + seq),
                pa.array(self.a_id[acct]),
                pa.array(self._date(day)).cast(pa.date32()),
                pa.array(KINDS).take(pa.array(kind)),
                pa.array(CHANNELS).take(pa.array(channel)),
                pa.array(cents / 100),
            ],
            schema=SCHEMA.table(table).arrow,
        )

    def _balance_grid(self, acct, day, cents) -> tuple[np.ndarray, np.ndarray]:
        """Each account's balance (cents) at each month end up to the future's end, and
        whether it has one then (open, and not a policy)."""
        n_months = len(self.month_last)
        month_of = self.month_of[day]
        size = len(self.a_id) * (n_months + 1)
        grid = arrays.group_sum(acct * (n_months + 1) + month_of, cents, size)
        grid = grid.reshape(len(self.a_id), n_months + 1)
        balance = self.opening[:, None] + np.cumsum(grid[:, :n_months], axis=1)
        ends = self.month_last[None, :]
        live = (self.a_open[:, None] <= ends) & (self.a_close[:, None] > ends)
        live &= np.isin(self.a_type, [TYPE[t] for t in BALANCE_TYPES])[:, None]
        return balance, live

    def _balances(self, balance, live, future: bool = False) -> pa.Table:
        """The month-end balances students see (the months ended by the as-of date), or with
        ``future`` those of the hidden future's months."""
        later = self.month_last >= self.seen
        rows, months = np.nonzero(live & (later if future else ~later)[None, :])
        table = "future_monthly_balances" if future else "monthly_balances"
        return pa.Table.from_arrays(
            [
                pa.array(self.a_id[rows]),
                pa.array(self._date(self.month_last[months])).cast(pa.date32()),
                pa.array(balance[rows, months] / 100),
            ],
            schema=SCHEMA.table(table).arrow,
        )

    def _contacts(self, contacts) -> dict[str, pd.DataFrame]:
        tables = campaign_engine.contact_tables(contacts, SCHEMA)
        outcome_columns = [c.name for c in SCHEMA.table("campaign_outcomes").columns]
        outcomes = []
        key = self.a_who * len(TYPES) + self.a_type  # one account per customer and type
        order = np.argsort(key, kind="stable")
        for campaign_id, code, who in self.responses:
            at = order[np.searchsorted(key[order], who * len(TYPES) + code)]
            amount = np.where(self.a_type[at] == TYPE["credit_card"], 0, self.a_start[at])
            outcomes.append(
                pd.DataFrame(
                    {
                        "campaign_id": campaign_id,
                        "customer_id": self.ids[who],
                        "account_id": self.a_id[at],
                        "opened_on": self._date(self.a_open[at]),
                        "amount": np.maximum(amount, 0) / 100,
                    }
                )
            )
        tables["campaign_outcomes"] = (
            pd.concat(outcomes, ignore_index=True)[outcome_columns]
            if outcomes
            else pd.DataFrame(columns=outcome_columns)
        )
        return tables

    def _truth(self) -> dict[str, pd.DataFrame]:
        p = self.people
        return {
            "customer_truth": pd.DataFrame(
                {
                    "customer_id": self.ids,
                    "segment": p["truth_segment"],
                    "activity": p["truth_activity"].round(4),
                    "wealth": p["truth_spend"].round(4),
                    "rate_sensitivity": p["truth_price_sensitivity"].round(4),
                    "stop_hazard": p["truth_stop_hazard"].round(5),
                    "stopped_on": p["truth_stopped_on"],
                }
            )
        }

    def _future(self, events: dict, balance: np.ndarray, live: np.ndarray) -> dict:
        """The hidden future: each customer's year after the as-of date (transactions, products
        opened, balances at its end, what the bank earned and spent on them) and the accounts
        opened in it."""
        new = np.flatnonzero(self.a_open >= self.seen)
        no_amount = np.isin(self.a_type[new], [TYPE["credit_card"], TYPE["insurance"]])
        openings = pd.DataFrame(
            {
                "account_id": self.a_id[new],
                "customer_id": self.ids[self.a_who[new]],
                "product_id": PRODUCT_BASE + self.a_product[new],
                "opened_on": self._date(self.a_open[new]),
                "amount": np.where(no_amount, 0, np.abs(self.a_start[new])) / 100,
            }
        )
        later = events["day"] >= self.seen
        acct, channel = events["acct"][later], events["channel"][later]
        made = channel != CHANNEL["system"]
        deposit = np.isin(self.a_type, [TYPE[t] for t in ("current", "savings", "term_deposit")])
        fund = self.a_type == TYPE["fund"]
        owed = np.isin(self.a_type, [TYPE["mortgage"], TYPE["credit_card"]])
        at_end = np.where(live[:, -1], balance[:, -1], 0)
        money = self._earnings({k: v[later] for k, v in events.items()}, balance, live)
        leaves = self.people["truth_leaves_on"]
        customers = pd.DataFrame(
            {
                "customer_id": self.ids,
                "leaves_on": leaves.where(leaves > self.window.as_of),
                "transactions": np.bincount(self.a_who[acct[made]], minlength=self.n),
                "products_opened": np.bincount(self.a_who[new], minlength=self.n),
                "deposits": self._per_customer(np.where(deposit | fund, at_end, 0)),
                "owed": self._per_customer(np.where(owed, -at_end, 0)),
                **money,
                "profit": (money["interest_margin"] + money["fees"] - money["cost_to_serve"]).round(
                    2
                ),
            }
        )
        return {
            "future_customers": customers,
            "future_account_openings": openings,
            "future_monthly_balances": self._balances(balance, live, future=True),
        }

    def _per_customer(self, cents: np.ndarray) -> np.ndarray:
        """Per-account amounts in cents summed per customer, in currency units."""
        return np.round(np.bincount(self.a_who, weights=cents, minlength=self.n)) / 100

    def _earnings(self, events: dict, balance: np.ndarray, live: np.ndarray) -> dict:
        """What the bank earned on each customer in the hidden future and what serving them
        cost (currency units): the margin on each month end's balances, fees of every kind,
        and each transaction's and open account's cost (``events`` are the future's)."""
        products = self.ref["products"]
        rate = products["margin_rate"].to_numpy()[self.a_product] / 100 / 12
        months = self.month_last >= self.seen
        month_balance = np.where(live[:, months], np.abs(balance[:, months]), 0).sum(axis=1)
        interest = np.isin(
            self.a_type, [TYPE[t] for t in ("current", "savings", "term_deposit", "mortgage")]
        )
        open_months = (
            (self.a_open[:, None] <= self.month_last[months])
            & (self.a_close[:, None] > self.month_last[months])
        ).sum(axis=1)
        commission = products["commission"].to_numpy()[self.a_product] / 12
        acct, kind, cents = events["acct"], events["kind"], events["cents"]
        card = self.a_type[acct] == TYPE["credit_card"]
        spent = card & (kind == KIND["card_payment"])
        fee_lines = np.bincount(acct[kind == KIND["fee"]], -cents[kind == KIND["fee"]], len(rate))
        card_spend = np.bincount(acct[spent], -cents[spent], len(rate))
        fees = (
            fee_lines
            + np.where(self.a_type == TYPE["fund"], month_balance * rate, 0)
            + card_spend * rate * 12
            + open_months * commission * 100
        )
        price = self.ref["service_costs"].set_index("activity")["cost"]
        unit = np.array([price.get(f"{c} transaction", 0.0) for c in CHANNELS]) * 100
        per_year = np.where(
            self.a_type == TYPE["current"], price["current account upkeep"], price["account upkeep"]
        )
        upkeep = open_months * per_year / 12 * 100
        serving = np.bincount(acct, unit[events["channel"]], len(rate)) + upkeep
        return {
            "interest_margin": self._per_customer(np.where(interest, month_balance * rate, 0)),
            "fees": self._per_customer(fees),
            "cost_to_serve": self._per_customer(serving),
        }


INDUSTRY = Industry(
    name="bank",
    spec=SPEC,
    schema=SCHEMA,
    block=BankBlock,
    block_size=BLOCK_SIZE,
    people=PEOPLE,
    events=EVENTS,
    reference=reference,
    company=COMPANY,
    region=REGION,
    campaign="generator.industries.bank_campaign",
)
