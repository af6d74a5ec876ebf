"""Deterministic seed data of the emulated tenant: item categories and items.

An item's type, units, price, sites and name are pure functions of the seed and
the item number, because order lines, item sites and stock repeat them.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._seed import (
    INVENTORY_SITES,
    Generator,
    Row,
    SeedContext,
    TableRows,
    mix,
    unit_number,
    words,
)

__all__ = [
    "ITEM_GENERATORS",
    "item_name",
    "item_price",
    "item_sites",
    "item_type",
    "item_units",
]


def item_type(number: int) -> str:
    """Return the type of item ``number``: mostly goods, some services and costs."""
    if number % 10 == 9:
        return "service"
    if number % 50 == 25:
        return "landedCost"
    return "good"


def item_units(seed: int, number: int) -> tuple[int, int, int]:
    """Return the stock, sales and purchase unit numbers of item ``number``."""
    kind = item_type(number)
    if kind == "service":
        return unit_number["H"], unit_number["H"], unit_number["H"]
    if kind == "landedCost":
        return unit_number["EACH"], unit_number["EACH"], unit_number["EACH"]
    stock = ("EACH", "EACH", "EACH", "KG", "L", "M", "BOX")[mix(seed, 1, number) % 7]
    purchase = "BOX" if stock == "EACH" and number % 4 == 0 else stock
    return unit_number[stock], unit_number[stock], unit_number[purchase]


def item_price(seed: int, number: int) -> int:
    """Return the base price of item ``number`` with 4 decimal places, whole cents."""
    value = mix(seed, 2, number)
    cents = 99 + value % 19_900
    if value % 7 == 0:
        cents *= 25
    return cents * 100


def item_sites(seed: int, number: int) -> tuple[int, ...]:
    """Return the inventory sites of item ``number``; only goods have any."""
    if item_type(number) != "good":
        return ()
    value = mix(seed, 3, number)
    count = 1 + value % 3
    start = (value >> 8) % len(INVENTORY_SITES)
    ring = INVENTORY_SITES[start:] + INVENTORY_SITES[:start]
    return tuple(sorted(ring[:count]))


_FAMILIES = words(
    "fasteners|hand tools|power tools|office furniture|paints|cables|packaging|"
    "lighting|safety gear|plumbing|adhesives|bearings|filters|valves|pumps|"
    "sensors|textiles|chemicals|electronics|spare parts|garden|kitchen|"
    "lubricants|fixings|hydraulics|pneumatics|stationery|cleaning|abrasives|"
    "timber"
)
_QUALIFIERS = words(
    "Industrial|Premium|Standard|Economy|Heavy-duty|Light|Compact|Professional|"
    "Outdoor|Indoor|Marine|Automotive|Medical|Food-grade|Recycled|Eco|Classic|"
    "Modular|Portable|Precision"
)
_CATEGORY_TYPES = ("general", "finishedGoods", "rawMaterials", "packaging", "services")


def _item_categories(context: SeedContext) -> TableRows:
    rng = context.rng
    count = context.rows
    qualifiers = rng.choices(_QUALIFIERS, k=count)
    families = rng.choices(_FAMILIES, k=count)
    indexes = context.enum("ItemCategoryType")
    kinds = [indexes[kind] for kind in _CATEGORY_TYPES]
    types = rng.choices(kinds, weights=(5, 2, 2, 1, 1), k=count)
    rows = [
        (f"CAT{number:06d}", f"{qualifiers[number - 1]} {families[number - 1]}", kind)
        for number, kind in enumerate(types, 1)
    ]
    return context.finish(("id", "name", "type"), rows)


_MATERIALS = words(
    "Steel|Stainless steel|Aluminium|Brass|Copper|Oak|Pine|Beech|Polypropylene|"
    "Nylon|Rubber|Glass|Ceramic|Carbon|Titanium|Cotton|Leather|Bamboo|Cast iron|"
    "PVC"
)
_PRODUCTS = words(
    "hex bolt|wood screw|washer|hinge|bracket|shelf|cabinet|valve|pipe|fitting|"
    "cable tie|pulley|bearing|gasket|spring|clamp|handle|panel|hook|chain|"
    "drill bit|saw blade|filter|nozzle|tray|crate|lamp|switch|connector|sensor"
)
_SIZES = words(
    "M4|M6|M8|M10|M12|10 mm|25 mm|50 mm|100 mm|250 mm|small|medium|large|XL|1 m|"
    "2 m|500 ml|1 l|5 l|pack of 10"
)
_SERVICES = words(
    "Installation|Maintenance visit|Repair labour|Training session|"
    "Consulting hour|Calibration|Delivery|Inspection|Extended warranty|"
    "Cleaning service"
)
_COSTS = ("Freight", "Customs duty", "Insurance", "Handling fee", "Port charges")
_PACKAGING = ("sold singly", "packed by 10", "packed by 50", "on a pallet", "in bulk")
_ITEM_STATUSES = ("active", "inDevelopment", "notRenewed", "obsolete", "notUsable")


def _ean(value: int) -> str:
    """Return a valid EAN-13 code with the check digit computed from ``value``."""
    digits = str(400_000_000_000 + value % 99_999_999_999)
    total = sum(map(int, digits[0::2])) + 3 * sum(map(int, digits[1::2]))
    return digits + str(-total % 10)


def item_name(seed: int, number: int) -> str:
    """Return the name of item ``number`` (names repeat across rows)."""
    value = mix(seed, 8, number)
    kind = item_type(number)
    if kind == "service":
        return _SERVICES[value % len(_SERVICES)]
    if kind == "landedCost":
        return _COSTS[value % len(_COSTS)]
    material = _MATERIALS[value % len(_MATERIALS)]
    product = _PRODUCTS[(value >> 16) % len(_PRODUCTS)]
    size = _SIZES[(value >> 32) % len(_SIZES)]
    return f"{material} {product} {size}"


def _item_row(
    context: SeedContext, number: int, status: str, indexes: Mapping[str, int]
) -> Row:
    seed = context.seed
    kind = item_type(number)
    stock_unit, sales_unit, purchase_unit = item_units(seed, number)
    price = item_price(seed, number)
    good = kind == "good"
    name = item_name(seed, number)
    return (
        f"ITM{number:06d}",
        name,
        f"{name}, {context.pick(_PACKAGING)}." if good else None,
        indexes[status],
        status in ("active", "inDevelopment", "notRenewed"),
        indexes[kind],
        kind != "service" or number % 3 == 0,
        kind != "landedCost",
        good and number % 5 == 0,
        good,
        _ean(mix(seed, 6, number)) if good else None,
        stock_unit,
        sales_unit,
        purchase_unit,
        (1, 1, 1, 2, 2, 3)[number % 6],
        context.between(5, 50_000) if good else None,
        context.between(1, 20_000) if good else None,
        price,
        # The minimum price is 80 % of the base price, rounded down to whole cents.
        price * 8 // 1000 * 100,
        context.between(1, context.rows + 1),
    )


def _items(context: SeedContext) -> TableRows:
    columns = [
        "id",
        "name",
        "description",
        "status",
        "isActive",
        "type",
        "isBought",
        "isSold",
        "isManufactured",
        "isStockManaged",
        "eanNumber",
        "stockUnit",
        "salesUnit",
        "purchaseUnit",
        "currency",
        "weight",
        "volume",
        "basePrice",
        "minimumPrice",
        "category",
    ]
    weights = (80, 6, 5, 6, 3)
    statuses = context.rng.choices(_ITEM_STATUSES, weights=weights, k=context.rows)
    # ItemStatus and ItemType share no member name, so one mapping serves both.
    indexes = {**context.enum("ItemStatus"), **context.enum("ItemType")}
    rows = [
        _item_row(context, number, status, indexes)
        for number, status in enumerate(statuses, 1)
    ]
    return context.finish(columns, rows)


ITEM_GENERATORS: dict[str, Generator] = {
    "ItemCategory": _item_categories,
    "Item": _items,
}
