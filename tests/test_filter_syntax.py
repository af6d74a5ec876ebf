"""Tests of the parser for filter and orderBy text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sage_dmo._errors import FilterError, FilterProblem
from sage_dmo._filter_syntax import (
    MAX_DEPTH,
    FilterEntry,
    FilterList,
    FilterObject,
    FilterScalar,
    FilterValue,
    Span,
    line_column,
    parse_filter_text,
    to_python,
)


def parse(text: str) -> Any:
    """Parse ``text`` and return it as plain Python values."""
    return to_python(parse_filter_text(text))


def only_problem(text: str, kind: str = "filter") -> FilterProblem:
    """Parse text that must fail and return its single problem."""
    with pytest.raises(FilterError) as caught:
        parse_filter_text(text, kind=kind)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


# Values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'abc'", "abc"),
        ('"abc"', "abc"),
        ("''", ""),
        ('"it\'s"', "it's"),
        ("'say \"hi\"'", 'say "hi"'),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("+1", 1),
        ("-0", 0),
        ("true", True),
        ("false", False),
        ("null", None),
        ("{}", {}),
        ("[]", []),
    ],
)
def test_parses_scalar_and_empty_values(text: str, expected: object) -> None:
    """Each literal form parses to its Python value."""
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("1.50", "1.50"),
        ("-0.0", "-0.0"),
        ("6.270", "6.270"),
        (".5", "0.5"),
        ("5.", "5"),
        ("1e3", "1E+3"),
        ("2.5E-2", "0.025"),
        ("-1.25e+2", "-125"),
        (
            "0.1000000000000000055511151231257827",
            "0.1000000000000000055511151231257827",
        ),
        (
            "123456789012345678901234567890.123456789",
            "123456789012345678901234567890.123456789",
        ),
    ],
)
def test_fraction_or_exponent_gives_exact_decimal(text: str, digits: str) -> None:
    """Numbers with a fraction or exponent become Decimal exactly as written."""
    value = parse(text)
    assert type(value) is Decimal
    assert str(value) == digits
    assert value.as_tuple() == Decimal(text).as_tuple()


def test_integers_stay_int_at_any_size() -> None:
    """Integers become int, however long, and never float."""
    value = parse("123456789012345678901234567890")
    assert type(value) is int
    assert value == 123456789012345678901234567890


def test_bool_values_are_bool_not_int() -> None:
    """true and false parse as bool."""
    assert parse("[true, false]") == [True, False]
    assert all(type(item) is bool for item in parse("[true, false]"))


@pytest.mark.parametrize(
    ("escape", "char"),
    [
        ("\\'", "'"),
        ('\\"', '"'),
        ("\\\\", "\\"),
        ("\\/", "/"),
        ("\\n", "\n"),
        ("\\r", "\r"),
        ("\\t", "\t"),
        ("\\b", "\b"),
        ("\\f", "\f"),
        ("\\u0041", "A"),
        ("\\u00e9", "é"),
        ("\\u00E9", "é"),
        ("\\u20ac", "€"),
        ("\\uD83D\\uDE00", "\U0001f600"),
        ("\\ud834\\udd1e", "\U0001d11e"),
    ],
)
def test_string_escapes_decode(escape: str, char: str) -> None:
    """Each backslash escape decodes to one character, in both quote styles."""
    assert parse(f"'a{escape}b'") == f"a{char}b"
    assert parse(f'"a{escape}b"') == f"a{char}b"


def test_surrogate_pair_combines_into_one_code_point() -> None:
    """A surrogate pair escape gives one character outside the BMP."""
    value = parse("'\\uD83D\\uDE00'")
    assert len(value) == 1
    assert ord(value) == 0x1F600


def test_literal_text_outside_bmp_survives() -> None:
    """Literal non-BMP characters are kept and count as one character in spans."""
    parsed = parse_filter_text("{name: '𝄞😀', x: 1}")
    assert isinstance(parsed, FilterObject)
    first, second = parsed.entries
    assert isinstance(first.value, FilterScalar)
    assert first.value.value == "𝄞😀"
    assert first.value.span == Span(7, 11)
    assert second.key_span == Span(13, 14)


def test_raw_tab_and_line_separator_allowed_in_string() -> None:
    """Only CR and LF are forbidden inside a string literal."""
    assert parse("'a\tb\u2028c'") == "a\tb\u2028c"


# Objects, arrays, keys


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("{name: 1}", "name"),
        ("{_id: 1}", "_id"),
        ("{$ref: 1}", "$ref"),
        ("{a1_b$: 1}", "a1_b$"),
        ("{_createStamp: 1}", "_createStamp"),
        ("{'quoted key': 1}", "quoted key"),
        ('{"double": 1}', "double"),
        ("{'1abc': 1}", "1abc"),
        ("{'': 1}", ""),
        ("{名前: 1}", "名前"),
        ("{'a\\'b': 1}", "a'b"),
    ],
)
def test_key_forms(text: str, key: str) -> None:
    """Keys may be identifiers or single- or double-quoted strings."""
    assert parse(text) == {key: 1}


def test_nested_structure_to_python() -> None:
    """Objects and arrays nest and convert to dicts and lists in order."""
    text = "{a: [1, {b: 'x'}, []], c: {d: {e: null}}}"
    assert parse(text) == {"a": [1, {"b": "x"}, []], "c": {"d": {"e": None}}}
    assert list(parse("{z: 1, a: 2, m: 3}")) == ["z", "a", "m"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{a: 1,}", {"a": 1}),
        ("[1, 2,]", [1, 2]),
        ("{a: [1,], b: {c: 2,},}", {"a": [1], "b": {"c": 2}}),
    ],
)
def test_trailing_commas_allowed(text: str, expected: object) -> None:
    """A comma may follow the last entry of an object or array."""
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "// leading\n{a: 1}",
        "{a: 1} // trailing",
        "/* block */ {a: /* inside */ 1}",
        "{/* before key */ a /* before colon */ : 1 /* before comma */ , }",
        "[1, // line\n 2]",
        "{a:\r\n1}",
        "\ufeff{a: 1}",
        "\t{\u00a0a: 1\u2003}\n",
        "{a: 1} /* multi\nline */",
        "{a: 1} //",
    ],
)
def test_whitespace_and_comments_skipped(text: str) -> None:
    """Whitespace, BOM and both comment forms may appear between tokens."""
    assert to_python(parse_filter_text(text)) in ({"a": 1}, [1, 2])


def test_spans_cover_each_key_and_value() -> None:
    """Spans are end-exclusive character offsets of each construct."""
    text = "{ 'k': [1, 'x'], n: {m: null} }"
    parsed = parse_filter_text(text)
    assert isinstance(parsed, FilterObject)
    assert parsed.span == Span(0, len(text))
    first, second = parsed.entries
    assert first.key_span == Span(2, 5)
    assert isinstance(first.value, FilterList)
    assert text[first.value.span.start : first.value.span.end] == "[1, 'x']"
    assert [item.span for item in first.value.items] == [Span(8, 9), Span(11, 14)]
    assert second.key_span == Span(17, 18)
    assert isinstance(second.value, FilterObject)
    assert text[second.value.span.start : second.value.span.end] == "{m: null}"


def test_value_tree_is_immutable_and_typed() -> None:
    """The parser returns frozen dataclasses of the documented types."""
    parsed = parse_filter_text("{a: [1]}")
    expected = FilterObject(
        (
            FilterEntry(
                "a", Span(1, 2), FilterList((FilterScalar(1, Span(5, 6)),), Span(4, 7))
            ),
        ),
        Span(0, 8),
    )
    assert parsed == expected
    with pytest.raises(AttributeError):
        parsed.span = Span(0, 0)  # type: ignore[misc]


def test_nesting_at_limit_parses() -> None:
    """Nesting up to the maximum depth is accepted."""
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert isinstance(parse_filter_text(text), FilterList)


def test_nesting_beyond_limit_rejected() -> None:
    """Nesting one level beyond the maximum depth is a problem, not a crash."""
    text = "{a: " * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    problem = only_problem(text)
    assert f"nesting deeper than {MAX_DEPTH} levels" in problem.message
    assert problem.start == 4 * MAX_DEPTH


# line_column


@pytest.mark.parametrize(
    ("text", "offset", "expected"),
    [
        ("abc", 0, (1, 1)),
        ("abc", 2, (1, 3)),
        ("abc", 3, (1, 4)),
        ("a\nbc", 2, (2, 1)),
        ("a\nbc", 3, (2, 2)),
        ("a\r\nbc", 3, (2, 1)),
        ("a\rbc", 2, (2, 1)),
        ("a\n\n\nb", 4, (4, 1)),
        ("😀x", 1, (1, 2)),
    ],
)
def test_line_column_is_one_based(
    text: str, offset: int, expected: tuple[int, int]
) -> None:
    """Lines end at LF, CRLF or CR; columns count characters from 1."""
    assert line_column(text, offset) == expected


# Syntax errors


@pytest.mark.parametrize(
    ("text", "fragment", "line", "column", "start", "end"),
    [
        ("", "empty filter", 1, 1, 0, 0),
        ("   \n  ", "empty filter", 1, 1, 0, 6),
        ("// only a comment", "empty filter", 1, 1, 0, 17),
        ("{a: }", "unexpected '}'; expected a value", 1, 5, 4, 5),
        ("{a: draft}", "put text in quotes, as in 'draft'", 1, 5, 4, 9),
        ("{a: True}", "write true in lower case", 1, 5, 4, 8),
        ("{a: NULL}", "write null in lower case", 1, 5, 4, 8),
        ("{a: Infinity}", "unexpected 'Infinity'", 1, 5, 4, 12),
        ("{a: #1}", "unexpected '#'", 1, 5, 4, 5),
        ("{a: 'x}", 'unterminated string "\'x}"', 1, 5, 4, 7),
        ("{a: 'x\n'}", "before the end of the line", 1, 5, 4, 6),
        ("{a: 'x\\", "the text ends after a backslash", 1, 7, 6, 7),
        ("'\\x41'", "invalid escape '\\x' in a string", 1, 2, 1, 3),
        ("'\\0'", "invalid escape '\\0'", 1, 2, 1, 3),
        ("'\\u12'", "expected \\u followed by four hexadecimal digits", 1, 2, 1, 5),
        ("'\\uZZZZ'", "four hexadecimal digits", 1, 2, 1, 7),
        (
            "'\\uD83D'",
            "a high surrogate must be followed by a low surrogate",
            1,
            2,
            1,
            7,
        ),
        ("'\\uD83D\\u0041'", "a high surrogate must be followed", 1, 2, 1, 7),
        ("'\\uDE00'", "a low surrogate must follow a high surrogate", 1, 2, 1, 7),
        ("{a 1}", "expected ':' after the key 'a', found '1'", 1, 4, 3, 4),
        (
            "{a: 1 b: 2}",
            "expected ',' or '}' after the value of 'a', found 'b'",
            1,
            7,
            6,
            7,
        ),
        ("[1 2]", "expected ',' or ']' after item 1 of the array", 1, 4, 3, 4),
        (
            "{a: 1",
            "expected ',' or '}' after the value of 'a', found end of text",
            1,
            6,
            5,
            5,
        ),
        ("[1,", "unexpected end of text; expected a value", 1, 4, 3, 3),
        ("{", "unexpected end of text; expected a key or '}'", 1, 2, 1, 1),
        ("{,}", "unexpected ','; expected a key or '}'", 1, 2, 1, 2),
        ("{1a: 2}", "unexpected '1a'; expected a key", 1, 2, 1, 3),
        ("{a: 1,,}", "unexpected ','; expected a key", 1, 7, 6, 7),
        ("{a: 1} x", "unexpected 'x' after the end of the filter", 1, 8, 7, 8),
        ("{a: 1}}", "unexpected '}' after the end of the filter", 1, 7, 6, 7),
        ("1 2", "unexpected '2' after the end of the filter", 1, 3, 2, 3),
        ("01", "invalid number '01': leading zeros are not allowed", 1, 1, 0, 2),
        ("1.2.3", "invalid number '1.2.3'", 1, 1, 0, 5),
        ("0x1F", "invalid number '0x1F'", 1, 1, 0, 4),
        ("1e", "invalid number '1e'", 1, 1, 0, 2),
        ("12abc", "invalid number '12abc'", 1, 1, 0, 5),
        ("+", "unexpected '+'; expected a value", 1, 1, 0, 1),
        ("-x", "unexpected '-'", 1, 1, 0, 1),
        (
            "{a: 1 /* open",
            "unterminated comment starting at line 1, column 7",
            1,
            7,
            6,
            13,
        ),
        (
            "{a: 1 / 2}",
            "expected ',' or '}' after the value of 'a', found '/'",
            1,
            7,
            6,
            7,
        ),
    ],
)
def test_syntax_error_reports_position(
    text: str, fragment: str, line: int, column: int, start: int, end: int
) -> None:
    """Each syntax error names the offending text and where it is."""
    problem = only_problem(text)
    assert fragment in problem.message
    assert (problem.line, problem.column) == (line, column)
    assert (problem.start, problem.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "fragment", "line", "column"),
    [
        ("{\n  a: 1,\n  b: ,\n}", "unexpected ','", 3, 6),
        ("{\r\n  a: 'open\r\n}", "unterminated string", 2, 6),
        ("[\n1,\n2\n3]", "expected ',' or ']' after item 2", 4, 1),
        ("{\n  name: 'x'\n  id: 1\n}", "after the value of 'name', found 'id'", 3, 3),
        ("// comment\n/* block\n */ {a: 1} junk", "unexpected 'junk'", 3, 12),
        ("{\ta:\t'😀',\n\tb: ?}", "unexpected '?'", 2, 5),
    ],
)
def test_multiline_syntax_error_line_and_column(
    text: str, fragment: str, line: int, column: int
) -> None:
    """Line and column count lines across LF and CRLF and characters within them."""
    problem = only_problem(text)
    assert fragment in problem.message
    assert (problem.line, problem.column) == (line, column)


def test_empty_order_by_names_its_kind() -> None:
    """The kind given to the parser appears in messages and the error."""
    with pytest.raises(FilterError) as caught:
        parse_filter_text("", kind="orderBy")
    assert caught.value.kind == "orderBy"
    assert "empty orderBy" in caught.value.problems[0].message
    assert str(caught.value).startswith("invalid orderBy ''")


def test_filter_error_carries_text_and_problems() -> None:
    """FilterError keeps the kind, the text and the problems."""
    with pytest.raises(FilterError) as caught:
        parse_filter_text("{a: }")
    error = caught.value
    assert error.kind == "filter"
    assert error.text == "{a: }"
    assert error.problems[0].line == 1
    assert isinstance(error, ValueError)


# Duplicate keys


def test_duplicate_key_reported_at_second_key() -> None:
    """A repeated key is reported at its second occurrence."""
    problem = only_problem("{a: 1,\n a: 2}")
    assert (problem.start, problem.end) == (8, 9)
    assert (problem.line, problem.column) == (2, 2)
    assert "duplicate key 'a', first used at line 1, column 2" in problem.message


def test_duplicate_key_quoted_and_bare_match() -> None:
    """A quoted key and a bare key with the same text are duplicates."""
    problem = only_problem("{name: 1, 'name': 2}")
    assert (problem.start, problem.end) == (10, 16)


def test_duplicate_key_advice_depends_on_kind() -> None:
    """Filters suggest merging or _and; orderBy suggests removing one key."""
    assert "_and" in only_problem("{a: 1, a: 2}").message
    assert "remove one of them" in only_problem("{a: 1, a: -1}", "orderBy").message


def test_every_duplicate_key_reported() -> None:
    """All duplicate keys are reported, in source order, across nesting levels."""
    with pytest.raises(FilterError) as caught:
        parse_filter_text("{a: {x: 1, x: 2}, b: 1, a: 3, b: 4}")
    starts = [problem.start for problem in caught.value.problems]
    assert starts == [11, 24, 30]


def test_same_key_in_sibling_objects_allowed() -> None:
    """Keys need only be unique within one object."""
    assert parse("[{a: 1}, {a: 2}]") == [{"a": 1}, {"a": 2}]
    assert parse("{a: {a: 1}}") == {"a": {"a": 1}}


def test_duplicate_then_syntax_error_both_reported() -> None:
    """Duplicates found before a syntax error are reported with it."""
    with pytest.raises(FilterError) as caught:
        parse_filter_text("{a: 1, a: 2, b: }")
    messages = [problem.message for problem in caught.value.problems]
    assert len(messages) == 2
    assert messages[0].startswith("duplicate key 'a'")
    assert messages[1].startswith("unexpected '}'")


# Round trip


_keys = st.text(min_size=0, max_size=8)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_keys, children, max_size=4),
    ),
    max_leaves=12,
)


def _render_string(text: str, quote: str) -> str:
    escaped = []
    for char in text:
        if char in (quote, "\\"):
            escaped.append("\\" + char)
        elif char == "\n":
            escaped.append("\\n")
        elif char == "\r":
            escaped.append("\\r")
        else:
            escaped.append(char)
    return quote + "".join(escaped) + quote


def _render(value: object, depth: int = 0) -> str:
    """Render a Python value as filter text, varying quotes and spacing."""
    quote = "'" if depth % 2 == 0 else '"'
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        text = str(value)
        return text if any(char in text for char in ".eE") else text + "e0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _render_string(value, quote)
    if isinstance(value, list):
        items = [_render(item, depth + 1) for item in value]
        return "[" + "".join(f"{item}, " for item in items) + "]"
    assert isinstance(value, dict)
    parts = [
        f"{_render_string(key, quote)} /* c */: {_render(item, depth + 1)}"
        for key, item in value.items()
    ]
    return "{\n" + ",\n".join(parts) + "\n}"


def _same(left: object, right: object) -> bool:
    """Compare values by type and content, and Decimals digit for digit."""
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        return left.as_tuple() == right.as_tuple()
    if type(left) is not type(right):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(
            _same(left[key], right[key]) for key in left
        )
    return left == right


@given(_values)
def test_rendered_values_parse_back(value: object) -> None:
    """Any value rendered as filter text parses back to an equal value."""
    parsed: FilterValue = parse_filter_text(_render(value))
    assert _same(to_python(parsed), value)
