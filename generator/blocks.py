"""One block of people, as every industry's generator starts from it.

The builder draws a block's people (:func:`generator.population.customers`) and hands them,
with the build context (:class:`generator.context.Context`), to the industry's block class;
the class makes every customer-dependent table of the block in ``tables()``. What all
industries need first lives here once: the build's seed, locale, window and reference tables,
the people's ids and the industry's random streams.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from generator.context import Context
from generator.streams import stream


class Block:
    industry = ""  # names the random streams ("retail.trips", ...): set by each subclass

    def __init__(self, build: Context, block_no: int, people: pd.DataFrame):
        self.seed, self.locale, self.window = build.seed, build.locale, build.window
        self.ref = build.ref
        self.no, self.n = block_no, len(people)
        self.people = people
        self.ids = people["customer_id"].to_numpy()

    def rng(self, purpose: str) -> np.random.Generator:
        """The random stream for one purpose of this industry and block."""
        return stream(self.seed, f"{self.industry}.{purpose}", self.no)

    def tables(self) -> dict[str, pd.DataFrame | pa.Table]:
        """Every customer-dependent table of the block."""
        raise NotImplementedError
