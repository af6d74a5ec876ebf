"""Validation rules that run in graphql-core's validation walk, beside its own.

``DeprecationRule`` reports deprecated fields, arguments, input fields and enum
values; ``FilterRule`` checks SDMO ``filter`` and ``orderBy`` strings.
"""

from __future__ import annotations

from typing import Any, Literal

from graphql import (
    ArgumentNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    ObjectFieldNode,
    OperationDefinitionNode,
    StringValueNode,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from graphql.language import Source

from ._filter_schema import is_node
from ._filter_semantics import analyze_filter, analyze_order_by, node_for_connection
from ._string_positions import string_positions

__all__ = ["DeprecationRule", "FilterRule", "ValidationFinding"]

Severity = Literal["error", "warning"]
_STRING_ARGUMENTS = ("filter", "orderBy")
_Definition = OperationDefinitionNode | FragmentDefinitionNode


class ValidationFinding(GraphQLError):
    """A problem found by a sage_dmo rule: its code, severity and source span.

    ``code`` is "deprecated", "filter" or "orderBy". ``end_position`` is the offset
    in the source where the problem ends, or None when it is not known.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        severity: Severity,
        node: Any,
        span: tuple[int, int] | None = None,
        source: Source | None = None,
    ) -> None:
        if span is not None and source is not None:
            super().__init__(message, source=source, positions=[span[0]])
            self.end_position: int | None = span[1]
        else:
            super().__init__(message, node)
            location = getattr(node, "loc", None)
            self.end_position = location.end if location is not None else None
        self.code = code
        self.severity = severity


class FilterRule(ValidationRule):
    """Checks each ``filter`` and ``orderBy`` string of a node query.

    A string is checked when it is written as a literal, or when it is the default
    value of the variable passed. ``_target_node`` returns the node that a string
    applies to. An orderBy is checked only where the field returns a connection
    of nodes.
    """

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.definition: _Definition | None = None
        self.variable_uses: list[tuple[str, str, GraphQLObjectType, _Definition]] = []
        self.checked: set[tuple[int, str, str]] = set()

    def enter_operation_definition(
        self, node: OperationDefinitionNode, *_args: Any
    ) -> None:
        self.definition = node

    def enter_fragment_definition(
        self, node: FragmentDefinitionNode, *_args: Any
    ) -> None:
        self.definition = node

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        name = node.name.value
        if name not in _STRING_ARGUMENTS:
            return
        context = self.context
        if context.get_directive() is not None:
            return
        target = _target_node(context.get_parent_type(), context.get_field_def(), name)
        if target is None:
            return
        value = node.value
        if isinstance(value, StringValueNode):
            self.check_string(name, value, target, None)
        elif isinstance(value, VariableNode) and self.definition is not None:
            use = (value.name.value, name, target, self.definition)
            self.variable_uses.append(use)

    def leave_document(self, node: DocumentNode, *_args: Any) -> None:
        """Check the default values of the variables passed as filter or orderBy.

        This runs at the end because a fragment can come before the operations
        that define its variables.
        """
        for variable, kind, target, definition in self.variable_uses:
            for operation in self.operations_using(definition, node):
                for variable_definition in operation.variable_definitions or ():
                    if variable_definition.variable.name.value != variable:
                        continue
                    default = variable_definition.default_value
                    if isinstance(default, StringValueNode):
                        self.check_string(kind, default, target, variable)

    def operations_using(
        self, definition: _Definition, document: DocumentNode
    ) -> list[OperationDefinitionNode]:
        """Return the operations whose variables ``definition`` can use."""
        if isinstance(definition, OperationDefinitionNode):
            return [definition]
        name = definition.name.value
        operations = []
        for candidate in document.definitions:
            if not isinstance(candidate, OperationDefinitionNode):
                continue
            fragments = self.context.get_recursively_referenced_fragments(candidate)
            if any(fragment.name.value == name for fragment in fragments):
                operations.append(candidate)
        return operations

    def check_string(
        self,
        kind: str,
        value: StringValueNode,
        target: GraphQLObjectType,
        variable: str | None,
    ) -> None:
        """Analyse one filter or orderBy string and report its problems."""
        key = (id(value), kind, target.name)
        if key in self.checked:
            return
        self.checked.add(key)
        schema = self.context.schema
        if kind == "filter":
            problems = analyze_filter(value.value, target, schema).problems
        else:
            problems = analyze_order_by(value.value, target, schema).problems
        if not problems:
            return
        positions = string_positions(value)
        source = value.loc.source if value.loc is not None else None
        where = f" in the default value of ${variable}" if variable else ""
        for problem in problems:
            message = f"Invalid {kind}{where}: {problem.message}"
            span = None
            if positions is not None:
                span = positions.source_span(problem.start, problem.end)
            self.report_error(
                ValidationFinding(
                    message,
                    code=kind,
                    severity="error",
                    node=value,
                    span=span,
                    source=source,
                )
            )


class DeprecationRule(ValidationRule):
    """Reports deprecated fields, arguments, input fields and enum values.

    Each is a warning that carries the schema's deprecation reason.
    """

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        field = self.context.get_field_def()
        if field is None or field.deprecation_reason is None:
            return
        parent = self.context.get_parent_type()
        owner = parent.name if parent is not None else "?"
        self.warn(
            f"Field {owner}.{node.name.value} is deprecated: "
            f"{field.deprecation_reason}",
            node.name,
        )

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        argument = self.context.get_argument()
        if argument is not None and argument.deprecation_reason is not None:
            self.warn(
                f"Argument {self.argument_owner()}({node.name.value}:) is "
                f"deprecated: {argument.deprecation_reason}",
                node.name,
            )

    def argument_owner(self) -> str:
        """Name the field or directive whose argument is being visited."""
        directive = self.context.get_directive()
        if directive is not None:
            return f"@{directive.name}"
        parent = self.context.get_parent_type()
        field = self.context.get_field_def()
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return "?"
        names = [name for name, known in parent.fields.items() if known is field]
        return f"{parent.name}.{names[0] if names else '?'}"

    def enter_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
        input_type = get_named_type(self.context.get_parent_input_type())
        if not isinstance(input_type, GraphQLInputObjectType):
            return
        field = input_type.fields.get(node.name.value)
        if field is None or field.deprecation_reason is None:
            return
        self.warn(
            f"Input field {input_type.name}.{node.name.value} is deprecated: "
            f"{field.deprecation_reason}",
            node.name,
        )

    def enter_enum_value(self, node: EnumValueNode, *_args: Any) -> None:
        value = self.context.get_enum_value()
        if value is None or value.deprecation_reason is None:
            return
        enum_type = get_named_type(self.context.get_input_type())
        owner = enum_type.name if enum_type is not None else "?"
        self.warn(
            f"Enum value {owner}.{node.value} is deprecated: "
            f"{value.deprecation_reason}",
            node,
        )

    def warn(self, message: str, node: Any) -> None:
        self.report_error(
            ValidationFinding(message, code="deprecated", severity="warning", node=node)
        )


def _target_node(parent: Any, field: Any, argument: str) -> GraphQLObjectType | None:
    """Return the node that the ``argument`` string of ``field`` applies to.

    A field that returns a connection of nodes filters and sorts that node. The
    filter of another field (``readAggregate``, ``bulkUpdate``) applies to the node
    of its sibling ``query`` field, or to the node that its sibling ``update``
    field returns.
    """
    if field is None:
        return None
    node = node_for_connection(field.type)
    if node is not None or argument != "filter":
        return node
    if not isinstance(parent, GraphQLObjectType):
        return None
    query = parent.fields.get("query")
    if query is not None and query is not field:
        return node_for_connection(query.type)
    update = parent.fields.get("update")
    if update is not None:
        returned = get_named_type(update.type)
        if isinstance(returned, GraphQLObjectType) and is_node(returned):
            return returned
    return None
