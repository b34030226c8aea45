"""Rules on what the customer owes and when (pure): detracción, forma de pago and cuotas.

Part of the rules :func:`domain.sunat.rules.check_document` runs before a correlative is taken,
plus :func:`restate_installments`, which a nota de crédito 13 (ajuste de montos y/o fechas de
pago) uses to restate a crédito factura's cuotas after its amount owed drops.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.errors import InvalidInput, RuleViolation
from domain.money import fmt_soles, q2
from domain.sunat.catalogs import CreditNoteReason, DocumentType, PaymentMethod
from domain.sunat.models import Document, Installment
from domain.sunat.totals import DocumentTotals, net_payable

#: Detracción applies to operations above this amount.
DETRACCION_THRESHOLD = Decimal("700.00")
ZERO = Decimal("0.00")


def q(value: Decimal) -> str:
    """An amount as printed in messages (two decimals)."""
    return f"{value:.2f}"


def detraccion_applies(doc_type: DocumentType, payable: Decimal, *, enabled: bool) -> bool:
    """Whether a document should carry the detracción block (settings + amount)."""
    return enabled and doc_type == DocumentType.FACTURA and payable > DETRACCION_THRESHOLD


def check_detraccion(doc: Document, totals: DocumentTotals, *, enabled: bool) -> None:
    if doc.detraccion is None:
        return
    if not enabled:
        raise RuleViolation(
            "La detracción no está habilitada en la configuración.",
            code="detraccion_not_enabled",
            loc=["detraccion"],
        )
    if not detraccion_applies(doc.doc_type, totals.payable, enabled=enabled):
        raise RuleViolation(
            "La detracción solo corresponde a facturas mayores a S/ 700.00.",
            code="detraccion_not_applicable",
            loc=["detraccion"],
        )
    if not doc.detraccion.account.strip():
        raise InvalidInput(
            "Indique la cuenta del Banco de la Nación para la detracción.",
            code="detraccion_account_required",
            loc=["detraccion", "account"],
        )


def check_payment_terms(doc: Document, totals: DocumentTotals) -> None:
    """Contado takes no cuotas; crédito (facturas and notes 13) takes cuotas above zero.

    A factura's cuotas fall after its issue date and add up to its net amount pending
    (:func:`domain.sunat.totals.net_payable`). A nota de crédito 13 restates the cuotas still
    owed on its factura, with the factura's own due dates: SUNAT compares them with the
    factura's issue date (server-side rule 3321), not the note's, so a cuota already due when
    the note is issued is kept as it is.
    """
    terms = doc.payment_terms
    if terms is None or terms.method == PaymentMethod.CONTADO:
        if terms is not None and terms.installments:
            raise InvalidInput(
                "Una venta al contado no lleva cuotas.",
                code="payment_terms_invalid",
                loc=["payment_terms"],
            )
        return
    if doc.doc_type == DocumentType.BOLETA:
        raise RuleViolation(
            "La boleta no admite venta al crédito con cuotas; emita una factura.",
            code="payment_terms_invalid",
            loc=["payment_terms"],
        )
    if not terms.installments:
        raise InvalidInput(
            "Una venta al crédito debe indicar al menos una cuota.",
            code="payment_terms_invalid",
            loc=["payment_terms", "installments"],
        )
    restating = doc.note_reason == CreditNoteReason.AJUSTE_MONTOS_FECHAS_PAGO
    for i, inst in enumerate(terms.installments):
        if inst.amount <= 0:
            raise InvalidInput(
                "El monto de cada cuota debe ser mayor que cero.",
                code="payment_terms_invalid",
                loc=["payment_terms", "installments", i, "amount"],
            )
        if inst.due_date <= doc.issue_date and not restating:
            raise InvalidInput(
                "La fecha de vencimiento de cada cuota debe ser posterior a la emisión.",
                code="payment_terms_invalid",
                loc=["payment_terms", "installments", i, "due_date"],
            )
    if restating:
        return  # the installments restate what is still owed on the original factura
    owed = net_payable(doc, totals)
    if sum((inst.amount for inst in terms.installments), ZERO) != owed:
        raise InvalidInput(
            f"Las cuotas deben sumar el monto pendiente de pago ({fmt_soles(owed)}).",
            code="payment_terms_invalid",
            loc=["payment_terms", "installments"],
        )


def restate_installments(
    installments: Sequence[Installment], owed: Decimal
) -> tuple[Installment, ...]:
    """The cuotas of a crédito document once what is owed becomes ``owed``.

    A drop is taken from the last cuota backwards; cuotas that fall to zero are dropped, the
    others keep their due dates. An increase (a credit note rejected since the last
    restatement) goes to the last cuota. Nothing owed: no cuota (``()``).
    """
    owed = q2(owed)
    if owed <= ZERO:
        return ()
    if not installments:
        raise InvalidInput(
            "Una venta al crédito debe indicar al menos una cuota.",
            code="payment_terms_invalid",
            loc=["payment_terms", "installments"],
        )
    excess = sum((inst.amount for inst in installments), ZERO) - owed
    if excess < ZERO:
        *first, last = installments
        return (*first, Installment(q2(last.amount - excess), last.due_date))
    kept: list[Installment] = []
    for inst in reversed(installments):
        cut = min(inst.amount, excess)
        excess -= cut
        if inst.amount - cut > ZERO:
            kept.append(Installment(q2(inst.amount - cut), inst.due_date))
    return tuple(reversed(kept))


__all__ = [
    "DETRACCION_THRESHOLD",
    "check_detraccion",
    "check_payment_terms",
    "detraccion_applies",
    "restate_installments",
]
