"""The automaker's database: integrity, and the lessons it must teach, on three builds.

The default dataset (committed under datasets/) and the run's other builds: another seed, and zh_CN.
"""

import sqlite3

import numpy as np
import pandas as pd
import pytest

from generator.industries.auto import SPEC

from conftest import BUILDS, assert_database_intact, course_data, empty_database

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

VIN_VALUES = dict(zip("0123456789", range(10), strict=True)) | dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9],
        strict=True,
    )
)
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


@pytest.fixture(scope="module", params=BUILDS)
def data(request, other_data_builds, tmp_path_factory):
    return course_data("auto", request.param, other_data_builds, tmp_path_factory)


@pytest.fixture(scope="module")
def first_leads(data):
    """Leads of new prospects (not owners coming back), with what became of them."""
    leads = data["leads"]
    leads = leads[~leads.existing_owner]
    return leads.assign(
        test_drive=leads.lead_id.isin(data["test_drives"].lead_id),
        sale=leads.lead_id.isin(data["sales"].lead_id),
    )


# ---------------------------------------------------------------- integrity


def test_sqlite_keys_and_constraints_hold(data):
    assert_database_intact(data)


def test_the_database_refuses_a_bad_row(data, tmp_path):
    db = empty_database(data, tmp_path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO dealers VALUES (1, 'x', 'y', 'z', '31/12/2024', 10)")
    with pytest.raises(sqlite3.IntegrityError):  # no such customer
        db.execute("INSERT INTO surveys VALUES (1, 99, 1, 'service', '2024-01-01', 9)")
    db.execute("INSERT INTO dealers VALUES (1, 'x', 'y', 'z', '2020-01-01', 10)")
    with pytest.raises(sqlite3.IntegrityError):  # a score out of range
        db.execute("INSERT INTO surveys VALUES (1, NULL, 1, 'service', '2024-01-01', 11)")


def test_no_activity_outside_each_customers_life(data):
    customers = data["customers"].set_index("customer_id")
    stopped = data.truth("customer_truth").set_index("customer_id").stopped_on
    dated = {
        "leads": "created_on",
        "lead_followups": "contacted_on",
        "test_drives": "driven_on",
        "sales": "sold_on",
        "service_visits": "visited_on",
        "surveys": "answered_on",
        "campaign_contacts": "sent_on",
        "web_page_views": "viewed_at",
    }
    for table, column in dated.items():
        frame = data[table].dropna(subset=[column])
        day, who = frame[column].dt.normalize(), frame.customer_id
        assert (day >= who.map(customers.registered_on)).all(), table
        assert (day <= data.as_of).all(), table
        assert not (day >= who.map(stopped)).any(), table
    # only sales recorded from warranty cards predate the window, and they have no lead
    start = data.as_of - pd.DateOffset(years=3) + pd.Timedelta(days=1)
    for table, column in dated.items():
        if table != "sales":
            assert (data[table][column].dropna() >= start).all(), table
    early = data["sales"][data["sales"].sold_on < start]
    assert early.lead_id.isna().all()


def test_no_contact_on_a_refused_channel(data):
    customers = data["customers"].set_index("customer_id")
    for table in ("campaign_contacts", "lead_followups"):
        frame = data[table]
        consent = np.select(
            [frame.channel == c for c in ("mail", "email", "sms", "phone")],
            [
                frame.customer_id.map(customers[f"consent_{c}"])
                for c in ("mail", "email", "sms", "phone")
            ],
            default=False,
        )
        assert len(frame) > 0 and consent.astype(bool).all(), table
    contacts = data["campaign_contacts"]
    treated = contacts.test_group == "treatment"
    assert contacts.sent_on[treated].notna().all() and contacts.sent_on[~treated].isna().all()


def test_prices_and_warranty_claims_are_consistent(data):
    sales = data["sales"]
    assert (sales.price <= sales.list_price).all() and (sales.price > 0.75 * sales.list_price).all()
    visits = data["service_visits"].set_index("visit_id")
    claims = data["warranty_claims"]
    claimed = visits.loc[claims.visit_id]
    assert (claimed.service_type == "repair").all() and claimed.warranty.all()
    assert (claimed.revenue == 0).all() and (claims.vin.to_numpy() == claimed.vin.to_numpy()).all()
    assert (visits.warranty.sum() == len(claims)) and len(claims) > 50


# ---------------------------------------------------------------- lessons


def _check_digit(vin: str) -> str:
    total = sum(VIN_VALUES[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=True)) % 11
    return "X" if total == 10 else str(total)


def test_vins_are_valid_and_unique(data):
    vins = data["vehicles"].vin
    assert vins.str.fullmatch(r"[A-HJ-NPR-Z0-9]{17}").all()  # no I, O or Q
    assert all(v[8] == _check_digit(v) for v in vins)
    assert vins.is_unique and data["sales"].vin.is_unique
    assert set(data["sales"].vin) == set(vins)
    wmi = "LMR" if data.manifest["parameters"]["locale"] == "zh_CN" else "1MR"
    assert vins.str.startswith(wmi).all()


def test_the_funnel_converts_differently_by_lead_source(data, first_leads):
    rates = first_leads.groupby("source", observed=True)[["test_drive", "sale"]].mean()
    assert set(rates.index) == {"auto show", "website", "hotline", "referral", "walk-in"}
    assert first_leads.groupby("source", observed=True).size().min() >= 100
    # lead -> test drive -> sale narrows at each step
    assert (rates.sale < rates.test_drive).all() and (rates.test_drive < 0.8).all()
    assert 0.1 <= first_leads.sale.mean() <= 0.35
    # walk-ins and referrals close far better than web leads
    assert rates.sale["walk-in"] >= 1.8 * rates.sale["website"]
    assert rates.sale["referral"] >= 1.8 * rates.sale["website"]
    drove = first_leads[first_leads.test_drive]
    assert drove.sale.mean() >= 4 * first_leads[~first_leads.test_drive].sale.mean()
    # the steps come in order
    steps = first_leads.merge(data["test_drives"][["lead_id", "driven_on"]], on="lead_id")
    assert (steps.driven_on >= steps.created_on).all()
    sold = first_leads.merge(data["sales"][["lead_id", "sold_on"]], on="lead_id")
    assert (sold.sold_on >= sold.created_on).all()


def test_web_visits_show_purchase_intent(data, first_leads):
    """Pages seen in a lead's first two weeks predict its test drive: a lead score can learn."""
    views = data["web_page_views"].merge(first_leads[["customer_id", "lead_id", "created_on"]])
    early = views[
        (views.viewed_at >= views.created_on)
        & (views.viewed_at < views.created_on + pd.Timedelta(days=14))
    ]
    keen = early[early.page.isin(["configurator", "test-drive booking"])].lead_id.unique()
    drove = first_leads.set_index("lead_id").test_drive
    assert drove[drove.index.isin(keen)].mean() > 1.3 * drove[~drove.index.isin(keen)].mean()
    intent = data.truth("customer_truth").set_index("customer_id").purchase_intent
    seen = early.groupby("customer_id").size().reindex(first_leads.customer_id, fill_value=0)
    assert np.corrcoef(seen, intent.reindex(seen.index))[0, 1] > 0.3


def test_web_visits_are_well_formed(data):
    views = data["web_page_views"]
    assert views.page_view_id.is_monotonic_increasing
    visits = views.groupby("session_id")
    assert (visits.customer_id.nunique() == 1).all()
    assert (visits.viewed_at.diff().dropna() > pd.Timedelta(0)).all()  # pages in time order
    assert (visits.viewed_at.min().dt.date == visits.viewed_at.max().dt.date).all()
    # a customer's visits are numbered in the order they begin
    began = views.groupby(["customer_id", "session_id"]).viewed_at.min()
    assert (began.groupby(level="customer_id").diff().dropna() >= pd.Timedelta(0)).all()
    per_model = views.page.isin(["model", "configurator", "finance calculator"])
    assert views.model_id.notna().eq(per_model).all()
    # the owners' pages are opened by owners
    owners = views[views.page.isin(["owners area", "service booking"])]
    bought = data["sales"].groupby("customer_id").sold_on.min()
    assert (owners.viewed_at.dt.normalize() >= owners.customer_id.map(bought)).all()
    pages_per_visit = visits.size().mean()
    assert 2 <= pages_per_visit <= 5, pages_per_visit


def test_service_visits_follow_mileage_and_time(data):
    visits = data["service_visits"].sort_values(["vin", "visited_on"])
    assert (visits.groupby("vin").odometer_km.diff().dropna() > 0).all()
    service = SPEC["service"]
    routine = visits[visits.service_type != "repair"]
    days = routine.groupby("vin").visited_on.diff().dt.days
    km = routine.groupby("vin").odometer_km.diff()
    due = np.maximum(days / service["interval_days"], km / service["interval_km"]).dropna()
    assert 0.85 <= due.median() <= 1.2  # whichever of a year or 10,000 km comes first
    # high-mileage drivers come more often
    annual = data.truth("customer_truth").set_index("customer_id").annual_km
    driver = routine.customer_id.map(annual).loc[days.dropna().index]
    heavy = days.dropna()[driver > driver.quantile(0.75)].median()
    light = days.dropna()[driver < driver.quantile(0.25)].median()
    assert heavy < 0.8 * light


def test_no_service_visit_before_the_sale(data):
    visits = data["service_visits"].merge(
        data["sales"][["vin", "sold_on", "customer_id"]], on="vin"
    )
    assert len(visits) == len(data["service_visits"])
    assert (visits.visited_on >= visits.sold_on).all()
    assert (visits.customer_id_x == visits.customer_id_y).all()
    firsts = visits[visits.service_type == "first service"]
    wait = (firsts.visited_on - firsts.sold_on).dt.days  # at 6 months or 5,000 km
    assert wait.median() <= SPEC["service"]["first_days"] and wait.max() <= 400


def test_owners_replace_their_car_and_some_stay_with_the_brand(data):
    truth = data.truth("replacements")
    years = (truth.replace_on - truth.sold_on).dt.days / 365.25
    assert 4.5 <= years.median() <= 7.5
    replaced = truth[truth.replaced]
    assert len(replaced) >= 300
    assert 0.35 <= replaced.same_brand.mean() <= 0.75
    # the public data shows it: second sales of the brand, traded in years after the first
    sales = data["sales"].sort_values(["customer_id", "sold_on"])
    again = sales[sales.trade_in]
    assert len(again) == replaced.same_brand.sum()
    gap = again.sold_on.to_numpy() - sales.groupby("customer_id").sold_on.first()[again.customer_id]
    assert (gap.dt.days > 365).all() and 3 <= gap.dt.days.median() / 365.25 <= 8
    # those who left for another brand stop coming to the workshop
    gone = replaced[~replaced.same_brand].merge(data["service_visits"], on="vin")
    assert (gone.visited_on < gone.replace_on).all()


def test_a_control_group_measures_each_campaigns_true_uplift(data):
    contacts = data["campaign_contacts"]
    truth = data.truth("campaign_truth")
    assert contacts.campaign_id.nunique() == 4
    for campaign, group in contacts.groupby("campaign_id"):
        treated = group[group.test_group == "treatment"].responded.astype(float)
        control = group[group.test_group == "control"].responded.astype(float)
        difference = treated.mean() - control.mean()
        se = np.sqrt(treated.var() / len(treated) + control.var() / len(control))
        true = truth[truth.campaign_id == campaign].uplift.mean()
        assert abs(difference - true) <= 3 * se, campaign
        assert true > 0.05 and len(control) >= 80, campaign  # an effect a class can see


def test_trade_in_responses_are_sales(data):
    campaigns = data["campaigns"].set_index("campaign_id")
    contacts = data["campaign_contacts"]
    trade = contacts[contacts.campaign_id.map(campaigns.kind) == "trade-in offer"]
    sales = data["sales"][data["sales"].trade_in]
    for campaign, group in trade.groupby("campaign_id"):
        start = campaigns.launched_on[campaign]
        end = start + pd.Timedelta(days=int(campaigns.response_days[campaign]) - 1)
        bought = sales[(sales.sold_on >= start) & (sales.sold_on <= end)].customer_id
        assert (group.customer_id.isin(bought) == group.responded).all(), campaign


# ---------------------------------------------------------------- locale


def test_names_fit_the_locale(data):
    customers = data["customers"]
    if data.manifest["parameters"]["locale"] == "zh_CN":
        assert customers.family_name.str.fullmatch(r"[\u4e00-\u9fff]{1,2}").all()
        assert (customers.region == "广东省").all()
        assert data["dealers"].name.str.contains(r"[\u4e00-\u9fff]").all()
        assert data["models"].model.str.contains(r"[\u4e00-\u9fff]").all()
        assert data["models"].list_price.min() > 100_000  # yuan
    else:
        assert (customers.region == "TX").all()
        assert data["models"].list_price.between(15_000, 80_000).all()  # dollars
    assert customers.email.dropna().str.fullmatch(r"[^@\s]+@example\.(com|net|org)").all()


def test_loaded_tables_have_proper_types(data):
    assert data["sales"].sold_on.dtype.kind == "M" and data["leads"].created_on.dtype.kind == "M"
    assert isinstance(data["leads"].source.dtype, pd.CategoricalDtype)
    assert data["sales"].lead_id.dtype == "Int64" and data["sales"].trade_in.dtype == bool
    assert data["service_visits"].odometer_km.dtype == np.int64
    with pytest.raises(KeyError, match="ground truth"):
        data["replacements"]


def test_each_channel_brings_its_own_completeness(data):
    customers = data["customers"]
    shares = customers["email"].notna().groupby(customers["acquisition_source"], observed=True)
    planned = pd.Series(SPEC["population"]["email_share"])
    measured = shares.mean().reindex(planned.index)
    counts = shares.size().reindex(planned.index)
    # within four standard errors of the planned share, for every channel with customers
    error = np.sqrt(planned * (1 - planned) / counts)
    assert ((measured - planned).abs() <= 4 * error + 1e-9)[counts > 0].all()


def test_channel_spend_follows_the_plan_and_scales_with_the_customers(data, tmp_path):
    import generator

    spend = data["channel_spend"]
    assert set(spend["channel"].astype(str)) == set(SPEC["acquisition"]["cost"]["en_US"])
    assert (spend["spend"] > 0).all() and not spend.duplicated(["month", "channel"]).any()
    parameters = data.manifest["parameters"]
    twice = dict(
        seed=parameters["seed"],
        locale=parameters["locale"],
        as_of=parameters["as_of"],
        years=parameters["years"],
        customers=2 * parameters["customers"],
    )
    generator.build("auto", tmp_path, **twice)
    doubled = generator.load("auto", tmp_path)["channel_spend"]
    # a reference table: the same months and noise, twice the planned customers
    assert np.allclose(doubled["spend"], 2 * spend["spend"], atol=0.011)
