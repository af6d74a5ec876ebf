"""The emulator as an aiohttp application: token API plus the tenant's GraphQL endpoint.

:class:`Emulator` runs inside the caller's event loop; :class:`EmulatorThread`
runs one in a background thread for synchronous code and pytest fixtures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from aiohttp import web
from graphql import GraphQLError, OperationType, get_operation_ast, parse

from .._secrets import Secret
from .._settings import Settings, TokenStyle
from ._faults import Fault, FaultInjector, abort_connection, fault_response
from ._token_api import EmulatorCounters, TokenAPI, TokenPolicy, bearer_token

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_TENANT_ID",
    "Emulator",
    "EmulatorConfig",
    "EmulatorThread",
    "MutationRecord",
]

logger = logging.getLogger(__name__)

DEFAULT_CLIENT_ID = "emulator-client"
DEFAULT_CLIENT_SECRET = "emulator-secret"
DEFAULT_TENANT_ID = "emulator-tenant"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class EmulatorConfig:
    """Credentials, token lifetimes, response options and seeded data of an emulator."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    tenant_id: str = DEFAULT_TENANT_ID
    access_token_lifetime: float = 900.0
    """Seconds an access token is valid (SDMO: 15 minutes)."""
    refresh_token_lifetime: float = 3600.0
    """Seconds a refresh token is valid (SDMO: 1 hour)."""
    graphql_url_keys: tuple[str, ...] = ("graphQl", "graphQL")
    oauth_aliases: bool = False
    rows: int = 300
    """Rows of the main nodes (items, categories, customers, orders)."""
    seed: int = 20250801
    max_page_size: int = 1000
    """Largest ``first`` or ``last`` a query connection honours."""
    default_page_size: int = 20
    introspection: str = "full"
    """``full``, ``disabled`` (rejects ``__schema`` and ``__type``), ``legacy``
    (a server older than every newer introspection feature) or
    ``legacy:FEATURE,...`` (older than the named features only)."""
    schema_size: str = "standard"
    """``standard`` (seeded data) or ``full`` (an SDMO-scale schema, no data)."""
    clock: Callable[[], datetime] = field(default=_utc_now, compare=False)
    """Server time as an aware UTC datetime; tests pass ``ManualClock.now``."""


@dataclass(frozen=True)
class MutationRecord:
    """One mutation the tenant executed, as the server saw it."""

    operation_name: str | None
    variables: dict[str, Any]
    succeeded: bool
    """True when the response had data and no errors."""


class Emulator:
    """A local SDMO tenant: the token API and the tenant's GraphQL endpoint.

    Use it as ``async with Emulator() as emulator:``; it listens on a free
    loopback port unless ``port`` is given. :attr:`counters` records for tests
    what happened on the server side.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **overrides: Any,
    ) -> None:
        self.config = replace(config or EmulatorConfig(), **overrides)
        self.host = host
        self.port = port
        self.counters = EmulatorCounters()
        self.faults = FaultInjector()
        self.ledger: list[MutationRecord] = []
        """Every mutation executed, in order, for comparing with what a client meant."""
        self.graphql_path = f"/tenants/{self.config.tenant_id}/graphql"
        self.tokens = TokenAPI(
            TokenPolicy(
                client_id=self.config.client_id,
                client_secret=self.config.client_secret,
                tenant_id=self.config.tenant_id,
                access_token_lifetime=self.config.access_token_lifetime,
                refresh_token_lifetime=self.config.refresh_token_lifetime,
                graphql_url_keys=self.config.graphql_url_keys,
                oauth_aliases=self.config.oauth_aliases,
            ),
            self.counters,
            self.config.clock,
            self.graphql_path,
            self.faults,
        )
        self._tenant: Any = None
        self._runner: web.AppRunner | None = None

    def __repr__(self) -> str:
        return f"Emulator(base_url={self.base_url!r})"

    @property
    def tenant(self) -> Any:
        """The tenant engine (SQLite data and GraphQL schema), once started."""
        if self._tenant is None:
            raise RuntimeError("the emulator is not started; call start() first")
        return self._tenant

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/v1/token"

    @property
    def graphql_url(self) -> str:
        return self.base_url + self.graphql_path

    def settings(self, token_style: TokenStyle = "json") -> Settings:
        """Client settings that authenticate against this emulator."""
        return Settings(
            client_id=self.config.client_id,
            client_secret=Secret(self.config.client_secret),
            tenant_id=self.config.tenant_id,
            token_url=self.token_url,
            token_style=token_style,
        )

    def environment(self) -> dict[str, str]:
        """``SAGE_DMO_*`` variables that point a client or the CLI here."""
        return {
            "SAGE_DMO_TOKEN_URL": self.token_url,
            "SAGE_DMO_CLIENT_ID": self.config.client_id,
            "SAGE_DMO_CLIENT_SECRET": self.config.client_secret,
            "SAGE_DMO_TENANT_ID": self.config.tenant_id,
        }

    def revoke_access_tokens(self) -> int:
        """Invalidate every issued access token early; return how many."""
        return self.tokens.revoke_access_tokens()

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        self.tokens.add_routes(app)
        app.router.add_post(self.graphql_path, self._handle_graphql)
        app.router.add_get("/health", self._handle_health)
        return app

    async def start(self) -> None:
        """Seed the data and listen on ``host`` and ``port``."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        from ._introspection import parse_introspection_mode

        parse_introspection_mode(self.config.introspection)
        if self.config.schema_size == "full":
            from ._full_schema import SchemaOnlyTenant

            self._tenant = SchemaOnlyTenant()
        elif self.config.schema_size == "standard":
            from ._tenant import Tenant

            self._tenant = Tenant(
                rows=self.config.rows,
                seed=self.config.seed,
                max_page_size=self.config.max_page_size,
                default_page_size=self.config.default_page_size,
                clock=self.config.clock,
            )
        else:
            from .._errors import ConfigurationError

            raise ConfigurationError(
                f"schema_size {self.config.schema_size!r} is invalid; use "
                "'standard' or 'full'"
            )
        runner = web.AppRunner(self.make_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        server = site._server
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            self.port = sockets[0].getsockname()[1]
        logger.info("SDMO emulator listening on %s", self.base_url)

    async def stop(self) -> None:
        """Stop listening and close the data store; calling it twice is harmless."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            logger.info("SDMO emulator on %s stopped", self.base_url)
        if self._tenant is not None:
            self._tenant.close()
            self._tenant = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _handle_health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _handle_graphql(self, request: web.Request) -> web.Response:
        raw = await request.read()
        fault = self.faults.next_fault("graphql")
        if fault is not None:
            early = await self._fault_before(fault, request)
            if early is not None:
                self.counters.graphql_requests[early.status] += 1
                return early
        response = self._graphql_response(raw, request)
        if fault is not None and fault.kind == "reset_after_execute":
            self.counters.graphql_requests[0] += 1
            abort_connection(request)
        if fault is not None and fault.kind == "truncated_json":
            body = response.body if isinstance(response.body, bytes) else b"{}"
            response = web.Response(
                body=body[: max(1, len(body) // 2)],
                status=response.status,
                content_type="application/json",
            )
        self.counters.graphql_requests[response.status] += 1
        return response

    async def _fault_before(
        self, fault: Fault, request: web.Request
    ) -> web.Response | None:
        """Apply a fault that acts before the tenant runs anything.

        Returns the response to send instead, or None to go on normally.
        """
        kind = fault.kind
        if kind == "delay":
            await asyncio.sleep(fault.delay)
        elif kind == "revoke_access":
            self.tokens.revoke_access_tokens()
        elif kind == "reset":
            self.counters.graphql_requests[0] += 1
            abort_connection(request)
        elif kind in ("truncated_json", "reset_after_execute"):
            pass  # these act after execution
        else:
            return fault_response(fault)
        return None

    def _graphql_response(self, raw: bytes, request: web.Request) -> web.Response:
        token = bearer_token(request)
        problem = (
            "the Authorization header has no bearer token"
            if token is None
            else self.tokens.check_access_token(token)
        )
        if problem is not None:
            body = {"$diagnoses": [{"$severity": "error", "$message": problem}]}
            return web.json_response(body, status=401)
        try:
            # Numbers with a fraction stay exact: SDMO's Decimal inputs take them.
            payload = json.loads(raw, parse_float=Decimal)
        except ValueError:
            return _graphql_error(400, "The request body is not valid JSON.")
        if isinstance(payload, list):
            if not payload:
                return _graphql_error(400, "The request batch is empty.")
            responses = [self._execute_one(item) for item in payload]
            return web.json_response(responses)
        return web.json_response(self._execute_one(payload))

    def _execute_one(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _error_body("The request must be a JSON object with a 'query'.")
        variables = payload.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return _error_body("'variables' must be a JSON object.")
        operation = payload.get("operationName")
        name = operation if isinstance(operation, str) else None
        if self.config.introspection != "full":
            from ._introspection import introspection_response

            response = introspection_response(
                self.tenant.schema,
                payload["query"],
                variables,
                name,
                self.config.introspection,
            )
            if response is not None:
                return response
        result: dict[str, Any] = self.tenant.execute(payload["query"], variables, name)
        if _is_mutation(payload["query"], name):
            self.ledger.append(
                MutationRecord(
                    operation_name=name,
                    variables=dict(variables or {}),
                    succeeded=result.get("data") is not None
                    and not result.get("errors"),
                )
            )
        return result


@lru_cache(maxsize=256)
def _is_mutation(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query)
    except GraphQLError:
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.MUTATION


def _error_body(message: str) -> dict[str, Any]:
    return {
        "data": None,
        "errors": [{"message": message}],
        "extensions": {"diagnoses": []},
    }


def _graphql_error(status: int, message: str) -> web.Response:
    return web.json_response(_error_body(message), status=status)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class EmulatorThread:
    """An :class:`Emulator` served from a background thread with its own loop.

    For synchronous code, subprocess-based tests and pytest fixtures:
    ``with EmulatorThread() as emulator: ...``. Counters and the tenant belong
    to that thread; read counters freely, but drive the tenant only over HTTP.
    """

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        self.emulator = Emulator(config, **overrides)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def __enter__(self) -> Emulator:
        self.start()
        return self.emulator

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> None:
        self._thread = threading.Thread(
            target=self._run, name="sage-dmo-emulator", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the emulator did not start within {timeout} s")
        if self._error is not None:
            raise RuntimeError("the emulator failed to start") from self._error

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.emulator.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        self._loop = self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self.emulator.start())
        except BaseException as error:  # reported to the starting thread
            self._error = error
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()
