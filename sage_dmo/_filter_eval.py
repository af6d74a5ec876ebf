"""Reference evaluation of compiled filter conditions over rows, in plain Python.

Rows have the GraphQL output shape. The semantics are the emulator's, so tests can
check the emulator against this module and callers can filter fetched rows.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._filter_semantics import And, Comparison, Condition, Not, Or, Quantified, Step
from ._scalars import parse_date, parse_datetime, parse_decimal

__all__ = ["KeyResolver", "evaluate"]

KeyResolver = Callable[[str, str], "int | str | None"]
"""Return the ``_id`` of the row of a node (first argument) whose natural key is
the second argument (the text after ``#``), or None when there is none."""

# An operand that no stored value equals, such as an unknown natural key.
_NO_MATCH: Any = object()

_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "_eq": operator.eq,
    "_gt": operator.gt,
    "_gte": operator.ge,
    "_lt": operator.lt,
    "_lte": operator.le,
}

_PARSERS: dict[str, Callable[[Any], Any]] = {
    "Decimal": parse_decimal,
    "Date": parse_date,
    "Datetime": parse_datetime,
}


def evaluate(
    condition: Condition,
    row: Mapping[str, Any],
    *,
    resolve_key: KeyResolver | None = None,
) -> bool:
    """Return whether ``row`` matches ``condition`` (a ``compile_filter`` result).

    ``row`` is a node as a GraphQL response contains it, as text or as values
    converted by ``convert_result``: Decimal, Date and Datetime strings, references as
    nested dicts or None, and collections as lists of child rows or as
    ``{"query": {"edges": [{"node": ...}]}}``. Every property the condition reads
    must be in the row, the ``_id`` of a reference included.

    Semantics, as the emulator's:

    - a comparison with a null value is false, except ``_ne`` and ``_nin``,
      which hold for null, and ``{x: null}``, which tests for null
    - ``_regex`` searches anywhere in the text
    - ``_id`` values compare as integers, and decimals and date-times exactly
    - a collection without a quantifier needs at least one matching row
    - a collection reached through a null reference has no rows

    ``resolve_key`` finds the row named by a ``'#natural-key'`` value; without
    it, such a value raises ValueError. A missing property raises LookupError.
    """
    return _Evaluator(resolve_key).holds(condition, row)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class _Evaluator:
    def __init__(self, resolve_key: KeyResolver | None) -> None:
        self.resolve_key = resolve_key

    def holds(self, condition: Condition, row: Mapping[str, Any]) -> bool:
        if isinstance(condition, And):
            return all(self.holds(part, row) for part in condition.conditions)
        if isinstance(condition, Or):
            return any(self.holds(part, row) for part in condition.conditions)
        if isinstance(condition, Not):
            return not self.holds(condition.condition, row)
        if isinstance(condition, Quantified):
            return self.quantified(condition, row)
        return self.comparison(condition, row)

    def quantified(self, quantified: Quantified, row: Mapping[str, Any]) -> bool:
        *references, collection = quantified.path
        parent = _follow(row, references)
        children = [] if parent is None else _children(parent, collection)
        matches = sum(
            1 for child in children if self.holds(quantified.condition, child)
        )
        if quantified.quantifier == "_every":
            return matches == len(children)
        if quantified.quantifier == "_none":
            return matches == 0
        count = quantified.count or 0
        if quantified.quantifier == "_atLeast":
            return matches >= count
        return matches <= count

    def comparison(self, comparison: Comparison, row: Mapping[str, Any]) -> bool:
        *references, last = comparison.path
        parent = _follow(row, references)
        raw = None if parent is None else _read(parent, last)
        name, target = comparison.operator, comparison.value
        if target is None:
            return (raw is None) == (name == "_eq")
        if name == "_regex":
            return raw is not None and _compiled(target).search(str(raw)) is not None
        value = None if raw is None else _typed(raw, last)
        if name in ("_in", "_nin"):
            operands = [self.operand(item, last) for item in target]
            found = value is not None and any(
                operand is not _NO_MATCH and value == operand for operand in operands
            )
            return found if name == "_in" else not found
        operand = self.operand(target, last)
        if operand is _NO_MATCH or value is None:
            return name == "_ne"
        if name == "_ne":
            return bool(value != operand)
        return _ORDERING[name](value, operand)

    def operand(self, value: Any, step: Step) -> Any:
        """Convert a comparison value the way the emulator binds it."""
        if step.type_name not in ("Id", "ID"):
            return value
        text = str(value)
        if text.startswith("#"):
            if self.resolve_key is None:
                raise ValueError(
                    f"the filter compares {step.node}._id with the natural key "
                    f"{text!r}; pass resolve_key to find the row it names"
                )
            found = self.resolve_key(step.node, text[1:])
            return _NO_MATCH if found is None else int(found)
        try:
            return int(text)
        except ValueError:
            return _NO_MATCH


def _follow(
    row: Mapping[str, Any], references: Sequence[Step]
) -> Mapping[str, Any] | None:
    """Return the row reached through ``references``, or None at a null reference."""
    current: Mapping[str, Any] | None = row
    for step in references:
        if current is None:
            return None
        target = _read(current, step)
        if target is not None and not isinstance(target, Mapping):
            raise ValueError(
                f"{step.node}.{step.property} is a reference, so the row needs it as "
                f"a dict, found {target!r}"
            )
        current = target
    return current


def _read(row: Mapping[str, Any], step: Step) -> Any:
    try:
        return row[step.property]
    except KeyError:
        raise LookupError(
            f"the {step.node} row has no {step.property!r}; select it in the query "
            "that fetched the rows"
        ) from None


def _children(parent: Mapping[str, Any], step: Step) -> list[Mapping[str, Any]]:
    value = _read(parent, step)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("query"), Mapping):
        return [edge["node"] for edge in value["query"].get("edges", [])]
    raise ValueError(
        f"{step.node}.{step.property} is a collection, so the row needs a list of "
        f"{step.type_name} rows or {{'query': {{'edges': [...]}}}}, found {value!r}"
    )


def _typed(raw: Any, step: Step) -> Any:
    """Convert a row's value to the type its comparisons use."""
    if step.kind == "reference":
        return raw
    if step.type_name in ("Id", "ID"):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(
                f"{step.node}._id {raw!r} is not an integer, so it cannot be "
                "compared as the emulator does"
            ) from None
    parser = _PARSERS.get(step.type_name)
    return raw if parser is None else parser(raw)
