"""The marketing database of chapter 01: one row per customer, built from the operational tables.

The retail database holds what the company's operational systems write: one row per receipt,
per receipt line, per points movement, per campaign contact. A marketing database (营销数据库)
turns that into one row per customer with derived fields — the ones the textbook lists:
demographics, RFM, cumulative sales and transactions, loyalty points, campaign results and a
lifetime value. It is built here twice, the same way, so that the two can be compared::

    marketing = marketing_table(ds)              # pandas
    same = marketing_table_sql(ds)               # MARKETING_SQL on the SQLite file

Both take an ``as_of`` date (default: the database's as-of date) and see only what was known
on that day, so :func:`snapshots` can keep one table per month end, as a data warehouse does.
The SQL is kept in parts, one sub-query per system (:data:`MARKETING_PARTS`, each runs alone)
and the final join (:data:`MARKETING_SELECT`); :data:`MARKETING_SQL` is assembled from them.

The chapter's other analyses: :func:`campaign_profit` prices each campaign against its control
group (可描述性: incremental gross margin minus coupons and contacts, with the assumptions
:data:`GROSS_MARGIN` and :data:`CONTACT_COST`), :func:`after_complaints` follows complaining
customers, and :func:`brand_usage` is the textbook supermarket's report for manufacturers.
:func:`customer_view` gathers one customer's single view; :func:`customer_explorer` is the
classroom widget that shows it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from course import periods
from generator import campaigns as campaign_engine
from generator.sources import for_locale

#: Share of sales the chain keeps as gross margin: an assumption, about a supermarket's.
GROSS_MARGIN = 0.25
#: Days in the RFM window: frequency and monetary count the receipts of the last 365 days.
RFM_DAYS = 365

PROFILE = [
    "customer_id",
    "given_name",
    "family_name",
    "gender",
    "household_type",
    "income_band",
    "city",
    "home_store_id",
    "registered_on",
    "acquisition_source",
]

#: The marketing table's columns and their types (both builds return exactly these).
COLUMNS = {
    "customer_id": "int64",
    "given_name": "str",
    "family_name": "str",
    "gender": "str",
    "age": "int64",
    "household_type": "str",
    "income_band": "str",
    "city": "str",
    "home_store_id": "int64",
    "registered_on": "datetime64[s]",
    "acquisition_source": "str",
    "first_purchase": "datetime64[s]",
    "last_purchase": "datetime64[s]",
    "recency_days": "Int64",
    "frequency_12m": "int64",
    "monetary_12m": "float64",
    "transactions": "int64",
    "sales": "float64",
    "points_balance": "int64",
    "campaigns_contacted": "int64",
    "campaigns_responded": "int64",
    "lifetime_value": "float64",
}

#: What each derived column means (the notebook prints it).
FIELDS = {
    "age": "age in whole years on the as-of date",
    "first_purchase": "date of the first receipt",
    "last_purchase": "date of the latest receipt",
    "recency_days": "R: days from the latest receipt to the as-of date (empty: never bought)",
    "frequency_12m": f"F: receipts in the {RFM_DAYS} days up to the as-of date",
    "monetary_12m": f"M: amount spent in the {RFM_DAYS} days up to the as-of date",
    "transactions": "cumulative number of receipts (累计交易次数)",
    "sales": "cumulative amount spent (累计销售额)",
    "points_balance": "loyalty points earned minus points redeemed (客户积分)",
    "campaigns_contacted": "campaigns that contacted the customer, results known",
    "campaigns_responded": "of those, campaigns the customer responded to",
    "lifetime_value": f"historic lifetime value: gross margin ({GROSS_MARGIN:.0%}) on all sales",
}

# ---------------------------------------------------------------- the marketing table in SQL

#: The first day of the RFM window in SQL: the course's rule (``course.periods``), the
#: ``RFM_DAYS`` days that end on the as-of date, both included.
RFM_WINDOW_SQL = periods.sql_window_start(RFM_DAYS)

#: The marketing table in SQL, one sub-query per operational system. Each gives one row per
#: customer and runs on its own: ``ds.sql(MARKETING_PARTS["points"], marketing_sql_params(ds))``.
MARKETING_PARTS = {
    "receipts": f"""SELECT customer_id,
       MIN(date(timestamp)) AS first_purchase,
       MAX(date(timestamp)) AS last_purchase,
       SUM(date(timestamp) >= {RFM_WINDOW_SQL}) AS frequency_12m,
       SUM(CASE WHEN date(timestamp) >= {RFM_WINDOW_SQL}
                THEN total ELSE 0 END) AS monetary_12m,
       COUNT(*) AS transactions,
       SUM(total) AS sales
FROM transactions
WHERE date(timestamp) <= :as_of
GROUP BY customer_id""",
    "points": """SELECT customer_id, SUM(points) AS points_balance
FROM loyalty_points
WHERE date <= :as_of
GROUP BY customer_id""",
    "results": """SELECT k.customer_id,
       COUNT(*) AS campaigns_contacted,
       SUM(k.responded) AS campaigns_responded
FROM campaign_contacts AS k
JOIN campaigns AS c USING (campaign_id)
WHERE k.test_group = 'treatment'
  AND date(c.launched_on, '+' || c.response_days || ' days') <= :as_of
GROUP BY k.customer_id""",
}

#: What each sub-query reads (the comment it carries in :data:`MARKETING_SQL`).
MARKETING_PART_NOTES = {
    "receipts": "the till: each customer's receipts up to the as-of date",
    "points": "the loyalty scheme: points earned (+) and redeemed (-)",
    "results": "campaigns: contacted customers, once the results are in",
}

#: The final step: every customer record, left-joined to the sub-queries by customer_id.
MARKETING_SELECT = """SELECT c.customer_id, c.given_name, c.family_name, c.gender,
       CAST(strftime('%Y', :as_of) AS INTEGER) - CAST(strftime('%Y', c.birth_date) AS INTEGER)
         - (strftime('%m-%d', :as_of) < strftime('%m-%d', c.birth_date)) AS age,
       c.household_type, c.income_band, c.city, c.home_store_id, c.registered_on,
       c.acquisition_source,
       r.first_purchase,
       r.last_purchase,
       CAST(julianday(:as_of) - julianday(r.last_purchase) AS INTEGER) AS recency_days,
       COALESCE(r.frequency_12m, 0) AS frequency_12m,
       COALESCE(r.monetary_12m, 0.0) AS monetary_12m,
       COALESCE(r.transactions, 0) AS transactions,
       COALESCE(r.sales, 0.0) AS sales,
       COALESCE(p.points_balance, 0) AS points_balance,
       COALESCE(s.campaigns_contacted, 0) AS campaigns_contacted,
       COALESCE(s.campaigns_responded, 0) AS campaigns_responded,
       :margin * COALESCE(r.sales, 0.0) AS lifetime_value
FROM customers AS c
LEFT JOIN receipts AS r USING (customer_id)
LEFT JOIN points AS p USING (customer_id)
LEFT JOIN results AS s USING (customer_id)
WHERE c.registered_on <= :as_of
ORDER BY c.customer_id"""


def with_parts(parts: dict[str, str], select: str, notes: dict[str, str] | None = None) -> str:
    """One query from named sub-queries and a final SELECT: ``WITH name AS (...), ... SELECT``
    (a common table expression, CTE), each sub-query under its note as an SQL comment."""
    notes = notes or {}
    blocks = []
    for name, sql in parts.items():
        note = f"  -- {notes[name]}" if name in notes else ""
        body = "\n".join("    " + line for line in sql.splitlines())
        blocks.append(f"{name} AS ({note}\n{body}\n)")
    return "WITH " + ",\n".join(blocks) + "\n" + select + "\n"


#: The whole marketing table in one query, assembled from :data:`MARKETING_PARTS` and
#: :data:`MARKETING_SELECT`; parameters ``:as_of`` (YYYY-MM-DD) and ``:margin``.
MARKETING_SQL = with_parts(MARKETING_PARTS, MARKETING_SELECT, MARKETING_PART_NOTES)


def _day(as_of, ds) -> pd.Timestamp:
    """The as-of date as a day (midnight); the database's own as-of date by default."""
    return pd.Timestamp(ds.as_of if as_of is None else as_of).normalize()


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The marketing table's columns, in order, with one set of types."""
    frame = frame[list(COLUMNS)].copy()
    for column, dtype in COLUMNS.items():
        if dtype.startswith("datetime"):
            frame[column] = pd.to_datetime(frame[column]).astype(dtype)
        elif dtype == "str":
            frame[column] = frame[column].astype(object).astype("str")
        else:
            frame[column] = frame[column].astype(dtype)
    return frame.reset_index(drop=True)


def marketing_table(ds, as_of=None) -> pd.DataFrame:
    """One row per customer registered by ``as_of``, from what the tables held on that day."""
    day = _day(as_of, ds)
    customers = ds["customers"]
    customers = customers[customers["registered_on"] <= day]
    customers = customers.assign(age=periods.age_on(customers["birth_date"], day))

    receipts = ds["transactions"]
    receipts = receipts.assign(day=receipts["timestamp"].dt.normalize())
    receipts = receipts[receipts["day"] <= day]
    recent = periods.in_window(receipts["day"], day, RFM_DAYS)
    receipts = receipts.assign(recent=recent.astype(int), recent_total=receipts["total"] * recent)
    bought = receipts.groupby("customer_id").agg(
        first_purchase=("day", "min"),
        last_purchase=("day", "max"),
        frequency_12m=("recent", "sum"),
        monetary_12m=("recent_total", "sum"),
        transactions=("total", "size"),
        sales=("total", "sum"),
    )

    points = ds["loyalty_points"]
    balance = points[points["date"] <= day].groupby("customer_id")["points"].sum()

    contacts = ds["campaign_contacts"].merge(ds["campaigns"], on="campaign_id")
    known = contacts["launched_on"] + pd.to_timedelta(contacts["response_days"], unit="D") <= day
    treated = contacts[(contacts["test_group"] == "treatment") & known]
    results = treated.groupby("customer_id")["responded"].agg(["size", "sum"])
    results.columns = ["campaigns_contacted", "campaigns_responded"]

    table = (
        customers[[*PROFILE, "age"]]
        .merge(bought, on="customer_id", how="left")
        .merge(balance.rename("points_balance"), on="customer_id", how="left")
        .merge(results, on="customer_id", how="left")
    )
    counts = ["frequency_12m", "transactions", "points_balance"]
    counts += ["campaigns_contacted", "campaigns_responded"]
    table[counts] = table[counts].fillna(0)
    table[["monetary_12m", "sales"]] = table[["monetary_12m", "sales"]].fillna(0.0)
    table["recency_days"] = (day - table["last_purchase"]).dt.days
    table["lifetime_value"] = GROSS_MARGIN * table["sales"]
    return _typed(table.sort_values("customer_id"))


def marketing_sql_params(ds, as_of=None) -> dict:
    """The parameters :data:`MARKETING_SQL` takes, for ``ds.sql(MARKETING_SQL, params)``."""
    return {"as_of": _day(as_of, ds).strftime("%Y-%m-%d"), "margin": GROSS_MARGIN}


def marketing_table_sql(ds, as_of=None) -> pd.DataFrame:
    """The same table as :func:`marketing_table`, computed by SQLite with :data:`MARKETING_SQL`."""
    return _typed(ds.sql(MARKETING_SQL, marketing_sql_params(ds, as_of)))


def month_ends(ds, months: int = 12) -> list[pd.Timestamp]:
    """The last ``months`` month ends up to the as-of date, oldest first."""
    return periods.month_ends(ds.as_of, months)


def snapshots(ds, dates) -> pd.DataFrame:
    """The marketing table as it stood on each date, stacked, with a ``snapshot`` column first.

    This is what a data warehouse (数据仓库) keeps and the marketing table does not: history.
    """
    frames = [marketing_table(ds, day).assign(snapshot=_day(day, ds)) for day in dates]
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[["snapshot", *COLUMNS]]


def codes_by_system(ds, role: str = "gender", top: int = 6) -> pd.DataFrame:
    """How the customer database and each source system write one field, e.g. gender.

    One row per system that records the field: its column name and its most common values
    with their counts. Without source extracts (a build without ``--sources``) only the
    database's own row is there.
    """
    locale = ds.locale
    rows = [("customers (customer database)", role, ds["customers"][role])]
    for system in ds.systems:
        for field in system.get("fields", []):
            if field[1] == role:
                column = for_locale(field[0], locale)
                rows.append((system["name"], column, ds.source(system["name"])[column]))

    def codes(values: pd.Series) -> str:
        counts = values.astype(object).fillna("(empty)").value_counts()
        shown = ", ".join(f"{value} ({count:,})" for value, count in counts.head(top).items())
        more = len(counts) - top
        return shown + (f" and {more} more" if more > 0 else "")

    return pd.DataFrame(
        [(system, column, codes(values)) for system, column, values in rows],
        columns=["system", "column", "values (records)"],
    )


# ---------------------------------------------------------------- what each campaign earned

#: What one contact costs the chain, per channel and currency: ASSUMPTIONS, not data (the
#: generator's, which its campaign simulator charges too). A letter is postage plus print; an
#: e-mail costs next to nothing to send; an SMS is a bulk rate; a call is a few minutes of a
#: call-centre agent. Change them to the chain's own costs.
CONTACT_COST = campaign_engine.CONTACT_COST
#: z for a two-sided 95 % interval (normal approximation).
Z95 = 1.959964


def response_windows(ds) -> pd.DataFrame:
    """Each campaign's response window: from its launch day, ``response_days`` days, both
    ends included (the window in which a purchase of the promoted category is a response)."""
    campaigns = ds["campaigns"]
    last = campaigns["launched_on"] + pd.to_timedelta(campaigns["response_days"] - 1, unit="D")
    return campaigns.assign(window_first=campaigns["launched_on"], window_last=last)


def campaign_spend(ds, before_days: int = 180) -> pd.DataFrame:
    """One row per eligible customer and campaign (``campaign_contacts``) with what they bought
    of the promoted category: ``spend`` in the response window at shelf prices (quantity × unit
    price, before coupon discounts), ``store_brand_spend`` (the part of it on the chain's own
    brand), ``coupon_discount`` on those lines, and ``bought_before``: whether the customer
    bought the category in the ``before_days`` days before the launch day."""
    windows = response_windows(ds)
    products = ds["products"][["product_id", "category", "store_brand"]]
    items = ds["transaction_items"].merge(products, on="product_id")
    items = items[items["category"].isin(windows["category"])]
    receipts = ds["transactions"][["transaction_id", "customer_id", "timestamp"]]
    lines = items.merge(receipts, on="transaction_id")
    lines["day"] = lines["timestamp"].dt.normalize()
    lines["spend"] = lines["quantity"] * lines["unit_price"]
    lines["store_brand_spend"] = lines["spend"] * lines["store_brand"]
    lines = lines.merge(windows[["campaign_id", "category", "window_first", "window_last"]])
    inside = lines["day"].between(lines["window_first"], lines["window_last"])
    keys = ["campaign_id", "customer_id"]
    bought = (
        lines[inside]
        .groupby(keys)[["spend", "store_brand_spend", "discount"]]
        .sum()
        .rename(columns={"discount": "coupon_discount"})
    )
    days_before = (lines["window_first"] - lines["day"]).dt.days
    before = lines.loc[days_before.between(1, before_days), keys].drop_duplicates()
    contacts = ds["campaign_contacts"][[*keys, "test_group", "channel", "responded"]]
    table = contacts.merge(windows[["campaign_id", "category"]], on="campaign_id")
    table = table.merge(bought, on=keys, how="left")
    money = ["spend", "store_brand_spend", "coupon_discount"]
    table[money] = table[money].fillna(0.0)
    table["bought_before"] = pd.MultiIndex.from_frame(table[keys]).isin(
        pd.MultiIndex.from_frame(before)
    )
    for column in ("test_group", "channel", "category"):
        table[column] = table[column].astype(str)
    return table


def campaign_profit(ds, margin: float = GROSS_MARGIN, contact_cost=None) -> pd.DataFrame:
    """What each campaign earned against its control group (可描述性: the gross profit of each
    marketing event), one row per campaign in launch order.

    The held-out customers show what the contacted would have bought anyway, so the campaign's
    incremental spend is (mean spend of the contacted − mean spend of the held out) × the
    number contacted, in the promoted category during the response window, at shelf prices.
    Its incremental gross margin is that × ``margin``; from it go the coupon discounts given
    and the contacts (``contact_cost``: per channel, default :data:`CONTACT_COST` in the build's
    currency). ``net_low`` and ``net_high`` bound the net margin with a 95 % interval for the
    difference of the two means (normal approximation): the control group is a sample.
    """
    costs = CONTACT_COST[ds.currency] if contact_cost is None else contact_cost
    spend = campaign_spend(ds)
    groups = spend.groupby(["campaign_id", "test_group"])["spend"].agg(["size", "mean", "var"])
    groups = groups.unstack("test_group")
    contacted, held_out = groups[("size", "treatment")], groups[("size", "control")]
    difference = groups[("mean", "treatment")] - groups[("mean", "control")]
    error = (
        groups[("var", "treatment")] / contacted + groups[("var", "control")] / held_out
    ) ** 0.5
    treated = spend[spend["test_group"] == "treatment"]
    coupons = treated.groupby("campaign_id")["coupon_discount"].sum()
    campaigns = response_windows(ds).set_index("campaign_id")
    table = pd.DataFrame(
        {
            "name": campaigns["name"],
            "category": campaigns["category"].astype(str),
            "channel": campaigns["channel"].astype(str),
            "window_days": campaigns["response_days"],
            "contacted": contacted.astype(int),
            "held_out": held_out.astype(int),
            "spend_contacted": groups[("mean", "treatment")],
            "spend_held_out": groups[("mean", "control")],
        }
    )
    table["incremental_spend"] = difference * contacted
    table["incremental_margin"] = margin * table["incremental_spend"]
    table["coupon_cost"] = coupons.reindex(table.index, fill_value=0.0)
    table["contact_cost"] = table["channel"].map(costs) * contacted
    table["net_margin"] = table["incremental_margin"] - table["coupon_cost"] - table["contact_cost"]
    half_width = Z95 * error * contacted * margin
    table["net_low"] = table["net_margin"] - half_width
    table["net_high"] = table["net_margin"] + half_width
    order = campaigns["launched_on"].sort_values(kind="stable").index
    return table.loc[order].reset_index()


def campaign_verdicts(profit: pd.DataFrame, currency: str) -> list[str]:
    """One sentence per campaign of :func:`campaign_profit`: what it earned, what it cost, and
    whether the control group can tell that from zero."""

    def money(value: float) -> str:
        return f"{value:,.0f} {currency}"

    sentences = []
    for row in profit.itertuples(index=False):
        interval = f"95 % interval {row.net_low:,.0f} to {row.net_high:,.0f}"
        if row.net_high < 0:
            verdict = "a loss even at the top of the interval"
        elif row.net_low > 0:
            verdict = "a gain even at the bottom of the interval"
        else:
            verdict = "the interval holds zero: the data cannot tell a gain from a loss"
        sentences.append(
            f"{row.name} ({row.channel}, {row.contacted:,} contacted): incremental gross "
            f"margin {money(row.incremental_margin)}, costs "
            f"{money(row.coupon_cost + row.contact_cost)} (coupons {row.coupon_cost:,.0f}, "
            f"contacts {row.contact_cost:,.0f}), net {money(row.net_margin)}; {interval}: "
            f"{verdict}."
        )
    return sentences


# ---------------------------------------------------------------- complaints and after


def after_complaints(ds, days: int = 90) -> pd.DataFrame:
    """What each complaining customer did in the ``days`` days before and after a complaint.

    One row per complaint received at least ``days`` days before the as-of date (so that its
    after-period is complete): ``bought_after`` (a receipt in the ``days`` days after the
    complaint day), ``spend_before`` (the ``days`` days before it) and ``spend_after``.
    """
    complaints = ds["complaints"]
    cutoff = ds.as_of.normalize() - pd.Timedelta(days=days)
    complaints = complaints[complaints["received_on"] <= cutoff].copy()
    receipts = ds["transactions"][["customer_id", "timestamp", "total"]]
    paired = complaints[["complaint_id", "customer_id", "received_on"]].merge(
        receipts, on="customer_id"
    )
    offset = (paired["timestamp"].dt.normalize() - paired["received_on"]).dt.days
    after = paired[(offset >= 1) & (offset <= days)].groupby("complaint_id")["total"]
    before = paired[(offset <= -1) & (offset >= -days)].groupby("complaint_id")["total"]
    ids = complaints["complaint_id"]
    complaints["bought_after"] = ids.isin(after.size().index)
    complaints["spend_before"] = ids.map(before.sum()).fillna(0.0)
    complaints["spend_after"] = ids.map(after.sum()).fillna(0.0)
    complaints["topic"] = complaints["topic"].astype(str)
    return complaints.reset_index(drop=True)


def difference_of_shares(yes: pd.Series, no: pd.Series) -> tuple[float, float, float]:
    """The difference of two shares (means of True/False), with a 95 % interval (normal
    approximation): ``(difference, low, high)``."""
    p, q = yes.mean(), no.mean()
    error = (p * (1 - p) / len(yes) + q * (1 - q) / len(no)) ** 0.5
    return p - q, p - q - Z95 * error, p - q + Z95 * error


# ---------------------------------------------------------------- a report for a manufacturer

USAGE = ("light", "medium", "heavy")
LOYALTY = ("national brand", "store brand", "switcher")


def brand_usage(ds, category: str = "pain_reliever", days: int = 365) -> pd.DataFrame:
    """The buyers of a category in the last ``days`` days, each put in one of nine groups, as
    the textbook's supermarket does for pain relievers: by brand (national brand only, the
    chain's store brand only, or both: a switcher) and by usage (packs bought: the lightest
    third, the middle third, the heaviest third of buyers).

    One row per buyer: ``customer_id``, ``packs``, ``store_brand_packs``, ``spend``, ``brand``
    and ``usage``. A report for a manufacturer counts the groups and leaves the ids out.
    """
    products = ds["products"]
    chosen = products.loc[products["category"] == category, ["product_id", "store_brand"]]
    items = ds["transaction_items"].merge(chosen, on="product_id")
    receipts = ds["transactions"]
    recent = receipts.loc[
        periods.in_window(receipts["timestamp"], ds.as_of, days), ["transaction_id", "customer_id"]
    ]
    lines = items.merge(recent, on="transaction_id")
    lines["store_brand_packs"] = lines["quantity"] * lines["store_brand"]
    buyers = lines.groupby("customer_id").agg(
        packs=("quantity", "sum"),
        store_brand_packs=("store_brand_packs", "sum"),
        spend=("amount", "sum"),
    )
    share = buyers["store_brand_packs"] / buyers["packs"]
    brand = pd.Series(LOYALTY[2], index=buyers.index)
    brand[share == 0], brand[share == 1] = LOYALTY[0], LOYALTY[1]
    buyers["brand"] = pd.Categorical(brand, categories=LOYALTY)
    rank = buyers["packs"].rank(method="average", pct=True)
    buyers["usage"] = pd.cut(rank, [0, 1 / 3, 2 / 3, 1], labels=USAGE, include_lowest=True)
    return buyers.reset_index()


# ---------------------------------------------------------------- one customer's single view


@dataclass(frozen=True)
class CustomerView:
    """Everything the database knows about one customer, gathered from every table."""

    customer_id: int
    profile: pd.Series  # the customer record, as the loyalty-card application gave it
    marketing: pd.Series  # the customer's row of the marketing table
    receipts: pd.DataFrame  # the latest receipts, newest first
    campaigns: pd.DataFrame  # every campaign the customer was eligible for
    complaints: pd.DataFrame  # every complaint

    @property
    def name(self) -> str:
        return f"{self.profile['given_name']} {self.profile['family_name']}"

    def html(self) -> str:
        """The view as one HTML block (what the classroom widget shows)."""

        def table(frame: pd.DataFrame, empty: str) -> str:
            if frame.empty:
                return f"<p><i>{html.escape(empty)}</i></p>"
            frame = frame.astype(object).where(frame.notna(), "")
            return frame.to_html(index=False, float_format="{:,.2f}".format)

        def pairs(series: pd.Series) -> str:
            values = series.map(_shown).rename("value")
            return table(values.rename_axis("field").reset_index(), "")

        parts = [
            f"<h3>Customer {self.customer_id}: {html.escape(self.name)}</h3>",
            '<div style="display: flex; flex-wrap: wrap; gap: 2em">',
            "<div><h4>Profile (customers)</h4>",
            pairs(self.profile.drop(["customer_id", "given_name", "family_name"])),
            "</div><div><h4>Marketing fields (marketing table)</h4>",
            pairs(self.marketing.drop(PROFILE + ["age"], errors="ignore")),
            "</div></div>",
            "<h4>Latest receipts (transactions)</h4>",
            table(self.receipts, "No receipts."),
            "<h4>Campaigns (campaign_contacts)</h4>",
            table(self.campaigns, "Never eligible for a campaign."),
            "<h4>Complaints (complaints)</h4>",
            table(self.complaints, "No complaints."),
        ]
        return "\n".join(parts)


def _shown(value) -> str:
    """A value as the single view shows it: dates as days, money with two decimals."""
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


RECEIPTS_SQL = """
SELECT t.transaction_id, t.timestamp, s.name AS store, t.channel,
       COUNT(i.line) AS lines, t.total
FROM transactions AS t
JOIN stores AS s USING (store_id)
JOIN transaction_items AS i USING (transaction_id)
WHERE t.customer_id = :id
GROUP BY t.transaction_id
ORDER BY t.timestamp DESC, t.transaction_id DESC
LIMIT :n
"""

CAMPAIGNS_SQL = """
SELECT c.campaign_id, c.name AS campaign, c.launched_on, k.channel, k.test_group,
       k.responded, r.redeemed_on AS coupon_redeemed_on
FROM campaign_contacts AS k
JOIN campaigns AS c USING (campaign_id)
LEFT JOIN coupon_redemptions AS r USING (campaign_id, customer_id)
WHERE k.customer_id = :id
ORDER BY c.launched_on, c.campaign_id
"""

COMPLAINTS_SQL = """
SELECT k.complaint_id, k.received_on, s.name AS store, k.channel, k.topic, k.resolved
FROM complaints AS k
JOIN stores AS s USING (store_id)
WHERE k.customer_id = :id
ORDER BY k.received_on, k.complaint_id
"""


def customer_view(ds, customer_id: int, marketing=None, receipts: int = 5) -> CustomerView:
    """One customer's single view: profile, marketing fields, latest receipts, campaigns.

    ``marketing`` is the marketing table (computed when not given). Raises ``KeyError`` for a
    customer the database does not know.
    """
    customer_id = int(customer_id)
    customers = ds["customers"].set_index("customer_id", drop=False)
    if customer_id not in customers.index:
        raise KeyError(f"no customer {customer_id}")
    marketing = marketing_table(ds) if marketing is None else marketing
    row = marketing.loc[marketing["customer_id"] == customer_id]
    params = {"id": customer_id}
    campaigns = ds.sql(CAMPAIGNS_SQL, params)
    campaigns["responded"] = campaigns["responded"].astype(bool)
    complaints = ds.sql(COMPLAINTS_SQL, params)
    complaints["resolved"] = complaints["resolved"].astype(bool)
    return CustomerView(
        customer_id=customer_id,
        profile=customers.loc[customer_id],
        marketing=row.iloc[0] if len(row) else pd.Series(dtype=object),
        receipts=ds.sql(RECEIPTS_SQL, {**params, "n": receipts}),
        campaigns=campaigns,
        complaints=complaints,
    )


def example_customers(marketing: pd.DataFrame) -> dict[str, int]:
    """Contrasting customers to show a class, each found by a rule: label -> customer_id.

    The first is the customer with the largest lifetime value. A rule that finds nobody in
    this database (say, no customer has never bought) is left out.
    """
    m = marketing.sort_values("customer_id")
    buyers = m[m["transactions"] > 0]
    lapsed = buyers[buyers["recency_days"] > 180]
    rules = {
        "largest lifetime value": m.loc[m["lifetime_value"].idxmax()] if len(m) else None,
        "most receipts in the last 12 months": (
            m.loc[m["frequency_12m"].idxmax()] if len(m) else None
        ),
        "lapsed: the biggest spender silent for over 180 days": (
            lapsed.loc[lapsed["sales"].idxmax()] if len(lapsed) else None
        ),
        "responded to the most campaigns": (
            m.loc[m["campaigns_responded"].idxmax()] if len(m) else None
        ),
        "newest member": m.loc[m["registered_on"].idxmax()] if len(m) else None,
        "registered but never bought": (
            m[m["transactions"] == 0].iloc[0] if (m["transactions"] == 0).any() else None
        ),
    }
    found: dict[str, int] = {}
    for label, row in rules.items():
        if row is not None and int(row["customer_id"]) not in found.values():
            found[f"{label} (#{int(row['customer_id'])})"] = int(row["customer_id"])
    return found


def customer_explorer(ds, marketing=None):
    """A classroom widget: pick an example customer or type any customer_id, see the view.

    Returns an ``ipywidgets.VBox`` (a dropdown, a number box and the view); its first view is
    the customer with the largest lifetime value.
    """
    import ipywidgets as widgets

    marketing = marketing_table(ds) if marketing is None else marketing
    examples = example_customers(marketing)
    first = next(iter(examples.values()))
    picker = widgets.Dropdown(options=list(examples.items()), value=first, description="Example")
    number = widgets.IntText(value=first, description="customer_id")
    view = widgets.HTML(customer_view(ds, first, marketing).html())

    def show(change) -> None:
        try:
            view.value = customer_view(ds, change["new"], marketing).html()
        except KeyError:
            view.value = f"<p><b>No customer {int(change['new'])} in this database.</b></p>"
        if change["new"] in examples.values():
            picker.value = change["new"]

    number.observe(show, names="value")
    picker.observe(lambda change: setattr(number, "value", change["new"]), names="value")
    return widgets.VBox([widgets.HBox([picker, number]), view])
