"""The benchmark's loopback server process and the handle that starts and stops it.

The child serves the emulator's token API and one canned GraphQL page. Run as
``python -m bench._server``, it prints its URLs as one JSON line once it
listens, and stops when its standard input closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from sage_dmo.emulator._token_api import (
    EmulatorCounters,
    TokenAPI,
    TokenPolicy,
    bearer_token,
)

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "GRAPHQL_PATH",
    "PAGE_SIZE",
    "TENANT_ID",
    "ServerInfo",
    "ServerProcess",
    "acquire_bearer",
    "item_page",
    "main",
    "make_app",
    "server_cpu_seconds",
]

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"
TENANT_ID = "bench-tenant"
GRAPHQL_PATH = f"/tenants/{TENANT_ID}/graphql"
STATS_PATH = "/stats"
PAGE_SIZE = 20
"""Item nodes in every GraphQL response: SDMO's default page size."""
START_TIMEOUT = 30.0
"""Seconds to wait for the server process to print that it listens."""
REPOSITORY = Path(__file__).resolve().parent.parent
"""The directory that contains ``bench/``, where ``python -m bench._server`` runs."""
STOP_TIMEOUT = 10.0
"""Seconds to wait for the server process to exit before it is killed."""

# The static bearer of the raw and plain-gql variants must stay valid for the
# longest run, so access tokens here live for a day instead of SDMO's 15 minutes.
ACCESS_TOKEN_LIFETIME = 86_400.0

_UNITS = (("EACH", "Each"), ("KG", "Kilogram"), ("M", "Metre"), ("L", "Litre"))
_CATEGORIES = (
    ("FASTENERS", "Fasteners"),
    ("RAW", "Raw materials"),
    ("PACKAGING", "Packaging"),
    ("SPARES", "Spare parts"),
)
_TYPES = ("good", "good", "good", "service")
_WORDS = ("Hex bolt", "Steel sheet", "Carton", "Bearing", "Gasket", "Paint")


def _item_node(number: int) -> dict[str, Any]:
    unit_id, unit_name = _UNITS[number % len(_UNITS)]
    category_id, category_name = _CATEGORIES[number % len(_CATEGORIES)]
    word = _WORDS[number % len(_WORDS)]
    price_cents = 627 + 113 * number
    return {
        "_id": str(1000 + number),
        "id": f"ITEM-{number:04d}",
        "name": f"{word} {number:04d}",
        "description": f"{word}, grade {number % 7 + 1}, sold by the {unit_name}",
        "status": "active",
        "isActive": number % 11 != 0,
        "type": _TYPES[number % len(_TYPES)],
        "isBought": True,
        "isSold": number % 3 != 0,
        "isManufactured": number % 5 == 0,
        "isStockManaged": True,
        "eanNumber": f"59012341{number:05d}",
        "stockUnit": {"id": unit_id, "name": unit_name},
        "salesUnit": {"id": unit_id, "name": unit_name},
        "currency": {"id": "EUR"},
        # Decimal values are strings on output, as SDMO sends them.
        "weight": f"{0.034 * (number + 1):.3f}",
        "basePrice": f"{price_cents / 100:.2f}",
        "minimumPrice": f"{price_cents * 0.8 / 100:.2f}",
        "category": {"id": category_id, "name": category_name},
        "_updateStamp": f"2025-11-03T09:{number % 60:02d}:22.317Z",
        "_etag": f'W/"{number:08x}-{price_cents:06x}"',
    }


def item_page(size: int = PAGE_SIZE, total: int = 300) -> dict[str, Any]:
    """Build a GraphQL response body with one page of ``xtremMasterData.item`` nodes."""
    edges = []
    for number in range(1, size + 1):
        # SDMO cursors are opaque strings that contain double quotes.
        cursor = f'["ITEM-{number:04d}",{1000 + number}]#{number * 37 % 100:02d}'
        edges.append({"cursor": cursor, "node": _item_node(number)})
    return {
        "data": {
            "xtremMasterData": {
                "item": {
                    "query": {
                        "totalCount": total,
                        "pageInfo": {
                            "endCursor": edges[-1]["cursor"] if edges else None,
                            "hasNextPage": size < total,
                        },
                        "edges": edges,
                    }
                }
            }
        },
        "extensions": {"diagnoses": []},
    }


def make_app(tokens: TokenAPI, answer: bytes) -> web.Application:
    """Build the app: token routes, the GraphQL route and a stats route.

    The GraphQL handler checks the bearer token and returns the precomputed
    ``answer`` bytes for any query, so the server does little work per request.
    """
    counters = tokens.counters

    async def handle_graphql(request: web.Request) -> web.Response:
        await request.read()
        token = bearer_token(request)
        problem = (
            "the Authorization header has no bearer token"
            if token is None
            else tokens.check_access_token(token)
        )
        if problem is not None:
            counters.graphql_requests[401] += 1
            body = {"$diagnoses": [{"$severity": "error", "$message": problem}]}
            return web.json_response(body, status=401)
        counters.graphql_requests[200] += 1
        return web.Response(body=answer, content_type="application/json")

    async def handle_stats(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "cpu_seconds": time.process_time(),
                "graphql_requests": {
                    str(status): count
                    for status, count in counters.graphql_requests.items()
                },
                "acquisitions": counters.acquisitions,
            }
        )

    app = web.Application()
    tokens.add_routes(app)
    app.router.add_post(GRAPHQL_PATH, handle_graphql)
    app.router.add_get(STATS_PATH, handle_stats)
    return app


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


async def serve(host: str, port: int) -> None:
    """Listen on ``host`` and ``port`` until standard input reaches end of file."""
    policy = TokenPolicy(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        tenant_id=TENANT_ID,
        access_token_lifetime=ACCESS_TOKEN_LIFETIME,
    )
    tokens = TokenAPI(policy, EmulatorCounters(), _utc_now, GRAPHQL_PATH)
    answer = json.dumps(item_page()).encode()
    runner = web.AppRunner(make_app(tokens, answer), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        base_url = f"http://{url_host}:{bound_port}"
        ready = {
            "base_url": base_url,
            "token_url": f"{base_url}/v1/token",
            "graphql_url": base_url + GRAPHQL_PATH,
            "stats_url": base_url + STATS_PATH,
            "answer_bytes": len(answer),
        }
        print(json.dumps(ready), flush=True)
        # Closing the pipe stops the server, also when the parent dies.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    finally:
        await runner.cleanup()


@dataclass(frozen=True)
class ServerInfo:
    """The URLs the server process printed once it listened."""

    token_url: str
    graphql_url: str
    stats_url: str
    answer_bytes: int


class ServerProcess:
    """The server as a child process of the benchmark, on a free loopback port."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> ServerInfo:
        """Start the child and wait until it listens; return its URLs."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench._server",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPOSITORY,
        )
        self._process = process
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        except asyncio.TimeoutError:
            await self.stop()
            raise RuntimeError(
                f"the benchmark server did not listen within {START_TIMEOUT} s; "
                "run 'python -m bench._server' to see why"
            ) from None
        if not line:
            code = await process.wait()
            self._process = None
            raise RuntimeError(
                f"the benchmark server exited with code {code} before it listened; "
                "its error output is above"
            )
        ready = json.loads(line)
        return ServerInfo(
            token_url=ready["token_url"],
            graphql_url=ready["graphql_url"],
            stats_url=ready["stats_url"],
            answer_bytes=ready["answer_bytes"],
        )

    async def stop(self) -> None:
        """Close the child's standard input, wait for it to exit, kill it if late."""
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()


async def server_cpu_seconds(session: aiohttp.ClientSession, info: ServerInfo) -> float:
    """Return the CPU time the server process has used since it started."""
    async with session.get(info.stats_url) as response:
        stats = await response.json()
    return float(stats["cpu_seconds"])


async def acquire_bearer(session: aiohttp.ClientSession, info: ServerInfo) -> str:
    """Acquire an access token once, for the variants that send a static header."""
    credentials = {
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "tenantId": TENANT_ID,
    }
    async with session.post(info.token_url, json=credentials) as response:
        response.raise_for_status()
        answer = await response.json()
    return str(answer["accessToken"])


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and serve until standard input closes."""
    parser = argparse.ArgumentParser(
        prog="python -m bench._server",
        description="Serve the client-overhead benchmark's token API and GraphQL "
        "page on loopback until standard input closes.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port; 0 picks a free one"
    )
    options = parser.parse_args(argv)
    if options.host not in ("127.0.0.1", "::1", "localhost"):
        parser.error(f"--host {options.host!r} is not a loopback address")
    asyncio.run(serve(options.host, options.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
