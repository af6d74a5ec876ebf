"""The package's public names: complete, sorted and importable."""

from __future__ import annotations

import importlib

import sage_dmo

PUBLIC_MODULES = (
    "sage_dmo._client",
    "sage_dmo._errors",
    "sage_dmo._filter_builder",
    "sage_dmo._paging",
    "sage_dmo._sync",
    "sage_dmo._retry",
    "sage_dmo._secrets",
    "sage_dmo._settings",
    "sage_dmo._token_store",
    "sage_dmo._tokens",
    "sage_dmo._transport",
)


def test_all_names_exist() -> None:
    """Every name in sage_dmo.__all__ is an attribute of the package."""
    missing = [name for name in sage_dmo.__all__ if not hasattr(sage_dmo, name)]
    assert missing == []


def test_module_exports_reach_package() -> None:
    """Each public name of the implementation modules is exported by the package."""
    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name not in sage_dmo.__all__:
                missing.append(f"{module_name}.{name}")
    assert missing == []


def test_emulator_names_exist() -> None:
    """Every name in sage_dmo.emulator.__all__ can be imported."""
    emulator = importlib.import_module("sage_dmo.emulator")
    missing = [name for name in emulator.__all__ if not hasattr(emulator, name)]
    assert missing == []
