"""Semantic analysis of filter strings against a node's GraphQL type.

Checks every key and value against the schema, collects every problem with its
position, and builds a typed condition tree. Also the public home of the orderBy
analysis, which lives in ``_filter_order``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from graphql import GraphQLObjectType, GraphQLSchema
from graphql.pyutils import did_you_mean, suggestion_list

from ._errors import FilterError, FilterProblem
from ._filter_order import (
    OrderByAnalysis,
    OrderKey,
    analyze_order_by,
    compile_order_by,
)
from ._filter_schema import (
    OPERATORS,
    QUANTIFIERS,
    Compared,
    InvalidValue,
    ProblemCollector,
    PropertyInfo,
    Step,
    check_node,
    convert_value,
    find_property,
    node_for_connection,
)
from ._filter_syntax import (
    FilterEntry,
    FilterList,
    FilterObject,
    FilterScalar,
    FilterValue,
    Span,
    parse_filter_text,
)

__all__ = [
    "And",
    "Comparison",
    "Condition",
    "FilterAnalysis",
    "Not",
    "Or",
    "OrderByAnalysis",
    "OrderKey",
    "Quantified",
    "Step",
    "analyze_filter",
    "analyze_order_by",
    "compile_filter",
    "compile_order_by",
    "node_for_connection",
]


@dataclass(frozen=True)
class And:
    """All conditions hold; ``And(())`` is always true."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    """At least one condition holds; ``Or(())`` is always false."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """The condition does not hold."""

    condition: Condition


@dataclass(frozen=True)
class Comparison:
    """A comparison of the property at the end of ``path`` with a typed value.

    ``path`` is zero or more reference steps, then a scalar or enum step, except for
    a null comparison on a reference, whose path ends at the reference step.
    ``span`` covers the value. ``value`` has the Python type of the property:

    - str for String, Id, Json and enum members
    - int for Int and IntReference, and int or str for IntOrString
    - Decimal for Decimal and Float, bool for Boolean
    - ``date`` for Date, and an aware ``datetime`` in UTC for Datetime
    - None for a null comparison, with ``_eq`` or ``_ne`` only
    - a tuple of non-null values for ``_in`` and ``_nin``
    - for ``_regex``, a pattern that compiles with Python's ``re``
    """

    path: tuple[Step, ...]
    operator: str
    value: Any
    span: Span


@dataclass(frozen=True)
class Quantified:
    """A count of the rows of a collection that match ``condition``.

    ``path`` is zero or more reference steps, then the collection step. ``condition``
    applies to the collection's node. ``count`` is set for ``_atLeast`` and
    ``_atMost``. ``span`` covers the quantifier and its value, or the collection key
    when no quantifier was written (which means ``_atLeast`` 1).
    """

    path: tuple[Step, ...]
    quantifier: str
    count: int | None
    condition: Condition
    span: Span


Condition: TypeAlias = And | Or | Not | Comparison | Quantified


@dataclass(frozen=True)
class FilterAnalysis:
    """The condition of a filter, or None when ``problems`` is not empty."""

    condition: Condition | None
    problems: tuple[FilterProblem, ...]


def analyze_filter(
    text: str, node: GraphQLObjectType, schema: GraphQLSchema
) -> FilterAnalysis:
    """Check a filter string against ``node`` and build its condition.

    Empty text and ``{}`` give ``And(())``, and an object with one condition gives
    that condition unwrapped. Problems come in source order, all of them unless the
    text is malformed. Raises ``ValueError`` when ``node`` is not a node type of
    ``schema``.
    """
    check_node(node, schema)
    if not text.strip():
        return FilterAnalysis(And(()), ())
    try:
        parsed = parse_filter_text(text, kind="filter")
    except FilterError as error:
        return FilterAnalysis(None, error.problems)
    walker = _FilterWalker(text, "filtered")
    condition = walker.filter_root(parsed, node)
    problems = walker.sorted_problems()
    return FilterAnalysis(None if problems else condition, problems)


def compile_filter(
    text: str, node: GraphQLObjectType, schema: GraphQLSchema
) -> Condition:
    """Return the condition of a filter string.

    Raises ``FilterError`` listing every problem.
    """
    analysis = analyze_filter(text, node, schema)
    if analysis.condition is None:
        raise FilterError("filter", text, analysis.problems)
    return analysis.condition


def _all(parts: Iterable[Condition | None]) -> Condition:
    """AND the valid parts, returning a single part as it is."""
    conditions = tuple(part for part in parts if part is not None)
    return conditions[0] if len(conditions) == 1 else And(conditions)


def _example_property(node: GraphQLObjectType, kinds: tuple[str, ...]) -> str | None:
    """Return the first property of ``node`` of one of ``kinds``, for messages."""
    for name in node.fields:
        found = find_property(node, name)
        usable = isinstance(found, PropertyInfo) and found.step.kind in kinds
        if usable and not name.startswith("_"):
            return str(name)
    return None


_INVALID: Any = object()
_Context: TypeAlias = Literal["node", "reference", "collection"]


class _FilterWalker(ProblemCollector):
    """Walks a parsed filter, building its condition and collecting every problem."""

    def filter_root(self, value: FilterValue, node: GraphQLObjectType) -> Condition:
        if isinstance(value, FilterObject):
            return self.node_entries(value.entries, node, (), "node")
        if not isinstance(value, FilterList):
            self.report(
                value.span,
                "a filter must be an object such as {name: 'x'} or a list of "
                f"objects, found {self.source(value.span)}",
            )
            return And(())
        return _all(self.node_object(item, node, (), "node") for item in value.items)

    def node_object(
        self,
        value: FilterValue,
        node: GraphQLObjectType,
        prefix: tuple[Step, ...],
        context: _Context,
    ) -> Condition | None:
        if isinstance(value, FilterObject):
            return self.node_entries(value.entries, node, prefix, context)
        self.report(
            value.span,
            f"expected an object of conditions on {node.name}, such as "
            f"{{_id: '1'}}, found {self.source(value.span)}",
        )
        return None

    def node_entries(
        self,
        entries: Iterable[FilterEntry],
        node: GraphQLObjectType,
        prefix: tuple[Step, ...],
        context: _Context,
    ) -> Condition:
        """AND the conditions of an object on ``node``.

        ``context`` is "reference" when the object is the value of a reference
        (operators then apply to the target's ``_id``), "collection" inside a
        collection's object, and "node" otherwise.
        """
        return _all(self.node_entry(entry, node, prefix, context) for entry in entries)

    def node_entry(
        self,
        entry: FilterEntry,
        node: GraphQLObjectType,
        prefix: tuple[Step, ...],
        context: _Context,
    ) -> Condition | None:
        key = entry.key
        if key in ("_and", "_or", "_not"):
            return self.logical_entry(entry, node, prefix, context)
        if key in OPERATORS and context == "reference":
            compared = self.id_of(node, prefix)
            return self.operator(key, entry.key_span, entry.value, compared)
        if key in OPERATORS or key in QUANTIFIERS:
            self.report_misplaced(entry, node, prefix, context)
            return None
        keywords = ["_and", "_or", "_not"]
        if context == "reference":
            keywords += self.id_of(node, prefix).operators
        elif context == "collection":
            keywords += QUANTIFIERS
        prop = self.find(entry, node, keywords)
        if prop is None:
            return None
        path = (*prefix, prop.step)
        if prop.target is not None and prop.step.kind == "reference":
            return self.reference_value(entry.value, prop.target, path)
        if prop.target is not None:
            return self.collection_value(entry, prop.target, path)
        label = f"{node.name}.{key} ({prop.step.type_name})"
        compared = Compared(path, path, prop.step.type_name, prop.enum, label)
        return self.scalar_value(entry.value, compared)

    def logical_entry(
        self,
        entry: FilterEntry,
        node: GraphQLObjectType,
        prefix: tuple[Step, ...],
        context: _Context,
    ) -> Condition | None:
        """Build ``_and``, ``_or`` or ``_not`` on ``node`` in the current context."""
        key = entry.key
        value = entry.value
        if key == "_not" and context == "reference":
            inner = self.reference_value(value, node, prefix)
            return None if inner is None else Not(inner)
        if key == "_not":
            inner = self.node_object(value, node, prefix, context)
            return None if inner is None else Not(inner)
        if not isinstance(value, FilterList):
            self.report(
                value.span,
                f"'{key}' expects a list of objects such as {{{key}: [{{...}}, "
                f"{{...}}]}}, found {self.source(value.span)}",
            )
            return None
        items = [self.node_object(item, node, prefix, context) for item in value.items]
        if key == "_and":
            return _all(items)
        return Or(tuple(item for item in items if item is not None))

    def report_misplaced(
        self,
        entry: FilterEntry,
        node: GraphQLObjectType,
        prefix: tuple[Step, ...],
        context: _Context,
    ) -> None:
        """Report an operator or quantifier written where it does not apply."""
        key = entry.key
        collection = _example_property(node, ("collection",))
        if key in OPERATORS:
            example = _example_property(node, ("scalar", "enum")) or "property"
            message = (
                f"operator '{key}' must follow a property of {node.name}, as in "
                f"{{{example}: {{{key}: ...}}}}"
            )
        elif context == "collection":
            message = (
                f"'{key}' must be written directly in the collection's object, next "
                "to the conditions on its rows, not inside _and, _or or _not"
            )
        elif context == "reference":
            reference = prefix[-1]
            message = (
                f"'{key}' applies only to collections, but {reference.node}."
                f"{reference.property} is a reference to {node.name}"
            )
        elif collection is not None:
            message = (
                f"'{key}' must follow a collection property of {node.name}, as in "
                f"{{{collection}: {{{key}: ...}}}}"
            )
        else:
            message = f"'{key}' applies only to collections, and {node.name} has none"
        self.report(entry.key_span, message)

    def id_of(self, target: GraphQLObjectType, path: tuple[Step, ...]) -> Compared:
        """Describe the ``_id`` of the reference at the end of ``path``."""
        reference = path[-1]
        id_property = find_property(target, "_id")
        if not isinstance(id_property, PropertyInfo):
            raise ValueError(f"{target.name}._id is not a usable scalar")
        label = f"the _id of {reference.node}.{reference.property} ({target.name})"
        id_type = id_property.step.type_name
        return Compared((*path, id_property.step), path, id_type, None, label)

    def reference_value(
        self, value: FilterValue, target: GraphQLObjectType, path: tuple[Step, ...]
    ) -> Condition | None:
        if isinstance(value, FilterObject):
            if not value.entries:
                self.report(
                    value.span,
                    f"empty object for {path[-1].node}.{path[-1].property}: give an "
                    f"_id, operators on the _id, or conditions on {target.name}",
                )
                return None
            return self.node_entries(value.entries, target, path, "reference")
        return self.scalar_value(value, self.id_of(target, path))

    def collection_value(
        self, entry: FilterEntry, target: GraphQLObjectType, path: tuple[Step, ...]
    ) -> Condition | None:
        value = entry.value
        label = f"{path[-1].node}.{path[-1].property}"
        if not isinstance(value, FilterObject):
            message = (
                f"expected an object for the collection {label}, such as "
                f"{{_atLeast: 1, ...conditions on {target.name}}}, found "
                f"{self.source(value.span)}"
            )
            if isinstance(value, FilterScalar) and value.value is None:
                message += "; to require that it has no rows, use {_none: true}"
            self.report(value.span, message)
            return None
        quantifiers = [item for item in value.entries if item.key in QUANTIFIERS]
        others = [item for item in value.entries if item.key not in QUANTIFIERS]
        condition = self.node_entries(others, target, (), "collection")
        if not quantifiers:
            return Quantified(path, "_atLeast", 1, condition, entry.key_span)
        return _all(self.quantified(item, path, condition) for item in quantifiers)

    def quantified(
        self, item: FilterEntry, path: tuple[Step, ...], condition: Condition
    ) -> Quantified | None:
        """Build one quantifier of a collection, or report its invalid value."""
        raw = item.value.value if isinstance(item.value, FilterScalar) else None
        span = Span(item.key_span.start, item.value.span.end)
        found = self.source(item.value.span)
        label = f"{path[-1].node}.{path[-1].property}"
        if item.key in ("_atLeast", "_atMost"):
            if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
                return Quantified(path, item.key, raw, condition, span)
            message = f"'{item.key}' on {label} expects a non-negative integer"
            self.report(item.value.span, f"{message}, found {found}")
            return None
        if raw is True:
            return Quantified(path, item.key, None, condition, span)
        hint = ""
        if raw is False:
            hint = f"; to negate it, wrap the condition on {label} in _not"
        message = f"'{item.key}' on {label} expects true, found {found}{hint}"
        self.report(item.value.span, message)
        return None

    def scalar_value(self, value: FilterValue, compared: Compared) -> Condition | None:
        if isinstance(value, FilterScalar):
            return self.operator("_eq", None, value, compared)
        if isinstance(value, FilterList):
            self.report(
                value.span,
                f"a list is not a value for {compared.label}; to match any of "
                "several values, use {_in: [...]}",
            )
            return None
        if not value.entries:
            self.report(
                value.span,
                f"empty object for {compared.label}: expected a value or "
                "operators such as {_eq: ...}",
            )
            return None
        return _all(self.scalar_entry(entry, compared) for entry in value.entries)

    def scalar_entry(self, entry: FilterEntry, compared: Compared) -> Condition | None:
        key = entry.key
        if key in OPERATORS:
            return self.operator(key, entry.key_span, entry.value, compared)
        if key == "_not":
            inner = self.scalar_value(entry.value, compared)
            return None if inner is None else Not(inner)
        valid = (*compared.operators, "_not")
        name = compared.path[-1].property
        if key in QUANTIFIERS:
            message = f"'{key}' applies only to collections, not to {compared.label}."
        elif key in ("_and", "_or"):
            message = (
                f"'{key}' combines conditions on properties, not operators; write "
                f"{{{key}: [{{{name}: ...}}, {{{name}: ...}}]}} one level up."
            )
        else:
            message = f"'{key}' is not an operator of {compared.label}."
            message += did_you_mean(suggestion_list(key, valid))
        self.report(entry.key_span, f"{message} Valid operators: {', '.join(valid)}")
        return None

    def operator(
        self,
        operator: str,
        key_span: Span | None,
        value: FilterValue,
        compared: Compared,
    ) -> Condition | None:
        """Check one operator and its value; ``key_span`` is None for a bare value."""
        if operator not in compared.operators:
            self.report(
                key_span or value.span,
                f"operator '{operator}' is not valid for {compared.label}; valid "
                f"operators: {', '.join(compared.operators)}",
            )
            return None
        if operator in ("_in", "_nin"):
            return self.membership(operator, value, compared)
        if not isinstance(value, FilterScalar):
            self.report(
                value.span,
                f"'{operator}' expects a single value for {compared.label}, found "
                f"{'a list' if isinstance(value, FilterList) else 'an object'}",
            )
            return None
        if value.value is None:
            if operator in ("_eq", "_ne"):
                return Comparison(compared.null_path, operator, None, value.span)
            self.report(
                value.span,
                f"'{operator}' cannot compare {compared.label} with null; use "
                "_eq: null or _ne: null",
            )
            return None
        if operator == "_regex":
            return self.regex(value, compared)
        typed = self.typed_value(value, compared)
        if typed is _INVALID:
            return None
        return Comparison(compared.path, operator, typed, value.span)

    def membership(
        self, operator: str, value: FilterValue, compared: Compared
    ) -> Condition | None:
        if not isinstance(value, FilterList):
            self.report(
                value.span,
                f"'{operator}' expects a list of values for {compared.label}, such "
                f"as [...], found {self.source(value.span)}",
            )
            return None
        typed: list[Any] = []
        for item in value.items:
            if isinstance(item, FilterScalar) and item.value is None:
                self.report(
                    item.span,
                    f"null is not allowed in '{operator}'; to match a missing value "
                    "too, combine with a null comparison in _or",
                )
            elif not isinstance(item, FilterScalar):
                self.report(
                    item.span,
                    f"'{operator}' items must be single values, found "
                    f"{self.source(item.span)}",
                )
            else:
                typed.append(self.typed_value(item, compared))
        if len(typed) < len(value.items) or any(v is _INVALID for v in typed):
            return None
        return Comparison(compared.path, operator, tuple(typed), value.span)

    def regex(self, value: FilterScalar, compared: Compared) -> Condition | None:
        pattern = value.value
        if not isinstance(pattern, str):
            self.report(
                value.span,
                f"'_regex' expects a regular expression in a string, found "
                f"{self.source(value.span)}",
            )
            return None
        try:
            re.compile(pattern)
        except re.error as error:
            self.report(
                value.span,
                f"invalid regular expression {self.source(value.span)} for "
                f"{compared.label}: {error}",
            )
            return None
        return Comparison(compared.path, "_regex", pattern, value.span)

    def typed_value(self, value: FilterScalar, compared: Compared) -> Any:
        """Convert a non-null scalar to the compared type, or report it."""
        try:
            return convert_value(compared, value.value)
        except InvalidValue as error:
            found = self.source(value.span)
            message = f"invalid value {found} for {compared.label}: {error}"
            self.report(value.span, message)
            return _INVALID
