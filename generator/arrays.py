"""Vectorised helpers for events kept as sorted NumPy arrays (no Python loop over rows).

Industries keep a block's events as aligned arrays sorted by a key (customer, then day...);
these helpers find runs of equal keys, number the rows within a run and reduce over groups.
"""

from __future__ import annotations

import numpy as np


def starts(keys: np.ndarray) -> np.ndarray:
    """True where a run of equal values begins in sorted ``keys``."""
    return np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, bool)


def run_first(keys: np.ndarray) -> np.ndarray:
    """For each element of sorted ``keys``, the position where its run begins."""
    position = np.arange(len(keys))
    return np.maximum.accumulate(np.where(starts(keys), position, 0))


def rank(keys: np.ndarray) -> np.ndarray:
    """1, 2, 3... within each run of equal values of sorted ``keys``."""
    return np.arange(len(keys)) - run_first(keys) + 1


def run_min_to_end(keys: np.ndarray, values: np.ndarray, bound: int) -> np.ndarray:
    """For each element of sorted non-negative integer ``keys``, the least of its value and
    the values after it in its run: each value lowered where needed so that a run's values
    never decrease. ``values`` are integers in [0, bound)."""
    packed = keys * bound + values
    return np.minimum.accumulate(packed[::-1])[::-1] - keys * bound


def run_cumsum(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running sums of ``values`` restarting with each run of sorted ``keys``."""
    running = np.cumsum(values)
    return running - (running - values)[run_first(keys)] if len(keys) else running


def unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct integer keys (a sort beats ``np.unique``'s hashing here)."""
    keys = np.sort(keys)
    return keys[starts(keys)]


def group_min(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each element, the smallest of ``values`` among the elements of its ``group``."""
    if not len(group):
        return values.copy()
    order = np.lexsort((values, group))
    first = starts(group[order])
    smallest = values[order][first][np.cumsum(first) - 1]
    out = np.empty_like(values)
    out[order] = smallest
    return out


def pack(*columns: tuple[np.ndarray, int]) -> np.ndarray:
    """One int64 key ordering rows by several non-negative integer columns, most significant
    first; each column comes with its bound (its values are below it). One sort of a packed
    key is much faster than a lexsort of several columns."""
    key = np.zeros(len(columns[0][0]), np.int64)
    for values, bound in columns:
        key = key * bound + values
    return key


def group_sum(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums of integer ``values`` (e.g. cents) per group number 0..size-1."""
    # float sums of whole numbers are exact below 2**53
    return np.round(np.bincount(groups, weights=values, minlength=size)).astype(np.int64)
