"""Fast loading of schema files (SDL or introspection JSON) with two cache levels.

A schema is cached by the SHA-256 of its file content: in memory for this
process, and as a pickle under a cache folder for the next processes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import anyio
from graphql import (
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    build_ast_schema,
    parse,
    validate_schema,
)
from graphql.validation.validate import validate_sdl

from ._errors import SchemaFileError
from ._schema_cache import (
    cache_file,
    default_cache_dir,
    gc_paused,
    read_cached,
    strip_ast,
    write_cached,
)
from ._schema_introspection import IntrospectionProblem, client_schema

__all__ = [
    "SchemaCacheStats",
    "clear_schema_cache",
    "default_cache_dir",
    "load_schema",
    "load_schema_async",
    "schema_cache_stats",
]

_MEMORY_SIZE = 8
_SDL_SUFFIXES = (".graphql", ".graphqls", ".gql", ".sdl")


@dataclass(frozen=True)
class SchemaCacheStats:
    """Counts of schema loads by where the schema came from, since start-up."""

    memory_hits: int = 0
    disk_hits: int = 0
    builds: int = 0


_lock = threading.Lock()
_memory: OrderedDict[tuple[str, str], GraphQLSchema] = OrderedDict()
_stats = SchemaCacheStats()


def _count(**increments: int) -> None:
    global _stats
    with _lock:
        changes = {
            key: getattr(_stats, key) + value for key, value in increments.items()
        }
        _stats = replace(_stats, **changes)


def schema_cache_stats() -> SchemaCacheStats:
    """Return how many loads came from memory, from disk and from building."""
    return _stats


def clear_schema_cache() -> None:
    """Forget the schemas cached in memory; files in the cache folder stay."""
    with _lock:
        _memory.clear()


def load_schema(
    path: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    disk_cache: bool = True,
) -> GraphQLSchema:
    """Load a schema from SDL (``.graphql``) or an introspection result (``.json``).

    Other suffixes are read as JSON when the text starts with ``{``. The
    schema is validated once, and cached by content: in memory, and unless
    ``disk_cache`` is false, in ``cache_dir`` (default
    ``$XDG_CACHE_HOME/sage-dmo/schemas``). The same content returns the same
    schema object, so treat it as read-only. Loaded schemas keep no SDL
    syntax nodes (``ast_node`` is None), the same from a cache or not.

    Raises SchemaFileError for a missing or unreadable file, a syntax error
    (with line and column), or content that is not a valid schema.
    """
    file = Path(path)
    content = _read(file)
    digest = hashlib.sha256(content).hexdigest()
    kind = _kind(file, content)
    key = (digest, kind)
    with _lock:
        schema = _memory.get(key)
        if schema is not None:
            _memory.move_to_end(key)
    if schema is not None:
        _count(memory_hits=1)
        return schema
    cached = None
    if disk_cache:
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        cached = cache_file(folder, digest, kind)
        schema = read_cached(cached)
    if schema is not None:
        _count(disk_hits=1)
    else:
        schema = _build(file, content, kind)
        _count(builds=1)
        if cached is not None:
            write_cached(cached, schema)
    with _lock:
        _memory[key] = schema
        if len(_memory) > _MEMORY_SIZE:
            _memory.popitem(last=False)
    return schema


async def load_schema_async(
    path: str | os.PathLike[str],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    disk_cache: bool = True,
) -> GraphQLSchema:
    """Run :func:`load_schema` in a worker thread, off the event loop."""
    load = functools.partial(
        load_schema, path, cache_dir=cache_dir, disk_cache=disk_cache
    )
    return await anyio.to_thread.run_sync(load)


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise SchemaFileError(
            f"schema file {file} not found; download it with 'sage-dmo schema "
            f"download --out {file.parent}' or check the path",
            file,
        ) from None
    except OSError as error:
        raise SchemaFileError(
            f"cannot read schema file {file}: {error.strerror or error}", file
        ) from None


def _kind(file: Path, content: bytes) -> str:
    suffix = file.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in _SDL_SUFFIXES:
        return "sdl"
    return "json" if content.lstrip()[:1] == b"{" else "sdl"


def _build(file: Path, content: bytes, kind: str) -> GraphQLSchema:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SchemaFileError(
            f"schema file {file} is not UTF-8 text (invalid byte at offset "
            f"{error.start}); download the schema again",
            file,
        ) from None
    with gc_paused():
        schema = _build_sdl(file, text) if kind == "sdl" else _build_json(file, text)
        problems = validate_schema(schema)
    if problems:
        listed = "; ".join(problem.message for problem in problems[:3])
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise SchemaFileError(
            f"schema file {file} describes an invalid schema: {listed}{more}; "
            "download the schema again",
            file,
        )
    return schema


def _build_sdl(file: Path, text: str) -> GraphQLSchema:
    try:
        document = parse(text)
    except GraphQLSyntaxError as error:
        raise _located(
            file, error, "fix the SDL or download the schema again"
        ) from None
    errors = validate_sdl(document)
    if errors:
        raise _located(file, errors[0], "fix the SDL or download the schema again")
    schema = build_ast_schema(document, assume_valid_sdl=True)
    strip_ast(schema)
    return schema


def _located(file: Path, error: GraphQLError, advice: str) -> SchemaFileError:
    line = column = None
    if error.locations:
        line, column = error.locations[0].line, error.locations[0].column
    where = f"{file}:{line}:{column}" if line is not None else str(file)
    message = error.message.rstrip(".")
    return SchemaFileError(
        f"{where}: {message}; {advice}", file, line=line, column=column
    )


def _build_json(file: Path, text: str) -> GraphQLSchema:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaFileError(
            f"{file}:{error.lineno}:{error.colno}: invalid JSON ({error.msg}); "
            "download the schema again",
            file,
            line=error.lineno,
            column=error.colno,
        ) from None
    data: Any = document.get("data", document) if isinstance(document, dict) else None
    if not isinstance(data, dict) or "__schema" not in data:
        raise SchemaFileError(
            f"{file} is not an introspection result: it has no data.__schema "
            "object; download the schema with 'sage-dmo schema download'",
            file,
        )
    try:
        return client_schema(data)
    except IntrospectionProblem as problem:
        raise SchemaFileError(
            f"{file} is not a valid introspection result: {problem}; download the "
            "schema again",
            file,
        ) from None
