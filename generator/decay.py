"""Data decay: the life events that make a customer database go stale.

Over the simulated years customers move house, change phone number, change their family name
on marriage, withdraw a consent, and some die. The company's customer table keeps what it
captured at registration; the events are ground truth (``_truth/life_events``), so a database
frozen at one date can be compared with the truth at a later one, and every source system's
extract shows each customer as they were on its extract date (:func:`state_at`).

Shared by every industry. Rates are facts about people in a locale, so they live with the engine
(``generator/data/decay.json``, with their sources; :func:`rates`), per locale:
``moves_per_year``, ``phone_changes_per_year``, ``marriage_name_changes_per_year`` (the
share of women changing family name each year), ``consent_withdrawals_per_year`` and
``death_share_of_leavers_over_70`` (deaths are drawn among the customers who stop for good,
at the date they stop, so nobody buys after dying).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from generator import arrays
from generator.context import Context
from generator.population import CHANNELS
from generator.schema import Column, Table
from generator.streams import stream, uniform

RATES_FILE = Path(__file__).resolve().parent / "data" / "decay.json"
KINDS = ("moved", "new_phone", "name_change", "consent_withdrawn", "died", "email_closed")
_KIND_TYPE = pd.CategoricalDtype(pd.Index(list(KINDS), dtype="str"))
ADDRESS = ("address", "city", "region", "postcode")
# the columns an event changes, by kind
CHANGES = {
    "moved": ADDRESS,
    "new_phone": ("phone",),
    "name_change": ("family_name",),
    "consent_withdrawn": tuple(f"consent_{c}" for c in CHANNELS),
    "died": (),
    "email_closed": (),  # the address is the same; mail to it bounces
}
C = Column
TABLE = Table(
    "life_events",
    "Life events that make the customer records go stale",
    "客户信息变化事件",
    (
        C("customer_id", "int", "The customer (or patient) concerned", "客户编号"),
        C("date", "date", "When it happened", "日期"),
        C("kind", "category", "What happened", "事件类型", values=KINDS),
        C("address", "str", "New street address (moves)", "新地址", nullable=True),
        C("city", "str", "New city (moves)", "新城市", nullable=True),
        C("region", "str", "New state or province (moves)", "新州/省", nullable=True),
        C("postcode", "str", "New postcode (moves)", "新邮编", nullable=True),
        C("phone", "str", "New phone number", "新电话", nullable=True),
        C("family_name", "str", "New family name (marriage)", "新姓氏", nullable=True),
        C(
            "channel",
            "category",
            "Channel of a withdrawn consent",
            "撤回同意的渠道",
            nullable=True,
            values=CHANNELS,
        ),
    ),
    key=("customer_id", "date", "kind"),
    truth=True,
)
COLUMNS = tuple(c.name for c in TABLE.columns)
REPORTED = KINDS[:5]  # a closed e-mail box is never reported: the company learns it from a bounce
UPDATE_SOURCES = ("customer", "change_of_address_file", "deceased_file")
UPDATES = Table(
    "customer_updates",
    "Changes to customers' details as the company learnt of them (the update feed)",
    "客户信息更新记录",
    (
        TABLE.columns[0],
        C("reported_on", "date", "When the company learnt of it", "获知日期"),
        C("kind", "category", "What changed", "变化类型", values=REPORTED),
        C("changed_on", "date", "When it changed, as reported", "变化日期"),
        *TABLE.columns[3:],  # the new values, as in the life events
        C(
            "source",
            "category",
            "How the company learnt of it",
            "信息来源",
            values=UPDATE_SOURCES,
        ),
    ),
    key=("customer_id", "changed_on", "kind"),
)


@functools.cache
def _table() -> dict:
    return json.loads(RATES_FILE.read_text(encoding="utf-8"))


def reporting(locale: str) -> dict[str, dict]:
    """Per kind of event in ``locale``: the ``share`` the company learns of, the
    ``mean_lag_days`` before it does, and the ``source`` it learns it from."""
    return {kind: dict(rule) for kind, rule in _table()["reporting"][locale].items()}


def rates(locale: str) -> dict[str, float]:
    """The yearly rates of life events in ``locale``."""
    return dict(_table()["rates"][locale])


def sources(locale: str) -> list[str]:
    """Where the rates of ``locale`` come from (for the data dictionary)."""
    return list(_table()["sources"][locale])


def life_events(build: Context, block: int, people: pd.DataFrame) -> pd.DataFrame:
    """One row per life event of a block's customers, with the new values it brings, at the
    :func:`rates` of the build's locale.

    An event happens between the customer's registration (or the window's start) and the
    as-of date; a move brings a whole new address in the customer's own state or province
    (most moves are local), a phone change a new number, a name change a new family name, a
    withdrawal names the channel.
    """
    per_year = rates(build.params.locale)
    locale, window, seed = build.locale, build.window, build.seed
    rng = stream(seed, "decay.events", block)
    n = len(people)
    start = np.datetime64(window.start.date(), "D")
    as_of = np.datetime64(window.as_of.date(), "D")
    begins = np.maximum(people["registered_on"].to_numpy().astype("datetime64[D]"), start)
    span = (as_of - begins).astype(np.int64) + 1  # days the customer is on file in the window
    years = span / 365.25
    female = (people["gender"] == "F").to_numpy()
    parts: list[dict] = []

    def occur(expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        who = np.repeat(np.arange(n), rng.poisson(expected))
        day = begins[who] + (rng.random(len(who)) * span[who]).astype("timedelta64[D]")
        return who, day

    home = people["region"].to_numpy(dtype=object)
    who, day = occur(per_year["moves_per_year"] * years)
    moved = locale.addresses_within(stream(seed, "decay.addresses", block), home[who])
    moved = {c: _text(moved[c]) for c in ADDRESS}
    parts.append(_frame(people, who, day, "moved", **moved))
    who, day = occur(per_year["phone_changes_per_year"] * years)
    phone_rng = stream(seed, "decay.phones", block)
    area = locale.addresses_within(phone_rng, home[who])["area_code"]
    phones = locale.phones(phone_rng, area)
    parts.append(_frame(people, who, day, "new_phone", phone=phones))
    married = np.where(female, per_year["marriage_name_changes_per_year"], 0.0)
    who, day = occur(married * years)
    first = arrays.starts(who)  # at most one name change each
    who, day = who[first], day[first]
    names = locale.family.draw(stream(seed, "decay.names", block), len(who))
    parts.append(_frame(people, who, day, "name_change", family_name=names))
    # a withdrawal concerns one channel, among those the customer had agreed to (and had not
    # withdrawn already: a consent is withdrawn once)
    who, day = occur(per_year["consent_withdrawals_per_year"] * years)
    pick = rng.integers(0, len(CHANNELS), len(who))
    had = people[[f"consent_{c}" for c in CHANNELS]].to_numpy(bool)[who, pick]
    order = np.lexsort((day, pick, who))
    key = np.stack([who[order], pick[order]])
    first = np.zeros(len(who), bool)
    first[order] = np.r_[True, (key[:, 1:] != key[:, :-1]).any(axis=0)] if len(who) else []
    had &= first
    channel = pa.array(CHANNELS).take(pick[had])
    parts.append(_frame(people, who[had], day[had], "consent_withdrawn", channel=channel))
    # deaths: among those who stop for good, more often the old
    stopped = people["truth_stopped_on"].to_numpy().astype("datetime64[D]")
    birth = people["birth_date"].to_numpy().astype("datetime64[D]")
    age = (stopped - birth).astype(np.float64) / 365.25
    share = per_year["death_share_of_leavers_over_70"] * np.clip((age - 50) / 20, 0, 1.5)
    dies = ~np.isnat(stopped) & (rng.random(n) < np.nan_to_num(share))
    who = np.flatnonzero(dies)
    parts.append(_frame(people, who, stopped[who], "died"))
    # e-mail boxes that stop working: a stream of their own, so the other events stay put
    email_rng = stream(seed, "decay.email", block)
    has_email = people["email"].notna().to_numpy()
    expected = np.where(has_email, per_year["email_closures_per_year"], 0.0) * years
    who = np.repeat(np.arange(n), email_rng.poisson(expected))
    day = begins[who] + (email_rng.random(len(who)) * span[who]).astype("timedelta64[D]")
    first = arrays.starts(who)  # a box closes once
    parts.append(_frame(people, who[first], day[first], "email_closed"))
    return _assemble(people, [_while_alive(part, dies, stopped) for part in parts])


def _while_alive(part: dict, dies: np.ndarray, stopped: np.ndarray) -> dict:
    """A kind of event without the ones dated after the customer's death."""
    who = part["who"]
    after = dies[who] & (part["date"] > stopped[who].astype("datetime64[s]"))
    if not after.any():
        return part
    keep = ~after
    return {
        name: values.filter(pa.array(keep)) if isinstance(values, pa.Array) else values[keep]
        for name, values in part.items()
    }


def _text(values) -> pa.Array:
    """Text (a pandas column, a Categorical or Arrow) as an Arrow string array."""
    if not isinstance(values, pa.Array):
        values = pa.array(np.asarray(values, dtype=object), pa.string())
    return values.cast(pa.string())


def _frame(people, who, day, kind, **values) -> dict[str, np.ndarray | pa.Array]:
    """One kind of event as aligned arrays (customer index, day, kind, and the new values as
    Arrow text, empty where the kind does not change them)."""
    part = {
        "who": who,
        "date": day.astype("datetime64[s]"),
        "kind": np.full(len(who), KINDS.index(kind), np.int8),
    }
    for column in COLUMNS[3:]:
        given = values.get(column)
        part[column] = pa.nulls(len(who), pa.string()) if given is None else _text(given)
    return part


# events of a customer on the same day come in the kinds' alphabetical order
_ORDER = np.argsort(np.argsort(KINDS))  # kind code -> its rank in that order


def _assemble(people: pd.DataFrame, parts: list[dict]) -> pd.DataFrame:
    """All the events, sorted by customer, date and kind, at most one of a kind a day."""
    joined = {
        name: np.concatenate([part[name] for part in parts]) for name in ("who", "date", "kind")
    }
    rank = _ORDER[joined["kind"]]
    order = np.lexsort((rank, joined["date"], joined["who"]))
    key = np.stack([joined["who"][order], joined["date"][order].astype(np.int64), rank[order]])
    keep = order[np.r_[True, (key[:, 1:] != key[:, :-1]).any(axis=0)]] if len(order) else order
    frame = {
        "customer_id": people["customer_id"].to_numpy()[joined["who"][keep]],
        "date": joined["date"][keep],
        "kind": pd.Categorical.from_codes(joined["kind"][keep], dtype=_KIND_TYPE),
    }
    for column in COLUMNS[3:]:
        text = pa.concat_arrays([part[column] for part in parts]).take(keep)
        frame[column] = text.to_pandas()
    return pd.DataFrame(frame)


def updates(build: Context, block: int, events: pd.DataFrame) -> pd.DataFrame:
    """The update feed of a block: the life events the company learnt of, with the date it
    learnt each (the event's date plus an exponential delay, by the as-of date at the
    latest) and how (the :func:`reporting` of the build's locale: per kind, the share learnt,
    the mean delay, the source). A closed e-mail box never appears: the company finds it only
    when mail to it bounces."""
    rules = reporting(build.params.locale)
    rng = stream(build.seed, "decay.reports", block)
    n = len(events)
    draw, wait = rng.random(n), rng.exponential(1.0, n)
    kind = events["kind"].astype(str)
    share = kind.map({k: r["share"] for k, r in rules.items()}).to_numpy(float)
    mean = kind.map({k: r["mean_lag_days"] for k, r in rules.items()}).to_numpy(float)
    changed = events["date"].to_numpy().astype("datetime64[D]")
    reported = changed + np.ceil(wait * mean).astype("timedelta64[D]")
    keep = (draw < share) & (reported <= np.datetime64(build.window.as_of.date(), "D"))
    learnt = events[keep]
    frame = pd.DataFrame(
        {
            "customer_id": learnt["customer_id"].to_numpy(),
            "reported_on": reported[keep].astype("datetime64[s]"),
            "kind": pd.Categorical(learnt["kind"].astype(str), categories=list(REPORTED)),
            "changed_on": learnt["date"].to_numpy(),
        }
    )
    for column in COLUMNS[3:]:
        frame[column] = learnt[column].to_numpy()
    frame["channel"] = pd.Categorical(learnt["channel"].astype(object), categories=CHANNELS)
    frame["source"] = pd.Categorical(
        kind[keep].map({k: r["source"] for k, r in rules.items()}),
        categories=list(UPDATE_SOURCES),
    )
    return frame


def mail_returned(seed: int, mailing: str, customer_ids, share: float) -> np.ndarray:
    """Which letters of a mailing to an out-of-date address come back to the sender: the same
    customers for the same mailing (``mailing`` names it, e.g. its date), whoever else is in
    it."""
    return uniform(seed, f"decay.mail.{mailing}", customer_ids) < share


def state_at(people: pd.DataFrame, events: pd.DataFrame, date) -> pd.DataFrame:
    """The customers as they were on ``date``: the latest event of each kind applied.

    Returns a copy of ``people`` with changed columns updated and a ``died`` flag.
    """
    date = np.datetime64(pd.Timestamp(date).date(), "s")
    past = events[events["date"].to_numpy() <= date]
    state = people.copy()
    position = pd.Index(people["customer_id"])
    for kind in ("moved", "new_phone", "name_change"):
        latest = past[past["kind"] == kind].drop_duplicates("customer_id", keep="last")
        rows = position.get_indexer(latest["customer_id"])
        for column in CHANGES[kind]:
            values = state[column].to_numpy(dtype=object, copy=True)
            values[rows] = latest[column].to_numpy()
            state[column] = pd.Series(values, index=state.index, dtype="str")
    withdrawn = past[past["kind"] == "consent_withdrawn"]
    for channel in CHANNELS:
        rows = position.get_indexer(withdrawn.loc[withdrawn["channel"] == channel, "customer_id"])
        column = f"consent_{channel}"
        values = state[column].to_numpy(dtype=bool, copy=True)
        values[rows] = False
        state[column] = values
    state["died"] = people["customer_id"].isin(past.loc[past["kind"] == "died", "customer_id"])
    return state
