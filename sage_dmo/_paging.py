"""Paging through a node's ``query`` connection, one request per page.

``iterate_pages`` yields pages and ``iterate_nodes`` yields rows; both hold one page
at a time and raise ``PagingError`` when a server's pages would never end.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode

from ._client import SageDMOClient
from ._connection_shape import ConnectionShape, analyze_connection
from ._errors import PagingError

__all__ = ["Page", "ProgressCallback", "iterate_nodes", "iterate_pages"]

ProgressCallback = Callable[[int, int | None], object]
"""Called after each page with the rows read so far and ``totalCount`` (or None)."""


@dataclass(frozen=True)
class Page:
    """One page of a connection."""

    nodes: list[dict[str, Any]]
    total_count: int | None
    """``totalCount`` of the connection, or None when the query does not select it."""
    end_cursor: str | None
    has_next_page: bool


async def iterate_pages(
    client: SageDMOClient,
    query: str | DocumentNode,
    variables: Mapping[str, Any] | None = None,
    *,
    page_size: int = 500,
    path: str | None = None,
    progress: ProgressCallback | None = None,
    operation_name: str | None = None,
) -> AsyncGenerator[Page, None]:
    """Request the pages of the connection that ``query`` selects, one at a time.

    The operation must pass variables declared as ``$first: Int`` and
    ``$after: String`` to the connection's ``first`` and ``after`` arguments.
    ``page_size`` sets the first, and the previous page's ``endCursor`` sets
    the second. An ``after`` value in ``variables`` starts after that cursor.
    ``path`` is the dotted path of response keys to the connection, such as
    ``"xtremMasterData.item.query"``; it may be left out when the operation
    selects exactly one field with ``edges`` and ``pageInfo``.

    Raises QueryValidationError when the document does not fit, PagingError when
    the pages would not end, and the client's errors when a request fails.
    """
    shape = analyze_connection(query, path=path, operation_name=operation_name)
    values = _initial_variables(shape, variables, page_size)
    cursor: str | None = values.get(shape.after_variable)
    seen_cursors: set[str] = set() if cursor is None else {cursor}
    done = 0
    number = 0
    while True:
        number += 1
        values[shape.after_variable] = cursor
        data = await client.execute(query, values, operation_name=operation_name)
        page = read_page(shape, data, number)
        del data  # the page keeps the nodes; the edges around them can go
        _check_progress(shape, page, number, cursor, seen_cursors)
        done += len(page.nodes)
        if progress is not None:
            progress(done, page.total_count)
        yield page
        if not page.has_next_page:
            return
        cursor = page.end_cursor
        del page


async def iterate_nodes(
    client: SageDMOClient,
    query: str | DocumentNode,
    variables: Mapping[str, Any] | None = None,
    *,
    page_size: int = 500,
    path: str | None = None,
    progress: ProgressCallback | None = None,
    operation_name: str | None = None,
) -> AsyncGenerator[dict[str, Any], None]:
    """Yield every node of the connection that ``query`` selects, page by page.

    Takes the same arguments and raises the same errors as :func:`iterate_pages`.
    """
    pages = iterate_pages(
        client,
        query,
        variables,
        page_size=page_size,
        path=path,
        progress=progress,
        operation_name=operation_name,
    )
    async with aclosing(pages):
        async for page in pages:
            for node in page.nodes:
                yield node


def _initial_variables(
    shape: ConnectionShape, variables: Mapping[str, Any] | None, page_size: int
) -> dict[str, Any]:
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise TypeError(f"page_size must be an int, got {page_size!r}")
    if page_size < 1:
        raise ValueError(f"page_size must be 1 or more, got {page_size}")
    values = dict(variables or {})
    if shape.first_variable in values:
        raise ValueError(
            f"variables set ${shape.first_variable}, which holds the page size; "
            f"pass page_size={values[shape.first_variable]!r} instead"
        )
    values[shape.first_variable] = page_size
    return values


def read_page(shape: ConnectionShape, data: Mapping[str, Any], number: int) -> Page:
    """Read the page at ``shape.path`` from the ``data`` of response ``number``."""
    value: Any = data
    for depth, key in enumerate(shape.path):
        if not isinstance(value, Mapping):
            break
        value = value.get(key)
        if value is None:
            where = ".".join(shape.path[: depth + 1])
            raise PagingError(
                f"page {number}: the response has null at {where} instead of the "
                f"connection at {shape.dotted_path}; check the tenant's diagnoses"
            )

    edges = value.get(shape.edges_key) if isinstance(value, Mapping) else None
    page_info = value.get(shape.page_info_key) if isinstance(value, Mapping) else None
    if not isinstance(edges, list) or not isinstance(page_info, Mapping):
        raise PagingError(
            f"page {number}: the response has no edges and pageInfo at "
            f"{shape.dotted_path}; check that the query selects them there"
        )

    has_next_page = page_info.get(shape.has_next_page_key)
    end_cursor = page_info.get(shape.end_cursor_key)
    if not isinstance(has_next_page, bool):
        raise PagingError(
            f"page {number}: pageInfo.hasNextPage at {shape.dotted_path} is "
            f"{has_next_page!r}, not true or false"
        )
    if end_cursor is not None and not isinstance(end_cursor, str):
        raise PagingError(
            f"page {number}: pageInfo.endCursor at {shape.dotted_path} is "
            f"{end_cursor!r}, not a string"
        )

    total_count = None
    if shape.total_count_key is not None:
        total = value.get(shape.total_count_key)
        total_count = total if isinstance(total, int) else None
    node_key = shape.node_key
    nodes = [edge[node_key] for edge in edges]
    return Page(nodes, total_count, end_cursor, has_next_page)


def _check_progress(
    shape: ConnectionShape,
    page: Page,
    number: int,
    cursor: str | None,
    seen_cursors: set[str],
) -> None:
    """Raise PagingError when ``page`` shows that the pages would never end."""
    where = f"page {number} of {shape.dotted_path}"
    if page.has_next_page and not page.nodes:
        raise PagingError(
            f"{where} is empty but has hasNextPage: true, so paging would never "
            f"end (requested after cursor {cursor!r}); the server's paging is faulty"
        )
    if page.has_next_page and page.end_cursor is None:
        raise PagingError(
            f"{where} has hasNextPage: true but no endCursor to continue from; "
            "select pageInfo.endCursor or report the server's faulty paging"
        )
    if page.end_cursor is not None and page.nodes:
        if page.end_cursor in seen_cursors:
            raise PagingError(
                f"{where} repeats the endCursor {page.end_cursor!r} of an earlier "
                "page, so paging would loop; the server's paging is faulty"
            )
        # One short string per page: a million rows in pages of 500 keep 2,000.
        seen_cursors.add(page.end_cursor)
