"""``SageDMOTransport``: gql's aiohttp transport with the SDMO token lifecycle.

``connect()`` acquires a token and learns the tenant's GraphQL URL from it. An
aiohttp client middleware adds the bearer and renews before expiry. On a 401 it
renews once for all concurrent callers and resends the request, at most twice.
``close()`` invalidates both tokens.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse, hdrs
from gql import GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncAuthentication
from gql.transport.exceptions import TransportAlreadyConnected, TransportClosed
from graphql import (
    DocumentNode,
    ExecutionResult,
    OperationType,
    get_operation_ast,
    print_ast,
)

from ._errors import (
    ConnectionFailedError,
    MutationOutcomeUnknownError,
    ProtocolError,
    RequestTimeoutError,
    ServerError,
)
from ._responses import read_json_body
from ._retry import RetryPolicy, call_with_retries
from ._settings import Settings
from ._tokens import TokenManager, TokenSet

__all__ = ["SageDMOTransport"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_PRINTED_CACHE_SIZE = 512
_MAX_UNAUTHORIZED_RESENDS = 2

DEFAULT_REQUEST_TIMEOUT = 30.0
"""Seconds for one GraphQL request: SDMO ends a call after 28 s on its side."""
DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds to open a connection to the tenant."""
DEFAULT_TOKEN_TIMEOUT = 15.0
"""Seconds for one token request."""


class SageDMOTransport(AIOHTTPTransport):
    """An ``AIOHTTPTransport`` that authenticates with SDMO tokens.

    Pass ``settings`` (or ``Settings.from_env()`` is used), or a ready
    ``token_manager``. Works with gql's ``Client``, DSL and batching::

        transport = SageDMOTransport(Settings.from_env())
        async with Client(transport=transport) as session:
            query = gql("{ xtremSystem { site { query { totalCount } } } }")
            await session.execute(query)
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        token_manager: TokenManager | None = None,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = 60.0,
        timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
        token_timeout: float = DEFAULT_TOKEN_TIMEOUT,
        retry: RetryPolicy | bool = True,
        client_session_args: dict[str, Any] | None = None,
        **transport_args: Any,
    ) -> None:
        if token_manager is None:
            token_manager = TokenManager(
                settings if settings is not None else Settings.from_env(),
                clock=clock,
                refresh_margin=refresh_margin,
                request_timeout=token_timeout,
            )
        self.token_manager = token_manager
        session_args = dict(client_session_args or {})
        if "timeout" not in session_args:
            session_args["timeout"] = aiohttp.ClientTimeout(
                total=timeout, sock_connect=connect_timeout
            )
        session_args["middlewares"] = (
            *session_args.get("middlewares", ()),
            self._authorize,
        )
        # gql needs a URL now; the real one comes with the first token.
        super().__init__(
            url=token_manager.settings.token_url,
            client_session_args=session_args,
            **transport_args,
        )
        self._printed: OrderedDict[int, tuple[DocumentNode, str]] = OrderedDict()
        self._mutations: OrderedDict[
            tuple[int, str | None], tuple[DocumentNode, bool]
        ] = OrderedDict()
        if retry is True:
            retry = RetryPolicy()
        elif retry is False:
            retry = RetryPolicy.disabled()
        self.retry_policy: RetryPolicy = retry
        self.retries = 0
        """Requests sent again after a retryable failure, since creation."""
        self._random = random.Random()
        token_manager.add_listener(self._follow_tenant_url)

    def __repr__(self) -> str:
        return f"SageDMOTransport(url={self.url!r})"

    async def connect(self) -> None:
        """Open the HTTP session, acquire a token and take the tenant's URL."""
        if self.session is not None:
            raise TransportAlreadyConnected("the transport is already connected")
        await super().connect()
        assert self.session is not None  # noqa: S101 - set by the base class
        self.token_manager.attach_session(self.session)
        try:
            await self.token_manager.token()
        except BaseException:
            await super().close()
            raise

    async def close(self) -> None:
        """Invalidate both tokens (unless configured not to), then close the session.

        A closed transport cannot connect again: its token manager is closed too.
        """
        if self.session is None:
            return
        try:
            await self.token_manager.aclose()
        finally:
            await super().close()

    def remember_printed(self, document: DocumentNode, text: str) -> None:
        """Send ``text`` for ``document`` instead of printing the document again."""
        printed = self._printed
        printed[id(document)] = (document, text)
        printed.move_to_end(id(document))
        if len(printed) > _PRINTED_CACHE_SIZE:
            printed.popitem(last=False)

    def _query_text(self, document: DocumentNode) -> str:
        entry = self._printed.get(id(document))
        if entry is not None and entry[0] is document:
            return entry[1]
        text = print_ast(document)
        self.remember_printed(document, text)
        return text

    def _prepare_request(
        self,
        request: GraphQLRequest | list[GraphQLRequest],
        extra_args: dict[str, Any] | None = None,
        upload_files: bool = False,
    ) -> dict[str, Any]:
        # gql prints the document on every request, which costs more than the
        # rest of the client together; print each document once instead.
        if upload_files or (
            self.auth is not None and isinstance(self.auth, AppSyncAuthentication)
        ):
            result: dict[str, Any] = super()._prepare_request(
                request, extra_args, upload_files
            )
            return result
        if isinstance(request, GraphQLRequest):
            payload: Any = self._payload(request)
        else:
            payload = [self._payload(item) for item in request]
        post_args: dict[str, Any] = {"json": payload}
        if extra_args:
            post_args.update(extra_args)
        return post_args

    def _payload(self, request: GraphQLRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": self._query_text(request.document)}
        if request.operation_name:
            payload["operationName"] = request.operation_name
        if request.variable_values:
            payload["variables"] = request.variable_values
        extensions = getattr(request, "extensions", None)
        if extensions:
            payload["extensions"] = extensions
        return payload

    async def execute(
        self,
        request: GraphQLRequest,
        *,
        extra_args: dict[str, Any] | None = None,
        upload_files: bool = False,
    ) -> ExecutionResult:
        """Send one operation; retry it per the retry policy if it is a query."""
        if upload_files:
            result: ExecutionResult = await super().execute(
                request, extra_args=extra_args, upload_files=True
            )
            return result
        post_args = self._prepare_request(request, extra_args)
        mutation = self._is_mutation(request)
        what = f"query {request.operation_name or 'operation'}"
        body = await self._post_retrying(post_args, mutation=mutation, what=what)
        return _execution_result(body, self.url)

    async def execute_batch(
        self,
        reqs: list[GraphQLRequest],
        extra_args: dict[str, Any] | None = None,
    ) -> list[ExecutionResult]:
        """Send several operations in one request; retried only if all are queries."""
        post_args = self._prepare_request(reqs, extra_args)
        mutation = any(self._is_mutation(request) for request in reqs)
        what = f"batch of {len(reqs)} operations"
        body = await self._post_retrying(post_args, mutation=mutation, what=what)
        if not isinstance(body, list) or len(body) != len(reqs):
            raise ProtocolError(
                f"the GraphQL endpoint {self.url} responded to a batch of "
                f"{len(reqs)} operations with something other than a list of "
                f"{len(reqs)} results"
            )
        return [_execution_result(item, self.url) for item in body]

    async def _post_retrying(
        self, post_args: dict[str, Any], *, mutation: bool, what: str
    ) -> Any:
        """Post once; for a query that fails in a retryable way, retry per policy.

        The first attempt runs outside the retry loop, which keeps the usual,
        successful request one coroutine layer shorter.
        """
        try:
            return await self._post(post_args, mutation=mutation)
        except Exception as error:
            if mutation or not self.retry_policy.is_retryable(error):
                raise
            first_error = error

        async def send() -> Any:
            return await self._post(post_args, mutation=False)

        return await call_with_retries(
            send,
            self.retry_policy,
            what=what,
            rng=self._random,
            on_retry=self._count_retry,
            first_error=first_error,
        )

    def _count_retry(self, error: BaseException) -> None:
        self.retries += 1

    async def _post(self, post_args: dict[str, Any], *, mutation: bool) -> Any:
        session = self.session
        if session is None:
            raise TransportClosed("the transport is not connected; call connect()")
        url = self.url
        try:
            async with session.post(url, ssl=self.ssl, **post_args) as response:
                self.response_headers = response.headers
                try:
                    return await read_json_body(response, url, self.token_manager.scrub)
                except (ProtocolError, ServerError) as error:
                    if mutation and _may_have_run(error):
                        error.args = (f"{error.args[0]}. {_MAY_HAVE_RUN}",)
                    raise
        except asyncio.TimeoutError:
            if mutation:
                raise MutationOutcomeUnknownError(
                    f"a mutation sent to {url} got no response in time; the server "
                    "may have run it, so check the data before sending it again"
                ) from None
            raise RequestTimeoutError(
                f"no response from {url} within the request timeout; raise the "
                "timeout or make the operation smaller"
            ) from None
        except (aiohttp.ClientError, OSError) as error:
            detail = self.token_manager.scrub(f"{type(error).__name__}: {error}")
            if mutation and _after_sending(error):
                raise MutationOutcomeUnknownError(
                    f"the connection to {url} failed after a mutation was sent "
                    f"({detail}); the server may have run it, so check the data "
                    "before sending it again"
                ) from error
            raise ConnectionFailedError(
                f"the connection to {url} failed ({detail}); check the network "
                "and the tenant URL"
            ) from error

    def _is_mutation(self, request: GraphQLRequest) -> bool:
        """Tell whether ``request`` may change data; unknown counts as a mutation."""
        key = (id(request.document), request.operation_name)
        known = self._mutations.get(key)
        if known is not None and known[0] is request.document:
            return known[1]
        mutation = _selects_mutation(request)
        self._mutations[key] = (request.document, mutation)
        if len(self._mutations) > _PRINTED_CACHE_SIZE:
            self._mutations.popitem(last=False)
        return mutation

    def _follow_tenant_url(self, token_set: TokenSet) -> None:
        if token_set.graphql_url != self.url:
            logger.debug("tenant GraphQL URL is %s", token_set.graphql_url)
            self.url = token_set.graphql_url

    async def _authorize(
        self, request: ClientRequest, handler: ClientHandlerType
    ) -> ClientResponse:
        token_set = await self.token_manager.token()
        request.headers[hdrs.AUTHORIZATION] = _bearer(token_set)
        response = await handler(request)
        # A 401 proves the server ran nothing, so resending is safe, even for a
        # mutation. The usual case is one resend. A second one is made only when
        # the server also rejects the renewed token, as after a second early
        # revocation. A third 401 reaches the caller as UnauthorizedError.
        for _ in range(_MAX_UNAUTHORIZED_RESENDS):
            if response.status != 401:
                return response
            response.release()
            logger.debug("access token rejected with HTTP 401; renewing and resending")
            token_set = await self.token_manager.renew_after_rejection(token_set)
            request.headers[hdrs.AUTHORIZATION] = _bearer(token_set)
            response = await handler(request)
        return response


def _bearer(token_set: TokenSet) -> str:
    return f"Bearer {token_set.access_token.reveal()}"


def _execution_result(body: Any, url: str) -> ExecutionResult:
    if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
        raise ProtocolError(
            f"the GraphQL endpoint {url} responded JSON without 'data' or 'errors'; "
            "check that the URL is the tenant's GraphQL endpoint"
        )
    return ExecutionResult(
        data=body.get("data"),
        errors=body.get("errors"),
        extensions=body.get("extensions"),
    )


_MAY_HAVE_RUN = (
    "The server may have run this mutation, so check the data before sending it again"
)


def _may_have_run(error: BaseException) -> bool:
    """Tell whether a failed response to a mutation leaves its outcome unknown."""
    if isinstance(error, ServerError):
        return error.code is not None and error.code >= 500
    return isinstance(error, ProtocolError)


def _after_sending(error: BaseException) -> bool:
    """Tell whether a connection error may have come after the request was sent."""
    return not isinstance(
        error,
        (aiohttp.ClientConnectorError, aiohttp.InvalidURL, ConnectionRefusedError),
    )


def _selects_mutation(request: GraphQLRequest) -> bool:
    operation = get_operation_ast(request.document, request.operation_name)
    return operation is None or operation.operation != OperationType.QUERY
