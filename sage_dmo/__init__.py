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
    MutationOutcomeUnknownError,
    ProtocolError,
    QueryValidationError,
    RequestTimeoutError,
    SageDMOError,
    ServerError,
    TokenError,
    TokenRequestError,
    TokenResponseError,
    TransportError,
    UnauthorizedError,
)
from ._retry import RetryPolicy
from ._secrets import Secret
from ._settings import DEFAULT_TOKEN_URL, Settings, TokenStyle
from ._token_store import FileTokenStore, MemoryTokenStore, StoredTokens, TokenStore
from ._tokens import TokenManager, TokenSet, TokenStats
from ._transport import SageDMOTransport

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TOKEN_URL",
    "AuthenticationError",
    "ClientStateError",
    "ConfigurationError",
    "ConnectionFailedError",
    "FileTokenStore",
    "FilterError",
    "FilterProblem",
    "GraphQLResponseError",
    "MemoryTokenStore",
    "MutationOutcomeUnknownError",
    "ProtocolError",
    "QueryValidationError",
    "RequestTimeoutError",
    "RetryPolicy",
    "SageDMOClient",
    "SageDMOError",
    "SageDMOTransport",
    "Secret",
    "ServerError",
    "Settings",
    "StoredTokens",
    "TokenError",
    "TokenManager",
    "TokenRequestError",
    "TokenResponseError",
    "TokenSet",
    "TokenStats",
    "TokenStore",
    "TokenStyle",
    "TransportError",
    "UnauthorizedError",
    "__version__",
    "dumps_json",
]
