"""The emulator filters items exactly as the reference evaluation does.

All items of a small tenant are fetched once. Generated filters, over the real
properties of Item and values drawn from the fetched rows, then go both to the
emulator and to ``evaluate``, which must select the same ``_id`` values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from graphql import GraphQLObjectType, build_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sage_dmo import SageDMOClient
from sage_dmo._filter_builder import F, build_filter
from sage_dmo._filter_eval import evaluate
from sage_dmo._filter_schema import PropertyInfo, find_property
from sage_dmo._filter_semantics import compile_filter
from sage_dmo._scalars import parse_datetime, parse_decimal
from sage_dmo.emulator import Emulator, ManualClock

from .conftest import StartEmulator

SCHEMA = build_schema(
    resources.files("sage_dmo.emulator").joinpath("schema.graphql").read_text("utf-8")
)
Filter = dict[str, Any]
Row = dict[str, Any]


def node_type(name: str) -> GraphQLObjectType:
    """Return the node type ``name`` of the emulator's schema."""
    found = SCHEMA.get_type(name)
    assert isinstance(found, GraphQLObjectType)
    return found


ITEM = node_type("Item")


def properties(node: GraphQLObjectType) -> Iterator[PropertyInfo]:
    """Yield the properties of ``node`` that filters can use."""
    for name in node.fields:
        found = find_property(node, name)
        if isinstance(found, PropertyInfo):
            yield found


def selection(node: GraphQLObjectType, depth: int) -> str:
    """Select every usable property of ``node``, following references ``depth`` deep.

    Collections are followed at depth 2 only, that is from the root node.
    """
    fields = []
    for prop in properties(node):
        name = prop.step.property
        if prop.target is None:
            fields.append(name)
        elif prop.step.kind == "reference" and depth > 0:
            fields.append(f"{name} {{ {selection(prop.target, depth - 1)} }}")
        elif prop.step.kind == "collection" and depth > 1:
            inner = selection(prop.target, 1)
            fields.append(
                f"{name} {{ query(first: 1000) {{ edges {{ node {{ {inner} }} }} }} }}"
            )
    return " ".join(fields)


ITEMS_QUERY = (
    "query Items($after: String) { xtremMasterData { item { query(first: 1000, "
    "after: $after) { pageInfo { endCursor hasNextPage } edges { node { "
    + selection(ITEM, 2)
    + " } } } } } }"
)
MATCHING_QUERY = """
query Matching($filter: String, $after: String) {
  xtremMasterData { item { query(filter: $filter, first: 1000, after: $after) {
    pageInfo { endCursor hasNextPage }
    edges { node { _id } }
  } } }
}
"""
KEYS_QUERY = """
query Keys {
  xtremMasterData {
    unitOfMeasure { query(first: 1000) { edges { node { _id id } } } }
    currency { query(first: 1000) { edges { node { _id id } } } }
    itemCategory { query(first: 1000) { edges { node { _id id } } } }
  }
  xtremSystem { site { query(first: 1000) { edges { node { _id id } } } } }
}
"""
KEY_NODES = {
    "unitOfMeasure": "UnitOfMeasure",
    "currency": "Currency",
    "itemCategory": "ItemCategory",
    "site": "Site",
}


def edges_of(connection: dict[str, Any]) -> list[Row]:
    """Return the nodes of a connection's edges."""
    return [edge["node"] for edge in connection["edges"]]


class Catalog:
    """Every item of the tenant, the natural keys of the nodes, and a client.

    A plain class with a short repr, because hypothesis prints the fields of a
    dataclass argument in full.
    """

    def __init__(
        self, client: SageDMOClient, items: list[Row], keys: dict[str, dict[str, int]]
    ) -> None:
        self.client = client
        self.items = items
        self.keys = keys
        self.conditions: st.SearchStrategy[Filter] | None = None

    def __repr__(self) -> str:
        return f"<Catalog of {len(self.items)} items>"

    def resolve_key(self, node: str, key: str) -> int | None:
        """Return the ``_id`` of the ``node`` row whose natural key is ``key``."""
        return self.keys.get(node, {}).get(key)

    async def matching_ids(self, text: str) -> set[str]:
        """Return the ``_id`` of every item the emulator selects for ``text``."""
        found: set[str] = set()
        after = None
        while True:
            data = await self.client.execute(
                MATCHING_QUERY, {"filter": text, "after": after}
            )
            connection = data["xtremMasterData"]["item"]["query"]
            found |= {node["_id"] for node in edges_of(connection)}
            if not connection["pageInfo"]["hasNextPage"]:
                return found
            after = connection["pageInfo"]["endCursor"]

    def expected_ids(self, text: str) -> set[str]:
        """Return the ``_id`` of every item the reference evaluation selects."""
        condition = compile_filter(text, ITEM, SCHEMA)
        return {
            row["_id"]
            for row in self.items
            if evaluate(condition, row, resolve_key=self.resolve_key)
        }


async def fetch_catalog(client: SageDMOClient) -> Catalog:
    """Fetch every item, and the natural keys of the nodes filters may name."""
    items: list[Row] = []
    after = None
    while True:
        data = await client.execute(ITEMS_QUERY, {"after": after})
        connection = data["xtremMasterData"]["item"]["query"]
        items += edges_of(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    data = await client.execute(KEYS_QUERY)
    packages = {**data["xtremMasterData"], **data["xtremSystem"]}
    keys = {
        node: {row["id"]: int(row["_id"]) for row in edges_of(packages[field]["query"])}
        for field, node in KEY_NODES.items()
    }
    keys["Item"] = {row["id"]: int(row["_id"]) for row in items}
    keys["ItemSite"] = {
        f"{item['id']}|{child['site']['id']}": int(child["_id"])
        for item in items
        for child in edges_of(item["itemSites"]["query"])
    }
    return Catalog(client, items, keys)


CREATE_ITEM = """
mutation CreateItem($data: Item_Input!) {
  xtremMasterData { item { create(data: $data) { _id } } }
}
"""
# Items added to the seeded ones: without references, with null decimals, and
# with text that needs escapes in a filter.
EXTRA_ITEMS: list[dict[str, Any]] = [
    {
        "id": "ODD-1",
        "name": "Quote ' backslash \\ smile \U0001f600",
        "description": "\u00dcn\u00efc\u00f6d\u00e9 \U0001f600",
        "weight": Decimal("0.001"),
        "basePrice": Decimal("123456.7891"),
    },
    {"id": "ODD-2", "name": "zeta", "stockUnit": "#EACH", "_customData": '{"a": 1}'},
    {"id": "ODD-3", "name": "Zero\u200bwidth", "weight": Decimal(0), "volume": None},
]


@pytest.fixture
async def catalog(
    start_emulator: StartEmulator, clock: ManualClock
) -> AsyncIterator[Catalog]:
    """All items of a 60-row tenant plus EXTRA_ITEMS, with a client open on it."""
    emulator: Emulator = await start_emulator(rows=60)
    client = SageDMOClient(emulator.settings(), clock=clock.monotonic)
    await client.open()
    try:
        for data in EXTRA_ITEMS:
            await client.execute(CREATE_ITEM, {"data": data})
        yield await fetch_catalog(client)
    finally:
        await client.aclose()


# --- strategies over the real properties and values --------------------------

_TEXT_EXTRAS = ["", "'", "\\", "a'b\\c", "\U0001f600", "é", " "]
_ID_EXTRAS = ["abc", "0", "-1", " 5", "#", "#NOPE"]
_DECIMAL_STEPS = [
    Decimal(0),
    Decimal("0.5"),
    Decimal("0.001"),
    Decimal("0.00005"),
    Decimal(1),
    Decimal(100),
]
_TIME_STEPS = [
    timedelta(0),
    timedelta(microseconds=500),
    timedelta(milliseconds=1),
    timedelta(days=1),
]
_INT_EXTRAS = [0, -1, 2**31 - 1, -(2**31)]


def shifted(base: st.SearchStrategy[Any], steps: list[Any]) -> st.SearchStrategy[Any]:
    """Draw a value of ``base`` moved up or down by one of ``steps``."""
    signed = st.sampled_from(steps).flatmap(lambda step: st.sampled_from([step, -step]))
    return st.tuples(base, signed).map(lambda pair: pair[0] + pair[1])


def values_for(
    prop: PropertyInfo, pool: list[Any], keys: dict[str, dict[str, int]]
) -> st.SearchStrategy[Any]:
    """Draw comparison values for ``prop``: seen values, near misses and odd ones."""
    type_name = prop.step.type_name
    if prop.enum is not None:
        return st.sampled_from(list(prop.enum.values))
    if type_name == "Boolean":
        return st.booleans()
    seen = st.sampled_from(pool) if pool else st.nothing()
    if type_name in ("String", "Json"):
        texts = [str(value) for value in pool]
        pieces = st.sampled_from(texts or [""]).flatmap(
            lambda text: st.integers(0, len(text)).map(lambda end: text[:end])
        )
        return st.one_of(seen, pieces, st.sampled_from(_TEXT_EXTRAS))
    if type_name == "Id":
        natural = [f"#{key}" for key in keys.get(prop.step.node, {})]
        as_int = seen.map(int)
        return st.one_of(seen, as_int, st.sampled_from(natural + _ID_EXTRAS))
    if type_name == "Decimal":
        decimals = seen.map(parse_decimal)
        return st.one_of(decimals, shifted(decimals, _DECIMAL_STEPS))
    if type_name == "Datetime":
        moments = seen.map(parse_datetime)
        return st.one_of(moments, shifted(moments, _TIME_STEPS))
    if type_name == "Int":
        near = st.tuples(seen, st.sampled_from([-1, 0, 1])).map(sum)
        return st.one_of(seen, near, st.sampled_from(_INT_EXTRAS))
    raise AssertionError(f"no value strategy for {type_name}")


def operators_for(prop: PropertyInfo) -> list[str]:
    """Return the operators the filter language allows on ``prop``."""
    if prop.enum is not None or prop.step.type_name in ("Boolean", "Json"):
        return ["_eq", "_ne"]
    return ["_eq", "_ne", "_gt", "_gte", "_lt", "_lte"]


def regex_for(pool: list[Any]) -> st.SearchStrategy[str]:
    """Draw a pattern from a piece of a seen value, anchored or not."""
    texts = [str(value) for value in pool] or ["a"]
    piece = st.sampled_from(texts).flatmap(
        lambda text: st.tuples(st.integers(0, len(text)), st.integers(0, 3)).map(
            lambda bounds: re.escape(text[bounds[0] : bounds[0] + bounds[1]])
        )
    )
    return st.one_of(
        piece,
        piece.map(lambda pattern: "^" + pattern),
        piece.map(lambda pattern: pattern + "$"),
        st.sampled_from([".", "[0-9]", "^$", "\\d{3}", "[^A-Z]"]),
    )


def scalar_condition(
    prop: PropertyInfo, rows: list[Row], keys: dict[str, dict[str, int]]
) -> st.SearchStrategy[Any]:
    """Draw the value of a condition on a scalar or enum property."""
    pool = sorted({row[prop.step.property] for row in rows} - {None}, key=str)
    values = values_for(prop, pool, keys)
    operator = st.sampled_from(operators_for(prop))
    single = st.tuples(operator, values).map(lambda pair: {pair[0]: pair[1]})
    forms: list[st.SearchStrategy[Any]] = [
        values,
        st.none(),
        single,
        st.tuples(single, single)
        .filter(lambda pair: not pair[0].keys() & pair[1].keys())
        .map(lambda pair: {**pair[0], **pair[1]}),
        single.map(F.not_),
        st.lists(values, max_size=4).map(F.in_),
        st.lists(values, max_size=4).map(F.nin),
        st.sampled_from([F.eq(None), F.ne(None)]),
    ]
    if prop.step.type_name in ("String", "Id"):
        forms.append(regex_for(pool).map(F.regex))
        forms.append(regex_for(pool).map(lambda pattern: F.not_(F.regex(pattern))))
    return st.one_of(forms)


def node_conditions(
    node: GraphQLObjectType, rows: list[Row], keys: dict[str, dict[str, int]]
) -> st.SearchStrategy[Filter]:
    """Draw a condition of one property of ``node``, over the properties in ``rows``."""
    selected = set().union(*(row.keys() for row in rows)) if rows else set()
    options: list[st.SearchStrategy[Filter]] = []
    for prop in properties(node):
        name = prop.step.property
        if name not in selected:
            continue
        if prop.target is None:
            condition = scalar_condition(prop, rows, keys)
        elif prop.step.kind == "reference":
            targets = [row[name] for row in rows if row[name] is not None]
            condition = reference_condition(prop, targets, keys)
        else:
            children = [child for row in rows for child in edges_of(row[name]["query"])]
            condition = collection_condition(prop.target, children, keys)
        options.append(condition.map(functools.partial(keyed, name)))
    return st.one_of(options)


def keyed(name: str, value: Any) -> Filter:
    """Return the condition ``{name: value}``."""
    return {name: value}


def reference_condition(
    prop: PropertyInfo, targets: list[Row], keys: dict[str, dict[str, int]]
) -> st.SearchStrategy[Any]:
    """Draw the value of a condition on a reference: its ``_id`` or its properties."""
    assert prop.target is not None
    id_property = find_property(prop.target, "_id")
    assert isinstance(id_property, PropertyInfo)
    inner = node_conditions(prop.target, targets, keys)
    return st.one_of(
        scalar_condition(id_property, targets, keys),
        st.lists(inner, min_size=1, max_size=2).map(merge),
    )


def collection_condition(
    node: GraphQLObjectType, children: list[Row], keys: dict[str, dict[str, int]]
) -> st.SearchStrategy[Any]:
    """Draw a collection condition: conditions on the rows and a quantifier."""
    inner = st.lists(node_conditions(node, children, keys), max_size=2).map(merge)
    return st.one_of(
        inner,
        st.tuples(st.integers(0, 3), inner).map(lambda pair: F.at_least(*pair)),
        st.tuples(st.integers(0, 3), inner).map(lambda pair: F.at_most(*pair)),
        inner.map(F.every),
        inner.map(F.none),
    )


def merge(conditions: list[Filter]) -> Filter:
    """AND conditions in one object, or in ``_and`` when their keys clash."""
    merged: Filter = {}
    for condition in conditions:
        if merged.keys() & condition.keys():
            return dict(F.and_(*conditions))
        merged.update(condition)
    return merged


@st.composite
def item_conditions(draw: st.DrawFn, catalog: Catalog) -> Filter:
    """Draw a condition on one property of Item.

    The strategy is built once per catalog. Wrapping it here keeps its repr short,
    where hypothesis would otherwise print every sampled value.
    """
    if catalog.conditions is None:
        catalog.conditions = node_conditions(ITEM, catalog.items, catalog.keys)
    return draw(catalog.conditions)


def item_filters(catalog: Catalog) -> st.SearchStrategy[Filter | list[Filter]]:
    """Draw filters on Item, combining conditions with _and, _or, _not and lists."""
    leaves = item_conditions(catalog)

    def combine(children: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
        groups = st.lists(children, min_size=0, max_size=3)
        return st.one_of(
            groups.map(merge),
            groups.map(lambda parts: dict(F.and_(*parts))),
            groups.map(lambda parts: dict(F.or_(*parts))),
            children.map(lambda part: dict(F.not_(part))),
        )

    tree = st.recursive(leaves, combine, max_leaves=6)
    return st.one_of(tree, st.lists(tree, max_size=3))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_emulator_filters_like_reference(
    catalog: Catalog, data: st.DataObject
) -> None:
    """Generated filters select the same items in the emulator and in Python."""
    text = build_filter(data.draw(item_filters(catalog)))
    expected = catalog.expected_ids(text)
    got = await catalog.matching_ids(text)
    assert got == expected, (
        f"filter {text}: the emulator also returned {sorted(got - expected, key=int)} "
        f"and left out {sorted(expected - got, key=int)}"
    )


# SQLite integers are signed 64-bit. Decimals are stored scaled by their decimal
# places, so weight (3 places) stores values up to about 9.2E+15.
OUT_OF_RANGE_FILTERS = [
    "{weight: {_lt: 1E+30}}",
    "{weight: {_in: [1E+30]}}",
    "{_id: '9223372036854775808'}",
    "{stockUnit: {_gt: '99999999999999999999'}}",
]


@pytest.mark.parametrize("text", OUT_OF_RANGE_FILTERS)
async def test_emulator_compares_values_beyond_64_bits(
    catalog: Catalog, text: str
) -> None:
    """Values too large to store still compare, matching the reference evaluation."""
    assert await catalog.matching_ids(text) == catalog.expected_ids(text)


# --- the reference evaluation on its own ------------------------------------

ROW: Row = {
    "_id": "7",
    "name": "Bolt",
    "weight": None,
    "stockUnit": {"_id": "3", "id": "EACH"},
    "category": None,
    "itemSites": [
        {"_id": "1", "isOrderable": True},
        {"_id": "2", "isOrderable": False},
    ],
}


def matches(text: str, row: Row = ROW, **options: Any) -> bool:
    """Evaluate the filter ``text`` on an Item ``row``."""
    return evaluate(compile_filter(text, ITEM, SCHEMA), row, **options)


def test_ne_matches_null_value() -> None:
    """_ne holds for a null value."""
    assert matches("{weight: {_ne: 2}}")


def test_gt_fails_on_null_value() -> None:
    """An ordering comparison with a null value is false."""
    assert not matches("{weight: {_gt: 2}}")


def test_null_reference_has_null_properties() -> None:
    """Properties read through a null reference are null."""
    assert matches("{category: {name: null}}")


def test_null_reference_fails_regex() -> None:
    """A regex on a property behind a null reference is false."""
    assert not matches("{category: {name: {_regex: '.'}}}")


def test_collection_without_quantifier_needs_one_match() -> None:
    """A collection condition without quantifier needs one matching row."""
    assert matches("{itemSites: {isOrderable: false}}")


def test_every_fails_when_one_row_differs() -> None:
    """_every fails when one child row does not match."""
    assert not matches("{itemSites: {_every: true, isOrderable: true}}")


def test_collection_read_from_connection_shape() -> None:
    """A collection given as query.edges reads the same as a list."""
    edges = [{"node": child} for child in ROW["itemSites"]]
    row = {**ROW, "itemSites": {"query": {"edges": edges}}}
    assert matches("{itemSites: {_atLeast: 2}}", row)


def test_id_compares_as_integer() -> None:
    """_id values compare as integers, so '10' is greater than '7'."""
    assert matches("{_id: {_lt: '10'}}")


def test_natural_key_resolved() -> None:
    """A '#key' value names the row the resolver returns."""
    keys = {("UnitOfMeasure", "EACH"): 3}

    def resolve(node: str, key: str) -> int | None:
        return keys.get((node, key))

    assert matches("{stockUnit: '#EACH'}", resolve_key=resolve)


def test_natural_key_without_resolver_rejected() -> None:
    """A '#key' value without resolve_key raises ValueError."""
    with pytest.raises(ValueError, match="resolve_key"):
        matches("{stockUnit: '#EACH'}")


def test_missing_property_rejected() -> None:
    """A property the row lacks raises LookupError naming it."""
    with pytest.raises(LookupError, match="'basePrice'"):
        matches("{basePrice: 2}")


def test_converted_values_evaluate() -> None:
    """Rows converted to Decimal and datetime values evaluate like text."""
    moment = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    row = {**ROW, "weight": Decimal("2.500"), "_createStamp": moment}
    assert matches(
        "{weight: 2.5, _createStamp: {_gte: '2024-05-01T12:00:00.000Z'}}", row
    )
