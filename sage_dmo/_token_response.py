"""Reading the token API's responses: token pair, tenant URLs, lifetimes, error text.

SDMO documents few key names, so parsing accepts the spellings seen in the wild
(``urls.graphQl`` and ``urls.graphQL``, camelCase and OAuth keys) and computes
lifetimes without trusting the server's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from ._errors import TokenResponseError
from ._secrets import Secret

__all__ = ["TokenResponse", "error_text", "parse_token_response"]

_MAX_ERROR_TEXT = 300


@dataclass(frozen=True)
class TokenResponse:
    """The useful content of one token response, lifetimes in seconds."""

    access_token: Secret
    refresh_token: Secret | None
    access_lifetime: float
    refresh_lifetime: float
    graphql_url: str
    refresh_url: str | None
    invalidate_url: str | None
    tenant_id: str | None


def parse_token_response(
    body: Any,
    *,
    token_url: str,
    server_date: str | None,
    default_access_lifetime: float,
    default_refresh_lifetime: float,
) -> TokenResponse:
    """Read a token response; raise TokenResponseError when a required field is absent.

    Lifetimes come from ``expires_in`` when the server sends it, else from the
    expiry date-time minus the server's ``Date`` header (both on the server's
    clock, so skew cancels out), else from the defaults.
    """
    if not isinstance(body, Mapping):
        raise TokenResponseError(
            f"token response from {token_url} is not a JSON object; check that "
            "SAGE_DMO_TOKEN_URL points at the token endpoint"
        )
    access = _first_string(body, "accessToken", "access_token")
    if access is None:
        raise TokenResponseError(
            f"token response from {token_url} has no accessToken; the keys present "
            f"are {sorted(str(key) for key in body)}"
        )
    refresh = _first_string(body, "refreshToken", "refresh_token")
    urls = body.get("urls")
    urls = urls if isinstance(urls, Mapping) else {}
    graphql_url = _first_string(urls, "graphQl", "graphQL", "graphql")
    if graphql_url is None:
        raise TokenResponseError(
            f"token response from {token_url} has no urls.graphQl, so the tenant's "
            "GraphQL endpoint is unknown; check the tenant id and the token URL"
        )
    refresh_url = _first_string(urls, "refreshToken", "refresh")
    invalidate_url = _first_string(urls, "invalidateToken", "invalidate")
    date = _parse_http_date(server_date)
    return TokenResponse(
        access_token=Secret(access),
        refresh_token=Secret(refresh) if refresh else None,
        access_lifetime=_lifetime(
            body,
            ("expires_in", "expiresIn"),
            ("accessTokenExpiration", "accessTokenExpiresAt"),
            date,
            default_access_lifetime,
        ),
        refresh_lifetime=_lifetime(
            body,
            ("refresh_expires_in", "refreshExpiresIn"),
            ("refreshTokenExpiration", "refreshTokenExpiresAt"),
            date,
            default_refresh_lifetime,
        ),
        graphql_url=urljoin(token_url, graphql_url),
        refresh_url=urljoin(token_url, refresh_url) if refresh_url else None,
        invalidate_url=urljoin(token_url, invalidate_url) if invalidate_url else None,
        tenant_id=_first_string(body, "tenantId", "tenant_id"),
    )


def error_text(body: Any, fallback: str) -> str:
    """Return the error text of a token API response, shortened for messages.

    Looks at ``message``, then ``errors[0].message``, then
    ``$diagnoses[0].$message``, as real SDMO clients do.
    """
    text: Any = None
    if isinstance(body, Mapping):
        text = body.get("message")
        if not isinstance(text, str):
            text = _first_message(body.get("errors"), "message")
        if not isinstance(text, str):
            text = _first_message(body.get("$diagnoses"), "$message")
    if not isinstance(text, str) or not text.strip():
        text = fallback
    words: str = " ".join(text.split())
    if len(words) > _MAX_ERROR_TEXT:
        words = words[: _MAX_ERROR_TEXT - 3] + "..."
    return words


def _first_message(items: Any, key: str) -> str | None:
    if isinstance(items, list) and items and isinstance(items[0], Mapping):
        value = items[0].get(key)
        if isinstance(value, str):
            return value
    return None


def _first_string(mapping: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _lifetime(
    body: Mapping[str, Any],
    seconds_keys: tuple[str, ...],
    expiry_keys: tuple[str, ...],
    server_date: datetime | None,
    default: float,
) -> float:
    for key in seconds_keys:
        value = body.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if value > 0:
            return float(value)
    expiry = _parse_iso(_first_string(body, *expiry_keys))
    if expiry is not None and server_date is not None:
        # The Date header has whole seconds, so the difference can be up to one
        # second too long: take that second off to err on the early side.
        seconds = (expiry - server_date).total_seconds() - 1.0
        if seconds > 0:
            return seconds
    return default


def _parse_iso(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def _parse_http_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value
