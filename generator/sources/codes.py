"""What the extracts are made of: the kinds of error, the systems' code lists, the truth
tables' schemas, and reading a system's spec."""

from __future__ import annotations

from generator.schema import Column, Table

C = Column
# the kinds of error, and the roles of the fields each can hit
DIRT = {
    "duplicate": (),
    "typo": ("given_name", "family_name", "full_name", "address", "email", "organisation"),
    "nickname": ("given_name", "full_name"),
    "pinyin": ("given_name", "family_name", "full_name"),
    "swapped": ("given_name", "full_name"),
    "missing": ("phone", "email", "postcode", "birth_date", "address"),
    "invalid": ("birth_date", "email", "phone"),
    "code": ("gender",),
}
GENDER_CODES = {
    "MF": {"M": "M", "F": "F"},
    "digit": {"M": "1", "F": "2"},
    "word": {"M": "male", "F": "female"},
    "word_zh": {"M": "男", "F": "女"},
}
# the same income bands, written the ways different systems do
INCOME_CODES = {
    "digit": {"low": "1", "middle": "2", "high": "3"},
    "letter": {"low": "L", "middle": "M", "high": "H"},
    "zh": {"low": "低", "middle": "中", "high": "高"},
}
# a consent to be contacted by one channel (role ``consent_<channel>``), as systems write it
CONSENT_CODES = {
    "YN": {True: "Y", False: "N"},
    "10": {True: "1", False: "0"},
    "zh": {True: "是", False: "否"},
}
KEY_SPACE = 10**7  # ids below this keep the keys of a record and its copy unique

TABLES = (
    Table(
        "source_records",
        "Which true customer each source-system record belongs to",
        "源系统记录归属",
        (
            C("system", "str", "Source system", "源系统"),
            C("record_key", "str", "The record's key in its system", "记录编号"),
            C("customer_id", "int", "The true customer (or doctor, hospital...)", "真实客户"),
            C("extracted_on", "date", "The system's extract date", "抽取日期"),
            C(
                "duplicate_of",
                "str",
                "Key of the record this one duplicates",
                "重复于",
                nullable=True,
            ),
        ),
        key=("system", "record_key"),
        truth=True,
    ),
    Table(
        "corruptions",
        "Every error put into a source record, and the value before",
        "数据错误记录",
        (
            C("system", "str", "Source system", "源系统"),
            C("record_key", "str", "The record's key in its system", "记录编号"),
            C("field", "str", "The column that was changed", "字段"),
            C("kind", "category", "Kind of error", "错误类型", values=tuple(DIRT)),
            C("original", "str", "The value before the error", "原值", nullable=True),
        ),
        key=("system", "record_key", "field", "kind"),
        truth=True,
    ),
)


def fields(system: dict) -> list[tuple]:
    """A system's fields as (column, role, option); column and option may differ by locale."""
    return [(f[0], f[1], f[2] if len(f) > 2 else None) for f in system["fields"]]


def for_locale(value, code: str):
    """A spec value that may differ by locale (``{"en_US": ..., "zh_CN": ...}``)."""
    return value.get(code) if isinstance(value, dict) else value
