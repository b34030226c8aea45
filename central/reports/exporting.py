"""A report (or the dashboard) as a workbook or a PDF."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from central.reports import service
from central.reports.export import Sheet, render


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
        [[m["method"], m["payments"], m["amount"]] for m in data["payment_methods"]],
    )
    docs = Sheet(
        "Comprobantes",
        ["Tipo", "Estado", "Cantidad", "Total"],
        [[d["doc_type"], d["state"], d["documents"], d["total"]] for d in data["documents"]],
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


def report_file(
    *, session: Session, report: str, filters: service.Filters, fmt: str, limit: int
) -> tuple[bytes, str]:
    period = f"{filters.date_from:%d/%m/%Y} al {filters.date_to:%d/%m/%Y}"
    if report == "dashboard":
        sheets = _dashboard_sheets(service.dashboard(session=session, filters=filters))
        title = "Tablero de la cadena"
    else:
        table = service.run(session=session, report=report, filters=filters, limit=limit)
        sheets, title = [_sheet(table)], table.title
    content = render(fmt, title, sheets, subtitle=f"Periodo: {period}")
    return content, f"{report}-{filters.date_from.isoformat()}-{filters.date_to.isoformat()}.{fmt}"
