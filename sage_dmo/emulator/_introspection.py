"""Introspection modes of the emulator, to reproduce servers other than the default.

``full`` accepts every introspection query. ``disabled`` rejects any request
that uses ``__schema`` or ``__type``. ``legacy`` behaves like a server that
predates some introspection features: it rejects requests that use them, with
graphql-core's messages for unknown fields and arguments, and leaves them out
of its results about the introspection types.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_schema,
    execute_sync,
    introspection_types,
    is_introspection_type,
    parse,
    validate,
    visit,
)
from graphql.language import BREAK

from .._errors import ConfigurationError
from .._schema_introspection import FEATURE_ARGUMENTS, FEATURE_FIELDS, FEATURES
from ._diagnostics import SEVERITY_ERROR, diagnosis
from ._state import Info

__all__ = [
    "INTROSPECTION_DISABLED_CODE",
    "INTROSPECTION_DISABLED_MESSAGE",
    "IntrospectionMode",
    "check_introspection",
    "introspection_response",
    "only_introspects",
    "parse_introspection_mode",
]

INTROSPECTION_DISABLED_MESSAGE = (
    "Introspection is disabled for this tenant: the request queries __schema or "
    "__type. Use a schema file downloaded where introspection is allowed."
)
INTROSPECTION_DISABLED_CODE = "introspection-disabled"
"""``extensions.code`` of the rejection; no public material shows SDMO's own."""

# Enough for TypeInfo to follow __schema, __type and the introspection types.
_BARE_SCHEMA = build_schema("type Query { unused: Boolean }")


@dataclass(frozen=True)
class IntrospectionMode:
    """Behaviour of the emulated server toward introspection requests."""

    disabled: bool = False
    rejected: frozenset[str] = frozenset()
    """Introspection features that the server predates."""

    def __str__(self) -> str:
        if self.disabled:
            return "disabled"
        if not self.rejected:
            return "full"
        if self.rejected == frozenset(FEATURES):
            return "legacy"
        return "legacy:" + ",".join(sorted(self.rejected))

    @property
    def hidden_fields(self) -> frozenset[tuple[str, str]]:
        """Fields of introspection types, as (type, field), that the server lacks."""
        return frozenset(
            pair for feature in self.rejected for pair in FEATURE_FIELDS[feature]
        )

    @property
    def hidden_arguments(self) -> frozenset[tuple[str, str, str]]:
        """Arguments, as (type, field, argument), that the server lacks."""
        return frozenset(
            triple
            for feature in self.rejected
            for triple in FEATURE_ARGUMENTS.get(feature, ())
        )


def parse_introspection_mode(
    mode: str | Set[str] | IntrospectionMode,
) -> IntrospectionMode:
    """Read a mode: ``full``, ``disabled``, ``legacy`` or ``legacy:FEATURE,...``.

    ``legacy`` alone rejects every feature newer than the June 2018
    specification; a set of feature names means ``legacy`` with those features.
    """
    if isinstance(mode, IntrospectionMode):
        return mode
    if not isinstance(mode, str):
        return IntrospectionMode(rejected=_features(mode, str(sorted(mode))))
    text = mode.strip()
    if text == "full":
        return IntrospectionMode()
    if text == "disabled":
        return IntrospectionMode(disabled=True)
    if text == "legacy":
        return IntrospectionMode(rejected=frozenset(FEATURES))
    if text.startswith("legacy:"):
        names = {name.strip() for name in text[len("legacy:") :].split(",")}
        return IntrospectionMode(rejected=_features(names - {""}, mode))
    raise ConfigurationError(
        f"introspection mode {mode!r} is invalid; use full, disabled, legacy or "
        f"legacy:FEATURE,... with features from {', '.join(FEATURES)}"
    )


def _features(names: Set[str], mode: str) -> frozenset[str]:
    unknown = sorted(set(names) - set(FEATURES))
    if unknown or not names:
        raise ConfigurationError(
            f"introspection mode {mode!r} names no feature or unknown features "
            f"{unknown}; use features from {', '.join(FEATURES)}"
        )
    return frozenset(names)


class _LegacyChecker(Visitor):
    """Finds the first use of a field or argument that a legacy server lacks."""

    def __init__(self, type_info: TypeInfo, mode: IntrospectionMode) -> None:
        super().__init__()
        self.type_info = type_info
        self.fields = mode.hidden_fields
        self.arguments = mode.hidden_arguments
        self.field_names: list[str] = []
        self.problem: str | None = None

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        parent = self.type_info.get_parent_type()
        name = node.name.value
        self.field_names.append(name)
        if parent is not None and (parent.name, name) in self.fields:
            self.problem = f"Cannot query field '{name}' on type '{parent.name}'."
            return BREAK
        return None

    def leave_field(self, *_: Any) -> None:
        self.field_names.pop()

    def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
        parent = self.type_info.get_parent_type()
        if parent is None or not self.field_names:
            return None
        field_name = self.field_names[-1]
        name = node.name.value
        if (parent.name, field_name, name) in self.arguments:
            self.problem = (
                f"Unknown argument '{name}' on field '{parent.name}.{field_name}'."
            )
            return BREAK
        return None


def check_introspection(
    document_or_query: DocumentNode | str,
    mode: str | Set[str] | IntrospectionMode,
) -> str | None:
    """Return the error message a server in ``mode`` gives for this request.

    Returns None when the server accepts the request, and also when the query
    does not parse: the tenant reports syntax errors itself.
    """
    parsed_mode = parse_introspection_mode(mode)
    if not parsed_mode.disabled and not parsed_mode.rejected:
        return None
    document = _parse(document_or_query)
    if document is None:
        return None
    if parsed_mode.disabled:
        return INTROSPECTION_DISABLED_MESSAGE if _introspects(document) else None
    type_info = TypeInfo(_BARE_SCHEMA)
    checker = _LegacyChecker(type_info, parsed_mode)
    visit(document, TypeInfoVisitor(type_info, checker))
    return checker.problem


def _parse(document_or_query: DocumentNode | str) -> DocumentNode | None:
    if isinstance(document_or_query, DocumentNode):
        return document_or_query
    try:
        return parse(document_or_query)
    except GraphQLError:
        return None


class _FindIntrospection(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        if node.name.value in ("__schema", "__type"):
            self.found = True
            return BREAK
        return None


def _introspects(document: DocumentNode) -> bool:
    finder = _FindIntrospection()
    visit(document, finder)
    return finder.found


def only_introspects(document: DocumentNode, operation_name: str | None) -> bool:
    """Tell whether the chosen operation selects nothing but introspection fields."""
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
        and (
            operation_name is None
            or (definition.name is not None and definition.name.value == operation_name)
        )
    ]
    if len(operations) != 1:
        return False
    return all(
        isinstance(selection, FieldNode)
        and selection.name.value in ("__schema", "__type", "__typename")
        for selection in operations[0].selection_set.selections
    )


class _HideFeatures:
    """Execution middleware that leaves hidden fields and arguments out of results."""

    def __init__(self, mode: IntrospectionMode) -> None:
        self.fields = mode.hidden_fields
        owners: dict[int, tuple[str, str]] = {}
        for type_name, type_ in introspection_types.items():
            for field_name, field in getattr(type_, "fields", {}).items():
                owners[id(field)] = (type_name, field_name)
        self.owners = owners
        self.arguments = mode.hidden_arguments

    def resolve(self, next_: Any, root: Any, info: Info, **arguments: Any) -> Any:
        result = next_(root, info, **arguments)
        if result is None:
            return result
        parent = info.parent_type.name
        field_name = info.field_name
        if parent == "__Type" and field_name == "fields":
            if is_introspection_type(root):
                return [
                    item for item in result if (root.name, item[0]) not in self.fields
                ]
        elif parent == "__Field" and field_name == "args":
            owner = self._owner(root)
            if owner is not None:
                return [
                    item for item in result if (*owner, item[0]) not in self.arguments
                ]
        return result

    def _owner(self, root: Any) -> tuple[str, str] | None:
        if isinstance(root, tuple) and len(root) == 2:
            field = root[1]
            if isinstance(field, GraphQLField):
                return self.owners.get(id(field))
        return None


def introspection_response(
    schema: GraphQLSchema,
    query: str,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    mode: str | Set[str] | IntrospectionMode,
) -> dict[str, Any] | None:
    """Return the response a server in ``mode`` sends for a request, or None.

    None means the tenant handles the request as usual. Otherwise the result
    is the whole JSON response: the rejection of a request that the mode does
    not allow, or, in a legacy mode, the response to an introspection-only
    request with the missing features left out.
    """
    parsed_mode = parse_introspection_mode(mode)
    if not parsed_mode.disabled and not parsed_mode.rejected:
        return None
    document = _parse(query)
    if document is None:
        return None
    problem = check_introspection(document, parsed_mode)
    if problem is not None:
        return _rejection(problem, parsed_mode)
    # NOTE: a request that mixes data fields with introspection goes to the
    # tenant unchanged, so its introspection part still shows every feature.
    if parsed_mode.disabled or not only_introspects(document, operation_name):
        return None
    if validate(schema, document):
        return None
    result = execute_sync(
        schema,
        document,
        variable_values=dict(variables) if variables is not None else None,
        operation_name=operation_name,
        middleware=[_HideFeatures(parsed_mode)],
    )
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [error.formatted for error in result.errors]
    response["extensions"] = {"diagnoses": []}
    return response


def _rejection(message: str, mode: IntrospectionMode) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if mode.disabled:
        error["extensions"] = {
            "code": INTROSPECTION_DISABLED_CODE,
            "diagnoses": [diagnosis(SEVERITY_ERROR, message)],
        }
    return {"data": None, "errors": [error], "extensions": {"diagnoses": []}}
