"""On-disk cache of built GraphQL schemas: one pickle per schema file content.

graphql-core 3.2 cannot pickle a built schema (its types keep the lambdas
that built them) and 3.3 pickles one by calling every type's constructor
again, so this module pickles each type's attributes itself, with references
between types stored by name. Loading that back took 3 to 7 % of the CPU time
of building the generated SDMO-scale schema from SDL, on graphql-core 3.2 and 3.3.
"""

from __future__ import annotations

import copyreg
import gc
import io
import logging
import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import graphql
from graphql import (
    GraphQLArgument,
    GraphQLDirective,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLInputField,
    GraphQLNamedType,
    GraphQLSchema,
    introspection_types,
    specified_directives,
    specified_scalar_types,
)
from graphql.pyutils import Undefined

__all__ = ["default_cache_dir", "gc_paused", "read_cached", "strip_ast", "write_cached"]

logger = logging.getLogger(__name__)

_FORMAT = 1
"""Version of the layout below; a change makes older cache files unused."""

_RESERVED_TYPES: dict[str, GraphQLNamedType] = {
    **specified_scalar_types,
    **introspection_types,
}
_RESERVED_DIRECTIVES = {directive.name: directive for directive in specified_directives}
# Types build their fields, interfaces, members and values lazily from these
# functions; the cached copy stores the built values under both names.
_THUNKS = {
    "_fields": "fields",
    "_interfaces": "interfaces",
    "_types": "types",
    "_values": "values",
}
_PARTS = (GraphQLField, GraphQLArgument, GraphQLInputField, GraphQLEnumValue)


def default_cache_dir() -> Path:
    """Return ``$XDG_CACHE_HOME/sage-dmo/schemas``, or ``~/.cache/sage-dmo/schemas``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sage-dmo" / "schemas"


def cache_file(cache_dir: Path, digest: str, kind: str) -> Path:
    """Return the cache file of a schema file content, graphql-core and Python."""
    version = f"{sys.version_info[0]}{sys.version_info[1]}"
    name = f"{digest}-{kind}-gql{graphql.__version__}-py{version}-v{_FORMAT}.pickle"
    return cache_dir / name


_pause_lock = threading.Lock()
_pause_depth = 0
_resume_collector = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many objects are created.

    Building or unpickling a schema allocates hundreds of thousands of objects,
    and the collector, which runs after every few hundred allocations, would
    otherwise take most of the time. The pause is process-wide and ends when
    the last of overlapping pauses ends.
    """
    global _pause_depth, _resume_collector
    with _pause_lock:
        if _pause_depth == 0:
            _resume_collector = gc.isenabled()
            gc.disable()
        _pause_depth += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause_depth -= 1
            if _pause_depth == 0 and _resume_collector:
                gc.enable()


def strip_ast(schema: GraphQLSchema) -> None:
    """Drop the SDL syntax nodes from ``schema``, which execution never reads."""
    schema.ast_node = None
    schema.extension_ast_nodes = ()
    for name, type_ in schema.type_map.items():
        if _RESERVED_TYPES.get(name) is type_:
            continue
        type_.ast_node = None
        type_.extension_ast_nodes = ()
        for part in _parts_of(type_):
            part.ast_node = None
    for directive in schema.directives:
        if _RESERVED_DIRECTIVES.get(directive.name) is not directive:
            directive.ast_node = None
            for argument in directive.args.values():
                argument.ast_node = None


def _parts_of(type_: GraphQLNamedType) -> Iterator[Any]:
    fields = getattr(type_, "fields", None)
    if fields is not None:
        for field in fields.values():
            yield field
            yield from getattr(field, "args", {}).values()
    values = getattr(type_, "values", None)
    if values is not None:
        yield from values.values()


class _Pickler(pickle.Pickler):
    """Stores named types and standard directives as references by name."""

    def persistent_id(self, obj: Any) -> Any:
        if obj is Undefined:
            return ("undefined", "")
        if isinstance(obj, GraphQLNamedType):
            return ("type", obj.name)
        if isinstance(obj, GraphQLDirective) and (
            _RESERVED_DIRECTIVES.get(obj.name) is obj
        ):
            return ("directive", obj.name)
        return None

    def reducer_override(self, obj: Any) -> Any:
        # Rebuild fields, arguments and values from their attributes, without
        # running their constructors.
        if isinstance(obj, _PARTS):
            return copyreg.__newobj__, (type(obj),), dict(obj.__dict__)  # type: ignore[attr-defined]
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedIOBase, types: dict[str, Any]) -> None:
        super().__init__(file)
        self.types = types

    def persistent_load(self, pid: Any) -> Any:
        kind, name = pid
        if kind == "undefined":
            return Undefined
        if kind == "directive":
            return _RESERVED_DIRECTIVES[name]
        return self.types[name]


def _dump(schema: GraphQLSchema) -> bytes:
    classes: dict[str, type | None] = {}
    states: dict[str, dict[str, Any]] = {}
    for name, type_ in schema.type_map.items():
        if _RESERVED_TYPES.get(name) is type_:
            classes[name] = None
            continue
        classes[name] = type(type_)
        state = dict(type_.__dict__)
        for thunk, built in _THUNKS.items():
            if thunk in state:
                state[thunk] = state[built] = getattr(type_, built)
        states[name] = state
    buffer = io.BytesIO()
    pickle.dump({"format": _FORMAT, "classes": classes}, buffer, protocol=4)
    _Pickler(buffer, protocol=4).dump((states, dict(schema.__dict__)))
    return buffer.getvalue()


def _load(content: bytes) -> GraphQLSchema:
    buffer = io.BytesIO(content)
    header = pickle.load(buffer)  # noqa: S301 - a file of the user's own cache
    if header.get("format") != _FORMAT:
        raise ValueError(f"cache format {header.get('format')!r} is not {_FORMAT}")
    types = {
        name: _RESERVED_TYPES[name] if cls is None else object.__new__(cls)
        for name, cls in header["classes"].items()
    }
    states, schema_state = _Unpickler(buffer, types).load()
    for name, state in states.items():
        types[name].__dict__.update(state)
    schema: GraphQLSchema = object.__new__(GraphQLSchema)
    schema.__dict__.update(schema_state)
    return schema


def _trusted(path: Path) -> bool:
    """Tell whether only the current user can have written ``path`` (POSIX)."""
    if os.name != "posix":
        return True
    for checked in (path, path.parent):
        status = checked.stat()
        if status.st_uid != os.getuid() or status.st_mode & 0o022:
            return False
    return True


def read_cached(path: Path) -> GraphQLSchema | None:
    """Return the schema cached in ``path``, or None when absent or unusable."""
    try:
        if not _trusted(path):
            logger.warning(
                "ignoring schema cache file %s: another user can write it", path
            )
            return None
        content = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.warning("cannot read schema cache file %s: %s", path, error)
        return None
    try:
        with gc_paused():
            return _load(content)
    # A damaged or foreign file can fail in any way while unpickling. The cache
    # only saves time, so the file is removed and the schema built again.
    except Exception as error:
        logger.warning("removing unusable schema cache file %s: %r", path, error)
        path.unlink(missing_ok=True)
        return None


def write_cached(path: Path, schema: GraphQLSchema) -> bool:
    """Store ``schema`` in ``path`` atomically; return False if it cannot be cached."""
    try:
        content = _dump(schema)
    except (pickle.PicklingError, AttributeError, TypeError, RecursionError) as error:
        logger.warning("cannot cache the schema for %s: %r", path.name, error)
        return False
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        logger.warning("cannot write schema cache file %s: %s", path, error)
        return False
    return True
