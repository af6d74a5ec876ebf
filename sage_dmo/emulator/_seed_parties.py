"""Deterministic seed data of the emulated tenant: business entities and their roles.

Business entity ``n`` is customer ``n`` and has primary address ``n``; every
third entity, starting with the first, is also a supplier.
"""

from __future__ import annotations

from ._seed import COUNTRIES, Generator, Row, SeedContext, TableRows, mix, words

__all__ = ["PARTY_GENERATORS", "business_country", "business_name", "supplier_count"]

_NAME_START = words(
    "Northwind|Alpine|Harbor|Blue|River|Summit|Oakridge|Silverline|Redwood|"
    "Granite|Meridian|Crescent|Evergreen|Highland|Pioneer|Lakeside|Beacon|Cobalt|"
    "Falcon|Horizon|Keystone|Maple|Orchard|Sterling|Willow|Atlas|Brightwater|"
    "Cedar|Coastal|Golden|Ironbridge"
)
_NAME_END = words(
    "Traders|Industries|Supplies|Logistics|Manufacturing|Distribution|Partners|"
    "Retail|Engineering|Wholesale|Foods|Components|Equipment|Systems|Textiles"
)
# Countries of business entities, weighted towards the tenant's own markets.
_BUSINESS_COUNTRIES = (1, 1, 1, 2, 2, 3, 4, 5, 5, 6, 6, 6, 7, 8, 9, 10, 11, 12)


def business_name(seed: int, number: int) -> str:
    """Return the name of business entity ``number`` (names repeat across rows)."""
    value = mix(seed, 4, number)
    start = _NAME_START[value % len(_NAME_START)]
    end = _NAME_END[(value >> 8) % len(_NAME_END)]
    return f"{start} {end}"


def business_country(seed: int, number: int) -> int:
    """Return the country number of business entity ``number``."""
    return _BUSINESS_COUNTRIES[mix(seed, 5, number) % len(_BUSINESS_COUNTRIES)]


# (city, region, postcode prefix) per country code
_CITIES = {
    "FR": [
        ("Lyon", "Auvergne-Rhône-Alpes", "690"),
        ("Lille", "Hauts-de-France", "590"),
    ],
    "DE": [("Köln", "Nordrhein-Westfalen", "506"), ("Leipzig", "Sachsen", "041")],
    "ES": [
        ("Sevilla", "Andalucía", "410"),
        ("Valencia", "Comunitat Valenciana", "460"),
    ],
    "IT": [("Torino", "Piemonte", "101"), ("Bologna", "Emilia-Romagna", "401")],
    "GB": [("Manchester", "Greater Manchester", "M1"), ("Bristol", "Avon", "BS1")],
    "US": [("Atlanta", "GA", "303"), ("Denver", "CO", "802"), ("Austin", "TX", "787")],
    "CA": [("Toronto", "ON", "M5V"), ("Calgary", "AB", "T2P")],
    "CH": [("Zürich", "ZH", "80"), ("Lausanne", "VD", "10")],
    "ZA": [("Cape Town", "Western Cape", "80"), ("Durban", "KwaZulu-Natal", "40")],
    "AU": [("Melbourne", "VIC", "30"), ("Perth", "WA", "60")],
    "JP": [("Ōsaka", "Ōsaka", "530"), ("Nagoya", "Aichi", "450")],
    "SE": [("Göteborg", "Västra Götaland", "411"), ("Malmö", "Skåne", "211")],
}
_STREETS = words(
    "Main Street|Station Road|Market Square|Industrial Park|Harbour Way|"
    "Mill Lane|Church Street|Rue de la République|Hauptstraße|Via Roma|"
    "Calle Mayor|Queen Street"
)
_FIRST_NAMES = words(
    "Amélie|Ben|Chloé|David|Elena|Farid|Grace|Hugo|Ingrid|Jonas|Keiko|Luis|Maya|"
    "Noah|Olga|Pierre|Quinn|Rosa|Samir|Tessa|Uma|Victor|Wendy|Xavier|Yara|Zoë"
)
_LAST_NAMES = words(
    "Martin|Schmidt|García|Rossi|Smith|Johnson|Dubois|Müller|Tanaka|Nielsen|"
    "Brown|Kowalski|Silva|Novak|Andersson|Moreau|Costa|Fischer|Walker|Lefèvre"
)
_POSITIONS = words(
    "Buyer|Purchasing manager|Accounts payable|Sales representative|"
    "Warehouse lead|Chief financial officer|Operations manager"
)


def supplier_count(rows: int) -> int:
    """Return the number of suppliers for ``rows`` business entities."""
    return (rows + 2) // 3


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def _business_entities(context: SeedContext) -> TableRows:
    seed = context.seed
    columns = [
        "id",
        "name",
        "isActive",
        "country",
        "currency",
        "taxIdNumber",
        "website",
        "isCustomer",
        "isSupplier",
    ]
    rows: list[Row] = []
    for number in range(1, context.rows + 1):
        name = business_name(seed, number)
        country = business_country(seed, number)
        code, _country_name, currency = COUNTRIES[country - 1]
        rows.append(
            (
                f"BE{number:06d}",
                name,
                number % 23 != 0,
                country,
                currency,
                f"{code}{mix(seed, 7, number) % 10**9:09d}",
                f"https://www.{_slug(name)}.example" if number % 4 else None,
                True,
                number % 3 == 1,
            )
        )
    return context.finish(columns, rows)


def _address(context: SeedContext, entity: int, order: int) -> Row:
    rng = context.rng
    country = business_country(context.seed, entity)
    city, region, prefix = context.pick(_CITIES[COUNTRIES[country - 1][0]])
    primary = order == 1
    return (
        entity,
        order * 10,
        "Head office" if primary else "Warehouse",
        f"{context.between(1, 200)} {context.pick(_STREETS)}",
        None if rng.random() < 0.7 else f"Building {context.pick('ABCDEF')}",
        city,
        region,
        f"{prefix}{context.between(10, 99)}",
        country,
        primary,
        True,
    )


def _addresses(context: SeedContext) -> TableRows:
    columns = [
        "businessEntity",
        "_sortValue",
        "name",
        "addressLine1",
        "addressLine2",
        "city",
        "region",
        "postcode",
        "country",
        "isPrimary",
        "isActive",
    ]
    # Primary addresses first, so that the primary address of entity n is address n.
    rows = [_address(context, entity, 1) for entity in range(1, context.rows + 1)]
    rows += [_address(context, entity, 2) for entity in range(3, context.rows + 1, 3)]
    return context.finish(columns, rows)


def _contacts(context: SeedContext) -> TableRows:
    columns = (
        "businessEntity",
        "_sortValue",
        "firstName",
        "lastName",
        "email",
        "position",
    )
    rows: list[Row] = []
    for entity in range(1, context.rows + 1):
        domain = _slug(business_name(context.seed, entity))
        for order in range(1, 2 + (entity % 2 == 0)):
            first, last = context.pick(_FIRST_NAMES), context.pick(_LAST_NAMES)
            email = f"{first.lower()}.{last.lower()}@{domain}.example"
            rows.append(
                (entity, order * 10, first, last, email, context.pick(_POSITIONS))
            )
    return context.finish(columns, rows)


def _customers(context: SeedContext) -> TableRows:
    seed = context.seed
    columns = [
        "businessEntity",
        "id",
        "name",
        "isActive",
        "isOnHold",
        "paymentTerm",
        "creditLimit",
        "minimumOrderAmount",
        "currency",
        "primaryAddress",
    ]
    rows: list[Row] = []
    for number in range(1, context.rows + 1):
        currency = COUNTRIES[business_country(seed, number) - 1][2]
        rows.append(
            (
                number,
                f"BE{number:06d}",
                business_name(seed, number),
                number % 23 != 0,
                number % 37 == 0,
                1 + number % 5,
                context.between(1, 50) * 100_000,
                context.pick((0, 5_000, 10_000, 25_000)),
                currency,
                number,
            )
        )
    return context.finish(columns, rows)


def _suppliers(context: SeedContext) -> TableRows:
    seed = context.seed
    columns = [
        "businessEntity",
        "id",
        "name",
        "isActive",
        "paymentTerm",
        "currency",
        "minimumOrderAmount",
    ]
    rows: list[Row] = []
    for number in range(1, supplier_count(context.rows) + 1):
        entity = 3 * number - 2
        currency = COUNTRIES[business_country(seed, entity) - 1][2]
        rows.append(
            (
                entity,
                f"BE{entity:06d}",
                business_name(seed, entity),
                entity % 23 != 0,
                2 + number % 4,
                currency,
                context.pick((0, 10_000, 50_000)),
            )
        )
    return context.finish(columns, rows)


PARTY_GENERATORS: dict[str, Generator] = {
    "BusinessEntity": _business_entities,
    "Address": _addresses,
    "Contact": _contacts,
    "Customer": _customers,
    "Supplier": _suppliers,
}
