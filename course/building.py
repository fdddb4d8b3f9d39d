"""Building a customer database from source-system extracts (lesson 02, 客户数据库的建立).

The textbook turns source data into a customer database with seven methods: extract (析取),
merge (合并), delete (删除), identify (识别), extend (扩展), validate (校验) and update (更新).
They are a list of methods, not an order: the lesson validates before it identifies (an
invalid phone must not link two people) and extends after it has found the customers. This
module holds one function per concern, so that the lesson's cells stay short and every rule
is tested:

- sources: :func:`systems_table`, :func:`column_for`, :func:`format_for`;
- extract: :func:`iso_dates`, :func:`gender_codes`, :func:`income_bands`,
  :func:`consent_codes`, :func:`phone_digits`, :func:`split_full_name`, all used by
  :func:`extract`, which puts one system's extract into the common :data:`LAYOUT`
  (:func:`before_after` shows the effect);
- merge: :func:`merge` (with :func:`match_key` and :func:`birth_years`), :func:`fill_rates`;
- delete: :func:`unnamed`, :func:`exact_duplicates`;
- validate: :func:`validation_flags`, :func:`blank_invalid`;
- identify: :func:`score_pairs` (splink, run once) and :func:`clusters` at a threshold;
- update: :func:`conflicts`, :func:`trust_order`, :func:`golden_records` (the current
  state) and :func:`history` (every value a changing field had, with the dates it held);
- extend: :func:`coverage` (what the other systems add), :data:`AREA_FIELDS` (the bought
  postcode list's columns in the customer table);
- load: :data:`SCHEMA`, :func:`load_database`, :func:`try_insert`;
- all of it in the lesson's order, for the exercises and the checks: :func:`build`,
  :func:`central_database`;
- measure against the truth: :func:`true_customers`, :func:`linkage_quality`,
  :func:`quality_curve`, :func:`threshold_summary`, :func:`threshold_slider` (the classroom
  demo), :func:`planted_and_found`.

Everything works on the extracts of any build: column names, encodings and formats come
from each system's description in ``Dataset.systems``, in either locale.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from generator.population import CHANNELS

# ---------------------------------------------------------------- extract (析取)

# the channels a customer can agree (or refuse) to be contacted by, the company's own list: a
# ``consent_<channel>`` column each, "1" for yes, "0" for no, missing where the system did not ask
CONSENTS = tuple(f"consent_{channel}" for channel in CHANNELS)

# the common layout every system's records are put into
LAYOUT = (
    "unique_id",
    "system",
    "record_key",
    "extracted_on",
    "given",
    "family",
    "gender",
    "birth_date",
    "age",
    "phone",
    "email",
    "postcode",
    "city",
    "address",
    "income_band",
    *CONSENTS,
)
# every way the systems write a consent
CONSENT_ANSWERS = {
    "y": "1",
    "yes": "1",
    "1": "1",
    "是": "1",
    "n": "0",
    "no": "0",
    "0": "0",
    "否": "0",
}

# every way the company's systems write a gender, and what it means
GENDERS = {
    "m": "M",
    "male": "M",
    "1": "M",
    "男": "M",
    "f": "F",
    "female": "F",
    "2": "F",
    "女": "F",
}
# every way they write an income band
INCOME_BANDS = {
    "l": "low",
    "low": "low",
    "1": "low",
    "低": "low",
    "m": "middle",
    "middle": "middle",
    "2": "middle",
    "中": "middle",
    "h": "high",
    "high": "high",
    "3": "high",
    "高": "high",
}
# two-character Chinese family names (the rest have one character)
COMPOUND_FAMILY_NAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "夏侯",
    "慕容",
    "司徒",
    "令狐",
)
# a phone number's country code and national length, per locale
PHONE_PLANS = {"en_US": ("1", 10), "zh_CN": ("86", 11)}


def _none(values: pd.Series) -> pd.Series:
    """Text values with every missing one as None (not NaN or <NA>)."""
    values = values.astype(object)
    return values.where(values.notna(), None)


def iso_dates(values: pd.Series, form: str) -> pd.Series:
    """Dates written in ``form`` (e.g. ``%m/%d/%Y``) rewritten as ``YYYY-MM-DD`` text.

    Only the layout changes: a day that does not exist (30 February) keeps its numbers, for
    the validation step to find. Text that does not fit the form becomes missing.
    """
    pattern = re.escape(form)
    for code, group in (
        ("%Y", r"(?P<Y>\d{4})"),
        ("%m", r"(?P<m>\d{1,2})"),
        ("%d", r"(?P<d>\d{1,2})"),
    ):
        pattern = pattern.replace(re.escape(code), group)
    parts = values.astype("string").str.strip().str.extract(f"^{pattern}$")
    text = parts["Y"] + "-" + parts["m"].str.zfill(2) + "-" + parts["d"].str.zfill(2)
    return text.astype(object).where(text.notna(), None)


def gender_codes(values: pd.Series) -> pd.Series:
    """Any system's gender code (``M``, ``1``, ``male``, ``男``...) as ``M`` or ``F``."""
    return _none(values.astype("string").str.strip().str.lower().map(GENDERS))


def income_bands(values: pd.Series) -> pd.Series:
    """Any system's income code (``L``, ``1``, ``低``...) as ``low``, ``middle`` or ``high``."""
    return _none(values.astype("string").str.strip().str.lower().map(INCOME_BANDS))


def consent_codes(values: pd.Series) -> pd.Series:
    """Any system's consent answer (``Y``/``N``, ``1``/``0``, ``是``/``否``) as ``1`` or ``0``;
    anything else is missing (unknown)."""
    return _none(values.astype("string").str.strip().str.lower().map(CONSENT_ANSWERS))


def phone_digits(values: pd.Series, locale: str) -> pd.Series:
    """Phone numbers as their national digits: no spaces, dashes, brackets or country code.

    ``+1 806 555 0107``, ``(806) 555-0107`` and ``806-555-0107`` all become ``8065550107``.
    A number written with ``+`` and the country code loses the code whatever its length
    (``+1 713 555 01`` becomes ``71355501``); one without ``+`` loses a leading country code
    only when the rest has the national length. A number too short or too long keeps its
    (national) digits, for the validation step to find.
    """
    country, length = PHONE_PLANS[locale]
    text = values.astype("string").str.strip()
    digits = text.str.replace(r"\D", "", regex=True)
    written_international = text.str.startswith("+").fillna(False)
    full_length = digits.str.len() == length + len(country)
    international = digits.str.startswith(country) & (written_international | full_length)
    digits = digits.where(~international.fillna(False), digits.str[len(country) :])
    return digits.astype(object).where(digits.fillna("") != "", None)


def split_full_name(values: pd.Series, order: str, locale: str) -> pd.DataFrame:
    """A full name split into ``given`` and ``family``.

    ``order`` is how the system writes names: ``given_first`` ("John Smith") or
    ``family_first`` ("SMITH, John"; without the comma the upper-case part is the family
    name). Chinese names written in characters have no space: the family name is the first
    character (two for the compound names). A romanised name with a space is read given
    name first, the way romanising systems write it.
    """
    text = values.astype("string").str.strip()
    given = pd.Series(None, index=values.index, dtype=object)
    family = pd.Series(None, index=values.index, dtype=object)
    for i, name in text.items():
        if pd.isna(name) or not name:
            continue
        if "," in name:  # "SMITH, John"
            last, _, first = name.partition(",")
            family[i], given[i] = last.strip() or None, first.strip() or None
            continue
        if " " not in name:
            if locale == "zh_CN" and not name.isascii():
                size = 2 if name[:2] in COMPOUND_FAMILY_NAMES and len(name) > 2 else 1
                family[i], given[i] = name[:size], name[size:] or None
                continue
            name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)  # "JohnSmith": a lost space
            if " " not in name:
                family[i] = name
                continue
        first, _, rest = name.partition(" ")
        if order == "family_first" and locale != "zh_CN":
            if rest.isupper() and not first.isupper():  # "John SMITH": names swapped
                first, rest = rest, first
            family[i], given[i] = first, rest
        else:  # given name first ("John Smith", or pinyin "Xiaoming Wang")
            given[i], _, family[i] = name.rpartition(" ")
    return pd.DataFrame({"given": _none(given), "family": _none(family)})


def match_key(values: pd.Series, locale: str) -> pd.Series:
    """A name reduced to what matching compares: lower-case letters only, Chinese in pinyin.

    ``O'Connor`` becomes ``oconnor``; ``王`` and ``Wang`` both become ``wang``.
    """
    if locale == "zh_CN":
        from pypinyin import lazy_pinyin  # big dictionaries: loaded only when needed

        def romanise(text):
            return "".join(lazy_pinyin(text))
    else:

        def romanise(text):
            return text

    def key(text):
        if not isinstance(text, str):
            return None
        return re.sub(r"[^a-z]", "", romanise(text).lower()) or None

    return _none(values.astype(object).map(key))


def extract_date(as_of: pd.Timestamp, system: Mapping) -> str:
    """The date a system's extract was taken: the as-of date minus its ``extract_days_before``."""
    return (pd.Timestamp(as_of) - pd.Timedelta(days=system["extract_days_before"])).strftime(
        "%Y-%m-%d"
    )


def _localised(value, locale: str):
    return value.get(locale) if isinstance(value, dict) else value


def column_for(system: Mapping, role: str, locale: str) -> str | None:
    """The column in which a system keeps a field (``phone``, ``birth_date``...), if it has one."""
    for field in system["fields"]:
        if field[1] == role:
            return _localised(field[0], locale)
    return None


def format_for(system: Mapping, role: str, locale: str) -> str | None:
    """The format or code list a system writes a field in (``%m/%d/%Y``, ``digit``...), if any."""
    for field in system["fields"]:
        if field[1] == role:
            return _localised(field[2], locale) if len(field) > 2 else None
    return None


def systems_table(ds) -> pd.DataFrame:
    """One row per source system: what it is, its file, its extract date, its size."""
    locale = ds.locale
    rows = []
    for system in ds.systems:
        raw = ds.source(system["name"])
        rows.append(
            {
                "system": system["name"],
                "title": system["title"],
                "中文": system.get("zh", ""),
                "file": f"{system['name']}.{system['format']}",
                "encoding": _localised(system.get("encoding", "utf-8"), locale) or "utf-8",
                "extracted_on": extract_date(ds.as_of, system),
                "records": len(raw),
                "columns": ", ".join(raw.columns),
            }
        )
    return pd.DataFrame(rows).set_index("system")


def before_after(ds, extracts: Mapping[str, pd.DataFrame], role: str, n: int = 3):
    """A few values of one field as each system writes it, beside their standardised form.

    ``extracts`` maps each system's name to its :func:`extract`. For each system that has
    the field, the rows shown are chosen so that every way of writing it appears before any
    repeats: first one row per shape of value (digits and letters replaced by ``9`` and
    ``a``), then one per distinct value, then the rest in file order.
    """
    locale = ds.locale
    targets = {"full_name": ["given", "family"], "given_name": ["given"], "family_name": ["family"]}
    parts = []
    for system in ds.systems:
        column = column_for(system, role, locale)
        if column is None:
            continue
        raw = ds.source(system["name"])[column]
        text = raw.astype("string").fillna("")
        shape = text.str.replace(r"\d", "9", regex=True).str.replace(r"[^\W\d_]", "a", regex=True)
        order = (
            shape.drop_duplicates().index.append(text.drop_duplicates().index).append(text.index)
        ).drop_duplicates()[:n]
        standard = extracts[system["name"]].loc[order, targets.get(role, [role])]
        parts.append(
            pd.concat([raw.loc[order].rename("as written"), standard], axis=1).assign(
                system=system["name"], column=column
            )
        )
    table = pd.concat(parts, ignore_index=True)
    return table.set_index(["system", "column"])


def fill_rates(records: pd.DataFrame, fields: Iterable[str]) -> pd.DataFrame:
    """The share of each system's records that has a value in each field (systems x fields)."""
    return records[list(fields)].notna().groupby(records["system"]).mean()


def extract(ds, system: Mapping) -> pd.DataFrame:
    """One system's extract in the common :data:`LAYOUT`: one row per record, all text.

    ``ds`` is a loaded database (``generator.load(...)``) and ``system`` one of
    ``ds.systems``; its ``fields`` say which column holds what, in which format.
    """
    locale = ds.locale
    raw = ds.source(system["name"])
    out = pd.DataFrame(
        {column: pd.Series(None, index=raw.index, dtype=object) for column in LAYOUT}
    )
    out["system"] = system["name"]
    out["extracted_on"] = extract_date(ds.as_of, system)
    for field in system["fields"]:
        column, role = _localised(field[0], locale), field[1]
        option = _localised(field[2], locale) if len(field) > 2 else None
        values = raw[column]
        if role == "key":
            out["record_key"] = values
        elif role == "full_name":
            out[["given", "family"]] = split_full_name(values, option or "given_first", locale)
        elif role in ("given_name", "family_name"):
            out["given" if role == "given_name" else "family"] = values.astype(object)
        elif role == "gender":
            out["gender"] = gender_codes(values)
        elif role == "income_band":
            out["income_band"] = income_bands(values)
        elif role in CONSENTS:
            out[role] = consent_codes(values)
        elif role == "birth_date":
            out["birth_date"] = iso_dates(values, option or "%Y-%m-%d")
        elif role == "phone":
            out["phone"] = phone_digits(values, locale)
        elif role == "email":
            out["email"] = values.astype("string").str.strip().str.lower().astype(object)
        elif role in LAYOUT:
            out[role] = values.astype(object)
    if locale == "en_US":  # "SMITH" as "Smith": upper case is a system's habit, not the name
        family = out["family"].astype("string")
        out["family"] = family.where(~family.str.isupper().fillna(False), family.str.title())
    out["unique_id"] = out["system"] + ":" + out["record_key"]
    return out.astype(object).where(out.notna(), None)


# ---------------------------------------------------------------- merge (合并), delete (删除)


def merge(extracts: Iterable[pd.DataFrame], locale: str) -> pd.DataFrame:
    """Every system's records in one table, with the name keys that matching compares."""
    records = pd.concat(list(extracts), ignore_index=True)
    records["given_key"] = match_key(records["given"], locale)
    records["family_key"] = match_key(records["family"], locale)
    records["birth_year"] = birth_years(records)
    return records


def birth_years(records: pd.DataFrame) -> pd.Series:
    """The year of birth: from the birth date, or else the extract's year minus the age
    (a year early for people whose birthday was still to come)."""
    born = pd.to_datetime(records["birth_date"], format="%Y-%m-%d", errors="coerce").dt.year
    from_age = pd.to_numeric(records["extracted_on"].str[:4]) - pd.to_numeric(
        records["age"], errors="coerce"
    )
    return born.fillna(from_age).astype("Int64")


def unnamed(records: pd.DataFrame) -> pd.Series:
    """Records without any name: nothing to recognise the customer by, nothing to address."""
    return records["given"].isna() & records["family"].isna()


def exact_duplicates(records: pd.DataFrame) -> pd.Series:
    """Records that repeat another record of the same system in every field but the key.

    Returns, for each record to delete, the ``unique_id`` of the record kept in its place
    (the one with the lowest key).
    """
    fields = [c for c in LAYOUT if c not in ("unique_id", "record_key")]
    ordered = records.sort_values("unique_id")
    text = ordered[fields].astype("string").fillna("\x00")
    signature = text[fields[0]].str.cat([text[field] for field in fields[1:]], sep="\x1f")
    kept = ordered.groupby(signature, sort=False)["unique_id"].transform("first")
    dropped = kept != ordered["unique_id"]
    return pd.Series(
        kept[dropped].to_numpy(),
        index=pd.Index(ordered.loc[dropped, "unique_id"], name="unique_id"),
        name="kept",
    )


# ---------------------------------------------------------------- identify (识别)

MATCH_COLUMNS = (
    "given_key",
    "family_key",
    "birth_date",
    "birth_year",
    "phone",
    "email",
    "postcode",
    "gender",
)


# How often two records of one person disagree on a fact that does not change: set by hand,
# not trained, because such disagreements are too rare among true pairs to estimate (EM
# would push them to zero). A birth year from an age can be a year early.
STEADY_FACTS = {
    "birth_date": [("exact", 0.98), ("else", 0.02)],
    "birth_year": [("abs(birth_year_l - birth_year_r) <= 1", 0.98), ("else", 0.02)],
    "gender": [("exact", 0.98), ("else", 0.02)],
    "email": [
        ("exact", 0.9),
        ("jaro_winkler_similarity(email_l, email_r) >= 0.88", 0.08),
        ("else", 0.02),
    ],
}


def _steady(column: str):
    """A comparison of a fact that does not change, with its m probabilities fixed."""
    from splink import comparison_level_library as cll
    from splink import comparison_library as cl

    levels = [cll.NullLevel(column)]
    for condition, m in STEADY_FACTS[column]:
        if condition == "exact":
            level = cll.ExactMatchLevel(column)
        elif condition == "else":
            level = cll.ElseLevel()
        else:
            level = cll.CustomLevel(condition)
        levels.append(level.configure(m_probability=m, fix_m_probability=True))
    return cl.CustomComparison(output_column_name=column, comparison_levels=levels)


def score_pairs(records: pd.DataFrame, seed: int = 42) -> pd.DataFrame:
    """Every candidate pair of records with splink's probability that they are one person.

    A Fellegi-Sunter model (splink, with DuckDB) compares the names (given and family,
    allowing for a swap), phone, postcode, birth date, birth year, gender and e-mail. Its
    u probabilities (how often two random records agree) are estimated on the records
    with a fixed seed; the m probabilities (how often two records of one person agree) of
    the names, phone and postcode are learnt by expectation maximisation, those of the
    facts that do not change are set by hand (:data:`STEADY_FACTS`). No truth is used.
    Pairs come from blocking rules (same name, same phone, same e-mail, same birth date,
    same family name and postcode, or given and family name swapped). Returns
    ``unique_id_l``, ``unique_id_r`` and ``match_probability`` for every pair scored.
    """
    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink import comparison_library as cl

    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ForenameSurnameComparison("given_key", "family_key"),
            cl.LevenshteinAtThresholds("phone", [2]),
            cl.ExactMatch("postcode"),
            *(_steady(column) for column in STEADY_FACTS),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_key", "family_key"),
            block_on("phone"),
            block_on("email"),
            block_on("birth_date"),
            block_on("family_key", "postcode"),
            "l.given_key = r.family_key AND l.family_key = r.given_key",
        ],
    )
    connection = duckdb.connect()
    connection.execute("SET threads = 1")  # the same sums in the same order: the same scores
    table = records[["unique_id", *MATCH_COLUMNS]].astype(object)
    table = table.where(table.notna(), None)
    linker = Linker(
        DuckDBAPI(connection=connection).register(table, dataset_display_name="records"),
        settings,
        log_level=40,
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("family_key", "phone")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_key", "family_key")
    )
    scored = linker.inference.predict().as_pandas_dataframe()
    connection.close()
    pairs = scored[["unique_id_l", "unique_id_r", "match_probability"]].copy()
    pairs["match_probability"] = pairs["match_probability"].astype(float).round(12)
    return pairs.sort_values(["unique_id_l", "unique_id_r"], ignore_index=True)


def clusters(
    ids: Iterable[str],
    pairs: pd.DataFrame,
    threshold: float,
    merged: pd.Series | None = None,
) -> pd.Series:
    """Records joined into customers: every pair at or above ``threshold`` links two records,
    and each group of linked records (a connected component) is one customer.

    ``merged`` (deleted record -> kept record, from :func:`exact_duplicates`) links the
    deleted records too. Returns a customer number for every id, numbered 1, 2, ... in the
    order of each customer's first record.
    """
    ids = pd.Index(ids)
    position = pd.Series(np.arange(len(ids)), index=ids)
    links = pairs[pairs["match_probability"] >= threshold]
    left = [position.reindex(links["unique_id_l"]).to_numpy()]
    right = [position.reindex(links["unique_id_r"]).to_numpy()]
    if merged is not None and len(merged):
        left.append(position.reindex(merged.index).to_numpy())
        right.append(position.reindex(merged.to_numpy()).to_numpy())
    left, right = np.concatenate(left), np.concatenate(right)
    known = ~(np.isnan(left.astype(float)) | np.isnan(right.astype(float)))
    left, right = left[known].astype(np.int64), right[known].astype(np.int64)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=False)
    # number the customers in the order their first record appears
    order = pd.Series(labels).drop_duplicates()
    renumber = pd.Series(np.arange(1, len(order) + 1), index=order.to_numpy())
    return pd.Series(renumber[labels].to_numpy(), index=ids, name="customer_key")


# ---------------------------------------------------------------- measure against the truth


def true_customers(ds) -> pd.Series:
    """The generator's truth: which true customer each source record belongs to."""
    truth = ds.truth("source_records")
    return pd.Series(
        truth["customer_id"].to_numpy(),
        index=pd.Index(truth["system"] + ":" + truth["record_key"], name="unique_id"),
        name="customer_id",
    )


def _pairs_within(groups: pd.Series) -> int:
    sizes = groups.value_counts().to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _check_indexed_by_unique_id(found, truth: pd.Series) -> None:
    """A clear error, instead of one from deep inside pandas, when ``found`` is not a Series
    indexed by the records' ``unique_id``."""
    how = (
        "Make it with pd.Series(customer_numbers, index=records['unique_id']) "
        "(use .to_numpy() on the numbers, so that pandas does not align them on the old index)."
    )
    if not isinstance(found, pd.Series):
        raise TypeError(
            f"found should be a pandas Series (one customer per record), not a "
            f"{type(found).__name__}. {how}"
        )
    unknown = ~found.index.isin(truth.index)
    if unknown.all():
        example = truth.index[0] if len(truth) else "system:key"
        raise TypeError(
            "found must be indexed by the records' unique_id (such as "
            f"{example!r}), but its index holds {found.index[:1].tolist()}... {how}"
        )
    if unknown.any():
        raise TypeError(
            f"{int(unknown.sum()):,} labels of found's index are not the unique_id of a source "
            f"record (such as {found.index[unknown][0]!r}). {how}"
        )
    if not found.index.is_unique:
        raise TypeError(f"found's index repeats records: give each unique_id once. {how}")


def linkage_quality(found: pd.Series, truth: pd.Series) -> dict:
    """How a clustering (record -> customer number) compares with the true customers.

    - ``customers``: customers found; ``true_customers``: the people really there;
    - ``exact``: true customers found exactly (all their records, and nothing else);
    - ``false_merges``: records put into a customer that is mostly someone else's;
    - ``false_splits``: records left out of the customer that holds most of their person's
      records (duplicates missed);
    - ``pairs_found``, ``true_pairs``, ``pairs_right``: pairs of records put together, pairs
      that really belong together, and pairs that are both; ``precision``, ``recall`` and
      ``f1`` of those pairs.

    ``found`` must be indexed like ``truth``, by each record's ``unique_id``
    (``"hotline_log:HL00014187"``); anything else raises a ``TypeError`` that says so.
    """
    _check_indexed_by_unique_id(found, truth)
    both = pd.DataFrame({"found": found.to_numpy(), "true": truth.reindex(found.index).to_numpy()})
    pairs_found = _pairs_within(both["found"])
    true_pairs = _pairs_within(both["true"])
    cells = both.groupby(["found", "true"]).size()
    pairs_right = int((cells * (cells - 1) // 2).sum())
    largest_person = cells.groupby(level="found").max()
    largest_cluster = cells.groupby(level="true").max()
    pure = cells.groupby(level="found").size() == 1
    whole = cells.groupby(level="true").size() == 1
    cell = cells.reset_index()
    exact = cell[cell["found"].map(pure) & cell["true"].map(whole)]["true"].nunique()
    precision = pairs_right / pairs_found if pairs_found else 1.0
    recall = pairs_right / true_pairs if true_pairs else 1.0
    return {
        "customers": int(both["found"].nunique()),
        "true_customers": int(both["true"].nunique()),
        "exact": int(exact),
        "false_merges": int(len(both) - largest_person.sum()),
        "false_splits": int(len(both) - largest_cluster.sum()),
        "pairs_found": pairs_found,
        "true_pairs": true_pairs,
        "pairs_right": pairs_right,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }


def quality_curve(
    pairs: pd.DataFrame,
    truth: pd.Series,
    thresholds: Iterable[float],
    merged: pd.Series | None = None,
) -> pd.DataFrame:
    """:func:`linkage_quality` at each threshold: one row per threshold."""
    rows = []
    for threshold in thresholds:
        found = clusters(truth.index, pairs, threshold, merged)
        rows.append({"threshold": threshold, **linkage_quality(found, truth)})
    return pd.DataFrame(rows)


def threshold_summary(
    pairs: pd.DataFrame, truth: pd.Series, threshold: float, merged: pd.Series | None = None
) -> str:
    """One line for the classroom slider: what matching at ``threshold`` finds."""
    quality = linkage_quality(clusters(truth.index, pairs, threshold, merged), truth)
    return (
        f"threshold {threshold:.2f}: {quality['customers']:,} customers found "
        f"({quality['true_customers']:,} really there); "
        f"{quality['false_merges']:,} records merged wrongly, "
        f"{quality['false_splits']:,} duplicates missed; "
        f"precision {quality['precision']:.1%}, recall {quality['recall']:.1%}"
    )


def threshold_slider(
    pairs: pd.DataFrame,
    truth: pd.Series,
    merged: pd.Series | None = None,
    value: float = 0.9,
):
    """A classroom demo: a slider for the threshold and, under it, :func:`threshold_summary`
    for the threshold it shows (recomputed when the slider moves; splink is not re-run)."""
    import ipywidgets as widgets

    slider = widgets.FloatSlider(
        value=value, min=0.05, max=0.99, step=0.01, description="threshold"
    )
    result = widgets.Label(
        threshold_summary(pairs, truth, value, merged), layout=widgets.Layout(width="auto")
    )

    def update(change):
        result.value = threshold_summary(pairs, truth, change["new"], merged)

    slider.observe(update, names="value")
    return widgets.VBox([slider, result])


# ---------------------------------------------------------------- extend (扩展)


def coverage(records: pd.DataFrame, customer: pd.Series, fields: Iterable[str]) -> pd.DataFrame:
    """For each field: the share of records that have it, and the share of customers that
    have it from at least one of their records (what combining the systems adds)."""
    keyed = records.assign(customer_key=records["unique_id"].map(customer))
    rows = []
    for field in fields:
        known = keyed[field].notna()
        rows.append(
            {
                "field": field,
                "records": float(known.mean()),
                "customers": float(known.groupby(keyed["customer_key"]).any().mean()),
            }
        )
    return pd.DataFrame(rows).set_index("field")


# ---------------------------------------------------------------- validate (校验)

PHONE_RULES = {"en_US": r"^[2-9]\d{2}[2-9]\d{6}$", "zh_CN": r"^1[3-9]\d{9}$"}
EMAIL_RULE = r"^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$"


def validation_flags(records: pd.DataFrame, locale: str, as_of) -> pd.DataFrame:
    """One column per rule, True where a record's value breaks it (missing values pass).

    - ``birth_date_not_a_day``: a birth date that is not on the calendar (30 February);
    - ``birth_date_implausible``: born in the future or more than 110 years ago, or younger
      than 16 (too young to buy a car);
    - ``phone_malformed``: not a phone number of the locale's numbering plan;
    - ``email_malformed``: not one ``@`` between a name and a domain;
    - ``age_implausible``: an age below 16 or above 110.
    """
    as_of = pd.Timestamp(as_of)
    written = records["birth_date"].notna()
    born = pd.to_datetime(records["birth_date"], format="%Y-%m-%d", errors="coerce")
    age = pd.to_numeric(records["age"], errors="coerce")
    phone = records["phone"].astype("string")
    email = records["email"].astype("string")
    oldest, youngest = as_of - pd.DateOffset(years=110), as_of - pd.DateOffset(years=16)
    return pd.DataFrame(
        {
            "birth_date_not_a_day": written & born.isna(),
            "birth_date_implausible": born.notna() & ((born < oldest) | (born > youngest)),
            "phone_malformed": phone.notna()
            & ~phone.str.fullmatch(PHONE_RULES[locale]).fillna(False),
            "email_malformed": email.notna() & ~email.str.fullmatch(EMAIL_RULE).fillna(False),
            "age_implausible": age.notna() & ((age < 16) | (age > 110)),
        },
        index=records.index,
    ).astype(bool)


RULE_FIELDS = {
    "birth_date_not_a_day": "birth_date",
    "birth_date_implausible": "birth_date",
    "phone_malformed": "phone",
    "email_malformed": "email",
    "age_implausible": "age",
}


def blank_invalid(records: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """The records with every value that breaks a rule set to missing."""
    cleaned = records.copy()
    for rule, field in RULE_FIELDS.items():
        cleaned[field] = _none(cleaned[field].astype(object).where(~flags[rule], None))
    return cleaned


def planted_and_found(ds, records: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """The validation rules against the truth: per field, the invalid values the generator
    planted in these records, how many of them the rules flagged, and how many values the
    rules flagged in all."""
    locale = ds.locale
    roles = {
        (system["name"], _localised(field[0], locale)): field[1]
        for system in ds.systems
        for field in system["fields"]
    }
    planted = ds.truth("corruptions")
    planted = planted[planted["kind"] == "invalid"]
    planted = pd.DataFrame(
        {
            "unique_id": planted["system"] + ":" + planted["record_key"],
            "field": [roles[key] for key in zip(planted["system"], planted["field"], strict=True)],
        }
    )
    planted = planted[planted["unique_id"].isin(records["unique_id"])]
    flagged = {
        (uid, RULE_FIELDS[rule])
        for rule in flags.columns
        for uid in records.loc[flags[rule], "unique_id"]
    }
    found = [
        (uid, field) in flagged
        for uid, field in zip(planted["unique_id"], planted["field"], strict=True)
    ]
    table = pd.DataFrame(
        {
            "planted": planted.groupby("field").size(),
            "planted_and_flagged": planted[found].groupby("field").size(),
            "flagged": pd.Series([field for _, field in flagged]).value_counts(),
        }
    )
    return table.fillna(0).astype(int).rename_axis("field")


# ---------------------------------------------------------------- update (更新)

CHANGING = ("phone", "email", "postcode", "address", "city")
STABLE = ("name", "gender", "birth_date", "income_band")


def trust_order(ds) -> list[str]:
    """The systems from most to least trusted for facts that do not change.

    Systems that write names in pinyin (losing the characters) come last; before them, the
    systems typed in from paper (a ``typing`` factor above one: more typing errors) after
    those where the customer or the agent types once; otherwise the company's order.
    """
    locale = ds.locale
    systems = sorted(
        ds.systems,
        key=lambda s: (bool(_localised(s.get("romanised", False), locale)), s.get("typing", 1)),
    )
    return [system["name"] for system in systems]


def conflicts(records: pd.DataFrame, customer: pd.Series, fields: Iterable[str]) -> pd.Series:
    """For each field, the number of customers whose records hold more than one value
    (``name`` compares given and family name together)."""
    keyed = _with_name(records.assign(customer_key=records["unique_id"].map(customer)))
    counts = {
        field: int((keyed.groupby("customer_key")[field].nunique() > 1).sum()) for field in fields
    }
    return pd.Series(counts, name="customers_in_conflict")


def _with_name(records: pd.DataFrame) -> pd.DataFrame:
    """The records with ``name``: given and family name as one value (missing without a
    family name), so that a name is chosen whole."""
    name = records["given"].fillna("").astype(str) + " | " + records["family"].astype(str)
    return records.assign(name=name.where(records["family"].notna(), None))


def _keyed(records: pd.DataFrame, customer: pd.Series, trust: list[str]) -> pd.DataFrame:
    """The records with their customer and the rank of their system in ``trust``."""
    return _with_name(records).assign(
        customer_key=records["unique_id"].map(customer),
        rank=records["system"].map({name: i for i, name in enumerate(trust)}).fillna(len(trust)),
        birth_year=birth_years(records),
    )


def _survivors(keyed: pd.DataFrame, field: str, by: list[str], ascending: list[bool]):
    """Per customer, the value of ``field`` from the first record in the order ``by`` among
    the records that have one."""
    known = keyed[keyed[field].notna()]
    known = known.assign(
        support=known.groupby(["customer_key", field])["unique_id"].transform("size")
    )
    ordered = known.sort_values([*by, "unique_id"], ascending=[*ascending, True])
    return ordered.groupby("customer_key")[field].first()


def _statements(keyed: pd.DataFrame, field: str) -> pd.DataFrame:
    """What each extract said about ``field``, per customer: one value per customer and
    extract date, the newest date first.

    Among the records of one extract date that disagree, the most trusted system's wins, then
    (for a consent) a refusal, then the record with the lowest ``unique_id``: a changing fact
    is taken from the most recent statement, and a "no" given on the same day as a "yes" is
    kept, since the company cannot tell which came last.
    """
    known = keyed[keyed[field].notna()]
    by = ["customer_key", "extracted_on", "rank"]
    ascending = [True, False, True]
    if field in CONSENTS:  # "0" sorts before "1": a refusal wins a tie
        by, ascending = [*by, field], [*ascending, True]
    ordered = known.sort_values([*by, "unique_id"], ascending=[*ascending, True])
    said = ordered.drop_duplicates(["customer_key", "extracted_on"])
    return said[["customer_key", "extracted_on", field]].rename(columns={field: "value"})


def golden_records(
    records: pd.DataFrame,
    customer: pd.Series,
    trust: list[str],
    changing: Iterable[str] = CHANGING,
    stable: Iterable[str] = STABLE,
    owners: str = "warranty_cards",
    consents: Iterable[str] = CONSENTS,
) -> pd.DataFrame:
    """One row per customer, each field from the record that survives (survivorship rules).

    Facts that change (phone, e-mail, address) and the consents come from the most recent
    extract that has them: the update step. For a consent that means the most recent
    statement wins, so a withdrawal beats an older yes; on the same extract date a "no" beats
    a "yes"; a customer no system asked stays missing: unknown, which permits nothing. Facts
    that do not change (the name, gender, birth date, income band) are put to a vote: the
    value most of the customer's records hold, ties going to the most trusted system
    (``trust`` lists the systems from most to least trusted), then to the most recent
    extract. The name (given and family together) is chosen whole.

    Adds ``birth_year`` (from the birth date, or else from the ages on the extract dates),
    ``owner`` (a record in the ``owners`` system: the warranty cards), ``systems`` (how
    many systems know the customer) and ``last_seen`` (the latest extract it is in).
    :func:`history` keeps the values the changing fields had before.
    """
    keyed = _keyed(records, customer, trust)
    fields = {}
    for field in [*changing, *consents]:
        fields[field] = _statements(keyed, field).groupby("customer_key")["value"].first()
    for field in [*stable, "birth_year"]:
        fields[field] = _survivors(
            keyed, field, ["support", "rank", "extracted_on"], [False, True, False]
        )
    by_customer = keyed.groupby("customer_key")
    golden = pd.DataFrame(fields, index=by_customer.size().index)
    names = golden["name"].str.split(" \\| ", n=1, regex=True)
    golden["given_name"] = names.str[0].replace("", None)
    golden["family_name"] = names.str[1]
    exact_year = pd.to_datetime(golden["birth_date"], format="%Y-%m-%d", errors="coerce").dt.year
    voted_year = pd.to_numeric(golden["birth_year"]).astype("Int64")
    golden["birth_year"] = exact_year.astype("Int64").fillna(voted_year)
    for field in consents:
        golden[field] = pd.to_numeric(golden[field]).astype("Int64")
    golden["owner"] = (keyed["system"] == owners).groupby(keyed["customer_key"]).any().astype(int)
    golden["systems"] = by_customer["system"].nunique()
    golden["last_seen"] = by_customer["extracted_on"].max()
    columns = [
        "given_name",
        "family_name",
        "gender",
        "birth_date",
        "birth_year",
        "phone",
        "email",
        "postcode",
        "city",
        "address",
        "income_band",
        *consents,
        "owner",
        "systems",
        "last_seen",
    ]
    golden = golden.reindex(columns=columns)
    return (
        golden.astype(object).where(golden.notna(), None).rename_axis("customer_key").reset_index()
    )


def history(
    records: pd.DataFrame,
    customer: pd.Series,
    trust: list[str],
    fields: Iterable[str] = (*CHANGING, *CONSENTS),
) -> pd.DataFrame:
    """Every value each customer's changing fields have had, with the dates it held.

    The extracts are read as loads of the database, oldest first: a value is *valid from*
    the extract date that first brought it and *valid to* the date of the extract that
    replaced it (missing for the value that holds now, the one :func:`golden_records` keeps).
    These are the dates the company learnt of a change, not the day the customer moved. An
    extract that repeats the value in force, or has no value, changes nothing. One row per
    customer, field and period: ``customer_key``, ``field``, ``value``, ``valid_from``,
    ``valid_to``.
    """
    keyed = _keyed(records, customer, trust)
    parts = []
    for field in fields:
        said = _statements(keyed, field).sort_values(["customer_key", "extracted_on"])
        same_customer = said["customer_key"].eq(said["customer_key"].shift())
        changed = ~(same_customer & said["value"].eq(said["value"].shift()))
        periods = said[changed].rename(columns={"extracted_on": "valid_from"})
        following = periods["customer_key"].eq(periods["customer_key"].shift(-1))
        periods = periods.assign(
            field=field, valid_to=periods["valid_from"].shift(-1).where(following)
        )
        parts.append(periods)
    table = pd.concat(parts, ignore_index=True)
    table = table[["customer_key", "field", "value", "valid_from", "valid_to"]]
    table = table.sort_values(["customer_key", "field", "valid_from"], ignore_index=True)
    return table.astype(object).where(table.notna(), None)


# ---------------------------------------------------------------- extend (扩展) with a bought list

# the columns of the bought postcode list, as the customer table names them: they describe
# the customer's postcode area, not the customer
AREA_FIELDS = {
    "households": "area_households",
    "income_index": "area_income_index",
    "median_income": "area_median_income",
    "families_with_children": "area_families_with_children",
    "median_age": "area_median_age",
}


# ---------------------------------------------------------------- load (the central database)

# A real date is one that SQLite gives back unchanged when it normalises it: date(x, '+0 days')
# turns 30 February into 2 March (1 March in a leap year) and a non-date into NULL; IS (unlike
# =) is false when one side is NULL, and true when both are, so a missing date passes.
SCHEMA = """\
CREATE TABLE systems (
    system        TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    extracted_on  TEXT NOT NULL CHECK (date(extracted_on, '+0 days') IS extracted_on)
);
CREATE TABLE customers (
    customer_key  INTEGER PRIMARY KEY,
    given_name    TEXT,
    family_name   TEXT NOT NULL,
    gender        TEXT CHECK (gender IN ('F', 'M')),
    birth_date    TEXT CHECK (date(birth_date, '+0 days') IS birth_date),
    birth_year    INTEGER CHECK (birth_year BETWEEN 1900 AND 2100),
    phone         TEXT CHECK (phone NOT GLOB '*[^0-9]*' AND length(phone) BETWEEN 10 AND 11),
    email         TEXT CHECK (email LIKE '_%@_%._%' AND email NOT LIKE '%@%@%'
                              AND email NOT LIKE '% %'),
    postcode      TEXT,
    city          TEXT,
    address       TEXT,
    income_band   TEXT CHECK (income_band IN ('low', 'middle', 'high')),
    consent_mail  INTEGER CHECK (consent_mail IN (0, 1)),
    consent_email INTEGER CHECK (consent_email IN (0, 1)),
    consent_sms   INTEGER CHECK (consent_sms IN (0, 1)),
    consent_phone INTEGER CHECK (consent_phone IN (0, 1)),
    owner         INTEGER NOT NULL CHECK (owner IN (0, 1)),
    systems       INTEGER NOT NULL CHECK (systems >= 1),
    last_seen     TEXT NOT NULL CHECK (date(last_seen, '+0 days') IS last_seen),
    area_households              INTEGER CHECK (area_households >= 0),
    area_income_index            INTEGER CHECK (area_income_index > 0),
    area_median_income           REAL CHECK (area_median_income >= 0),
    area_families_with_children  REAL CHECK (area_families_with_children BETWEEN 0 AND 1),
    area_median_age              REAL CHECK (area_median_age BETWEEN 0 AND 120)
);
CREATE TABLE customer_history (
    customer_key  INTEGER NOT NULL REFERENCES customers (customer_key),
    field         TEXT NOT NULL CHECK (field IN ('phone', 'email', 'postcode', 'address',
                              'city', 'consent_mail', 'consent_email', 'consent_sms',
                              'consent_phone')),
    value         TEXT NOT NULL,
    valid_from    TEXT NOT NULL CHECK (date(valid_from, '+0 days') IS valid_from),
    valid_to      TEXT CHECK (date(valid_to, '+0 days') IS valid_to AND valid_to > valid_from),
    PRIMARY KEY (customer_key, field, valid_from)
);
CREATE TABLE source_records (
    system        TEXT NOT NULL REFERENCES systems (system),
    record_key    TEXT NOT NULL,
    customer_key  INTEGER NOT NULL REFERENCES customers (customer_key),
    PRIMARY KEY (system, record_key)
);
CREATE INDEX source_records_by_customer ON source_records (customer_key);
CREATE INDEX customers_by_phone ON customers (phone);
CREATE INDEX customers_by_email ON customers (email);
CREATE INDEX customers_by_postcode ON customers (postcode);
"""


def load_database(
    db: sqlite3.Connection,
    systems: pd.DataFrame,
    customers: pd.DataFrame,
    records: pd.DataFrame,
    changes: pd.DataFrame | None = None,
) -> pd.Series:
    """Insert the systems, the customers, each record's link to its customer and (if given)
    the customers' history (:func:`history`); returns the rows in each table. Every row goes
    through the schema's constraints."""
    frames = {
        "systems": systems[["system", "title", "extracted_on"]],
        "customers": customers,
        "source_records": records[["system", "record_key", "customer_key"]],
    }
    if changes is not None:
        frames["customer_history"] = changes
    for table, frame in frames.items():
        frame = frame.astype(object).where(frame.notna(), None)
        marks = ", ".join("?" * frame.shape[1])
        names = ", ".join(frame.columns)
        db.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",
            frame.itertuples(index=False, name=None),
        )
    db.commit()
    return pd.Series(
        {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in frames},
        name="rows",
    )


def try_insert(db: sqlite3.Connection, sql: str, params: tuple | Mapping = ()) -> str:
    """Run one INSERT; say whether the database took the row or which constraint refused it.

    The row is never kept (the insert is rolled back), so a demonstration leaves the
    database as it was.
    """
    try:
        db.execute("SAVEPOINT demo")
        db.execute(sql, params)
    except sqlite3.IntegrityError as error:
        return f"refused: {error}"
    finally:
        db.execute("ROLLBACK TO demo")
        db.execute("RELEASE demo")
    return "accepted"


# ---------------------------------------------------------------- the whole build, in order

#: The match-probability threshold the lesson links records at.
THRESHOLD = 0.9


@dataclass(frozen=True)
class Build:
    """Every stage of the lesson's build of one database (see :func:`build`)."""

    records: pd.DataFrame  # extract and merge: every record, in the common layout
    duplicates: pd.Series  # delete: each exact duplicate -> the record kept for it
    kept: pd.DataFrame  # the named records that are not exact duplicates
    flags: pd.DataFrame  # validate: the rules each kept record breaks
    clean: pd.DataFrame  # the kept records with invalid values blanked
    scores: pd.DataFrame  # identify: the candidate pairs with their match probability
    customer: pd.Series  # unique_id -> customer_key, for every named record
    golden: pd.DataFrame  # update: one golden record per customer (the current state)
    changes: pd.DataFrame  # update: every value the changing fields had (history)


def build(ds, threshold: float = THRESHOLD) -> Build:
    """The lesson's build, step by step in its order: extract, merge, delete, validate,
    identify (splink, at ``threshold``), update. Chapter 02's exercises start from it and its
    checks compute their answers from it."""
    locale = ds.locale
    records = merge([extract(ds, system) for system in ds.systems], locale)
    named = records[~unnamed(records)]
    duplicates = exact_duplicates(named)
    kept = named[~named["unique_id"].isin(duplicates.index)]
    flags = validation_flags(kept, locale, ds.as_of)
    clean = blank_invalid(kept, flags)
    scores = score_pairs(clean)
    customer = clusters(named["unique_id"], scores, threshold, duplicates)
    trust = trust_order(ds)
    return Build(
        records=records,
        duplicates=duplicates,
        kept=kept,
        flags=flags,
        clean=clean,
        scores=scores,
        customer=customer,
        golden=golden_records(clean, customer, trust),
        changes=history(clean, customer, trust),
    )


def central_database(ds, built: Build | None = None) -> sqlite3.Connection:
    """The lesson's central database in memory: :data:`SCHEMA`, with the systems, the golden
    records, every source record's link to its customer and the history loaded (from
    ``built``, or from a new :func:`build`)."""
    built = build(ds) if built is None else built
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA foreign_keys = ON")
    db.executescript(SCHEMA)
    named = built.records[built.records["unique_id"].isin(built.customer.index)]
    links = named.assign(customer_key=named["unique_id"].map(built.customer))
    load_database(db, systems_table(ds).reset_index(), built.golden, links, built.changes)
    return db
