"""Base class for clients that ariadne-codegen generates, sending through sage_dmo.

Generated clients then share ``SageDMOClient``'s token lifecycle: one token on
open, renewal before expiry and after a 401, invalidation on close.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, TypeVar

from graphql import ExecutionResult, GraphQLError

# Absolute imports only: ariadne-codegen copies the file named by
# ``base_client_file_path`` into the generated package, so this module must also
# work as a copy of itself.
from sage_dmo import GraphQLResponseError, SageDMOClient, Settings

__all__ = ["SageDMOBaseClient"]

_ClientT = TypeVar("_ClientT", bound="SageDMOBaseClient")


class SageDMOBaseClient:
    """Base class of generated clients that sends every operation through SageDMOClient.

    Declare a subclass as ``base_client_name`` in ``[tool.ariadne-codegen]``,
    then use the generated client as an async context manager::

        async with Client(settings) as client:
            page = await client.list_items(filter_="{isActive: true}")

    Without ``settings`` the ``SAGE_DMO_*`` environment variables are read, and
    keyword ``options`` go to :class:`~sage_dmo.SageDMOClient` (``clock``,
    ``timeout``, ``retry``, ``token_store``, ...). Pass ``client=`` to share an
    open SageDMOClient and its token instead. The generated client then neither
    opens nor closes it.

    GraphQL errors in a response raise :class:`~sage_dmo.GraphQLResponseError`,
    which keeps SDMO's ``extensions.code`` and diagnoses.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: SageDMOClient | None = None,
        **options: Any,
    ) -> None:
        if client is not None and (settings is not None or options):
            raise TypeError(
                "pass either client= (an existing SageDMOClient) or settings and "
                "client options, not both"
            )
        self.client = (
            client if client is not None else SageDMOClient(settings, **options)
        )
        """The SageDMOClient that sends every operation."""
        self._owns_client = client is None
        self._unset = _find_unset(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client={self.client!r})"

    async def open(self) -> None:
        """Open the SageDMOClient, which acquires a token, unless it was passed in."""
        if self._owns_client:
            await self.client.open()

    async def aclose(self) -> None:
        """Close the SageDMOClient, which invalidates its tokens, unless passed in."""
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self: _ClientT) -> _ClientT:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def execute(
        self,
        query: str,
        operation_name: str | None = None,
        variables: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> ExecutionResult:
        """Send one operation and return the whole result, errors included.

        Generated methods call this, then :meth:`get_data` on the result.
        Arguments left at the generated default (ariadne-codegen's ``UNSET``)
        are not sent. Pydantic input models are sent as the fields that were set,
        by alias. Raises TypeError for ``kwargs``, which ariadne-codegen's default
        client would pass to httpx.
        """
        if kwargs:
            names = ", ".join(sorted(kwargs))
            raise TypeError(
                f"unexpected keyword arguments for {operation_name or 'operation'}: "
                f"{names}. Generated methods take the operation's variables only, "
                "with a trailing underscore on Python builtins (filter_, type_); "
                "set timeouts and retries on the SageDMOClient instead"
            )
        plain = {
            name: self._plain_value(value)
            for name, value in (variables or {}).items()
            if not self._is_unset(value)
        }
        return await self.client.execute_result(
            query, plain, operation_name=operation_name
        )

    def get_data(self, response: ExecutionResult) -> dict[str, Any]:
        """Return the result's ``data``, or raise GraphQLResponseError on errors."""
        if response.errors:
            raise GraphQLResponseError(
                [_error_dict(error) for error in response.errors],
                response.data,
                response.extensions,
            )
        if response.data is None:
            raise GraphQLResponseError(
                [{"message": "the response has neither data nor errors"}]
            )
        return response.data

    def _is_unset(self, value: object) -> bool:
        return self._unset is not None and value is self._unset

    def _plain_value(self, value: Any) -> Any:
        """Turn pydantic models into dicts, recursively, for JSON encoding.

        Decimal, date and datetime values stay as they are: SageDMOClient writes
        them in SDMO's formats.
        """
        model_dump = getattr(value, "model_dump", None)
        if callable(model_dump) and not isinstance(value, type):
            value = model_dump(by_alias=True, exclude_unset=True)
        if isinstance(value, Mapping):
            return {
                key: self._plain_value(item)
                for key, item in value.items()
                if not self._is_unset(item)
            }
        if isinstance(value, (list, tuple)):
            return [self._plain_value(item) for item in value]
        return value


def _find_unset(cls: type) -> object | None:
    """Return the ``UNSET`` sentinel that the generated client module imports.

    ariadne-codegen writes ``UNSET`` into each generated package's
    ``base_model`` module and imports it into the client module, where it is the
    default of every optional argument. Returns None when no module of a class
    in the MRO has one.
    """
    for klass in cls.__mro__:
        module = sys.modules.get(klass.__module__)
        unset: object = getattr(module, "UNSET", None)
        if unset is not None:
            return unset
    return None


def _error_dict(error: Any) -> dict[str, Any]:
    if isinstance(error, GraphQLError):
        return dict(error.formatted)
    if isinstance(error, Mapping):
        return dict(error)
    return {"message": str(error)}
