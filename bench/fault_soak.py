"""A bounded soak: a mix of queries and mutations under injected faults.

Runs against an in-process emulator with short token lifetimes, a fault in about
one request in ten and lost renewal responses, then compares the outcome each caller
received with the emulator's ledger of executed mutations.

    python -m bench.fault_soak                   # 20,000 operations
    python -m bench.fault_soak --operations 2000 --write-docs
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sage_dmo import (
    GraphQLResponseError,
    MutationOutcomeUnknownError,
    RetryPolicy,
    SageDMOClient,
    SageDMOError,
)
from sage_dmo.emulator import Emulator

from ._docs import cpu_model

CANARY_SECRET = "soak-canary-secret-41c7e2"

QUERY = "query Sites { xtremSystem { site { query(first: 5) { totalCount } } } }"
MUTATION = """
mutation CreateCategory($data: ItemCategory_Input!) {
  xtremMasterData { itemCategory { create(data: $data) { _id id } } }
}
"""

GRAPHQL_FAULTS = (
    "html_502",
    "empty_body",
    "truncated_json",
    "null_json",
    "rate_limit",
    "unavailable",
    "delay",
    "reset",
    "reset_after_execute",
    "revoke_access",
)


@dataclass
class SoakReport:
    """Counts of a soak run: operations, faults, retries and errors by kind."""

    operations: int = 0
    mutations: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    mutations_executed_twice: int = 0
    mutations_lost_silently: int = 0
    mutations_unknown_but_executed: int = 0
    spent_refresh_tokens_sent: int = 0
    secrets_leaked: int = 0
    renewals: int = 0
    acquisitions: int = 0
    elapsed: float = 0.0

    def must_be_zero(self) -> dict[str, int]:
        return {
            "mutations executed twice": self.mutations_executed_twice,
            "mutations lost without an error reaching the caller": (
                self.mutations_lost_silently
            ),
            "spent refresh tokens sent": self.spent_refresh_tokens_sent,
            "secrets leaked": self.secrets_leaked,
        }

    def markdown(self) -> str:
        lines = [
            "| figure | value |",
            "| --- | --- |",
            f"| operations | {self.operations:,} |",
            f"| of which mutations | {self.mutations:,} |",
            f"| elapsed | {self.elapsed:.1f} s |",
            f"| token acquisitions / renewals | {self.acquisitions} / "
            f"{self.renewals} |",
            f"| faults injected | {sum(self.faults.values()):,} |",
        ]
        for kind, count in sorted(self.faults.items()):
            lines.append(f"| - {kind} | {count:,} |")
        lines.append(f"| retries | {self.retries:,} |")
        lines.append(f"| errors surfaced to callers | {sum(self.errors.values()):,} |")
        for kind, count in sorted(self.errors.items()):
            lines.append(f"| - {kind} | {count:,} |")
        lines.append(
            "| mutations executed although the caller got an error "
            f"(outcome reported unknown) | {self.mutations_unknown_but_executed:,} |"
        )
        for name, value in self.must_be_zero().items():
            lines.append(f"| **{name}** (must be 0) | **{value}** |")
        return "\n".join(lines)


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def run_soak(
    *,
    operations: int = 20_000,
    concurrency: int = 50,
    fault_rate: float = 0.1,
    seed: int = 7,
    access_token_lifetime: float = 3.0,
) -> SoakReport:
    """Run the soak and return its report; nothing is printed."""
    report = SoakReport()
    capture = _LogCapture()
    root = logging.getLogger("sage_dmo")
    previous_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    outcomes: dict[str, str] = {}
    messages: list[str] = []
    started = time.perf_counter()
    try:
        async with Emulator(
            rows=40,
            client_secret=CANARY_SECRET,
            access_token_lifetime=access_token_lifetime,
            refresh_token_lifetime=600.0,
        ) as emulator:
            emulator.faults.randomize(fault_rate, seed=seed, kinds=GRAPHQL_FAULTS)
            emulator.faults.randomize(0.3, seed=seed, target="renew")
            retry = RetryPolicy(max_attempts=5, initial_delay=0.005, max_delay=0.05)
            client = SageDMOClient(emulator.settings(), refresh_margin=0.5, retry=retry)
            queue: asyncio.Queue[int] = asyncio.Queue()
            for number in range(operations):
                queue.put_nowait(number)

            async def worker() -> None:
                while True:
                    try:
                        number = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    await _one_operation(client, number, report, outcomes, messages)

            async with client:
                await asyncio.gather(*(worker() for _ in range(concurrency)))
                report.retries = client.transport.retries
            emulator.faults.clear()
            report.faults = Counter(emulator.faults.injected)
            report.renewals = emulator.counters.renewals
            report.acquisitions = emulator.counters.acquisitions
            report.spent_refresh_tokens_sent = (
                emulator.counters.spent_refresh_token_reuses
            )
            _compare_ledger(emulator, outcomes, report)
            secrets = [CANARY_SECRET, *emulator.tokens.issued_tokens()]
            texts = capture.messages + messages
            report.secrets_leaked = sum(
                1 for text in texts for secret in secrets if secret in text
            )
    finally:
        root.removeHandler(capture)
        root.setLevel(previous_level)
    report.operations = operations
    report.elapsed = time.perf_counter() - started
    return report


async def _one_operation(
    client: SageDMOClient,
    number: int,
    report: SoakReport,
    outcomes: dict[str, str],
    messages: list[str],
) -> None:
    is_mutation = number % 5 == 0
    key = f"SOAK-{number:06d}"
    try:
        if is_mutation:
            report.mutations += 1
            outcomes[key] = "pending"
            await client.execute(
                MUTATION, {"data": {"id": key, "name": f"Soak {number}"}}
            )
            outcomes[key] = "ok"
        else:
            await client.execute(QUERY)
    except (SageDMOError, GraphQLResponseError) as error:
        kind = type(error).__name__
        report.errors[kind] += 1
        messages.append(str(error))
        messages.append(repr(error))
        if is_mutation:
            unknown = isinstance(error, MutationOutcomeUnknownError)
            outcomes[key] = "unknown" if unknown else f"error:{kind}"


def _compare_ledger(
    emulator: Emulator, outcomes: dict[str, str], report: SoakReport
) -> None:
    executed: Counter[str] = Counter()
    for record in emulator.ledger:
        data = record.variables.get("data") or {}
        key = data.get("id")
        if record.succeeded and isinstance(key, str):
            executed[key] += 1
    report.mutations_executed_twice = sum(1 for n in executed.values() if n > 1)
    for key, outcome in outcomes.items():
        if outcome == "ok" and executed[key] != 1:
            report.mutations_lost_silently += 1
        elif outcome != "ok" and executed[key] == 1:
            report.mutations_unknown_but_executed += 1


def _machine() -> str:
    return f"{cpu_model()}, Python {platform.python_version()}"


def _write_docs(report: SoakReport, arguments: argparse.Namespace) -> None:
    path = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
    text = path.read_text(encoding="utf-8")
    start = text.index("<!-- soak:start -->")
    end = text.index("<!-- soak:end -->")
    today = datetime.now(timezone.utc).date().isoformat()
    block = (
        "<!-- soak:start -->\n"
        f"Measured on {today}, {_machine()}, with `python -m bench.fault_soak "
        f"--operations {arguments.operations} --concurrency {arguments.concurrency} "
        f"--fault-rate {arguments.fault_rate} --seed {arguments.seed}`:\n\n"
        f"{report.markdown()}\n"
    )
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite docs/reliability.md figures"
    )
    arguments = parser.parse_args(argv)
    report = asyncio.run(
        run_soak(
            operations=arguments.operations,
            concurrency=arguments.concurrency,
            fault_rate=arguments.fault_rate,
            seed=arguments.seed,
        )
    )
    print(report.markdown())
    if arguments.write_docs:
        _write_docs(report, arguments)
    failed = {name: value for name, value in report.must_be_zero().items() if value}
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
