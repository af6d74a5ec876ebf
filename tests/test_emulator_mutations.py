"""Mutations of the tenant engine: create, update, delete, lines and business errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from sage_dmo.emulator._tenant import Tenant

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)


class Clock:
    """A clock that tests move by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The tenant's clock, at NOW until a test moves it."""
    return Clock()


@pytest.fixture
def tenant(clock: Clock) -> Iterator[Tenant]:
    """A fresh tenant per test, so that mutations never leak."""
    fresh = Tenant(rows=30, clock=clock)
    yield fresh
    fresh.close()


def data_of(answer: dict[str, Any]) -> Any:
    """Return the data of a response that must have no errors."""
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def only_error(answer: dict[str, Any]) -> dict[str, Any]:
    """Return the single error of a response."""
    assert len(answer["errors"]) == 1, answer["errors"]
    error: dict[str, Any] = answer["errors"][0]
    return error


CREATE_ITEM = """
mutation Create($data: Item_Input!) {
  xtremMasterData { item { create(data: $data) {
    _id id name basePrice weight status type isStockManaged stockUnit { id }
    _createStamp _updateStamp _updateTick _etag
  } } }
}
"""
UPDATE_ITEM = """
mutation Update($data: Item_Input!) {
  xtremMasterData { item { update(data: $data) {
    _id name basePrice _createStamp _updateStamp _updateTick _etag
  } } }
}
"""
DELETE_ITEM = """
mutation Delete($id: Id!) { xtremMasterData { item { delete(_id: $id) } } }
"""
READ_ITEM = """
query Read($id: Id!) { xtremMasterData { item { read(_id: $id) { _id name } } } }
"""


def create_item(tenant: Tenant, **data: Any) -> dict[str, Any]:
    """Create an item and return it."""
    data.setdefault("id", "NEW-1")
    data.setdefault("name", "New item")
    answer = tenant.execute(CREATE_ITEM, {"data": data})
    item: dict[str, Any] = data_of(answer)["xtremMasterData"]["item"]["create"]
    return item


# --- items --------------------------------------------------------------------


def test_create_item_sets_system_values(tenant: Tenant) -> None:
    """create stores the values and fills the stamps from the clock."""
    item = create_item(tenant, basePrice="6.27", stockUnit="#KG")
    assert item["_id"] == "31"
    assert item["basePrice"] == "6.27"
    assert item["stockUnit"] == {"id": "KG"}
    assert item["_createStamp"] == "2026-01-05T08:00:00.000Z"
    assert item["_updateStamp"] == item["_createStamp"]
    assert item["_updateTick"] == 1
    assert item["_etag"]


def test_create_item_applies_defaults(tenant: Tenant) -> None:
    """Left-out values take the item defaults."""
    item = create_item(tenant)
    assert item["status"] == "active"
    assert item["type"] == "good"
    assert item["isStockManaged"] is True


@pytest.mark.parametrize("price", ["12.5", 12.5, 12, Decimal("12.50")])
def test_decimal_input_kept_exact(tenant: Tenant, price: object) -> None:
    """A decimal input as string, float, integer or Decimal is stored exactly."""
    item = create_item(tenant, basePrice=price)
    assert Decimal(item["basePrice"]) == Decimal(str(price))


def test_decimal_literal_kept_exact(tenant: Tenant) -> None:
    """A decimal literal in the query text is read from its digits."""
    query = """mutation { xtremMasterData { item { create(data: {id: "L1", name: "L",
        basePrice: 0.1, weight: "1.250"}) { basePrice weight } } } }"""
    item = data_of(tenant.execute(query))["xtremMasterData"]["item"]["create"]
    assert item == {"basePrice": "0.1", "weight": "1.25"}


def test_too_many_decimal_places_rejected(tenant: Tenant) -> None:
    """A value finer than the property's precision is an input error."""
    data = {"id": "X", "name": "X", "weight": "1.0001"}
    answer = tenant.execute(CREATE_ITEM, {"data": data})
    error = only_error(answer)
    assert error["extensions"]["code"] == "data-input-error"
    assert "more than 3 decimal places" in error["message"]


@pytest.mark.parametrize("literal", ["inDevelopment", '"inDevelopment"'])
def test_enum_input_quoted_or_bare(tenant: Tenant, literal: str) -> None:
    """Enum inputs accept the member name with or without quotes."""
    query = f"""mutation {{ xtremMasterData {{ item {{ create(data: {{id: "E",
        name: "E", status: {literal}}}) {{ status }} }} }} }}"""
    item = data_of(tenant.execute(query))["xtremMasterData"]["item"]["create"]
    assert item == {"status": "inDevelopment"}


def test_unknown_enum_input_rejected(tenant: Tenant) -> None:
    """An unknown enum member is a validation error listing the members."""
    query = """mutation { xtremMasterData { item { create(data: {id: "E",
        name: "E", status: "broken"}) { status } } } }"""
    answer = tenant.execute(query)
    assert answer["data"] is None
    assert "inDevelopment" in answer["errors"][0]["message"]


def test_missing_reference_is_not_found(tenant: Tenant) -> None:
    """A reference to a missing record is the SDMO 'Record not found' error."""
    data = {"id": "X", "name": "X", "stockUnit": "#NOPE"}
    answer = tenant.execute(CREATE_ITEM, {"data": data})
    error = only_error(answer)
    assert answer["data"] == {"xtremMasterData": {"item": {"create": None}}}
    assert error["message"] == "UnitOfMeasure: Record not found: #NOPE"
    assert error["path"] == ["xtremMasterData", "item", "create"]
    assert error["extensions"]["code"] == "data-input-error"
    assert error["extensions"]["diagnoses"] == [
        {
            "severity": 3,
            "message": "UnitOfMeasure: Record not found: #NOPE",
            "path": ["data", "stockUnit"],
        }
    ]


@pytest.mark.parametrize("reference", ["2", 2, "#KG"])
def test_reference_forms_accepted(tenant: Tenant, reference: object) -> None:
    """A reference input is an _id string, an integer or # and a key."""
    item = create_item(tenant, stockUnit=reference)
    assert item["stockUnit"] == {"id": "KG"}


def test_duplicate_key_rejected(tenant: Tenant) -> None:
    """Creating a second record with the same natural key is refused."""
    answer = tenant.execute(CREATE_ITEM, {"data": {"id": "ITM000001", "name": "X"}})
    error = only_error(answer)
    assert answer["data"] == {"xtremMasterData": {"item": {"create": None}}}
    assert error["extensions"]["code"] == "data-input-error"
    assert "Duplicate key #ITM000001" in error["message"]


def test_missing_required_value_rejected(tenant: Tenant) -> None:
    """A required property left out names the property."""
    answer = tenant.execute(CREATE_ITEM, {"data": {"id": "X"}})
    assert "Item.name: a value is required" in only_error(answer)["message"]


def test_update_by_key_bumps_versions(tenant: Tenant, clock: Clock) -> None:
    """update finds the record by key and maintains stamp, tick and etag."""
    before = create_item(tenant)
    clock.now = NOW + timedelta(minutes=5)
    answer = tenant.execute(UPDATE_ITEM, {"data": {"_id": "#NEW-1", "name": "Renamed"}})
    after = data_of(answer)["xtremMasterData"]["item"]["update"]
    assert after["name"] == "Renamed"
    assert after["_createStamp"] == before["_createStamp"]
    assert after["_updateStamp"] == "2026-01-05T08:05:00.000Z"
    assert after["_updateTick"] == 2
    assert after["_etag"] != before["_etag"]


def test_update_keeps_unsent_values(tenant: Tenant) -> None:
    """Fields left out of update keep their values."""
    create_item(tenant, basePrice="9.99")
    answer = tenant.execute(UPDATE_ITEM, {"data": {"_id": "31", "name": "Renamed"}})
    assert data_of(answer)["xtremMasterData"]["item"]["update"]["basePrice"] == "9.99"


def test_update_unknown_record_not_found(tenant: Tenant) -> None:
    """update of a missing record is 'Record not found' at data._id."""
    answer = tenant.execute(UPDATE_ITEM, {"data": {"_id": "#NOPE", "name": "X"}})
    error = only_error(answer)
    assert error["message"] == "Item: Record not found: #NOPE"
    assert error["extensions"]["diagnoses"][0]["path"] == ["data", "_id"]


def test_update_without_id_rejected(tenant: Tenant) -> None:
    """update needs data._id."""
    answer = tenant.execute(UPDATE_ITEM, {"data": {"name": "X"}})
    assert "update needs data._id" in only_error(answer)["message"]


def test_delete_item_removes_it(tenant: Tenant) -> None:
    """delete returns 1 and the record reads as null afterwards."""
    create_item(tenant)
    deleted = data_of(tenant.execute(DELETE_ITEM, {"id": "#NEW-1"}))
    read = data_of(tenant.execute(READ_ITEM, {"id": "#NEW-1"}))
    assert deleted == {"xtremMasterData": {"item": {"delete": 1}}}
    assert read == {"xtremMasterData": {"item": {"read": None}}}


def test_delete_referenced_item_refused(tenant: Tenant) -> None:
    """An item that other records refer to cannot be deleted."""
    answer = tenant.execute(DELETE_ITEM, {"id": "1"})
    error = only_error(answer)
    assert answer["data"] == {"xtremMasterData": {"item": {"delete": None}}}
    assert error["extensions"]["code"] == "business-rule-error"
    assert "cannot be deleted" in error["message"]


def test_delete_unknown_record_not_found(tenant: Tenant) -> None:
    """delete of a missing record is 'Record not found'."""
    answer = tenant.execute(DELETE_ITEM, {"id": "4242"})
    assert only_error(answer)["message"] == "Item: Record not found: 4242"


def test_bulk_update_changes_matches(tenant: Tenant) -> None:
    """bulkUpdate applies data to every record the filter matches."""
    mutation = """mutation { xtremMasterData { item {
        bulkUpdate(filter: "{stockUnit: {id: 'KG'}}", data: {isActive: false}) } } }"""
    count = """{ xtremMasterData { item {
        all: query(filter: "{stockUnit: {id: 'KG'}}") { totalCount }
        inactive: query(filter: "{stockUnit: {id: 'KG'}, isActive: false}") {
          totalCount } } } }"""
    assert data_of(tenant.execute(mutation))["xtremMasterData"]["item"]["bulkUpdate"]
    counts = data_of(tenant.execute(count))["xtremMasterData"]["item"]
    assert counts["all"]["totalCount"] > 0
    assert counts["inactive"]["totalCount"] == counts["all"]["totalCount"]


# --- sales orders -----------------------------------------------------------------

ORDER_FIELDS = """_id number status displayStatus orderDate isQuote
  shipToCustomer { id } companyCurrency { id } _updateTick
  lines { query { edges { node { _id _sortValue item { id } itemDescription
    quantityInSalesUnit salesUnit { id } grossPrice netPrice amountExcludingTax
    taxAmount amountIncludingTax } } } }"""
CREATE_ORDER = f"""
mutation Create($data: SalesOrder_Input!) {{
  xtremSales {{ salesOrder {{ create(data: $data) {{ {ORDER_FIELDS} }} }} }}
}}
"""
UPDATE_ORDER = f"""
mutation Update($data: SalesOrder_Input!) {{
  xtremSales {{ salesOrder {{ update(data: $data) {{ {ORDER_FIELDS} }} }} }}
}}
"""
DELETE_ORDER = """
mutation Delete($id: Id!) { xtremSales { salesOrder { delete(_id: $id) } } }
"""
COUNT_ORDERS = "{ xtremSales { salesOrder { query { totalCount } } } }"


def lines_of(order: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the line nodes of an order."""
    return [edge["node"] for edge in order["lines"]["query"]["edges"]]


def create_order(tenant: Tenant, **data: Any) -> dict[str, Any]:
    """Create a sales order; ``data`` overrides the customer, site and two lines."""
    data.setdefault("soldToCustomer", "#BE000003")
    data.setdefault("site", "#S01")
    first = {"item": "#ITM000001", "quantityInSalesUnit": "3", "grossPrice": "19.99"}
    second = {
        "_id": "-1",
        "item": "#ITM000002",
        "quantityInSalesUnit": "2.5",
        "grossPrice": "10.01",
    }
    data.setdefault("lines", [first, second])
    answer = tenant.execute(CREATE_ORDER, {"data": data})
    order: dict[str, Any] = data_of(answer)["xtremSales"]["salesOrder"]["create"]
    return order


def order_count(tenant: Tenant) -> int:
    """Return the number of sales orders."""
    count: int = data_of(tenant.execute(COUNT_ORDERS))["xtremSales"]["salesOrder"][
        "query"
    ]["totalCount"]
    return count


def test_create_order_fills_header_defaults(tenant: Tenant) -> None:
    """A new order gets the next number, today's date and derived values."""
    order = create_order(tenant)
    assert order["number"] == "SO000031"
    assert order["status"] == "pending"
    assert order["displayStatus"] == "draft"
    assert order["orderDate"] == "2026-01-05"
    assert order["isQuote"] is False
    assert order["shipToCustomer"] == {"id": "BE000003"}
    assert order["companyCurrency"] == {"id": "USD"}


def test_line_amounts_are_exact(tenant: Tenant) -> None:
    """Line amounts are quantity times price, rounded half up to cents."""
    lines = lines_of(create_order(tenant))
    assert [line["amountExcludingTax"] for line in lines] == ["59.97", "25.03"]
    assert [line["taxAmount"] for line in lines] == ["11.99", "5.01"]
    assert [line["amountIncludingTax"] for line in lines] == ["71.96", "30.04"]


def test_line_defaults_come_from_item(tenant: Tenant) -> None:
    """A line without unit, price or description takes the item's."""
    read = READ_ITEM.replace("name", "name basePrice")
    item = data_of(tenant.execute(read, {"id": "#ITM000004"}))
    order = create_order(
        tenant, lines=[{"item": "#ITM000004", "quantityInSalesUnit": 1}]
    )
    line = lines_of(order)[0]
    base = item["xtremMasterData"]["item"]["read"]
    assert line["grossPrice"] == base["basePrice"]
    assert line["netPrice"] == base["basePrice"]
    assert line["itemDescription"] == base["name"]
    assert line["salesUnit"] is not None
    assert line["_sortValue"] == 10


def test_line_actions_edit_lines(tenant: Tenant) -> None:
    """update edits lines with _action create, update and delete."""
    order = create_order(tenant)
    number = order["number"]
    new_line = {
        "_action": "create",
        "_id": "-1",
        "item": "#ITM000003",
        "quantityInSalesUnit": "1",
        "grossPrice": "2",
    }
    data = {
        "_id": f"#{number}",
        "lines": [
            {"_action": "update", "_id": f"#{number}|10", "quantityInSalesUnit": 5},
            {"_action": "delete", "_id": lines_of(order)[1]["_id"]},
            new_line,
        ],
    }
    answer = tenant.execute(UPDATE_ORDER, {"data": data})
    updated = data_of(answer)["xtremSales"]["salesOrder"]["update"]
    lines = lines_of(updated)
    assert [line["item"]["id"] for line in lines] == ["ITM000001", "ITM000003"]
    assert lines[0]["amountExcludingTax"] == "99.95"
    assert lines[1]["amountExcludingTax"] == "2"
    assert updated["_updateTick"] == 2


def test_line_action_defaults_from_id(tenant: Tenant) -> None:
    """Without _action, an existing _id updates and a new one creates."""
    order = create_order(tenant)
    first = lines_of(order)[0]["_id"]
    data = {
        "_id": order["_id"],
        "lines": [
            {"_id": first, "grossPrice": "1"},
            {"_id": "-1", "item": "#ITM000005", "quantityInSalesUnit": 1},
        ],
    }
    updated = data_of(tenant.execute(UPDATE_ORDER, {"data": data}))
    lines = lines_of(updated["xtremSales"]["salesOrder"]["update"])
    assert len(lines) == 3
    assert lines[0]["grossPrice"] == "1"


def test_line_of_other_order_not_found(tenant: Tenant) -> None:
    """A line _id that belongs to another order is 'Record not found'."""
    order = create_order(tenant)
    data = {"_id": order["_id"], "lines": [{"_action": "update", "_id": "1"}]}
    error = only_error(tenant.execute(UPDATE_ORDER, {"data": data}))
    assert error["message"] == "SalesOrderLine: Record not found: 1"
    assert error["extensions"]["diagnoses"][0]["path"] == ["data", "lines", 0, "_id"]


def test_unknown_line_action_rejected(tenant: Tenant) -> None:
    """_action outside create, update and delete is an input error."""
    order = create_order(tenant)
    data = {"_id": order["_id"], "lines": [{"_action": "merge", "_id": "1"}]}
    error = only_error(tenant.execute(UPDATE_ORDER, {"data": data}))
    assert error["extensions"]["code"] == "data-input-error"
    assert "_action must be create, update or delete" in error["message"]


def test_failed_mutation_changes_nothing(tenant: Tenant) -> None:
    """A bad line reference rolls back the whole order."""
    before = order_count(tenant)
    lines = [
        {"item": "#ITM000001", "quantityInSalesUnit": 1},
        {"item": "#NO-SUCH-ITEM", "quantityInSalesUnit": 1},
    ]
    data = {"soldToCustomer": "#BE000003", "site": "#S01", "lines": lines}
    answer = tenant.execute(CREATE_ORDER, {"data": data})
    error = only_error(answer)
    assert error["message"] == "Item: Record not found: #NO-SUCH-ITEM"
    assert error["extensions"]["diagnoses"][0]["path"] == ["data", "lines", 1, "item"]
    assert order_count(tenant) == before


def find_order(tenant: Tenant, filter_text: str) -> str:
    """Return the number of the first seeded order that matches a filter."""
    query = """query($f: String) { xtremSales { salesOrder {
        query(filter: $f, first: 1) { edges { node { number } } } } } }"""
    answer = data_of(tenant.execute(query, {"f": filter_text}))
    number: str = answer["xtremSales"]["salesOrder"]["query"]["edges"][0]["node"][
        "number"
    ]
    return number


def test_delete_shipped_order_refused(tenant: Tenant) -> None:
    """A shipped sales order cannot be deleted."""
    number = find_order(tenant, "{shippingStatus: 'shipped'}")
    answer = tenant.execute(DELETE_ORDER, {"id": f"#{number}"})
    error = only_error(answer)
    assert answer["data"] == {"xtremSales": {"salesOrder": {"delete": None}}}
    assert error["extensions"]["code"] == "business-rule-error"
    assert error["message"].startswith(f"SalesOrder: {number} cannot be deleted")
    assert error["extensions"]["diagnoses"][0]["severity"] == 3


def test_delete_open_order_removes_lines(tenant: Tenant) -> None:
    """Deleting an unshipped order deletes its lines too."""
    number = find_order(tenant, "{shippingStatus: 'notShipped'}")
    lines = """query($f: String) { xtremSales { salesOrderLine {
        query(filter: $f) { totalCount } } } }"""
    line_filter = {"f": f"{{document: {{number: '{number}'}}}}"}
    before = data_of(tenant.execute(lines, line_filter))
    deleted = data_of(tenant.execute(DELETE_ORDER, {"id": f"#{number}"}))
    after = data_of(tenant.execute(lines, line_filter))
    assert before["xtremSales"]["salesOrderLine"]["query"]["totalCount"] > 0
    assert deleted["xtremSales"]["salesOrder"]["delete"] == 1
    assert after["xtremSales"]["salesOrderLine"]["query"]["totalCount"] == 0


def test_delete_shipped_line_refused(tenant: Tenant) -> None:
    """A shipped line cannot be deleted inside update."""
    number = find_order(tenant, "{shippingStatus: 'shipped'}")
    data = {
        "_id": f"#{number}",
        "lines": [{"_action": "delete", "_id": f"#{number}|10"}],
    }
    error = only_error(tenant.execute(UPDATE_ORDER, {"data": data}))
    assert error["extensions"]["code"] == "business-rule-error"


def test_purchase_order_balance_follows_lines(tenant: Tenant) -> None:
    """A purchase order's netBalance is the sum of its line amounts."""
    mutation = """mutation { xtremPurchasing { purchaseOrder { create(data: {
        supplier: "#BE000001", site: "#S01", lines: [
          {item: "#ITM000001", quantityInPurchaseUnit: 2, grossPrice: "1.005"},
          {item: "#ITM000002", quantityInPurchaseUnit: "0.5", grossPrice: 3}]}) {
        number netBalance lines { query { edges { node { amountExcludingTax } } } }
    } } } }"""
    order = data_of(tenant.execute(mutation))["xtremPurchasing"]["purchaseOrder"]
    created = order["create"]
    amounts = [
        edge["node"]["amountExcludingTax"]
        for edge in created["lines"]["query"]["edges"]
    ]
    assert amounts == ["2.01", "1.5"]
    assert created["netBalance"] == "3.51"
    assert created["number"] == "PO000031"


def test_business_entity_edits_addresses(tenant: Tenant) -> None:
    """Vital collections of master data take _action lines as well."""
    mutation = """mutation { xtremMasterData { businessEntity { update(data: {
        _id: "#BE000002", addresses: [{_action: "create", _id: "-1",
          name: "Depot", city: "Nantes"}]}) {
        addresses { query { edges { node { name city _sortValue } } } } } } } }"""
    entity = data_of(tenant.execute(mutation))["xtremMasterData"]["businessEntity"]
    addresses = [
        edge["node"] for edge in entity["update"]["addresses"]["query"]["edges"]
    ]
    assert addresses[-1]["name"] == "Depot"
    assert addresses[-1]["_sortValue"] == addresses[-2]["_sortValue"] + 10


# --- asynchronous report ---------------------------------------------------------

START = """mutation($parameters: Json) { xtremReporting { report { generateReportPdf {
  start(reportName: "salesOrder", parameters: $parameters) { trackingId } } } } }"""
TRACK = """query($id: String!) { xtremReporting { report { generateReportPdf {
  track(trackingId: $id) { status result errorMessage } } } } }"""


def track(tenant: Tenant, tracking_id: str) -> dict[str, Any]:
    """Poll a report generation once."""
    answer = data_of(tenant.execute(TRACK, {"id": tracking_id}))
    status: dict[str, Any] = answer["xtremReporting"]["report"]["generateReportPdf"][
        "track"
    ]
    return status


def start_report(tenant: Tenant, parameters: str) -> str:
    """Start a report generation and return its tracking id."""
    answer = data_of(tenant.execute(START, {"parameters": parameters}))
    tracking_id: str = answer["xtremReporting"]["report"]["generateReportPdf"]["start"][
        "trackingId"
    ]
    return tracking_id


def test_report_moves_to_success(tenant: Tenant) -> None:
    """A report generation goes pending, running, success with a PDF."""
    tracking_id = start_report(tenant, '{"_id": "#SO000001"}')
    statuses = [track(tenant, tracking_id)["status"] for _ in range(3)]
    result = track(tenant, tracking_id)["result"]
    assert statuses == ["pending", "running", "success"]
    assert '"fileName": "SO000001.pdf"' in result


def test_report_of_missing_document_errors(tenant: Tenant) -> None:
    """A generation for a missing document ends with status error."""
    tracking_id = start_report(tenant, '{"_id": "#SO999999"}')
    for _ in range(2):
        track(tenant, tracking_id)
    final = track(tenant, tracking_id)
    assert final["status"] == "error"
    assert final["errorMessage"] == "SalesOrder: Record not found: #SO999999"


def test_unknown_tracking_id_not_found(tenant: Tenant) -> None:
    """Tracking an unknown id is 'Record not found'."""
    error = only_error(tenant.execute(TRACK, {"id": "nope"}))
    assert error["extensions"]["code"] == "data-input-error"


def test_failed_first_mutation_keeps_tables(clock: Clock) -> None:
    """Tables first seeded inside a failed mutation are still there afterwards."""
    fresh = Tenant(rows=10, clock=clock)
    lines = [{"item": "#NO-SUCH-ITEM", "quantityInSalesUnit": 1}]
    data = {"soldToCustomer": "#BE000003", "site": "#S01", "lines": lines}
    failed = fresh.execute(CREATE_ORDER, {"data": data})
    after = fresh.execute(COUNT_ORDERS)
    fresh.close()
    assert only_error(failed)["extensions"]["code"] == "data-input-error"
    assert data_of(after)["xtremSales"]["salesOrder"]["query"]["totalCount"] == 10
