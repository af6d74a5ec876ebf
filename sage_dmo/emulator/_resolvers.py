"""Read resolvers of the emulated tenant: packages, node operations, node fields.

Resolvers are attached to the fields of the schema built from the SDL, so the
schema that clients introspect is exactly the one that executes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema

from ._model import Model, NodeModel, Property
from ._paging import Connection, Scope, query_connection
from ._scalars import decimal_text, scaled_text
from ._sql import SqlBuilder
from ._state import Info, Record, RequestState, state_of

__all__ = ["install_read_resolvers", "object_type"]

Resolver = Callable[..., Any]


def object_type(schema: GraphQLSchema, name: str) -> GraphQLObjectType:
    """Return the object type ``name`` of the tenant schema."""
    type_ = schema.get_type(name)
    if not isinstance(type_, GraphQLObjectType):
        raise LookupError(f"the tenant schema lacks the object type {name}")
    return type_


def _set(schema: GraphQLSchema, type_name: str, field: str, resolve: Resolver) -> None:
    graphql_type = object_type(schema, type_name)
    if field not in graphql_type.fields:
        raise LookupError(f"the tenant schema lacks {type_name}.{field}")
    graphql_type.fields[field].resolve = resolve


def _path(info: Info) -> list[str | int]:
    return list(info.path.as_list())


@dataclass(frozen=True)
class CollectionSource:
    """The source of a ``<Node>_Collection``: the child node and its parent row."""

    node: NodeModel
    scope: Scope


class PropertyAggregate:
    """Aggregates of one property over the rows that match a filter."""

    def __init__(self, state: RequestState, builder: SqlBuilder, where: str,
                 prop: Property, expression: str) -> None:  # fmt: skip
        self._state = state
        self._builder = builder
        self._where = where
        self._prop = prop
        self._expression = expression
        self._values: tuple[Any, ...] | None = None

    def _stats(self) -> tuple[Any, ...]:
        if self._values is None:
            e = self._expression
            text = (
                f"SELECT MIN({e}), MAX({e}), SUM({e}), COUNT({e}), COUNT(DISTINCT {e}) "
                f"FROM {self._builder.source} WHERE {self._where}"
            )
            builder = self._builder
            rows = self._state.database.query(text, builder.parameters, builder.nodes)
            self._values = tuple(rows[0])
        return self._values

    def _minimum(self) -> Any:
        return self._prop.to_output(self._stats()[0])

    def _maximum(self) -> Any:
        return self._prop.to_output(self._stats()[1])

    def _total(self) -> Any:
        total = self._stats()[2]
        if total is None or self._prop.type_name != "Decimal":
            return total
        return scaled_text(total, self._prop.scale)

    def _average(self) -> str | None:
        total, count = self._stats()[2], self._stats()[3]
        if not count:
            return None
        with localcontext() as context:
            context.prec = 28
            average = Decimal(total).scaleb(-self._prop.scale) / count
        return decimal_text(average)

    def _distinct_count(self) -> int:
        return int(self._stats()[4])

    min = property(_minimum)
    max = property(_maximum)
    sum = property(_total)
    avg = property(_average)
    distinctCount = property(_distinct_count)


def _aggregate_resolver(prop: Property) -> Resolver:
    def resolve(source: tuple[SqlBuilder, str], info: Info) -> Any:
        builder, where = source
        return PropertyAggregate(
            state_of(info), builder, where, prop, f"{builder.alias}.{prop.column}"
        )

    return resolve


def _operations(node: NodeModel) -> dict[str, Resolver]:
    def query(_source: Any, info: Info, **arguments: Any) -> Connection:
        return query_connection(state_of(info), node, arguments, _path(info))

    def read(_source: Any, info: Info, _id: str) -> Record | None:
        state = state_of(info)
        row_id = state.database.resolve_id(node, _id)
        return None if row_id is None else state.record(node, row_id)

    def read_aggregate(
        _source: Any, info: Info, filter: str | None = None
    ) -> tuple[SqlBuilder, str]:
        state = state_of(info)
        condition = state.engine.condition(node, filter, "filter")
        builder = SqlBuilder(state.database, node)
        return builder, builder.condition(condition)

    return {"query": query, "read": read, "readAggregate": read_aggregate}


def _field_resolver(model: Model, prop: Property) -> Resolver:
    name, convert = prop.name, prop.to_output
    if prop.kind == "reference":
        target = model[str(prop.target)]

        def reference(source: Record, info: Info) -> Record | None:
            return state_of(info).referenced(source, name, target)

        return reference
    if prop.kind == "collection":
        child = model[str(prop.target)]
        inverse = child.properties[str(prop.inverse)]

        def collection(source: Record, _info: Info) -> CollectionSource:
            return CollectionSource(child, Scope(inverse, source.id))

        return collection

    def column(source: Record, _info: Info) -> Any:
        return convert(source.row[name])

    return column


def _collection_query(
    source: CollectionSource, info: Info, **arguments: Any
) -> Connection:
    return query_connection(
        state_of(info), source.node, arguments, _path(info), source.scope
    )


def _package(_source: Any, info: Info) -> str:
    return info.field_name


def _returning(node: NodeModel) -> Resolver:
    def operations(_source: Any, _info: Info) -> NodeModel:
        return node

    return operations


def install_read_resolvers(schema: GraphQLSchema, model: Model) -> None:
    """Attach the resolvers of every read field of ``schema``."""
    query_type = schema.query_type
    if query_type is None:
        raise LookupError("the tenant schema has no Query type")
    for field in query_type.fields.values():
        field.resolve = _package
    for node in model.nodes.values():
        package = node.spec.package
        package_type = package[0].upper() + package[1:]

        _set(schema, package_type, node.spec.operation, _returning(node))
        for field_name, resolve in _operations(node).items():
            _set(schema, f"{node.name}_Operations", field_name, resolve)
        for prop in node.properties.values():
            _set(schema, node.name, prop.name, _field_resolver(model, prop))
            if prop.kind == "collection":
                _set(schema, f"{prop.target}_Collection", "query", _collection_query)
        aggregate = object_type(schema, f"{node.name}_Aggregate")
        for field_name in aggregate.fields:
            _set(schema, aggregate.name, field_name,
                 _aggregate_resolver(node.properties[field_name]))  # fmt: skip
