"""Chapter 04's checks tell right from wrong on the default data: plausible answers, written the
way a student would write them (pandas, or SQL run on the chapter's PostgreSQL database), are
judged as they should be — the wrong ones refused (with the hint of their mistake where the check
names it), the right ones in another form, or written another way, accepted.

The SQL tasks are judged by what the SQL does (``Behaviour``): a GRANT with its columns in
another order, a policy written with EXISTS, a masked view written with ``substr`` or ``overlay``
are the same answer as the reference. Each SQL answer costs a fresh copy of the database (under a
second), so the lists below are the likely answers, not every spelling.

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import pandas as pd
import pytest

from course import access, channels
from course.checks import ch04

from conftest import accepted, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def ds():
    return ch04.data()


@pytest.fixture(scope="module")
def db():
    """A copy of the chapter's database, for the queries a student runs (read only here)."""
    with access.scratch() as database:
        yield database


@pytest.fixture(scope="module")
def cohort(ds):
    """The pieces a student computes first: the cohort's end, its spend, its leads."""
    spend, leads = ds["channel_spend"], ds["leads"]
    end = channels.cohort_end(ds.as_of)
    in_cohort = leads["created_on"].between(spend["month"].min(), end)
    return {
        "end": end,
        "spend": spend[spend["month"] <= end].groupby("channel", observed=True)["spend"].sum(),
        "leads": leads[in_cohort],
        "first": leads[in_cohort & ~leads["existing_owner"]],
    }


def per_channel(values: pd.Series, name: str) -> pd.DataFrame:
    """A groupby result as the task asks for it, the channel as text."""
    frame = values.rename_axis("channel").rename(name).reset_index()
    return frame.astype({"channel": str})


# ---------------------------------------------------------------- task 1: cost per customer


def test_cost_per_customer(ds, cohort, capsys):
    spend, first = cohort["spend"], cohort["first"]
    new = first.groupby("source", observed=True)["customer_id"].nunique()
    right = per_channel(spend / new, "cost_per_customer")
    assert accepted(ch04.cost_per_customer, right, capsys)
    lesson = channels.lead_channels(ds)
    assert accepted(ch04.cost_per_customer, lesson[["cost_per_customer"]], capsys)
    assert accepted(ch04.cost_per_customer, lesson.reset_index(), capsys)  # extra columns
    merged = first.groupby("source", observed=True).size().rename("new").reset_index()
    merged = merged.merge(spend.reset_index(), left_on="source", right_on="channel")
    merged["cost_per_customer"] = merged["spend"] / merged["new"]
    assert accepted(ch04.cost_per_customer, merged.astype({"channel": str}), capsys)
    # Cannot tell: nobody has two first leads, so counting the first leads (not distinct
    # customers) gives the same numbers; and no lead came in on the cohort's last day, so
    # `created_on < end` gives them too. Neither is a named mistake for that reason.
    assert first["customer_id"].is_unique
    assert not (first["created_on"] == cohort["end"]).any()
    counted = first.groupby("source", observed=True).size()
    assert accepted(
        ch04.cost_per_customer, per_channel(spend / counted, "cost_per_customer"), capsys
    )

    every = cohort["leads"].groupby("source", observed=True).size()
    assert "cost per lead" in refused(
        ch04.cost_per_customer, per_channel(spend / every, "cost_per_customer")
    )
    leads = ds["leads"]
    window = leads[~leads["existing_owner"]].groupby("source", observed=True)["customer_id"]
    assert "same months" in refused(
        ch04.cost_per_customer, per_channel(spend / window.nunique(), "cost_per_customer")
    )
    all_spend = ds["channel_spend"].groupby("channel", observed=True)["spend"].sum()
    assert "every month" in refused(
        ch04.cost_per_customer, per_channel(all_spend / new, "cost_per_customer")
    )
    # the spend per new customer of the whole window, both sides uncut: the general hint
    assert "For each channel" in refused(
        ch04.cost_per_customer, per_channel(all_spend / window.nunique(), "cost_per_customer")
    )
    per_year = per_channel(spend / new / 2, "cost_per_customer")  # "a year's" cost
    assert refused(ch04.cost_per_customer, per_year)
    assert "column" in refused(ch04.cost_per_customer, per_channel(spend / new, "cost"))
    assert refused(ch04.cost_per_customer, right.round(2))  # rounded


def test_a_groupby_on_the_categorical_channel_is_accepted(cohort, capsys):
    new = cohort["first"].groupby("source", observed=True)["customer_id"].nunique()
    answer = (cohort["spend"] / new).rename_axis("channel").rename("cost_per_customer")
    assert accepted(ch04.cost_per_customer, answer.reset_index(), capsys)


# ---------------------------------------------------------------- task 2: cost per sale


def test_cost_per_sale(ds, cohort, capsys):
    spend, first, sales = cohort["spend"], cohort["first"], ds["sales"]

    def buyers(leads, days=channels.FOLLOW_UP_DAYS, on="lead_id", strict=True):
        sold = leads.merge(sales[[on, "sold_on"]], on=on)
        elapsed = (sold["sold_on"] - sold["created_on"]).dt.days
        sold = sold[(elapsed < days) if strict else (elapsed <= days)]
        return sold.groupby("source", observed=True)["customer_id"].nunique()

    right = per_channel(spend / buyers(first), "cost_per_sale")
    assert accepted(ch04.cost_per_sale, right, capsys)
    assert accepted(ch04.cost_per_sale, channels.lead_channels(ds)[["cost_per_sale"]], capsys)
    # some buyers take more than a year: counting them makes the older leads look better
    assert "within a year" in refused(
        ch04.cost_per_sale, per_channel(spend / buyers(first, days=10**6), "cost_per_sale")
    )
    # Cannot tell: no sale came exactly 365 days after its lead, and a new customer's sales
    # within the year are those of their lead, so `<= 365`, or the sales matched on
    # `customer_id` instead of `lead_id`, give the same buyers on this data.
    assert accepted(
        ch04.cost_per_sale,
        per_channel(spend / buyers(first, strict=False), "cost_per_sale"),
        capsys,
    )
    assert accepted(
        ch04.cost_per_sale,
        per_channel(spend / buyers(first, on="customer_id"), "cost_per_sale"),
        capsys,
    )

    assert "Only new customers" in refused(
        ch04.cost_per_sale, per_channel(spend / buyers(cohort["leads"]), "cost_per_sale")
    )
    leads = ds["leads"]
    every_spend = ds["channel_spend"].groupby("channel", observed=True)["spend"].sum()
    every_buyer = buyers(leads[~leads["existing_owner"]])
    assert "Use the cohort" in refused(
        ch04.cost_per_sale, per_channel(every_spend / every_buyer, "cost_per_sale")
    )
    # the cost per new customer divided by the conversion is the same figure, said another way
    new = first.groupby("source", observed=True)["customer_id"].nunique()
    conversion = buyers(first) / new
    assert accepted(
        ch04.cost_per_sale, per_channel(spend / new / conversion, "cost_per_sale"), capsys
    )
    # the conversion itself, or the cost per new customer: not a cost per sale
    assert refused(ch04.cost_per_sale, per_channel(conversion, "cost_per_sale"))
    assert refused(ch04.cost_per_sale, per_channel(spend / new, "cost_per_sale"))
    # spend per car sold in the cohort's months, whoever bought it
    in_months = sales[sales["sold_on"].between(ds["channel_spend"]["month"].min(), cohort["end"])]
    cars = in_months.merge(leads[["lead_id", "source"]], on="lead_id")
    per_car = spend / cars.groupby("source", observed=True).size()
    assert refused(ch04.cost_per_sale, per_channel(per_car, "cost_per_sale"))


# ---------------------------------------------------------------- task 3: e-mail completeness


def test_email_completeness(ds, cohort, capsys):
    first, customers = cohort["first"], ds["customers"]
    with_email = first.merge(customers[["customer_id", "email"]], on="customer_id")
    has = with_email["email"].notna()
    right = per_channel(has.groupby(with_email["source"], observed=True).mean(), "email_share")
    assert accepted(ch04.email_completeness, right, capsys)
    assert accepted(ch04.email_completeness, channels.lead_channels(ds)[["email_share"]], capsys)
    counted = with_email.groupby("source", observed=True)["email"].count()
    sizes = with_email.groupby("source", observed=True).size()
    assert accepted(ch04.email_completeness, per_channel(counted / sizes, "email_share"), capsys)
    # the customers' own acquisition source and registration day name the same people here
    new = customers[
        customers["registered_on"].between(ds["channel_spend"]["month"].min(), cohort["end"])
        & customers["customer_id"].isin(first["customer_id"])
    ]
    by_source = new["email"].notna().groupby(new["acquisition_source"], observed=True).mean()
    assert accepted(ch04.email_completeness, per_channel(by_source, "email_share"), capsys)

    missing = with_email["email"].isna().groupby(with_email["source"], observed=True).mean()
    assert "*without*" in refused(ch04.email_completeness, per_channel(missing, "email_share"))
    known = customers[customers["acquisition_source"] != "warranty card"]
    everyone = known["email"].notna().groupby(known["acquisition_source"], observed=True).mean()
    assert "cohort" in refused(ch04.email_completeness, per_channel(everyone, "email_share"))
    percent = 100 * right.set_index("channel")["email_share"]
    assert refused(ch04.email_completeness, per_channel(percent, "email_share"))
    assert refused(ch04.email_completeness, per_channel(counted, "email_share"))  # a count
    # every lead of the cohort, owners coming back too
    owners = cohort["leads"].merge(customers[["customer_id", "email"]], on="customer_id")
    shares = owners["email"].notna().groupby(owners["source"], observed=True).mean()
    assert refused(ch04.email_completeness, per_channel(shares, "email_share"))


# ---------------------------------------------------------------- task 4: may we send an SMS?

LATEST = """
SELECT customer_id FROM (
    SELECT customer_id, granted,
           row_number() OVER (PARTITION BY customer_id
                              ORDER BY recorded_on DESC, entry_id DESC) AS latest
    FROM auto.consent_ledger
    WHERE channel = 'sms'
      AND recorded_on <= (SELECT as_of FROM access.as_of WHERE industry = 'auto')
) AS statements
WHERE latest = 1 AND granted
"""


def test_the_data_hold_withdrawals_of_sms_and_of_other_channels(ds):
    feed = ds["customer_updates"]
    withdrawn = feed[feed["kind"] == "consent_withdrawn"]
    agreed = ds["customers"].loc[ds["customers"]["consent_sms"], "customer_id"]
    sms = withdrawn["channel"] == "sms"
    assert withdrawn.loc[sms, "customer_id"].isin(agreed).any()
    assert withdrawn.loc[~sms, "customer_id"].isin(agreed).any()


def test_may_sms(ds, db, capsys):
    assert accepted(ch04.may_sms, db.sql(LATEST)["customer_id"].tolist(), capsys)
    assert accepted(ch04.may_sms, db.sql(LATEST)["customer_id"], capsys)
    distinct_on = """
        SELECT customer_id FROM (
            SELECT DISTINCT ON (customer_id) customer_id, granted FROM auto.consent_ledger
            WHERE channel = 'sms'
              AND recorded_on <= (SELECT as_of FROM access.as_of WHERE industry = 'auto')
            ORDER BY customer_id, recorded_on DESC, entry_id DESC
        ) AS latest WHERE granted
    """
    assert accepted(ch04.may_sms, db.sql(distinct_on)["customer_id"].tolist(), capsys)
    lesson = db.sql(access.may_contact_sql("auto", "sms"))["customer_id"]
    assert accepted(ch04.may_sms, lesson, capsys)
    not_withdrawn = """
        SELECT customer_id FROM auto.consent_ledger AS yes
        WHERE channel = 'sms' AND granted AND source = 'registration'
          AND NOT EXISTS (SELECT 1 FROM auto.consent_ledger AS no
                          WHERE no.customer_id = yes.customer_id AND no.channel = 'sms'
                            AND NOT no.granted)
    """
    assert accepted(ch04.may_sms, db.sql(not_withdrawn)["customer_id"].tolist(), capsys)
    customers, feed = ds["customers"], ds["customer_updates"]
    off = feed[(feed["kind"] == "consent_withdrawn") & (feed["channel"] == "sms")]
    off = off[off["reported_on"] <= ds.as_of]
    agreed = customers[customers["consent_sms"]]
    pandas = agreed.loc[~agreed["customer_id"].isin(off["customer_id"]), "customer_id"]
    assert accepted(ch04.may_sms, list(pandas), capsys)
    # Cannot tell: the update feed holds only what was reported by the as-of date, so
    # filtering the withdrawals by `changed_on`, or not at all, gives the same list.
    every_off = feed[(feed["kind"] == "consent_withdrawn") & (feed["channel"] == "sms")]
    assert accepted(
        ch04.may_sms,
        list(agreed.loc[~agreed["customer_id"].isin(every_off["customer_id"]), "customer_id"]),
        capsys,
    )

    assert "withdrawn since" in refused(ch04.may_sms, list(agreed["customer_id"]))
    any_yes = (
        "SELECT DISTINCT customer_id FROM auto.consent_ledger WHERE channel = 'sms' AND granted"
    )
    assert "withdrawn since" in refused(ch04.may_sms, db.sql(any_yes)["customer_id"].tolist())
    oldest = distinct_on.replace("recorded_on DESC, entry_id DESC", "recorded_on, entry_id")
    assert "withdrawn since" in refused(ch04.may_sms, db.sql(oldest)["customer_id"].tolist())
    any_withdrawal = """
        SELECT customer_id FROM auto.consent_ledger AS yes
        WHERE channel = 'sms' AND granted AND source = 'registration'
          AND NOT EXISTS (SELECT 1 FROM auto.consent_ledger AS no
                          WHERE no.customer_id = yes.customer_id
                            AND no.source <> 'registration')
    """
    assert "Only a withdrawal of SMS" in refused(
        ch04.may_sms, db.sql(any_withdrawal)["customer_id"].tolist()
    )
    latest_of_any = LATEST.replace("WHERE channel = 'sms'\n      AND", "WHERE")
    assert refused(ch04.may_sms, db.sql(latest_of_any)["customer_id"].tolist())
    repeated = (
        "SELECT customer_id FROM auto.consent_ledger WHERE granted AND customer_id IN ("
        + LATEST
        + ")"
    )
    assert "repeats" in refused(ch04.may_sms, db.sql(repeated)["customer_id"].tolist())
    assert "table" in refused(ch04.may_sms, db.sql(LATEST))
    assert refused(ch04.may_sms, db.sql(access.may_contact_sql("auto", "mail"))["customer_id"])


# ---------------------------------------------------------------- task 5: the analyst's GRANT

USAGE = "GRANT USAGE ON SCHEMA auto TO marketing_analyst;\n"
KEPT = [
    "customer_id",
    "gender",
    "household_type",
    "income_band",
    "city",
    "region",
    "postcode",
    "registered_on",
    "acquisition_source",
    "dealer_id",
    "consent_mail",
    "consent_email",
    "consent_sms",
    "consent_phone",
]


def grant_columns(columns, to="marketing_analyst") -> str:
    return f"GRANT SELECT ({', '.join(columns)}) ON auto.customers TO {to};"


def test_the_kept_columns_are_every_column_but_the_identifying_ones(ds):
    assert set(KEPT) == set(ds["customers"].columns) - set(ch04.IDENTIFYING)


def test_analyst_grant(ds, capsys):
    assert accepted(ch04.analyst_grant, USAGE + grant_columns(KEPT), capsys)
    assert accepted(ch04.analyst_grant, USAGE + grant_columns(sorted(KEPT)), capsys)
    computed = [
        c for c in ds["customers"].columns if c not in access.IDENTIFYING["auto"]["customers"]
    ]
    lower = (USAGE + grant_columns(computed)).lower().replace("on auto", "on table auto")
    assert accepted(ch04.analyst_grant, lower, capsys)
    split = USAGE + grant_columns(KEPT[:7]) + "\n" + grant_columns(KEPT[7:])
    assert accepted(ch04.analyst_grant, split, capsys)

    whole = USAGE + "GRANT SELECT ON auto.customers TO marketing_analyst;"
    assert "whole table" in refused(ch04.analyst_grant, whole)
    # taking columns back from a GRANT on the whole table does not work: it stays whole
    revoked = (
        whole
        + "\nREVOKE SELECT ("
        + ", ".join(ch04.IDENTIFYING)
        + ") ON auto.customers FROM marketing_analyst;"
    )
    assert "whole table" in refused(ch04.analyst_grant, revoked)
    assert "USAGE" in refused(ch04.analyst_grant, grant_columns(KEPT))
    assert "birth date" in refused(ch04.analyst_grant, USAGE + grant_columns([*KEPT, "birth_date"]))
    schema_wide = USAGE + "GRANT SELECT ON ALL TABLES IN SCHEMA auto TO marketing_analyst;"
    assert refused(ch04.analyst_grant, schema_wide)
    with_email = refused(ch04.analyst_grant, USAGE + grant_columns([*KEPT, "email"]))
    assert (
        "`SELECT email FROM auto.customers LIMIT 1` is allowed, but it should be refused"
        in with_email
    )
    without_city = refused(
        ch04.analyst_grant, USAGE + grant_columns([c for c in KEPT if c != "city"])
    )
    assert (
        "`SELECT city FROM auto.customers LIMIT 1` is refused, but it should be allowed"
        in without_city
    )
    assert "triple quotes" in refused(ch04.analyst_grant, KEPT)  # a list, not SQL


def test_sql_that_fails_is_told_why():
    typo = USAGE + grant_columns(KEPT).replace("auto.customers", "auto.customer")
    assert "does not exist" in refused(ch04.analyst_grant, typo)


def test_a_grant_to_everyone_is_refused():
    refused(ch04.analyst_grant, USAGE + grant_columns(KEPT, to="PUBLIC"))


# ---------------------------------------------------------------- task 6: the managers' policy

GRANT = (
    "GRANT USAGE ON SCHEMA auto TO dealer_manager;\nGRANT SELECT ON auto.leads TO dealer_manager;\n"
)
ENABLE = "ALTER TABLE auto.leads ENABLE ROW LEVEL SECURITY;\n"


def policy(using: str, rest: str = "FOR SELECT TO dealer_manager") -> str:
    return f"CREATE POLICY own_dealer ON auto.leads {rest} USING ({using});"


def test_the_data_hold_leads_of_every_dealer(ds):
    assert ds["leads"]["dealer_id"].nunique() == len(ds["dealers"]) > 1


def test_manager_policy(ds, capsys):
    mine = "dealer_id IN (SELECT access.my_areas())"
    assert accepted(ch04.manager_policy, GRANT + ENABLE + policy(mine), capsys)
    exists = "EXISTS (SELECT 1 FROM access.my_areas() AS area (id) WHERE area.id = dealer_id)"
    assert accepted(ch04.manager_policy, GRANT + ENABLE + policy(exists), capsys)
    aliased = "dealer_id IN (SELECT area.id FROM access.my_areas() AS area (id))"
    assert accepted(ch04.manager_policy, GRANT + ENABLE + policy(aliased), capsys)
    any_of = "dealer_id = ANY (ARRAY(SELECT access.my_areas()))"
    assert accepted(ch04.manager_policy, GRANT + ENABLE + policy(any_of), capsys)
    assert accepted(
        ch04.manager_policy, ENABLE + GRANT + policy(mine, rest="TO dealer_manager"), capsys
    )
    assert accepted(ch04.manager_policy, GRANT + ENABLE + policy(mine, rest="FOR ALL"), capsys)

    assert "until row-level security is enabled" in refused(
        ch04.manager_policy, GRANT + policy(mine)
    )
    assert "no policy" in refused(ch04.manager_policy, GRANT + ENABLE)
    assert "may not read it yet" in refused(ch04.manager_policy, ENABLE + policy(mine))
    hard_coded = refused(ch04.manager_policy, GRANT + ENABLE + policy("dealer_id = 1"))
    assert "should be exactly their dealer's leads" in hard_coded
    everyone = refused(ch04.manager_policy, GRANT + ENABLE + policy("true"))
    # the same effect as no row-level security at all, so the same hint
    assert "every manager still sees every lead" in everyone
    one_manager = GRANT + ENABLE + policy(mine, rest="FOR SELECT TO manager_dealer_1")
    assert "no lead, but it should be" in refused(ch04.manager_policy, one_manager)
    # a policy reads with the rights of the role that queries: one that reads the territories,
    # or joins the dealers, which the managers may not read, has every query refused. The check
    # sees only "refused", so it gives the hint of a missing GRANT (see the xfail below).
    territories = (
        "dealer_id IN (SELECT area_id FROM access.territories WHERE member = current_user)"
    )
    assert refused(ch04.manager_policy, GRANT + ENABLE + policy(territories))
    joined = (
        "dealer_id IN (SELECT d.dealer_id FROM auto.dealers AS d "
        "JOIN access.my_areas() AS area (id) ON area.id = d.dealer_id)"
    )
    assert refused(ch04.manager_policy, GRANT + ENABLE + policy(joined))


def test_a_policy_reading_the_territories_is_told_so():
    territories = (
        "dealer_id IN (SELECT area_id FROM access.territories WHERE member = current_user)"
    )
    hint = refused(ch04.manager_policy, GRANT + ENABLE + policy(territories))
    assert "grant USAGE on the schema and SELECT on the table" not in hint


# ---------------------------------------------------------------- task 7: the masked view

CALL_CENTRE = (
    "GRANT USAGE ON SCHEMA auto TO call_centre;\nGRANT SELECT ON auto.phones_masked TO call_centre;"
)
DIGITS = "regexp_replace(phone, '\\D', '', 'g')"


def view(phone: str, source: str = "auto.customers", options: str = "") -> str:
    return (
        f"CREATE VIEW auto.phones_masked {options}AS\n"
        f"SELECT customer_id, {phone} AS phone FROM {source};\n"
    )


def test_the_data_hold_phones_written_with_signs(ds):
    phones = ds["customers"]["phone"]
    assert phones.notna().all()  # every customer has a number to mask
    assert phones.str.contains(r"\D").any()  # brackets, spaces or dashes


def test_masked_view(capsys):
    right = view(f"left({DIGITS}, 3) || '****' || right({DIGITS}, 4)") + CALL_CENTRE
    assert accepted(ch04.masked_view, right, capsys)
    substr = f"substr({DIGITS}, 1, 3) || '****' || substr({DIGITS}, length({DIGITS}) - 3)"
    assert accepted(ch04.masked_view, view(substr) + CALL_CENTRE, capsys)
    overlay = f"overlay({DIGITS} placing '****' from 4 for length({DIGITS}) - 7)"
    assert accepted(ch04.masked_view, view(overlay) + CALL_CENTRE, capsys)
    digits_first = view(
        "left(d, 3) || '****' || right(d, 4)",
        source="(SELECT customer_id, regexp_replace(phone, '[^0-9]', '', 'g') AS d "
        "FROM auto.customers) AS c",
    )
    assert accepted(ch04.masked_view, digits_first + CALL_CENTRE, capsys)
    barrier = view(
        f"concat(left({DIGITS}, 3), '****', right({DIGITS}, 4))", options="WITH (security_barrier) "
    )
    assert accepted(ch04.masked_view, barrier + CALL_CENTRE, capsys)
    lesson = view(access.MASK_PHONE.format(column="phone"))
    assert accepted(ch04.masked_view, lesson + CALL_CENTRE, capsys)

    masked = view(f"left({DIGITS}, 3) || '****' || right({DIGITS}, 4)")
    assert "may not read the view yet" in refused(ch04.masked_view, masked)
    assert "whole number" in refused(ch04.masked_view, view("phone") + CALL_CENTRE)
    characters = view("left(phone, 3) || '****' || right(phone, 4)") + CALL_CENTRE
    assert "Count digits" in refused(ch04.masked_view, characters)
    table_too = right + "\nGRANT SELECT ON auto.customers TO call_centre;"
    assert "not the table" in refused(ch04.masked_view, table_too)
    # another mask, or some customers only: refused, but with the hint of the characters
    # mistake, which the check cannot tell from them (see the xfail below)
    three = view(f"left({DIGITS}, 3) || '****' || right({DIGITS}, 3)") + CALL_CENTRE
    assert refused(ch04.masked_view, three)
    some = view(
        f"left({DIGITS}, 3) || '****' || right({DIGITS}, 4)",
        source="auto.customers WHERE consent_phone",
    )
    assert refused(ch04.masked_view, some + CALL_CENTRE)
    named = view(f"left({DIGITS}, 3) || '****' || right({DIGITS}, 4)").replace(
        "phones_masked", "masked_phones"
    )
    assert refused(ch04.masked_view, named + CALL_CENTRE.replace("phones_masked", "masked_phones"))


# ---------------------------------------------------------------- task 8: the audit query

SELECT = "SELECT row_key, changed_by FROM audit.changes\n"
CUSTOMERS = "WHERE table_name = 'auto.customers'"


def test_the_scenario_changes_a_phone_as_two_roles():
    with access.scratch(("masked", "dpo")) as db:
        changed = access.audit_scenario(db)
        trail = db.sql("SELECT changed_by, table_name, operation, row_key FROM audit.changes")
    phones = trail[trail["table_name"] == "auto.customers"]
    assert set(phones["changed_by"]) == {"call_centre", "dpo"}  # only-one-role is a mistake
    assert str(changed["email"]) in set(phones["row_key"])  # a change that is not a phone
    assert (trail["table_name"] == "auto.consent_ledger").any()  # another table's changes


def test_audit_query(capsys):
    right = SELECT + CUSTOMERS + " AND operation = 'UPDATE' AND after ? 'phone'"
    assert accepted(ch04.audit_query, right, capsys)
    assert accepted(ch04.audit_query, right + "\nORDER BY change_id", capsys)
    exists = SELECT + CUSTOMERS + " AND operation = 'UPDATE' AND jsonb_exists(after, 'phone')"
    assert accepted(ch04.audit_query, exists, capsys)
    not_null = SELECT + CUSTOMERS + " AND operation = 'UPDATE' AND after ->> 'phone' IS NOT NULL"
    assert accepted(ch04.audit_query, not_null, capsys)
    keys = SELECT + CUSTOMERS + " AND 'phone' IN (SELECT jsonb_object_keys(after))"
    assert accepted(ch04.audit_query, keys, capsys)
    # Cannot tell: the scenario only updates customers (no INSERT or DELETE), and an UPDATE
    # keeps the same keys before and after: leaving out the operation, or reading `before`,
    # gives the same rows. Neither is a named mistake for that reason.
    assert accepted(ch04.audit_query, SELECT + CUSTOMERS + " AND after ? 'phone'", capsys)
    assert accepted(ch04.audit_query, SELECT + CUSTOMERS + " AND before ? 'phone'", capsys)

    assert "every change to customers" in refused(ch04.audit_query, SELECT + CUSTOMERS)
    assert "every change in the audit trail" in refused(ch04.audit_query, SELECT)
    call_centre = right + " AND changed_by = 'call_centre'"
    assert "erasure changed a phone number too" in refused(ch04.audit_query, call_centre)
    # values that are still phone numbers: the erased one is left out, as by the mistake above
    unerased = SELECT + CUSTOMERS + " AND after ->> 'phone' <> 'erased'"
    assert "erasure changed a phone number too" in refused(ch04.audit_query, unerased)
    everything = "SELECT * FROM audit.changes " + CUSTOMERS + " AND after ? 'phone'"
    # every column of the trail: the two asked for are there, the rest is ignored
    assert accepted(ch04.audit_query, everything, capsys)
    no_schema = SELECT + "WHERE table_name = 'customers' AND after ? 'phone'"
    assert "not what it should" in refused(ch04.audit_query, no_schema)
    # the names are not the officer's to read: refused
    names = (
        "SELECT a.row_key, c.family_name FROM audit.changes AS a JOIN auto.customers AS c "
        "ON c.customer_id::text = a.row_key " + CUSTOMERS.replace("table_name", "a.table_name")
    )
    assert "refused" in refused(ch04.audit_query, names)


def test_the_two_columns_in_either_order_are_accepted(capsys):
    swapped = "SELECT changed_by, row_key FROM audit.changes " + CUSTOMERS + " AND after ? 'phone'"
    assert accepted(ch04.audit_query, swapped, capsys)


def test_a_wrong_mask_is_not_told_to_count_digits():
    some = view(
        f"left({DIGITS}, 3) || '****' || right({DIGITS}, 4)",
        source="auto.customers WHERE consent_phone",
    )
    assert "Count digits" not in refused(ch04.masked_view, some + CALL_CENTRE)
