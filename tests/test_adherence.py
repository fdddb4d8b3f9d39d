"""Adherence from the refills (case C3): the proportion of days covered, by hand and against
the truth of the drug maker's patient-support programme."""

import numpy as np
import pandas as pd
import pytest

import generator
from course import adherence, datasets

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


def fills(*rows):
    return pd.DataFrame(
        [(p, pd.Timestamp(d), s) for p, d, s in rows],
        columns=["patient_id", "dispensed_on", "days_supply"],
    )


def test_a_patient_by_hand():
    refills = fills(
        (1, "2025-01-01", 30),  # days 0-29
        (1, "2025-01-21", 30),  # bought 10 days early: covers days 30-59
        (1, "2025-04-01", 30),  # after a gap: days 90-119
        (2, "2025-01-11", 10),  # days 10-19
        (2, "2024-12-27", 10),  # before the window, its last 5 days inside it
    )
    start = pd.Series(pd.Timestamp("2025-01-01"), index=pd.Index([1, 2, 3], name="patient_id"))
    got = adherence.pdc(refills, start, days=100)
    assert got.to_dict() == {1: pytest.approx(0.7), 2: pytest.approx(0.15), 3: 0.0}
    # one date for everyone: the patients who have fills
    assert adherence.pdc(refills, "2025-01-01", days=100).index.tolist() == [1, 2]


@pytest.fixture(scope="module", params=["en_US", "zh_CN"])
def pharma(request):
    """The drug maker's default database, and its zh_CN build (case C3's default)."""
    folder = datasets.case_folder("pharma") if request.param == "zh_CN" else None
    return generator.load("pharma", folder)


def test_the_programmes_pdc_is_the_truths(pharma):
    programme = pharma["patient_programme"].set_index("patient_id")
    days = 180
    full = programme[programme["index_date"] + pd.Timedelta(days=days - 1) <= pharma.as_of]
    measured = adherence.pdc(pharma["refills"], full["index_date"], days)
    truth = pharma.truth("programme_truth").set_index("patient_id").loc[full.index]
    seen = np.where(
        full["test_group"] == "programme", truth["pdc_programme"], truth["pdc_usual_care"]
    )
    assert len(full) > 500
    assert np.allclose(measured.to_numpy(), seen, atol=1e-9)
    # the programme raises adherence, as its randomised control group shows
    by_group = measured.groupby(full["test_group"], observed=True).mean()
    assert by_group["programme"] > by_group["usual care"] + 0.03
