"""Checks for case C1, a supermarket chain draws on its database: ``from course.checks import c1
as check``.

Every right answer is computed from the supermarket's database that ``generator.load`` opens
(the folder named by ``GENERATOR_DATASETS``, if set), so the checks hold for a database built
with any seed, locale or currency; coupon values are shares of the pain reliever's mean price,
rounded to the cent. The open decision, a store-brand coupon per cell, is judged by what it
earns rather than by equality: the check runs it through the campaign simulator
(:func:`course.brand_usage.simulate_offer`) and its worth with no group drawn (``true_value``)
must reach a share of the best coupon per cell on a grid of coupon values. Any plan that
reaches the bar is right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

import generator
from course import brand_usage, periods, targeting
from course.checking import Amount, Decision, Read, task
from generator.simulator import CampaignError

CATEGORY = "pain_reliever"

#: The nine cells read the receipts of these many days up to the as-of date.
CELL_DAYS = 730

#: The fortnightly shopping list's rule: over this much a week (in the chain's currency) on
#: average over these many weeks up to the as-of date.
LIST_WEEKLY = brand_usage.LIST_WEEKLY_SPEND
LIST_WEEKS = 8

#: The pilot: one store-brand coupon worth this share of the store brand's mean price, by
#: e-mail to every buyer in the cells who agreed to it, this share held out.
PILOT_SHARE = 0.2
HOLDOUT = 0.5

#: The open decision's grid: coupons worth these shares of the store brand's mean price; a
#: plan must be worth this share of the best coupon per cell on the grid.
GRID_SHARES = (0.05, 0.1, 0.2, 0.3, 0.4)
PLAN_SHARE = 0.9

#: The seed's plan: the biggest first discount for the heavy users.
SEED_SHARES = {"light": 0.1, "medium": 0.2, "heavy": 0.4}

#: The maker's deal: a national-brand coupon worth this share of the national brand's mean
#: price, sent to the pilot's list, every coupon used paid by the maker.
DEAL_SHARE = 0.2


@cache
def retail():
    return generator.load("retail")


def price(brand: str = "store") -> float:
    """The mean shelf price of the ``brand`` (store or national) pain reliever."""
    products = retail()["products"]
    pain = products[products["category"] == CATEGORY]
    return float(pain.loc[pain["store_brand"] == (brand == "store"), "price"].mean())


def coupon(share: float, brand: str = "store") -> float:
    """A coupon worth ``share`` of the brand's mean price, rounded to the cent."""
    return round(share * price(brand), 2)


def cap() -> float:
    """The largest store-brand coupon: half the price (the simulator treats a bigger one as
    one worth half the price)."""
    return round(0.5 * price("store"), 2)


@cache
def _cells(days: int = CELL_DAYS) -> pd.DataFrame:
    ds = retail()
    return brand_usage.cells(brand_usage.buyers(ds, ds.as_of, CATEGORY, days))


def _listed() -> np.ndarray:
    """The cells' buyers who agreed to e-mail, in customer order: the pilot's list."""
    table = _cells()
    agreed = retail()["customers"].set_index("customer_id")["consent_email"]
    return table.index[agreed.reindex(table.index, fill_value=False).to_numpy()].to_numpy()


def pilot_campaign(share: float = PILOT_SHARE, brand: str = "store") -> dict:
    """The pilot's campaign: a ``brand`` pain-reliever coupon worth ``share`` of its price."""
    return {
        "category": CATEGORY,
        "channel": "email",
        "coupon_value": coupon(share, brand),
        "brand": brand,
    }


@cache
def pilot():
    """The pilot's Outcome: the store-brand coupon at ``PILOT_SHARE`` of the price, by e-mail
    to every buyer in the cells who agreed to it, ``HOLDOUT`` held out."""
    return generator.simulate(retail(), pilot_campaign(), _listed(), holdout=HOLDOUT)


# ---------------------------------------------------------------- task 1: the nine cells


def _count_grid(table: pd.DataFrame) -> pd.DataFrame:
    counts = table.groupby(["brand_class", "usage_class"], observed=False).size().unstack()
    return counts.reindex(index=list(brand_usage.BRAND_CLASSES))[list(brand_usage.USAGE_CLASSES)]


def _as_grid(answer) -> pd.DataFrame | str:
    """The answer as a 3 × 3 table of counts (brand classes × usage classes), or why not."""
    how = (
        "a DataFrame of buyer counts with the brand classes (national, switcher, store) as rows "
        "and the usage classes (light, medium, heavy) as columns."
    )
    brands, usages = set(brand_usage.BRAND_CLASSES), set(brand_usage.USAGE_CLASSES)
    if isinstance(answer, pd.Series) and answer.index.nlevels == 2:
        answer = answer.unstack()
    if not isinstance(answer, pd.DataFrame):
        return f"The answer should be {how} It is a {type(answer).__name__}."
    rows, columns = {str(k) for k in answer.index}, {str(k) for k in answer.columns}
    if rows == usages and columns == brands:
        return "Your table is the wrong way round: the brand classes are the rows."
    if rows != brands or columns != usages:
        shown = ", ".join(sorted(rows)[:4]) + " × " + ", ".join(sorted(columns)[:4])
        return f"Give {how} (yours: {shown})"
    try:
        values = pd.DataFrame(
            answer.to_numpy(dtype="float64"),
            index=[str(k) for k in answer.index],
            columns=[str(k) for k in answer.columns],
        )
    except (TypeError, ValueError):
        return "The cells should hold counts of buyers (numbers)."
    if values.isna().any().any():
        return "A cell is NaN: an empty cell holds 0 buyers (`fill_value=0`)."
    return values.loc[list(brand_usage.BRAND_CLASSES), list(brand_usage.USAGE_CLASSES)]


@dataclass(frozen=True)
class _Grid(Read):
    """A table of counts, brand classes × usage classes (or a Series indexed by both), equal
    when every cell holds the same count; rows and columns in any order."""

    noun = "a table of counts, brand class × usage class"

    rtol = 0

    def read(self, answer):
        return _as_grid(answer)

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        total, right = got.to_numpy().sum(), want.to_numpy().sum()
        if not math.isclose(total, right):
            return (
                f"Your table counts {total:,.0f} buyers; the right one counts {right:,.0f}: "
                "check which receipts you read."
            )
        if np.allclose(got.sum(axis=1), want.sum(axis=1)):
            return (
                "Each brand class holds the right number of buyers, but the usage classes differ."
            )
        return (
            "Your brand classes hold other numbers of buyers than they should: check the "
            "store brand's share and its thresholds."
        )

    def variants(self, answer):
        grid = _as_grid(answer)
        counts = grid.astype("int64")
        return [
            answer,
            counts,
            grid,
            counts.iloc[::-1, ::-1],
            counts.rename_axis(index="brand_class", columns="usage_class"),
            counts.set_axis(pd.CategoricalIndex(counts.index), axis=0),
            counts.rename_axis(index="brand_class", columns="usage_class").stack(),
        ]


def _with_share(share: pd.Series) -> pd.DataFrame:
    table = brand_usage.buyers(retail(), retail().as_of, CATEGORY, CELL_DAYS)
    return table.assign(store_share=share.reindex(table.index))


def _receipt_share() -> pd.Series:
    """Each buyer's share of receipts with the store brand (a mistake: the share is of units)."""
    ds = retail()
    products = ds["products"]
    pain = products.loc[products["category"] == CATEGORY, ["product_id", "store_brand"]]
    receipts = ds["transactions"][["transaction_id", "customer_id", "timestamp"]]
    receipts = receipts[periods.in_window(receipts["timestamp"], ds.as_of, CELL_DAYS)]
    lines = ds["transaction_items"][["transaction_id", "product_id"]].merge(pain)
    lines = lines.merge(receipts, on="transaction_id")
    with_store = lines.groupby(["customer_id", "transaction_id"])["store_brand"].any()
    return with_store.groupby("customer_id").mean()


@task(
    _Grid(),
    hint="Read the pain-reliever lines of the receipts of the 730 days up to the as-of date "
    "(`periods.in_window`). Per buyer: the store brand's share of the units bought (store at "
    "0.75 or more, national at 0.25 or less, a switcher between) and the number of days "
    'bought on, ranked with `rank(method="first")` and cut into thirds with `pd.qcut` '
    "(light, medium, heavy). Count the buyers of each brand class and usage class.",
)
def nine_cells():
    right = _cells()
    buyers = brand_usage.buyers(retail(), retail().as_of, CATEGORY, CELL_DAYS)
    units = buyers.assign(purchase_days=buyers["units"])
    national_share = buyers.assign(store_share=1 - buyers["store_share"])
    raw = right.assign(
        usage_class=pd.qcut(right["purchase_days"], 3, labels=list(brand_usage.USAGE_CLASSES))
    )
    return _count_grid(right), {
        "Your cells read one year of receipts: the cells read the 730 days up to the as-of "
        "date.": _count_grid(_cells(365)),
        "Your usage classes count the units bought: the usage class counts the days a buyer "
        "bought on (`purchase_days`).": _count_grid(brand_usage.cells(units)),
        'Your thirds keep tied buyers together: rank the purchase days with `rank(method="first")`'
        " before `pd.qcut`, so each class holds a third of the buyers.": _count_grid(raw),
        "Your national and store rows are the wrong way round: the share is the store brand's "
        "share of the units, and a buyer at 0.75 or more is a store-brand "
        "buyer.": _count_grid(brand_usage.cells(national_share)),
        "Your brand classes leave out the buyers at exactly 0.25 or 0.75: a store-brand buyer "
        "has a share of 0.75 or more, a national-brand buyer 0.25 or less (`>=`, "
        "`<=`).": _count_grid(brand_usage.cells(buyers, store=0.75 + 1e-9, national=0.25 - 1e-9)),
        "Your switchers are missing: a store-brand buyer has 0.75 or more of the store brand, a "
        "national-brand buyer 0.25 or less, and the switchers are in "
        "between.": _count_grid(brand_usage.cells(buyers, store=0.5, national=0.5 - 1e-9)),
        "Your store-brand share counts receipts: it is the share of the units bought (a "
        "receipt may hold several units).": _count_grid(
            brand_usage.cells(_with_share(_receipt_share()))
        ),
    }


# ---------------------------------------------------------------- task 2: the fortnightly list


def _as_members(answer) -> pd.Series | str:
    """The answer as a Series (members, revenue_share), or why it cannot be."""
    how = 'e.g. `pd.Series({"members": ..., "revenue_share": ...})`.'
    if isinstance(answer, tuple | list) and len(answer) == 2:
        answer = pd.Series({"members": answer[0], "revenue_share": answer[1]}, dtype="object")
    if isinstance(answer, dict):
        answer = pd.Series(answer, dtype="object")
    if isinstance(answer, pd.DataFrame) and len(answer) == 1:
        answer = answer.iloc[0]
    if not isinstance(answer, pd.Series):
        return f"Give the two numbers, {how}"
    missing = [k for k in ("members", "revenue_share") if k not in answer.index]
    if missing:
        return f"Your answer has no {', '.join(missing)}: {how}"
    picked = answer[["members", "revenue_share"]]
    if any(isinstance(v, bool | np.bool_) for v in picked):
        return "Give numbers, not True/False: count the members (`.sum()`)."
    try:
        values = picked.astype("float64")
    except (TypeError, ValueError):
        return f"Both should be numbers: {how}"
    if values.isna().any():
        return "A number is NaN: did any receipt fall in the eight weeks?"
    return values


@dataclass(frozen=True)
class _Members(Read):
    """The list's members (a count, exact) and their share of the weeks' revenue (within
    0.0005): a Series or dict with ``members`` and ``revenue_share``, or a pair."""

    noun = "a Series with members and revenue_share"

    def read(self, answer):
        return _as_members(answer)

    def equal(self, got, want):
        return bool(
            got["members"] == want["members"]
            and abs(got["revenue_share"] - want["revenue_share"]) <= 5e-4
        )

    def accepts(self, answer, expected):
        # a weekly spend rounded to the cent first (as `brand_usage.list_members` rounds it)
        # puts a customer who spent a fraction of a cent over 25 a week out: right too
        return self.same(answer, expected) or self.same(answer, _list(7 * LIST_WEEKS, cents=True))

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if math.isclose(got["revenue_share"], 100 * want["revenue_share"], rel_tol=1e-3):
            return "Your share looks like a percentage: give it as a share between 0 and 1."
        told = []
        if got["members"] != want["members"]:
            told.append(f"too {'many' if got['members'] > want['members'] else 'few'} members")
        if abs(got["revenue_share"] - want["revenue_share"]) > 5e-4:
            high = got["revenue_share"] > want["revenue_share"]
            told.append(f"a revenue share too {'high' if high else 'low'}")
        return f"Your answer has {' and '.join(told)}."

    def variants(self, answer):
        values = _as_members(answer)
        members, share = int(values["members"]), float(values["revenue_share"])
        return [
            answer,
            {"members": members, "revenue_share": share},
            (members, share),
            [np.int64(members), np.float64(share)],
            pd.Series({"revenue_share": share, "members": members}),
            pd.Series({"members": members, "revenue_share": share, "customers": 1}),
            pd.DataFrame([{"members": members, "revenue_share": share}]),
            {"members": float(members), "revenue_share": share + 1e-5},
        ]


def _list(
    days: int, spend_of=None, all_revenue: bool = False, per=None, cents: bool = False
) -> pd.Series:
    """Members and their revenue share by a rule: the receipts of ``days`` days (or the rows
    ``spend_of`` picks) averaged over ``days / 7`` weeks (or ``per`` customer), the weekly
    spend rounded to the cent first if ``cents`` (as ``brand_usage.list_members`` does), their
    share of the window's revenue (or of ``all_revenue``)."""
    ds = retail()
    receipts = ds["transactions"]
    if spend_of is None:
        spend_of = periods.in_window(receipts["timestamp"], ds.as_of, days)
    window = receipts[spend_of]
    spend = window.groupby("customer_id")["total"].sum()
    weekly = spend / (per.reindex(spend.index) if per is not None else days / 7)
    members = weekly.index[(weekly.round(2) if cents else weekly) > LIST_WEEKLY]
    revenue = receipts if all_revenue else window
    share = spend.loc[members].sum() / revenue["total"].sum()
    return pd.Series({"members": len(members), "revenue_share": share})


@task(
    _Members(),
    hint="Add up each customer's receipts (`total`) of the 8 weeks, the 56 days up to the "
    "as-of date (`periods.in_window`), and divide by 8: a member spends over 25 a week. Their "
    "share is what the members spent in those weeks over what every customer spent in them.",
)
def shopping_list():
    ds = retail()
    receipts = ds["transactions"]
    days = 7 * LIST_WEEKS
    right = _list(days)
    stamps = receipts["timestamp"]
    day = ds.as_of.normalize()
    before_the_day = (stamps >= periods.window_start(ds.as_of, days)) & (stamps < day)
    eight = receipts[periods.in_window(stamps, ds.as_of, days)]
    weeks = (
        ((day - eight["timestamp"].dt.normalize()).dt.days // 7)
        .groupby(eight["customer_id"])
        .nunique()
    )
    customers = len(ds["customers"])
    return right, {
        "Four weeks are not eight: average the spend over the 56 days up to the as-of date.": _list(
            28
        ),
        "The as-of date is a whole day: its receipts (after midnight) are in the eight "
        "weeks.": _list(days, spend_of=before_the_day),
        "Your average divides by the weeks each customer shopped: the rule is the spend over "
        "the eight weeks divided by 8, shopping or not.": _list(days, per=weeks),
        "Your share is of all the revenue the database holds: take the members' share of the "
        "eight weeks' revenue.": _list(days, all_revenue=True),
        "That is the members' share of the customers: the task asks for their share of the "
        "revenue.": pd.Series(
            {"members": right["members"], "revenue_share": right["members"] / customers}
        ),
    }


# ---------------------------------------------------------------- task 3: the pilot


RATES = ("control_rate", "incremental_response")


def _as_rates(answer) -> pd.DataFrame | str:
    """The answer as a table indexed light, medium, heavy with the two rates, or why not."""
    how = (
        "a DataFrame indexed by usage class (light, medium, heavy) with the columns "
        "control_rate and incremental_response."
    )
    if not isinstance(answer, pd.DataFrame):
        return f"The answer should be {how} It is a {type(answer).__name__}."
    frame = answer.set_index("usage_class") if "usage_class" in answer.columns else answer
    missing = [c for c in RATES if c not in frame.columns]
    if missing:
        return f"Your table has no column {', '.join(missing)}: give {how}"
    labels = {str(k) for k in frame.index}
    if labels == set(brand_usage.BRAND_CLASSES):
        return "Your rows are brand classes: the task reads the pilot by usage class."
    if labels != set(brand_usage.USAGE_CLASSES) or len(frame) != 3:
        shown = ", ".join(sorted(labels)[:5])
        return f"Give one row per usage class, light, medium and heavy (yours: {shown}): {how}"
    try:
        values = pd.DataFrame(
            frame[list(RATES)].to_numpy(dtype="float64"),
            index=[str(k) for k in frame.index],
            columns=list(RATES),
        )
    except (TypeError, ValueError):
        return "The rates should be numbers (shares between 0 and 1)."
    if values.isna().any().any():
        return "A rate is NaN: did every usage class have contacted and held-out customers?"
    return values.loc[list(brand_usage.USAGE_CLASSES)]


@dataclass(frozen=True)
class _Rates(Read):
    """Two rates per usage class (a table indexed light, medium, heavy, or with a
    ``usage_class`` column; other columns are ignored), each equal within 1e-6."""

    noun = "a table of rates by usage class"

    def read(self, answer):
        return _as_rates(answer)

    def difference(self, answer, expected):
        got, want = self.read(answer), self.read(expected)
        if np.allclose(got.to_numpy(), 100 * want.to_numpy(), rtol=1e-6):
            return "Your rates look like percentages: give them as shares."
        names = {"control_rate": "control rates", "incremental_response": "incremental responses"}
        off = [
            names[column]
            for column in RATES
            if not np.allclose(got[column], want[column], rtol=1e-6, atol=1e-9)
        ]
        return f"Your {' and '.join(off)} differ."

    def variants(self, answer):
        values = _as_rates(answer)
        return [
            answer,
            values,
            values.iloc[::-1],
            values[list(RATES)[::-1]],
            values.assign(treatment_rate=0.5),
            values.rename_axis("usage_class").reset_index(),
            values.set_axis(pd.CategoricalIndex(values.index), axis=0),
        ]


def _pilot_rates() -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per usage class: the contacted's and the held-out's response rates, and everyone's."""
    customers = pilot().customers.set_index("customer_id")
    usage = _cells()["usage_class"].astype(str).reindex(customers.index)
    responded = customers["responded"].astype(float)
    rates = responded.groupby([usage, customers["group"].astype(str)]).mean().unstack()
    return rates["treatment"], rates["control"], responded.groupby(usage).mean()


def _rates_table(control: pd.Series, incremental: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"control_rate": control, "incremental_response": incremental})


@task(
    _Rates(),
    hint="Give each of the pilot's customers their usage class (task 1's cells) and, per "
    "class, the response rate of the held out (group control) and the contacted's rate minus "
    "it.",
)
def pilot_by_usage():
    treated, control, everyone = _pilot_rates()
    return _rates_table(control, treated - control), {
        "Your incremental response is the contacted's response rate: subtract the rate of "
        "the held out, who show what the contacted would have done anyway.": _rates_table(
            control, treated
        ),
        "The wrong way round: the incremental response is the contacted's rate minus the held "
        "out's.": _rates_table(control, control - treated),
        "Your baseline is everyone listed, both groups together: the control rate is the "
        "rate of the held out only (group control).": _rates_table(everyone, treated - everyone),
    }


# ---------------------------------------------------------------- task 4: the plan

PlanKey = tuple[tuple[tuple[str, float], ...], tuple[tuple[int, str], ...] | None]


def _as_sends(sends) -> tuple[tuple[int, str], ...] | str:
    """Send days by customer as sorted (customer_id, day) pairs, or why they cannot be."""
    how = (
        "give the send days as a Series of dates indexed by customer_id (or a table with "
        "customer_id and sent_on, such as `one_to_one.timed_sends` gives)."
    )
    if isinstance(sends, pd.DataFrame):
        if not {"customer_id", "sent_on"} <= set(sends.columns):
            return f"Your send days have no columns customer_id and sent_on: {how}"
        if "category" in sends.columns:
            sends = sends[sends["category"].astype(str) == CATEGORY]
        sends = sends.set_index("customer_id")["sent_on"]
    if not isinstance(sends, pd.Series):
        return f"The plan's second part is not send days: {how}"
    if not sends.index.is_unique:
        return "Some customers have more than one send day: give each customer one."
    try:
        ids = pd.Index(sends.index.astype("int64"))
        days = pd.to_datetime(sends).dt.normalize()
    except (TypeError, ValueError):
        return f"The send days should be dates indexed by customer ids: {how}"
    if days.isna().any():
        return "Some send days are missing (NaT): give each customer in the Series a date."
    return tuple(sorted(zip(ids.tolist(), days.dt.strftime("%Y-%m-%d").tolist(), strict=True)))


def _as_plan(answer) -> PlanKey | str:
    """The answer as ((cell, coupon) pairs sent, sorted; send days or None), or why not."""
    how = 'a dict of coupon values by cell, e.g. {"store/light": 0.5, ...}'
    sends = None
    if isinstance(answer, tuple | list) and len(answer) == 2:
        answer, sends = answer
    if isinstance(answer, pd.Series):
        answer = answer.to_dict()
    if not isinstance(answer, dict):
        return f"The answer should be {how}, or a pair (that dict, send days)."
    plan = {}
    for cell, value in answer.items():
        if str(cell) not in brand_usage.CELLS:
            return f"There is no cell {cell!r}: the cells are {', '.join(brand_usage.CELLS)}."
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
            return f"The coupon for {cell} should be an amount (a number), not {value!r}."
        value = float(value)
        if math.isnan(value) or value < 0:
            return f"The coupon for {cell} is {value}: a coupon is worth 0 (none) or more."
        if value > cap():
            return (
                f"The coupon for {cell} is worth {value:,.2f} {retail().currency}, more than "
                f"half the store brand's price ({cap():,.2f}): keep every coupon at or below it."
            )
        if value > 0:
            plan[str(cell)] = value
    if not plan:
        return "The plan sends nothing: give at least one cell a coupon above 0."
    timed = None
    if sends is not None:
        timed = _as_sends(sends)
        if isinstance(timed, str):
            return timed
    return tuple(sorted(plan.items())), timed


@cache
def _earned(key: PlanKey) -> tuple[float | None, pd.DataFrame | None, str]:
    """A plan's worth with no group drawn (``true_value``) and its table, or None and why it
    cannot be run."""
    plan, timed = key
    sends = None
    if timed is not None:
        ids, days = zip(*timed, strict=True) if timed else ((), ())
        sends = pd.Series(pd.to_datetime(list(days)), index=pd.Index(ids, dtype="int64"))
    try:
        table = brand_usage.simulate_offer(
            retail(), _cells(), dict(plan), channel="email", sends=sends, holdout=HOLDOUT
        )
    except CampaignError as error:
        return None, None, f"The simulator refused your plan: {error}."
    return float(table.loc["total", "true_value"]), table, ""


@cache
def grid() -> pd.DataFrame:
    """Each cell's worth (``true_value``) with each coupon of the grid (a column per coupon
    value, at ``GRID_SHARES`` of the store brand's price), no group drawn."""
    values = {}
    for share in GRID_SHARES:
        value = coupon(share)
        _, table, _ = _earned(
            (tuple(sorted(dict.fromkeys(brand_usage.CELLS, value).items())), None)
        )
        values[value] = table["true_value"].drop("total")
    return pd.DataFrame(values).rename_axis(columns="coupon")


def best_plan() -> dict:
    """The best coupon per cell on the grid (a cell whose every coupon loses gets none)."""
    table = grid()
    best = table.idxmax(axis=1)
    return {c: float(best[c]) for c in brand_usage.CELLS if table.loc[c].max() > 0}


def plan_bar() -> float:
    """The worth a plan must reach: ``PLAN_SHARE`` of the best coupon per cell's, rounded down
    to the cent."""
    best = grid().max(axis=1).clip(lower=0).sum()
    return math.floor(100 * PLAN_SHARE * best) / 100


def seed_plan() -> dict:
    """The seed's plan: the biggest first discount for the heavy users."""
    return {c: coupon(SEED_SHARES[c.split("/")[1]]) for c in brand_usage.CELLS}


def one_size(share: float = PILOT_SHARE) -> dict:
    """One coupon for every cell (the pilot's, by default)."""
    return dict.fromkeys(brand_usage.CELLS, coupon(share))


@dataclass(frozen=True)
class _Plan(Decision):
    """A coupon per cell (a dict or Series cell -> value; a cell left out or at 0 gets none),
    optionally with send days, judged by its worth in the simulator: right when its
    ``true_value`` reaches :func:`plan_bar`. A named mistake is recognised when the answer is
    the same plan."""

    noun = "a dict of coupon values by cell"

    def read(self, answer):
        return _as_plan(answer)

    def score(self, form):
        earned, _, why = _earned(form)
        return earned, why

    def bar(self):
        return plan_bar()

    def short(self, earned):
        currency = retail().currency
        return (
            f"Your plan is worth {earned:,.2f} {currency} (its true value, every listed "
            f"customer contacted); the bar is {plan_bar():,.2f} {currency}, "
            f"{PLAN_SHARE:.0%} of what the best coupon per cell on the grid is worth."
        )

    def variants(self, answer):
        plan, _ = _as_plan(answer)
        values = dict(plan)
        left_out = [c for c in brand_usage.CELLS if c not in values]
        return [
            answer,
            values,
            dict(reversed(values.items())),
            pd.Series(values),
            {c: np.float64(v) for c, v in values.items()},
            (values, None),
            {**values, **dict.fromkeys(left_out, 0.0)},
        ]


@task(
    _Plan(),
    hint="Ask what each cell's coupon buys: the extra units it brings and the converts it "
    "makes, against the coupons it pays to customers who would have bought anyway. Try "
    "several coupon values per cell with `brand_usage.simulate_offer` and compare their "
    "`true_value`.",
    praise="Your plan reaches the bar.",
)
def conversion_plan():
    return best_plan(), {
        "That is the seed's plan, the biggest first discount for the heaviest users: they "
        "buy pain relievers anyway, so most of a big coupon is a gift. Give each cell the "
        "coupon its own answer pays for.": seed_plan(),
        "That is the pilot, one coupon for every cell: give each cell its own coupon.": one_size(),
        "The biggest coupon everywhere pays its value to every buyer who would have bought "
        "anyway: give each cell the coupon its own answer pays for.": one_size(max(GRID_SHARES)),
    }


# ---------------------------------------------------------------- task 5: the maker's deal


@cache
def deal_outcome():
    """The maker's coupon: the national brand at ``DEAL_SHARE`` of its price, by e-mail to the
    pilot's list, ``HOLDOUT`` held out."""
    campaign = pilot_campaign(DEAL_SHARE, "national")
    return generator.simulate(retail(), campaign, _listed(), holdout=HOLDOUT)


@task(
    Amount(),
    hint="Simulate the maker's coupon (brand national) to the pilot's list, read it with "
    "`brand_usage.funded`, and take what the chain earns if the maker pays for the coupons "
    "(`chain_profit_if_funded`) minus what the pilot's store-brand coupon is worth to the "
    "chain over everyone listed (the truth's `incremental_profit` summed over the list).",
)
def maker_deal():
    ds = retail()
    deal = brand_usage.funded(ds, deal_outcome())
    own = float(pilot().truth["incremental_profit"].sum())
    funded = float(deal["chain_profit_if_funded"])
    estimated = float(targeting.evaluation(pilot())["incremental_profit"])
    return funded - own, {
        "That is what the maker earns from the deal: the task asks what the chain gains by "
        "it.": float(deal["maker_profit"]) - own,
        "Your national coupon is paid by the chain (`chain_profit_if_not`): in the deal the "
        "maker pays every coupon used.": float(deal["chain_profit_if_not"]) - own,
        "The deal's fortnight is the store-brand coupon's fortnight: subtract what the "
        "pilot's store-brand coupon would have earned the chain from the same "
        "customers.": funded,
        "You took the pilot's worth over the contacted half only (`true_incremental_profit`): "
        "the deal is worth its amount over everyone listed, and so must the store-brand "
        "coupon be.": funded - pilot().true_incremental_profit,
        "That uses the control group's estimate of the pilot: compare the truth with the "
        "truth, over everyone listed.": funded - estimated,
    }
