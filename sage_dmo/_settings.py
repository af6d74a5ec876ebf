"""Connection settings from arguments or ``SAGE_DMO_*`` environment variables."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast
from urllib.parse import urlsplit

from ._errors import ConfigurationError
from ._secrets import Secret

__all__ = ["DEFAULT_TOKEN_URL", "Settings", "TokenStyle"]

TokenStyle = Literal["json", "oauth2"]

DEFAULT_TOKEN_URL = "https://api.erp.sage.com/v1/token"
"""Sage's global token endpoint; regional hosts and the emulator use others."""

_TOKEN_STYLES: tuple[TokenStyle, ...] = ("json", "oauth2")


@dataclass(frozen=True)
class Settings:
    """Credentials and endpoint for one tenant.

    One token pair serves one tenant, so a caller that works with several tenants
    holds one ``Settings`` (and one client) per tenant.
    """

    client_id: str
    client_secret: Secret
    tenant_id: str
    token_url: str = DEFAULT_TOKEN_URL
    token_style: TokenStyle = "json"
    allow_insecure_http: bool = False
    """Allow plain http to hosts other than loopback; tokens then travel unencrypted."""

    def __post_init__(self) -> None:
        if isinstance(self.client_secret, str):
            object.__setattr__(self, "client_secret", Secret(self.client_secret))
        for name in ("client_id", "tenant_id", "token_url"):
            if not getattr(self, name):
                raise ConfigurationError(
                    f"{name} is empty; pass it as an argument or set "
                    f"SAGE_DMO_{name.upper()}"
                )
        if not self.client_secret:
            raise ConfigurationError(
                "client_secret is empty; pass it as an argument or set "
                "SAGE_DMO_CLIENT_SECRET"
            )
        if self.token_style not in _TOKEN_STYLES:
            raise ConfigurationError(
                f"token_style {self.token_style!r} (SAGE_DMO_TOKEN_STYLE) is "
                "invalid; use 'json' or 'oauth2'"
            )
        check_secure_url(self.token_url, "token_url", self.allow_insecure_http)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        **overrides: str | Secret | None,
    ) -> Settings:
        """Build settings from ``SAGE_DMO_*`` variables; non-None overrides win.

        Reads ``SAGE_DMO_TOKEN_URL`` (default: Sage's global endpoint),
        ``SAGE_DMO_CLIENT_ID``, ``SAGE_DMO_CLIENT_SECRET``, ``SAGE_DMO_TENANT_ID``
        and ``SAGE_DMO_TOKEN_STYLE`` (``json`` or ``oauth2``, default ``json``).
        """
        env = os.environ if environ is None else environ
        names = ("client_id", "client_secret", "tenant_id", "token_url", "token_style")
        unknown = set(overrides) - set(names)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values: dict[str, str | Secret] = {}
        missing = []
        for name in names:
            value = overrides.get(name)
            if value is None:
                value = env.get(f"SAGE_DMO_{name.upper()}") or None
            if value is not None:
                values[name] = value
            elif name in ("client_id", "client_secret", "tenant_id"):
                missing.append(f"SAGE_DMO_{name.upper()}")
        if missing:
            raise ConfigurationError(
                f"missing settings: {', '.join(missing)}; set these environment "
                "variables (or, in Python, pass the values to Settings or "
                "SageDMOClient)"
            )
        secret = values["client_secret"]
        return cls(
            client_id=str(values["client_id"]),
            client_secret=secret if isinstance(secret, Secret) else Secret(secret),
            tenant_id=str(values["tenant_id"]),
            token_url=str(values.get("token_url", DEFAULT_TOKEN_URL)),
            token_style=cast(TokenStyle, str(values.get("token_style", "json"))),
        )


def check_secure_url(url: str, what: str, allow_insecure_http: bool) -> None:
    """Raise ConfigurationError unless ``url`` is https, or http to loopback.

    Credentials and tokens cross every such URL, so plain http to another host
    needs ``allow_insecure_http=True``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{what} {url!r} is not an http(s) URL; use the token endpoint, such "
            f"as {DEFAULT_TOKEN_URL}"
        )
    if parts.scheme == "https" or allow_insecure_http or _is_loopback(parts.hostname):
        return
    raise ConfigurationError(
        f"{what} {url!r} uses plain http to a host that is not loopback, so "
        "credentials and tokens would travel unencrypted; use https, or pass "
        "allow_insecure_http=True if the network is trusted"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
