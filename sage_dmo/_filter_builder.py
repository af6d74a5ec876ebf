"""Builder of SDMO filter and orderBy strings from Python values.

``build_filter`` and ``build_order_by`` write text that ``parse_filter_text`` reads
back as the same values; ``F`` builds operators, logic and collection quantifiers.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ._scalars import format_date, format_datetime, format_decimal

__all__ = ["Clause", "F", "build_filter", "build_order_by"]

# Keys matching this are written without quotes. The parser also reads non-ASCII
# identifiers, but keeping the output ASCII makes every key safe to write bare.
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# Every character outside printable ASCII, plus the quote and the backslash.
_NEEDS_ESCAPE = re.compile(r"[^\x20-\x26\x28-\x5b\x5d-\x7e]")
_SHORT_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def build_filter(value: Mapping[str, Any] | list[Any] | tuple[Any, ...]) -> str:
    """Write a filter string from a dict of conditions or a list of such dicts.

    Keys are property names, operators (``_gte``) or quantifiers. Values are
    ``str``, ``int``, ``bool``, ``None``, ``Decimal``, ``date``, aware
    ``datetime``, lists, and nested dicts or ``F`` clauses. An ``enum.Enum``
    member is written as its value::

        build_filter({"isActive": True, "weight": F.gte(Decimal("2.5"))})
        == "{isActive: true, weight: {_gte: 2.5}}"

    Strings are single-quoted. Backslash and quote get a backslash, and every
    character outside printable ASCII becomes a ``\\n``-style or ``\\uXXXX``
    escape, with a surrogate pair above U+FFFF. So the text is pure ASCII: no
    encoding along the way can change it, and invisible characters such as
    U+200B show in logs. Decimals keep every digit (see ``format_decimal``),
    dates are ``'YYYY-MM-DD'`` and datetimes UTC with milliseconds and ``Z``
    (six fraction digits when the value has a sub-millisecond part).

    Raises TypeError for a float (never exact, so pass a Decimal), for a key
    that is not a str and for any other type. Raises ValueError for a NaN or
    infinite Decimal, a naive datetime or a lone surrogate in a string. Each
    message names the value and where it sits in the filter.
    """
    if not isinstance(value, (Mapping, list, tuple)):
        raise TypeError(
            f"a filter is a dict of conditions or a list of such dicts, found "
            f"{type(value).__name__} {value!r}"
        )
    parts: list[str] = []
    _write(value, "", parts)
    return "".join(parts)


def build_order_by(
    value: Mapping[str, Any] | Iterable[tuple[str, int]],
) -> str:
    """Write an orderBy string from ``(name, direction)`` pairs or a dict.

    A name is a property, or a dotted path through references such as
    ``"currency.name"``; a direction is 1 (ascending) or -1 (descending). Keys
    sort in the order given::

        build_order_by([("currency.name", -1), ("name", 1)])
        == "{currency: {name: -1}, name: 1}"

    A dict gives the same keys, nested (``{"currency": {"name": -1}}``) or
    dotted. Because the keys under one reference are written together, the
    sequence ``a.x, b, a.y`` cannot be expressed and raises ValueError, as do a
    repeated key and a direction other than 1 or -1.
    """
    pairs = _order_pairs(value, ())
    tree: dict[str, Any] = {}
    for names, direction in pairs:
        _add_order_key(tree, names, direction)
    parts: list[str] = []
    _write(tree, "", parts)
    return "".join(parts)


def _order_pairs(
    value: Mapping[str, Any] | Iterable[tuple[str, int]], prefix: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], int]]:
    """Yield each sort key as its path of names and its direction."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            names = (*prefix, *_split_name(key))
            if isinstance(item, Mapping):
                yield from _order_pairs(item, names)
            else:
                yield names, _direction(item, names)
        return
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"an orderBy is a list of (name, direction) pairs or a dict, found "
            f"{value!r}; write [({value!r}, 1)] to sort by it"
        )
    for pair in value:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(
                f"orderBy item {pair!r} is not a (name, direction) pair, such as "
                "('name', 1)"
            )
        names = _split_name(pair[0])
        yield names, _direction(pair[1], names)


def _split_name(name: object) -> tuple[str, ...]:
    if not isinstance(name, str):
        raise TypeError(
            f"orderBy property names are strings, found {type(name).__name__} {name!r}"
        )
    names = tuple(name.split("."))
    if not all(names):
        raise ValueError(
            f"invalid orderBy property {name!r}: write names separated by single "
            "dots, such as 'currency.name'"
        )
    return names


def _direction(direction: object, names: tuple[str, ...]) -> int:
    if type(direction) is int and direction in (1, -1):
        return direction
    raise ValueError(
        f"invalid sort direction {direction!r} for {'.'.join(names)!r}: use 1 for "
        "ascending or -1 for descending"
    )


def _add_order_key(
    tree: dict[str, Any], names: tuple[str, ...], direction: int
) -> None:
    """Put one sort key into ``tree``, keeping the keys in the order given."""
    level = tree
    for depth, name in enumerate(names[:-1]):
        existing = level.get(name)
        reference = ".".join(names[: depth + 1])
        if existing is None:
            level[name] = {}
        elif not isinstance(existing, dict):
            raise ValueError(
                f"orderBy key {'.'.join(names)!r} goes through {reference!r}, which "
                "is already a sort key itself; sort by properties of the reference "
                "only"
            )
        elif next(reversed(level)) != name:
            raise ValueError(
                f"orderBy key {'.'.join(names)!r} is separated from the earlier keys "
                f"under {reference!r}, but an orderBy writes the keys of one "
                f"reference together; put the keys under {reference!r} next to each "
                "other"
            )
        level = level[name]
    last = names[-1]
    if last in level:
        raise ValueError(
            f"orderBy key {'.'.join(names)!r} is given twice or is also a reference "
            "with sort keys inside; give each key once"
        )
    level[last] = direction


def _where(path: str) -> str:
    return f"at {path}" if path else "at the top level"


def _write(value: Any, path: str, parts: list[str]) -> None:
    """Append the literal of ``value`` to ``parts``; ``path`` locates it in errors."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        parts.append("null")
    elif isinstance(value, bool):
        parts.append("true" if value else "false")
    elif isinstance(value, int):
        parts.append(_int_literal(value, path))
    elif isinstance(value, str):
        parts.append(_string_literal(value, path))
    elif isinstance(value, Decimal):
        # NOTE: how a real tenant reads filter numbers is not documented. If it
        # reads them as binary floats, digits beyond about 15 are lost there.
        parts.append(_checked(format_decimal, value, path))
    elif isinstance(value, datetime):
        parts.append("'" + _checked(format_datetime, value, path) + "'")
    elif isinstance(value, date):
        parts.append("'" + format_date(value) + "'")
    elif isinstance(value, Mapping):
        _write_object(value, path, parts)
    elif isinstance(value, (list, tuple)):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(", ")
            _write(item, f"{path}[{index}]", parts)
        parts.append("]")
    else:
        raise TypeError(_unsupported(value, path))


def _write_object(value: Mapping[Any, Any], path: str, parts: list[str]) -> None:
    parts.append("{")
    for index, (key, item) in enumerate(value.items()):
        if not isinstance(key, str):
            raise TypeError(
                f"filter keys are property names, operators or quantifiers as str, "
                f"found {type(key).__name__} {key!r} {_where(path)}"
            )
        if index:
            parts.append(", ")
        if _IDENTIFIER.fullmatch(key):
            parts.append(key)
        else:
            parts.append(_string_literal(key, path))
        parts.append(": ")
        _write(item, f"{path}.{key}" if path else key, parts)
    parts.append("}")


def _checked(writer: Any, value: Any, path: str) -> str:
    try:
        text: str = writer(value)
    except ValueError as error:
        raise ValueError(f"{error} ({_where(path)})") from None
    return text


def _int_literal(value: int, path: str) -> str:
    try:
        return str(value)
    except ValueError:
        # CPython 3.10.7 and later refuse to convert ints of more than 4300
        # digits to text by default, and the parser could not read them back.
        raise ValueError(
            f"int with more than 4300 digits {_where(path)} is too long to write; "
            "pass it as a Decimal, which is written with an exponent"
        ) from None


def _string_literal(text: str, path: str) -> str:
    def escape(match: re.Match[str]) -> str:
        char = match.group()
        short = _SHORT_ESCAPES.get(char)
        if short is not None:
            return short
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError(
                f"string {text!r} {_where(path)} contains the lone surrogate "
                f"U+{code:04X}, which is not a character; decode the text with "
                "errors='replace' or remove it"
            )
        if code <= 0xFFFF:
            return f"\\u{code:04x}"
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"

    return "'" + _NEEDS_ESCAPE.sub(escape, text) + "'"


def _unsupported(value: object, path: str) -> str:
    where = _where(path)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return f"float {value!r} {where} is not a number a filter can compare"
        return (
            f"float {value!r} {where} is not exact; pass Decimal({str(value)!r}) "
            "instead"
        )
    if isinstance(value, (bytes, bytearray)):
        return f"bytes {value!r} {where} are not text; decode them to str first"
    if isinstance(value, (set, frozenset)):
        return f"set {value!r} {where} has no order; pass a list instead"
    return (
        f"cannot write {type(value).__name__} {value!r} {where} in a filter; use "
        "str, int, bool, None, Decimal, date, an aware datetime, an Enum, a list "
        "or a dict"
    )


class Clause(Mapping[str, Any]):
    """An immutable filter object made by ``F``, usable wherever a dict is.

    ``a & b`` merges two clauses, such as ``F.gte(1) & F.lt(5)``, and raises
    ValueError when both have the same key.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: Mapping[str, Any]) -> None:
        self._entries = dict(entries)

    def __getitem__(self, key: str) -> Any:
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Clause({self._entries!r})"

    def __and__(self, other: Mapping[str, Any]) -> Clause:
        if not isinstance(other, Mapping):
            return NotImplemented
        return _merge(self, other)


def _merge(first: Mapping[str, Any], second: Mapping[str, Any]) -> Clause:
    clash = [key for key in second if key in first]
    if clash:
        raise ValueError(
            f"both parts give {', '.join(map(repr, clash))}; an object cannot repeat "
            "a key, so combine the two conditions with F.and_(...) on the property "
            "or node instead"
        )
    return Clause({**first, **second})


def _count(count: int, name: str) -> int:
    if type(count) is not int or count < 0:
        raise ValueError(f"{name} takes a count of 0 or more as an int, not {count!r}")
    return count


class F:
    """Operators, logic and collection quantifiers of SDMO filters, as calls.

    Each method returns a ``Clause`` to use as a value in ``build_filter``::

        {"weight": F.gte(Decimal("2.5")) & F.lt(10)}  # {weight: {_gte: 2.5, _lt: 10}}
        {"name": F.not_(F.regex("^X"))}               # {name: {_not: {_regex: '^X'}}}
        F.or_({"type": "good"}, {"isSold": False})    # {_or: [{...}, {...}]}
        {"itemSites": F.at_least(2, {"isOrderable": True})}

    A bare value is an equality, and ``None`` a null check: ``{"eanNumber": None}``
    matches rows without one, ``F.ne(None)`` rows with one. ``F.ne`` and
    ``F.nin`` also match rows whose value is null.
    """

    @staticmethod
    def eq(value: Any) -> Clause:
        """Match values equal to ``value``, or null ones when it is ``None``."""
        return Clause({"_eq": value})

    @staticmethod
    def ne(value: Any) -> Clause:
        """Match null and values other than ``value``, or non-null ones for None."""
        return Clause({"_ne": value})

    @staticmethod
    def gt(value: Any) -> Clause:
        """Match values greater than ``value``."""
        return Clause({"_gt": value})

    @staticmethod
    def gte(value: Any) -> Clause:
        """Match values greater than or equal to ``value``."""
        return Clause({"_gte": value})

    @staticmethod
    def lt(value: Any) -> Clause:
        """Match values less than ``value``."""
        return Clause({"_lt": value})

    @staticmethod
    def lte(value: Any) -> Clause:
        """Match values less than or equal to ``value``."""
        return Clause({"_lte": value})

    @staticmethod
    def in_(values: Iterable[Any]) -> Clause:
        """Match values equal to one of ``values``."""
        return Clause({"_in": _value_list(values, "F.in_")})

    @staticmethod
    def nin(values: Iterable[Any]) -> Clause:
        """Match values equal to none of ``values``, null included."""
        return Clause({"_nin": _value_list(values, "F.nin")})

    @staticmethod
    def regex(pattern: str | re.Pattern[str]) -> Clause:
        """Match text containing ``pattern`` anywhere; anchor it with ^ and $.

        A compiled pattern gives its text; flags other than the default raise
        ValueError, because a filter carries the pattern text only.
        """
        if isinstance(pattern, re.Pattern):
            if pattern.flags & ~re.UNICODE:
                raise ValueError(
                    f"pattern {pattern.pattern!r} has flags that a filter cannot "
                    "carry; write them into the pattern, such as '[Aa]bc' for "
                    "ignoring case"
                )
            pattern = pattern.pattern
        if not isinstance(pattern, str):
            raise TypeError(f"F.regex takes a str pattern, not {pattern!r}")
        return Clause({"_regex": pattern})

    @staticmethod
    def not_(condition: Any) -> Clause:
        """Negate ``condition``: an operator clause, a value or a node dict."""
        return Clause({"_not": condition})

    @staticmethod
    def and_(*conditions: Mapping[str, Any]) -> Clause:
        """Require every one of ``conditions``; ``F.and_()`` matches every row."""
        return Clause({"_and": list(conditions)})

    @staticmethod
    def or_(*conditions: Mapping[str, Any]) -> Clause:
        """Require one of ``conditions`` or more; ``F.or_()`` matches no row."""
        return Clause({"_or": list(conditions)})

    @staticmethod
    def at_least(count: int, where: Mapping[str, Any] | None = None) -> Clause:
        """Require ``count`` or more rows of a collection to match ``where``."""
        return _merge({"_atLeast": _count(count, "F.at_least")}, where or {})

    @staticmethod
    def at_most(count: int, where: Mapping[str, Any] | None = None) -> Clause:
        """Require ``count`` or fewer rows of a collection to match ``where``."""
        return _merge({"_atMost": _count(count, "F.at_most")}, where or {})

    @staticmethod
    def every(where: Mapping[str, Any]) -> Clause:
        """Require every row of a collection to match ``where``, so none is fine."""
        return _merge({"_every": True}, where)

    @staticmethod
    def none(where: Mapping[str, Any]) -> Clause:
        """Require that no row of a collection matches ``where``."""
        return _merge({"_none": True}, where)


def _value_list(values: Iterable[Any], name: str) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)):
        raise TypeError(
            f"{name} takes a list of values, found {type(values).__name__} "
            f"{values!r}; write {name}([{values!r}]) for a single value"
        )
    return list(values)
