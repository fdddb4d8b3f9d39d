"""Random streams keyed by what they are for, so that any part of a dataset can be made alone.

Every random number comes from a stream named by (seed, purpose, block): the customers of
block 7 always get the same names, whatever the number of shards, whatever other tables are
built, and adding a new purpose never shifts the numbers of an existing one.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, purpose: str, block: int = 0) -> np.random.Generator:
    """The random generator for one purpose (e.g. "retail.trips") and one customer block."""
    key = zlib.crc32(purpose.encode("utf-8"))
    sequence = np.random.SeedSequence(seed, spawn_key=(key, block))
    return np.random.Generator(np.random.PCG64(sequence))


def uniform(seed: int, purpose: str, keys) -> np.ndarray:
    """One number in [0, 1) per key (e.g. a customer id) for one purpose: the same number for
    the same key, whatever other keys are asked for with it (a SplitMix64 hash of seed,
    purpose and key)."""
    mask = (1 << 64) - 1
    salt = (seed * 0x9E3779B97F4A7C15 + zlib.crc32(purpose.encode("utf-8"))) & mask
    with np.errstate(over="ignore"):
        z = np.asarray(keys, dtype=np.uint64) + np.uint64(salt)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def cumulative(p) -> np.ndarray:
    """The cumulative shares of ``p``, as :func:`choose` takes them (computed once per list)."""
    cdf = np.asarray(p, dtype=float).cumsum()
    return cdf / cdf[-1]


def choose(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """``n`` positions drawn with the shares behind ``cdf``.

    The same numbers as ``rng.choice(len(p), n, p=p)``, without redoing the sums every call.
    """
    return cdf.searchsorted(rng.random(n), side="right")


SHARE_CELLS = 1000


def share_table(p, cells: int = SHARE_CELLS) -> np.ndarray:
    """Positions 0, 1... of ``p``, each repeated in proportion to its share: indexing the table
    with ``rng.integers(0, cells, n)`` draws ``n`` positions with exactly those shares, several
    times faster than :func:`choose` when there are many draws.

    The shares must be whole numbers of ``1/cells`` (thousandths by default), as shares written
    in a spec are.
    """
    p = np.asarray(p, dtype=float)
    counts = p / p.sum() * cells
    whole = np.round(counts)
    if not np.allclose(counts, whole, rtol=0, atol=1e-6):
        raise ValueError(f"shares {p.tolist()} are not whole numbers of 1/{cells}")
    return np.repeat(np.arange(len(p)), whole.astype(np.int64))


def block(customers: int, size: int, block_no: int) -> tuple[int, int]:
    """(first customer number, count) of block ``block_no`` of ``size``; customer numbers
    start at 1.

    A block is the unit of randomness and of output (one Parquet row group per table and
    block), never split across workers or parts. Each industry sets its ``BLOCK_SIZE`` so that
    a block holds a few hundred thousand event rows.
    """
    start = block_no * size
    if not 0 <= start < customers:
        raise ValueError(f"block {block_no} is not one of the blocks of {customers:,} customers")
    return start + 1, min(size, customers - start)
