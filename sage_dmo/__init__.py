"""Async client, CLI and tenant emulator for the GraphQL API of Sage DMO."""

from __future__ import annotations

from ._client import SageDMOClient, dumps_json
from ._errors import (
    AuthenticationError,
    ClientStateError,
    ConfigurationError,
    ConnectionFailedError,
    FilterError,
    FilterProblem,
    GraphQLResponseError,
    ProtocolError,
    QueryValidationError,
    SageDMOError,
    ServerError,
    TokenError,
    TokenRequestError,
    TokenResponseError,
    TransportError,
    UnauthorizedError,
)
from ._secrets import Secret
from ._settings import DEFAULT_TOKEN_URL, Settings, TokenStyle
from ._tokens import TokenManager, TokenSet, TokenStats
from ._transport import SageDMOTransport

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TOKEN_URL",
    "AuthenticationError",
    "ClientStateError",
    "ConfigurationError",
    "ConnectionFailedError",
    "FilterError",
    "FilterProblem",
    "GraphQLResponseError",
    "ProtocolError",
    "QueryValidationError",
    "SageDMOClient",
    "SageDMOError",
    "SageDMOTransport",
    "Secret",
    "ServerError",
    "Settings",
    "TokenError",
    "TokenManager",
    "TokenRequestError",
    "TokenResponseError",
    "TokenSet",
    "TokenStats",
    "TokenStyle",
    "TransportError",
    "UnauthorizedError",
    "__version__",
    "dumps_json",
]
