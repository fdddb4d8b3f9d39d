"""The retail database: integrity, and the lessons it must teach, on three builds.

The default dataset (committed under datasets/) and the run's other builds: another seed, and zh_CN.
"""

import sqlite3

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import BUILDS, assert_database_intact, course_data, empty_database

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module", params=BUILDS)
def data(request, other_data_builds, tmp_path_factory):
    return course_data("retail", request.param, other_data_builds, tmp_path_factory)


@pytest.fixture(scope="module")
def frames(data):
    t = data["transactions"]
    items = data["transaction_items"].merge(
        data["products"][["product_id", "category", "store_brand"]], on="product_id"
    )
    items = items.merge(t[["transaction_id", "customer_id", "timestamp"]], on="transaction_id")
    return t, items


# ---------------------------------------------------------------- integrity


def test_sqlite_keys_and_constraints_hold(data):
    assert_database_intact(data)


def test_the_database_refuses_a_bad_row(data, tmp_path):
    db = empty_database(data, tmp_path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO stores VALUES (1, 'x', 'y', 'z', '31/12/2024', 100)")
    with pytest.raises(sqlite3.IntegrityError):  # no such customer
        db.execute(
            "INSERT INTO transactions VALUES (1, 99, 1, '2024-01-01 10:00:00', 'store', 1.0)"
        )


def test_items_add_up_to_their_receipt(data):
    items = data["transaction_items"]
    assert (np.round(items.quantity * items.unit_price - items.discount, 2) == items.amount).all()
    cents = (items.amount * 100).round().groupby(items.transaction_id).sum()
    totals = (data["transactions"].set_index("transaction_id").total * 100).round()
    assert (cents.reindex(totals.index) == totals).all()


def test_receipts_look_like_real_baskets(data):
    items = data["transaction_items"]
    # one line a product (a coupon's line stands apart from the same product bought anyway)
    assert items.duplicated(["transaction_id", "product_id"]).mean() < 0.001
    lines = items.groupby("transaction_id").size()
    assert lines.max() <= 40 and 2 <= lines.mean() <= 8


def test_no_activity_outside_each_customers_life(data, frames):
    t, _ = frames
    customers = data["customers"].set_index("customer_id")
    truth = data.truth("customer_truth").set_index("customer_id")
    assert (t.timestamp.dt.normalize() >= t.customer_id.map(customers.registered_on)).all()
    assert (t.timestamp < data.as_of + pd.Timedelta(days=1)).all()
    stopped = t.customer_id.map(truth.stopped_on)
    assert not (t.timestamp.dt.normalize() >= stopped).any()
    complaints = data["complaints"]
    assert (complaints.received_on >= complaints.customer_id.map(customers.registered_on)).all()


def test_no_contact_on_a_refused_channel(data):
    contacts = data["campaign_contacts"].merge(data["customers"], on="customer_id")
    consent = np.select(
        [contacts.channel == c for c in ("mail", "email", "sms", "phone")],
        [contacts[f"consent_{c}"] for c in ("mail", "email", "sms", "phone")],
    )
    assert consent.astype(bool).all()
    treated = contacts.test_group == "treatment"
    assert contacts.sent_on[treated].notna().all() and contacts.sent_on[~treated].isna().all()


def test_coupons_are_redeemed_only_by_the_treatment_group(data):
    redeemed = data["coupon_redemptions"].merge(
        data["campaign_contacts"], on=["campaign_id", "customer_id"]
    )
    assert len(redeemed) > 0 and (redeemed.test_group == "treatment").all()


def test_loyalty_balances_never_go_negative(data):
    points = data["loyalty_points"].sort_values(["transaction_id", "kind"])
    balance = points.groupby("customer_id").points.cumsum()
    assert (balance >= 0).all()


# ---------------------------------------------------------------- lessons


def test_the_top_fifth_brings_most_of_the_revenue(data, frames):
    t, _ = frames
    spend = (
        t.groupby("customer_id").total.sum().reindex(data["customers"].customer_id, fill_value=0)
    )
    top = spend.sort_values(ascending=False).iloc[: len(spend) // 5].sum() / spend.sum()
    assert 0.55 <= top <= 0.80


def test_some_customers_stop_buying(data, frames):
    t, _ = frames
    last = t.groupby("customer_id").timestamp.max().reindex(data["customers"].customer_id)
    lapsed = (last.isna() | (last < data.as_of - pd.DateOffset(months=6))).mean()
    assert 0.15 <= lapsed <= 0.50


def test_recency_predicts_the_future(data, frames):
    t, _ = frames
    split = data.as_of - pd.DateOffset(months=6)
    before, after = t[t.timestamp < split], t[t.timestamp >= split]
    recency = (split - before.groupby("customer_id").timestamp.max()).dt.days
    fifth = pd.qcut(recency.rank(method="first"), 5, labels=False)
    trips = after.groupby("customer_id").size().reindex(recency.index, fill_value=0)
    by_fifth = trips.groupby(fifth).mean()
    assert by_fifth.iloc[0] >= 3 * by_fifth.iloc[-1]


def test_weekends_and_the_holiday_season_are_busier(data, frames):
    t, _ = frames
    per_weekday = t.timestamp.dt.day_of_week.value_counts()
    assert per_weekday[[5, 6]].mean() > per_weekday[[0, 1, 2, 3]].mean() * 1.1
    days = t.timestamp.dt.normalize().value_counts()
    december = days[days.index.month == 12].mean()
    assert december > days[days.index.month.isin([1, 2, 3])].mean() * 1.1


def _baskets(items):
    return items.groupby(["transaction_id", "category"]).size().unstack(fill_value=0) > 0


def test_families_buy_nappies_and_baby_food_together(frames):
    _, items = frames
    basket = _baskets(items)
    both = (basket.nappies & basket.baby_food).mean()
    assert both / (basket.nappies.mean() * basket.baby_food.mean()) >= 2


def test_pet_owners_buy_pet_food(data, frames):
    t, items = frames
    basket = _baskets(items)
    owner = t.set_index("transaction_id").customer_id.map(
        data.truth("customer_truth").set_index("customer_id").pet_owner
    )
    pet_food = basket.pet_food.reindex(owner.index, fill_value=False)
    assert pet_food[owner].mean() / pet_food.mean() >= 3


def test_all_nine_pain_reliever_cells_are_populated(frames):
    _, items = frames
    pain = items[items.category == "pain_reliever"]
    share = pain.groupby("customer_id").store_brand.mean()
    brand = pd.cut(share, [-0.01, 0.2, 0.8, 1.0], labels=["national", "switcher", "store"])
    per_year = pain.groupby("customer_id").size()
    usage = pd.qcut(per_year.rank(method="first"), 3, labels=["light", "medium", "heavy"])
    cells = pd.crosstab(brand, usage)
    assert cells.shape == (3, 3) and (cells.to_numpy() >= 10).all()


@pytest.mark.parametrize(
    "category", ["coffee", "detergent", "toilet_paper", "nappies", "baby_food", "pet_food"]
)
def test_consumables_are_bought_on_their_cycle_seen_through_the_share_of_wallet(
    data, frames, category
):
    """A customer who buys a share s of a category here, on a cycle of c days, is seen buying
    it every c / s days on average (the rest is bought elsewhere): the planted cycle is what
    a student's estimate, corrected for the share, recovers."""
    _, items = frames
    bought = items[items.category == category].drop_duplicates(["customer_id", "timestamp"])
    bought = bought.sort_values(["customer_id", "timestamp"])
    gaps = bought.groupby("customer_id").timestamp.diff().dt.days
    purchases = bought.groupby("customer_id").timestamp.transform("size")
    mean_gap = gaps[purchases >= 6].groupby(bought.customer_id).mean()
    cycles = data.truth("purchase_cycles")
    cycle = cycles[cycles.category == category].set_index("customer_id").cycle_days
    wallet = data.truth("wallet")
    share = wallet[wallet.category == category].set_index("customer_id").share
    seen = mean_gap * share.reindex(mean_gap.index) / cycle.reindex(mean_gap.index)
    assert 0.8 <= seen.median() <= 1.3, seen.median()


def test_purchase_gaps_are_irregular_but_not_random(frames):
    """Erlang-2 gaps around each customer's cycle: a coefficient of variation between a
    clock's (0) and a Poisson process's (1), raised a little by spells away."""
    _, items = frames
    bought = items[items.category == "coffee"].drop_duplicates(["customer_id", "timestamp"])
    bought = bought.sort_values(["customer_id", "timestamp"])
    gaps = bought.groupby("customer_id").timestamp.diff().dt.days.dropna()
    many = gaps.groupby(bought.customer_id).transform("size") >= 8
    cv = gaps[many].groupby(bought.customer_id).agg(lambda g: g.std() / g.mean())
    assert 0.5 <= cv.median() <= 1.0, cv.median()


def test_some_lapsed_customers_come_back(data, frames):
    """Spells away end: customers who bought nothing for months buy again, as in real data."""
    t, _ = frames
    lapses = data.truth("lapses")
    back = lapses[lapses.returned_on.notna() & (lapses.returned_on <= data.as_of)]
    assert len(back) > 0.1 * len(data["customers"])
    after = t.merge(back, on="customer_id")
    after = after[after.timestamp >= after.returned_on]
    assert after.customer_id.nunique() > 0.5 * back.customer_id.nunique()
    # nobody shops while away, but for the few a campaign's offer brings back
    during = t.merge(lapses, on="customer_id")
    away = (during.timestamp >= during.lapsed_on) & (
        during.returned_on.isna() | (during.timestamp < during.returned_on)
    )
    assert away.sum() < 0.005 * len(t)


def test_share_of_wallet_is_what_the_chain_sees_of_the_need(data, frames):
    """The truth's need times share is what the chain sells a customer who buys all year."""
    t, items = frames
    year = items[items.timestamp > data.as_of - pd.DateOffset(years=1)]
    truth = data.truth("customer_truth").set_index("customer_id")
    steady = truth[truth.stopped_on.isna()].index
    lapses = data.truth("lapses")
    away = lapses[
        (lapses.lapsed_on <= data.as_of)
        & (lapses.returned_on.isna() | (lapses.returned_on > data.as_of - pd.DateOffset(years=1)))
    ].customer_id
    registered = data["customers"].set_index("customer_id").registered_on
    old = registered[registered < data.as_of - pd.DateOffset(years=1)].index
    steady = steady.difference(away).intersection(old)
    spend = (year.quantity * year.unit_price).groupby(year.customer_id).sum()
    wallet = data.truth("wallet")
    expected = (wallet.need_per_year * wallet.share).groupby(wallet.customer_id).sum()
    ratio = spend.reindex(steady, fill_value=0).sum() / expected.reindex(steady).sum()
    assert 0.75 <= ratio <= 1.25, ratio


def test_a_control_group_measures_each_campaigns_true_uplift(data):
    contacts = data["campaign_contacts"]
    truth = data.truth("campaign_truth")
    assert contacts.campaign_id.nunique() >= 4
    for campaign, group in contacts.groupby("campaign_id"):
        treated = group[group.test_group == "treatment"].responded.astype(float)
        control = group[group.test_group == "control"].responded.astype(float)
        difference = treated.mean() - control.mean()
        se = np.sqrt(treated.var() / len(treated) + control.var() / len(control))
        true = truth[truth.campaign_id == campaign].uplift.mean()
        assert abs(difference - true) <= 3 * se, campaign
        assert true > 0.05, campaign  # an effect a class can see


def test_latent_segments_differ_in_what_they_spend(data, frames):
    t, _ = frames
    spend = (
        t.groupby("customer_id").total.sum().reindex(data["customers"].customer_id, fill_value=0)
    )
    segment = data.truth("customer_truth").set_index("customer_id").segment
    by_segment = spend.groupby(segment, observed=True).median()
    assert by_segment["loyal big spenders"] > 2 * by_segment["occasional shoppers"]


# ---------------------------------------------------------------- locale


def test_names_addresses_and_phones_fit_the_locale(data):
    customers = data["customers"]
    if data.manifest["parameters"]["locale"] == "zh_CN":
        assert customers.family_name.str.fullmatch(r"[\u4e00-\u9fff]{1,2}").all()
        assert customers.region.str.endswith(("省", "市", "自治区")).all()
        assert customers.city.str.contains(r"[\u4e00-\u9fff]").all()
        assert customers.phone.str.fullmatch(r"14[0-4]\d{8}").all()
        assert customers.postcode.str.fullmatch(r"\d{6}").all()
    else:
        assert customers.phone.str.fullmatch(r"\(\d{3}\) 555-01\d\d").all()
        assert customers.postcode.str.fullmatch(r"\d{5}").all()
        assert (customers.region == "WI").all()
    assert customers.email.dropna().str.fullmatch(r"[^@\s]+@example\.(com|net|org)").all()


def test_loaded_tables_have_proper_types(data):
    t = data["transactions"]
    assert t.timestamp.dtype.kind == "M" and data["customers"].birth_date.dtype.kind == "M"
    assert isinstance(data["campaign_contacts"].test_group.dtype, pd.CategoricalDtype)
    assert data["customers"].consent_mail.dtype == bool
    with pytest.raises(KeyError, match="ground truth"):
        data["customer_truth"]


def test_chinese_phones_are_valid_in_form_and_nobodys():
    """zh_CN mobile numbers pass the usual check but come from 140-144, which hold only
    13-digit Internet-of-things numbers: no person has such an 11-digit number."""
    from course import building
    from generator import locales

    rng = np.random.default_rng(1)
    phones = pd.Series(locales.get("zh_CN").phones(rng, pa.array(["010"] * 2000)).to_pylist())
    assert phones.str.fullmatch(building.PHONE_RULES["zh_CN"]).all()
    assert phones.str[:3].isin(["140", "141", "142", "143", "144"]).all()
    assert phones.str[:3].nunique() == 5


def test_some_customers_are_below_zero_after_the_cost_to_serve(data, frames):
    """Gross margin minus what serving them costs (receipts, online orders, complaints): a few
    customers cost more than they bring, most of them online shoppers with small baskets."""
    t, items = frames
    year = data.as_of - pd.DateOffset(years=1)
    items = items[items.timestamp > year].merge(data["products"][["product_id", "unit_cost"]])
    margin = (items.amount - items.quantity * items.unit_cost).groupby(items.customer_id).sum()
    cost = data["service_costs"].set_index("activity").cost
    receipts = t[t.timestamp > year]
    online = receipts.channel == "online"
    serving = np.where(online, cost["online order"], cost["store receipt"])
    serve = pd.Series(serving, index=receipts.index).groupby(receipts.customer_id).sum()
    profit = margin.sub(serve, fill_value=0)
    below = profit[profit < 0].index
    assert 0.005 < len(below) / len(profit) < 0.15
    share_online = online.groupby(receipts.customer_id).mean()
    assert share_online[below].mean() > 3 * share_online.mean()
