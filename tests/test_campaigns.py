"""The campaign engine every industry shares: control groups, true uplift, contact tables."""

import numpy as np
import pandas as pd

from generator import campaigns
from generator.industries.auto import SCHEMA

N = 20_000
IDS = np.arange(1, N + 1)


def run(campaign_id=1, eligible=None, p_control=0.1, uplift=0.05, holdout=0.25):
    return campaigns.run(
        7,
        0,
        {"industry": "test", "campaign_id": campaign_id, "holdout": holdout},
        IDS,
        np.ones(N, bool) if eligible is None else eligible,
        np.full(N, p_control),
        np.full(N, uplift),
    )


def test_a_control_group_measures_the_true_uplift():
    result = run()
    assert abs((~result.treated).mean() - 0.25) < 0.02
    rates = result.groupby("treated").responded.mean()
    assert abs((rates[True] - rates[False]) - 0.05) < 0.02
    assert np.allclose(result.uplift, result.p_treated - result.p_control)


def test_a_customer_draws_the_same_whoever_else_is_eligible():
    everyone = run().set_index("customer_id")
    half = run(eligible=IDS % 2 == 0).set_index("customer_id")
    assert half.index.isin(IDS[IDS % 2 == 0]).all()
    pd.testing.assert_frame_equal(half, everyone.loc[half.index])


def test_contact_tables_order_the_rows_name_the_groups_and_keep_the_truth_apart():
    first, second = run(campaign_id=1), run(campaign_id=2)
    for result in (first, second):
        result["channel"] = "sms"
        result["sent_on"] = campaigns.sent_dates(result["treated"], "2025-03-01")
    tables = campaigns.contact_tables([second, first], SCHEMA)  # in any order
    contacts, truth = tables["campaign_contacts"], tables["campaign_truth"]
    assert list(contacts.columns) == [c.name for c in SCHEMA.table("campaign_contacts").columns]
    assert list(truth.columns) == [c.name for c in SCHEMA.table("campaign_truth").columns]
    assert contacts[["campaign_id", "customer_id"]].apply(tuple, axis=1).is_monotonic_increasing
    control = contacts.test_group == "control"
    assert contacts.sent_on[control].isna().all()
    assert (contacts.sent_on[~control] == pd.Timestamp("2025-03-01")).all()
    assert "uplift" not in contacts and "responded" not in truth


def test_no_campaign_gives_empty_tables_with_their_columns():
    tables = campaigns.contact_tables([], SCHEMA)
    assert tables["campaign_contacts"].empty and tables["campaign_truth"].empty
    assert list(tables["campaign_truth"].columns)[:2] == ["campaign_id", "customer_id"]
