"""Semantic analysis of orderBy strings: the sort keys of a query, in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from graphql import GraphQLObjectType, GraphQLSchema

from ._errors import FilterError, FilterProblem
from ._filter_schema import RESERVED, ProblemCollector, Step, check_node, is_int
from ._filter_syntax import (
    FilterEntry,
    FilterObject,
    FilterScalar,
    FilterValue,
    Span,
    parse_filter_text,
)

__all__ = ["OrderByAnalysis", "OrderKey", "analyze_order_by", "compile_order_by"]


@dataclass(frozen=True)
class OrderKey:
    """One sort key: zero or more reference steps, then a scalar or enum step.

    ``direction`` is 1 for ascending, -1 for descending. ``span`` runs from the
    property name to the direction.
    """

    path: tuple[Step, ...]
    direction: Literal[1, -1]
    span: Span


@dataclass(frozen=True)
class OrderByAnalysis:
    """The sort keys of an orderBy, empty when ``problems`` is not empty."""

    keys: tuple[OrderKey, ...]
    problems: tuple[FilterProblem, ...]


def analyze_order_by(
    text: str, node: GraphQLObjectType, schema: GraphQLSchema
) -> OrderByAnalysis:
    """Check an orderBy string against ``node`` and build its sort keys in order.

    Empty text and ``{}`` give no keys. Raises ``ValueError`` when ``node`` is not a
    node type of ``schema``.
    """
    check_node(node, schema)
    if not text.strip():
        return OrderByAnalysis((), ())
    try:
        parsed = parse_filter_text(text, kind="orderBy")
    except FilterError as error:
        return OrderByAnalysis((), error.problems)
    walker = _OrderByWalker(text, "sorted")
    keys: list[OrderKey] = []
    if isinstance(parsed, FilterObject):
        walker.order_entries(parsed, node, (), keys)
    else:
        walker.report(
            parsed.span,
            f"an orderBy must be an object such as {{name: 1, _id: -1}}, found "
            f"{walker.source(parsed.span)}",
        )
    problems = walker.sorted_problems()
    return OrderByAnalysis(() if problems else tuple(keys), problems)


def compile_order_by(
    text: str, node: GraphQLObjectType, schema: GraphQLSchema
) -> tuple[OrderKey, ...]:
    """Return the sort keys of an orderBy string.

    Raises ``FilterError`` listing every problem.
    """
    analysis = analyze_order_by(text, node, schema)
    if analysis.problems:
        raise FilterError("orderBy", text, analysis.problems)
    return analysis.keys


class _OrderByWalker(ProblemCollector):
    """Walks a parsed orderBy, collecting sort keys and every problem."""

    def order_entries(
        self,
        value: FilterObject,
        node: GraphQLObjectType,
        prefix: tuple[Step, ...],
        keys: list[OrderKey],
    ) -> None:
        for entry in value.entries:
            if entry.key in RESERVED:
                self.report(
                    entry.key_span,
                    f"'{entry.key}' is a filter operator and has no meaning in an "
                    "orderBy; give property names with 1 or -1, such as {name: 1}",
                )
                continue
            prop = self.find(entry, node)
            if prop is None:
                continue
            path = (*prefix, prop.step)
            label = f"{node.name}.{entry.key}"
            if prop.step.kind == "collection":
                self.report(
                    entry.key_span,
                    f"cannot sort by the collection {label}; sort by properties of "
                    f"{node.name} or of its references instead",
                )
            elif prop.target is not None:
                self.order_reference(entry, prop.target, path, keys)
            else:
                self.order_key(entry, path, label, keys)

    def order_reference(
        self,
        entry: FilterEntry,
        target: GraphQLObjectType,
        path: tuple[Step, ...],
        keys: list[OrderKey],
    ) -> None:
        value = entry.value
        if isinstance(value, FilterObject) and value.entries:
            self.order_entries(value, target, path, keys)
            return
        examples = [name for name in ("id", "name", "_id") if name in target.fields]
        direction = self.source(value.span) if _direction(value) else "1"
        instead = " or ".join(
            f"{{{entry.key}: {{{name}: {direction}}}}}" for name in examples[:2]
        )
        label = f"{path[-1].node}.{entry.key}"
        if isinstance(value, FilterObject):
            span = value.span
            message = f"no sort key inside the reference {label}"
        else:
            span = entry.key_span
            message = f"cannot sort by the reference {label} itself"
        self.report(
            span, f"{message}; sort by one of its properties, such as {instead}"
        )

    def order_key(
        self,
        entry: FilterEntry,
        path: tuple[Step, ...],
        label: str,
        keys: list[OrderKey],
    ) -> None:
        direction = _direction(entry.value)
        if direction is None:
            found = self.source(entry.value.span)
            self.report(
                entry.value.span,
                f"invalid sort direction {found} for {label}; use 1 for ascending "
                "or -1 for descending",
            )
            return
        span = Span(entry.key_span.start, entry.value.span.end)
        keys.append(OrderKey(path, direction, span))


def _direction(value: FilterValue) -> Literal[1, -1] | None:
    """Return 1 or -1 for the integers 1 (also written +1) and -1, else None."""
    if isinstance(value, FilterScalar) and is_int(value.value):
        if value.value == 1:
            return 1
        if value.value == -1:
            return -1
    return None
