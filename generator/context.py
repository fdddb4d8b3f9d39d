"""The build context: one industry's build, made once per (industry, parameters) by
:func:`generator.builder.context` and passed down, first, to everything that draws its data
(the people, the industry's reference tables and blocks, the life events, the source extracts).

It imports no other module of the generator, so any of them can take it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from generator.locales import Locale
    from generator.params import Params
    from generator.population import Window
    from generator.registry import Industry

#: The reference tables, made once per process for each (industry, seed, locale, as-of date,
#: years, customers): builds that differ in nothing else (formats, sources, parts) share them.
_REFERENCE: dict[tuple, dict[str, pd.DataFrame]] = {}


@dataclasses.dataclass(frozen=True)
class Context:
    """One industry's build: the industry, the parameters, the locale and the window of days."""

    industry: Industry
    params: Params
    locale: Locale
    window: Window

    @property
    def name(self) -> str:
        return self.industry.name

    @property
    def seed(self) -> int:
        return self.params.seed

    @property
    def region(self) -> str | None:
        """The state or province the company serves, or None for nationwide."""
        return self.industry.region and self.industry.region[self.params.locale]

    @property
    def blocks(self) -> int:
        """How many blocks of customers the build has."""
        return -(-self.params.customers // self.industry.block_size)

    @property
    def ref(self) -> dict[str, pd.DataFrame]:
        """The reference tables (the industry's ``reference``), which depend on the seed, the
        locale, the window and the number of customers alone."""
        p = self.params
        key = (self.name, p.seed, p.locale, p.as_of, p.years, p.customers)
        if key not in _REFERENCE:
            _REFERENCE[key] = self.industry.reference(self)
        return _REFERENCE[key]
