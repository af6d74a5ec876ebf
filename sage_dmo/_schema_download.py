"""Schema download: probe the server's introspection features, fetch, check, write.

Writes ``NAME.graphql`` (sorted SDL), ``NAME.json`` (the introspection result)
and ``NAME.meta.json`` (where, when and how), each atomically.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import platform
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import anyio
import graphql
from graphql import lexicographic_sort_schema, print_schema, validate_schema

from ._client import SageDMOClient
from ._errors import (
    AuthenticationError,
    ClientStateError,
    ConfigurationError,
    GraphQLResponseError,
    IntrospectionDisabledError,
    InvalidIntrospectionError,
    RequestTimeoutError,
    SchemaDownloadError,
    SchemaError,
    SchemaFileError,
    TokenError,
    TransportError,
)
from ._schema_cache import gc_paused
from ._schema_introspection import (
    DEFAULT_TYPE_DEPTH,
    FEATURE_ARGUMENTS,
    FEATURE_FIELDS,
    PROBE_QUERY,
    IntrospectionProblem,
    build_introspection_query,
    client_schema,
    features_from_probe,
)

__all__ = ["DownloadResult", "Progress", "download_schema"]

T = TypeVar("T")

Progress = Callable[[str], None]
"""Receives one line of progress text at a time."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TICK_SECONDS = 5.0
_UNKNOWN_FIELD = re.compile(r"Cannot query field '(\w+)' on type '(__\w+)'")
_UNKNOWN_ARGUMENT = re.compile(r"Unknown argument '(\w+)' on field '(__\w+)\.(\w+)'")


@dataclass(frozen=True)
class DownloadResult:
    """Paths, server facts and checksums of one schema download."""

    sdl_path: Path
    json_path: Path
    meta_path: Path
    server_url: str
    """The tenant's GraphQL URL without user, password, query or fragment."""
    tenant_id: str
    features: tuple[str, ...]
    """Introspection features that the full query requested, sorted."""
    type_count: int
    sha256: Mapping[str, str]
    """SHA-256 of ``NAME.graphql`` and ``NAME.json``, by file name."""
    problems: tuple[str, ...]
    """graphql-core's schema validation errors; empty for a valid schema."""


@dataclass(frozen=True)
class _Fetched:
    data: Any
    features: frozenset[str]
    tenant_id: str
    content_length: int | None


async def download_schema(
    client: SageDMOClient,
    out_dir: Path | str,
    name: str,
    *,
    progress: Progress | None = None,
) -> DownloadResult:
    """Download the tenant's schema into ``out_dir`` as ``NAME.graphql`` and friends.

    A client that is not open yet is opened for the download and closed after
    it. Raises IntrospectionDisabledError when the server rejects introspection,
    InvalidIntrospectionError when its result breaks the introspection format,
    SchemaDownloadError for token, transport and timeout failures, and
    SchemaFileError when a file cannot be written.
    """
    if not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"schema name {name!r} is invalid; use letters, digits, '.', '_' and "
            "'-', starting with a letter or digit"
        )
    report: Progress = progress or _ignore
    folder = Path(out_dir)
    started = time.monotonic()
    fetched, url = await _fetch(client, report)
    types = fetched.data["__schema"]["types"]
    size = f", {_size(fetched.content_length)}" if fetched.content_length else ""
    elapsed = time.monotonic() - started
    report(f"received {len(types)} types{size} in {elapsed:.1f} s")
    sdl, json_text, problems = await anyio.to_thread.run_sync(
        _render, fetched.data, url
    )
    report(f"checked and sorted the schema of {len(types)} types")
    paths = {
        "sdl": folder / f"{name}.graphql",
        "json": folder / f"{name}.json",
        "meta": folder / f"{name}.meta.json",
    }
    files: dict[str, dict[str, Any]] = {}
    for key, text in (("json", json_text), ("sdl", sdl)):
        path = paths[key]
        digest, written = await anyio.to_thread.run_sync(_write_atomically, path, text)
        files[path.name] = {"sha256": digest, "bytes": written}
        report(f"wrote {path} ({_size(written)})")
    meta = _meta(name, url, fetched, len(types), files, problems)
    await anyio.to_thread.run_sync(_write_atomically, paths["meta"], meta)
    report(f"wrote {paths['meta']}")
    return DownloadResult(
        sdl_path=paths["sdl"],
        json_path=paths["json"],
        meta_path=paths["meta"],
        server_url=url,
        tenant_id=fetched.tenant_id,
        features=tuple(sorted(fetched.features)),
        type_count=len(types),
        sha256={file: entry["sha256"] for file, entry in files.items()},
        problems=problems,
    )


def _ignore(message: str) -> None:
    pass


def _size(count: int) -> str:
    if count < 1_000_000:
        return f"{count / 1000:.1f} kB"
    return f"{count / 1_000_000:.1f} MB"


async def _fetch(client: SageDMOClient, report: Progress) -> tuple[_Fetched, str]:
    """Probe and fetch through ``client``, turning its errors into SchemaErrors."""
    url = _public_url(client.settings.token_url)
    try:
        async with _opened(client):
            url = _public_url(client.graphql_url)
            report(f"probing the introspection features of {url}")
            features = await _probe(client, url)
            listed = ", ".join(sorted(features)) or "none newer than June 2018"
            report(f"introspection features: {listed}")
            return await _introspect(client, url, features, report), url
    except SchemaError:
        raise
    except AuthenticationError as error:
        raise SchemaDownloadError(
            f"schema download failed: the credentials were rejected ({error})"
        ) from error
    except RequestTimeoutError as error:
        raise SchemaDownloadError(
            f"schema download from {url} timed out ({error}); a full SDMO schema is "
            "several megabytes, so create the client with a larger timeout (sage-dmo "
            "schema download --timeout SECONDS) and try again"
        ) from error
    except (TokenError, TransportError, GraphQLResponseError) as error:
        raise SchemaDownloadError(
            f"schema download from {url} failed: {error}"
        ) from error


@asynccontextmanager
async def _opened(client: SageDMOClient) -> AsyncIterator[None]:
    try:
        client.graphql_url  # noqa: B018 - raises unless the client is open
    except ClientStateError:
        async with client:
            yield
        return
    yield


def _public_url(url: str) -> str:
    """Return ``url`` without user, password, query and fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def _probe(client: SageDMOClient, url: str) -> frozenset[str]:
    try:
        data = await client.execute(PROBE_QUERY, operation_name="IntrospectionFeatures")
    except GraphQLResponseError as error:
        messages = tuple(str(e.get("message", "")) for e in error.errors or ())
        raise IntrospectionDisabledError(
            f"the server at {url} rejects introspection: {'; '.join(messages)}. "
            "Ask the tenant's administrator to allow introspection for this API "
            "user, or use a schema file downloaded where it is allowed",
            messages,
        ) from error
    return features_from_probe(data)


async def _introspect(
    client: SageDMOClient, url: str, features: frozenset[str], report: Progress
) -> _Fetched:
    """Run the full query, dropping any feature that the server rejects after all."""
    while True:
        query = build_introspection_query(features)
        report(f"requesting the full schema ({DEFAULT_TYPE_DEPTH} levels of ofType)")
        result = await _with_ticks(
            client.execute_result(query, operation_name="IntrospectionQuery"), report
        )
        messages = [_message(error) for error in result.errors or ()]
        if not messages:
            break
        rejected = _rejected_features(messages) & features
        if not rejected or result.data is not None:
            raise IntrospectionDisabledError(
                f"the server at {url} returned errors for the introspection query: "
                f"{'; '.join(messages[:3])}",
                tuple(messages),
            )
        listed = ", ".join(sorted(rejected))
        report(f"the server rejects {listed}; requesting the schema without it")
        features = features - rejected
    current = client.transport.token_manager.current
    tenant_id = (current.tenant_id if current else None) or client.settings.tenant_id
    headers = client.transport.response_headers
    length = headers.get("Content-Length") if headers is not None else None
    return _Fetched(
        data=_require_schema(result.data, url),
        features=features,
        tenant_id=tenant_id,
        content_length=int(length) if length and length.isdigit() else None,
    )


async def _with_ticks(request: Awaitable[T], report: Progress) -> T:
    """Await ``request``, reporting the time waited every few seconds."""
    started = time.monotonic()
    task = asyncio.ensure_future(request)
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=_TICK_SECONDS)
            if not task.done():
                report(f"waiting for the response: {time.monotonic() - started:.0f} s")
    except BaseException:
        task.cancel()
        raise
    return task.result()


def _message(error: Any) -> str:
    if isinstance(error, Mapping):
        return str(error.get("message", "error without a message"))
    return str(getattr(error, "message", error))


def _rejected_features(messages: list[str]) -> frozenset[str]:
    """Map graphql-core's unknown-field and unknown-argument messages to features."""
    fields = {pair: name for name, pairs in FEATURE_FIELDS.items() for pair in pairs}
    arguments = {
        triple: name
        for name, triples in FEATURE_ARGUMENTS.items()
        for triple in triples
    }
    found = set()
    for message in messages:
        field = _UNKNOWN_FIELD.search(message)
        if field is not None and (field[2], field[1]) in fields:
            found.add(fields[(field[2], field[1])])
        argument = _UNKNOWN_ARGUMENT.search(message)
        if argument is not None:
            key = (argument[2], argument[3], argument[1])
            if key in arguments:
                found.add(arguments[key])
    return frozenset(found)


def _require_schema(data: Any, url: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("__schema"), dict):
        raise InvalidIntrospectionError(
            f"the introspection response from {url} has no data.__schema object; the "
            "server or a proxy returned something else, so download again and "
            "report it to the server's operator if it persists",
            location="data.__schema",
        )
    return data


def _render(data: dict[str, Any], url: str) -> tuple[str, str, tuple[str, ...]]:
    """Build the schema from ``data``; return sorted SDL, JSON text and problems."""
    try:
        with gc_paused():
            schema = client_schema(data)
    except IntrospectionProblem as problem:
        raise InvalidIntrospectionError(
            f"the introspection result from {url} is invalid: {problem}. The server "
            "or a proxy sent a schema that breaks the GraphQL introspection format; "
            "download again, and report it to the server's operator if it persists",
            type_name=problem.type_name,
            field_name=problem.field_name,
            location=problem.location,
        ) from problem
    problems = tuple(error.message for error in validate_schema(schema))
    with gc_paused():
        sdl = print_schema(lexicographic_sort_schema(schema)) + "\n"
    json_text = json.dumps({"data": data}, indent=2, ensure_ascii=False) + "\n"
    return sdl, json_text, problems


def _write_atomically(path: Path, text: str) -> tuple[str, int]:
    """Write ``text`` through a synced temporary file; return its SHA-256 and size."""
    content = text.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _sync_folder(path.parent)
    except OSError as error:
        raise SchemaFileError(
            f"cannot write {path}: {error.strerror or error}; choose a folder you "
            "can write to",
            path,
        ) from error
    return hashlib.sha256(content).hexdigest(), len(content)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; folders cannot be opened for syncing on Windows."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _meta(
    name: str,
    url: str,
    fetched: _Fetched,
    type_count: int,
    files: Mapping[str, Mapping[str, Any]],
    problems: tuple[str, ...],
) -> str:
    from . import __version__

    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta = {
        "name": name,
        "serverUrl": url,
        "tenantId": fetched.tenant_id,
        "downloadedAt": now.replace("+00:00", "Z"),
        "introspection": {
            "features": sorted(fetched.features),
            "typeDepth": DEFAULT_TYPE_DEPTH,
        },
        "typeCount": type_count,
        "files": dict(sorted(files.items())),
        "schemaProblems": list(problems),
        "client": {
            "sageDmo": __version__,
            "graphqlCore": graphql.__version__,
            "python": platform.python_version(),
        },
    }
    return json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
