"""The bank's campaigns: each customer's true chance of opening an offered product, and the
campaign simulator (:func:`generator.simulate`) for the bank.

The recorded campaigns (in :mod:`generator.industries.bank`) and the simulator take the
offer's effect from the same :func:`response_chances`, so a simulated campaign behaves like the
bank's own. In the hidden future a customer opens a product without any offer when the
holdings model says so (``_truth/future_account_openings``); an offer adds its uplift.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator import population

OFFERED = ("term_deposit", "credit_card", "fund")  # the products the bank runs campaigns for


def response_chances(base, uplift, relative, sensitivity, answered):
    """Each eligible customer's chance of opening the offered product in a campaign's window
    without contact (``p_control``) and what the contact adds (``uplift``).

    ``base`` and ``uplift`` are the campaign's rates for a customer of average propensity;
    ``relative`` is the customer's propensity to hold the product (age, income, wealth), which
    raises both; the rate sensitive are moved most; a customer who does not answer the phone
    (``answered`` false) is not moved at all. Used by the recorded campaigns and the simulator.
    """
    from generator.industries import bank

    offers = bank.SPEC["offers"]
    p_control = np.clip(base * relative, 0, offers["control_cap"])
    lift = uplift * (offers["uplift_sensitivity_offset"] + sensitivity) * np.sqrt(relative)
    return p_control, np.where(answered, lift, 0.0)


def organic_chance(kind, relative, reg, stop, first, last, seen, end):
    """Each customer's chance of opening a product of ``kind`` on days ``first`` .. ``last``
    of the hidden future without an offer, given they had none by the as-of date (day
    ``seen - 1``): the holdings model of the bank's block, read backwards. ``reg`` is the day
    each registered, ``stop`` the day each leaves for good (a large number if never), ``end``
    the future's last day; day 0 is the window's first day. A term deposit's product (and so
    its term) is not recorded for those without one: its chance is taken over the products'
    shares."""
    from generator.industries import bank

    until = np.minimum(last, stop - 1)  # nobody opens an account on or after leaving
    if kind == "term_deposit":
        during = np.zeros(len(reg))
        free = np.zeros(len(reg))
        for i, product in enumerate(bank.PRODUCTS):
            if product["type"] != kind:
                continue
            term = bank.term_days(np.array([i]))[0]
            low = np.maximum(reg, -term)
            p = bank.holding_chance(kind, relative, low, end, seen)
            span = end - low + 1
            during += product["share"] * p * np.clip(until - first + 1, 0, None) / span
            free += product["share"] * (1 - p * (seen - low) / span)
        return during / free
    tau = bank.SPEC["product_types"][kind]["delay_years"] * 365.25
    p = bank.holding_chance(kind, relative, reg, end, seen)

    def opened_by(day):  # the chance the holdings model opens it by ``day``
        return 1 - np.exp(-np.clip(day - reg + 1, 0, None) / tau)

    during = p * np.where(until >= first, opened_by(until) - opened_by(first - 1), 0)
    return during / (1 - p * opened_by(seen - 1))


def first_year_margin(kind, product, amount, income, products):
    """What the bank earns in a year on a product of ``kind`` just opened: the margin on its
    opening ``amount`` (deposits, funds), or a card's annual fee and interchange on a year of
    the holder's usual card spending (``income`` a month), or a policy's commission.
    ``product`` are positions in ``products`` (the products table)."""
    from generator.industries import bank

    rate = products["margin_rate"].to_numpy()[product] / 100
    if kind == "credit_card":
        flow = next(
            f
            for f in bank.SPEC["flows"]
            if f["type"] == "credit_card" and f["kind"] == "card_payment"
        )
        fee = products["annual_fee"].to_numpy()[product]
        return fee + rate * flow["share_of_income"] * income * 12
    if kind == "insurance":
        return products["commission"].to_numpy()[product]
    return amount * rate


# ---------------------------------------------------------------- the campaign simulator


def simulate(ds, campaign: dict, customer_ids, holdout: float):
    """An offer of one product, by one channel, to ``customer_ids``, in the hidden future (see
    :func:`generator.simulate`).

    ``campaign``: ``product_type`` (term_deposit, credit_card or fund), ``channel`` (mail,
    email, sms or phone; every listed customer must have agreed to it, and none may hold the
    product on the as-of date), ``launched_on`` (a day in the hidden future; default the day
    after the as-of date) and ``response_days`` (default 30). A customer responds by opening
    the product in the window; ``margin`` is what the bank earns on it in its first year.
    """
    from generator import simulator
    from generator.industries import bank

    campaign = _campaign(ds, campaign)
    kind, channel = campaign["product_type"], campaign["channel"]
    customers = ds["customers"].set_index("customer_id")
    ids = simulator.listed(customers, customer_ids, channel)
    _no_holders(ds, ids, kind)
    people = customers.loc[ids]
    products = ds["products"]
    accounts = ds["accounts"].merge(products[["product_id", "product_type"]], on="product_id")
    had = np.isin(ids, accounts.loc[accounts["product_type"] == kind, "customer_id"])
    # day numbers as the block counts them: 0 is the window's first day
    window = population.Window(ds.as_of, ds.manifest["parameters"]["years"])
    start, seen = window.start, len(window.days)
    first = (campaign["launched_on"] - start).days
    last = first + campaign["response_days"] - 1
    # what each customer really did in the window, uncontacted: the hidden future
    opened = ds.truth("future_account_openings").merge(
        products[["product_id", "product_type"]], on="product_id"
    )
    opened = opened[
        (opened["product_type"] == kind)
        & ((opened["opened_on"] - start).dt.days.between(first, last))
    ].set_index("customer_id")
    organic = np.isin(ids, opened.index)
    # their true chances, from the truth the build was made from
    truth = ds.truth("customer_truth").set_index("customer_id").loc[ids]
    leaves = ds.truth("future_customers").set_index("customer_id").loc[ids, "leaves_on"]
    stop = (leaves - start).dt.days.to_numpy(dtype=float, na_value=bank.NEVER).astype(np.int64)
    gone = truth["stopped_on"].notna().to_numpy()
    age = ((ds.as_of - people["birth_date"]).dt.days / 365.25).to_numpy()
    income_code = pd.Categorical(people["income_band"], categories=bank.INCOMES).codes
    income = np.array([bank.SPEC["money"]["monthly_income"][ds.locale][b] for b in bank.INCOMES])
    income = income[income_code]
    wealth = truth["wealth"].to_numpy()
    relative = bank.propensity(kind, age, income_code, wealth)
    reg = (people["registered_on"] - start).dt.days.to_numpy()
    end = len(window.all_days) - 1
    p_control = organic_chance(kind, relative, reg, stop, first, last, seen, end)
    p_control = np.where(had | gone, 0.0, np.clip(p_control, 0, 1))
    seed = ds.manifest["parameters"]["seed"]
    u = simulator.draws(seed, campaign, ids, ("group", "answered", "response", "day", "product"))
    offers = bank.SPEC["offers"]
    recorded = next(c for c in bank.SPEC["campaigns"] if c["product_type"] == kind)
    effect = offers["channel_effect"][channel] / offers["channel_effect"][recorded["channel"]]
    _, uplift = response_chances(
        recorded["base"],
        recorded["uplift"] * effect,
        relative,
        truth["rate_sensitivity"].to_numpy(),
        u["answered"] < offers["answered"].get(channel, 1.0),
    )
    days_alive = np.clip(stop - first, 0, campaign["response_days"])
    alive = np.where(gone, 0.0, days_alive / campaign["response_days"])
    p_treated = np.clip(p_control + uplift * alive, 0, 1)
    treated = u["group"] >= holdout
    # a contacted customer who would not have opened it opens it with the offer's chance
    extra = u["response"] < (p_treated - p_control) / np.maximum(1 - p_control, 1e-9)
    responded = np.where(treated, organic | extra, organic)
    new = treated & extra & ~organic  # opened because of the offer
    # the product and first deposit: the hidden future's, or the offer's
    position = {pid: i for i, pid in enumerate(products["product_id"])}
    picked = bank.pick_product(kind, u["product"], income_code)
    offered = np.array([position[bank.PRODUCT_BASE + i] for i in picked])
    months = bank.opening_months(kind, ds.locale)
    expected_amount = np.round(months * income * wealth, 2)
    seen_row = opened.reindex(ids)
    product = np.where(
        organic, seen_row["product_id"].map(position).fillna(0).to_numpy(int), offered
    )
    amount = np.where(organic, seen_row["amount"].fillna(0).to_numpy(), expected_amount)
    amount = np.where(responded, amount, 0.0)
    offer_day = start + pd.to_timedelta(
        first + np.floor(u["day"] * np.maximum(days_alive, 1)), unit="D"
    )
    opened_on = np.where(
        organic, seen_row["opened_on"].to_numpy(), np.where(new, offer_day, pd.NaT)
    )
    margin = np.where(responded, first_year_margin(kind, product, amount, income, products), 0.0)
    contact = simulator.contact_cost(ds.currency, channel)
    results = {
        "product_id": pd.array(
            np.where(responded, products["product_id"].to_numpy()[product], 0), dtype="Int64"
        ),
        "opened_on": pd.to_datetime(opened_on),
        "amount": np.round(amount, 2),
    }
    customers_out = simulator.observed(ids, treated, responded, results, margin, contact)
    customers_out.loc[~responded, "product_id"] = pd.NA
    # contacting a customer earns the offered product's margin on their uplift, and costs
    # the contact
    value = first_year_margin(kind, offered, expected_amount, income, products)
    expected = (p_treated - p_control) * value - contact
    return simulator.outcome(campaign, customers_out, treated, p_control, p_treated, expected)


def _no_holders(ds, ids: np.ndarray, kind: str) -> None:
    """One clear error for listed customers who hold the offered product on the as-of date."""
    from generator import simulator

    accounts = ds["accounts"].merge(ds["products"][["product_id", "product_type"]])
    holding = accounts.loc[
        (accounts["product_type"] == kind) & accounts["closed_on"].isna(), "customer_id"
    ]
    holders = ids[np.isin(ids, holding)]
    if len(holders):
        raise simulator.CampaignError(
            f"{len(holders)} of the customers already hold a {kind.replace('_', ' ')} "
            f"(e.g. {simulator.some(holders)}): leave them out"
        )


def _campaign(ds, campaign: dict) -> dict:
    """The campaign's settings checked and completed, or one clear error."""
    from generator import simulator
    from generator.industries import bank

    return simulator.settings(
        ds,
        campaign,
        choices={"product_type": OFFERED, "channel": population.CHANNELS},
        days=("response_days", bank.SPEC["offers"]["response_days"]),
    )
