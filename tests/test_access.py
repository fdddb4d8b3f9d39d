"""Chapter 04's control, proved against the running server: each role connects and is allowed
what its work needs, and refused the rest (course.access), and the channel figures
(course.channels) add up."""

import pandas as pd
import pytest

import generator
from course import access, channels
from generator.builder import industry as industry_module

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

psycopg = pytest.importorskip("psycopg")


@pytest.fixture(scope="module")
def db():
    """The chapter's database with every rule in place."""
    with access.scratch(tuple(access.STEPS)) as made:
        yield made


@pytest.fixture(scope="module")
def auto():
    return generator.load("auto")


@pytest.fixture(scope="module")
def pharma():
    return generator.load("pharma")


def refused(result) -> bool:
    return isinstance(result, access.Refused)


# ---------------------------------------------------------------- roles and grants


def test_a_new_role_may_read_nothing():
    with access.scratch() as fresh:
        for role in ("marketing_analyst", "call_centre", "agency", "dpo", "manager_dealer_1"):
            assert refused(fresh.attempt("SELECT count(*) FROM auto.leads", role))


@pytest.mark.parametrize("column", access.IDENTIFYING["auto"]["customers"])
def test_an_analyst_cannot_read_what_identifies_a_customer(db, column):
    result = db.attempt(f"SELECT {column} FROM auto.customers LIMIT 1", "marketing_analyst")
    assert refused(result) and "permission denied" in result
    assert refused(db.attempt("SELECT * FROM auto.customers LIMIT 1", "marketing_analyst"))


def test_an_analyst_reads_what_an_analysis_needs(db, auto):
    got = db.sql(
        "SELECT acquisition_source, count(*) AS n FROM auto.customers GROUP BY 1",
        role="marketing_analyst",
    ).set_index("acquisition_source")["n"]
    expected = auto["customers"]["acquisition_source"].astype(str).value_counts()
    assert got.sort_index().tolist() == expected.sort_index().tolist()
    for table in ("leads", "sales", "channel_spend", "consent_ledger"):
        assert not refused(db.attempt(f"SELECT count(*) FROM auto.{table}", "marketing_analyst"))
    # the update feed, but not the addresses and phones in it
    assert refused(db.attempt("SELECT phone FROM auto.customer_updates", "marketing_analyst"))
    assert not refused(db.attempt("SELECT kind FROM auto.customer_updates", "marketing_analyst"))


def test_the_hidden_truth_is_no_role_s(db):
    for role in access.ROLES:
        if role in {m[0] for m in access.MANAGERS.values()}:
            continue
        assert refused(db.attempt("SELECT count(*) FROM auto_truth.customer_truth", role))


# ---------------------------------------------------------------- row-level security


def test_each_dealer_manager_sees_exactly_their_dealers_rows(db, auto):
    customers, leads = auto["customers"], auto["leads"]
    for dealer in sorted(customers["dealer_id"].unique()):
        role = f"manager_dealer_{dealer}"
        seen = db.sql("SELECT customer_id FROM auto.customers", role=role)["customer_id"]
        own = customers.loc[customers["dealer_id"] == dealer, "customer_id"]
        assert set(seen) == set(own)
        seen = db.sql("SELECT lead_id FROM auto.leads", role=role)["lead_id"]
        assert set(seen) == set(leads.loc[leads["dealer_id"] == dealer, "lead_id"])
        assert refused(db.attempt("SELECT count(*) FROM auto.sales", role))


def test_each_regional_manager_sees_exactly_their_regions_rows(db, pharma):
    hospitals, doctors, reps = pharma["hospitals"], pharma["doctors"], pharma["reps"]
    calls = pharma["detailing_calls"]
    for region in pharma["regions"]["region_id"]:
        role = f"manager_region_{region}"
        own_hospitals = hospitals.loc[hospitals["region_id"] == region, "hospital_id"]
        own_doctors = doctors.loc[doctors["hospital_id"].isin(own_hospitals), "doctor_id"]
        own_reps = reps.loc[reps["region_id"] == region, "rep_id"]
        seen = db.sql("SELECT doctor_id FROM pharma.doctors", role=role)["doctor_id"]
        assert set(seen) == set(own_doctors) and len(seen) > 0
        seen = db.sql("SELECT call_id FROM pharma.detailing_calls", role=role)["call_id"]
        assert set(seen) == set(calls.loc[calls["rep_id"].isin(own_reps), "call_id"])
        assert refused(db.attempt("SELECT count(*) FROM pharma.patients", role))


def test_row_level_security_leaves_the_other_roles_their_rows(db, auto):
    n = db.sql("SELECT count(*) AS n FROM auto.customers", role="marketing_analyst")["n"][0]
    assert n == len(auto["customers"])


# ---------------------------------------------------------------- masks and pseudonyms


def test_the_call_centre_sees_phones_masked_and_not_the_table(db, auto):
    shown = db.sql(
        "SELECT customer_id, phone FROM auto.customer_contacts_masked ORDER BY customer_id",
        role="call_centre",
    )
    customers = auto["customers"].sort_values("customer_id")
    assert shown["phone"].tolist() == customers["phone"].map(access.mask_phone).tolist()
    assert shown["phone"].str.fullmatch(r"\d{3}\*{4}\d{4}").all()
    assert refused(db.attempt("SELECT phone FROM auto.customers LIMIT 1", "call_centre"))


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("(972) 555-0145", "972****0145"),
        ("14012345678", "140****5678"),
    ],
)
def test_a_phone_is_masked_to_its_first_three_and_last_four_digits(phone, masked):
    assert access.mask_phone(phone) == masked


def test_analysts_see_patients_only_under_a_pseudonym(db, pharma):
    for table in ("patients", "patient_programme", "refills", "prescriptions", "reminders"):
        assert refused(db.attempt(f"SELECT count(*) FROM pharma.{table}", "marketing_analyst"))
    refs = db.sql("SELECT patient_ref FROM pharma.patients_for_analysis", role="marketing_analyst")
    assert refs["patient_ref"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert refs["patient_ref"].nunique() == len(pharma["patients"])
    joined = db.sql(
        "SELECT count(*) AS n FROM pharma.refills_for_analysis r "
        "JOIN pharma.patients_for_analysis p USING (patient_ref)",
        role="marketing_analyst",
    )["n"][0]
    assert joined == len(pharma["refills"])


def test_the_agency_gets_the_mailing_list_and_nothing_else(db, auto):
    got = db.sql("SELECT customer_id FROM auto.mailing_list", role="agency")["customer_id"]
    allowed = db.sql(access.may_contact_sql("auto", "mail"))["customer_id"]
    assert set(got) == set(allowed) and len(got) > 0
    assert refused(db.attempt("SELECT count(*) FROM auto.customers", "agency"))
    assert refused(db.attempt("SELECT phone FROM auto.mailing_list", "agency"))


# ---------------------------------------------------------------- consent


@pytest.mark.parametrize("industry", access.INDUSTRIES)
@pytest.mark.parametrize("channel", access.CHANNELS)
def test_a_withdrawn_consent_is_never_selected(db, industry, channel):
    ds = generator.load(industry)
    table, key = access.PEOPLE[industry]
    allowed = set(db.sql(access.may_contact_sql(industry, channel))[key])
    updates = ds["customer_updates"]
    withdrawn = updates[(updates["kind"] == "consent_withdrawn") & (updates["channel"] == channel)]
    assert len(withdrawn) > 0
    assert not allowed & set(withdrawn["customer_id"])
    people = ds[table]
    agreed = set(people.loc[people[f"consent_{channel}"], key])
    assert allowed == agreed - set(withdrawn["customer_id"])


def test_a_withdrawal_recorded_by_the_call_centre_counts_from_that_day():
    with access.scratch(("masked",)) as fresh:
        first = set(fresh.sql(access.may_contact_sql("auto", "sms"))["customer_id"])
        someone = min(first)
        fresh.execute(
            "INSERT INTO auto.consent_ledger (customer_id, channel, granted, recorded_on, source) "
            f"VALUES ({someone}, 'sms', false, {access.AS_OF.format(industry='auto')}, 'call')",
            role="call_centre",
        )
        after = set(fresh.sql(access.may_contact_sql("auto", "sms"))["customer_id"])
        assert after == first - {someone}
        day_before = "((SELECT as_of FROM access.as_of WHERE industry = 'auto') - 1)"
        before = set(fresh.sql(access.may_contact_sql("auto", "sms", day_before))["customer_id"])
        assert someone in before


# ---------------------------------------------------------------- audit, erasure


def test_an_update_is_audited_with_who_what_and_when():
    with access.scratch(("masked", "dpo")) as fresh:
        changed = access.audit_scenario(fresh)
        trail = fresh.sql(
            "SELECT changed_by, table_name, operation, row_key, before, after, "
            "changed_at IS NOT NULL AS dated FROM audit.changes ORDER BY change_id",
            role="dpo",
        )
        phone = trail[
            (trail["row_key"] == str(changed["phone"])) & (trail["operation"] == "UPDATE")
        ]
        assert phone["changed_by"].tolist() == ["call_centre"]
        assert set(phone["after"].iloc[0]) == {"phone"} and set(phone["before"].iloc[0]) == {
            "phone"
        }
        assert trail["dated"].all()
        ledger = trail[trail["table_name"] == "auto.consent_ledger"]
        assert {"call_centre", "dpo"} == set(ledger["changed_by"])
        # those whose changes are recorded can neither read nor rewrite the trail
        assert refused(fresh.attempt("SELECT count(*) FROM audit.changes", "call_centre"))
        assert refused(fresh.attempt("DELETE FROM audit.changes", "call_centre"))
        assert refused(fresh.attempt("DELETE FROM audit.changes", "dpo"))


def test_erasure_removes_the_person_and_keeps_the_history(auto):
    with access.scratch(("masked", "dpo")) as fresh:
        changed = access.audit_scenario(fresh)
        gone = changed["erased"]
        row = fresh.sql(f"SELECT * FROM auto.customers WHERE customer_id = {gone}").iloc[0]
        for column in ("given_name", "family_name", "address", "phone"):
            assert row[column] == "(erased)"
        assert row["email"] is None
        sales = fresh.sql(f"SELECT count(*) AS n FROM auto.sales WHERE customer_id = {gone}")
        assert sales["n"][0] == (auto["sales"]["customer_id"] == gone).sum()
        trail = fresh.sql(
            f"SELECT before, after FROM audit.changes WHERE row_key = '{gone}' "
            "AND table_name = 'auto.customers'"
        )
        values = {v for column in ("before", "after") for d in trail[column] for v in d.values()}
        assert values == {"erased"}
        assert gone not in set(fresh.sql(access.may_contact_sql("auto", "mail"))["customer_id"])
        hard = fresh.attempt(f"DELETE FROM auto.customers WHERE customer_id = {gone}", "postgres")
        assert refused(hard) and "foreign key" in hard


# ---------------------------------------------------------------- the channels' figures


def test_the_cohort_gives_every_customer_a_whole_year(auto):
    end = channels.cohort_end(auto.as_of)
    assert end.is_month_end
    assert (auto.as_of - end).days >= channels.FOLLOW_UP_DAYS - 1
    assert (auto.as_of - (end + pd.offsets.MonthEnd(1))).days < channels.FOLLOW_UP_DAYS - 1


def test_a_channels_cost_per_customer_is_near_its_plan(auto, pharma):
    for ds, table, column in (
        (auto, channels.lead_channels(auto), "cost_per_customer"),
        (pharma, channels.patient_channels(pharma), "cost_per_patient"),
    ):
        industry = ds.manifest["industry"]
        plan = pd.Series(industry_module(industry).spec["acquisition"]["cost"][ds.locale])
        ratio = table[column] / plan.reindex(table.index)
        assert ratio.between(0.6, 1.6).all(), ratio


def test_lead_channels_add_up(auto):
    table = channels.lead_channels(auto)
    spend = auto["channel_spend"]
    assert table["spend"].sum() == pytest.approx(
        spend.loc[spend["month"] <= channels.cohort_end(auto.as_of), "spend"].sum()
    )
    assert (table["buyers"] <= table["new_customers"]).all()
    assert table.loc["website", "email_share"] > table.loc["hotline", "email_share"]
    # walk-ins cost most per customer and buy most: per sale, the auto show is dearer
    assert table.loc["walk-in", "cost_per_customer"] > table.loc["auto show", "cost_per_customer"]
    assert table.loc["walk-in", "cost_per_sale"] < table.loc["auto show", "cost_per_sale"]


def test_capture_quality_counts_each_systems_records(auto):
    quality = channels.capture_quality(auto)
    assert set(quality.index) == {s["name"] for s in auto.systems}
    assert (
        quality[["phone_missing", "email_missing", "invalid", "duplicates"]]
        .stack()
        .between(0, 1)
        .all()
    )
