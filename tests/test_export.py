"""``sage-dmo query --all-pages``: exports in each format, read from the emulator."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sage_dmo import SageDMOClient
from sage_dmo._cli import main
from sage_dmo._connection_shape import analyze_connection
from sage_dmo._export import export_rows, plan_export, render_progress
from sage_dmo._export_formats import CsvWriter, ExportError, csv_columns
from sage_dmo.emulator import Emulator
from sage_dmo.emulator._faults import Fault

ITEMS = """
query Items($first: Int, $after: String) {
  xtremMasterData {
    item {
      query(first: $first, after: $after) {
        totalCount
        pageInfo { endCursor hasNextPage }
        edges {
          node { _id id name isActive basePrice stockUnit { id } category { id name } }
        }
      }
    }
  }
}
"""

ORDERS_WITH_LINES = """
query Orders($first: Int, $after: String) {
  xtremSales {
    salesOrder {
      query(first: $first, after: $after) {
        pageInfo { endCursor hasNextPage }
        edges {
          node {
            number
            soldToCustomer { id }
            lines { query { edges { node { item { id } } } } }
          }
        }
      }
    }
  }
}
"""


class TerminalBuffer(io.StringIO):
    """A text buffer that reports itself as a terminal, as an interactive stderr."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def emulator_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The SAGE_DMO_* variables point at the test's emulator."""
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    return emulator


@pytest.fixture
def items_file(tmp_path: Path) -> Path:
    """A query file that pages through items."""
    path = tmp_path / "items.graphql"
    path.write_text(ITEMS, encoding="utf-8")
    return path


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _exists(path: Path) -> bool:
    return path.exists()


def _rows_written(path: Path) -> int:
    return _read(path).count('"_id"') if path.exists() else 0


async def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = await main(list(argv), out=out, err=err, stdin=io.StringIO(""))
    return status, out.getvalue(), err.getvalue()


async def test_json_export_to_file(
    emulator_env: Emulator, items_file: Path, tmp_path: Path
) -> None:
    """--format json writes one array of every row, then renames the file."""
    target = tmp_path / "items.json"
    status, out, err = await _run(
        "query", str(items_file), "--all-pages", "--page-size", "7",
        "--output", str(target),
    )  # fmt: skip
    assert status == 0, err
    assert out == ""
    rows = json.loads(_read(target))
    assert len(rows) == 40
    assert len({row["_id"] for row in rows}) == 40
    assert rows[0]["stockUnit"]["id"]
    assert not _exists(Path(f"{target}.partial"))


async def test_json_export_to_stdout(emulator_env: Emulator, items_file: Path) -> None:
    """Without --output the array goes to standard output."""
    status, out, _ = await _run("query", str(items_file), "--all-pages")
    assert status == 0
    assert len(json.loads(out)) == 40


async def test_ndjson_export_one_row_per_line(
    emulator_env: Emulator, items_file: Path
) -> None:
    """--format ndjson writes one JSON object per line."""
    status, out, _ = await _run(
        "query", str(items_file), "--all-pages", "--page-size", "9",
        "--format", "ndjson",
    )  # fmt: skip
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 40
    assert all(isinstance(json.loads(line), dict) for line in lines)


async def test_csv_export_dotted_columns(
    emulator_env: Emulator, items_file: Path, tmp_path: Path
) -> None:
    """--format csv flattens nested objects into dotted column names."""
    target = tmp_path / "items.csv"
    status, _, err = await _run(
        "query", str(items_file), "--all-pages", "--page-size", "15",
        "--format", "csv", "--output", str(target),
    )  # fmt: skip
    assert status == 0, err
    reader = csv.DictReader(io.StringIO(_read(target), newline=""))
    rows = list(reader)
    assert reader.fieldnames == [
        "_id", "id", "name", "isActive", "basePrice",
        "stockUnit.id", "category.id", "category.name",
    ]  # fmt: skip
    assert len(rows) == 40
    assert {row["isActive"] for row in rows} <= {"true", "false"}
    assert all(row["stockUnit.id"] for row in rows)


async def test_csv_lists_become_json_cells(
    emulator_env: Emulator, tmp_path: Path
) -> None:
    """A collection inside a row is one column of JSON text."""
    query = tmp_path / "orders.graphql"
    query.write_text(ORDERS_WITH_LINES, encoding="utf-8")
    status, out, err = await _run(
        "query", str(query), "--all-pages", "--format", "csv", "--page-size", "10"
    )
    assert status == 0, err
    reader = csv.DictReader(io.StringIO(out))
    rows = list(reader)
    assert reader.fieldnames == ["number", "soldToCustomer.id", "lines.query.edges"]
    assert rows
    assert isinstance(json.loads(rows[0]["lines.query.edges"]), list)


def test_csv_columns_from_selection_not_data() -> None:
    """An object null on the whole first page still gets its dotted columns."""
    shape = analyze_connection(ITEMS)
    buffer = io.StringIO()
    writer = CsvWriter(buffer, csv_columns(shape))
    writer.write_page([{"_id": "1", "category": None}])
    writer.write_page([{"_id": "2", "category": {"id": "C", "name": "Cat"}}])
    writer.close()
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert rows[0]["category.id"] == ""
    assert rows[1]["category.id"] == "C"


def test_csv_unknown_later_value_raises() -> None:
    """A later value outside every column raises instead of being dropped."""
    writer = CsvWriter(io.StringIO(), ["_id", "tags.name"])
    writer.write_page([{"_id": "1", "tags": [{"name": "a"}]}])
    with pytest.raises(ExportError, match="'extra'"):
        writer.write_page([{"_id": "2", "extra": 5}])


async def test_failed_page_keeps_written_rows(
    emulator_env: Emulator, items_file: Path, tmp_path: Path
) -> None:
    """A page that fails for good leaves a closed JSON array and exit status 1."""
    target = tmp_path / "items.json"
    emulator_env.faults.queue(Fault("delay", delay=0.0), times=2)
    emulator_env.faults.queue("html_502", times=4)  # every attempt of page 3
    status, _, err = await _run(
        "query", str(items_file), "--all-pages", "--page-size", "5",
        "--output", str(target),
    )  # fmt: skip
    assert status == 1
    assert "export stopped after 10 rows" in err
    partial = Path(f"{target}.partial")
    rows = json.loads(_read(partial))
    assert len(rows) == 10
    assert not _exists(target)


async def test_failed_page_ndjson_whole_lines(
    emulator_env: Emulator, items_file: Path, tmp_path: Path
) -> None:
    """An NDJSON export that fails ends after a whole line."""
    target = tmp_path / "items.ndjson"
    emulator_env.faults.queue(Fault("delay", delay=0.0))
    emulator_env.faults.queue("html_502", times=4)
    status, _, _ = await _run(
        "query", str(items_file), "--all-pages", "--page-size", "6",
        "--format", "ndjson", "--output", str(target),
    )  # fmt: skip
    text = _read(Path(f"{target}.partial"))
    assert status == 1
    assert text.endswith("\n")
    assert len([json.loads(line) for line in text.splitlines()]) == 6


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--format", "csv"], "--format applies only with --all-pages"),
        (["--all-pages", "--page-size", "0"], "--page-size must be 1 or more"),
        (["--all-pages", "--var", "first:=5"], "use --page-size 5"),
    ],
)
async def test_export_usage_errors_exit_2(
    emulator_env: Emulator, items_file: Path, argv: list[str], expected: str
) -> None:
    """Invalid export options exit 2 with what to change."""
    status, _, err = await _run("query", str(items_file), *argv)
    assert status == 2
    assert expected in err


async def test_unpageable_query_exits_2(emulator_env: Emulator) -> None:
    """A query without an $after variable exits 2 naming what to add."""
    query = ITEMS.replace("$after: String", "").replace("after: $after", "")
    out, err = io.StringIO(), io.StringIO()
    status = await main(
        ["query", "-", "--all-pages"], out=out, err=err, stdin=io.StringIO(query)
    )
    assert status == 2
    assert '"$after: String"' in err.getvalue()


async def test_unwritable_output_exits_2(
    emulator_env: Emulator, items_file: Path, tmp_path: Path
) -> None:
    """An output file in a missing directory is a usage error."""
    target = tmp_path / "missing" / "items.json"
    status, _, err = await _run(
        "query", str(items_file), "--all-pages", "--output", str(target)
    )
    assert status == 2
    assert "choose another --output" in err


async def test_progress_bar_only_on_terminal(
    emulator: Emulator, make_client: Callable[..., SageDMOClient]
) -> None:
    """Standard error gets a progress line when it is a terminal, and else nothing."""
    plan = plan_export(ITEMS, {}, page_size=10)
    terminal, plain = TerminalBuffer(), io.StringIO()
    async with make_client() as client:
        await export_rows(client, plan, io.StringIO(), terminal)
        await export_rows(client, plan, io.StringIO(), plain)
    assert "40/40 rows 100%" in terminal.getvalue()
    assert "rows/s" in terminal.getvalue()
    assert plain.getvalue() == ""


def test_progress_line_shows_rate_and_time_left() -> None:
    """The status line has rows of total, percentage, rate and time left."""
    line = render_progress(250, 1000, 10.0, 20)
    assert line == "[#####---------------] 250/1,000 rows  25%  25 rows/s  0:30 left"


def test_progress_line_without_total() -> None:
    """Without totalCount the line has rows and rate only."""
    assert render_progress(1500, None, 3.0, 10) == "1,500 rows  500 rows/s"


async def test_interrupted_export_exits_130(
    emulator: Emulator, items_file: Path, tmp_path: Path
) -> None:
    """SIGINT during an export exits 130 and leaves a closed JSON array."""
    target = tmp_path / "items.json"
    partial = Path(f"{target}.partial")
    emulator.faults.queue(Fault("delay", delay=0.3), times=30)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "sage_dmo", "query", str(items_file),
        "--all-pages", "--page-size", "2", "--output", str(target),
        env={**os.environ, **emulator.environment()},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(300):
            if _rows_written(partial) >= 4:
                break
            await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 130, stderr.decode()
    rows = json.loads(_read(partial))
    assert 4 <= len(rows) < 40
    assert b"export interrupted after" in stderr
    assert not _exists(target)
