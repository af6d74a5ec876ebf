"""Source positions of the characters of a GraphQL string literal.

Maps an offset inside a decoded string value (after escapes and block string
indentation removal) back to the offset in the document where that character is written.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from graphql.language import StringValueNode

__all__ = ["LineIndex", "StringPositions", "string_positions"]

# Escapes of quoted GraphQL strings other than \u (GraphQL specification, section
# "String Value"), decoded the same way by graphql-core 3.2 and 3.3.
_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_LINE_BREAK = re.compile(r"\r\n|[\n\r]")


class LineIndex:
    """Line starts of a document, to turn offsets into 1-based lines and columns.

    ``\\r\\n``, ``\\n`` and a lone ``\\r`` each end a line, as in graphql-core's
    ``get_location``, so positions agree with the locations of its errors.
    """

    def __init__(self, body: str) -> None:
        self._starts = [0, *(match.end() for match in _LINE_BREAK.finditer(body))]

    def line_column(self, offset: int) -> tuple[int, int]:
        """Return the 1-based line and column of ``offset``."""
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


@dataclass(frozen=True)
class StringPositions:
    """Source spans of the characters of a decoded string value.

    ``starts[i]`` and ``ends[i]`` delimit the source text of character ``i`` (two
    or more characters for an escape). ``starts`` has one more entry, the offset of
    the closing quotes, so that the end of the value has a position too.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the value span ``[start, end)`` to a span of the source."""
        size = len(self.ends)
        start = min(max(start, 0), size)
        end = min(max(end, start), size)
        source_start = self.starts[start]
        return source_start, self.ends[end - 1] if end > start else source_start


class _Decoded:
    """A value under construction: its characters and their source spans."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add(self, char: str, start: int, end: int) -> None:
        self.chars.append(char)
        self.starts.append(start)
        self.ends.append(end)


def string_positions(node: StringValueNode) -> StringPositions | None:
    """Return the source positions of the characters of ``node.value``.

    Returns None when the node has no location, or when decoding its source text
    does not give ``node.value`` (a case the tests have not met), so that callers
    can fall back to the position of the literal itself.
    """
    location = node.loc
    if location is None:
        return None
    body = location.source.body
    decoded: _Decoded | None
    if node.block:
        decoded = _decode_block(body, location.start + 3, location.end - 3)
    else:
        decoded = _decode_quoted(body, location.start + 1, location.end - 1)
    if decoded is None or "".join(decoded.chars) != node.value:
        return None
    closing = location.end - (3 if node.block else 1)
    return StringPositions((*decoded.starts, closing), tuple(decoded.ends))


def _decode_quoted(body: str, start: int, stop: int) -> _Decoded | None:
    """Decode the text between the quotes of a ``"..."`` string."""
    decoded = _Decoded()
    position = start
    while position < stop:
        char = body[position]
        if char != "\\":
            decoded.add(char, position, position + 1)
            position += 1
            continue
        letter = body[position + 1 : position + 2]
        if letter in _SIMPLE_ESCAPES:
            decoded.add(_SIMPLE_ESCAPES[letter], position, position + 2)
            position += 2
            continue
        if letter != "u":
            return None
        escape = _unicode_escape(body, position)
        if escape is None:
            return None
        value, size = escape
        decoded.add(value, position, position + size)
        position += size
    return decoded


def _unicode_escape(body: str, position: int) -> tuple[str, int] | None:
    """Decode ``\\u{...}``, ``\\uXXXX`` or a ``\\uXXXX\\uXXXX`` surrogate pair.

    Returns the character and the length of its escape in the source.
    """
    try:
        if body[position + 2 : position + 3] == "{":
            close = body.index("}", position + 3)
            return chr(int(body[position + 3 : close], 16)), close + 1 - position
        code = int(body[position + 2 : position + 6], 16)
        if 0xD800 <= code <= 0xDBFF and body[position + 6 : position + 8] == "\\u":
            low = int(body[position + 8 : position + 12], 16)
            if 0xDC00 <= low <= 0xDFFF:
                combined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                return chr(combined), 12
        return chr(code), 6
    except ValueError:
        return None


def _decode_block(body: str, start: int, stop: int) -> _Decoded:
    """Decode the text between the triple quotes of a block string.

    Follows the BlockStringValue algorithm of the GraphQL specification: the
    common indentation of the lines after the first is removed, and so are the
    leading and trailing blank lines. Lines are joined with ``\\n`` whatever the
    line breaks in the source.
    """
    lines: list[_Decoded] = [_Decoded()]
    breaks: list[tuple[int, int]] = []
    position = start
    while position < stop:
        char = body[position]
        if char == "\\" and body.startswith('"""', position + 1):
            for index in range(3):
                first = position if index == 0 else position + 1 + index
                lines[-1].add('"', first, position + 2 + index)
            position += 4
        elif char in "\r\n":
            size = 2 if body.startswith("\r\n", position) else 1
            breaks.append((position, position + size))
            lines.append(_Decoded())
            position += size
        else:
            lines[-1].add(char, position, position + 1)
            position += 1
    indents = [_indent(line.chars) for line in lines]
    filled = [i for i, line in enumerate(lines) if indents[i] < len(line.chars)]
    common = min((indents[i] for i in filled if i > 0), default=0)
    decoded = _Decoded()
    if not filled:
        return decoded
    for number in range(filled[0], filled[-1] + 1):
        line = lines[number]
        skip = common if number > 0 else 0
        for index in range(skip, len(line.chars)):
            decoded.add(line.chars[index], line.starts[index], line.ends[index])
        if number < filled[-1]:
            decoded.add("\n", *breaks[number])
    return decoded


def _indent(chars: list[str]) -> int:
    """Return how many spaces and tabs start a line."""
    count = 0
    for char in chars:
        if char not in " \t":
            break
        count += 1
    return count
