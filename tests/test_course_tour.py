"""The welcome tour's helpers: companies, tables of tables, entity diagrams, the course map,
the glossary, on the default databases and on a small zh_CN build."""

import re

import pandas as pd
import pytest

import generator
from course import contents, tour
from generator.builder import industry
from generator.schema import Column, Schema, Table

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

INDUSTRIES = list(generator.INDUSTRIES)
RELATION = re.compile(r'^    (\w+) (\|\||\|o)--(o\{|o\|) (\w+) : "(\w+)"$')


@pytest.fixture(scope="module")
def default():
    return {name: generator.load(name) for name in INDUSTRIES}


@pytest.fixture(scope="module")
def small_zh(tmp_path_factory):
    """A tiny Chinese chain with its source extracts, built for these tests."""
    out = tmp_path_factory.mktemp("tour-zh")
    generator.build(["retail"], out, customers=60, seed=3, locale="zh_CN", sources=True, dirty=0.05)
    return generator.load("retail", out)


def foreign_keys(schema):
    return [(t.name, c.name) for t in schema.public for c in t.columns if c.references]


# ---------------------------------------------------------------- the companies


def test_each_build_says_where_its_company_is(default, small_zh):
    """An en_US build is a US company, a zh_CN build a Chinese one (the textbook's cases are
    in China; the drug maker's en_US build is its US counterpart)."""
    places = tour.companies([*default.values(), small_zh]).set_index("database")["where"]
    assert all(place.endswith("United States") for place in places.iloc[:-1])
    assert places.iloc[-1].endswith("中国 (China)")
    assert all("China" not in data.schema.title for data in default.values())


def test_company_names_come_from_the_spec_in_the_builds_locale(default, small_zh):
    for name, data in default.items():
        locale = data.locale
        assert data.company in str(industry(name).spec)
        assert data.currency == {"en_US": "USD", "zh_CN": "CNY"}[locale]
    assert small_zh.company == industry("retail").spec["chain"]["name"]["zh_CN"]
    assert small_zh.currency == "CNY"


def test_the_companies_table_has_one_row_per_database(default):
    table = tour.companies(default.values())
    assert list(table["database"]) == INDUSTRIES
    for _, row in table.iterrows():
        data = default[row["database"]]
        assert row["tables"] == len(data) == len(data.schema.public)
        assert row["rows"] == sum(data.manifest["rows"][t] for t in data)
        assert row["customers"] == data.manifest["parameters"]["customers"]
        assert row["textbook case"] == industry(row["database"]).spec["case"]


# ---------------------------------------------------------------- tables and keys


@pytest.mark.parametrize("name", INDUSTRIES)
def test_the_table_of_tables_lists_every_table_with_its_keys(default, name):
    data = default[name]
    table = tour.table_of_tables(data).set_index("table")
    assert list(table.index) == list(data)
    for t in data.schema.public:
        row = table.loc[t.name]
        assert row["rows"] == data.manifest["rows"][t.name]
        assert row["primary key"] == ", ".join(t.key)
        assert row["one row is"] == t.meaning and row["中文"] == t.zh
        pointers = [c for c in t.columns if c.references]
        listed = [p for p in row["foreign keys"].split(", ") if p]
        assert listed == [f"{c.name} → {c.references.split('.')[0]}" for c in pointers]


def test_the_row_counts_are_the_datas(small_zh):
    table = tour.table_of_tables(small_zh).set_index("table")
    for name in small_zh:
        assert table.loc[name, "rows"] == len(small_zh[name])


def test_truth_tables_are_listed_apart(default):
    data = default["retail"]
    truth = tour.table_of_tables(data, truth=True)
    assert truth["table"].str.startswith("_truth/").all()
    assert len(truth) == len(data.schema.tables) - len(data.schema.public)
    assert not set(truth["table"]) & set(tour.table_of_tables(data)["table"])


@pytest.mark.parametrize("name", INDUSTRIES)
def test_the_diagram_has_every_table_and_one_line_per_foreign_key(default, name):
    data = default[name]
    text = tour.er_diagram(data)
    assert text == tour.er_diagram(name)  # the schema alone draws it
    lines = text.splitlines()
    assert lines[0] == "erDiagram"
    relations = [RELATION.match(line) for line in lines if "--" in line]
    assert all(relations), [line for line in lines if "--" in line and not RELATION.match(line)]
    assert sorted((m[4], m[5]) for m in relations) == sorted(foreign_keys(data.schema))
    boxes = re.findall(r"^    (\w+) \{$", text, flags=re.MULTILINE)
    assert boxes == list(data)
    truth = {t.name for t in data.schema.tables if t.truth}
    assert not truth & set(re.findall(r"\w+", text))


def test_the_diagram_marks_keys_and_cardinality():
    parent = Table(
        "parents",
        "Parents",
        "父",
        (Column("parent_id", "int", "Parent", "父编号"),),
        ("parent_id",),
    )
    child = Table(
        "children",
        "Children",
        "子",
        (
            Column("child_id", "int", "Child", "子编号"),
            Column("parent_id", "int", "Parent", "父编号", references="parents.parent_id"),
            Column(
                "other_id", "int", "Other", "可空", nullable=True, references="parents.parent_id"
            ),
        ),
        ("child_id",),
    )
    single = Table(
        "singles",
        "One per parent",
        "唯一",
        (Column("parent_id", "int", "Parent", "父编号", references="parents.parent_id"),),
        ("parent_id",),
    )
    text = tour.er_diagram(Schema("toy", "a toy", (parent, child, single)))
    assert '    parents ||--o{ children : "parent_id"' in text
    assert '    parents |o--o{ children : "other_id"' in text  # may be empty
    assert '    parents ||--o| singles : "parent_id"' in text  # the key itself: at most one
    assert '        int parent_id PK, FK "父编号"' in text
    assert '        int child_id PK "子编号"' in text


def test_the_diagram_is_shown_as_a_mermaid_block(default):
    shown = tour.diagram(default["bank"]).data
    assert shown.startswith("```mermaid\nerDiagram\n") and shown.endswith("\n```")


def test_table_file_finds_the_file_a_build_has(default, small_zh):
    assert tour.table_file(small_zh, "transactions").name == "transactions.csv.gz"
    found = tour.table_file(default["retail"], "stores")
    assert found.exists() and found.name in ("stores.parquet", "stores.csv.gz")
    with pytest.raises(KeyError):
        tour.table_file(small_zh, "no_such_table")


def test_systems_follow_the_build_and_its_locale(default, small_zh):
    assert tour.systems(default["bank"]).empty == (not default["bank"].systems)
    listed = tour.systems(small_zh)
    assert list(listed["system"]) == [s["name"] for s in small_zh.systems]
    assert set(listed["encoding"]) == {"utf-8", "gbk"}  # some zh_CN systems write GBK
    for file in listed["file"]:
        assert (small_zh.folder / file).exists()


# ---------------------------------------------------------------- the course and its words


def test_the_course_map_is_in_reading_order_with_known_databases():
    numbers = [c.number for c in contents.PLAN]
    assert numbers == [f"0{i}" for i in range(8)] + ["C1", "C2", "C3", "C4", "A1"]
    for chapter in contents.chapters():
        assert chapter.databases and set(chapter.databases) <= set(contents.ALL)
    shown = tour.course_map()
    assert list(shown.columns[-4:]) == list(contents.ALL)  # the course's four companies
    assert (shown[list(contents.ALL)] == "✓").sum().min() >= 2  # each serves several chapters


def test_the_glossary_is_bilingual_and_points_at_real_chapters():
    words = tour.glossary()
    assert words["English"].is_unique and words["中文"].is_unique
    assert (words.map(len) > 0).all().all()
    assert words["中文"].str.contains(r"[\u4e00-\u9fff]").all()
    chapters = {c.number for c in contents.PLAN}
    for listed in words["chapters"]:
        assert set(listed.split(", ")) <= chapters
    chinese = " ".join(words["中文"])
    for term in ("可单一化性", "可衡量性", "灵活性", "可描述性", "RFM", "数据集市", "对照组"):
        assert term in chinese


def test_a_table_shown_as_markdown_escapes_its_cells():
    frame = pd.DataFrame({"a": ["x|y", "two\nlines"], "b": [1, 2]})
    text = tour.as_markdown(frame).data.splitlines()
    assert text[:2] == ["| a | b |", "|:---|:---|"]
    assert text[2:] == ["| x\\|y | 1 |", "| two lines | 2 |"]
