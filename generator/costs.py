"""What serving a customer costs: the ``service_costs`` table a company keeps, shared by the
industries whose costs are per activity (the supermarket's and the bank's).

With the margin of what a customer buys or holds, these costs give the profit per customer,
and so the customers below zero. An industry's spec lists its own activities (``en``: what the
cost covers, and a cost per currency); a campaign's contacts cost what the course's
:data:`generator.campaigns.CONTACT_COST` says.
"""

from __future__ import annotations

import pandas as pd

from generator.campaigns import CONTACT_COST
from generator.locales import Locale
from generator.schema import Column, Table


def table(whose: str) -> Table:
    """The ``service_costs`` table of ``whose`` costs (e.g. "the bank")."""
    C = Column
    return Table(
        "service_costs",
        f"What serving a customer costs {whose}, per activity",
        "服务成本",
        (
            C("activity", "str", "Activity", "服务项目"),
            C("description", "str", "What the cost covers", "说明"),
            C("cost", "money", "Cost per activity", "单位成本", unit="currency"),
        ),
        key=("activity",),
    )


def service_costs(activities: dict, locale: Locale) -> pd.DataFrame:
    """The rows of ``service_costs``: the spec's ``activities``, then one campaign contact per
    channel, in the locale's currency."""
    rows = [(name, cost["en"], cost[locale.currency]) for name, cost in activities.items()]
    rows += [
        (f"{channel} contact", f"One campaign contact by {channel}", price)
        for channel, price in CONTACT_COST[locale.currency].items()
    ]
    return pd.DataFrame(rows, columns=["activity", "description", "cost"])
