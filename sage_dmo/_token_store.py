"""Where a token pair is kept between renewals: memory (default) or a shared file.

Several processes of one service can share one pair through a
:class:`FileTokenStore`: a renewal then happens under a file lock, and a process
that finds a newer pair in the file uses it instead of renewing again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ._errors import ConfigurationError
from ._secrets import Secret

__all__ = ["FileTokenStore", "MemoryTokenStore", "StoredTokens", "TokenStore"]


@dataclass(frozen=True)
class StoredTokens:
    """A token pair as stored, with expiries in wall-clock seconds since the epoch.

    Monotonic readings mean nothing in another process, so stores use the wall
    clock; a process reading a pair converts back to its own monotonic clock.
    """

    access_token: Secret
    refresh_token: Secret | None
    access_expires_at: float
    refresh_expires_at: float
    graphql_url: str
    refresh_url: str | None
    invalidate_url: str | None
    tenant_id: str | None

    def __repr__(self) -> str:
        return (
            f"StoredTokens(graphql_url={self.graphql_url!r}, "
            f"access_expires_at={self.access_expires_at:.0f})"
        )


class TokenStore(Protocol):
    """Storage for one tenant's token pair."""

    async def load(self) -> StoredTokens | None:
        """Return the stored pair, or None."""

    async def save(self, tokens: StoredTokens) -> None:
        """Replace the stored pair."""

    async def clear(self) -> None:
        """Forget the stored pair."""

    def lock(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Exclude other users of this store during a renewal."""


class MemoryTokenStore:
    """Keeps the pair in this process only; the default."""

    def __init__(self) -> None:
        self._tokens: StoredTokens | None = None
        self._lock = asyncio.Lock()

    async def load(self) -> StoredTokens | None:
        return self._tokens

    async def save(self, tokens: StoredTokens) -> None:
        self._tokens = tokens

    async def clear(self) -> None:
        self._tokens = None

    def lock(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self._lock


class FileTokenStore:
    """Keeps the pair in a JSON file readable by its owner only.

    Writes are atomic (a temporary file in the same folder, then a rename), and
    :meth:`lock` takes an exclusive ``flock`` on ``PATH.lock``, so processes of
    one service renew one at a time. The file holds live credentials: keep it on
    a local disk that only the service's user can read.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._in_process = asyncio.Lock()

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    async def load(self) -> StoredTokens | None:
        try:
            text = await asyncio.to_thread(self.path.read_text, encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return _from_json(json.loads(text))
        except (ValueError, KeyError, TypeError):
            # A damaged file is not fatal: the client acquires a new pair.
            return None

    async def save(self, tokens: StoredTokens) -> None:
        await asyncio.to_thread(self._write, tokens)

    def _write(self, tokens: StoredTokens) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", dir=self.path.parent
        )
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(_to_json(tokens), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    async def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path.unlink)

    @contextlib.asynccontextmanager
    async def lock(self) -> AsyncIterator[None]:
        async with self._in_process:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                await asyncio.to_thread(_flock, descriptor)
                yield
            finally:
                os.close(descriptor)  # closing releases the lock


def _flock(descriptor: int) -> None:
    try:
        import fcntl
    except ImportError as error:  # Windows
        raise ConfigurationError(
            "FileTokenStore needs POSIX file locks (fcntl); use MemoryTokenStore "
            "on this platform"
        ) from error
    fcntl.flock(descriptor, fcntl.LOCK_EX)


def _to_json(tokens: StoredTokens) -> dict[str, Any]:
    return {
        "accessToken": tokens.access_token.reveal(),
        "refreshToken": tokens.refresh_token.reveal() if tokens.refresh_token else None,
        "accessExpiresAt": tokens.access_expires_at,
        "refreshExpiresAt": tokens.refresh_expires_at,
        "graphQl": tokens.graphql_url,
        "refreshUrl": tokens.refresh_url,
        "invalidateUrl": tokens.invalidate_url,
        "tenantId": tokens.tenant_id,
    }


def _from_json(data: dict[str, Any]) -> StoredTokens:
    refresh = data.get("refreshToken")
    return StoredTokens(
        access_token=Secret(str(data["accessToken"])),
        refresh_token=Secret(str(refresh)) if refresh else None,
        access_expires_at=float(data["accessExpiresAt"]),
        refresh_expires_at=float(data["refreshExpiresAt"]),
        graphql_url=str(data["graphQl"]),
        refresh_url=data.get("refreshUrl"),
        invalidate_url=data.get("invalidateUrl"),
        tenant_id=data.get("tenantId"),
    )
