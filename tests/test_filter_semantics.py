"""Tests of filter and orderBy analysis against an SDMO-shaped schema."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from graphql import GraphQLObjectType, GraphQLSchema, build_schema

from sage_dmo._errors import FilterError
from sage_dmo._filter_semantics import (
    And,
    Comparison,
    Condition,
    Not,
    Or,
    OrderKey,
    Quantified,
    Step,
    analyze_filter,
    analyze_order_by,
    compile_filter,
    compile_order_by,
    node_for_connection,
)
from sage_dmo._filter_syntax import MAX_DEPTH, Span

SDL = """
scalar Id
scalar Decimal
scalar Date
scalar Datetime
scalar Json
scalar IntReference
scalar IntOrString
scalar Color

enum SalesOrderStatus { draft pendingApproval inProgress closed }

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  startCursor: String
  hasPreviousPage: Boolean!
}

type TextStream { value: String }
type Address { city: String }

type UnitOfMeasure { _id: Id! id: String! name: String decimalDigits: Int }
type Currency { _id: Id! id: String! name: String unit: UnitOfMeasure }
type Customer { _id: Id! id: String! name: String currency: Currency }
type Item { _id: Id! id: String! name: String stockUnit: UnitOfMeasure }

type SalesOrderLine {
  _id: Id!
  _sortValue: Int
  item: Item
  quantity: Decimal
  status: SalesOrderStatus
  document: SalesOrder
}
type SalesOrderLine_Edge { cursor: String! node: SalesOrderLine! }
type SalesOrderLine_Connection {
  totalCount: Int!
  pageInfo: PageInfo!
  edges: [SalesOrderLine_Edge!]!
}
type SalesOrderLine_Collection {
  query(filter: String, orderBy: String, first: Int, after: String, last: Int,
        before: String): SalesOrderLine_Connection!
}

type SalesOrder {
  _id: Id!
  _createStamp: Datetime
  number: String!
  status: SalesOrderStatus
  orderDate: Date
  isQuote: Boolean
  totalAmount: Decimal
  lineCount: Int
  exchangeRate: Float
  legacyNumber: IntReference
  externalRef: IntOrString
  _customData: Json
  notes: TextStream
  tags: [String]
  shipTo: Address
  color: Color
  soldToCustomer: Customer
  currency: Currency!
  lines: SalesOrderLine_Collection
}
type SalesOrder_Edge { cursor: String! node: SalesOrder! }
type SalesOrder_Connection {
  totalCount: Int!
  pageInfo: PageInfo!
  edges: [SalesOrder_Edge!]!
}
type SalesOrder_Query {
  query(filter: String, orderBy: String, first: Int, after: String, last: Int,
        before: String): SalesOrder_Connection!
}
type Id_AggregateValues { distinctCount: Int }
type SalesOrder_Aggregate { _id: Id_AggregateValues! }
type Query { salesOrder: SalesOrder_Query }
"""

SCHEMA = build_schema(SDL)


def node_type(name: str, schema: GraphQLSchema = SCHEMA) -> GraphQLObjectType:
    """Return the object type ``name`` of the schema."""
    found = schema.get_type(name)
    assert isinstance(found, GraphQLObjectType)
    return found


ORDER = node_type("SalesOrder")

NUMBER = Step("SalesOrder", "number", "scalar", "String")
STATUS = Step("SalesOrder", "status", "enum", "SalesOrderStatus")
TOTAL = Step("SalesOrder", "totalAmount", "scalar", "Decimal")
LINE_COUNT = Step("SalesOrder", "lineCount", "scalar", "Int")
CUSTOMER = Step("SalesOrder", "soldToCustomer", "reference", "Customer")
CUSTOMER_ID = Step("Customer", "_id", "scalar", "Id")
CUSTOMER_NAME = Step("Customer", "name", "scalar", "String")
CUSTOMER_CURRENCY = Step("Customer", "currency", "reference", "Currency")
CURRENCY = Step("SalesOrder", "currency", "reference", "Currency")
CURRENCY_NAME = Step("Currency", "name", "scalar", "String")
CURRENCY_UNIT = Step("Currency", "unit", "reference", "UnitOfMeasure")
UNIT_NAME = Step("UnitOfMeasure", "name", "scalar", "String")
LINES = Step("SalesOrder", "lines", "collection", "SalesOrderLine")
LINE_QUANTITY = Step("SalesOrderLine", "quantity", "scalar", "Decimal")
LINE_STATUS = Step("SalesOrderLine", "status", "enum", "SalesOrderStatus")
LINE_ITEM = Step("SalesOrderLine", "item", "reference", "Item")
ITEM_NAME = Step("Item", "name", "scalar", "String")
LINE_DOCUMENT = Step("SalesOrderLine", "document", "reference", "SalesOrder")


def condition_of(text: str) -> Condition:
    """Analyze a filter on SalesOrder that must be valid and return its condition."""
    analysis = analyze_filter(text, ORDER, SCHEMA)
    assert analysis.problems == ()
    assert analysis.condition is not None
    return analysis.condition


def comparison_of(text: str) -> Comparison:
    """Return the single comparison of a valid filter."""
    condition = condition_of(text)
    assert isinstance(condition, Comparison)
    return condition


def messages_of(text: str) -> list[str]:
    """Analyze a filter on SalesOrder that must be invalid and return its messages."""
    analysis = analyze_filter(text, ORDER, SCHEMA)
    assert analysis.condition is None
    return [problem.message for problem in analysis.problems]


def only_message(text: str) -> str:
    """Return the single problem message of an invalid filter."""
    messages = messages_of(text)
    assert len(messages) == 1, messages
    return messages[0]


def parts_of(condition: Condition) -> list[Comparison]:
    """Return the parts of an And or Or that must all be comparisons."""
    assert isinstance(condition, (And, Or))
    parts = list(condition.conditions)
    assert all(isinstance(part, Comparison) for part in parts)
    return [part for part in parts if isinstance(part, Comparison)]


def at(text: str, fragment: str) -> Span:
    """Return the span of the first occurrence of ``fragment`` in ``text``."""
    start = text.index(fragment)
    return Span(start, start + len(fragment))


# Structure


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "{}", "{ }", "[]", "[{}]"])
def test_empty_filter_is_always_true(text: str) -> None:
    """Empty text, an empty object or an empty list give And(())."""
    assert condition_of(text) == And(())


def test_scalar_value_means_equality() -> None:
    """A bare value compares with _eq and keeps the value's span."""
    text = "{number: 'SO-1'}"
    assert condition_of(text) == Comparison(
        (NUMBER,), "_eq", "SO-1", at(text, "'SO-1'")
    )


def test_properties_of_one_object_are_anded_in_order() -> None:
    """Several properties in one object AND their conditions in source order."""
    condition = condition_of("{number: 'A', lineCount: 2}")
    assert isinstance(condition, And)
    assert [part.path for part in parts_of(condition)] == [
        (NUMBER,),
        (LINE_COUNT,),
    ]


def test_top_level_list_is_anded() -> None:
    """A list of objects at the top level ANDs them."""
    condition = condition_of("[{number: 'A'}, {lineCount: 2}]")
    assert isinstance(condition, And)
    assert len(condition.conditions) == 2


def test_explicit_and_or_not() -> None:
    """_and, _or and _not build And, Or and Not."""
    condition = condition_of(
        "{_or: [{number: 'A'}, {_and: [{lineCount: 1}, {_not: {number: 'B'}}]}]}"
    )
    assert isinstance(condition, Or)
    first, second = condition.conditions
    assert isinstance(first, Comparison)
    assert isinstance(second, And)
    assert isinstance(second.conditions[1], Not)
    negated = second.conditions[1].condition
    assert isinstance(negated, Comparison)
    assert negated.value == "B"


def test_empty_or_is_always_false() -> None:
    """An empty _or list gives Or(()) and an empty _and list gives And(())."""
    assert condition_of("{_or: []}") == Or(())
    assert condition_of("{_and: []}") == And(())


def test_operators_in_one_object_are_anded() -> None:
    """Several operators on one property AND their comparisons."""
    condition = condition_of("{lineCount: {_gte: 2, _lt: 5}}")
    assert isinstance(condition, And)
    operators = [part.operator for part in parts_of(condition)]
    assert operators == ["_gte", "_lt"]


def test_not_inside_property_operators() -> None:
    """_not under a property negates its operators."""
    text = "{number: {_not: {_regex: '^X'}}}"
    condition = condition_of(text)
    assert isinstance(condition, Not)
    assert condition.condition == Comparison(
        (NUMBER,), "_regex", "^X", at(text, "'^X'")
    )


def test_not_with_bare_value_on_property() -> None:
    """_not with a bare value negates equality."""
    condition = condition_of("{number: {_not: 'A'}}")
    assert isinstance(condition, Not)
    assert isinstance(condition.condition, Comparison)
    assert condition.condition.operator == "_eq"


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("{number: null}", "_eq"),
        ("{number: {_eq: null}}", "_eq"),
        ("{number: {_ne: null}}", "_ne"),
    ],
)
def test_null_comparison_on_scalar(text: str, operator: str) -> None:
    """null compares with _eq or _ne and a None value."""
    comparison = comparison_of(text)
    assert comparison.path == (NUMBER,)
    assert comparison.operator == operator
    assert comparison.value is None


# References


@pytest.mark.parametrize("value", ["12", "'12'", '"12"'])
def test_reference_equality_compares_id(value: str) -> None:
    """A bare value on a reference compares the target's _id as a string."""
    comparison = comparison_of(f"{{soldToCustomer: {value}}}")
    assert comparison.path == (CUSTOMER, CUSTOMER_ID)
    assert comparison.operator == "_eq"
    assert comparison.value == "12"


def test_reference_null_keeps_reference_path() -> None:
    """A null comparison on a reference ends its path at the reference."""
    assert comparison_of("{soldToCustomer: null}").path == (CUSTOMER,)
    ne = comparison_of("{soldToCustomer: {_ne: null}}")
    assert ne.path == (CUSTOMER,)
    assert ne.operator == "_ne"


def test_reference_sub_property() -> None:
    """An object on a reference filters on the target's properties."""
    comparison = comparison_of("{soldToCustomer: {name: 'Acme'}}")
    assert comparison.path == (CUSTOMER, CUSTOMER_NAME)
    assert comparison.value == "Acme"


def test_nested_references_any_depth() -> None:
    """Paths run through references of references."""
    comparison = comparison_of(
        "{soldToCustomer: {currency: {unit: {name: {_regex: 'kg'}}}}}"
    )
    assert comparison.path == (CUSTOMER, CUSTOMER_CURRENCY, CURRENCY_UNIT, UNIT_NAME)
    assert comparison.operator == "_regex"


def test_reference_operators_apply_to_id() -> None:
    """Operators written on a reference compare its _id."""
    comparison = comparison_of("{soldToCustomer: {_in: [1, '2']}}")
    assert comparison.path == (CUSTOMER, CUSTOMER_ID)
    assert comparison.value == ("1", "2")
    regex = comparison_of("{soldToCustomer: {_regex: '^1'}}")
    assert regex.path == (CUSTOMER, CUSTOMER_ID)


def test_reference_mixes_id_operators_and_properties() -> None:
    """A reference object may hold _id operators and sub-properties together."""
    condition = condition_of("{soldToCustomer: {_ne: '3', name: 'Acme'}}")
    assert isinstance(condition, And)
    paths = [part.path for part in parts_of(condition)]
    assert paths == [(CUSTOMER, CUSTOMER_ID), (CUSTOMER, CUSTOMER_NAME)]


def test_reference_logical_operators_keep_prefix() -> None:
    """_or and _not inside a reference stay relative to the outer node."""
    condition = condition_of(
        "{soldToCustomer: {_or: [{name: 'A'}, {_eq: '7'}], _not: null}}"
    )
    assert isinstance(condition, And)
    either, negated = condition.conditions
    assert isinstance(either, Or)
    paths = [part.path for part in parts_of(either)]
    assert paths == [(CUSTOMER, CUSTOMER_NAME), (CUSTOMER, CUSTOMER_ID)]
    assert negated == Not(Comparison((CUSTOMER,), "_eq", None, Span(56, 60)))


def test_reference_id_property_written_out() -> None:
    """{ref: {_id: x}} is the same comparison as {ref: x}."""
    assert comparison_of("{soldToCustomer: {_id: 5}}").path == (CUSTOMER, CUSTOMER_ID)


# Collections


def test_collection_without_quantifier_means_at_least_one() -> None:
    """A collection filtered without a quantifier means _atLeast 1."""
    text = "{lines: {quantity: {_gt: 2}}}"
    condition = condition_of(text)
    assert condition == Quantified(
        (LINES,),
        "_atLeast",
        1,
        Comparison((LINE_QUANTITY,), "_gt", Decimal(2), at(text, "2")),
        at(text, "lines"),
    )


def test_empty_collection_object_means_any_row() -> None:
    """{lines: {}} means at least one row of any kind."""
    assert condition_of("{lines: {}}") == Quantified(
        (LINES,), "_atLeast", 1, And(()), Span(1, 6)
    )


@pytest.mark.parametrize(
    ("quantifier", "value", "count"),
    [
        ("_atLeast", "2", 2),
        ("_atLeast", "0", 0),
        ("_atMost", "3", 3),
        ("_every", "true", None),
        ("_none", "true", None),
    ],
)
def test_quantifier_with_sibling_condition(
    quantifier: str, value: str, count: int | None
) -> None:
    """Each quantifier applies to the rows matching its sibling conditions."""
    text = f"{{lines: {{{quantifier}: {value}, status: 'closed'}}}}"
    condition = condition_of(text)
    assert isinstance(condition, Quantified)
    assert condition.path == (LINES,)
    assert condition.quantifier == quantifier
    assert condition.count == count
    assert condition.condition == Comparison(
        (LINE_STATUS,), "_eq", "closed", at(text, "'closed'")
    )
    assert condition.span == at(text, f"{quantifier}: {value}")


def test_quantifier_without_siblings_has_empty_condition() -> None:
    """A quantifier with no sibling conditions counts all rows."""
    condition = condition_of("{lines: {_atMost: 0}}")
    assert isinstance(condition, Quantified)
    assert condition.condition == And(())


def test_two_quantifiers_share_condition() -> None:
    """_atLeast and _atMost together give two quantified conditions."""
    condition = condition_of("{lines: {_atLeast: 1, _atMost: 3, quantity: 1}}")
    assert isinstance(condition, And)
    first, second = condition.conditions
    assert isinstance(first, Quantified)
    assert isinstance(second, Quantified)
    assert (first.quantifier, first.count) == ("_atLeast", 1)
    assert (second.quantifier, second.count) == ("_atMost", 3)
    assert first.condition == second.condition


def test_collection_conditions_are_relative_to_rows() -> None:
    """Paths inside a collection start at the collection's node."""
    condition = condition_of("{lines: {_every: true, item: {name: 'Bolt'}}}")
    assert isinstance(condition, Quantified)
    inner = condition.condition
    assert isinstance(inner, Comparison)
    assert inner.path == (LINE_ITEM, ITEM_NAME)


def test_collection_logical_siblings() -> None:
    """_or among a collection's siblings combines conditions on its rows."""
    condition = condition_of(
        "{lines: {_none: true, _or: [{status: 'draft'}, {quantity: 0}]}}"
    )
    assert isinstance(condition, Quantified)
    assert isinstance(condition.condition, Or)


def test_collection_through_reference() -> None:
    """A collection reached through a reference keeps the reference step."""
    text = "{lines: {document: {lines: {_atLeast: 2}}}}"
    outer = condition_of(text)
    assert isinstance(outer, Quantified)
    inner = outer.condition
    assert isinstance(inner, Quantified)
    assert inner.path == (LINE_DOCUMENT, LINES)
    assert inner.count == 2


# Typed values


@pytest.mark.parametrize(
    ("prop", "literal", "expected"),
    [
        ("number", "'SO-1'", "SO-1"),
        ("_id", "'42'", "42"),
        ("_id", "42", "42"),
        ("_id", "-1", "-1"),
        ("lineCount", "7", 7),
        ("lineCount", "-2147483648", -(2**31)),
        ("lineCount", "2147483647", 2**31 - 1),
        ("legacyNumber", "12345678901", 12345678901),
        ("externalRef", "12", 12),
        ("externalRef", "'A12'", "A12"),
        ("totalAmount", "6.270", Decimal("6.270")),
        ("totalAmount", "'6.270'", Decimal("6.270")),
        ("totalAmount", "'-1e-3'", Decimal("-0.001")),
        ("totalAmount", "12", Decimal(12)),
        (
            "totalAmount",
            "'0.1000000000000000000001'",
            Decimal("0.1000000000000000000001"),
        ),
        ("exchangeRate", "1.5", Decimal("1.5")),
        ("exchangeRate", "2", Decimal(2)),
        ("isQuote", "true", True),
        ("isQuote", "false", False),
        ("status", "'pendingApproval'", "pendingApproval"),
        ("orderDate", "'2024-02-29'", date(2024, 2, 29)),
        ("_customData", "'{\"a\": 1}'", '{"a": 1}'),
    ],
)
def test_value_typed_by_property_type(
    prop: str, literal: str, expected: object
) -> None:
    """Values are converted to the Python type of the property's scalar."""
    comparison = comparison_of(f"{{{prop}: {literal}}}")
    assert comparison.value == expected
    assert type(comparison.value) is type(expected)


def test_decimal_string_keeps_exact_digits() -> None:
    """A numeric string for a Decimal keeps its digits and exponent."""
    value = comparison_of("{totalAmount: '6.270'}").value
    assert value.as_tuple() == Decimal("6.270").as_tuple()


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("'2024-05-01T12:30:00Z'", datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)),
        (
            "'2024-05-01T12:30:00.250Z'",
            datetime(2024, 5, 1, 12, 30, 0, 250000, timezone.utc),
        ),
        (
            "'2024-05-01T14:30:00+02:00'",
            datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc),
        ),
        (
            "'2024-05-01T10:00:00-0230'",
            datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc),
        ),
        ("'2024-05-01T12:30:00'", datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)),
        ("'2024-05-01 12:30'", datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)),
        (
            "'2024-05-01T00:30:00+01:00'",
            datetime(2024, 4, 30, 23, 30, tzinfo=timezone.utc),
        ),
    ],
)
def test_datetime_becomes_aware_utc(literal: str, expected: datetime) -> None:
    """Datetime values accept Z, an offset or nothing, and come out in UTC."""
    value = comparison_of(f"{{_createStamp: {{_gte: {literal}}}}}").value
    assert value == expected
    assert value.tzinfo == timezone.utc


@pytest.mark.parametrize(
    ("prop", "literal", "fragment"),
    [
        ("number", "12", "expected a string in quotes"),
        ("number", "true", "expected a string in quotes"),
        ("_id", "true", "expected an _id as a string or an integer"),
        ("_id", "1.5", "expected an _id as a string or an integer"),
        ("lineCount", "1.0", "expected an integer"),
        ("lineCount", "'3'", "expected an integer"),
        ("lineCount", "true", "expected an integer"),
        (
            "lineCount",
            "2147483648",
            "expected an integer from -2147483648 to 2147483647",
        ),
        ("legacyNumber", "'7'", "expected an integer"),
        ("externalRef", "1.5", "expected an integer or a string"),
        ("totalAmount", "'abc'", "expected a number or a numeric string"),
        ("totalAmount", "'1,5'", "expected a number or a numeric string"),
        ("totalAmount", "'NaN'", "expected a number or a numeric string"),
        ("totalAmount", "' 1'", "expected a number or a numeric string"),
        ("totalAmount", "true", "expected a number"),
        ("exchangeRate", "'1.5'", "expected a number"),
        ("isQuote", "'true'", "expected true or false"),
        ("isQuote", "1", "expected true or false"),
        ("orderDate", "'2024-1-5'", "expected a date string in the form 'YYYY-MM-DD'"),
        ("orderDate", "'20240105'", "expected a date string"),
        ("orderDate", "'2024-01-05T00:00:00Z'", "expected a date string"),
        ("orderDate", "20240105", "expected a date string"),
        (
            "orderDate",
            "'2023-02-29'",
            "not a real date (day is out of range for month)",
        ),
        ("orderDate", "'2024-13-01'", "not a real date"),
        ("_createStamp", "'2024-05-01'", "expected an ISO-8601 date-time string"),
        ("_createStamp", "'yesterday'", "expected an ISO-8601 date-time string"),
        ("_createStamp", "'2024-05-01T12:30:00.1234567Z'", "expected an ISO-8601"),
        ("_createStamp", "'2024-05-01T25:00:00Z'", "not a real date-time"),
        ("_createStamp", "'2024-05-01T12:00:00+24:00'", "invalid UTC offset +24:00"),
        ("_createStamp", "1714566600", "expected an ISO-8601 date-time string"),
        ("_customData", "1", "expected a string in quotes"),
        ("status", "1", "expected one of: draft, pendingApproval, inProgress, closed"),
    ],
)
def test_value_of_wrong_type_reported(prop: str, literal: str, fragment: str) -> None:
    """A value that does not fit the property's type is reported at the value."""
    text = f"{{{prop}: {literal}}}"
    analysis = analyze_filter(text, ORDER, SCHEMA)
    assert len(analysis.problems) == 1
    problem = analysis.problems[0]
    assert fragment in problem.message
    assert f"invalid value {literal} for SalesOrder.{prop}" in problem.message
    assert (problem.start, problem.end) == (len(prop) + 3, len(text) - 1)


def test_unknown_enum_member_lists_members_and_suggests() -> None:
    """An unknown enum member is reported with the members and a suggestion."""
    message = only_message("{status: 'pendingAproval'}")
    assert message == (
        "invalid value 'pendingAproval' for SalesOrder.status (SalesOrderStatus): "
        "expected one of: draft, pendingApproval, inProgress, closed. Did you mean "
        "'pendingApproval'?"
    )


def test_enum_member_case_matters() -> None:
    """Enum members match exactly, so 'Draft' is unknown."""
    assert "Did you mean 'draft'?" in only_message("{status: 'Draft'}")


# Operators


@pytest.mark.parametrize(
    "text",
    [
        "{number: {_regex: 'a.*b'}}",
        "{_id: {_regex: '^1'}}",
        "{number: {_gt: 'M'}}",
        "{_id: {_lte: '9'}}",
        "{totalAmount: {_gt: 1, _lte: '9.99'}}",
        "{orderDate: {_lt: '2024-01-01'}}",
        "{exchangeRate: {_gte: 0.5}}",
        "{legacyNumber: {_gt: 1}}",
        "{externalRef: {_lt: 'Z'}}",
        "{status: {_in: ['draft', 'closed']}}",
        "{status: {_ne: 'draft'}}",
        "{isQuote: {_ne: true}}",
        "{isQuote: {_in: [true]}}",
        "{_customData: {_eq: '{}'}}",
        "{_customData: {_nin: ['{}']}}",
    ],
)
def test_operator_valid_for_type(text: str) -> None:
    """Operators allowed for a type are accepted."""
    condition_of(text)


_ORDERED = "_eq, _ne, _gt, _gte, _lt, _lte, _in, _nin"
_EQUALITY = "_eq, _ne, _in, _nin"


@pytest.mark.parametrize(
    ("prop", "operator", "literal", "valid"),
    [
        ("totalAmount", "_regex", "'1'", _ORDERED),
        ("orderDate", "_regex", "'2024'", _ORDERED),
        ("lineCount", "_regex", "'1'", _ORDERED),
        ("_createStamp", "_regex", "'2024'", _ORDERED),
        ("isQuote", "_regex", "'x'", _EQUALITY),
        ("status", "_regex", "'dr'", _EQUALITY),
        ("isQuote", "_gt", "false", _EQUALITY),
        ("_customData", "_lt", "'{}'", _EQUALITY),
        ("status", "_gte", "'draft'", _EQUALITY),
        ("status", "_lt", "'closed'", _EQUALITY),
    ],
)
def test_operator_invalid_for_type_reported(
    prop: str, operator: str, literal: str, valid: str
) -> None:
    """An operator the type does not allow is reported at its key with the list."""
    text = f"{{{prop}: {{{operator}: {literal}}}}}"
    analysis = analyze_filter(text, ORDER, SCHEMA)
    assert len(analysis.problems) == 1
    problem = analysis.problems[0]
    assert (
        f"operator '{operator}' is not valid for SalesOrder.{prop}" in problem.message
    )
    assert problem.message.endswith(f"valid operators: {valid}")
    assert (problem.start, problem.end) == (
        at(text, operator).start,
        at(text, operator).end,
    )


def test_in_and_nin_build_typed_tuples() -> None:
    """_in and _nin take a list and give a tuple of typed values."""
    comparison = comparison_of("{orderDate: {_in: ['2024-01-01', '2024-01-02']}}")
    assert comparison.value == (date(2024, 1, 1), date(2024, 1, 2))
    assert comparison_of("{lineCount: {_nin: []}}").value == ()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{lineCount: {_in: 1}}", "'_in' expects a list of values"),
        ("{lineCount: {_nin: {a: 1}}}", "'_nin' expects a list of values"),
        ("{lineCount: {_in: [1, null]}}", "null is not allowed in '_in'"),
        (
            "{lineCount: {_in: [1, [2]]}}",
            "'_in' items must be single values, found [2]",
        ),
        ("{lineCount: {_in: [1, 'x']}}", "invalid value 'x' for SalesOrder.lineCount"),
    ],
)
def test_membership_problems(text: str, fragment: str) -> None:
    """_in and _nin need a list of single, non-null values of the right type."""
    assert fragment in only_message(text)


def test_every_bad_item_of_in_reported() -> None:
    """Each invalid item of an _in list is its own problem."""
    analysis = analyze_filter("{lineCount: {_in: ['a', 2, 'b']}}", ORDER, SCHEMA)
    assert [problem.start for problem in analysis.problems] == [19, 27]


def test_regex_must_compile() -> None:
    """An invalid regular expression is reported with Python's reason."""
    text = "{number: {_regex: 'a(b'}}"
    analysis = analyze_filter(text, ORDER, SCHEMA)
    problem = analysis.problems[0]
    assert problem.message.startswith("invalid regular expression 'a(b' for ")
    assert "missing ), unterminated subpattern" in problem.message
    assert (problem.start, problem.end) == (18, 23)


def test_regex_needs_string() -> None:
    """_regex with a number is reported."""
    assert "'_regex' expects a regular expression in a string" in only_message(
        "{number: {_regex: 12}}"
    )


@pytest.mark.parametrize("operator", ["_gt", "_gte", "_lt", "_lte"])
def test_ordering_with_null_rejected(operator: str) -> None:
    """Ordering operators cannot compare with null."""
    message = only_message(f"{{lineCount: {{{operator}: null}}}}")
    assert (
        f"'{operator}' cannot compare SalesOrder.lineCount (Int) with null" in message
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{lineCount: {_eq: [1]}}", "'_eq' expects a single value for SalesOrder."),
        ("{lineCount: {_gt: {a: 1}}}", "found an object"),
        ("{lineCount: [1, 2]}", "a list is not a value for SalesOrder.lineCount (Int)"),
        ("{lineCount: {}}", "empty object for SalesOrder.lineCount (Int)"),
    ],
)
def test_scalar_property_shape_problems(text: str, fragment: str) -> None:
    """Lists and empty objects are not values of a scalar property."""
    assert fragment in only_message(text)


def test_unknown_operator_suggests_valid_ones() -> None:
    """A misspelt operator is reported with suggestions and the valid list."""
    message = only_message("{number: {_regx: 'a'}}")
    assert message.startswith(
        "'_regx' is not an operator of SalesOrder.number (String). Did you mean "
        "'_regex'"
    )
    assert message.endswith(
        "Valid operators: _eq, _ne, _gt, _gte, _lt, _lte, _in, _nin, _regex, _not"
    )


def test_property_name_under_scalar_reported() -> None:
    """A scalar property's object contains operators, not properties."""
    message = only_message("{number: {name: 'x'}}")
    assert message.startswith("'name' is not an operator of SalesOrder.number")


def test_and_inside_scalar_operators_reported() -> None:
    """_and and _or belong at node level, and the message shows where."""
    message = only_message("{lineCount: {_or: [{_lt: 1}, {_gt: 5}]}}")
    assert "write {_or: [{lineCount: ...}, {lineCount: ...}]} one level up" in message


def test_operator_without_property_reported() -> None:
    """An operator at node level, outside a reference, is reported."""
    text = "{_eq: 1}"
    analysis = analyze_filter(text, ORDER, SCHEMA)
    problem = analysis.problems[0]
    assert problem.message == (
        "operator '_eq' must follow a property of SalesOrder, as in "
        "{number: {_eq: ...}}"
    )
    assert (problem.start, problem.end) == (1, 4)


# Quantifiers


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "{lines: {_atLeast: -1}}",
            "'_atLeast' on SalesOrder.lines expects a non-negative integer, found -1",
        ),
        ("{lines: {_atLeast: 1.5}}", "expects a non-negative integer, found 1.5"),
        ("{lines: {_atMost: '2'}}", "expects a non-negative integer, found '2'"),
        ("{lines: {_atMost: true}}", "expects a non-negative integer, found true"),
        ("{lines: {_atMost: null}}", "expects a non-negative integer, found null"),
        ("{lines: {_every: false}}", "found false; to negate it, wrap the condition"),
        ("{lines: {_none: 1}}", "'_none' on SalesOrder.lines expects true, found 1"),
        ("{lines: {_every: {}}}", "expects true, found {}"),
    ],
)
def test_quantifier_value_problems(text: str, fragment: str) -> None:
    """Counts must be non-negative integers, and _every/_none take true."""
    assert fragment in only_message(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "{lineCount: {_atLeast: 1}}",
            "'_atLeast' applies only to collections, not to SalesOrder.lineCount",
        ),
        (
            "{soldToCustomer: {_every: true}}",
            "but SalesOrder.soldToCustomer is a reference to Customer",
        ),
        ("{_none: true}", "'_none' must follow a collection property of SalesOrder"),
        (
            "{lines: {_or: [{_atLeast: 1}]}}",
            "must be written directly in the collection's object",
        ),
    ],
)
def test_quantifier_outside_collection_reported(text: str, fragment: str) -> None:
    """Quantifiers on scalars, references or the node itself are reported."""
    assert fragment in only_message(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{lines: 2}", "expected an object for the collection SalesOrder.lines"),
        ("{lines: [{status: 'draft'}]}", "expected an object for the collection"),
        ("{lines: null}", "to require that it has no rows, use {_none: true}"),
    ],
)
def test_collection_value_must_be_object(text: str, fragment: str) -> None:
    """A collection takes an object of quantifiers and conditions."""
    assert fragment in only_message(text)


# Properties


def test_system_properties_are_properties() -> None:
    """Names starting with _ other than operators are looked up as properties."""
    assert comparison_of("{_id: '1'}").path == (
        Step("SalesOrder", "_id", "scalar", "Id"),
    )
    assert comparison_of("{_createStamp: null}").path[0].type_name == "Datetime"
    line = condition_of("{lines: {_sortValue: {_gt: 10}}}")
    assert isinstance(line, Quantified)
    assert isinstance(line.condition, Comparison)
    assert line.condition.path == (
        Step("SalesOrderLine", "_sortValue", "scalar", "Int"),
    )


def test_unknown_property_suggests_names() -> None:
    """An unknown property names the node and suggests close names."""
    text = "{numbr: 'A'}"
    analysis = analyze_filter(text, ORDER, SCHEMA)
    problem = analysis.problems[0]
    assert (
        problem.message
        == "unknown property 'numbr' on SalesOrder. Did you mean 'number'?"
    )
    assert (problem.start, problem.end, problem.line, problem.column) == (1, 6, 1, 2)


def test_unknown_system_property_suggests_names() -> None:
    """An unknown _name is a property, with suggestions."""
    message = only_message("{_createdStamp: null}")
    assert message.startswith("unknown property '_createdStamp' on SalesOrder.")
    assert "'_createStamp'" in message


def test_unknown_property_without_suggestion() -> None:
    """With no close name, the message points to the node's fields."""
    assert only_message("{zzzzzzzz: 1}") == (
        "unknown property 'zzzzzzzz' on SalesOrder. Check the name against the "
        "fields of SalesOrder."
    )


def test_unknown_property_in_reference_names_target() -> None:
    """Unknown properties under a reference name the referenced node."""
    message = only_message("{soldToCustomer: {nmae: 'x'}}")
    assert message == "unknown property 'nmae' on Customer. Did you mean 'name'?"


def test_misspelt_quantifier_suggested_in_collection() -> None:
    """A misspelt quantifier inside a collection is suggested."""
    message = only_message("{lines: {_atleast: 1}}")
    assert "Did you mean '_atLeast'" in message


def test_misspelt_logical_operator_suggested() -> None:
    """A misspelt _not at node level is suggested."""
    assert "Did you mean '_not'?" in only_message("{_nto: {number: 'x'}}")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "{notes: 'x'}",
            "property SalesOrder.notes is a text stream, so it cannot be filtered",
        ),
        ("{tags: 'x'}", "property SalesOrder.tags is a list, so it cannot be filtered"),
        (
            "{shipTo: {city: 'x'}}",
            "property SalesOrder.shipTo has the type Address, so it",
        ),
        ("{color: 'red'}", "has the unsupported scalar type Color"),
    ],
)
def test_unfilterable_property_reported(text: str, fragment: str) -> None:
    """Text streams, lists, other objects and unknown scalars cannot be filtered."""
    assert fragment in only_message(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "{soldToCustomer: true}",
            "invalid value true for the _id of SalesOrder.soldToCustomer (Customer)",
        ),
        (
            "{soldToCustomer: [1]}",
            "a list is not a value for the _id of SalesOrder.soldToCustomer",
        ),
        ("{soldToCustomer: {}}", "empty object for SalesOrder.soldToCustomer"),
    ],
)
def test_reference_value_problems(text: str, fragment: str) -> None:
    """A reference takes an _id, null, or an object of conditions."""
    assert fragment in only_message(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("'x'", "a filter must be an object such as {name: 'x'} or a list of objects"),
        ("[1]", "expected an object of conditions on SalesOrder"),
        ("{_and: {number: 'x'}}", "'_and' expects a list of objects"),
        ("{_or: [1]}", "expected an object of conditions on SalesOrder"),
        ("{_not: [{number: 'x'}]}", "expected an object of conditions on SalesOrder"),
    ],
)
def test_structure_problems(text: str, fragment: str) -> None:
    """The top level and logical operators take objects and lists of objects."""
    assert fragment in only_message(text)


# Problem collection


def test_every_problem_collected_in_source_order() -> None:
    """All semantic problems are reported, sorted by position."""
    text = (
        "{\n"
        "  numbr: 'A',\n"
        "  status: 'drafted',\n"
        "  lines: {_atLeast: -1, quantity: {_regex: '1'}},\n"
        "  soldToCustomer: {nme: 'x', _atMost: 1},\n"
        "  orderDate: {_gt: '2024-02-30'},\n"
        "}"
    )
    analysis = analyze_filter(text, ORDER, SCHEMA)
    assert analysis.condition is None
    positions = [(problem.line, problem.column) for problem in analysis.problems]
    assert positions == [(2, 3), (3, 11), (4, 21), (4, 36), (5, 20), (5, 30), (6, 20)]
    starts = [problem.start for problem in analysis.problems]
    assert starts == sorted(starts)


def test_problem_inside_or_does_not_hide_siblings() -> None:
    """Problems in separate branches of _or are all reported."""
    messages = messages_of("{_or: [{numbr: 1}, {lineCount: 'x'}], isQuote: 2}")
    assert len(messages) == 3


def test_syntax_error_gives_one_problem() -> None:
    """A syntax error stops analysis with the parser's problem."""
    analysis = analyze_filter("{number: 'A' lineCount: 2}", ORDER, SCHEMA)
    assert analysis.condition is None
    assert len(analysis.problems) == 1
    assert analysis.problems[0].message.startswith("expected ',' or '}'")


def test_compile_filter_returns_condition() -> None:
    """compile_filter returns the condition of a valid filter."""
    assert compile_filter("{lineCount: 1}", ORDER, SCHEMA) == Comparison(
        (LINE_COUNT,), "_eq", 1, Span(12, 13)
    )


def test_compile_filter_raises_with_all_problems() -> None:
    """compile_filter raises FilterError listing every problem."""
    with pytest.raises(FilterError) as caught:
        compile_filter("{numbr: 1, lineCount: 'x'}", ORDER, SCHEMA)
    error = caught.value
    assert error.kind == "filter"
    assert len(error.problems) == 2
    assert "1:2: unknown property 'numbr'" in str(error)


def test_deep_nesting_within_limit_analyzed() -> None:
    """_not chains nested to the maximum depth analyze without recursion errors."""
    depth = MAX_DEPTH - 1
    text = "{_not: " * depth + "{lineCount: 1}" + "}" * depth
    condition = condition_of(text)
    for _ in range(depth):
        assert isinstance(condition, Not)
        condition = condition.condition
    assert isinstance(condition, Comparison)


# Nodes and connections


def test_non_node_type_rejected() -> None:
    """Analysis needs a node type, one with an _id field."""
    with pytest.raises(ValueError, match="Address is not a node type"):
        analyze_filter("{}", node_type("Address"), SCHEMA)


def test_aggregate_type_is_not_a_node() -> None:
    """A type whose _id is an object, such as an aggregate, is not a node."""
    with pytest.raises(ValueError, match="no scalar _id field"):
        analyze_filter("{}", node_type("SalesOrder_Aggregate"), SCHEMA)


def test_quantifier_on_node_without_collections() -> None:
    """A quantifier on a node without collections is reported as such."""
    analysis = analyze_filter("{_atLeast: 1}", node_type("Customer"), SCHEMA)
    assert [problem.message for problem in analysis.problems] == [
        "'_atLeast' applies only to collections, and Customer has none"
    ]


def test_node_from_other_schema_rejected() -> None:
    """The node must belong to the schema passed with it."""
    other = build_schema(SDL)
    with pytest.raises(ValueError, match="not from this schema"):
        analyze_filter("{}", node_type("SalesOrder", other), SCHEMA)


def test_node_for_connection_unwraps_non_null() -> None:
    """The node of a query field's connection type is found through non-null."""
    query = node_type("SalesOrder_Query").fields["query"]
    assert node_for_connection(query.type) is ORDER


def test_node_for_collection_connection() -> None:
    """Collections' query fields lead to the row node."""
    query = node_type("SalesOrderLine_Collection").fields["query"]
    assert node_for_connection(query.type) is node_type("SalesOrderLine")


@pytest.mark.parametrize("name", ["SalesOrder", "PageInfo", "SalesOrder_Edge"])
def test_node_for_connection_none_for_other_types(name: str) -> None:
    """Types that are not connections give None."""
    assert node_for_connection(node_type(name)) is None


# orderBy


def keys_of(text: str) -> tuple[OrderKey, ...]:
    """Analyze an orderBy on SalesOrder that must be valid and return its keys."""
    analysis = analyze_order_by(text, ORDER, SCHEMA)
    assert analysis.problems == ()
    return analysis.keys


def order_messages(text: str) -> list[str]:
    """Analyze an orderBy on SalesOrder that must be invalid; return its messages."""
    analysis = analyze_order_by(text, ORDER, SCHEMA)
    assert analysis.keys == ()
    return [problem.message for problem in analysis.problems]


def test_order_by_keys_in_written_order() -> None:
    """Sort keys keep the order of the text, with their directions and spans."""
    text = "{number: 1, lineCount: -1, _id: +1}"
    assert keys_of(text) == (
        OrderKey((NUMBER,), 1, at(text, "number: 1")),
        OrderKey((LINE_COUNT,), -1, at(text, "lineCount: -1")),
        OrderKey((Step("SalesOrder", "_id", "scalar", "Id"),), 1, at(text, "_id: +1")),
    )


def test_order_by_through_references() -> None:
    """Nested objects sort by a property of a reference, at any depth."""
    keys = keys_of("{currency: {name: -1, unit: {name: 1}}, number: 1}")
    assert [key.path for key in keys] == [
        (CURRENCY, CURRENCY_NAME),
        (CURRENCY, CURRENCY_UNIT, UNIT_NAME),
        (NUMBER,),
    ]
    assert [key.direction for key in keys] == [-1, 1, 1]


def test_order_by_enum_and_dates() -> None:
    """Enums, dates and stamps can be sorted."""
    keys = keys_of("{status: 1, orderDate: -1, _createStamp: 1}")
    assert [key.path[0].kind for key in keys] == ["enum", "scalar", "scalar"]


@pytest.mark.parametrize("text", ["", "  ", "{}"])
def test_empty_order_by_has_no_keys(text: str) -> None:
    """Empty text or an empty object gives no keys."""
    assert keys_of(text) == ()


@pytest.mark.parametrize(
    "direction", ["2", "0", "'1'", "1.0", "true", "null", "{}", "[1]"]
)
def test_order_by_invalid_direction(direction: str) -> None:
    """Only the integers 1 and -1 are sort directions."""
    text = f"{{number: {direction}}}"
    analysis = analyze_order_by(text, ORDER, SCHEMA)
    problem = analysis.problems[0]
    assert problem.message == (
        f"invalid sort direction {direction} for SalesOrder.number; use 1 for "
        "ascending or -1 for descending"
    )
    assert (problem.start, problem.end) == (9, 9 + len(direction))


def test_order_by_reference_itself_rejected() -> None:
    """A bare reference cannot be sorted, and the message shows how instead."""
    assert order_messages("{currency: -1}") == [
        "cannot sort by the reference SalesOrder.currency itself; sort by one of its "
        "properties, such as {currency: {id: -1}} or {currency: {name: -1}}"
    ]


def test_order_by_empty_reference_object_rejected() -> None:
    """An empty object under a reference gives no key and is reported."""
    assert order_messages("{currency: {}}")[0].startswith(
        "no sort key inside the reference SalesOrder.currency; sort by one of its"
    )


def test_order_by_collection_rejected() -> None:
    """A collection cannot be sorted."""
    assert order_messages("{lines: {quantity: 1}}") == [
        "cannot sort by the collection SalesOrder.lines; sort by properties of "
        "SalesOrder or of its references instead"
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "{numbr: 1}",
            "unknown property 'numbr' on SalesOrder. Did you mean 'number'?",
        ),
        (
            "{currency: {nme: 1}}",
            "unknown property 'nme' on Currency. Did you mean 'name'?",
        ),
        (
            "{notes: 1}",
            "property SalesOrder.notes is a text stream, so it cannot be sorted",
        ),
        ("{_and: 1}", "'_and' is a filter operator and has no meaning in an orderBy"),
        ("[{number: 1}]", "an orderBy must be an object such as {name: 1, _id: -1}"),
        ("1", "an orderBy must be an object"),
    ],
)
def test_order_by_problems(text: str, fragment: str) -> None:
    """Unknown, unsortable and misplaced keys are reported."""
    messages = order_messages(text)
    assert len(messages) == 1
    assert fragment in messages[0]


def test_order_by_collects_every_problem() -> None:
    """All orderBy problems are reported in source order."""
    messages = order_messages("{numbr: 1, currency: 1, number: 0, lines: -1}")
    assert len(messages) == 4


def test_order_by_syntax_error_names_order_by() -> None:
    """Syntax errors in orderBy text name the orderBy."""
    messages = order_messages("{number: 1} extra")
    assert messages == [
        "unexpected 'extra' after the end of the orderBy; expected the end of the text"
    ]


def test_compile_order_by_raises_for_problems() -> None:
    """compile_order_by raises FilterError of kind orderBy."""
    with pytest.raises(FilterError) as caught:
        compile_order_by("{number: 3}", ORDER, SCHEMA)
    assert caught.value.kind == "orderBy"
    assert str(caught.value).startswith("invalid orderBy '{number: 3}': 1:10: ")


def test_compile_order_by_returns_keys() -> None:
    """compile_order_by returns the keys of a valid orderBy."""
    keys = compile_order_by("{number: -1}", ORDER, SCHEMA)
    assert keys == (OrderKey((NUMBER,), -1, Span(1, 11)),)
