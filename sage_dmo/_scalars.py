"""Exact SDMO scalars on the client: Decimal, Date and Datetime as Python values.

Owns their wire text, the typed conversion of responses (``convert_result``) and
the wire form of variables (``serialize_variables``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    get_operation_ast,
    is_abstract_type,
    is_composite_type,
    is_input_type,
    parse,
    print_ast,
    type_from_ast,
)

from ._filter_schema import VALUE_CHECKS, InvalidValue, is_int

__all__ = [
    "convert_result",
    "format_date",
    "format_datetime",
    "format_decimal",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "serialize_variables",
]

# A Decimal whose positional form needs more padding zeros than this is written
# in exponent form, which Python's Decimal and the filter parser read exactly.
_MAX_PADDING_ZEROS = 50
# A Decimal with more digits is written in exponent form too. The filter parser
# reads a number without a fraction or exponent with int(), and CPython 3.10.7
# and later limit that to 4300 digits by default, or 640 at the lowest setting.
_MAX_PLAIN_DIGITS = 600


def format_decimal(value: Decimal) -> str:
    """Write ``value`` as exact decimal text, keeping its digits and scale.

    ``Decimal("1E+2")`` gives ``"100"`` and ``Decimal("1.50")`` gives ``"1.50"``. A
    value that needs more than 50 padding zeros, or has more than 600 digits, is
    written in exponent form with every digit, such as ``"1E+60"``. Raises
    ValueError for NaN and infinity.
    """
    if not value.is_finite():
        raise ValueError(
            f"Decimal {value} is not a finite number; SDMO decimals are finite, so "
            "pass a finite Decimal"
        )
    exponent = int(value.as_tuple().exponent)
    digits = len(value.as_tuple().digits)
    padding = exponent if exponent > 0 else max(0, -exponent - digits)
    if padding > _MAX_PADDING_ZEROS or digits + padding > _MAX_PLAIN_DIGITS:
        return format(value, "E")
    return format(value, "f")


def format_date(value: date) -> str:
    """Write ``value`` as ``YYYY-MM-DD``; a datetime raises TypeError."""
    if isinstance(value, datetime):
        raise TypeError(
            f"datetime {value.isoformat()} is not a Date; pass its date() or a date"
        )
    return value.isoformat()


def format_datetime(value: datetime) -> str:
    """Write an aware ``value`` in UTC as ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

    SDMO date-times carry milliseconds. A value with a sub-millisecond part keeps
    all six digits (``.000500Z``) rather than lose it. Raises ValueError for a
    naive datetime, because it names no instant.
    """
    if value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()} has no time zone; attach one, such "
            "as value.replace(tzinfo=timezone.utc) for a time in UTC"
        )
    try:
        utc = value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(
            f"datetime {value.isoformat()} is outside the years 1 to 9999 in UTC"
        ) from None
    millis, micros = divmod(utc.microsecond, 1000)
    fraction = f"{millis:03d}" if micros == 0 else f"{utc.microsecond:06d}"
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{fraction}Z"
    )


def parse_decimal(raw: object) -> Decimal:
    """Read a Decimal from its text (``"6.27"``), an int or a Decimal.

    Raises ValueError for any other value, floats included, because a float has
    already lost digits.
    """
    if isinstance(raw, float):
        raise ValueError(
            f"{raw!r} is a float, which is not exact; SDMO writes decimals as strings"
        )
    value: Decimal = _checked("Decimal", raw)
    return value


def parse_date(raw: object) -> date:
    """Read a date from ``YYYY-MM-DD`` text, or return a date as it is."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    value: date = _checked("Date", raw)
    return value


def parse_datetime(raw: object) -> datetime:
    """Read an aware UTC datetime from ISO-8601 text, or convert an aware datetime.

    Text without an offset is read as UTC, as the filter language does.
    """
    if isinstance(raw, datetime):
        if raw.utcoffset() is None:
            raise ValueError(f"naive datetime {raw.isoformat()} has no time zone")
        return raw.astimezone(timezone.utc)
    value: datetime = _checked("Datetime", raw)
    return value


def _checked(type_name: str, raw: object) -> Any:
    try:
        return VALUE_CHECKS[type_name](raw)
    except InvalidValue as error:
        raise ValueError(f"{raw!r} is not a {type_name}: {error}") from None


_OUTPUT_PARSERS: dict[str, Callable[[object], Any]] = {
    "Decimal": parse_decimal,
    "Date": parse_date,
    "Datetime": parse_datetime,
}


def _operation(
    document: DocumentNode | str, operation_name: str | None
) -> tuple[OperationDefinitionNode, dict[str, FragmentDefinitionNode]]:
    """Return the operation to run and the fragments of ``document``."""
    parsed = parse(document) if isinstance(document, str) else document
    operation = get_operation_ast(parsed, operation_name)
    if operation is None:
        if operation_name is not None:
            raise ValueError(f"the document has no operation named {operation_name!r}")
        raise ValueError(
            "the document has no operation, or several; pass operation_name to "
            "choose one"
        )
    fragments = {
        definition.name.value: definition
        for definition in parsed.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return operation, fragments


def convert_result(
    data: Mapping[str, Any],
    document: DocumentNode | str,
    schema: GraphQLSchema,
    operation_name: str | None = None,
) -> dict[str, Any]:
    """Convert the Decimal, Date and Datetime values of a response's ``data``.

    Walks the operation's selection sets with the types of ``schema``, through
    aliases, fragments, lists, nulls and nested connections. Decimal strings become
    ``Decimal``, dates ``date`` and date-times aware ``datetime`` in UTC; Id, Json
    and every other value stay as they are. Returns a new dict. Raises ValueError
    naming the response path when a value does not have its type's form.
    """
    operation, fragments = _operation(document, operation_name)
    root = schema.get_root_type(operation.operation)
    if root is None:
        raise ValueError(f"the schema has no {operation.operation.value} type")
    walker = _ResultWalker(schema, fragments)
    return walker.convert_object(data, root, [operation.selection_set], "")


_Collected = dict[str, list[tuple[Any, FieldNode]]]


class _ResultWalker:
    """Converts the data of one response along the selection sets of its operation."""

    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> None:
        self.schema = schema
        self.fragments = fragments

    def convert_object(
        self,
        value: Mapping[str, Any],
        parent: Any,
        selection_sets: Sequence[SelectionSetNode],
        path: str,
    ) -> dict[str, Any]:
        runtime = self.runtime_type(value, parent)
        fields: _Collected = {}
        for selection_set in selection_sets:
            self.collect(selection_set, parent, runtime, fields, frozenset())
        result = dict(value)
        for key, found in fields.items():
            # A key selected but absent was left out by @skip or @include.
            if key not in value:
                continue
            owner, field_node = found[0]
            field_type = self.field_type(owner, field_node.name.value)
            if field_type is None:
                continue
            children = [node.selection_set for _, node in found if node.selection_set]
            where = f"{path}.{key}" if path else key
            result[key] = self.convert(value[key], field_type, children, where)
        return result

    def runtime_type(self, value: Mapping[str, Any], parent: Any) -> Any:
        """Return the object type of ``value``, or None when it cannot be known."""
        if isinstance(parent, GraphQLObjectType):
            return parent
        name = value.get("__typename")
        found = self.schema.get_type(name) if isinstance(name, str) else None
        return found if isinstance(found, GraphQLObjectType) else None

    def collect(
        self,
        selection_set: SelectionSetNode,
        owner: Any,
        runtime: Any,
        fields: _Collected,
        visited: frozenset[str],
    ) -> None:
        """Add the fields of ``selection_set`` that apply to ``runtime``, by key.

        ``owner`` is the type whose fields the selections name. When ``runtime``
        is unknown, every fragment applies; GraphQL validation guarantees that
        fields sharing a response key have the same type.
        """
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                fields.setdefault(key, []).append((owner, selection))
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = owner
                if condition is not None:
                    target = self.schema.get_type(condition.name.value)
                if self.applies(target, runtime):
                    self.collect(
                        selection.selection_set, target, runtime, fields, visited
                    )
                continue
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None:
                    raise ValueError(f"the document has no fragment named {name!r}")
                if name in visited:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                if self.applies(target, runtime):
                    self.collect(
                        fragment.selection_set,
                        target,
                        runtime,
                        fields,
                        visited | {name},
                    )

    def applies(self, condition: Any, runtime: Any) -> bool:
        if runtime is None or condition is runtime:
            return True
        return is_abstract_type(condition) and self.schema.is_sub_type(
            condition, runtime
        )

    @staticmethod
    def field_type(owner: Any, name: str) -> GraphQLOutputType | None:
        """Return the type of field ``name`` of ``owner``, None for ``__typename``."""
        if name == "__schema":
            return SchemaMetaFieldDef.type
        if name == "__type":
            return TypeMetaFieldDef.type
        owner_fields = getattr(owner, "fields", None)
        if not isinstance(owner_fields, Mapping) or name not in owner_fields:
            return None
        field_type: GraphQLOutputType = owner_fields[name].type
        return field_type

    def convert(
        self,
        value: Any,
        field_type: Any,
        selection_sets: Sequence[SelectionSetNode],
        path: str,
    ) -> Any:
        if value is None:
            return None
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        if isinstance(field_type, GraphQLList):
            if not isinstance(value, list):
                raise ValueError(f"{path}: expected a list, found {value!r}")
            return [
                self.convert(item, field_type.of_type, selection_sets, f"{path}[{i}]")
                for i, item in enumerate(value)
            ]
        if isinstance(field_type, GraphQLScalarType):
            parser = _OUTPUT_PARSERS.get(field_type.name)
            if parser is None:
                return value
            try:
                return parser(value)
            except ValueError as error:
                raise ValueError(f"cannot convert {path}: {error}") from None
        if is_composite_type(field_type):
            if not isinstance(value, Mapping):
                raise ValueError(f"{path}: expected an object, found {value!r}")
            return self.convert_object(value, field_type, selection_sets, path)
        return value


def serialize_variables(
    variables: Mapping[str, Any],
    document: DocumentNode | str,
    schema: GraphQLSchema,
    operation_name: str | None = None,
) -> dict[str, Any]:
    """Write Decimal, date and datetime values in the wire form of their declared types.

    Follows each variable's declared type through lists and input objects.
    Decimal values become exact strings (``format_decimal``), dates
    ``YYYY-MM-DD`` and aware datetimes UTC text with milliseconds
    (``format_datetime``). Ints and strings pass unchanged, ``enum.Enum`` members
    become their values, and undeclared variables are copied as they are.

    Returns a new dict. Raises TypeError for a value of the wrong kind, such as a
    float where a Decimal is declared (a float is not exact). Raises ValueError
    for a naive datetime or a Decimal that is not finite.
    """
    operation, _ = _operation(document, operation_name)
    result = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in variables:
            continue
        declared = type_from_ast(schema, definition.type)
        if declared is None or not is_input_type(declared):
            raise ValueError(
                f"variable ${name} has the type {print_ast(definition.type)}, "
                "which the schema does not define as an input type"
            )
        result[name] = _serialize_input(variables[name], declared, f"${name}")
    return result


def _serialize_input(value: Any, declared: GraphQLInputType, path: str) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        return None
    if isinstance(declared, GraphQLNonNull):
        declared = declared.of_type
    if isinstance(declared, GraphQLList):
        if isinstance(value, (list, tuple)):
            return [
                _serialize_input(item, declared.of_type, f"{path}[{i}]")
                for i, item in enumerate(value)
            ]
        # GraphQL reads a single value given for a list as a list of one.
        return _serialize_input(value, declared.of_type, path)
    if isinstance(declared, GraphQLInputObjectType) and isinstance(value, Mapping):
        fields = declared.fields
        return {
            key: _serialize_input(item, fields[key].type, f"{path}.{key}")
            if key in fields
            else item
            for key, item in value.items()
        }
    if isinstance(declared, GraphQLScalarType):
        writer = _WIRE_WRITERS.get(declared.name)
        if writer is not None:
            return writer(value, path)
    return value


def _decimal_wire(value: Any, path: str) -> Any:
    if isinstance(value, Decimal):
        try:
            return format_decimal(value)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
    if isinstance(value, str) or is_int(value):
        return value
    if isinstance(value, float):
        raise TypeError(
            f"{path}: float {value!r} is not exact; pass Decimal({str(value)!r}) "
            "or a string instead"
        )
    raise TypeError(
        f"{path}: a Decimal takes a Decimal, an int or a numeric string, found "
        f"{type(value).__name__} {value!r}"
    )


def _date_wire(value: Any, path: str) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        try:
            return format_date(value)
        except TypeError as error:
            raise TypeError(f"{path}: {error}") from None
    raise TypeError(
        f"{path}: a Date takes a date or 'YYYY-MM-DD' text, found "
        f"{type(value).__name__} {value!r}"
    )


def _datetime_wire(value: Any, path: str) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        try:
            return format_datetime(value)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
    raise TypeError(
        f"{path}: a Datetime takes an aware datetime or ISO-8601 text, found "
        f"{type(value).__name__} {value!r}"
    )


_WIRE_WRITERS: dict[str, Callable[[Any, str], Any]] = {
    "Decimal": _decimal_wire,
    "Date": _date_wire,
    "Datetime": _datetime_wire,
}
