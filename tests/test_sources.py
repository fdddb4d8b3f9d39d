"""Source-system extracts: clean ones reconcile exactly, dirty ones have the errors asked for.

Every record is accounted for by the truth tables, and a real record-linkage run (splink)
finds the duplicates that an exact match on name and phone misses.
"""

import json

import pandas as pd
import pytest

import generator
import generator.locales
from generator import decay, sources
from generator.builder import industry
from generator.sources.formats import _pinyin as pinyin

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

WITH_SOURCES = [n for n in generator.INDUSTRIES if "systems" in industry(n).spec]
BUILDS = [(name, code) for name in WITH_SOURCES for code in ("en_US", "zh_CN")]
RATE = 0.05
SIZE = dict(customers=3_500)  # more than one block for retail and bank


def systems(data) -> dict[str, dict]:
    return {s["name"]: s for s in data.systems}


def build(tmp_path_factory, name, code, **options):
    out = tmp_path_factory.mktemp(f"{name}-{code}")
    generator.build([name], out, sources=True, locale=code, **SIZE, **options)
    return generator.load(name, out)


@pytest.fixture(scope="module", params=BUILDS, ids=["-".join(b) for b in BUILDS])
def clean(request, tmp_path_factory):
    return build(tmp_path_factory, *request.param)


@pytest.fixture(scope="module", params=BUILDS, ids=["-".join(b) for b in BUILDS])
def dirty(request, tmp_path_factory):
    return build(tmp_path_factory, *request.param, dirty=RATE)


def records(data, name: str) -> pd.DataFrame:
    """A system's extract as its file holds it: all text, missing values as None."""
    system, code = systems(data)[name], data.manifest["parameters"]["locale"]
    encoding = sources.for_locale(system.get("encoding", "utf-8"), code)
    if system["format"] == "csv":
        path = data.folder / "sources" / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        return frame.replace("", None)
    path = data.folder / "sources" / f"{name}.jsonl"
    with open(path, encoding=encoding) as file:
        return pd.DataFrame([json.loads(line) for line in file])


def columns(data, name: str) -> list[tuple[str, str, str]]:
    code = data.manifest["parameters"]["locale"]
    return [
        (sources.for_locale(c, code), r, sources.for_locale(o, code))
        for c, r, o in sources.fields(systems(data)[name])
    ]


# ---------------------------------------------------------------- clean extracts


def people(data) -> pd.DataFrame:
    """The company's people (customers, guests...) keyed as the engine's truth tables key them:
    by ``customer_id``."""
    table = data.schema.table(industry(data.industry).people)
    return data[table.name].rename(columns={table.key[0]: "customer_id"})


def expected_state(data, extracted_on) -> pd.DataFrame:
    return decay.state_at(people(data), data.truth("life_events"), extracted_on)


def normalise(role, option, values: pd.Series, code: str, romanised: bool) -> pd.Series:
    """A source column parsed back to the customer table's representation."""
    if role == "gender":
        back = {v: k for k, v in sources.GENDER_CODES[option or "MF"].items()}
        return values.map(back)
    if role in ("birth_date", "registered_on"):
        return pd.to_datetime(values, format=option or "%Y-%m-%d")
    if role == "income_band" and option:
        return values.map({v: k for k, v in sources.INCOME_CODES[option].items()})
    if role == "customer_id":  # the company's own customer number, read back as a number
        return pd.to_numeric(values)
    if role.startswith("consent_"):  # as it stood on the extract date, withdrawals included
        return values.map({v: k for k, v in sources.CONSENT_CODES[option or "YN"].items()})
    if role == "phone":  # digits only, without the country code of international numbers
        return values.str.replace(r"^\+\d+ ", "", regex=True).str.replace(r"\D", "", regex=True)
    return values


def truth_value(role, option, state: pd.DataFrame, code: str, romanised: bool) -> pd.Series:
    given, family = state["given_name"].astype(str), state["family_name"].astype(str)
    if romanised:
        given, family = given.map(pinyin), family.map(pinyin)
    if role == "given_name":
        return given
    if role == "family_name":
        return family
    if role == "full_name":
        if code == "zh_CN" and not romanised:
            return family + given
        if option == "family_first":
            return family.str.upper() + (", " if code == "en_US" else " ") + given
        return given + " " + family
    if role in ("birth_date", "registered_on"):
        return pd.to_datetime(state[role])
    if role == "phone":
        return state["phone"].astype(str).str.replace(r"\D", "", regex=True)
    return state[role].astype(object).where(state[role].notna(), None)


def test_clean_extracts_reconcile_exactly_with_the_database(clean):
    for name in systems(clean):
        reconcile(clean, name)


def reconcile(clean, name):
    code = clean.manifest["parameters"]["locale"]
    romanised = bool(sources.for_locale(systems(clean)[name].get("romanised", False), code))
    found = records(clean, name)
    truth = clean.truth("source_records").query("system == @name")
    assert truth["duplicate_of"].isna().all()
    key = columns(clean, name)[0][0]
    joined = found.merge(truth, left_on=key, right_on="record_key", validate="1:1")
    assert len(joined) == len(found) == len(truth)
    state = expected_state(clean, truth["extracted_on"].iloc[0]).set_index("customer_id")
    state = state.loc[joined["customer_id"]].reset_index()
    extracted = truth["extracted_on"].iloc[0]
    for column, role, option in columns(clean, name)[1:]:
        if role == "age":  # completed years on the extract date
            born = pd.to_datetime(state["birth_date"])
            want = [
                extracted.year - b.year - ((b.month, b.day) > (extracted.month, extracted.day))
                for b in born
            ]
            assert list(joined[column].astype(int)) == want, (name, column)
            continue
        got = normalise(role, option, joined[column], code, romanised)
        want = truth_value(role, option, state, code, romanised)
        assert list(got.fillna("∅")) == list(want.fillna("∅")), (name, column)


def test_a_system_knows_only_customers_registered_before_its_extract(clean):
    truth = clean.truth("source_records").merge(people(clean), on="customer_id")
    assert (truth["registered_on"] <= truth["extracted_on"]).all()
    shares = truth.groupby("system").size() / len(people(clean))
    for name, system in systems(clean).items():  # customers who joined later are unknown
        assert system["coverage"] * 0.6 < shares[name] <= system["coverage"] * 1.05, name


def test_chinese_extracts_use_their_systems_encoding(clean):
    if clean.manifest["parameters"]["locale"] != "zh_CN":
        pytest.skip("encodings differ in the zh_CN build")
    gbk = [
        s
        for s in systems(clean).values()
        if sources.for_locale(s.get("encoding"), "zh_CN") == "gbk"
    ]
    assert gbk, "a Chinese company has at least one system that writes GBK"
    for system in gbk:
        raw = (clean.folder / "sources" / f"{system['name']}.csv").read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        header = raw.decode("gbk").split("\n")[0]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in header)


def test_no_errors_without_dirty(clean):
    assert len(clean.truth("corruptions")) == 0


# ---------------------------------------------------------------- dirty extracts


def test_each_kind_of_error_comes_at_the_rate_asked(dirty):
    code = dirty.manifest["parameters"]["locale"]
    truth = dirty.truth("source_records")
    errors = dirty.truth("corruptions")
    originals = truth["duplicate_of"].isna().sum()
    duplicates = truth["duplicate_of"].notna().sum()
    measured = {"duplicate": duplicates / originals}
    hit = errors.drop_duplicates(["system", "record_key", "kind"])
    for kind, roles in sources.DIRT.items():
        if kind == "duplicate":
            continue
        eligible = asked = 0.0
        for name, system in systems(dirty).items():
            romanised = bool(sources.for_locale(system.get("romanised", False), code))
            if not any(r in roles for _, r, _ in columns(dirty, name)):
                continue
            if (kind == "nickname" and code != "en_US") or (
                kind == "pinyin" and (code != "zh_CN" or romanised)
            ):
                continue
            n = (truth["system"] == name).sum()
            if kind == "nickname":  # only names that have a nickname can get one
                n *= nickname_share(dirty, name)
            typing = system.get("typing", 1) if kind == "typo" else 1
            eligible += n
            asked += n * RATE * typing
        if eligible:
            measured[kind] = (hit["kind"] == kind).sum() / asked * RATE
    for kind, rate in measured.items():
        assert abs(rate / RATE - 1) <= 0.2, (kind, rate)
    assert "typo" in measured and "missing" in measured and "swapped" in measured


def nickname_share(data, name) -> float:
    found = records(data, name)
    column, role, _ = next(f for f in columns(data, name) if f[1] in ("given_name", "full_name"))
    given = found[column].dropna().str.split(" ").str[0]
    return given.map(lambda g: bool(sources.nickname_choices(g))).mean()


def test_the_truth_accounts_for_every_record_and_every_error(dirty):
    truth = dirty.truth("source_records")
    for name in systems(dirty):
        key = columns(dirty, name)[0][0]
        found = records(dirty, name)[key]
        assert sorted(found) == sorted(truth.loc[truth["system"] == name, "record_key"])
    assert truth.set_index(["system", "record_key"]).index.is_unique
    errors = dirty.truth("corruptions")
    known = set(zip(truth["system"], truth["record_key"], strict=True))
    assert set(zip(errors["system"], errors["record_key"], strict=True)) <= known


def test_undoing_the_errors_gives_back_the_clean_records(dirty, tmp_path):
    """Each error's original value, put back, restores what the clean build has."""
    params = dict(dirty.manifest["parameters"])
    generator.build(
        [dirty.industry],
        tmp_path,
        sources=True,
        customers=params["customers"],
        locale=params["locale"],
    )
    clean = generator.load(dirty.industry, tmp_path)
    errors = dirty.truth("corruptions")
    order = {kind: i for i, kind in enumerate(sources.DIRT)}
    errors = errors.assign(step=errors["kind"].map(order)).sort_values("step", ascending=False)
    truth = dirty.truth("source_records")
    for name in systems(dirty):
        key = columns(dirty, name)[0][0]
        found = records(dirty, name).set_index(key)
        for row in errors[errors["system"] == name].itertuples():
            found.loc[row.record_key, row.field] = row.original
        originals = truth.loc[
            (truth["system"] == name) & truth["duplicate_of"].isna(), "record_key"
        ]
        restored = found.loc[sorted(originals)]
        expected = records(clean, name).set_index(key).loc[sorted(originals)]
        pd.testing.assert_frame_equal(restored.astype(object), expected.astype(object))


def test_duplicates_carry_what_the_customer_said_when_they_joined(dirty):
    truth = dirty.truth("source_records")
    copies = truth[truth["duplicate_of"].notna()]
    assert len(copies) > 0
    assert (
        copies["customer_id"].to_numpy()
        == truth.set_index("record_key").loc[copies["duplicate_of"], "customer_id"].to_numpy()
    ).all()


# ---------------------------------------------------------------- the build's contract


def test_bad_dirty_parameters_are_refused(tmp_path):
    for options, message in [
        (dict(dirty=0.1), "add --sources"),
        (dict(sources=True, dirty=0.9), "dirty must be a rate"),
        (dict(sources=True, dirty=-0.1), "dirty must be a rate"),
    ]:
        with pytest.raises(ValueError, match=message):
            generator.build(["retail"], tmp_path, customers=10, **options)
    assert list(tmp_path.iterdir()) == []


def test_sources_are_the_same_whatever_the_workers(tmp_path):
    files = {}
    for workers in (1, 3):
        out = tmp_path / str(workers)
        generator.build(
            ["retail"],
            out,
            customers=industry("retail").block_size * 2 + 10,
            years=1,
            sources=True,
            dirty=RATE,
            workers=workers,
        )
        files[workers] = {
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted((out / "retail").rglob("*"))
            if p.is_file()
        }
    assert files[1] == files[3]
    assert any(k.startswith("retail/sources/") for k in files[1])


def test_the_dataset_reads_each_extract_in_its_own_format(dirty):
    for name in systems(dirty):
        got, want = dirty.source(name), records(dirty, name)
        assert list(got.columns) == list(want.columns)
        assert got.isna().equals(want.isna())
        assert got.fillna("").astype(str).equals(want.fillna("").astype(str))
    with pytest.raises(KeyError, match="no source system"):
        dirty.source("fax_machine")


def test_the_bought_postcode_list_covers_every_customer(clean):
    if not industry(clean.industry).spec.get("postcode_list"):
        pytest.skip("this company bought no postcode list")
    path = clean.folder / "sources" / "postcode_demographics.csv"
    bought = pd.read_csv(path, dtype={"postcode": str})
    assert bought["postcode"].is_unique
    assert people(clean)["postcode"].isin(bought["postcode"]).all()
    assert bought["households"].gt(0).all() and bought["median_age"].between(15, 70).all()


# ---------------------------------------------------------------- lists of reference tables

LISTED = [n for n in generator.INDUSTRIES if "reference_systems" in industry(n).spec]


@pytest.fixture(scope="module", params=[(n, c) for n in LISTED for c in ("en_US", "zh_CN")])
def lists(request, tmp_path_factory):
    name, code = request.param
    clean = build(tmp_path_factory, name, code)
    dirty = build(tmp_path_factory, name, code, dirty=0.2)
    return clean, dirty


def test_clean_lists_reconcile_with_the_reference_tables(lists):
    clean, _ = lists
    module = industry(clean.industry)
    code = clean.manifest["parameters"]["locale"]
    tables = module.source_lists({t: clean[t] for t in clean}, generator.locales.get(code))
    truth = clean.truth("source_records")
    for system in module.spec["reference_systems"]:
        name = system["name"]
        found = clean.source(name)
        key = columns(clean, name)[0][0]
        mine = truth[truth["system"] == name]
        joined = found.merge(mine, left_on=key, right_on="record_key", validate="1:1")
        assert len(joined) == len(found) == len(mine)
        state = tables[system["table"]].set_index("customer_id").loc[joined["customer_id"]]
        state = state.reset_index()
        for column, role, option in columns(clean, name)[1:]:
            got = normalise(role, option, joined[column], code, False)
            if role in ("given_name", "family_name", "full_name"):
                want = truth_value(role, option, state, code, False)
            elif role == "gender":
                want = state["gender"]
            else:
                want = state[role].astype(str)
            assert list(got.astype(str)) == list(want.astype(str)), (name, column)


def test_dirty_lists_are_accounted_for(lists):
    _, dirty = lists
    truth = dirty.truth("source_records")
    for system in industry(dirty.industry).spec["reference_systems"]:
        key = columns(dirty, system["name"])[0][0]
        keys = truth.loc[truth["system"] == system["name"], "record_key"]
        assert sorted(dirty.source(system["name"])[key]) == sorted(keys)
    errors = dirty.truth("corruptions")
    assert len(errors) > 0 and truth["duplicate_of"].notna().any()
    assert set(errors["record_key"]) <= set(truth["record_key"])


def test_impossible_dates_come_in_every_kind_a_form_shows():
    """A validation rule written for one kind (30 February) must fail on the data: the auto
    warranty cards' impossible birth dates hold every kind of generator.sources.IMPOSSIBLE_DATES."""
    auto = generator.load("auto")
    system = systems(auto)["warranty_cards"]
    column, form = next((c, o) for c, r, o in columns(auto, "warranty_cards") if r == "birth_date")
    planted = auto.truth("corruptions").query(
        "system == 'warranty_cards' and kind == 'invalid' and field == @column"
    )
    written = auto.source(system["name"]).set_index(columns(auto, "warranty_cards")[0][0])
    dates = written.loc[planted["record_key"], column]
    parts = dates.str.extract(
        form.replace("%m", r"(?P<m>\d\d)")
        .replace("%d", r"(?P<d>\d\d)")
        .replace("%Y", r"(?P<y>\d{4})")
    ).astype(int)
    assert pd.to_datetime(dates, format=form, errors="coerce").isna().all()
    leap = (parts["y"] % 4 == 0) & ((parts["y"] % 100 != 0) | (parts["y"] % 400 == 0))
    kinds = {
        "30 February": ((parts["m"] == 2) & (parts["d"] == 30)).any(),
        "29 February of a common year": ((parts["m"] == 2) & (parts["d"] == 29) & ~leap).any(),
        "31st of a 30-day month": (parts["m"].isin([4, 6, 9, 11]) & (parts["d"] == 31)).any(),
        "month 13": (parts["m"] == 13).any(),
    }
    assert kinds == dict.fromkeys(sources.IMPOSSIBLE_DATES, True)


def test_jsonl_extracts_are_strict_json(dirty):
    """A missing value is null: NaN is not JSON, and tools other than Python refuse it."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    for name, system in systems(dirty).items():
        if system["format"] == "jsonl":
            path = dirty.folder / "sources" / f"{name}.jsonl"
            for line in path.read_text(encoding="utf-8").splitlines():
                json.loads(line, parse_constant=refuse)
