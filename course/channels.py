"""What each acquisition channel really costs (客户数据库客户获取): volume, cost, quality, value.

A channel's cost per lead is what its invoices say; what it really costs is the spend per
customer who *buys*, and per unit of what those customers are worth, with the data they
bring in fit to use. The functions here put those figures side by side for the automaker
(leads: auto show, website, hotline, referral, walk-in) and the drug maker (patients: hospital
referral, pharmacy, doctor's recommendation, hotline, online).

Value needs time to show: a lead that came in last month has had no year to buy. So the
figures are for a *cohort*: the customers acquired in the whole months whose year of follow-up
has ended by the as-of date (:func:`cohort_end`), and the spend of those same months.
"""

from __future__ import annotations

import pandas as pd

from course import building

#: How long a new customer's value is followed: the year after they came in.
FOLLOW_UP_DAYS = 365


def cohort_end(as_of, days: int = FOLLOW_UP_DAYS) -> pd.Timestamp:
    """The last day of the cohort: the end of the last whole month whose customers have all
    had their ``days`` of follow-up (the day they came in and the ``days - 1`` after it) by
    ``as_of``."""
    latest = pd.Timestamp(as_of).normalize() - pd.Timedelta(days=days - 1)
    return (latest + pd.Timedelta(days=1)).to_period("M").start_time - pd.Timedelta(days=1)


def _cohort(frame: pd.DataFrame, column: str, spend: pd.DataFrame, as_of) -> pd.DataFrame:
    return frame[frame[column].between(spend["month"].min(), cohort_end(as_of))]


def spend_in_cohort(spend: pd.DataFrame, as_of) -> pd.Series:
    """Spend per channel over the cohort's months."""
    kept = spend[spend["month"] <= cohort_end(as_of)]
    return kept.groupby("channel", observed=True)["spend"].sum()


def lead_channels(ds) -> pd.DataFrame:
    """The automaker's channels, one row each, for the cohort of new prospects.

    - ``new_customers``: people who first came in through the channel (their first lead);
    - ``spend``, ``cost_per_customer``: the channel's spend in the cohort's months, per new
      customer (a channel pays for everyone it brings in, buyer or not);
    - ``email_share``: the share of them who left an e-mail address (completeness);
    - ``repeat_leads``: the channel's leads in the same months from people already in the
      database (owners coming back): leads, but no new customer;
    - ``buyers``, ``conversion``: new customers who bought a car within a year of their lead;
    - ``cost_per_sale``: spend per buyer; ``revenue_per_customer``: what the cars they bought
      within the year brought in, per new customer.
    """
    as_of, spend = ds.as_of, ds["channel_spend"]
    leads, sales, customers = ds["leads"], ds["sales"], ds["customers"]
    first = _cohort(leads[~leads["existing_owner"]], "created_on", spend, as_of)
    repeat = _cohort(leads[leads["existing_owner"]], "created_on", spend, as_of)
    sold = first.merge(sales[["lead_id", "sold_on", "price"]], on="lead_id", how="left")
    within = (sold["sold_on"] - sold["created_on"]).dt.days < FOLLOW_UP_DAYS
    sold = sold.assign(
        bought=within, revenue=sold["price"].where(within, 0.0), customer=sold["customer_id"]
    )
    email = customers.set_index("customer_id")["email"].notna()
    by = first.groupby("source", observed=True)
    table = pd.DataFrame(
        {
            "new_customers": by["customer_id"].nunique(),
            "spend": spend_in_cohort(spend, as_of),
            "email_share": by["customer_id"].agg(lambda ids: email.loc[ids].mean()),
            "repeat_leads": repeat.groupby("source", observed=True).size(),
            "buyers": sold.groupby("source", observed=True)["bought"].sum(),
            "revenue": sold.groupby("source", observed=True)["revenue"].sum(),
        }
    ).fillna({"repeat_leads": 0})
    table.index = table.index.astype(str).rename("channel")
    table["repeat_leads"] = table["repeat_leads"].astype(int)
    table["cost_per_customer"] = table["spend"] / table["new_customers"]
    table["conversion"] = table["buyers"] / table["new_customers"]
    table["cost_per_sale"] = table["spend"] / table["buyers"]
    table["revenue_per_customer"] = table["revenue"] / table["new_customers"]
    return table


def patient_channels(ds) -> pd.DataFrame:
    """The drug maker's channels, one row each, for the cohort of new patients: ``patients``,
    ``spend``, ``cost_per_patient``, ``sms_consent`` (the share who agreed to SMS, which the
    patient-support programme needs) and ``revenue_per_patient`` (their dispensings in the
    year after they came in)."""
    as_of, spend = ds.as_of, ds["channel_spend"]
    patients = _cohort(ds["patients"], "registered_on", spend, as_of)
    refills = ds["refills"].merge(patients[["patient_id", "registered_on"]], on="patient_id")
    days = (refills["dispensed_on"] - refills["registered_on"]).dt.days
    year = refills[(days >= 0) & (days < FOLLOW_UP_DAYS)]
    revenue = year.groupby("patient_id")["amount"].sum()
    patients = patients.assign(revenue=patients["patient_id"].map(revenue).fillna(0.0))
    by = patients.groupby("acquisition_source", observed=True)
    table = pd.DataFrame(
        {
            "patients": by.size(),
            "spend": spend_in_cohort(spend, as_of),
            "sms_consent": by["consent_sms"].mean(),
            "revenue_per_patient": by["revenue"].mean(),
        }
    )
    table.index = table.index.astype(str).rename("channel")
    table["cost_per_patient"] = table["spend"] / table["patients"]
    return table


def capture_quality(ds) -> pd.DataFrame:
    """The quality of the records each capture system holds (the form a channel fills in):
    per system, the share of records missing a phone or an e-mail, with a value that breaks a
    validation rule (:func:`course.building.validation_flags`), and that repeat another record
    of the same system exactly."""
    frames = []
    for system in ds.systems:
        records = building.extract(ds, system)
        flags = building.validation_flags(records, ds.locale, ds.as_of)
        repeats = building.exact_duplicates(records)
        frames.append(
            {
                "system": system["name"],
                "records": len(records),
                "phone_missing": records["phone"].isna().mean(),
                "email_missing": records["email"].isna().mean(),
                "invalid": flags.any(axis=1).mean(),
                "duplicates": len(repeats) / len(records),
            }
        )
    return pd.DataFrame(frames).set_index("system")
