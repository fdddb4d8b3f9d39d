"""Checks for chapter 04, Acquiring customers, and controlling who sees them
(`from course.checks import ch04 as check`).

The figures are computed from the automaker's database that ``generator.load("auto")`` opens
(the folder named by ``GENERATOR_DATASETS``, if set), so they hold for a build of any seed or
locale. The tasks whose answer is SQL (a GRANT, a policy, a view, an audit query) are judged by
what the SQL does: the check runs it in a fresh copy of the chapter's PostgreSQL database
(:func:`course.access.scratch`), then connects as each role concerned and records what it is
allowed, refused or shown. Any SQL that behaves like the right one is right.
"""

from collections.abc import Callable
from functools import cache, partial

import pandas as pd

import generator
from course import access, channels
from course.checking import FAILED, Behaviour, Table, Values, task
from generator import postgres

#: The columns of ``auto.customers`` that identify a person.
IDENTIFYING = access.IDENTIFYING["auto"]["customers"]


@cache
def data():
    return generator.load("auto")


# ---------------------------------------------------------------- what a channel costs


def _cohort_leads(repeat: bool = False, cohort: bool = True) -> pd.DataFrame:
    ds = data()
    leads = ds["leads"]
    leads = leads[leads["existing_owner"] == repeat] if repeat is not None else leads
    if cohort:
        start = ds["channel_spend"]["month"].min()
        leads = leads[leads["created_on"].between(start, channels.cohort_end(ds.as_of))]
    return leads


def _spend(cohort: bool = True) -> pd.Series:
    spend = data()["channel_spend"]
    if cohort:
        return channels.spend_in_cohort(spend, data().as_of)
    return spend.groupby("channel", observed=True)["spend"].sum()


def _per_channel(values: pd.Series, name: str) -> pd.DataFrame:
    values.index = values.index.astype(str)
    return values.rename_axis("channel").rename(name).reset_index()


@task(
    Table(columns=("channel", "cost_per_customer")),
    hint="For each channel: its spend in the cohort's months (from the first month of "
    "`channel_spend` to `channels.cohort_end(auto.as_of)`) divided by the new customers it "
    "brought in over the same days (first leads: `existing_owner` is false).",
)
def cost_per_customer():
    new = _cohort_leads().groupby("source", observed=True)["customer_id"].nunique()
    every = _cohort_leads(repeat=None).groupby("source", observed=True).size()
    whole = _cohort_leads(cohort=False).groupby("source", observed=True)["customer_id"].nunique()
    return _per_channel(_spend() / new, "cost_per_customer"), {
        "That is the cost per lead: the channel's leads include owners coming back, who are "
        "already in the database. Count only new customers (first leads).": _per_channel(
            _spend() / every, "cost_per_customer"
        ),
        "The spend and the customers must cover the same months: you divided the spend of the "
        "cohort's months by the new customers of the whole window.": _per_channel(
            _spend() / whole, "cost_per_customer"
        ),
        "The spend and the customers must cover the same months: you divided the spend of "
        "every month by the new customers of the cohort.": _per_channel(
            _spend(cohort=False) / new, "cost_per_customer"
        ),
    }


def _buyers(cohort: bool = True, within: bool = True, repeat: bool | None = False) -> pd.Series:
    leads = _cohort_leads(repeat=repeat, cohort=cohort)
    sold = leads.merge(data()["sales"][["lead_id", "sold_on"]], on="lead_id")
    if within:
        sold = sold[(sold["sold_on"] - sold["created_on"]).dt.days < channels.FOLLOW_UP_DAYS]
    return sold.groupby("source", observed=True)["customer_id"].nunique()


@task(
    Table(columns=("channel", "cost_per_sale")),
    hint="For each channel: the spend in the cohort's months divided by the cohort's new "
    "customers (first leads) who bought a car within a year of their lead (a sale whose "
    "`lead_id` is theirs, `sold_on` less than 365 days after `created_on`).",
)
def cost_per_sale():
    return _per_channel(_spend() / _buyers(), "cost_per_sale"), {
        "Count a sale only if it came within a year of the lead: every lead of the cohort gets "
        "the same year to buy, or the older ones look better.": _per_channel(
            _spend() / _buyers(within=False), "cost_per_sale"
        ),
        "Use the cohort: the leads of the last year have not had a year to buy, and their "
        "spend has no sales yet to show for it.": _per_channel(
            _spend(cohort=False) / _buyers(cohort=False), "cost_per_sale"
        ),
        "Only new customers' first leads count: owners coming back to buy again are not what "
        "the acquisition spend bought.": _per_channel(
            _spend() / _buyers(repeat=None), "cost_per_sale"
        ),
    }


@task(
    Table(columns=("channel", "email_share")),
    hint="Take the cohort's new customers per channel (first leads in the cohort's months) and "
    "the share of them (between 0 and 1) whose `email` in `customers` is not empty.",
)
def email_completeness():
    ds = data()
    email = ds["customers"].set_index("customer_id")["email"]
    new = _cohort_leads()

    def share(leads, present=True):
        has = email.loc[leads["customer_id"]].notna().to_numpy()
        frame = leads.assign(has=has if present else ~has)
        return frame.groupby("source", observed=True)["has"].mean()

    customers = ds["customers"]
    window = customers[customers["acquisition_source"] != "warranty card"]
    by_source = window["email"].notna().groupby(window["acquisition_source"], observed=True)
    return _per_channel(share(new), "email_share"), {
        "That is the share of customers *without* an e-mail address; completeness is the share "
        "with one.": _per_channel(share(new, present=False), "email_share"),
        "That is every customer of each channel, not the cohort's: keep the new customers of "
        "the cohort's months.": _per_channel(by_source.mean(), "email_share"),
    }


# ---------------------------------------------------------------- consent


@task(
    Values(distinct=True),
    hint="Start from what each customer agreed to when they joined (`consent_sms`), and take "
    "out everyone whose SMS consent was withdrawn on or before the as-of date "
    "(`customer_updates`, kind `consent_withdrawn`, channel `sms`, by `reported_on`); or run "
    "the consent ledger's latest statement per customer.",
)
def may_sms():
    ds = data()
    customers, updates = ds["customers"], ds["customer_updates"]
    withdrawn = updates[
        (updates["kind"] == "consent_withdrawn") & (updates["reported_on"] <= ds.as_of)
    ]
    sms_off = withdrawn.loc[withdrawn["channel"] == "sms", "customer_id"]
    agreed = customers.loc[customers["consent_sms"], "customer_id"]
    right = agreed[~agreed.isin(sms_off)]
    return sorted(right), {
        "That is everyone who agreed when they joined: some have withdrawn since, and a "
        "withdrawn consent must never be used.": sorted(agreed),
        "Only a withdrawal of SMS consent matters here: you also took out people who withdrew "
        "another channel (mail, e-mail or phone) and may still get an SMS.": sorted(
            agreed[~agreed.isin(withdrawn["customer_id"])]
        ),
    }


# ---------------------------------------------------------------- control, by behaviour


def _outcome(result) -> str:
    return "refused" if isinstance(result, access.Refused) else "allowed"


def _refusal(result: access.Refused) -> str:
    """A refusal with the server's reason (which table or schema it would not open)."""
    return f"refused ({result})"


def _observe(sql: str, look: Callable[[access.Database], dict], steps=()) -> dict:
    """Apply ``sql`` (as the owner) to a fresh copy with ``steps`` in place, then ``look``."""
    import psycopg

    with access.scratch(steps) as db:
        try:
            db.execute(sql)
        except psycopg.Error as error:
            return {FAILED: postgres.reason(error)}
        return look(db)


def _analyst_look(db: access.Database) -> dict:
    queries = [f"SELECT {c} FROM auto.customers LIMIT 1" for c in data()["customers"].columns]
    queries.append("SELECT count(*) FROM auto.leads")
    seen = {
        f"connected as marketing_analyst, `{query}` is": _outcome(
            db.attempt(query, "marketing_analyst")
        )
        for query in queries
    }
    # the grant is the analyst's, not everyone's (PUBLIC)
    others = db.sql(
        "SELECT bool_or(has_column_privilege(rolname, 'auto.customers', 'region', 'SELECT')) "
        "AS any FROM pg_roles WHERE rolname IN ('agency', 'call_centre', 'dealer_manager')"
    )["any"].iloc[0]
    seen["another department's role (agency, call centre) may read the customers"] = (
        "yes" if others else "no"
    )
    return seen


@task(
    Behaviour(observe=cache(partial(_observe, look=_analyst_look))),
    hint="The role needs USAGE on the schema `auto` and SELECT on the columns of "
    "`auto.customers` that do not identify a person: every column but "
    + ", ".join(IDENTIFYING)
    + ".",
)
def analyst_grant():
    ds = data()
    kept = [c for c in ds["customers"].columns if c not in IDENTIFYING]
    usage = "GRANT USAGE ON SCHEMA auto TO marketing_analyst;\n"
    right = usage + f"GRANT SELECT ({', '.join(kept)}) ON auto.customers TO marketing_analyst;"
    with_birth = usage + (
        f"GRANT SELECT ({', '.join([*kept, 'birth_date'])}) ON auto.customers TO marketing_analyst;"
    )
    return right, {
        "A GRANT on the whole table gives every column, phone numbers and names too: list "
        "the columns the analyst may read.": usage
        + "GRANT SELECT ON auto.customers TO marketing_analyst;",
        "Without USAGE on the schema `auto`, the role cannot reach any table in it, whatever "
        "it was granted on the table.": right.removeprefix(usage),
        "The birth date is identifying too: with the postcode and gender it picks out most "
        "people. Leave it out.": with_birth,
        "Grant only what the task asks: the analyst now reads other tables as well.": right
        + "\nGRANT SELECT ON ALL TABLES IN SCHEMA auto TO marketing_analyst;",
    }


def _leads_seen(rows: set, own: set, every: set) -> str:
    if rows == own:
        return "exactly their dealer's leads"
    if rows == every:
        return "every lead"
    return "no lead" if not rows else "other leads than their dealer's"


def _managers_look(db: access.Database) -> dict:
    leads = db.sql("SELECT lead_id, dealer_id FROM auto.leads")
    seen = {}
    for dealer in sorted(leads["dealer_id"].unique()):
        role = f"{access.MANAGERS['auto'][1]}{dealer}"
        got = db.attempt("SELECT lead_id FROM auto.leads", role)
        own = set(leads.loc[leads["dealer_id"] == dealer, "lead_id"])
        outcome = (
            _refusal(got)
            if isinstance(got, access.Refused)
            else _leads_seen(set(got["lead_id"]), own, set(leads["lead_id"]))
        )
        seen[f"connected as {role}, `SELECT lead_id FROM auto.leads` gives"] = outcome
    return seen


@task(
    Behaviour(observe=cache(partial(_observe, look=_managers_look))),
    hint="Grant the group role `dealer_manager` USAGE on `auto` and SELECT on `auto.leads`, "
    "enable row-level security on the table and create a policy for `dealer_manager` that "
    "keeps the rows whose `dealer_id` is one of `access.my_areas()`.",
)
def manager_policy():
    grant = (
        "GRANT USAGE ON SCHEMA auto TO dealer_manager;\n"
        "GRANT SELECT ON auto.leads TO dealer_manager;\n"
    )
    enable = "ALTER TABLE auto.leads ENABLE ROW LEVEL SECURITY;\n"
    policy = (
        "CREATE POLICY own_dealer ON auto.leads FOR SELECT TO dealer_manager\n"
        "    USING (dealer_id IN (SELECT access.my_areas()));"
    )
    return grant + enable + policy, {
        "A policy does nothing until row-level security is enabled on the table "
        "(ALTER TABLE ... ENABLE ROW LEVEL SECURITY): every manager still sees every "
        "lead.": grant + policy,
        "Row-level security is on but no policy lets the managers see anything: with no "
        "policy for a role, it sees no row.": grant + enable,
        "Row-level security filters the rows of a table a role may read; the managers may "
        "not read it yet: grant USAGE on the schema and SELECT on the table.": enable + policy,
    }


def _phones(frame: pd.DataFrame) -> dict:
    return {int(k): str(v) for k, v in zip(frame["customer_id"], frame["phone"], strict=True)}


def _masked_look(db: access.Database) -> dict:
    query = "SELECT customer_id, phone FROM auto.phones_masked"
    got = db.attempt(query, "call_centre")
    if isinstance(got, access.Refused):
        outcome = "refused"
    else:
        phones = data()["customers"]
        masked = phones.assign(phone=phones["phone"].map(access.mask_phone))
        by_characters = phones.assign(phone=phones["phone"].map(lambda p: f"{p[:3]}****{p[-4:]}"))
        outcome = (
            "every customer's phone, masked as 138****1234"
            if _phones(got) == _phones(masked)
            else "the phones unmasked"
            if _phones(got) == _phones(phones)
            else "the phones' first three and last four characters"
            if _phones(got) == _phones(by_characters)
            else "phones, but not every customer's or not masked as 138****1234"
        )
    seen = {f"connected as call_centre, `{query}` gives": outcome}
    query = "SELECT phone FROM auto.customers LIMIT 1"
    seen[f"connected as call_centre, `{query}` is"] = _outcome(db.attempt(query, "call_centre"))
    return seen


@task(
    Behaviour(observe=cache(partial(_observe, look=_masked_look))),
    hint="Create the view `auto.phones_masked` with `customer_id` and `phone`, where phone is "
    "the number's first three digits, '****' and its last four (strip what is not a digit "
    "first: `regexp_replace(phone, '\\D', '', 'g')`); grant `call_centre` USAGE on `auto` and "
    "SELECT on the view only.",
)
def masked_view():
    digits = "regexp_replace(phone, '\\D', '', 'g')"
    view = (
        "CREATE VIEW auto.phones_masked AS\n"
        f"SELECT customer_id, left({digits}, 3) || '****' || right({digits}, 4) AS phone\n"
        "FROM auto.customers;\n"
    )
    grant = (
        "GRANT USAGE ON SCHEMA auto TO call_centre;\n"
        "GRANT SELECT ON auto.phones_masked TO call_centre;"
    )
    characters = view.replace(digits, "phone")
    return view + grant, {
        "The call centre may not read the view yet: grant it SELECT on the view (and USAGE on "
        "the schema).": view,
        "The view shows the whole number: mask its middle digits.": (
            "CREATE VIEW auto.phones_masked AS SELECT customer_id, phone FROM auto.customers;\n"
            + grant
        ),
        "Count digits, not characters: a number written with brackets, spaces or dashes "
        "keeps them in its first three and last four characters.": characters + grant,
        "The call centre should read the masked view, not the table: a GRANT on "
        "`auto.customers` lets it read every phone in full.": view
        + grant
        + "\nGRANT SELECT ON auto.customers TO call_centre;",
    }


@cache
def _audit_seen(sql: str) -> dict:
    with access.scratch(("masked", "dpo")) as db:
        access.audit_scenario(db)
        got = db.attempt(sql, "dpo")
    query = "your query, run as dpo,"
    if isinstance(got, access.Refused):
        return {query: f"refused ({got})"}
    missing = {"row_key", "changed_by"} - set(got.columns)
    if missing:
        return {query: f"gives no column(s) {', '.join(sorted(missing))}"}
    pairs = got[["row_key", "changed_by"]].astype(str).itertuples(index=False)
    rows = sorted(tuple(row) for row in pairs)
    return {query: f"gives the rows {rows}"}


@task(
    Behaviour(observe=_audit_seen, reveal=False),
    hint="Read `audit.changes` as the data protection officer: the UPDATEs of the table "
    "`auto.customers` whose `after` holds the key 'phone' (`after ? 'phone'`); select "
    "`row_key` and `changed_by`.",
)
def audit_query():
    select = "SELECT row_key, changed_by FROM audit.changes\n"
    right = (
        select + "WHERE table_name = 'auto.customers' AND operation = 'UPDATE' AND after ? 'phone'"
    )
    return right, {
        "That is every change to customers, not only those that changed a phone number: look "
        "at which columns `after` holds.": select + "WHERE table_name = 'auto.customers'",
        "That is every change in the audit trail, the consent ledger's too: keep the table "
        "`auto.customers`.": select,
        "The data protection officer's erasure changed a phone number too: it counts (the "
        "trail keeps that the column changed, though no longer the values).": right
        + " AND changed_by = 'call_centre'",
    }
