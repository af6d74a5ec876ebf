"""Row writers of exports: a streamed JSON array, NDJSON and CSV with dotted columns.

Each page is rendered to text first and written with one call, then flushed, so
the output always ends after a whole row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from ._connection_shape import ConnectionShape, FieldGroup
from ._errors import ExportError

__all__ = [
    "FORMATS",
    "CsvWriter",
    "ExportError",
    "JsonArrayWriter",
    "NdjsonWriter",
    "RowWriter",
    "csv_columns",
    "flatten_row",
    "make_writer",
]

FORMATS = ("json", "ndjson", "csv")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class RowWriter:
    """Writes rows to a text stream one page at a time; ``rows`` counts them."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.rows = 0
        self._closed = False

    def write_page(self, nodes: Sequence[dict[str, Any]]) -> None:
        """Write the rows of one page and flush them."""
        text = self.render(nodes)
        if text:
            self.stream.write(text)
            self.stream.flush()
        self.rows += len(nodes)

    def render(self, nodes: Sequence[dict[str, Any]]) -> str:
        raise NotImplementedError

    def close(self) -> None:
        """Write what ends the output; calling it again does nothing."""
        if not self._closed:
            self._closed = True
            self.stream.write(self.ending())

    def ending(self) -> str:
        return ""


class JsonArrayWriter(RowWriter):
    """One JSON array with a row per line; :meth:`close` adds the closing bracket."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        stream.write("[")

    def render(self, nodes: Sequence[dict[str, Any]]) -> str:
        parts = []
        separator = ",\n" if self.rows else "\n"
        for node in nodes:
            parts.append(separator)
            parts.append(_dumps(node))
            separator = ",\n"
        return "".join(parts)

    def ending(self) -> str:
        return "\n]\n" if self.rows else "]\n"


class NdjsonWriter(RowWriter):
    """One JSON object per line."""

    def render(self, nodes: Sequence[dict[str, Any]]) -> str:
        return "".join(_dumps(node) + "\n" for node in nodes)


class CsvWriter(RowWriter):
    """CSV with a header; nested objects become dotted columns such as ``category.id``.

    Columns come from the query's selection, so an object that is null on every
    row of the first page still gets its columns. A list (such as a collection's
    ``edges``) becomes one column of JSON text, named by its path, when the first
    page has such a list. A later row with a value outside every column raises
    ExportError rather than drop it.
    """

    def __init__(self, stream: TextIO, selected: Sequence[str]) -> None:
        super().__init__(stream)
        self._selected = list(selected)
        self.columns: list[str] | None = None
        self._known: set[str] = set()

    def render(self, nodes: Sequence[dict[str, Any]]) -> str:
        flat_rows = [flatten_row(node) for node in nodes]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if self.columns is None:
            self.columns = _settle_columns(self._selected, flat_rows)
            self._known = set(self.columns)
            writer.writerow(self.columns)
        for number, flat in enumerate(flat_rows, start=self.rows + 1):
            unknown = flat.keys() - self._known
            if unknown:
                raise ExportError(
                    f"row {number:,} has a value at {sorted(unknown)[0]!r}, which "
                    "no CSV column holds because the first page had none there; "
                    "export with --format json or ndjson"
                )
            writer.writerow([_cell(flat.get(column)) for column in self.columns])
        return buffer.getvalue()

    def ending(self) -> str:
        if self.columns is not None:
            return ""
        # No page arrived: the header alone still describes the columns.
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(self._selected)
        return buffer.getvalue()


def make_writer(format: str, stream: TextIO, selected: Sequence[str]) -> RowWriter:
    """Return the writer of ``format``; ``selected`` lists the CSV columns."""
    if format == "json":
        return JsonArrayWriter(stream)
    if format == "ndjson":
        return NdjsonWriter(stream)
    if format == "csv":
        return CsvWriter(stream, selected)
    raise ValueError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")


def csv_columns(shape: ConnectionShape) -> list[str]:
    """Return the dotted path of every leaf field the query selects in a row."""
    columns: list[str] = []

    def walk(group: FieldGroup, prefix: str) -> None:
        for key, child in shape.children(group).items():
            if shape.children(child):
                walk(child, f"{prefix}{key}.")
            else:
                columns.append(prefix + key)

    walk(shape.node, "")
    return columns


def flatten_row(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested objects into dotted keys; nulls are left out, lists kept."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = prefix + key
        if isinstance(value, dict):
            flat.update(flatten_row(value, name + "."))
        elif value is not None:
            flat[name] = value
    return flat


def _settle_columns(
    selected: Sequence[str], flat_rows: Iterable[dict[str, Any]]
) -> list[str]:
    """Merge the selected leaves with the first page: a list replaces its leaves."""
    seen = dict.fromkeys(key for flat in flat_rows for key in flat)
    leaves = set(selected)
    lists = [key for key in seen if key not in leaves]
    columns: list[str] = []
    for column in selected:
        owner = next((key for key in lists if column.startswith(key + ".")), column)
        if owner not in columns:
            columns.append(owner)
    columns.extend(key for key in seen if key not in columns)
    return columns


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return _dumps(value)
    return str(value)
