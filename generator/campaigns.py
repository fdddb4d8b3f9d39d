"""Campaigns with a random control group, and each customer's true response with and without.

Shared by every industry. For one campaign and one block of customers: the eligible customers
who consented to the campaign's channel are split at random into a treatment group (contacted)
and a control group (held out). Each has a true probability of responding without contact,
``p_control``, and with it, ``p_treated = p_control + uplift``; a single uniform draw per
customer decides both potential outcomes, and the group decides which one happens. So the
true uplift is known per customer, and treated minus control estimates its mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.population import CHANNELS
from generator.schema import Column, Schema, Table
from generator.streams import stream

GROUPS = ("treatment", "control")  # the test groups of a campaign's contacts
#: What one contact costs, per currency and channel: assumptions (postage and print for a
#: letter, a bulk rate for an SMS, a few minutes of an agent for a call; DMA 2012 put a mail
#: piece at about USD 0.56 before print). The course's lessons and the simulator charge them.
CONTACT_COST = {
    "USD": {"mail": 0.80, "email": 0.01, "sms": 0.02, "phone": 2.50},
    "CNY": {"mail": 2.00, "email": 0.01, "sms": 0.05, "phone": 5.00},
}


def run(
    seed: int,
    block: int,
    campaign: dict,
    customer_id: np.ndarray,
    eligible: np.ndarray,
    p_control: np.ndarray,
    uplift: np.ndarray,
) -> pd.DataFrame:
    """One row per eligible customer: group, true probabilities and the realised response.

    ``campaign`` needs ``industry``, ``campaign_id`` and ``holdout`` (the control group's share).
    Arrays are aligned with ``customer_id``; ``eligible`` must already include consent.
    """
    rng = stream(seed, f"{campaign['industry']}.campaign.{campaign['campaign_id']}", block)
    draw = rng.random((2, len(customer_id)))  # fixed draws per customer, eligible or not
    treated = draw[0] >= campaign["holdout"]
    p_control = np.clip(p_control, 0.0, 1.0)
    p_treated = np.clip(p_control + uplift, 0.0, 1.0)
    responded = np.where(treated, draw[1] < p_treated, draw[1] < p_control)
    keep = np.flatnonzero(eligible)
    return pd.DataFrame(
        {
            "campaign_id": campaign["campaign_id"],
            "customer_id": customer_id[keep],
            "index": keep,
            "treated": treated[keep],
            "p_control": p_control[keep],
            "p_treated": p_treated[keep],
            "uplift": (p_treated - p_control)[keep],
            "responded": responded[keep],
        }
    )


def contact_tables(contacts: list[pd.DataFrame], schema: Schema) -> dict[str, pd.DataFrame]:
    """A block's ``campaign_contacts`` and ``campaign_truth`` from its campaigns' rows (as
    :func:`run` gives them, with the industry's own contact columns added): in order of campaign
    and customer, each row's test group named, the truth kept apart."""
    columns = [c.name for c in schema.table("campaign_contacts").columns]
    truth = [c.name for c in schema.table("campaign_truth").columns]
    if not contacts:
        return {
            "campaign_contacts": pd.DataFrame(columns=columns),
            "campaign_truth": pd.DataFrame(columns=truth),
        }
    frame = pd.concat(contacts, ignore_index=True)
    frame = frame.sort_values(["campaign_id", "customer_id"], kind="stable")
    control = (~frame["treated"].to_numpy(bool)).astype(np.int8)
    frame["test_group"] = pd.Categorical.from_codes(control, categories=list(GROUPS))
    return {"campaign_contacts": frame[columns], "campaign_truth": frame[truth]}


def sent_dates(treated, launched_on) -> np.ndarray:
    """The day each contact was sent: the launch day for the treatment group, none (NaT) for
    the control group."""
    day = np.datetime64(pd.Timestamp(launched_on).date(), "s")
    return np.where(np.asarray(treated), day, np.datetime64("NaT", "s"))


def campaigns_table(
    offered: Column,
    *,
    meaning: str = "Marketing campaigns",
    who: str = "customers",
    launched: tuple[str, str] = ("Date the offers were sent", "发送日期"),
    response: str = "Days after launch a purchase counts as a response",
    offer: Column | None = None,
) -> Table:
    """The ``campaigns`` table every industry with campaigns has, its columns named and ordered
    by the engine: number, name, what is offered (``offered``, the industry's own), channel,
    launch day, response window, control share, the offer's value if any (``offer``) and who was
    eligible. ``who`` names the people it went to and ``launched`` and ``response`` say what the
    launch day and the response window mean in the industry, for the dictionary."""
    C = Column
    return Table(
        "campaigns",
        meaning,
        "营销活动",
        (
            C("campaign_id", "int", "Campaign number", "活动编号"),
            C("name", "str", "Campaign name", "活动名称"),
            offered,
            C("channel", "category", "Contact channel", "联系渠道", values=CHANNELS),
            C("launched_on", "date", *launched),
            C("response_days", "int", response, "响应期", unit="days"),
            C(
                "holdout_share",
                "float",
                f"Share of eligible {who} held out as control",
                "对照组比例",
            ),
            *((offer,) if offer else ()),
            C("eligibility", "str", "Who was eligible", "目标人群"),
        ),
        key=("campaign_id",),
    )


def contacts_table(
    customer: Column,
    *,
    meaning: str = "Eligible customers: contacted (treatment) or held out",
    sent: tuple[str, str] = ("Date the offer was sent (treatment only)", "发送日期"),
    responded: str = "",
    extra: tuple[Column, ...] = (),
) -> Table:
    """The ``campaign_contacts`` table: every eligible customer of every campaign, in its test
    group, with the channel and the day sent (the engine's names); then the industry's own
    columns (``extra``) and, where the response is a fact of the contact itself, ``responded``
    (its meaning; an industry whose responses are rows of their own leaves it out)."""
    C = Column
    columns = (
        C("campaign_id", "int", "Campaign", "活动编号", references="campaigns.campaign_id"),
        customer,
        C(
            "test_group",
            "category",
            "treatment (contacted) or control (held out)",
            "分组",
            values=GROUPS,
        ),
        C(
            "channel",
            "category",
            "Channel used (treatment) or that would have been used",
            "渠道",
            values=CHANNELS,
        ),
        C("sent_on", "date", *sent, nullable=True),
        *extra,
        *((C("responded", "bool", responded, "是否响应"),) if responded else ()),
    )
    return Table(
        "campaign_contacts",
        meaning,
        "活动名单(含对照组)",
        columns,
        key=("campaign_id", "customer_id"),
    )


def truth_table(who: str = "customer", response: str = "responding") -> Table:
    """The ``campaign_truth`` table every industry with campaigns keeps under ``_truth/``.

    ``who`` names the people contacted and ``response`` what responding means, for the
    dictionary.
    """
    C = Column
    return Table(
        "campaign_truth",
        f"True response probabilities and uplift per eligible {who}",
        "真实响应与增量",
        (
            C("campaign_id", "int", "Campaign", "活动编号", references="campaigns.campaign_id"),
            C("customer_id", "int", "Customer", "客户编号", references="customers.customer_id"),
            C("p_control", "float", f"Probability of {response} without contact", "未触达响应率"),
            C("p_treated", "float", f"Probability of {response} when contacted", "触达响应率"),
            C("uplift", "float", "p_treated − p_control", "真实增量"),
        ),
        key=("campaign_id", "customer_id"),
        truth=True,
    )
