"""The industries the generator knows, and the contract each one keeps.

An industry is two files in ``generator/industries/``: its spec ``<name>.json`` (every rate
with its source, checked on loading against ``spec.schema.json`` and, where the industry has
one, its own ``<name>.schema.json``) and its module ``<name>.py``, which defines ``INDUSTRY``,
an :class:`Industry`. Nothing else lists the industries: a new one is its files, and the
engine finds it (ordered by the spec's ``order``)::

    from generator import registry
    registry.names()                 # ('retail', 'bank', 'pharma', 'auto', ...)
    registry.get("retail").schema    # its tables
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).resolve().parent / "industries"
COMMON = FOLDER / "spec.schema.json"


class SpecError(ValueError):
    """A spec that breaks its schema; the message names the file, the place and the rule."""


@dataclasses.dataclass(frozen=True)
class Industry:
    """What the engine needs of an industry.

    The builder makes one build context (``build``, a :class:`generator.context.Context`: the
    industry, the parameters, the locale, the window) and passes it, first, to everything
    below it. It draws each block's people (:func:`generator.population.customers`, from
    ``spec["population"]``, in ``region[locale]`` or nationwide where ``region`` is None) and
    hands them with the context to ``block``, whose ``tables()`` makes every
    customer-dependent table of the block; the life events, the source extracts and every file
    are the engine's.
    """

    name: str
    spec: dict[str, Any]
    schema: Any  # generator.schema.Schema: its tables, the truth under _truth/
    #: (build, block_no, people) -> an object whose tables() gives the block
    block: type
    block_size: int  # customers per block: a few hundred thousand event rows
    people: str  # the table of the people each block is made of (customers, patients...)
    events: tuple[str, ...]  # its event tables, the hidden future's included (benchmarks)
    #: (build) -> the tables that do not depend on customer blocks (``build.ref``), from the
    #: build's seed, locale, window and number of customers alone: they are made once for those
    reference: Callable[..., dict]
    company: dict[str, str]  # the company's name per locale
    region: dict[str, str] | None = None  # where the customers live per locale; None: anywhere
    #: (build) -> reference events a part at a time (pharma's calls)
    reference_blocks: Callable[..., Iterator[dict]] | None = None
    #: (ref, locale) -> the reference tables the reference systems list (with --sources)
    source_lists: Callable[..., dict] | None = None
    campaign: str | None = None  # the module that simulates its campaigns (generator.simulate)

    @property
    def title(self) -> str:
        return self.spec["title"]


@functools.cache
def names() -> tuple[str, ...]:
    """Every industry, in the order of the specs' ``order``: a spec with a module beside it."""
    found = []
    for path in FOLDER.glob("*.json"):
        if path.with_suffix(".py").exists():
            found.append((json.loads(path.read_text(encoding="utf-8"))["order"], path.stem))
    return tuple(name for _, name in sorted(found))


def chosen(industries: str | list[str]) -> list[str]:
    """The industries a build names: one, a list, or ``"all"`` (every one, in order); an
    unknown name is refused, the known ones listed."""
    wanted = [industries] if isinstance(industries, str) else list(industries)
    if wanted == ["all"]:
        return list(names())
    for name in wanted:
        if name not in names():
            raise ValueError(f"unknown industry {name!r} (known: {', '.join(names())}, or all)")
    return wanted


def get(name: str) -> Industry:
    """The industry called ``name``."""
    if name not in names():
        raise ValueError(f"unknown industry {name!r} (known: {', '.join(names())})")
    module = importlib.import_module(f"generator.industries.{name}")
    industry = getattr(module, "INDUSTRY", None)
    if not isinstance(industry, Industry):
        raise TypeError(f"generator/industries/{name}.py must define INDUSTRY, an Industry")
    return industry


def load_spec(module_file: str | Path) -> dict[str, Any]:
    """The spec beside an industry's module, checked against the schemas (see the module's
    docstring); a spec that breaks one raises :class:`SpecError`."""
    path = Path(module_file).with_suffix(".json")
    spec = json.loads(path.read_text(encoding="utf-8"))
    check(spec, path.name, path.with_suffix(".schema.json"))
    return spec


def check(spec: dict, label: str, own: Path | None = None) -> None:
    """Check a spec against the common schema and the industry's own, if it has one."""
    import jsonschema

    for schema in (COMMON, own):
        if schema is None or not schema.exists():
            continue
        validator = jsonschema.Draft202012Validator(_schema(schema))
        errors = sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path) or "(the top)"
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise SpecError(f"{label}: {where}: {first.message}{more}")


@functools.cache
def _schema(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
