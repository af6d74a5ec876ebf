"""Translation of filter conditions and sort keys into SQLite text.

Values are always bound as named parameters. References become LEFT JOINs, so
a missing reference reads as null; collection quantifiers become correlated
subqueries over the child table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor
from typing import Any

from .._filter_semantics import (
    And,
    Comparison,
    Condition,
    Not,
    Or,
    OrderKey,
    Quantified,
    Step,
)
from ._database import Database
from ._model import NodeModel, Property
from ._scalars import EPOCH

__all__ = ["SortTerm", "SqlBuilder"]

# A value that no stored value equals, such as an unknown natural key.
_NO_MATCH = object()


@dataclass(frozen=True)
class SortTerm:
    """One ORDER BY term: an SQL expression, 1 or -1, and its storage."""

    expression: str
    direction: int
    storage: str
    nullable: bool


class SqlBuilder:
    """Builds the FROM, WHERE and ORDER BY parts of a query over one node.

    Joins are shared by all conditions and sort keys built by one builder, and
    ``nodes`` collects every node whose table the text reads.
    """

    def __init__(
        self,
        database: Database,
        node: NodeModel,
        parameters: dict[str, Any] | None = None,
        counter: itertools.count[int] | None = None,
    ) -> None:
        self.database = database
        self.model = database.model
        self.node = node
        self.parameters: dict[str, Any] = {} if parameters is None else parameters
        self._counter = itertools.count() if counter is None else counter
        self.alias = f"t{next(self._counter)}"
        self.joins: list[str] = []
        self._aliases: dict[tuple[str, ...], tuple[str, NodeModel]] = {}
        self.nodes: set[str] = {node.name}

    @property
    def source(self) -> str:
        """The FROM clause body: the node's table and every join made so far."""
        return " ".join([f"{self.node.table} AS {self.alias}", *self.joins])

    def bind(self, value: Any) -> str:
        """Add a parameter and return its placeholder."""
        name = f"p{next(self._counter)}"
        self.parameters[name] = value
        return f":{name}"

    def reference_alias(self, steps: tuple[Step, ...]) -> tuple[str, NodeModel]:
        """Return the alias and node reached by following reference ``steps``."""
        alias, node = self.alias, self.node
        path: tuple[str, ...] = ()
        for step in steps:
            path += (step.property,)
            if path not in self._aliases:
                prop = node.properties[step.property]
                target = self.model[str(prop.target)]
                joined = f"{self.alias}_{next(self._counter)}"
                self.joins.append(
                    f'LEFT JOIN {target.table} AS {joined} ON {joined}."_id" = '
                    f"{alias}.{prop.column}"
                )
                self._aliases[path] = (joined, target)
                self.nodes.add(target.name)
            alias, node = self._aliases[path]
        return alias, node

    def column(self, path: tuple[Step, ...]) -> tuple[str, Property]:
        """Return the SQL expression and property at the end of ``path``.

        A path ending in ``<reference>._id`` reads the reference column itself,
        and a path ending at a reference step reads the referenced ``_id``.
        """
        *references, last = path
        if last.property == "_id" and references:
            alias, node = self.reference_alias(tuple(references[:-1]))
            prop = node.properties[references[-1].property]
            target = self.model[str(prop.target)]
            return f"{alias}.{prop.column}", target.properties["_id"]
        alias, node = self.reference_alias(tuple(references))
        prop = node.properties[last.property]
        if prop.kind == "reference":
            return f"{alias}.{prop.column}", self.model[str(prop.target)].properties[
                "_id"
            ]
        return f"{alias}.{prop.column}", prop

    # --- conditions ----------------------------------------------------------

    def condition(self, condition: Condition) -> str:
        """Return SQL that is true exactly for the rows that match ``condition``."""
        if isinstance(condition, And):
            parts = [self.condition(part) for part in condition.conditions]
            return "(" + " AND ".join(parts) + ")" if parts else "1"
        if isinstance(condition, Or):
            parts = [self.condition(part) for part in condition.conditions]
            return "(" + " OR ".join(parts) + ")" if parts else "0"
        if isinstance(condition, Not):
            # COALESCE turns an unknown (null) result into false before negating,
            # so that NOT never drops a row whose compared value is null.
            return f"NOT COALESCE({self.condition(condition.condition)}, 0)"
        if isinstance(condition, Quantified):
            return self._quantified(condition)
        return self._comparison(condition)

    def _comparison(self, comparison: Comparison) -> str:
        expression, prop = self.column(comparison.path)
        operator, value = comparison.operator, comparison.value
        if operator == "_regex":
            return f"sdmo_regex({self.bind(value)}, {expression})"
        if operator in ("_in", "_nin"):
            return self._membership(expression, prop, operator, value)
        if value is None:
            if operator == "_eq":
                return f"{expression} IS NULL"
            return f"{expression} IS NOT NULL" if operator == "_ne" else "0"
        if prop.type_name in ("Decimal", "Datetime"):
            return self._scaled(expression, operator, _exact(prop, value))
        stored = self._stored(prop, value)
        if stored is _NO_MATCH:
            return "1" if operator == "_ne" else "0"
        if isinstance(stored, int) and not _fits_sqlite(stored):
            return _beyond_sqlite(expression, operator, stored)
        placeholder = self.bind(stored)
        if operator == "_ne":
            return f"({expression} IS NULL OR {expression} <> {placeholder})"
        return f"{expression} {_SQL_OPERATORS[operator]} {placeholder}"

    def _membership(
        self, expression: str, prop: Property, operator: str, values: tuple[Any, ...]
    ) -> str:
        stored = []
        for value in values:
            if prop.type_name in ("Decimal", "Datetime"):
                exact = _exact(prop, value)
                if exact.denominator == 1:
                    stored.append(int(exact))
            else:
                converted = self._stored(prop, value)
                if converted is not _NO_MATCH:
                    stored.append(converted)
        # No stored value lies beyond SQLite's integer range, so such values
        # match nothing and are left out.
        stored = [
            value
            for value in stored
            if not isinstance(value, int) or _fits_sqlite(value)
        ]
        if not stored:
            return "0" if operator == "_in" else "1"
        placeholders = ", ".join(self.bind(value) for value in stored)
        if operator == "_in":
            return f"{expression} IN ({placeholders})"
        return f"({expression} IS NULL OR {expression} NOT IN ({placeholders}))"

    def _scaled(self, expression: str, operator: str, exact: Fraction) -> str:
        """Compare an integer column with an exact value that may have more digits."""
        whole = exact.denominator == 1
        if whole and not _fits_sqlite(int(exact)):
            return _beyond_sqlite(expression, operator, int(exact))
        if operator == "_eq":
            return f"{expression} = {self.bind(int(exact))}" if whole else "0"
        if operator == "_ne":
            if not whole:
                return "1"
            placeholder = self.bind(int(exact))
            return f"({expression} IS NULL OR {expression} <> {placeholder})"
        # The column stores integers: "> 2.5" is "> 2" and ">= 2.5" is ">= 3".
        bound = floor(exact) if operator in ("_gt", "_lte") else ceil(exact)
        if not _fits_sqlite(bound):
            return _beyond_sqlite(expression, operator, bound)
        return f"{expression} {_SQL_OPERATORS[operator]} {self.bind(bound)}"

    def _stored(self, prop: Property, value: Any) -> Any:
        """Return ``value`` as stored in the column of ``prop``, or ``_NO_MATCH``."""
        if prop.kind == "enum":
            return (
                prop.enum_values.index(value)
                if value in prop.enum_values
                else _NO_MATCH
            )
        if prop.type_name == "Id":
            node = self.model[prop.node]
            text = str(value)
            if text.startswith("#"):
                found = self.database.find_by_key(node, text[1:])
                return _NO_MATCH if found is None else found
            try:
                return int(text)
            except ValueError:
                return _NO_MATCH
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    def _quantified(self, quantified: Quantified) -> str:
        *references, collection = quantified.path
        parent_alias, parent = self.reference_alias(tuple(references))
        prop = parent.properties[collection.property]
        child = self.model[str(prop.target)]
        inner = SqlBuilder(self.database, child, self.parameters, self._counter)
        condition = inner.condition(quantified.condition)
        self.nodes |= inner.nodes
        inverse = child.properties[str(prop.inverse)].column
        rows = (
            f'FROM {inner.source} WHERE {inner.alias}.{inverse} = {parent_alias}."_id"'
        )
        quantifier, count = quantified.quantifier, quantified.count
        if quantifier == "_every":
            return f"NOT EXISTS (SELECT 1 {rows} AND NOT COALESCE({condition}, 0))"
        if quantifier == "_none":
            return f"NOT EXISTS (SELECT 1 {rows} AND {condition})"
        count = int(count or 0)
        if quantifier == "_atLeast" and count <= 1:
            return "1" if count == 0 else f"EXISTS (SELECT 1 {rows} AND {condition})"
        operator = ">=" if quantifier == "_atLeast" else "<="
        return f"(SELECT COUNT(*) {rows} AND {condition}) {operator} {self.bind(count)}"

    # --- ordering ------------------------------------------------------------

    def sort_terms(
        self, keys: tuple[OrderKey, ...], default: tuple[str, ...] = ()
    ) -> list[SortTerm]:
        """Return the ORDER BY terms of ``keys``, ending with ``_id`` ascending.

        ``default`` names properties sorted ascending when ``keys`` is empty.
        """
        terms: list[SortTerm] = []
        if not keys:
            for name in default:
                prop = self.node.properties[name]
                expression = f"{self.alias}.{prop.column}"
                terms.append(SortTerm(expression, 1, str(prop.storage), prop.nullable))
        for key in keys:
            expression, prop = self.column(key.path)
            nullable = prop.nullable or len(key.path) > 1
            terms.append(
                SortTerm(expression, key.direction, str(prop.storage), nullable)
            )
        id_column = f'{self.alias}."_id"'
        if not terms or terms[-1].expression != id_column:
            terms.append(SortTerm(id_column, 1, "integer", False))
        return terms


_SQL_OPERATORS = {"_eq": "=", "_gt": ">", "_gte": ">=", "_lt": "<", "_lte": "<="}


def _exact(prop: Property, value: Any) -> Fraction:
    """Return ``value`` in the integer unit of the column of ``prop``, exactly."""
    if prop.type_name == "Datetime":
        if not isinstance(value, datetime):
            raise TypeError(f"{prop.node}.{prop.name} compares with a datetime")
        microseconds = (value - EPOCH) // timedelta(microseconds=1)
        return Fraction(microseconds, 1000)
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return Fraction(value) * Fraction(10) ** prop.scale
    raise TypeError(f"{prop.node}.{prop.name} compares with a number")


_SQLITE_MIN = -(2**63)
_SQLITE_MAX = 2**63 - 1


def _fits_sqlite(value: int) -> bool:
    return _SQLITE_MIN <= value <= _SQLITE_MAX


def _beyond_sqlite(expression: str, operator: str, value: int) -> str:
    """Compare a column with an integer outside SQLite's 64-bit range.

    Every stored value lies inside that range, so the result is known without
    binding the value: a huge bound is above every row, a tiny one below.
    """
    if operator == "_eq":
        return "0"
    if operator == "_ne":
        return "1"
    above_all = value > _SQLITE_MAX
    if operator in ("_lt", "_lte"):
        return f"{expression} IS NOT NULL" if above_all else "0"
    return "0" if above_all else f"{expression} IS NOT NULL"
