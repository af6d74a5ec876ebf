"""Deterministic seed data of the emulated tenant: the framework and reference data.

Each table draws from its own ``random.Random`` seeded with the tenant seed and
the table name, so tables can be generated in any order. Attributes that other
tables repeat (an item's units and price, a business entity's name and country)
come from pure functions of the seed and the row number instead.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from ._rules import make_etag
from ._scalars import datetime_to_ms

__all__ = [
    "COUNTRIES",
    "CURRENCIES",
    "DAY_MS",
    "INVENTORY_SITES",
    "REFERENCE_GENERATORS",
    "SEED_VERSION",
    "SITES",
    "SITE_CURRENCIES",
    "UNITS",
    "WINDOW_END",
    "WINDOW_START",
    "Generator",
    "Row",
    "SeedContext",
    "TableRows",
    "mix",
    "unit_number",
    "words",
]

Row = tuple[Any, ...]
T = TypeVar("T")
# Increase it whenever the generators change, so that database files seeded by
# older generators are reseeded instead of reused.
SEED_VERSION = 1
DAY_MS = 86_400_000
WINDOW_START = datetime_to_ms(datetime(2023, 1, 2, tzinfo=timezone.utc))
WINDOW_END = datetime_to_ms(datetime(2025, 6, 30, tzinfo=timezone.utc))
SYSTEM_COLUMNS = (
    "_createStamp",
    "_updateStamp",
    "_updateTick",
    "_etag",
    "_customData",
    "_sourceId",
)
_MASK = 2**64 - 1

# Reference data: (id, name, symbol, decimal digits, active).
CURRENCIES = [
    ("EUR", "Euro", "€", 2, True),
    ("USD", "US dollar", "$", 2, True),
    ("GBP", "Pound sterling", "£", 2, True),
    ("CHF", "Swiss franc", "CHF", 2, True),
    ("JPY", "Japanese yen", "¥", 0, True),
    ("CAD", "Canadian dollar", "$", 2, True),
    ("AUD", "Australian dollar", "$", 2, True),
    ("ZAR", "South African rand", "R", 2, True),
    ("SEK", "Swedish krona", "kr", 2, True),
    ("PLN", "Polish złoty", "zł", 2, False),
]
# (id, name, symbol, decimal digits, type)
UNITS = [
    ("EACH", "Each", "ea", 0, "each"),
    ("KG", "Kilogram", "kg", 3, "weight"),
    ("G", "Gram", "g", 0, "weight"),
    ("T", "Tonne", "t", 3, "weight"),
    ("L", "Litre", "l", 3, "volume"),
    ("ML", "Millilitre", "ml", 0, "volume"),
    ("M", "Metre", "m", 3, "length"),
    ("CM", "Centimetre", "cm", 1, "length"),
    ("M2", "Square metre", "m²", 3, "area"),
    ("H", "Hour", "h", 2, "time"),
    ("BOX", "Box", "box", 0, "each"),
    ("PAL", "Pallet", "pal", 0, "each"),
]
# Number (_id) of each unit of measure by its code.
unit_number = {unit[0]: number for number, unit in enumerate(UNITS, 1)}
# (id, name, currency number)
COUNTRIES = [
    ("FR", "France", 1),
    ("DE", "Germany", 1),
    ("ES", "Spain", 1),
    ("IT", "Italy", 1),
    ("GB", "United Kingdom", 3),
    ("US", "United States", 2),
    ("CA", "Canada", 6),
    ("CH", "Switzerland", 4),
    ("ZA", "South Africa", 8),
    ("AU", "Australia", 7),
    ("JP", "Japan", 5),
    ("SE", "Sweden", 9),
]
_PAYMENT_TERMS = [
    ("DUE", "Due on receipt", 0, True),
    ("NET15", "Net 15 days", 15, True),
    ("NET30", "Net 30 days", 30, True),
    ("NET45", "Net 45 days", 45, True),
    ("NET60", "Net 60 days", 60, True),
    ("NET90", "Net 90 days", 90, False),
]
# (id, name, currency number)
_COMPANIES = [
    ("US01", "Sage Demo Inc.", 2),
    ("FR01", "Sage Démo SAS", 1),
    ("GB01", "Sage Demo Ltd", 3),
    ("DE01", "Sage Demo GmbH", 1),
]
# (id, name, active, sales, purchase, inventory, company number)
SITES = [
    ("S01", "Atlanta distribution center", True, True, True, True, 1),
    ("S02", "Chicago sales office", True, True, False, False, 1),
    ("S03", "Lyon warehouse", True, True, True, True, 2),
    ("S04", "Paris store", True, True, False, True, 2),
    ("S05", "Leeds plant", True, False, True, True, 3),
    ("S06", "London office", True, True, True, False, 3),
    ("S07", "Hamburg warehouse", True, True, True, True, 4),
    ("S08", "Munich workshop", True, False, True, True, 4),
    ("S09", "Dallas warehouse", True, True, True, True, 1),
    ("S10", "Bordeaux depot", False, False, False, True, 2),
]
INVENTORY_SITES = [n for n, site in enumerate(SITES, 1) if site[5]]
# Currency number of each site number: the currency of its company.
SITE_CURRENCIES = {n: _COMPANIES[site[6] - 1][2] for n, site in enumerate(SITES, 1)}


def mix(seed: int, salt: int, number: int) -> int:
    """Return a well-spread 64-bit integer for ``number`` (a SplitMix64 round)."""
    value = (seed * 0x9E3779B97F4A7C15 + salt * 0xD1B54A32D192ED03 + number) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


@dataclass(frozen=True)
class TableRows:
    """Seeded rows of one table, complete with ``_id`` and system columns."""

    columns: tuple[str, ...]
    rows: list[Row]


@dataclass
class SeedContext:
    """Generation state of one table: its random source and creation times."""

    seed: int
    rows: int
    table: str
    # Index of each member of each enum type, in declaration order.
    enums: Mapping[str, Mapping[str, int]]
    rng: random.Random = field(init=False)
    _created: list[int] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.seed}:{self.table}")

    def creation_stamps(self, count: int) -> list[int]:
        """Return mostly ascending creation times in milliseconds for ``count`` rows.

        Times spread over the seed window with a jitter of a few rows, so that
        the order by ``_createStamp`` is close to, but not the same as, the order
        by ``_id``.
        """
        if len(self._created) != count:
            random_number = self.rng.random
            step = max((WINDOW_END - WINDOW_START) // max(count, 1), 1)
            self._created = [
                WINDOW_START + number * step + int(random_number() * 3 * step)
                for number in range(count)
            ]
        return self._created

    def between(self, low: int, high: int) -> int:
        """Return a random integer with ``low <= n < high``.

        Faster than ``randrange``, which matters for a million seeded values.
        """
        return low + int(self.rng.random() * (high - low))

    def pick(self, values: Sequence[T]) -> T:
        """Return a random member of ``values``."""
        return values[int(self.rng.random() * len(values))]

    def enum(self, name: str) -> Mapping[str, int]:
        """Return the stored index of each member of the enum type ``name``."""
        return self.enums[name]

    def finish(self, columns: Sequence[str], rows: Sequence[Row]) -> TableRows:
        """Add ``_id`` (1, 2, ...) and the system columns to each row."""
        created = self.creation_stamps(len(rows))
        random_number = self.rng.random
        table = self.table
        complete: list[Row] = []
        append = complete.append
        for number, row in enumerate(rows, 1):
            stamp = created[number - 1]
            if random_number() < 0.6:
                updated, tick = stamp, 1
            else:
                updated = stamp + 1 + int(random_number() * 120 * DAY_MS)
                tick = 2 + int(random_number() * 5)
            etag = make_etag(table, number, tick, updated)
            append((number, *row, stamp, updated, tick, etag, "{}", None))
        return TableRows(("_id", *columns, *SYSTEM_COLUMNS), complete)


Generator = Callable[[SeedContext], TableRows]


def words(text: str) -> tuple[str, ...]:
    """Split ``|``-separated words, the compact form of the seed's word lists."""
    return tuple(text.split("|"))


def _currencies(context: SeedContext) -> TableRows:
    columns = ("id", "name", "symbol", "decimalDigits", "isActive")
    return context.finish(columns, [tuple(row) for row in CURRENCIES])


def _units(context: SeedContext) -> TableRows:
    columns = ("id", "name", "symbol", "decimalDigits", "type")
    types = context.enum("UnitType")
    rows = [(*unit[:4], types[unit[4]]) for unit in UNITS]
    return context.finish(columns, rows)


def _countries(context: SeedContext) -> TableRows:
    return context.finish(("id", "name", "currency"), list(COUNTRIES))


def _payment_terms(context: SeedContext) -> TableRows:
    return context.finish(("id", "name", "days", "isActive"), list(_PAYMENT_TERMS))


def _companies(context: SeedContext) -> TableRows:
    rows = [(code, name, True, currency) for code, name, currency in _COMPANIES]
    return context.finish(("id", "name", "isActive", "currency"), rows)


def _sites(context: SeedContext) -> TableRows:
    columns = (
        "id",
        "name",
        "isActive",
        "isSales",
        "isPurchase",
        "isInventory",
        "legalCompany",
        "currency",
    )
    rows = [(*site, _COMPANIES[site[6] - 1][2]) for site in SITES]
    return context.finish(columns, rows)


REFERENCE_GENERATORS: dict[str, Generator] = {
    "Currency": _currencies,
    "UnitOfMeasure": _units,
    "Country": _countries,
    "PaymentTerm": _payment_terms,
    "Company": _companies,
    "Site": _sites,
}
