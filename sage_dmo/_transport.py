"""``SageDMOTransport``: gql's aiohttp transport with the SDMO token lifecycle.

``connect()`` acquires a token and learns the tenant's GraphQL URL from it; an
aiohttp client middleware adds the bearer, renews before expiry and, on a 401,
renews once for all concurrent callers and resends the request once;
``close()`` invalidates both tokens.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse, hdrs
from gql import GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.appsync_auth import AppSyncAuthentication
from gql.transport.exceptions import TransportAlreadyConnected
from graphql import DocumentNode, ExecutionResult, print_ast

from ._errors import UnauthorizedError
from ._settings import Settings
from ._tokens import TokenManager, TokenSet

__all__ = ["SageDMOTransport"]

logger = logging.getLogger(__name__)

_PRINTED_CACHE_SIZE = 512

DEFAULT_REQUEST_TIMEOUT = 30.0
"""Seconds for one GraphQL request: SDMO ends a call after 28 s on its side."""


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
        token_timeout: float = 30.0,
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
        if timeout is not None and "timeout" not in session_args:
            session_args["timeout"] = aiohttp.ClientTimeout(total=timeout)
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
        """Invalidate both tokens, then close the HTTP session."""
        if self.session is None:
            return
        try:
            await self.token_manager.invalidate()
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
        if upload_files or isinstance(self.auth, AppSyncAuthentication):
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

    async def _prepare_result(self, response: ClientResponse) -> ExecutionResult:
        if response.status == 401:
            raise UnauthorizedError(
                f"the GraphQL endpoint {self.url} rejected a freshly renewed access "
                "token (HTTP 401); check that the API user of this application "
                "still has access to the tenant",
                401,
            )
        result: ExecutionResult = await super()._prepare_result(response)
        return result

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
        if response.status != 401:
            return response
        # A 401 proves the server did not run the request, so one resend is safe,
        # even for a mutation.
        response.release()
        logger.debug("access token rejected with HTTP 401; renewing and resending")
        token_set = await self.token_manager.renew_after_rejection(token_set)
        request.headers[hdrs.AUTHORIZATION] = _bearer(token_set)
        return await handler(request)


def _bearer(token_set: TokenSet) -> str:
    return f"Bearer {token_set.access_token.reveal()}"
