"""The emulated SDMO token API: acquire, renew with rotation, invalidate.

Refresh tokens are single-use: a spent, unknown, invalidated or expired one gets
401. Every event is counted in :class:`EmulatorCounters` for tests to read.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import hdrs, web

from ._faults import FaultInjector, abort_connection, fault_response

__all__ = ["EmulatorCounters", "TokenAPI", "TokenPolicy"]

logger = logging.getLogger(__name__)


@dataclass
class EmulatorCounters:
    """Counts of token and GraphQL events since the start, or since :meth:`reset`."""

    tokens_issued: int = 0
    acquisitions: int = 0
    renewals: int = 0
    rejected_renewals: int = 0
    spent_refresh_token_reuses: int = 0
    invalidations: int = 0
    rejected_acquisitions: int = 0
    dropped_renewal_answers: int = 0
    graphql_requests: Counter[int] = field(default_factory=Counter)
    """GraphQL requests by HTTP status; 0 counts connections closed unanswered."""

    def reset(self) -> None:
        """Set every count back to zero."""
        fresh = EmulatorCounters()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))


@dataclass(frozen=True)
class TokenPolicy:
    """Credentials the token API accepts and how it responses."""

    client_id: str
    client_secret: str
    tenant_id: str
    access_token_lifetime: float = 900.0
    refresh_token_lifetime: float = 3600.0
    graphql_url_keys: tuple[str, ...] = ("graphQl", "graphQL")
    """Keys under ``urls`` that carry the GraphQL URL; real responses vary."""
    oauth_aliases: bool = False
    """Also response with ``access_token``, ``refresh_token`` and ``expires_in``."""


@dataclass
class _AccessRecord:
    expires_at: datetime
    valid: bool = True


@dataclass
class _RefreshRecord:
    expires_at: datetime
    access_token: str
    spent: bool = False
    valid: bool = True


class TokenAPI:
    """Issue and check token pairs; owns the ``/v1/token`` routes."""

    def __init__(
        self,
        policy: TokenPolicy,
        counters: EmulatorCounters,
        clock: Callable[[], datetime],
        graphql_path: str,
        faults: FaultInjector | None = None,
    ) -> None:
        self.policy = policy
        self.faults = faults or FaultInjector()
        self.counters = counters
        self._clock = clock
        self._graphql_path = graphql_path
        self._drop_next_renewal = False
        self._access: dict[str, _AccessRecord] = {}
        self._refresh: dict[str, _RefreshRecord] = {}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/token", self._handle_acquire)
        app.router.add_post("/v1/token/renew", self._handle_renew)
        app.router.add_post("/v1/token/invalidate", self._handle_invalidate)
        app.router.add_delete("/v1/token/invalidate", self._handle_invalidate)

    def check_access_token(self, token: str) -> str | None:
        """Return why ``token`` cannot be used, or None when it is valid now."""
        record = self._access.get(token)
        if record is None:
            return "the access token is unknown"
        if not record.valid:
            return "the access token has been invalidated"
        if self._clock() >= record.expires_at:
            return "the access token has expired"
        return None

    def revoke_access_tokens(self) -> int:
        """Invalidate every access token issued so far; return how many were valid.

        Refresh tokens stay valid, as when a server ends sessions early.
        """
        revoked = 0
        for record in self._access.values():
            if record.valid:
                record.valid = False
                revoked += 1
        return revoked

    def issued_tokens(self) -> list[str]:
        """Return every access and refresh token issued so far, for leak checks."""
        return [*self._access, *self._refresh]

    def is_valid_refresh_token(self, token: str) -> bool:
        record = self._refresh.get(token)
        return (
            record is not None
            and record.valid
            and not record.spent
            and self._clock() < record.expires_at
        )

    async def _handle_acquire(self, request: web.Request) -> web.Response:
        early = await self._fault_before("token", request)
        if early is not None:
            return early
        credentials = await self._read_credentials(request)
        if isinstance(credentials, web.Response):
            return credentials
        client_id, client_secret, tenant_id = credentials
        policy = self.policy
        known_client = secrets.compare_digest(client_id, policy.client_id)
        if not known_client or not secrets.compare_digest(
            client_secret, policy.client_secret
        ):
            self.counters.rejected_acquisitions += 1
            return _error(401, "Invalid client credentials.")
        if tenant_id != policy.tenant_id:
            self.counters.rejected_acquisitions += 1
            return _error(
                403, f"The application has no access to tenant {tenant_id!r}."
            )
        self.counters.acquisitions += 1
        return self._issue(request)

    async def _read_credentials(
        self, request: web.Request
    ) -> tuple[str, str, str] | web.Response:
        if request.content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            if form.get("grant_type") != "client_credentials":
                return _error(400, "grant_type must be client_credentials.")
            scope = str(form.get("scope", ""))
            tenant = scope.removeprefix("tenantid:") if scope else ""
            return (
                str(form.get("client_id", "")),
                str(form.get("client_secret", "")),
                tenant,
            )
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "The request body is not valid JSON.")
        if not isinstance(body, dict):
            return _error(400, "The request body must be a JSON object.")
        values = [body.get(key) for key in ("clientId", "clientSecret", "tenantId")]
        if not all(isinstance(value, str) and value for value in values):
            return _error(400, "clientId, clientSecret and tenantId are required.")
        return str(values[0]), str(values[1]), str(values[2])

    async def _handle_renew(self, request: web.Request) -> web.Response:
        early = await self._fault_before("renew", request)
        if early is not None:
            return early
        drop_answer = self._drop_next_renewal
        self._drop_next_renewal = False
        token = _bearer(request)
        record = self._refresh.get(token) if token else None
        if record is None:
            self.counters.rejected_renewals += 1
            return _error(401, "Unknown refresh token.")
        if record.spent:
            self.counters.rejected_renewals += 1
            self.counters.spent_refresh_token_reuses += 1
            logger.warning("a spent refresh token was sent again")
            return _error(401, "The refresh token has already been used.")
        if not record.valid or self._clock() >= record.expires_at:
            self.counters.rejected_renewals += 1
            return _error(401, "The refresh token has expired or been invalidated.")
        record.spent = True
        self.counters.renewals += 1
        response = self._issue(request)
        if drop_answer:
            # The rotation is committed: the old refresh token is spent and the
            # new pair exists, but the client never learns it.
            self.counters.dropped_renewal_answers += 1
            abort_connection(request)
        return response

    async def _fault_before(
        self, target: str, request: web.Request
    ) -> web.Response | None:
        fault = self.faults.next_fault("token" if target == "token" else "renew")
        if fault is None:
            return None
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay)
            return None
        if fault.kind == "drop_renewal":
            self._drop_next_renewal = True
            return None
        if fault.kind == "reset":
            abort_connection(request)
        return fault_response(fault)

    async def _handle_invalidate(self, request: web.Request) -> web.Response:
        header = request.headers.get("x-tokens", "")
        found = False
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "accessToken" and value in self._access:
                self._access[value].valid = False
                found = True
            elif name == "refreshToken" and value in self._refresh:
                self._refresh[value].valid = False
                found = True
        if found:
            self.counters.invalidations += 1
        return web.Response(status=204)

    def _issue(self, request: web.Request) -> web.Response:
        policy = self.policy
        now = self._clock()
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        access_expiry = now + timedelta(seconds=policy.access_token_lifetime)
        refresh_expiry = now + timedelta(seconds=policy.refresh_token_lifetime)
        self._access[access] = _AccessRecord(access_expiry)
        self._refresh[refresh] = _RefreshRecord(refresh_expiry, access)
        self.counters.tokens_issued += 1
        base = f"{request.scheme}://{request.host}"
        graphql_url = base + self._graphql_path
        urls: dict[str, str] = dict.fromkeys(policy.graphql_url_keys, graphql_url)
        urls.update(
            refreshToken=f"{base}/v1/token/renew",
            invalidateToken=f"{base}/v1/token/invalidate",
            websocketUrl=base.replace("http", "ws", 1) + "/ws",
            asyncContextUploadUrl=f"{base}/async/upload",
            asyncContextErrorUrl=f"{base}/async/errors",
        )
        body: dict[str, Any] = {
            "accessToken": access,
            "refreshToken": refresh,
            "accessTokenExpiration": _iso(access_expiry),
            "refreshTokenExpiration": _iso(refresh_expiry),
            "tenantId": policy.tenant_id,
            "urls": urls,
            "apps": {},
        }
        if policy.oauth_aliases:
            body.update(
                access_token=access,
                refresh_token=refresh,
                token_type="Bearer",
                expires_in=int(policy.access_token_lifetime),
            )
        # The Date header comes from the emulator's clock, like the expiry times.
        headers = {hdrs.DATE: format_datetime(now, usegmt=True)}
        return web.json_response(body, headers=headers)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get(hdrs.AUTHORIZATION, "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


bearer_token = _bearer
