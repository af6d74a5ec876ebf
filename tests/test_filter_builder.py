"""Tests of the filter and orderBy builder: parser round trips, literals and errors."""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from graphql import GraphQLObjectType, build_schema
from hypothesis import given
from hypothesis import strategies as st

from sage_dmo._filter_builder import Clause, F, build_filter, build_order_by
from sage_dmo._filter_semantics import (
    And,
    Comparison,
    Quantified,
    compile_filter,
    compile_order_by,
)
from sage_dmo._filter_syntax import parse_filter_text, to_python
from sage_dmo._scalars import format_datetime, parse_datetime

SCHEMA = build_schema(
    resources.files("sage_dmo.emulator").joinpath("schema.graphql").read_text("utf-8")
)


def node_type(name: str) -> GraphQLObjectType:
    """Return the node type ``name`` of the emulator's schema."""
    found = SCHEMA.get_type(name)
    assert isinstance(found, GraphQLObjectType)
    return found


ITEM = node_type("Item")


class Color(enum.Enum):
    """An enum whose values are SDMO enum members."""

    RED = "red"
    DARK_BLUE = "darkBlue"


def parsed(text: str) -> Any:
    """Parse filter text into plain Python values."""
    return to_python(parse_filter_text(text))


def tagged(value: Any) -> Any:
    """Return ``value`` as the parser returns it, tagged by kind.

    Tags keep ``True`` apart from ``1``, and numbers compare by value, so that
    ``Decimal("1E+2")`` and the parsed ``100`` are the same number.
    """
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, bool):
        return ("literal", value)
    if isinstance(value, (int, Decimal)):
        return ("number", Decimal(value))
    if isinstance(value, datetime):
        return ("text", format_datetime(value))
    if isinstance(value, date):
        return ("text", value.isoformat())
    if isinstance(value, str):
        return ("text", value)
    if isinstance(value, (list, tuple)):
        return ("list", [tagged(item) for item in value])
    return ("object", [(key, tagged(item)) for key, item in value.items()])


def in_utc_range(moment: datetime) -> bool:
    """Return whether ``moment`` stays within years 1 to 9999 in UTC."""
    try:
        moment.astimezone(timezone.utc)
    except OverflowError:
        return False
    return True


zones = st.builds(
    timezone,
    st.timedeltas(timedelta(hours=-23, minutes=-59), timedelta(hours=23, minutes=59)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(),
    st.text(alphabet=st.sampled_from("'\\\"\n\t\x00\x7f\u200b\U0001f600\U0010ffff")),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(timezones=zones).filter(in_utc_range),
    st.sampled_from(Color),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=8), children, max_size=3),
    ),
    max_leaves=8,
)


# --- round trips -------------------------------------------------------------


@given(st.dictionaries(st.text(), values, max_size=4))
def test_filter_round_trips_through_parser(value: dict[str, Any]) -> None:
    """Parsing a built filter gives back the keys and values, in order."""
    text = build_filter(value)
    assert tagged(parsed(text)) == tagged(value)


@given(st.text())
def test_built_text_is_ascii(text: str) -> None:
    """Every built string literal is printable ASCII."""
    built = build_filter({"name": text})
    assert built.isascii()
    assert built.isprintable()


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_reads_back_equal(value: Decimal) -> None:
    """A Decimal of any size and exponent reads back as the same number."""
    assert Decimal(parsed(build_filter({"w": value}))["w"]) == value


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, max_value=10**12))
def test_ordinary_decimal_has_no_exponent(value: Decimal) -> None:
    """Decimals of ordinary size are written in positional notation."""
    assert "E" not in build_filter({"w": value})


@given(st.datetimes(timezones=zones).filter(in_utc_range))
def test_datetime_reads_back_same_instant(moment: datetime) -> None:
    """A datetime in any zone reads back as the same instant in UTC."""
    text = parsed(build_filter({"t": moment}))["t"]
    assert parse_datetime(text) == moment


@given(st.datetimes(timezones=st.just(timezone.utc)).filter(in_utc_range))
def test_datetime_text_has_utc_form(moment: datetime) -> None:
    """A datetime is written as UTC with milliseconds, or microseconds if needed."""
    text = parsed(build_filter({"t": moment}))["t"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{3}|\d{6})Z", text)


@given(st.dates())
def test_date_round_trips(day: date) -> None:
    """A date is written as 'YYYY-MM-DD'."""
    assert parsed(build_filter({"d": day})) == {"d": day.isoformat()}


order_names = st.from_regex(r"[a-z][A-Za-z0-9_]{0,6}", fullmatch=True)
order_paths = st.lists(order_names, min_size=1, max_size=3).map(".".join)


def flatten(tree: dict[str, Any], prefix: str = "") -> list[tuple[str, int]]:
    """Return the sort keys of a parsed orderBy as dotted names and directions."""
    pairs: list[tuple[str, int]] = []
    for key, item in tree.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            pairs += flatten(item, name + ".")
        else:
            pairs.append((name, item))
    return pairs


@given(st.lists(st.tuples(order_paths, st.sampled_from([1, -1])), max_size=5))
def test_order_by_round_trips(pairs: list[tuple[str, int]]) -> None:
    """An expressible orderBy parses back to the same keys in the same order."""
    try:
        text = build_order_by(pairs)
    except ValueError:
        return  # repeated or split keys, checked by the tests below
    assert flatten(parsed(text)) == pairs


# --- literals ------------------------------------------------------------------


def test_decimal_exponent_written_positionally() -> None:
    """Decimal('1E+2') is written as 100."""
    assert build_filter({"w": Decimal("1E+2")}) == "{w: 100}"


def test_decimal_keeps_trailing_zeros() -> None:
    """Decimal('1.50') keeps its scale."""
    assert build_filter({"w": Decimal("1.50")}) == "{w: 1.50}"


def test_small_decimal_written_positionally() -> None:
    """Decimal('1E-7') is written as 0.0000001."""
    assert build_filter({"w": Decimal("1E-7")}) == "{w: 0.0000001}"


def test_huge_decimal_keeps_exponent() -> None:
    """A Decimal needing more than 50 padding zeros keeps its exponent."""
    assert build_filter({"w": Decimal("1E+60")}) == "{w: 1E+60}"


def test_long_decimal_keeps_every_digit() -> None:
    """A Decimal of over 600 digits is written in exponent form, exactly."""
    value = Decimal(10**5000 + 7)
    text = build_filter({"w": value})
    assert "E+5000" in text
    assert parsed(text)["w"] == value


def test_quote_and_backslash_escaped() -> None:
    """A quote and a backslash get a backslash each."""
    assert build_filter({"n": "a'b\\c"}) == "{n: 'a\\'b\\\\c'}"


def test_non_bmp_text_escaped_as_surrogate_pair() -> None:
    """Text above U+FFFF becomes a surrogate pair of escapes."""
    assert build_filter({"n": "\U0001f600"}) == "{n: '\\ud83d\\ude00'}"


def test_control_characters_escaped() -> None:
    """Line breaks, tabs and other control characters become escapes."""
    assert build_filter({"n": "a\nb\tc\x00"}) == "{n: 'a\\nb\\tc\\u0000'}"


def test_non_identifier_key_quoted() -> None:
    """A key that is not an ASCII identifier is written in quotes."""
    assert build_filter({"x y": 1, "größe": 2}) == "{'x y': 1, 'gr\\u00f6\\u00dfe': 2}"


def test_literals_of_each_kind() -> None:
    """Booleans, null, dates, datetimes and enums have their literal forms."""
    moment = datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    value = {"a": True, "b": None, "c": date(2024, 5, 1), "d": moment, "e": Color.RED}
    expected = (
        "{a: true, b: null, c: '2024-05-01', d: '2024-05-01T12:30:00.000Z', e: 'red'}"
    )
    assert build_filter(value) == expected


def test_sub_millisecond_datetime_keeps_microseconds() -> None:
    """A datetime with a sub-millisecond part keeps all six digits."""
    moment = datetime(2024, 5, 1, 12, 0, 0, 500, tzinfo=timezone.utc)
    assert build_filter({"t": moment}) == "{t: '2024-05-01T12:00:00.000500Z'}"


def test_list_top_level_filter() -> None:
    """A list of objects is a top-level filter."""
    assert build_filter([{"a": 1}, {"b": 2}]) == "[{a: 1}, {b: 2}]"


# --- rejected values -------------------------------------------------------------


def test_float_rejected_with_decimal_hint() -> None:
    """A float raises TypeError that names it and suggests a Decimal."""
    with pytest.raises(
        TypeError,
        match=r"float 2\.5 at weight\._gte is not exact; pass Decimal\('2\.5'\)",
    ):
        build_filter({"weight": {"_gte": 2.5}})


def test_nan_decimal_rejected() -> None:
    """A NaN Decimal raises ValueError."""
    with pytest.raises(ValueError, match="not a finite number"):
        build_filter({"weight": Decimal("NaN")})


def test_infinite_decimal_rejected() -> None:
    """An infinite Decimal raises ValueError."""
    with pytest.raises(ValueError, match="not a finite number"):
        build_filter({"weight": Decimal("-Infinity")})


def test_naive_datetime_rejected() -> None:
    """A datetime without a time zone raises ValueError with the fix."""
    with pytest.raises(ValueError, match=r"no time zone; attach one"):
        build_filter({"t": datetime(2024, 5, 1)})


def test_lone_surrogate_rejected() -> None:
    """A lone surrogate in a string raises ValueError."""
    with pytest.raises(ValueError, match="lone surrogate U\\+D800"):
        build_filter({"n": "a\ud800"})


def test_unknown_type_rejected() -> None:
    """A value of an unsupported type raises TypeError naming its path."""
    with pytest.raises(TypeError, match=r"cannot write complex .* at a\[1\]"):
        build_filter({"a": [1, 2j]})


def test_set_rejected() -> None:
    """A set raises TypeError suggesting a list."""
    with pytest.raises(TypeError, match="pass a list"):
        build_filter({"a": {1, 2}})


def test_non_string_key_rejected() -> None:
    """A key that is not a str raises TypeError."""
    with pytest.raises(TypeError, match="found int 1"):
        build_filter({1: "a"})  # type: ignore[dict-item]


def test_scalar_top_level_rejected() -> None:
    """A filter must be a dict or a list."""
    with pytest.raises(TypeError, match="a filter is a dict"):
        build_filter("name")  # type: ignore[arg-type]


def test_huge_int_rejected() -> None:
    """An int too long to convert to text raises ValueError suggesting Decimal."""
    with pytest.raises(ValueError, match="pass it as a Decimal"):
        build_filter({"a": 10**5000})


# --- operator helpers ------------------------------------------------------------


def test_comparison_helpers() -> None:
    """Comparison helpers write their operators."""
    value = {
        "w": F.gte(Decimal("2.5")) & F.lt(10),
        "s": F.ne(None),
        "e": F.eq(Color.RED),
    }
    assert (
        build_filter(value)
        == "{w: {_gte: 2.5, _lt: 10}, s: {_ne: null}, e: {_eq: 'red'}}"
    )


def test_membership_helpers() -> None:
    """F.in_ and F.nin write lists from any iterable."""
    value = {"a": F.in_(("x", "y")), "b": F.nin(range(2))}
    assert build_filter(value) == "{a: {_in: ['x', 'y']}, b: {_nin: [0, 1]}}"


def test_membership_rejects_single_string() -> None:
    """F.in_('abc') raises TypeError instead of splitting the string."""
    with pytest.raises(TypeError, match=r"F\.in_\(\['abc'\]\)"):
        F.in_("abc")


def test_regex_and_negation() -> None:
    """F.regex and F.not_ nest as the filter language expects."""
    assert build_filter({"id": F.not_(F.regex("^X"))}) == "{id: {_not: {_regex: '^X'}}}"


def test_regex_from_compiled_pattern() -> None:
    """A compiled pattern gives its text."""
    assert F.regex(re.compile("a+b")) == {"_regex": "a+b"}


def test_regex_rejects_flags() -> None:
    """A compiled pattern with flags raises ValueError."""
    with pytest.raises(ValueError, match="flags"):
        F.regex(re.compile("a", re.IGNORECASE))


def test_logical_helpers() -> None:
    """F.or_ and F.and_ write lists of conditions."""
    value = F.or_({"a": 1}, F.and_({"b": 2}, {"c": 3}))
    assert build_filter(value) == "{_or: [{a: 1}, {_and: [{b: 2}, {c: 3}]}]}"


def test_quantifier_helpers() -> None:
    """Quantifiers sit next to the conditions on the collection's rows."""
    value = {
        "s": F.at_least(2, {"isOrderable": True}),
        "t": F.at_most(0),
        "u": F.every({"x": 1}),
        "v": F.none({"y": 2}),
    }
    expected = (
        "{s: {_atLeast: 2, isOrderable: true}, t: {_atMost: 0}, "
        "u: {_every: true, x: 1}, v: {_none: true, y: 2}}"
    )
    assert build_filter(value) == expected


def test_quantifier_rejects_negative_count() -> None:
    """A negative count raises ValueError."""
    with pytest.raises(ValueError, match="count of 0 or more"):
        F.at_least(-1)


def test_clause_merge_rejects_repeated_key() -> None:
    """Merging two clauses with the same operator raises ValueError."""
    with pytest.raises(ValueError, match="'_gte'"):
        F.gte(1) & F.gte(2)


def test_clause_equals_dict() -> None:
    """A clause compares equal to the dict of its entries."""
    assert F.gt(1) & {"_lt": 3} == {"_gt": 1, "_lt": 3}


def test_clause_is_immutable() -> None:
    """A clause has no item assignment."""
    clause: Any = F.gt(1)
    with pytest.raises(TypeError):
        clause["_lt"] = 3


def test_built_filter_compiles_for_item() -> None:
    """A filter built with helpers compiles against the Item node."""
    text = build_filter(
        {
            "weight": F.gte(Decimal("0.5")),
            "itemSites": F.at_least(2, {"isOrderable": True}),
        }
    )
    condition = compile_filter(text, ITEM, SCHEMA)
    assert isinstance(condition, And)
    weight, sites = condition.conditions
    assert isinstance(weight, Comparison)
    assert weight.value == Decimal("0.5")
    assert isinstance(sites, Quantified)
    assert sites.count == 2


def test_clause_repr_shows_entries() -> None:
    """A clause's repr shows its entries."""
    assert repr(F.gt(1)) == "Clause({'_gt': 1})"
    assert isinstance(F.gt(1), Clause)


# --- orderBy ---------------------------------------------------------------------


def test_order_by_from_pairs() -> None:
    """Dotted names nest under their reference, in the order given."""
    text = build_order_by([("currency.name", -1), ("name", 1)])
    assert text == "{currency: {name: -1}, name: 1}"


def test_order_by_from_nested_dict() -> None:
    """A nested dict gives the same text as dotted pairs."""
    text = build_order_by({"currency": {"name": -1}, "name": 1})
    assert text == "{currency: {name: -1}, name: 1}"


def test_order_by_groups_adjacent_reference_keys() -> None:
    """Adjacent keys under one reference share its object."""
    text = build_order_by([("currency.id", 1), ("currency.name", -1)])
    assert text == "{currency: {id: 1, name: -1}}"


def test_order_by_compiles_for_item() -> None:
    """A built orderBy compiles to the keys in order."""
    keys = compile_order_by(
        build_order_by([("stockUnit.name", -1), ("id", 1)]), ITEM, SCHEMA
    )
    assert [(key.path[-1].property, key.direction) for key in keys] == [
        ("name", -1),
        ("id", 1),
    ]


def test_order_by_rejects_split_reference_keys() -> None:
    """Keys of one reference separated by another key raise ValueError."""
    with pytest.raises(ValueError, match="next to each other"):
        build_order_by([("currency.id", 1), ("name", 1), ("currency.name", 1)])


def test_order_by_rejects_repeated_key() -> None:
    """A key given twice raises ValueError."""
    with pytest.raises(ValueError, match="given twice"):
        build_order_by([("name", 1), ("name", -1)])


def test_order_by_rejects_key_below_sort_key() -> None:
    """A key through a property that is itself a sort key raises ValueError."""
    with pytest.raises(ValueError, match="already a sort key"):
        build_order_by([("currency", 1), ("currency.name", 1)])


@pytest.mark.parametrize("direction", [0, 2, True, "asc", 1.0])
def test_order_by_rejects_bad_direction(direction: Any) -> None:
    """A direction other than 1 or -1 raises ValueError."""
    with pytest.raises(ValueError, match="use 1 for ascending or -1 for descending"):
        build_order_by([("name", direction)])


def test_order_by_rejects_empty_name_part() -> None:
    """A name with an empty part raises ValueError."""
    with pytest.raises(ValueError, match="single dots"):
        build_order_by([("currency..name", 1)])


def test_order_by_rejects_string() -> None:
    """A bare string raises TypeError showing the pair form."""
    with pytest.raises(TypeError, match=r"\[\('name', 1\)\]"):
        build_order_by("name")  # type: ignore[arg-type]


def test_empty_order_by() -> None:
    """No keys give an empty object."""
    assert build_order_by([]) == "{}"
