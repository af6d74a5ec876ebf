"""The sage-dmo command, run in-process and, for the server, as a subprocess."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from sage_dmo._cli import main, parse_variables
from sage_dmo.emulator import Emulator

SITES_BY_ID = """
query Sites($first: Int) {
  xtremSystem { site { query(first: $first) { totalCount edges { node { id } } } } }
}
"""


@pytest.fixture
def emulator_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The SAGE_DMO_* variables point at the test's emulator."""
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    return emulator


async def _run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = await main(list(argv), out=out, err=err, stdin=io.StringIO(stdin))
    return status, out.getvalue(), err.getvalue()


def test_parse_variables_string_and_json() -> None:
    """NAME=VALUE gives a string and NAME:=JSON a decoded value."""
    variables = parse_variables(["id=123", "first:=5", "filter={a: 1}"])
    assert variables == {"id": "123", "first": 5, "filter": "{a: 1}"}


def test_parse_variables_rejects_bad_json() -> None:
    """NAME:=JSON with invalid JSON is a usage error naming the item."""
    from sage_dmo._cli import UsageError

    with pytest.raises(UsageError, match="first:=five"):
        parse_variables(["first:=five"])


async def test_query_file_prints_json_answer(
    emulator_env: Emulator, tmp_path: Path
) -> None:
    """sage-dmo query FILE prints the whole response as JSON and exits 0."""
    path = tmp_path / "sites.graphql"
    path.write_text(SITES_BY_ID, encoding="utf-8")
    status, out, err = await _run("query", str(path), "--var", "first:=2")
    assert status == 0, err
    printed = json.loads(out)
    assert len(printed["data"]["xtremSystem"]["site"]["query"]["edges"]) == 2
    assert printed["extensions"]["diagnoses"] == []


async def test_query_reads_standard_input(emulator_env: Emulator) -> None:
    """'-' reads the document from standard input."""
    status, out, _ = await _run("query", "-", stdin="{ __typename }")
    assert status == 0
    assert json.loads(out)["data"] == {"__typename": "Query"}


async def test_query_with_errors_exits_1(emulator_env: Emulator) -> None:
    """A response with GraphQL errors is printed and the exit status is 1."""
    status, out, _ = await _run("query", "-", stdin="{ noSuchField }")
    assert status == 1
    assert json.loads(out)["errors"]


async def test_query_syntax_error_exits_2(emulator_env: Emulator) -> None:
    """A document that does not parse is a usage error with its location."""
    status, _, err = await _run("query", "-", stdin="{ unclosed")
    assert status == 2
    assert "1:" in err


async def test_missing_file_exits_2(emulator_env: Emulator, tmp_path: Path) -> None:
    """A missing query file is reported with its path."""
    missing = tmp_path / "absent.graphql"
    status, _, err = await _run("query", str(missing))
    assert status == 2
    assert "absent.graphql" in err


async def test_missing_settings_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without credentials the command names the missing variables."""
    for name in list(os.environ):
        if name.startswith("SAGE_DMO_"):
            monkeypatch.delenv(name)
    status, _, err = await _run("query", "-", stdin="{ __typename }")
    assert status == 2
    assert "SAGE_DMO_CLIENT_SECRET" in err


async def test_token_command_hides_tokens(emulator_env: Emulator) -> None:
    """sage-dmo token shows the tenant URL and no token, then invalidates."""
    status, out, _ = await _run("token")
    assert status == 0
    assert emulator_env.graphql_url in out
    for token in emulator_env.tokens.issued_tokens():
        assert token not in out
    assert emulator_env.counters.invalidations == 1


async def test_emulator_command_serves_until_interrupted(tmp_path: Path) -> None:
    """sage-dmo emulator prints its URLs, issues tokens and stops on SIGINT."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sage_dmo",
        "emulator",
        "--port",
        "0",
        "--rows",
        "20",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stdout.readline(), 60)
        assert first.startswith(b"SDMO emulator listening on http://127.0.0.1:")
        base_url = first.decode().split()[-1]
        import aiohttp

        body = {
            "clientId": "emulator-client",
            "clientSecret": "emulator-secret",
            "tenantId": "emulator-tenant",
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{base_url}/v1/token", json=body) as response,
        ):
            assert response.status == 200
            tokens = await response.json()
        assert tokens["urls"]["graphQl"].startswith(base_url)
    finally:
        process.send_signal(signal.SIGINT)
        status = await asyncio.wait_for(process.wait(), 30)
    assert status == 0


async def test_unknown_var_name_exits_2(emulator_env: Emulator) -> None:
    """A --var the operation does not declare is a usage error listing the names."""
    status, _, err = await _run("query", "-", "--var", "frist:=2", stdin=SITES_BY_ID)
    assert status == 2
    assert "frist" in err
    assert "$first" in err


async def test_string_for_int_var_exits_2(emulator_env: Emulator) -> None:
    """NAME=VALUE for an Int variable is a usage error that shows NAME:=VALUE."""
    status, _, err = await _run("query", "-", "--var", "first=2", stdin=SITES_BY_ID)
    assert status == 2
    assert "first:=2" in err


async def test_missing_required_var_exits_2(emulator_env: Emulator) -> None:
    """A required variable left out is named before anything is sent."""
    text = "query One($id: Id!) { xtremSystem { site { read(_id: $id) { id } } } }"
    status, _, err = await _run("query", "-", stdin=text)
    assert status == 2
    assert "$id (Id!) is required" in err
    assert sum(emulator_env.counters.graphql_requests.values()) == 0


async def test_client_secret_option_not_echoed(emulator_env: Emulator) -> None:
    """--client-secret is rejected without repeating the value given."""
    status, out, err = await _run("token", "--client-secret", "typed-secret-93")
    assert status == 2
    assert "SAGE_DMO_CLIENT_SECRET" in err
    assert "typed-secret-93" not in err + out


async def test_emulator_busy_port_exits_2(emulator: Emulator) -> None:
    """A port already in use gives one line naming the port, not a traceback."""
    status, _, err = await _run("emulator", "--port", str(emulator.port))
    assert status == 2
    assert f"127.0.0.1:{emulator.port}" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


async def test_validate_skips_schema_files(tmp_path: Path) -> None:
    """Schema files in the validated tree are skipped, not reported as errors."""
    schema = Path(__file__).parent.parent / "schema" / "emulator.graphql"
    (tmp_path / "copy.graphql").write_text(
        schema.read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "sites.graphql").write_text(SITES_BY_ID, encoding="utf-8")
    status, _, err = await _run("validate", str(tmp_path), "--schema", str(schema))
    assert status == 0
    assert "skipped 1 schema file" in err


async def test_file_export_reports_row_count(
    emulator_env: Emulator, tmp_path: Path
) -> None:
    """An export to a file confirms how many rows it wrote, and where."""
    query = """
query Sites($first: Int, $after: String) {
  xtremSystem { site { query(first: $first, after: $after) {
    pageInfo { endCursor hasNextPage } edges { node { id } }
  } } }
}"""
    target = tmp_path / "sites.ndjson"
    status, _, err = await _run(
        "query",
        "-",
        "--all-pages",
        "--format",
        "ndjson",
        "--output",
        str(target),
        stdin=query,
    )
    rows = target.read_text(encoding="utf-8").splitlines()
    assert status == 0
    assert f"{len(rows):,} rows written to {target}" in err


async def test_schema_download_rejects_file_out(
    emulator_env: Emulator, tmp_path: Path
) -> None:
    """--out naming a file is a usage error raised before any download."""
    target = tmp_path / "taken"
    target.write_text("", encoding="utf-8")
    status, _, err = await _run("schema", "download", "--out", str(target))
    assert status == 2
    assert "is a file" in err
    assert sum(emulator_env.counters.graphql_requests.values()) == 0
