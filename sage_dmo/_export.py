"""``sage-dmo query --all-pages``: stream every row of a connection to a file or stdout.

Rows go out page by page as JSON, NDJSON or CSV, so memory keeps one page. An
export that stops early leaves a well-formed file of the rows written so far.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from ._client import SageDMOClient
from ._connection_shape import ConnectionShape, analyze_connection
from ._errors import SageDMOError
from ._export_formats import (
    FORMATS,
    ExportError,
    RowWriter,
    csv_columns,
    make_writer,
)
from ._paging import iterate_pages

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "ExportError",
    "ExportPlan",
    "ExportUsageError",
    "ProgressBar",
    "add_export_options",
    "export_rows",
    "plan_export",
]

DEFAULT_PAGE_SIZE = 500
"""Rows per request: what real SDMO integrations use."""

PARTIAL_SUFFIX = ".partial"


class ExportUsageError(ValueError):
    """An export option is invalid or the output cannot be opened."""


def add_export_options(parser: argparse.ArgumentParser) -> None:
    """Add the ``--all-pages`` options to the ``query`` command's parser."""
    group = parser.add_argument_group(
        "export",
        "page through a connection of the query and stream its rows",
    )
    group.add_argument(
        "--all-pages",
        action="store_true",
        help="request every page of the connection and write its rows, not the "
        "response; the query must declare $first: Int and $after: String and pass "
        "them to the connection",
    )
    group.add_argument(
        "--page-size",
        type=int,
        metavar="N",
        help=f"rows per request with --all-pages (default {DEFAULT_PAGE_SIZE})",
    )
    group.add_argument(
        "--format",
        choices=FORMATS,
        help="json: one array; ndjson: one object per line; csv: nested fields as "
        "dotted columns, lists as JSON text (default json)",
    )
    group.add_argument(
        "--output",
        metavar="FILE",
        help=f"write rows to FILE{PARTIAL_SUFFIX}, renamed to FILE when the last "
        f"page is written; a failed export keeps FILE{PARTIAL_SUFFIX} "
        "(default: standard output)",
    )
    group.add_argument(
        "--path",
        metavar="DOTTED",
        help="response keys to the connection, such as xtremMasterData.item.query, "
        "when the query selects more than one",
    )


@dataclass(frozen=True)
class ExportPlan:
    """Export settings: query, variables, format and output, checked before sending."""

    query: str
    variables: Mapping[str, Any]
    operation_name: str | None
    shape: ConnectionShape
    page_size: int = DEFAULT_PAGE_SIZE
    format: str = "json"
    output: str | None = None
    """Path of the file to write, or None for standard output."""


def plan_export(
    query: str,
    variables: Mapping[str, Any],
    *,
    operation_name: str | None = None,
    path: str | None = None,
    page_size: int | None = None,
    format: str | None = None,
    output: str | None = None,
) -> ExportPlan:
    """Check the query and the options of an export.

    Raises QueryValidationError when the query cannot page, ExportUsageError for
    an invalid option.
    """
    shape = analyze_connection(query, path=path, operation_name=operation_name)
    size = DEFAULT_PAGE_SIZE if page_size is None else page_size
    if size < 1:
        raise ExportUsageError(f"--page-size must be 1 or more, got {size}")
    if shape.first_variable in variables:
        raise ExportUsageError(
            f"--var sets ${shape.first_variable}, which is the page-size variable; "
            f"use --page-size {variables[shape.first_variable]} instead"
        )
    chosen = format or "json"
    if chosen not in FORMATS:
        raise ExportUsageError(
            f"--format {chosen!r} is invalid; use one of {', '.join(FORMATS)}"
        )
    if output == "-":
        output = None
    return ExportPlan(
        query, dict(variables), operation_name, shape, size, chosen, output
    )


async def export_rows(
    client: SageDMOClient, plan: ExportPlan, out: TextIO, err: TextIO
) -> int:
    """Write every row of the plan's connection; return the exit status (0).

    Raises ExportUsageError when the output file cannot be opened, and
    ExportError, naming the rows kept, when a page fails. On an interrupt the
    file is completed the same way and the interrupt propagates.
    """
    bar = ProgressBar(err) if _is_terminal(err) else None
    started = time.monotonic()
    with _open_output(plan.output, out) as (stream, partial):
        writer = make_writer(plan.format, stream, csv_columns(plan.shape))
        where = partial or "standard output"
        try:
            await _write_pages(client, plan, writer, bar)
        except SageDMOError as error:
            raise ExportError(
                f"export stopped after {writer.rows:,} rows: {error}; "
                f"{where} contains the rows written so far"
            ) from error
        except OSError as error:
            raise ExportError(
                f"writing to {where} failed after {writer.rows:,} rows: {error}"
            ) from error
        except (KeyboardInterrupt, asyncio.CancelledError):
            if bar is not None:
                bar.finish()
            err.write(
                f"sage-dmo: export interrupted after {writer.rows:,} rows; "
                f"{where} contains the rows written so far\n"
            )
            raise
        finally:
            if bar is not None:
                bar.finish()
            # Close the JSON array and flush, whatever stopped the export.
            with contextlib.suppress(OSError):
                _finish(writer, stream)
    if plan.output is not None and partial is not None:
        os.replace(partial, plan.output)
    if bar is not None or plan.output is not None:
        # Always confirm a file export; on standard output only with the bar,
        # since there the rows themselves are the output.
        elapsed = time.monotonic() - started
        target = plan.output or "standard output"
        err.write(f"{writer.rows:,} rows written to {target} in {elapsed:.1f} s\n")
    return 0


async def _write_pages(
    client: SageDMOClient,
    plan: ExportPlan,
    writer: RowWriter,
    bar: ProgressBar | None,
) -> None:
    pages = iterate_pages(
        client,
        plan.query,
        plan.variables,
        page_size=plan.page_size,
        path=plan.shape.dotted_path,
        operation_name=plan.operation_name,
    )
    async with contextlib.aclosing(pages):
        async for page in pages:
            writer.write_page(page.nodes)
            if bar is not None:
                bar.update(writer.rows, page.total_count)


def _finish(writer: RowWriter, stream: TextIO) -> None:
    writer.close()
    stream.flush()


@contextlib.contextmanager
def _open_output(
    output: str | None, out: TextIO
) -> Iterator[tuple[TextIO, str | None]]:
    """Yield the stream to write and the partial file's path (None for stdout)."""
    if output is None:
        yield out, None
        return
    partial = output + PARTIAL_SUFFIX
    try:
        stream = open(partial, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as error:
        raise ExportUsageError(
            f"cannot write {partial!r}: {error.strerror}; choose another --output"
        ) from None
    with stream:
        yield stream, partial


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ProgressBar:
    """One status line on a terminal: rows done of ``totalCount``, rate, time left."""

    WIDTH = 24

    def __init__(self, stream: TextIO, *, min_interval: float = 0.1) -> None:
        self._stream = stream
        self._started = time.monotonic()
        self._min_interval = min_interval
        self._shown_at = 0.0
        self._last_length = 0

    def update(self, done: int, total: int | None) -> None:
        """Redraw the line, at most every ``min_interval`` seconds until the end."""
        now = time.monotonic()
        final = total is not None and done >= total
        if not final and now - self._shown_at < self._min_interval:
            return
        self._shown_at = now
        text = render_progress(done, total, now - self._started, self.WIDTH)
        padding = " " * max(self._last_length - len(text), 0)
        self._stream.write(f"\r{text}{padding}")
        self._stream.flush()
        self._last_length = len(text)

    def finish(self) -> None:
        """End the status line; calling it again does nothing."""
        if self._last_length:
            self._stream.write("\n")
            self._stream.flush()
            self._last_length = 0


def render_progress(done: int, total: int | None, elapsed: float, width: int) -> str:
    """Return the status line for ``done`` rows of ``total`` after ``elapsed`` s."""
    rate = done / elapsed if elapsed > 0 else 0.0
    speed = f"{rate:,.0f} rows/s"
    if total is None or total <= 0:
        return f"{done:,} rows  {speed}"
    fraction = min(done / total, 1.0)
    filled = round(fraction * width)
    bar = "#" * filled + "-" * (width - filled)
    left = "--:--" if rate <= 0 else _duration((total - done) / rate)
    return f"[{bar}] {done:,}/{total:,} rows {fraction:4.0%}  {speed}  {left} left"


def _duration(seconds: float) -> str:
    whole = max(int(seconds + 0.5), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
