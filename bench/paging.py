"""Paging 100,000 emulator rows: ``iterate_nodes`` against a raw aiohttp loop.

Run ``python -m bench.paging --help`` from the repository root. The emulator runs
in a child process, so this process's CPU time is the client's alone. The emulator
seeds a table on its first read, so a one-row query seeds the item tables first;
it is timed on its own and kept out of every rate.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import signal
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import aiohttp

from sage_dmo import SageDMOClient, Secret, Settings
from sage_dmo._paging import iterate_nodes
from sage_dmo.emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_TENANT_ID,
)

from ._docs import cpu_model

QUERY = """
query ItemPages($first: Int, $after: String) {
  xtremMasterData {
    item {
      query(first: $first, after: $after) {
        totalCount
        pageInfo { endCursor hasNextPage }
        edges {
          node {
            _id id name description status isActive type
            isBought isSold isManufactured isStockManaged eanNumber
            stockUnit { id }
            currency { id }
            weight basePrice minimumPrice
            category { id }
            _updateStamp
          }
        }
      }
    }
  }
}
"""

START_TIMEOUT = 120.0
"""Seconds to wait for the emulator to listen."""
TOKEN_LIFETIME = 86_400.0
"""Seconds a token lives here, so that one token serves every round."""


@dataclass
class EmulatorProcess:
    """The emulator in a child process, from ``sage-dmo emulator``."""

    process: asyncio.subprocess.Process
    base_url: str
    start_seconds: float

    @classmethod
    async def start(cls, rows: int, page_cap: int) -> EmulatorProcess:
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sage_dmo", "emulator", "--port", "0",
            "--rows", str(rows), "--max-page-size", str(page_cap),
            "--access-token-lifetime", str(TOKEN_LIFETIME),
            "--refresh-token-lifetime", str(TOKEN_LIFETIME),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        if not line.startswith(b"SDMO emulator listening on "):
            process.kill()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        seconds = time.perf_counter() - started
        return cls(process, line.decode().split()[-1], seconds)

    def settings(self) -> Settings:
        return Settings(
            client_id=DEFAULT_CLIENT_ID,
            client_secret=Secret(DEFAULT_CLIENT_SECRET),
            tenant_id=DEFAULT_TENANT_ID,
            token_url=f"{self.base_url}/v1/token",
        )

    def cpu_seconds(self) -> float:
        """CPU time of the emulator process so far (Linux /proc only)."""
        with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime and stime
        return ticks / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        await asyncio.wait_for(self.process.wait(), 60)


@dataclass
class Run:
    """One pass over every row by one variant."""

    rows: int
    wall: float
    client_cpu: float
    server_cpu: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.wall


async def raw_rows(session: aiohttp.ClientSession, url: str, page_size: int) -> int:
    """Page by hand: one POST per page with the cursor as a variable."""
    rows = 0
    cursor: str | None = None
    while True:
        variables = {"first": page_size, "after": cursor}
        async with session.post(
            url, json={"query": QUERY, "variables": variables}
        ) as r:
            r.raise_for_status()
            body = await r.json()
        connection = body["data"]["xtremMasterData"]["item"]["query"]
        for edge in connection["edges"]:
            if edge["node"]["_id"]:
                rows += 1
        page_info = connection["pageInfo"]
        if not page_info["hasNextPage"]:
            return rows
        cursor = page_info["endCursor"]


async def client_rows(
    client: SageDMOClient,
    page_size: int,
    progress: Callable[[int, int | None], object] | None = None,
) -> int:
    """Page with ``iterate_nodes``."""
    rows = 0
    nodes = iterate_nodes(client, QUERY, page_size=page_size, progress=progress)
    async for node in nodes:
        if node["_id"]:
            rows += 1
    return rows


async def timed(emulator: EmulatorProcess, call: Callable[[], Awaitable[int]]) -> Run:
    gc.collect()
    server_before = emulator.cpu_seconds()
    cpu_before = time.process_time()
    wall_before = time.perf_counter()
    rows = await call()
    wall = time.perf_counter() - wall_before
    cpu = time.process_time() - cpu_before
    return Run(rows, wall, cpu, emulator.cpu_seconds() - server_before)


def rss_bytes() -> int:
    """Resident set size of this process, from /proc/self/status (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("VmRSS is missing from /proc/self/status")


async def memory_growth(client: SageDMOClient, page_size: int) -> tuple[int, int]:
    """Return the peak growth of traced allocations and of RSS over one pass.

    The two are measured in separate passes because tracing slows the pass.
    """
    gc.collect()
    before = rss_bytes()
    peak = before

    def sample(done: int, total: int | None) -> None:
        nonlocal peak
        peak = max(peak, rss_bytes())

    await client_rows(client, page_size, sample)
    rss_growth = peak - before
    gc.collect()
    tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    await client_rows(client, page_size)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return traced_peak - start, rss_growth


async def run(rows: int, page_size: int, rounds: int) -> dict[str, Any]:
    emulator = await EmulatorProcess.start(rows, max(page_size, 1000))
    try:
        async with SageDMOClient(emulator.settings()) as client:
            token = client.transport.token_manager.current
            assert token is not None
            headers = {"Authorization": f"Bearer {token.access_token.reveal()}"}
            url = client.graphql_url
            started = time.perf_counter()
            await client.execute(QUERY, {"first": 1})
            seed_seconds = time.perf_counter() - started
            async with aiohttp.ClientSession(headers=headers) as session:
                variants: dict[str, Callable[[], Awaitable[int]]] = {
                    "raw aiohttp": lambda: raw_rows(session, url, page_size),
                    "iterate_nodes": lambda: client_rows(client, page_size),
                }
                # Warm-up: one whole pass each, so caches on both sides are filled.
                for call in variants.values():
                    await call()
                runs: dict[str, list[Run]] = {name: [] for name in variants}
                for number in range(rounds):
                    order = list(variants)
                    if number % 2:
                        order.reverse()
                    for name in order:
                        runs[name].append(await timed(emulator, variants[name]))
            traced, rss = await memory_growth(client, page_size)
    finally:
        await emulator.stop()
    return {
        "emulator": emulator,
        "seed_seconds": seed_seconds,
        "runs": runs,
        "traced": traced,
        "rss": rss,
    }


def report(results: dict[str, Any], rows: int, page_size: int, rounds: int) -> str:
    runs: dict[str, list[Run]] = results["runs"]
    raw, client = runs["raw aiohttp"], runs["iterate_nodes"]
    for variant in (raw, client):
        if any(item.rows != rows for item in variant):
            raise RuntimeError(
                f"a pass read {[r.rows for r in variant]} rows, not {rows}"
            )
    ratio = statistics.median(
        c.rows_per_second / r.rows_per_second for c, r in zip(client, raw, strict=True)
    )
    lines = [
        f"Paging {rows:,} item rows in pages of {page_size}, {rounds} rounds "
        f"(median), Python {platform.python_version()}, gql {version('gql')}, "
        f"graphql-core {version('graphql-core')}, aiohttp {version('aiohttp')}",
        f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs",
        f"emulator start: {results['emulator'].start_seconds:.1f} s; first query, "
        f"which seeds the tables: {results['seed_seconds']:.1f} s (both excluded)",
        "",
        "| variant | rows/s | wall s | client CPU s | client µs/row | emulator CPU s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, variant in runs.items():
        wall = statistics.median(r.wall for r in variant)
        cpu = statistics.median(r.client_cpu for r in variant)
        server = statistics.median(r.server_cpu for r in variant)
        rate = statistics.median(r.rows_per_second for r in variant)
        lines.append(
            f"| {name} | {rate:,.0f} | {wall:.2f} | {cpu:.2f} | "
            f"{cpu / rows * 1e6:.1f} | {server:.2f} |"
        )
    lines += [
        "",
        f"rate ratio iterate_nodes / raw aiohttp: {ratio:.3f} (aim: at least 0.9)",
        f"peak memory growth during one iterate_nodes pass: tracemalloc "
        f"{results['traced'] / 2**20:.1f} MiB, RSS {results['rss'] / 2**20:.1f} MiB "
        "(aim: under 50 MB)",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paging", description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="item rows (100000)")
    parser.add_argument(
        "--page-size", type=int, default=500, help="rows per page (500)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed passes each (3)")
    arguments = parser.parse_args(argv)
    results = asyncio.run(run(arguments.rows, arguments.page_size, arguments.rounds))
    print(report(results, arguments.rows, arguments.page_size, arguments.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
