"""Reading GraphQL HTTP responses into JSON, or into a typed error with a safe excerpt.

Gateways in front of SDMO response with HTML pages, empty bodies or cut-off JSON;
each case becomes an error that names the status, the content type and a short
excerpt of the body with secrets masked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from ._errors import ProtocolError, ServerError, UnauthorizedError

__all__ = ["excerpt", "read_json_body", "retry_after_seconds"]

_EXCERPT_LENGTH = 160
_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

Scrub = Callable[[str], str]


def excerpt(raw: bytes, content_type: str, scrub: Scrub) -> str:
    """Return a short, single-line, secret-free excerpt of a response body."""
    text = raw[: _EXCERPT_LENGTH * 8].decode("utf-8", errors="replace")
    if "html" in content_type:
        text = _TAG.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    text = " ".join(text.split())
    text = scrub(text)
    if len(text) > _EXCERPT_LENGTH:
        text = text[: _EXCERPT_LENGTH - 3] + "..."
    return text


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date) into seconds."""
    if not value:
        return None
    value = value.strip()
    try:
        # The standard allows whole seconds; some servers send fractions.
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (moment - now).total_seconds())


async def read_json_body(
    response: aiohttp.ClientResponse, url: str, scrub: Scrub
) -> Any:
    """Return the decoded JSON body of a GraphQL response, or raise a typed error.

    Raises UnauthorizedError for a 401, ServerError for any other status of 400
    or more, and ProtocolError for an empty, non-JSON, truncated or ``null``
    body with a success status.
    """
    raw = await response.read()
    status = response.status
    content_type = response.content_type or "no content type"
    if status == 401:
        raise UnauthorizedError(
            f"the GraphQL endpoint {url} rejected freshly renewed access tokens "
            "(HTTP 401) after two resends; check that the tenant's API user still "
            "has access for this application",
            401,
        )
    if status >= 400:
        raise _status_error(status, raw, content_type, url, response.headers, scrub)
    if not raw.strip():
        raise ProtocolError(
            f"the GraphQL endpoint {url} responded HTTP {status} with an empty body; "
            "a gateway may have cut the response, so try again"
        )
    if "json" not in content_type:
        raise ProtocolError(
            f"the GraphQL endpoint {url} responded HTTP {status} with {content_type} "
            f"instead of JSON: {excerpt(raw, content_type, scrub)!r}; check that "
            "the URL is the tenant's GraphQL endpoint"
        )
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise ProtocolError(
            f"the GraphQL endpoint {url} responded HTTP {status} with invalid or "
            f"truncated JSON ({error}): {excerpt(raw, content_type, scrub)!r}"
        ) from None
    if body is None:
        raise ProtocolError(
            f"the GraphQL endpoint {url} responded HTTP {status} with a JSON null "
            "instead of a GraphQL result"
        )
    return body


def _status_error(
    status: int,
    raw: bytes,
    content_type: str,
    url: str,
    headers: Mapping[str, str],
    scrub: Scrub,
) -> ServerError:
    detail = _graphql_message(raw) or excerpt(raw, content_type, scrub) or "no body"
    return ServerError(
        f"the GraphQL endpoint {url} responded HTTP {status} ({content_type}): "
        f"{scrub(detail)!r}",
        status,
        retry_after=retry_after_seconds(headers.get("Retry-After")),
    )


def _graphql_message(raw: bytes) -> str | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(body, Mapping):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        message = errors[0].get("message")
        if isinstance(message, str):
            return message[:_EXCERPT_LENGTH]
    diagnoses = body.get("$diagnoses")
    if isinstance(diagnoses, list) and diagnoses and isinstance(diagnoses[0], Mapping):
        message = diagnoses[0].get("$message")
        if isinstance(message, str):
            return message[:_EXCERPT_LENGTH]
    return None
