"""A clock that tests move by hand, for the emulator and the client alike."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

__all__ = ["ManualClock"]


class ManualClock:
    """Time that advances only when :meth:`advance` is called.

    Pass ``clock.now`` to the emulator (aware UTC datetimes) and
    ``clock.monotonic`` to the client (seconds), so that one call to
    :meth:`advance` moves both sides together.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime, such as one in UTC")
        self._start = start
        self._elapsed = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        with self._lock:
            return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """Return seconds elapsed since the clock was made."""
        with self._lock:
            return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got {seconds} seconds")
        with self._lock:
            self._elapsed += seconds
