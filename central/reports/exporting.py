"""A report (or the dashboard) as a workbook or a PDF."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from central.config.models import Sede
from central.config.sede_order import sede_code_key
from central.reports import service
from central.reports.export import Sheet, render
from domain.cash import method_label
from domain.sunat.catalogs import doc_type_label


def _sheet(table: service.Table) -> Sheet:
    return Sheet(
        table.title,
        [c.label for c in table.columns],
        [[row.get(c.key) for c in table.columns] for row in table.rows],
    )


def _dashboard_sheets(data: dict[str, Any]) -> list[Sheet]:
    summary = Sheet(
        "Resumen",
        ["Indicador", "Valor"],
        [
            ["Órdenes", data["orders"]],
            ["Ventas", data["sales"]],
            ["Descuentos", data["discounts"]],
            ["Órdenes anuladas", data["cancelled_orders"]],
            ["Monto anulado", data["cancelled_amount"]],
            ["Convenios (por cobrar)", data["covered"]],
            ["Ticket medio", data["average_ticket"]],
            ["Cobrado", data["payments_total"]],
            ["Pacientes nuevos", data["new_patients"]],
        ],
    )
    methods = Sheet(
        "Medios de pago",
        ["Medio", "Pagos", "Monto"],
        [[method_label(m["method"]), m["payments"], m["amount"]] for m in data["payment_methods"]],
    )
    docs = Sheet(
        "Comprobantes",
        ["Tipo", "Estado", "Cantidad", "Total"],
        [
            [
                doc_type_label(d["doc_type"]),
                str(d["state"]).capitalize(),
                d["documents"],
                d["total"],
            ]
            for d in data["documents"]
        ],
    )
    top = Sheet(
        "Servicios",
        ["Código", "Servicio", "Cantidad", "Monto"],
        [[t["code"], t["name"], t["quantity"], t["amount"]] for t in data["top_services"]],
    )
    sedes = Sheet(
        "Sedes",
        ["Sede", "Órdenes", "Ventas"],
        [[s["sede_code"], s["orders"], s["sales"]] for s in data["by_sede"]],
    )
    return [summary, methods, docs, top, sedes]  # fmt: skip


def _dashboard_title(session: Session, filters: service.Filters) -> str:
    """The chain's, or the sedes' a supervisor (or a filter) limits it to, by code."""
    if filters.sede_ids is None:
        return "Tablero de la cadena"
    codes = session.exec(select(Sede.code).where(col(Sede.id).in_(filters.sede_ids))).all()
    codes = sorted(codes, key=sede_code_key)
    return (
        "Tablero de la sede " + codes[0]
        if len(codes) == 1
        else ("Tablero de las sedes " + ", ".join(codes))
    )


def report_file(
    *, session: Session, report: str, filters: service.Filters, fmt: str, limit: int
) -> tuple[bytes, str]:
    period = f"{filters.date_from:%d/%m/%Y} al {filters.date_to:%d/%m/%Y}"
    if report == "dashboard":
        sheets = _dashboard_sheets(service.dashboard(session=session, filters=filters))
        title = _dashboard_title(session, filters)
    else:
        table = service.run(session=session, report=report, filters=filters, limit=limit)
        sheets, title = [_sheet(table)], table.title
    content = render(fmt, title, sheets, subtitle=f"Periodo: {period}")
    return content, f"{report}-{filters.date_from.isoformat()}-{filters.date_to.isoformat()}.{fmt}"
