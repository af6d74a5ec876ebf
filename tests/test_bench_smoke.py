"""The client-overhead benchmark end to end with tiny numbers, and its docs writer."""

from __future__ import annotations

from bench._docs import SECTION_HEADING, mark_block, replace_results
from bench.client_overhead import make_variants, render_table, run_benchmark

REQUESTS = 50


async def test_benchmark_completes_every_variant() -> None:
    """Each variant completes every request without errors and gets one row."""
    report = await run_benchmark(REQUESTS, concurrency=50, rounds=1, warmup=10)
    table_lines = render_table(report).splitlines()
    expected_keys = [variant.key for variant in make_variants()]
    assert [result.key for result in report.variants] == expected_keys
    for result in report.variants:
        first_error = result.rounds[0].first_error
        assert result.errors == 0, f"({result.key}) failed: {first_error}"
        assert result.completed == REQUESTS
        rows = [line for line in table_lines if line.startswith(f"| ({result.key}) ")]
        assert len(rows) == 1


def _page(*blocks: str) -> str:
    return "\n\n".join(
        ["# Benchmarks", SECTION_HEADING, "How to run.", *blocks, "## Later section"]
    )


def test_results_block_replaced_in_place() -> None:
    """A new run replaces its own versions' block and keeps the others."""
    old = mark_block("gql 4.4.0", "old figures")
    other = mark_block("gql 4.0.0", "other figures")
    text = replace_results(
        _page(old, other), "gql 4.4.0", mark_block("gql 4.4.0", "new figures")
    )
    assert "old figures" not in text
    assert text.index("new figures") < text.index("other figures")
    assert text.index("other figures") < text.index("## Later section")


def test_results_block_added_for_new_versions() -> None:
    """Results for unseen versions go at the end of the section."""
    first = mark_block("gql 4.4.0", "first figures")
    text = replace_results(
        _page(first), "gql 4.0.0", mark_block("gql 4.0.0", "second figures")
    )
    assert text.index("first figures") < text.index("second figures")
    assert text.index("second figures") < text.index("## Later section")
    assert text.count(SECTION_HEADING) == 1
