"""Differences between two versions of a schema, and the documents they break.

Breaking and dangerous changes come from graphql-core; the safe changes are the
additions that are neither, found here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any, Literal

from graphql import (
    GraphQLArgument,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    ast_from_value,
    find_breaking_changes,
    find_dangerous_changes,
    is_required_argument,
    is_required_input_field,
    print_ast,
)
from graphql import utilities as graphql_utilities
from graphql.pyutils import Undefined

from ._validate import (
    Diagnostic,
    collect_graphql_files,
    read_graphql_file,
    validate_document,
)

__all__ = [
    "BrokenDocument",
    "Change",
    "DocumentCheck",
    "check_documents",
    "find_changes",
]

Severity = Literal["breaking", "dangerous", "safe"]

# graphql-core (3.2 and 3.3) lists every added optional argument or input field
# as dangerous. An operation written before the change does not send it, so it
# stays valid. Only a default value, which the server applies in its place, can
# change the result, so these are classified here by their default value.
_RECLASSIFIED = frozenset({"OPTIONAL_ARG_ADDED", "OPTIONAL_INPUT_FIELD_ADDED"})


@dataclass(frozen=True)
class Change:
    """One change between two schemas.

    ``kind`` is graphql-core's change type name, such as "FIELD_REMOVED", or for
    additions "TYPE_ADDED", "FIELD_ADDED", "OPTIONAL_ARG_ADDED",
    "OPTIONAL_INPUT_FIELD_ADDED" and "DIRECTIVE_ADDED".
    """

    severity: Severity
    kind: str
    description: str

    def to_dict(self) -> dict[str, str]:
        """Return the fields as a JSON-ready dict."""
        return {
            "severity": self.severity,
            "kind": self.kind,
            "description": self.description,
        }


def find_changes(old: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    """Return the breaking, then the dangerous, then the safe changes."""
    changes = [
        Change("breaking", change.type.name, change.description)
        for change in find_breaking_changes(old, new)
    ]
    changes += [
        Change("dangerous", change.type.name, change.description)
        for change in find_dangerous_changes(old, new)
        if change.type.name not in _RECLASSIFIED
    ]
    additions = list(_find_additions(old, new))
    changes += [change for change in additions if change.severity == "dangerous"]
    changes += [change for change in additions if change.severity == "safe"]
    return changes


def _is_public(type_: GraphQLNamedType) -> bool:
    return not type_.name.startswith("__")


def _find_additions(old: GraphQLSchema, new: GraphQLSchema) -> Iterable[Change]:
    """Find added types, fields, optional arguments, input fields and directives.

    Added required arguments and input fields are breaking, and added enum values,
    union members and interfaces dangerous, so graphql-core reports those.
    """
    old_types = old.type_map
    for name, new_type in new.type_map.items():
        if not _is_public(new_type):
            continue
        old_type = old_types.get(name)
        if old_type is None:
            yield Change("safe", "TYPE_ADDED", f"Type {name} was added.")
        elif type(old_type) is type(new_type):
            yield from _type_additions(old_type, new_type)
    old_directives = {directive.name: directive for directive in old.directives}
    for directive in new.directives:
        previous = old_directives.get(directive.name)
        if previous is None:
            yield Change(
                "safe", "DIRECTIVE_ADDED", f"Directive @{directive.name} was added."
            )
            continue
        for argument_name, argument in directive.args.items():
            if argument_name not in previous.args:
                owner = f"@{directive.name}({argument_name}:)"
                yield from _optional_added("OPTIONAL_ARG_ADDED", owner, argument)


def _type_additions(old_type: Any, new_type: Any) -> Iterable[Change]:
    name = new_type.name
    if isinstance(new_type, (GraphQLObjectType, GraphQLInterfaceType)):
        for field_name, field in new_type.fields.items():
            previous = old_type.fields.get(field_name)
            if previous is None:
                description = f"Field {name}.{field_name} was added."
                yield Change("safe", "FIELD_ADDED", description)
                continue
            for argument_name, argument in field.args.items():
                if argument_name not in previous.args:
                    owner = f"{name}.{field_name}({argument_name}:)"
                    yield from _optional_added("OPTIONAL_ARG_ADDED", owner, argument)
    elif isinstance(new_type, GraphQLInputObjectType):
        for field_name, input_field in new_type.fields.items():
            if field_name not in old_type.fields:
                owner = f"{name}.{field_name}"
                yield from _optional_added(
                    "OPTIONAL_INPUT_FIELD_ADDED", owner, input_field
                )


def _optional_added(
    kind: str, owner: str, value: GraphQLArgument | GraphQLInputField
) -> Iterable[Change]:
    """Classify an added argument or input field; required ones are left out."""
    if isinstance(value, GraphQLArgument):
        noun = "argument"
        required = is_required_argument(value)
    else:
        noun = "input field"
        required = is_required_input_field(value)
    if required:
        return
    default = _default_text(value)
    if default is None:
        yield Change("safe", kind, f"Optional {noun} {owner} was added.")
        return
    yield Change(
        "dangerous",
        kind,
        f"Optional {noun} {owner} was added with the default value {default}, "
        "which the server now applies to operations that leave it out.",
    )


def _default_text(value: GraphQLArgument | GraphQLInputField) -> str | None:
    """Return the default value as GraphQL text, or None when there is none."""
    # graphql-core 3.3 keeps a default in ``default`` and prints it with this
    # helper; 3.2 has neither and keeps it, coerced, in ``default_value``.
    default_ast = getattr(graphql_utilities, "get_default_value_ast", None)
    if default_ast is not None:
        literal = default_ast(value)
        return print_ast(literal) if literal is not None else None
    default = value.default_value
    if default is Undefined:
        return None
    literal = ast_from_value(default, value.type)
    return print_ast(literal) if literal is not None else repr(default)


@dataclass(frozen=True)
class BrokenDocument:
    """A document and its errors against a schema."""

    file: str
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class DocumentCheck:
    """Documents checked against both schemas.

    ``broken`` validated against the old schema and not against the new one;
    ``invalid_before`` already had errors against the old schema.
    """

    checked: int
    broken: tuple[BrokenDocument, ...]
    invalid_before: tuple[BrokenDocument, ...]


def _errors(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(item for item in diagnostics if item.severity == "error")


def check_documents(
    old: GraphQLSchema,
    new: GraphQLSchema,
    paths: Sequence[str | PathLike[str]],
) -> DocumentCheck:
    """Validate the GraphQL files named by ``paths`` against both schemas.

    Filter and orderBy strings are checked too, so a removed property that a
    filter uses breaks its document. Raises ``FileNotFoundError`` for a missing
    path.
    """
    broken: list[BrokenDocument] = []
    invalid_before: list[BrokenDocument] = []
    files = collect_graphql_files(paths)
    for path in files:
        name = str(path)
        text = read_graphql_file(path)
        if isinstance(text, Diagnostic):
            invalid_before.append(BrokenDocument(name, (text,)))
            continue
        before = _errors(validate_document(old, text, file=name))
        if before:
            invalid_before.append(BrokenDocument(name, before))
            continue
        after = _errors(validate_document(new, text, file=name))
        if after:
            broken.append(BrokenDocument(name, after))
    return DocumentCheck(len(files), tuple(broken), tuple(invalid_before))
