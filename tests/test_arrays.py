"""The vectorised helpers the industries build their events with."""

import numpy as np

from generator import arrays


def test_rank_numbers_the_rows_of_each_run():
    assert arrays.rank(np.array([4, 4, 7, 9, 9, 9])).tolist() == [1, 2, 1, 1, 2, 3]


def test_run_min_to_end_keeps_each_run_from_decreasing():
    keys = np.array([0, 0, 0, 1, 1, 2])
    values = np.array([50, 30, 40, 20, 90, 10])
    got = arrays.run_min_to_end(keys, values, 100)
    assert got.tolist() == [30, 30, 40, 20, 90, 10]  # lowered within a run, never across runs
    assert (got <= values).all()
