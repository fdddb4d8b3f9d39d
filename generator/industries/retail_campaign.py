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


def need_chances(age, days, cycle, share, shape, nodes: int = 24):
    """The chance that a customer needs a category in the next ``days`` days, and the chance
    they buy it here in that time, knowing it is ``age`` days since their last need (at any
    shop): the next need comes after a gap of Gamma(``shape``) around their ``cycle``, longer
    than ``age``; each need is bought here with the probability ``share``.

    The first need bought here is the m-th with probability ``share (1 - share)^(m-1)``; the
    m-th need falls in the window when the first gap ends in it early enough for the other
    m - 1 gaps (Gamma(``(m-1) shape``)) to fit, an integral over the first gap taken by
    Gauss-Legendre quadrature with ``nodes`` points. Averaged over a random point of the
    cycle the second chance is :func:`window_chance`. Returns ``(need, need_here)``.
    """
    from scipy.special import gammainc
    from scipy.stats import gamma

    age = np.asarray(age, dtype=float)[:, None]
    cycle = np.asarray(cycle, dtype=float)[:, None]
    share = np.clip(np.asarray(share, dtype=float), 1e-9, 1)[:, None]
    scale = cycle / shape
    survived = gamma.logsf(age, shape, scale=scale)  # the gap is longer than the age
    need = -np.expm1(gamma.logsf(age + days, shape, scale=scale) - survived)[:, 0]
    x, w = np.polynomial.legendre.leggauss(nodes)
    gap = age + days * (x[None, :] + 1) / 2  # the first gap's end, over the window
    weight = w[None, :] * days / 2 * np.exp(gamma.logpdf(gap, shape, scale=scale) - survived)
    most = int(np.ceil(4 * days / np.nanmin(cycle, initial=np.inf) + 20)) if cycle.size else 1
    here = share[:, 0] * need
    for m in range(2, most + 1):  # the other m - 1 gaps fit in what is left of the window
        fits = gammainc((m - 1) * shape, (age + days - gap) / scale)
        here += share[:, 0] * (1 - share[:, 0]) ** (m - 1) * (weight * fits).sum(axis=1)
    return np.clip(need, 0, 1), np.clip(here, 0, 1)


def response_chances(
    strength, days, cycle, share, sensitivity, awake, alive, shape, age=None, occasion=0.0
):
    """Each customer's true chance of buying a promoted category in a campaign's window
    without the offer (``p_control``) and what the offer adds (``uplift``).

    A buyer on a cycle of ``cycle`` days (NaN: not a buyer, who never buys it unprompted)
    buys it here in ``days`` days with :func:`window_chance` (their ``share`` of it here, gaps
    of Gamma(``shape``)); a customer away buys little, and an offer brings some of them back.
    The offer moves the price sensitive most, and non-buyers a little (a trial); ``strength``
    sets its size; ``alive`` is the share of the window before the customer leaves for good.

    ``age``: when known, the days since each buyer's last need at the window's start (NaN:
    not known). Their chance is then :func:`need_chances`' given that age, and the
    ``occasion`` share of the offer's effect (what it does at a purchase the customer needs
    to make: switching it to this shop) follows how likely a need is in the window against
    a customer at a random point of their cycle; the rest (buying sooner, stocking up) does
    not. Without ``age`` every buyer is at a random point of their cycle. Used by the
    recorded campaigns (without ``age``) and the simulator.
    """
    cycle = np.asarray(cycle, dtype=float)
    user = np.isfinite(cycle)
    need = np.zeros(len(cycle))
    need[user] = window_chance(days, cycle[user], np.asarray(share)[user], shape)
    timing = np.ones(len(cycle))
    if age is not None:
        age = np.asarray(age, dtype=float)
        known = user & np.isfinite(age)
        usual = window_chance(days, cycle[known], np.ones(known.sum()), shape)
        needed, need[known] = need_chances(
            age[known], days, cycle[known], np.asarray(share)[known], shape
        )
        timing[known] = 1 - occasion + occasion * needed / usual
    p_control = need * alive * np.where(awake, 1.0, 0.1)
    relevance = np.where(user, timing, 0.35)
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

    ``brand`` (optional: ``store`` or ``national``) makes it a coupon for that brand of the
    category: the purchase it brings is a unit of that brand, a pain-reliever buyer loyal to
    the other brand takes it up less, a buyer who would have bought anyway and uses it buys
    that brand this time, and a few of the other brand's buyers and switchers who use it
    switch for the rest of the hidden year (a convert to the store brand, sold only here,
    also buys some of what they bought elsewhere here). The truth then has ``coupons_used``
    (expected), ``switched`` and ``switch_value`` (what the switch earns after the window)
    per customer.

    ``customer_ids`` may instead be a table of ``customer_id`` and ``sent_on``: each
    customer's coupon is then sent on their own day and valid for ``response_days`` from it
    (an offer timed to the customer's purchase cycle). A coupon that arrives when a customer
    is likely to need the category moves them more (see :func:`response_chances`).
    """
    from generator import simulator
    from generator.industries.retail import SPEC

    given = campaign
    campaign = _campaign(ds, campaign)
    listed, sent = simulator.schedule(ds, customer_ids, campaign["response_days"])
    if sent is not None:
        if "launched_on" in given:
            raise simulator.CampaignError(
                "a timed send has its own days (sent_on): leave launched_on out"
            )
        campaign["launched_on"] = pd.Timestamp(sent.min())
    customers = ds["customers"].set_index("customer_id")
    ids = simulator.listed(customers, listed, campaign["channel"])
    days = campaign["response_days"]
    first = pd.Series(
        np.full(len(ids), campaign["launched_on"].to_datetime64()) if sent is None else sent,
        index=ids,
    )
    last = first + pd.Timedelta(days=days - 1)
    category = campaign["category"]
    # what each customer really did in their window, uncontacted: the hidden future
    products = ds["products"]
    in_category = products.loc[products["category"] == category, "product_id"]
    future = ds.truth("future_purchases")
    future = future[future["product_id"].isin(in_category) & future["customer_id"].isin(ids)]
    on = future["purchased_on"]
    future = future[
        (on >= first.reindex(future["customer_id"]).to_numpy())
        & (on <= last.reindex(future["customer_id"]).to_numpy())
    ]
    spend = future.groupby("customer_id")["amount"].sum().reindex(ids, fill_value=0.0)
    margin = future.groupby("customer_id")["margin"].sum().reindex(ids, fill_value=0.0)
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
    start = first.reindex(lapses["customer_id"]).to_numpy()
    away = lapses[
        (lapses["lapsed_on"].to_numpy() <= start)
        & (lapses["returned_on"].isna().to_numpy() | (lapses["returned_on"].to_numpy() > start))
    ]["customer_id"]
    leaves = ds.truth("future_customers").set_index("customer_id").loc[ids, "leaves_on"]
    gone = truth["stopped_on"].notna().to_numpy()
    days_left = (leaves - first).dt.days.to_numpy(dtype=float, na_value=np.inf)
    alive = np.where(gone, 0.0, np.clip(days_left / days, 0, 1))
    brand = campaign.get("brand")
    offered = products["category"] == category
    if brand is not None:
        offered &= products["store_brand"] == (brand == "store")
        if not offered.any():
            raise simulator.CampaignError(f"the chain sells no {brand} brand of {category}")
    price = products.loc[offered, "price"].mean()
    cost = products.loc[offered, "unit_cost"].mean()
    behaviour, spec = SPEC["behaviour"], SPEC["simulator"]
    # a coupon is worth at most half the price (the discount's cap), and moves as much as that
    coupon = min(campaign["coupon_value"], round(0.5 * price, 2))
    strength = spec["uplift"] * np.sqrt(coupon / (spec["typical_coupon_share"] * price))
    p_control, uplift = response_chances(
        strength,
        days,
        cycle.reindex(ids).to_numpy(),
        shares,
        truth["price_sensitivity"].to_numpy(),
        ~np.isin(ids, away),
        alive,
        behaviour["cycle_gap_shape"],
        age=_age(ds, category, first),
        occasion=spec["occasion_share"],
    )
    appeal, usual, switchable = _brand_pull(ds, truth, category, brand, spec["brand_coupon"])
    uplift = uplift * appeal
    p_control = np.clip(p_control, 0, 1)
    p_treated = np.clip(p_control + uplift, 0, 1)
    # the draws: the group, the offer's own responses, the coupon's use (and a switch)
    seed = ds.manifest["parameters"]["seed"]
    purposes = ("group", "response", "coupon") + (("switch",) if brand else ())
    u = simulator.draws(seed, campaign, ids, purposes)
    treated = u["group"] >= holdout
    # a contacted customer who would not have bought responds with the offer's chance
    extra = u["response"] < (p_treated - p_control) / np.maximum(1 - p_control, 1e-9)
    responded = np.where(treated, bought | extra, bought)
    new = treated & responded & ~bought  # bought because of the offer: one unit
    coupon_use = truth["coupon_use"].to_numpy()
    # a buyer who would have bought anyway uses a brand's coupon as the brand appeals to them
    redeemed = treated & responded & (u["coupon"] < coupon_use * np.where(bought, appeal, 1.0))
    spend, margin = spend.to_numpy(), margin.to_numpy()
    if brand is not None:  # the purchase a used coupon is for is a unit of its brand
        units = future.groupby("customer_id")["quantity"].sum().reindex(ids).to_numpy()
        converted = redeemed & bought
        spend = np.where(converted, spend + price - spend / np.where(bought, units, 1), spend)
        margin = np.where(converted, margin + price - cost - usual, margin)
    spend = np.where(new, round(price, 2), spend)
    margin = np.where(new, round(price - cost, 2), margin)
    discount = np.where(redeemed, coupon, 0.0)
    contact = simulator.contact_cost(ds.currency, campaign["channel"])
    timing = {} if sent is None else {"sent_on": first.to_numpy()}
    customers_out = simulator.observed(
        ids,
        treated,
        responded,
        {**timing, "spend": np.round(spend, 2), "discount": discount},
        margin - discount,
        contact,
    )
    # contacting a customer earns their uplift's margin, and costs the contact and the
    # coupons of every contacted buyer, those who would have bought anyway included; a
    # brand's coupon also changes the brand of the purchase it is used for, and of every
    # later one for those who switch for good
    if brand is None:
        expected = uplift * (price - cost) - p_treated * coupon_use * coupon - contact
        return simulator.outcome(campaign, customers_out, treated, p_control, p_treated, expected)
    uses = coupon_use * (uplift + p_control * appeal)  # the coupons each is expected to use
    expected = uplift * (price - cost) - uses * coupon - contact
    value = _switch_value(ds, ids, category, brand, last, price - cost, usual, spec["brand_coupon"])
    value = np.where(switchable, value, 0.0)
    lasting = spec["brand_coupon"]["lasting_switch"]
    expected += coupon_use * p_control * appeal * (price - cost - usual) + uses * lasting * value
    switched = treated & redeemed & switchable & (u["switch"] < lasting)
    return simulator.outcome(
        campaign,
        customers_out,
        treated,
        p_control,
        p_treated,
        expected,
        coupons_used=np.round(uses, 4),
        switched=switched,
        switch_value=np.round(np.where(switched, value, 0.0), 2),
    )


def _brand_pull(ds, truth: pd.DataFrame, category: str, brand, spec: dict):
    """For a coupon of one ``brand`` of ``category``: how much it appeals to each customer
    (1 for the brand's own buyers, switchers and anyone without a known brand, less for
    buyers loyal to the other brand), the margin of the unit each would have bought
    otherwise, and who could switch to it for good (the other brand's buyers, switchers).
    Without a brand: appeal 1, the category's margin, nobody switches."""
    n = len(truth)
    products = ds["products"]
    products = products[products["category"] == category]
    unit = products["price"] - products["unit_cost"]
    if brand is None or category != "pain_reliever":
        usual = np.full(n, unit.mean())
        return np.ones(n), usual, np.zeros(n, dtype=bool)
    own = "store" if brand == "store" else "national"
    cls = truth["pain_brand"].to_numpy(dtype=object)
    other = np.isin(cls, ["store", "national"]) & (cls != own)
    appeal = np.where(
        cls == "switcher",
        spec["appeal"]["switcher"],
        np.where(other, spec["appeal"]["other"], spec["appeal"]["own"]),
    )
    margin_of = {
        "store": unit[products["store_brand"]].mean(),
        "national": unit[~products["store_brand"]].mean(),
    }
    usual = np.array([margin_of.get(c, unit.mean()) for c in cls])
    return appeal, usual, other | (cls == "switcher")


def _switch_value(ds, ids, category: str, brand: str, last, unit_margin, usual, spec) -> np.ndarray:
    """What a switch to ``brand`` for good earns per customer over the rest of the hidden
    year, from the truth's needs after each customer's window (``last``) while they are
    still a customer: each need bought here earns the brand's margin instead of the usual
    one; a convert to the store brand also buys the ``needs_moved`` share of the needs they
    bought elsewhere here."""
    needs = ds.truth("needs")
    needs = needs[(needs["category"] == category) & needs["customer_id"].isin(ids)]
    leaves = ds.truth("future_customers").set_index("customer_id")["leaves_on"]
    who = needs["customer_id"]
    after = needs["need_on"].to_numpy() > last.reindex(who).to_numpy()
    staying = leaves.reindex(who).isna().to_numpy() | (
        needs["need_on"].to_numpy() < leaves.reindex(who).to_numpy()
    )
    needs = needs[after & staying]
    here = (
        needs.groupby("customer_id")["bought_here"].agg(["sum", "size"]).reindex(ids, fill_value=0)
    )
    bought_here = here["sum"].to_numpy(dtype=float)
    elsewhere = (here["size"] - here["sum"]).to_numpy(dtype=float)
    moved = spec["needs_moved"] if brand == "store" else 0.0
    return bought_here * (unit_margin - usual) + moved * elsewhere * unit_margin


def _age(ds, category: str, first: pd.Series) -> np.ndarray:
    """Days from each customer's last need of ``category`` (at any shop, the truth's
    ``needs``) to the start of their window (``first``, indexed by customer); NaN where the
    truth has no need before it."""
    needs = ds.truth("needs")
    needs = needs[(needs["category"] == category) & needs["customer_id"].isin(first.index)]
    start = first.reindex(needs["customer_id"]).to_numpy()
    before = needs[needs["need_on"].to_numpy() < start]
    last = before.groupby("customer_id")["need_on"].max().reindex(first.index)
    return (first - last).dt.days.to_numpy(dtype=float, na_value=np.nan)


def _campaign(ds, campaign: dict) -> dict:
    """The campaign's settings checked and completed, or one clear error."""
    from generator import simulator
    from generator.industries.retail import CYCLE

    brand = campaign.get("brand")
    out = simulator.settings(
        ds,
        {k: v for k, v in campaign.items() if k != "brand"},
        choices={"category": tuple(CYCLE), "channel": population.CHANNELS},
        amounts=("coupon_value",),
        days=("response_days", 28),
        optional=("brand",),
    )
    if brand is None:  # a coupon for any brand of the category (its settings unchanged)
        return out
    if brand not in BRANDS:
        raise simulator.CampaignError(f"unknown brand {brand!r} (known: {', '.join(BRANDS)})")
    return {**out, "brand": brand}


BRANDS = ("store", "national")  # a coupon's brand: the chain's own, or a national brand
