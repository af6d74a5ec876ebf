"""Introspection queries and results: feature probe, full query text, format check.

The query text is built here rather than by graphql-core, so that the same
features give the same text, and the same key order in the result, on graphql-core
3.2 and 3.3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from graphql import (
    DirectiveLocation,
    GraphQLError,
    GraphQLSchema,
    IntrospectionQuery,
    build_client_schema,
)

__all__ = [
    "DEFAULT_TYPE_DEPTH",
    "FEATURES",
    "FEATURE_ARGUMENTS",
    "FEATURE_FIELDS",
    "PROBE_QUERY",
    "IntrospectionProblem",
    "build_introspection_query",
    "check_introspection_result",
    "client_schema",
    "features_from_probe",
]

FEATURES = (
    "inputValueDeprecation",
    "isOneOf",
    "isRepeatable",
    "schemaDescription",
    "specifiedByURL",
)
"""Introspection features newer than the June 2018 GraphQL specification.

``inputValueDeprecation``: ``includeDeprecated`` on ``__Field.args``,
``__Directive.args`` and ``__Type.inputFields``, and ``isDeprecated`` and
``deprecationReason`` on ``__InputValue``. ``isOneOf``: ``__Type.isOneOf``.
``isRepeatable``: ``__Directive.isRepeatable``. ``schemaDescription``:
``__Schema.description``. ``specifiedByURL``: ``__Type.specifiedByURL``.
"""

FEATURE_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "inputValueDeprecation": (
        ("__InputValue", "isDeprecated"),
        ("__InputValue", "deprecationReason"),
    ),
    "isOneOf": (("__Type", "isOneOf"),),
    "isRepeatable": (("__Directive", "isRepeatable"),),
    "schemaDescription": (("__Schema", "description"),),
    "specifiedByURL": (("__Type", "specifiedByURL"),),
}
"""Fields of introspection types, as (type, field), that each feature adds."""

FEATURE_ARGUMENTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "inputValueDeprecation": (
        ("__Field", "args", "includeDeprecated"),
        ("__Directive", "args", "includeDeprecated"),
        ("__Type", "inputFields", "includeDeprecated"),
    ),
}
"""Arguments, as (type, field, argument), that each feature adds."""

DEFAULT_TYPE_DEPTH = 9
"""Levels of ``ofType`` in the query: enough for ``[[[[X!]!]!]!]!``."""

PROBE_QUERY = """\
query IntrospectionFeatures {
  schemaType: __type(name: "__Schema") { fields { name } }
  typeType: __type(name: "__Type") { fields { name args { name } } }
  fieldType: __type(name: "__Field") { fields { name args { name } } }
  directiveType: __type(name: "__Directive") { fields { name args { name } } }
  inputValueType: __type(name: "__InputValue") { fields { name } }
}
"""
"""A small query of the introspection types that every GraphQL server supports."""

_NAMED_KINDS = ("SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM", "INPUT_OBJECT")
_WRAPPING_KINDS = ("LIST", "NON_NULL")


def _field_arguments(result: Mapping[str, Any], alias: str) -> dict[str, set[str]]:
    """Map each field of one probed type to the names of its arguments."""
    probed = result.get(alias)
    fields = probed.get("fields") if isinstance(probed, Mapping) else None
    found: dict[str, set[str]] = {}
    for field in fields if isinstance(fields, list) else ():
        if not isinstance(field, Mapping) or not isinstance(field.get("name"), str):
            continue
        arguments = field.get("args")
        found[field["name"]] = {
            argument["name"]
            for argument in (arguments if isinstance(arguments, list) else ())
            if isinstance(argument, Mapping) and isinstance(argument.get("name"), str)
        }
    return found


def features_from_probe(result: Mapping[str, Any]) -> frozenset[str]:
    """Return the features that the result of :data:`PROBE_QUERY` shows.

    A missing or malformed part of the result counts as an unsupported
    feature, so the full query then requests less.
    """
    schema_fields = _field_arguments(result, "schemaType")
    type_fields = _field_arguments(result, "typeType")
    field_fields = _field_arguments(result, "fieldType")
    directive_fields = _field_arguments(result, "directiveType")
    input_value_fields = _field_arguments(result, "inputValueType")
    features = set()
    if "description" in schema_fields:
        features.add("schemaDescription")
    if "specifiedByURL" in type_fields:
        features.add("specifiedByURL")
    if "isOneOf" in type_fields:
        features.add("isOneOf")
    if "isRepeatable" in directive_fields:
        features.add("isRepeatable")
    deprecation_arguments = (
        field_fields.get("args", set()),
        directive_fields.get("args", set()),
        type_fields.get("inputFields", set()),
    )
    if all("includeDeprecated" in names for names in deprecation_arguments) and {
        "isDeprecated",
        "deprecationReason",
    } <= set(input_value_fields):
        features.add("inputValueDeprecation")
    return frozenset(features)


def build_introspection_query(
    features: frozenset[str] | set[str], type_depth: int = DEFAULT_TYPE_DEPTH
) -> str:
    """Return the full introspection query that requests ``features``."""
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(
            f"unknown introspection features {sorted(unknown)}; use names from "
            f"{', '.join(FEATURES)}"
        )
    if type_depth < 1:
        raise ValueError(f"type_depth must be 1 or more, not {type_depth}")

    lines = _schema_operation(features)
    lines += _full_type_fragment(features)
    lines += _input_value_fragment(features)
    lines += ["fragment TypeRef on __Type {", _type_reference(type_depth, "  "), "}"]
    return "\n".join(lines) + "\n"


def _deprecated_inputs(features: frozenset[str] | set[str]) -> str:
    """Return the argument that requests deprecated arguments and input fields."""
    return "(includeDeprecated: true)" if "inputValueDeprecation" in features else ""


def _schema_operation(features: frozenset[str] | set[str]) -> list[str]:
    lines = ["query IntrospectionQuery {", "  __schema {"]
    if "schemaDescription" in features:
        lines.append("    description")
    lines += [
        "    queryType { name }",
        "    mutationType { name }",
        "    subscriptionType { name }",
        "    types { ...FullType }",
        "    directives {",
        "      name",
        "      description",
    ]
    if "isRepeatable" in features:
        lines.append("      isRepeatable")
    lines += [
        "      locations",
        f"      args{_deprecated_inputs(features)} {{ ...InputValue }}",
        "    }",
        "  }",
        "}",
        "",
    ]
    return lines


def _full_type_fragment(features: frozenset[str] | set[str]) -> list[str]:
    include = _deprecated_inputs(features)
    lines = ["fragment FullType on __Type {", "  kind", "  name", "  description"]
    if "specifiedByURL" in features:
        lines.append("  specifiedByURL")
    if "isOneOf" in features:
        lines.append("  isOneOf")
    lines += [
        "  fields(includeDeprecated: true) {",
        "    name",
        "    description",
        f"    args{include} {{ ...InputValue }}",
        "    type { ...TypeRef }",
        "    isDeprecated",
        "    deprecationReason",
        "  }",
        f"  inputFields{include} {{ ...InputValue }}",
        "  interfaces { ...TypeRef }",
        "  enumValues(includeDeprecated: true) {",
        "    name",
        "    description",
        "    isDeprecated",
        "    deprecationReason",
        "  }",
        "  possibleTypes { ...TypeRef }",
        "}",
        "",
    ]
    return lines


def _input_value_fragment(features: frozenset[str] | set[str]) -> list[str]:
    lines = [
        "fragment InputValue on __InputValue {",
        "  name",
        "  description",
        "  type { ...TypeRef }",
        "  defaultValue",
    ]
    if "inputValueDeprecation" in features:
        lines += ["  isDeprecated", "  deprecationReason"]
    lines += ["}", ""]
    return lines


def _type_reference(depth: int, indent: str) -> str:
    text = f"{indent}kind\n{indent}name"
    if depth > 0:
        inner = _type_reference(depth - 1, indent + "  ")
        text += f"\n{indent}ofType {{\n{inner}\n{indent}}}"
    return text


class IntrospectionProblem(Exception):
    """A place where an introspection result breaks the introspection format."""

    def __init__(
        self,
        problem: str,
        *,
        location: str,
        type_name: str | None = None,
        field_name: str | None = None,
    ) -> None:
        self.problem = problem
        self.location = location
        self.type_name = type_name
        self.field_name = field_name
        where = []
        if type_name is not None:
            where.append(f"type {type_name!r}")
        if field_name is not None:
            where.append(f"field {field_name!r}")
        subject = ", ".join(where) or "the schema"
        super().__init__(f"{subject}: {problem} (at {location})")


class _Checker:
    """Walks ``__schema`` and raises IntrospectionProblem at the first bad value."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self.type_name: str | None = None
        self.field_name: str | None = None
        self.names: set[str] = set()

    def fail(self, problem: str, location: str) -> IntrospectionProblem:
        return IntrospectionProblem(
            problem,
            location=location,
            type_name=self.type_name,
            field_name=self.field_name,
        )

    def items(self, owner: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = owner.get(key)
        if not isinstance(value, list):
            found = "missing" if key not in owner else _json_kind(value)
            raise self.fail(f"{key} is {found}, expected a list", f"{where}.{key}")
        return value

    def check(self) -> None:
        schema = self.schema
        root = schema.get("queryType")
        if not isinstance(root, Mapping) or not isinstance(root.get("name"), str):
            raise self.fail("queryType has no name", "__schema.queryType")
        types = self.items(schema, "types", "__schema")
        for entry in types:
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                self.names.add(entry["name"])
        for index, entry in enumerate(types):
            self.check_type(entry, f"__schema.types[{index}]")
        self.type_name = None
        for name_key in ("queryType", "mutationType", "subscriptionType"):
            named = schema.get(name_key)
            if isinstance(named, Mapping) and named.get("name") not in self.names:
                raise self.fail(
                    f"{name_key} {named.get('name')!r} is not among the types",
                    f"__schema.{name_key}.name",
                )
        directives = schema.get("directives")
        for index, directive in enumerate(directives or ()):
            where = f"__schema.directives[{index}]"
            if not isinstance(directive, Mapping) or not directive.get("name"):
                raise self.fail("a directive has no name", where)
            self.field_name = f"@{directive['name']}"
            self.items(directive, "locations", where)
            for position, argument in enumerate(self.items(directive, "args", where)):
                self.check_input_value(
                    argument, f"{where}.args[{position}]", self.field_name
                )
            self.field_name = None

    def check_type(self, entry: Any, where: str) -> None:
        self.type_name = None
        self.field_name = None
        if not isinstance(entry, Mapping):
            raise self.fail(f"a type is {_json_kind(entry)}, expected an object", where)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail(f"a type has no name (kind {entry.get('kind')})", where)
        self.type_name = name
        kind = entry.get("kind")
        if kind not in _NAMED_KINDS:
            raise self.fail(f"kind {kind!r} is not a named type kind", f"{where}.kind")
        if kind in ("OBJECT", "INTERFACE"):
            for index, field in enumerate(self.items(entry, "fields", where)):
                self.check_field(field, f"{where}.fields[{index}]")
            self.field_name = None
            if kind == "OBJECT" or entry.get("interfaces") is not None:
                for index, ref in enumerate(self.items(entry, "interfaces", where)):
                    self.check_reference(ref, f"{where}.interfaces[{index}]")
        elif kind == "INPUT_OBJECT":
            for index, field in enumerate(self.items(entry, "inputFields", where)):
                self.check_input_value(field, f"{where}.inputFields[{index}]", None)
        elif kind == "ENUM":
            for index, value in enumerate(self.items(entry, "enumValues", where)):
                if not isinstance(value, Mapping) or not value.get("name"):
                    raise self.fail(
                        "an enum value has no name", f"{where}.enumValues[{index}]"
                    )
        elif kind == "UNION":
            for index, ref in enumerate(self.items(entry, "possibleTypes", where)):
                self.check_reference(ref, f"{where}.possibleTypes[{index}]")

    def check_field(self, field: Any, where: str) -> None:
        if not isinstance(field, Mapping) or not isinstance(field.get("name"), str):
            self.field_name = None
            raise self.fail("a field has no name", where)
        self.field_name = field["name"]
        for index, argument in enumerate(self.items(field, "args", where)):
            self.check_input_value(argument, f"{where}.args[{index}]", field["name"])
        self.check_reference(field.get("type"), f"{where}.type")

    def check_input_value(self, value: Any, where: str, owner: str | None) -> None:
        """Check an argument (``owner`` is its field) or an input field."""
        if not isinstance(value, Mapping) or not isinstance(value.get("name"), str):
            raise self.fail("an argument or input field has no name", where)
        saved = self.field_name
        name = value["name"]
        self.field_name = name if owner is None else f"{owner}({name})"
        self.check_reference(value.get("type"), f"{where}.type")
        self.field_name = saved

    def check_reference(self, ref: Any, where: str) -> None:
        previous = None
        while True:
            if not isinstance(ref, Mapping):
                raise self.fail(
                    f"the type reference is {_json_kind(ref)}, expected an object",
                    where,
                )
            kind = ref.get("kind")
            if kind in _WRAPPING_KINDS:
                if kind == "NON_NULL" and previous == "NON_NULL":
                    raise self.fail("NON_NULL wraps NON_NULL", where)
                if "ofType" not in ref:
                    raise self.fail(
                        f"the type reference is nested deeper than the "
                        f"{DEFAULT_TYPE_DEPTH} levels of ofType that were asked for",
                        where,
                    )
                previous, ref, where = kind, ref["ofType"], f"{where}.ofType"
                continue
            if kind not in _NAMED_KINDS:
                raise self.fail(f"kind {kind!r} is not a type kind", f"{where}.kind")
            name = ref.get("name")
            if not isinstance(name, str) or not name:
                raise self.fail(f"the {kind} type reference has no name", where)
            if name not in self.names:
                raise self.fail(f"type {name!r} is not among the types", where)
            return


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "a list"
    return f"the {type(value).__name__} {value!r}"


def check_introspection_result(data: Any) -> Mapping[str, Any]:
    """Check ``data`` (the response's ``data``) and return its ``__schema``.

    Raises IntrospectionProblem naming the type, the field and the JSON path of
    the first value that breaks the introspection format.
    """
    if not isinstance(data, Mapping):
        raise IntrospectionProblem(
            f"data is {_json_kind(data)}, expected an object", location="data"
        )
    schema = data.get("__schema")
    if not isinstance(schema, Mapping):
        raise IntrospectionProblem(
            f"__schema is {_json_kind(schema)}, expected an object",
            location="data.__schema",
        )
    _Checker(schema).check()
    return schema


def _known_locations_only(
    data: Mapping[str, Any], schema: Mapping[str, Any]
) -> Mapping[str, Any]:
    """Drop directive locations that the installed graphql-core does not know.

    graphql-core 3.3 lists ``DIRECTIVE_DEFINITION`` among the locations of
    ``@deprecated``, which 3.2 cannot build. The caller's data is not changed.
    """
    known = set(DirectiveLocation.__members__)
    directives = schema.get("directives") or []
    if all(set(directive["locations"]) <= known for directive in directives):
        return data
    trimmed = [
        {
            **directive,
            "locations": [name for name in directive["locations"] if name in known],
        }
        for directive in directives
    ]
    return {**data, "__schema": {**schema, "directives": trimmed}}


def client_schema(data: Any) -> GraphQLSchema:
    """Check an introspection result's ``data`` and build the schema it describes.

    Raises IntrospectionProblem for what the format check or graphql-core's
    ``build_client_schema`` rejects.
    """
    schema = check_introspection_result(data)
    try:
        complete = _known_locations_only(data, schema)
        return build_client_schema(cast(IntrospectionQuery, complete))
    except (GraphQLError, TypeError, ValueError, KeyError) as error:
        raise IntrospectionProblem(
            f"graphql-core cannot build the schema: {error}", location="data.__schema"
        ) from error
