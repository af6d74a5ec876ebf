"""The token lifecycle: acquire, renew with single-use refresh tokens, invalidate.

One :class:`TokenManager` serves one tenant. However many coroutines need a
token at once, at most one token request is under way; the others wait for its
result.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
from aiohttp import hdrs

from ._errors import (
    AuthenticationError,
    ClientStateError,
    ConfigurationError,
    TokenError,
    TokenRequestError,
    TokenResponseError,
)
from ._secrets import Secret
from ._settings import Settings, check_secure_url
from ._token_response import TokenResponse, error_text, parse_token_response
from ._token_store import StoredTokens, TokenStore

__all__ = ["TokenManager", "TokenSet", "TokenStats"]

logger = logging.getLogger(__name__)

DEFAULT_ACCESS_LIFETIME = 900.0
"""Access token lifetime in seconds when the response does not tell (15 minutes)."""
DEFAULT_REFRESH_LIFETIME = 3600.0
"""Refresh token lifetime in seconds when the response does not tell (1 hour)."""


@dataclass(frozen=True)
class TokenSet:
    """A token pair with its URLs; times are readings of the manager's clock."""

    access_token: Secret
    refresh_token: Secret | None
    graphql_url: str
    refresh_url: str | None
    invalidate_url: str | None
    tenant_id: str | None
    received_at: float
    renew_at: float
    access_expires_at: float
    refresh_expires_at: float

    def __repr__(self) -> str:
        return (
            f"TokenSet(graphql_url={self.graphql_url!r}, tenant_id={self.tenant_id!r},"
            f" access_expires_at={self.access_expires_at:.1f})"
        )


@dataclass
class TokenStats:
    """Counts of token events since the manager was created."""

    acquisitions: int = 0
    renewals: int = 0
    failed_renewals: int = 0
    invalidations: int = 0
    rejected_access_tokens: int = 0
    history: list[str] = field(default_factory=list, repr=False)

    def record(self, event: str) -> None:
        self.history.append(event)
        if len(self.history) > 100:
            del self.history[:50]


class TokenManager:
    """Acquire, renew and invalidate the token pair of one tenant.

    ``clock`` returns seconds on a monotonic scale (default
    :func:`time.monotonic`); tests may pass a controllable one. Expiry is
    computed on that clock from the moment each response arrived, so the server's
    clock never matters. A token is renewed ``refresh_margin`` seconds before it
    expires, or after a fifth of its lifetime remains, whichever comes later.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = 60.0,
        request_timeout: float = 30.0,
        renew_with_credentials: bool = False,
        default_access_lifetime: float = DEFAULT_ACCESS_LIFETIME,
        default_refresh_lifetime: float = DEFAULT_REFRESH_LIFETIME,
        store: TokenStore | None = None,
        wall_clock: Callable[[], float] = time.time,
        invalidate_on_close: bool = True,
    ) -> None:
        if refresh_margin < 0:
            raise ValueError(f"refresh_margin must be >= 0, got {refresh_margin}")
        self.settings = settings
        self.stats = TokenStats()
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._renew_with_credentials = renew_with_credentials
        self._default_access_lifetime = default_access_lifetime
        self._default_refresh_lifetime = default_refresh_lifetime
        self._current: TokenSet | None = None
        self._pending: asyncio.Task[TokenSet] | None = None
        self._closed = False
        self._listeners: list[Callable[[TokenSet], None]] = []
        self._store = store
        self._wall_clock = wall_clock
        self._invalidate_on_close = invalidate_on_close

    def __repr__(self) -> str:
        return (
            f"TokenManager(client_id={self.settings.client_id!r}, "
            f"tenant_id={self.settings.tenant_id!r}, "
            f"token_url={self.settings.token_url!r})"
        )

    @property
    def current(self) -> TokenSet | None:
        """The token pair in use, or None before the first acquisition."""
        return self._current

    def attach_session(self, session: aiohttp.ClientSession) -> None:
        """Send token requests through ``session``, which the caller closes."""
        if self._session is not None and self._owns_session:
            raise ClientStateError("the token manager already owns a session")
        self._session = session
        self._owns_session = False

    def add_listener(self, listener: Callable[[TokenSet], None]) -> None:
        """Call ``listener`` with every new token pair, after it is in use."""
        self._listeners.append(listener)

    async def token(self) -> TokenSet:
        """Return a token pair that is not due for renewal, renewing if needed."""
        current = self._current
        if current is not None and self._clock() < current.renew_at:
            return current
        return await self._obtain_once()

    async def renew_after_rejection(self, rejected: TokenSet) -> TokenSet:
        """Return a new token pair after the server rejected ``rejected`` (a 401).

        When another caller already replaced that pair, its replacement is
        returned and no request is made.
        """
        current = self._current
        if current is not None and current.access_token is not rejected.access_token:
            return current
        if self._pending is None and current is not None:
            self.stats.rejected_access_tokens += 1
            # The server says this access token is no longer valid, whatever our
            # clock says, so it is due for renewal now.
            self._current = replace(current, renew_at=self._clock())
        return await self._obtain_once()

    async def invalidate(self) -> None:
        """Invalidate the current token pair on the server and forget it.

        Failures are logged, not raised: the tokens expire on their own.
        """
        if self._pending is not None:
            with contextlib.suppress(TokenError):
                await asyncio.shield(self._pending)
        current, self._current = self._current, None
        if self._store is not None:
            await self._store.clear()
        if current is None or current.invalidate_url is None:
            return
        parts = [f"accessToken={current.access_token.reveal()}"]
        if current.refresh_token is not None:
            parts.append(f"refreshToken={current.refresh_token.reveal()}")
        try:
            session = self._require_session()
            async with session.post(
                current.invalidate_url,
                headers={"x-tokens": ";".join(parts)},
                timeout=self._timeout,
                middlewares=(),
            ) as response:
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.warning(
                "token invalidation at %s failed: %s; the tokens stay valid until "
                "they expire",
                current.invalidate_url,
                type(error).__name__,
            )
            return
        if status >= 400:
            logger.warning(
                "token invalidation at %s failed with HTTP %d; the tokens stay "
                "valid until they expire",
                current.invalidate_url,
                status,
            )
            return
        self.stats.invalidations += 1
        self.stats.record("invalidated")
        logger.debug("tokens invalidated for tenant %s", self.settings.tenant_id)

    async def aclose(self) -> None:
        """Invalidate the tokens and close the session if this manager made it."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._invalidate_on_close:
                await self.invalidate()
        finally:
            if self._owns_session and self._session is not None:
                await self._session.close()
            self._session = None

    async def __aenter__(self) -> TokenManager:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _obtain_once(self) -> TokenSet:
        """Join the token request under way, or start one."""
        if self._closed:
            raise ClientStateError(
                "the token manager is closed; create a new client to reconnect"
            )
        pending = self._pending
        if pending is None:
            pending = asyncio.get_running_loop().create_task(self._obtain())
            self._pending = pending
            pending.add_done_callback(self._forget_pending)
        # shield: a caller that is cancelled must not cancel the request that
        # other callers wait for, or leave a spent refresh token in doubt.
        return await asyncio.shield(pending)

    def _forget_pending(self, task: asyncio.Task[TokenSet]) -> None:
        if self._pending is task:
            self._pending = None
        if not task.cancelled():
            task.exception()  # mark as retrieved; the callers got it

    async def _obtain(self) -> TokenSet:
        if self._store is None:
            return await self._renew_or_acquire()
        async with self._store.lock():
            stored = await self._store.load()
            if stored is not None:
                adopted = self._adopt(stored)
                if adopted is not None:
                    return adopted
            token_set = await self._renew_or_acquire()
            await self._store.save(self._to_stored(token_set))
            return token_set

    def _adopt(self, stored: StoredTokens) -> TokenSet | None:
        """Use a pair that another process stored, when it is newer than ours.

        Returns the pair when it can serve requests now; when it is due for
        renewal, it becomes the pair to renew and None is returned.
        """
        current = self._current
        # Every pair is saved right after it is obtained, under the lock, so a
        # stored pair that differs from ours is newer.
        if current is not None and stored.access_token == current.access_token:
            return None
        mono_now = self._clock()
        wall_now = self._wall_clock()
        token_set = self._token_set(
            stored,
            mono_now,
            access_left=stored.access_expires_at - wall_now,
            refresh_left=stored.refresh_expires_at - wall_now,
        )
        self._current = token_set
        if mono_now < token_set.renew_at:
            self.stats.record("adopted from store")
            for listener in self._listeners:
                listener(token_set)
            return token_set
        return None

    def _token_set(
        self,
        source: TokenResponse | StoredTokens,
        now: float,
        *,
        access_left: float,
        refresh_left: float,
    ) -> TokenSet:
        """Build a pair from ``source``, its times counted from ``now``."""
        margin = min(self._refresh_margin, max(access_left, 0.0) / 5)
        return TokenSet(
            access_token=source.access_token,
            refresh_token=source.refresh_token,
            graphql_url=source.graphql_url,
            refresh_url=source.refresh_url,
            invalidate_url=source.invalidate_url,
            tenant_id=source.tenant_id,
            received_at=now,
            renew_at=now + access_left - margin,
            access_expires_at=now + access_left,
            refresh_expires_at=now + refresh_left,
        )

    def _to_stored(self, token_set: TokenSet) -> StoredTokens:
        offset = self._wall_clock() - self._clock()
        return StoredTokens(
            access_token=token_set.access_token,
            refresh_token=token_set.refresh_token,
            access_expires_at=token_set.access_expires_at + offset,
            refresh_expires_at=token_set.refresh_expires_at + offset,
            graphql_url=token_set.graphql_url,
            refresh_url=token_set.refresh_url,
            invalidate_url=token_set.invalidate_url,
            tenant_id=token_set.tenant_id,
        )

    async def _renew_or_acquire(self) -> TokenSet:
        stale = self._current
        now = self._clock()
        if (
            stale is not None
            and stale.refresh_token is not None
            and stale.refresh_url is not None
            and now < stale.refresh_expires_at
        ):
            refresh_token = stale.refresh_token
            # A refresh token is single-use: forget it before sending, so that it
            # is never sent twice, even when the response never arrives.
            self._current = replace(stale, refresh_token=None)
            try:
                renewed = await self._renew(stale, refresh_token)
            except TokenError as error:
                self.stats.failed_renewals += 1
                self.stats.record("renewal failed")
                logger.warning(
                    "token renewal for tenant %s failed (%s); requesting a new "
                    "token with the client credentials",
                    self.settings.tenant_id,
                    error,
                )
            else:
                return self._install(renewed, "renewed")
        elif stale is not None:
            logger.debug(
                "refresh token for tenant %s is missing or expired; requesting "
                "a new token with the client credentials",
                self.settings.tenant_id,
            )
        return self._install(await self._acquire(), "acquired")

    def _install(
        self, response_and_time: tuple[TokenResponse, float], event: str
    ) -> TokenSet:
        response, received_at = response_and_time
        self._check_urls(response)
        refresh_margin = min(self._refresh_margin, response.refresh_lifetime / 5)
        token_set = self._token_set(
            response,
            received_at,
            access_left=response.access_lifetime,
            refresh_left=response.refresh_lifetime - refresh_margin,
        )
        self._current = token_set
        if event == "renewed":
            self.stats.renewals += 1
        else:
            self.stats.acquisitions += 1
        self.stats.record(event)
        logger.debug(
            "token %s for tenant %s: access token valid for %.0f s, refresh token "
            "for %.0f s",
            event,
            response.tenant_id or self.settings.tenant_id,
            response.access_lifetime,
            response.refresh_lifetime,
        )
        for listener in self._listeners:
            listener(token_set)
        return token_set

    def _check_urls(self, response: TokenResponse) -> None:
        urls = {
            "urls.graphQl": response.graphql_url,
            "urls.refreshToken": response.refresh_url,
            "urls.invalidateToken": response.invalidate_url,
        }
        for what, url in urls.items():
            if url is None:
                continue
            try:
                check_secure_url(url, what, self.settings.allow_insecure_http)
            except ConfigurationError as error:
                raise TokenResponseError(f"token response rejected: {error}") from None

    async def _acquire(self) -> tuple[TokenResponse, float]:
        settings = self.settings
        secret = settings.client_secret.reveal()
        kwargs: dict[str, Any]
        if settings.token_style == "oauth2":
            kwargs = {
                "data": {
                    "grant_type": "client_credentials",
                    "client_id": settings.client_id,
                    "client_secret": secret,
                    "scope": f"tenantid:{settings.tenant_id}",
                }
            }
        else:
            kwargs = {"json": self._credentials_body()}
        return await self._post_token_request(
            settings.token_url, "token request", kwargs, acquisition=True
        )

    async def _renew(
        self, stale: TokenSet, refresh_token: Secret
    ) -> tuple[TokenResponse, float]:
        assert stale.refresh_url is not None  # noqa: S101 - checked by the caller
        kwargs: dict[str, Any] = {
            "headers": {hdrs.AUTHORIZATION: f"Bearer {refresh_token.reveal()}"}
        }
        if self._renew_with_credentials:
            kwargs["json"] = self._credentials_body()
        return await self._post_token_request(
            stale.refresh_url, "token renewal", kwargs, acquisition=False
        )

    def _credentials_body(self) -> dict[str, str]:
        return {
            "clientId": self.settings.client_id,
            "clientSecret": self.settings.client_secret.reveal(),
            "tenantId": self.settings.tenant_id,
        }

    async def _post_token_request(
        self, url: str, what: str, kwargs: dict[str, Any], *, acquisition: bool
    ) -> tuple[TokenResponse, float]:
        session = self._require_session()
        try:
            async with session.post(
                url, timeout=self._timeout, middlewares=(), **kwargs
            ) as response:
                received_at = self._clock()
                status = response.status
                server_date = response.headers.get(hdrs.DATE)
                text = await response.text()
        except asyncio.TimeoutError as error:
            raise TokenRequestError(
                f"{what} to {url} timed out after {self._timeout.total} s; check "
                "the network or raise the token request timeout"
            ) from error
        except aiohttp.ClientError as error:
            raise TokenRequestError(
                f"{what} to {url} failed: {self.scrub(str(error))}; check the "
                "token URL and the network"
            ) from error
        body = _json_or_none(text)
        if status >= 400:
            raise self._status_error(what, url, status, body, acquisition)
        if body is None:
            raise TokenRequestError(
                f"{what} to {url} returned HTTP {status} with a body that is not "
                "JSON; check that the URL is the SDMO token endpoint",
                status=status,
            )
        token_response = parse_token_response(
            body,
            token_url=url,
            server_date=server_date,
            default_access_lifetime=self._default_access_lifetime,
            default_refresh_lifetime=self._default_refresh_lifetime,
        )
        return token_response, received_at

    def _status_error(
        self, what: str, url: str, status: int, body: Any, acquisition: bool
    ) -> TokenRequestError:
        detail = self.scrub(error_text(body, "no error text"))
        if status in (401, 403) and acquisition:
            advice = (
                "check SAGE_DMO_CLIENT_ID and SAGE_DMO_CLIENT_SECRET"
                if status == 401
                else "check SAGE_DMO_TENANT_ID and that the tenant has an API user "
                "for this application"
            )
            return AuthenticationError(
                f"{what} to {url} was rejected with HTTP {status} ({detail}) for "
                f"client id {self.settings.client_id!r} and tenant "
                f"{self.settings.tenant_id!r}; {advice}",
                status=status,
            )
        if status == 404:
            advice = (
                "check SAGE_DMO_TOKEN_URL: it should be the token endpoint, "
                "ending in /v1/token"
            )
        elif status >= 500:
            advice = "the token service failed; try again later"
        else:
            advice = "check the token URL, the credentials and the token style"
        return TokenRequestError(
            f"{what} to {url} failed with HTTP {status} ({detail}); {advice}",
            status=status,
        )

    def scrub(self, text: str) -> str:
        """Mask any secret that a server or library echoed into ``text``."""
        secrets = [self.settings.client_secret.reveal()]
        current = self._current
        if current is not None:
            secrets.append(current.access_token.reveal())
            if current.refresh_token is not None:
                secrets.append(current.refresh_token.reveal())
        for secret in secrets:
            if secret:
                text = text.replace(secret, str(Secret(secret)))
        return text

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            if self._closed:
                raise ClientStateError("the token manager is closed")
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
