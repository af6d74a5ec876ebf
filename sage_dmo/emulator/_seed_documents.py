"""Deterministic seed data of the emulated tenant: item sites, stock and orders.

An order's status and line count, and a purchase line's item, quantity and
price, are pure functions of the seed and the row number, so that the header
and line tables agree however they are generated.
"""

from __future__ import annotations

from datetime import date, timedelta

from ._rules import display_status, line_amounts
from ._seed import (
    DAY_MS,
    SITE_CURRENCIES,
    SITES,
    WINDOW_END,
    WINDOW_START,
    Generator,
    Row,
    SeedContext,
    TableRows,
    mix,
    unit_number,
)
from ._seed_items import item_name, item_price, item_sites, item_type, item_units
from ._seed_parties import supplier_count

__all__ = ["DOCUMENT_GENERATORS"]

_EPOCH_DAY = date(1970, 1, 1)
_SALES_SITES = [n for n, site in enumerate(SITES, 1) if site[3]]
_PURCHASE_SITES = [n for n, site in enumerate(SITES, 1) if site[4]]
_LINE_STATUS = {
    "quote": "draft",
    "pending": "pending",
    "inProgress": "inProgress",
    "closed": "closed",
}
# Units whose quantities are whole numbers: each, box and pallet.
_WHOLE_UNITS = {unit_number["EACH"], unit_number["BOX"], unit_number["PAL"]}
# Shares in percent of quote, pending, in-progress and closed orders.
_STATUS_SHARES = ((10, "quote"), (40, "pending"), (65, "inProgress"), (100, "closed"))


def _order_date(count: int, number: int) -> date:
    step = (WINDOW_END - WINDOW_START) // max(count, 1)
    return _EPOCH_DAY + timedelta(days=(WINDOW_START + number * step) // DAY_MS)


def _order_profile(seed: int, salt: int, number: int) -> tuple[str, int, int]:
    """Return the status, line count and delivery delay in days of an order."""
    value = mix(seed, salt, number)
    share = value % 100
    status = next(name for limit, name in _STATUS_SHARES if share < limit)
    return status, 1 + (value >> 8) % 5, 3 + (value >> 16) % 28


def _item_sites(context: SeedContext) -> TableRows:
    rng = context.rng
    methods = list(context.enum("ValuationMethod").values())
    columns = [
        "item",
        "site",
        "isOrderable",
        "valuationMethod",
        "safetyStock",
        "batchQuantity",
        "purchaseLeadTime",
    ]
    rows: list[Row] = []
    for item in range(1, context.rows + 1):
        for site in item_sites(context.seed, item):
            rows.append(
                (
                    item,
                    site,
                    rng.random() < 0.9,
                    context.pick(methods),
                    context.between(0, 200) * 1000,
                    context.pick((1, 10, 50, 100, 500)) * 1000,
                    context.between(1, 45),
                )
            )
    return context.finish(columns, rows)


def _stock(context: SeedContext) -> TableRows:
    statuses = context.enum("StockStatus")
    columns = [
        "item",
        "site",
        "location",
        "lot",
        "status",
        "stockUnit",
        "quantityInStockUnit",
        "availableQuantityInStockUnit",
        "allocatedQuantityInStockUnit",
    ]
    rows: list[Row] = []
    for item in range(1, context.rows + 1):
        unit = item_units(context.seed, item)[0]
        for site in item_sites(context.seed, item):
            lots = 2 if (item + site) % 5 == 0 else 1
            for lot in range(lots):
                quantity = context.between(0, 5000) * 1000
                allocated = min(quantity, context.between(0, 200) * 1000)
                rows.append(
                    (
                        item,
                        site,
                        f"{context.pick('ABCDEFGH')}{context.between(1, 40):02d}",
                        f"LOT{item:06d}-{lot + 1}" if item % 3 == 0 else None,
                        statuses["quarantine" if lot else "accepted"],
                        unit,
                        quantity,
                        quantity - allocated,
                        allocated,
                    )
                )
    return context.finish(columns, rows)


def _sales_orders(context: SeedContext) -> TableRows:
    rng, seed, count = context.rng, context.seed, context.rows
    enum = {
        name: context.enum(name)
        for name in (
            "SalesOrderStatus",
            "SalesOrderDisplayStatus",
            "ApprovalStatus",
            "ShippingStatus",
            "InvoiceStatus",
        )
    }
    columns = [
        "number",
        "status",
        "displayStatus",
        "approvalStatus",
        "orderDate",
        "requestedDeliveryDate",
        "soldToCustomer",
        "shipToCustomer",
        "billToCustomer",
        "site",
        "companyCurrency",
        "customerNumber",
        "isQuote",
        "shippingStatus",
        "invoiceStatus",
        "internalNote",
    ]
    rows: list[Row] = []
    for number in range(1, count + 1):
        status, _lines, delay = _order_profile(seed, 10, number)
        ordered = _order_date(count, number)
        if status == "quote":
            approval, shipping, invoicing = "draft", "notShipped", "notInvoiced"
        elif status == "pending":
            approval = context.pick(
                ("draft", "pendingApproval", "approved", "approved")
            )
            shipping, invoicing = "notShipped", "notInvoiced"
        elif status == "inProgress":
            approval, shipping = "approved", "partiallyShipped"
            invoicing = context.pick(("notInvoiced", "partiallyInvoiced"))
        else:
            approval, shipping = "approved", "shipped"
            invoicing = "invoiced" if rng.random() < 0.9 else "partiallyInvoiced"
        sold_to = context.between(1, count + 1)
        site = context.pick(_SALES_SITES)
        rows.append(
            (
                f"SO{number:06d}",
                enum["SalesOrderStatus"][status],
                enum["SalesOrderDisplayStatus"][
                    display_status(status, approval, shipping, invoicing)
                ],
                enum["ApprovalStatus"][approval],
                ordered.isoformat(),
                (ordered + timedelta(days=delay)).isoformat(),
                sold_to,
                sold_to if rng.random() < 0.9 else context.between(1, count + 1),
                sold_to,
                site,
                SITE_CURRENCIES[site],
                f"PO-{context.between(10_000, 99_999)}" if rng.random() < 0.6 else None,
                status == "quote",
                enum["ShippingStatus"][shipping],
                enum["InvoiceStatus"][invoicing],
                "Call before delivery." if number % 17 == 0 else None,
            )
        )
    return context.finish(columns, rows)


def _sales_quantity(context: SeedContext, unit: int, kind: str) -> int:
    if kind == "service":
        return context.between(1, 40) * 500
    if unit in _WHOLE_UNITS:
        return context.between(1, 100) * 1000
    return context.between(500, 250_000)


def _sales_order_lines(context: SeedContext) -> TableRows:
    rng, seed, count = context.rng, context.seed, context.rows
    statuses = context.enum("BaseStatus_enum")
    shipping = context.enum("ShippingStatus")
    columns = [
        "document",
        "_sortValue",
        "item",
        "itemDescription",
        "status",
        "quantityInSalesUnit",
        "salesUnit",
        "grossPrice",
        "netPrice",
        "amountExcludingTax",
        "taxAmount",
        "amountIncludingTax",
        "shippingStatus",
        "requestedDeliveryDate",
    ]
    rows: list[Row] = []
    for order in range(1, count + 1):
        status, lines, delay = _order_profile(seed, 10, order)
        delivery = _order_date(count, order) + timedelta(days=delay)
        for line in range(1, lines + 1):
            item = context.between(1, count + 1)
            unit = item_units(seed, item)[1]
            quantity = _sales_quantity(context, unit, item_type(item))
            gross = item_price(seed, item)
            net = (
                gross
                if rng.random() < 0.7
                else gross * context.pick((95, 90, 85)) // 100
            )
            if status == "inProgress":
                shipped = context.pick(("notShipped", "partiallyShipped", "shipped"))
            else:
                shipped = "shipped" if status == "closed" else "notShipped"
            rows.append(
                (
                    order,
                    line * 10,
                    item,
                    item_name(seed, item),
                    statuses[_LINE_STATUS[status]],
                    quantity,
                    unit,
                    gross,
                    net,
                    *line_amounts(quantity, net),
                    shipping[shipped],
                    delivery.isoformat() if line % 4 else None,
                )
            )
    return context.finish(columns, rows)


def _purchase_line(seed: int, order: int, line: int, count: int) -> tuple[int, ...]:
    """Return the item, quantity, gross price and net price of a purchase line."""
    value = mix(seed, 11, order * 8 + line)
    item = 1 + value % count
    quantity = (1 + (value >> 20) % 200) * 1000
    gross = item_price(seed, item) * 6 // 1000 * 100
    net = gross if (value >> 40) % 4 else gross * 97 // 100
    return item, quantity, gross, net


def _purchase_orders(context: SeedContext) -> TableRows:
    seed, count = context.seed, context.rows
    statuses = context.enum("BaseStatus_enum")
    approvals = context.enum("ApprovalStatus")
    columns = [
        "number",
        "status",
        "approvalStatus",
        "orderDate",
        "supplier",
        "site",
        "companyCurrency",
        "netBalance",
    ]
    rows: list[Row] = []
    for number in range(1, count + 1):
        status, lines, _delay = _order_profile(seed, 12, number)
        line_status = _LINE_STATUS[status]
        balance = 0
        for line in range(1, lines + 1):
            _item, quantity, _gross, net = _purchase_line(seed, number, line, count)
            balance += line_amounts(quantity, net)[0]
        site = context.pick(_PURCHASE_SITES)
        rows.append(
            (
                f"PO{number:06d}",
                statuses[line_status],
                approvals["draft" if line_status == "draft" else "approved"],
                _order_date(count, number).isoformat(),
                context.between(1, supplier_count(count) + 1),
                site,
                SITE_CURRENCIES[site],
                balance,
            )
        )
    return context.finish(columns, rows)


def _purchase_order_lines(context: SeedContext) -> TableRows:
    seed, count = context.seed, context.rows
    statuses = context.enum("BaseStatus_enum")
    columns = [
        "document",
        "_sortValue",
        "item",
        "status",
        "quantityInPurchaseUnit",
        "purchaseUnit",
        "grossPrice",
        "netPrice",
        "amountExcludingTax",
        "expectedReceiptDate",
    ]
    rows: list[Row] = []
    for order in range(1, count + 1):
        status, lines, delay = _order_profile(seed, 12, order)
        receipt = (_order_date(count, order) + timedelta(days=delay)).isoformat()
        for line in range(1, lines + 1):
            item, quantity, gross, net = _purchase_line(seed, order, line, count)
            rows.append(
                (
                    order,
                    line * 10,
                    item,
                    statuses[_LINE_STATUS[status]],
                    quantity,
                    item_units(seed, item)[2],
                    gross,
                    net,
                    line_amounts(quantity, net)[0],
                    receipt,
                )
            )
    return context.finish(columns, rows)


DOCUMENT_GENERATORS: dict[str, Generator] = {
    "ItemSite": _item_sites,
    "Stock": _stock,
    "SalesOrder": _sales_orders,
    "SalesOrderLine": _sales_order_lines,
    "PurchaseOrder": _purchase_orders,
    "PurchaseOrderLine": _purchase_order_lines,
}
