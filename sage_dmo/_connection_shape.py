"""The connection a query document pages through, with its paging variables and keys.

Only the document is read, not the schema: a connection is a field whose selection
has ``edges`` and ``pageInfo``, and data is found by response keys (aliases).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NamedTypeNode,
    Node,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    TypeNode,
    VariableNode,
    parse,
    print_ast,
)

from ._errors import QueryValidationError

__all__ = [
    "ConnectionShape",
    "FieldGroup",
    "analyze_connection",
    "child_fields",
    "invalid_query",
    "variable_of",
]

FieldGroup = list[FieldNode]
"""The field nodes that share one response key, merged as GraphQL merges them."""


@dataclass(frozen=True)
class ConnectionShape:
    """The connection an operation pages through, with its variables and keys.

    Every ``*_key`` is a response key (the alias, or else the field name).
    """

    query_text: str
    operation: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]
    path: tuple[str, ...]
    """Response keys from the root of ``data`` to the connection."""
    connection: FieldGroup
    first_variable: str
    after_variable: str
    edges_key: str
    node_key: str
    node: FieldGroup
    """The ``node`` field inside ``edges``, whose selection is a row."""
    page_info_key: str
    end_cursor_key: str
    has_next_page_key: str
    total_count_key: str | None

    @property
    def dotted_path(self) -> str:
        return ".".join(self.path)

    def children(self, group: FieldGroup) -> dict[str, FieldGroup]:
        """Return the fields selected under ``group``, by response key."""
        return child_fields(group, self.fragments)


def invalid_query(
    message: str, nodes: Node | Sequence[Node] | None, query: str
) -> QueryValidationError:
    """Build the QueryValidationError of one problem, located at ``nodes``."""
    return QueryValidationError([GraphQLError(message, nodes)], query)


def analyze_connection(
    query: str | DocumentNode,
    *,
    path: str | None = None,
    operation_name: str | None = None,
) -> ConnectionShape:
    """Find the connection that ``query`` pages through and check that it can page.

    Raises QueryValidationError naming what to add or change in the document.
    """
    if isinstance(query, DocumentNode):
        document, text = query, print_ast(query)
    else:
        text = query
        try:
            document = parse(query)
        except GraphQLError as error:
            raise QueryValidationError([error], query) from None
    operation = _operation(document, operation_name, text)
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    root: dict[str, FieldGroup] = {}
    _collect(operation.selection_set, fragments, root, set())
    found = list(_connections(root, (), fragments))
    keys, group = _choose(found, root, path, fragments, operation, text)
    dotted = ".".join(keys)
    children = child_fields(group, fragments)
    edges_key, edges = _required(children, "edges", group, dotted, text)
    page_info_key, page_info = _required(children, "pageInfo", group, dotted, text)
    node_key, node = _required(
        child_fields(edges, fragments), "node", edges, f"{dotted}.edges", text
    )
    info_fields = child_fields(page_info, fragments)
    where = f"{dotted}.pageInfo"
    end_cursor_key, _ = _required(info_fields, "endCursor", page_info, where, text)
    has_next_key, _ = _required(info_fields, "hasNextPage", page_info, where, text)
    total_count_key = _key_of(children, "totalCount")
    return ConnectionShape(
        query_text=text,
        operation=operation,
        fragments=fragments,
        path=keys,
        connection=group,
        first_variable=_paging_variable(group, "first", "Int", operation, dotted, text),
        after_variable=_paging_variable(
            group, "after", "String", operation, dotted, text
        ),
        edges_key=edges_key,
        node_key=node_key,
        node=node,
        page_info_key=page_info_key,
        end_cursor_key=end_cursor_key,
        has_next_page_key=has_next_key,
        total_count_key=total_count_key,
    )


def child_fields(
    group: Iterable[FieldNode], fragments: Mapping[str, FragmentDefinitionNode]
) -> dict[str, FieldGroup]:
    """Return the fields selected under ``group`` by response key, through fragments."""
    children: dict[str, FieldGroup] = {}
    for field in group:
        if field.selection_set is not None:
            _collect(field.selection_set, fragments, children, set())
    return children


def _collect(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    into: dict[str, FieldGroup],
    visiting: set[str],
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = (selection.alias or selection.name).value
            into.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            _collect(selection.selection_set, fragments, into, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            # An unknown or cyclic fragment is left to the server's validation.
            if fragment is not None and name not in visiting:
                _collect(fragment.selection_set, fragments, into, visiting | {name})


def variable_of(group: FieldGroup, argument: str) -> str | None:
    """Return the name of the variable passed to ``argument``, if a variable is."""
    for field in group:
        for node in field.arguments or ():
            if node.name.value == argument and isinstance(node.value, VariableNode):
                return node.value.name.value
    return None


def _operation(
    document: DocumentNode, operation_name: str | None, text: str
) -> OperationDefinitionNode:
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    names = ", ".join(op.name.value for op in operations if op.name) or "none"
    if operation_name is not None:
        operations = [
            op for op in operations if op.name and op.name.value == operation_name
        ]
        if not operations:
            raise invalid_query(
                f"the document has no operation named {operation_name!r} "
                f"(its operations: {names})",
                None,
                text,
            )
    if len(operations) != 1:
        raise invalid_query(
            f"the document has {len(operations)} operations ({names}); "
            "pass the name of the one to page through",
            None,
            text,
        )
    operation = operations[0]
    if operation.operation != OperationType.QUERY:
        raise invalid_query(
            f"paging needs a query operation, not a {operation.operation.value}",
            operation,
            text,
        )
    return operation


def _connections(
    children: dict[str, FieldGroup],
    prefix: tuple[str, ...],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Iterable[tuple[tuple[str, ...], FieldGroup]]:
    """Yield each connection under ``children``, outermost only.

    Connections inside a connection's rows (collections such as order lines) are
    part of those rows, so the search does not descend into a connection.
    """
    for key, group in children.items():
        grandchildren = child_fields(group, fragments)
        names = {
            field.name.value for fields in grandchildren.values() for field in fields
        }
        if {"edges", "pageInfo"} <= names:
            yield (*prefix, key), group
        elif grandchildren:
            yield from _connections(grandchildren, (*prefix, key), fragments)


def _choose(
    found: list[tuple[tuple[str, ...], FieldGroup]],
    root: dict[str, FieldGroup],
    path: str | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
    text: str,
) -> tuple[tuple[str, ...], FieldGroup]:
    listed = ", ".join(".".join(keys) for keys, _ in found) or "none"
    if path is None:
        if len(found) == 1:
            return found[0]
        if not found:
            raise invalid_query(
                "the operation selects no connection (a field with edges and "
                "pageInfo); select 'edges { node { ... } } pageInfo { endCursor "
                "hasNextPage }' in a node's query field",
                operation,
                text,
            )
        raise invalid_query(
            f"the operation selects {len(found)} connections ({listed}); "
            "pass the dotted path of the one to page through",
            operation,
            text,
        )
    keys = tuple(path.split("."))
    for candidate_keys, group in found:
        if candidate_keys == keys:
            return candidate_keys, group
    raise invalid_query(
        f"the path {path!r} does not lead to a connection with edges and pageInfo "
        f"in the operation (connections found: {listed})",
        operation,
        text,
    )


def _key_of(children: dict[str, FieldGroup], name: str) -> str | None:
    for key, group in children.items():
        if any(field.name.value == name for field in group):
            return key
    return None


def _required(
    children: dict[str, FieldGroup],
    name: str,
    parent: FieldGroup,
    where: str,
    text: str,
) -> tuple[str, FieldGroup]:
    key = _key_of(children, name)
    if key is None:
        raise invalid_query(
            f"paging needs {name} under {where}; add it to the selection",
            parent,
            text,
        )
    return key, children[key]


def _paging_variable(
    group: FieldGroup,
    argument: str,
    type_name: str,
    operation: OperationDefinitionNode,
    where: str,
    text: str,
) -> str:
    """Return the variable passed to ``argument``; raise unless it fits paging."""
    fix = (
        f'declare "${argument}: {type_name}" in the operation and pass '
        f'"{argument}: ${argument}" to {where}'
    )
    name = variable_of(group, argument)
    if name is None:
        raise invalid_query(
            f"the connection {where} takes no variable as {argument!r}, so it "
            f"cannot be paged; {fix}",
            group,
            text,
        )
    for definition in operation.variable_definitions or ():
        if definition.variable.name.value != name:
            continue
        if _fits(definition.type, type_name, nullable_only=argument == "after"):
            return name
        raise invalid_query(
            f"${name} is declared as {print_ast(definition.type)}, but paging "
            f"passes {'null or ' if argument == 'after' else ''}a {type_name} "
            f"as {argument!r}; declare it as ${name}: {type_name}",
            definition,
            text,
        )
    raise invalid_query(
        f"${name} is passed as {argument!r} to {where} but not declared; {fix}",
        group,
        text,
    )


def _fits(type_node: TypeNode, type_name: str, *, nullable_only: bool) -> bool:
    if isinstance(type_node, NonNullTypeNode):
        return not nullable_only and _fits(
            type_node.type, type_name, nullable_only=True
        )
    return isinstance(type_node, NamedTypeNode) and type_node.name.value == type_name
