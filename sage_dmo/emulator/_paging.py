"""Connections of the emulated tenant: page sizes, keyset cursors and pageInfo.

Rows are sorted by the orderBy keys and then by ``_id``. A cursor stores the sort
values of its row, so a page starts right after (or ends right before) that row,
even when rows were added or removed since.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._diagnostics import data_input_error
from ._model import NodeModel, Property
from ._sql import SortTerm, SqlBuilder
from ._state import Record, RequestState

__all__ = ["Connection", "Scope", "query_connection"]


@dataclass(frozen=True)
class Scope:
    """Restricts a query to the children of one parent row."""

    inverse: Property
    parent_id: int


class _Lazy:
    """A boolean computed on first use, because most clients never ask for it."""

    def __init__(self, compute: Callable[[], bool]) -> None:
        self._compute = compute
        self._value: bool | None = None

    def get(self) -> bool:
        if self._value is None:
            self._value = self._compute()
        return self._value


class PageInfo:
    """The ``PageInfo`` of one page."""

    def __init__(self, edges: list[Edge], previous: _Lazy, following: _Lazy) -> None:
        self.startCursor = edges[0].cursor if edges else None
        self.endCursor = edges[-1].cursor if edges else None
        self._previous = previous
        self._following = following

    @property
    def hasPreviousPage(self) -> bool:
        return self._previous.get()

    @property
    def hasNextPage(self) -> bool:
        return self._following.get()


@dataclass(frozen=True)
class Edge:
    """One row of a page with its cursor."""

    cursor: str
    node: Record


class Connection:
    """The ``<Node>_Connection`` of one query: a page plus lazy counts."""

    def __init__(
        self, edges: list[Edge], page_info: PageInfo, count: Callable[[], int]
    ) -> None:
        self.edges = edges
        self.pageInfo = page_info
        self._count = count

    @property
    def totalCount(self) -> int:
        return self._count()


def _encode(row: Any, width: int) -> str:
    values = [row[f"__k{index}"] for index in range(width)]
    return json.dumps(
        [None if v is None else str(v) for v in values], separators=(",", ":")
    )


def _decode(text: str | None, terms: list[SortTerm], argument: str) -> list[Any] | None:
    """Return the sort values stored in a cursor, or None when there is none."""
    if text is None:
        return None
    advice = (
        f"Pass as {argument} a cursor returned by the same query, with the same "
        f"filter and orderBy."
    )
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, list) or len(values) != len(terms):
        raise data_input_error(f"Invalid cursor {text!r}. {advice}", [argument])
    decoded: list[Any] = []
    for value, term in zip(values, terms, strict=True):
        if value is None and term.nullable:
            decoded.append(None)
        elif isinstance(value, str) and term.storage == "integer":
            try:
                decoded.append(int(value))
            except ValueError:
                raise data_input_error(
                    f"Invalid cursor {text!r}. {advice}", [argument]
                ) from None
        elif isinstance(value, str):
            decoded.append(value)
        else:
            raise data_input_error(f"Invalid cursor {text!r}. {advice}", [argument])
    return decoded


def _keyset(
    builder: SqlBuilder, terms: list[SortTerm], values: list[Any], side: str
) -> str:
    """Return SQL true for the rows that sort after (or before) the cursor values."""
    forward = side == "after"
    if forward and all(t.direction == 1 for t in terms) and None not in values:
        # Row values let SQLite walk an index on the sort columns.
        columns = ", ".join(term.expression for term in terms)
        placeholders = ", ".join(builder.bind(value) for value in values)
        return f"({columns}) > ({placeholders})"
    alternatives = []
    for index, (term, value) in enumerate(zip(terms, values, strict=True)):
        beyond = _beyond(builder, term, value, forward == (term.direction == 1))
        if beyond == "0":
            continue
        equal = [
            f"{t.expression} IS NULL"
            if v is None
            else f"{t.expression} = {builder.bind(v)}"
            for t, v in zip(terms[:index], values[:index], strict=True)
        ]
        alternatives.append("(" + " AND ".join([*equal, beyond]) + ")")
    return "(" + " OR ".join(alternatives) + ")" if alternatives else "0"


def _beyond(builder: SqlBuilder, term: SortTerm, value: Any, greater: bool) -> str:
    """Return SQL for "sorts above ``value``" (or below), with null lowest."""
    expression = term.expression
    if greater:
        if value is None:
            return f"{expression} IS NOT NULL"
        return f"{expression} > {builder.bind(value)}"
    if value is None:
        return "0"
    placeholder = builder.bind(value)
    if term.nullable:
        return f"({expression} < {placeholder} OR {expression} IS NULL)"
    return f"{expression} < {placeholder}"


def _page_sizes(
    state: RequestState, arguments: Mapping[str, Any], path: list[str | int]
) -> tuple[int | None, int | None]:
    engine = state.engine
    sizes: dict[str, int | None] = {}
    for name in ("first", "last"):
        value = arguments.get(name)
        if value is not None and value < 0:
            raise data_input_error(f"{name} must be 0 or more, not {value}.", [name])
        if value is not None and value > engine.max_page_size:
            state.warn(
                f"{name}: {value} is above the maximum page size of "
                f"{engine.max_page_size}; the page holds at most "
                f"{engine.max_page_size} rows. Use the page's cursors to read on.",
                path,
            )
            value = engine.max_page_size
        sizes[name] = value
    if sizes["first"] is None and sizes["last"] is None:
        sizes["first"] = engine.default_page_size
    return sizes["first"], sizes["last"]


def query_connection(
    state: RequestState,
    node: NodeModel,
    arguments: Mapping[str, Any],
    path: list[str | int],
    scope: Scope | None = None,
) -> Connection:
    """Run the ``query`` field of ``node`` and return its connection."""
    engine = state.engine
    database = state.database
    condition = engine.condition(node, arguments.get("filter"), "filter")
    keys = engine.order_keys(node, arguments.get("orderBy"))
    first, last = _page_sizes(state, arguments, path)
    builder = SqlBuilder(database, node)
    alias = builder.alias
    filters = [builder.condition(condition)]
    if scope is not None:
        filters.append(
            f"{alias}.{scope.inverse.column} = {builder.bind(scope.parent_id)}"
        )
    where = " AND ".join(filters)
    count_source, count_nodes = builder.source, set(builder.nodes)
    default = (
        ("_sortValue",) if scope is not None and "_sortValue" in node.properties else ()
    )
    terms = builder.sort_terms(keys, default)
    after = _decode(arguments.get("after"), terms, "after")
    before = _decode(arguments.get("before"), terms, "before")
    after_sql = None if after is None else _keyset(builder, terms, after, "after")
    before_sql = None if before is None else _keyset(builder, terms, before, "before")
    window = " AND ".join(part for part in (where, after_sql, before_sql) if part)
    backward = last is not None and first is None
    limit = (last if backward else first) or 0
    order = ", ".join(
        f"{term.expression} {'ASC' if (term.direction == 1) != backward else 'DESC'}"
        for term in terms
    )
    keys_sql = ", ".join(f"{term.expression} AS __k{i}" for i, term in enumerate(terms))
    sql = (
        f"SELECT {alias}.*, {keys_sql} FROM {builder.source} WHERE {window} "
        f"ORDER BY {order} LIMIT {builder.bind(limit + 1)}"
    )
    rows = database.query(sql, builder.parameters, builder.nodes)
    more = len(rows) > limit
    rows = rows[:limit]

    def exists_outside(boundary: str | None) -> Callable[[], bool]:
        def compute() -> bool:
            if boundary is None:
                return False
            text = (
                f"SELECT EXISTS (SELECT 1 FROM {builder.source} WHERE {where} "
                f"AND NOT COALESCE({boundary}, 0))"
            )
            return bool(database.query(text, builder.parameters, builder.nodes)[0][0])

        return compute

    if backward:
        rows.reverse()
        previous = _Lazy(lambda: more)
        following = _Lazy(exists_outside(before_sql))
    else:
        if last is not None and len(rows) > last:
            rows = rows[len(rows) - last :]
            previous = _Lazy(lambda: True)
        else:
            previous = _Lazy(exists_outside(after_sql))
        following = _Lazy(lambda: more)
    width = len(terms)
    edges = [Edge(_encode(row, width), Record(node, row)) for row in rows]
    page = [edge.node for edge in edges]
    for record in page:
        record.page = page

    def count() -> int:
        text = f"SELECT COUNT(*) FROM {count_source} WHERE {where}"
        return int(database.query(text, builder.parameters, count_nodes)[0][0])

    return Connection(edges, PageInfo(edges, previous, following), count)
