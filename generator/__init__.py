"""Synthetic customer databases for the course's four companies.

    import generator
    generator.build(["retail"], out="datasets", customers=5_000, seed=42)
    retail = generator.load("retail")          # tables as DataFrames
    retail["customers"].head()
    retail.sql("SELECT COUNT(*) FROM transactions")

or from the shell: ``python -m generator build retail --customers 5000 --seed 42``.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.2.0"


def __getattr__(name: str):
    if name == "INDUSTRIES":  # every industry, in order: found by generator.registry
        from generator.registry import names

        return names()
    raise AttributeError(f"module 'generator' has no attribute {name!r}")


def build(
    industries: list[str] | str = "all",
    out: str | Path = "datasets",
    *,
    progress: bool = False,
    cluster=None,
    **parameters,
) -> list[Path | str]:
    """Build databases into ``out/<industry>/``; see :class:`generator.params.Params`.

    With ``parts=N`` each customer table is written as N part files by ``workers`` processes,
    or by the tasks of a Dask ``cluster`` (a scheduler's address or a ``distributed.Client``);
    ``out`` may then be any fsspec URL the workers can write to.
    """
    from generator.builder import build as _build
    from generator.params import Params
    from generator.registry import chosen

    out = out if isinstance(out, str) and "://" in out else Path(out)
    names = chosen(industries)
    return _build(names, Params(**parameters), out, progress=progress, cluster=cluster)


def estimate(industry: str, **parameters):
    """How many rows, bytes and seconds building ``industry`` with these parameters will take
    (see :mod:`generator.estimates`); nothing is written where the build would go."""
    from generator.estimates import estimate as _estimate
    from generator.params import Params

    return _estimate(industry, Params(**parameters))


def simulate(build, campaign: dict, customer_ids, *, holdout: float = 0.2):
    """What ``campaign`` really earns on ``customer_ids`` in a build's hidden future, with a
    random control group; see :mod:`generator.simulator`."""
    from generator.simulator import simulate as _simulate

    return _simulate(build, campaign, customer_ids, holdout=holdout)


def load(industry: str, path: str | Path | None = None):
    """The database of ``industry`` as a :class:`generator.dataset.Dataset`."""
    from generator.dataset import Dataset

    return Dataset.open(industry, path)
