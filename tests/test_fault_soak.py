"""A short run of the fault soak: nothing duplicated, lost, reused or leaked."""

from __future__ import annotations

from bench.fault_soak import run_soak


async def test_short_soak_keeps_invariants() -> None:
    """600 operations under faults: every must-be-zero figure is zero."""
    report = await run_soak(operations=600, concurrency=20, fault_rate=0.1, seed=3)
    assert report.operations == 600
    assert sum(report.faults.values()) > 20
    assert report.retries > 0
    assert report.mutations_executed_twice == 0
    assert report.mutations_lost_silently == 0
    assert report.spent_refresh_tokens_sent == 0
    assert report.secrets_leaked == 0
