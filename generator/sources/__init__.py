"""Source-system extracts: the same customers as each of a company's systems records them.

Before a customer database exists, a company's customers are scattered over systems that
were never meant to agree: a loyalty-card system, a web shop, a call centre's log, paper
surveys typed in by hand. Each has its own customer number, file format, text encoding,
date format, name order, code list and phone format, and each was extracted on its own date,
so it shows each customer as they were then (moves and new phone numbers from
:mod:`generator.decay`). With ``dirty > 0`` the records also carry the errors real systems
have: duplicates, typos, nicknames, swapped names, pinyin for characters, missing and invalid
values, inconsistent codes.

Nothing is lost: ``_truth/source_records`` says which true customer every record belongs to,
and ``_truth/corruptions`` what was done to which field, with the value before.

An industry lists its systems in its spec's ``systems`` section; each system has a ``name``,
``title``/``zh``, ``format`` (``csv`` or ``jsonl``), ``encoding`` (per locale), ``coverage``
(the share of customers it knows), ``extract_days_before`` (the as-of date minus this is its
extract date), a ``key`` (``prefix`` and ``digits``), ``typing`` (how much more often than
elsewhere typos happen, e.g. 3 for hand-typed forms), ``romanised`` (per locale: Chinese names
in pinyin) and ``fields``: ``[column, role, option]`` where a column name or option may differ
by locale (``{"en_US": ..., "zh_CN": ...}``). A field with the role ``consent_<channel>``
records the customer's consent to that channel as it stood on the extract date.
"""

from generator.sources.codes import (
    CONSENT_CODES,
    DIRT,
    GENDER_CODES,
    INCOME_CODES,
    TABLES,
    fields,
    for_locale,
)
from generator.sources.errors import IMPOSSIBLE_DATES
from generator.sources.files import SourceFiles
from generator.sources.formats import nickname_choices
from generator.sources.postcodes import POSTCODE_FIGURES, postcode_list
from generator.sources.records import extract, reference_extract

__all__ = [
    "CONSENT_CODES",
    "DIRT",
    "GENDER_CODES",
    "IMPOSSIBLE_DATES",
    "INCOME_CODES",
    "POSTCODE_FIGURES",
    "TABLES",
    "SourceFiles",
    "extract",
    "fields",
    "for_locale",
    "nickname_choices",
    "postcode_list",
    "reference_extract",
]
