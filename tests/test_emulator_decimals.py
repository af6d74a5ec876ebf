"""Numbers with a fraction in request variables stay exact inside the emulator."""

from __future__ import annotations

import json
from decimal import Decimal

import aiohttp

from sage_dmo import SageDMOClient
from sage_dmo.emulator import Emulator
from sage_dmo.emulator._full_schema import SchemaOnlyTenant
from sage_dmo.emulator._scalars import dumps_exact

CREATE_ITEM = """
mutation CreateItem($data: Item_Input!) {
  xtremMasterData { item { create(data: $data) { id basePrice _customData } } }
}
"""


def test_dumps_exact_keeps_every_digit() -> None:
    """Decimals become JSON numbers digit for digit, strings stay strings."""
    text = dumps_exact(
        {"ratio": Decimal("1.2500000000000000001"), "list": [Decimal("-3E+2"), "1.5"]}
    )
    assert text == '{"ratio":1.2500000000000000001,"list":[-3E+2,"1.5"]}'


async def test_json_input_with_fraction(emulator: Emulator) -> None:
    """A Json input holding a fraction is stored with its exact digits."""
    async with SageDMOClient(emulator.settings()) as client:
        token = client.transport.token_manager.current
        assert token is not None
        body = json.dumps(
            {
                "query": CREATE_ITEM,
                "variables": {
                    "data": {
                        "id": "JSON-1",
                        "name": "Json fraction",
                        "basePrice": 12345678901.2345,
                        "_customData": {"ratio": 1.25},
                    }
                },
            }
        )
        headers = {
            "Authorization": f"Bearer {token.access_token.reveal()}",
            "Content-Type": "application/json",
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(emulator.graphql_url, data=body, headers=headers) as response,
        ):
            result = await response.json()
    assert "errors" not in result
    item = result["data"]["xtremMasterData"]["item"]["create"]
    assert item["basePrice"] == "12345678901.2345"
    assert json.loads(item["_customData"]) == {"ratio": 1.25}


def test_full_schema_accepts_decimal_variables() -> None:
    """The schema-only tenant answers a request whose variables hold a Decimal."""
    tenant = SchemaOnlyTenant()
    try:
        response = tenant.execute(
            "query Q($x: String!) { __type(name: $x) { name } }",
            {"x": Decimal("1.5")},
        )
    finally:
        tenant.close()
    # The Decimal is no valid String, so the tenant reports it rather than raising.
    assert response["data"] is None
    assert "$x" in response["errors"][0]["message"]
