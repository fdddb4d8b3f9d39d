"""Chapter 03's checks tell right from wrong on the default data: plausible answers, written the
way a student would write them, are judged as they should be — the wrong ones refused (with the
hint of their mistake where the check names it), the right ones in another form accepted — and
the data hold the cases that separate them (customers who moved twice, phones written in two
ways and missing from both systems, a phone on several core records, disagreeing records within
one extract, a move on the day the history is asked about, deaths and withdrawals reported).

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import numpy as np
import pandas as pd
import pytest

from course import building, upkeep
from course.checking import answer_key
from course.checks import ch03

from conftest import accepted, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def ds():
    return ch03.data()


@pytest.fixture(scope="module")
def built():
    return ch03.built()


@pytest.fixture(scope="module")
def records(built):
    return built.records


@pytest.fixture(scope="module")
def file(ds):
    """The exercise's maintained customer file (a copy of its own: tests may run it again)."""
    return ch03.open_maintained(ds)


# ---------------------------------------------------------------- task 1: e-mail completeness


def test_email_completeness(ds, records, capsys):
    core = records[records["system"] == "core_banking"]
    right = core["email"].notna().mean()
    assert accepted(ch03.email_completeness, right, capsys)
    assert accepted(ch03.email_completeness, core["email"].count() / len(core), capsys)
    card = upkeep.scorecard(records, ds.locale, ds.as_of, fields=["email"])
    assert accepted(
        ch03.email_completeness, card.loc[("core_banking", "email"), "completeness"], capsys
    )
    system = next(s for s in ds.systems if s["name"] == "core_banking")
    written = ds.source("core_banking")[building.column_for(system, "email", ds.locale)]
    assert accepted(ch03.email_completeness, written.notna().mean(), capsys)  # the raw file

    assert "every system" in refused(ch03.email_completeness, records["email"].notna().mean())
    assert "count" in refused(ch03.email_completeness, int(core["email"].notna().sum()))
    per_system = records["email"].notna().groupby(records["system"]).mean()
    assert "average" in refused(ch03.email_completeness, per_system.mean())
    flags = building.validation_flags(core, ds.locale, ds.as_of)
    valid = (core["email"].notna() & ~flags["email_malformed"]).mean()
    assert "validity" in refused(ch03.email_completeness, valid)
    assert "customer table" in refused(
        ch03.email_completeness, ds["customers"]["email"].notna().mean()
    )
    assert "percentage" in refused(ch03.email_completeness, right * 100)
    assert "rounded" in refused(ch03.email_completeness, round(right, 3))
    assert refused(ch03.email_completeness, core["email"].isna().mean())  # the missing share


# ---------------------------------------------------------------- task 2: stale addresses


def test_the_data_hold_customers_who_moved_twice(ds):
    events = ds.truth("life_events")
    day = ds.as_of - pd.DateOffset(years=2)
    moves = events[(events["kind"] == "moved") & (events["date"] > day)]
    assert (moves["customer_id"].value_counts() > 1).any()
    assert (ds["customers"]["registered_on"] > day).any()  # customers not on file then


def test_stale_addresses(ds, capsys):
    customers, events = ds["customers"], ds.truth("life_events")
    day = ds.as_of - pd.DateOffset(years=2)

    def share(since=day, strict=True, on_file=None, count="customers", kinds=("moved",)):
        on_file = customers["registered_on"] <= since if on_file is None else on_file
        ids = customers.loc[on_file, "customer_id"]
        after = events["date"] > since if strict else events["date"] >= since
        moved = events[after & (events["date"] <= ds.as_of) & events["kind"].isin(kinds)]
        moved = moved[moved["customer_id"].isin(ids)]
        found = len(moved) if count == "events" else moved["customer_id"].nunique()
        return found / len(ids)

    assert accepted(ch03.stale_addresses, share(), capsys)
    stale = upkeep.stale_shares(ds, [2])
    assert accepted(ch03.stale_addresses, stale.loc["address", "2 years"], capsys)
    # Cannot tell: no customer on file moved on the day itself in this build, so `>=` and `>`
    # agree; for that reason the boundary is not a named mistake of this check.
    assert accepted(ch03.stale_addresses, share(strict=False), capsys)

    assert "move events" in refused(ch03.stale_addresses, share(count="events"))
    everyone = pd.Series(True, index=customers.index)
    assert "every customer" in refused(ch03.stale_addresses, share(on_file=everyone))
    assert "every kind" in refused(ch03.stale_addresses, share(kinds=tuple(upkeep.STALE_FIELD)))
    assert "730" in refused(ch03.stale_addresses, share(since=ds.as_of - pd.Timedelta(days=730)))
    feed = ds["customer_updates"]
    on_file = customers.loc[customers["registered_on"] <= day, "customer_id"]
    told = feed[(feed["kind"] == "moved") & (feed["changed_on"] > day)]
    told = told[told["customer_id"].isin(on_file)]
    assert "update feed" in refused(
        ch03.stale_addresses, told["customer_id"].nunique() / len(on_file)
    )
    assert refused(ch03.stale_addresses, 1 - share())  # the share still right
    assert refused(  # one year, not two
        ch03.stale_addresses, share(since=ds.as_of - pd.DateOffset(years=1))
    )
    assert refused(ch03.stale_addresses, int(share() * len(on_file)))  # a count


# ---------------------------------------------------------------- task 3: matching phones


def _phone(ds, name: str) -> pd.Series:
    system = next(s for s in ds.systems if s["name"] == name)
    return ds.source(name)[building.column_for(system, "phone", ds.locale)]


def test_the_data_hold_phones_written_two_ways_missing_and_shared(ds):
    card, core = _phone(ds, "card_system"), _phone(ds, "core_banking")
    assert card.isna().any() and core.isna().any()  # missing in both: isin matches them
    assert not card.dropna().isin(core.dropna()).any()  # as written, nothing matches
    digits = building.phone_digits(core, ds.locale)
    assert (digits.value_counts() > 1).any()  # a number on several core records: a join repeats


def test_matching_phones(ds, records, capsys):
    card, core = _phone(ds, "card_system"), _phone(ds, "core_banking")
    card_digits = building.phone_digits(card, ds.locale)
    core_digits = building.phone_digits(core, ds.locale)
    right = int((card_digits.notna() & card_digits.isin(core_digits.dropna())).sum())
    assert accepted(ch03.matching_phones, right, capsys)
    assert accepted(
        ch03.matching_phones,
        int(card_digits.dropna().isin(set(core_digits.dropna())).sum()),
        capsys,
    )
    # the extract step standardised the phones already: `records` gives the same count
    card_records = records.loc[records["system"] == "card_system", "phone"]
    core_records = records.loc[records["system"] == "core_banking", "phone"]
    assert accepted(
        ch03.matching_phones, int(card_records.dropna().isin(core_records.dropna()).sum()), capsys
    )

    assert "differently" in refused(ch03.matching_phones, int(card.isin(core.dropna()).sum()))
    only_digits = card.str.replace(r"\D", "", regex=True)  # the country code kept
    assert "differently" in refused(
        ch03.matching_phones,
        int(only_digits.dropna().isin(core.str.replace(r"\D", "", regex=True).dropna()).sum()),
    )
    assert "without a phone" in refused(
        ch03.matching_phones, int(card_digits.isin(core_digits).sum())
    )
    joined = pd.DataFrame({"phone": card_digits}).merge(
        pd.DataFrame({"phone": core_digits}).dropna(), on="phone"
    )
    assert "pairs" in refused(ch03.matching_phones, len(joined))
    assert "core banking records" in refused(
        ch03.matching_phones, int(core_digits.dropna().isin(card_digits.dropna()).sum())
    )
    shared = card_digits[card_digits.notna() & card_digits.isin(core_digits.dropna())]
    assert "distinct" in refused(ch03.matching_phones, shared.nunique())
    assert refused(ch03.matching_phones, right / len(card))  # a share, not a count


# ---------------------------------------------------------------- task 4: the bank's matching


def test_bank_matches(ds, built, records, capsys):
    ids, truth = records["unique_id"], building.true_customers(ds)
    lesson = building.clusters(ids, built.scores, building.THRESHOLD, built.duplicates)
    assert accepted(ch03.bank_matches, lesson, capsys)
    assert accepted(ch03.bank_matches, built.customer, capsys)  # every bank record is named
    relabelled = pd.Series(["c" + str(k) for k in lesson], index=lesson.index)
    assert accepted(ch03.bank_matches, relabelled, capsys)
    for threshold in (0.5, 0.99):
        found = building.clusters(ids, built.scores, threshold, built.duplicates)
        assert accepted(ch03.bank_matches, found, capsys)
    assert building.linkage_quality(lesson, truth)["f1"] > ch03.F1_BAR + 0.05  # well above

    def labels(values):
        return pd.Series(np.asarray(values), index=ids.to_numpy())

    parts = records[["given_key", "family_key", "phone"]]
    complete = parts.notna().all(axis=1)
    exact = parts.fillna("").agg("|".join, axis=1).where(complete, ids)
    assert "exact match" in refused(ch03.bank_matches, labels(exact))
    numbered = labels(pd.factorize(exact)[0] + 100)  # the same grouping, other labels
    assert "exact match" in refused(ch03.bank_matches, numbered)
    assert "own" in refused(ch03.bank_matches, labels(ids))
    assert "one customer" in refused(ch03.bank_matches, labels(np.zeros(len(ids), dtype=int)))
    too_low = building.clusters(ids, built.scores, ch03.TOO_LOW, built.duplicates)
    assert "threshold" in refused(ch03.bank_matches, too_low)
    # without the exact duplicates the grouping differs: the general hint, with the score
    forgotten = building.clusters(ids, built.scores, ch03.TOO_LOW)
    assert "F1 against the truth is" in refused(ch03.bank_matches, forgotten)

    assert "truth itself" in refused(ch03.bank_matches, truth)
    assert "table" in refused(ch03.bank_matches, lesson.reset_index())
    assert "Series" in refused(ch03.bank_matches, lesson.tolist())
    assert "unique_id" in refused(ch03.bank_matches, lesson.reset_index(drop=True))
    assert "leaves out" in refused(ch03.bank_matches, lesson.iloc[:-10])
    gaps = lesson.astype(float)
    gaps.iloc[:3] = np.nan
    assert "no customer label" in refused(ch03.bank_matches, gaps)
    assert "repeats" in refused(ch03.bank_matches, pd.concat([lesson, lesson.iloc[:2]]))
    expected, _ = answer_key(ch03.bank_matches)
    assert ch03._same_partition(expected, lesson)


# ---------------------------------------------------------------- task 5: latest phones


def test_the_data_hold_records_of_one_extract_that_disagree(built):
    keyed = built.clean.assign(customer_key=built.clean["unique_id"].map(built.customer))
    keyed = keyed.dropna(subset=["phone"])
    per_extract = keyed.groupby(["customer_key", "extracted_on"])["phone"].nunique()
    assert (per_extract > 1).any()  # the tie-break matters
    assert (keyed.groupby("customer_key")["extracted_on"].nunique() > 1).any()


def test_latest_phones(ds, built, capsys):
    clean = built.clean
    trust = {name: rank for rank, name in enumerate(building.trust_order(ds))}
    keyed = clean.assign(
        customer_key=clean["unique_id"].map(built.customer), rank=clean["system"].map(trust)
    )
    with_phone = keyed.dropna(subset=["phone"])
    order = ["extracted_on", "rank", "unique_id"]

    def first(frame, ascending):
        ordered = frame.sort_values(order, ascending=ascending)
        return ordered.groupby("customer_key")["phone"].first()

    right = first(with_phone, [False, True, True])
    assert accepted(ch03.latest_phones, right.reset_index(), capsys)
    assert accepted(ch03.latest_phones, right, capsys)
    last = with_phone.sort_values(order, ascending=[True, False, False])
    assert accepted(ch03.latest_phones, last.groupby("customer_key")["phone"].last(), capsys)
    golden = built.golden.dropna(subset=["phone"])[["customer_key", "phone"]]
    assert accepted(ch03.latest_phones, golden, capsys)  # the lesson's rule, read off
    # Cannot tell: the core banking system is both the most trusted system and the newest
    # extract, so "the most trusted system's phone, whatever its date" is the right answer on
    # the bank's data. It is not a named mistake for that reason.
    trusted = with_phone.sort_values(["rank", "extracted_on", "unique_id"], ascending=[1, 0, 1])
    assert accepted(ch03.latest_phones, trusted.groupby("customer_key")["phone"].first(), capsys)

    assert "oldest" in refused(ch03.latest_phones, first(with_phone, [True, True, True]))
    newest_record = keyed.sort_values(order, ascending=[False, True, True])
    newest_record = newest_record.drop_duplicates("customer_key")[["customer_key", "phone"]]
    assert "most recent record" in refused(ch03.latest_phones, newest_record)
    # groupby().first() skips missing values, but keeps a row for customers with no phone
    assert "no phone" in refused(ch03.latest_phones, first(keyed, [False, True, True]))
    assert "highest" in refused(ch03.latest_phones, first(with_phone, [False, True, False]))
    mode = with_phone.groupby("customer_key")["phone"].agg(lambda s: s.mode().iloc[0])
    assert "most of" in refused(ch03.latest_phones, mode)
    # a majority broken by the order of the records instead of by value: the general hint
    counted = with_phone.groupby("customer_key")["phone"].agg(lambda s: s.value_counts().index[0])
    assert refused(ch03.latest_phones, counted)
    raw = built.records.assign(
        customer_key=built.records["unique_id"].map(built.customer),
        rank=built.records["system"].map(trust),
    ).dropna(subset=["phone"])
    assert "`records`" in refused(ch03.latest_phones, first(raw, [False, True, True]))
    assert refused(ch03.latest_phones, right.reset_index().head(100))  # some customers only
    assert "column" in refused(ch03.latest_phones, right.reset_index().rename(columns=str.upper))


# ---------------------------------------------------------------- task 6: the history


def test_the_day_has_a_move_on_it(file, ds):
    day = ch03.history_day(file, ds.as_of)
    moved = file.execute(
        "SELECT COUNT(*) FROM customer_history WHERE field = 'address' AND valid_from = ?", (day,)
    ).fetchone()[0]
    assert moved > 0
    assert day > str((ds.as_of - pd.DateOffset(years=1)).date())  # after the file was opened


def test_addresses_on(ds, file, capsys):
    day = ch03.history_day(file, ds.as_of)

    def query(where):
        sql = (
            "SELECT customer_id, value AS address FROM customer_history "
            f"WHERE field = 'address' AND {where}"
        )
        return pd.read_sql_query(sql, file, params={"day": day})

    right = "valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)"
    assert accepted(ch03.addresses_on, query(right), capsys)
    assert accepted(
        ch03.addresses_on,
        query("valid_from <= :day AND COALESCE(valid_to, '9999-12-31') > :day"),
        capsys,
    )
    assert accepted(ch03.addresses_on, query(right).set_index("customer_id")["address"], capsys)
    assert accepted(ch03.addresses_on, upkeep.as_at(file, day)[["address"]], capsys)

    current = pd.read_sql_query("SELECT customer_id, address FROM customers", file)
    assert "current address" in refused(ch03.addresses_on, current)
    customers = ds["customers"]
    registered = customers[customers["customer_id"].isin(current["customer_id"])]
    assert "registered" in refused(ch03.addresses_on, registered[["customer_id", "address"]])
    assert "two rows" in refused(
        ch03.addresses_on, query("valid_from <= :day AND (valid_to IS NULL OR valid_to >= :day)")
    )
    assert "missing" in refused(
        ch03.addresses_on, query("valid_from < :day AND (valid_to IS NULL OR valid_to > :day)")
    )
    assert "no end" in refused(ch03.addresses_on, query("valid_from <= :day AND valid_to > :day"))
    assert refused(ch03.addresses_on, query("valid_to IS NULL"))  # the current period
    assert refused(ch03.addresses_on, query("1 = 1"))  # every period
    assert refused(ch03.addresses_on, upkeep.as_at(file, ds.as_of)[["address"]])  # as-of date


# ---------------------------------------------------------------- task 7: a step run twice


def _suppression(ds, step: str, runs=None) -> pd.DataFrame:
    log = upkeep.feed_database(ds["customer_updates"])
    for day in runs or ch03.log_runs(ds.as_of):
        log.execute(step, {"run_on": day})
    return pd.read_sql_query("SELECT * FROM suppression", log)


IDEMPOTENT = """
INSERT INTO suppression (customer_id, channel, since)
SELECT u.customer_id, u.channel, u.changed_on FROM updates AS u
WHERE u.kind = 'consent_withdrawn' AND u.reported_on <= :run_on
  AND NOT EXISTS (SELECT 1 FROM suppression AS s
                  WHERE s.customer_id = u.customer_id AND s.channel = u.channel)
"""


def test_the_data_hold_customers_who_withdrew_two_channels(ds):
    feed = ds["customer_updates"]
    withdrawn = feed[feed["kind"] == "consent_withdrawn"]
    assert withdrawn["customer_id"].duplicated().any()
    assert not withdrawn.duplicated(["customer_id", "channel"]).any()


def test_withdrawals_logged(ds, capsys):
    assert accepted(ch03.withdrawals_logged, _suppression(ds, IDEMPOTENT), capsys)
    # a keyed table with INSERT OR IGNORE is idempotent too
    log = upkeep.feed_database(ds["customer_updates"])
    log.executescript(
        "DROP TABLE suppression; CREATE TABLE suppression (customer_id INTEGER, "
        "channel TEXT, since TEXT, PRIMARY KEY (customer_id, channel));"
    )
    for day in ch03.log_runs(ds.as_of):
        log.execute(
            "INSERT OR IGNORE INTO suppression SELECT customer_id, channel, changed_on "
            "FROM updates WHERE kind = 'consent_withdrawn' AND reported_on <= :run_on",
            {"run_on": day},
        )
    keyed = pd.read_sql_query("SELECT * FROM suppression", log)
    assert accepted(ch03.withdrawals_logged, keyed, capsys)
    # a full refresh (empty the table, insert everything reported) is idempotent as well
    refresh = "DELETE FROM suppression"
    log = upkeep.feed_database(ds["customer_updates"])
    for day in ch03.log_runs(ds.as_of):
        log.execute(refresh)
        log.execute(IDEMPOTENT, {"run_on": day})
    full = pd.read_sql_query("SELECT * FROM suppression", log)
    assert accepted(ch03.withdrawals_logged, full, capsys)

    plain = IDEMPOTENT[: IDEMPOTENT.index("AND NOT EXISTS")]
    assert "repeats" in refused(ch03.withdrawals_logged, _suppression(ds, plain))
    by_customer = plain + (
        "AND NOT EXISTS (SELECT 1 FROM suppression AS s WHERE s.customer_id = u.customer_id)"
    )
    assert "more than one channel" in refused(
        ch03.withdrawals_logged, _suppression(ds, by_customer)
    )
    reported = IDEMPOTENT.replace("u.channel, u.changed_on", "u.channel, u.reported_on")
    assert "reported_on" in refused(ch03.withdrawals_logged, _suppression(ds, reported))
    # run once only: still right, the point is that the second run changes nothing
    once = _suppression(ds, IDEMPOTENT, runs=ch03.log_runs(ds.as_of)[1:2])
    assert accepted(ch03.withdrawals_logged, once, capsys)


# ---------------------------------------------------------------- task 8: the mailing list


def test_the_data_hold_deaths_and_withdrawals_of_mailable_customers(ds):
    customers, feed = ds["customers"], ds["customer_updates"]
    on_file = customers[customers["registered_on"] <= ds.as_of - pd.DateOffset(years=1)]
    mailable = on_file.loc[on_file["consent_mail"], "customer_id"]
    dead = feed.loc[feed["kind"] == "died", "customer_id"]
    withdrew = feed[(feed["kind"] == "consent_withdrawn") & (feed["channel"] == "mail")]
    assert mailable.isin(dead).any()
    assert mailable.isin(withdrew["customer_id"]).any()


def test_a_second_run_changes_nothing(ds, file):
    before = pd.read_sql_query("SELECT * FROM customers", file)
    again = pd.DataFrame(
        [upkeep.maintain(file, ds["customer_updates"], end) for end in upkeep.month_ends(ds, 12)]
    )
    assert again.drop(columns=["already applied", "not on file"]).sum().sum() == 0
    assert pd.read_sql_query("SELECT * FROM customers", file).equals(before)


def test_mail_list(ds, file, capsys):
    def select(where, join=""):
        sql = f"SELECT c.customer_id FROM customers AS c {join} WHERE {where}"
        return pd.read_sql_query(sql, file)["customer_id"]

    right = "status = 'active' AND consent_mail = 1 AND address IS NOT NULL AND mail_gone_away = 0"
    assert accepted(ch03.mail_list, select(right), capsys)
    assert accepted(ch03.mail_list, upkeep.contactable(file, "mail")["customer_id"], capsys)
    assert accepted(ch03.mail_list, select(right).tolist(), capsys)
    # Cannot tell: a death sets every consent to 0 in the maintained file, and every customer
    # who agreed to mail has an address, so leaving out the status test or the address test
    # gives the right list on this data. Neither is a named mistake for that reason.
    assert accepted(ch03.mail_list, select("consent_mail = 1"), capsys)
    assert accepted(ch03.mail_list, select("status = 'active' AND consent_mail = 1"), capsys)

    customers, feed = ds["customers"], ds["customer_updates"]
    on_file = customers[customers["registered_on"] <= ds.as_of - pd.DateOffset(years=1)]
    registered = on_file[on_file["consent_mail"] & on_file["address"].notna()]["customer_id"]
    dead = feed.loc[feed["kind"] == "died", "customer_id"]
    withdrew = feed.loc[
        (feed["kind"] == "consent_withdrawn") & (feed["channel"] == "mail"), "customer_id"
    ]
    assert "died" in refused(ch03.mail_list, registered[~registered.isin(withdrew)])
    assert "withdrew" in refused(ch03.mail_list, registered[~registered.isin(dead)])
    assert "as the customers registered" in refused(ch03.mail_list, registered)
    everyone = customers[customers["consent_mail"] & customers["address"].notna()]
    assert "customer table" in refused(ch03.mail_list, everyone["customer_id"])
    assert "never agreed" in refused(
        ch03.mail_list, select("status = 'active' AND address IS NOT NULL")
    )
    repeated = select(
        f"{right} AND h.field = 'address'", join="JOIN customer_history AS h USING (customer_id)"
    )
    assert "repeats" in refused(ch03.mail_list, repeated)
    assert refused(ch03.mail_list, select(right.replace("consent_mail", "consent_email")))
    assert "table" in refused(
        ch03.mail_list, pd.read_sql_query(f"SELECT * FROM customers WHERE {right}", file)
    )
