"""Fault injection for the emulator: the failures real gateways and tenants produce.

Faults are queued for the next matching requests, or drawn at random with a
seed. :attr:`FaultInjector.injected` counts what was injected, by kind.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

__all__ = [
    "FAULT_KINDS",
    "Fault",
    "FaultInjector",
    "FaultTarget",
    "abort_connection",
    "fault_response",
]

FaultTarget = Literal["graphql", "token", "renew"]

FAULT_KINDS: dict[str, str] = {
    "html_502": "HTTP 502 with an HTML page, as a gateway sends",
    "status": "a chosen HTTP status with a chosen body",
    "empty_body": "HTTP 200 with an empty body",
    "truncated_json": "HTTP 200 with JSON cut off in the middle",
    "null_json": "HTTP 200 with the JSON value null",
    "wrong_content_type": "HTTP 200 with a text/html content type",
    "rate_limit": "HTTP 429 with a Retry-After header",
    "unavailable": "HTTP 503 with a Retry-After header",
    "delay": "an response that arrives only after a delay",
    "reset": "the connection is closed before the server acts",
    "reset_after_execute": "the server acts, then closes the connection unanswered",
    "revoke_access": "every access token is revoked before the request is checked",
    "drop_renewal": "a renewal is committed (the refresh token rotates), then the "
    "connection is closed unanswered",
}
"""Every fault kind with what it does."""

_RANDOM_KINDS = {
    "graphql": (
        "html_502",
        "empty_body",
        "truncated_json",
        "rate_limit",
        "unavailable",
        "delay",
        "reset",
        "reset_after_execute",
        "revoke_access",
    ),
    "token": ("html_502", "delay", "reset"),
    "renew": ("drop_renewal", "delay"),
}


@dataclass(frozen=True)
class Fault:
    """One fault to inject into one request."""

    kind: str
    status: int = 502
    """HTTP status of a ``status`` fault."""
    body: str = ""
    """Body of a ``status`` fault."""
    content_type: str = "text/plain"
    delay: float = 0.05
    """Seconds of a ``delay`` fault."""
    retry_after: float = 0.05
    """Seconds in the Retry-After header of ``rate_limit`` and ``unavailable``."""

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {self.kind!r}; choose one of "
                f"{', '.join(sorted(FAULT_KINDS))}"
            )


class FaultInjector:
    """Chooses which fault, if any, each request to the emulator gets."""

    def __init__(self) -> None:
        self.injected: Counter[str] = Counter()
        self._queued: dict[str, deque[Fault]] = {
            "graphql": deque(),
            "token": deque(),
            "renew": deque(),
        }
        self._rates: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._random = random.Random(0)
        self._lock = threading.Lock()

    def queue(
        self, fault: Fault | str, *, target: FaultTarget = "graphql", times: int = 1
    ) -> None:
        """Give the next ``times`` requests to ``target`` this fault."""
        if isinstance(fault, str):
            fault = Fault(fault)
        with self._lock:
            self._queued[target].extend([fault] * times)

    def randomize(
        self,
        rate: float,
        *,
        seed: int = 0,
        target: FaultTarget = "graphql",
        kinds: Iterable[str] | None = None,
    ) -> None:
        """Give each request to ``target`` a random fault with probability ``rate``."""
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {rate}")
        chosen = tuple(kinds) if kinds is not None else _RANDOM_KINDS[target]
        for kind in chosen:
            Fault(kind)  # rejects unknown kinds
        with self._lock:
            self._rates[target] = (rate, chosen)
            self._random.seed(seed)

    def clear(self) -> None:
        """Remove every queued and random fault; counts are kept."""
        with self._lock:
            for queue in self._queued.values():
                queue.clear()
            self._rates.clear()

    def next_fault(self, target: FaultTarget) -> Fault | None:
        """Return the fault for the request arriving now, and count it."""
        with self._lock:
            queue = self._queued[target]
            fault: Fault | None = None
            if queue:
                fault = queue.popleft()
            elif target in self._rates:
                rate, kinds = self._rates[target]
                if self._random.random() < rate:
                    fault = Fault(self._random.choice(kinds))
            if fault is not None:
                self.injected[fault.kind] += 1
            return fault


_HTML_502 = (
    "<html><head><title>502 Bad Gateway</title></head><body>"
    "<center><h1>502 Bad Gateway</h1></center><hr><center>gateway</center>"
    "</body></html>"
)


def abort_connection(request: web.Request) -> None:
    """Close the connection without an response, as a network reset does."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise web.HTTPInternalServerError()


def fault_response(fault: Fault) -> web.Response:
    """Return the response that a status-like fault sends in place of the real one."""
    kind = fault.kind
    if kind == "html_502":
        return web.Response(status=502, text=_HTML_502, content_type="text/html")
    if kind == "empty_body":
        return web.Response(status=200, body=b"", content_type="application/json")
    if kind == "null_json":
        return web.Response(status=200, text="null", content_type="application/json")
    if kind == "wrong_content_type":
        return web.Response(status=200, text=_HTML_502, content_type="text/html")
    if kind in ("rate_limit", "unavailable"):
        status = 429 if kind == "rate_limit" else 503
        return web.json_response(
            {"message": "Too many requests." if status == 429 else "Unavailable."},
            status=status,
            headers={"Retry-After": f"{fault.retry_after:g}"},
        )
    return web.Response(
        status=fault.status, text=fault.body, content_type=fault.content_type
    )
