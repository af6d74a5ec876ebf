"""SageDMOClient: lifecycle states, typed results and exact variables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from graphql import build_schema

from sage_dmo import ClientStateError, QueryValidationError, SageDMOClient, dumps_json
from sage_dmo.emulator import Emulator

from .conftest import SITES_QUERY

MakeClient = Callable[..., SageDMOClient]

SCHEMA_PATH = Path(__file__).parent.parent / "sage_dmo" / "emulator" / "schema.graphql"

CREATE_ITEM = """
mutation CreateItem($data: Item_Input!) {
  xtremMasterData { item { create(data: $data) {
    id basePrice weight _createStamp
  } } }
}
"""


async def test_execute_before_open_raises(make_client: MakeClient) -> None:
    """A client used before open() raises ClientStateError saying how to open it."""
    client = make_client()
    with pytest.raises(ClientStateError, match="async with"):
        await client.execute(SITES_QUERY)


async def test_closed_client_cannot_reopen(make_client: MakeClient) -> None:
    """A closed client raises on open() instead of failing deep inside."""
    client = make_client()
    async with client:
        pass
    with pytest.raises(ClientStateError, match="cannot be reopened"):
        await client.open()


async def test_open_twice_raises(make_client: MakeClient) -> None:
    """Opening an open client raises ClientStateError."""
    async with make_client() as client:
        with pytest.raises(ClientStateError, match="already open"):
            await client.open()


async def test_aclose_is_idempotent(
    emulator: Emulator, make_client: MakeClient
) -> None:
    """Closing twice invalidates once and raises nothing."""
    client = make_client()
    await client.open()
    await client.aclose()
    await client.aclose()
    assert emulator.counters.invalidations == 1


async def test_syntax_error_names_location(make_client: MakeClient) -> None:
    """A query that does not parse raises QueryValidationError with line:column."""
    async with make_client() as client:
        with pytest.raises(QueryValidationError, match="1:10: Syntax Error"):
            await client.execute("{ site { ")


async def test_typed_results_are_exact(make_client: MakeClient) -> None:
    """execute_typed returns Decimal and aware datetime values, digit for digit."""
    schema = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
    async with make_client(schema=schema) as client:
        data = await client.execute_typed(
            CREATE_ITEM,
            {
                "data": {
                    "id": "TYPED-1",
                    "name": "Typed",
                    "basePrice": Decimal("1234567890123.4567"),
                    "weight": Decimal("0.125"),
                }
            },
        )
    item = data["xtremMasterData"]["item"]["create"]
    assert item["basePrice"] == Decimal("1234567890123.4567")
    assert isinstance(item["basePrice"], Decimal)
    assert item["weight"] == Decimal("0.125")
    assert isinstance(item["_createStamp"], dt.datetime)
    assert item["_createStamp"].tzinfo is not None


async def test_typed_results_need_schema(make_client: MakeClient) -> None:
    """execute_typed without a schema raises and says to pass one."""
    async with make_client() as client:
        with pytest.raises(ClientStateError, match="schema="):
            await client.execute_typed(SITES_QUERY)


def test_dumps_json_writes_exact_values() -> None:
    """Decimal, date and datetime variables become exact strings, never floats."""
    moment = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone.utc)
    text = dumps_json(
        {"price": Decimal("0.1000"), "day": dt.date(2026, 3, 1), "at": moment}
    )
    assert text == (
        '{"price": "0.1000", "day": "2026-03-01", "at": "2026-03-01T12:30:00.000Z"}'
    )


def test_dumps_json_rejects_naive_datetime() -> None:
    """A naive datetime raises instead of guessing a time zone."""
    with pytest.raises(ValueError, match="no time zone"):
        dumps_json({"at": dt.datetime(2026, 3, 1, 12, 30)})


async def test_schema_check_reports_every_error(
    emulator: Emulator, make_client: MakeClient
) -> None:
    """With a schema, all errors, filter problems included, raise before sending."""
    schema = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
    query = """{
  xtremMasterData {
    item {
      query(filter: "{weight: {_regex: 'x'}}") { totalCount nosuchField }
    }
  }
}"""
    async with make_client(schema=schema) as client:
        with pytest.raises(QueryValidationError) as caught:
            await client.execute(query)
    assert len(caught.value.errors) == 2
    message = str(caught.value)
    assert "nosuchField" in message
    assert "_regex" in message
    assert "4:" in message
    assert sum(emulator.counters.graphql_requests.values()) == 0


async def test_schema_check_can_be_turned_off(
    emulator: Emulator, make_client: MakeClient
) -> None:
    """validate=False sends the operation and the server reports the error."""
    schema = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
    async with make_client(schema=schema, validate=False) as client:
        result = await client.execute_result("{ nosuchField }")
    assert result.errors
    assert emulator.counters.graphql_requests[200] == 1
