"""The operation reference a non-cash payment must carry.

At the cash closing the cashier checks every Yape, Plin and transfer payment against the app
or the bank statement, and every card payment against the terminal's vouchers: the reference
(operation number, voucher) is what ties the two. Cash needs none; when a cash payment carries
one anyway, the same format applies.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.errors import InvalidInput

METHODS_NEEDING_REFERENCE: frozenset[str] = frozenset({"tarjeta", "yape", "plin", "transferencia"})
"""Payment methods whose reference is required (``domain.pricing.PaymentMethod`` values)."""
MIN_REFERENCE = 3
MAX_REFERENCE = 40

_WHAT = {
    "tarjeta": "el número de voucher u operación de la tarjeta",
    "yape": "el número de operación de Yape",
    "plin": "el número de operación de Plin",
    "transferencia": "el número de operación de la transferencia",
}


def check_payment_reference(
    method: str, reference: str | None, *, loc: Sequence[str | int] = ("reference",)
) -> str | None:
    """The stripped reference of a ``method`` payment (None for a cash payment without one).

    Codes: ``payment_reference_required`` (non-cash without reference) and
    ``payment_reference_invalid`` (not 3 to 40 printable characters)."""
    text = (reference or "").strip()
    if not text:
        if method in METHODS_NEEDING_REFERENCE:
            raise InvalidInput(
                f"Indique {_WHAT.get(method, 'el número de operación')}: se verifica al cerrar"
                " la caja.",
                code="payment_reference_required",
                loc=loc,
            )
        return None
    if not MIN_REFERENCE <= len(text) <= MAX_REFERENCE or not text.isprintable():
        raise InvalidInput(
            f"La referencia del pago debe tener de {MIN_REFERENCE} a {MAX_REFERENCE} caracteres"
            " imprimibles (por ejemplo el número de operación «12345678»).",
            code="payment_reference_invalid",
            loc=loc,
        )
    return text


__all__ = ["MAX_REFERENCE", "METHODS_NEEDING_REFERENCE", "MIN_REFERENCE", "check_payment_reference"]
