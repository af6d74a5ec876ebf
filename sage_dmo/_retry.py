"""Which failed requests are sent again, and after how long.

Only queries are retried. A mutation is sent once. The only resends are those
the transport's middleware makes after a 401, because a 401 proves the server
ran nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from ._errors import ConnectionFailedError, ServerError, UnauthorizedError

__all__ = ["RetryPolicy"]

logger = logging.getLogger("sage_dmo.retry")

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of failed queries: exponential backoff with full jitter.

    ``max_attempts`` counts the first attempt, so 1 turns retries off. A retry
    that would end after ``max_total`` seconds from the first attempt is not
    made. ``Retry-After`` on a 429 or 503 is honoured up to ``max_retry_after``.
    """

    max_attempts: int = 4
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_total: float = 60.0
    max_retry_after: float = 30.0
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    retry_connection_errors: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(
                f"max_attempts must be at least 1, got {self.max_attempts}"
            )
        for name in ("initial_delay", "max_delay", "max_total", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """Return a policy that never retries."""
        return cls(max_attempts=1)

    def is_retryable(self, error: BaseException) -> bool:
        """Tell whether a query that failed with ``error`` may be sent again."""
        if isinstance(error, UnauthorizedError):
            return False
        if isinstance(error, ServerError):
            return error.code in self.statuses
        return isinstance(error, ConnectionFailedError) and self.retry_connection_errors

    def delay(self, attempt: int, error: BaseException, rng: random.Random) -> float:
        """Seconds to wait before attempt ``attempt + 1``."""
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, (int, float)) and retry_after >= 0:
            return min(float(retry_after), self.max_retry_after)
        ceiling = min(self.max_delay, self.initial_delay * 2 ** (attempt - 1))
        return rng.uniform(0, ceiling)


async def call_with_retries(
    send: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    what: str,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_retry: Callable[[BaseException], None] | None = None,
    first_error: Exception | None = None,
) -> T:
    """Call ``send`` until it succeeds, fails for good, or the policy gives up.

    ``first_error`` is the failure of a first attempt the caller already made.
    """
    rng = rng or random.Random()
    started = clock()
    attempt = 1
    error = first_error
    while True:
        if error is None:
            try:
                return await send()
            except Exception as caught:
                error = caught
        if attempt >= policy.max_attempts or not policy.is_retryable(error):
            raise error
        wait = policy.delay(attempt, error, rng)
        if clock() - started + wait > policy.max_total:
            logger.warning(
                "%s failed on attempt %d (%s); not retrying because the next "
                "attempt would pass the %.0f s limit",
                what,
                attempt,
                _reason(error),
                policy.max_total,
            )
            raise error
        logger.warning(
            "%s failed on attempt %d of %d (%s); retrying in %.2f s",
            what,
            attempt,
            policy.max_attempts,
            _reason(error),
            wait,
        )
        if on_retry is not None:
            on_retry(error)
        await sleep(wait)
        attempt += 1
        error = None


def _reason(error: BaseException) -> str:
    if isinstance(error, ServerError):
        return f"HTTP {error.code}"
    return type(error).__name__
