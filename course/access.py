"""Chapter 04's server side: the customer database in PostgreSQL, and who may see what.

SQLite has no users; a company's customer database has many, and each department should see
what its work needs and nothing more (客户数据库的控制). This module loads the automaker's and the
drug maker's databases into the kit's private PostgreSQL server (:mod:`generator.pgserver`)
and gives each department a role:

========================  ==========================================================
role                      what its work needs
========================  ==========================================================
``marketing_analyst``     every table to analyse, but no names, addresses, phones,
                          e-mails or birth dates; patients only under a pseudonym
``call_centre``           a customer's name with the phone and e-mail masked, to
                          recognise a caller; may correct contact details and record
                          a withdrawn consent
``dealer_manager``        the customers and leads of their own dealer (a group role:
                          each dealer's manager logs in as ``manager_dealer_<id>``)
``regional_manager``      the hospitals, doctors, reps and calls of their own sales
                          region (``manager_region_<id>``)
``dpo``                   the data protection officer: the audit trail and the consent
                          ledger, and erasure on request
``agency``                an outside mailing house: the mailing list of the customers
                          who agreed to mail, nothing else
========================  ==========================================================

:func:`open_database` makes a database with both industries loaded and the *base* in place:
the roles (which can log in, but may read nothing yet), each manager's territory, the
consent ledger and the audit trail. The rules themselves are :data:`STEPS`, SQL text applied
one at a time with :meth:`Database.apply`, which prints what it runs: the lesson grants them
step by step, and connecting as a role (:meth:`Database.attempt`) shows each one allow or refuse.
:func:`scratch` gives a fresh copy for checks and tests.

The server trusts local connections without a password (it listens on 127.0.0.1 only, for
teaching); a real server asks each role for one.
"""

from __future__ import annotations

import contextlib
import itertools
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

import generator
from generator import pgserver, postgres

INDUSTRIES = ("auto", "pharma")
CHANNELS = ("mail", "email", "sms", "phone")
SUPERUSER = pgserver.SUPERUSER
#: The build's as-of date in SQL (the day "now" means in every query of the chapter).
AS_OF = "(SELECT as_of FROM access.as_of WHERE industry = '{industry}')"

#: Each department's role and what its work needs.
ROLES = {
    "marketing_analyst": "analyses: every table, no direct identifiers, patients pseudonymised",
    "call_centre": "recognises a caller: names with masked phone and e-mail; corrects them",
    "dealer_manager": "a dealer's own customers and leads (members: manager_dealer_<id>)",
    "regional_manager": "a sales region's hospitals, doctors, reps and calls (manager_region_<id>)",
    "dpo": "the data protection officer: audit trail, consent ledger, erasure on request",
    "agency": "an outside mailing house: the mailing list of those who agreed to mail",
}
#: The group roles whose members are the managers, and what a member's territory is.
MANAGERS = {"auto": ("dealer_manager", "manager_dealer_", "dealers", "dealer_id")}
MANAGERS["pharma"] = ("regional_manager", "manager_region_", "regions", "region_id")

#: The people of each industry: table, key column.
PEOPLE = {"auto": ("customers", "customer_id"), "pharma": ("patients", "patient_id")}

#: Columns that identify a person, which an analysis does not need (data minimisation).
IDENTIFYING = {
    "auto": {
        "customers": ("given_name", "family_name", "birth_date", "address", "phone", "email"),
        "customer_updates": ("family_name", "address", "phone"),
    },
    "pharma": {"patients": ("birth_date", "postcode"), "patient_programme": ("mobile",)},
}
#: Tables about single patients: analysts see them only under a pseudonym (step "pseudonyms").
PATIENT_TABLES = (
    "patients",
    "patient_programme",
    "prescriptions",
    "refills",
    "reminders",
    "customer_updates",
    "consent_ledger",
)

#: How a phone number is shown to those who need to recognise it, not to dial it: its first
#: three and last four digits (13812341234 -> 138****1234).
MASK_PHONE = (
    "left(regexp_replace({column}, '\\D', '', 'g'), 3) || '****' || "
    "right(regexp_replace({column}, '\\D', '', 'g'), 4)"
)


def mask_phone(phone: str) -> str:
    """The masked form of one phone number (as :data:`MASK_PHONE` writes it in SQL)."""
    digits = "".join(c for c in str(phone) if c.isdigit())
    return f"{digits[:3]}****{digits[-4:]}"


class Refused(str):
    """What the server answered when it refused a statement (shown as one line)."""

    def __repr__(self) -> str:
        return f"\N{NO ENTRY} refused: {self}"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


@dataclass
class Database:
    """One database on the kit's private server, reached as any role."""

    server: pgserver.Server
    name: str

    def url(self, role: str = SUPERUSER) -> str:
        return self.server.url_for(self.name, user=role)

    def connect(self, role: str = SUPERUSER):
        import psycopg

        return psycopg.connect(self.url(role), autocommit=True)

    def execute(self, statements: str, role: str = SUPERUSER) -> None:
        """Run SQL statements (one transaction) as ``role``."""
        import psycopg

        with psycopg.connect(self.url(role)) as connection:
            connection.execute(statements)

    def sql(self, query: str, role: str = SUPERUSER, params=None) -> pd.DataFrame:
        """The rows of one query, run as ``role`` (an error if the server refuses)."""
        with self.connect(role) as connection, connection.cursor() as cursor:
            cursor.execute(query, params)
            if cursor.description is None:
                return pd.DataFrame()
            columns = [d.name for d in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=columns)

    def attempt(self, query: str, role: str, params=None) -> pd.DataFrame | Refused:
        """Connect as ``role`` and run ``query``: its rows, or the server's refusal."""
        import psycopg

        try:
            return self.sql(query, role, params)
        except psycopg.Error as error:
            return Refused(postgres.reason(error))

    def apply(self, step: str, show: bool = True) -> None:
        """Apply one of :data:`STEPS` (printing the SQL it runs, unless ``show`` is false)."""
        statements = STEPS[step](self)
        if show:
            print(statements)
        self.execute(statements)


# ---------------------------------------------------------------- the base


def _roles() -> str:
    lines = []
    for role in ROLES:
        login = "NOLOGIN" if role in {m[0] for m in MANAGERS.values()} else "LOGIN"
        lines.append(
            f"DO $$ BEGIN CREATE ROLE {role} {login}; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
        )
    return "\n".join(lines)


def _managers(db: Database, industry: str) -> str:
    group, prefix, table, key = MANAGERS[industry]
    ids = db.sql(f"SELECT {key} FROM {industry}.{table} ORDER BY {key}")[key]
    lines = []
    for area in ids:
        member = f"{prefix}{area}"
        lines += [
            f"DO $$ BEGIN CREATE ROLE {member} LOGIN IN ROLE {group}; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
            f"INSERT INTO access.territories VALUES ('{member}', '{industry}', {area});",
        ]
    return "\n".join(lines)


def _ledger(industry: str) -> str:
    table, key = PEOPLE[industry]
    granted = (
        "CASE c.channel " + " ".join(f"WHEN '{ch}' THEN p.consent_{ch}" for ch in CHANNELS) + " END"
    )
    channels = ", ".join(f"('{ch}')" for ch in CHANNELS)
    return f"""
CREATE TABLE {industry}.consent_ledger (
    entry_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    {key} bigint NOT NULL REFERENCES {industry}.{table},
    channel     text NOT NULL CHECK (channel IN ({", ".join(f"'{c}'" for c in CHANNELS)})),
    granted     boolean NOT NULL,
    recorded_on date NOT NULL,
    source      text NOT NULL
);
INSERT INTO {industry}.consent_ledger ({key}, channel, granted, recorded_on, source)
SELECT {key}, channel, granted, recorded_on, source FROM (
    SELECT p.{key}, c.channel, {granted} AS granted, p.registered_on AS recorded_on,
           'registration' AS source
    FROM {industry}.{table} AS p CROSS JOIN (VALUES {channels}) AS c (channel)
    UNION ALL
    SELECT customer_id, channel, false, reported_on, 'withdrawal: ' || source
    FROM {industry}.customer_updates WHERE kind = 'consent_withdrawn'
) AS entries
ORDER BY recorded_on, {key}, channel;
CREATE INDEX ON {industry}.consent_ledger ({key}, channel, recorded_on);"""


AUDIT = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.changes (
    change_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL,        -- the role that logged in (session_user)
    table_name text NOT NULL,
    operation  text NOT NULL,        -- INSERT, UPDATE or DELETE
    row_key    text NOT NULL,        -- the changed row's key
    before     jsonb,                -- the changed columns' old values
    after      jsonb                 -- and their new values
);
-- SECURITY DEFINER: the trigger writes the trail with its owner's rights, so the roles whose
-- changes it records need (and get) no right to write, or rewrite, the trail themselves
CREATE OR REPLACE FUNCTION audit.record() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
BEGIN
    INSERT INTO audit.changes (changed_by, table_name, operation, row_key, before, after)
    VALUES (
        session_user, TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP,
        coalesce(new_row, old_row) ->> TG_ARGV[0],
        (SELECT jsonb_object_agg(k, v) FROM jsonb_each(old_row) AS o (k, v)
         WHERE new_row IS NULL OR new_row -> k IS DISTINCT FROM v),
        (SELECT jsonb_object_agg(k, v) FROM jsonb_each(new_row) AS n (k, v)
         WHERE old_row IS NULL OR old_row -> k IS DISTINCT FROM v));
    RETURN NULL;
END $$;"""

#: The tables whose every change the audit trail records, with their key column.
AUDITED = {
    "auto": (("customers", "customer_id"), ("consent_ledger", "entry_id")),
    "pharma": (
        ("patients", "patient_id"),
        ("patient_programme", "patient_id"),
        ("consent_ledger", "entry_id"),
    ),
}


def _audit(industry: str) -> str:
    return "\n".join(
        f"CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON {industry}.{table} "
        f"FOR EACH ROW EXECUTE FUNCTION audit.record('{key}');"
        for table, key in AUDITED[industry]
    )


def base(db: Database, industries=INDUSTRIES) -> None:
    """Roles with no rights yet, territories, consent ledgers and the audit trail."""
    db.execute(_roles())
    db.execute(
        "CREATE SCHEMA IF NOT EXISTS access;\n"
        "CREATE TABLE IF NOT EXISTS access.territories "
        "(member text PRIMARY KEY, industry text NOT NULL, area_id bigint NOT NULL);\n"
        "CREATE TABLE IF NOT EXISTS access.pseudonym_key (secret text NOT NULL);\n"
        "INSERT INTO access.pseudonym_key SELECT md5(random()::text) "
        "WHERE NOT EXISTS (SELECT FROM access.pseudonym_key);\n"
        # a manager's own areas, read with the function owner's rights
        "CREATE OR REPLACE FUNCTION access.my_areas() RETURNS SETOF bigint "
        "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS "
        "$$ SELECT area_id FROM access.territories WHERE member = session_user $$;\n"
        "REVOKE ALL ON FUNCTION access.my_areas() FROM PUBLIC;\n"
        "GRANT EXECUTE ON FUNCTION access.my_areas() TO dealer_manager, regional_manager;\n"
        "CREATE TABLE IF NOT EXISTS access.as_of "
        "(industry text PRIMARY KEY, as_of date NOT NULL);\n"
        # the as-of date is no secret: every role's queries may use it
        "GRANT USAGE ON SCHEMA access TO PUBLIC;\n"
        "GRANT SELECT ON access.as_of TO PUBLIC;\n" + AUDIT
    )
    for industry in industries:
        as_of = generator.load(industry).as_of.date()
        db.execute(f"INSERT INTO access.as_of VALUES ('{industry}', '{as_of}')")
        db.execute(_managers(db, industry))
        db.execute(_ledger(industry) + "\n" + _audit(industry))


# ---------------------------------------------------------------- the rules, step by step


def _tables(db: Database, industry: str) -> list[str]:
    return list(
        db.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE' ORDER BY table_name",
            params=(industry,),
        )["table_name"]
    )


def _columns(db: Database, industry: str, table: str) -> list[str]:
    return list(
        db.sql(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = %s ORDER BY ordinal_position",
            params=(industry, table),
        )["column_name"]
    )


def _wrap(line: str) -> str:
    return textwrap.fill(line, 92, subsequent_indent="    ", break_long_words=False)


def analyst(db: Database) -> str:
    """Analysts read every table, except the columns that identify a person."""
    lines = []
    for industry in INDUSTRIES:
        hidden = IDENTIFYING[industry] if industry == "auto" else dict.fromkeys(PATIENT_TABLES)
        whole = [t for t in _tables(db, industry) if t not in hidden]
        lines += [
            f"GRANT USAGE ON SCHEMA {industry} TO marketing_analyst;",
            _wrap(
                f"GRANT SELECT ON {', '.join(f'{industry}.{t}' for t in whole)} "
                "TO marketing_analyst;"
            ),
        ]
        for table, columns in hidden.items():
            if columns is None:
                continue  # patients are analysed only under a pseudonym (step "pseudonyms")
            kept = [c for c in _columns(db, industry, table) if c not in columns]
            lines.append(
                _wrap(
                    f"GRANT SELECT ({', '.join(kept)}) ON {industry}.{table} TO marketing_analyst;"
                )
            )
    return "\n".join(lines)


def pseudonyms(db: Database) -> str:
    """Patients for analysis: a keyed hash instead of the patient number, birth year only."""
    ref = (
        "left(encode(sha256(convert_to((SELECT secret FROM access.pseudonym_key) || "
        "{id}::text, 'UTF8')), 'hex'), 16)"
    )
    patient = ref.format(id="p.patient_id")
    return f"""CREATE VIEW pharma.patients_for_analysis WITH (security_barrier) AS
SELECT {patient} AS patient_ref,
       p.gender, extract(year FROM p.birth_date)::int AS birth_year, p.household_type,
       p.income_band, p.region, p.registered_on, p.acquisition_source, p.doctor_id
FROM pharma.patients AS p;
CREATE VIEW pharma.refills_for_analysis WITH (security_barrier) AS
SELECT {ref.format(id="r.patient_id")} AS patient_ref,
       r.product_id, r.fill_number, r.dispensed_on, r.days_supply, r.amount
FROM pharma.refills AS r;
GRANT SELECT ON pharma.patients_for_analysis, pharma.refills_for_analysis
    TO marketing_analyst;"""


def masked(db: Database) -> str:
    """The call centre sees names with the phone and e-mail masked, and corrects them."""
    phone = MASK_PHONE.format(column="phone")
    return f"""CREATE VIEW auto.customer_contacts_masked WITH (security_barrier) AS
SELECT customer_id, given_name, family_name, city,
       {phone} AS phone,
       left(email, 1) || '***' || substring(email FROM position('@' IN email)) AS email
FROM auto.customers;
GRANT USAGE ON SCHEMA auto TO call_centre;
GRANT SELECT ON auto.customer_contacts_masked TO call_centre;
-- correcting a number needs finding the row (customer_id) and writing two columns
GRANT SELECT (customer_id), UPDATE (phone, email) ON auto.customers TO call_centre;
GRANT SELECT (customer_id, channel, granted, recorded_on), INSERT ON auto.consent_ledger
    TO call_centre;
CREATE VIEW pharma.programme_contacts_masked WITH (security_barrier) AS
SELECT patient_id, test_group, {MASK_PHONE.format(column="mobile")} AS mobile
FROM pharma.patient_programme WHERE mobile IS NOT NULL;
GRANT USAGE ON SCHEMA pharma TO call_centre;
GRANT SELECT ON pharma.programme_contacts_masked TO call_centre;"""


def managers(db: Database) -> str:
    """Row-level security: each dealer's manager sees that dealer's customers and leads;
    each regional manager the hospitals, doctors, reps and calls of the region."""
    return """GRANT USAGE ON SCHEMA auto TO dealer_manager;
GRANT SELECT ON auto.customers, auto.leads TO dealer_manager;
ALTER TABLE auto.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE auto.leads ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_dealer ON auto.customers FOR SELECT TO dealer_manager
    USING (dealer_id IN (SELECT access.my_areas()));
CREATE POLICY own_dealer ON auto.leads FOR SELECT TO dealer_manager
    USING (dealer_id IN (SELECT access.my_areas()));
-- with row-level security on, a role without a policy sees no row: the others keep theirs
CREATE POLICY everyone_else ON auto.customers
    TO marketing_analyst, call_centre, dpo USING (true);
CREATE POLICY everyone_else ON auto.leads TO marketing_analyst, dpo USING (true);
GRANT USAGE ON SCHEMA pharma TO regional_manager;
GRANT SELECT ON pharma.regions, pharma.hospitals, pharma.reps, pharma.doctors,
    pharma.detailing_calls TO regional_manager;
ALTER TABLE pharma.hospitals ENABLE ROW LEVEL SECURITY;
ALTER TABLE pharma.reps ENABLE ROW LEVEL SECURITY;
ALTER TABLE pharma.doctors ENABLE ROW LEVEL SECURITY;
ALTER TABLE pharma.detailing_calls ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_region ON pharma.hospitals FOR SELECT TO regional_manager
    USING (region_id IN (SELECT access.my_areas()));
CREATE POLICY own_region ON pharma.reps FOR SELECT TO regional_manager
    USING (region_id IN (SELECT access.my_areas()));
-- a doctor belongs to the region of their hospital, a call to the region of its rep
CREATE POLICY own_region ON pharma.doctors FOR SELECT TO regional_manager
    USING (hospital_id IN (SELECT hospital_id FROM pharma.hospitals));
CREATE POLICY own_region ON pharma.detailing_calls FOR SELECT TO regional_manager
    USING (rep_id IN (SELECT rep_id FROM pharma.reps));
CREATE POLICY everyone_else ON pharma.hospitals TO marketing_analyst, dpo USING (true);
CREATE POLICY everyone_else ON pharma.reps TO marketing_analyst, dpo USING (true);
CREATE POLICY everyone_else ON pharma.doctors TO marketing_analyst, dpo USING (true);
CREATE POLICY everyone_else ON pharma.detailing_calls TO marketing_analyst, dpo USING (true);"""


def may_contact_sql(industry: str, channel: str, on: str = AS_OF) -> str:
    """Who may be contacted on ``channel`` on the day ``on`` (an SQL date; by default the
    build's as-of date): those whose latest statement in the consent ledger up to that day is
    a yes. No statement means no."""
    _, key = PEOPLE[industry]
    on = on.format(industry=industry)
    return f"""SELECT {key} FROM (
    SELECT DISTINCT ON ({key}) {key}, granted
    FROM {industry}.consent_ledger
    WHERE channel = '{channel}' AND recorded_on <= {on}
    ORDER BY {key}, recorded_on DESC, entry_id DESC
) AS latest
WHERE granted"""


def agency(db: Database) -> str:
    """The mailing house gets a view: names and addresses of those who agreed to mail."""
    return f"""CREATE VIEW auto.mailing_list WITH (security_barrier) AS
SELECT c.customer_id, c.given_name, c.family_name, c.address, c.city, c.postcode
FROM auto.customers AS c
WHERE c.customer_id IN (
{textwrap.indent(may_contact_sql("auto", "mail"), "    ")}
);
GRANT USAGE ON SCHEMA auto TO agency;
GRANT SELECT ON auto.mailing_list TO agency;"""


def dpo(db: Database) -> str:
    """The data protection officer reads the audit trail and the ledgers and erases on request."""
    return """GRANT USAGE ON SCHEMA audit, auto, pharma TO dpo;
GRANT SELECT ON audit.changes TO dpo;
GRANT SELECT ON auto.consent_ledger, pharma.consent_ledger TO dpo;
GRANT SELECT (customer_id, registered_on, acquisition_source) ON auto.customers TO dpo;
-- erasure on request: the person's identifying details go, the business history stays
-- (sales and visits keep their customer number, which no longer leads to a person), and
-- the audit trail keeps who changed what and when, but no longer the values
CREATE FUNCTION auto.erase_customer(id bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
    UPDATE auto.customers
    SET given_name = '(erased)', family_name = '(erased)', address = '(erased)',
        phone = '(erased)', email = NULL, birth_date = date_trunc('year', birth_date)::date
    WHERE customer_id = id;
    INSERT INTO auto.consent_ledger (customer_id, channel, granted, recorded_on, source)
    SELECT id, channel, false, (SELECT as_of FROM access.as_of WHERE industry = 'auto'),
           'erasure'
    FROM (VALUES ('mail'), ('email'), ('sms'), ('phone')) AS c (channel);
    UPDATE audit.changes
    SET before = (SELECT jsonb_object_agg(k, 'erased') FROM jsonb_object_keys(before) AS k),
        after = (SELECT jsonb_object_agg(k, 'erased') FROM jsonb_object_keys(after) AS k)
    WHERE table_name = 'auto.customers' AND row_key = id::text;
$$;
REVOKE ALL ON FUNCTION auto.erase_customer(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auto.erase_customer(bigint) TO dpo;"""


#: The rules, in the order the lesson grants them: name -> the SQL, given the database.
STEPS = {
    "analyst": analyst,
    "pseudonyms": pseudonyms,
    "masked": masked,
    "managers": managers,
    "agency": agency,
    "dpo": dpo,
}


def audit_scenario(db: Database) -> dict[str, int]:
    """The changes chapter 04's audit exercise looks back on, made as the roles that may make
    them (the steps "masked" and "dpo" must be in place): the call centre corrects one
    customer's phone and another's e-mail and records a third's SMS withdrawal; the data
    protection officer erases a fourth on request. Returns who was changed, by role."""
    first = db.sql(
        "SELECT customer_id, phone FROM auto.customers WHERE email IS NOT NULL "
        "ORDER BY customer_id LIMIT 5"
    )
    phone, email, withdrawn, erased, other = first["customer_id"].tolist()
    new_phone = first["phone"].iloc[4]  # (a fictional number, like all of them)
    db.execute(
        f"UPDATE auto.customers SET phone = '{new_phone}' WHERE customer_id = {phone};\n"
        "UPDATE auto.customers SET email = 'new.address@example.org' "
        f"WHERE customer_id = {email};\n"
        "INSERT INTO auto.consent_ledger (customer_id, channel, granted, recorded_on, source) "
        f"VALUES ({withdrawn}, 'sms', false, {AS_OF.format(industry='auto')}, 'call centre');",
        role="call_centre",
    )
    db.execute(f"SELECT auto.erase_customer({erased})", role="dpo")
    return {"phone": phone, "email": email, "withdrawn": withdrawn, "erased": erased}


# ---------------------------------------------------------------- databases


def _load(db: Database, industries) -> None:
    for industry in industries:
        postgres.export(generator.load(industry).folder, db.url())


def open_database(name: str = "course", industries=INDUSTRIES, progress: bool = False) -> Database:
    """Start (or reuse) the private server and make a fresh database ``name`` with the
    industries' databases loaded (as by ``python -m generator export``) and the base in place."""
    server = pgserver.start()
    admin = Database(server, "postgres")
    with admin.connect() as connection:  # autocommit: databases are made outside transactions
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    db = Database(server, name)
    steps = industries
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(industries, desc="loading into PostgreSQL", unit="database")
    for industry in steps:
        _load(db, [industry])
    base(db, industries)
    return db


_templates: dict[tuple, Database] = {}


def _template(folders: tuple[str, ...]) -> Database:
    """A database to copy for checks and tests, per set of dataset folders, made once per
    server (again if the server was stopped and another one started)."""
    made = _templates.get(folders)
    if made is None or not made.server.running or pgserver.current() is not made.server:
        made = _templates[folders] = open_database(f"kit_template_{len(_templates) + 1}")
    return made


_copies = itertools.count(1)


@contextlib.contextmanager
def scratch(steps: tuple[str, ...] = ()) -> Iterator[Database]:
    """A fresh copy of the loaded database with the base and the named :data:`STEPS` in place,
    dropped afterwards (for checks and tests)."""
    template = _template(tuple(str(generator.load(i).folder) for i in INDUSTRIES))
    admin = Database(template.server, "postgres")
    name = f"kit_scratch_{next(_copies)}"
    with admin.connect() as connection:
        connection.execute(f"CREATE DATABASE {name} TEMPLATE {template.name} STRATEGY FILE_COPY")
    db = Database(template.server, name)
    try:
        for step in steps:
            db.apply(step, show=False)
        yield db
    finally:
        with admin.connect() as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
