"""Payments received from a convenio and the facturas they pay.

A convenio's facturas are the replicated ``invoice`` records (doc_type 01) issued to its RUC
that some replicated ``convenio_invoice_order`` record of the convenio points to (the monthly
factura of :mod:`edge.billing.convenio_invoice`). A factura *stands* while it is not voided,
not rejected, not awaiting its void and not fully credited; what it asks for (``payable``) is its
total less the credit notes that reference it.

Services never commit: the router's unit of work does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session, col, select

from central.auth.tokens import Principal
from central.convenios.models import Convenio
from central.convenios.payment_models import ConvenioPayment
from central.convenios.service import get_convenio
from domain.clock import Clock, business_date
from domain.errors import InvalidInput, NotFound
from domain.money import fmt_soles, from_cents, to_cents
from domain.payment_reference import check_payment_reference

FACTURA = "01"
CREDIT_NOTE = "07"
DEAD_STATES = ("anulado", "rechazado")
METHODS = ("transferencia", "deposito", "cheque", "efectivo", "otro")
REFERENCE_REQUIRED: dict[str, str] = {
    "transferencia": "el número de operación de la transferencia",
    "deposito": "el número de operación del depósito",
    "cheque": "el número del cheque",
}
"""Methods whose reference the treasurer matches against the bank statement, and what it is."""
_REF = re.compile(r"^([A-Z0-9]{4})-0*(\d{1,8})$")


@dataclass(frozen=True)
class Factura:
    id: str
    sede_id: str
    sede_code: str
    series: str
    number: int
    customer_ruc: str
    business_date: dt.date
    total_cents: int
    credited_cents: int
    state: str
    void_requested: bool
    convenio_linked: bool

    @property
    def ref(self) -> str:
        return f"{self.series}-{self.number}"

    @property
    def payable_cents(self) -> int:
        return max(self.total_cents - self.credited_cents, 0)

    @property
    def standing(self) -> bool:
        dead = self.state in DEAD_STATES or self.void_requested
        return self.convenio_linked and not dead and self.payable_cents > 0

    def due(self, credit_days: int) -> dt.date:
        """Due ``credit_days`` after the factura's date."""
        return self.business_date + dt.timedelta(days=credit_days)


_FACTURA_SQL = (
    "SELECT r.id, coalesce(r.sede_id, ''), coalesce(s.code, ''), r.payload->>'series', "
    "(r.payload->>'number')::bigint, coalesce(r.payload->>'customer_doc_number', ''), "
    "r.business_date, coalesce((r.payload->>'total')::bigint, 0), "
    "coalesce((SELECT sum((n.payload->>'total')::bigint) FROM sync_record n "
    "  WHERE n.record_type = 'invoice' AND n.op <> 'delete' "
    "  AND n.payload->>'doc_type' = '07' AND n.payload->>'reference_invoice_id' = r.id "
    "  AND coalesce(n.payload->>'state', '') NOT IN ('anulado', 'rechazado')), 0), "
    "coalesce(r.payload->>'state', ''), coalesce((r.payload->>'void_requested')::boolean, false), "
    "EXISTS (SELECT 1 FROM sync_record l WHERE l.record_type = 'convenio_invoice_order' "
    "  AND l.op <> 'delete' AND l.payload->>'invoice_id' = r.id "
    "  AND l.payload->>'convenio_id' = :c) "
    "FROM sync_record r LEFT JOIN sede s ON s.id = r.sede_id "
    "WHERE r.record_type = 'invoice' AND r.op <> 'delete' AND r.payload->>'doc_type' = '01' "
)


def _factura(row: tuple) -> Factura:  # type: ignore[type-arg]
    return Factura(
        id=row[0], sede_id=row[1], sede_code=row[2], series=row[3] or "", number=int(row[4]),
        customer_ruc=row[5], business_date=dt.date.fromisoformat(row[6]),
        total_cents=int(row[7]), credited_cents=int(row[8]), state=row[9],
        void_requested=bool(row[10]), convenio_linked=bool(row[11]),
    )  # fmt: skip


def facturas(*, session: Session, convenio: Convenio) -> list[Factura]:
    """The convenio's facturas (linked to its orders, issued to its RUC), oldest first."""
    rows = session.connection().execute(
        text(
            _FACTURA_SQL + "AND r.payload->>'customer_doc_number' = :ruc "
            "ORDER BY r.business_date, r.payload->>'series', (r.payload->>'number')::bigint"
        ),
        {"c": convenio.id, "ruc": convenio.ruc},
    )
    return [f for f in (_factura(tuple(r)) for r in rows) if f.convenio_linked]


def parse_ref(value: str) -> tuple[str, int]:
    """``"F001-123"`` (zeros allowed) -> ``("F001", 123)``; anything else is a 422."""
    found = _REF.fullmatch(value.strip().upper())
    if found is None:
        raise InvalidInput(
            f"«{value}» no es un número de factura válido; use serie-número (por ejemplo "
            "F001-123).",
            code="invoice_ref_invalid",
            loc=["body", "invoice"],
        )
    return found[1], int(found[2])


def find_factura(*, session: Session, convenio: Convenio, ref: str) -> Factura:
    """The standing factura ``ref`` of ``convenio``; 422 with a precise code otherwise."""
    series, number = parse_ref(ref)
    loc: list[str | int] = ["body", "invoice"]
    rows = session.connection().execute(
        text(
            _FACTURA_SQL + "AND r.payload->>'series' = :s AND (r.payload->>'number')::bigint = :n"
        ),
        {"c": convenio.id, "s": series, "n": number},
    )
    found = [_factura(tuple(r)) for r in rows]
    label = f"{series}-{number}"
    if not found:
        raise InvalidInput(
            f"La central no tiene la factura {label}; espere a que la sede la sincronice.",
            code="invoice_not_found",
            loc=loc,
        )
    mine = [f for f in found if f.customer_ruc == convenio.ruc]
    if not mine:
        raise InvalidInput(
            f"La factura {label} fue emitida a otro cliente (RUC {found[0].customer_ruc}), "
            f"no al convenio (RUC {convenio.ruc}).",
            code="invoice_other_customer",
            loc=loc,
        )
    if len(mine) > 1:
        raise InvalidInput(
            f"Hay más de una factura {label} del convenio en distintas sedes; "
            "registre el pago sin factura.",
            code="invoice_ambiguous",
            loc=loc,
        )
    factura = mine[0]
    if not factura.convenio_linked:
        raise InvalidInput(
            f"La factura {label} no factura órdenes del convenio.",
            code="invoice_not_convenio",
            loc=loc,
        )
    if not factura.standing:
        raise InvalidInput(
            f"La factura {label} está anulada o totalmente rebajada por notas de crédito.",
            code="invoice_not_standing",
            loc=loc,
        )
    return factura


def check_reference(method: str, reference: str | None) -> str:
    """The stripped reference of a ``method`` payment ("" for an efectivo/otro without one).

    A transferencia, depósito or cheque needs it to be matched against the bank statement
    (``payment_reference_required``, naming what is missing); any reference given is 3 to 40
    printable characters (``payment_reference_invalid``), as the edges' payments
    (:func:`domain.payment_reference.check_payment_reference`)."""
    text = (reference or "").strip()
    if not text and method in REFERENCE_REQUIRED:
        raise InvalidInput(
            f"Indique {REFERENCE_REQUIRED[method]}: con él se concilia el pago con el estado "
            "de cuenta del banco.",
            code="payment_reference_required",
            loc=["body", "reference"],
        )
    return check_payment_reference(method, text, loc=("body", "reference")) or ""


def paid_to(session: Session, invoice_id: str) -> int:
    """Céntimos already paid to a factura by payments that name it."""
    rows = session.exec(
        select(ConvenioPayment).where(ConvenioPayment.invoice_id == invoice_id)
    ).all()
    return sum(to_cents(p.amount) for p in rows)


def record_payment(
    *,
    session: Session,
    clock: Clock,
    actor: Principal,
    convenio_id: str,
    amount: Decimal,
    paid_on: dt.date,
    method: str,
    reference: str = "",
    invoice: str | None = None,
    note: str = "",
) -> ConvenioPayment:
    """Record money received from a convenio, optionally against one of its facturas.

    A transferencia, depósito or cheque carries its operation or cheque number
    (:func:`check_reference`: ``payment_reference_required`` / ``payment_reference_invalid``).

    The convenio row is locked first so two payments to the same factura cannot both pass the
    overpayment check.
    """
    convenio = session.exec(
        select(Convenio).where(Convenio.id == convenio_id).with_for_update()
    ).first()
    if convenio is None:
        raise NotFound(
            "El convenio no existe.", code="convenio_not_found", loc=["path", "convenio_id"]
        )
    if amount <= 0:
        raise InvalidInput(
            "El monto del pago debe ser mayor que cero.",
            code="amount_not_positive",
            loc=["body", "amount"],
        )
    if paid_on > business_date(clock.now()):
        raise InvalidInput(
            "La fecha del pago no puede ser posterior a hoy.",
            code="payment_date_future",
            loc=["body", "date"],
        )
    # the operation / cheque number ties the payment to the bank statement
    reference = check_reference(method, reference)
    factura = find_factura(session=session, convenio=convenio, ref=invoice) if invoice else None
    if factura is not None:
        left = factura.payable_cents - paid_to(session, factura.id)
        if to_cents(amount) > left:
            raise InvalidInput(
                f"El pago de {fmt_soles(amount)} excede el saldo de la factura {factura.ref} "
                f"({fmt_soles(from_cents(left))}).",
                code="payment_exceeds_invoice",
                loc=["body", "amount"],
            )
    payment = ConvenioPayment(
        convenio_id=convenio.id, amount=amount, paid_on=paid_on, method=method,
        reference=reference, invoice_id=factura.id if factura else None,
        invoice_series=factura.series if factura else None,
        invoice_number=factura.number if factura else None,
        sede_id=factura.sede_id if factura else None, note=note, created_by=actor.user_id,
        created_at=clock.now(),
    )  # fmt: skip
    session.add(payment)
    session.flush()
    return payment


def list_payments(
    *,
    session: Session,
    convenio_id: str,
    sedes: list[str] | None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[ConvenioPayment]:
    """The convenio's payments, oldest first; a sede-scoped reader sees only those paying
    facturas of its sedes."""
    get_convenio(session=session, convenio_id=convenio_id)
    query = select(ConvenioPayment).where(ConvenioPayment.convenio_id == convenio_id)
    if date_from is not None:
        query = query.where(ConvenioPayment.paid_on >= date_from)
    if date_to is not None:
        query = query.where(ConvenioPayment.paid_on <= date_to)
    if sedes is not None:
        query = query.where(col(ConvenioPayment.sede_id).in_(sedes))
    query = query.order_by(col(ConvenioPayment.paid_on), col(ConvenioPayment.created_at))
    return list(session.exec(query).all())
