"""Incremental sync: the rows changed since a watermark of ``_updateStamp`` and ``_id``.

Rows are read in ``(_updateStamp, _id)`` order, so the last row read marks exactly
where the next run starts, even when many rows share one stamp.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from graphql import DocumentNode

from ._client import SageDMOClient
from ._connection_shape import (
    ConnectionShape,
    analyze_connection,
    invalid_query,
    variable_of,
)
from ._errors import PagingError
from ._paging import iterate_nodes

__all__ = ["ChangeSync", "Watermark", "sync_changes"]

SYNC_ORDER_BY = "{_updateStamp: 1, _id: 1}"
"""Sort text of every sync query: stamp first, and ``_id`` between equal stamps."""

_SEPARATOR = ";"


@dataclass(frozen=True)
class Watermark:
    """Position of a synchronisation: the ``_updateStamp`` and ``_id`` of a row.

    The next run reads rows whose stamp is later, or equal with a greater
    ``_id``. ``row_id`` is None for a start time that no row gave (every row with
    ``_updateStamp`` at or after ``update_stamp`` is read). ``update_stamp`` is
    None for a row that has no stamp; such rows sort before all others.
    Store it with :meth:`to_text` or :meth:`to_dict` and pass either back as
    ``since``.
    """

    update_stamp: str | None
    row_id: str | None = None

    def __post_init__(self) -> None:
        if self.update_stamp is None and self.row_id is None:
            raise ValueError("a watermark needs an update stamp, an _id or both")
        if self.update_stamp is not None:
            _parse_stamp(self.update_stamp)

    def to_text(self) -> str:
        """Return ``"<stamp>;<_id>"``, such as ``"2026-01-05T08:00:00.000Z;41"``."""
        if self.row_id is None:
            return str(self.update_stamp)
        return f"{self.update_stamp or ''}{_SEPARATOR}{self.row_id}"

    def to_dict(self) -> dict[str, str | None]:
        """Return the watermark as ``{"_updateStamp": ..., "_id": ...}`` for JSON."""
        return {"_updateStamp": self.update_stamp, "_id": self.row_id}

    @classmethod
    def from_text(cls, text: str) -> Watermark:
        """Read a watermark written by :meth:`to_text`, or an ISO-8601 date-time."""
        stamp, separator, row_id = text.partition(_SEPARATOR)
        if not separator:
            return cls.from_datetime(_parse_stamp(stamp))
        if not row_id:
            raise ValueError(
                f"watermark {text!r} has no _id after {_SEPARATOR!r}; pass the text "
                "that Watermark.to_text() returned"
            )
        return cls(stamp or None, row_id)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Watermark:
        """Read a watermark written by :meth:`to_dict`."""
        unknown = set(values) - {"_updateStamp", "_id"}
        if unknown:
            raise ValueError(
                f"watermark {dict(values)!r} has unknown keys {sorted(unknown)}; "
                "pass the dict that Watermark.to_dict() returned"
            )
        stamp, row_id = values.get("_updateStamp"), values.get("_id")
        if stamp is not None and not isinstance(stamp, str):
            raise ValueError(f"watermark _updateStamp {stamp!r} is not a string")
        return cls(stamp, None if row_id is None else str(row_id))

    @classmethod
    def from_datetime(cls, moment: datetime) -> Watermark:
        """Return a watermark that reads rows stamped at or after ``moment``."""
        if moment.tzinfo is None:
            raise ValueError(
                f"since {moment.isoformat()} has no time zone; pass an aware "
                "datetime, such as one in UTC"
            )
        # Stamps carry milliseconds. Cutting off finer digits moves the start
        # earlier, so a row stamped within that millisecond is read, not skipped.
        utc = moment.astimezone(timezone.utc)
        return cls(utc.isoformat(timespec="milliseconds").replace("+00:00", "Z"))

    def filter_text(self) -> str:
        """Return the filter text that matches the rows after this watermark."""
        if self.update_stamp is None:
            return (
                "{_or: [{_updateStamp: {_ne: null}}, "
                f"{{_updateStamp: null, _id: {{_gt: {_quote(str(self.row_id))}}}}}]}}"
            )
        stamp = _quote(self.update_stamp)
        if self.row_id is None:
            return f"{{_updateStamp: {{_gte: {stamp}}}}}"
        # NOTE: the emulator compares _id as an integer, so '10' sorts after '9'.
        # How a real tenant compares _id is undocumented; text order would misplace ids.
        return (
            f"{{_or: [{{_updateStamp: {{_gt: {stamp}}}}}, "
            f"{{_updateStamp: {stamp}, _id: {{_gt: {_quote(self.row_id)}}}}}]}}"
        )


SinceValue = Watermark | Mapping[str, Any] | datetime | str | None


class ChangeSync:
    """An async iterator over changed rows that tracks the watermark as it goes.

    After each row, :attr:`watermark` covers every row returned so far, so a run
    that stops early (an error, a break) can store it and resume there.
    """

    def __init__(
        self,
        client: SageDMOClient,
        query: str | DocumentNode,
        since: Watermark | None,
        *,
        filter_text: str | None,
        variables: Mapping[str, Any] | None,
        page_size: int,
        operation_name: str | None,
    ) -> None:
        shape = analyze_connection(query, operation_name=operation_name)
        self._stamp_key, self._id_key = _row_keys(shape)
        self._path = shape.dotted_path
        self._filter_variable = _string_variable(shape, "filter")
        order_variable = _string_variable(shape, "orderBy")
        values = dict(variables or {})
        for name in (self._filter_variable, order_variable):
            if name in values:
                raise ValueError(
                    f"variables set ${name}, which sync_changes sets itself; leave "
                    "it out and pass a filter of your own as filter="
                )
        values[self._filter_variable] = _combined_filter(filter_text, since)
        values[order_variable] = SYNC_ORDER_BY
        self.since = since
        self.watermark: Watermark | None = since
        """Position after the last row returned; ``since`` until a row is returned."""
        self.rows_read = 0
        self._rows: AsyncGenerator[dict[str, Any], None] = iterate_nodes(
            client,
            query,
            values,
            page_size=page_size,
            path=shape.dotted_path,
            operation_name=operation_name,
        )

    def __aiter__(self) -> ChangeSync:
        return self

    async def __anext__(self) -> dict[str, Any]:
        node = await self._rows.__anext__()
        stamp, row_id = node.get(self._stamp_key), node.get(self._id_key)
        if row_id is None:
            raise PagingError(
                f"a row of {self._path} has _id null, so no watermark can follow "
                "it; check the tenant's data"
            )
        self.watermark = Watermark(stamp, str(row_id))
        self.rows_read += 1
        return node

    async def aclose(self) -> None:
        """Stop reading; the watermark stays at the last row returned."""
        await self._rows.aclose()

    async def __aenter__(self) -> ChangeSync:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def sync_changes(
    client: SageDMOClient,
    query: str | DocumentNode,
    since: SinceValue,
    *,
    page_size: int = 500,
    filter: str | None = None,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> ChangeSync:
    """Read the rows of one node changed after ``since``, in stamp and ``_id`` order.

    ``query`` pages one connection (see :func:`iterate_pages`) whose arguments
    also take ``filter`` and ``orderBy`` from ``String`` variables, and whose
    node selects ``_id`` and ``_updateStamp``. ``since`` is None for a first,
    full run, a :class:`Watermark` (or its text or dict) from an earlier run,
    or a datetime or ISO-8601 text to read rows stamped at or after it.
    ``filter`` restricts the rows further, such as ``"{isActive: true}"``.

    Use it as ``async with sync_changes(...) as changes: async for row in
    changes: ...``, then store ``changes.watermark`` for the next run.

    A row whose change commits after a later-stamped row was read (a long
    transaction on the server) has a stamp below the watermark and is missed;
    any sync by timestamp has this limit.
    """
    return ChangeSync(
        client,
        query,
        _watermark_of(since),
        filter_text=filter,
        variables=variables,
        page_size=page_size,
        operation_name=operation_name,
    )


def _watermark_of(since: SinceValue) -> Watermark | None:
    if since is None or isinstance(since, Watermark):
        return since
    if isinstance(since, datetime):
        return Watermark.from_datetime(since)
    if isinstance(since, str):
        return Watermark.from_text(since)
    if isinstance(since, Mapping):
        return Watermark.from_dict(since)
    raise TypeError(
        f"since must be a Watermark, its text or dict, a datetime or None, "
        f"not {type(since).__name__}"
    )


def _combined_filter(filter_text: str | None, since: Watermark | None) -> str | None:
    if since is None:
        return filter_text
    if filter_text is None or not filter_text.strip():
        return since.filter_text()
    return f"{{_and: [{filter_text}, {since.filter_text()}]}}"


def _row_keys(shape: ConnectionShape) -> tuple[str, str]:
    """Return the response keys of ``_updateStamp`` and ``_id`` in the node."""
    fields = shape.children(shape.node)
    keys = []
    for name in ("_updateStamp", "_id"):
        key = next(
            (key for key, group in fields.items() if group[0].name.value == name),
            None,
        )
        if key is None:
            raise invalid_query(
                f"incremental sync needs {name} in the node of "
                f"{shape.dotted_path}; add it to the node's selection",
                shape.node,
                shape.query_text,
            )
        keys.append(key)
    return keys[0], keys[1]


def _string_variable(shape: ConnectionShape, argument: str) -> str:
    name = variable_of(shape.connection, argument)
    declared = {
        definition.variable.name.value
        for definition in shape.operation.variable_definitions or ()
    }
    if name is None or name not in declared:
        raise invalid_query(
            f"incremental sync sets {argument!r} of {shape.dotted_path}; declare "
            f'"${argument}: String" in the operation and pass "{argument}: '
            f'${argument}" to the connection',
            shape.connection,
            shape.query_text,
        )
    return name


def _parse_stamp(text: str) -> datetime:
    # datetime.fromisoformat reads "Z" only from Python 3.11 on.
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO-8601 date-time; write it like "
            "2026-01-05T08:00:00.000Z"
        ) from None
    if moment.tzinfo is None:
        # The filter language reads a date-time without an offset as UTC.
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _quote(text: str) -> str:
    """Write ``text`` as a single-quoted string of the filter language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
