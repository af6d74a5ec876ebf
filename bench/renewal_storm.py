"""Renewal storm: 1,000 concurrent requests crossing an access-token expiry.

Each round sends a wave of concurrent queries with a fresh token (the baseline),
moves a shared manual clock past the token's expiry, and sends a second wave
that must renew. It reports renewals made (aim: exactly 1 per storm), errors
(aim: 0) and the latency the renewal adds at p50 and p99.

    python -m bench.renewal_storm [--requests 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version

from sage_dmo import SageDMOClient
from sage_dmo.emulator import Emulator, ManualClock

QUERY = "query Sites { xtremSystem { site { query(first: 5) { totalCount } } } }"


@dataclass
class Wave:
    """Latencies of one wave of concurrent requests, in milliseconds."""

    latencies: list[float]
    errors: int

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
        return ordered[index]


async def _wave(client: SageDMOClient, requests: int) -> Wave:
    async def one() -> float | None:
        started = time.perf_counter()
        try:
            await client.execute(QUERY)
        except Exception:  # counted, and the storm is reported as failed
            return None
        return (time.perf_counter() - started) * 1000

    results = await asyncio.gather(*(one() for _ in range(requests)))
    latencies = [value for value in results if value is not None]
    return Wave(latencies, errors=len(results) - len(latencies))


async def run_storm(requests: int, rounds: int) -> list[tuple[Wave, Wave, int]]:
    """Return (baseline wave, storm wave, renewals in the storm) per round."""
    clock = ManualClock()
    outcomes = []
    async with Emulator(rows=40, clock=clock.now) as emulator:
        client = SageDMOClient(emulator.settings(), clock=clock.monotonic)
        async with client:
            await _wave(client, 50)  # opens the connections
            for _ in range(rounds):
                baseline = await _wave(client, requests)
                before = emulator.counters.renewals
                clock.advance(901)
                storm = await _wave(client, requests)
                outcomes.append((baseline, storm, emulator.counters.renewals - before))
    return outcomes


def report(outcomes: list[tuple[Wave, Wave, int]], requests: int) -> str:
    """Render the rounds as a Markdown table with a summary line."""
    lines = [
        f"{requests:,} concurrent requests per wave, {len(outcomes)} rounds, "
        f"Python {platform.python_version()}, gql {version('gql')}, graphql-core "
        f"{version('graphql-core')}, aiohttp {version('aiohttp')}; the emulator runs "
        "in the same process, so both waves include its time.",
        "",
        "| round | renewals | errors | p50 baseline ms | p50 storm ms | "
        "p99 baseline ms | p99 storm ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for number, (baseline, storm, renewals) in enumerate(outcomes, 1):
        lines.append(
            f"| {number} | {renewals} | {baseline.errors + storm.errors} | "
            f"{baseline.percentile(0.5):.1f} | {storm.percentile(0.5):.1f} | "
            f"{baseline.percentile(0.99):.1f} | {storm.percentile(0.99):.1f} |"
        )
    added_p50 = statistics.median(
        storm.percentile(0.5) - baseline.percentile(0.5)
        for baseline, storm, _ in outcomes
    )
    added_p99 = statistics.median(
        storm.percentile(0.99) - baseline.percentile(0.99)
        for baseline, storm, _ in outcomes
    )
    renewal_counts = [count for _, _, count in outcomes]
    errors = sum(baseline.errors + storm.errors for baseline, storm, _ in outcomes)
    lines += [
        "",
        f"renewals per storm: {renewal_counts} (aim: exactly 1); errors: {errors} "
        f"(aim: 0); added latency, median over rounds: p50 {added_p50:+.1f} ms, "
        f"p99 {added_p99:+.1f} ms",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.renewal_storm", description=__doc__
    )
    parser.add_argument("--requests", type=int, default=1000, help="per wave (1000)")
    parser.add_argument("--rounds", type=int, default=5, help="storms (5)")
    arguments = parser.parse_args(argv)
    outcomes = asyncio.run(run_storm(arguments.requests, arguments.rounds))
    print(report(outcomes, arguments.requests))
    failed = any(renewals != 1 for _, _, renewals in outcomes) or any(
        baseline.errors or storm.errors for baseline, storm, _ in outcomes
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
