"""Schema loading at SDMO scale: cold and warm ``load_schema`` on the full-size schema.

The full-size schema (25 packages of 40 nodes, several thousand types) is
generated into a temporary folder. A cold load builds it from SDL with an empty
cache; a warm load from disk starts with an empty in-memory cache but the disk
cache filled, as a second process would; a warm load from memory repeats the
call in the same process. Aim: a warm load costs at most a tenth of a cold one.

    python -m bench.schema_load [--rounds 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from graphql import GraphQLSchema

from sage_dmo._schema_load import clear_schema_cache, load_schema
from sage_dmo.emulator._full_schema_sdl import generate_full_schema_sdl

MAX_WARM_RATIO = 0.1


def _timed_load(path: Path, cache_dir: Path) -> tuple[float, GraphQLSchema]:
    started = time.perf_counter()
    schema = load_schema(path, cache_dir=cache_dir)
    return time.perf_counter() - started, schema


@dataclass
class LoadTimes:
    """Seconds of each kind of load, one entry per round."""

    cold: list[float] = field(default_factory=list)
    disk: list[float] = field(default_factory=list)
    memory: list[float] = field(default_factory=list)
    types: int = 0

    def median(self, kind: str) -> float:
        values: list[float] = getattr(self, kind)
        return statistics.median(values)


def measure(rounds: int) -> LoadTimes:
    """Time cold, disk-warm and memory-warm loads of the full-size schema."""
    times = LoadTimes()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "full.graphql"
        path.write_text(generate_full_schema_sdl(), encoding="utf-8")
        for number in range(rounds):
            cache_dir = Path(folder) / f"cache-{number}"
            clear_schema_cache()
            seconds, schema = _timed_load(path, cache_dir)
            times.cold.append(seconds)
            times.types = len(schema.type_map)
            clear_schema_cache()
            times.disk.append(_timed_load(path, cache_dir)[0])
            times.memory.append(_timed_load(path, cache_dir)[0])
    return times


def report(times: LoadTimes, size: int) -> str:
    """Render the medians as a Markdown table with the ratio to a cold load."""
    cold = times.median("cold")
    lines = [
        f"Full-size schema: {times.types:,} types, {size / 2**20:.1f} MiB of SDL; "
        f"Python {platform.python_version()}, graphql-core "
        f"{version('graphql-core')}; median of {len(times.cold)} rounds (wall clock).",
        "",
        "| load | seconds | × cold |",
        "| --- | ---: | ---: |",
    ]
    for kind, label in (
        ("cold", "cold: build from SDL, empty caches"),
        ("disk", "warm from the disk cache (a second process)"),
        ("memory", "warm from memory (the same process)"),
    ):
        seconds = times.median(kind)
        lines.append(f"| {label} | {seconds:.3f} | {seconds / cold:.3f} |")
    verdict = "met" if _warm_ratio(times) <= MAX_WARM_RATIO else "NOT met"
    lines += ["", f"aim (warm from disk at most {MAX_WARM_RATIO} × cold): {verdict}"]
    return "\n".join(lines)


def _warm_ratio(times: LoadTimes) -> float:
    return times.median("disk") / times.median("cold")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.schema_load", description=__doc__
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds (3)")
    arguments = parser.parse_args(argv)
    times = measure(arguments.rounds)
    size = len(generate_full_schema_sdl().encode("utf-8"))
    print(report(times, size))
    return 0 if _warm_ratio(times) <= MAX_WARM_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
