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
from generator.streams import uniform

Z95 = 1.959964  # a two-sided 95 % interval (normal approximation)


class CampaignError(ValueError):
    """A campaign or a customer list the simulator cannot run; its message says why."""


@dataclass(frozen=True)
class Outcome:
    """A simulated campaign's result.

    ``customers``: one row per listed customer, what a company would observe (``group``,
    ``responded``, ``spend``, ``discount``, ``margin``, ``contact_cost``, ``profit``).
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
                "true_incremental_profit": self.true_incremental_profit,
            }
        )


def check_ids(customer_ids, known: pd.Index, who: str = "customer") -> np.ndarray:
    """The listed ids as integers, or one clear error: none listed, not whole numbers, listed
    twice, or not in the build."""
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
            f"{_count(len(twice), who)} listed more than once (e.g. {_some(twice)}): list each once"
        )
    unknown = numbers[~numbers.isin(known)].to_numpy()
    if len(unknown):
        raise CampaignError(
            f"{_count(len(unknown), who)} not in this database (e.g. {_some(unknown)})"
        )
    return numbers.to_numpy()


def _count(n: int, who: str) -> str:
    return f"{n} {who} id is" if n == 1 else f"{n} {who} ids are"


def _some(values, n: int = 3) -> str:
    return ", ".join(str(v) for v in list(values)[:n])


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

    What a campaign is depends on the company: see ``simulate`` in the industry's
    ``<industry>_campaign`` module (retail: a coupon for a category, sent by a channel). A bad
    campaign or list raises :class:`CampaignError` with one clear message.
    """
    from generator import INDUSTRIES
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
    try:  # an industry's campaigns live in <industry>_campaign beside its module
        module = importlib.import_module(f"{INDUSTRIES[ds.industry]}_campaign")
    except ModuleNotFoundError:
        raise CampaignError(f"the {ds.industry} database has no campaign simulator yet") from None
    if not ds.manifest["parameters"].get("future", True):
        raise CampaignError("this build has no hidden future (it was built --no-future)")
    if isinstance(holdout, bool) or not isinstance(holdout, int | float) or not 0 < holdout < 1:
        raise CampaignError(f"holdout must be a share between 0 and 1, not {holdout!r}")
    return module.simulate(ds, dict(campaign), customer_ids, holdout)
