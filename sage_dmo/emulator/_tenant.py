"""The tenant GraphQL engine of the emulator: schema, seeded data and execution.

``Tenant.execute`` takes the query text, variables and operation name of one
GraphQL request and returns the whole JSON response. It does not raise for an
invalid request.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    build_schema,
    execute_sync,
    parse,
    validate,
)

from .._errors import ConfigurationError
from ._database import Database
from ._model import Model
from ._mutations import install_mutation_resolvers
from ._reports import install_report_resolvers
from ._resolvers import install_read_resolvers
from ._scalars import install_scalars
from ._state import Engine, LruCache, RequestState

__all__ = ["Tenant"]

logger = logging.getLogger(__name__)

_Parsed = tuple[DocumentNode | None, list[GraphQLError]]


@functools.lru_cache(maxsize=1)
def _tenant_schema() -> tuple[GraphQLSchema, Model]:
    """Build the schema and node model once per process.

    Resolvers find all per-tenant state in the context value, so tenants can
    share one schema.
    """
    sdl = resources.files(__package__).joinpath("schema.graphql").read_text("utf-8")
    schema = build_schema(sdl)
    install_scalars(schema)
    model = Model(schema)
    install_read_resolvers(schema, model)
    install_mutation_resolvers(schema, model)
    install_report_resolvers(schema)
    return schema, model


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Tenant:
    """An SDMO tenant: its GraphQL schema over deterministic seeded data in SQLite.

    ``rows`` is the number of rows of the main nodes: items, item categories,
    business entities, customers, sales and purchase orders. Reference nodes such
    as currencies and sites keep fixed sizes. The same ``rows`` and ``seed``
    always give the same data. ``clock`` returns the aware UTC time used for the
    stamps of mutations. ``database`` is an SQLite path; a file seeded before
    with the same ``rows`` and ``seed`` keeps its data, any other is reseeded.
    """

    def __init__(
        self,
        *,
        rows: int = 300,
        seed: int = 20250801,
        max_page_size: int = 1000,
        default_page_size: int = 20,
        clock: Callable[[], datetime] | None = None,
        database: str = ":memory:",
    ) -> None:
        if rows < 1:
            raise ConfigurationError(f"rows must be 1 or more, not {rows}")
        if max_page_size < 1:
            raise ConfigurationError(
                f"max_page_size must be 1 or more, not {max_page_size}"
            )
        if not 1 <= default_page_size <= max_page_size:
            raise ConfigurationError(
                f"default_page_size must be between 1 and max_page_size "
                f"({max_page_size}), not {default_page_size}"
            )
        self.schema, model = _tenant_schema()
        store = Database(model, rows=rows, seed=seed, path=database)
        self._engine = Engine(
            schema=self.schema,
            model=model,
            database=store,
            clock=clock or _utc_now,
            max_page_size=max_page_size,
            default_page_size=default_page_size,
        )
        self._documents: LruCache[str, _Parsed] = LruCache(256)
        # One request at a time: SQLite connections are not safe to share, and
        # mutations must see a consistent state.
        self._lock = threading.Lock()

    def _parse(self, query: str) -> _Parsed:
        try:
            document = parse(query)
        except GraphQLError as error:
            return None, [error]
        errors = validate(self.schema, document)
        return (None, list(errors)) if errors else (document, [])

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL request and return its JSON response.

        The response has ``data``, ``errors`` when there are any, and
        ``extensions.diagnoses``. Parsed and validated documents are cached by
        query text.
        """
        with self._lock:
            document, errors = self._documents.get(query, lambda: self._parse(query))
            if document is None:
                return {
                    "data": None,
                    "errors": [error.formatted for error in errors],
                    "extensions": {"diagnoses": []},
                }
            state = RequestState(self._engine)
            result = execute_sync(
                self.schema,
                document,
                context_value=state,
                variable_values=dict(variables) if variables is not None else None,
                operation_name=operation_name,
            )
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [self._formatted(error) for error in result.errors]
        answer["extensions"] = {"diagnoses": state.diagnoses}
        return answer

    @staticmethod
    def _formatted(error: GraphQLError) -> dict[str, Any]:
        original = error.original_error
        # A resolver error is located by a path; variable coercion errors are not.
        unexpected = original is not None and not isinstance(original, GraphQLError)
        if unexpected and error.path:
            logger.error(
                "resolver failed at %s: %s",
                ".".join(str(step) for step in error.path or ()),
                original,
                exc_info=original,
            )
        return dict(error.formatted)

    def close(self) -> None:
        """Close the SQLite connection; calling it twice is harmless."""
        self._engine.database.close()
