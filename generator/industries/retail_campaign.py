"""The supermarket's campaigns: each customer's true chance of responding to a coupon, and the
campaign simulator (:func:`generator.simulate`) for the chain.

The recorded campaigns (in :mod:`generator.industries.retail`) and the simulator draw from the
same :func:`response_chances`, so a simulated campaign behaves like the chain's own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator import population


def window_chance(days, cycle, share, shape):
    """The chance that a customer buys a category here at least once in ``days`` days, not
    knowing where in their cycle they are: their needs come one after another with gaps of
    Gamma(``shape``) around their ``cycle`` (mean), and each need is bought here with the
    probability ``share``, as the block generates them.

    The needs bought here form a renewal process whose gap is the sum of a geometric number
    of the needs' gaps; at a random moment the chance of a purchase within ``days`` is
    ``(1 / mean gap) × ∫₀^days P(gap > x) dx`` (Cox 1962, *Renewal Theory*, ch. 5), computed
    term by term over the number of needs in a gap with the regularised incomplete gamma
    function. With one need a cycle bought every time (``share`` 1) and exponential gaps
    (``shape`` 1) it is the Poisson chance ``1 - exp(-days / cycle)``.
    """
    from scipy.special import gammainc, gammaincc

    cycle = np.asarray(cycle, dtype=float)[:, None]
    share = np.clip(np.asarray(share, dtype=float), 1e-9, 1)[:, None]
    rate = shape / cycle
    # enough terms that a longer run of needs surely spans the window (its remaining
    # terms weigh their chance in full, days each)
    most = int(np.ceil(4 * days / np.nanmin(cycle, initial=np.inf) + 20)) if cycle.size else 1
    m = np.arange(1, most + 1)[None, :]
    weight = share * (1 - share) ** (m - 1)
    a = shape * m
    covered = days * gammaincc(a, rate * days) + a / rate * gammainc(a + 1, rate * days)
    integral = (weight * covered).sum(axis=1) + days * (1 - share[:, 0]) ** most
    return np.clip(share[:, 0] / cycle[:, 0] * integral, 0, 1)


def response_chances(strength, days, cycle, share, sensitivity, awake, alive, shape):
    """Each customer's true chance of buying a promoted category in a campaign's window
    without the offer (``p_control``) and what the offer adds (``uplift``).

    A buyer on a cycle of ``cycle`` days (NaN: not a buyer, who never buys it unprompted)
    buys it here in ``days`` days with :func:`window_chance` (their ``share`` of it here, gaps
    of Gamma(``shape``)); a customer away buys little, and an offer brings some of them back.
    The offer moves the price sensitive most, and non-buyers a little (a trial); ``strength``
    sets its size; ``alive`` is the share of the window before the customer leaves for good.
    Used by the recorded campaigns and the simulator.
    """
    user = np.isfinite(cycle)
    need = np.zeros(len(cycle))
    need[user] = window_chance(days, np.asarray(cycle)[user], np.asarray(share)[user], shape)
    p_control = need * alive * np.where(awake, 1.0, 0.1)
    relevance = np.where(user, 1.0, 0.35)
    uplift = (
        strength
        * (0.4 + 1.2 * sensitivity)
        * relevance
        * (1 - p_control)
        * alive
        * np.where(awake, 1.0, 0.5)
    )
    return p_control, uplift


# ---------------------------------------------------------------- the campaign simulator


def simulate(ds, campaign: dict, customer_ids, holdout: float):
    """A coupon for one category, sent by one channel to ``customer_ids``, in the hidden
    future (see :func:`generator.simulate`).

    ``campaign``: ``category`` (a consumable: coffee, detergent, ...), ``channel`` (mail,
    email, sms or phone; every listed customer must have agreed to it), ``coupon_value``,
    ``launched_on`` (a day in the hidden future; default the day after the as-of date) and
    ``response_days`` (default 28). A bigger coupon, against the category's price, moves more
    customers.
    """
    from generator import simulator
    from generator.industries.retail import SPEC

    campaign = _campaign(ds, campaign)
    customers = ds["customers"].set_index("customer_id")
    ids = simulator.listed(customers, customer_ids, campaign["channel"])
    first = campaign["launched_on"]
    last = first + pd.Timedelta(days=campaign["response_days"] - 1)
    category = campaign["category"]
    # what each customer really did in the window, uncontacted: the hidden future
    products = ds["products"]
    in_category = products.loc[products["category"] == category, "product_id"]
    future = ds.truth("future_purchases")
    window = future[
        future["product_id"].isin(in_category)
        & (future["purchased_on"] >= first)
        & (future["purchased_on"] <= last)
    ]
    spend = window.groupby("customer_id")["amount"].sum().reindex(ids, fill_value=0.0)
    margin = window.groupby("customer_id")["margin"].sum().reindex(ids, fill_value=0.0)
    bought = spend.to_numpy() > 0
    # their true chances, from the truth the build was made from
    truth = ds.truth("customer_truth").set_index("customer_id").loc[ids]
    cycles = ds.truth("purchase_cycles")
    cycle = cycles[cycles["category"] == category].set_index("customer_id")["cycle_days"]
    wallet = ds.truth("wallet")
    share = wallet[wallet["category"] == category].set_index("customer_id")["share"]
    shares = share.reindex(ids).fillna(truth["share_of_wallet"]).to_numpy()
    lapses = ds.truth("future_lapses")  # a spell away that covers a future day is one of these
    lapses = lapses[lapses["customer_id"].isin(ids)]
    away = lapses[
        (lapses["lapsed_on"] <= first)
        & (lapses["returned_on"].isna() | (lapses["returned_on"] > first))
    ]["customer_id"]
    leaves = ds.truth("future_customers").set_index("customer_id").loc[ids, "leaves_on"]
    gone = truth["stopped_on"].notna().to_numpy()
    days_left = (leaves - first).dt.days.to_numpy(dtype=float, na_value=np.inf)
    alive = np.where(gone, 0.0, np.clip(days_left / campaign["response_days"], 0, 1))
    price = products.loc[products["category"] == category, "price"].mean()
    cost = products.loc[products["category"] == category, "unit_cost"].mean()
    strength = SPEC["simulator"]["uplift"] * np.sqrt(
        campaign["coupon_value"] / (SPEC["simulator"]["typical_coupon_share"] * price)
    )
    p_control, uplift = response_chances(
        strength,
        campaign["response_days"],
        cycle.reindex(ids).to_numpy(),
        shares,
        truth["price_sensitivity"].to_numpy(),
        ~np.isin(ids, away),
        alive,
        SPEC["behaviour"]["cycle_gap_shape"],
    )
    p_control = np.clip(p_control, 0, 1)
    p_treated = np.clip(p_control + uplift, 0, 1)
    # the draws: the group, the offer's own responses, the coupon's use
    seed = ds.manifest["parameters"]["seed"]
    u = simulator.draws(seed, campaign, ids, ("group", "response", "coupon"))
    treated = u["group"] >= holdout
    # a contacted customer who would not have bought responds with the offer's chance
    extra = u["response"] < (p_treated - p_control) / np.maximum(1 - p_control, 1e-9)
    responded = np.where(treated, bought | extra, bought)
    new = treated & responded & ~bought  # bought because of the offer: one unit
    spend = np.where(new, round(price, 2), spend.to_numpy())
    margin = np.where(new, round(price - cost, 2), margin.to_numpy())
    coupon_use = truth["coupon_use"].to_numpy()
    redeemed = treated & responded & (u["coupon"] < coupon_use)
    coupon = min(campaign["coupon_value"], round(0.5 * price, 2))
    discount = np.where(redeemed, coupon, 0.0)
    contact = simulator.contact_cost(ds.currency, campaign["channel"])
    customers_out = simulator.observed(
        ids,
        treated,
        responded,
        {"spend": np.round(spend, 2), "discount": discount},
        margin - discount,
        contact,
    )
    # contacting a customer earns their uplift's margin, and costs the contact and the
    # coupons of every contacted buyer, those who would have bought anyway included
    expected = uplift * (price - cost) - p_treated * coupon_use * coupon - contact
    return simulator.outcome(campaign, customers_out, treated, p_control, p_treated, expected)


def _campaign(ds, campaign: dict) -> dict:
    """The campaign's settings checked and completed, or one clear error."""
    from generator import simulator
    from generator.industries.retail import CYCLE

    return simulator.settings(
        ds,
        campaign,
        choices={"category": tuple(CYCLE), "channel": population.CHANNELS},
        amounts=("coupon_value",),
        days=("response_days", 28),
    )
