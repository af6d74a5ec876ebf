"""ariadne-codegen clients generated from a downloaded schema, run through sage_dmo.

ariadne-codegen 0.19.0 requires graphql-core >=3.2.7,<3.3, which neither test
environment has, so it runs from its own virtual environment in .venv-codegen/
at the repository root: created from PyPI on first use, then reused.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sage_dmo import (
    ClientStateError,
    GraphQLResponseError,
    SageDMOClient,
    Settings,
)
from sage_dmo._schema_download import DownloadResult, download_schema
from sage_dmo.codegen import SageDMOBaseClient
from sage_dmo.emulator import Emulator, EmulatorThread, ManualClock

from .conftest import SITES_QUERY

REPO_ROOT = Path(__file__).resolve().parent.parent
GUIDE = REPO_ROOT / "docs" / "codegen.md"
CODEGEN_VENV = REPO_ROOT / ".venv-codegen"
CODEGEN_VERSION = "0.19.0"
SCHEMA_NAME = "sdmo"
PACKAGE = "sdmo_client"
"""Must match ``target_package_name`` in the guide's configuration."""

INSTALL_TIMEOUT = 600.0
GENERATE_TIMEOUT = 300.0

ITEMS_QUERY = """
query ListItems($filter: String, $first: Int, $after: String) {
  xtremMasterData {
    item {
      query(filter: $filter, orderBy: "{id: 1}", first: $first, after: $after) {
        totalCount
        pageInfo { endCursor hasNextPage }
        edges {
          node {
            recordId: _id
            id
            name
            type
            basePrice
            _createStamp
            stockUnit { id }
          }
        }
      }
    }
  }
}
"""
READ_ITEM_QUERY = """
query ReadItem($id: Id!) {
  xtremMasterData {
    item { read(_id: $id) { recordId: _id id name status basePrice weight } }
  }
}
"""
CREATE_ORDER_MUTATION = """
mutation CreateSalesOrder($data: SalesOrder_Input!) {
  xtremSales {
    salesOrder {
      create(data: $data) {
        recordId: _id
        number
        status
        orderDate
        requestedDeliveryDate
        soldToCustomer { id }
        lines {
          query {
            edges {
              node {
                _sortValue
                item { id }
                quantityInSalesUnit
                grossPrice
                amountExcludingTax
              }
            }
          }
        }
      }
    }
  }
}
"""
QUERY_FILES = {
    "items.graphql": ITEMS_QUERY + READ_ITEM_QUERY,
    "orders.graphql": CREATE_ORDER_MUTATION,
}
ACTIVE = "{isActive: true}"


# --- generation, once per module ----------------------------------------------


def run_command(
    command: list[str], timeout: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` and return its exit status and output, without raising."""
    # The commands are fixed: Python interpreters of this run and of the
    # codegen venv, running venv, pip or ariadne_codegen.
    return subprocess.run(  # noqa: S603
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def venv_python(venv: Path) -> Path:
    """Return the interpreter of a virtual environment."""
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def codegen_version(python: Path) -> str | None:
    """Return the ariadne-codegen version installed for ``python``, if any."""
    if not python.exists():
        return None
    probe = run_command([str(python), "-m", "ariadne_codegen", "--version"], 60)
    if probe.returncode != 0:
        return None
    match = re.search(r"version (\S+)", probe.stdout)
    return match.group(1) if match else None


def codegen_python() -> Path:
    """Return the interpreter of .venv-codegen, creating the venv when needed.

    A new venv is built under a temporary name and renamed into place, so an
    interrupted install never leaves a half-built .venv-codegen behind.
    """
    python = venv_python(CODEGEN_VENV)
    if codegen_version(python) == CODEGEN_VERSION:
        return python
    building = CODEGEN_VENV.with_name(f"{CODEGEN_VENV.name}.{os.getpid()}.tmp")
    shutil.rmtree(building, ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", str(building)],
        [
            str(venv_python(building)),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"ariadne-codegen=={CODEGEN_VERSION}",
        ],
    ]
    for command in steps:
        done = run_command(command, INSTALL_TIMEOUT)
        if done.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            pytest.fail(
                f"creating {CODEGEN_VENV} failed at {' '.join(command)!r} with exit "
                f"status {done.returncode}; pip needs access to PyPI:\n"
                f"{done.stdout}\n{done.stderr}"
            )
    shutil.rmtree(CODEGEN_VENV, ignore_errors=True)
    try:
        building.rename(CODEGEN_VENV)
    except OSError:
        # Another test run renamed its own venv into place first: use that one.
        shutil.rmtree(building, ignore_errors=True)
    return python


def fenced_block(text: str, language: str, marker: str) -> str:
    """Return the first ```language block of ``text`` that contains ``marker``."""
    for match in re.finditer(rf"```{language}\n(.*?)```", text, re.DOTALL):
        if marker in match.group(1):
            return match.group(1)
    raise AssertionError(f"{GUIDE} has no {language} block containing {marker!r}")


async def download_emulator_schema(settings: Settings, folder: Path) -> DownloadResult:
    """Download the schema that ``settings`` reach into ``folder``."""
    return await download_schema(SageDMOClient(settings), folder, SCHEMA_NAME)


def write_project(project: Path) -> None:
    """Write the guide's configuration and base class, and the test's queries."""
    guide = GUIDE.read_text(encoding="utf-8")
    config = fenced_block(guide, "toml", "[tool.ariadne-codegen]")
    base_client = fenced_block(guide, "python", "class SDMOBaseClient(")
    (project / "pyproject.toml").write_text(config, encoding="utf-8")
    (project / "sdmo_base_client.py").write_text(base_client, encoding="utf-8")
    queries = project / "queries"
    queries.mkdir()
    for name, text in QUERY_FILES.items():
        (queries / name).write_text(text, encoding="utf-8")


def forget_package() -> None:
    """Remove the generated package and its modules from ``sys.modules``."""
    for name in list(sys.modules):
        if name == PACKAGE or name.startswith(f"{PACKAGE}."):
            del sys.modules[name]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package that ariadne-codegen generates from the emulator's schema."""
    if importlib.util.find_spec("pydantic") is None:
        pytest.fail(
            "pydantic is missing from the test environment, and the generated "
            "package imports it; install it with pip install -e '.[test]'"
        )
    python = codegen_python()
    project = tmp_path_factory.mktemp("codegen")
    # The download runs in a thread of its own so that its event loop cannot
    # disturb the loops that pytest-asyncio manages.
    with EmulatorThread(rows=5) as server, ThreadPoolExecutor(max_workers=1) as pool:
        download = download_emulator_schema(server.settings(), project / "schema")
        pool.submit(asyncio.run, download).result()
    write_project(project)
    done = run_command(
        [str(python), "-m", "ariadne_codegen", "client"], GENERATE_TIMEOUT, project
    )
    if done.returncode != 0:
        pytest.fail(
            f"ariadne-codegen failed with exit status {done.returncode}:\n"
            f"{done.stdout}\n{done.stderr}"
        )
    forget_package()
    sys.path.insert(0, str(project))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(project))
        forget_package()


@pytest.fixture
def make_generated(
    generated: ModuleType, emulator: Emulator, clock: ManualClock
) -> Callable[..., Any]:
    """Build generated clients for ``emulator`` on the shared manual clock."""

    def make(**options: Any) -> Any:
        options.setdefault("clock", clock.monotonic)
        return generated.Client(emulator.settings(), **options)

    return make


def tenant_data(
    emulator: Emulator, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """Run ``query`` on the tenant directly, bypassing HTTP and tokens."""
    result: dict[str, Any] = emulator.tenant.execute(query, variables, None)
    assert "errors" not in result
    data: dict[str, Any] = result["data"]
    return data


def package_folder(package: ModuleType) -> Path:
    """Return the folder of an imported package."""
    assert package.__file__ is not None
    return Path(package.__file__).parent


def parse_datetime(text: str) -> datetime:
    """Parse SDMO's ``...Z`` date-time text on every supported Python."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- the generated code -------------------------------------------------------


def test_client_extends_sage_dmo_base(generated: ModuleType) -> None:
    """The generated Client inherits SageDMOBaseClient through the guide's file."""
    assert issubclass(generated.Client, SageDMOBaseClient)


def test_generated_from_downloaded_schema(generated: ModuleType) -> None:
    """The generated types name the downloaded SDL file as their source."""
    folder = package_folder(generated)
    header = (folder / "input_types.py").read_text(encoding="utf-8")[:200]
    assert f"# Source: schema/{SCHEMA_NAME}.graphql" in header


def test_generated_imports_pydantic_and_stdlib(generated: ModuleType) -> None:
    """Generated modules import only the stdlib, pydantic and sage_dmo."""
    folder = package_folder(generated)
    imported: set[str] = set()
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add((node.module or "").split(".")[0])
    third_party = imported - set(sys.stdlib_module_names)
    assert third_party == {"pydantic", "sage_dmo"}


# --- the generated client against the emulator ---------------------------------


async def test_paged_query_returns_typed_models(
    generated: ModuleType, make_generated: Callable[..., Any], emulator: Emulator
) -> None:
    """Two pages through after= match the tenant's rows, as exact Python types."""
    async with make_generated() as client:
        first = await client.list_items(filter_=ACTIVE, first=3)
        cursor = first.xtrem_master_data.item.query.page_info.end_cursor
        second = await client.list_items(filter_=ACTIVE, first=3, after=cursor)
    expected = tenant_data(emulator, ITEMS_QUERY, {"filter": ACTIVE, "first": 6})
    rows = [
        edge["node"] for edge in expected["xtremMasterData"]["item"]["query"]["edges"]
    ]
    pages = [first.xtrem_master_data.item.query, second.xtrem_master_data.item.query]
    nodes = [edge.node for page in pages for edge in page.edges]
    total = expected["xtremMasterData"]["item"]["query"]["totalCount"]

    assert isinstance(first, generated.ListItems)
    assert pages[0].total_count == total
    assert pages[0].page_info.has_next_page is True
    assert [node.id for node in nodes] == [row["id"] for row in rows]
    assert [node.record_id for node in nodes] == [row["recordId"] for row in rows]
    assert [node.base_price for node in nodes] == [
        Decimal(row["basePrice"]) for row in rows
    ]
    assert all(isinstance(node.base_price, Decimal) for node in nodes)
    assert nodes[0].create_stamp == parse_datetime(rows[0]["_createStamp"])
    assert nodes[0].create_stamp.utcoffset() is not None
    assert nodes[0].type_ is generated.ItemType(rows[0]["type"])
    assert nodes[0].stock_unit.id == rows[0]["stockUnit"]["id"]


async def test_read_by_natural_key(
    generated: ModuleType, make_generated: Callable[..., Any], emulator: Emulator
) -> None:
    """read(_id: "#key") returns the item as a typed model, or None when missing."""
    async with make_generated() as client:
        found = await client.read_item(id="#ITM000002")
        missing = await client.read_item(id="#NO-SUCH-ITEM")
    expected = tenant_data(emulator, READ_ITEM_QUERY, {"id": "#ITM000002"})
    row = expected["xtremMasterData"]["item"]["read"]
    item = found.xtrem_master_data.item.read

    assert item.id == "ITM000002"
    assert item.record_id == row["recordId"]
    assert item.name == row["name"]
    assert item.status is generated.ItemStatus(row["status"])
    assert item.weight == Decimal(row["weight"])
    assert missing.xtrem_master_data.item.read is None


async def test_create_order_with_lines(
    generated: ModuleType,
    make_generated: Callable[..., Any],
    emulator: Emulator,
    clock: ManualClock,
) -> None:
    """A create mutation with input models sends exact values and parses the order."""
    order = generated.SalesOrder_Input(
        sold_to_customer="#BE000003",
        site="#S01",
        requested_delivery_date=date(2026, 2, 2),
        lines=[
            generated.SalesOrderLine_Input(
                item="#ITM000001",
                quantity_in_sales_unit=Decimal("3"),
                gross_price=Decimal("19.99"),
            ),
            generated.SalesOrderLine_Input(
                item="#ITM000002",
                quantity_in_sales_unit=Decimal("0.5"),
                gross_price=Decimal("10.10"),
            ),
        ],
    )
    async with make_generated() as client:
        result = await client.create_sales_order(data=order)
    created = result.xtrem_sales.sales_order.create
    lines = [edge.node for edge in created.lines.query.edges]
    sent = emulator.ledger[-1].variables["data"]

    assert created.number.startswith("SO")
    assert created.status is generated.SalesOrderStatus.pending
    assert created.order_date == clock.now().date()
    assert created.requested_delivery_date == date(2026, 2, 2)
    assert created.sold_to_customer.id == "BE000003"
    assert [line.item.id for line in lines] == ["ITM000001", "ITM000002"]
    assert [line.amount_excluding_tax for line in lines] == [
        Decimal("59.97"),
        Decimal("5.05"),
    ]
    assert sorted(sent) == ["lines", "requestedDeliveryDate", "site", "soldToCustomer"]
    assert sent["requestedDeliveryDate"] == "2026-02-02"
    assert sent["lines"][1] == {
        "item": "#ITM000002",
        "quantityInSalesUnit": "0.5",
        "grossPrice": "10.10",
    }


async def test_graphql_error_raises_response_error(
    generated: ModuleType, make_generated: Callable[..., Any]
) -> None:
    """A reference to a missing item raises GraphQLResponseError with SDMO's code."""
    order = generated.SalesOrder_Input(
        sold_to_customer="#BE000003",
        site="#S01",
        lines=[generated.SalesOrderLine_Input(item="#NO-SUCH-ITEM")],
    )
    async with make_generated() as client:
        with pytest.raises(GraphQLResponseError) as caught:
            await client.create_sales_order(data=order)
    assert caught.value.codes == ["data-input-error"]
    assert "Record not found: #NO-SUCH-ITEM" in str(caught.value)


# --- the token lifecycle ------------------------------------------------------


async def test_one_token_per_client(
    make_generated: Callable[..., Any], emulator: Emulator
) -> None:
    """A generated client acquires one token and invalidates it on close."""
    async with make_generated() as client:
        await client.list_items(filter_=ACTIVE, first=2)
        await client.read_item(id="#ITM000001")
        invalidations_while_open = emulator.counters.invalidations
    assert invalidations_while_open == 0
    assert emulator.counters.acquisitions == 1
    assert emulator.counters.renewals == 0
    assert emulator.counters.invalidations == 1


async def test_forced_expiry_renews_once(
    make_generated: Callable[..., Any], emulator: Emulator, clock: ManualClock
) -> None:
    """Past the renewal point the next request renews the token once."""
    async with make_generated() as client:
        await client.read_item(id="#ITM000001")
        clock.advance(880)
        await client.read_item(id="#ITM000002")
        await client.read_item(id="#ITM000003")
    assert emulator.counters.renewals == 1
    assert emulator.counters.acquisitions == 1
    assert emulator.counters.graphql_requests[401] == 0
    assert emulator.counters.invalidations == 1


async def test_shared_client_stays_open(
    generated: ModuleType, emulator: Emulator, clock: ManualClock
) -> None:
    """With client= the generated client uses that token and leaves it open."""
    async with SageDMOClient(emulator.settings(), clock=clock.monotonic) as shared:
        async with generated.Client(client=shared) as client:
            await client.read_item(id="#ITM000001")
        invalidations_after_generated = emulator.counters.invalidations
        await shared.execute(SITES_QUERY)
    assert invalidations_after_generated == 0
    assert emulator.counters.acquisitions == 1
    assert emulator.counters.invalidations == 1


# --- misuse ----------------------------------------------------------------------


async def test_extra_keyword_argument_rejected(
    make_generated: Callable[..., Any],
) -> None:
    """A keyword that ariadne-codegen would pass to httpx raises TypeError."""
    async with make_generated() as client:
        with pytest.raises(TypeError, match="timeout"):
            await client.read_item(id="#ITM000001", timeout=5)


async def test_use_before_open_raises(make_generated: Callable[..., Any]) -> None:
    """Calling a method outside 'async with' raises ClientStateError."""
    client = make_generated()
    with pytest.raises(ClientStateError):
        await client.read_item(id="#ITM000001")


async def test_client_and_settings_rejected(
    generated: ModuleType, emulator: Emulator
) -> None:
    """Passing both client= and settings raises TypeError."""
    shared = SageDMOClient(emulator.settings())
    with pytest.raises(TypeError, match="client="):
        generated.Client(emulator.settings(), client=shared)
