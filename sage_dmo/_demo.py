"""``sage-dmo demo``: the main job of an SDMO integration, run against the emulator.

Everything goes through the public client API, as an integration would; only the
emulator's counters are read from the server side, to report what it saw.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any, TextIO

from ._client import SageDMOClient
from .emulator import Emulator

__all__ = ["run_demo"]

PAGE_SIZE = 500
WORKERS = 100
QUERIES_PER_WORKER = 5

CATEGORY_PAGE = """
query CategoryPage($after: String) {
  xtremMasterData {
    itemCategory {
      query(first: 500, after: $after, orderBy: "{_createStamp: 1}") {
        totalCount
        pageInfo { endCursor hasNextPage }
        edges { node { _id id name type _createStamp } }
      }
    }
  }
}
"""

FIRST_UNIT = """
{ xtremMasterData { unitOfMeasure { query(first: 1, orderBy: "{id: 1}") {
  edges { node { id name } } } } } }
"""

ITEMS_BY_UNIT = """
query ItemsByUnit($filter: String) {
  xtremMasterData {
    item {
      query(filter: $filter, first: 50, orderBy: "{id: 1}") {
        totalCount
        edges { node { _id id name basePrice stockUnit { id } } }
      }
    }
  }
}
"""

ORDER_PARTIES = """
{
  xtremMasterData {
    customer { query(first: 1, filter: "{isActive: true, isOnHold: false}") {
      edges { node { _id id name } } } }
  }
  xtremSystem {
    site { query(first: 1, filter: "{isSales: true}") { edges { node { _id id } } } }
  }
}
"""

CREATE_ORDER = """
mutation CreateOrder($data: SalesOrder_Input!) {
  xtremSales {
    salesOrder {
      create(data: $data) {
        _id
        number
        lines { query { totalCount edges { node { item { id } amountExcludingTax } } } }
      }
    }
  }
}
"""

SITE_COUNT = "query SiteCount { xtremSystem { site { query { totalCount } } } }"


async def run_demo(out: TextIO, *, rows: int = 1200) -> int:
    """Run the main job against an in-process emulator; return the exit status."""
    started = time.perf_counter()
    # Short lifetimes, so that the run crosses an access-token expiry in seconds.
    emulator = Emulator(
        rows=rows, access_token_lifetime=4.0, refresh_token_lifetime=120.0
    )
    checks: list[tuple[str, bool]] = []
    rows_read = 0
    async with emulator:
        out.write(f"SDMO emulator on {emulator.base_url} ({rows} rows per node)\n")
        client = SageDMOClient(emulator.settings(), refresh_margin=1.0)
        async with client:
            out.write(f"1. token acquired; tenant GraphQL URL {client.graphql_url}\n")
            checks.append(
                ("URL from token response", client.graphql_url == emulator.graphql_url)
            )

            categories, pages = await _sync_categories(client)
            rows_read += categories
            out.write(
                f"2. itemCategory synchronised: {categories} rows in {pages} pages "
                f"of up to {PAGE_SIZE}, ordered by _createStamp\n"
            )
            checks.append(("all categories read", categories == rows))

            unit, items, total = await _items_by_unit(client)
            rows_read += items
            out.write(
                f"3. items whose stock unit is {unit!r}: {total} in all, first page "
                f"of {items} read\n"
            )
            checks.append(("items filtered through a reference", total > 0))

            number, line_count, amount = await _create_order(client)
            out.write(
                f"4. sales order {number} created with {line_count} lines, "
                f"{amount} excluding tax\n"
            )
            checks.append(("order has two lines", line_count == 2))

            renewals_before = client.token_stats.renewals
            sent, failures = await _cross_expiry(client)
            renewals = client.token_stats.renewals - renewals_before
            out.write(
                f"5. {WORKERS} concurrent workers sent {sent} queries across the "
                f"access-token expiry: {failures} errors, {renewals} renewal\n"
            )
            checks.append(("no errors under load", failures == 0))
            checks.append(("one renewal under load", renewals == 1))
        counters = emulator.counters
        out.write(
            f"6. client closed; {counters.invalidations} invalidation of both tokens\n"
        )
        checks.append(("tokens invalidated", counters.invalidations == 1))
        checks.append(
            ("no spent refresh token", counters.spent_refresh_token_reuses == 0)
        )
    elapsed = time.perf_counter() - started
    failed = [name for name, passed in checks if not passed]
    out.write(
        f"\nrows read: {rows_read}; token acquisitions: {counters.acquisitions}, "
        f"renewals: {counters.renewals}, invalidations: {counters.invalidations}; "
        f"GraphQL requests: {sum(counters.graphql_requests.values())}; "
        f"elapsed: {elapsed:.1f} s\n"
    )
    if failed:
        out.write(f"FAILED checks: {', '.join(failed)}\n")
        return 1
    out.write("all checks passed\n")
    return 0


async def _sync_categories(client: SageDMOClient) -> tuple[int, int]:
    after: str | None = None
    count = pages = 0
    while True:
        data = await client.execute(CATEGORY_PAGE, {"after": after})
        connection = data["xtremMasterData"]["itemCategory"]["query"]
        count += len(connection["edges"])
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            return count, pages
        # Cursors contain double quotes, so they travel as variables.
        after = connection["pageInfo"]["endCursor"]


async def _items_by_unit(client: SageDMOClient) -> tuple[str, int, int]:
    units = await client.execute(FIRST_UNIT)
    unit = units["xtremMasterData"]["unitOfMeasure"]["query"]["edges"][0]["node"]["id"]
    escaped = unit.replace("\\", "\\\\").replace("'", "\\'")
    filter_text = f"{{stockUnit: {{id: '{escaped}'}}}}"
    data = await client.execute(ITEMS_BY_UNIT, {"filter": filter_text})
    connection = data["xtremMasterData"]["item"]["query"]
    return unit, len(connection["edges"]), connection["totalCount"]


async def _create_order(client: SageDMOClient) -> tuple[str, int, str]:
    parties = await client.execute(ORDER_PARTIES)
    customer = _first_node(parties["xtremMasterData"]["customer"])
    site = _first_node(parties["xtremSystem"]["site"])
    items = await client.execute(
        ITEMS_BY_UNIT, {"filter": "{isSold: true, isActive: true}"}
    )
    edges = items["xtremMasterData"]["item"]["query"]["edges"]
    lines: list[dict[str, Any]] = [
        {
            "_action": "create",
            "item": edge["node"]["_id"],
            "quantityInSalesUnit": quantity,
            "grossPrice": edge["node"]["basePrice"] or "1.00",
        }
        for edge, quantity in zip(edges[:2], ("3", "1.5"), strict=False)
    ]
    data = await client.execute(
        CREATE_ORDER,
        {
            "data": {
                "soldToCustomer": customer["_id"],
                "site": site["_id"],
                "customerNumber": "DEMO-0001",
                "lines": lines,
            }
        },
    )
    order = data["xtremSales"]["salesOrder"]["create"]
    line_edges = order["lines"]["query"]["edges"]
    amount = sum(
        (Decimal(edge["node"]["amountExcludingTax"]) for edge in line_edges),
        Decimal(0),
    )
    return order["number"], len(line_edges), str(amount)


def _first_node(operations: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = operations["query"]["edges"][0]["node"]
    return node


async def _cross_expiry(client: SageDMOClient) -> tuple[int, int]:
    """Keep 100 queries in flight while the access token reaches its renewal point."""
    current = client.transport.token_manager.current
    assert current is not None  # noqa: S101 - the client is open
    wait = current.renew_at - time.monotonic() - 0.15
    if wait > 0:
        await asyncio.sleep(wait)

    async def worker() -> int:
        failures = 0
        for _ in range(QUERIES_PER_WORKER):
            try:
                await client.execute(SITE_COUNT)
            except Exception:  # counted and reported by the demo
                failures += 1
        return failures

    results = await asyncio.gather(*(worker() for _ in range(WORKERS)))
    return WORKERS * QUERIES_PER_WORKER, sum(results)
