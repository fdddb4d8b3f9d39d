"""Lesson 02's building blocks: each standardisation, matching, validation, survivorship and
loading rule does what the lesson says, in both locales."""

import sqlite3

import pandas as pd
import pytest

import generator
from course import building
from generator import sources

from conftest import ROOT, industry_build

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def auto():
    return generator.load("auto", ROOT / "datasets")


@pytest.fixture(scope="module")
def auto_zh(tmp_path_factory):
    options = dict(sources=True, dirty=0.05, locale="zh_CN", customers=1200, seed=3)
    return industry_build("auto", "auto-zh", options, tmp_path_factory)


@pytest.fixture(scope="module")
def built(auto):
    """The lesson's build of the default database (splink runs once for the module)."""
    return building.build(auto)


def merged(ds) -> pd.DataFrame:
    locale = ds.locale
    return building.merge([building.extract(ds, s) for s in ds.systems], locale)


# ---------------------------------------------------------------- extract


def test_dates_change_layout_not_content():
    values = pd.Series(["09/23/1955", "02/30/1989", "1/2/2001", "garbage", None])
    assert building.iso_dates(values, "%m/%d/%Y").tolist() == [
        "1955-09-23",
        "1989-02-30",  # not a day: left for the validation step
        "2001-01-02",
        None,
        None,
    ]
    assert building.iso_dates(pd.Series(["1990年03月04日"]), "%Y年%m月%d日").tolist() == [
        "1990-03-04"
    ]
    assert building.iso_dates(pd.Series(["04.03.1990"]), "%d.%m.%Y").tolist() == ["1990-03-04"]


def test_every_gender_code_of_every_system_is_known():
    for codes in sources.GENDER_CODES.values():
        for meaning, code in codes.items():
            assert building.gender_codes(pd.Series([code])).tolist() == [meaning]
    assert building.gender_codes(pd.Series(["X", None])).tolist() == [None, None]


def test_every_income_code_of_every_system_is_known():
    for codes in sources.INCOME_CODES.values():
        for meaning, code in codes.items():
            assert building.income_bands(pd.Series([code])).tolist() == [meaning]


def test_phones_become_national_digits_in_both_locales():
    us = pd.Series(["+1 806 555 0107", "(806) 555-0107", "806-555-0107", "8065550107"])
    assert set(building.phone_digits(us, "en_US")) == {"8065550107"}
    cn = pd.Series(["+86 186 0386 7231", "186-0386-7231", "18603867231"])
    assert set(building.phone_digits(cn, "zh_CN")) == {"18603867231"}
    # a number with digits lost keeps what is left; nothing stays nothing
    assert building.phone_digits(pd.Series(["806-555-01", None, ""]), "en_US").tolist() == [
        "80655501",
        None,
        None,
    ]


def test_a_number_written_with_plus_loses_its_country_code_whatever_its_length():
    # the layout is the national digits: "+1" is never one of them, even when digits were lost
    us = pd.Series(["+1 713 555 01", "+1 713 555 0136", "+1 (713) 555-01367", "+44 20 7946 0958"])
    assert building.phone_digits(us, "en_US").tolist() == [
        "71355501",
        "7135550136",
        "71355501367",
        "442079460958",  # another country's code is not this plan's: kept for validation
    ]
    cn = pd.Series(["+86 186 0386 72", "+86 186 0386 7231", "8618603867231"])
    assert building.phone_digits(cn, "zh_CN").tolist() == [
        "186038672",
        "18603867231",
        "18603867231",  # without "+": the code goes only when the rest has the national length
    ]
    # without "+", a short number that happens to start with the code keeps its digits
    assert building.phone_digits(pd.Series(["171355501"]), "en_US").tolist() == ["171355501"]


def test_every_consent_code_of_every_system_is_known():
    for codes in sources.CONSENT_CODES.values():
        assert building.consent_codes(pd.Series([codes[True], codes[False]])).tolist() == ["1", "0"]
    assert building.consent_codes(pd.Series([" y ", "maybe", None])).tolist() == ["1", None, None]


def test_full_names_split_in_every_layout():
    def split(names, order, locale):
        frame = building.split_full_name(pd.Series(names), order, locale)
        return list(zip(frame["given"], frame["family"], strict=True))

    assert split(["John Smith", "Mary Ann Jones"], "given_first", "en_US") == [
        ("John", "Smith"),
        ("Mary Ann", "Jones"),
    ]
    assert split(["SMITH, John", "John SMITH", "SMITH John"], "family_first", "en_US") == [
        ("John", "SMITH"),
        ("John", "SMITH"),  # the swapped order is recognised by the upper-case family name
        ("John", "SMITH"),
    ]
    assert split(["JohnSmith", "Smith"], "given_first", "en_US") == [
        ("John", "Smith"),  # a lost space, found between a small and a capital letter
        (None, "Smith"),
    ]
    assert split(["王娜", "欧阳小明", "Xiaoming Wang", "王", None], "given_first", "zh_CN") == [
        ("娜", "王"),
        ("小明", "欧阳"),
        ("Xiaoming", "Wang"),
        (None, "王"),
        (None, None),
    ]


def test_match_keys_compare_letters_only_and_chinese_as_pinyin():
    assert building.match_key(pd.Series(["O'Connor", "  Smith ", None]), "en_US").tolist() == [
        "oconnor",
        "smith",
        None,
    ]
    assert building.match_key(pd.Series(["王", "Wang", "小明"]), "zh_CN").tolist() == [
        "wang",
        "wang",
        "xiaoming",
    ]


@pytest.mark.parametrize("which", ["auto", "auto_zh"])
def test_extract_puts_every_system_into_the_common_layout(which, request):
    ds = request.getfixturevalue(which)
    locale = ds.locale
    for system in ds.systems:
        raw = ds.source(system["name"])
        frame = building.extract(ds, system)
        assert list(frame.columns) == list(building.LAYOUT)
        assert len(frame) == len(raw) and frame["unique_id"].is_unique
        assert (frame["extracted_on"] == building.extract_date(ds.as_of, system)).all()
        assert frame["gender"].dropna().isin(["F", "M"]).all()
        assert frame["income_band"].dropna().isin(["low", "middle", "high"]).all()
        assert frame["phone"].dropna().str.fullmatch(r"\d+").all()
        assert frame["birth_date"].dropna().str.fullmatch(r"\d{4}-\d\d-\d\d").all()
        for consent in building.CONSENTS:
            assert frame[consent].dropna().isin(["0", "1"]).all()
        assert frame["family"].notna().mean() > 0.99
        if locale == "en_US":
            family = frame["family"].dropna()
            assert not family[family.str.len() > 1].str.isupper().any()
    records = merged(ds)
    assert len(records) == sum(len(ds.source(s["name"])) for s in ds.systems)
    assert records["family_key"].dropna().str.fullmatch("[a-z]+").all()


@pytest.mark.parametrize("which", ["auto", "auto_zh"])
def test_every_consent_a_system_records_is_carried_into_the_layout(which, request):
    ds = request.getfixturevalue(which)
    asked = set()
    for system in ds.systems:
        frame = building.extract(ds, system)
        roles = {field[1] for field in system["fields"]}
        for consent in building.CONSENTS:
            if consent in roles:
                asked.add(consent)
                assert frame[consent].notna().all(), (system["name"], consent)
            else:  # a system that did not ask says nothing, not "no"
                assert frame[consent].isna().all(), (system["name"], consent)
    assert asked == set(building.CONSENTS)


def test_standardised_phones_mostly_pass_the_numbering_plan(auto, auto_zh):
    for ds in (auto, auto_zh):
        records = merged(ds)
        flags = building.validation_flags(records, ds.locale, ds.as_of)
        assert flags["phone_malformed"].sum() < 0.1 * records["phone"].notna().sum()


def test_a_system_description_says_where_and_how_a_field_is_written(auto, auto_zh):
    cards = {s["name"]: s for s in auto.systems}["warranty_cards"]
    assert building.column_for(cards, "birth_date", "en_US") == "birth_date"
    assert building.column_for(cards, "birth_date", "zh_CN") == "出生日期"
    assert building.format_for(cards, "birth_date", "en_US") == "%m/%d/%Y"
    assert building.format_for(cards, "birth_date", "zh_CN") == "%Y-%m-%d"
    assert building.column_for(cards, "income_band", "en_US") is None
    assert building.format_for(cards, "email", "en_US") is None


def test_overview_tables(auto):
    table = building.systems_table(auto)
    assert list(table.index) == [s["name"] for s in auto.systems]
    assert (table["records"] > 0).all()
    extracts = {s["name"]: building.extract(auto, s) for s in auto.systems}
    phones = building.before_after(auto, extracts, "phone", n=2)
    assert len(phones) == 2 * len(auto.systems) and list(phones.columns) == ["as written", "phone"]
    names = building.before_after(auto, extracts, "full_name", n=3)
    assert list(names.columns) == ["as written", "given", "family"]
    rates = building.fill_rates(merged(auto), ["phone", "birth_date"])
    assert rates.loc["warranty_cards", "birth_date"] > 0.9
    assert rates.loc["dealer_lead_sheets", "birth_date"] == 0


# ---------------------------------------------------------------- delete


def records_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in building.LAYOUT:
        if column not in frame:
            frame[column] = None
    frame["unique_id"] = frame["system"] + ":" + frame["record_key"]
    return frame


def test_exact_duplicates_keep_the_lowest_key_of_the_same_system():
    records = records_frame(
        [
            {"system": "a", "record_key": "2", "family": "Smith", "phone": "1"},
            {"system": "a", "record_key": "1", "family": "Smith", "phone": "1"},
            {"system": "a", "record_key": "3", "family": "Smith", "phone": None},
            {"system": "b", "record_key": "1", "family": "Smith", "phone": "1"},
            {"system": "a", "record_key": "4", "family": "Smith", "phone": "1"},
        ]
    )
    duplicates = building.exact_duplicates(records)
    assert duplicates.to_dict() == {"a:2": "a:1", "a:4": "a:1"}
    assert building.unnamed(records).sum() == 0


# ---------------------------------------------------------------- identify and measure

PAIRS = pd.DataFrame(
    {
        "unique_id_l": ["a", "b", "d", "e"],
        "unique_id_r": ["b", "c", "e", "x"],  # "x" is not a record: ignored
        "match_probability": [0.95, 0.6, 0.99, 0.99],
    }
)


def test_clusters_are_connected_components_at_the_threshold():
    ids = ["a", "b", "c", "d", "e", "f", "g"]
    found = building.clusters(ids, PAIRS, 0.5)
    assert found.tolist() == [1, 1, 1, 2, 2, 3, 4]  # a-b-c linked through b
    found = building.clusters(ids, PAIRS, 0.9)
    assert found.tolist() == [1, 1, 2, 3, 3, 4, 5]
    merged_ = pd.Series({"g": "f"})  # a deleted duplicate joins the record kept for it
    assert building.clusters(ids, PAIRS, 0.9, merged_).tolist() == [1, 1, 2, 3, 3, 4, 4]


def test_linkage_quality_counts_merges_splits_and_pairs():
    truth = pd.Series([1, 1, 1, 2, 3, 3], index=list("abcdef"))
    found = pd.Series([7, 7, 8, 7, 9, 9], index=list("abcdef"))
    quality = building.linkage_quality(found, truth)
    assert quality["customers"] == 3 and quality["true_customers"] == 3
    assert quality["exact"] == 1  # only person 3 (e, f) is found whole and alone
    assert quality["false_merges"] == 1  # d put with a and b
    assert quality["false_splits"] == 1  # c left out of person 1's customer
    assert (quality["pairs_found"], quality["true_pairs"], quality["pairs_right"]) == (4, 4, 2)
    assert quality["precision"] == quality["recall"] == quality["f1"] == 0.5


def test_linkage_quality_says_which_index_it_needs():
    truth = pd.Series([1, 1, 2], index=pd.Index(["web:1", "web:2", "cards:1"], name="unique_id"))
    right = pd.Series([7, 7, 8], index=truth.index)
    assert building.linkage_quality(right, truth)["recall"] == 1.0
    wrong = [
        pd.Series([7, 7, 8]),  # a RangeIndex: the records' positions, not their ids
        pd.Series([7, 7, 8], index=["1", "2", "3"]),  # keys without their system
        pd.Series([7, 7, 8], index=["web:1", "web:2", "cards:9"]),  # one unknown record
        pd.Series([7, 7, 8], index=["web:1", "web:1", "cards:1"]),  # a record twice
        [7, 7, 8],  # not a Series at all
    ]
    for found in wrong:
        with pytest.raises(TypeError, match="unique_id") as error:
            building.linkage_quality(found, truth)
        assert "pd.Series(" in str(error.value)  # says how to make one


def test_quality_curve_and_summary():
    truth = pd.Series([1, 1, 1, 2, 2, 3, 4], index=list("abcdefg"))
    curve = building.quality_curve(PAIRS, truth, [0.5, 0.9])
    assert curve["recall"].tolist() == [1.0, 2 / 4]
    assert curve["precision"].tolist() == [1.0, 1.0]
    line = building.threshold_summary(PAIRS, truth, 0.9)
    assert line.startswith("threshold 0.90: 5 customers found (4 really there)")
    assert "1 duplicates missed" in line and "recall 50.0%" in line


def test_the_slider_shows_the_summary_at_its_threshold():
    truth = pd.Series([1, 1, 1, 2, 2, 3, 4], index=list("abcdefg"))
    demo = building.threshold_slider(PAIRS, truth, value=0.9)
    slider, result = demo.children
    assert result.value == building.threshold_summary(PAIRS, truth, 0.9)
    slider.value = 0.5
    assert result.value == building.threshold_summary(PAIRS, truth, 0.5)
    assert "recall 100.0%" in result.value


def test_true_customers_cover_every_source_record(auto):
    truth = building.true_customers(auto)
    assert truth.index.is_unique
    assert set(truth.index) == set(merged(auto)["unique_id"])


@pytest.fixture(scope="module")
def zh_scores(auto_zh):
    records = merged(auto_zh)
    return records, building.score_pairs(records)


def test_splink_scores_find_most_duplicates_in_chinese_extracts(auto_zh, zh_scores):
    records, scores = zh_scores
    assert list(scores.columns) == ["unique_id_l", "unique_id_r", "match_probability"]
    assert scores["match_probability"].between(0, 1).all()
    truth = building.true_customers(auto_zh)
    quality = building.linkage_quality(building.clusters(truth.index, scores, 0.5), truth)
    assert quality["f1"] >= 0.85, quality
    assert quality["precision"] >= 0.9, quality


def test_splink_scores_are_the_same_every_run(zh_scores):
    records, scores = zh_scores
    pd.testing.assert_frame_equal(building.score_pairs(records), scores)


def test_the_build_validates_before_it_identifies(auto, built):
    # no invalid value is left in the records that splink scores...
    assert not building.validation_flags(built.clean, auto.locale, auto.as_of).any().any()
    assert built.flags["phone_malformed"].sum() > 0
    scored = set(built.scores["unique_id_l"]) | set(built.scores["unique_id_r"])
    assert scored <= set(built.clean["unique_id"])
    # ...and every named record, the deleted duplicates included, has its customer
    named = built.records[~building.unnamed(built.records)]
    assert set(built.customer.index) == set(named["unique_id"])
    assert built.customer.nunique() == len(built.golden)


# ---------------------------------------------------------------- extend, validate, update


def test_coverage_counts_a_field_once_per_customer():
    records = records_frame(
        [
            {"system": "a", "record_key": "1", "email": "x@example.com"},
            {"system": "b", "record_key": "1", "email": None},
            {"system": "a", "record_key": "2", "email": None},
        ]
    )
    customer = pd.Series({"a:1": 1, "b:1": 1, "a:2": 2})
    table = building.coverage(records, customer, ["email"])
    assert table.loc["email", "records"] == pytest.approx(1 / 3)
    assert table.loc["email", "customers"] == pytest.approx(1 / 2)


def test_validation_rules():
    records = records_frame(
        [
            {"system": "a", "record_key": "1", "birth_date": "1989-02-30", "phone": "8065550107"},
            {"system": "a", "record_key": "2", "birth_date": "2015-01-01", "phone": "80655501"},
            {"system": "a", "record_key": "3", "email": "a@@example.com", "age": "12"},
            {"system": "a", "record_key": "4", "email": "a at example.com", "age": "40"},
            {"system": "a", "record_key": "5", "email": "a.b@example.org", "phone": "0065550107"},
        ]
    )
    flags = building.validation_flags(records, "en_US", "2025-12-31")
    assert flags.sum().to_dict() == {
        "birth_date_not_a_day": 1,
        "birth_date_implausible": 1,
        "phone_malformed": 2,
        "email_malformed": 2,
        "age_implausible": 1,
    }
    clean = building.blank_invalid(records, flags)
    assert clean["birth_date"].isna().all() and clean["phone"].notna().sum() == 1
    assert clean["email"].tolist() == [None, None, None, None, "a.b@example.org"]
    zh = records_frame([{"system": "a", "record_key": "1", "phone": p} for p in ("13812345678",)])
    assert not building.validation_flags(zh, "zh_CN", "2025-12-31")["phone_malformed"].any()


def test_the_rules_find_every_planted_invalid_value(auto):
    records = merged(auto)
    flags = building.validation_flags(records, "en_US", auto.as_of)
    table = building.planted_and_found(auto, records, flags)
    assert (table["planted"] > 0).all()
    assert (table["planted_and_flagged"] == table["planted"]).all()


def test_survivorship_recent_for_changing_facts_vote_for_stable_ones():
    records = records_frame(
        [
            {
                "system": "cards",
                "record_key": "1",
                "extracted_on": "2025-06-01",
                "given": "Jon",
                "family": "Smith",
                "phone": "111",
                "birth_date": "1980-05-06",
            },
            {
                "system": "web",
                "record_key": "1",
                "extracted_on": "2025-12-01",
                "given": "John",
                "family": "Smith",
                "phone": "222",
                "age": "45",
            },
            {
                "system": "sheets",
                "record_key": "1",
                "extracted_on": "2025-11-01",
                "given": "John",
                "family": "Smith",
                "phone": None,
            },
            {
                "system": "cards",
                "record_key": "2",
                "extracted_on": "2025-06-01",
                "given": "Ann",
                "family": "Lee",
            },
            {
                "system": "web",
                "record_key": "2",
                "extracted_on": "2025-12-01",
                "given": "Lee",
                "family": "Ann",
            },
        ]
    )
    customer = pd.Series({"cards:1": 1, "web:1": 1, "sheets:1": 1, "cards:2": 2, "web:2": 2})
    assert building.conflicts(records, customer, ["phone", "name"]).to_dict() == {
        "phone": 1,
        "name": 2,
    }
    trust = ["cards", "sheets", "web"]
    golden = building.golden_records(records, customer, trust, owners="cards")
    golden = golden.set_index("customer_key")
    first, second = golden.loc[1], golden.loc[2]
    assert first["phone"] == "222"  # the most recent extract
    assert (first["given_name"], first["family_name"]) == ("John", "Smith")  # two votes to one
    assert (second["given_name"], second["family_name"]) == ("Ann", "Lee")  # a tie: trust
    assert first["birth_year"] == 1980  # from the birth date, not from the age
    assert (first["owner"], first["systems"], first["last_seen"]) == (1, 3, "2025-12-01")
    assert second["birth_year"] is None


def consent_records() -> tuple[pd.DataFrame, pd.Series]:
    """Three customers' statements about e-mail and SMS over three extracts."""
    rows = [
        # customer 1: yes in June, withdrawn in December (a newer no beats an older yes)
        ("cards", "1", "2025-06-01", "1", None, "1111111111"),
        ("web", "1", "2025-12-01", "0", "1", "2222222222"),
        # customer 2: on one extract date a yes and a no (a duplicate typed long ago)
        ("web", "2", "2025-12-01", "1", None, "3333333333"),
        ("web", "3", "2025-12-01", "0", None, "3333333333"),
        # customer 3: never asked
        ("sheets", "1", "2025-11-01", None, None, "4444444444"),
    ]
    records = records_frame(
        [
            dict(
                zip(
                    [
                        "system",
                        "record_key",
                        "extracted_on",
                        "consent_email",
                        "consent_sms",
                        "phone",
                    ],
                    row,
                    strict=True,
                ),
                family="Lee",
            )
            for row in rows
        ]
    )
    customer = pd.Series({"cards:1": 1, "web:1": 1, "web:2": 2, "web:3": 2, "sheets:1": 3})
    return records, customer


def test_consent_the_most_recent_statement_wins_and_unknown_permits_nothing():
    records, customer = consent_records()
    golden = building.golden_records(records, customer, ["cards", "sheets", "web"])
    golden = golden.set_index("customer_key")
    assert golden["consent_email"].to_dict() == {1: 0, 2: 0, 3: None}
    assert golden["consent_sms"].to_dict() == {1: 1, 2: None, 3: None}
    assert golden["consent_mail"].isna().all()


def test_history_keeps_every_value_with_the_dates_it_held():
    records, customer = consent_records()
    trust = ["cards", "sheets", "web"]
    changes = building.history(records, customer, trust, fields=["phone", "consent_email"])
    first = changes[changes["customer_key"] == 1]
    assert first.to_dict("records") == [
        {
            "customer_key": 1,
            "field": "consent_email",
            "value": "1",
            "valid_from": "2025-06-01",
            "valid_to": "2025-12-01",
        },
        {
            "customer_key": 1,
            "field": "consent_email",
            "value": "0",
            "valid_from": "2025-12-01",
            "valid_to": None,
        },
        {
            "customer_key": 1,
            "field": "phone",
            "value": "1111111111",
            "valid_from": "2025-06-01",
            "valid_to": "2025-12-01",
        },
        {
            "customer_key": 1,
            "field": "phone",
            "value": "2222222222",
            "valid_from": "2025-12-01",
            "valid_to": None,
        },
    ]
    # an extract that repeats the value in force changes nothing; no value, no period
    assert changes[changes["customer_key"] == 2]["value"].tolist() == ["0", "3333333333"]
    assert changes[changes["customer_key"] == 3]["field"].tolist() == ["phone"]


def test_the_value_in_force_is_the_golden_records_value(built):
    current = built.changes[built.changes["valid_to"].isna()]
    assert not current.duplicated(["customer_key", "field"]).any()
    golden = built.golden.set_index("customer_key")
    for field, values in current.groupby("field"):
        expected = golden.loc[values["customer_key"], field].astype(str).to_numpy()
        assert (values["value"].to_numpy() == expected).all(), field
        assert golden[field].notna().sum() == len(values), field
    closed = built.changes.dropna(subset=["valid_to"])
    assert len(closed) > 0 and (closed["valid_to"] > closed["valid_from"]).all()


def test_trust_order_puts_romanised_and_hand_typed_systems_last(auto, auto_zh):
    assert building.trust_order(auto)[-1] == "warranty_cards"  # typed in from paper cards
    assert building.trust_order(auto_zh)[-1] == "website_form"  # names in pinyin


# ---------------------------------------------------------------- load


@pytest.fixture
def db():
    connection = sqlite3.connect(":memory:")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.executescript(building.SCHEMA)
    yield connection
    connection.close()


def customer_row(**values) -> pd.DataFrame:
    row = {
        "customer_key": 1,
        "given_name": "Ann",
        "family_name": "Lee",
        "gender": "F",
        "birth_date": "1980-05-06",
        "birth_year": 1980,
        "phone": "8065550107",
        "email": "ann.lee@example.com",
        "postcode": "79401",
        "city": "Lubbock",
        "address": "1 Main St",
        "income_band": "high",
        "owner": 1,
        "systems": 1,
        "last_seen": "2025-12-01",
    }
    return pd.DataFrame([{**row, **values}])


def test_load_database_and_constraints(db):
    systems = pd.DataFrame([{"system": "web", "title": "Web", "extracted_on": "2025-12-01"}])
    links = pd.DataFrame([{"system": "web", "record_key": "W1", "customer_key": 1}])
    rows = building.load_database(db, systems, customer_row(), links)
    assert rows.to_dict() == {"systems": 1, "customers": 1, "source_records": 1}
    insert = (
        "INSERT INTO customers (customer_key, family_name, gender, birth_date, email, owner, "
        "systems, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    good = (2, "Lee", "M", "1980-02-28", "a@example.com", 0, 1, "2025-12-01")
    assert building.try_insert(db, insert, good) == "accepted"
    for position, bad in [
        (1, None),  # no family name
        (2, "X"),  # not a gender code
        (3, "1980-02-30"),  # not a day
        (4, "a@@example.com"),  # not an e-mail address
        (5, 2),  # owner is 0 or 1
    ]:
        row = list(good)
        row[position] = bad
        assert building.try_insert(db, insert, tuple(row)).startswith("refused: ")
    duplicate_key = building.try_insert(db, insert, (1, *good[1:]))
    assert "UNIQUE" in duplicate_key or "PRIMARY KEY" in duplicate_key
    orphan = building.try_insert(db, "INSERT INTO source_records VALUES ('web', 'W2', 99)")
    assert orphan == "refused: FOREIGN KEY constraint failed"
    # the accepted demonstration row was rolled back
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone() == (1,)


NOT_DAYS = ["1990-02-30", "1991-02-29", "1990-04-31", "1990-13-01", "31/12/1990", "not a date", ""]


def test_every_date_column_refuses_what_is_not_a_day(db):
    """date(x) returns NULL for a non-date and SQLite lets a NULL CHECK through: the schema's
    CHECKs compare with IS, so month 13 and '31/12/1990' are refused like 30 February."""
    building.load_database(
        db,
        pd.DataFrame([{"system": "web", "title": "Web", "extracted_on": "2025-12-01"}]),
        customer_row(),
        pd.DataFrame(columns=["system", "record_key", "customer_key"]),
    )
    tries = {
        "systems.extracted_on": (
            "INSERT INTO systems VALUES ('cards', 'Cards', ?)",
            lambda day: (day,),
        ),
        "customers.birth_date": (
            "INSERT INTO customers (customer_key, family_name, birth_date, owner, systems, "
            "last_seen) VALUES (2, 'Lee', ?, 0, 1, '2025-12-01')",
            lambda day: (day,),
        ),
        "customers.last_seen": (
            "INSERT INTO customers (customer_key, family_name, owner, systems, last_seen) "
            "VALUES (2, 'Lee', 0, 1, ?)",
            lambda day: (day,),
        ),
        "customer_history.valid_from": (
            "INSERT INTO customer_history VALUES (1, 'phone', '8065550107', ?, NULL)",
            lambda day: (day,),
        ),
        "customer_history.valid_to": (
            "INSERT INTO customer_history VALUES (1, 'phone', '8065550107', '1900-01-01', ?)",
            lambda day: (day,),
        ),
    }
    for column, (sql, params) in tries.items():
        assert building.try_insert(db, sql, params("1990-02-28")) == "accepted", column
        for day in NOT_DAYS:
            verdict = building.try_insert(db, sql, params(day))
            assert verdict.startswith("refused: CHECK constraint failed"), (column, day)
    # a missing birth date or end of period is allowed: NULL IS NULL
    for column in ("customers.birth_date", "customer_history.valid_to"):
        sql, params = tries[column]
        assert building.try_insert(db, sql, params(None)) == "accepted", column
    # the old form let the non-dates through, which is why the schema does not use it
    old = sqlite3.connect(":memory:")
    old.execute("CREATE TABLE t (d TEXT CHECK (d = date(d, '+0 days')))")
    assert building.try_insert(old, "INSERT INTO t VALUES ('31/12/1990')") == "accepted"


def test_a_period_of_history_ends_after_it_begins_and_belongs_to_a_customer(db):
    building.load_database(
        db,
        pd.DataFrame([{"system": "web", "title": "Web", "extracted_on": "2025-12-01"}]),
        customer_row(),
        pd.DataFrame(columns=["system", "record_key", "customer_key"]),
    )
    insert = "INSERT INTO customer_history VALUES (?, ?, 'x', ?, ?)"
    assert building.try_insert(db, insert, (1, "phone", "2025-06-01", "2025-12-01")) == "accepted"
    for row in [
        (1, "phone", "2025-12-01", "2025-06-01"),  # ends before it begins
        (1, "phone", "2025-12-01", "2025-12-01"),  # ends the day it begins
        (1, "shoe_size", "2025-06-01", None),  # not a field with a history
    ]:
        assert building.try_insert(db, insert, row).startswith("refused: CHECK"), row
    assert building.try_insert(db, insert, (9, "phone", "2025-06-01", None)) == (
        "refused: FOREIGN KEY constraint failed"
    )


def test_the_extended_golden_records_load_with_their_history(auto, built):
    postcodes = pd.read_csv(
        auto.folder / "sources" / "postcode_demographics.csv", dtype={"postcode": str}
    )
    area = postcodes.rename(columns=building.AREA_FIELDS)
    extended = built.golden.merge(area, on="postcode", how="left", validate="many_to_one")
    assert len(extended) == len(built.golden)
    assert extended["area_median_income"].notna().sum() > 0.5 * extended["postcode"].notna().sum()
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA foreign_keys = ON")
    db.executescript(building.SCHEMA)
    named = built.records[built.records["unique_id"].isin(built.customer.index)]
    links = named.assign(customer_key=named["unique_id"].map(built.customer))
    systems = building.systems_table(auto).reset_index()
    rows = building.load_database(db, systems, extended, links, built.changes)
    assert rows.to_dict() == {
        "systems": len(auto.systems),
        "customers": len(extended),
        "source_records": len(built.records),
        "customer_history": len(built.changes),
    }
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    central = building.central_database(auto, built)
    counts = {t: central.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in rows.index}
    assert counts == {**rows.to_dict(), "customers": len(built.golden)}


def test_schema_refuses_a_bad_load(db):
    systems = pd.DataFrame([{"system": "web", "title": "Web", "extracted_on": "2025-12-01"}])
    no_links = pd.DataFrame(columns=["system", "record_key", "customer_key"])
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        building.load_database(db, systems, customer_row(gender="unknown"), no_links)
