"""The ``sage-dmo schema`` command: ``download`` here, and ``diff``.

Exit status of ``schema download``: 0 success; 1 the download failed
(introspection disabled, invalid result, token, transport or timeout failure,
a file that cannot be written); 2 invalid arguments or missing settings.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, TextIO

from ._client import SageDMOClient
from ._errors import ConfigurationError, SchemaError
from ._schema_download import download_schema
from ._settings import Settings

__all__ = ["add_download_arguments", "add_parser", "run", "run_download"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DEFAULT_OUT = "schema"
DEFAULT_TIMEOUT = 120.0
"""Seconds for the introspection request; a full SDMO schema is several MB."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def add_parser(commands: Any) -> Any:
    """Add the ``schema`` command with ``download`` and ``diff`` to ``commands``.

    Returns the sub-commands. Each sets ``schema_handler`` (``async
    (arguments, out, err) -> int``) as a default, which :func:`run` calls, so
    further sub-commands are added the same way.
    """
    schema = commands.add_parser(
        "schema",
        help="download the tenant's GraphQL schema, or compare two schema files",
        description="Work with the tenant's GraphQL schema.",
    )
    actions = schema.add_subparsers(
        dest="schema_command", required=True, metavar="SUBCOMMAND"
    )
    download = actions.add_parser(
        "download",
        help="write the schema as SDL, introspection JSON and metadata",
        description="Introspect the tenant and write NAME.graphql (SDL, sorted, for "
        "readers and diffs), NAME.json (the introspection result, for code "
        "generators) and NAME.meta.json (server, tenant, time, features, "
        "checksums) into the output folder. Each file is replaced atomically. "
        "Exits 1 when the download fails and 2 for invalid arguments.",
    )
    add_download_arguments(download)
    download.set_defaults(schema_handler=run_download)
    from ._cli_schema_diff import add_subparser as add_diff_parser
    from ._cli_schema_diff import run as run_diff

    add_diff_parser(actions).set_defaults(schema_handler=run_diff)
    return actions


def add_download_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``schema download`` to ``parser``."""
    from ._cli import _add_connection_options

    parser.add_argument(
        "--name",
        help="base name of the files (default: the tenant id)",
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"output folder, created if missing (default: {DEFAULT_OUT}/)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time limit of each request in seconds (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="do not report progress on standard error",
    )
    _add_connection_options(parser)


async def run(arguments: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the ``schema`` sub-command chosen on the command line."""
    handler = getattr(arguments, "schema_handler", None)
    if handler is None:
        err.write("sage-dmo: error: choose a schema sub-command, such as download\n")
        return EXIT_USAGE
    status: int = await handler(arguments, out, err)
    return status


def _check_out_folder(folder: Path) -> None:
    """Raise ConfigurationError before downloading when ``folder`` is a file."""
    if folder.exists() and not folder.is_dir():
        raise ConfigurationError(
            f"--out {str(folder)!r} is a file; give a folder, such as schema/"
        )


async def run_download(
    arguments: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    *,
    settings: Settings | None = None,
) -> int:
    """Run ``schema download``; ``settings`` replaces the connection options."""
    try:
        if settings is None:
            settings = Settings.from_env(
                token_url=arguments.token_url,
                client_id=arguments.client_id,
                tenant_id=arguments.tenant_id,
                token_style=arguments.token_style,
            )
        name = arguments.name or re.sub(r"[^A-Za-z0-9._-]", "-", settings.tenant_id)
        if not _NAME.fullmatch(name):
            raise ConfigurationError(
                f"--name {name!r} is invalid; use letters, digits, '.', '_' and "
                "'-', starting with a letter or digit"
            )
        if not arguments.timeout > 0:
            raise ConfigurationError(
                f"--timeout {arguments.timeout:g} is invalid; give a number of "
                "seconds greater than 0"
            )
        _check_out_folder(Path(arguments.out))
    except ConfigurationError as error:
        err.write(f"sage-dmo: error: {error}\n")
        return EXIT_USAGE

    def report(message: str) -> None:
        err.write(f"{message}\n")
        err.flush()

    client = SageDMOClient(settings, timeout=arguments.timeout)
    try:
        result = await download_schema(
            client,
            arguments.out,
            name,
            progress=None if arguments.quiet else report,
        )
    except SchemaError as error:
        err.write(f"sage-dmo: error: {error}\n")
        return EXIT_FAILED
    for problem in result.problems:
        err.write(f"sage-dmo: warning: the schema is invalid: {problem}\n")
    out.write(
        f"{result.sdl_path}\n{result.json_path}\n{result.meta_path}\n"
        f"{result.type_count} types from {result.server_url}; introspection "
        f"features: {', '.join(result.features) or 'none newer than June 2018'}\n"
    )
    return EXIT_OK
