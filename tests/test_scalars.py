"""Tests of exact scalars: typed results and variables, against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from graphql import build_client_schema, build_schema, get_introspection_query
from hypothesis import given
from hypothesis import strategies as st

from sage_dmo import SageDMOClient, dumps_json
from sage_dmo._filter_builder import build_filter
from sage_dmo._scalars import (
    convert_result,
    format_datetime,
    format_decimal,
    parse_datetime,
    parse_decimal,
    serialize_variables,
)

SCHEMA = build_schema(
    resources.files("sage_dmo.emulator").joinpath("schema.graphql").read_text("utf-8")
)
MakeClient = Callable[..., SageDMOClient]
SMILE = "\U0001f600"

ITEMS = """
query Items($filter: String) {
  xtremMasterData { item { query(filter: $filter, first: 5) { edges { node {
    _id
    price: basePrice
    _customData
    ...Stamps
    ... on Item { weight }
    stockUnit { _id name }
    itemSites { query { edges { node { safetyStock site { _id } } } } }
  } } } } }
}
fragment Stamps on Item { _createStamp _updateStamp }
"""
CREATE_ITEM = """
mutation CreateItem($data: Item_Input!) {
  xtremMasterData { item { create(data: $data) { _id name weight basePrice } } }
}
"""
CREATE_ORDER = """
mutation CreateOrder($data: SalesOrder_Input!) {
  xtremSales { salesOrder { create(data: $data) {
    orderDate
    requestedDeliveryDate
    lines { query { edges { node { grossPrice quantityInSalesUnit } } } }
  } } }
}
"""


def first_item(data: dict[str, Any]) -> dict[str, Any]:
    """Return the first node of an Items response."""
    node: dict[str, Any] = data["xtremMasterData"]["item"]["query"]["edges"][0]["node"]
    return node


# --- formatting ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1E+2"), "100"),
        (Decimal("1.50"), "1.50"),
        (Decimal("-0.000001"), "-0.000001"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("-0"), "-0"),
        (Decimal("1E+51"), "1E+51"),
        (Decimal("1E-60"), "1E-60"),
    ],
)
def test_decimal_text(value: Decimal, text: str) -> None:
    """Decimals are written positionally unless that needs over 50 zeros."""
    assert format_decimal(value) == text


def test_datetime_text_in_utc() -> None:
    """A datetime in any zone is written in UTC with milliseconds."""
    moment = datetime(2024, 1, 1, 1, 0, 0, 123000, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(moment) == "2023-12-31T23:00:00.123Z"


def test_datetime_outside_utc_range_rejected() -> None:
    """A datetime that leaves the years 1 to 9999 in UTC raises ValueError."""
    moment = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    with pytest.raises(ValueError, match="outside the years 1 to 9999"):
        format_datetime(moment)


def test_float_output_rejected() -> None:
    """A float where a Decimal is expected raises ValueError."""
    with pytest.raises(ValueError, match="not exact"):
        parse_decimal(6.27)


def test_datetime_text_parsed_as_utc() -> None:
    """Datetime text becomes an aware datetime in UTC."""
    moment = parse_datetime("2025-08-01T09:30:00.250Z")
    assert moment == datetime(2025, 8, 1, 9, 30, 0, 250000, tzinfo=timezone.utc)
    assert moment.tzinfo is timezone.utc


# --- typed results from the emulator --------------------------------------------


async def test_scalars_converted_in_response(make_client: MakeClient) -> None:
    """Decimal and Datetime values become Decimal and aware datetime."""
    async with make_client() as client:
        data = await client.execute(ITEMS, {"filter": "{weight: {_ne: null}}"})
    node = first_item(convert_result(data, ITEMS, SCHEMA))
    raw = first_item(data)
    assert node["price"] == Decimal(raw["price"])
    assert isinstance(node["price"], Decimal)
    assert isinstance(node["weight"], Decimal)
    assert node["_createStamp"] == parse_datetime(raw["_createStamp"])
    assert node["_updateStamp"].tzinfo is timezone.utc


async def test_id_and_json_stay_strings(make_client: MakeClient) -> None:
    """Id and Json values are left as strings."""
    async with make_client() as client:
        data = await client.execute(ITEMS)
    node = first_item(convert_result(data, ITEMS, SCHEMA))
    assert node["_id"] == first_item(data)["_id"]
    assert isinstance(node["_id"], str)
    assert isinstance(node["_customData"], str)


async def test_nested_connection_converted(make_client: MakeClient) -> None:
    """Values inside a collection's connection are converted."""
    async with make_client() as client:
        data = await client.execute(ITEMS, {"filter": "{itemSites: {_atLeast: 1}}"})
    node = first_item(convert_result(data, ITEMS, SCHEMA))
    site = node["itemSites"]["query"]["edges"][0]["node"]
    assert isinstance(site["safetyStock"], Decimal)
    assert isinstance(site["site"]["_id"], str)


async def test_null_values_stay_null(make_client: MakeClient) -> None:
    """A null Decimal stays None."""
    async with make_client() as client:
        data = await client.execute(ITEMS, {"filter": "{weight: null}"})
    node = first_item(convert_result(data, ITEMS, SCHEMA))
    assert node["weight"] is None


async def test_response_left_unchanged(make_client: MakeClient) -> None:
    """convert_result returns a new dict and leaves the response as it was."""
    async with make_client() as client:
        data = await client.execute(ITEMS)
    before = json.dumps(data)
    convert_result(data, ITEMS, SCHEMA)
    assert json.dumps(data) == before


async def test_dates_converted_in_mutation(make_client: MakeClient) -> None:
    """Date outputs of a mutation become date values."""
    variables = {
        "data": {
            "soldToCustomer": "1",
            "site": "1",
            "orderDate": date(2024, 2, 29),
            "lines": [{"item": "1", "quantityInSalesUnit": Decimal("2.5")}],
        }
    }
    async with make_client() as client:
        sent = serialize_variables(variables, CREATE_ORDER, SCHEMA)
        data = await client.execute(CREATE_ORDER, sent)
    order = convert_result(data, CREATE_ORDER, SCHEMA)["xtremSales"]["salesOrder"]
    line = order["create"]["lines"]["query"]["edges"][0]["node"]
    assert order["create"]["orderDate"] == date(2024, 2, 29)
    assert order["create"]["requestedDeliveryDate"] is None
    assert line["quantityInSalesUnit"] == Decimal("2.5")


async def test_aggregates_converted(make_client: MakeClient) -> None:
    """Aggregate values follow their types, including Decimal averages."""
    query = """{ xtremMasterData { item { readAggregate {
      weight { min sum avg distinctCount } _createStamp { max }
    } } } }"""
    async with make_client() as client:
        data = await client.execute(query)
    aggregate = convert_result(data, query, SCHEMA)["xtremMasterData"]["item"]
    values = aggregate["readAggregate"]
    assert isinstance(values["weight"]["avg"], Decimal)
    assert isinstance(values["weight"]["distinctCount"], int)
    assert isinstance(values["_createStamp"]["max"], datetime)


async def test_introspected_schema_converts(make_client: MakeClient) -> None:
    """A schema built from introspection converts as the SDL schema does."""
    async with make_client() as client:
        introspection = await client.execute(get_introspection_query())
        data = await client.execute(ITEMS)
    schema = build_client_schema(introspection)  # type: ignore[arg-type]
    assert convert_result(data, ITEMS, schema) == convert_result(data, ITEMS, SCHEMA)


async def test_typename_and_introspection_kept(make_client: MakeClient) -> None:
    """__typename and introspection fields are copied as they are."""
    query = '{ __typename __type(name: "Decimal") { name kind } }'
    async with make_client() as client:
        data = await client.execute(query)
    assert convert_result(data, query, SCHEMA) == data


async def test_named_operation_chosen(make_client: MakeClient) -> None:
    """operation_name picks the operation whose selections are walked."""
    document = ITEMS + "\nquery Other { __typename }"
    async with make_client() as client:
        data = await client.execute(document, operation_name="Items")
    node = first_item(convert_result(data, document, SCHEMA, operation_name="Items"))
    assert isinstance(node["price"], Decimal)


async def test_non_bmp_text_round_trips(make_client: MakeClient) -> None:
    """Text above U+FFFF survives a mutation, a read and a built filter."""
    name = f"Smile {SMILE} 'quoted' \\ end"
    variables = {"data": {"id": "SMILE-1", "name": name, "weight": Decimal("1.5E+1")}}
    async with make_client() as client:
        sent = serialize_variables(variables, CREATE_ITEM, SCHEMA)
        created = await client.execute(CREATE_ITEM, sent)
        found = await client.execute(ITEMS, {"filter": build_filter({"name": name})})
    item = convert_result(created, CREATE_ITEM, SCHEMA)["xtremMasterData"]["item"]
    assert item["create"]["name"] == name
    assert item["create"]["weight"] == Decimal(15)
    assert first_item(found)["_id"] == item["create"]["_id"]


# --- errors and documents ----------------------------------------------------------


def test_invalid_decimal_names_path() -> None:
    """A value without its type's form raises ValueError naming its path."""
    query = "{ xtremMasterData { item { read(_id: 1) { w: weight } } } }"
    data = {"xtremMasterData": {"item": {"read": {"w": "heavy"}}}}
    with pytest.raises(ValueError, match=r"xtremMasterData\.item\.read\.w"):
        convert_result(data, query, SCHEMA)


def test_list_of_objects_converted() -> None:
    """Each element of a list of objects is converted."""
    query = "{ xtremMasterData { item { query { edges { node { weight } } } } } }"
    edges = [{"node": {"weight": "1.5"}}, {"node": {"weight": None}}]
    data = {"xtremMasterData": {"item": {"query": {"edges": edges}}}}
    converted = convert_result(data, query, SCHEMA)["xtremMasterData"]["item"]
    assert [edge["node"]["weight"] for edge in converted["query"]["edges"]] == [
        Decimal("1.5"),
        None,
    ]


def test_skipped_field_left_out() -> None:
    """A field left out of the response by @skip is not required."""
    query = """query($s: Boolean!) {
      xtremMasterData { item { read(_id: 1) { weight @skip(if: $s) basePrice } } }
    }"""
    data = {"xtremMasterData": {"item": {"read": {"basePrice": "2"}}}}
    converted = convert_result(data, query, SCHEMA)["xtremMasterData"]["item"]
    assert converted["read"] == {"basePrice": Decimal(2)}


def test_missing_operation_rejected() -> None:
    """An unknown operation name raises ValueError."""
    with pytest.raises(ValueError, match="no operation named 'Nope'"):
        convert_result({}, ITEMS, SCHEMA, operation_name="Nope")


def test_several_operations_need_name() -> None:
    """A document with several operations needs operation_name."""
    with pytest.raises(ValueError, match="pass operation_name"):
        convert_result({}, ITEMS + "\nquery Other { __typename }", SCHEMA)


# --- variables ---------------------------------------------------------------------

DATED = (
    "query($at: Datetime, $on: Date, $amount: Decimal!, $name: String) { __typename }"
)


def test_variables_written_for_declared_types() -> None:
    """Decimal, Date and Datetime variables get their wire text."""
    variables = {
        "at": datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2))),
        "on": date(2024, 5, 1),
        "amount": Decimal("1E+2"),
        "name": "x",
        "extra": Decimal("1.5"),
    }
    assert serialize_variables(variables, DATED, SCHEMA) == {
        "at": "2024-05-01T12:30:00.000Z",
        "on": "2024-05-01",
        "amount": "100",
        "name": "x",
        "extra": Decimal("1.5"),
    }


def test_nested_input_written() -> None:
    """Values inside input objects and lists follow their declared types."""
    variables = {
        "data": {
            "orderDate": date(2024, 1, 2),
            "lines": ({"grossPrice": Decimal("0.10"), "item": 1},),
        }
    }
    sent = serialize_variables(variables, CREATE_ORDER, SCHEMA)
    assert sent == {
        "data": {
            "orderDate": "2024-01-02",
            "lines": [{"grossPrice": "0.10", "item": 1}],
        }
    }


def test_float_variable_rejected() -> None:
    """A float for a Decimal variable raises TypeError suggesting Decimal."""
    with pytest.raises(TypeError, match=r"\$amount: float 2\.5 is not exact"):
        serialize_variables({"amount": 2.5}, DATED, SCHEMA)


def test_naive_datetime_variable_rejected() -> None:
    """A naive datetime for a Datetime variable raises ValueError."""
    with pytest.raises(ValueError, match=r"\$at: naive datetime"):
        serialize_variables({"at": datetime(2024, 5, 1)}, DATED, SCHEMA)


def test_datetime_for_date_rejected() -> None:
    """A datetime for a Date variable raises TypeError."""
    with pytest.raises(TypeError, match=r"\$on: datetime .* is not a Date"):
        serialize_variables({"on": datetime(2024, 5, 1)}, DATED, SCHEMA)


def test_nan_variable_rejected() -> None:
    """A NaN Decimal variable raises ValueError."""
    with pytest.raises(ValueError, match="not a finite number"):
        serialize_variables({"amount": Decimal("NaN")}, DATED, SCHEMA)


decimals = st.decimals(allow_nan=False, allow_infinity=False)
moments = st.datetimes(timezones=st.just(timezone.utc)).map(
    lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)
)


@given(amount=decimals, at=moments, on=st.dates())
def test_wire_values_agree_with_client_json(
    amount: Decimal, at: datetime, on: date
) -> None:
    """Serialized variables and the client's JSON encoder give the same values."""
    variables = {"amount": amount, "at": at, "on": on}
    ours = json.loads(dumps_json(serialize_variables(variables, DATED, SCHEMA)))
    client = json.loads(dumps_json(variables))
    assert Decimal(ours["amount"]) == Decimal(client["amount"])
    assert ours["at"] == client["at"]
    assert ours["on"] == client["on"]


@given(decimals)
def test_plain_decimal_text_matches_client(amount: Decimal) -> None:
    """Where str() writes no exponent, both write the same Decimal text."""
    if "E" not in str(amount):
        assert serialize_variables({"amount": amount}, DATED, SCHEMA)["amount"] == str(
            amount
        )
