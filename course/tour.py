"""The welcome tour (notebook 00): the four companies, their tables and keys, the course map,
the chapter's glossary, and a first check.

Everything here is read from a built database (its schema and manifest) or from the
industry's spec, so it follows the build: another seed, size or locale gives other names and
counts, never a stale copy typed in by hand.

    retail = generator.load("retail")
    tour.table_of_tables(retail)           # one row per table: rows, key, foreign keys
    tour.diagram(retail)                   # its entity diagram, drawn by JupyterLab (Mermaid)
    tour.glossary()                        # English / 中文 / meaning / chapter
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from course import contents
from generator.builder import industry, schema
from generator.dataset import Dataset
from generator.schema import Schema
from generator.sources import for_locale

# Where a build's company does business: the locale's country, and its region if it has one.
COUNTRIES = {"en_US": "United States", "zh_CN": "中国 (China)"}


def companies(databases: Iterable[Dataset]) -> pd.DataFrame:
    """One row per database: the company, what it is, the textbook case, how it was built."""
    rows = []
    for data in databases:
        built = data.manifest["parameters"]
        counts = data.manifest["rows"]
        rows.append(
            {
                "database": data.industry,
                "company": data.company,
                "what it is": data.schema.title,
                "where": where(data),
                "textbook case": industry(data.industry).spec.get("case", "—"),
                "customers": built["customers"],
                "tables": len(data.schema.public),
                "rows": sum(counts.get(t.name, 0) for t in data.schema.public),
                "as of": built["as_of"],
                "locale": built["locale"],
                "seed": built["seed"],
            }
        )
    return pd.DataFrame(rows)


def where(data: Dataset) -> str:
    """Where the build's company does business: the region its customers live in, if it has
    one, and the locale's country (an en_US build is a US company, a zh_CN build a Chinese one)."""
    region = for_locale(industry(data.industry).region, data.locale)
    country = COUNTRIES[data.locale]
    return f"{region}, {country}" if region else f"nationwide, {country}"


# ---------------------------------------------------------------- tables and keys


@dataclass(frozen=True)
class Link:
    """A foreign key: ``child.column`` points at ``parent.parent_column``."""

    child: str
    column: str
    parent: str
    parent_column: str
    one_to_one: bool  # the column is the child's whole key: at most one child per parent
    optional: bool  # the column may be empty: a child need not have a parent


def links(tables: Schema | Iterable) -> list[Link]:
    """Every foreign key among ``tables`` (a schema's public tables, or the tables given)."""
    tables = list(tables.public if isinstance(tables, Schema) else tables)
    names = {t.name for t in tables}
    found = []
    for table in tables:
        for column in table.columns:
            if not column.references:
                continue
            parent, parent_column = column.references.split(".")
            if parent in names:
                found.append(
                    Link(
                        table.name,
                        column.name,
                        parent,
                        parent_column,
                        one_to_one=table.key == (column.name,),
                        optional=column.nullable,
                    )
                )
    return found


def table_of_tables(data: Dataset, truth: bool = False) -> pd.DataFrame:
    """One row per table: what one row is, how many rows there are, its key and foreign keys.

    The company's tables by default; ``truth=True`` lists the hidden ground truth instead.
    Row counts are the manifest's (what the build wrote).
    """
    tables = [t for t in data.schema.tables if t.truth == truth]
    keys = {t.name: [] for t in tables}
    for link in links(tables):
        keys[link.child].append(f"{link.column} → {link.parent}")
    counts = data.manifest["rows"]
    return pd.DataFrame(
        {
            "table": [t.path for t in tables],
            "中文": [t.zh for t in tables],
            "one row is": [t.meaning for t in tables],
            "rows": [counts.get(t.name, 0) for t in tables],
            "primary key": [", ".join(t.key) for t in tables],
            "foreign keys": [", ".join(keys[t.name]) for t in tables],
        }
    )


def _schema(data: Dataset | Schema | str) -> Schema:
    """The schema of a database, of an industry named, or the schema given."""
    if isinstance(data, Dataset):
        return data.schema
    return data if isinstance(data, Schema) else schema(data)


def er_diagram(data: Dataset | Schema | str) -> str:
    """The entity diagram of a database's tables as Mermaid text (``erDiagram``).

    Drawn from the schema alone: each table with its key and foreign-key columns (and their
    Chinese names), and one line per foreign key, labelled with its column. A parent has zero
    or more children; zero or one where the foreign key is the child's whole key; a child whose
    foreign key may be empty need not have a parent.
    """
    tables = _schema(data).public
    lines = ["erDiagram"]
    for link in links(tables):
        left = "|o" if link.optional else "||"
        right = "o|" if link.one_to_one else "o{"
        lines.append(f'    {link.parent} {left}--{right} {link.child} : "{link.column}"')
    for table in tables:
        lines.append(f"    {table.name} {{")
        for column in table.columns:
            marks = []
            if column.name in table.key:
                marks.append("PK")
            if column.references:
                marks.append("FK")
            if marks:
                zh = column.zh.replace('"', "'")
                lines.append(f'        {column.type} {column.name} {", ".join(marks)} "{zh}"')
        lines.append("    }")
    return "\n".join(lines)


def diagram(data: Dataset | Schema | str) -> Markdown:
    """The entity diagram, for JupyterLab to draw (it renders Mermaid in Markdown output)."""
    return Markdown(f"```mermaid\n{er_diagram(data)}\n```")


def table_file(data: Dataset, table: str) -> Path:
    """The file that holds a table: Parquet where the build has it, else the CSV."""
    base = data.folder / data.schema.table(table).path
    for path in (base.with_suffix(".parquet"), Path(f"{base}.csv.gz"), base.with_suffix(".csv")):
        if path.exists():
            return path
    raise FileNotFoundError(f"no file for table {table!r} in {data.folder}")


def systems(data: Dataset) -> pd.DataFrame:
    """The source systems whose extracts the build holds (none without ``--sources``)."""
    locale = data.locale
    return pd.DataFrame(
        [
            {
                "database": data.industry,
                "system": s["name"],
                "what it is": s["title"],
                "中文": s["zh"],
                "file": f"sources/{s['name']}.{s['format']}",
                "encoding": for_locale(s.get("encoding", "utf-8"), locale) or "utf-8",
                "share of customers": s["coverage"],
                "extracted (days before as-of)": s["extract_days_before"],
            }
            for s in data.systems
        ],
        columns=[
            "database",
            "system",
            "what it is",
            "中文",
            "file",
            "encoding",
            "share of customers",
            "extracted (days before as-of)",
        ],
    )


# ---------------------------------------------------------------- the course


def course_map() -> pd.DataFrame:
    """The chapters in reading order (course.contents), with a tick for each database a
    chapter uses and whether its lesson is written yet."""
    chapters = contents.chapters()
    frame = pd.DataFrame(
        {
            "chapter": [c.number for c in chapters],
            "topic": [c.title for c in chapters],
            "textbook": [c.section for c in chapters],
            "written": ["yes" if c.ready else "not yet" for c in chapters],
        }
    )
    for name in contents.ALL:  # the course's four companies
        frame[name] = ["✓" if name in c.databases else "" for c in chapters]
    return frame


# ---------------------------------------------------------------- the glossary


@dataclass(frozen=True)
class Term:
    english: str
    chinese: str
    meaning: str
    chapters: str  # where the course teaches it


GLOSSARY = (
    Term(
        "customer database",
        "客户数据库",
        "What a company knows about each customer, gathered in one place: who they are, what "
        "they bought, how they were contacted and how they answered.",
        "01",
    ),
    Term(
        "operational database",
        "运营数据库",
        "The database a business runs on, built around accounts and transactions (receipts, "
        "stock, payments, bookings); the original record of each transaction.",
        "01",
    ),
    Term(
        "marketing database",
        "营销数据库",
        "Built around the customer: one row per customer with derived fields (lifetime value, "
        "RFM, cumulative sales, points, campaign results), for planning marketing.",
        "01",
    ),
    Term(
        "individualisable",
        "可单一化性",
        "Can tell each customer apart and contact each one separately.",
        "01",
    ),
    Term(
        "measurable",
        "可衡量性",
        "Knows whether a customer buys, what, when and where, and their purchase history.",
        "01",
    ),
    Term(
        "flexible",
        "灵活性",
        "Can approach different customers at different times in different ways.",
        "01",
    ),
    Term(
        "describable",
        "可描述性",
        "Holds what each marketing event earned and which kinds of customers took part in it.",
        "01",
    ),
    Term(
        "as-of date; the last N days",
        "截止日期; 最近 N 天",
        "The last day of a database's data, from which the course measures all time; the last N "
        "days are the N days that end on it, both included (from as_of - (N-1) days).",
        "00, 01",
    ),
    Term(
        "SQL; common table expression (CTE)",
        "SQL; 公用表表达式",
        "The query language of relational databases (SELECT, WHERE, GROUP BY, JOIN, CASE); "
        "WITH name AS (...) names a sub-query, so that a long query is built a step at a time.",
        "01",
    ),
    Term(
        "target customer group",
        "目标客户群",
        "Customers who share an interest in a product (its buyers, say): the group a campaign "
        "is aimed at.",
        "01, 06",
    ),
    Term(
        "potential target market",
        "潜在目标市场",
        "Customers the company could serve but does not yet, found in its records (households "
        "with small children who buy no nappies from it).",
        "01",
    ),
    Term(
        "incremental response; incremental gross margin",
        "增量响应; 增量毛利",
        "What a campaign caused: the contacted group's response rate (or spend) minus the "
        "control group's. The margin on the extra spend, minus coupons and contacts, is the "
        "campaign's gross profit.",
        "01, 06",
    ),
    Term(
        "store brand",
        "自有品牌",
        "A retailer's own brand, sold beside the manufacturers' national brands.",
        "01, C1",
    ),
    Term(
        "primary key / foreign key",
        "主键 / 外键",
        "A primary key names one row of a table; a foreign key points at a row of another "
        "table (a receipt's customer_id at its customer).",
        "00, 02",
    ),
    Term(
        "source data",
        "源数据",
        "Data as the company's separate systems hold it, each in its own format, before it is "
        "brought into the customer database.",
        "02",
    ),
    Term(
        "internal / external data",
        "内部数据 / 外部数据",
        "From the company's own records (customer files, orders, complaints, warranty cards) / "
        "from outside (bought lists, statistics).",
        "02",
    ),
    Term(
        "data transformation",
        "数据转换",
        "Extract, merge, delete, identify, extend, validate, update (析取、合并、删除、识别、"
        "扩展、校验、更新): the steps that turn source data into one format.",
        "02",
    ),
    Term(
        "data warehouse",
        "数据仓库",
        "The central store where internal and external data are integrated, with their "
        "history, for analysis.",
        "01, 02",
    ),
    Term(
        "data mart",
        "数据集市",
        "A part of the customer database cut out for one theme (campaigns, service) and kept "
        "in step with it.",
        "02",
    ),
    Term(
        "data mining",
        "数据挖掘",
        "Finding patterns in the data, such as products whose sales rise together, or "
        "predicting what comes next.",
        "02, 05",
    ),
    Term(
        "data cleaning; duplicate records",
        "数据清洗; 重复数据",
        "Removing duplicate, wrong and incomplete records and filling in what is missing; "
        "records of one customer are found and merged (合并).",
        "02, 03",
    ),
    Term(
        "out-of-date records (data decay)",
        "过期、无效数据",
        "Customers move, change numbers and names: records go stale unless the database is "
        "updated (动态更新).",
        "03",
    ),
    Term(
        "RFM model",
        "RFM 模型",
        "Recency (最近一次消费), frequency (消费频率) and monetary value (消费金额): three "
        "measures that find the most valuable, the loyal and the leaving customers.",
        "05",
    ),
    Term(
        "customer lifetime value",
        "客户终身价值",
        "The value a customer brings over the whole relationship (客户生命周期的价值); a yardstick "
        "for judging marketing plans.",
        "05",
    ),
    Term(
        "ABC customer pyramid",
        "ABC 分类法, 顾客金字塔",
        "Customers ranked by value: VIP (A), major (B), ordinary (C) and small (D) customers.",
        "05, C3",
    ),
    Term(
        "customer segmentation",
        "客户细分",
        "Grouping customers by needs and behaviour, so that each group gets its own offer.",
        "05",
    ),
    Term(
        "churn",
        "流失",
        "A customer who stops buying; recency is the first warning.",
        "03, 05",
    ),
    Term(
        "database marketing",
        "数据库营销",
        "Using the customer database to predict who will buy what, and contacting them "
        "directly (mail, e-mail, SMS, phone).",
        "06",
    ),
    Term(
        "direct marketing",
        "直复营销",
        "Marketing by direct contact with a measurable reply; database marketing began as its aid.",
        "06",
    ),
    Term(
        "response rate",
        "反应率 (响应率)",
        "The share of the customers contacted who respond, e.g. buy the promoted product.",
        "06",
    ),
    Term(
        "control group",
        "对照组 (控制组)",
        "Eligible customers held out at random and not contacted: a campaign's effect is the "
        "difference between the contacted and them.",
        "06",
    ),
    Term(
        "return on investment",
        "投资回报率 (ROI)",
        "What a campaign or a database project earns, set against what it cost.",
        "06",
    ),
    Term(
        "relationship marketing",
        "关系营销",
        "Keeping and improving existing customers through long-term, trusting relationships; "
        "three levels: financial, social and structural bonds.",
        "07",
    ),
    Term(
        "customer delivered value",
        "让渡价值",
        "Total customer value minus total customer cost.",
        "07",
    ),
    Term(
        "one-to-one marketing",
        "一对一营销",
        "Identify, differentiate, interact, customise: aiming at each customer's share "
        "(顾客份额) rather than market share.",
        "07",
    ),
    Term(
        "micro-code marketing",
        "微码营销",
        "The bank case: fine-grained customer codes that pick the product and channel for "
        "each customer.",
        "C2",
    ),
)


def glossary() -> pd.DataFrame:
    """The chapter's terms: English, 中文, a one-line meaning, and where the course uses it."""
    return pd.DataFrame(
        {
            "English": [t.english for t in GLOSSARY],
            "中文": [t.chinese for t in GLOSSARY],
            "meaning": [t.meaning for t in GLOSSARY],
            "chapters": [t.chapters for t in GLOSSARY],
        }
    )


def as_markdown(frame: pd.DataFrame) -> Markdown:
    """A table shown as Markdown: left-aligned text that wraps, for tables meant to be read."""
    cells = frame.astype(str).map(lambda text: text.replace("|", "\\|").replace("\n", " "))
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + ":---|" * len(frame.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return Markdown("\n".join(lines))
