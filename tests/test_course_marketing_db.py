"""Chapter 01: the marketing table, its snapshots and the single customer view (retail data)."""

import numpy as np
import pandas as pd
import pytest

from course import marketing_db as mdb
from course import periods

from conftest import industry_build

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return industry_build("retail", "default", None, tmp_path_factory)


@pytest.fixture(scope="module")
def marketing(ds):
    return mdb.marketing_table(ds)


@pytest.fixture(scope="module")
def earlier(ds):
    """A date well inside the history, not a month end."""
    return ds.as_of - pd.Timedelta(days=400)


def test_one_row_per_customer_in_order(ds, marketing):
    assert list(marketing.columns) == list(mdb.COLUMNS)
    assert marketing["customer_id"].tolist() == sorted(ds["customers"]["customer_id"])
    assert {c: str(t) for c, t in marketing.dtypes.items()} == mdb.COLUMNS


def test_totals_reconcile_with_the_operational_tables(ds, marketing):
    receipts, points = ds["transactions"], ds["loyalty_points"]
    assert marketing["transactions"].sum() == len(receipts)
    assert marketing["sales"].sum() == pytest.approx(receipts["total"].sum(), rel=1e-12)
    assert marketing["points_balance"].sum() == points["points"].sum()
    contacts = ds["campaign_contacts"]
    treated = contacts[contacts["test_group"] == "treatment"]
    assert marketing["campaigns_contacted"].sum() == len(treated)  # every result is in
    assert marketing["campaigns_responded"].sum() == treated["responded"].sum()
    np.testing.assert_allclose(marketing["lifetime_value"], mdb.GROSS_MARGIN * marketing["sales"])


def test_one_customer_by_hand(ds, marketing):
    receipts = ds["transactions"]
    customer = receipts["customer_id"].value_counts().idxmax()
    mine = receipts[receipts["customer_id"] == customer]
    row = marketing.set_index("customer_id").loc[customer]
    days = mine["timestamp"].dt.normalize()
    assert row["first_purchase"] == days.min() and row["last_purchase"] == days.max()
    assert row["recency_days"] == (ds.as_of - days.max()).days
    in_year = days > ds.as_of - pd.Timedelta(days=365)
    assert row["frequency_12m"] == in_year.sum()
    assert row["monetary_12m"] == pytest.approx(mine.loc[in_year, "total"].sum())
    birth = ds["customers"].set_index("customer_id").loc[customer, "birth_date"]
    age = ds.as_of.year - birth.year - ((ds.as_of.month, ds.as_of.day) < (birth.month, birth.day))
    assert row["age"] == age


def test_rfm_fields_are_consistent(marketing):
    never = marketing["transactions"] == 0
    assert never.any()  # the default data has members who never bought
    assert marketing.loc[never, "recency_days"].isna().all()
    assert marketing.loc[never, "first_purchase"].isna().all()
    assert (marketing.loc[never, ["sales", "frequency_12m", "monetary_12m"]] == 0).all().all()
    bought = marketing[~never]
    assert (bought["recency_days"] >= 0).all()
    assert (bought["frequency_12m"] <= bought["transactions"]).all()
    assert (bought["monetary_12m"] <= bought["sales"] + 1e-9).all()
    assert (bought["first_purchase"] >= bought["registered_on"]).all()
    assert (marketing["points_balance"] >= 0).all()
    assert (marketing["campaigns_responded"] <= marketing["campaigns_contacted"]).all()


def test_sql_and_pandas_give_the_same_table(ds, marketing, earlier):
    pd.testing.assert_frame_equal(mdb.marketing_table_sql(ds), marketing)
    pd.testing.assert_frame_equal(
        mdb.marketing_table_sql(ds, earlier), mdb.marketing_table(ds, earlier)
    )


def test_an_earlier_table_knows_only_the_past(ds, earlier):
    then = mdb.marketing_table(ds, earlier)
    customers = ds["customers"]
    assert len(then) == (customers["registered_on"] <= earlier).sum()
    assert (then["last_purchase"].dropna() <= earlier).all()
    receipts = ds["transactions"]
    known = receipts[receipts["timestamp"] < earlier + pd.Timedelta(days=1)]
    assert then["transactions"].sum() == len(known)
    campaigns = ds["campaigns"]
    done = campaigns["launched_on"] + pd.to_timedelta(campaigns["response_days"], unit="D")
    contacts = ds["campaign_contacts"]
    treated = contacts[
        (contacts["test_group"] == "treatment")
        & contacts["campaign_id"].isin(campaigns.loc[done <= earlier, "campaign_id"])
    ]
    assert then["campaigns_contacted"].sum() == len(treated)


def test_snapshots_keep_one_table_per_month_end(ds, marketing):
    dates = mdb.month_ends(ds, 3)
    assert dates[-1] <= ds.as_of and len(dates) == 3
    assert all(d.is_month_end for d in dates) and dates == sorted(dates)
    history = mdb.snapshots(ds, dates)
    assert list(history.columns) == ["snapshot", *mdb.COLUMNS]
    assert history["snapshot"].drop_duplicates().tolist() == dates
    last = history[history["snapshot"] == dates[-1]].drop(columns="snapshot")
    pd.testing.assert_frame_equal(last.reset_index(drop=True), mdb.marketing_table(ds, dates[-1]))
    growing = history.groupby("snapshot")["transactions"].sum()
    assert growing.is_monotonic_increasing


def test_codes_by_system_lists_the_database_and_each_source(ds):
    codes = mdb.codes_by_system(ds, "gender")
    assert codes.loc[0, "system"].startswith("customers")
    assert codes.loc[0, "values (records)"].count("(") == 2  # F and M only
    assert set(codes["system"][1:]) == {s["name"] for s in ds.systems if "fields" in s}
    assert ds.currency == "USD"


def test_customer_view_gathers_every_table(ds, marketing):
    contacts = ds["campaign_contacts"]
    customer = int(contacts["customer_id"].value_counts().idxmax())
    view = mdb.customer_view(ds, customer, marketing, receipts=3)
    assert view.profile["customer_id"] == customer
    assert view.marketing["customer_id"] == customer
    assert len(view.receipts) == 3
    assert view.receipts["timestamp"].is_monotonic_decreasing
    latest = ds["transactions"].query("customer_id == @customer")["timestamp"].max()
    assert pd.Timestamp(view.receipts["timestamp"].iloc[0]) == latest
    assert len(view.campaigns) == (contacts["customer_id"] == customer).sum()
    complaints = ds["complaints"]
    assert len(view.complaints) == (complaints["customer_id"] == customer).sum()
    page = view.html()
    assert view.name in page and "Latest receipts" in page and "NaT" not in page
    with pytest.raises(KeyError):
        mdb.customer_view(ds, marketing["customer_id"].max() + 1, marketing)


def test_customer_view_of_a_member_who_never_bought(ds, marketing):
    never = int(marketing.loc[marketing["transactions"] == 0, "customer_id"].iloc[0])
    view = mdb.customer_view(ds, never, marketing)
    assert view.receipts.empty
    assert "No receipts." in view.html()


def test_example_customers_follow_their_rules(marketing):
    examples = mdb.example_customers(marketing)
    ids = list(examples.values())
    assert ids[0] == marketing.loc[marketing["lifetime_value"].idxmax(), "customer_id"]
    assert len(set(ids)) == len(ids) >= 4
    assert all(f"#{i})" in label for label, i in examples.items())
    lapsed = next(i for label, i in examples.items() if label.startswith("lapsed"))
    assert marketing.set_index("customer_id").loc[lapsed, "recency_days"] > 180


def test_the_explorer_shows_the_customer_picked(ds, marketing):
    explorer = mdb.customer_explorer(ds, marketing)
    (picker, number), view = explorer.children[0].children, explorer.children[1]
    first = picker.value
    assert first == number.value == next(iter(mdb.example_customers(marketing).values()))
    assert f"Customer {first}:" in view.value
    other = picker.options[1][1]
    picker.value = other
    assert number.value == other and f"Customer {other}:" in view.value
    number.value = int(marketing["customer_id"].max()) + 1
    assert "No customer" in view.value
    number.value = first
    assert picker.value == first and f"Customer {first}:" in view.value


# ---------------------------------------------------------------- the SQL, one part at a time


def test_the_sql_is_assembled_from_its_parts(ds, marketing):
    """MARKETING_SQL is the parts under one WITH and the final SELECT: they cannot drift."""
    sql = mdb.MARKETING_SQL
    assert sql == mdb.with_parts(
        mdb.MARKETING_PARTS, mdb.MARKETING_SELECT, mdb.MARKETING_PART_NOTES
    )
    for name, part in mdb.MARKETING_PARTS.items():
        assert f"{name} AS (" in sql
        assert all(line.strip() in sql for line in part.splitlines())
    assert sql.rstrip().endswith(mdb.MARKETING_SELECT.splitlines()[-1])
    assert mdb.RFM_WINDOW_SQL == "date(:as_of, '-364 days')"  # the course's rule, 365 days


def test_each_part_alone_gives_one_row_per_customer(ds, marketing):
    params = mdb.marketing_sql_params(ds)
    table = marketing.set_index("customer_id")
    for name, part in mdb.MARKETING_PARTS.items():
        rows = ds.sql(part, params)
        assert rows["customer_id"].is_unique, name
        values = rows.set_index("customer_id")
        for column in values.columns:
            mine = table.loc[values.index, column]
            if column.endswith("_purchase"):
                mine = mine.dt.strftime("%Y-%m-%d")
            if pd.api.types.is_float_dtype(mine):
                np.testing.assert_allclose(values[column], mine, rtol=1e-9, err_msg=column)
            else:
                np.testing.assert_array_equal(values[column], mine.to_numpy(), column)


# ---------------------------------------------------------------- what each campaign earned


@pytest.fixture(scope="module")
def spend(ds):
    return mdb.campaign_spend(ds)


@pytest.fixture(scope="module")
def profit(ds):
    return mdb.campaign_profit(ds)


def test_campaign_spend_has_every_eligible_customer_once(ds, spend):
    contacts = ds["campaign_contacts"]
    assert len(spend) == len(contacts)
    assert not spend.duplicated(["campaign_id", "customer_id"]).any()
    assert (spend["store_brand_spend"] <= spend["spend"] + 1e-9).all()
    control = spend[spend["test_group"] == "control"]
    assert (control["coupon_discount"] == 0).all()  # the held out got no coupon
    responders = spend[spend["responded"]]
    assert (responders["spend"] > 0).all()  # a response is a purchase in the window


def test_campaign_spend_by_hand_in_sql(ds, spend):
    """One campaign's spend and the customers who bought before, counted again in SQL."""
    campaign = ds["campaigns"].iloc[-1]
    query = """
        SELECT t.customer_id,
               SUM(CASE WHEN date(t.timestamp) BETWEEN c.launched_on
                          AND date(c.launched_on, '+' || (c.response_days - 1) || ' days')
                        THEN i.quantity * i.unit_price ELSE 0 END) AS spend,
               MAX(date(t.timestamp) < c.launched_on
                   AND date(t.timestamp) >= date(c.launched_on, '-180 days')) AS before
        FROM transactions AS t
        JOIN transaction_items AS i USING (transaction_id)
        JOIN products AS p USING (product_id)
        JOIN campaigns AS c ON c.category = p.category
        WHERE c.campaign_id = :id
        GROUP BY t.customer_id
    """
    by_sql = ds.sql(query, {"id": int(campaign["campaign_id"])}).set_index("customer_id")
    mine = spend[spend["campaign_id"] == campaign["campaign_id"]].set_index("customer_id")
    by_sql = by_sql.reindex(mine.index, fill_value=0)
    np.testing.assert_allclose(mine["spend"], by_sql["spend"], atol=1e-9)
    assert (mine["bought_before"] == by_sql["before"].astype(bool)).all()


def test_campaign_profit_adds_up(ds, spend, profit):
    campaigns = ds["campaigns"]
    assert (
        profit["campaign_id"].tolist()
        == campaigns.sort_values("launched_on")["campaign_id"].tolist()
    )
    rows = profit.set_index("campaign_id")
    groups = spend.groupby(["campaign_id", "test_group"]).size().unstack()
    assert (rows["contacted"] == groups["treatment"]).all()
    assert (rows["held_out"] == groups["control"]).all()
    coupons = ds["coupon_redemptions"].groupby("campaign_id")["discount"].sum()
    np.testing.assert_allclose(rows["coupon_cost"], coupons.reindex(rows.index, fill_value=0))
    costs = mdb.CONTACT_COST[ds.currency]
    np.testing.assert_allclose(rows["contact_cost"], rows["channel"].map(costs) * rows["contacted"])
    means = spend.groupby(["campaign_id", "test_group"])["spend"].mean().unstack()
    incremental = (means["treatment"] - means["control"]) * rows["contacted"]
    np.testing.assert_allclose(rows["incremental_margin"], mdb.GROSS_MARGIN * incremental)
    net = rows["incremental_margin"] - rows["coupon_cost"] - rows["contact_cost"]
    np.testing.assert_allclose(rows["net_margin"], net)
    assert ((rows["net_low"] < rows["net_margin"]) & (rows["net_margin"] < rows["net_high"])).all()


def test_campaign_profit_takes_other_assumptions(ds, profit):
    free = dict.fromkeys(("mail", "email", "sms", "phone"), 0.0)
    free = mdb.campaign_profit(ds, margin=0.5, contact_cost=free)
    assert (free["contact_cost"] == 0).all()
    np.testing.assert_allclose(free["incremental_margin"], 2 * profit["incremental_margin"])


def test_every_currency_has_a_contact_cost_for_every_channel(ds):
    from generator import locales

    channels = set(ds["campaigns"]["channel"].cat.categories)
    for locale in ("en_US", "zh_CN"):
        costs = mdb.CONTACT_COST[locales.get(locale).currency]
        assert set(costs) >= channels and all(cost >= 0 for cost in costs.values())


def test_one_verdict_per_campaign_with_its_numbers(ds, profit):
    verdicts = mdb.campaign_verdicts(profit, ds.currency)
    assert len(verdicts) == len(profit)
    for sentence, row in zip(verdicts, profit.itertuples(index=False), strict=True):
        assert sentence.startswith(row.name)
        assert f"net {row.net_margin:,.0f} {ds.currency}" in sentence
        assert ("a loss even" in sentence) == (row.net_high < 0)
        assert ("a gain even" in sentence) == (row.net_low > 0)
    gain = profit.iloc[:1].assign(net_low=1.0, net_high=2.0, net_margin=1.5)
    unclear = profit.iloc[:1].assign(net_low=-1.0, net_high=2.0, net_margin=0.5)
    assert "a gain even" in mdb.campaign_verdicts(gain, "USD")[0]
    assert "cannot tell" in mdb.campaign_verdicts(unclear, "USD")[0]


# ---------------------------------------------------------------- complaints and a partner's report


def test_after_complaints_by_hand(ds):
    after = mdb.after_complaints(ds, days=90)
    complaints = ds["complaints"]
    cutoff = ds.as_of - pd.Timedelta(days=90)
    assert len(after) == (complaints["received_on"] <= cutoff).sum()
    receipts = ds["transactions"].assign(day=lambda f: f["timestamp"].dt.normalize())
    for row in after.sample(20, random_state=1).itertuples():
        mine = receipts[receipts["customer_id"] == row.customer_id]
        offset = (mine["day"] - row.received_on).dt.days
        assert row.bought_after == offset.between(1, 90).any()
        assert row.spend_after == pytest.approx(mine.loc[offset.between(1, 90), "total"].sum())
        assert row.spend_before == pytest.approx(mine.loc[offset.between(-90, -1), "total"].sum())


def test_difference_of_shares():
    yes = pd.Series([True] * 80 + [False] * 20)
    no = pd.Series([True] * 50 + [False] * 50)
    difference, low, high = mdb.difference_of_shares(yes, no)
    assert difference == pytest.approx(0.3)
    error = (0.8 * 0.2 / 100 + 0.5 * 0.5 / 100) ** 0.5
    assert (low, high) == pytest.approx((0.3 - 1.959964 * error, 0.3 + 1.959964 * error))


def test_brand_usage_puts_each_buyer_in_one_of_nine_groups(ds):
    buyers = mdb.brand_usage(ds, "pain_reliever", days=365)
    assert buyers["customer_id"].is_unique
    assert buyers["brand"].notna().all() and buyers["usage"].notna().all()
    store = buyers["store_brand_packs"]
    assert (
        buyers.loc[buyers["brand"] == "store brand", "packs"]
        == store[buyers["brand"] == "store brand"]
    ).all()
    assert (store[buyers["brand"] == "national brand"] == 0).all()
    switchers = buyers[buyers["brand"] == "switcher"]
    assert (
        (switchers["store_brand_packs"] > 0) & (switchers["store_brand_packs"] < switchers["packs"])
    ).all()
    # usage: thirds by packs, and a heavier group never buys fewer packs than a lighter one
    thirds = buyers["usage"].value_counts(normalize=True)
    assert (thirds.between(0.2, 0.45)).all()
    ranges = buyers.groupby("usage", observed=True)["packs"].agg(["min", "max"])
    assert (ranges["max"].iloc[:-1].to_numpy() <= ranges["min"].iloc[1:].to_numpy()).all()
    # the buyers are the category's buyers in the window
    items = ds["transaction_items"].merge(ds["products"], on="product_id")
    receipts = ds["transactions"]
    recent = receipts[periods.in_window(receipts["timestamp"], ds.as_of, 365)]
    lines = items[items["category"] == "pain_reliever"].merge(recent, on="transaction_id")
    assert set(buyers["customer_id"]) == set(lines["customer_id"])
    assert buyers["packs"].sum() == lines["quantity"].sum()
