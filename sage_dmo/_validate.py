"""Offline validation of GraphQL documents against an SDMO schema.

Reports syntax errors, graphql-core validation errors, deprecated usages and
problems inside SDMO ``filter`` and ``orderBy`` strings, each at its file position.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    SchemaExtensionNode,
    Source,
    TypeExtensionNode,
    TypeSystemDefinitionNode,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationRule

from ._string_positions import LineIndex
from ._validate_rules import DeprecationRule, FilterRule, ValidationFinding

__all__ = [
    "GRAPHQL_SUFFIXES",
    "Diagnostic",
    "collect_graphql_files",
    "defines_types_only",
    "read_graphql_file",
    "validate_document",
    "validate_parsed",
    "validate_paths",
    "validation_errors",
]

GRAPHQL_SUFFIXES = (".graphql", ".gql")
"""File name endings that ``validate_paths`` picks up inside folders."""

# graphql-core stops after 100 errors by default, to bound the work an untrusted
# document can cause. These documents are the user's own files, and every error
# should be reported.
_MAX_ERRORS = sys.maxsize

_RULES_WITH_FILTERS: tuple[type[ASTValidationRule], ...] = (
    *specified_rules,
    DeprecationRule,
    FilterRule,
)
_RULES_WITHOUT_FILTERS: tuple[type[ASTValidationRule], ...] = (
    *specified_rules,
    DeprecationRule,
)
_CLIENT_RULES: tuple[type[ASTValidationRule], ...] = (*specified_rules, FilterRule)


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a document, at a 1-based line and column.

    ``end_line`` and ``end_column`` point just past the last character of the
    problem, or are None when the end is not known. ``code`` is "syntax",
    "graphql" (a graphql-core validation error), "deprecated", "filter",
    "orderBy" or "read" (the file could not be read). ``other_locations`` lists
    further places that the same problem involves, such as the second of two
    conflicting fields.
    """

    severity: Literal["error", "warning"]
    message: str
    file: str | None
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None
    code: str = "graphql"
    other_locations: tuple[tuple[int, int], ...] = ()

    def __str__(self) -> str:
        text = (
            f"{self.file or '<document>'}:{self.line}:{self.column}: "
            f"{self.severity}: {self.message} [{self.code}]"
        )
        if self.other_locations:
            places = ", ".join(
                f"{line}:{column}" for line, column in self.other_locations
            )
            text += f" (also at {places})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "other_locations": [
                {"line": line, "column": column}
                for line, column in self.other_locations
            ],
        }


def _sort_key(diagnostic: Diagnostic) -> tuple[str, int, int]:
    return (diagnostic.file or "", diagnostic.line, diagnostic.column)


def validate_document(
    schema: GraphQLSchema,
    source: str,
    *,
    file: str | None = None,
    check_filters: bool = True,
) -> list[Diagnostic]:
    """Parse and validate the GraphQL text ``source`` against ``schema``.

    ``file`` names the document in the diagnostics. Returns every problem, sorted
    by line and column: a syntax error alone (parsing stops at the first one), or
    the validation errors, deprecation warnings and, unless ``check_filters`` is
    false, the problems of filter and orderBy strings. Raises ``TypeError`` when
    ``schema`` itself is invalid.
    """
    try:
        document = parse(Source(source, file or "GraphQL request"))
    except GraphQLSyntaxError as error:
        return [_from_error(error, file, None, code="syntax")]
    return validate_parsed(schema, document, file=file, check_filters=check_filters)


def validate_parsed(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    file: str | None = None,
    check_filters: bool = True,
) -> list[Diagnostic]:
    """Validate a parsed ``document``, as ``validate_document`` does after parsing.

    The rules run inside graphql-core's own validation walk, so the document is
    walked once.
    """
    rules = _RULES_WITH_FILTERS if check_filters else _RULES_WITHOUT_FILTERS
    errors = validate(schema, document, rules=rules, max_errors=_MAX_ERRORS)
    if not errors:
        return []
    lines = LineIndex(document.loc.source.body) if document.loc is not None else None
    diagnostics = [_from_error(error, file, lines) for error in errors]
    diagnostics.sort(key=_sort_key)
    return diagnostics


def validation_errors(
    schema: GraphQLSchema, document: DocumentNode
) -> list[GraphQLError]:
    """Return the errors of ``document``: graphql-core's and the filter problems.

    Errors come in the order found, and deprecations are left out. A filter or
    orderBy problem is a ``GraphQLError`` whose location points inside the string
    where the problem starts, when the document was parsed with locations.
    """
    return validate(schema, document, rules=_CLIENT_RULES, max_errors=_MAX_ERRORS)


def _from_error(
    error: GraphQLError,
    file: str | None,
    lines: LineIndex | None,
    *,
    code: str = "graphql",
) -> Diagnostic:
    """Convert a graphql-core error, or a finding of our rules, to a diagnostic."""
    locations = [(location.line, location.column) for location in error.locations or ()]
    line, column = locations[0] if locations else (1, 1)
    severity: Literal["error", "warning"] = "error"
    end: int | None = None
    if isinstance(error, ValidationFinding):
        code = error.code
        severity = error.severity
        end = error.end_position
    elif error.nodes and error.nodes[0].loc is not None:
        end = error.nodes[0].loc.end
    end_line = end_column = None
    if end is not None and lines is not None:
        end_line, end_column = lines.line_column(end)
    return Diagnostic(
        severity=severity,
        message=error.message,
        file=file,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        code=code,
        other_locations=tuple(locations[1:]),
    )


def collect_graphql_files(paths: Iterable[str | PathLike[str]]) -> list[Path]:
    """Return the files named by ``paths``, with the GraphQL files inside folders.

    Folders are searched recursively for ``.graphql`` and ``.gql`` files, leaving
    out folders whose names start with a dot (such as ``.git`` and ``.venv``). A
    file named directly is kept whatever its suffix. The result is sorted, with
    no duplicates. Raises ``FileNotFoundError`` for a path that does not exist.
    """
    found: set[Path] = set()
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found.update(_graphql_files_in(path))
        elif path.exists():
            found.add(path)
        else:
            raise FileNotFoundError(
                f"no such file or folder: {str(path)!r}; check the path, or pass "
                "a folder to validate every .graphql and .gql file inside it"
            )
    return sorted(found)


def _graphql_files_in(folder: Path) -> Iterable[Path]:
    for child in folder.iterdir():
        if child.is_dir():
            if not child.name.startswith("."):
                yield from _graphql_files_in(child)
        elif child.suffix.lower() in GRAPHQL_SUFFIXES:
            yield child


def read_graphql_file(path: Path) -> str | Diagnostic:
    """Return the text of ``path``, or a "read" error when it cannot be read.

    The file must be UTF-8.
    """
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        return Diagnostic(
            severity="error",
            message=f"cannot read the file: {reason}",
            file=str(path),
            line=1,
            column=1,
            code="read",
        )


def defines_types_only(path: str | PathLike[str]) -> bool:
    """Tell whether a GraphQL file holds a schema: type definitions and no operation.

    A file that cannot be read or parsed is not a schema file here, so that its
    validation reports the problem.
    """
    text = read_graphql_file(Path(path))
    if isinstance(text, Diagnostic):
        return False
    try:
        document = parse(text, no_location=True)
    except GraphQLError:
        return False
    return bool(document.definitions) and all(
        isinstance(
            definition,
            (TypeSystemDefinitionNode, SchemaExtensionNode, TypeExtensionNode),
        )
        for definition in document.definitions
    )


def validate_paths(
    schema: GraphQLSchema,
    paths: Sequence[str | PathLike[str]],
    *,
    check_filters: bool = True,
) -> list[Diagnostic]:
    """Validate every GraphQL file named by ``paths`` (files or folders).

    See ``collect_graphql_files`` for the files picked up. A file that cannot be
    read or decoded as UTF-8 gives a "read" error. Returns the diagnostics sorted
    by file, line and column; raises ``FileNotFoundError`` for a missing path.
    """
    diagnostics: list[Diagnostic] = []
    for path in collect_graphql_files(paths):
        text = read_graphql_file(path)
        if isinstance(text, Diagnostic):
            diagnostics.append(text)
            continue
        diagnostics.extend(
            validate_document(schema, text, file=str(path), check_filters=check_filters)
        )
    diagnostics.sort(key=_sort_key)
    return diagnostics
