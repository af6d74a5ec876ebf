"""A wrapper that keeps client secrets and tokens out of logs, reprs and messages."""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["Secret"]

_MASK = "**********"


class Secret:
    """A secret string whose ``str``, ``repr`` and format output are masked.

    Only :meth:`reveal` returns the value, so a secret reaches a log line or an
    exception message only through code that asks for it by name.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret takes a str, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """Return the secret value; use it only to build a request."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return format(_MASK, format_spec)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled; pass the settings again instead")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self
