"""What the company spends to bring customers in, per acquisition channel and month.

Marketing pays for a channel whether or not its leads turn into customers: an auto show's
stand, the website's search advertising, a referral reward, a partner pharmacy's enrolment
fee. The finance system books that spend per channel and month; divided by what the channel
brought in, it gives the cost per lead, per customer and per sale that chapter 04 compares.

An industry's spec states the plan in its ``acquisition`` section: ``cost`` per acquired
customer and channel (per locale, in the build's currency) and ``noise``, the spread of a
month's spend around the plan (the lognormal's sigma; budgets are spent unevenly). A month's
spend is the customers the channel is expected to bring in that month (from the population's
``acquisition_sources`` shares and its registrations spread evenly over the window) times the
cost, times that noise. So the table is a reference table: made from the seed and the build's
parameters alone, the same whatever else is built, and the cost per customer a student measures
comes out near the spec's figure, as a real department's does near its budget's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.context import Context
from generator.population import LAST_REGISTRATION_DAYS
from generator.schema import Column, Table
from generator.streams import stream


def table(channels: tuple[str, ...]) -> Table:
    """The ``channel_spend`` table of an industry whose channels are ``channels``."""
    return Table(
        "channel_spend",
        "Marketing spend to acquire customers, per channel and month (from the finance system)",
        "获客渠道费用",
        (
            Column("month", "date", "First day of the month", "月份"),
            Column(
                "channel",
                "category",
                "Acquisition channel (as the customers' acquisition_source)",
                "获客渠道",
                values=channels,
            ),
            Column(
                "spend",
                "money",
                "Money spent on the channel in the month",
                "渠道费用",
                check="spend >= 0",
                unit="currency",
            ),
        ),
        key=("month", "channel"),
    )


def channel_spend(build: Context) -> pd.DataFrame:
    """Spend per month and channel, from the industry's spec (its ``population`` and
    ``acquisition`` sections), for the build's number of customers."""
    spec, locale, window = build.industry.spec, build.locale, build.window
    plan = spec["acquisition"]
    cost = plan["cost"][locale.code]
    shares = spec["population"]["acquisition_sources"]
    total = sum(shares.values())
    new_share = 1 - spec["population"]["tenure_before_window_share"]
    start = np.datetime64(window.start.date(), "D")
    days = (window.as_of - window.start).days - LAST_REGISTRATION_DAYS
    end = start + np.timedelta64(days, "D")  # registrations fall on days [start, end)
    last_day = end - np.timedelta64(1, "D")
    months = np.arange(start.astype("datetime64[M]"), last_day.astype("datetime64[M]") + 1)
    first = months.astype("datetime64[D]")
    last = (months + 1).astype("datetime64[D]")
    overlap = (np.minimum(last, end) - np.maximum(first, start)).astype(np.int64)
    per_day = build.params.customers * new_share / days
    rng = stream(build.seed, f"{build.name}.acquisition.spend")
    frames = []
    for channel, per_customer in cost.items():
        expected = per_day * overlap * shares[channel] / total
        noise = rng.lognormal(-(plan["noise"] ** 2) / 2, plan["noise"], len(months))
        frames.append(
            pd.DataFrame(
                {
                    "month": first.astype("datetime64[s]"),
                    "channel": channel,
                    "spend": np.round(expected * per_customer * noise, 2),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True).sort_values(["month", "channel"], kind="stable")
    frame["channel"] = pd.Categorical(frame["channel"], categories=list(cost))
    return frame.reset_index(drop=True)
