"""Filters and orderBy of the tenant engine, checked against the rows themselves.

Each test fetches the rows with the values a filter looks at, applies the
filter's meaning in Python, and compares with what the tenant returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from sage_dmo.emulator._tenant import Tenant

ROWS = 40
Row = dict[str, Any]

ORDERS = """{ xtremSales { salesOrder { query(first: 1000) { edges { node {
  _id number status orderDate customerNumber _createStamp
  soldToCustomer { _id name businessEntity {
    country { id } addresses { query { totalCount } } } }
  lines { query(first: 1000) { edges { node {
    status quantityInSalesUnit amountExcludingTax
    item { type itemSites { query { totalCount } } }
  } } } }
} } } } } }"""
ITEMS = """{ xtremMasterData { item { query(first: 1000) { edges { node {
  _id id name status basePrice weight eanNumber isActive
  stockUnit { id } category { type }
} } } } } }"""


@pytest.fixture(scope="module")
def tenant() -> Iterator[Tenant]:
    """A read-only tenant shared by the tests of this module."""
    shared = Tenant(rows=ROWS)
    yield shared
    shared.close()


def nodes(answer: dict[str, Any], package: str, node: str) -> list[Row]:
    """Return the nodes of a connection response that must have no errors."""
    assert "errors" not in answer, answer["errors"]
    edges = answer["data"][package][node]["query"]["edges"]
    return [edge["node"] for edge in edges]


@pytest.fixture(scope="module")
def orders(tenant: Tenant) -> list[Row]:
    """Every sales order with the values that the filters below look at."""
    rows = nodes(tenant.execute(ORDERS), "xtremSales", "salesOrder")
    for row in rows:
        row["lines"] = [edge["node"] for edge in row["lines"]["query"]["edges"]]
    return rows


@pytest.fixture(scope="module")
def items(tenant: Tenant) -> list[Row]:
    """Every item with the values that the filters below look at."""
    return nodes(tenant.execute(ITEMS), "xtremMasterData", "item")


def matching(tenant: Tenant, node: str, filter_text: str) -> list[str]:
    """Return the _id values that the tenant finds for ``filter_text``."""
    package = "xtremSales" if node == "salesOrder" else "xtremMasterData"
    query = (
        f"query($f: String) {{ {package} {{ {node} {{ query(filter: $f, first: 1000)"
        f" {{ totalCount edges {{ node {{ _id }} }} }} }} }} }}"
    )
    answer = tenant.execute(query, {"f": filter_text})
    found = [row["_id"] for row in nodes(answer, package, node)]
    assert answer["data"][package][node]["query"]["totalCount"] == len(found)
    return found


def expected(rows: list[Row], predicate: Callable[[Row], bool]) -> list[str]:
    """Return the _id values of the rows that satisfy ``predicate``."""
    return [row["_id"] for row in rows if predicate(row)]


def check(
    tenant: Tenant,
    rows: list[Row],
    node: str,
    filter_text: str,
    predicate: Callable[[Row], bool],
) -> None:
    """Assert that the tenant returns the rows that the filter means in Python."""
    want = expected(rows, predicate)
    assert 0 < len(want) < len(rows), "the case must split the rows"
    assert matching(tenant, node, filter_text) == want


def test_equality_on_boolean(tenant: Tenant, items: list[Row]) -> None:
    """A bare value means _eq."""
    check(tenant, items, "item", "{isActive: false}", lambda r: not r["isActive"])


def test_reference_one_deep(tenant: Tenant, items: list[Row]) -> None:
    """A filter on a referenced node's property follows the reference."""
    check(
        tenant,
        items,
        "item",
        "{stockUnit: {id: 'EACH'}}",
        lambda r: r["stockUnit"]["id"] == "EACH",
    )


def test_reference_two_deep(tenant: Tenant, orders: list[Row]) -> None:
    """References chain at any depth."""
    country = orders[0]["soldToCustomer"]["businessEntity"]["country"]["id"]
    check(
        tenant,
        orders,
        "salesOrder",
        f"{{soldToCustomer: {{businessEntity: {{country: {{id: '{country}'}}}}}}}}",
        lambda r: r["soldToCustomer"]["businessEntity"]["country"]["id"] == country,
    )


def test_reference_by_natural_key(tenant: Tenant, items: list[Row]) -> None:
    """Equality on a reference accepts # and the natural key."""
    check(
        tenant,
        items,
        "item",
        "{stockUnit: '#EACH'}",
        lambda r: r["stockUnit"]["id"] == "EACH",
    )


def test_regex_is_unanchored(tenant: Tenant, items: list[Row]) -> None:
    """_regex matches anywhere in the value."""
    check(
        tenant,
        items,
        "item",
        "{name: {_regex: 'st[a-z]'}}",
        lambda r: re.search("st[a-z]", r["name"]) is not None,
    )


def test_regex_with_anchor(tenant: Tenant, items: list[Row]) -> None:
    """_regex honours anchors written in the pattern."""
    check(
        tenant,
        items,
        "item",
        "{name: {_regex: '^S'}}",
        lambda r: r["name"].startswith("S"),
    )


def test_in_on_enum(tenant: Tenant, orders: list[Row]) -> None:
    """_in keeps rows whose value is listed."""
    check(
        tenant,
        orders,
        "salesOrder",
        "{status: {_in: ['quote', 'closed']}}",
        lambda r: r["status"] in ("quote", "closed"),
    )


def test_nin_keeps_nulls(tenant: Tenant, orders: list[Row]) -> None:
    """_nin keeps rows whose value is null."""
    listed = [row["customerNumber"] for row in orders if row["customerNumber"]][:2]
    text = ", ".join(f"'{value}'" for value in listed)
    check(
        tenant,
        orders,
        "salesOrder",
        f"{{customerNumber: {{_nin: [{text}]}}}}",
        lambda r: r["customerNumber"] not in listed,
    )


def test_empty_in_matches_nothing(tenant: Tenant) -> None:
    """_in with an empty list matches no row."""
    assert matching(tenant, "item", "{id: {_in: []}}") == []


def test_not_negates(tenant: Tenant, items: list[Row]) -> None:
    """_not keeps the rows that fail its condition."""
    check(
        tenant,
        items,
        "item",
        "{id: {_not: {_regex: '1'}}}",
        lambda r: "1" not in r["id"],
    )


def test_not_keeps_null_values(tenant: Tenant, items: list[Row]) -> None:
    """_not of a comparison keeps rows whose value is null."""
    check(
        tenant,
        items,
        "item",
        "{_not: {eanNumber: {_regex: '^4'}}}",
        lambda r: r["eanNumber"] is None or not r["eanNumber"].startswith("4"),
    )


def test_or_of_conditions(tenant: Tenant, orders: list[Row]) -> None:
    """_or keeps rows that match any branch."""
    check(
        tenant,
        orders,
        "salesOrder",
        "{_or: [{status: 'quote'}, {customerNumber: null}]}",
        lambda r: r["status"] == "quote" or r["customerNumber"] is None,
    )


def test_list_means_and(tenant: Tenant, items: list[Row]) -> None:
    """A top-level list of objects requires all of them."""
    check(
        tenant,
        items,
        "item",
        "[{isActive: true}, {stockUnit: {id: 'EACH'}}]",
        lambda r: r["isActive"] and r["stockUnit"]["id"] == "EACH",
    )


def test_null_means_is_null(tenant: Tenant, items: list[Row]) -> None:
    """{x: null} keeps rows where x is null."""
    check(tenant, items, "item", "{eanNumber: null}", lambda r: r["eanNumber"] is None)


def test_ne_includes_nulls(tenant: Tenant, items: list[Row]) -> None:
    """_ne keeps rows whose value is null."""
    value = next(row["eanNumber"] for row in items if row["eanNumber"])
    check(
        tenant,
        items,
        "item",
        f"{{eanNumber: {{_ne: '{value}'}}}}",
        lambda r: r["eanNumber"] != value,
    )


def test_ne_null_means_not_null(tenant: Tenant, items: list[Row]) -> None:
    """{x: {_ne: null}} keeps rows where x has a value."""
    check(
        tenant,
        items,
        "item",
        "{eanNumber: {_ne: null}}",
        lambda r: r["eanNumber"] is not None,
    )


def test_dates_compare_as_dates(tenant: Tenant, orders: list[Row]) -> None:
    """Date bounds keep the rows inside the range."""
    dates = sorted(row["orderDate"] for row in orders)
    low, high = dates[5], dates[25]
    check(
        tenant,
        orders,
        "salesOrder",
        f"{{orderDate: {{_gte: '{low}', _lt: '{high}'}}}}",
        lambda r: low <= r["orderDate"] < high,
    )


def test_stamps_compare_as_instants(tenant: Tenant, orders: list[Row]) -> None:
    """Datetime filters accept an offset and compare instants."""
    stamps = sorted(row["_createStamp"] for row in orders)
    middle = datetime.fromisoformat(stamps[20].replace("Z", "+00:00"))
    text = middle.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert text.endswith("+02:00")
    check(
        tenant,
        orders,
        "salesOrder",
        f"{{_createStamp: {{_gt: '{text}'}}}}",
        lambda r: r["_createStamp"] > stamps[20],
    )


def test_decimal_equality_is_exact(tenant: Tenant, items: list[Row]) -> None:
    """A decimal equals its value whatever the trailing zeros."""
    price = items[3]["basePrice"]
    check(
        tenant,
        items,
        "item",
        f"{{basePrice: '{price}000'}}",
        lambda r: Decimal(r["basePrice"]) == Decimal(price),
    )


def test_decimal_bound_between_steps(tenant: Tenant, items: list[Row]) -> None:
    """A bound with more decimals than stored compares by value."""
    prices = sorted(Decimal(row["basePrice"]) for row in items)
    bound = prices[20] + Decimal("0.00001")
    check(
        tenant,
        items,
        "item",
        f"{{basePrice: {{_gt: {bound}}}}}",
        lambda r: Decimal(r["basePrice"]) > bound,
    )
    check(
        tenant,
        items,
        "item",
        f"{{basePrice: {{_lte: {bound}}}}}",
        lambda r: Decimal(r["basePrice"]) <= bound,
    )


def test_decimal_with_extra_digits_never_equal(tenant: Tenant) -> None:
    """A decimal with more places than the column stores equals no row."""
    assert matching(tenant, "item", "{basePrice: 10.00001}") == []


def line_count(row: Row, predicate: Callable[[Row], bool]) -> int:
    """Count the lines of an order that satisfy ``predicate``."""
    return sum(1 for line in row["lines"] if predicate(line))


def test_at_least_counts_lines(tenant: Tenant, orders: list[Row]) -> None:
    """_atLeast counts the child rows that match the sibling conditions."""
    check(
        tenant,
        orders,
        "salesOrder",
        "{lines: {_atLeast: 2, quantityInSalesUnit: {_gte: 10}}}",
        lambda r: (
            line_count(r, lambda ln: Decimal(ln["quantityInSalesUnit"]) >= 10) >= 2
        ),
    )


def test_at_most_counts_lines(tenant: Tenant, orders: list[Row]) -> None:
    """_atMost without conditions counts every child row."""
    check(
        tenant,
        orders,
        "salesOrder",
        "{lines: {_atMost: 2}}",
        lambda r: len(r["lines"]) <= 2,
    )


def test_every_line_matches(tenant: Tenant, orders: list[Row]) -> None:
    """_every keeps parents whose children all match."""
    check(
        tenant,
        orders,
        "salesOrder",
        "{lines: {_every: true, item: {type: 'good'}}}",
        lambda r: all(line["item"]["type"] == "good" for line in r["lines"]),
    )


def test_no_line_matches(tenant: Tenant, orders: list[Row]) -> None:
    """_none keeps parents without a matching child."""
    check(
        tenant,
        orders,
        "salesOrder",
        "{lines: {_none: true, amountExcludingTax: {_gt: 1000}}}",
        lambda r: (
            not any(Decimal(line["amountExcludingTax"]) > 1000 for line in r["lines"])
        ),
    )


def test_collection_without_quantifier(tenant: Tenant, orders: list[Row]) -> None:
    """Conditions on a collection without a quantifier need one matching child."""
    check(
        tenant,
        orders,
        "salesOrder",
        "{lines: {item: {type: 'service'}}}",
        lambda r: any(line["item"]["type"] == "service" for line in r["lines"]),
    )


def test_quantifier_inside_or(tenant: Tenant, orders: list[Row]) -> None:
    """Quantifiers combine with other conditions under _or."""
    check(
        tenant,
        orders,
        "salesOrder",
        "{_or: [{lines: {_atLeast: 5}}, {status: 'quote'}]}",
        lambda r: len(r["lines"]) >= 5 or r["status"] == "quote",
    )


def test_quantifier_through_reference(tenant: Tenant, orders: list[Row]) -> None:
    """A collection reached through references is counted per referenced row."""

    def addresses(row: Row) -> int:
        entity = row["soldToCustomer"]["businessEntity"]
        count: int = entity["addresses"]["query"]["totalCount"]
        return count

    check(
        tenant,
        orders,
        "salesOrder",
        "{soldToCustomer: {businessEntity: {addresses: {_atLeast: 2}}}}",
        lambda r: addresses(r) >= 2,
    )


def test_nested_quantifiers(tenant: Tenant, orders: list[Row]) -> None:
    """A quantifier inside a quantifier's condition applies per child row."""

    def sites(line: Row) -> int:
        count: int = line["item"]["itemSites"]["query"]["totalCount"]
        return count

    check(
        tenant,
        orders,
        "salesOrder",
        "{lines: {_atLeast: 1, item: {itemSites: {_atLeast: 3}}}}",
        lambda r: any(sites(line) >= 3 for line in r["lines"]),
    )


def test_reference_in_list_of_ids(tenant: Tenant, orders: list[Row]) -> None:
    """_in on a reference compares the referenced _id."""
    wanted = [orders[0]["soldToCustomer"]["_id"], orders[1]["soldToCustomer"]["_id"]]
    check(
        tenant,
        orders,
        "salesOrder",
        f"{{soldToCustomer: {{_in: [{', '.join(wanted)}]}}}}",
        lambda r: r["soldToCustomer"]["_id"] in wanted,
    )


def test_id_by_natural_key(tenant: Tenant, orders: list[Row]) -> None:
    """_id compares with # and the natural key of the node itself."""
    check(
        tenant,
        orders,
        "salesOrder",
        "{_id: '#SO000004'}",
        lambda r: r["number"] == "SO000004",
    )


def test_invalid_filter_reports_problems(tenant: Tenant) -> None:
    """An invalid filter is a field error with one diagnosis per problem."""
    query = """{ xtremMasterData { item { query(filter: "{nmae: 'x', status: 3}") {
        totalCount } } } }"""
    answer = tenant.execute(query)
    error = answer["errors"][0]
    diagnoses = error["extensions"]["diagnoses"]
    assert answer["data"] is None
    assert error["path"] == ["xtremMasterData", "item", "query"]
    assert error["extensions"]["code"] == "data-input-error"
    assert len(diagnoses) == 2
    assert "nmae" in diagnoses[0]["message"]
    assert {diagnosis["severity"] for diagnosis in diagnoses} == {3}
    assert diagnoses[0]["path"] == ["filter"]


def test_invalid_order_by_reports_problem(tenant: Tenant) -> None:
    """An invalid orderBy is a field error naming the argument."""
    query = """{ xtremSales { salesOrder { query(orderBy: "{lines: 1}") {
        totalCount } } } }"""
    error = tenant.execute(query)["errors"][0]
    assert error["extensions"]["code"] == "data-input-error"
    assert error["extensions"]["diagnoses"][0]["path"] == ["orderBy"]


def test_filter_on_read_aggregate(tenant: Tenant, items: list[Row]) -> None:
    """readAggregate applies the same filter language."""
    query = """{ xtremMasterData { item {
        readAggregate(filter: "{stockUnit: {id: 'EACH'}}") { _id { distinctCount } }
    } } }"""
    answer = tenant.execute(query)
    count = answer["data"]["xtremMasterData"]["item"]["readAggregate"]
    want = expected(items, lambda r: r["stockUnit"]["id"] == "EACH")
    assert count["_id"]["distinctCount"] == len(want)


def test_order_by_reference_then_key(tenant: Tenant, orders: list[Row]) -> None:
    """orderBy through a reference sorts by the referenced value, then by keys."""
    query = """{ xtremSales { salesOrder {
        query(first: 1000, orderBy: "{soldToCustomer: {name: -1}, number: 1}") {
          edges { node { number soldToCustomer { name } } } } } } }"""
    answer = tenant.execute(query)
    rows = nodes(answer, "xtremSales", "salesOrder")
    keys = [(row["soldToCustomer"]["name"], row["number"]) for row in rows]
    by_number = sorted(keys, key=lambda key: key[1])
    assert keys == sorted(by_number, key=lambda key: key[0], reverse=True)
    assert len(rows) == len(orders)
