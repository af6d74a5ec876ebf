"""``SageDMOClient``: the high-level async client for one SDMO tenant."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from gql import GraphQLRequest
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    parse,
)

from ._errors import ClientStateError, GraphQLResponseError, QueryValidationError
from ._retry import RetryPolicy
from ._scalars import convert_result, format_date, format_datetime, format_decimal
from ._secrets import Secret
from ._settings import Settings, TokenStyle
from ._token_store import TokenStore
from ._tokens import TokenManager, TokenStats
from ._transport import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_TOKEN_TIMEOUT,
    SageDMOTransport,
)
from ._validate import validation_errors

__all__ = ["SageDMOClient", "dumps_json"]

logger = logging.getLogger(__name__)

_DOCUMENT_CACHE_SIZE = 512


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # SDMO takes a Decimal input as a number or a string; a string keeps
        # every digit, where a float would round.
        return format_decimal(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    raise TypeError(f"{type(value).__name__} value {value!r} is not JSON serializable")


def dumps_json(value: Any) -> str:
    """Serialize variables to JSON, writing Decimal, date and datetime exactly."""
    return json.dumps(value, default=_json_default, ensure_ascii=False)


class SageDMOClient:
    """An async client for one SDMO tenant, used as an async context manager.

    Settings come from ``settings``, else from the keyword arguments, else from
    the ``SAGE_DMO_*`` environment variables::

        async with SageDMOClient() as client:
            data = await client.execute(query, {"first": 10})
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | Secret | None = None,
        tenant_id: str | None = None,
        token_style: TokenStyle | None = None,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = 60.0,
        timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        token_timeout: float = DEFAULT_TOKEN_TIMEOUT,
        retry: RetryPolicy | bool = True,
        token_store: TokenStore | None = None,
        invalidate_on_close: bool = True,
        schema: GraphQLSchema | None = None,
        validate: bool = True,
        client_session_args: dict[str, Any] | None = None,
    ) -> None:
        if settings is None:
            settings = Settings.from_env(
                token_url=token_url,
                client_id=client_id,
                client_secret=client_secret,
                tenant_id=tenant_id,
                token_style=token_style,
            )
        self.settings = settings
        self.schema = schema
        """The tenant's schema: operations are checked against it, and
        execute_typed needs it."""
        self.validate = validate and schema is not None
        """Whether each operation is validated against ``schema`` before sending."""
        self._validated: OrderedDict[int, DocumentNode] = OrderedDict()
        token_manager = TokenManager(
            settings,
            clock=clock,
            refresh_margin=refresh_margin,
            request_timeout=token_timeout,
            store=token_store,
            invalidate_on_close=invalidate_on_close,
        )
        self.transport = SageDMOTransport(
            token_manager=token_manager,
            timeout=timeout,
            connect_timeout=connect_timeout,
            retry=retry,
            client_session_args=client_session_args,
            json_serialize=dumps_json,
        )
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._state = "new"

    def __repr__(self) -> str:
        return (
            f"SageDMOClient(tenant_id={self.settings.tenant_id!r}, "
            f"token_url={self.settings.token_url!r}, state={self._state!r})"
        )

    @property
    def graphql_url(self) -> str:
        """The tenant's GraphQL URL, as the token response gave it."""
        self._require_open()
        return str(self.transport.url)

    @property
    def token_stats(self) -> TokenStats:
        """Counts of token acquisitions, renewals and invalidations."""
        return self.transport.token_manager.stats

    async def open(self) -> None:
        """Acquire a token and learn the tenant's URL."""
        if self._state == "open":
            raise ClientStateError("the client is already open")
        if self._state == "closed":
            raise ClientStateError(
                "the client is closed and cannot be reopened; create a new one"
            )
        await self.transport.connect()
        self._state = "open"

    async def aclose(self) -> None:
        """Invalidate both tokens and close the connections; safe to call twice."""
        if self._state == "closed":
            return
        was_open = self._state == "open"
        self._state = "closed"
        if was_open:
            await self.transport.close()
        await self.transport.token_manager.aclose()

    async def __aenter__(self) -> SageDMOClient:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def execute(
        self,
        query: str | DocumentNode,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run a query or mutation and return its ``data``.

        Raises GraphQLResponseError when the response carries errors; the error
        keeps the partial data and SDMO's codes and diagnoses. A mutation is sent
        again only after a 401 (at most twice), which proves the server did not
        run it.
        """
        request = self._request(query, variables, operation_name)
        started = time.perf_counter()
        result = await self.transport.execute(request)
        self._log(request, result, started)
        if result.errors:
            raise GraphQLResponseError(
                [_error_dict(error) for error in result.errors],
                result.data,
                result.extensions,
            )
        if result.data is None:
            raise GraphQLResponseError(
                [{"message": "the response has neither data nor errors"}]
            )
        return result.data

    async def execute_typed(
        self,
        query: str | DocumentNode,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run an operation and return ``data`` with exact Python scalars.

        ``Decimal`` outputs become ``decimal.Decimal``, ``Date`` ``datetime.date``
        and ``Datetime`` aware ``datetime.datetime``; ``Id`` stays a string. Needs
        the client's ``schema``.
        """
        if self.schema is None:
            raise ClientStateError(
                "execute_typed needs the tenant's schema to know which fields are "
                "Decimal, Date or Datetime; pass schema= to SageDMOClient"
            )
        document = self._document(query)
        data = await self.execute(document, variables, operation_name=operation_name)
        return convert_result(data, document, self.schema, operation_name)

    async def execute_result(
        self,
        query: str | DocumentNode,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
    ) -> ExecutionResult:
        """Run a query or mutation and return the whole response, errors included."""
        request = self._request(query, variables, operation_name)
        started = time.perf_counter()
        result = await self.transport.execute(request)
        self._log(request, result, started)
        return result

    def _request(
        self,
        query: str | DocumentNode,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
    ) -> GraphQLRequest:
        self._require_open()
        return GraphQLRequest(
            self._document(query),
            variable_values=dict(variables) if variables else None,
            operation_name=operation_name,
        )

    def _log(
        self, request: GraphQLRequest, result: ExecutionResult, started: float
    ) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s: %s in %.1f ms",
                request.operation_name or "operation",
                "errors" if result.errors else "ok",
                (time.perf_counter() - started) * 1000,
            )

    def _document(self, query: str | DocumentNode) -> DocumentNode:
        if isinstance(query, DocumentNode):
            self._check(query, None)
            return query
        documents = self._documents
        document = documents.get(query)
        if document is not None:
            return document
        try:
            document = parse(query)
        except GraphQLError as error:
            raise QueryValidationError([error], query) from None
        self._check(document, query)
        documents[query] = document
        if len(documents) > _DOCUMENT_CACHE_SIZE:
            documents.popitem(last=False)
        # The text the caller wrote is sent as it is, never printed again.
        self.transport.remember_printed(document, query)
        return document

    def _check(self, document: DocumentNode, text: str | None) -> None:
        """Raise QueryValidationError with every error of ``document``.

        Each document is checked once: the result is remembered while the
        document stays in the cache.
        """
        if not self.validate or self.schema is None:
            return
        key = id(document)
        if self._validated.get(key) is document:
            return
        errors = validation_errors(self.schema, document)
        if errors:
            raise QueryValidationError(errors, text)
        self._validated[key] = document
        if len(self._validated) > _DOCUMENT_CACHE_SIZE:
            self._validated.popitem(last=False)

    def _require_open(self) -> None:
        if self._state != "open":
            raise ClientStateError(
                f"the client is {self._state}; use it inside 'async with "
                "SageDMOClient(...) as client:' or call open() first"
            )


def _error_dict(error: Any) -> dict[str, Any]:
    if isinstance(error, GraphQLError):
        return dict(error.formatted)
    if isinstance(error, Mapping):
        return dict(error)
    return {"message": str(error)}
