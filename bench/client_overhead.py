"""Client cost per request of raw aiohttp, gql, SageDMOTransport and SageDMOClient.

Run ``python -m bench.client_overhead --help`` from the repository root. The
server runs in a child process, so this process's CPU time is the client's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from ._docs import DOCS_PATH, SERVER_SATURATED, results_block, write_results
from ._server import ServerInfo, ServerProcess, acquire_bearer, server_cpu_seconds
from ._variants import Variant, make_variants

__all__ = [
    "BenchmarkReport",
    "Measurement",
    "VariantResult",
    "main",
    "make_variants",
    "render_table",
    "run_benchmark",
]


@dataclass
class Measurement:
    """One timed run of one variant."""

    requests: int
    completed: int
    errors: int
    wall_seconds: float
    cpu_seconds: float
    """``time.process_time()`` of this process, which excludes the server."""
    server_cpu_seconds: float
    first_error: str | None = None

    @property
    def requests_per_second(self) -> float:
        return self.completed / self.wall_seconds

    @property
    def cpu_per_request(self) -> float:
        return self.cpu_seconds / max(self.completed, 1)

    @property
    def client_core_share(self) -> float:
        """Client CPU seconds per wall-clock second: 1.0 is one saturated core."""
        return self.cpu_seconds / self.wall_seconds

    @property
    def server_core_share(self) -> float:
        """Server CPU seconds per wall-clock second."""
        return self.server_cpu_seconds / self.wall_seconds


@dataclass
class VariantResult:
    """Every measured round of one variant."""

    key: str
    label: str
    rounds: list[Measurement] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(m.completed for m in self.rounds)

    @property
    def errors(self) -> int:
        return sum(m.errors for m in self.rounds)

    @property
    def requests_per_second(self) -> float:
        return statistics.median(m.requests_per_second for m in self.rounds)

    @property
    def cpu_per_request(self) -> float:
        return statistics.median(m.cpu_per_request for m in self.rounds)

    @property
    def client_core_share(self) -> float:
        return statistics.median(m.client_core_share for m in self.rounds)

    @property
    def server_core_share(self) -> float:
        return statistics.median(m.server_core_share for m in self.rounds)

    def rate_ratio(self, baseline: VariantResult) -> float:
        """Return the median over rounds of this variant's req/s over the baseline's.

        Pairing each round with the baseline's run in the same round cancels
        changes in the machine's speed that last longer than one round.
        """
        pairs = zip(self.rounds, baseline.rounds, strict=True)
        return statistics.median(
            m.requests_per_second / b.requests_per_second for m, b in pairs
        )

    def cpu_ratio(self, baseline: VariantResult) -> float:
        """Return the median over rounds of this CPU per request over the baseline's."""
        pairs = zip(self.rounds, baseline.rounds, strict=True)
        return statistics.median(
            m.cpu_per_request / b.cpu_per_request for m, b in pairs
        )


@dataclass
class BenchmarkReport:
    """All results of one benchmark run, with the options that produced them."""

    requests: int
    concurrency: int
    rounds: int
    warmup: int
    answer_bytes: int
    variants: list[VariantResult]

    @property
    def max_server_core_share(self) -> float:
        return max(m.server_core_share for v in self.variants for m in v.rounds)

    @property
    def min_client_core_share(self) -> float:
        return min(m.client_core_share for v in self.variants for m in v.rounds)


async def run_load(
    call: Callable[[], Awaitable[None]], requests: int, concurrency: int
) -> tuple[int, int, str | None]:
    """Make ``requests`` calls, ``concurrency`` at a time; count the outcomes."""
    remaining = requests
    completed = 0
    errors = 0
    first_error: str | None = None

    async def worker() -> None:
        nonlocal remaining, completed, errors, first_error
        while remaining > 0:
            remaining -= 1
            try:
                await call()
            except Exception as error:  # counted and reported, never hidden
                errors += 1
                if first_error is None:
                    first_error = f"{type(error).__name__}: {error}"
            else:
                completed += 1

    workers = min(concurrency, requests)
    await asyncio.gather(*(worker() for _ in range(workers)))
    return completed, errors, first_error


async def measure(
    variant: Variant,
    stats: aiohttp.ClientSession,
    server: ServerInfo,
    requests: int,
    concurrency: int,
) -> Measurement:
    """Time one run of ``variant``, with client and server CPU time."""
    # Collect the previous run's garbage now, not inside this run.
    gc.collect()
    server_before = await server_cpu_seconds(stats, server)
    cpu_before = time.process_time()
    wall_before = time.perf_counter()
    completed, errors, first_error = await run_load(variant.call, requests, concurrency)
    wall = time.perf_counter() - wall_before
    cpu = time.process_time() - cpu_before
    server_cpu = await server_cpu_seconds(stats, server) - server_before
    return Measurement(requests, completed, errors, wall, cpu, server_cpu, first_error)


async def run_benchmark(
    requests: int, concurrency: int, rounds: int, warmup: int
) -> BenchmarkReport:
    """Start the server, warm up every variant, then run them interleaved."""
    server_process = ServerProcess()
    server = await server_process.start()
    variants = make_variants()
    opened: list[Variant] = []
    try:
        async with aiohttp.ClientSession() as stats:
            bearer = await acquire_bearer(stats, server)
            for variant in variants:
                await variant.open(server, bearer)
                opened.append(variant)
            results = {v.key: VariantResult(v.key, v.label) for v in variants}
            for variant in variants:
                if warmup:
                    await run_load(variant.call, warmup, concurrency)
            for round_index in range(rounds):
                # Rotating the order spreads any position effect over all variants.
                shift = round_index % len(variants)
                for variant in variants[shift:] + variants[:shift]:
                    measurement = await measure(
                        variant, stats, server, requests, concurrency
                    )
                    results[variant.key].rounds.append(measurement)
    finally:
        for variant in opened:
            await variant.close()
        await server_process.stop()
    return BenchmarkReport(
        requests=requests,
        concurrency=concurrency,
        rounds=rounds,
        warmup=warmup,
        answer_bytes=server.answer_bytes,
        variants=list(results.values()),
    )


def render_table(report: BenchmarkReport) -> str:
    """Render the report as a Markdown table, one row per variant."""
    baseline = report.variants[0]
    lines = [
        "| variant | req/s | × (a) | req/s, slowest–fastest round "
        "| client CPU µs/req | × (a) | client CPU, share of a core "
        "| server CPU, share of a core | completed | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in report.variants:
        per_round = [m.requests_per_second for m in result.rounds]
        lines.append(
            f"| ({result.key}) {result.label} "
            f"| {result.requests_per_second:,.0f} "
            f"| {result.rate_ratio(baseline):.2f} "
            f"| {min(per_round):,.0f}–{max(per_round):,.0f} "
            f"| {result.cpu_per_request * 1e6:,.0f} "
            f"| {result.cpu_ratio(baseline):.2f} "
            f"| {result.client_core_share:.0%} "
            f"| {result.server_core_share:.0%} "
            f"| {result.completed:,} "
            f"| {result.errors} |"
        )
    return "\n".join(lines)


def _integer(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} is invalid; use {minimum} or more")
    return value


def _positive(text: str) -> int:
    return _integer(text, 1)


def _not_negative(text: str) -> int:
    return _integer(text, 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.client_overhead",
        description="Measure requests per second and client CPU time per request "
        "of four ways to send one GraphQL query to a loopback server in a child "
        "process, and print a Markdown table.",
    )
    parser.add_argument(
        "--requests",
        type=_positive,
        default=2500,
        help="requests per variant in each round (default: 2500)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive,
        default=50,
        help="requests in flight at once (default: 50)",
    )
    parser.add_argument(
        "--rounds",
        type=_positive,
        default=10,
        help="measured rounds; each runs every variant once (default: 10)",
    )
    parser.add_argument(
        "--warmup",
        type=_not_negative,
        default=500,
        help="unmeasured requests per variant before the first round (default: 500)",
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="also replace the results for these library versions in the "
        "'Client overhead' section of the docs file",
    )
    parser.add_argument(
        "--docs-file",
        type=Path,
        default=DOCS_PATH,
        help="Markdown file that --write-docs rewrites "
        "(default: docs/benchmarks.md in the repository)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the table; return 1 when any request failed."""
    options = _parser().parse_args(argv)
    report = asyncio.run(
        run_benchmark(
            options.requests, options.concurrency, options.rounds, options.warmup
        )
    )
    print(render_table(report))
    failed = [v for v in report.variants if v.errors]
    for result in failed:
        first = next(m.first_error for m in result.rounds if m.first_error)
        print(
            f"({result.key}) {result.label}: {result.errors} requests failed; "
            f"first error: {first}",
            file=sys.stderr,
        )
    if report.max_server_core_share > SERVER_SATURATED:
        print(
            f"warning: the server process used up to "
            f"{report.max_server_core_share:.0%} of a core, so it may have limited "
            "the request rate",
            file=sys.stderr,
        )
    if failed:
        if options.write_docs:
            print(
                f"{options.docs_file} is unchanged because requests failed; "
                "fix the errors above and run again",
                file=sys.stderr,
            )
        return 1
    if options.write_docs:
        block = results_block(report, render_table(report))
        write_results(options.docs_file, block)
        print(f"wrote the results to {options.docs_file}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
