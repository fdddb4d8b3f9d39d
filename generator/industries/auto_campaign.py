"""The automaker's campaigns: each owner's true chance of responding to a service reminder or a
trade-in offer, and the campaign simulator (:func:`generator.simulate`) for the brand.

The recorded campaigns (in :mod:`generator.industries.auto`) and the simulator draw from the
same :func:`service_chances` and :func:`trade_in_chances`, so a simulated campaign behaves like
the brand's own. The simulator also knows each car's hidden replacement day, so a trade-in
offer moves an owner most near it (:func:`timing`), and it runs a dealer's follow-up of
prospects whose lead closed without a sale (:func:`_follow_up`), which the recorded data has
no experiment for.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from generator import population

KINDS = ("service reminder", "trade-in offer", "lead follow-up")


def _response() -> dict:
    """The spec's response model (``auto`` imports this module, so it is read when used)."""
    from generator.industries.auto import SPEC

    return SPEC["response"]


def service_chances(p_due, strength, loyalty, sensitivity, alive, need=1.0, repair_chance=0.0):
    """Each owner's true chance of a workshop visit in a service reminder's window without the
    reminder (``p_control``) and what the reminder adds (``uplift``).

    ``need`` is the chance that the car's schedule brings it in during the window (1 for an
    owner whose service is due), ``p_due`` the chance the owner then comes to the brand's
    workshop; a repair may bring them in any time (``repair_chance``). The reminder moves the
    price sensitive (its voucher) and the less loyal (the loyal come anyway) most, and an owner
    serviced lately little (``not_due`` as much as one who is due); ``strength`` sets its
    size; ``alive`` is the share of the window the owner still has the car and is a customer.
    Used by the recorded campaigns (owners who are due) and the simulator (anyone). The sizes
    are the spec's ``response``.
    """
    r = _response()
    p_control = (need * p_due + repair_chance) * alive
    not_due = r["not_due"]
    due = not_due + (1 - not_due) * need
    low, per = r["offer_by_sensitivity"]
    anyway = r["reminder_loyal_come_anyway"]
    uplift = strength * (low + per * sensitivity) * (anyway - loyalty) * due * alive
    return p_control, uplift


def schedule_need(since, gap, days, spread) -> np.ndarray:
    """The chance that a car last serviced ``since`` days ago, on a schedule of a service every
    ``gap`` days (give or take ``spread`` of it), is due in the next ``days`` days. Once overdue
    (the owner skipped a service elsewhere or not at all), the schedule's phase is unknown."""
    cdf = np.vectorize(lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2))), otypes=[float])
    sd = spread * gap
    on_time = cdf((since + days - gap) / sd) - cdf((since - gap) / sd)
    return np.where(since < gap + 2 * sd, on_time, np.minimum(days / gap, 1.0))


def trade_in_chances(base, strength, loyalty, sensitivity, alive, age_years, trade_in_age):
    """Each owner's true chance of buying a new car of the brand in a trade-in offer's window
    without the offer (``p_control``) and what the offer adds (``uplift``).

    Owners of older cars (``age_years`` from ``trade_in_age`` on, most at twice that) replace
    them more often; the loyal buy the brand again. The bonus moves the price sensitive and the
    loyal most; a car younger than ``trade_in_age`` is seldom replaced, offer or not.
    ``strength`` sets the offer's size; ``alive`` is the share of the window the owner still has
    the car and is a customer. Used by the recorded campaigns and the simulator. The sizes are
    the spec's ``response``.
    """
    r = _response()
    t = r["trade_in"]
    older = np.clip((age_years - trade_in_age) / trade_in_age, 0, 1)
    ready = np.clip(age_years / trade_in_age, 0, 1) ** t["young_car_power"]
    p_control = base * (t["older_base"] + older) * (t["loyalty_base"] + loyalty) * alive * ready
    low, per = r["offer_by_sensitivity"]
    uplift = strength * (low + per * sensitivity) * (t["loyalty_base"] + loyalty) * alive * ready
    return p_control, uplift


# ---------------------------------------------------------------- the campaign simulator


def simulate(ds, campaign: dict, customer_ids, holdout: float):
    """A service reminder or a trade-in offer, sent by one channel to ``customer_ids``, in the
    hidden future (see :func:`generator.simulate`).

    ``campaign``: ``kind`` ("service reminder": responding is a workshop visit in the window;
    "trade-in offer": a new car bought in the window; "lead follow-up": a dealer's call to a
    prospect whose lead closed without a sale, see :func:`_follow_up`), ``channel`` (mail,
    email, sms or phone; every listed customer must have agreed to it), ``offer_value`` (the
    service voucher or the trade-in bonus, in the build's currency; a follow-up has none),
    ``launched_on`` (a day in the hidden future; default the day after the as-of date) and
    ``response_days`` (default 45 for a reminder, 90 for a trade-in offer, 60 for a follow-up).
    A bigger offer, against the brand's usual one, moves more owners; a trade-in offer moves an
    owner most near the day they would replace their car anyway (spec ``simulator``).
    """
    from generator import simulator

    campaign = _campaign(ds, campaign)
    customers = ds["customers"].set_index("customer_id")
    ids = simulator.listed(customers, customer_ids, campaign["channel"])
    if campaign["kind"] == "lead follow-up":
        return _follow_up(ds, campaign, ids, holdout)
    owners = _owners(ds, ids, campaign)
    # what each customer really did in the window, uncontacted: the hidden future
    reminder = campaign["kind"] == "service reminder"
    future, on = (
        (ds.truth("future_service_visits"), "visited_on")
        if reminder
        else (ds.truth("future_sales"), "sold_on")
    )
    last = campaign["launched_on"] + pd.Timedelta(days=campaign["response_days"] - 1)
    window = future[future[on].between(campaign["launched_on"], last)]
    amount = "revenue" if reminder else "price"
    spend = window.groupby("customer_id")[amount].sum().reindex(ids, fill_value=0.0).to_numpy()
    margin = window.groupby("customer_id")["gross_profit"].sum().reindex(ids, fill_value=0.0)
    margin = margin.to_numpy()
    came = np.isin(ids, window["customer_id"])
    # their true chances, from the truth the build was made from
    p_control, uplift, unit_spend, unit_margin = _chances(ds, campaign, owners)
    p_control = np.clip(p_control, 0, 1)
    p_treated = np.clip(p_control + uplift, 0, 1)
    seed = ds.manifest["parameters"]["seed"]
    u = simulator.draws(seed, campaign, ids, ("group", "response"))
    treated = u["group"] >= holdout
    # a contacted customer who would not have come responds with the offer's chance
    extra = u["response"] < (p_treated - p_control) / np.maximum(1 - p_control, 1e-9)
    responded = np.where(treated, came | extra, came)
    new = treated & responded & ~came  # came because of the offer
    spend = np.where(new, unit_spend, spend)
    margin = np.where(new, unit_margin, margin)
    # the voucher is used at every contacted owner's visit; the bonus on every trade-in
    offered = treated & responded & (reminder | owners["has_car"].to_numpy())
    discount = np.where(offered, campaign["offer_value"], 0.0)
    contact = simulator.contact_cost(ds.currency, campaign["channel"])
    customers_out = simulator.observed(
        ids,
        treated,
        responded,
        {"spend": np.round(spend, 2), "discount": discount},
        margin - discount,
        contact,
    )
    # contacting an owner earns their uplift's margin, and costs the contact and the offer
    # paid to every contacted responder, those who would have come anyway included
    can_use = 1.0 if reminder else owners["has_car"].to_numpy()
    expected = uplift * unit_margin - p_treated * can_use * campaign["offer_value"] - contact
    return simulator.outcome(campaign, customers_out, treated, p_control, p_treated, expected)


def _owners(ds, ids: np.ndarray, campaign: dict) -> pd.DataFrame:
    """Each listed customer on the launch day: the car they have (its model, age and last
    visit to the workshop) and the share of the window they keep it and stay a customer."""
    launch = campaign["launched_on"]
    last = launch + pd.Timedelta(days=campaign["response_days"] - 1)
    columns = ["customer_id", "vin", "model_id", "sold_on"]
    sales = pd.concat([ds["sales"][columns], ds.truth("future_sales")[columns]])
    sales = sales[sales["sold_on"] < launch].sort_values(["customer_id", "sold_on"])
    car = sales.groupby("customer_id").last().reindex(ids)
    visits = pd.concat([ds["service_visits"], ds.truth("future_service_visits")])[
        ["vin", "visited_on"]
    ]
    visits = visits[visits["visited_on"] < launch].groupby("vin")["visited_on"].max()
    truth = ds.truth("customer_truth").set_index("customer_id").loc[ids]
    future = ds.truth("future_customers").set_index("customer_id").loc[ids]
    replaced = ds.truth("replacements").set_index("vin")
    lost = replaced.loc[~replaced["same_brand"], "replace_on"]  # the first car, to another brand
    lost_on = car["vin"].map(lost)
    lost_on = lost_on.where(lost_on.notna(), future["replaced_elsewhere_on"].to_numpy())
    # the car goes (or the customer leaves for good) on the first of these days
    gone = pd.concat(
        [lost_on, truth["stopped_on"], future["leaves_on"]], axis=1, ignore_index=True
    ).min(axis=1)
    has_car = car["vin"].notna() & ~(gone <= launch)
    kept = (gone.fillna(last + pd.Timedelta(days=1)) - launch).dt.days
    replace_on = car["vin"].map(replaced["replace_on"])
    alive = np.where(has_car, np.clip(kept / campaign["response_days"], 0, 1), 0.0)
    serviced = car["vin"].map(visits)
    return pd.DataFrame(
        {
            "has_car": has_car.to_numpy(),
            "model_id": car["model_id"].to_numpy(),
            "age_days": (launch - car["sold_on"]).dt.days.to_numpy(dtype=float, na_value=0),
            "since_service": (launch - serviced.fillna(car["sold_on"])).dt.days.to_numpy(
                dtype=float, na_value=0
            ),
            "serviced": serviced.notna().to_numpy(),
            "alive": alive,
            "replace_days": (replace_on - launch).dt.days.to_numpy(dtype=float, na_value=np.inf),
            "loyalty": truth["loyalty"].to_numpy(),
            "annual_km": truth["annual_km"].to_numpy(),
            "sensitivity": truth["price_sensitivity"].to_numpy(),
        },
        index=pd.Index(ids, name="customer_id"),
    )


def _chances(ds, campaign: dict, owners: pd.DataFrame):
    """Each owner's true chances without and with the offer, and what a response the offer
    brings is worth (spend and gross profit): a maintenance visit, or a new car of the model
    they have with their old one traded in."""
    from generator.industries.auto import MODEL_BASE, SPEC, TRIMS

    money = SPEC["money"][ds.locale]
    sim = SPEC["simulator"][campaign["kind"]]
    factor = money["service" if campaign["kind"] == "service reminder" else "vehicle"]
    strength = sim["uplift"] * np.sqrt(campaign["offer_value"] / (sim["typical_offer"] * factor))
    loyalty, sensitivity = owners["loyalty"].to_numpy(), owners["sensitivity"].to_numpy()
    alive = owners["alive"].to_numpy()
    models = ds["models"].set_index("model_id")
    model = owners["model_id"].fillna(models.index[0]).astype(np.int64)
    if campaign["kind"] == "service reminder":
        s = SPEC["service"]
        # the car's schedule: a service a year or every 10,000 km (the first at half that)
        daily = owners["annual_km"].to_numpy() / 365.25
        gap = np.minimum(s["interval_days"], s["interval_km"] / daily)
        first = np.minimum(s["first_days"], s["first_km"] / daily)
        gap = np.where(owners["serviced"], gap, first)
        spread = 1 / math.sqrt(s["interval_gamma_shape"])  # the schedule's, as in the build
        need = schedule_need(
            owners["since_service"].to_numpy(), gap, campaign["response_days"], spread
        )
        # the owner comes to the brand's workshop less often once the warranty is over
        warranty = owners["age_days"].to_numpy() / 365.25 < s["warranty_years"]
        share = np.where(warranty, s["dealer_share_in_warranty"], s["dealer_share_after_warranty"])
        by = s["dealer_share_by_loyalty"]
        factor = np.clip(
            by["base"] + by["slope"] / by["reference_loyalty"] * loyalty, 0, by["most"]
        )
        p_due = np.clip(share * factor, 0, s["max_dealer_share"])
        repair = 1 - np.exp(-s["repairs_per_year"] * campaign["response_days"] / 365.25)
        p_control, uplift = service_chances(
            p_due, strength, loyalty, sensitivity, alive, need, repair
        )
        trim = (model.to_numpy() - MODEL_BASE) % TRIMS
        premium = 1 + s["top_trim_premium"] / (TRIMS - 1) * trim
        price = (
            s["maintenance_price"] * money["service"] * premium * np.exp(s["price_sigma"] ** 2 / 2)
        )
        return p_control, uplift, price, price * SPEC["margins"]["service_gross_margin"]
    own = SPEC["ownership"]
    p_control, uplift = trade_in_chances(
        sim["p_control"],
        strength,
        loyalty,
        sensitivity,
        alive,
        owners["age_days"].to_numpy() / 365.25,
        SPEC["eligibility"]["trade_in_age_years"],
    )
    uplift = uplift * timing(owners["replace_days"].to_numpy(), campaign["response_days"], sim)
    low, per = own["discount_by_sensitivity"]
    discount = own["max_discount"] * 0.5 * (low + per * sensitivity)  # a uniform draw's mean
    list_price = models.loc[model, "list_price"].to_numpy()
    price = list_price * (1 - discount)
    used = SPEC["margins"]["used_vehicle_gross"] * money["vehicle"]
    return p_control, uplift, price, price - models.loc[model, "unit_cost"].to_numpy() + used


def timing(replace_days, window: int, sim: dict) -> np.ndarray:
    """How much more (or less) than usual a trade-in offer moves an owner whose car would be
    replaced ``replace_days`` days after the launch: ``near`` times inside the offer's window
    of ``window`` days, falling towards ``far`` times with the days between (spec
    ``simulator["trade-in offer"]["timing"]``)."""
    t = sim["timing"]
    days = np.asarray(replace_days, float)
    apart = np.where(days < 0, -days, np.maximum(days - window, 0))
    return t["far"] + (t["near"] - t["far"]) * np.exp(-apart / t["days"])


def _follow_up(ds, campaign: dict, ids: np.ndarray, holdout: float):
    """A dealer's follow-up call to prospects whose latest lead closed without a sale: a
    response is a new car bought in the ``response_days`` (default 60).

    Without the call a prospect does what the hidden future says (a late sale, or none). The
    call revives a lead with a chance of ``uplift`` × 2 (the funnel's ``intent_boost``) × the
    prospect's purchase intent (1.5 times that after a test drive), falling by exp(−days since
    the lead / ``decay_days``), for a prospect still a customer; a revived lead buys the model
    of interest, at the discount a sale gets. Each call costs the channel's contact and a sales
    consultant's time (spec ``simulator["lead follow-up"]``). Every listed customer must have
    such a lead.
    """
    from generator import simulator
    from generator.industries.auto import SPEC

    sim = SPEC["simulator"]["lead follow-up"]
    launch = campaign["launched_on"]
    last = launch + pd.Timedelta(days=campaign["response_days"] - 1)
    leads = ds["leads"]
    lead = leads.sort_values(["customer_id", "created_on"]).groupby("customer_id").last()
    sold = ds["sales"].groupby("customer_id")["sold_on"].max()
    closed = lead.index.isin(sold.index) & (sold.reindex(lead.index) >= lead["created_on"])
    open_leads = lead[~closed]
    without = ids[~np.isin(ids, open_leads.index)]
    if len(without):
        raise simulator.CampaignError(
            f"{len(without)} of the customers have no lead that closed without a sale "
            f"(e.g. {simulator.some(without)}): a follow-up is for prospects who did not buy"
        )
    lead = open_leads.loc[ids]
    future = ds.truth("future_sales")
    window = future[future["sold_on"].between(launch, last)]
    came = np.isin(ids, window["customer_id"])
    spend = window.groupby("customer_id")["price"].sum().reindex(ids, fill_value=0.0).to_numpy()
    margin = window.groupby("customer_id")["gross_profit"].sum().reindex(ids, fill_value=0.0)
    margin = margin.to_numpy()
    truth = ds.truth("customer_truth").set_index("customer_id").loc[ids]
    gone = pd.concat(
        [
            truth["stopped_on"],
            ds.truth("future_customers").set_index("customer_id").loc[ids]["leaves_on"],
        ],
        axis=1,
        ignore_index=True,
    ).min(axis=1)
    kept = (gone.fillna(last + pd.Timedelta(days=1)) - launch).dt.days.to_numpy()
    alive = np.clip(kept / campaign["response_days"], 0, 1)
    age = (launch - lead["created_on"]).dt.days.to_numpy()
    drove = np.isin(lead["lead_id"].to_numpy(), ds["test_drives"]["lead_id"])
    intent = truth["purchase_intent"].to_numpy()
    revive = (
        sim["uplift"]
        * SPEC["funnel"]["intent_boost"]
        * intent
        * np.where(drove, sim["test_drive"], 1.0)
        * np.exp(-age / sim["decay_days"])
        * alive
    )
    p_control = came.astype(float)
    p_treated = np.clip(p_control + (1 - p_control) * revive, 0, 1)
    models = ds["models"].set_index("model_id")
    list_price = models.loc[lead["model_id"], "list_price"].to_numpy()
    sensitivity = truth["price_sensitivity"].to_numpy()
    own = SPEC["ownership"]
    low, per = own["discount_by_sensitivity"]
    price = list_price * (1 - own["max_discount"] * 0.5 * (low + per * sensitivity))
    unit_margin = price - models.loc[lead["model_id"], "unit_cost"].to_numpy()
    seed = ds.manifest["parameters"]["seed"]
    u = simulator.draws(seed, campaign, ids, ("group", "response"))
    treated = u["group"] >= holdout
    new = treated & ~came & (u["response"] < revive)
    responded = came | new
    spend = np.where(new, price, spend)
    margin = np.where(new, unit_margin, margin)
    cost = (
        simulator.contact_cost(ds.currency, campaign["channel"]) + sim["consultant_time"][ds.locale]
    )
    customers_out = simulator.observed(
        ids, treated, responded, {"spend": np.round(spend, 2)}, margin, cost
    )
    expected = (p_treated - p_control) * unit_margin - cost
    return simulator.outcome(campaign, customers_out, treated, p_control, p_treated, expected)


def _campaign(ds, campaign: dict) -> dict:
    """The campaign's settings checked and completed, or one clear error."""
    from generator import simulator
    from generator.industries.auto import SPEC

    kind = campaign.get("kind")
    usual = SPEC["simulator"][kind]["response_days"] if kind in KINDS else 1
    return simulator.settings(
        ds,
        campaign,
        choices={"kind": KINDS, "channel": population.CHANNELS},
        amounts=() if kind == "lead follow-up" else ("offer_value",),
        days=("response_days", usual),
    )
