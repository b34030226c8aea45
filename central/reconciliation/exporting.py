"""A closure as a workbook or a PDF: figures vs seal, per-method totals, findings, late rows."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from central.config.models import Sede
from central.reconciliation import service
from central.reconciliation.models import STATUS_LABELS, Closure
from central.reports.export import Sheet, render
from domain.cash import method_label
from domain.money import from_cents

_FIGURES = (
    ("orders", "count", "Órdenes"),
    ("orders", "total_cents", "Monto de órdenes"),
    ("payments", "count", "Pagos"),
    ("payments", "total_cents", "Monto de pagos"),
    ("invoices", "count", "Comprobantes"),
    ("invoices", "total_cents", "Monto de comprobantes"),
    ("cash_sessions", "count", "Cajas"),
    ("cash_sessions", "expected_cents", "Esperado en cajas"),
    ("cash_sessions", "counted_cents", "Contado en cajas"),
    ("cash_sessions", "difference_cents", "Diferencia de cajas"),
    ("samples", "count", "Muestras"),
)


# what the dashboard's closure page shows (central/web/static/pages/cierres.js): the file is read
# by people, so no "critical · cash_short" (an unknown code is written as it came)
_SEVERITY = {"critical": "Crítica", "warning": "Advertencia", "info": "Aviso"}
_KINDS = {
    "seal_mismatch": "Sello del día no coincide",
    "seal_method_mismatch": "Sello: medio de pago no coincide",
    "series_gap": "Salto en la numeración",
    "paid_without_document": "Pagado sin comprobante",
    "document_without_order": "Comprobante sin orden",
    "document_rejected": "Rechazado por SUNAT",
    "document_unsent_past_deadline": "Sin enviar fuera de plazo",
    "document_deadline_today": "Plazo SUNAT vence hoy",
    "cash_session_open": "Caja sin cerrar",
    "cash_over": "Sobrante de caja",
    "cash_short": "Faltante de caja",
    "method_difference": "Diferencia por medio de pago",
    "payment_without_order": "Pago sin orden",
    "order_payments_mismatch": "Pagos no cuadran con la orden",
    "late_records": "Registros tardíos",
}


def _value(figures: dict[str, Any], section: str, name: str) -> Any:
    part = figures.get(section) or {}
    value = part.get(name) if isinstance(part, dict) else None
    if value is None:
        return ""
    return from_cents(int(value)) if name.endswith("_cents") else int(value)


def closure_file(*, session: Session, closure: Closure, fmt: str) -> tuple[bytes, str]:
    sede = session.get(Sede, closure.sede_id)
    code = sede.code if sede else closure.sede_id[:8]
    figures = Sheet(
        "Cifras",
        ["Concepto", "Central", "Sello del día", "Con ajustes tardíos"],
        [
            [label, _value(closure.figures, s, n), _value(closure.seal_figures, s, n),
             _value(closure.adjusted_figures, s, n)]
            for s, n, label in _FIGURES
        ],
    )  # fmt: skip
    methods = Sheet(
        "Medios de pago",
        ["Medio", "Pagos", "Monto pagos", "Esperado", "Declarado", "Diferencia"],
        [
            [method_label(m), int(v.get("payments", 0)),
             from_cents(int(v.get("payments_cents", 0))),
             from_cents(int(v.get("expected_cents", 0))),
             from_cents(int(v.get("declared_cents", 0))),
             from_cents(int(v.get("difference_cents", 0)))]
            for m, v in sorted(closure.method_totals.items())
        ],
    )  # fmt: skip
    found = service.closure_discrepancies(session=session, closure=closure)
    findings = Sheet(
        "Discrepancias",
        ["Gravedad", "Tipo", "Detalle", "Monto", "Ids"],
        [
            [_SEVERITY.get(d.severity, d.severity), _KINDS.get(d.kind, d.kind), d.message,
             from_cents(d.amount_cents) if d.amount_cents is not None else "",
             ", ".join(d.record_ids[:20])]
            for d in found
        ],
    )  # fmt: skip
    late = Sheet(
        "Ajustes tardíos",
        ["Tipo", "Id", "Referencia", "Monto", "Recibido"],
        [
            [r["record_type"], r["id"], r.get("reference") or "",
             from_cents(int(r["amount_cents"])) if r.get("amount_cents") is not None else "",
             r["received_at"]]
            for r in closure.late_adjustments
        ],
    )  # fmt: skip
    title = f"Cierre {code} del {closure.business_date:%d/%m/%Y}"
    subtitle = (
        f"Estado: {STATUS_LABELS.get(closure.status, closure.status)} · "
        f"{closure.discrepancy_count} discrepancia(s) · ejecutado por {closure.executed_by}"
    )
    content = render(fmt, title, [figures, methods, findings, late], subtitle=subtitle)
    return content, f"cierre-{code}-{closure.business_date.isoformat()}.{fmt}"
