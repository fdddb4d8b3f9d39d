"""Checks for chapter 03, Why customer databases fail, and keeping one alive
(`from course.checks import ch03 as check`).

Every right answer is computed from the bank's database that ``generator.load("bank")`` opens
(the folder named by ``GENERATOR_DATASETS``, if set): its source-system extracts, its update
feed (``customer_updates``) and, where a task measures against the truth, its ``_truth/``. So
the checks hold for a database built with any seed or locale. The tasks that start from the
lesson's customers use the lesson's own build (:func:`course.building.build`), and those on
the maintained customer file use the same set-up as the exercise notebook: the file opened
one year before the as-of date and maintained at every month's end (:func:`maintained`).
"""

import sqlite3
from functools import cache

import numpy as np
import pandas as pd

import generator
from course import building, upkeep
from course.checking import Number, Score, Table, Values, task

#: The F1 (against the truth) a matching of the bank's records must reach.
F1_BAR = 0.9
#: A match-probability threshold far too low: it links pairs that are most likely strangers.
TOO_LOW = 0.01
#: How far before the as-of date the history task looks (about half a year).
HISTORY_DAYS = 183


@cache
def data():
    return generator.load("bank")


@cache
def built() -> building.Build:
    """The lesson's build: extract, merge, delete, validate, identify, update."""
    return building.build(data())


def records() -> pd.DataFrame:
    """Every record of the four systems in the lesson's common layout (extract and merge)."""
    return built().records


@cache
def truth() -> pd.Series:
    return building.true_customers(data())


def _system(name: str) -> dict:
    return next(s for s in data().systems if s["name"] == name)


def _raw(name: str, role: str) -> pd.Series:
    return data().source(name)[building.column_for(_system(name), role, data().locale)]


# ---------------------------------------------------------------- quality as numbers


def _has_email(frame: pd.DataFrame) -> pd.Series:
    return frame["email"].notna()


@task(
    Number(),
    hint="Keep the records of `records` whose `system` is `core_banking` and take the share "
    "(between 0 and 1) of them that have an e-mail address (`notna()`), valid or not.",
)
def email_completeness():
    frame = records()
    core = frame[frame["system"] == "core_banking"]
    ds = data()
    flags = building.validation_flags(core, ds.locale, ds.as_of)
    return float(_has_email(core).mean()), {
        "That is the share over the records of every system: completeness is measured per "
        "system (and field). Keep the core banking system's records only.": float(
            _has_email(frame).mean()
        ),
        "That is a count of records; completeness is a share: divide by the number of the "
        "core banking system's records.": int(_has_email(core).sum()),
        "That is the average of the four systems' shares: the question asks about one "
        "system, the core banking system.": float(
            _has_email(frame).groupby(frame["system"]).mean().mean()
        ),
        "You counted only the valid e-mail addresses: that is validity, another dimension. "
        "Completeness counts every value that is there, valid or not.": float(
            (_has_email(core) & ~flags["email_malformed"]).mean()
        ),
        'That is the completeness of the customer table (`bank["customers"]`): the question '
        "asks about the core banking system's records as extracted (`records`).": float(
            ds["customers"]["email"].notna().mean()
        ),
    }


# ---------------------------------------------------------------- decay


def _moves_share(
    *,
    start=None,
    count="customers",
    kinds=("moved",),
    registered_by: bool = True,
    numerator_filtered: bool = True,
    feed: bool = False,
) -> float:
    """The share of the customers on file on ``start`` who moved after it, by the as-of date,
    and the variants that known mistakes compute."""
    ds = data()
    start = ds.as_of - pd.DateOffset(years=2) if start is None else start
    customers = ds["customers"]
    on_file = customers["customer_id"]
    if registered_by:
        on_file = customers.loc[customers["registered_on"] <= start, "customer_id"]
    if feed:
        updates = ds["customer_updates"]
        events = updates.rename(columns={"changed_on": "date"})
    else:
        events = ds.truth("life_events")
    later = events[
        events["kind"].astype(str).isin(kinds)
        & (events["date"] > start)
        & (events["date"] <= ds.as_of)
    ]
    if numerator_filtered:
        later = later[later["customer_id"].isin(on_file)]
    moved = len(later) if count == "events" else later["customer_id"].nunique()
    return moved / len(on_file)


@task(
    Number(),
    hint="The day is `bank.as_of - pd.DateOffset(years=2)`. Take the customers registered on "
    "or before it; among them, count each customer once who has a `moved` event dated after "
    'that day and on or before the as-of date (`bank.truth("life_events")`), and divide by '
    "the number of customers on file that day.",
)
def stale_addresses():
    ds = data()
    return _moves_share(), {
        "You counted move events: a customer who moved twice has one stale address, not "
        "two. Count each customer once (`nunique()`).": _moves_share(count="events"),
        "Your share is over every customer, also those who registered after the day: the "
        "file of two years ago held only the customers registered on or before it. Keep "
        "them, in the count and in the share's denominator.": _moves_share(registered_by=False),
        "Your count has customers who registered after the day (and moved later), while "
        "your denominator has only those on file: keep the moves of the customers on file "
        "that day.": _moves_share(numerator_filtered=False),
        "You counted every kind of life event: the question asks about addresses, so keep "
        "the `moved` events.": _moves_share(kinds=tuple(upkeep.STALE_FIELD)),
        "You used the update feed: it holds only the moves the bank learnt of, and not every "
        'mover tells the bank. Measure against the truth (`bank.truth("life_events")`).': (
            _moves_share(feed=True)
        ),
        "Two years are not 730 days when a 29 February falls between: go back with "
        "`pd.DateOffset(years=2)`, which lands on the same date two years earlier.": (
            _moves_share(start=ds.as_of - pd.Timedelta(days=730))
        ),
    }


# ---------------------------------------------------------------- standardising


def _national(values: pd.Series) -> pd.Series:
    return building.phone_digits(values, data().locale)


@cache
def _phones() -> dict:
    """The two systems' phones as written and as national digits."""
    card, core = _raw("card_system", "phone"), _raw("core_banking", "phone")
    return {
        "card": card,
        "core": core,
        "card_digits": _national(card),
        "core_digits": _national(core),
    }


@task(
    Number(),
    hint="Standardise both phone columns to national digits with `building.phone_digits(..., "
    "bank.locale)`; then count the card-system records that have a phone and whose phone is "
    "among the core banking records' phones (`isin` on the phones that are there).",
)
def matching_phones():
    p = _phones()
    card, core = p["card_digits"], p["core_digits"]
    known_core = core.dropna()
    joined = pd.DataFrame({"phone": card.dropna()}).merge(
        pd.DataFrame({"phone": known_core}), on="phone"
    )
    return int((card.notna() & card.isin(known_core)).sum()), {
        "No phone matches: the two systems write phones differently (spaces, brackets, dashes, "
        "the country code). Standardise both to the national digits first, country code "
        "dropped (`building.phone_digits`).": int(p["card"].isin(p["core"].dropna()).sum()),
        "Your count has card records without a phone: a missing value is found among the core "
        "file's missing values by `isin` (and joined to them by `merge`). Leave out the "
        "records that have no phone.": int(card.isin(core).sum()),
        "You counted the pairs a join makes: a card record whose phone is on several core "
        "records counts once for each. Count card records (each once).": len(joined),
        "You counted the core banking records whose phone is on a card record: the question "
        "counts card-system records.": int((core.notna() & core.isin(card.dropna())).sum()),
        "You counted distinct phone numbers: count the card-system records (two records with "
        "one number are two).": int(card[card.notna() & card.isin(known_core)].nunique()),
    }


# ---------------------------------------------------------------- finding duplicates


def _labels(values, ids: pd.Series) -> pd.Series:
    return pd.Series(np.asarray(values), index=pd.Index(ids.to_numpy(), name="unique_id"))


def _same_partition(answer, other) -> bool:
    """Two matchings that group the same records together (whatever their labels)."""
    if not isinstance(answer, pd.Series) or not isinstance(other, pd.Series):
        return False
    if len(answer) != len(other) or not answer.index.sort_values().equals(
        other.index.sort_values()
    ):
        return False
    a = pd.factorize(answer.to_numpy())[0]
    b = pd.factorize(other.reindex(answer.index).to_numpy())[0]
    pairs = len(pd.DataFrame({"a": a, "b": b}).drop_duplicates())
    return pairs == a.max() + 1 == b.max() + 1


def _matching_problem(answer) -> str | None:
    """Why a matching cannot be scored, in words a student can act on."""
    how = (
        'Make it with `pd.Series(labels, index=records["unique_id"])` (with `.to_numpy()` '
        "on the labels)."
    )
    if isinstance(answer, pd.DataFrame):
        return (
            "The answer should be a Series (one customer label per record, indexed by "
            f"`unique_id`), but it is a table. {how}"
        )
    if not isinstance(answer, pd.Series):
        return (
            "The answer should be a pandas Series (one customer label per record, indexed by "
            f"`unique_id`), but it is a {type(answer).__name__}. {how}"
        )
    if answer.isna().any():
        return (
            f"{int(answer.isna().sum()):,} records have no customer label (NaN): give every "
            "record one (a record that matches nothing is a customer of its own)."
        )
    try:
        building.linkage_quality(answer, truth())
    except TypeError as error:
        return str(error)
    missing = int((~records()["unique_id"].isin(answer.index)).sum())
    if missing:
        return (
            f"Your Series leaves out {missing:,} of the {len(records()):,} records: give "
            "every record of `records` a customer (a record that matches nothing is a "
            "customer of its own)."
        )
    if _same_partition(answer, truth()):
        return (
            "That is the generator's truth itself (`truth`), not a matching: the bank has no "
            "truth to copy. Link the records by what they hold (names, phones, birth dates), "
            "as splink does, and measure the result against the truth."
        )
    return None


def _f1(answer) -> float:
    return building.linkage_quality(answer, truth())["f1"]


@task(
    Score(
        score=_f1,
        bar=F1_BAR,
        measure="F1 against the truth",
        equal=_same_partition,
        validate=_matching_problem,
    ),
    hint="Link the records with the pairs splink scored (`built.scores`) at a threshold you "
    'choose, with `building.clusters(records["unique_id"], built.scores, threshold, '
    "built.duplicates)`, and look at precision and recall with `building.linkage_quality` "
    "before you hand it in.",
    praise="Your matching reaches the bar.",
)
def bank_matches():
    b, frame = built(), records()
    ids = frame["unique_id"]
    parts = frame[["given_key", "family_key", "phone"]]
    complete = parts.notna().all(axis=1)
    exact = parts.fillna("").agg("|".join, axis=1).where(complete, ids)
    return building.clusters(ids, b.scores, building.THRESHOLD, b.duplicates), {
        "An exact match on name and phone is precise but misses most duplicates (low recall): "
        "a typo, a nickname or a new phone number keeps one customer's records apart. Use "
        "the pairs splink scored, which allow for them.": _labels(exact, ids),
        "Every record is a customer of its own: no pair is found, so the recall (and F1) is "
        "zero. Link the records that belong together.": _labels(np.arange(len(ids)), ids),
        "All records are one customer: every true pair is found (recall 1) but nearly every "
        "pair made is wrong (precision near 0). Link only pairs likely to be one person.": (
            _labels(np.ones(len(ids), dtype=int), ids)
        ),
        f"A threshold of {TOO_LOW} links pairs that are most likely strangers: recall is high "
        "but precision falls (two people's money in one customer). Raise the threshold and "
        "compare the costs of the two errors.": building.clusters(
            ids, b.scores, TOO_LOW, b.duplicates
        ),
    }


# ---------------------------------------------------------------- survivorship


def _keyed_phones(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    b = built()
    frame = b.clean if frame is None else frame
    keyed = frame.assign(customer_key=frame["unique_id"].map(b.customer))
    keyed = keyed.dropna(subset=["customer_key"])
    rank = {name: i for i, name in enumerate(building.trust_order(data()))}
    return keyed.assign(rank=keyed["system"].map(rank))


def _first_phone(keyed: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    ordered = keyed.sort_values(by, ascending=ascending, kind="stable")
    first = ordered.drop_duplicates("customer_key")[["customer_key", "phone"]]
    return first.sort_values("customer_key", ignore_index=True)


@task(
    Table(columns=("customer_key", "phone")),
    hint="Keep the records of `clean` that have a phone, give each its customer, sort newest "
    "extract first, then the most trusted system (`building.trust_order(bank)`), then the "
    "lowest `unique_id`, and keep each customer's first phone: one row per customer who has "
    "a phone anywhere.",
)
def latest_phones():
    keyed = _keyed_phones()
    with_phone = keyed.dropna(subset=["phone"])
    order = ["extracted_on", "rank", "unique_id"]
    counts = with_phone.groupby(["customer_key", "phone"]).size().rename("n").reset_index()
    most_common = counts.sort_values(
        ["customer_key", "n", "phone"], ascending=[True, False, True]
    ).drop_duplicates("customer_key")[["customer_key", "phone"]]
    from_records = _keyed_phones(built().records).dropna(subset=["phone"])
    return _first_phone(with_phone, order, [False, True, True]), {
        "You kept the oldest extract's phone: people change numbers, so the most recent "
        "extract wins (sort `extracted_on` descending).": _first_phone(
            with_phone, order, [True, True, True]
        ),
        "Some of your phones are missing: the most recent record does not always have one. "
        "Drop the records without a phone before you take each customer's first.": (
            _first_phone(keyed, order, [False, True, True])
        ),
        "Your table has customers with no phone in any record (a missing phone): keep only "
        "the customers who have one, by dropping the records without a phone first.": (
            keyed.sort_values(order, ascending=[False, True, True])
            .groupby("customer_key")["phone"]
            .first()
            .reset_index()
        ),
        "You took the phone most of the customer's records hold: for a fact that changes, "
        "the most recent statement wins, not the majority.": most_common,
        "Two records of one extract disagree for some customers, and yours keeps the one "
        "with the highest `unique_id`: sort `unique_id` ascending, so the lowest wins.": (
            _first_phone(with_phone, order, [False, True, False])
        ),
        "You used `records`, where invalid phone numbers are still there: `clean` has them "
        "blanked, so an invalid number never survives. Start from `clean`.": _first_phone(
            from_records, order, [False, True, True]
        ),
    }


# ---------------------------------------------------------------- the maintained file


def open_maintained(ds) -> sqlite3.Connection:
    """The exercise's set-up: the customer file opened one year before the as-of date and
    maintained at every month's end of the last twelve months (:func:`course.upkeep.maintain`)."""
    file = upkeep.open_file(ds, ds.as_of - pd.DateOffset(years=1))
    for end in upkeep.month_ends(ds, 12):
        upkeep.maintain(file, ds["customer_updates"], end)
    return file


@cache
def maintained() -> sqlite3.Connection:
    return open_maintained(data())


def history_day(file: sqlite3.Connection, as_of) -> str:
    """The day the history task asks about: the latest day, up to :data:`HISTORY_DAYS` days
    before ``as_of``, on which an address in the file changed (so the boundary matters)."""
    middle = pd.Timestamp(as_of) - pd.Timedelta(days=HISTORY_DAYS)
    return file.execute(
        "SELECT MAX(valid_from) FROM customer_history WHERE field = 'address' AND valid_from <= ?",
        (f"{middle:%Y-%m-%d}",),
    ).fetchone()[0]


def _addresses(condition: str) -> pd.DataFrame:
    file = maintained()
    day = history_day(file, data().as_of)
    return pd.read_sql_query(
        "SELECT customer_id, value AS address FROM customer_history "
        f"WHERE field = 'address' AND {condition}",
        file,
        params={"day": day},
    )


@task(
    Table(columns=("customer_id", "address")),
    hint="Query `customer_history` in `file`: the rows of the field `address` whose period "
    "holds the day: `valid_from <= day` and (`valid_to IS NULL` or `valid_to > day`). One row "
    "per customer on file, with the columns `customer_id` and `address`.",
)
def addresses_on():
    ds, file = data(), maintained()
    customers = ds["customers"]
    start = ds.as_of - pd.DateOffset(years=1)
    registered = customers.loc[customers["registered_on"] <= start, ["customer_id", "address"]]
    current = pd.read_sql_query("SELECT customer_id, address FROM customers", file)
    return _addresses("valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)"), {
        "That is each customer's current address (the file now): the question asks where "
        "they lived on the day. Read it from `customer_history`.": current,
        "That is the address each customer registered with: the history has the moves "
        "since; take the period that holds the day.": registered,
        "A customer who moved on the day itself has two rows in your table: a period that "
        "ends on the day no longer holds it (`valid_to > day`, not `>=`).": _addresses(
            "valid_from <= :day AND (valid_to IS NULL OR valid_to >= :day)"
        ),
        "A customer who moved on the day itself is missing: a period that starts on the day "
        "holds it (`valid_from <= day`, not `<`).": _addresses(
            "valid_from < :day AND (valid_to IS NULL OR valid_to > :day)"
        ),
        "Your table has only the periods that have ended: the current period has no end "
        "(`valid_to` is NULL). Keep it too: `valid_to IS NULL OR valid_to > day`.": (
            _addresses("valid_from <= :day AND valid_to > :day")
        ),
    }


# ---------------------------------------------------------------- an idempotent step by hand


def log_runs(as_of) -> list[str]:
    """The days the suppression step runs on: half a year before the as-of date, then the
    as-of date twice (a run repeated, as after a restart)."""
    as_of = pd.Timestamp(as_of)
    return [f"{as_of - pd.DateOffset(months=6):%Y-%m-%d}", f"{as_of:%Y-%m-%d}", f"{as_of:%Y-%m-%d}"]


def _withdrawals(since: str = "u.changed_on", new: str = "") -> str:
    return (
        "INSERT INTO suppression (customer_id, channel, since) "
        f"SELECT u.customer_id, u.channel, {since} FROM updates AS u "
        f"WHERE u.kind = 'consent_withdrawn' AND u.reported_on <= :run_on {new}"
    )


_NEW = (
    "AND NOT EXISTS (SELECT 1 FROM suppression AS s WHERE s.customer_id = u.customer_id "
    "AND s.channel = u.channel)"
)


def _logged(step: str) -> pd.DataFrame:
    """The suppression table after ``step`` ran on each of :func:`log_runs`' days."""
    ds = data()
    db = upkeep.feed_database(ds["customer_updates"])
    for day in log_runs(ds.as_of):
        db.execute(step, {"run_on": day})
    return pd.read_sql_query("SELECT * FROM suppression", db)


@task(
    Table(columns=("customer_id", "channel", "since")),
    hint="Insert into `suppression` the consent withdrawals (`kind = 'consent_withdrawn'`) "
    "reported on or before the run's day that are not in the table yet (the same customer and "
    "channel), with `since` the day the consent was withdrawn (`changed_on`); run your step on "
    "each day of `runs`, then read the whole table.",
)
def withdrawals_logged():
    return _logged(_withdrawals(new=_NEW)), {
        "Your table repeats withdrawals: each run inserted again what an earlier run had "
        "inserted, so the step is not idempotent. Insert only the withdrawals not in the "
        "table yet (`NOT EXISTS`, or a key with `INSERT OR IGNORE`).": _logged(_withdrawals()),
        "Your table is missing withdrawals: a customer can withdraw more than one channel. "
        "A withdrawal is already in the table only when its customer *and* channel are.": (
            _logged(
                _withdrawals(
                    new="AND NOT EXISTS (SELECT 1 FROM suppression AS s "
                    "WHERE s.customer_id = u.customer_id)"
                )
            )
        ),
        "Your `since` is the day the bank learnt of the withdrawal (`reported_on`): the "
        "consent ended the day the customer withdrew it (`changed_on`).": _logged(
            _withdrawals(since="u.reported_on", new=_NEW)
        ),
    }


def _registered_on_file(channel: str = "mail") -> pd.DataFrame:
    ds = data()
    customers = ds["customers"]
    start = ds.as_of - pd.DateOffset(years=1)
    on_file = customers[customers["registered_on"] <= start]
    return on_file[on_file[f"consent_{channel}"] & on_file["address"].notna()]


def _reported(kind: str, channel: str | None = None) -> pd.Series:
    updates = data()["customer_updates"]
    keep = updates["kind"] == kind
    if channel is not None:
        keep &= updates["channel"] == channel
    return updates.loc[keep, "customer_id"]


def _ids(frame: pd.DataFrame) -> list[int]:
    return sorted(int(c) for c in frame["customer_id"])


@task(
    Values(distinct=True),
    hint="Select from the maintained file's `customers` table the customers who are alive "
    "(`status = 'active'`), have said yes to mail (`consent_mail = 1`), have an address "
    "(`address IS NOT NULL`) not marked gone away (`mail_gone_away = 0`); each customer once.",
)
def mail_list():
    ds, file = data(), maintained()
    right = upkeep.contactable(file, "mail")
    registered = _registered_on_file()
    customers = ds["customers"]
    dead, withdrew = _reported("died"), _reported("consent_withdrawn", "mail")
    history = pd.read_sql_query(
        "SELECT customer_id FROM customer_history WHERE field = 'address'", file
    )
    repeated = history[history["customer_id"].isin(right["customer_id"])]
    anyone = pd.read_sql_query(
        "SELECT customer_id FROM customers WHERE status = 'active' AND address IS NOT NULL",
        file,
    )
    return _ids(right), {
        "Your list has customers who died: a death ends every consent. Apply the deaths the "
        "bank learnt of (the maintained file has them), not only the withdrawals.": _ids(
            registered[~registered["customer_id"].isin(withdrew)]
        ),
        "Your list has customers who withdrew their consent to mail: a withdrawal the bank "
        "learnt of must be honoured. The maintained file has them applied.": _ids(
            registered[~registered["customer_id"].isin(dead)]
        ),
        "Your list has the consents as the customers registered them: withdrawals and deaths "
        "reported since are not applied. Select from the maintained file (`file`).": _ids(
            registered
        ),
        'Your list comes from the customer table (`bank["customers"]`): it has customers who '
        "are not on the file and knows nothing of the withdrawals and deaths reported since. "
        "Select from the maintained file (`file`).": _ids(
            customers[customers["consent_mail"] & customers["address"].notna()]
        ),
        "Your list has customers who never agreed to mail: an address is not permission. "
        "Keep only `consent_mail = 1`.": _ids(anyone),
        "Your list repeats customers: a join with `customer_history` gives one row per "
        "period of the address. Select from `customers`, one row each.": [
            int(c) for c in repeated["customer_id"]
        ],
    }
