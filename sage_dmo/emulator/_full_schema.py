"""A tenant that serves the generated SDMO-scale schema without data.

The schema comes from :func:`generate_full_schema_sdl`, which this module
re-exports.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    execute_sync,
    get_named_type,
    parse,
    validate,
)

from .._schema_cache import gc_paused
from ._full_schema_sdl import DEFAULT_FULL_SCHEMA_SEED, generate_full_schema_sdl
from ._introspection import only_introspects
from ._state import Info, LruCache

__all__ = ["DEFAULT_FULL_SCHEMA_SEED", "SchemaOnlyTenant", "generate_full_schema_sdl"]

_EMPTY_PAGE_INFO = {
    "startCursor": None,
    "endCursor": None,
    "hasPreviousPage": False,
    "hasNextPage": False,
}
_CACHED_RESPONSES = 16
_SCHEMA_ONLY_MESSAGE = (
    "This tenant serves its schema only and has no data, so mutations are "
    "not available; start the emulator with the standard schema size to change data."
)


@functools.lru_cache(maxsize=2)
def _generated_schema(
    packages: int, nodes_per_package: int, seed: int
) -> GraphQLSchema:
    sdl = generate_full_schema_sdl(packages, nodes_per_package, seed)
    with gc_paused():
        return build_schema(sdl, no_location=True)


def _resolve_empty(source: Any, info: Info, **arguments: Any) -> Any:
    """Resolve any field of the generated schema as if the tenant had no rows."""
    if isinstance(source, Mapping) and info.field_name in source:
        return source[info.field_name]
    if info.parent_type.name.endswith("_Mutations"):
        raise GraphQLError(_SCHEMA_ONLY_MESSAGE)
    return_type: Any = info.return_type
    required = isinstance(return_type, GraphQLNonNull)
    if required:
        return_type = return_type.of_type
    named = get_named_type(return_type)
    if named.name.endswith("_Connection"):
        return {"totalCount": 0, "pageInfo": _EMPTY_PAGE_INFO, "edges": []}
    if isinstance(return_type, GraphQLList):
        return []
    if info.field_name == "read" or not required:
        return None
    if isinstance(named, GraphQLObjectType):
        return {}
    return {"Int": 0, "Boolean": False}.get(named.name)


class SchemaOnlyTenant:
    """A tenant that serves the generated SDMO-scale schema with no data.

    It has the interface of ``Tenant``: every ``query`` returns an empty
    connection, ``read`` returns null, aggregates count zero rows, and every
    mutation fails with an error. Responses to requests that only introspect are
    cached, because the schema never changes.
    """

    def __init__(
        self,
        *,
        packages: int = 25,
        nodes_per_package: int = 40,
        seed: int = DEFAULT_FULL_SCHEMA_SEED,
    ) -> None:
        self.schema = _generated_schema(packages, nodes_per_package, seed)
        self._documents: LruCache[str, DocumentNode | list[GraphQLError]] = LruCache(
            256
        )
        self._responses: OrderedDict[tuple[str, str, str | None], dict[str, Any]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL request and return its JSON response; it never raises."""
        with self._lock:
            parsed = self._documents.get(query, lambda: self._parse(query))
            if isinstance(parsed, list):
                return _response(None, [error.formatted for error in parsed])
            # Variables may hold Decimal values, which str() writes exactly.
            key = (
                query,
                json.dumps(variables, sort_keys=True, default=str),
                operation_name,
            )
            cached = self._responses.get(key)
            if cached is not None:
                return cached
            # An introspection result of the whole schema is large. Building it
            # with the collector paused took 15 to 40 % less CPU time when
            # measured with graphql-core 3.3.
            with gc_paused():
                result = execute_sync(
                    self.schema,
                    parsed,
                    field_resolver=_resolve_empty,
                    variable_values=dict(variables) if variables is not None else None,
                    operation_name=operation_name,
                )
            errors = [error.formatted for error in result.errors or ()]
            response = _response(result.data, errors)
            if not errors and only_introspects(parsed, operation_name):
                self._responses[key] = response
                if len(self._responses) > _CACHED_RESPONSES:
                    self._responses.popitem(last=False)
            return response

    def _parse(self, query: str) -> DocumentNode | list[GraphQLError]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return [error]
        errors = validate(self.schema, document)
        return list(errors) if errors else document

    def close(self) -> None:
        """Forget cached responses; the tenant has nothing else to release."""
        with self._lock:
            self._responses.clear()


def _response(data: Any, errors: list[Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"data": data}
    if errors:
        response["errors"] = errors
    response["extensions"] = {"diagnoses": []}
    return response
