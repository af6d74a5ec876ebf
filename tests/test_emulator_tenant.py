"""The tenant GraphQL engine: connections, paging, reads, scalars and responses."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from graphql import build_client_schema, get_introspection_query

from sage_dmo._errors import ConfigurationError
from sage_dmo.emulator._tenant import Tenant

ROWS = 45
ITEMS_PAGE = """
query Items($first: Int, $after: String, $last: Int, $before: String,
            $orderBy: String, $filter: String) {
  xtremMasterData { item { query(first: $first, after: $after, last: $last,
      before: $before, orderBy: $orderBy, filter: $filter) {
    totalCount
    pageInfo { startCursor endCursor hasPreviousPage hasNextPage }
    edges { cursor node { _id id name status basePrice stockUnit { id } } }
  } } }
}
"""


@pytest.fixture(scope="module")
def tenant() -> Iterator[Tenant]:
    """A read-only tenant shared by the tests of this module."""
    shared = Tenant(rows=ROWS)
    yield shared
    shared.close()


def data_of(answer: dict[str, Any]) -> Any:
    """Return the data of a response that must have no errors."""
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def items_page(tenant: Tenant, **variables: Any) -> dict[str, Any]:
    """Run ITEMS_PAGE and return the connection."""
    answer = tenant.execute(ITEMS_PAGE, variables)
    connection: dict[str, Any] = data_of(answer)["xtremMasterData"]["item"]["query"]
    return connection


def ids(connection: dict[str, Any]) -> list[str]:
    """Return the node ids of a connection page in order."""
    return [edge["node"]["_id"] for edge in connection["edges"]]


def walk_forward(tenant: Tenant, size: int, **variables: Any) -> list[str]:
    """Page forward with after-cursors and return every id seen, in order."""
    seen: list[str] = []
    after = None
    while True:
        page = items_page(tenant, first=size, after=after, **variables)
        seen += ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


def walk_backward(tenant: Tenant, size: int, **variables: Any) -> list[str]:
    """Page backward with before-cursors and return every id seen, in order."""
    seen: list[str] = []
    before = None
    while True:
        page = items_page(tenant, last=size, before=before, **variables)
        seen = ids(page) + seen
        if not page["pageInfo"]["hasPreviousPage"]:
            return seen
        before = page["pageInfo"]["startCursor"]


# --- connections -------------------------------------------------------------


def test_total_count_counts_all_rows(tenant: Tenant) -> None:
    """totalCount is the number of matching rows, not the page size."""
    page = items_page(tenant, first=5)
    assert page["totalCount"] == ROWS
    assert len(page["edges"]) == 5


def test_default_page_size_is_twenty(tenant: Tenant) -> None:
    """Without first or last, a page has 20 rows."""
    assert len(items_page(tenant)["edges"]) == 20


def test_first_above_cap_warns() -> None:
    """A first above the maximum is capped and reported as a warning."""
    small = Tenant(rows=ROWS, max_page_size=10, default_page_size=5)
    answer = small.execute(ITEMS_PAGE, {"first": 30})
    small.close()
    page = data_of(answer)["xtremMasterData"]["item"]["query"]
    diagnoses = answer["extensions"]["diagnoses"]
    assert len(page["edges"]) == 10
    assert len(diagnoses) == 1
    assert diagnoses[0]["severity"] == 2
    assert "maximum page size of 10" in diagnoses[0]["message"]
    assert diagnoses[0]["path"] == ["xtremMasterData", "item", "query"]


def test_negative_first_is_rejected(tenant: Tenant) -> None:
    """A negative page size is a GraphQL error with an SDMO code."""
    answer = tenant.execute(ITEMS_PAGE, {"first": -1})
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "data-input-error"
    assert "first must be 0 or more" in answer["errors"][0]["message"]


def test_first_zero_returns_no_edges(tenant: Tenant) -> None:
    """first: 0 returns an empty page that still reports the rows after it."""
    page = items_page(tenant, first=0)
    assert page["edges"] == []
    assert page["pageInfo"]["endCursor"] is None
    assert page["pageInfo"]["hasNextPage"] is True


def test_after_cursors_visit_rows_once(tenant: Tenant) -> None:
    """Paging forward by _id yields each row exactly once, in _id order."""
    seen = walk_forward(tenant, 7)
    assert seen == [str(number) for number in range(1, ROWS + 1)]


def test_paging_by_non_unique_key(tenant: Tenant) -> None:
    """Paging by a repeated sort key matches one big page, row for row."""
    order = "{status: 1, name: -1}"
    whole = ids(items_page(tenant, first=1000, orderBy=order))
    assert walk_forward(tenant, 4, orderBy=order) == whole
    assert len(set(whole)) == ROWS


def test_paging_by_reference_key(tenant: Tenant) -> None:
    """Paging sorted through a reference visits rows in the referenced order."""
    order = "{stockUnit: {id: -1}}"
    whole = items_page(tenant, first=1000, orderBy=order)
    units = [edge["node"]["stockUnit"]["id"] for edge in whole["edges"]]
    assert units == sorted(units, reverse=True)
    assert walk_forward(tenant, 6, orderBy=order) == ids(whole)


def test_paging_by_decimal_descending(tenant: Tenant) -> None:
    """Decimals sort by value, not by text, in both directions."""
    page = items_page(tenant, first=1000, orderBy="{basePrice: -1}")
    prices = [float(edge["node"]["basePrice"]) for edge in page["edges"]]
    assert prices == sorted(prices, reverse=True)
    assert walk_forward(tenant, 8, orderBy="{basePrice: -1}") == ids(page)


def test_last_before_walks_backward(tenant: Tenant) -> None:
    """Paging backward with last and before yields the forward order."""
    order = "{status: -1, name: 1}"
    forward = walk_forward(tenant, 9, orderBy=order)
    assert walk_backward(tenant, 9, orderBy=order) == forward


def test_last_returns_final_rows(tenant: Tenant) -> None:
    """last without before returns the final rows of the ordering."""
    page = items_page(tenant, last=3)
    assert ids(page) == [str(ROWS - 2), str(ROWS - 1), str(ROWS)]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["pageInfo"]["hasNextPage"] is False


def test_previous_page_known_after_cursor(tenant: Tenant) -> None:
    """A page after a cursor reports that rows come before it."""
    first = items_page(tenant, first=3)
    second = items_page(tenant, first=3, after=first["pageInfo"]["endCursor"])
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert ids(second) == ["4", "5", "6"]


def test_cursor_contains_double_quotes(tenant: Tenant) -> None:
    """Cursors are opaque strings holding double quotes, as the real ones do."""
    page = items_page(tenant, first=2)
    assert '"' in page["edges"][0]["cursor"]
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


def test_invalid_cursor_is_rejected(tenant: Tenant) -> None:
    """A cursor that does not fit the ordering is a clear GraphQL error."""
    answer = tenant.execute(ITEMS_PAGE, {"first": 2, "after": "not a cursor"})
    error = answer["errors"][0]
    assert answer["data"] is None
    assert error["message"].startswith("Invalid cursor 'not a cursor'")
    assert error["extensions"]["diagnoses"][0]["path"] == ["after"]


def test_cursor_of_other_order_rejected(tenant: Tenant) -> None:
    """A cursor made for another orderBy is rejected."""
    cursor = items_page(tenant, first=1, orderBy="{name: 1}")["pageInfo"]["endCursor"]
    answer = tenant.execute(ITEMS_PAGE, {"first": 1, "after": cursor})
    assert answer["errors"][0]["extensions"]["code"] == "data-input-error"


# --- reads --------------------------------------------------------------------

READ_ITEM = """
query Read($id: Id!) {
  xtremMasterData { item { read(_id: $id) { _id id name } } }
}
"""


@pytest.mark.parametrize("value", ["3", 3, "#ITM000003"])
def test_read_item_by_id_or_key(tenant: Tenant, value: object) -> None:
    """read accepts an _id as string or number, or # and the natural key."""
    item = data_of(tenant.execute(READ_ITEM, {"id": value}))["xtremMasterData"]
    assert item["item"]["read"]["_id"] == "3"
    assert item["item"]["read"]["id"] == "ITM000003"


@pytest.mark.parametrize("value", ["999999", "#NOPE", "-1", "abc"])
def test_read_unknown_returns_null(tenant: Tenant, value: str) -> None:
    """read of a record that does not exist returns null without an error."""
    answer = tenant.execute(READ_ITEM, {"id": value})
    assert data_of(answer)["xtremMasterData"]["item"]["read"] is None


def test_read_line_by_composite_key(tenant: Tenant) -> None:
    """A sales order line is found by document number and _sortValue."""
    query = """{ xtremSales { salesOrderLine { read(_id: "#SO000002|20") {
        _sortValue document { number } } } } }"""
    line = data_of(tenant.execute(query))["xtremSales"]["salesOrderLine"]["read"]
    assert line == {"_sortValue": 20, "document": {"number": "SO000002"}}


def test_read_item_site_by_key(tenant: Tenant) -> None:
    """A composite key of two references reads through both natural keys."""
    query = """{ xtremMasterData { itemSite { query(first: 1) { edges { node {
        _id item { id } site { id } } } } } } }"""
    node = data_of(tenant.execute(query))["xtremMasterData"]["itemSite"]["query"]
    first = node["edges"][0]["node"]
    key = f"#{first['item']['id']}|{first['site']['id']}"
    read = f'{{ xtremMasterData {{ itemSite {{ read(_id: "{key}") {{ _id }} }} }} }}'
    assert data_of(tenant.execute(read))["xtremMasterData"]["itemSite"]["read"] == {
        "_id": first["_id"]
    }


ORDER_LINES = """
query Lines($number: Id!, $filter: String, $first: Int, $after: String) {
  xtremSales { salesOrder { read(_id: $number) {
    _id
    lines { query(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { endCursor hasNextPage }
      edges { node { _sortValue document { _id } shippingStatus } }
    } }
  } } }
}
"""


def order_lines(tenant: Tenant, **variables: Any) -> dict[str, Any]:
    """Return a sales order with one page of its lines."""
    answer = tenant.execute(ORDER_LINES, variables)
    order: dict[str, Any] = data_of(answer)["xtremSales"]["salesOrder"]["read"]
    return order


def test_nested_lines_belong_to_parent(tenant: Tenant) -> None:
    """A collection query returns only the parent's lines, by _sortValue."""
    for number in ("#SO000001", "#SO000002", "#SO000003"):
        order = order_lines(tenant, number=number)
        lines = [edge["node"] for edge in order["lines"]["query"]["edges"]]
        assert {line["document"]["_id"] for line in lines} == {order["_id"]}
        assert [line["_sortValue"] for line in lines] == [
            10 * n for n in range(1, len(lines) + 1)
        ]
        assert order["lines"]["query"]["totalCount"] == len(lines)


def test_nested_lines_page_with_cursor(tenant: Tenant) -> None:
    """A collection pages with its own first and after."""
    count = 0
    for number in range(1, ROWS + 1):
        order = order_lines(tenant, number=f"#SO{number:06d}")
        count = order["lines"]["query"]["totalCount"]
        if count >= 3:
            break
    first = order_lines(tenant, number=f"#SO{number:06d}", first=2)["lines"]["query"]
    rest = order_lines(
        tenant,
        number=f"#SO{number:06d}",
        first=10,
        after=first["pageInfo"]["endCursor"],
    )["lines"]["query"]
    sort_values = [
        edge["node"]["_sortValue"] for edge in first["edges"] + rest["edges"]
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    assert sort_values == [10 * n for n in range(1, count + 1)]


def test_nested_collection_filter_applies(tenant: Tenant) -> None:
    """A collection filter narrows the parent's lines only."""
    order = order_lines(tenant, number="#SO000001", filter="{_sortValue: {_gte: 20}}")
    values = [edge["node"]["_sortValue"] for edge in order["lines"]["query"]["edges"]]
    assert all(value >= 20 for value in values)
    assert order["lines"]["query"]["totalCount"] == len(values)


# --- scalars and aggregates -----------------------------------------------------


def test_decimals_are_exact_strings(tenant: Tenant) -> None:
    """Decimal output is a plain decimal string without trailing zeros."""
    page = items_page(tenant, first=ROWS)
    prices = [edge["node"]["basePrice"] for edge in page["edges"]]
    assert all(isinstance(price, str) for price in prices)
    assert all(re.fullmatch(r"\d+(\.\d*[1-9])?", price) for price in prices)


def test_stamps_are_utc_with_milliseconds(tenant: Tenant) -> None:
    """Datetime output is ISO 8601 UTC with milliseconds and Z."""
    query = '{ xtremMasterData { currency { read(_id: "#EUR") { _createStamp } } } }'
    currency = data_of(tenant.execute(query))["xtremMasterData"]["currency"]["read"]
    pattern = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.fullmatch(pattern, currency["_createStamp"])


def test_id_output_is_string(tenant: Tenant) -> None:
    """_id is a string on output even though rows are numbered."""
    page = items_page(tenant, first=1)
    assert page["edges"][0]["node"]["_id"] == "1"


def test_read_aggregate_matches_rows(tenant: Tenant) -> None:
    """readAggregate counts rows and sums decimals exactly."""
    query = """{ xtremMasterData { item {
        readAggregate(filter: "{type: 'good'}") {
          _id { distinctCount } basePrice { min max sum avg } } } } }"""
    aggregate = data_of(tenant.execute(query))["xtremMasterData"]["item"]
    values = aggregate["readAggregate"]
    page = items_page(tenant, first=1000, filter="{type: 'good'}")
    prices = [Decimal(edge["node"]["basePrice"]) for edge in page["edges"]]
    assert values["_id"]["distinctCount"] == len(prices)
    assert Decimal(values["basePrice"]["sum"]) == sum(prices)
    assert Decimal(values["basePrice"]["min"]) == min(prices)
    assert Decimal(values["basePrice"]["max"]) == max(prices)


def test_item_categories_have_rows_rows(tenant: Tenant) -> None:
    """itemCategory has as many rows as items, for paging integrations."""
    query = "{ xtremMasterData { itemCategory { query { totalCount } } } }"
    categories = data_of(tenant.execute(query))["xtremMasterData"]["itemCategory"]
    assert categories["query"]["totalCount"] == ROWS


def test_reference_tables_have_fixed_sizes(tenant: Tenant) -> None:
    """Currencies, units, sites and companies do not grow with rows."""
    query = """{
      xtremMasterData {
        currency { query { totalCount } } unitOfMeasure { query { totalCount } } }
      xtremSystem {
        site { query { totalCount } } company { query { totalCount } } }
    }"""
    data = data_of(tenant.execute(query))
    assert data["xtremMasterData"]["currency"]["query"]["totalCount"] == 10
    assert data["xtremMasterData"]["unitOfMeasure"]["query"]["totalCount"] == 12
    assert data["xtremSystem"]["site"]["query"]["totalCount"] == 10
    assert data["xtremSystem"]["company"]["query"]["totalCount"] == 4


def test_company_sites_use_legal_company(tenant: Tenant) -> None:
    """Company.sites lists the sites whose legalCompany is that company."""
    query = """{ xtremSystem { company { read(_id: "#FR01") { id
        sites { query { edges { node { id legalCompany { id } } } } } } } } }"""
    company = data_of(tenant.execute(query))["xtremSystem"]["company"]["read"]
    sites = [edge["node"] for edge in company["sites"]["query"]["edges"]]
    assert sites
    assert {site["legalCompany"]["id"] for site in sites} == {"FR01"}


def test_text_stream_is_value_object(tenant: Tenant) -> None:
    """A text stream property is an object with a value field."""
    query = """{ xtremSales { salesOrder { read(_id: "#SO000017") {
        internalNote { value } } } } }"""
    order = data_of(tenant.execute(query))["xtremSales"]["salesOrder"]["read"]
    assert order["internalNote"] == {"value": "Call before delivery."}


# --- responses ------------------------------------------------------------------


def test_success_answer_has_diagnoses(tenant: Tenant) -> None:
    """A successful response carries an empty diagnoses list and no errors key."""
    answer = tenant.execute("{ xtremSystem { company { query { totalCount } } } }")
    assert list(answer) == ["data", "extensions"]
    assert answer["extensions"] == {"diagnoses": []}


def test_syntax_error_becomes_graphql_error(tenant: Tenant) -> None:
    """A syntax error is returned, not raised, with data null."""
    answer = tenant.execute("{ xtremSystem { ")
    assert answer["data"] is None
    assert "Syntax Error" in answer["errors"][0]["message"]
    assert answer["extensions"] == {"diagnoses": []}


def test_validation_error_becomes_graphql_error(tenant: Tenant) -> None:
    """An unknown field is a validation error with data null."""
    answer = tenant.execute("{ xtremSystem { nope } }")
    assert answer["data"] is None
    assert "nope" in answer["errors"][0]["message"]
    assert answer["extensions"] == {"diagnoses": []}


def test_operation_name_selects_operation(tenant: Tenant) -> None:
    """operationName picks one operation of a document."""
    document = """
      query Sites { xtremSystem { site { query { totalCount } } } }
      query Companies { xtremSystem { company { query { totalCount } } } }
    """
    answer = tenant.execute(document, None, "Companies")
    assert data_of(answer) == {"xtremSystem": {"company": {"query": {"totalCount": 4}}}}


def test_introspection_query_succeeds(tenant: Tenant) -> None:
    """The introspection query succeeds and rebuilds into a client schema."""
    answer = tenant.execute(get_introspection_query(descriptions=True))
    schema = build_client_schema(data_of(answer))
    assert schema.get_type("Item_Connection") is not None
    assert schema.get_type("SalesOrderLine_Collection") is not None


def test_answers_are_json_serializable(tenant: Tenant) -> None:
    """Every value in a response survives json.dumps."""
    page = items_page(tenant, first=3)
    assert json.loads(json.dumps(page)) == page


# --- seeding --------------------------------------------------------------------

SNAPSHOT = """{
  xtremMasterData { item { query(first: 5, orderBy: "{_createStamp: 1}") {
    edges { node { _id id name basePrice _createStamp _etag category { name } } } } } }
  xtremSales { salesOrder { query(first: 3) { edges { node { number status
    lines { query { edges { node { item { id } amountIncludingTax } } } } } } } } }
}"""


def test_same_seed_same_answer() -> None:
    """Two tenants with the same rows and seed answer identically."""
    first, second = Tenant(rows=30, seed=7), Tenant(rows=30, seed=7)
    assert first.execute(SNAPSHOT) == second.execute(SNAPSHOT)
    first.close()
    second.close()


def test_other_seed_other_answer() -> None:
    """Another seed gives other data."""
    first, second = Tenant(rows=30, seed=7), Tenant(rows=30, seed=8)
    assert first.execute(SNAPSHOT) != second.execute(SNAPSHOT)
    first.close()
    second.close()


def test_table_order_does_not_matter() -> None:
    """Data is the same whichever table a tenant reads first."""
    first, second = Tenant(rows=30, seed=7), Tenant(rows=30, seed=7)
    second.execute("{ xtremSales { salesOrderLine { query { totalCount } } } }")
    assert first.execute(SNAPSHOT) == second.execute(SNAPSHOT)
    first.close()
    second.close()


def test_hundred_thousand_items_seeded() -> None:
    """A tenant of 100,000 rows seeds its items and pages them."""
    big = Tenant(rows=100_000)
    page = data_of(big.execute(ITEMS_PAGE, {"first": 500}))
    connection = page["xtremMasterData"]["item"]["query"]
    after = connection["pageInfo"]["endCursor"]
    following = items_page(big, first=500, after=after)
    big.close()
    assert connection["totalCount"] == 100_000
    assert ids(following)[0] == "501"


def test_database_file_keeps_data(tmp_path: Path) -> None:
    """A database file seeded with the same settings keeps its content."""
    path = str(tmp_path / "tenant.sqlite")
    mutation = """mutation { xtremMasterData { currency {
        create(data: {id: "XTS", name: "Test currency"}) { _id } } } }"""
    count = "{ xtremMasterData { currency { query { totalCount } } } }"
    first = Tenant(rows=10, database=path)
    data_of(first.execute(mutation))
    first.close()
    again = Tenant(rows=10, database=path)
    kept = data_of(again.execute(count))["xtremMasterData"]["currency"]["query"]
    again.close()
    reseeded = Tenant(rows=10, seed=1, database=path)
    fresh = data_of(reseeded.execute(count))["xtremMasterData"]["currency"]["query"]
    reseeded.close()
    assert kept["totalCount"] == 11
    assert fresh["totalCount"] == 10


@pytest.mark.parametrize(
    "settings",
    [
        {"rows": 0},
        {"max_page_size": 0},
        {"default_page_size": 0},
        {"default_page_size": 5000},
    ],
)
def test_invalid_settings_rejected(settings: dict[str, Any]) -> None:
    """Sizes out of range raise ConfigurationError naming the setting."""
    with pytest.raises(ConfigurationError, match=next(iter(settings))):
        Tenant(**settings)


def test_close_twice_is_harmless() -> None:
    """close() may be called more than once."""
    tenant = Tenant(rows=5)
    tenant.close()
    tenant.close()


@pytest.mark.parametrize(
    "query",
    [
        "{ xtremSystem { company { query { totalCount } } } }",
        "{ xtremSystem { ",
        "{ xtremSystem { nope } }",
        '{ xtremSystem { company { query(filter: "{x: 1}") { totalCount } } } }',
        '{ xtremSystem { company { query(after: "[1]") { totalCount } } } }',
        'mutation { xtremSystem { company { delete(_id: "#NOPE") } } }',
    ],
)
def test_every_answer_has_diagnoses(tenant: Tenant, query: str) -> None:
    """Successes and failures alike carry extensions.diagnoses as a list."""
    answer = tenant.execute(query)
    assert isinstance(answer["extensions"]["diagnoses"], list)
