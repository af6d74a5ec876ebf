"""Generation of an SDMO-scale schema in SDL from a seed.

The generated SDL follows the conventions of ``schema.graphql`` and reuses its
scalar, ``PageInfo``, text stream and aggregate value definitions.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from importlib import resources

from graphql import TypeDefinitionNode, parse, print_ast

__all__ = ["DEFAULT_FULL_SCHEMA_SEED", "generate_full_schema_sdl"]

DEFAULT_FULL_SCHEMA_SEED = 20250801

_SHARED_DEFINITIONS = (
    "Id", "Decimal", "Date", "Datetime", "IntReference", "IntOrString", "Json",
    "PageInfo", "TextStream", "TextStream_Input", "Id_AggregateValues",
    "Decimal_AggregateValues", "Int_AggregateValues", "Date_AggregateValues",
    "Datetime_AggregateValues", "String_AggregateValues",
)  # fmt: skip
"""Definitions copied from ``schema.graphql``, in this order."""

_PACKAGES = (
    "xtremMasterData", "xtremSales", "xtremPurchasing", "xtremSystem",
    "xtremStockData", "xtremReporting", "xtremStock", "xtremFinance",
    "xtremFinanceData", "xtremManufacturing", "xtremTechnicalData",
    "xtremDistribution", "xtremLandedCost", "xtremTax", "xtremStructure",
    "xtremAuthorization", "xtremCommunication", "xtremImportExport", "xtremMailer",
    "xtremWorkflow", "xtremDashboard", "xtremUpload", "xtremAuditing",
    "xtremScheduler", "xtremCustomization",
)  # fmt: skip

_QUALIFIERS = (
    "Sales", "Purchase", "Stock", "Work", "Production", "Quality", "Shipping",
    "Receipt", "Return", "Transfer", "Cost", "Price", "Tax", "Account", "Journal",
    "Budget", "Asset", "Project", "Service", "Contract", "Supplier", "Customer",
    "Item", "Site", "Warehouse", "Routing", "Planning", "Payment", "Bank", "Labor",
    "Capacity", "Forecast",
)  # fmt: skip

_NOUNS = (
    "Order", "OrderLine", "Invoice", "InvoiceLine", "Credit", "CreditLine",
    "Document", "Entry", "Adjustment", "Allocation", "Reservation", "Schedule",
    "Plan", "Rule", "Setting", "Category", "Group", "Template", "Rate", "Condition",
    "Movement", "Count", "Valuation", "Tracking", "Request", "Approval", "Note",
    "Attachment", "Balance", "Batch", "Calendar", "Period", "Structure", "Component",
    "Operation", "Resource", "Certificate", "Inspection", "Agreement", "Commitment",
    "Estimate", "Variance", "Policy", "Profile", "Address", "Contact", "Discount",
    "Charge", "Fee", "Route",
)  # fmt: skip

_PROPERTY_WORDS = (
    "code", "reference", "label", "comment", "quantity", "amount", "price", "cost",
    "rate", "weight", "volume", "length", "startDate", "endDate", "dueDate",
    "postingDate", "validFrom", "validTo", "priority", "sequence", "level", "factor",
    "percentage", "isBlocked", "isDefault", "isPosted", "isPrinted", "isExternal",
    "status", "origin", "owner", "approver", "unit", "currency", "account",
    "location", "lotNumber", "serialNumber", "externalId", "batchSize", "leadTime",
    "minimum", "maximum", "target", "tolerance", "remark", "instructions", "notes",
)  # fmt: skip

_ENUM_SUBJECTS = ("Status", "Type", "Origin", "Priority", "Mode", "Method")

_ENUM_VALUES = (
    "draft", "pending", "inProgress", "approved", "rejected", "closed", "cancelled",
    "posted", "error", "standard", "manual", "automatic", "low", "medium", "high",
    "internal", "external", "partial", "complete", "onHold",
)  # fmt: skip

_PROPERTY_KINDS = (
    ("String", 30), ("Boolean", 15), ("Decimal", 15), ("Int", 8), ("Date", 8),
    ("Datetime", 4), ("enum", 8), ("reference", 10), ("TextStream", 2),
)  # fmt: skip
"""Kinds of generated properties with their relative weights."""

_AGGREGATE_TYPES = {
    "String": "String_AggregateValues",
    "Decimal": "Decimal_AggregateValues",
    "Int": "Int_AggregateValues",
    "Date": "Date_AggregateValues",
    "Datetime": "Datetime_AggregateValues",
}

_INPUT_TYPES = {"reference": "IntReference", "TextStream": "TextStream_Input"}

_SYSTEM_FIELDS = (
    ("_id", "Id!", "Internal identifier, unique within the node."),
    ("_createStamp", "Datetime", "When the record was created (UTC)."),
    ("_updateStamp", "Datetime", "When the record was last changed (UTC)."),
    ("_updateTick", "Int", "Number of times the record has been saved."),
    ("_etag", "String", "Version tag that changes every time the record is saved."),
    ("_customData", "Json", "Values of custom fields, as a JSON object in a string."),
    ("_sourceId", "String", "Identifier of the record in the system it came from."),
)

_QUERY_ARGUMENTS = (
    '    "Filter text, such as `{isActive: true}`."\n    filter: String\n'
    '    "Sort text, such as `{code: 1}`."\n    orderBy: String\n'
    '    "Rows to return from the start of the window."\n    first: Int\n'
    '    "Cursor of the row after which the page starts."\n    after: String\n'
    '    "Rows to return from the end of the window."\n    last: Int\n'
    '    "Cursor of the row before which the page ends."\n    before: String\n'
)


@dataclass
class _Property:
    name: str
    kind: str
    graphql_type: str
    deprecation: str | None = None


@dataclass
class _Node:
    name: str
    package: str
    properties: list[_Property] = field(default_factory=list)
    collections: list[tuple[str, str]] = field(default_factory=list)
    read_only: bool = False
    matrix_lookup: bool = False

    @property
    def field_name(self) -> str:
        return self.name[0].lower() + self.name[1:]


def generate_full_schema_sdl(
    packages: int = 25,
    nodes_per_package: int = 40,
    seed: int = DEFAULT_FULL_SCHEMA_SEED,
) -> str:
    """Generate the SDL of an SDMO-scale schema; the same arguments give the same text.

    Each node yields the node type and its ``_Connection``, ``_Edge``,
    ``_Collection``, ``_Operations``, ``_Aggregate``, ``_Input`` and
    ``_Mutations`` types, except that read-only nodes have no ``_Mutations``.
    Each package has four enums, each with its ``_EnumInput`` scalar. The defaults give
    about 8,300 types. About one property in thirty, some enum values and the
    ``activeFrom``/``activeTo`` pair of every seventh node are deprecated.
    """
    if packages < 1 or nodes_per_package < 1:
        raise ValueError(
            f"packages ({packages}) and nodes_per_package ({nodes_per_package}) "
            "must both be 1 or more"
        )
    rng = random.Random(seed)
    package_names = [_package_name(index) for index in range(packages)]
    enums = {name: _make_enums(rng, name) for name in package_names}
    node_names = _node_names(rng, packages * nodes_per_package)
    nodes = [
        _Node(name, package_names[index // nodes_per_package])
        for index, name in enumerate(node_names)
    ]
    for index, node in enumerate(nodes):
        _fill_node(rng, node, index, nodes, enums[node.package])
    parts = [_header(), _shared_definitions()]
    parts.append(_root_types(package_names, nodes))
    for node in nodes:
        parts.append(_node_types(node))
    for package in package_names:
        parts.append(_enum_types(enums[package]))
        parts.append(_package_types(package, nodes))
    return "\n\n".join(part.strip("\n") for part in parts) + "\n"


def _package_name(index: int) -> str:
    if index < len(_PACKAGES):
        return _PACKAGES[index]
    return f"xtremExtension{index - len(_PACKAGES) + 1}"


def _pascal(name: str) -> str:
    return name[0].upper() + name[1:]


def _node_names(rng: random.Random, count: int) -> list[str]:
    combinations = [q + n for q in _QUALIFIERS for n in _NOUNS]
    rng.shuffle(combinations)
    names = combinations[:count]
    # Past the word combinations, numbered names keep every node unique.
    names += [
        f"{combinations[i % len(combinations)]}{i}" for i in range(len(names), count)
    ]
    return names


def _make_enums(rng: random.Random, package: str) -> dict[str, list[str]]:
    prefix = _pascal(package.removeprefix("xtrem"))
    subjects = rng.sample(_ENUM_SUBJECTS, 4)
    return {
        f"{prefix}{subject}": sorted(rng.sample(_ENUM_VALUES, rng.randint(3, 8)))
        for subject in subjects
    }


def _fill_node(
    rng: random.Random,
    node: _Node,
    index: int,
    nodes: list[_Node],
    enums: dict[str, list[str]],
) -> None:
    node.properties.append(_Property("id", "String", "String!"))
    node.properties.append(_Property("name", "String", "String"))
    kinds = [kind for kind, _ in _PROPERTY_KINDS]
    weights = [weight for _, weight in _PROPERTY_KINDS]
    used = {"id", "name"}
    for word in rng.sample(_PROPERTY_WORDS, rng.randint(5, 16)):
        kind = rng.choices(kinds, weights)[0]
        if kind == "enum":
            graphql_type = rng.choice(sorted(enums))
        elif kind == "reference":
            graphql_type = rng.choice(nodes).name
        else:
            graphql_type = kind
        deprecation = None
        if rng.random() < 1 / 30:
            deprecation = f"Use {rng.choice(sorted(used))} instead."
        node.properties.append(_Property(word, kind, graphql_type, deprecation))
        used.add(word)
    if index % 7 == 3:
        reason = "Replaced by activeRange."
        node.properties.append(_Property("activeFrom", "Date", "Date", reason))
        node.properties.append(_Property("activeTo", "Date", "Date", reason))
        node.properties.append(_Property("activeRange", "String", "String"))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        child = rng.choice(nodes)
        field_name = child.field_name + "s"
        if field_name not in used:
            node.collections.append((field_name, child.name))
            used.add(field_name)
    node.read_only = rng.random() < 0.1
    node.matrix_lookup = index % 10 == 0


def _header() -> str:
    return (
        "# Generated SDMO-scale schema: application packages on Query and Mutation,\n"
        "# one field per node inside each package, and per node the same family of\n"
        "# types as the emulator's standard schema.\n"
    )


@functools.lru_cache(maxsize=1)
def _shared_definitions() -> str:
    text = resources.files(__package__).joinpath("schema.graphql").read_text("utf-8")
    document = parse(text, no_location=True)
    found: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, TypeDefinitionNode):
            name = definition.name.value
            if name in _SHARED_DEFINITIONS:
                found[name] = print_ast(definition)
    missing = [name for name in _SHARED_DEFINITIONS if name not in found]
    if missing:
        raise LookupError(f"schema.graphql lacks the definitions {missing}")
    return "\n\n".join(found[name] for name in _SHARED_DEFINITIONS)


def _root_types(package_names: list[str], nodes: list[_Node]) -> str:
    lines = ['"Read operations, grouped by application package."', "type Query {"]
    lines += [f"  {package}: {_pascal(package)}!" for package in package_names]
    lines.append("}")
    writable = [
        package
        for package in package_names
        if any(node.package == package and not node.read_only for node in nodes)
    ]
    if writable:
        lines += ["", '"Write operations, grouped by application package."']
        lines.append("type Mutation {")
        lines += [f"  {package}: {_pascal(package)}_Mutation!" for package in writable]
        lines.append("}")
    return "\n".join(lines)


def _deprecated(reason: str | None) -> str:
    if reason is None:
        return ""
    return f' @deprecated(reason: "{reason}")'


def _node_types(node: _Node) -> str:
    lines = _object_type(node)
    lines += _page_types(node.name)
    lines += _operations_type(node)
    lines += _aggregate_type(node)
    lines += _input_type(node)
    if not node.read_only:
        lines += _mutations_type(node)
    return "\n".join(lines)


def _object_type(node: _Node) -> list[str]:
    name = node.name
    lines = [f'"Generated node {name} of package {node.package}."', f"type {name} {{"]
    for field_name, graphql_type, description in _SYSTEM_FIELDS:
        lines.append(f'  "{description}"')
        lines.append(f"  {field_name}: {graphql_type}")
    for prop in node.properties:
        deprecation = _deprecated(prop.deprecation)
        lines.append(f"  {prop.name}: {prop.graphql_type}{deprecation}")
    for field_name, child in node.collections:
        lines.append(f"  {field_name}: {child}_Collection")
    lines += ["}", ""]
    return lines


def _page_types(name: str) -> list[str]:
    return [
        f'"A page of {name} rows."',
        f"type {name}_Connection {{",
        '  "Number of rows that match the filter, on all pages."',
        "  totalCount: Int!",
        "  pageInfo: PageInfo!",
        f"  edges: [{name}_Edge!]!",
        "}",
        "",
        f'"One {name} row of a page, with its cursor."',
        f"type {name}_Edge {{",
        "  cursor: String!",
        f"  node: {name}!",
        "}",
        "",
        f'"The {name} rows that belong to one parent record."',
        f"type {name}_Collection {{",
        f"  query(\n{_QUERY_ARGUMENTS}  ): {name}_Connection!",
        "}",
        "",
    ]


def _operations_type(node: _Node) -> list[str]:
    name = node.name
    lines = [
        f'"Read operations on {name}."',
        f"type {name}_Operations {{",
        f'  "Page through {name} rows that match a filter."',
        f"  query(\n{_QUERY_ARGUMENTS}  ): {name}_Connection!",
        f'  "One {name} by `_id` or by natural key (`#<key>`); null if there is none."',
        f"  read(_id: Id!): {name}",
        '  "Aggregates over the rows that match the filter."',
        f"  readAggregate(filter: String): {name}_Aggregate!",
    ]
    if node.matrix_lookup:
        lines += [
            '  "Rows by natural key, in the nesting of the keys."',
            f"  lookupMatrix(keys: [[[String!]!]!]!): [[[{name}!]!]!]!",
        ]
    lines += ["}", ""]
    return lines


def _aggregate_type(node: _Node) -> list[str]:
    name = node.name
    lines = [
        f'"Aggregates over {name} rows; `_id {{ distinctCount }}` counts the rows."',
        f"type {name}_Aggregate {{",
        "  _id: Id_AggregateValues!",
        "  _createStamp: Datetime_AggregateValues!",
        "  _updateStamp: Datetime_AggregateValues!",
    ]
    for prop in node.properties:
        aggregate = _AGGREGATE_TYPES.get(prop.kind)
        if aggregate is not None:
            lines.append(f"  {prop.name}: {aggregate}!")
    lines += ["}", ""]
    return lines


def _input_type(node: _Node) -> list[str]:
    name = node.name
    lines = [
        f'"Values of a {name} to create or update."',
        f"input {name}_Input {{",
        '  "Record to update: its `_id`, or `#` and its natural key."',
        "  _id: Id",
    ]
    for prop in node.properties:
        if prop.kind == "enum":
            graphql_type = f"{prop.graphql_type}_EnumInput"
        else:
            graphql_type = _INPUT_TYPES.get(prop.kind, prop.kind)
        lines.append(f"  {prop.name}: {graphql_type}{_deprecated(prop.deprecation)}")
    for field_name, child in node.collections:
        lines.append(f"  {field_name}: [{child}_Input!]")
    lines += ["  _customData: Json", "  _sourceId: String", "}", ""]
    return lines


def _mutations_type(node: _Node) -> list[str]:
    name = node.name
    return [
        f'"Write operations on {name}."',
        f"type {name}_Mutations {{",
        f'  "Create a {name} and return it."',
        f"  create(data: {name}_Input!): {name}",
        f'  "Change the {name} named by `data._id` and return it."',
        f"  update(data: {name}_Input!): {name}",
        f'  "Delete one {name}; returns the number of records deleted."',
        "  delete(_id: Id!): Int",
        f'  "Apply the same values to every {name} that matches the filter."',
        f"  bulkUpdate(filter: String, data: {name}_Input!): Boolean",
        "}",
        "",
    ]


def _enum_types(enums: dict[str, list[str]]) -> str:
    lines: list[str] = []
    for name, values in enums.items():
        lines += [f'"Generated enum {name}."', f"enum {name} {{"]
        for position, value in enumerate(values):
            deprecation = None
            if position == len(values) - 1 and len(values) > 5:
                deprecation = f"No longer set; use {values[0]}."
            lines.append(f"  {value}{_deprecated(deprecation)}")
        listed = ", ".join(values)
        lines += [
            "}",
            "",
            f'"A {name} value on input, as an enum literal or a quoted string: '
            f'{listed}."',
            f"scalar {name}_EnumInput",
            "",
        ]
    return "\n".join(lines)


def _package_types(package: str, nodes: list[_Node]) -> str:
    members = [node for node in nodes if node.package == package]
    type_name = _pascal(package)
    lines = [f'"Nodes of the {package} package."', f"type {type_name} {{"]
    lines += [f"  {node.field_name}: {node.name}_Operations!" for node in members]
    lines.append("}")
    writable = [node for node in members if not node.read_only]
    if writable:
        lines += ["", f'"Nodes of the {package} package."']
        lines.append(f"type {type_name}_Mutation {{")
        lines += [f"  {node.field_name}: {node.name}_Mutations!" for node in writable]
        lines.append("}")
    return "\n".join(lines)
