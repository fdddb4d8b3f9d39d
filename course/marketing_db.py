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
:func:`customer_view` gathers one customer's single view; :func:`customer_explorer` is the
classroom widget that shows it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

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

#: The marketing table in SQL: parameters ``:as_of`` (YYYY-MM-DD), ``:days`` and ``:margin``.
MARKETING_SQL = """
WITH receipts AS (            -- the till: one row per receipt, up to the as-of date
    SELECT customer_id,
           MIN(date(timestamp)) AS first_purchase,
           MAX(date(timestamp)) AS last_purchase,
           SUM(date(timestamp) > date(:as_of, '-' || :days || ' days')) AS frequency_12m,
           SUM(CASE WHEN date(timestamp) > date(:as_of, '-' || :days || ' days')
                    THEN total ELSE 0 END) AS monetary_12m,
           COUNT(*) AS transactions,
           SUM(total) AS sales
    FROM transactions
    WHERE date(timestamp) <= :as_of
    GROUP BY customer_id
),
points AS (                   -- the loyalty scheme: points earned (+) and redeemed (-)
    SELECT customer_id, SUM(points) AS points_balance
    FROM loyalty_points
    WHERE date <= :as_of
    GROUP BY customer_id
),
results AS (                  -- campaigns: contacted customers, once the results are in
    SELECT k.customer_id,
           COUNT(*) AS campaigns_contacted,
           SUM(k.responded) AS campaigns_responded
    FROM campaign_contacts AS k
    JOIN campaigns AS c USING (campaign_id)
    WHERE k.test_group = 'treatment'
      AND date(c.launched_on, '+' || c.response_days || ' days') <= :as_of
    GROUP BY k.customer_id
)
SELECT c.customer_id, c.given_name, c.family_name, c.gender,
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
ORDER BY c.customer_id
"""


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
    birth = customers["birth_date"]
    before_birthday = birth.dt.strftime("%m-%d") > day.strftime("%m-%d")
    customers = customers.assign(age=day.year - birth.dt.year - before_birthday.astype(int))

    receipts = ds["transactions"]
    receipts = receipts.assign(day=receipts["timestamp"].dt.normalize())
    receipts = receipts[receipts["day"] <= day]
    recent = receipts["day"] > day - pd.Timedelta(days=RFM_DAYS)
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
    return {"as_of": _day(as_of, ds).strftime("%Y-%m-%d"), "days": RFM_DAYS, "margin": GROSS_MARGIN}


def marketing_table_sql(ds, as_of=None) -> pd.DataFrame:
    """The same table as :func:`marketing_table`, computed by SQLite with :data:`MARKETING_SQL`."""
    return _typed(ds.sql(MARKETING_SQL, marketing_sql_params(ds, as_of)))


def month_ends(ds, months: int = 12) -> list[pd.Timestamp]:
    """The last ``months`` month ends up to the as-of date, oldest first."""
    return list(pd.date_range(end=ds.as_of.normalize(), periods=months, freq="ME"))


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
