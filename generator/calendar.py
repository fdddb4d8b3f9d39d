"""When people shop: weights per day from the weekday, the month and the locale's holidays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.locales import Locale
from generator.population import Window


def day_weights(window: Window, locale: Locale, spec: dict, *, future: bool = False) -> np.ndarray:
    """One weight per day of the window (with ``future``, of the hidden future too: see
    :attr:`Window.all_days`), averaging 1.

    ``spec``: ``weekday`` (seven weights, Monday first), ``month`` (twelve weights) and
    ``holidays``: for each holiday name of the locale (as the ``holidays`` library names it),
    ``[days_before, boost_before, factor_on_the_day]``.
    """
    days = window.all_days if future else window.days
    weights = np.asarray(spec["weekday"], float)[days.day_of_week]
    weights *= np.asarray(spec["month"], float)[days.month - 1]
    position = {day: i for i, day in enumerate(days.date)}
    rules = spec["holidays"][locale.code]
    first_days: dict[tuple[str, int], object] = {}
    for day, name in sorted(locale.holidays(days[0].date(), days[-1].date()).items()):
        for rule in rules:
            if name.startswith(rule):
                first_days.setdefault((rule, day.year), day)
    for (rule, _), day in first_days.items():
        before, boost, on_day = rules[rule]
        for offset in range(1, before + 1):
            i = position.get(day - pd.Timedelta(days=offset).to_pytimedelta())
            if i is not None:
                weights[i] *= boost
        if day in position:
            weights[position[day]] *= on_day
    return weights / weights.mean()


def sample_days(rng: np.random.Generator, cum: np.ndarray, first, last) -> np.ndarray:
    """A day in ``first .. last`` (inclusive, arrays) for each element, drawn with day weights.

    ``cum`` is ``[0, cumsum(weights)]`` over the window's days.
    """
    first, last = np.asarray(first), np.asarray(last)
    target = cum[first] + rng.random(len(first)) * (cum[last + 1] - cum[first])
    return np.clip(np.searchsorted(cum, target, side="right") - 1, first, last)
