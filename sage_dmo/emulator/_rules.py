"""Business rules shared by the seed data and the mutations of the emulated tenant.

Line amounts, sales order display statuses and version tags are computed here,
amounts on scaled integers, so that seeded and created rows agree.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "TAX_RATE_PERCENT",
    "display_status",
    "line_amounts",
    "make_etag",
    "round_half_up",
]

# NOTE: every sales line is taxed at this one rate. The real service takes the
# rate from the tax rules of the customer, item and site, which the emulator lacks.
TAX_RATE_PERCENT = 20


def round_half_up(numerator: int, divisor: int) -> int:
    """Divide integers, rounding halves away from zero as invoices do."""
    quotient, remainder = divmod(abs(numerator), divisor)
    if remainder * 2 >= divisor:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def line_amounts(quantity: int, net_price: int) -> tuple[int, int, int]:
    """Return the amounts excluding tax, of tax and including tax of a line.

    ``quantity`` has 3 decimal places and ``net_price`` 4; the amounts have 2, and
    each is rounded half up.
    """
    excluding = round_half_up(quantity * net_price, 10**5)
    tax = round_half_up(excluding * TAX_RATE_PERCENT, 100)
    return excluding, tax, excluding + tax


def display_status(status: str, approval: str, shipping: str, invoicing: str) -> str:
    """Derive the status of a sales order shown to users from its detailed ones."""
    if status == "quote":
        return "quote"
    if status == "closed":
        return "closed" if invoicing != "invoiced" else "invoiced"
    if approval == "draft":
        return "draft"
    if approval in ("pendingApproval", "changeRequested", "rejected"):
        return "pendingApproval"
    if invoicing == "invoiced":
        return "invoiced"
    if invoicing == "partiallyInvoiced":
        return "partiallyInvoiced"
    if shipping == "shipped":
        return "shipped"
    if shipping == "partiallyShipped":
        return "partiallyShipped"
    return "confirmed"


def make_etag(table: str, row_id: int, tick: int, update_ms: int) -> str:
    """Return the version tag of a row, which changes with every save."""
    text = f"{table}/{row_id}/{tick}/{update_ms}".encode()
    return hashlib.blake2b(text, digest_size=8).hexdigest()
