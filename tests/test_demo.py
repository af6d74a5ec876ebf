"""The main job, as `sage-dmo demo` runs it."""

from __future__ import annotations

import io

from sage_dmo._cli import main


async def test_demo_passes_all_checks() -> None:
    """The demo crosses an expiry with one renewal, invalidates and exits 0."""
    out = io.StringIO()
    status = await main(["demo", "--rows", "300"], out=out, err=io.StringIO())
    text = out.getvalue()
    assert status == 0, text
    assert "all checks passed" in text
    assert "300 rows in 1 pages" in text
    assert "0 errors, 1 renewal" in text
    assert "1 invalidation" in text
