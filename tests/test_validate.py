"""Offline validation: positions of planted errors, deprecations, files and the CLI."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from graphql import (
    GraphQLSchema,
    GraphQLSyntaxError,
    NonNullTypeNode,
    OperationDefinitionNode,
    StringValueNode,
    build_schema,
    parse,
)
from hypothesis import given
from hypothesis import strategies as st

from bench.validation import generate_documents
from sage_dmo import SageDMOClient
from sage_dmo._cli_validate import add_parser, format_github, read_schema, run
from sage_dmo._string_positions import string_positions
from sage_dmo._validate import (
    Diagnostic,
    validate_document,
    validate_parsed,
    validate_paths,
    validation_errors,
)

REPOSITORY = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPOSITORY / "sage_dmo" / "emulator" / "schema.graphql"
EXAMPLES = REPOSITORY / "examples" / "queries"

# Each planted error sits at a known line and column; the comments of the tests
# name them. Line 8 puts escapes (\" \\ \u0069) before the unknown property, and
# lines 11-16 hold a block string whose indentation is removed when decoded.
PLANTED = r'''query Planted($order: String = "{name: 2}") {
  xtremMasterData {
    item {
      query(first: "ten", orderBy: $order, filter: "{nmae: 'x'}") {
        edges { node { nam id } }
      }
      weights: query(filter: "{weight: {_regex: '^1'}}") { totalCount }
      escaped: query(filter: "{description: \"a\\\"b\", \u0069d: 'x', colour: 'red'}") {
        totalCount
      }
      block: query(filter: """
        {
          isActive: true,
          name: 'x' 'y'
        }
      """) { totalCount }
    }
  }
  xtremSales {
    salesOrder { query(filter: "{orderDate: {_gte: '2025-1-31'}}") { totalCount } }
  }
}
'''

DEPRECATED_SDL = """
enum Color { red green @deprecated(reason: "Use red.") }
input Paint { color: Color shade: Int @deprecated(reason: "Shades are gone.") }
type Query {
  paint(input: Paint, old: Int @deprecated(reason: "Pass input.")): String
  colour: Color @deprecated(reason: "Use paint.")
}
"""


@pytest.fixture(scope="module", autouse=True)
def schema_cache_in_tmp(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """Loaded schemas are cached in a temporary folder, not the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    """The emulator's schema, read as the CLI reads it."""
    return read_schema(SCHEMA_PATH)


@pytest.fixture(scope="module")
def planted(schema: GraphQLSchema) -> list[Diagnostic]:
    """The diagnostics of the planted document."""
    return validate_document(schema, PLANTED, file="planted.graphql")


def _at(diagnostics: list[Diagnostic], line: int, column: int) -> Diagnostic:
    found = [item for item in diagnostics if (item.line, item.column) == (line, column)]
    assert len(found) == 1, f"expected one diagnostic at {line}:{column}: {found}"
    return found[0]


def test_planted_document_has_eight_problems(planted: list[Diagnostic]) -> None:
    """Every planted error is reported once, and nothing else."""
    assert len(planted) == 8


def test_diagnostics_sorted_by_position(planted: list[Diagnostic]) -> None:
    """Diagnostics come in order of line, then column."""
    positions = [(item.line, item.column) for item in planted]
    assert positions == sorted(positions)


def test_unknown_field_keeps_suggestion(planted: list[Diagnostic]) -> None:
    """'nam' on line 5 is reported at the field with graphql-core's suggestion."""
    diagnostic = _at(planted, 5, 24)
    assert diagnostic.code == "graphql"
    assert "Did you mean 'name'?" in diagnostic.message
    assert (diagnostic.end_line, diagnostic.end_column) == (5, 27)


def test_wrong_argument_type_reported(planted: list[Diagnostic]) -> None:
    """first: "ten" is an Int argument given a string."""
    diagnostic = _at(planted, 4, 20)
    assert diagnostic.code == "graphql"
    assert "Int cannot represent" in diagnostic.message


def test_unknown_filter_property_in_literal(planted: list[Diagnostic]) -> None:
    """'nmae' inside the filter string on line 4 is reported at the key itself."""
    diagnostic = _at(planted, 4, 54)
    assert diagnostic.code == "filter"
    assert diagnostic.severity == "error"
    assert "unknown property 'nmae' on Item" in diagnostic.message
    assert "Did you mean 'name'?" in diagnostic.message
    assert (diagnostic.end_line, diagnostic.end_column) == (4, 58)


def test_regex_rejected_on_decimal(planted: list[Diagnostic]) -> None:
    """_regex on Item.weight, a Decimal, is reported at the operator."""
    diagnostic = _at(planted, 7, 41)
    assert diagnostic.code == "filter"
    assert "'_regex' is not valid for Item.weight (Decimal)" in diagnostic.message


def test_escapes_before_problem_counted(planted: list[Diagnostic]) -> None:
    """Escapes take several source characters each, and the column counts them."""
    diagnostic = _at(planted, 8, 71)
    assert "unknown property 'colour'" in diagnostic.message
    assert (diagnostic.end_line, diagnostic.end_column) == (8, 77)


def test_malformed_filter_in_block_string(planted: list[Diagnostic]) -> None:
    """The stray 'y' inside the indented block string is found on line 14."""
    diagnostic = _at(planted, 14, 21)
    assert diagnostic.code == "filter"
    assert "expected ',' or '}'" in diagnostic.message


def test_bad_order_by_in_variable_default(planted: list[Diagnostic]) -> None:
    """The default value of $order on line 1 sorts with direction 2."""
    diagnostic = _at(planted, 1, 40)
    assert diagnostic.code == "orderBy"
    assert "in the default value of $order" in diagnostic.message
    assert "invalid sort direction 2" in diagnostic.message


def test_date_of_wrong_format_reported(planted: list[Diagnostic]) -> None:
    """'2025-1-31' is not YYYY-MM-DD; the span covers the quoted value."""
    diagnostic = _at(planted, 20, 52)
    assert "SalesOrder.orderDate (Date)" in diagnostic.message
    assert "'YYYY-MM-DD'" in diagnostic.message
    assert (diagnostic.end_line, diagnostic.end_column) == (20, 63)


def test_file_name_on_every_diagnostic(planted: list[Diagnostic]) -> None:
    """The file passed in names every diagnostic."""
    assert {item.file for item in planted} == {"planted.graphql"}


def test_crlf_line_breaks_give_same_positions(
    schema: GraphQLSchema, planted: list[Diagnostic]
) -> None:
    """Windows line breaks, block string included, change no line or column."""
    crlf = validate_document(
        schema, PLANTED.replace("\n", "\r\n"), file="planted.graphql"
    )
    assert [(d.line, d.column) for d in crlf] == [(d.line, d.column) for d in planted]


def test_lone_cr_ends_a_line_too(schema: GraphQLSchema) -> None:
    """A lone carriage return ends a line, as graphql-core counts lines."""
    source = (
        '{\r  xtremMasterData { item { query(filter: "{nmae: 1}") { totalCount } } }\r}'
    )
    [diagnostic] = validate_document(schema, source)
    assert (diagnostic.line, diagnostic.column) == (2, 44)


def test_syntax_error_stops_validation(schema: GraphQLSchema) -> None:
    """A syntax error is the only diagnostic, at graphql-core's position."""
    source = "query {\n  xtremSales {\n}"
    with pytest.raises(GraphQLSyntaxError) as raised:
        parse(source)
    [expected] = raised.value.locations or []
    [diagnostic] = validate_document(schema, source, file="x")
    assert diagnostic.code == "syntax"
    assert (diagnostic.line, diagnostic.column) == (expected.line, expected.column)
    assert diagnostic.file == "x"


def test_every_graphql_error_reported(schema: GraphQLSchema) -> None:
    """More than graphql-core's default limit of 100 errors are all kept."""
    fields = " ".join(f"missing{number}" for number in range(150))
    diagnostics = validate_document(schema, f"{{ {fields} }}")
    assert len(diagnostics) == 150


def test_error_with_two_locations(schema: GraphQLSchema) -> None:
    """Conflicting fields give one diagnostic with the second place listed."""
    source = "{\n  a: xtremSales { __typename }\n  a: xtremSystem { __typename }\n}"
    [diagnostic] = validate_document(schema, source)
    assert (diagnostic.line, diagnostic.column) == (2, 3)
    assert diagnostic.other_locations == ((3, 3),)
    assert "(also at 3:3)" in str(diagnostic)


def test_filter_checks_can_be_turned_off(schema: GraphQLSchema) -> None:
    """check_filters=False leaves only graphql-core's errors."""
    diagnostics = validate_document(schema, PLANTED, check_filters=False)
    assert {item.code for item in diagnostics} == {"graphql"}


def test_read_aggregate_filter_checked(schema: GraphQLSchema) -> None:
    """readAggregate's filter is checked against the node of its query sibling."""
    source = (
        '{ xtremMasterData { item { readAggregate(filter: "{isActiv: true}") '
        "{ _id { distinctCount } } } } }"
    )
    [diagnostic] = validate_document(schema, source)
    assert "unknown property 'isActiv' on Item" in diagnostic.message


def test_bulk_update_filter_checked(schema: GraphQLSchema) -> None:
    """bulkUpdate's filter is checked against the node that update returns."""
    source = (
        'mutation { xtremMasterData { item { bulkUpdate(filter: "{isActiv: true}", '
        "data: {isActive: false}) } } }"
    )
    [diagnostic] = validate_document(schema, source)
    assert (diagnostic.line, diagnostic.column) == (1, 58)
    assert "Did you mean 'isActive'?" in diagnostic.message


def test_collection_query_filter_checked(schema: GraphQLSchema) -> None:
    """The query of a collection applies its filter to the collection's node."""
    source = (
        '{ xtremSales { salesOrder { read(_id: "1") { lines { query(filter: '
        '"{quantity: 1}") { totalCount } } } } } }'
    )
    [diagnostic] = validate_document(schema, source)
    assert "unknown property 'quantity' on SalesOrderLine" in diagnostic.message


def test_variable_without_default_not_checked(schema: GraphQLSchema) -> None:
    """A filter variable without a default value is only known at run time."""
    source = (
        "query Q($filter: String) { xtremMasterData { item { query(filter: $filter) "
        "{ totalCount } } } }"
    )
    assert validate_document(schema, source) == []


def test_variable_default_used_in_fragment(schema: GraphQLSchema) -> None:
    """A fragment before the operation uses the operation's default value."""
    source = (
        "fragment Items on Item_Operations {\n"
        "  query(filter: $filter) { totalCount }\n"
        "}\n"
        'query Q($filter: String = "{id: {_gt: 1}}") {\n'
        "  xtremMasterData { item { ...Items } }\n"
        "}\n"
    )
    [diagnostic] = validate_document(schema, source)
    assert (diagnostic.line, diagnostic.column) == (4, 39)
    assert "in the default value of $filter" in diagnostic.message


def test_default_used_twice_reported_once(schema: GraphQLSchema) -> None:
    """One default value passed to two queries of one node is reported once."""
    source = (
        'query Q($filter: String = "{nmae: 1}") { xtremMasterData { item {\n'
        "  a: query(filter: $filter) { totalCount }\n"
        "  b: query(filter: $filter) { totalCount }\n"
        "} } }"
    )
    assert len(validate_document(schema, source)) == 1


def test_generated_benchmark_documents_valid(schema: GraphQLSchema) -> None:
    """The benchmark measures valid documents, so it times the usual path."""
    for source in generate_documents(schema, 40, seed=7):
        assert validate_document(schema, source) == [], source


def test_validate_parsed_matches_validate_document(schema: GraphQLSchema) -> None:
    """Validating a parsed document gives what parsing and validating gives."""
    parsed = validate_parsed(schema, parse(PLANTED), file="p")
    assert parsed == validate_document(schema, PLANTED, file="p")


def test_validation_errors_include_filter_problems(schema: GraphQLSchema) -> None:
    """The client's check returns filter problems as located GraphQL errors."""
    errors = validation_errors(schema, parse(PLANTED))
    located = {
        (error.locations[0].line, error.locations[0].column)
        for error in errors
        if error.locations
    }
    assert len(errors) == 8
    assert (4, 54) in located
    assert (14, 21) in located


@pytest.fixture(scope="module")
def deprecated_schema() -> GraphQLSchema:
    """A small schema with a deprecated field, argument, input field and value."""
    return build_schema(DEPRECATED_SDL)


DEPRECATED_USE = """{
  colour
  paint(old: 1, input: {color: green, shade: 2})
}"""


def test_deprecations_are_warnings_with_reasons(
    deprecated_schema: GraphQLSchema,
) -> None:
    """Each deprecated use is a warning that carries the schema's reason."""
    diagnostics = validate_document(deprecated_schema, DEPRECATED_USE)
    found = {(d.line, d.column): d.message for d in diagnostics}
    assert {d.severity for d in diagnostics} == {"warning"}
    assert {d.code for d in diagnostics} == {"deprecated"}
    assert found[(2, 3)] == "Field Query.colour is deprecated: Use paint."
    assert found[(3, 9)] == "Argument Query.paint(old:) is deprecated: Pass input."
    assert found[(3, 32)] == "Enum value Color.green is deprecated: Use red."
    assert found[(3, 39)] == "Input field Paint.shade is deprecated: Shades are gone."


def test_client_errors_leave_out_deprecations(
    deprecated_schema: GraphQLSchema,
) -> None:
    """Deprecated uses are not errors for the client's check."""
    assert validation_errors(deprecated_schema, parse(DEPRECATED_USE)) == []


def _positions_hold(node: StringValueNode) -> None:
    """Check that the source of each character decodes to that character."""
    positions = string_positions(node)
    assert positions is not None
    assert node.loc is not None
    body = node.loc.source.body
    for index, char in enumerate(node.value):
        written = body[positions.starts[index] : positions.ends[index]]
        if node.block:
            assert written in (char, "\\" + char, "\r\n", "\r", "\n"), written
        else:
            assert _string_node(f'"{written}"').value == char, written


def _string_node(literal: str) -> StringValueNode:
    document = parse(f"{{ f(a: {literal}) }}")
    field = document.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
    node = field.arguments[0].value
    assert isinstance(node, StringValueNode)
    return node


@pytest.mark.parametrize(
    "literal",
    [
        r'"plain"',
        r'"\"q\" \\ \/ \b\f\n\r\t"',
        r'"\u0041\u00e9"',
        r'"\u{1F600} and \u{41}"',
        r'"\uD83D\uDE00 pair"',
        '"""\n    indented\n      more\n    """',
        '"""first\r\n  second\r  third\n"""',
        '"""  \n\n   a \\""" b\n\n  """',
        '""""""',
    ],
)
def test_string_positions_decode_back(literal: str) -> None:
    """Mapped spans hold the source of each decoded character."""
    _positions_hold(_string_node(literal))


_ESCAPES = {'"': r"\"", "\\": r"\\", "\n": r"\n", "\t": r"\t", "\r": r"\r"}


@st.composite
def _quoted_literal(draw: st.DrawFn) -> str:
    text = draw(st.text(alphabet=st.characters(codec="utf-8")))
    parts = []
    for char in text:
        style = draw(st.sampled_from(["raw", "unicode", "braced"]))
        if char in _ESCAPES or (ord(char) < 0x20) or style == "unicode":
            if char in _ESCAPES and style == "raw":
                parts.append(_ESCAPES[char])
            elif ord(char) > 0xFFFF:
                high = 0xD800 + ((ord(char) - 0x10000) >> 10)
                low = 0xDC00 + ((ord(char) - 0x10000) & 0x3FF)
                parts.append(f"\\u{high:04X}\\u{low:04X}")
            else:
                parts.append(f"\\u{ord(char):04x}")
        elif style == "braced":
            parts.append(f"\\u{{{ord(char):x}}}")
        else:
            parts.append(char)
    return '"' + "".join(parts) + '"'


@given(_quoted_literal())
def test_quoted_string_positions_property(literal: str) -> None:
    """Any mix of raw characters and escapes maps back to its source."""
    _positions_hold(_string_node(literal))


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=6),
            st.text(alphabet="ab '\"{}:\\", max_size=8),
        ),
        max_size=6,
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_block_string_positions_property(
    lines: list[tuple[int, str]], line_break: str
) -> None:
    """Block strings of any indentation and line breaks map back to the source."""
    body = line_break.join(" " * indent + text for indent, text in lines)
    body = body.replace('"""', '\\"""')
    if body.endswith('"') or body.endswith("\\"):
        body += " "
    _positions_hold(_string_node(f'"""{body}"""'))


def test_validate_paths_walks_folders(tmp_path: Path, schema: GraphQLSchema) -> None:
    """Folders are searched recursively, hidden folders and other files left out."""
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a.graphql").write_text("{ nope }", encoding="utf-8")
    (tmp_path / "b" / "c.gql").write_text("{ nope }", encoding="utf-8")
    (tmp_path / ".hidden" / "d.graphql").write_text("{ nope }", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("{ nope }", encoding="utf-8")
    diagnostics = validate_paths(schema, [tmp_path])
    files = [Path(item.file or "").relative_to(tmp_path) for item in diagnostics]
    assert files == [Path("a.graphql"), Path("b/c.gql")]


def test_validate_paths_sorts_across_files(
    tmp_path: Path, schema: GraphQLSchema
) -> None:
    """Diagnostics of several files are sorted by file, then line and column."""
    (tmp_path / "z.graphql").write_text("{ one }", encoding="utf-8")
    (tmp_path / "a.graphql").write_text("{\n  two\n  three\n}", encoding="utf-8")
    diagnostics = validate_paths(schema, [tmp_path / "z.graphql", tmp_path])
    names = [(Path(d.file or "").name, d.line) for d in diagnostics]
    assert names == [("a.graphql", 2), ("a.graphql", 3), ("z.graphql", 1)]


def test_validate_paths_missing_path_raises(
    tmp_path: Path, schema: GraphQLSchema
) -> None:
    """A path that does not exist is a usage error, not a diagnostic."""
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        validate_paths(schema, [tmp_path / "absent"])


def test_undecodable_file_is_read_error(tmp_path: Path, schema: GraphQLSchema) -> None:
    """A file that is not UTF-8 gives a "read" error at 1:1."""
    path = tmp_path / "latin1.graphql"
    path.write_bytes(b"{ caf\xe9 }")
    [diagnostic] = validate_paths(schema, [path])
    assert diagnostic.code == "read"
    assert diagnostic.severity == "error"


async def _run_cli(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="sage-dmo")
    add_parser(parser.add_subparsers(dest="command"))
    arguments = parser.parse_args(["validate", *argv])
    out, err = io.StringIO(), io.StringIO()
    status = await run(arguments, out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def planted_file(tmp_path: Path) -> Path:
    """The planted document in a file."""
    path = tmp_path / "planted.graphql"
    path.write_text(PLANTED, encoding="utf-8")
    return path


async def test_examples_validate_cleanly() -> None:
    """The example documents are valid against the emulator schema."""
    status, out, err = await _run_cli(str(EXAMPLES), "--schema", str(SCHEMA_PATH))
    assert status == 0, out
    assert out == ""
    assert "0 errors, 0 warnings in" in err


async def test_cli_text_lines(planted_file: Path) -> None:
    """Text output has one file:line:column: severity: message line per problem."""
    status, out, _ = await _run_cli(str(planted_file), "--schema", str(SCHEMA_PATH))
    lines = out.splitlines()
    assert status == 1
    assert len(lines) == 8
    assert lines[0].startswith(f"{planted_file}:1:40: error: Invalid orderBy")
    assert lines[0].endswith("[orderBy]")


async def test_cli_json_array(planted_file: Path) -> None:
    """JSON output is an array of objects with positions, severity and code."""
    status, out, _ = await _run_cli(
        str(planted_file), "--schema", str(SCHEMA_PATH), "--format", "json"
    )
    items = json.loads(out)
    assert status == 1
    assert len(items) == 8
    assert items[2]["line"] == 4
    assert items[2]["column"] == 54
    assert items[2]["end_column"] == 58
    assert items[2]["code"] == "filter"
    assert items[2]["file"] == str(planted_file)


async def test_cli_github_annotations(planted_file: Path) -> None:
    """GitHub output is one ::error workflow command per problem."""
    _, out, _ = await _run_cli(
        str(planted_file), "--schema", str(SCHEMA_PATH), "--format", "github"
    )
    lines = out.splitlines()
    assert len(lines) == 8
    assert lines[2].startswith(f"::error file={planted_file},line=4,col=54,")
    assert "endLine=4,endColumn=58,title=sage-dmo filter::" in lines[2]


def test_github_format_escapes_values() -> None:
    """Commas, colons and line breaks are escaped as the runner expects."""
    diagnostic = Diagnostic(
        "warning", "50% done\nnext", "a,b:c.graphql", 3, 4, code="deprecated"
    )
    assert format_github(diagnostic) == (
        "::warning file=a%2Cb%3Ac.graphql,line=3,col=4,"
        "title=sage-dmo deprecated::50%25 done%0Anext"
    )


async def test_cli_warnings_only_exit_zero(tmp_path: Path) -> None:
    """Deprecation warnings are printed but the exit status stays 0."""
    schema_path = tmp_path / "deprecated.graphql"
    schema_path.write_text(DEPRECATED_SDL, encoding="utf-8")
    query = tmp_path / "use.graphql"
    query.write_text(DEPRECATED_USE, encoding="utf-8")
    status, out, _ = await _run_cli(str(query), "--schema", str(schema_path))
    assert status == 0
    assert len(out.splitlines()) == 4
    assert ": warning: " in out


async def test_cli_no_filter_checks_option(planted_file: Path) -> None:
    """--no-filter-checks leaves out the filter and orderBy problems."""
    _, out, _ = await _run_cli(
        str(planted_file), "--schema", str(SCHEMA_PATH), "--no-filter-checks"
    )
    assert len(out.splitlines()) == 2


async def test_cli_missing_schema_exits_2(planted_file: Path, tmp_path: Path) -> None:
    """A schema file that does not exist is a usage problem."""
    status, out, err = await _run_cli(
        str(planted_file), "--schema", str(tmp_path / "none.graphql")
    )
    assert status == 2
    assert out == ""
    assert "not found" in err


async def test_cli_invalid_schema_exits_2(planted_file: Path, tmp_path: Path) -> None:
    """A schema file with a syntax error is reported with its file name."""
    broken = tmp_path / "broken.graphql"
    broken.write_text("type Query {\n  a: \n}", encoding="utf-8")
    status, _, err = await _run_cli(str(planted_file), "--schema", str(broken))
    assert status == 2
    assert f"{broken}:" in err
    assert "Syntax Error: Expected Name" in err


async def test_cli_unknown_type_schema_exits_2(
    planted_file: Path, tmp_path: Path
) -> None:
    """A schema that names an undefined type is invalid."""
    broken = tmp_path / "unknown.graphql"
    broken.write_text("type Query { a: Missing }", encoding="utf-8")
    status, _, err = await _run_cli(str(planted_file), "--schema", str(broken))
    assert status == 2
    assert "Missing" in err


async def test_cli_missing_path_exits_2(tmp_path: Path) -> None:
    """A query path that does not exist is a usage problem."""
    status, _, err = await _run_cli(
        str(tmp_path / "absent"), "--schema", str(SCHEMA_PATH)
    )
    assert status == 2
    assert "no such file or folder" in err


async def test_cli_empty_folder_exits_0(tmp_path: Path) -> None:
    """A folder without GraphQL files is reported on standard error."""
    status, _, err = await _run_cli(str(tmp_path), "--schema", str(SCHEMA_PATH))
    assert status == 0
    assert "no .graphql or .gql files found" in err


async def test_examples_run_against_emulator(
    make_client: Callable[..., SageDMOClient],
) -> None:
    """Each example operation that needs no variable runs without errors."""
    async with make_client() as client:
        for path in sorted(EXAMPLES.glob("*.graphql")):
            text = path.read_text(encoding="utf-8")
            for definition in parse(text).definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                required = [
                    variable
                    for variable in definition.variable_definitions or ()
                    if isinstance(variable.type, NonNullTypeNode)
                    and variable.default_value is None
                ]
                if required or definition.name is None:
                    continue
                name = definition.name.value
                data = await client.execute(text, {}, operation_name=name)
                assert data, f"{path.name} {name}"
