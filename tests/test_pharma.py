"""The pharma database: integrity, and the lessons it must teach, on three builds.

The default dataset (committed under datasets/) and the run's other builds: another seed, and zh_CN.
"""

import sqlite3

import numpy as np
import pandas as pd
import pytest

from generator import builder
from generator.industries import pharma
from generator.industries.pharma import SPEC
from generator.params import Params

from conftest import BUILDS, assert_database_intact, course_data, empty_database

pytestmark = pytest.mark.slow  # builds databases or runs notebooks

FOLLOW_UP = SPEC["programme"]["follow_up_days"]


@pytest.fixture(scope="module", params=BUILDS)
def data(request, other_data_builds, tmp_path_factory):
    return course_data("pharma", request.param, other_data_builds, tmp_path_factory)


def covered(refills: pd.DataFrame, start: pd.Series, days: int) -> pd.Series:
    """Proportion of days covered in ``days`` from each patient's ``start`` (refills never
    overlap: a patient refills when the previous supply is used up, or later)."""
    frame = refills.join(start.rename("start"), on="patient_id", how="inner")
    end = frame.start + pd.Timedelta(days=days)
    supplied = np.minimum(frame.days_supply, (end - frame.dispensed_on).dt.days).clip(lower=0)
    return (supplied.groupby(frame.patient_id).sum() / days).reindex(start.index, fill_value=0)


# ---------------------------------------------------------------- integrity


def test_sqlite_keys_and_constraints_hold(data):
    assert_database_intact(data)


def test_the_database_refuses_a_bad_row(data, tmp_path):
    db = empty_database(data, tmp_path)
    db.execute("INSERT INTO products VALUES (101, 'x', 'diabetes', 28, 10.5, '2020-01-01', 2.5)")
    with pytest.raises(sqlite3.IntegrityError):  # a price with fractions of a cent
        db.execute(
            "INSERT INTO products VALUES (102, 'y', 'diabetes', 28, 10.555, '2020-01-01', 2)"
        )
    with pytest.raises(sqlite3.IntegrityError):  # an unknown therapy area
        db.execute("INSERT INTO products VALUES (103, 'z', 'oncology', 28, 10.5, '2020-01-01', 2)")
    with pytest.raises(sqlite3.IntegrityError):  # a product that costs nothing to make
        db.execute("INSERT INTO products VALUES (104, 'w', 'diabetes', 28, 10.5, '2020-01-01', 0)")
    with pytest.raises(sqlite3.IntegrityError):  # no such prescription or patient
        db.execute("INSERT INTO refills VALUES (1, 99, 99, 101, 1, '2024-01-01', 1, 28, 10.5)")


def test_no_activity_outside_each_patients_life(data):
    patients = data["patients"].set_index("patient_id")
    stopped = data.truth("patient_truth").set_index("patient_id").stopped_on
    refills, rx = data["refills"], data["prescriptions"]
    for day, who in ((refills.dispensed_on, refills.patient_id), (rx.written_on, rx.patient_id)):
        assert (day >= who.map(patients.registered_on)).all()
        assert (day <= data.as_of).all()
        assert not (day >= who.map(stopped)).any()
    reminders = data["reminders"]
    assert (reminders.sent_on <= data.as_of).all()
    assert not (reminders.sent_on >= reminders.patient_id.map(stopped)).any()


def test_no_refill_before_its_prescription_or_after_the_stop_date(data):
    refills = data["refills"].merge(data["prescriptions"], on=["prescription_id", "patient_id"])
    assert (refills.dispensed_on >= refills.written_on).all()
    assert (refills.product_id_x == refills.product_id_y).all()
    assert (refills.fill_number <= refills.fills_authorised).all()
    first = refills[refills.fill_number == 1]
    assert (first.dispensed_on == first.written_on).all()
    stopped = data.truth("patient_truth").set_index("patient_id").stopped_on
    assert not (refills.dispensed_on >= refills.patient_id.map(stopped)).any()


def test_no_contact_on_a_refused_channel(data):
    consent = data["patients"].set_index("patient_id").consent_sms
    programme = data["patient_programme"]
    assert programme.patient_id.map(consent).all()
    assert data["reminders"].patient_id.map(consent).all()
    enrolled = programme[programme.test_group == "programme"]
    assert set(data["reminders"].patient_id) <= set(enrolled.patient_id)
    usual = programme.test_group == "usual care"
    assert programme.enrolled_on[usual].isna().all() and programme.mobile[usual].isna().all()
    assert programme.enrolled_on[~usual].notna().all()


def test_amounts_are_packs_times_price(data):
    refills = data["refills"].merge(data["products"], on="product_id")
    assert (refills.amount == np.round(refills.packs * refills.price, 2)).all()
    assert (refills.days_supply == refills.packs * refills.pack_days).all()


def test_patients_are_pseudonymised(data):
    patients = data["patients"]
    assert not {"given_name", "family_name", "address", "email", "phone"} & set(patients)
    assert patients.patient_code.is_unique
    assert patients.patient_code.str.fullmatch(r"P-[0-9A-F]{8}").all()


# ---------------------------------------------------------------- lessons


def test_the_top_fifth_of_doctors_write_most_prescriptions(data):
    per_doctor = (
        data["prescriptions"]
        .groupby("doctor_id")
        .size()
        .reindex(data["doctors"].doctor_id, fill_value=0)
        .sort_values(ascending=False)
    )
    top = per_doctor.iloc[: len(per_doctor) // 5].sum() / per_doctor.sum()
    assert 0.5 <= top <= 0.85
    # the pyramid follows the doctors' latent volume, and reps call most on the top tier
    tier = data.truth("doctor_truth").set_index("doctor_id").tier
    by_tier = per_doctor.groupby(tier, observed=True).mean()
    assert by_tier["A"] > 3 * by_tier["C"]
    calls = data["detailing_calls"].groupby("doctor_id").size().reindex(tier.index, fill_value=0)
    assert calls.groupby(tier, observed=True).mean()["A"] > 3 * calls.groupby(tier).mean()["D"]


def test_refills_follow_the_pack_size_with_gaps(data):
    refills = data["refills"].sort_values(["patient_id", "dispensed_on"])
    gap = refills.groupby("patient_id").dispensed_on.diff().dt.days
    supply = refills.groupby("patient_id").days_supply.shift()
    ratio = (gap / supply).dropna()
    assert (ratio >= 1).all()  # never before the previous supply runs out
    assert 1.0 <= ratio.median() <= 1.5  # mostly on time, after the pack size
    assert (ratio > 2).mean() > 0.05  # but with real gaps
    # and the intervals follow each product's pack size
    pack = refills.product_id.map(data["products"].set_index("product_id").pack_days)
    one_pack = (refills.packs.shift() == 1) & gap.notna()
    by_pack = gap[one_pack].groupby(pack[one_pack]).median()
    assert by_pack.is_monotonic_increasing and by_pack.index.nunique() >= 3


def test_some_patients_discontinue(data):
    last = data["refills"].groupby("patient_id").dispensed_on.max()
    supply = data["refills"].groupby("patient_id").days_supply.last()
    # no supply left at the as-of date and no refill for 90 days after it ran out
    lapsed = (last + pd.to_timedelta(supply, unit="D") + pd.Timedelta(days=90)) < data.as_of
    assert 0.2 <= lapsed.mean() <= 0.6
    stopped = data.truth("patient_truth").stopped_on.notna().mean()
    assert 0.2 <= stopped <= 0.6


def test_pdc_is_realistic_for_chronic_therapy(data):
    refills = data["refills"]
    first = refills.groupby("patient_id").dispensed_on.min()
    first = first[first <= data.as_of - pd.Timedelta(days=365)]
    pdc = covered(refills, first, 365)
    assert 0.5 <= pdc.median() <= 0.8
    assert (pdc <= 1).all()
    # no two fills of a patient overlap (what keeps the share of days covered at most 1)
    ordered = refills.sort_values(["patient_id", "dispensed_on"])
    last = ordered.groupby("patient_id")[["dispensed_on", "days_supply"]].shift()
    ends = last.dispensed_on + pd.to_timedelta(last.days_supply, unit="D")
    assert (ordered.dispensed_on[ends.notna()] >= ends[ends.notna()]).all()
    assert 0.1 <= (pdc < 0.5).mean() <= 0.5  # a visible share of poorly adherent patients


def test_the_programme_raises_pdc_by_its_planted_effect(data):
    programme = data["patient_programme"].set_index("patient_id")
    pdc = covered(data["refills"], programme.index_date, FOLLOW_UP)
    truth = data.truth("programme_truth").set_index("patient_id").reindex(programme.index)
    enrolled = programme.test_group == "programme"
    # each patient's measured PDC is the potential outcome of the group they were given
    realised = np.where(enrolled, truth.pdc_programme, truth.pdc_usual_care)
    assert np.allclose(pdc, realised, atol=1e-9)
    treated, control = pdc[enrolled], pdc[~enrolled]
    difference = treated.mean() - control.mean()
    se = np.sqrt(treated.var() / len(treated) + control.var() / len(control))
    assert abs(difference - truth.effect.mean()) <= 3 * se
    assert truth.effect.mean() > 0.04 and difference > 2 * se  # an effect a class can see
    assert (truth.effect >= -1e-9).all()


def test_randomisation_balances_the_groups(data):
    programme = data["patient_programme"].set_index("patient_id")
    truth = data.truth("patient_truth").set_index("patient_id").reindex(programme.index)
    enrolled = programme.test_group == "programme"
    assert 0.4 <= enrolled.mean() <= 0.6
    assert abs(truth.adherence[enrolled].mean() - truth.adherence[~enrolled].mean()) < 0.05


# ---------------------------------------------------------------- locale and types


def test_names_fit_the_locale(data):
    doctors, hospitals = data["doctors"], data["hospitals"]
    if data.manifest["parameters"]["locale"] == "zh_CN":
        assert doctors.family_name.str.fullmatch(r"[\u4e00-\u9fff]{1,2}").all()
        assert hospitals.name.str.fullmatch(r"[\u4e00-\u9fff]+").all()
        assert data["regions"].name.str.endswith("区").all()
        assert data["products"].name.str.contains(r"[\u4e00-\u9fff]").all()
        assert set(hospitals.tier) <= {"三级甲等", "三级乙等", "二级", "社区卫生服务中心"}
        assert data["patient_programme"].mobile.dropna().str.fullmatch(r"14[0-4]\d{8}").all()
    else:
        assert doctors.family_name.str.fullmatch(r"[A-Za-z' -]+").all()
        assert set(hospitals.tier) <= set(SPEC["hospital_tiers"]["en_US"])
        mobile = data["patient_programme"].mobile.dropna()
        assert mobile.str.fullmatch(r"\(\d{3}\) 555-01\d\d").all()
    assert hospitals.name.is_unique


def test_loaded_tables_have_proper_types(data):
    assert data["refills"].dispensed_on.dtype.kind == "M"
    assert data["patients"].birth_date.dtype.kind == "M"
    assert isinstance(data["hospitals"].tier.dtype, pd.CategoricalDtype)
    assert isinstance(data["patient_programme"].test_group.dtype, pd.CategoricalDtype)
    assert data["patients"].consent_sms.dtype == bool
    assert data["refills"].packs.dtype == "int64"
    with pytest.raises(KeyError, match="ground truth"):
        data["patient_truth"]


def test_detailing_calls_are_drawn_a_part_of_the_doctors_at_a_time(monkeypatch):
    """Calls grow with the doctors, so they are never held whole: memory stays flat."""
    monkeypatch.setattr(pharma, "DOCTORS_PER_BLOCK", 50)
    params = Params(customers=6000)
    doctors = builder.reference_tables("pharma", params)["doctors"]
    parts = [p["detailing_calls"] for p in builder.reference_blocks("pharma", params)]
    assert len(parts) == -(-len(doctors) // 50) > 1
    calls = pd.concat(parts, ignore_index=True)
    assert calls.call_id.is_unique and calls.call_id.is_monotonic_increasing
    for number, part in enumerate(parts):  # each part holds its own doctors' calls only
        own = doctors.doctor_id.iloc[number * 50 : (number + 1) * 50]
        assert part.doctor_id.isin(own).all()
    assert set(calls.doctor_id) <= set(doctors.doctor_id)
