"""Chapter 02's checks tell right from wrong on the default data: plausible answers, written the
way a student would write them, are judged as they should be — the wrong ones refused (with the
hint of their mistake where the check names it), the right ones in another form accepted — and
the data hold the cases that separate them (four kinds of impossible birth date and real leap
days, e-mail addresses missing from records, postcodes that changed, owners whose SMS consent
nobody asked for, keys that collide without a separator).

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import sqlite3

import pandas as pd
import pytest

from course import building
from course.checking import answer_key
from course.checks import ch02

from conftest import accepted, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def ds():
    return ch02.data()


@pytest.fixture(scope="module")
def records():
    return ch02.records()


@pytest.fixture(scope="module")
def built():
    return ch02.built()


# ---------------------------------------------------------------- task 1: gender codes


def test_hotline_genders(ds, capsys):
    system = next(s for s in ds.systems if s["name"] == "hotline_log")
    written = ds.source("hotline_log")[building.column_for(system, "gender", ds.locale)]

    def counted(codes: dict, method="map"):
        if method == "map":
            standard = written.str.strip().str.lower().map(codes)
        else:  # replace leaves a code it does not know as written
            standard = written.replace(codes)
        return standard.value_counts().rename_axis("gender").reset_index(name="records")

    every = {"m": "M", "male": "M", "1": "M", "f": "F", "female": "F", "2": "F"}
    every |= {"男": "M", "女": "F"}
    assert accepted(ch02.hotline_genders, counted(every), capsys)
    assert accepted(ch02.hotline_genders, counted(every).set_index("gender")["records"], capsys)
    only_digits = {"1": "M", "2": "F", "男": "M", "女": "F"}  # the hotline's own codes only
    assert "another system" in refused(ch02.hotline_genders, counted(only_digits))
    own = {"1": "M", "2": "F"} if ds.locale == "en_US" else {"男": "M", "女": "F"}
    assert "`replace`" in refused(ch02.hotline_genders, counted(own, "replace"))
    swapped = {k: {"M": "F", "F": "M"}[v] for k, v in every.items()}  # 1 = female
    assert refused(ch02.hotline_genders, counted(swapped))
    shares = counted(every).assign(records=lambda f: f["records"] / f["records"].sum())
    assert refused(ch02.hotline_genders, shares)


# ---------------------------------------------------------------- task 2: impossible dates


def test_the_data_hold_every_kind_of_impossible_birth_date_and_real_leap_days(records):
    written = records["birth_date"].dropna()
    month_day = written.str[5:]
    assert (month_day == "02-30").any()  # 30 February
    assert month_day.isin(["04-31", "06-31", "09-31", "11-31"]).any()  # the 31st of a short month
    assert (written.str[5:7] == "13").any()  # month 13
    leap = month_day == "02-29"
    real = pd.to_datetime(written[leap], format="%Y-%m-%d", errors="coerce").notna()
    assert (~real).any() and real.any()  # 29 February of common years, and of leap years


def test_impossible_birth_dates(records, capsys):
    dates = records["birth_date"]
    born = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce")
    right = records.loc[dates.notna() & born.isna(), "unique_id"]
    assert accepted(ch02.impossible_birth_dates, right, capsys)
    assert accepted(ch02.impossible_birth_dates, right.tolist(), capsys)
    inferred = pd.to_datetime(dates, errors="coerce")  # no format: pandas reads ISO all the same
    assert accepted(
        ch02.impossible_birth_dates,
        records.loc[dates.notna() & inferred.isna(), "unique_id"],
        capsys,
    )
    month = dates.str[5:7].astype(float)
    day = dates.str[8:10].astype(float)
    for rule, says in [
        (born.isna(), "no birth date"),
        ((month == 2) & (day >= 30), "only knows February"),
        ((month == 2) & (day >= 29), ""),  # every 29 February, leap years too
        ((month > 12) | (day > 31), "at most 12"),
    ]:
        hint = refused(ch02.impossible_birth_dates, records.loc[rule.fillna(False), "unique_id"])
        assert says in hint
    assert refused(ch02.impossible_birth_dates, int((dates.notna() & born.isna()).sum()))
    assert refused(ch02.impossible_birth_dates, dates[dates.notna() & born.isna()])  # the dates


# ---------------------------------------------------------------- task 3: shared e-mails


def test_shared_emails(records, capsys):
    db = sqlite3.connect(":memory:")
    records.to_sql("records", db, index=False)

    def query(select="COUNT(*)", where="WHERE email IS NOT NULL", having="HAVING COUNT(*) > 1"):
        sql = f"SELECT email, {select} AS records FROM records {where} GROUP BY email {having}"
        return pd.read_sql_query(sql, db)

    assert accepted(ch02.shared_emails, query(), capsys)
    assert accepted(ch02.shared_emails, query(select="COUNT(email)"), capsys)
    assert accepted(ch02.shared_emails, query(having="HAVING records >= 2"), capsys)
    assert "HAVING" in refused(ch02.shared_emails, query(having=""))
    assert "NULL" in refused(ch02.shared_emails, query(where=""))
    assert "systems" in refused(ch02.shared_emails, query(select="COUNT(DISTINCT system)"))
    assert refused(ch02.shared_emails, query(having="HAVING COUNT(*) > 2"))
    assert refused(ch02.shared_emails, query(select="COUNT(*) - 1"))  # the records merged away


# ---------------------------------------------------------------- task 4: exact merges


def test_exact_merges(records, capsys):
    key = ["given_key", "family_key", "phone"]
    keyed = records.dropna(subset=key)
    assert accepted(ch02.exact_merges, int(keyed.duplicated(key).sum()), capsys)
    assert accepted(ch02.exact_merges, len(keyed) - keyed.groupby(key).ngroups, capsys)
    assert "empty phone" in refused(ch02.exact_merges, int(records.duplicated(key).sum()))
    assert refused(ch02.exact_merges, int(keyed.duplicated(["family_key", "phone"]).sum()))
    assert refused(ch02.exact_merges, int(keyed.duplicated(["given_key", "family_key"]).sum()))
    assert refused(ch02.exact_merges, len(keyed.drop_duplicates(key)))  # the records kept


# ---------------------------------------------------------------- task 5: exact-key recall


def test_the_data_separate_a_key_glued_without_a_separator(records):
    parts = records[["given_key", "family_key", "phone"]].dropna()
    glued = parts.agg("".join, axis=1)
    apart = parts.agg("|".join, axis=1)
    assert glued.nunique() < apart.nunique()  # some keys collide without a separator


def test_exact_key_recall(ds, records, capsys):
    truth = building.true_customers(ds)
    parts = records[["given_key", "family_key", "phone"]]
    complete = parts.notna().all(axis=1)

    def recall(separator="|", own=records["unique_id"], index=records["unique_id"]):
        key = parts.fillna("").agg(separator.join, axis=1).where(complete, own)
        return building.linkage_quality(pd.Series(key.to_numpy(), index=index), truth)["recall"]

    assert accepted(ch02.exact_key_recall, recall(), capsys)
    assert accepted(ch02.exact_key_recall, recall(separator=" "), capsys)
    codes = pd.factorize(
        parts.fillna("").agg("|".join, axis=1).where(complete, records["unique_id"])
    )
    numbered = pd.Series(codes[0], index=records["unique_id"].to_numpy())
    assert accepted(
        ch02.exact_key_recall, building.linkage_quality(numbered, truth)["recall"], capsys
    )
    assert "separator" in refused(ch02.exact_key_recall, recall(separator=""))
    # every incomplete record in one customer (an empty key part instead of its own id)
    lumped = recall(own=pd.Series("", index=records.index))
    assert refused(ch02.exact_key_recall, lumped)
    lesson = building.linkage_quality(ch02.built().customer, truth)["recall"]
    assert refused(ch02.exact_key_recall, lesson)  # the lesson's splink matching, not the key
    with pytest.raises(TypeError, match="unique_id"):  # indexed by position: a clear error
        building.linkage_quality(parts.fillna("").agg("|".join, axis=1), truth)


# ---------------------------------------------------------------- task 6: latest postcodes


def test_the_data_hold_customers_who_moved_and_conflicts_within_one_extract(built):
    keyed = built.clean.assign(customer_key=built.clean["unique_id"].map(built.customer))
    keyed = keyed.dropna(subset=["postcode"])
    per_extract = keyed.groupby(["customer_key", "extracted_on"])["postcode"].nunique()
    assert (per_extract > 1).any()  # the tie-break matters
    assert (keyed.groupby("customer_key")["extracted_on"].nunique() > 1).any()


def test_latest_postcodes(built, capsys):
    keyed = built.clean.assign(customer_key=built.clean["unique_id"].map(built.customer))
    with_postcode = keyed.dropna(subset=["postcode"])
    newest = with_postcode.sort_values(["extracted_on", "unique_id"], ascending=[False, True])
    right = newest.groupby("customer_key")["postcode"].first()
    assert accepted(ch02.latest_postcodes, right.reset_index(), capsys)
    assert accepted(ch02.latest_postcodes, right, capsys)
    oldest_last = with_postcode.sort_values(["extracted_on", "unique_id"], ascending=[True, False])
    assert accepted(
        ch02.latest_postcodes, oldest_last.groupby("customer_key")["postcode"].last(), capsys
    )
    # the golden records apply the same rule: a student who reads them off is not wrong
    golden = built.golden.dropna(subset=["postcode"])[["customer_key", "postcode"]]
    assert accepted(ch02.latest_postcodes, golden, capsys)

    oldest = with_postcode.sort_values(["extracted_on", "unique_id"])
    assert "oldest" in refused(
        ch02.latest_postcodes, oldest.groupby("customer_key")["postcode"].first()
    )
    no_tie_break = with_postcode.sort_values(["extracted_on", "unique_id"], ascending=False)
    assert refused(ch02.latest_postcodes, no_tie_break.groupby("customer_key")["postcode"].first())
    everything = keyed.sort_values(["extracted_on", "unique_id"], ascending=[False, True])
    latest_record = everything.drop_duplicates("customer_key")[["customer_key", "postcode"]]
    assert "missing" in refused(ch02.latest_postcodes, latest_record)
    assert refused(ch02.latest_postcodes, latest_record.dropna())  # the customers dropped


# ---------------------------------------------------------------- task 7: extend


def test_extended_customers(built, capsys):
    golden, postcodes = built.golden, ch02.postcode_list()
    right = golden.merge(postcodes, on="postcode", how="left")
    assert accepted(ch02.extended_customers, right, capsys)
    assert accepted(
        ch02.extended_customers, golden.join(postcodes.set_index("postcode"), on="postcode"), capsys
    )
    assert "inner" in refused(ch02.extended_customers, golden.merge(postcodes, on="postcode"))
    assert refused(ch02.extended_customers, golden.merge(postcodes, on="postcode", how="right"))
    assert refused(ch02.extended_customers, golden.merge(postcodes, on="postcode", how="outer"))
    records = built.clean.assign(customer_key=built.clean["unique_id"].map(built.customer))
    assert "source record" in refused(
        ch02.extended_customers, records.merge(postcodes, on="postcode", how="left")
    )
    area = golden.merge(postcodes, on="postcode", how="left")
    assert refused(  # the area's income index in the median income's place
        ch02.extended_customers, area.assign(median_income=area["income_index"])
    )


# ---------------------------------------------------------------- task 8: a CHECK constraint


def test_birth_date_check(ds, capsys):
    youngest = f"{ds.as_of - pd.DateOffset(years=16):%Y-%m-%d}"
    real_day = "date(birth_date, '+0 days') IS birth_date"
    for right in [
        f"{real_day} AND birth_date <= '{youngest}'",
        f"birth_date IS date(birth_date, '+0 days') AND birth_date <= '{youngest}'",
        f"{real_day} AND birth_date <= date('{ds.as_of:%Y-%m-%d}', '-16 years')",
        f"{real_day} AND NOT birth_date > '{youngest}'",
    ]:
        assert accepted(ch02.birth_date_check, right, capsys), right
    for wrong, says in [
        (real_day, "younger than 16"),
        (f"birth_date <= '{youngest}'", "not dates at all"),
        (f"birth_date = date(birth_date, '+0 days') AND birth_date <= '{youngest}'", "`IS`"),
        (f"date(birth_date) IS birth_date AND birth_date <= '{youngest}'", "'+0 days'"),
        # strftime() does not normalise either: 30 February comes back as written
        (f"strftime('%Y-%m-%d', birth_date) IS birth_date AND birth_date <= '{youngest}'", "+0"),
        (f"{real_day} AND birth_date < '{youngest}'", "turns 16"),
        (f"birth_date IS NOT NULL AND {real_day} AND birth_date <= '{youngest}'", "without a"),
        (f"date(birth_date, '+0 days') IS NOT NULL AND birth_date <= '{youngest}'", ""),
        (f"julianday(birth_date) IS NOT NULL AND birth_date <= '{youngest}'", ""),
        (f"{real_day} AND birth_date <= '{ds.as_of:%Y-%m-%d}'", ""),  # only not in the future
        (f"{real_day} AND birth_date <= date('now', '-16 years')", ""),  # today, not the as-of
    ]:
        assert says in refused(ch02.birth_date_check, wrong), wrong
    assert "SQLite" in refused(ch02.birth_date_check, "birth_date IS A DAY")
    assert "column" in refused(ch02.birth_date_check, "1 = 1")


# ---------------------------------------------------------------- task 9: the SMS mart


def test_the_data_hold_owners_whose_sms_consent_nobody_asked_for(built):
    owners = built.golden[built.golden["owner"] == 1]
    assert (owners["consent_sms"].isna() & owners["phone"].notna()).any()
    assert (owners["consent_sms"].eq(0) & owners["phone"].notna()).any()
    assert (built.golden["consent_sms"].eq(1) & built.golden["owner"].eq(0)).any()


def test_sms_reminders(ds, built, capsys):
    db = building.central_database(ds, built)

    def view(where: str, join: str = ""):
        db.execute("DROP VIEW IF EXISTS mart")
        db.execute(
            f"CREATE VIEW mart AS SELECT customer_key FROM customers AS c {join} WHERE {where}"
        )
        return pd.read_sql_query("SELECT customer_key FROM mart", db)["customer_key"]

    right = "owner = 1 AND phone IS NOT NULL AND consent_sms = 1"
    assert accepted(ch02.sms_reminders, view(right), capsys)
    assert accepted(
        ch02.sms_reminders, view("owner AND phone IS NOT NULL AND consent_sms IS 1"), capsys
    )
    assert "never agreed" in refused(ch02.sms_reminders, view("owner = 1 AND phone IS NOT NULL"))
    assert "unknown" in refused(
        ch02.sms_reminders, view("owner = 1 AND phone IS NOT NULL AND consent_sms IS NOT 0")
    )
    assert "unknown" in refused(
        ch02.sms_reminders, view("owner = 1 AND phone IS NOT NULL AND COALESCE(consent_sms, 1) = 1")
    )
    assert "own no car" in refused(
        ch02.sms_reminders, view("phone IS NOT NULL AND consent_sms = 1")
    )
    assert refused(
        ch02.sms_reminders, view("owner = 1 AND consent_phone = 1 AND phone IS NOT NULL")
    )
    repeated = view(right, join="JOIN source_records AS r USING (customer_key)")
    assert "repeats" in refused(ch02.sms_reminders, repeated)  # one row per source record
    assert "table" in refused(ch02.sms_reminders, pd.read_sql_query("SELECT * FROM mart", db))
    # Cannot tell: every owner with an SMS consent has a phone in the golden record (the
    # website form that asks for the consent asks for the number), so forgetting the phone
    # test gives the right list on this data. It is not a named mistake for that reason.
    assert accepted(ch02.sms_reminders, view("owner = 1 AND consent_sms = 1"), capsys)


# ---------------------------------------------------------------- task 10: lift


def test_beverages_snacks_lift(capsys):
    import generator

    retail = generator.load("retail")
    lines = retail["transaction_items"].merge(retail["products"], on="product_id")
    baskets = pd.get_dummies(lines["category"]).groupby(lines["transaction_id"]).any()
    drinks, snacks = baskets["beverages"], baskets["snacks"]
    both = (drinks & snacks).mean()
    right = both / (drinks.mean() * snacks.mean())
    assert accepted(ch02.beverages_snacks_lift, right, capsys)
    assert accepted(ch02.beverages_snacks_lift, both / (snacks.mean() * drinks.mean()), capsys)
    receipts = len(retail["transactions"])
    assert receipts == len(baskets)  # every receipt has a line
    assert "confidence" in refused(ch02.beverages_snacks_lift, both / drinks.mean())
    assert "other rule" in refused(ch02.beverages_snacks_lift, both / snacks.mean())
    assert "support" in refused(ch02.beverages_snacks_lift, both)
    assert "rounded" in refused(ch02.beverages_snacks_lift, round(right, 2))
    assert refused(ch02.beverages_snacks_lift, 1 / right)
    per_line = lines["category"].value_counts(normalize=True)
    assert refused(ch02.beverages_snacks_lift, both / (per_line["beverages"] * per_line["snacks"]))
    expected, _ = answer_key(ch02.beverages_snacks_lift)
    assert expected == pytest.approx(right)
