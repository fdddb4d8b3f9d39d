"""Chapter 07's checks tell right from wrong on the default data: plausible answers, written the
way a student would write them (with pandas, not only with the course's functions), are judged
as they should be — the wrong ones refused (with the hint of their mistake where the check names
it), the right ones in another form accepted — and the data hold the cases that separate them
(a history longer than a year, customers with a single purchase day, receipts at all hours,
overdue customers, customers who refused e-mail, customers due on the window's last day).

Three tasks are judged by how well the answer does (a next-purchase prediction by its median
error in days against the hidden future, a shopping list by the share of the next month's spend
it covers, a share of wallet against the truth): any answer that reaches the bar is right, and
the bars separate the course's answers from random ones.

tests/test_checks.py feeds each check the mistakes it names; this file feeds the ones a student
is likely to make, whether a check names them or not.
"""

import numpy as np
import pandas as pd
import pytest

from course import periods
from course.checking import answer_key
from course.checks import ch07

from conftest import accepted, refused

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


@pytest.fixture(scope="module")
def retail():
    return ch07.retail()


@pytest.fixture(scope="module")
def lines(retail):
    """Receipt lines up to the as-of date as a student joins them: customer, timestamp, day,
    product, category, amount."""
    receipts = retail["transactions"][["transaction_id", "customer_id", "timestamp"]]
    receipts = receipts[receipts["timestamp"] <= retail.as_of + pd.Timedelta(days=1)]
    items = retail["transaction_items"][["transaction_id", "product_id", "quantity", "amount"]]
    joined = items.merge(receipts, on="transaction_id").merge(
        retail["products"][["product_id", "category"]], on="product_id"
    )
    return joined.assign(day=joined["timestamp"].dt.normalize())


def category_days(lines, category):
    """One row per customer and day with a purchase of ``category``."""
    bought = lines[lines["category"] == category]
    return bought[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])


def mean_gaps(days):
    per = days.groupby("customer_id")["day"].agg(["min", "max", "size"])
    per = per[per["size"] >= 2]
    return ((per["max"] - per["min"]).dt.days / (per["size"] - 1)).rename("mean_gap"), per


# ---------------------------------------------------------------- task 1: a purchase cycle


def test_the_data_separate_the_cycle_mistakes(retail, lines):
    days = category_days(lines, "coffee")
    per_customer = days.groupby("customer_id").size()
    assert (per_customer == 1).sum() > 50  # customers with no gap to average
    assert lines["day"].min() < retail.as_of - pd.Timedelta(days=2 * 365)  # history > a year
    hours = lines["timestamp"].dt.hour
    assert hours.nunique() > 10  # receipts at all hours: timestamp gaps are not whole days


def test_purchase_cycle(lines, capsys):
    days = category_days(lines, "coffee")
    gaps, per = mean_gaps(days)
    assert accepted(ch07.purchase_cycle, gaps, capsys)
    assert accepted(ch07.purchase_cycle, gaps.rename("cycle"), capsys)  # any name
    assert accepted(ch07.purchase_cycle, gaps.reset_index(), capsys)
    # the mean of the gaps between consecutive days is the span over the number of gaps
    steps = days.groupby("customer_id")["day"].diff().dt.days
    assert accepted(ch07.purchase_cycle, steps.groupby(days["customer_id"]).mean().dropna(), capsys)

    median = steps.groupby(days["customer_id"]).median().dropna()
    assert "median" in refused(ch07.purchase_cycle, median)
    assert "365" in refused(ch07.purchase_cycle, 365 / per["size"])
    assert "number of gaps" in refused(ch07.purchase_cycle, gaps * (per["size"] - 1) / per["size"])
    everyone = days.groupby("customer_id")["day"].agg(["min", "max", "size"])
    with_singles = (everyone["max"] - everyone["min"]).dt.days / (everyone["size"] - 1)
    assert "NaN" in refused(ch07.purchase_cycle, with_singles)
    assert "gives them 0" in refused(ch07.purchase_cycle, with_singles.fillna(0))
    receipts = lines[lines["category"] == "coffee"].drop_duplicates("transaction_id")
    receipts = receipts.sort_values(["customer_id", "timestamp"])
    floored = receipts.groupby("customer_id")["timestamp"].diff().dt.days
    by_timestamp = floored.groupby(receipts["customer_id"]).mean().dropna()
    assert ".dt.days" in refused(ch07.purchase_cycle, by_timestamp)
    assert "rounded" in refused(ch07.purchase_cycle, gaps.round())
    assert "row numbers" in refused(ch07.purchase_cycle, gaps.reset_index(drop=True))
    assert "plain list" in refused(ch07.purchase_cycle, gaps.tolist())
    fewer = refused(ch07.purchase_cycle, gaps.iloc[1:])
    assert f"You have {len(gaps) - 1:,} customers; the right answer has {len(gaps):,}" in fewer


# ---------------------------------------------------------------- task 2: the next purchase


@pytest.fixture(scope="module")
def detergent(retail, lines):
    """Each detergent buyer with two purchase days or more: last day, mean and median gap."""
    days = category_days(lines, "detergent")
    gaps, per = mean_gaps(days)
    steps = days.groupby("customer_id")["day"].diff().dt.days
    median = steps.groupby(days["customer_id"]).median().reindex(gaps.index)
    return pd.DataFrame({"last": per["max"], "mean_gap": gaps, "median_gap": median})


def due(last, gap, as_of):
    day = last + pd.to_timedelta(gap.round(), unit="D")
    return day.where(day > as_of, as_of + pd.Timedelta(days=1))


def test_the_data_hold_overdue_customers(retail, detergent):
    unmoved = detergent["last"] + pd.to_timedelta(detergent["mean_gap"].round(), unit="D")
    assert (unmoved <= retail.as_of).mean() > 0.2


def test_next_purchase(retail, detergent, capsys):
    as_of = retail.as_of
    right = due(detergent["last"], detergent["mean_gap"], as_of)
    assert accepted(ch07.next_purchase, right, capsys)
    frame = right.rename("predicted_on").reset_index()
    assert accepted(ch07.next_purchase, frame, capsys)
    # another method that does as well: any prediction under the bar is right
    assert accepted(
        ch07.next_purchase, due(detergent["last"], detergent["median_gap"], as_of), capsys
    )
    unrounded = detergent["last"] + pd.to_timedelta(detergent["mean_gap"], unit="D")
    unrounded = unrounded.where(unrounded > as_of, as_of + pd.Timedelta(days=1))
    assert accepted(ch07.next_purchase, unrounded, capsys)
    # the category's typical gap for everyone does about as well here (the gaps are noisy)
    typical = pd.Series(detergent["mean_gap"].median(), index=detergent.index)
    assert accepted(ch07.next_purchase, due(detergent["last"], typical, as_of), capsys)

    assert "last purchase day itself" in refused(ch07.next_purchase, detergent["last"])
    day_after = pd.Series(as_of + pd.Timedelta(days=1), index=detergent.index)
    assert "blast" in refused(ch07.next_purchase, day_after)
    unmoved = detergent["last"] + pd.to_timedelta(detergent["mean_gap"].round(), unit="D")
    assert "already past" in refused(ch07.next_purchase, unmoved)
    in_a_month = pd.Series(as_of + pd.Timedelta(days=30), index=detergent.index)
    assert "same predicted day" in refused(ch07.next_purchase, in_a_month)
    # unmoved by the median gap: scored, and told about the days already past
    told = refused(
        ch07.next_purchase,
        detergent["last"] + pd.to_timedelta(detergent["median_gap"].round(), unit="D"),
    )
    assert "median absolute error" in told and "on or before the as-of date" in told

    assert "misses 10" in refused(ch07.next_purchase, right.iloc[10:])
    singles = pd.Series(as_of + pd.Timedelta(days=5), index=pd.Index([10**9], name="customer_id"))
    assert "has 1 others" in refused(ch07.next_purchase, pd.concat([right, singles]))
    assert "NaT" in refused(ch07.next_purchase, right.where(right > as_of + pd.Timedelta(days=1)))
    assert "not numbers" in refused(ch07.next_purchase, detergent["mean_gap"])
    assert "row numbers" in refused(ch07.next_purchase, right.reset_index(drop=True))
    assert "more than once" in refused(ch07.next_purchase, pd.concat([right, right.iloc[:1]]))


def test_the_bar_separates_predictions_from_random_days(retail, detergent):
    for seed in range(5):
        offsets = np.random.default_rng(seed).integers(1, 120, len(detergent))
        randomly = retail.as_of + pd.to_timedelta(offsets, unit="D")
        dates = pd.Series(randomly, index=detergent.index)
        assert ch07._median_error(dates) > ch07.next_purchase_bar(), seed
        assert "median absolute error" in refused(ch07.next_purchase, dates)


# ---------------------------------------------------------------- task 3: a shopping list


def top_products(lines, size=10, by="days"):
    bought = lines.groupby(["customer_id", "product_id"]).agg(
        days=("day", "nunique"), last=("day", "max"), quantity=("quantity", "sum")
    )
    bought = bought.reset_index().sort_values(
        ["customer_id", by, "last", "product_id"], ascending=[True, False, False, True]
    )
    return bought[bought.groupby("customer_id").cumcount() < size][["customer_id", "product_id"]]


@pytest.fixture(scope="module")
def last_year(retail, lines):
    return lines[periods.in_window(lines["day"], retail.as_of, 365)]


def test_shopping_list(retail, lines, last_year, capsys):
    right = top_products(last_year)
    assert accepted(ch07.shopping_list, right, capsys)
    assert accepted(ch07.shopping_list, right.set_index("customer_id"), capsys)
    # ties broken another way, or ranked by quantity: other lists, as good
    assert accepted(ch07.shopping_list, top_products(last_year, by="quantity"), capsys)
    ranked = last_year.groupby(["customer_id", "product_id"])["day"].nunique().rename("n")
    ranked = ranked.reset_index().sort_values(["customer_id", "n"], ascending=[True, False])
    assert accepted(ch07.shopping_list, ranked.groupby("customer_id").head(10), capsys)

    assert "more than 10" in refused(ch07.shopping_list, top_products(last_year, size=20))
    receipts = last_year.groupby("product_id")["transaction_id"].nunique()
    best = receipts.nlargest(10).index
    customers = right["customer_id"].unique()
    everyone = pd.DataFrame(
        [(c, p) for c in customers for p in best], columns=["customer_id", "product_id"]
    )
    assert "bestsellers" in refused(ch07.shopping_list, everyone)
    by_quantity = last_year.groupby("product_id")["quantity"].sum().nlargest(10).index
    same = pd.DataFrame(
        [(c, p) for c in customers for p in by_quantity], columns=["customer_id", "product_id"]
    )
    assert "same list" in refused(ch07.shopping_list, same)
    start = lines["day"].min()
    first_year = lines[lines["day"] < start + pd.Timedelta(days=365)]
    assert "first year" in refused(ch07.shopping_list, top_products(first_year))
    last_90 = lines[periods.in_window(lines["day"], retail.as_of, 90)]
    assert "90 days" in refused(ch07.shopping_list, top_products(last_90))
    assert "cover" in refused(ch07.shopping_list, top_products(last_year, size=3))

    assert "table" in refused(ch07.shopping_list, right.set_index("customer_id")["product_id"])
    assert "column" in refused(ch07.shopping_list, right.rename(columns={"product_id": "item"}))


def test_the_bar_separates_personal_lists_from_a_random_pick(last_year):
    bought = last_year[["customer_id", "product_id"]].drop_duplicates()
    randomly = bought.sample(frac=1.0, random_state=0).groupby("customer_id").head(10)
    assert ch07._coverage(ch07._lists(randomly)) < ch07.coverage_bar()


# ---------------------------------------------------------------- task 4: association rules


def rules_by_hand(baskets, min_support=0.005, min_lift=1.0):
    share = baskets.mean()
    rows = []
    for a in baskets.columns:
        for b in baskets.columns:
            if a == b:
                continue
            support = (baskets[a] & baskets[b]).mean()
            if support < min_support:
                continue
            confidence = support / share[a]
            lift = confidence / share[b]
            if lift >= min_lift:
                rows.append((a, b, support, confidence, lift))
    return pd.DataFrame(rows, columns=list(ch07.RULE_COLUMNS))


@pytest.fixture(scope="module")
def baskets(lines):
    held = lines[["transaction_id", "category"]].drop_duplicates()
    return pd.crosstab(held["transaction_id"], held["category"]).astype(bool)


def test_the_data_hold_pairs_below_chance_and_between_the_supports(baskets):
    everything = rules_by_hand(baskets, min_lift=0.0)
    assert (everything["lift"] < 1).sum() > 20
    assert everything["support"].between(0.005, 0.05, inclusive="left").sum() > 10


def test_association_rules(baskets, capsys):
    right = rules_by_hand(baskets)
    assert accepted(ch07.association_rules, right, capsys)
    assert accepted(ch07.association_rules, right.sample(frac=1.0, random_state=1), capsys)
    # lift > 1 instead of >= 1: no pair is exactly independent
    strict = right[right["lift"] > 1]
    assert accepted(ch07.association_rules, strict, capsys)

    assert "confidence" in refused(ch07.association_rules, right.assign(lift=right["confidence"]))
    share = baskets.mean()
    swapped = right.assign(confidence=right["support"] / share[right["consequent"]].to_numpy())
    assert "antecedent" in refused(ch07.association_rules, swapped)
    assert "lift below 1" in refused(ch07.association_rules, rules_by_hand(baskets, min_lift=0.0))
    assert "5%" in refused(ch07.association_rules, rules_by_hand(baskets, min_support=0.05))
    one_way = right[right["antecedent"] < right["consequent"]]
    assert "rows" in refused(ch07.association_rules, one_way)
    assert "column" in refused(ch07.association_rules, right.drop(columns="lift"))

    _, mistakes = answer_key(ch07.association_rules)
    customers = next(v for k, v in mistakes.items() if "customers" in k)
    assert "customers, not receipts" in refused(ch07.association_rules, customers)


# ---------------------------------------------------------------- task 5: share of wallet


@pytest.fixture(scope="module")
def detergent_days(retail, lines, last_year):
    days = category_days(last_year, "detergent")
    return days.groupby("customer_id").size()


def test_share_of_wallet(retail, detergent_days, last_year, capsys):
    right = (detergent_days / detergent_days.quantile(0.9)).clip(upper=1)
    assert accepted(ch07.share_of_wallet, right, capsys)
    assert accepted(ch07.share_of_wallet, right.rename("share").reset_index(), capsys)
    # another peer quantile: a reasonable estimate, as good
    other = (detergent_days / detergent_days.quantile(0.75)).clip(upper=1)
    assert accepted(ch07.share_of_wallet, other, capsys)

    spend = last_year.groupby("customer_id")["amount"].sum()
    bought = last_year[last_year["category"] == "detergent"].groupby("customer_id")["amount"]
    basket = (bought.sum() / spend).reindex(right.index)
    assert "share of their basket" in refused(ch07.share_of_wallet, basket)
    assert "outlier" in refused(ch07.share_of_wallet, detergent_days / detergent_days.max())
    assert "A share of 1" in refused(ch07.share_of_wallet, right * 0 + 1)
    assert "same share" in refused(ch07.share_of_wallet, right * 0 + 0.5)
    randomly = pd.Series(np.random.default_rng(0).random(len(right)), index=right.index)
    assert "rank correlation" in refused(ch07.share_of_wallet, randomly)

    uncapped = detergent_days / detergent_days.quantile(0.9)
    assert "above 1" in refused(ch07.share_of_wallet, uncapped)
    assert "misses 5" in refused(ch07.share_of_wallet, right.iloc[5:])
    assert "NaN" in refused(ch07.share_of_wallet, right.where(right < 1))
    assert "row numbers" in refused(ch07.share_of_wallet, right.reset_index(drop=True))


def test_the_bars_separate_an_estimate_from_random_shares(detergent_days):
    for seed in range(5):
        shares = np.random.default_rng(seed).random(len(detergent_days))
        rho, _ = ch07._wallet_scores(pd.Series(shares, index=detergent_days.index))
        assert rho < ch07.SPEARMAN_BAR, seed


# ---------------------------------------------------------------- task 6: a timed offer


@pytest.fixture(scope="module")
def coffee_predictions(retail, lines):
    days = category_days(lines, "coffee")
    gaps, per = mean_gaps(days)
    predicted = due(per["max"], gaps, retail.as_of).rename("predicted_on").reset_index()
    consent = retail["customers"].set_index("customer_id")["consent_email"]
    return predicted, consent


def sends_by_hand(predicted, as_of, lead=3, horizon=28):
    window = predicted[predicted["predicted_on"] <= as_of + pd.Timedelta(days=horizon)]
    sent = (window["predicted_on"] - pd.Timedelta(days=lead)).clip(
        lower=as_of + pd.Timedelta(days=1)
    )
    return window[["customer_id"]].assign(sent_on=sent)


def test_the_data_hold_refusers_and_customers_due_on_the_last_day(retail, coffee_predictions):
    predicted, consent = coffee_predictions
    assert (~consent.loc[predicted["customer_id"]]).sum() > 100
    last_day = retail.as_of + pd.Timedelta(days=ch07.HORIZON)
    assert (predicted["predicted_on"] == last_day).any()


def test_timed_offer(retail, coffee_predictions, capsys):
    predicted, consent = coffee_predictions
    as_of = retail.as_of
    emailable = predicted[consent.loc[predicted["customer_id"]].to_numpy()]
    right = sends_by_hand(emailable, as_of)
    ch07.timed_offer(right)
    told = capsys.readouterr().out
    assert "correct" in told and "incremental response" in told and "the truth" in told
    assert accepted(ch07.timed_offer, right.assign(sent_on=right["sent_on"].dt.date), capsys)
    assert accepted(ch07.timed_offer, right.set_index("customer_id"), capsys)

    blast = right.assign(sent_on=as_of + pd.Timedelta(days=1))
    assert "blast" in refused(ch07.timed_offer, blast)
    assert "predicted day itself" in refused(ch07.timed_offer, sends_by_hand(emailable, as_of, 0))
    assert "3 days after" in refused(ch07.timed_offer, sends_by_hand(emailable, as_of, -3))
    assert "did not agree" in refused(ch07.timed_offer, sends_by_hand(predicted, as_of))
    later = sends_by_hand(emailable, as_of, horizon=3650)
    assert "due later" in refused(ch07.timed_offer, later)
    assert "28th day" in refused(ch07.timed_offer, sends_by_hand(emailable, as_of, horizon=27))
    window = emailable[emailable["predicted_on"] <= as_of + pd.Timedelta(days=28)]
    early = window[["customer_id"]].assign(sent_on=window["predicted_on"] - pd.Timedelta(days=3))
    assert "on or before the as-of date" in refused(ch07.timed_offer, early)

    # a refuser slipped in: not a named list, but the simulator's verdict says why
    refusers = predicted[~consent.loc[predicted["customer_id"]].to_numpy()]
    one_more = pd.concat([right, sends_by_hand(refusers, as_of).iloc[:1]])
    told = refused(ch07.timed_offer, one_more)
    assert "simulator refuses" in told and "did not agree" in told
    assert "sent_on" in refused(ch07.timed_offer, right.drop(columns="sent_on"))
    assert "dates" in refused(ch07.timed_offer, right.assign(sent_on="soon"))
