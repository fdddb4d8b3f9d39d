"""Customer lifetime value (客户终身价值, chapter 05): historic and predicted.

Predicted with the two classic models of non-contractual buying, fitted with PyMC-Marketing
(``pymc_marketing.clv``):

- **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while
  "alive", a customer buys at their own Poisson rate (rates gamma-distributed: r, alpha);
  after each purchase they may drop out for good (probability beta-distributed: a, b);
- **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"): each customer's average value
  per purchase varies around their own mean (p, q, v).

Both are fitted by maximum a posteriori with flat priors, which is the papers' maximum
likelihood, so that the real-data bridge reproduces the published parameters::

    summary = lifetime_value.summary(retail, as_of)   # frequency, recency, T, monetary (weeks)
    model = lifetime_value.fit(summary)
    predicted = model.predict(summary, weeks=52)      # purchases and margin per customer
    lifetime_value.score(predicted, retail.truth("future_customers"))

Time is counted in weeks, as in the papers; a purchase is a day with at least one receipt.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

# PyTensor (under PyMC) compiles its models with a C++ compiler when it finds one and warns
# about a missing BLAS library. These scalar models need no BLAS; without a compiler they run
# in Python (slower, same results). Either way the notebooks stay free of warnings.
_flags = ["blas__ldflags="] + ([] if shutil.which("g++") else ["cxx="])
os.environ.setdefault("PYTENSOR_FLAGS", ",".join(_flags))

#: Weeks in the 365 days of the hidden future and of the RFM window.
YEAR_WEEKS = 365 / 7

#: The BG/NBD parameters Fader, Hardie & Lee (2005) report for CDNOW (their table; 2,357
#: customers, 39 weeks of calibration) and the Gamma-Gamma parameters of their "RFM and CLV"
#: paper for the same customers' average spend.
FADER_HARDIE_LEE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
FADER_HARDIE_LEE_SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}

#: Where CDNOW's cohort ends its calibration period in the papers (39 weeks from 1 Jan 1997).
CDNOW_CALIBRATION_END = "1997-09-30"


# ------------------------------------------------------------------------------- the data


def occasions(ds, as_of=None) -> pd.DataFrame:
    """The supermarket's purchase occasions up to ``as_of``: one row per customer and day
    with a receipt, with the day's ``revenue`` and ``margin`` (amount − quantity × unit_cost)."""
    from course.customer_value import item_margins

    day = pd.Timestamp(ds.as_of if as_of is None else as_of).normalize()
    receipts = ds["transactions"]
    margins = item_margins(ds).groupby("transaction_id")["margin"].sum()
    receipts = receipts.assign(
        date=receipts["timestamp"].dt.normalize(),
        margin=receipts["transaction_id"].map(margins).fillna(0),
    )
    receipts = receipts[receipts["date"] <= day]
    daily = receipts.groupby(["customer_id", "date"], as_index=False)[["total", "margin"]].sum()
    return daily.rename(columns={"total": "revenue"})


def summarise(daily: pd.DataFrame, end, value: str = "margin") -> pd.DataFrame:
    """The models' summary of purchase occasions (``customer_id``, ``date``, ``value``) up to
    ``end``, one row per customer who bought: ``frequency`` (repeat purchases: occasions after
    the first), ``recency`` (weeks from the first to the last), ``T`` (weeks from the first to
    ``end``) and ``monetary_value`` (the mean ``value`` of the repeat purchases; 0 without)."""
    from pymc_marketing.clv import utils

    end = pd.Timestamp(end).normalize()
    daily = daily[daily["date"] <= end]
    return utils.rfm_summary(
        daily,
        "customer_id",
        "date",
        monetary_value_col=value,
        observation_period_end=end,
        time_unit="D",
        time_scaler=7,
    )


def summary(ds, as_of=None, value: str = "margin") -> pd.DataFrame:
    """:func:`summarise` of the supermarket's :func:`occasions` up to ``as_of``."""
    day = ds.as_of if as_of is None else as_of
    return summarise(occasions(ds, day), day, value)


def cdnow_transactions() -> pd.DataFrame:
    """CDNOW's 1/10 sample (Fader, Hardie & Lee 2005): 2,357 customers who first bought at the
    online CD shop in the first quarter of 1997, and every purchase they made until the end of
    June 1998 (``customer_id``, ``date``, ``cds``, ``amount`` in US dollars).

    The file is the copy that the ``lifetimes`` package (MIT licence) ships; the package is
    only read, never imported."""
    try:
        path = importlib.metadata.distribution("lifetimes").locate_file(
            "lifetimes/datasets/CDNOW_sample.txt"
        )
    except importlib.metadata.PackageNotFoundError:
        path = None
    if path is None or not os.path.exists(path):
        raise FileNotFoundError(
            "CDNOW's sample comes with the `lifetimes` package, which is not installed: "
            "run `make lab` (or pip install lifetimes) first"
        )
    raw = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw.drop(columns="master_id")


def cdnow_occasions() -> pd.DataFrame:
    """CDNOW's purchases as occasions, one row per customer and day (``amount`` summed)."""
    raw = cdnow_transactions()
    return raw.groupby(["customer_id", "date"], as_index=False)[["cds", "amount"]].sum()


# ----------------------------------------------------------------------------- the models


def _flat(names) -> dict:
    from pymc_extras.prior import Prior

    return {name: Prior("HalfFlat") for name in names}


@dataclass
class Model:
    """A fitted BG/NBD model and, when fitted on values, its Gamma-Gamma spend model."""

    purchases: object
    spend: object | None = None

    def parameters(self) -> dict[str, float]:
        """Every fitted parameter: r, alpha, a, b (BG/NBD) and p, q, v (Gamma-Gamma)."""
        found = {}
        for model in (self.purchases, self.spend):
            if model is not None:
                found |= {k: float(v) for k, v in model.fit_summary().items()}
        return found

    def predict(self, data: pd.DataFrame, weeks: float = YEAR_WEEKS) -> pd.DataFrame:
        """Per customer of ``data`` (a :func:`summarise` table): the probability of being
        alive (``p_alive``), the expected ``purchases`` in the next ``weeks``, the expected
        value per purchase (``value_per_purchase``, Gamma-Gamma) and their product
        (``value``: the predicted lifetime value of those weeks, undiscounted)."""
        cols = ["customer_id", "frequency", "recency", "T"]
        alive = self.purchases.expected_probability_alive(data=data[cols])
        bought = self.purchases.expected_purchases(data=data[cols], future_t=weeks)
        table = pd.DataFrame(
            {
                "customer_id": data["customer_id"].to_numpy(),
                "p_alive": _point(alive),
                "purchases": _point(bought),
            }
        )
        if self.spend is not None:
            spend = self.spend.expected_customer_spend(
                data=data[["customer_id", "frequency", "monetary_value"]]
            )
            table["value_per_purchase"] = _point(spend)
            table["value"] = table["purchases"] * table["value_per_purchase"]
        return table


def _point(values) -> np.ndarray:
    """A MAP fit's one draw as a plain array, in the data's order."""
    return values.mean(("chain", "draw")).to_numpy()


def fit(data: pd.DataFrame, spend: bool = True) -> Model:
    """Fit BG/NBD to a :func:`summarise` table (and Gamma-Gamma to its repeat buyers' values
    when ``spend``) by maximum likelihood (MAP with flat priors)."""
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    purchases = BetaGeoModel(model_config=_flat(["r", "alpha", "a", "b"]))
    purchases.fit(
        data[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False
    )
    model = Model(purchases)
    if spend:
        repeat = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
        model.spend = GammaGammaModel(model_config=_flat(["p", "q", "v"]))
        model.spend.fit(
            repeat[["customer_id", "frequency", "monetary_value"]], method="map", progressbar=False
        )
    return model


def reproduces(fitted: dict[str, float], published: dict[str, float], tolerance: float) -> dict:
    """Each published parameter's relative difference from the fitted one, and whether all
    are within ``tolerance`` (0.01 = 1 %)."""
    gaps = {k: abs(fitted[k] - v) / v for k, v in published.items()}
    return {"gaps": gaps, "within": all(g <= tolerance for g in gaps.values())}


# ------------------------------------------------------------------- checking the models


def holdout(daily: pd.DataFrame, calibration_end, end, value: str = "margin") -> pd.DataFrame:
    """Calibration and holdout (the papers' check): the summary up to ``calibration_end``
    with what each customer really did after it, up to ``end``: ``holdout_purchases``
    (occasions) and ``holdout_value`` (the sum of ``value``)."""
    calibration_end, end = pd.Timestamp(calibration_end), pd.Timestamp(end)
    table = summarise(daily, calibration_end, value)
    after = daily[(daily["date"] > calibration_end) & (daily["date"] <= end)]
    done = after.groupby("customer_id").agg(
        holdout_purchases=("date", "size"), holdout_value=(value, "sum")
    )
    table = table.merge(done, on="customer_id", how="left")
    table["holdout_purchases"] = table["holdout_purchases"].fillna(0).astype("int64")
    table["holdout_value"] = table["holdout_value"].fillna(0.0)
    table.attrs["weeks"] = (end - calibration_end).days / 7
    return table


def by_frequency(
    table: pd.DataFrame, predicted: pd.DataFrame, edges=(0, 1, 2, 3, 4, 5, 6, 7)
) -> pd.DataFrame:
    """The calibration plot's table: customers grouped by their repeat purchases in the
    calibration period (groups start at ``edges``; the last is open: ``7+``), with the mean
    purchases the model predicted for the holdout and the mean they really made."""
    joined = table.merge(predicted[["customer_id", "purchases"]], on="customer_id")
    labels = [
        str(lo) if hi - lo == 1 else f"{lo}-{hi - 1}"
        for lo, hi in zip(edges[:-1], edges[1:], strict=True)
    ] + [f"{edges[-1]}+"]
    group = pd.cut(joined["frequency"], [*edges, np.inf], right=False, labels=labels)
    result = joined.groupby(group.rename("calibration_purchases"), observed=True).agg(
        customers=("customer_id", "size"),
        predicted=("purchases", "mean"),
        actual=("holdout_purchases", "mean"),
    )
    return result


def score(
    predicted: pd.Series, actual: pd.Series, deciles: int = 10
) -> tuple[dict[str, float], pd.DataFrame]:
    """Score a prediction per customer against what happened (both indexed by customer_id;
    customers missing from ``predicted`` count as 0). Returns the summary figures and a
    table per decile of the prediction (decile 1 the highest):

    - ``rank_correlation``: Spearman's correlation of prediction and outcome;
    - ``total_error``: (Σ predicted − Σ actual) / Σ actual;
    - ``top_decile_share``: the share of the actual total that the top predicted tenth holds;
    - ``decile_error``: the mean absolute error of the deciles' means, over the actual mean.
    """
    actual = actual.astype("float64")
    predicted = predicted.reindex(actual.index).astype("float64").fillna(0.0)
    order = np.lexsort((predicted.index.to_numpy(), -predicted.to_numpy()))
    decile = np.empty(len(order), dtype="int64")
    decile[order] = np.arange(len(order)) * deciles // len(order) + 1
    frame = pd.DataFrame({"predicted": predicted, "actual": actual, "decile": decile})
    table = frame.groupby("decile").agg(
        customers=("actual", "size"), predicted=("predicted", "mean"), actual=("actual", "mean")
    )
    table["error"] = table["predicted"] - table["actual"]
    figures = {
        "rank_correlation": float(stats.spearmanr(predicted, actual).statistic),
        "total_error": float((predicted.sum() - actual.sum()) / actual.sum()),
        "top_decile_share": float(frame.loc[frame["decile"] == 1, "actual"].sum() / actual.sum()),
        "decile_error": float(table["error"].abs().mean() / actual.mean()),
    }
    return figures, table
