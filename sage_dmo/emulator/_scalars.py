"""SDMO custom scalars of the emulated tenant and the storage form of their values.

Decimals are stored as integers scaled by a fixed number of decimal places per
property, date-times as integer milliseconds since 1970-01-01 UTC.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import (
    EnumValueNode,
    FloatValueNode,
    GraphQLEnumType,
    GraphQLScalarType,
    GraphQLSchema,
    IntValueNode,
    StringValueNode,
    ValueNode,
    value_from_ast_untyped,
)

__all__ = [
    "EPOCH",
    "datetime_to_ms",
    "decimal_text",
    "install_scalars",
    "ms_to_text",
    "parse_datetime_text",
    "scale_decimal",
    "scaled_text",
]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Scaled decimals must fit SQLite's signed 64-bit integers.
_MAX_SCALED = 2**63 - 1


def decimal_text(value: Decimal) -> str:
    """Return ``value`` as plain text without exponent or trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def scaled_text(value: int, scale: int) -> str:
    """Return the decimal text of ``value / 10**scale``, without trailing zeros."""
    if scale == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 10**scale)
    if fraction == 0:
        return f"{sign}{whole}"
    digits = str(fraction).rjust(scale, "0").rstrip("0")
    return f"{sign}{whole}.{digits}"


def scale_decimal(value: Decimal, scale: int) -> int:
    """Return ``value * 10**scale`` as an integer.

    Raises ValueError when ``value`` has more than ``scale`` decimal places or does
    not fit a 64-bit integer once scaled.
    """
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{decimal_text(value)} has more than {scale} decimal places")
    result = int(scaled)
    if abs(result) > _MAX_SCALED:
        raise ValueError(f"{decimal_text(value)} is too large")
    return result


def datetime_to_ms(value: datetime) -> int:
    """Return milliseconds since 1970-01-01 UTC, truncating finer precision."""
    return (value - EPOCH) // timedelta(milliseconds=1)


def ms_to_text(ms: int) -> str:
    """Return ISO 8601 UTC text with milliseconds: ``2025-08-01T09:30:00.000Z``."""
    seconds, millis = divmod(ms, 1000)
    # isoformat() of a naive whole-second datetime is much faster than strftime.
    moment = _NAIVE_EPOCH + timedelta(seconds=seconds)
    return f"{moment.isoformat()}.{millis:03d}Z"


def parse_datetime_text(text: str) -> datetime:
    """Parse ISO 8601 text into an aware datetime; text without an offset is UTC."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


# --- scalar functions -------------------------------------------------------


def _serialize_id(value: Any) -> str:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"Id cannot represent {value!r}")


def _parse_id(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"Id expects a string or an integer, not {value!r}")


def _literal_id(node: ValueNode, _variables: Any = None) -> str:
    if isinstance(node, (StringValueNode, IntValueNode)):
        return node.value
    raise TypeError("Id expects a string or an integer literal")


def _serialize_decimal(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"Decimal cannot represent {value!r}")


def _decimal_from_text(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"Decimal expects a number, not {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"Decimal expects a finite number, not {text!r}")
    return value


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError(f"Decimal expects a number or a numeric string, not {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"Decimal expects a finite number, not {value}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        return _decimal_from_text(value)
    if isinstance(value, float):
        # NOTE: a JSON number with a fraction reaches this point as a float when
        # the request body was decoded without parse_float=Decimal. repr() gives
        # the shortest text that reads back as the same float, which is the text
        # the client sent for any number of up to 15 significant digits.
        return _decimal_from_text(repr(value))
    raise TypeError(f"Decimal expects a number or a numeric string, not {value!r}")


def _literal_decimal(node: ValueNode, _variables: Any = None) -> Decimal:
    if isinstance(node, (IntValueNode, FloatValueNode, StringValueNode)):
        return _decimal_from_text(node.value)
    raise TypeError("Decimal expects a number or a numeric string")


def _serialize_date(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"Date cannot represent {value!r}")


def _parse_date(value: Any) -> date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"Date expects a real date as 'YYYY-MM-DD', not {value!r}")


def _serialize_datetime(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return ms_to_text(datetime_to_ms(value))
    raise TypeError(f"Datetime cannot represent {value!r}")


def _parse_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            return parse_datetime_text(value)
        except ValueError:
            pass
    raise ValueError(
        f"Datetime expects ISO 8601 text such as '2025-08-01T09:30:00.000Z', "
        f"not {value!r}"
    )


def _serialize_int_or_string(value: Any) -> int | str:
    if isinstance(value, str) or (
        isinstance(value, int) and not isinstance(value, bool)
    ):
        return value
    raise TypeError(f"IntOrString cannot represent {value!r}")


def _literal_int_or_string(node: ValueNode, _variables: Any = None) -> int | str:
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, StringValueNode):
        return node.value
    raise TypeError("IntOrString expects an integer or a string")


def _parse_reference(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise TypeError(
        f"IntReference expects an _id (integer or string) or '#' and a natural key, "
        f"not {value!r}"
    )


def _literal_reference(node: ValueNode, _variables: Any = None) -> str:
    if isinstance(node, (IntValueNode, StringValueNode)):
        return _parse_reference(node.value)
    raise TypeError("IntReference expects an integer or a string")


def _serialize_json(value: Any) -> str:
    if isinstance(value, str):
        return value
    return dumps_exact(value)


def _parse_json(value: Any) -> str:
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError as error:
            raise ValueError(
                f"Json expects a string that contains valid JSON: {error}"
            ) from None
        return value
    return dumps_exact(value)


def dumps_exact(value: Any) -> str:
    """Write ``value`` as compact JSON, with each Decimal as its exact number.

    The emulator decodes request numbers with a fraction as Decimal, which
    ``json.dumps`` cannot write. Each Decimal is replaced by a unique string,
    and the string, quotes included, then by the Decimal's digits.
    """
    numbers: dict[str, str] = {}
    # A random part keeps a marker from matching any string in the value.
    token = secrets.token_hex(8)

    def replace(item: Any) -> Any:
        if isinstance(item, Decimal):
            if not item.is_finite():
                raise ValueError(f"JSON has no value for the number {item}")
            marker = f"\x00decimal-{token}-{len(numbers)}\x00"
            numbers[json.dumps(marker)] = str(item)
            return marker
        if isinstance(item, dict):
            return {key: replace(entry) for key, entry in item.items()}
        if isinstance(item, (list, tuple)):
            return [replace(entry) for entry in item]
        return item

    text = json.dumps(replace(value), separators=(",", ":"))
    for quoted, digits in numbers.items():
        text = text.replace(quoted, digits)
    return text


def _literal_json(node: ValueNode, variables: Any = None) -> str:
    if isinstance(node, StringValueNode):
        return _parse_json(node.value)
    return _parse_json(value_from_ast_untyped(node, variables))


def _enum_input_functions(
    enum: GraphQLEnumType,
) -> tuple[Callable[[Any], str], Callable[..., str]]:
    names: Sequence[str] = tuple(enum.values)

    def parse(value: Any) -> str:
        if isinstance(value, str) and value in names:
            return value
        raise ValueError(
            f"{enum.name} has no value {value!r}; expected one of {', '.join(names)}"
        )

    def literal(node: ValueNode, _variables: Any = None) -> str:
        if isinstance(node, (EnumValueNode, StringValueNode)):
            return parse(node.value)
        raise TypeError(f"{enum.name} expects a value name, quoted or not")

    return parse, literal


def _install(
    scalar: GraphQLScalarType,
    serialize: Callable[[Any], Any],
    parse_value: Callable[[Any], Any],
    parse_literal: Callable[..., Any] | None = None,
) -> None:
    if parse_literal is None:

        def parse_literal(node: ValueNode, _variables: Any = None) -> Any:
            if isinstance(node, StringValueNode):
                return parse_value(node.value)
            raise TypeError(f"{scalar.name} expects a string literal")

    functions = {
        "serialize": serialize,
        "parse_value": parse_value,
        "parse_literal": parse_literal,
    }
    # graphql-core 3.3 calls coerce_output_value and coerce_input_value, which it
    # copies from serialize and parse_value only when it constructs the scalar.
    if hasattr(scalar, "coerce_output_value"):
        functions["coerce_output_value"] = serialize
        functions["coerce_input_value"] = parse_value
    for name, function in functions.items():
        setattr(scalar, name, function)


def install_scalars(schema: GraphQLSchema) -> None:
    """Give every custom scalar of ``schema`` its serialize and parse functions.

    ``<Enum>_EnumInput`` scalars accept the members of ``<Enum>`` written as enum
    literals or as quoted strings.
    """
    scalars: dict[str, tuple[Callable[[Any], Any], ...]] = {
        "Id": (_serialize_id, _parse_id, _literal_id),
        "Decimal": (_serialize_decimal, _parse_decimal, _literal_decimal),
        "Date": (_serialize_date, _parse_date),
        "Datetime": (_serialize_datetime, _parse_datetime),
        "IntReference": (_serialize_id, _parse_reference, _literal_reference),
        "IntOrString": (
            _serialize_int_or_string,
            _serialize_int_or_string,
            _literal_int_or_string,
        ),
        "Json": (_serialize_json, _parse_json, _literal_json),
    }
    for name, functions in scalars.items():
        scalar = schema.get_type(name)
        if not isinstance(scalar, GraphQLScalarType):
            raise LookupError(f"the tenant schema lacks the scalar {name}")
        _install(scalar, *functions)
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLScalarType) and type_.name.endswith("_EnumInput"):
            enum_name = type_.name.removesuffix("_EnumInput")
            enum = schema.get_type(enum_name)
            if not isinstance(enum, GraphQLEnumType):
                raise LookupError(f"{type_.name} needs an enum type named {enum_name}")
            parse, literal = _enum_input_functions(enum)
            _install(type_, str, parse, literal)
