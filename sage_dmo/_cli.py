"""The ``sage-dmo`` command: query, token, validate, schema, emulator and demo.

Exit status: 0 success, 1 the operation failed (GraphQL or validation errors,
token or transport failure), 2 usage, configuration or schema-file error, 130
interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from gql.transport.exceptions import TransportError
from graphql import (
    GraphQLError,
    NamedTypeNode,
    NonNullTypeNode,
    get_operation_ast,
    parse,
    print_ast,
)

from . import __version__
from ._cli_schema import add_parser as add_schema_parser
from ._cli_schema import run as run_schema
from ._cli_validate import add_parser as add_validate_parser
from ._cli_validate import run as run_validate
from ._client import SageDMOClient
from ._errors import (
    ConfigurationError,
    QueryValidationError,
    SageDMOError,
)
from ._settings import Settings

__all__ = ["main", "run"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A command-line argument is invalid; the message names it and the reason."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sage-dmo",
        description="Client and tenant emulator for the Sage DMO GraphQL API.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log to standard error: -v for INFO, -vv for DEBUG",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_query_parser(commands)
    _add_token_parser(commands)
    _add_emulator_parser(commands)
    add_validate_parser(commands)
    add_schema_parser(commands)
    demo = commands.add_parser(
        "demo",
        help="run the main job against an in-process emulator",
        description="Start the emulator in this process and run a typical "
        "integration against it: token, paging, filtering, a sales order, an "
        "access-token expiry under load, invalidation.",
    )
    demo.add_argument(
        "--rows", type=int, default=1200, help="rows per main node (default 1200)"
    )
    return parser


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "connection", "each option overrides its SAGE_DMO_* environment variable"
    )
    group.add_argument("--token-url", help="token endpoint (SAGE_DMO_TOKEN_URL)")
    group.add_argument("--client-id", help="client id (SAGE_DMO_CLIENT_ID)")
    group.add_argument("--tenant-id", help="tenant id (SAGE_DMO_TENANT_ID)")
    group.add_argument(
        "--token-style",
        choices=("json", "oauth2"),
        help="token request body style (SAGE_DMO_TOKEN_STYLE, default json)",
    )
    # The secret has no usable option: a command line is visible to other users
    # of the machine, so it comes only from SAGE_DMO_CLIENT_SECRET. The hidden
    # option exists so that argparse does not echo a secret typed here.
    group.add_argument(
        "--client-secret", dest="client_secret_option", help=argparse.SUPPRESS
    )


def _add_query_parser(commands: Any) -> None:
    query = commands.add_parser(
        "query",
        help="run a .graphql file against the tenant and print the JSON response",
        description="Run the operation in FILE (or '-' for standard input) and "
        "print the whole JSON response. Exits 1 when the response has errors. With "
        "--all-pages, request every page of the connection the operation selects "
        "and stream its rows as JSON, NDJSON or CSV instead; exits 1 when a page "
        "fails and 130 when interrupted, keeping the rows written so far.",
    )
    query.add_argument("file", metavar="FILE", help="a .graphql file, or - for stdin")
    query.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable: NAME=VALUE passes a string, NAME:=JSON a JSON value "
        "(number, boolean, null, object, list); repeat for more",
    )
    query.add_argument(
        "--operation", help="operation name, when FILE holds several operations"
    )
    from ._export import add_export_options

    add_export_options(query)
    _add_connection_options(query)


def _add_token_parser(commands: Any) -> None:
    token = commands.add_parser(
        "token",
        help="acquire a token, print the tenant URL and expiry, then invalidate it",
        description="Check the credentials: acquire a token, print what the "
        "response says (never the tokens themselves) and invalidate it again.",
    )
    _add_connection_options(token)


def _add_emulator_parser(commands: Any) -> None:
    from .emulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID

    emulator = commands.add_parser(
        "emulator",
        help="serve a local SDMO tenant until interrupted",
        description="Serve the SDMO token API and a tenant GraphQL endpoint over "
        "seeded data, for development and tests. Stop it with Ctrl+C.",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    emulator.add_argument(
        "--port", type=int, default=8765, help="TCP port, 0 for a free one (8765)"
    )
    emulator.add_argument(
        "--client-id", default=DEFAULT_CLIENT_ID, help=f"default {DEFAULT_CLIENT_ID}"
    )
    emulator.add_argument(
        "--client-secret",
        default=DEFAULT_CLIENT_SECRET,
        help=f"default {DEFAULT_CLIENT_SECRET}",
    )
    emulator.add_argument(
        "--tenant-id", default=DEFAULT_TENANT_ID, help=f"default {DEFAULT_TENANT_ID}"
    )
    emulator.add_argument(
        "--rows", type=int, default=300, help="rows per main node (default 300)"
    )
    emulator.add_argument("--seed", type=int, default=20250801, help="data seed")
    emulator.add_argument(
        "--access-token-lifetime",
        type=float,
        default=900.0,
        help="access token lifetime in seconds (default 900)",
    )
    emulator.add_argument(
        "--refresh-token-lifetime",
        type=float,
        default=3600.0,
        help="refresh token lifetime in seconds (default 3600)",
    )
    emulator.add_argument(
        "--max-page-size",
        type=int,
        default=1000,
        help="largest 'first' a query connection honours (default 1000)",
    )
    emulator.add_argument(
        "--introspection",
        default="full",
        metavar="MODE",
        help="full (default); disabled to reject __schema and __type; legacy to "
        "act as a server that predates the introspection features newer than "
        "June 2018, or legacy:FEATURE,... for some of inputValueDeprecation, "
        "isOneOf, isRepeatable, schemaDescription and specifiedByURL",
    )
    emulator.add_argument(
        "--schema-size",
        choices=("standard", "full"),
        default="standard",
        help="standard (default): the seeded tenant; full: an SDMO-scale schema "
        "of about 8,300 types with no data",
    )


def parse_variables(items: Sequence[str]) -> dict[str, Any]:
    """Turn ``NAME=VALUE`` (string) and ``NAME:=JSON`` items into variables."""
    variables: dict[str, Any] = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name or name == ":":
            raise UsageError(
                f"--var {item!r} is invalid; write NAME=VALUE for a string or "
                "NAME:=JSON for a JSON value"
            )
        if name.endswith(":"):
            name = name[:-1]
            try:
                variables[name] = json.loads(value)
            except ValueError as error:
                raise UsageError(
                    f"--var {item!r}: {value!r} is not valid JSON ({error}); "
                    "quote strings or use NAME=VALUE"
                ) from None
        else:
            variables[name] = value
    return variables


_JSON_TYPES = {"Int", "Float", "Boolean"}


def check_variables(
    text: str,
    variables: dict[str, Any],
    operation_name: str | None,
    *,
    paging: bool = False,
) -> None:
    """Raise UsageError for a --var the operation does not declare, a required
    variable left out, or a string given to an Int, Float or Boolean variable.

    With ``paging`` the export fills the page variables, so required variables
    are not checked. A document that does not parse is left to the client,
    which reports where.
    """
    try:
        document = parse(text)
    except GraphQLError:
        return
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return
    declared = {
        definition.variable.name.value: definition
        for definition in operation.variable_definitions or ()
    }
    unknown = sorted(set(variables) - set(declared))
    if unknown:
        names = ", ".join(f"${name}" for name in sorted(declared)) or "none"
        raise UsageError(
            f"--var {', '.join(unknown)}: the operation declares no such variable; "
            f"it declares {names}"
        )
    for name, definition in declared.items():
        type_node = definition.type
        required = isinstance(type_node, NonNullTypeNode)
        missing = name not in variables and definition.default_value is None
        if required and missing and not paging:
            raise UsageError(
                f"variable ${name} ({print_ast(type_node)}) is required; pass it "
                f"with --var {name}=VALUE or --var {name}:=JSON"
            )
        inner = type_node.type if isinstance(type_node, NonNullTypeNode) else type_node
        value = variables.get(name)
        if (
            isinstance(inner, NamedTypeNode)
            and inner.name.value in _JSON_TYPES
            and isinstance(value, str)
        ):
            raise UsageError(
                f"variable ${name} is {inner.name.value} but --var {name}={value} "
                f"passes a string; write --var {name}:={value} for a JSON value"
            )


def _settings_from(arguments: argparse.Namespace) -> Settings:
    if arguments.client_secret_option is not None:
        # The value is not repeated: it may be a real secret.
        raise UsageError(
            "--client-secret is not accepted, because command lines are visible to "
            "other users of the machine; set SAGE_DMO_CLIENT_SECRET instead"
        )
    return Settings.from_env(
        token_url=arguments.token_url,
        client_id=arguments.client_id,
        tenant_id=arguments.tenant_id,
        token_style=arguments.token_style,
    )


def _read_query(path: str, stdin: TextIO) -> str:
    if path == "-":
        return stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read query file {path!r}: {error.strerror}") from None


async def _run_query(
    arguments: argparse.Namespace,
    out: TextIO,
    stdin: TextIO,
    err: TextIO | None = None,
) -> int:
    from ._export import ExportUsageError, export_rows, plan_export

    text = _read_query(arguments.file, stdin)
    variables = parse_variables(arguments.var)
    check_variables(
        text, variables, arguments.operation, paging=bool(arguments.all_pages)
    )
    if arguments.all_pages:
        try:
            plan = plan_export(
                text,
                variables,
                operation_name=arguments.operation,
                path=arguments.path,
                page_size=arguments.page_size,
                format=arguments.format,
                output=arguments.output,
            )
            async with SageDMOClient(_settings_from(arguments)) as client:
                return await export_rows(client, plan, out, err or sys.stderr)
        except ExportUsageError as error:
            raise UsageError(str(error)) from None
    for option in ("page_size", "format", "output", "path"):
        if getattr(arguments, option) is not None:
            flag = "--" + option.replace("_", "-")
            raise UsageError(f"{flag} applies only with --all-pages; add --all-pages")
    async with SageDMOClient(_settings_from(arguments)) as client:
        result = await client.execute_result(
            text, variables, operation_name=arguments.operation
        )
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [
            error if isinstance(error, dict) else getattr(error, "formatted", error)
            for error in result.errors
        ]
    if result.extensions is not None:
        response["extensions"] = result.extensions
    json.dump(response, out, indent=2, ensure_ascii=False)
    out.write("\n")
    return EXIT_FAILED if result.errors else EXIT_OK


async def _run_token(arguments: argparse.Namespace, out: TextIO) -> int:
    async with SageDMOClient(_settings_from(arguments)) as client:
        current = client.transport.token_manager.current
        assert current is not None  # noqa: S101 - open() acquired it
        lifetime = current.access_expires_at - current.received_at
        refresh = current.refresh_expires_at - current.received_at
        out.write(
            f"tenant:        {current.tenant_id or client.settings.tenant_id}\n"
            f"GraphQL URL:   {current.graphql_url}\n"
            f"access token:  valid for {lifetime:.0f} s\n"
            f"refresh token: {'present' if current.refresh_token else 'absent'}, "
            f"usable for about {refresh:.0f} s\n"
        )
    out.write("tokens invalidated\n")
    return EXIT_OK


async def _run_emulator(arguments: argparse.Namespace, out: TextIO) -> int:
    from .emulator import DEFAULT_CLIENT_SECRET, Emulator

    emulator = Emulator(
        host=arguments.host,
        port=arguments.port,
        client_id=arguments.client_id,
        client_secret=arguments.client_secret,
        tenant_id=arguments.tenant_id,
        rows=arguments.rows,
        seed=arguments.seed,
        access_token_lifetime=arguments.access_token_lifetime,
        refresh_token_lifetime=arguments.refresh_token_lifetime,
        max_page_size=arguments.max_page_size,
        introspection=arguments.introspection,
        schema_size=arguments.schema_size,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal_number, stop.set)
    try:
        await emulator.start()
    except OSError as error:
        raise UsageError(
            f"cannot listen on {arguments.host}:{arguments.port}: "
            f"{error.strerror or error}; choose another --port, or --port 0 for a "
            "free one"
        ) from None
    async with _stopping(emulator):
        shown_secret = (
            arguments.client_secret
            if arguments.client_secret == DEFAULT_CLIENT_SECRET
            else "<the --client-secret value>"
        )
        out.write(
            f"SDMO emulator listening on {emulator.base_url}\n"
            f"  token URL:   {emulator.token_url}\n"
            f"  GraphQL URL: {emulator.graphql_url}\n"
            "Point a client at it with:\n"
            f"  export SAGE_DMO_TOKEN_URL={emulator.token_url}\n"
            f"  export SAGE_DMO_CLIENT_ID={arguments.client_id}\n"
            f"  export SAGE_DMO_CLIENT_SECRET={shown_secret}\n"
            f"  export SAGE_DMO_TENANT_ID={arguments.tenant_id}\n"
            "Press Ctrl+C to stop.\n"
        )
        out.flush()
        await stop.wait()
    out.write("emulator stopped\n")
    return EXIT_OK


@contextlib.asynccontextmanager
async def _stopping(emulator: Any) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await emulator.stop()


async def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run the command line ``argv`` and return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    stdin = stdin or sys.stdin
    parser = build_parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if arguments.verbose:
        level = logging.DEBUG if arguments.verbose > 1 else logging.INFO
        logging.basicConfig(
            level=level, stream=err, format="%(levelname)s %(name)s: %(message)s"
        )
    try:
        if arguments.command == "query":
            return await _run_query(arguments, out, stdin, err)
        if arguments.command == "token":
            return await _run_token(arguments, out)
        if arguments.command == "emulator":
            return await _run_emulator(arguments, out)
        if arguments.command == "validate":
            return await run_validate(arguments, out, err)
        if arguments.command == "schema":
            return await run_schema(arguments, out, err)
        from ._demo import run_demo

        return await run_demo(out, rows=arguments.rows)
    except (UsageError, ConfigurationError, QueryValidationError) as error:
        err.write(f"sage-dmo: error: {error}\n")
        return EXIT_USAGE
    except (SageDMOError, TransportError) as error:
        err.write(f"sage-dmo: error: {error}\n")
        return EXIT_FAILED


def run() -> None:
    """Entry point of the ``sage-dmo`` console script."""
    try:
        status = asyncio.run(main())
    except KeyboardInterrupt:
        sys.stderr.write("sage-dmo: interrupted\n")
        status = EXIT_INTERRUPTED
    sys.exit(status)
