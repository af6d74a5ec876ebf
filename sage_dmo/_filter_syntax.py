"""Parser for the JSON5-like text of SDMO ``filter`` and ``orderBy`` arguments.

Produces a tree of values that keeps the character span of every key and value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn, TypeAlias

from ._errors import FilterError, FilterProblem

__all__ = [
    "FilterEntry",
    "FilterList",
    "FilterObject",
    "FilterScalar",
    "FilterValue",
    "Span",
    "line_column",
    "make_problem",
    "parse_filter_text",
    "to_python",
]

# Maximum nesting of objects and arrays. Analysis uses up to about 8 Python frames
# per level (measured), so 64 levels stay well below the default recursion limit.
MAX_DEPTH = 64

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_IDENTIFIER = re.compile(r"[^\W\d][\w$]*|\$[\w$]*")
_WORD = re.compile(r"[\w$]+")
_NUMBER = re.compile(
    r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
)
_NUMBER_TAIL = re.compile(r"[\w$.+-]*")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_SIMPLE_ESCAPES = {
    "'": "'",
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_ESCAPE_LIST = "\\' \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX"
_KEYWORDS: dict[str, bool | None] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class Span:
    """Character offsets ``[start, end)`` into the parsed text."""

    start: int
    end: int


@dataclass(frozen=True)
class FilterScalar:
    """A string, number, boolean or null, with the span of its literal."""

    value: str | int | Decimal | bool | None
    span: Span


@dataclass(frozen=True)
class FilterList:
    """An array, with the span from ``[`` to ``]``."""

    items: tuple[FilterValue, ...]
    span: Span


@dataclass(frozen=True)
class FilterEntry:
    """One ``key: value`` member of an object.

    ``key_span`` covers the key as written, quotes included.
    """

    key: str
    key_span: Span
    value: FilterValue


@dataclass(frozen=True)
class FilterObject:
    """An object, with its entries in source order and the span from ``{`` to ``}``."""

    entries: tuple[FilterEntry, ...]
    span: Span


FilterValue: TypeAlias = FilterScalar | FilterList | FilterObject


def line_column(text: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of ``offset`` in ``text``.

    ``\\n``, ``\\r\\n`` and a lone ``\\r`` each end a line. Columns count characters.
    """
    line = 1
    line_start = 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        line += 1
        line_start = match.end()
    return line, offset - line_start + 1


def make_problem(text: str, span: Span, message: str) -> FilterProblem:
    """Build a ``FilterProblem`` for ``span`` of ``text``, with its line and column."""
    line, column = line_column(text, span.start)
    return FilterProblem(message, span.start, span.end, line, column)


def to_python(value: FilterValue) -> Any:
    """Convert a parsed value to plain dicts, lists and scalars, dropping spans."""
    if isinstance(value, FilterObject):
        return {entry.key: to_python(entry.value) for entry in value.entries}
    if isinstance(value, FilterList):
        return [to_python(item) for item in value.items]
    return value.value


def parse_filter_text(text: str, *, kind: str = "filter") -> FilterValue:
    """Parse ``text`` into a value tree.

    ``kind`` ("filter" or "orderBy") names the argument in messages. Raises
    ``FilterError`` for malformed text. Parsing stops at the first syntax error, but
    every duplicate key found before it is reported too.
    """
    return _Parser(text, kind).parse()


class _SyntaxFailure(Exception):
    """Raised inside the parser to stop at the first syntax error."""

    def __init__(self, span: Span, message: str) -> None:
        super().__init__(message)
        self.span = span
        self.message = message


def _quote(fragment: str) -> str:
    """Quote source text for a message, keeping backslashes as written."""
    if fragment.isprintable():
        if "'" not in fragment:
            return f"'{fragment}'"
        if '"' not in fragment:
            return f'"{fragment}"'
    return repr(fragment)


class _Parser:
    """Recursive-descent parser of one text; ``pos`` is the next offset to read."""

    def __init__(self, text: str, kind: str) -> None:
        self.text = text
        self.kind = kind
        self.pos = 0
        self.depth = 0
        self.duplicates: list[FilterProblem] = []

    def parse(self) -> FilterValue:
        try:
            self.skip_blank()
            if self.pos >= len(self.text):
                self.fail(
                    Span(0, len(self.text)),
                    f"empty {self.kind}: expected a value such as {{}}",
                )
            value = self.parse_value()
            self.skip_blank()
            if self.pos < len(self.text):
                span, found = self.describe(self.pos)
                self.fail(
                    span,
                    f"unexpected {found} after the end of the {self.kind}; "
                    "expected the end of the text",
                )
        except _SyntaxFailure as failure:
            problem = make_problem(self.text, failure.span, failure.message)
            raise FilterError(
                self.kind, self.text, [*self.duplicates, problem]
            ) from None
        if self.duplicates:
            raise FilterError(self.kind, self.text, self.duplicates)
        return value

    def fail(self, span: Span, message: str) -> NoReturn:
        raise _SyntaxFailure(span, message)

    def describe(self, pos: int) -> tuple[Span, str]:
        """Return the span and a quoted description of the token at ``pos``."""
        if pos >= len(self.text):
            return Span(pos, pos), "end of text"
        word = _WORD.match(self.text, pos)
        if word:
            return Span(pos, word.end()), _quote(word.group())
        return Span(pos, pos + 1), _quote(self.text[pos])

    def where(self, pos: int) -> str:
        line, column = line_column(self.text, pos)
        return f"line {line}, column {column}"

    def skip_blank(self) -> None:
        """Skip whitespace, ``//`` line comments and ``/* */`` block comments."""
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char.isspace() or char == "\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                match = _LINE_BREAK.search(text, self.pos)
                self.pos = match.start() if match else len(text)
            elif text.startswith("/*", self.pos):
                close = text.find("*/", self.pos + 2)
                if close < 0:
                    self.fail(
                        Span(self.pos, len(text)),
                        f"unterminated comment starting at {self.where(self.pos)}; "
                        "expected '*/' before the end of the text",
                    )
                self.pos = close + 2
            else:
                return

    def parse_value(self) -> FilterValue:
        text = self.text
        start = self.pos
        char = text[start] if start < len(text) else ""
        if char == "{":
            return self.parse_object()
        if char == "[":
            return self.parse_array()
        if char in ("'", '"'):
            return FilterScalar(self.parse_string(), Span(start, self.pos))
        if _NUMBER.match(text, start):
            return self.parse_number()
        word = _WORD.match(text, start)
        if word and word.group() in _KEYWORDS:
            self.pos = word.end()
            return FilterScalar(_KEYWORDS[word.group()], Span(start, self.pos))
        span, found = self.describe(start)
        hint = ""
        if word and word.group().lower() in _KEYWORDS:
            hint = f"; write {word.group().lower()} in lower case"
        elif word:
            hint = f"; put text in quotes, as in {_quote(word.group())}"
        self.fail(
            span,
            f"unexpected {found}; expected a value (an object, array, string, "
            f"number, true, false or null){hint}",
        )

    def enter(self, start: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(
                Span(start, start + 1),
                f"nesting deeper than {MAX_DEPTH} levels at {self.where(start)}; "
                f"simplify the {self.kind}",
            )

    def parse_object(self) -> FilterObject:
        start = self.pos
        self.enter(start)
        self.pos += 1
        entries: list[FilterEntry] = []
        seen: dict[str, Span] = {}
        while True:
            self.skip_blank()
            if self.text.startswith("}", self.pos):
                break
            key, key_span = self.parse_key()
            self.check_duplicate(key, key_span, seen)
            self.skip_blank()
            if not self.text.startswith(":", self.pos):
                span, found = self.describe(self.pos)
                self.fail(
                    span, f"expected ':' after the key {_quote(key)}, found {found}"
                )
            self.pos += 1
            self.skip_blank()
            entries.append(FilterEntry(key, key_span, self.parse_value()))
            self.skip_blank()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                break
            span, found = self.describe(self.pos)
            self.fail(
                span,
                f"expected ',' or '}}' after the value of {_quote(key)}, found {found}",
            )
        self.pos += 1
        self.depth -= 1
        return FilterObject(tuple(entries), Span(start, self.pos))

    def parse_key(self) -> tuple[str, Span]:
        start = self.pos
        if start < len(self.text) and self.text[start] in ("'", '"'):
            key = self.parse_string()
            return key, Span(start, self.pos)
        match = _IDENTIFIER.match(self.text, start)
        if match:
            self.pos = match.end()
            return match.group(), Span(start, self.pos)
        span, found = self.describe(start)
        if found == "end of text":
            message = "unexpected end of text; expected a key or '}'"
        else:
            message = (
                f"unexpected {found}; expected a key or '}}' (a key is a name of "
                "letters, digits, '_' or '$' not starting with a digit, or a quoted "
                "string)"
            )
        self.fail(span, message)

    def check_duplicate(self, key: str, span: Span, seen: dict[str, Span]) -> None:
        first = seen.get(key)
        if first is None:
            seen[key] = span
            return
        if self.kind == "filter":
            advice = "merge the two values or combine them with _and"
        else:
            advice = "remove one of them"
        message = (
            f"duplicate key {_quote(key)}, first used at {self.where(first.start)}; "
            f"keys of one object must be unique, so {advice}"
        )
        self.duplicates.append(make_problem(self.text, span, message))

    def parse_array(self) -> FilterList:
        start = self.pos
        self.enter(start)
        self.pos += 1
        items: list[FilterValue] = []
        while True:
            self.skip_blank()
            if self.text.startswith("]", self.pos):
                break
            items.append(self.parse_value())
            self.skip_blank()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                break
            span, found = self.describe(self.pos)
            self.fail(
                span,
                f"expected ',' or ']' after item {len(items)} of the array starting "
                f"at {self.where(start)}, found {found}",
            )
        self.pos += 1
        self.depth -= 1
        return FilterList(tuple(items), Span(start, self.pos))

    def parse_number(self) -> FilterScalar:
        text = self.text
        start = self.pos
        match = _NUMBER.match(text, start)
        if match is None:  # parse_value only calls this after a match
            raise AssertionError("parse_number called without a number")
        end = match.end()
        tail = _NUMBER_TAIL.match(text, end)
        if tail is not None and tail.end() > end:
            whole = text[start : tail.end()]
            reason = "expected digits, an optional fraction and an optional exponent"
            if text[end].isdigit():
                reason = "leading zeros are not allowed"
            self.fail(
                Span(start, tail.end()), f"invalid number {_quote(whole)}: {reason}"
            )
        literal = match.group()
        self.pos = end
        if any(char in literal for char in ".eE"):
            return FilterScalar(Decimal(literal), Span(start, end))
        try:
            return FilterScalar(int(literal), Span(start, end))
        except ValueError:
            self.fail(
                Span(start, end),
                f"integer of {len(literal)} characters is too long to convert; "
                "write it with an exponent or shorten it",
            )

    def parse_string(self) -> str:
        """Parse a quoted string starting at ``self.pos`` and return its value."""
        text = self.text
        start = self.pos
        quote = text[start]
        self.pos += 1
        parts: list[str] = []
        while True:
            if self.pos >= len(text) or text[self.pos] in "\r\n":
                where = "line" if self.pos < len(text) else "text"
                snippet = text[start : min(self.pos, start + 20)]
                self.fail(
                    Span(start, self.pos),
                    f"unterminated string {_quote(snippet)}; expected a closing "
                    f"{quote} before the end of the {where}",
                )
            char = text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(parts)
            if char == "\\":
                parts.append(self.parse_escape())
            else:
                parts.append(char)
                self.pos += 1

    def parse_escape(self) -> str:
        text = self.text
        start = self.pos
        letter = text[start + 1 : start + 2]
        if not letter:
            self.fail(
                Span(start, start + 1),
                "unterminated string: the text ends after a backslash; expected an "
                "escaped character and a closing quote",
            )
        if letter in _SIMPLE_ESCAPES:
            self.pos += 2
            return _SIMPLE_ESCAPES[letter]
        if letter != "u":
            self.fail(
                Span(start, start + 1 + len(letter)),
                f"invalid escape {_quote(text[start : start + 2])} in a string; "
                f"expected one of {_ESCAPE_LIST}",
            )
        code = self.parse_unicode_escape(start)
        if 0xDC00 <= code <= 0xDFFF:
            self.fail(
                Span(start, self.pos),
                f"invalid escape {_quote(text[start : self.pos])}: a low surrogate "
                "must follow a high surrogate (\\uD800-\\uDBFF)",
            )
        if 0xD800 <= code <= 0xDBFF:
            low_start = self.pos
            low = -1
            if text.startswith("\\u", low_start):
                low = self.parse_unicode_escape(low_start)
            if not 0xDC00 <= low <= 0xDFFF:
                self.fail(
                    Span(start, low_start),
                    f"invalid escape {_quote(text[start:low_start])}: a high "
                    "surrogate must be followed by a low surrogate (\\uDC00-\\uDFFF)",
                )
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        return chr(code)

    def parse_unicode_escape(self, start: int) -> int:
        digits = _HEX4.match(self.text, start + 2)
        if digits is None:
            end = start + 2
            while end < min(len(self.text), start + 6) and self.text[end].isalnum():
                end += 1
            self.fail(
                Span(start, end),
                f"invalid escape {_quote(self.text[start:end])}: expected \\u "
                "followed by four hexadecimal digits",
            )
        self.pos = digits.end()
        return int(digits.group(), 16)
