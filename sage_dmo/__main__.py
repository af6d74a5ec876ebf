"""``python -m sage_dmo``: the same as the ``sage-dmo`` command."""

from __future__ import annotations

from ._cli import run

run()
