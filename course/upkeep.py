"""Why customer databases fail, and keeping one alive (lesson 03, 客户数据库管理失败原因 and
客户数据库的维护).

A customer database decays from the day it is built: customers move, change phone, marry,
withdraw a consent, close an e-mail box, die. This module measures that decay against the
generator's truth and holds the tools that keep a database alive, one function per concern:

- decay: :func:`stale_shares` (what share of a file is out of date after 1, 2, 3 years),
  :func:`expected_stale` (the same from the yearly rates alone), :func:`send` (a mailing as the
  company sees it: delivered, returned, bounced) and :func:`undeliverable` (the truth behind
  it), :func:`mailing_cost`;
- quality as numbers: :func:`true_values` (the truth in the records' layout) and
  :func:`scorecard` (completeness, validity, uniqueness, consistency, timeliness, accuracy, per
  system and field), :func:`scorecard_plot`;
- cleaning and standardising: :func:`standardise` (names, phones, e-mails, addresses, codes)
  with :func:`changes` (what it changed, counted);
- duplicates: :func:`error_costs` (what each kind of linkage error costs, per threshold);
- merging: :data:`SURVIVORSHIP` (which source wins for which field, and why),
  :func:`balances_by_customer` (the bank's money per merged customer, reconciled);
- keeping it alive: :func:`open_file` (the customer file in SQLite, with a type 2 history),
  :func:`maintain` (one month's update feed applied, idempotently), :func:`feed_database`
  (the feed as SQL tables, to write a step by hand), :func:`contactable`
  (suppression), :func:`as_at` (the file as it stood on a day), :func:`file_accuracy` and
  :func:`twelve_months` (the file with and without maintenance, month by month);
- chain stores: :func:`store_views` (what each store sees of a customer alone, and together).

Everything works on any build, in either locale.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from course import building, periods
from generator import decay
from generator.population import CHANNELS

# ---------------------------------------------------------------- decay (数据老化)

# what each kind of life event makes stale in a customer record
STALE_FIELD = {
    "moved": "address",
    "new_phone": "phone",
    "name_change": "family name",
    "consent_withdrawn": "consent",
    "email_closed": "e-mail",
    "died": "alive",
}
# the yearly rate behind each kind (generator/data/decay.json)
RATE_OF = {
    "moved": "moves_per_year",
    "new_phone": "phone_changes_per_year",
    "name_change": "marriage_name_changes_per_year",
    "consent_withdrawn": "consent_withdrawals_per_year",
    "email_closed": "email_closures_per_year",
}


def stale_shares(ds, years: Iterable[int] = (1, 2, 3)) -> pd.DataFrame:
    """The share of customer records out of date after each number of ``years``.

    A record is taken as it stood ``n`` years before the as-of date, right then, for every
    customer on file that day; it is stale in a field if a life event changed that field
    since (``any``: in at least one). One row per field, one column per number of years.
    Measured on the generator's truth (``_truth/life_events``).
    """
    customers = ds["customers"]
    events = ds.truth("life_events")
    rows = {}
    for n in years:
        start = ds.as_of - pd.DateOffset(years=n)
        on_file = customers.loc[customers["registered_on"] <= start, "customer_id"]
        later = events[
            (events["date"] > start)
            & (events["date"] <= ds.as_of)
            & events["customer_id"].isin(on_file)
        ]
        kinds = later.groupby(later["kind"].astype(str))["customer_id"].nunique()
        shares = {STALE_FIELD[k]: kinds.get(k, 0) / len(on_file) for k in STALE_FIELD}
        shares["any"] = later["customer_id"].nunique() / len(on_file)
        rows[f"{n} year{'s' if n > 1 else ''}"] = shares
    table = pd.DataFrame(rows)
    table.index.name = "stale field"
    return table


def expected_stale(ds, years: Iterable[int] = (1, 2, 3)) -> pd.DataFrame:
    """The share out of date that the yearly rates alone predict (generator/data/decay.json):
    1 - exp(-rate x exposure x years), a Poisson process's chance of at least one event.
    The exposure is the share of customers an event can happen to: women for a change of
    family name, those with an e-mail address for a closed box, and for a withdrawal the
    share of channels consented to. Deaths are drawn among leavers, so they have no yearly
    rate and no row."""
    customers = ds["customers"]
    rates = decay.rates(ds.locale)
    consents = customers[[f"consent_{c}" for c in CHANNELS]].to_numpy(bool)
    exposure = {
        "moved": 1.0,
        "new_phone": 1.0,
        "name_change": float((customers["gender"] == "F").mean()),
        "consent_withdrawn": float(consents.mean()),
        "email_closed": float(customers["email"].notna().mean()),
    }
    table = pd.DataFrame(
        {
            f"{n} year{'s' if n > 1 else ''}": {
                STALE_FIELD[kind]: 1 - np.exp(-rates[rate] * exposure[kind] * n)
                for kind, rate in RATE_OF.items()
            }
            for n in years
        }
    )
    table.index.name = "stale field"
    return table


def _true_state(ds, on) -> pd.DataFrame:
    """Every customer as they really were on ``on`` (the life events applied), with
    ``email_closed``."""
    events = ds.truth("life_events")
    state = decay.state_at(ds["customers"], events, on)
    closed = events[(events["kind"] == "email_closed") & (events["date"] <= pd.Timestamp(on))]
    state["email_closed"] = state["customer_id"].isin(closed["customer_id"])
    return state.set_index("customer_id")


def undeliverable(ds, file: pd.DataFrame, on, channel: str = "mail") -> pd.Series:
    """The truth about a mailing on ``on`` to the addresses in ``file`` (``customer_id`` and
    ``address``, or ``email`` for e-mail): True where it cannot reach the customer (they
    moved away from that address or died; the e-mail box is closed or the address is not
    theirs). Customers the file has no address (e-mail) for are left out: nothing is sent."""
    if channel not in ("mail", "email"):
        raise ValueError(f"channel must be 'mail' or 'email', not {channel!r}")
    file = file.dropna(subset=["address" if channel == "mail" else "email"])
    truth = _true_state(ds, on).reindex(file["customer_id"])
    if channel == "mail":
        wrong = file["address"].to_numpy(dtype=object) != truth["address"].to_numpy(dtype=object)
    elif channel == "email":
        written = file["email"].astype("string").str.lower()
        true = truth["email"].astype("string").str.lower()
        wrong = (written.to_numpy() != true.fillna("").to_numpy()).astype(bool)
        wrong = wrong | truth["email_closed"].to_numpy(bool)
    gone = wrong | truth["died"].to_numpy(bool)
    return pd.Series(gone, index=pd.Index(file["customer_id"], name="customer_id"), name=channel)


def send(ds, file: pd.DataFrame, on, channel: str = "mail") -> pd.Series:
    """A mailing on ``on`` as the company sees it: for each customer of ``file``,
    ``"delivered"`` (nothing comes back), ``"returned"`` (the letter came back: only part of
    the undeliverable letters do, the rest are forwarded or kept by the new occupants) or
    ``"bounced"`` (an e-mail that could not be delivered: every one does)."""
    gone = undeliverable(ds, file, on, channel)
    outcome = np.full(len(gone), "delivered", dtype=object)
    if channel == "mail":
        share = decay.rates(ds.locale)["undeliverable_mail_returned"]
        seed = ds.manifest["parameters"]["seed"]
        back = decay.mail_returned(seed, str(pd.Timestamp(on).date()), gone.index, share)
        outcome[gone.to_numpy() & back] = "returned"
    else:
        outcome[gone.to_numpy()] = "bounced"
    return pd.Series(outcome, index=gone.index, name="outcome")


def mailing_cost(ds, file: pd.DataFrame, on, channel: str = "mail") -> pd.Series:
    """What a mailing to ``file`` costs and what it wastes: pieces sent, pieces that could
    not arrive (the truth), the returns or bounces the company saw, the cost per piece
    (:data:`course.marketing_db.CONTACT_COST`) and the money spent on pieces that could not
    arrive."""
    from course.marketing_db import CONTACT_COST

    cost = CONTACT_COST[ds.currency][channel]
    gone = undeliverable(ds, file, on, channel)
    seen = send(ds, file, on, channel)
    return pd.Series(
        {
            "sent": len(gone),
            "could not arrive": int(gone.sum()),
            "came back": int((seen != "delivered").sum()),
            "cost per piece": cost,
            "wasted": round(float(gone.sum()) * cost, 2),
        },
        name=channel,
    )


# ---------------------------------------------------------------- quality as numbers

FIELDS = ("given", "family", "gender", "birth_date", "phone", "email", "postcode", "address")
IDENTIFYING = ("phone", "email")
DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness", "accuracy")
POSTCODE_RULES = {"en_US": r"^\d{5}$", "zh_CN": r"^\d{6}$"}
NAME_RULE = r"^[^\d@#$%&*_=+<>?!/\\|]+$"  # letters (of any script), spaces, hyphens, points
#: A value captured more than this many days before the as-of date is not timely.
FRESH_DAYS = 365


def valid(records: pd.DataFrame, field: str, locale: str, as_of) -> pd.Series:
    """True where a present value of ``field`` passes its rule (missing values: NA). Phones,
    e-mails and birth dates use lesson 02's rules (:func:`course.building.validation_flags`)."""
    values = records[field].astype("string")
    present = values.notna()
    if field in ("phone", "email", "birth_date"):
        flags = building.validation_flags(records, locale, as_of)
        broken = {"phone": flags["phone_malformed"], "email": flags["email_malformed"]}.get(
            field, flags["birth_date_not_a_day"] | flags["birth_date_implausible"]
        )
        ok = ~broken
    elif field == "gender":
        ok = values.isin(["F", "M"])
    elif field == "postcode":
        ok = values.str.fullmatch(POSTCODE_RULES[locale]).fillna(False)
    elif field in ("given", "family"):
        ok = values.str.fullmatch(NAME_RULE).fillna(False)
    else:  # free text: present is valid
        ok = present
    return ok.astype("boolean").where(present, pd.NA)


def true_values(ds, on=None) -> pd.DataFrame:
    """The truth in the records' layout (:data:`course.building.LAYOUT`): every customer as
    they really were on ``on`` (default: the as-of date), one row per ``customer_id``, with
    names split, the phone as digits, the e-mail in lower case, dates as ISO text."""
    state = _true_state(ds, ds.as_of if on is None else on)
    return pd.DataFrame(
        {
            "given": state["given_name"].astype(object),
            "family": state["family_name"].astype(object),
            "gender": state["gender"].astype(object),
            "birth_date": pd.to_datetime(state["birth_date"]).dt.strftime("%Y-%m-%d"),
            "phone": building.phone_digits(state["phone"].astype("string"), ds.locale),
            "email": state["email"].astype("string").str.lower().astype(object),
            "postcode": state["postcode"].astype(object),
            "city": state["city"].astype(object),
            "address": state["address"].astype(object),
        },
        index=state.index,
    )


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Equal as text, ignoring case and surrounding spaces (NA where either is missing)."""
    left = a.astype("string").str.strip().str.casefold()
    right = b.astype("string").str.strip().str.casefold()
    return (left == right).where(left.notna() & right.notna(), pd.NA)


def scorecard(
    records: pd.DataFrame,
    locale: str,
    as_of,
    fields: Iterable[str] = FIELDS,
    customer: pd.Series | None = None,
    truth: pd.DataFrame | None = None,
    owner: pd.Series | None = None,
) -> pd.DataFrame:
    """Data quality as numbers, per source system and field (rows) and dimension (columns):

    - ``completeness``: the share of records with a value;
    - ``validity``: the share of values that pass the field's rule (:func:`valid`);
    - ``uniqueness``: for the fields that identify a customer (:data:`IDENTIFYING`), the share
      of values no other record of the system holds (a phone or e-mail on two records is a
      duplicate, or two people sharing one); names and birth dates are shared by strangers
      (so are phones in en_US builds, which use only the fictional 555-01xx numbers);
    - ``consistency``: the share of values that agree with what the customer's records in
      the other systems say (needs ``customer``: record -> customer, from matching);
    - ``timeliness``: the share of records captured within :data:`FRESH_DAYS` of ``as_of``;
    - ``accuracy``: the share of values that are right (needs ``truth``, from
      :func:`true_values`, and ``owner``: record -> true customer); names are compared as
      :func:`course.building.match_key` writes them, so a system that keeps names in pinyin
      is right when the pinyin is.

    ``records`` are in the common layout (``unique_id``, ``system``, ``extracted_on`` and the
    fields). A dimension that cannot be measured is left empty.
    """
    as_of = pd.Timestamp(as_of)
    records = records.reset_index(drop=True)
    fresh = (as_of - pd.to_datetime(records["extracted_on"])).dt.days <= FRESH_DAYS
    if customer is not None:
        key = records["unique_id"].map(customer)
    if truth is not None and owner is not None:
        person = records["unique_id"].map(owner)
    rows = []
    for field in fields:
        values = records[field].astype("string").str.strip()
        present = values.notna()
        ok = valid(records, field, locale, as_of)
        repeated = values.groupby([records["system"], values]).transform("size") > 1
        identifying = field in IDENTIFYING
        measures = {
            "completeness": present,
            "validity": ok,
            "uniqueness": (~repeated).astype("boolean").where(present & identifying, pd.NA),
            "timeliness": fresh.astype("boolean"),
        }
        if customer is not None:
            folded = values.str.casefold()
            frame = pd.DataFrame({"key": key, "system": records["system"], "value": folded})
            others = _agreement(frame)
            measures["consistency"] = others
        if truth is not None and owner is not None:
            right = truth[field].reindex(person.to_numpy()).reset_index(drop=True)
            if field in ("given", "family"):  # the name, in whatever script the system uses
                values = building.match_key(values, locale).astype("string")
                right = building.match_key(right, locale)
            measures["accuracy"] = _same(values, right)
        table = pd.DataFrame(measures)
        rates = table.astype("Float64").groupby(records["system"]).mean()
        rows.append(rates.assign(field=field))
    card = pd.concat(rows).reset_index().set_index(["system", "field"])
    return card.reindex(columns=list(DIMENSIONS)).astype(float).sort_index()


def _agreement(frame: pd.DataFrame) -> pd.Series:
    """For each record's value: does a record of the same customer in another system hold
    the same value? NA where no other system has a value for the customer."""
    known = frame.dropna(subset=["key", "value"])
    holders = known.groupby(["key", "value"])["system"].transform("nunique")
    systems = known.groupby("key")["system"].transform("nunique")
    result = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    asked = systems > 1
    result[known.index[asked]] = (holders > 1)[asked].to_numpy()
    return result


def scorecard_plot(card: pd.DataFrame, title: str):
    """The scorecard as a heat map: systems and fields down, dimensions across, 0-100 %."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    height = 0.28 * len(card) + 1.5
    fig, ax = plt.subplots(figsize=(8, height))
    sns.heatmap(
        card * 100,
        annot=True,
        fmt=".0f",
        cmap="RdYlGn",
        vmin=50,
        vmax=100,
        cbar_kws={"label": "% of records (values) that pass"},
        ax=ax,
    )
    ax.set(title=title, xlabel="quality dimension", ylabel="system · field")
    return fig


# ---------------------------------------------------------------- cleaning and standardising

# what cleaning may change, beyond what extracting already did
CLEANED = ("given", "family", "email", "phone", "address", "city", "postcode")


def _nfkc(values: pd.Series) -> pd.Series:
    """Full-width letters and digits as ordinary ones, spaces collapsed and trimmed."""
    text = values.astype("string")
    text = text.map(lambda s: unicodedata.normalize("NFKC", s), na_action="ignore").astype("string")
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def _name_case(values: pd.Series) -> pd.Series:
    """A Latin-letter name all in one case ("SMITH", "smith") as "Smith"; mixed case kept."""
    one_case = values.str.isupper() | values.str.islower()
    latin = values.str.contains(r"[A-Za-z]", regex=True)
    return values.where(~(one_case & latin).fillna(False), values.str.title())


def us_address(line: str | None) -> str | None:
    """A US street line in the Postal Service's standard form (Publication 28: upper case,
    standard abbreviations, "STREET" as "ST", "APARTMENT 3" as "APT 3"), by the ``scourgify``
    library; a line it cannot parse is kept as it is."""
    if line is None or pd.isna(line):
        return None
    from scourgify import normalize_address_record
    from scourgify.exceptions import AddressNormalizationError

    try:
        parts = normalize_address_record(
            {"address_line_1": line, "city": "X", "state": "NY", "postal_code": "10001"}
        )
    except (AddressNormalizationError, ValueError, KeyError, TypeError):
        return line
    return " ".join(filter(None, (parts["address_line_1"], parts.get("address_line_2"))))


def standardise(records: pd.DataFrame, locale: str) -> pd.DataFrame:
    """The records with their text in one standard form: names, e-mails, phones, addresses
    and postcodes (Unicode NFKC: full-width characters as ordinary ones; spaces collapsed);
    Latin names in one case written "Smith"; e-mails in lower case; phones as digits of the
    locale's numbering plan (lesson 02's :func:`course.building.phone_digits`); US street
    lines in the postal standard (:func:`us_address`); Chinese text as it is. Codes (gender,
    income band, consents) were standardised on extraction. Adds the pinyin form of each
    name, ``given_pinyin`` and ``family_pinyin``, so that 张伟 and "Zhang Wei" can be
    compared (lesson 02's :func:`course.building.match_key`)."""
    out = records.copy()
    for field in CLEANED:
        out[field] = _nfkc(out[field])
    for field in ("given", "family"):
        out[field] = _name_case(out[field])
    out["email"] = out["email"].str.lower()
    out["phone"] = building.phone_digits(out["phone"], locale)
    if locale == "en_US":
        unique = out["address"].dropna().unique()
        standard = {line: us_address(line) for line in unique}
        out["address"] = out["address"].map(standard, na_action="ignore")
        out["city"] = out["city"].str.upper()
    out["given_pinyin"] = building.match_key(out["given"], locale)
    out["family_pinyin"] = building.match_key(out["family"], locale)
    return out.astype(object).where(out.notna(), None)


def changes(
    before: pd.DataFrame,
    after: pd.DataFrame,
    fields: Iterable[str] = CLEANED,
    case: bool = False,
) -> pd.DataFrame:
    """How many values standardising changed, per system and field (systems x fields); a
    change of case alone counts only with ``case=True`` (the postal standard writes every
    address in capitals)."""
    changed = {}
    for field in fields:
        a = before[field].astype("string")
        b = after[field].astype("string")
        if not case:
            a, b = a.str.casefold(), b.str.casefold()
        changed[field] = (a.fillna("\x00") != b.fillna("\x00")).groupby(before["system"]).sum()
    return pd.DataFrame(changed).astype(int)


# ---------------------------------------------------------------- duplicates: what errors cost

#: What each kind of linkage error costs, as assumptions to argue with: a false merge mixes
#: two people's accounts or purchases (a complaint to handle, a privacy incident to report);
#: a missed duplicate gets every mailing twice.
ERROR_COST = {
    "USD": {"false_merge": 25.0, "missed_duplicate": 0.80 * 12},
    "CNY": {"false_merge": 100.0, "missed_duplicate": 2.00 * 12},
}


def error_costs(curve: pd.DataFrame, currency: str) -> pd.DataFrame:
    """For each threshold of a quality curve (:func:`course.building.quality_curve`): the
    records merged wrongly and the duplicates missed, each priced by :data:`ERROR_COST` (a
    missed duplicate: a year of monthly letters twice), and the total."""
    price = ERROR_COST[currency]
    table = curve[["threshold", "false_merges", "false_splits", "precision", "recall", "f1"]]
    table = table.assign(
        merge_cost=table["false_merges"] * price["false_merge"],
        split_cost=table["false_splits"] * price["missed_duplicate"],
    )
    return table.assign(total_cost=table["merge_cost"] + table["split_cost"]).set_index("threshold")


# ---------------------------------------------------------------- merging: survivorship

#: Which source wins for which field when a customer's records disagree, and why (the rules
#: :func:`course.building.golden_records` applies).
SURVIVORSHIP = pd.DataFrame(
    [
        (
            "phone, e-mail, address, postcode, city",
            "most recent extract",
            "they change: the newest statement is the likeliest to be right now",
        ),
        (
            "consents",
            "most recent statement; a 'no' beats a 'yes' of the same day",
            "a withdrawal must win over an older agreement (PIPL, GDPR)",
        ),
        (
            "name, gender, birth date, income band",
            "the value most records hold, then the most trusted system",
            "they do not change: a typo in one system is outvoted",
        ),
        (
            "trusted systems",
            "typed once by the customer or an agent before forms typed in from "
            "paper; pinyin-only systems last",
            "typing from paper makes more errors; pinyin loses the characters",
        ),
    ],
    columns=["field", "rule", "why"],
)


def balances_by_customer(ds, customer: pd.Series, on=None) -> pd.DataFrame:
    """The bank's balances per merged customer, reconciled.

    The core banking file gives each record the bank's customer number (``CUST_NO``), the
    number its accounts are held under; ``customer`` (record -> merged customer, from
    matching) puts the numbers into merged customers. Returns one row per merged customer:
    ``customer_numbers`` (how many of the bank's numbers it holds: more than one is either a
    duplicate found or two people mixed) and ``balance`` at the month ``on`` (default: the
    last). The total equals the bank's whole book when every customer number falls into
    exactly one merged customer.
    """
    system = next(s for s in ds.systems if s["name"] == "core_banking")
    number_column = building.column_for(system, "customer_id", ds.locale)
    core = ds.source("core_banking")
    links = pd.DataFrame(
        {
            "unique_id": "core_banking:" + core[building.column_for(system, "key", ds.locale)],
            "customer_id": pd.to_numeric(core[number_column]),
        }
    )
    links["customer_key"] = links["unique_id"].map(customer)
    links = links.dropna(subset=["customer_key"]).drop_duplicates(["customer_id", "customer_key"])
    balances = ds["monthly_balances"]
    month = balances["month_end"].max() if on is None else pd.Timestamp(on)
    accounts = ds["accounts"][["account_id", "customer_id"]]
    month_balances = balances[balances["month_end"] == month].merge(accounts, on="account_id")
    per_number = month_balances.groupby("customer_id")["balance"].sum()
    links["balance"] = links["customer_id"].map(per_number).fillna(0.0)
    table = links.groupby("customer_key").agg(
        customer_numbers=("customer_id", "nunique"), balance=("balance", "sum")
    )
    return table


def reconciliation(ds, customer: pd.Series, on=None) -> pd.Series:
    """Do the balances still add up after merging? The bank's book (every account's balance
    at the month ``on``), the sum over merged customers (:func:`balances_by_customer`), the
    customer numbers split over two merged customers (their money counted twice) and the
    merged customers holding more than one number (a duplicate joined, or two people's money
    mixed)."""
    table = balances_by_customer(ds, customer, on)
    balances = ds["monthly_balances"]
    month = balances["month_end"].max() if on is None else pd.Timestamp(on)
    book = balances.loc[balances["month_end"] == month, "balance"].sum()
    system = next(s for s in ds.systems if s["name"] == "core_banking")
    core = ds.source("core_banking")
    numbers = pd.to_numeric(core[building.column_for(system, "customer_id", ds.locale)])
    keys = ("core_banking:" + core[building.column_for(system, "key", ds.locale)]).map(customer)
    split = pd.DataFrame({"n": numbers, "k": keys}).dropna().groupby("n")["k"].nunique()
    return pd.Series(
        {
            "book": round(float(book), 2),
            "merged customers": round(float(table["balance"].sum()), 2),
            "numbers split over two customers": int((split > 1).sum()),
            "customers with 2+ numbers": int((table["customer_numbers"] > 1).sum()),
        },
        dtype=object,
    )


# ---------------------------------------------------------------- keeping it alive

FILE_SCHEMA = """\
CREATE TABLE customers (
    customer_id   INTEGER PRIMARY KEY,
    given_name    TEXT,
    family_name   TEXT NOT NULL,
    address       TEXT,
    city          TEXT,
    region        TEXT,
    postcode      TEXT,
    phone         TEXT,
    email         TEXT,
    consent_mail  INTEGER NOT NULL CHECK (consent_mail IN (0, 1)),
    consent_email INTEGER NOT NULL CHECK (consent_email IN (0, 1)),
    consent_sms   INTEGER NOT NULL CHECK (consent_sms IN (0, 1)),
    consent_phone INTEGER NOT NULL CHECK (consent_phone IN (0, 1)),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deceased')),
    mail_gone_away INTEGER NOT NULL DEFAULT 0 CHECK (mail_gone_away IN (0, 1))
);
CREATE TABLE customer_history (          -- a slowly changing dimension, type 2
    customer_id   INTEGER NOT NULL REFERENCES customers (customer_id),
    field         TEXT NOT NULL,
    value         TEXT,
    valid_from    TEXT NOT NULL CHECK (date(valid_from, '+0 days') IS valid_from),
    valid_to      TEXT CHECK (date(valid_to, '+0 days') IS valid_to AND valid_to >= valid_from),
    PRIMARY KEY (customer_id, field, valid_from)
);
CREATE TABLE applied_updates (           -- what has been applied: running twice changes nothing
    customer_id   INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    changed_on    TEXT NOT NULL,
    reported_on   TEXT NOT NULL,
    applied_on    TEXT NOT NULL,
    PRIMARY KEY (customer_id, kind, changed_on)
);
"""
# the fields the customer file keeps a history of (what :func:`_new_values` can change)
KEPT = (*decay.ADDRESS, "phone", "family_name", *(f"consent_{c}" for c in CHANNELS), "status")


def open_file(ds, start=None) -> sqlite3.Connection:
    """The company's customer file in an in-memory SQLite database (:data:`FILE_SCHEMA`):
    the customers on file on ``start`` (default: every customer) as they registered, each
    field's first value in ``customer_history`` valid from the registration date."""
    customers = ds["customers"]
    if start is not None:
        customers = customers[customers["registered_on"] <= pd.Timestamp(start)]
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA foreign_keys = ON")
    db.executescript(FILE_SCHEMA)
    columns = [
        "customer_id",
        "given_name",
        "family_name",
        "address",
        "city",
        "region",
        "postcode",
        "phone",
        "email",
        *(f"consent_{c}" for c in CHANNELS),
    ]
    frame = customers[columns].astype(object)
    for c in CHANNELS:
        frame[f"consent_{c}"] = customers[f"consent_{c}"].astype(int)
    frame = frame.where(frame.notna(), None)
    db.executemany(
        f"INSERT INTO customers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        frame.itertuples(index=False, name=None),
    )
    history = frame.assign(
        status="active", valid_from=customers["registered_on"].dt.strftime("%Y-%m-%d")
    ).melt(id_vars=["customer_id", "valid_from"], value_vars=list(KEPT), var_name="field")
    history["value"] = history["value"].map(lambda v: None if v is None else str(v))
    db.executemany(
        "INSERT INTO customer_history (customer_id, field, value, valid_from) VALUES (?, ?, ?, ?)",
        history[["customer_id", "field", "value", "valid_from"]].itertuples(index=False, name=None),
    )
    db.commit()
    return db


def _new_values(update) -> dict[str, str | None]:
    """The fields one update changes, with their new values."""
    kind = update.kind
    if kind == "moved":
        return {f: getattr(update, f) for f in ("address", "city", "region", "postcode")}
    if kind == "new_phone":
        return {"phone": update.phone}
    if kind == "name_change":
        return {"family_name": update.family_name}
    if kind == "consent_withdrawn":
        return {f"consent_{update.channel}": "0"}
    if kind == "died":
        return {"status": "deceased", **{f"consent_{c}": "0" for c in CHANNELS}}
    raise ValueError(f"unknown kind of update {kind!r}")


def _change(db: sqlite3.Connection, customer_id: int, field: str, value, day: str) -> None:
    """One field of one customer changed on ``day``, kept as type 2 history: the period in
    force is closed and a new one opened; a change dated before the period in force (it
    arrived late) is put into the history in its place, and the current value stays."""
    current = db.execute(
        "SELECT value, valid_from FROM customer_history "
        "WHERE customer_id = ? AND field = ? AND valid_to IS NULL",
        (customer_id, field),
    ).fetchone()
    if current is not None and current[1] > day:  # late: a closed period before the current
        before = db.execute(
            "SELECT valid_from, valid_to FROM customer_history WHERE customer_id = ? AND "
            "field = ? AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1",
            (customer_id, field, day),
        ).fetchone()
        if before is None or before[0] == day:
            return
        db.execute(
            "UPDATE customer_history SET valid_to = ? WHERE customer_id = ? AND field = ? "
            "AND valid_from = ?",
            (day, customer_id, field, before[0]),
        )
        db.execute(
            "INSERT INTO customer_history VALUES (?, ?, ?, ?, ?)",
            (customer_id, field, value, day, before[1]),
        )
        return
    if current is not None and current[0] == value:
        return
    if current is not None and current[1] == day:  # two changes on one day: the later wins
        db.execute(
            "UPDATE customer_history SET value = ? WHERE customer_id = ? AND field = ? "
            "AND valid_from = ?",
            (value, customer_id, field, day),
        )
    else:
        db.execute(
            "UPDATE customer_history SET valid_to = ? WHERE customer_id = ? AND field = ? "
            "AND valid_to IS NULL",
            (day, customer_id, field),
        )
        db.execute(
            "INSERT INTO customer_history (customer_id, field, value, valid_from) "
            "VALUES (?, ?, ?, ?)",
            (customer_id, field, value, day),
        )
    db.execute(f"UPDATE customers SET {field} = ? WHERE customer_id = ?", (value, customer_id))
    if field == "address":  # a new address: mail may go again
        db.execute("UPDATE customers SET mail_gone_away = 0 WHERE customer_id = ?", (customer_id,))


def maintain(
    db: sqlite3.Connection,
    updates: pd.DataFrame,
    run_on,
    returned: Iterable[int] = (),
) -> pd.Series:
    """One maintenance run on ``run_on``: every update reported by then and not applied
    yet is applied, oldest change first, in one transaction.

    - a move, a new phone, a new family name: the field changes, its history kept (type 2);
    - a withdrawn consent: that channel's consent becomes 0;
    - a death: status ``deceased`` and every consent 0 (never contacted again);
    - ``returned``: customers whose letter came back since the last run: their address is
      marked gone away (no more mail to it until a new address comes).

    Updates of customers not on file are skipped. Running it again with the same input
    changes nothing (``applied_updates`` remembers what was applied). Returns the counts of
    what the run did.
    """
    day = str(pd.Timestamp(run_on).date())
    due = updates[updates["reported_on"] <= pd.Timestamp(run_on)]
    due = due.sort_values(["changed_on", "customer_id", "kind"], kind="stable")
    on_file = {row[0] for row in db.execute("SELECT customer_id FROM customers")}
    done = {
        (row[0], row[1], row[2])
        for row in db.execute("SELECT customer_id, kind, changed_on FROM applied_updates")
    }
    counts = dict.fromkeys(decay.REPORTED, 0) | {"already applied": 0, "not on file": 0}
    with db:
        for update in due.itertuples(index=False):
            changed = str(update.changed_on.date())
            key = (int(update.customer_id), str(update.kind), changed)
            if key in done:
                counts["already applied"] += 1
                continue
            if key[0] not in on_file:
                counts["not on file"] += 1
                continue
            for field, value in _new_values(update).items():
                _change(db, key[0], field, value, changed)
            db.execute(
                "INSERT INTO applied_updates VALUES (?, ?, ?, ?, ?)",
                (*key, str(update.reported_on.date()), day),
            )
            done.add(key)
            counts[key[1]] += 1
        marked = db.executemany(
            "UPDATE customers SET mail_gone_away = 1 WHERE customer_id = ? AND mail_gone_away = 0",
            [(int(c),) for c in returned],
        )
        counts["gone away"] = max(marked.rowcount, 0)  # newly marked: none on a second run
    return pd.Series(counts, name=day)


def feed_database(updates: pd.DataFrame) -> sqlite3.Connection:
    """The update feed in an in-memory SQLite database, to write a maintenance step by hand:
    a table ``updates`` (``customer_id``, ``kind``, ``channel``, ``changed_on``,
    ``reported_on``; dates as ISO text) and an empty table ``suppression`` (``customer_id``,
    ``channel``, ``since``) with no key, so that nothing but the step's own SQL keeps it free
    of repeats."""
    db = sqlite3.connect(":memory:")
    db.executescript(
        "CREATE TABLE updates (customer_id INTEGER NOT NULL, kind TEXT NOT NULL, channel TEXT, "
        "changed_on TEXT NOT NULL, reported_on TEXT NOT NULL);"
        "CREATE TABLE suppression (customer_id INTEGER NOT NULL, channel TEXT NOT NULL, "
        "since TEXT NOT NULL);"
    )
    rows = pd.DataFrame(
        {
            "customer_id": updates["customer_id"].astype(int),
            "kind": updates["kind"].astype(str),
            "channel": updates["channel"].astype(object),
            "changed_on": updates["changed_on"].dt.strftime("%Y-%m-%d"),
            "reported_on": updates["reported_on"].dt.strftime("%Y-%m-%d"),
        }
    )
    rows = rows.astype(object).where(rows.notna(), None)
    db.executemany("INSERT INTO updates VALUES (?, ?, ?, ?, ?)", rows.itertuples(index=False))
    db.commit()
    return db


def contactable(db: sqlite3.Connection, channel: str) -> pd.DataFrame:
    """The customers the company may contact by ``channel`` now (suppression): alive, with
    the channel's consent, a value to contact them at, and (for mail) an address not marked
    gone away."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
    reach = {"mail": "address", "email": "email", "sms": "phone", "phone": "phone"}[channel]
    extra = " AND mail_gone_away = 0" if channel == "mail" else ""
    return pd.read_sql_query(
        f"SELECT customer_id, given_name, family_name, {reach} FROM customers "
        f"WHERE status = 'active' AND consent_{channel} = 1 AND {reach} IS NOT NULL{extra} "
        "ORDER BY customer_id",
        db,
    )


def as_at(db: sqlite3.Connection, day, fields: Iterable[str] = ("address", "city", "postcode")):
    """The file as it stood on ``day``, from its history: one row per customer, the value of
    each of ``fields`` in force that day (valid from on or before it, valid to after it)."""
    day = str(pd.Timestamp(day).date())
    fields = list(fields)
    marks = ", ".join("?" * len(fields))
    long = pd.read_sql_query(
        "SELECT customer_id, field, value FROM customer_history WHERE field IN "
        f"({marks}) AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)",
        db,
        params=(*fields, day, day),
    )
    return long.pivot(index="customer_id", columns="field", values="value").reindex(columns=fields)


def file_table(db: sqlite3.Connection) -> pd.DataFrame:
    """The customer file as a DataFrame, one row per customer."""
    return pd.read_sql_query("SELECT * FROM customers ORDER BY customer_id", db).set_index(
        "customer_id"
    )


def file_accuracy(ds, file: pd.DataFrame, on) -> pd.Series:
    """How right the file is on ``on``, against the truth: the share of customers whose
    address, phone and family name are right (among the living); the share of withdrawn
    consents (customer and channel) that the file still has as yes (a contact without
    consent); the share of the customers who died that the file still has as active."""
    truth = _true_state(ds, on).reindex(file.index)
    alive = ~truth["died"].to_numpy(bool)
    right = {
        f: float((file[f].to_numpy(dtype=object) == truth[f].to_numpy(dtype=object))[alive].mean())
        for f in ("address", "phone", "family_name")
    }
    registered = ds["customers"].set_index("customer_id").reindex(file.index)
    withdrawn = unhonoured = 0
    for c in CHANNELS:
        column = f"consent_{c}"
        took_back = registered[column].to_numpy(bool) & ~truth[column].to_numpy(bool) & alive
        withdrawn += int(took_back.sum())
        unhonoured += int((took_back & (file[column].astype(int).to_numpy() == 1)).sum())
    died = truth["died"].to_numpy(bool)
    status = file.get("status", pd.Series("active", index=file.index)).to_numpy(dtype=object)
    return pd.Series(
        {
            "address right": right["address"],
            "phone right": right["phone"],
            "family name right": right["family_name"],
            "withdrawal not honoured": unhonoured / max(withdrawn, 1),
            "dead still active": float(((status == "active") & died).sum() / max(died.sum(), 1)),
        },
        name=str(pd.Timestamp(on).date()),
    )


def month_ends(ds, months: int = 12) -> list[pd.Timestamp]:
    """The last day of each of the ``months`` months that end on the as-of date."""
    return periods.month_ends(ds.as_of, months)


def twelve_months(ds, months: int = 12, progress: bool = False) -> pd.DataFrame:
    """The same customer file over the last ``months`` months, maintained and not.

    Both start on the day before the first month, with every update reported by then
    applied (the company has kept its file so far). Then one copy gets :func:`maintain` at
    each month's end; the other is left alone. Returns :func:`file_accuracy` of each at
    each month's end: one row per month and file (``maintained`` or ``left alone``).
    """
    ends = month_ends(ds, months)
    start = ends[0] - pd.offsets.MonthBegin(1) - pd.Timedelta(days=1)
    updates = ds["customer_updates"]
    kept, left = open_file(ds, start), open_file(ds, start)
    maintain(kept, updates, start)
    maintain(left, updates, start)
    rows = []
    steps = ends
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(ends, desc="months")
    for end in steps:
        maintain(kept, updates, end)
        for name, db in (("maintained", kept), ("left alone", left)):
            rows.append(
                {"month": end, "file": name, **file_accuracy(ds, file_table(db), end).to_dict()}
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- chain stores (连锁店共享)


def store_views(ds, customer_id: int | None = None) -> pd.DataFrame:
    """What each store sees of its customers alone, beside the chain's shared view.

    For every customer and store they bought in: that store's visits, spend and days since
    the last visit there, and the chain-wide figures. ``lapsed_here`` is True where the store
    alone would call the customer lapsed (no visit in the last
    :data:`course.periods.ACTIVE_DAYS` days) while ``active_in_chain`` says they bought in
    another store in that time. With ``customer_id``: that customer's rows only.
    """
    trips = ds["transactions"]
    if customer_id is not None:
        trips = trips[trips["customer_id"] == customer_id]
    day = trips["timestamp"].dt.normalize()
    trips = trips.assign(day=day)
    here = trips.groupby(["customer_id", "store_id"]).agg(
        visits=("transaction_id", "size"), spend=("total", "sum"), last=("day", "max")
    )
    chain = trips.groupby("customer_id").agg(
        chain_visits=("transaction_id", "size"),
        chain_spend=("total", "sum"),
        chain_last=("day", "max"),
    )
    table = here.join(chain, on="customer_id")
    as_of = ds.as_of
    table["days_since_here"] = (as_of - table["last"]).dt.days
    table["days_since_chain"] = (as_of - table["chain_last"]).dt.days
    table["lapsed_here"] = ~periods.is_active(table["days_since_here"])
    table["active_in_chain"] = periods.is_active(table["days_since_chain"])
    return table.drop(columns=["last", "chain_last"]).round({"spend": 2, "chain_spend": 2})


def silo_summary(views: pd.DataFrame) -> pd.Series:
    """How often a store alone gets a customer wrong: customers who buy in more than one
    store, and the store-customer pairs where the store would call an active customer
    lapsed."""
    per_customer = views.groupby(level="customer_id").size()
    misjudged = views["lapsed_here"] & views["active_in_chain"]
    return pd.Series(
        {
            "customers": int(len(per_customer)),
            "buy in 2+ stores": int((per_customer > 1).sum()),
            "store-customer pairs": int(len(views)),
            "lapsed to the store, active in the chain": int(misjudged.sum()),
        }
    )


def on_file(ds) -> Mapping[str, int]:
    """Counts for the list of failures: customers, and source records that stand for them."""
    truth = ds.truth("source_records")
    return {
        "customers": int(len(ds["customers"])),
        "source records": int(len(truth)),
        "people behind them": int(truth["customer_id"].nunique()),
    }
