"""Every exception that sage_dmo raises, under one root.

    SageDMOError
     ├── ConfigurationError (ValueError)     settings missing or invalid
     ├── ClientStateError (RuntimeError)     client used before open or after close
     ├── FilterError (ValueError)            a filter or orderBy string is invalid
     ├── TokenError                          the token API failed
     │    ├── TokenRequestError              unexpected status or body
     │    │    └── AuthenticationError       credentials or tenant rejected (401/403)
     │    └── TokenResponseError             response without the expected fields
     ├── QueryValidationError (ValueError)   a query is malformed or invalid
     ├── PagingError                         paging would not end, or no connection
     ├── ExportError                         an export stopped before its last row
     ├── SchemaError                         a schema could not be downloaded or loaded
     │    ├── SchemaDownloadError            token, transport or timeout failure
     │    │    ├── IntrospectionDisabledError    the server rejects introspection
     │    │    └── InvalidIntrospectionError     the result breaks the format
     │    └── SchemaFileError (ValueError)   a file cannot be read, written or built
     ├── GraphQLResponseError (gql TransportQueryError)   GraphQL errors in the response
     └── TransportError                      the GraphQL endpoint failed
          ├── ServerError (gql TransportServerError, .code)   HTTP status >= 400
          │    └── UnauthorizedError         401 even after renewals and resends
          ├── ProtocolError (gql TransportProtocolError)      not a GraphQL response
          └── ConnectionFailedError (gql TransportConnectionFailed)
               ├── RequestTimeoutError (TimeoutError)       no response in time
               └── MutationOutcomeUnknownError  a mutation was sent, no response came

Messages say what failed, on which value, and what to do next. None of them ever
contains a client secret, an access token or a refresh token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gql.transport import exceptions as gql_errors

__all__ = [
    "AuthenticationError",
    "ClientStateError",
    "ConfigurationError",
    "ConnectionFailedError",
    "ExportError",
    "FilterError",
    "FilterProblem",
    "GraphQLResponseError",
    "IntrospectionDisabledError",
    "InvalidIntrospectionError",
    "MutationOutcomeUnknownError",
    "PagingError",
    "ProtocolError",
    "QueryValidationError",
    "RequestTimeoutError",
    "SageDMOError",
    "SchemaDownloadError",
    "SchemaError",
    "SchemaFileError",
    "ServerError",
    "TokenError",
    "TokenRequestError",
    "TokenResponseError",
    "TransportError",
    "UnauthorizedError",
]


class SageDMOError(Exception):
    """Root of every error raised by sage_dmo."""


class ConfigurationError(SageDMOError, ValueError):
    """A setting is missing or invalid."""


class ClientStateError(SageDMOError, RuntimeError):
    """A client or transport was used before it was opened or after it was closed."""


@dataclass(frozen=True)
class FilterProblem:
    """One problem in a filter or orderBy string.

    ``start`` and ``end`` are character offsets into the string; ``line`` and
    ``column`` are 1-based and point at ``start``.
    """

    message: str
    start: int
    end: int
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.message}"


class FilterError(SageDMOError, ValueError):
    """A filter or orderBy string is malformed or does not fit the node."""

    def __init__(self, kind: str, text: str, problems: Sequence[FilterProblem]) -> None:
        self.kind = kind
        self.text = text
        self.problems = tuple(problems)
        lines = "; ".join(str(problem) for problem in self.problems)
        super().__init__(f"invalid {kind} {text!r}: {lines}")


class TokenError(SageDMOError):
    """The token API did not deliver a usable token."""


class TokenRequestError(TokenError):
    """The token API responded with an error status or an unreadable body."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationError(TokenRequestError):
    """The token API rejected the credentials, the tenant or a refresh token."""


class TokenResponseError(TokenError):
    """A token response lacked a field the client needs, such as the access token."""


class GraphQLResponseError(SageDMOError, gql_errors.TransportQueryError):
    """The GraphQL response carried errors.

    ``errors`` keeps each error as the server sent it, including SDMO's
    ``extensions.code`` and ``extensions.diagnoses``; ``data`` keeps the partial
    data, in which failed fields are ``null``.
    """

    def __init__(
        self,
        errors: Sequence[Mapping[str, Any]],
        data: Mapping[str, Any] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        copied = [dict(error) for error in errors]
        gql_errors.TransportQueryError.__init__(
            self,
            _summarize(copied),
            errors=copied,
            data=dict(data) if data is not None else None,
            extensions=dict(extensions) if extensions is not None else None,
        )

    @property
    def codes(self) -> list[str]:
        """SDMO error codes (``extensions.code``) in the order of the errors."""
        codes = []
        for error in self.errors or []:
            code = (error.get("extensions") or {}).get("code")
            if isinstance(code, str):
                codes.append(code)
        return codes


def _summarize(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors[:3]:
        message = str(error.get("message", "error without a message"))
        path = error.get("path")
        if path:
            where = ".".join(str(step) for step in path)
            message = f"{message} (at {where})"
        code = (error.get("extensions") or {}).get("code")
        if code:
            message = f"{message} [{code}]"
        parts.append(message)
    more = len(errors) - len(parts)
    if more > 0:
        parts.append(f"and {more} more")
    return f"GraphQL request failed: {'; '.join(parts)}"


class QueryValidationError(SageDMOError, ValueError):
    """A query document does not parse, or does not validate against the schema.

    ``errors`` holds every graphql-core error, each with its locations.
    """

    def __init__(self, errors: Sequence[Any], query: str | None = None) -> None:
        self.errors = list(errors)
        self.query = query
        lines = []
        for error in self.errors:
            where = ""
            locations = getattr(error, "locations", None)
            if locations:
                first = locations[0]
                where = f"{first.line}:{first.column}: "
            lines.append(f"{where}{getattr(error, 'message', str(error))}")
        count = len(lines)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"query has {count} {noun}: " + "; ".join(lines))


class PagingError(SageDMOError):
    """The pages of a connection would not end, or a response lacked the connection.

    Raised when a page is empty or repeats an earlier ``endCursor`` while
    ``hasNextPage`` is true, which would otherwise make paging loop forever.
    """


class ExportError(SageDMOError):
    """An export stopped before its last row; the message names where rows were kept."""


class SchemaError(SageDMOError):
    """A GraphQL schema could not be downloaded or loaded."""


class SchemaDownloadError(SchemaError):
    """Downloading the schema failed; ``__cause__`` is the underlying error."""


class IntrospectionDisabledError(SchemaDownloadError):
    """The server returned GraphQL errors for the introspection query.

    ``messages`` contains the server's error messages.
    """

    def __init__(self, message: str, messages: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.messages = messages


class InvalidIntrospectionError(SchemaDownloadError):
    """The introspection result does not follow the GraphQL introspection format.

    ``type_name`` and ``field_name`` name the offending type and field when
    known; ``location`` is the JSON path of the bad value, such as
    ``__schema.types[12].fields[3].type.ofType``.
    """

    def __init__(
        self,
        message: str,
        *,
        type_name: str | None = None,
        field_name: str | None = None,
        location: str | None = None,
    ) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.field_name = field_name
        self.location = location


class SchemaFileError(SchemaError, ValueError):
    """A schema file cannot be read or written, or is not a valid schema.

    ``line`` and ``column`` are 1-based and set for syntax errors.
    """

    def __init__(
        self,
        message: str,
        path: Path,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


class TransportError(SageDMOError):
    """The tenant's GraphQL endpoint could not be used."""


class ServerError(TransportError, gql_errors.TransportServerError):
    """The GraphQL endpoint responded with an HTTP error status (``.code``)."""

    def __init__(
        self, message: str, code: int, *, retry_after: float | None = None
    ) -> None:
        gql_errors.TransportServerError.__init__(self, message, code)
        self.retry_after = retry_after
        """Seconds from a Retry-After header, if the server sent one."""

    @property
    def status(self) -> int | None:
        return self.code


class UnauthorizedError(ServerError):
    """Renewed access tokens were rejected too (401 after two resends)."""


class ProtocolError(TransportError, gql_errors.TransportProtocolError):
    """The response was not a GraphQL result (HTML, empty, truncated JSON)."""


class ConnectionFailedError(TransportError, gql_errors.TransportConnectionFailed):
    """The connection to the GraphQL endpoint failed or timed out."""


class RequestTimeoutError(ConnectionFailedError, TimeoutError):
    """No response arrived within the request timeout."""


class MutationOutcomeUnknownError(ConnectionFailedError):
    """A mutation was sent but no response came, so the server may have run it.

    It is never resent automatically: check the data before sending it again.
    """
