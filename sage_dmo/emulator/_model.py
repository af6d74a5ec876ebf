"""Node metadata of the emulated tenant: tables, columns, keys and collections.

Static facts (table names, natural keys, decimal scales, collections) are listed
here; each node's properties and their storage are read from the GraphQL schema.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_non_null_type,
)

from ._scalars import ms_to_text, scaled_text

__all__ = ["NODE_SPECS", "Model", "NodeModel", "NodeSpec", "Property", "quote"]

Kind = Literal["scalar", "enum", "reference", "collection", "text"]
Storage = Literal["integer", "text"]

# Storage of each scalar type: decimals as scaled integers, date-times as
# milliseconds since 1970-01-01 UTC, booleans as 0 and 1, dates as ISO text.
_SCALAR_STORAGE: dict[str, Storage] = {
    "Id": "integer",
    "String": "text",
    "Int": "integer",
    "Boolean": "integer",
    "Decimal": "integer",
    "Date": "text",
    "Datetime": "integer",
    "Json": "text",
}


@dataclass(frozen=True)
class NodeSpec:
    """Facts about a node that its GraphQL type does not carry."""

    name: str
    package: str
    operation: str
    table: str
    natural_key: tuple[str, ...] = ()
    writable: bool = True
    # For a child edited inside its parent (a line), the property naming the parent.
    parent: str | None = None
    # Decimal places of each Decimal property.
    decimals: Mapping[str, int] = field(default_factory=dict)
    # For each collection property, the property of the child that points back.
    collections: Mapping[str, str] = field(default_factory=dict)
    # Further columns worth an index, because lists are often sorted by them.
    indexed: tuple[str, ...] = ()


def _spec(name: str, package: str, table: str, **facts: Any) -> NodeSpec:
    operation = name[0].lower() + name[1:]
    return NodeSpec(name, package, operation, table, **facts)


_MASTER = "xtremMasterData"
_PRICES = {"basePrice": 4, "minimumPrice": 4, "weight": 3, "volume": 3}
_LINE_AMOUNTS = {"amountExcludingTax": 2, "grossPrice": 4, "netPrice": 4}

NODE_SPECS: tuple[NodeSpec, ...] = (
    _spec("Currency", _MASTER, "currency", natural_key=("id",)),
    _spec("UnitOfMeasure", _MASTER, "unit_of_measure", natural_key=("id",)),
    _spec("Country", _MASTER, "country", natural_key=("id",)),
    _spec("PaymentTerm", _MASTER, "payment_term", natural_key=("id",)),
    _spec("Company", "xtremSystem", "company", natural_key=("id",),
          collections={"sites": "legalCompany"}),
    _spec("Site", "xtremSystem", "site", natural_key=("id",)),
    _spec("ItemCategory", _MASTER, "item_category", natural_key=("id",),
          indexed=("name",)),
    _spec("Item", _MASTER, "item", natural_key=("id",), decimals=_PRICES,
          collections={"itemSites": "item"}, indexed=("name",)),
    _spec("ItemSite", _MASTER, "item_site", natural_key=("item", "site"),
          decimals={"safetyStock": 3, "batchQuantity": 3}),
    _spec("BusinessEntity", _MASTER, "business_entity", natural_key=("id",),
          collections={"addresses": "businessEntity", "contacts": "businessEntity"},
          indexed=("name",)),
    _spec("Address", _MASTER, "address", natural_key=("businessEntity", "_sortValue"),
          parent="businessEntity"),
    _spec("Contact", _MASTER, "contact", natural_key=("businessEntity", "_sortValue"),
          parent="businessEntity"),
    _spec("Customer", _MASTER, "customer", natural_key=("id",),
          decimals={"creditLimit": 2, "minimumOrderAmount": 2}, indexed=("name",)),
    _spec("Supplier", _MASTER, "supplier", natural_key=("id",),
          decimals={"minimumOrderAmount": 2}, indexed=("name",)),
    _spec("Stock", "xtremStockData", "stock", writable=False,
          decimals={"quantityInStockUnit": 3, "availableQuantityInStockUnit": 3,
                    "allocatedQuantityInStockUnit": 3}),
    _spec("SalesOrder", "xtremSales", "sales_order", natural_key=("number",),
          collections={"lines": "document"}, indexed=("orderDate",)),
    _spec("SalesOrderLine", "xtremSales", "sales_order_line",
          natural_key=("document", "_sortValue"), parent="document",
          decimals={**_LINE_AMOUNTS, "quantityInSalesUnit": 3, "taxAmount": 2,
                    "amountIncludingTax": 2}),
    _spec("PurchaseOrder", "xtremPurchasing", "purchase_order",
          natural_key=("number",), decimals={"netBalance": 2},
          collections={"lines": "document"}, indexed=("orderDate",)),
    _spec("PurchaseOrderLine", "xtremPurchasing", "purchase_order_line",
          natural_key=("document", "_sortValue"), parent="document",
          decimals={**_LINE_AMOUNTS, "quantityInPurchaseUnit": 3}),
)  # fmt: skip


def quote(identifier: str) -> str:
    """Quote an SQL identifier; names come from the schema, never from requests."""
    return '"' + identifier.replace('"', '""') + '"'


def _identity(value: Any) -> Any:
    return value


def _boolean(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _id_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _stamp(value: Any) -> str | None:
    return None if value is None else ms_to_text(value)


def _text_stream(value: Any) -> dict[str, str] | None:
    return None if value is None else {"value": value}


_OUTPUT: dict[str, Callable[[Any], Any]] = {
    "Boolean": _boolean,
    "Id": _id_text,
    "Datetime": _stamp,
}


@dataclass(frozen=True)
class Property:
    """One field of a node and how its value is stored.

    ``column`` is the quoted column name, or None for a collection. References
    store the target's ``_id``; ``target`` names the target node (or, for a
    collection, the child node, whose ``inverse`` property points back).
    """

    node: str
    name: str
    kind: Kind
    type_name: str
    nullable: bool
    column: str | None
    storage: Storage | None
    scale: int = 0
    enum_values: tuple[str, ...] = ()
    target: str | None = None
    inverse: str | None = None
    to_output: Callable[[Any], Any] = _identity

    @property
    def is_stored(self) -> bool:
        return self.column is not None


class NodeModel:
    """A node type with its table and the storage of each property."""

    def __init__(
        self, spec: NodeSpec, type_: GraphQLObjectType, nodes: set[str]
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.type = type_
        self.table = quote(spec.table)
        self.properties: dict[str, Property] = {}
        for name, graphql_field in type_.fields.items():
            self.properties[name] = self._property(name, graphql_field.type, nodes)
        self.columns = tuple(p for p in self.properties.values() if p.is_stored)
        missing = set(spec.decimals) - set(self.properties)
        if missing:
            raise LookupError(
                f"{self.name} has no Decimal properties {sorted(missing)}"
            )

    def _property(self, name: str, graphql_type: Any, nodes: set[str]) -> Property:
        named = get_named_type(graphql_type)
        nullable = not is_non_null_type(graphql_type)
        column = quote(name)

        def make(kind: Kind, type_name: str, **details: Any) -> Property:
            storage = details.pop("storage", "integer")
            stored_in = details.pop("column", column)
            return Property(
                self.name,
                name,
                kind,
                type_name,
                nullable,
                stored_in,
                storage,
                **details,
            )

        if isinstance(named, GraphQLEnumType):
            values = tuple(named.values)

            def member(index: Any) -> str | None:
                return None if index is None else values[index]

            return make("enum", named.name, enum_values=values, to_output=member)
        if isinstance(named, GraphQLScalarType):
            return make("scalar", named.name, **self._scalar_details(name, named.name))
        if named.name in nodes:
            return make("reference", named.name, target=named.name)
        if named.name.endswith("_Collection"):
            child = named.name.removesuffix("_Collection")
            inverse = self.spec.collections.get(name)
            if inverse is None:
                raise LookupError(f"{self.name}.{name} needs its inverse property")
            return make(
                "collection", child, column=None, storage=None, target=child,
                inverse=inverse,
            )  # fmt: skip
        if named.name == "TextStream":
            return make("text", named.name, storage="text", to_output=_text_stream)
        raise LookupError(f"{self.name}.{name} has the unsupported type {named.name}")

    def _scalar_details(self, name: str, scalar: str) -> dict[str, Any]:
        """Return the storage, scale and output conversion of a scalar property."""
        storage = _SCALAR_STORAGE.get(scalar)
        if storage is None:
            raise LookupError(f"{self.name}.{name} has no storage for {scalar}")
        details: dict[str, Any] = {"storage": storage}
        if scalar == "Decimal":
            if name not in self.spec.decimals:
                raise LookupError(f"{self.name}.{name} needs its decimal places")
            scale = self.spec.decimals[name]
            details["scale"] = scale

            def decimal(value: Any) -> str | None:
                return None if value is None else scaled_text(value, scale)

            details["to_output"] = decimal
        elif scalar in _OUTPUT:
            details["to_output"] = _OUTPUT[scalar]
        return details

    def __repr__(self) -> str:
        return f"NodeModel({self.name})"


class Model:
    """Every node of the tenant, keyed by GraphQL type name."""

    def __init__(self, schema: GraphQLSchema, specs: tuple[NodeSpec, ...] = NODE_SPECS):
        names = {spec.name for spec in specs}
        self.nodes: dict[str, NodeModel] = {}
        for spec in specs:
            type_ = schema.get_type(spec.name)
            if not isinstance(type_, GraphQLObjectType):
                raise LookupError(f"the tenant schema lacks the node type {spec.name}")
            self.nodes[spec.name] = NodeModel(spec, type_, names)
        for node in self.nodes.values():
            for prop in node.properties.values():
                if prop.kind == "collection":
                    self._check_collection(node, prop)

    def _check_collection(self, node: NodeModel, prop: Property) -> None:
        child = self.nodes[str(prop.target)]
        back = child.properties.get(str(prop.inverse))
        if back is None or back.target != node.name:
            raise LookupError(f"{prop.target}.{prop.inverse} must point to {node.name}")

    def __getitem__(self, name: str) -> NodeModel:
        return self.nodes[name]

    def is_vital(self, prop: Property) -> bool:
        """Return whether ``prop`` is a collection of lines edited through its owner."""
        if prop.kind != "collection":
            return False
        return self.nodes[str(prop.target)].spec.parent == prop.inverse

    def vital_collections(self, node: NodeModel) -> list[Property]:
        """Collections of ``node`` whose children are edited inside its mutations."""
        return [prop for prop in node.properties.values() if self.is_vital(prop)]
