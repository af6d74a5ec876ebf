"""The four ways the benchmark sends its query, from raw aiohttp to SageDMOClient.

Every variant sends the same query, variables and operation name, and checks
that the response contains a full page of item nodes.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.aiohttp import AIOHTTPTransport

from sage_dmo import SageDMOClient, SageDMOTransport, Secret, Settings

from . import _server
from ._server import ServerInfo

__all__ = [
    "OPERATION_NAME",
    "QUERY",
    "VARIABLES",
    "PlainGql",
    "RawAiohttp",
    "SageClient",
    "SageTransportGql",
    "Variant",
    "make_variants",
]

OPERATION_NAME = "ItemPage"
QUERY = """
query ItemPage($first: Int, $filter: String, $orderBy: String) {
  xtremMasterData {
    item {
      query(first: $first, filter: $filter, orderBy: $orderBy) {
        totalCount
        pageInfo { endCursor hasNextPage }
        edges {
          cursor
          node {
            _id id name description status isActive type
            isBought isSold isManufactured isStockManaged eanNumber
            stockUnit { id name }
            salesUnit { id name }
            currency { id }
            weight basePrice minimumPrice
            category { id name }
            _updateStamp _etag
          }
        }
      }
    }
  }
}
"""
VARIABLES: dict[str, Any] = {
    "first": _server.PAGE_SIZE,
    "filter": "{isActive: true, type: {_in: ['good', 'service']}}",
    "orderBy": "{id: 1}",
}


def _check_page(data: Mapping[str, Any]) -> None:
    edges = data["xtremMasterData"]["item"]["query"]["edges"]
    if len(edges) != _server.PAGE_SIZE:
        raise ValueError(
            f"the response has {len(edges)} item nodes, expected {_server.PAGE_SIZE}"
        )


def _settings(server: ServerInfo) -> Settings:
    return Settings(
        client_id=_server.CLIENT_ID,
        client_secret=Secret(_server.CLIENT_SECRET),
        tenant_id=_server.TENANT_ID,
        token_url=server.token_url,
    )


class Variant(ABC):
    """One way of sending the query. ``call`` sends it once and checks the response."""

    key: str
    label: str

    @abstractmethod
    async def open(self, server: ServerInfo, bearer: str) -> None:
        """Connect and authenticate, outside the measured time."""

    @abstractmethod
    async def call(self) -> None:
        """Send the query once, and raise if it fails or returns less than a page."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections and tokens."""


class RawAiohttp(Variant):
    """The minimum any client does: ``json.dumps``, one POST, ``json.loads``."""

    key = "a"
    label = "raw aiohttp, static header"

    async def open(self, server: ServerInfo, bearer: str) -> None:
        self._url = server.graphql_url
        self._headers = {
            "Authorization": f"Bearer {bearer}",
            "Content-Type": "application/json",
        }
        self._session = aiohttp.ClientSession()

    async def call(self) -> None:
        payload = {
            "query": QUERY,
            "variables": VARIABLES,
            "operationName": OPERATION_NAME,
        }
        body = json.dumps(payload).encode()
        async with self._session.post(
            self._url, data=body, headers=self._headers
        ) as response:
            raw = await response.read()
            if response.status != 200:
                raise ValueError(
                    f"the request failed with HTTP {response.status}: {raw[:200]!r}"
                )
        result = json.loads(raw)
        if result.get("errors"):
            raise ValueError(f"the response contains errors: {result['errors']}")
        _check_page(result["data"])

    async def close(self) -> None:
        await self._session.close()


class _GqlVariant(Variant):
    """A gql ``Client`` session around a transport, sending one prepared request."""

    _session: AsyncClientSession

    async def _connect(self, transport: AIOHTTPTransport) -> None:
        # A user parses the query once, at import time, and sends it many times.
        self._request = GraphQLRequest(
            QUERY, variable_values=VARIABLES, operation_name=OPERATION_NAME
        )
        self._exit_stack = AsyncExitStack()
        client = Client(transport=transport)
        self._session = await self._exit_stack.enter_async_context(client)

    async def call(self) -> None:
        _check_page(await self._session.execute(self._request))

    async def close(self) -> None:
        await self._exit_stack.aclose()


class PlainGql(_GqlVariant):
    key = "b"
    label = "gql Client + AIOHTTPTransport, static header"

    async def open(self, server: ServerInfo, bearer: str) -> None:
        headers = {"Authorization": f"Bearer {bearer}"}
        await self._connect(AIOHTTPTransport(server.graphql_url, headers=headers))


class SageTransportGql(_GqlVariant):
    key = "c"
    label = "gql Client + SageDMOTransport"

    async def open(self, server: ServerInfo, bearer: str) -> None:
        await self._connect(SageDMOTransport(_settings(server)))


class SageClient(Variant):
    key = "d"
    label = "SageDMOClient.execute"

    async def open(self, server: ServerInfo, bearer: str) -> None:
        self._client = SageDMOClient(_settings(server))
        await self._client.open()

    async def call(self) -> None:
        data = await self._client.execute(
            QUERY, VARIABLES, operation_name=OPERATION_NAME
        )
        _check_page(data)

    async def close(self) -> None:
        await self._client.aclose()


def make_variants() -> list[Variant]:
    """Return one fresh instance of each variant, (a) first."""
    return [RawAiohttp(), PlainGql(), SageTransportGql(), SageClient()]
