"""The ``sage-dmo validate`` command: check GraphQL files offline against a schema.

Also reads schema files for ``sage-dmo schema diff`` and writes diagnostics as
text, JSON or GitHub workflow annotations.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from graphql import GraphQLSchema

from ._errors import SchemaFileError
from ._schema_load import load_schema
from ._validate import (
    Diagnostic,
    collect_graphql_files,
    defines_types_only,
    validate_paths,
)

__all__ = [
    "FORMATS",
    "add_parser",
    "format_github",
    "read_schema",
    "run",
    "write_diagnostics",
]

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2
FORMATS = ("text", "json", "github")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``validate`` command to the ``commands`` subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "validate",
        help="check .graphql files against a schema, filter strings included",
        description="Validate GraphQL documents against a schema file without "
        "contacting a tenant: syntax, every GraphQL validation error, deprecated "
        "fields, arguments and enum values (warnings), and the filter and orderBy "
        "strings of node queries. Exits 0 when there are no errors (warnings "
        "allowed), 1 when there are errors, 2 for a missing path or an invalid "
        "schema.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="a .graphql or .gql file, or a folder searched recursively for them, "
        "leaving out folders whose names start with a dot (default: .)",
    )
    parser.add_argument(
        "--schema",
        required=True,
        metavar="FILE",
        help="schema file: GraphQL SDL (such as schema/tenant.graphql) or an "
        "introspection response in JSON",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text: one 'file:line:column: severity: message' line per problem; "
        "json: an array of objects; github: workflow annotations (default text)",
    )
    parser.add_argument(
        "--no-filter-checks",
        action="store_true",
        help="skip the checks of filter and orderBy strings",
    )
    return parser


def read_schema(path: str | Path) -> GraphQLSchema:
    """Load the schema file ``path`` (SDL, or introspection JSON) and check it.

    This is the one place where the commands load a schema. Raises
    ``SchemaFileError`` when the file is missing, unreadable or invalid.
    """
    return load_schema(path)


def _escape_data(text: str) -> str:
    """Escape the message of a workflow command, as the GitHub runner decodes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """Escape a property value of a workflow command (``file=``, ``title=``)."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(diagnostic: Diagnostic) -> str:
    """Return ``diagnostic`` as a GitHub Actions ``::error`` or ``::warning`` line."""
    properties = []
    if diagnostic.file is not None:
        properties.append(f"file={_escape_property(diagnostic.file)}")
    properties += [f"line={diagnostic.line}", f"col={diagnostic.column}"]
    if diagnostic.end_line is not None and diagnostic.end_column is not None:
        properties += [
            f"endLine={diagnostic.end_line}",
            f"endColumn={diagnostic.end_column}",
        ]
    properties.append(f"title={_escape_property('sage-dmo ' + diagnostic.code)}")
    return f"::{diagnostic.severity} {','.join(properties)}::" + _escape_data(
        diagnostic.message
    )


def write_diagnostics(
    diagnostics: Sequence[Diagnostic], output_format: str, out: TextIO
) -> None:
    """Write ``diagnostics`` to ``out`` in ``output_format`` (see ``FORMATS``)."""
    if output_format == "json":
        json.dump([item.to_dict() for item in diagnostics], out, indent=2)
        out.write("\n")
        return
    for diagnostic in diagnostics:
        line = format_github(diagnostic) if output_format == "github" else diagnostic
        out.write(f"{line}\n")


def summarize(diagnostics: Sequence[Diagnostic]) -> str:
    """Count errors and warnings, as in '2 errors, 1 warning'."""
    errors = sum(1 for item in diagnostics if item.severity == "error")
    warnings = len(diagnostics) - errors
    return (
        f"{errors} error{'' if errors == 1 else 's'}, "
        f"{warnings} warning{'' if warnings == 1 else 's'}"
    )


def split_schema_files(
    files: Sequence[Path], schema: str
) -> tuple[list[Path], list[Path]]:
    """Split ``files`` into documents to validate and schema files to skip.

    Schema files, such as those that `sage-dmo schema download` writes into the
    same tree, hold type definitions and no operation: they are not queries.
    """
    schema_file = Path(schema).resolve()
    kept: list[Path] = []
    skipped: list[Path] = []
    for path in files:
        if Path(path).resolve() == schema_file or defines_types_only(path):
            skipped.append(path)
        else:
            kept.append(path)
    return kept, skipped


async def run(arguments: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``sage-dmo validate`` and return the exit status."""
    try:
        schema = read_schema(arguments.schema)
        files = collect_graphql_files(arguments.paths)
    except (SchemaFileError, FileNotFoundError) as error:
        err.write(f"sage-dmo: error: {error}\n")
        return EXIT_USAGE
    files, skipped = split_schema_files(files, arguments.schema)
    if skipped:
        names = ", ".join(str(path) for path in skipped[:3])
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        err.write(
            f"sage-dmo validate: skipped {len(skipped)} schema file"
            f"{'' if len(skipped) == 1 else 's'} (type definitions only): "
            f"{names}{more}\n"
        )
    check_filters = not arguments.no_filter_checks
    diagnostics = validate_paths(schema, files, check_filters=check_filters)
    write_diagnostics(diagnostics, arguments.format, out)
    if not files:
        searched = ", ".join(str(path) for path in arguments.paths)
        err.write(f"sage-dmo validate: no .graphql or .gql files found in {searched}\n")
    else:
        count = f"{len(files)} file{'' if len(files) == 1 else 's'}"
        err.write(f"sage-dmo validate: {summarize(diagnostics)} in {count}\n")
    if any(item.severity == "error" for item in diagnostics):
        return EXIT_ERRORS
    return EXIT_OK
