"""Schema diff: classification of changes, broken documents and the CLI."""

from __future__ import annotations

import argparse
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema

from sage_dmo._cli_schema_diff import add_subparser, run
from sage_dmo._schema_diff import Change, check_documents, find_changes

REPOSITORY = Path(__file__).resolve().parent.parent
EMULATOR_SCHEMA = REPOSITORY / "sage_dmo" / "emulator" / "schema.graphql"

OLD_SDL = """
enum Status { open closed }
input Filter { name: String }
type Item { id: String name: String status: Status }
type Query { items(first: Int): [Item] item(id: String): Item }
"""


@pytest.fixture(scope="module", autouse=True)
def schema_cache_in_tmp(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Loaded schemas are cached in a temporary folder, not the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


def _changes(new_sdl: str) -> list[Change]:
    return find_changes(build_schema(OLD_SDL), build_schema(new_sdl))


def _only(changes: list[Change]) -> Change:
    assert len(changes) == 1, changes
    return changes[0]


def test_removed_field_is_breaking() -> None:
    """Removing Item.name breaks operations that select it."""
    change = _only(_changes(OLD_SDL.replace(" name: String status", " status")))
    assert change.severity == "breaking"
    assert change.kind == "FIELD_REMOVED"
    assert "Item.name" in change.description


def test_optional_argument_added_is_safe() -> None:
    """An argument without a default changes nothing for existing operations."""
    change = _only(
        _changes(OLD_SDL.replace("items(first: Int)", "items(first: Int, q: String)"))
    )
    assert change.severity == "safe"
    assert change.kind == "OPTIONAL_ARG_ADDED"
    assert change.description == "Optional argument Query.items(q:) was added."


def test_optional_argument_with_default_dangerous() -> None:
    """A new default value reaches the server for operations that leave it out."""
    new = OLD_SDL.replace(
        "items(first: Int)", "items(first: Int, active: Boolean = true)"
    )
    change = _only(_changes(new))
    assert change.severity == "dangerous"
    assert "default value true" in change.description


def test_required_argument_added_is_breaking() -> None:
    """A required argument makes operations without it invalid."""
    change = _only(
        _changes(OLD_SDL.replace("item(id: String)", "item(id: String, site: Int!)"))
    )
    assert change.severity == "breaking"
    assert change.kind == "REQUIRED_ARG_ADDED"


def test_enum_value_added_is_dangerous() -> None:
    """A response may now hold a value that existing clients do not expect."""
    change = _only(_changes(OLD_SDL.replace("open closed", "open closed archived")))
    assert change.severity == "dangerous"
    assert change.kind == "VALUE_ADDED_TO_ENUM"


def test_additions_are_safe() -> None:
    """A new type, field, optional input field and directive are all safe."""
    new = (
        OLD_SDL.replace(
            "input Filter { name: String }", "input Filter { name: String code: Int }"
        ).replace("status: Status }", "status: Status weight: Int }")
        + "type Site { id: String }\ndirective @cached(ttl: Int) on FIELD\n"
    )
    changes = _changes(new)
    kinds = sorted(change.kind for change in changes)
    assert {change.severity for change in changes} == {"safe"}
    assert kinds == [
        "DIRECTIVE_ADDED",
        "FIELD_ADDED",
        "OPTIONAL_INPUT_FIELD_ADDED",
        "TYPE_ADDED",
    ]


def test_identical_schemas_have_no_changes() -> None:
    """The same schema twice gives no change at all."""
    assert _changes(OLD_SDL) == []


def test_changes_listed_by_severity() -> None:
    """Breaking changes come first, then dangerous, then safe."""
    new = (
        OLD_SDL.replace(" name: String status", " status").replace(
            "open closed", "open closed archived"
        )
        + "type Site { id: String }\n"
    )
    severities = [change.severity for change in _changes(new)]
    assert severities == ["breaking", "dangerous", "safe"]


def _without_item_weight(sdl: str) -> str:
    """Remove the weight field from the Item type of an SDL text."""
    start = sdl.index("\ntype Item {")
    end = sdl.index("\n}", start)
    block = re.sub(r"\n(  \"[^\n]*\"\n)?  weight: [^\n]*", "", sdl[start:end], count=1)
    assert block != sdl[start:end], "Item has no weight field to remove"
    return sdl[:start] + block + sdl[end:]


@pytest.fixture
def schema_files(tmp_path: Path) -> tuple[Path, Path]:
    """The emulator schema and a copy without Item.weight."""
    text = EMULATOR_SCHEMA.read_text(encoding="utf-8")
    old = tmp_path / "old.graphql"
    new = tmp_path / "new.graphql"
    old.write_text(text, encoding="utf-8")
    new.write_text(_without_item_weight(text), encoding="utf-8")
    return old, new


@pytest.fixture
def queries(tmp_path: Path) -> Path:
    """Documents: one selects weight, one filters on it, one is unaffected."""
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "selects_weight.graphql").write_text(
        "{ xtremMasterData { item { query { edges { node { id weight } } } } } }",
        encoding="utf-8",
    )
    (folder / "filters_on_weight.graphql").write_text(
        '{ xtremMasterData { item { query(filter: "{weight: {_gt: 1}}") '
        "{ totalCount } } } }",
        encoding="utf-8",
    )
    (folder / "unaffected.graphql").write_text(
        "{ xtremMasterData { item { query { totalCount } } } }", encoding="utf-8"
    )
    (folder / "already_broken.graphql").write_text("{ nothing }", encoding="utf-8")
    return folder


def _schemas(files: tuple[Path, Path]) -> tuple[GraphQLSchema, GraphQLSchema]:
    old, new = files
    return (
        build_schema(old.read_text(encoding="utf-8")),
        build_schema(new.read_text(encoding="utf-8")),
    )


def test_documents_broken_by_removal_listed(
    schema_files: tuple[Path, Path], queries: Path
) -> None:
    """Both documents that use Item.weight break, the filter string included."""
    old, new = _schemas(schema_files)
    check = check_documents(old, new, [queries])
    broken = sorted(Path(item.file).name for item in check.broken)
    assert check.checked == 4
    assert broken == ["filters_on_weight.graphql", "selects_weight.graphql"]


def test_filter_use_reported_in_filter(
    schema_files: tuple[Path, Path], queries: Path
) -> None:
    """The removed property inside a filter string is a filter error."""
    old, new = _schemas(schema_files)
    check = check_documents(old, new, [queries / "filters_on_weight.graphql"])
    [document] = check.broken
    [diagnostic] = document.diagnostics
    assert diagnostic.code == "filter"
    assert (diagnostic.line, diagnostic.column) == (1, 44)


def test_already_invalid_documents_kept_apart(
    schema_files: tuple[Path, Path], queries: Path
) -> None:
    """A document that failed against the old schema is not counted as broken."""
    old, new = _schemas(schema_files)
    check = check_documents(old, new, [queries])
    assert [Path(item.file).name for item in check.invalid_before] == [
        "already_broken.graphql"
    ]


async def _run_cli(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="sage-dmo")
    commands = parser.add_subparsers(dest="command")
    schema = commands.add_parser("schema")
    add_subparser(schema.add_subparsers(dest="schema_command"))
    arguments = parser.parse_args(["schema", "diff", *argv])
    out, err = io.StringIO(), io.StringIO()
    status = await run(arguments, out, err)
    return status, out.getvalue(), err.getvalue()


async def test_cli_breaking_change_exits_1(schema_files: tuple[Path, Path]) -> None:
    """A removed field is listed under breaking changes and the exit status is 1."""
    old, new = schema_files
    status, out, _ = await _run_cli(str(old), str(new))
    assert status == 1
    assert "Breaking changes (1):\n  FIELD_REMOVED: " in out
    assert "Item.weight was removed." in out


async def test_cli_dangerous_only_exits_0(tmp_path: Path) -> None:
    """An added enum value is dangerous, not breaking, so the exit status is 0."""
    old = tmp_path / "old.graphql"
    new = tmp_path / "new.graphql"
    old.write_text(OLD_SDL, encoding="utf-8")
    new.write_text(
        OLD_SDL.replace("open closed", "open closed archived"), encoding="utf-8"
    )
    status, out, _ = await _run_cli(str(old), str(new))
    assert status == 0
    assert out.startswith("Dangerous changes (1):\n  VALUE_ADDED_TO_ENUM: ")


async def test_cli_no_changes_message(tmp_path: Path) -> None:
    """Two equal schemas print that nothing changed."""
    old = tmp_path / "old.graphql"
    old.write_text(OLD_SDL, encoding="utf-8")
    status, out, _ = await _run_cli(str(old), str(old))
    assert status == 0
    assert out == "No changes between the two schemas.\n"


async def test_cli_queries_lists_broken_documents(
    schema_files: tuple[Path, Path], queries: Path
) -> None:
    """--queries prints each broken document with its errors against NEW."""
    old, new = schema_files
    status, out, _ = await _run_cli(str(old), str(new), "--queries", str(queries))
    assert status == 1
    assert "Documents that no longer validate (2 of 4):\n" in out
    assert f"  {queries / 'selects_weight.graphql'}\n" in out
    assert "Cannot query field 'weight' on type 'Item'." in out
    assert "Documents that were already invalid against OLD (1):\n" in out


async def test_cli_json_report(schema_files: tuple[Path, Path], queries: Path) -> None:
    """JSON output contains the changes by severity and the broken documents."""
    old, new = schema_files
    status, out, _ = await _run_cli(
        str(old), str(new), "--queries", str(queries), "--format", "json"
    )
    report = json.loads(out)
    assert status == 1
    [breaking] = report["breaking"]
    assert breaking["kind"] == "FIELD_REMOVED"
    assert breaking["description"].endswith("Item.weight was removed.")
    assert report["documents_checked"] == 4
    assert len(report["broken_documents"]) == 2
    assert report["broken_documents"][0]["diagnostics"][0]["severity"] == "error"


async def test_cli_missing_schema_exits_2(tmp_path: Path) -> None:
    """A schema file that does not exist is a usage problem."""
    old = tmp_path / "old.graphql"
    old.write_text(OLD_SDL, encoding="utf-8")
    status, out, err = await _run_cli(str(old), str(tmp_path / "missing.graphql"))
    assert status == 2
    assert out == ""
    assert "missing.graphql" in err


async def test_cli_missing_queries_path_exits_2(tmp_path: Path) -> None:
    """A --queries path that does not exist is a usage problem."""
    old = tmp_path / "old.graphql"
    old.write_text(OLD_SDL, encoding="utf-8")
    status, _, err = await _run_cli(
        str(old), str(old), "--queries", str(tmp_path / "absent")
    )
    assert status == 2
    assert "no such file or folder" in err
