"""Schema rules for filter and orderBy analysis.

Classifies node properties as scalars, enums, references and collections, converts
values for each SDMO scalar, lists the operators each type allows, and provides the
problem collector that the filter and orderBy walkers share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
)
from graphql.pyutils import did_you_mean, suggestion_list

from ._errors import FilterProblem
from ._filter_syntax import FilterEntry, Span, make_problem

OPERATORS = ("_eq", "_ne", "_gt", "_gte", "_lt", "_lte", "_in", "_nin", "_regex")
QUANTIFIERS = ("_atLeast", "_atMost", "_every", "_none")
LOGICAL = ("_and", "_or", "_not")
RESERVED = frozenset(OPERATORS + QUANTIFIERS + LOGICAL)
_EQUALITY_ONLY = ("_eq", "_ne", "_in", "_nin")
_NO_REGEX = OPERATORS[:-1]
_REGEX_TYPES = frozenset({"String", "Id", "ID"})
_EQUALITY_TYPES = frozenset({"Boolean", "Json"})


@dataclass(frozen=True)
class Step:
    """One property along a path: its owning node, name, kind and value type.

    ``type_name`` is the scalar or enum type name, or the target node type name for
    references and collections.
    """

    node: str
    property: str
    kind: Literal["scalar", "enum", "reference", "collection"]
    type_name: str


def node_for_connection(field_type: GraphQLOutputType) -> GraphQLObjectType | None:
    """Return the node type of a ``<Node>_Connection`` type, or None for other types.

    The connection may be wrapped in non-null; its node comes from
    ``edges: [<Node>_Edge!]!`` and ``<Node>_Edge.node``.
    """
    connection = _unwrap(field_type)
    if not isinstance(connection, GraphQLObjectType):
        return None
    edges = connection.fields.get("edges")
    if not connection.name.endswith("_Connection") or edges is None:
        return None
    edge = _unwrap(edges.type)
    if not isinstance(edge, GraphQLObjectType) or "node" not in edge.fields:
        return None
    node = _unwrap(edge.fields["node"].type)
    return node if is_node(node) else None


def _unwrap(graphql_type: Any) -> Any:
    """Strip non-null and list wrappers."""
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        graphql_type = graphql_type.of_type
    return graphql_type


def is_node(graphql_type: Any) -> bool:
    """Return whether ``graphql_type`` is a node: an object type whose ``_id`` field
    is a scalar (so ``<Node>_Aggregate`` types, whose ``_id`` is an object, are not)."""
    if not isinstance(graphql_type, GraphQLObjectType):
        return False
    id_field = graphql_type.fields.get("_id")
    return id_field is not None and isinstance(
        _unwrap(id_field.type), GraphQLScalarType
    )


def check_node(node: GraphQLObjectType, schema: GraphQLSchema) -> None:
    """Raise ``ValueError`` unless ``node`` is a node type of ``schema``."""
    if not is_node(node):
        raise ValueError(f"{node.name} is not a node type: it has no scalar _id field")
    if schema.get_type(node.name) is not node:
        raise ValueError(f"the type {node.name} passed as node is not from this schema")


def _collection_node(graphql_type: GraphQLObjectType) -> GraphQLObjectType | None:
    query = graphql_type.fields.get("query")
    if not graphql_type.name.endswith("_Collection") or query is None:
        return None
    return node_for_connection(query.type)


@dataclass(frozen=True)
class PropertyInfo:
    """A usable property: its step, plus its target node or enum type."""

    step: Step
    target: GraphQLObjectType | None = None
    enum: GraphQLEnumType | None = None


def find_property(node: GraphQLObjectType, name: str) -> PropertyInfo | str | None:
    """Return the property ``name`` of ``node``, a reason why it is unusable, or
    None when the node has no such field."""
    field = node.fields.get(name)
    if field is None:
        return None
    field_type = field.type
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    if isinstance(field_type, GraphQLList):
        return "is a list"
    if isinstance(field_type, GraphQLEnumType):
        return PropertyInfo(
            Step(node.name, name, "enum", field_type.name), enum=field_type
        )
    if isinstance(field_type, GraphQLScalarType):
        if field_type.name in VALUE_CHECKS:
            return PropertyInfo(Step(node.name, name, "scalar", field_type.name))
        return f"has the unsupported scalar type {field_type.name}"
    if isinstance(field_type, GraphQLObjectType):
        if is_node(field_type):
            step = Step(node.name, name, "reference", field_type.name)
            return PropertyInfo(step, target=field_type)
        target = _collection_node(field_type)
        if target is not None:
            step = Step(node.name, name, "collection", target.name)
            return PropertyInfo(step, target=target)
        if field_type.name == "TextStream":
            return "is a text stream"
    return f"has the type {field_type}"


@dataclass(frozen=True)
class Compared:
    """The target of a comparison: a scalar property or the _id of a reference.

    ``null_path`` is the path of a null comparison, which for a reference ends at the
    reference step. ``label`` names the target in messages.
    """

    path: tuple[Step, ...]
    null_path: tuple[Step, ...]
    type_name: str
    enum: GraphQLEnumType | None
    label: str

    @property
    def operators(self) -> tuple[str, ...]:
        """Operators valid for the compared type, in their documented order."""
        if self.enum is not None or self.type_name in _EQUALITY_TYPES:
            return _EQUALITY_ONLY
        return OPERATORS if self.type_name in _REGEX_TYPES else _NO_REGEX


class InvalidValue(Exception):
    """Raised when a scalar does not fit the compared type.

    The message states the expected form of the value.
    """


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:[.,]([0-9]{1,6}))?)?(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?"
)
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_MAX_QUOTED = 60
_INT_MIN = -(2**31)
_INT_MAX = 2**31 - 1


def is_int(value: object) -> bool:
    """Return whether ``value`` is an int and not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_string(value: object) -> str:
    if isinstance(value, str):
        return value
    raise InvalidValue("expected a string in quotes")


def _check_id(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InvalidValue("expected an _id as a string or an integer")


def _check_int_reference(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidValue("expected an integer")


def _check_int(value: object) -> int:
    number = _check_int_reference(value)
    if not _INT_MIN <= number <= _INT_MAX:
        raise InvalidValue(f"expected an integer from {_INT_MIN} to {_INT_MAX}")
    return number


def _check_int_or_string(value: object) -> int | str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidValue("expected an integer or a string")


def _check_float(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise InvalidValue("expected a number")


def _check_decimal(value: object) -> Decimal:
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        return Decimal(value)
    if isinstance(value, str):
        raise InvalidValue("expected a number or a numeric string such as '6.27'")
    return _check_float(value)


def _check_boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise InvalidValue("expected true or false")


def _check_date(value: object) -> date:
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidValue("expected a date string in the form 'YYYY-MM-DD'")
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as error:
        raise InvalidValue(f"not a real date ({error})") from None


def _check_datetime(value: object) -> datetime:
    """Convert an ISO-8601 date-time to an aware datetime in UTC.

    Accepts ``Z``, an offset, or neither (read as UTC), and at most 6 fractional
    digits of a second, because ``datetime`` stores microseconds.
    """
    match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidValue(
            "expected an ISO-8601 date-time string such as '2024-05-01T12:30:00Z' "
            "or '2024-05-01T14:30:00.250+02:00'"
        )
    year, month, day, hour, minute, second, fraction, _, sign, off_h, off_m = (
        match.groups()
    )
    zone = timezone.utc
    if sign:
        if int(off_h) > 23 or int(off_m) > 59:
            raise InvalidValue(f"invalid UTC offset {sign}{off_h}:{off_m}")
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        zone = timezone(-offset if sign == "-" else offset)
    microsecond = int((fraction or "").ljust(6, "0"))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            int(second or 0), microsecond, tzinfo=zone,
        )  # fmt: skip
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError) as error:
        raise InvalidValue(f"not a real date-time ({error})") from None


# Converters from a parsed scalar to the typed value of a comparison, per scalar
# type name. "ID" is GraphQL's built-in identifier type, treated like SDMO's "Id".
VALUE_CHECKS: dict[str, Callable[[object], Any]] = {
    "String": _check_string,
    "Json": _check_string,
    "Id": _check_id,
    "ID": _check_id,
    "Int": _check_int,
    "IntReference": _check_int_reference,
    "IntOrString": _check_int_or_string,
    "Float": _check_float,
    "Decimal": _check_decimal,
    "Boolean": _check_boolean,
    "Date": _check_date,
    "Datetime": _check_datetime,
}


def convert_value(compared: Compared, value: object) -> Any:
    """Convert a non-null parsed scalar to the Python type of ``compared``.

    Raises ``InvalidValue`` naming the expected form, with the members of an enum.
    """
    if compared.enum is None:
        return VALUE_CHECKS[compared.type_name](value)
    members = list(compared.enum.values)
    if isinstance(value, str) and value in members:
        return value
    reason = f"expected one of: {', '.join(members)}"
    if isinstance(value, str):
        reason += "." + did_you_mean(suggestion_list(value, members))
    raise InvalidValue(reason)


class ProblemCollector:
    """Base of the filter and orderBy walkers: records problems and resolves keys."""

    def __init__(self, text: str, verb: str) -> None:
        self.text = text
        self.verb = verb
        self.problems: list[FilterProblem] = []

    def report(self, span: Span, message: str) -> None:
        """Record a problem at ``span``."""
        self.problems.append(make_problem(self.text, span, message))

    def sorted_problems(self) -> tuple[FilterProblem, ...]:
        """Return the problems in source order."""
        return tuple(sorted(self.problems, key=lambda problem: problem.start))

    def source(self, span: Span) -> str:
        """Return the text at ``span`` as written, shortened to quote in a message."""
        fragment = self.text[span.start : span.end]
        if len(fragment) > _MAX_QUOTED:
            fragment = fragment[: _MAX_QUOTED - 3] + "..."
        return fragment

    def find(
        self, entry: FilterEntry, node: GraphQLObjectType, keywords: Iterable[str] = ()
    ) -> PropertyInfo | None:
        """Return the property named by ``entry.key``, or report why there is none.

        ``keywords`` are the operator names valid at this place, offered with the
        field names as suggestions for a misspelt key.
        """
        found = find_property(node, entry.key)
        if isinstance(found, PropertyInfo):
            return found
        if found is None:
            options = [*node.fields, *keywords]
            message = f"unknown property '{entry.key}' on {node.name}."
            hint = did_you_mean(suggestion_list(entry.key, options))
            message += hint or f" Check the name against the fields of {node.name}."
        else:
            message = (
                f"property {node.name}.{entry.key} {found}, so it cannot be {self.verb}"
            )
        self.report(entry.key_span, message)
        return None
