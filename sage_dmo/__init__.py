"""Async client, CLI and tenant emulator for the GraphQL API of Sage DMO."""

from __future__ import annotations

from ._client import SageDMOClient, dumps_json
from ._errors import (
    AuthenticationError,
    ClientStateError,
    ConfigurationError,
    ConnectionFailedError,
    ExportError,
    FilterError,
    FilterProblem,
    GraphQLResponseError,
    IntrospectionDisabledError,
    InvalidIntrospectionError,
    MutationOutcomeUnknownError,
    PagingError,
    ProtocolError,
    QueryValidationError,
    RequestTimeoutError,
    SageDMOError,
    SchemaDownloadError,
    SchemaError,
    SchemaFileError,
    ServerError,
    TokenError,
    TokenRequestError,
    TokenResponseError,
    TransportError,
    UnauthorizedError,
)
from ._filter_builder import Clause, F, build_filter, build_order_by
from ._paging import Page, ProgressCallback, iterate_nodes, iterate_pages
from ._retry import RetryPolicy
from ._scalars import convert_result, serialize_variables
from ._schema_download import DownloadResult, download_schema
from ._schema_load import load_schema, load_schema_async
from ._secrets import Secret
from ._settings import DEFAULT_TOKEN_URL, Settings, TokenStyle
from ._sync import ChangeSync, Watermark, sync_changes
from ._token_store import FileTokenStore, MemoryTokenStore, StoredTokens, TokenStore
from ._tokens import TokenManager, TokenSet, TokenStats
from ._transport import SageDMOTransport
from ._validate import Diagnostic, validate_document, validate_paths

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TOKEN_URL",
    "AuthenticationError",
    "ChangeSync",
    "Clause",
    "ClientStateError",
    "ConfigurationError",
    "ConnectionFailedError",
    "Diagnostic",
    "DownloadResult",
    "ExportError",
    "F",
    "FileTokenStore",
    "FilterError",
    "FilterProblem",
    "GraphQLResponseError",
    "IntrospectionDisabledError",
    "InvalidIntrospectionError",
    "MemoryTokenStore",
    "MutationOutcomeUnknownError",
    "Page",
    "PagingError",
    "ProgressCallback",
    "ProtocolError",
    "QueryValidationError",
    "RequestTimeoutError",
    "RetryPolicy",
    "SageDMOClient",
    "SageDMOError",
    "SageDMOTransport",
    "SchemaDownloadError",
    "SchemaError",
    "SchemaFileError",
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
    "Watermark",
    "__version__",
    "build_filter",
    "build_order_by",
    "convert_result",
    "download_schema",
    "dumps_json",
    "iterate_nodes",
    "iterate_pages",
    "load_schema",
    "load_schema_async",
    "serialize_variables",
    "sync_changes",
    "validate_document",
    "validate_paths",
]
