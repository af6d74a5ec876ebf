"""Schema download against the emulator, its introspection modes and the CLI."""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import graphql
import pytest
from graphql import (
    DefinitionNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    graphql_sync,
    parse,
)
from graphql.pyutils import natural_comparison_key

from sage_dmo import AuthenticationError, ConfigurationError, SageDMOClient, Secret
from sage_dmo._cli_schema import add_parser, run
from sage_dmo._errors import (
    IntrospectionDisabledError,
    InvalidIntrospectionError,
    SchemaDownloadError,
)
from sage_dmo._schema_download import DownloadResult, download_schema
from sage_dmo._schema_introspection import (
    FEATURES,
    PROBE_QUERY,
    build_introspection_query,
    features_from_probe,
)
from sage_dmo._schema_load import clear_schema_cache, load_schema, schema_cache_stats
from sage_dmo.emulator import Emulator
from sage_dmo.emulator._faults import Fault
from sage_dmo.emulator._full_schema import generate_full_schema_sdl
from sage_dmo.emulator._introspection import (
    INTROSPECTION_DISABLED_MESSAGE,
    check_introspection,
    parse_introspection_mode,
)

from .conftest import StartEmulator

MakeClient = Callable[..., SageDMOClient]

# graphql-core 3.2 has no __Type.isOneOf, so an emulator on it never offers it.
_TYPE_FIELDS = getattr(graphql.introspection_types["__Type"], "fields", {})
SERVER_FEATURES = frozenset(
    feature for feature in FEATURES if feature != "isOneOf" or "isOneOf" in _TYPE_FIELDS
)


def _file_bytes(result: DownloadResult) -> dict[str, bytes]:
    return {
        path.name: path.read_bytes()
        for path in (result.sdl_path, result.json_path, result.meta_path)
    }


def _meta(result: DownloadResult) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(result.meta_path.read_text(encoding="utf-8"))
    return meta


async def test_redownload_is_byte_identical(
    make_client: MakeClient, tmp_path: Path
) -> None:
    """Two downloads of one schema write the same .graphql and .json bytes."""
    first = await download_schema(make_client(), tmp_path / "a", "tenant")
    second = await download_schema(make_client(), tmp_path / "b", "tenant")
    assert first.sdl_path.read_bytes() == second.sdl_path.read_bytes()
    assert first.json_path.read_bytes() == second.json_path.read_bytes()


async def test_meta_records_server_and_hashes(
    emulator: Emulator, make_client: MakeClient, tmp_path: Path
) -> None:
    """The meta file names the server, tenant and features and hashes both files."""
    result = await download_schema(make_client(), tmp_path, "tenant")
    meta = _meta(result)
    assert meta["serverUrl"] == emulator.graphql_url
    assert meta["tenantId"] == emulator.config.tenant_id
    assert meta["introspection"]["features"] == sorted(SERVER_FEATURES)
    assert meta["typeCount"] == result.type_count
    assert meta["downloadedAt"].endswith("Z")
    for path in (result.sdl_path, result.json_path):
        content = path.read_bytes()
        assert meta["files"][path.name]["sha256"] == hashlib.sha256(content).hexdigest()
        assert meta["files"][path.name]["bytes"] == len(content)


async def test_json_is_introspection_result(
    make_client: MakeClient, tmp_path: Path
) -> None:
    """NAME.json contains {"data": {"__schema": ...}}, indented by two spaces."""
    result = await download_schema(make_client(), tmp_path, "tenant")
    text = result.json_path.read_text(encoding="utf-8")
    parsed = json.loads(text)
    assert list(parsed) == ["data"]
    assert list(parsed["data"]) == ["__schema"]
    assert text.startswith('{\n  "data": {\n    "__schema": {')
    assert text.endswith("}\n")


def _names(definitions: list[Any]) -> list[str]:
    return [definition.name.value for definition in definitions]


def _sorted(names: list[str]) -> bool:
    return names == sorted(names, key=natural_comparison_key)


async def test_sdl_is_sorted(make_client: MakeClient, tmp_path: Path) -> None:
    """Types, fields, arguments and enum values appear in sorted order."""
    result = await download_schema(make_client(), tmp_path, "tenant")
    document = parse(result.sdl_path.read_text(encoding="utf-8"))
    types: list[DefinitionNode] = [
        definition
        for definition in document.definitions
        if isinstance(definition, TypeDefinitionNode)
    ]
    assert _sorted(_names(types))
    for definition in types:
        if isinstance(definition, ObjectTypeDefinitionNode):
            fields = definition.fields or ()
            assert _sorted(_names(list(fields))), definition.name.value
            for field in fields:
                assert _sorted(_names(list(field.arguments or ()))), field.name.value
        if isinstance(definition, InputObjectTypeDefinitionNode):
            inputs = definition.fields or ()
            assert _sorted(_names(list(inputs))), definition.name.value
        if isinstance(definition, EnumTypeDefinitionNode):
            values = definition.values or ()
            assert _sorted(_names(list(values))), definition.name.value


async def test_files_hold_no_secrets(
    emulator: Emulator, make_client: MakeClient, tmp_path: Path
) -> None:
    """Neither the files nor the progress lines contain the secret or a token."""
    lines: list[str] = []
    async with make_client() as client:
        current = client.transport.token_manager.current
        assert current is not None
        assert current.refresh_token is not None
        secrets = {
            "client secret": emulator.config.client_secret,
            "access token": current.access_token.reveal(),
            "refresh token": current.refresh_token.reveal(),
        }
        result = await download_schema(
            client, tmp_path, "tenant", progress=lines.append
        )
    for name, content in _file_bytes(result).items():
        for label, secret in secrets.items():
            assert secret.encode() not in content, f"{label} in {name}"
    for label, secret in secrets.items():
        assert secret not in "\n".join(lines), f"{label} in the progress"


async def test_progress_reports_types_and_files(
    make_client: MakeClient, tmp_path: Path
) -> None:
    """Progress names the probe, the types received and each file written."""
    lines: list[str] = []
    result = await download_schema(
        make_client(), tmp_path, "tenant", progress=lines.append
    )
    assert lines[0].startswith("probing the introspection features")
    assert any(line.startswith(f"received {result.type_count} types") for line in lines)
    assert any(line.startswith(f"wrote {result.sdl_path}") for line in lines)
    assert lines[-1] == f"wrote {result.meta_path}"


async def test_open_client_stays_open(make_client: MakeClient, tmp_path: Path) -> None:
    """A client opened by the caller is still usable after the download."""
    async with make_client() as client:
        await download_schema(client, tmp_path, "tenant")
        data = await client.execute("{ xtremSystem { __typename } }")
    assert data == {"xtremSystem": {"__typename": "XtremSystem"}}


async def test_invalid_name_rejected(make_client: MakeClient, tmp_path: Path) -> None:
    """A name with a path separator is rejected before any request."""
    with pytest.raises(ConfigurationError, match=r"schema name '\.\./x' is invalid"):
        await download_schema(make_client(), tmp_path, "../x")


@pytest.mark.parametrize(
    "mode",
    [
        "legacy",
        "legacy:specifiedByURL",
        "legacy:isRepeatable",
        "legacy:inputValueDeprecation",
        "legacy:schemaDescription",
        "legacy:isOneOf",
        "legacy:isOneOf,specifiedByURL",
    ],
)
async def test_legacy_mode_downloads_supported_features(
    start_emulator: StartEmulator, tmp_path: Path, mode: str
) -> None:
    """A legacy server gives the same SDL, and the meta file lists what it has."""
    full = await start_emulator()
    legacy = await start_emulator(introspection=mode)
    expected = SERVER_FEATURES - parse_introspection_mode(mode).rejected
    reference = await download_schema(
        SageDMOClient(full.settings()), tmp_path / "full", "tenant"
    )
    result = await download_schema(
        SageDMOClient(legacy.settings()), tmp_path / "legacy", "tenant"
    )
    assert set(result.features) == expected
    assert _meta(result)["introspection"]["features"] == sorted(expected)
    assert result.sdl_path.read_bytes() == reference.sdl_path.read_bytes()


async def test_rejected_feature_dropped_and_retried(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """When the probe claims a feature the full query loses, the query is resent."""
    legacy = await start_emulator(introspection="legacy:isRepeatable")
    claimed = graphql_sync(legacy.tenant.schema, PROBE_QUERY).data
    assert claimed is not None
    body = json.dumps({"data": claimed})
    legacy.faults.queue(
        Fault("status", status=200, body=body, content_type="application/json")
    )
    lines: list[str] = []
    result = await download_schema(
        SageDMOClient(legacy.settings()), tmp_path, "tenant", progress=lines.append
    )
    assert "isRepeatable" not in result.features
    assert "the server rejects isRepeatable; requesting the schema without it" in lines


async def test_disabled_introspection_clear_error(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """A server that rejects introspection gives IntrospectionDisabledError."""
    emulator = await start_emulator(introspection="disabled")
    with pytest.raises(IntrospectionDisabledError) as caught:
        await download_schema(SageDMOClient(emulator.settings()), tmp_path, "tenant")
    message = str(caught.value)
    assert "rejects introspection" in message
    assert INTROSPECTION_DISABLED_MESSAGE in caught.value.messages
    assert "administrator" in message
    assert not list(tmp_path.iterdir())


def _full_result(emulator: Emulator) -> dict[str, Any]:
    schema = emulator.tenant.schema
    probe = graphql_sync(schema, PROBE_QUERY).data
    assert probe is not None
    query = build_introspection_query(features_from_probe(probe))
    data = graphql_sync(schema, query).data
    assert data is not None
    return data


def _type_entry(data: dict[str, Any], name: str) -> dict[str, Any]:
    for entry in data["__schema"]["types"]:
        if entry["name"] == name:
            found: dict[str, Any] = entry
            return found
    raise LookupError(name)


def _null_fields(data: dict[str, Any]) -> None:
    _type_entry(data, "Item")["fields"] = None


def _null_name(data: dict[str, Any]) -> None:
    _type_entry(data, "Item")["name"] = None


def _cut_of_type(data: dict[str, Any]) -> None:
    for field in _type_entry(data, "Item")["fields"]:
        if field["name"] == "id":
            field["type"]["ofType"] = None


def _null_schema(data: dict[str, Any]) -> None:
    data["__schema"] = None


@pytest.mark.parametrize(
    ("breaks", "expected", "type_name", "field_name"),
    [
        (_null_fields, "fields is null, expected a list", "Item", None),
        (_null_name, "a type has no name (kind OBJECT)", None, None),
        (_cut_of_type, "the type reference is null", "Item", "id"),
        (_null_schema, "no data.__schema object", None, None),
    ],
)
async def test_nonconforming_result_clear_error(
    emulator: Emulator,
    make_client: MakeClient,
    tmp_path: Path,
    breaks: Callable[[dict[str, Any]], None],
    expected: str,
    type_name: str | None,
    field_name: str | None,
) -> None:
    """Nulls where the format forbids them give an error naming type and field."""
    probe = graphql_sync(emulator.tenant.schema, PROBE_QUERY).data
    broken = copy.deepcopy(_full_result(emulator))
    breaks(broken)
    for data in (probe, broken):
        body = json.dumps({"data": data})
        emulator.faults.queue(
            Fault("status", status=200, body=body, content_type="application/json")
        )
    with pytest.raises(InvalidIntrospectionError) as caught:
        await download_schema(make_client(), tmp_path, "tenant")
    assert expected in str(caught.value)
    assert caught.value.type_name == type_name
    assert caught.value.field_name == field_name
    assert not list(tmp_path.glob("tenant.*"))


async def test_wrong_secret_clear_error(emulator: Emulator, tmp_path: Path) -> None:
    """Rejected credentials give SchemaDownloadError caused by AuthenticationError."""
    settings = replace(emulator.settings(), client_secret=Secret("wrong-secret"))
    with pytest.raises(
        SchemaDownloadError, match="credentials were rejected"
    ) as caught:
        await download_schema(SageDMOClient(settings), tmp_path, "tenant")
    assert isinstance(caught.value.__cause__, AuthenticationError)
    assert "wrong-secret" not in str(caught.value)


async def test_timeout_clear_error(
    emulator: Emulator, make_client: MakeClient, tmp_path: Path
) -> None:
    """A response slower than the client's timeout gives an error naming --timeout."""
    emulator.faults.queue(Fault("delay", delay=1.0), times=8)
    with pytest.raises(SchemaDownloadError, match="timed out") as caught:
        await download_schema(make_client(timeout=0.2), tmp_path, "tenant")
    assert "--timeout" in str(caught.value)


def test_check_introspection_messages() -> None:
    """Legacy modes reject new fields and arguments with graphql-core's wording."""
    cases = {
        '{ __type(name: "Item") { specifiedByURL } }': (
            "legacy:specifiedByURL",
            "Cannot query field 'specifiedByURL' on type '__Type'.",
        ),
        "{ __schema { directives { isRepeatable } } }": (
            "legacy",
            "Cannot query field 'isRepeatable' on type '__Directive'.",
        ),
        "{ __schema { description } }": (
            "legacy:schemaDescription",
            "Cannot query field 'description' on type '__Schema'.",
        ),
        '{ __type(name: "Item") { inputFields(includeDeprecated: true) { name } } }': (
            "legacy:inputValueDeprecation",
            "Unknown argument 'includeDeprecated' on field '__Type.inputFields'.",
        ),
    }
    for query, (mode, message) in cases.items():
        assert check_introspection(query, mode) == message


def test_check_introspection_accepts_others() -> None:
    """Full mode accepts all; disabled accepts __typename and data queries."""
    assert check_introspection("{ __schema { description } }", "full") is None
    assert check_introspection("{ __typename }", "disabled") is None
    assert check_introspection("{ xtremSales { __typename } }", "disabled") is None
    assert check_introspection("{ __schema { types { name } } }", "legacy") is None


def test_check_introspection_rejects_when_disabled() -> None:
    """Disabled mode rejects __type anywhere, also inside a fragment."""
    query = 'query { ...F } fragment F on Query { __type(name: "Item") { name } }'
    assert check_introspection(query, "disabled") == INTROSPECTION_DISABLED_MESSAGE


@pytest.mark.parametrize("mode", ["partial", "legacy:", "legacy:isFancy"])
def test_invalid_mode_rejected(mode: str) -> None:
    """An unknown mode or feature raises ConfigurationError naming the choices."""
    with pytest.raises(ConfigurationError, match="specifiedByURL"):
        parse_introspection_mode(mode)


def test_full_schema_sdl_is_deterministic() -> None:
    """The same arguments give the same SDL; another seed gives another."""
    first = generate_full_schema_sdl(packages=3, nodes_per_package=5, seed=1)
    again = generate_full_schema_sdl(packages=3, nodes_per_package=5, seed=1)
    other = generate_full_schema_sdl(packages=3, nodes_per_package=5, seed=2)
    assert first == again
    assert first != other
    schema = graphql.build_schema(first)
    assert not graphql.validate_schema(schema)


async def _cli(argv: list[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="sage-dmo")
    add_parser(parser.add_subparsers(dest="command", required=True))
    out, err = io.StringIO(), io.StringIO()
    status = await run(parser.parse_args(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def _connection(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("SAGE_DMO_CLIENT_SECRET", emulator.config.client_secret)
    return [
        "--token-url",
        emulator.token_url,
        "--client-id",
        emulator.config.client_id,
        "--tenant-id",
        emulator.config.tenant_id,
    ]


async def test_cli_download_writes_files(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """schema download exits 0, lists the files and reports progress on stderr."""
    options = _connection(emulator, monkeypatch)
    argv = ["schema", "download", "--out", str(tmp_path), *options]
    status, out, err = await _cli(argv)
    assert status == 0, err
    sdl = tmp_path / f"{emulator.config.tenant_id}.graphql"
    assert out.splitlines()[0] == str(sdl)
    assert sdl.exists()
    assert "probing the introspection features" in err


async def test_cli_disabled_introspection_exits_1(
    start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server that rejects introspection is a failed operation: exit status 1."""
    emulator = await start_emulator(introspection="disabled")
    options = _connection(emulator, monkeypatch)
    argv = ["schema", "download", "--quiet", "--out", str(tmp_path), *options]
    status, out, err = await _cli(argv)
    assert status == 1
    assert "rejects introspection" in err
    assert out == ""


async def test_cli_invalid_name_exits_2(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An invalid --name is a usage error: exit status 2, nothing sent."""
    options = _connection(emulator, monkeypatch)
    argv = ["schema", "download", "--name", "a/b", "--out", str(tmp_path), *options]
    status, _, err = await _cli(argv)
    assert status == 2
    assert "--name 'a/b' is invalid" in err


async def test_full_size_schema_downloads_and_loads(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    """An SDMO-scale schema downloads, loads cold and warm, and validates queries."""
    emulator = await start_emulator(schema_size="full")
    client = SageDMOClient(emulator.settings(), timeout=600)
    result = await download_schema(client, tmp_path, "full")
    assert result.type_count > 8000
    cache = tmp_path / "cache"
    before = schema_cache_stats()
    cold = load_schema(result.json_path, cache_dir=cache)
    clear_schema_cache()
    warm = load_schema(result.json_path, cache_dir=cache)
    after = schema_cache_stats()
    assert after.builds == before.builds + 1
    assert after.disk_hits == before.disk_hits + 1
    assert graphql.print_schema(warm) == graphql.print_schema(cold)
    package = next(iter(warm.query_type.fields)) if warm.query_type else ""
    query = f"{{ {package} {{ __typename }} }}"
    assert not graphql.validate(warm, parse(query))
