"""The campaign simulator: what a campaign would really have earned, for any list of customers.

A student (or a case notebook) chooses whom to contact; the simulator runs the campaign in the
hidden future of a build, with a random control group, and says what happened::

    import generator
    retail = generator.load("retail")
    outcome = generator.simulate(retail, {"category": "coffee", "channel": "email",
                                          "coupon_value": 1.5}, customer_ids)
    outcome.customers      # per customer: group, responded, spend, margin, costs, profit
    outcome.summary()      # response rates, incremental response with its interval, profit
    outcome.true_incremental_profit   # what the campaign really earned (the truth)

Outcomes come from the same latent truth as the build: a held-out customer does exactly what
the hidden future (``_truth/future_*``) says they did; a contacted one does that, or responds
because of the offer with their true uplift. Every random draw is keyed by the customer and
the campaign, so the same list gives the same outcome, and a customer's outcome does not
depend on who else is on the list.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from generator import campaigns as campaign_engine
from generator.population import FUTURE_MONTHS
from generator.streams import uniform

Z95 = 1.959964  # a two-sided 95 % interval (normal approximation)


class CampaignError(ValueError):
    """A campaign or a customer list the simulator cannot run; its message says why."""


@dataclass(frozen=True)
class Outcome:
    """A simulated campaign's result.

    ``customers``: one row per listed customer (or patient), what a company would observe:
    its id, ``group`` (treatment or control), ``responded``, the money it brought (``margin``,
    and the industry's own columns: spend, discount, ...), ``contact_cost`` and ``profit``.
    ``truth``: per customer the true chances (``p_control``, ``p_treated``, ``uplift``) and
    the expected incremental profit of contacting them. ``true_incremental_profit``: what
    contacting the treatment group really earned against not contacting it, in expectation.
    """

    campaign: dict
    customers: pd.DataFrame
    truth: pd.DataFrame
    true_incremental_profit: float

    def summary(self) -> pd.Series:
        """The campaign evaluated as a company would, against its control group, beside the
        truth: response rates, incremental response with a 95 % interval, profit."""
        c = self.customers
        treated, control = c[c["group"] == "treatment"], c[c["group"] == "control"]
        rate_t, rate_c = treated["responded"].mean(), control["responded"].mean()
        se = np.sqrt(
            rate_t * (1 - rate_t) / max(len(treated), 1)
            + rate_c * (1 - rate_c) / max(len(control), 1)
        )
        profit_gap = treated["profit"].mean() - control["profit"].mean()
        profit_se = np.sqrt(
            treated["profit"].var(ddof=1) / max(len(treated), 1)
            + control["profit"].var(ddof=1) / max(len(control), 1)
        )
        return pd.Series(
            {
                "contacted": len(treated),
                "held_out": len(control),
                "response_rate_contacted": rate_t,
                "response_rate_held_out": rate_c,
                "incremental_response": rate_t - rate_c,
                "incremental_response_low": rate_t - rate_c - Z95 * se,
                "incremental_response_high": rate_t - rate_c + Z95 * se,
                "estimated_incremental_profit": profit_gap * len(treated),
                "estimated_incremental_profit_low": (profit_gap - Z95 * profit_se) * len(treated),
                "estimated_incremental_profit_high": (profit_gap + Z95 * profit_se) * len(treated),
                "true_incremental_profit": self.true_incremental_profit,
            }
        )


def observed(
    ids: np.ndarray,
    treated: np.ndarray,
    responded: np.ndarray,
    results: dict,
    margin: np.ndarray,
    contact_cost,
    key: str = "customer_id",
) -> pd.DataFrame:
    """What a company sees of a campaign, one row per listed customer: the id (``key``),
    ``group``, ``responded``, the industry's own ``results`` (spend, discount, ...), the
    ``margin`` they brought (after any discount), what contacting them cost (``contact_cost``:
    one amount, or one per customer; nothing for the control group) and ``profit``."""
    cost = np.where(treated, contact_cost, 0.0)
    return pd.DataFrame(
        {
            key: ids,
            "group": pd.Categorical(
                np.where(treated, "treatment", "control"), categories=list(campaign_engine.GROUPS)
            ),
            "responded": responded,
            **results,
            "margin": np.round(margin, 2),
            "contact_cost": np.round(cost, 2),
            "profit": np.round(np.round(margin, 2) - np.round(cost, 2), 2),
        }
    )


def outcome(
    campaign: dict,
    customers: pd.DataFrame,
    treated: np.ndarray,
    p_control: np.ndarray,
    p_treated: np.ndarray,
    incremental_profit: np.ndarray,
    **more,
) -> Outcome:
    """The :class:`Outcome` of a campaign from what the company saw (``customers``, as
    :func:`observed` makes it) and the truth per customer: the chances without and with the
    contact, the expected incremental profit of contacting them, and any ``more`` true
    columns. What it truly earned is that profit summed over the contacted."""
    key = customers.columns[0]
    truth = pd.DataFrame(
        {
            key: customers[key].to_numpy(),
            "p_control": np.round(p_control, 4),
            "p_treated": np.round(p_treated, 4),
            "uplift": np.round(p_treated - p_control, 4),
            **more,
            "incremental_profit": np.round(incremental_profit, 4),
        }
    )
    return Outcome(campaign, customers, truth, float(incremental_profit[treated].sum().round(2)))


def schedule(ds, customer_ids, days: int, what: str = "campaign"):
    """A list of customers, or a table of each customer's own send day (``customer_id`` and
    ``sent_on``: an offer timed to the customer), as ``(ids, sent_on)``: the ids as given and
    the send days as dates (None for a list). Every timed window of ``days`` days must be in
    the hidden future; anything else is one clear :class:`CampaignError`."""
    if not isinstance(customer_ids, pd.DataFrame):
        return customer_ids, None
    missing = [c for c in ("customer_id", "sent_on") if c not in customer_ids.columns]
    if missing:
        raise CampaignError(
            f"a table of timed sends needs the columns customer_id and sent_on (missing: "
            f"{', '.join(missing)})"
        )
    try:
        sent = pd.to_datetime(customer_ids["sent_on"]).dt.normalize()
    except (ValueError, TypeError):
        raise CampaignError("sent_on must hold dates") from None
    if sent.isna().any():
        raise CampaignError("every customer in a timed send needs a sent_on date")
    end = ds.as_of + pd.DateOffset(months=FUTURE_MONTHS)
    late = sent + pd.Timedelta(days=days - 1) > end
    if (sent <= ds.as_of).any() or late.any():
        raise CampaignError(
            f"each timed {what} must run in the hidden future: sent after "
            f"{ds.as_of:%Y-%m-%d} and over by {end:%Y-%m-%d}"
        )
    return customer_ids["customer_id"], sent.to_numpy(dtype="datetime64[ns]")


def check_ids(customer_ids, known: pd.Index, who: str = "customer") -> np.ndarray:
    """The listed ids as integers, or one clear error: none listed, not whole numbers, listed
    twice, or not in the build."""
    if isinstance(customer_ids, pd.DataFrame):
        raise CampaignError(
            f"list the {who} ids (a table of send days is for offers timed per customer, "
            f"which only the supermarket's simulator runs)"
        )
    ids = pd.Series(customer_ids)
    if ids.empty:
        raise CampaignError(f"the list of {who}s is empty")
    numbers = pd.to_numeric(ids, errors="coerce")
    bad = ids[numbers.isna() | (numbers != numbers.round())]
    if len(bad):
        raise CampaignError(f"{who} ids must be whole numbers, not {bad.iloc[0]!r}")
    numbers = numbers.astype(np.int64)
    twice = numbers[numbers.duplicated()].unique()
    if len(twice):
        raise CampaignError(
            f"{_count(len(twice), who)} listed more than once (e.g. {some(twice)}): list each once"
        )
    unknown = numbers[~numbers.isin(known)].to_numpy()
    if len(unknown):
        raise CampaignError(
            f"{_count(len(unknown), who)} not in this database (e.g. {some(unknown)})"
        )
    return numbers.to_numpy()


def listed(people: pd.DataFrame, customer_ids, channel: str, who: str = "customer") -> np.ndarray:
    """The listed ids checked (:func:`check_ids`) against ``people`` (indexed by id, with a
    ``consent_<channel>`` column), or one clear error naming those who did not agree to be
    contacted by ``channel``: a campaign may only contact those who did."""
    ids = check_ids(customer_ids, people.index, who)
    refused = ids[~people.loc[ids, f"consent_{channel}"].to_numpy(bool)]
    if len(refused):
        raise CampaignError(
            f"{len(refused)} of the {who}s did not agree to be contacted by {channel} "
            f"(e.g. {some(refused)}): leave them out"
        )
    return ids


def _count(n: int, who: str) -> str:
    return f"{n} {who} id is" if n == 1 else f"{n} {who} ids are"


def some(values, n: int = 3) -> str:
    """The first ``n`` of ``values``, for an error message's example ("e.g. 5, 7, 24")."""
    return ", ".join(str(v) for v in list(values)[:n])


def settings(
    ds,
    campaign: dict,
    *,
    choices: dict[str, tuple[str, ...]],
    amounts: tuple[str, ...] = (),
    days: tuple[str, int] = ("response_days", 28),
    defaults: dict | None = None,
    what: str = "campaign",
    optional: tuple[str, ...] = (),
) -> dict:
    """A campaign's settings checked and completed, or one clear :class:`CampaignError`.

    ``choices``: the settings that name one of a few values (each with its allowed values;
    given, unless ``defaults`` has it); ``amounts``: positive amounts of money (given);
    ``days``: the name of the window's length in days and its default. Every campaign also
    has ``launched_on``, by default the day after the as-of date; the whole window must be in
    the hidden future. ``optional``: settings the industry checks itself (known here, left
    out of the result). Returns the settings with amounts as floats and the launch day a date.
    """
    name, default_days = days
    given = {**(defaults or {}), **campaign}
    known = {*choices, *amounts, name, "launched_on", *optional}
    unknown = sorted(set(campaign) - known)
    if unknown:
        raise CampaignError(f"unknown campaign setting {unknown[0]!r} (known: {sorted(known)})")
    for needed in (*choices, *amounts):
        if needed not in given:
            raise CampaignError(f"the {what} needs a {needed}")
    for setting, allowed in choices.items():
        if given[setting] not in allowed:
            label = setting.replace("_", " ")
            raise CampaignError(f"unknown {label} {given[setting]!r} (known: {', '.join(allowed)})")
    out = {setting: given[setting] for setting in choices}
    for setting in amounts:
        value = given[setting]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise CampaignError(f"{setting} must be a positive amount, not {value!r}")
        out[setting] = float(value)
    length = given.get(name, default_days)
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise CampaignError(f"{name} must be a whole number of days, not {length!r}")
    try:
        first = pd.Timestamp(given.get("launched_on", ds.as_of + pd.Timedelta(days=1)))
    except ValueError:
        raise CampaignError(f"launched_on must be a date, not {given['launched_on']!r}") from None
    end = ds.as_of + pd.DateOffset(months=FUTURE_MONTHS)
    if first <= ds.as_of or first + pd.Timedelta(days=length - 1) > end:
        raise CampaignError(
            f"the {what} must run in the hidden future: launched after {ds.as_of:%Y-%m-%d} "
            f"and over by {end:%Y-%m-%d}"
        )
    return {**out, "launched_on": first.normalize(), name: length}


def draws(seed: int, campaign: dict, ids: np.ndarray, purposes: tuple[str, ...]) -> dict:
    """One number in [0, 1) per customer and purpose, keyed by the campaign's settings: the
    same customer in the same campaign always gets the same numbers."""
    key = json.dumps(campaign, sort_keys=True, default=str)
    return {p: uniform(seed, f"simulate.{p}.{key}", ids) for p in purposes}


def contact_cost(currency: str, channel: str) -> float:
    try:
        return campaign_engine.CONTACT_COST[currency][channel]
    except KeyError:
        known = ", ".join(campaign_engine.CONTACT_COST["USD"])
        raise CampaignError(f"unknown channel {channel!r} (known: {known})") from None


def simulate(build, campaign: dict, customer_ids, *, holdout: float = 0.2) -> Outcome:
    """Run ``campaign`` on ``customer_ids`` in the hidden future of ``build`` (a loaded
    database, or its folder), holding out a random ``holdout`` share as the control group.

    What a campaign is depends on the company: see ``simulate`` in the industry's campaign
    module (``Industry.campaign``; retail: a coupon for a category, sent by a channel; its
    ``customer_ids`` may be a table of ``customer_id`` and ``sent_on``, each customer's coupon
    timed to them, see :func:`schedule`; pharma: the patient-support programme for a list of
    patients, or with ``"kind": "call plan"`` a table of ``doctor_id`` and ``calls``; auto: a
    service reminder, a trade-in offer or a dealer's follow-up of prospects). A bad
    campaign or list raises :class:`CampaignError` with one clear message.
    """
    from generator.builder import industry
    from generator.dataset import Dataset

    if isinstance(build, Dataset):
        ds = build
    else:
        folder = Path(build)
        manifest = folder / "manifest.json"
        if not manifest.exists():
            raise CampaignError(f"no built database in {folder}")
        name = json.loads(manifest.read_text(encoding="utf-8"))["industry"]
        ds = Dataset.open(name, folder.parent)
    if not ds.manifest["parameters"].get("future", True):
        raise CampaignError("this build has no hidden future (it was built --no-future)")
    campaigns = industry(ds.industry).campaign  # the module that simulates its campaigns
    if campaigns is None:
        raise CampaignError(f"the {ds.industry} database has no campaign simulator yet")
    module = importlib.import_module(campaigns)
    if isinstance(holdout, bool) or not isinstance(holdout, int | float) or not 0 < holdout < 1:
        raise CampaignError(f"holdout must be a share between 0 and 1, not {holdout!r}")
    return module.simulate(ds, dict(campaign), customer_ids, holdout)
