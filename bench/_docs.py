"""The benchmark's records in docs/benchmarks.md: machine description and results.

Each set of library versions owns one results block, between HTML comment
markers, inside the "Client overhead" section. A new run replaces its own block.
"""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from ._server import PAGE_SIZE

if TYPE_CHECKING:
    from .client_overhead import BenchmarkReport

__all__ = [
    "DOCS_PATH",
    "SECTION_HEADING",
    "cpu_model",
    "mark_block",
    "replace_results",
    "results_block",
    "results_key",
    "write_results",
]

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION_HEADING = "## Client overhead"
_START = "<!-- client-overhead results: {key} -->"
_END = "<!-- end client-overhead results -->"
SERVER_SATURATED = 0.9
"""Server CPU share of one core above which the server may limit the rate."""
CLIENT_CONTENDED = 0.9
"""Client CPU share of one core below which the client spent time waiting."""


def results_key() -> str:
    """Return the versions in use, such as 'gql 4.4.0, graphql-core 3.3.2, ...'."""
    names = ("gql", "graphql-core", "aiohttp")
    return ", ".join(f"{name} {version(name)}" for name in names)


def cpu_model() -> str:
    """Return the CPU model from /proc/cpuinfo, or what ``platform`` reports."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                name, _, value = line.partition(":")
                if name.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def mark_block(key: str, body: str) -> str:
    """Wrap ``body`` in the markers that let a later run find and replace it."""
    return f"{_START.format(key=key)}\n{body}\n{_END}"


def results_block(report: BenchmarkReport, table: str) -> str:
    """Render one run as a Markdown block with its markers, machine and table."""
    key = results_key()
    command = (
        f"python -m bench.client_overhead --requests {report.requests} "
        f"--concurrency {report.concurrency} --rounds {report.rounds} "
        f"--warmup {report.warmup}"
    )
    today = datetime.now(timezone.utc).date().isoformat()
    share = report.max_server_core_share
    verdict = (
        "so it may have limited the request rate"
        if share > SERVER_SATURATED
        else "so it was not the bottleneck"
    )
    client_share = report.min_client_core_share
    contention = (
        f" In one round the client process used only {client_share:.0%} of a "
        "core, so it spent time waiting, for the server or for other work on "
        "the machine."
        if client_share < CLIENT_CONTENDED
        else ""
    )
    lines = [
        f"#### {key}",
        "",
        f"Measured on {today} with `{command}`.",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}.",
        f"Each response is {report.answer_bytes:,} bytes of JSON, a page of "
        f"{PAGE_SIZE} item nodes. Figures are medians of {report.rounds} rounds "
        f"of {report.requests:,} requests per variant, {report.concurrency} in "
        "flight at once.",
        "",
        table,
        "",
        f"The server process used at most {share:.0%} of one core in any round, "
        f"{verdict}.{contention}",
    ]
    return mark_block(key, "\n".join(lines))


def replace_results(text: str, key: str, block: str) -> str:
    """Return ``text`` with the block for ``key`` replaced, or added to the section.

    Without a "Client overhead" section, one is appended at the end.
    """
    lines = text.splitlines()
    if SECTION_HEADING not in lines:
        prefix = text.rstrip("\n") + "\n\n" if text.strip() else ""
        return f"{prefix}{SECTION_HEADING}\n\n{block}\n"
    section_start = lines.index(SECTION_HEADING)
    section_end = next(
        (
            index
            for index in range(section_start + 1, len(lines))
            if lines[index].startswith("## ")
        ),
        len(lines),
    )
    start_marker = _START.format(key=key)
    new_lines = block.splitlines()
    for index in range(section_start, section_end):
        if lines[index] == start_marker:
            end = next((i for i in range(index, section_end) if lines[i] == _END), None)
            if end is None:
                raise ValueError(
                    f"the results block for {key} has no closing {_END!r} inside "
                    f"the {SECTION_HEADING!r} section; add it and run again"
                )
            lines[index : end + 1] = new_lines
            return "\n".join(lines) + "\n"
    # A new block goes at the end of the section, after one blank line.
    insert_at = section_end
    while insert_at > section_start + 1 and not lines[insert_at - 1].strip():
        insert_at -= 1
    lines[insert_at:section_end] = ["", *new_lines, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_results(path: Path, block: str) -> None:
    """Replace or add the block of the current library versions in ``path``."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(replace_results(text, results_key(), block), encoding="utf-8")
