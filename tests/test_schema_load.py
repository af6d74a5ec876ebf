"""Loading schema files: SDL and introspection JSON, caches, and clear errors."""

from __future__ import annotations

import gc
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import graphql
import pytest
from graphql import GraphQLObjectType, GraphQLSchema, parse, print_schema, validate
from graphql.pyutils import Undefined

from sage_dmo import SageDMOClient
from sage_dmo._errors import SchemaFileError
from sage_dmo._schema_cache import cache_file
from sage_dmo._schema_download import DownloadResult, download_schema
from sage_dmo._schema_load import (
    clear_schema_cache,
    load_schema,
    load_schema_async,
    schema_cache_stats,
)
from sage_dmo.emulator._full_schema import generate_full_schema_sdl

MakeClient = Callable[..., SageDMOClient]

SITES_QUERY = "{ xtremSystem { site { query(first: 5) { totalCount } } } }"


@pytest.fixture(autouse=True)
def empty_memory_cache() -> None:
    """Each test starts without schemas cached in memory."""
    clear_schema_cache()


@pytest.fixture
async def downloaded(make_client: MakeClient, tmp_path: Path) -> DownloadResult:
    """The emulator's schema, downloaded into the test's folder."""
    return await download_schema(make_client(), tmp_path / "schema", "tenant")


def _field(schema: GraphQLSchema, type_name: str, field_name: str) -> object:
    type_ = schema.get_type(type_name)
    assert isinstance(type_, GraphQLObjectType)
    return type_.fields[field_name]


def test_sdl_and_json_load_same_schema(
    downloaded: DownloadResult, tmp_path: Path
) -> None:
    """The .graphql and the .json of one download describe the same schema."""
    from_sdl = load_schema(downloaded.sdl_path, cache_dir=tmp_path / "cache")
    from_json = load_schema(downloaded.json_path, cache_dir=tmp_path / "cache")
    sorted_json = graphql.lexicographic_sort_schema(from_json)
    assert print_schema(from_sdl) == print_schema(sorted_json)
    assert not validate(from_sdl, parse(SITES_QUERY))


def test_second_load_comes_from_memory(
    downloaded: DownloadResult, tmp_path: Path
) -> None:
    """Loading the same content twice returns the same schema object."""
    first = load_schema(downloaded.json_path, cache_dir=tmp_path / "cache")
    before = schema_cache_stats()
    second = load_schema(downloaded.json_path, cache_dir=tmp_path / "cache")
    assert second is first
    assert schema_cache_stats().memory_hits == before.memory_hits + 1


def test_disk_cache_serves_new_memory(
    downloaded: DownloadResult, tmp_path: Path
) -> None:
    """With memory cleared, the schema comes from the disk cache, unchanged."""
    cache = tmp_path / "cache"
    built = load_schema(downloaded.sdl_path, cache_dir=cache)
    clear_schema_cache()
    before = schema_cache_stats()
    cached = load_schema(downloaded.sdl_path, cache_dir=cache)
    assert schema_cache_stats().disk_hits == before.disk_hits + 1
    assert cached is not built
    assert print_schema(cached) == print_schema(built)
    assert not validate(cached, parse(SITES_QUERY))


def test_cached_schema_keeps_undefined_defaults(
    downloaded: DownloadResult, tmp_path: Path
) -> None:
    """An argument without a default is still graphql-core's Undefined after caching."""
    load_schema(downloaded.json_path, cache_dir=tmp_path / "cache")
    clear_schema_cache()
    cached = load_schema(downloaded.json_path, cache_dir=tmp_path / "cache")
    query = _field(cached, "Item_Operations", "query")
    first = query.args["first"]  # type: ignore[attr-defined]
    assert first.default_value is Undefined


def test_changed_content_is_built_again(
    downloaded: DownloadResult, tmp_path: Path
) -> None:
    """The cache key is the content: an edited file is built, not served stale."""
    copy = tmp_path / "copy.graphql"
    copy.write_text(downloaded.sdl_path.read_text(encoding="utf-8"), encoding="utf-8")
    load_schema(copy, cache_dir=tmp_path / "cache")
    with copy.open("a", encoding="utf-8") as file:
        file.write('\n"Added."\ntype Extra {\n  id: ID\n}\n')
    before = schema_cache_stats()
    changed = load_schema(copy, cache_dir=tmp_path / "cache")
    assert schema_cache_stats().builds == before.builds + 1
    assert changed.get_type("Extra") is not None


def test_corrupt_cache_file_is_rebuilt(
    downloaded: DownloadResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A damaged cache file is removed, logged, and the schema built again."""
    cache = tmp_path / "cache"
    load_schema(downloaded.json_path, cache_dir=cache)
    clear_schema_cache()
    (cached,) = cache.iterdir()
    cached.write_bytes(b"not a pickle")
    before = schema_cache_stats()
    with caplog.at_level(logging.WARNING, logger="sage_dmo._schema_cache"):
        schema = load_schema(downloaded.json_path, cache_dir=cache)
    assert schema_cache_stats().builds == before.builds + 1
    assert "removing unusable schema cache file" in caplog.text
    assert schema.get_type("Item") is not None


def test_writable_cache_file_is_ignored(
    downloaded: DownloadResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A cache file that other users can write is never unpickled."""
    cache = tmp_path / "cache"
    load_schema(downloaded.json_path, cache_dir=cache)
    clear_schema_cache()
    (cached,) = cache.iterdir()
    cached.chmod(0o666)
    before = schema_cache_stats()
    with caplog.at_level(logging.WARNING, logger="sage_dmo._schema_cache"):
        load_schema(downloaded.json_path, cache_dir=cache)
    assert schema_cache_stats().disk_hits == before.disk_hits
    assert "another user can write it" in caplog.text


def test_disk_cache_can_be_turned_off(
    downloaded: DownloadResult, tmp_path: Path
) -> None:
    """With disk_cache=False nothing is written to the cache folder."""
    cache = tmp_path / "cache"
    load_schema(downloaded.json_path, cache_dir=cache, disk_cache=False)
    assert not cache.exists()


def test_cache_dir_defaults_to_xdg(
    downloaded: DownloadResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without cache_dir the cache lives under $XDG_CACHE_HOME/sage-dmo/schemas."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    load_schema(downloaded.json_path)
    folder = tmp_path / "xdg" / "sage-dmo" / "schemas"
    assert len(list(folder.glob("*.pickle"))) == 1


async def test_async_load_matches_sync(
    downloaded: DownloadResult, tmp_path: Path
) -> None:
    """load_schema_async returns the schema that load_schema returns."""
    loaded = await load_schema_async(downloaded.json_path, cache_dir=tmp_path / "c")
    assert loaded is load_schema(downloaded.json_path, cache_dir=tmp_path / "c")


def test_full_size_warm_load_ten_times_faster(tmp_path: Path) -> None:
    """The disk cache loads an SDMO-scale schema in a tenth of the build time."""
    path = tmp_path / "full.graphql"
    path.write_text(generate_full_schema_sdl(), encoding="utf-8")
    cache = tmp_path / "cache"
    gc.collect()
    started = time.process_time()
    cold = load_schema(path, cache_dir=cache)
    cold_seconds = time.process_time() - started
    clear_schema_cache()
    gc.collect()
    started = time.process_time()
    warm = load_schema(path, cache_dir=cache)
    warm_seconds = time.process_time() - started
    assert len(warm.type_map) > 8000
    assert warm_seconds <= cold_seconds / 10, (cold_seconds, warm_seconds)
    field = _field(warm, "Query", "xtremSales")
    assert field is not None
    deprecated = [
        name
        for name, type_ in warm.type_map.items()
        if isinstance(type_, GraphQLObjectType)
        and any(f.deprecation_reason for f in type_.fields.values())
    ]
    assert deprecated
    assert print_schema(warm) == print_schema(cold)


def test_missing_file_names_download_command(tmp_path: Path) -> None:
    """The error for a missing file names the download command."""
    path = tmp_path / "absent.graphql"
    with pytest.raises(SchemaFileError, match="sage-dmo schema download") as caught:
        load_schema(path)
    assert caught.value.path == path


def test_sdl_syntax_error_has_position(tmp_path: Path) -> None:
    """An SDL syntax error names the file, line and column."""
    path = tmp_path / "bad.graphql"
    path.write_text("type Query {\n  id: ID\n  name String\n}\n", encoding="utf-8")
    with pytest.raises(SchemaFileError) as caught:
        load_schema(path, disk_cache=False)
    assert caught.value.line == 3
    assert caught.value.column == 8
    assert str(caught.value).startswith(f"{path}:3:8: Syntax Error")


def test_sdl_unknown_type_has_position(tmp_path: Path) -> None:
    """A reference to an undefined type is located in the file."""
    path = tmp_path / "bad.graphql"
    path.write_text("type Query {\n  item: Item\n}\n", encoding="utf-8")
    with pytest.raises(SchemaFileError, match="Unknown type 'Item'") as caught:
        load_schema(path, disk_cache=False)
    assert (caught.value.line, caught.value.column) == (2, 9)


def test_invalid_schema_rejected(tmp_path: Path) -> None:
    """A schema that parses but breaks the rules names the problem."""
    path = tmp_path / "bad.graphql"
    path.write_text("type Query\n", encoding="utf-8")
    with pytest.raises(SchemaFileError, match="must define one or more fields"):
        load_schema(path, disk_cache=False)


def test_invalid_json_has_position(tmp_path: Path) -> None:
    """Broken JSON names the file, line and column."""
    path = tmp_path / "bad.json"
    path.write_text('{\n  "data": {\n    "__schema": }\n}\n', encoding="utf-8")
    with pytest.raises(SchemaFileError, match="invalid JSON") as caught:
        load_schema(path, disk_cache=False)
    assert (caught.value.line, caught.value.column) == (3, 17)


def test_json_without_schema_rejected(tmp_path: Path) -> None:
    """A JSON file without data.__schema is rejected as such."""
    path = tmp_path / "errors.json"
    path.write_text(json.dumps({"errors": [{"message": "no"}]}), encoding="utf-8")
    with pytest.raises(SchemaFileError, match="not an introspection result"):
        load_schema(path, disk_cache=False)


def test_json_null_fields_names_type(
    downloaded: DownloadResult, tmp_path: Path
) -> None:
    """Null fields on an object type in a .json name that type."""
    document = json.loads(downloaded.json_path.read_text(encoding="utf-8"))
    for entry in document["data"]["__schema"]["types"]:
        if entry["name"] == "Site":
            entry["fields"] = None
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SchemaFileError, match="type 'Site': fields is null"):
        load_schema(path, disk_cache=False)


def test_non_utf8_file_rejected(tmp_path: Path) -> None:
    """A file that is not UTF-8 names the offset of the bad byte."""
    path = tmp_path / "latin1.graphql"
    path.write_bytes(b'"Caf\xe9"\ntype Query { id: ID }\n')
    with pytest.raises(SchemaFileError, match="offset 4"):
        load_schema(path, disk_cache=False)


def test_unknown_suffix_sniffed(downloaded: DownloadResult, tmp_path: Path) -> None:
    """A file without a known suffix is read as JSON when it starts with '{'."""
    path = tmp_path / "schema.introspection"
    path.write_bytes(downloaded.json_path.read_bytes())
    schema = load_schema(path, disk_cache=False)
    assert schema.get_type("Item") is not None


def test_cache_file_name_has_versions(tmp_path: Path) -> None:
    """Cache files are keyed by content, kind, graphql-core and Python versions."""
    name = cache_file(tmp_path, "ab" * 32, "sdl").name
    assert name.startswith("ab" * 32 + "-sdl-gql" + graphql.__version__)
    assert name.endswith(".pickle")
