"""Run every benchmark of the project and rewrite docs/benchmarks.md with the figures.

Each benchmark runs in a process of its own, so memory and CPU figures of one
do not leak into the next. Results land between markers in the page, with the
date, the machine and the exact command.

    python -m bench                 # everything, about 10 minutes on 2 cores
    python -m bench --quick         # small sizes, to check that all of it runs
    python -m bench --only paging --only schema_load
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ._docs import cpu_model

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark module with its full and quick arguments."""

    name: str
    module: str
    arguments: tuple[str, ...]
    quick_arguments: tuple[str, ...]
    writes_own_docs: bool = False


BENCHMARKS = (
    Benchmark(
        "client_overhead",
        "bench.client_overhead",
        ("--write-docs",),
        ("--requests", "300", "--rounds", "2", "--warmup", "100"),
        writes_own_docs=True,
    ),
    Benchmark(
        "renewal_storm",
        "bench.renewal_storm",
        ("--requests", "1000", "--rounds", "5"),
        ("--requests", "100", "--rounds", "1"),
    ),
    Benchmark(
        "paging",
        "bench.paging",
        ("--rows", "100000", "--rounds", "3"),
        ("--rows", "2000", "--rounds", "1"),
    ),
    Benchmark(
        "schema_load",
        "bench.schema_load",
        ("--rounds", "3"),
        ("--rounds", "1"),
    ),
    Benchmark(
        "validation",
        "bench.validation",
        ("--full-schema", "--documents", "1000", "--rounds", "5"),
        ("--documents", "50", "--rounds", "1"),
    ),
    Benchmark(
        "fault_soak",
        "bench.fault_soak",
        ("--operations", "20000", "--write-docs"),
        ("--operations", "300"),
        writes_own_docs=True,
    ),
)


@dataclass
class Outcome:
    """The printed report of one benchmark run and how it ended."""

    benchmark: Benchmark
    command: str
    output: str
    status: int
    seconds: float


def run(benchmark: Benchmark, quick: bool) -> Outcome:
    """Run one benchmark in a child process and capture its report."""
    arguments = benchmark.quick_arguments if quick else benchmark.arguments
    command = [sys.executable, "-m", benchmark.module, *arguments]
    started = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - our own modules, fixed arguments
        command, capture_output=True, text=True, check=False
    )
    shown = " ".join(["python", "-m", benchmark.module, *arguments])
    output = completed.stdout.strip()
    if completed.returncode != 0 and completed.stderr.strip():
        output += "\n\n" + completed.stderr.strip()[-2000:]
    return Outcome(
        benchmark, shown, output, completed.returncode, time.perf_counter() - started
    )


def machine() -> str:
    """Describe the machine: CPU model, cores and Python."""
    return (
        f"{cpu_model()}, {os.cpu_count()} logical CPUs, Python "
        f"{platform.python_version()} on {platform.system()}"
    )


def write_section(text: str, outcome: Outcome) -> str:
    """Replace the results between the markers of ``outcome``'s benchmark."""
    start = f"<!-- suite:{outcome.benchmark.name} -->"
    end = f"<!-- /suite:{outcome.benchmark.name} -->"
    if start not in text or end not in text:
        raise ValueError(
            f"{DOCS_PATH} has no {start} ... {end} markers; add them where the "
            f"results of {outcome.benchmark.name} belong"
        )
    today = datetime.now(timezone.utc).date().isoformat()
    status = "" if outcome.status == 0 else f" (exit status {outcome.status})"
    output = outcome.output
    if not any(line.startswith("|") for line in output.splitlines()):
        output = f"```text\n{output}\n```"  # plain text, kept as printed
    block = (
        f"{start}\nMeasured on {today}, {machine()}, with `{outcome.command}`"
        f"{status}:\n\n{output}\n{end}"
    )
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    return before + block + after


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes; leaves the docs alone"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[benchmark.name for benchmark in BENCHMARKS],
        help="run only this benchmark; repeat for more",
    )
    arguments = parser.parse_args(argv)
    chosen = [
        benchmark
        for benchmark in BENCHMARKS
        if not arguments.only or benchmark.name in arguments.only
    ]
    failures = 0
    for benchmark in chosen:
        print(f"== {benchmark.name} ==", flush=True)
        outcome = run(benchmark, arguments.quick)
        print(outcome.output)
        print(f"({outcome.seconds:.0f} s, exit status {outcome.status})\n", flush=True)
        failures += outcome.status != 0
        if arguments.quick or benchmark.writes_own_docs:
            continue
        text = DOCS_PATH.read_text(encoding="utf-8")
        DOCS_PATH.write_text(write_section(text, outcome), encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
