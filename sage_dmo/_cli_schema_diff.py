"""The ``sage-dmo schema diff`` command: what changed between two schema files.

Lists breaking, dangerous and safe changes and, with ``--queries``, the documents
that validated against the old schema and no longer validate against the new one.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any, TextIO

from ._cli_validate import read_schema
from ._errors import SchemaFileError
from ._schema_diff import (
    BrokenDocument,
    Change,
    DocumentCheck,
    check_documents,
    find_changes,
)

__all__ = ["add_subparser", "run"]

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_USAGE = 2
_HEADINGS = {
    "breaking": "Breaking changes",
    "dangerous": "Dangerous changes",
    "safe": "Safe changes",
}


def add_subparser(schema_commands: Any) -> argparse.ArgumentParser:
    """Add the ``diff`` command to the subparsers of ``sage-dmo schema``."""
    parser: argparse.ArgumentParser = schema_commands.add_parser(
        "diff",
        help="list the changes between two schema files and the queries they break",
        description="Compare two schema files (SDL or introspection JSON). Breaking "
        "changes can make existing operations invalid, dangerous changes can change "
        "their results (such as a new enum value in a response), and safe "
        "changes are additions that neither. Exits 1 when there is a breaking "
        "change or a document that no longer validates, 0 otherwise, and 2 for "
        "a missing path or an invalid schema.",
    )
    parser.add_argument("old", metavar="OLD", help="the schema file before")
    parser.add_argument("new", metavar="NEW", help="the schema file after")
    parser.add_argument(
        "--queries",
        nargs="+",
        action="extend",
        default=[],
        metavar="PATH",
        help="GraphQL files, or folders searched recursively for .graphql and "
        ".gql files, to validate against both schemas (filter and orderBy "
        "strings included); lists those that OLD accepts and NEW rejects",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format (default text)",
    )
    return parser


def _write_text(
    changes: Sequence[Change], documents: DocumentCheck | None, out: TextIO
) -> None:
    if not changes:
        out.write("No changes between the two schemas.\n")
    for severity, heading in _HEADINGS.items():
        selected = [change for change in changes if change.severity == severity]
        if selected:
            out.write(f"{heading} ({len(selected)}):\n")
            for change in selected:
                out.write(f"  {change.kind}: {change.description}\n")
    if documents is None:
        return
    _write_documents(
        f"Documents that no longer validate ({len(documents.broken)} of "
        f"{documents.checked})",
        documents.broken,
        out,
    )
    _write_documents(
        "Documents that were already invalid against OLD "
        f"({len(documents.invalid_before)})",
        documents.invalid_before,
        out,
    )


def _write_documents(
    heading: str, documents: Sequence[BrokenDocument], out: TextIO
) -> None:
    out.write(f"{heading}:\n")
    for document in documents:
        out.write(f"  {document.file}\n")
        for diagnostic in document.diagnostics:
            out.write(f"    {diagnostic}\n")


def _write_json(
    changes: Sequence[Change], documents: DocumentCheck | None, out: TextIO
) -> None:
    report: dict[str, Any] = {
        severity: [
            change.to_dict() for change in changes if change.severity == severity
        ]
        for severity in _HEADINGS
    }
    if documents is not None:
        report["documents_checked"] = documents.checked
        report["broken_documents"] = [_document_dict(d) for d in documents.broken]
        report["invalid_before"] = [_document_dict(d) for d in documents.invalid_before]
    json.dump(report, out, indent=2)
    out.write("\n")


def _document_dict(document: BrokenDocument) -> dict[str, Any]:
    return {
        "file": document.file,
        "diagnostics": [diagnostic.to_dict() for diagnostic in document.diagnostics],
    }


async def run(arguments: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``sage-dmo schema diff`` and return the exit status."""
    try:
        old = read_schema(arguments.old)
        new = read_schema(arguments.new)
        documents = None
        if arguments.queries:
            documents = check_documents(old, new, arguments.queries)
    except (SchemaFileError, FileNotFoundError) as error:
        err.write(f"sage-dmo: error: {error}\n")
        return EXIT_USAGE
    changes = find_changes(old, new)
    if arguments.format == "json":
        _write_json(changes, documents, out)
    else:
        _write_text(changes, documents, out)
    breaking = any(change.severity == "breaking" for change in changes)
    if breaking or (documents is not None and documents.broken):
        return EXIT_BROKEN
    return EXIT_OK
