"""Node-specific rules of the emulated tenant's mutations.

Defaults for values that ``create`` leaves out, values derived from others
(line amounts, order statuses), refusals to delete, and totals over lines.
Values are in stored form: enum indexes, scaled decimals, 0 and 1 for booleans.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._diagnostics import business_rule_error
from ._model import NodeModel
from ._rules import display_status, line_amounts

if TYPE_CHECKING:
    from ._mutations import Writer

__all__ = ["RULES", "NodeRules"]


def _index(node: NodeModel, name: str, member: str) -> int:
    return node.properties[name].enum_values.index(member)


def _member(node: NodeModel, name: str, index: int | None) -> str | None:
    return None if index is None else node.properties[name].enum_values[index]


class NodeRules:
    """Hooks of one node; the base class only fills in ``fixed`` values.

    ``fixed`` maps properties that ``create`` leaves out to their values, in
    stored form.
    """

    def __init__(self, **fixed: Any) -> None:
        self.fixed = fixed

    def defaults(
        self,
        writer: Writer,
        node: NodeModel,
        values: dict[str, Any],
        provided: set[str],
    ) -> None:
        """Fill in the values that ``create`` left out."""
        for name, value in self.fixed.items():
            if name not in provided:
                values[name] = value

    def derive(self, writer: Writer, node: NodeModel, values: dict[str, Any]) -> None:
        """Recompute values that follow from others, on create and update."""

    def check_delete(
        self,
        writer: Writer,
        node: NodeModel,
        row: Mapping[str, Any],
        path: list[str | int],
    ) -> None:
        """Raise when a business rule forbids deleting ``row``."""

    def after_lines(self, writer: Writer, node: NodeModel, row_id: int) -> None:
        """Update a document after its lines changed."""


def _copy_from(
    writer: Writer,
    node: NodeModel,
    values: dict[str, Any],
    provided: set[str],
    reference: str,
    copies: Mapping[str, str],
) -> None:
    """Copy properties of the record named by ``reference`` that were left out."""
    target_id = values.get(reference)
    if target_id is None:
        return
    target = writer.model[str(node.properties[reference].target)]
    row = writer.row(target, target_id)
    for name, source in copies.items():
        if name not in provided:
            values[name] = row[source]


class _ItemRules(NodeRules):
    def defaults(
        self,
        writer: Writer,
        node: NodeModel,
        values: dict[str, Any],
        provided: set[str],
    ) -> None:
        super().defaults(writer, node, values, provided)
        if "isStockManaged" not in provided:
            values["isStockManaged"] = int(
                _member(node, "type", values["type"]) == "good"
            )


class _PartyRoleRules(NodeRules):
    """Customers and suppliers repeat the code, name and currency of their entity."""

    def defaults(
        self,
        writer: Writer,
        node: NodeModel,
        values: dict[str, Any],
        provided: set[str],
    ) -> None:
        super().defaults(writer, node, values, provided)
        copies = {"id": "id", "name": "name", "currency": "currency"}
        _copy_from(writer, node, values, provided, "businessEntity", copies)


class _SiteRules(NodeRules):
    def defaults(
        self,
        writer: Writer,
        node: NodeModel,
        values: dict[str, Any],
        provided: set[str],
    ) -> None:
        super().defaults(writer, node, values, provided)
        _copy_from(
            writer, node, values, provided, "legalCompany", {"currency": "currency"}
        )


class _DocumentRules(NodeRules):
    """Sales and purchase order headers: number, date, status and currency."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def defaults(
        self,
        writer: Writer,
        node: NodeModel,
        values: dict[str, Any],
        provided: set[str],
    ) -> None:
        super().defaults(writer, node, values, provided)
        if "number" not in provided:
            values["number"] = self._next_number(writer, node)
        if "orderDate" not in provided:
            values["orderDate"] = writer.today.isoformat()
        if "status" not in provided:
            values["status"] = _index(node, "status", "pending")
        _copy_from(
            writer, node, values, provided, "site", {"companyCurrency": "currency"}
        )

    def _next_number(self, writer: Writer, node: NodeModel) -> str:
        start = len(self.prefix) + 1
        found = writer.database.query(
            f'SELECT MAX(CAST(SUBSTR("number", {start}) AS INTEGER)) FROM {node.table} '
            f"WHERE \"number\" GLOB '{self.prefix}[0-9]*'",
            (),
            (node.name,),
        )
        return f"{self.prefix}{int(found[0][0] or 0) + 1:06d}"


class _SalesOrderRules(_DocumentRules):
    def defaults(
        self,
        writer: Writer,
        node: NodeModel,
        values: dict[str, Any],
        provided: set[str],
    ) -> None:
        super().defaults(writer, node, values, provided)
        for name in ("shipToCustomer", "billToCustomer"):
            if name not in provided:
                values[name] = values.get("soldToCustomer")

    def derive(self, writer: Writer, node: NodeModel, values: dict[str, Any]) -> None:
        status = _member(node, "status", values.get("status")) or "pending"
        values["isQuote"] = int(status == "quote")
        display = display_status(
            status,
            _member(node, "approvalStatus", values.get("approvalStatus")) or "draft",
            _member(node, "shippingStatus", values.get("shippingStatus")) or "",
            _member(node, "invoiceStatus", values.get("invoiceStatus")) or "",
        )
        values["displayStatus"] = _index(node, "displayStatus", display)

    def check_delete(
        self,
        writer: Writer,
        node: NodeModel,
        row: Mapping[str, Any],
        path: list[str | int],
    ) -> None:
        shipping = _member(node, "shippingStatus", row["shippingStatus"])
        if shipping != "notShipped":
            raise business_rule_error(
                f"SalesOrder: {row['number']} cannot be deleted because it has been "
                f"shipped (shippingStatus {shipping}). Close the order instead.",
                path,
            )


class _PurchaseOrderRules(_DocumentRules):
    def after_lines(self, writer: Writer, node: NodeModel, row_id: int) -> None:
        lines = writer.model["PurchaseOrderLine"]
        found = writer.database.query(
            f'SELECT COALESCE(SUM("amountExcludingTax"), 0) FROM {lines.table} '
            f'WHERE "document" = ?',
            (row_id,),
            (lines.name,),
        )
        writer.database.connection.execute(
            f'UPDATE {node.table} SET "netBalance" = ? WHERE "_id" = ?',
            (int(found[0][0]), row_id),
        )


class _LineRules(NodeRules):
    """Lines take their unit, price and description from the item by default."""

    def __init__(self, unit: str, quantity: str) -> None:
        super().__init__()
        self.unit = unit
        self.quantity = quantity

    def defaults(
        self,
        writer: Writer,
        node: NodeModel,
        values: dict[str, Any],
        provided: set[str],
    ) -> None:
        super().defaults(writer, node, values, provided)
        if "status" not in provided:
            values["status"] = _index(node, "status", "pending")
        copies = {self.unit: self.unit, "grossPrice": "basePrice"}
        if "itemDescription" in node.properties:
            copies["itemDescription"] = "name"
        _copy_from(writer, node, values, provided, "item", copies)
        if "netPrice" not in provided:
            values["netPrice"] = values.get("grossPrice")

    def derive(self, writer: Writer, node: NodeModel, values: dict[str, Any]) -> None:
        quantity = values.get(self.quantity) or 0
        price = values.get("netPrice")
        if price is None:
            price = values.get("grossPrice") or 0
        excluding, tax, including = line_amounts(quantity, price)
        values["amountExcludingTax"] = excluding
        if "taxAmount" in node.properties:
            values["taxAmount"] = tax
            values["amountIncludingTax"] = including

    def check_delete(
        self,
        writer: Writer,
        node: NodeModel,
        row: Mapping[str, Any],
        path: list[str | int],
    ) -> None:
        if "shippingStatus" not in node.properties:
            return
        shipping = _member(node, "shippingStatus", row["shippingStatus"])
        if shipping != "notShipped":
            raise business_rule_error(
                f"{node.name}: line {row['_sortValue']} cannot be deleted because it "
                f"has been shipped (shippingStatus {shipping}).",
                path,
            )


RULES: dict[str, NodeRules] = {
    "Item": _ItemRules(isActive=1, isBought=1, isSold=1),
    "BusinessEntity": NodeRules(isActive=1),
    "Address": NodeRules(isActive=1),
    "Customer": _PartyRoleRules(isActive=1),
    "Supplier": _PartyRoleRules(isActive=1),
    "Currency": NodeRules(isActive=1, decimalDigits=2),
    "UnitOfMeasure": NodeRules(decimalDigits=0),
    "PaymentTerm": NodeRules(isActive=1, days=30),
    "Company": NodeRules(isActive=1),
    "Site": _SiteRules(isActive=1),
    "ItemSite": NodeRules(isOrderable=1),
    "SalesOrder": _SalesOrderRules("SO"),
    "SalesOrderLine": _LineRules("salesUnit", "quantityInSalesUnit"),
    "PurchaseOrder": _PurchaseOrderRules("PO"),
    "PurchaseOrderLine": _LineRules("purchaseUnit", "quantityInPurchaseUnit"),
}
