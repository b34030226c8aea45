"""A convenio's monthly statement as a file (xlsx or PDF): its orders of the month across the
sedes, the amount it owes per sede and in total, and when it falls due."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from central.convenios import accounts
from central.reports.export import Sheet, render
from domain.money import from_cents


def statement_file(
    *, session: Session, convenio_id: str, month: str, sedes: list[str] | None, fmt: str
) -> tuple[bytes, str]:
    """``(content, filename)`` of the statement of ``month`` (``AAAA-MM``)."""
    first, last = accounts.month_range(month)
    convenio, lines, _ = accounts.orders(
        session=session, convenio_id=convenio_id, sedes=sedes, date_from=first, date_to=last
    )
    due = accounts.due_date(first, convenio.credit_days)
    detail = Sheet(
        "Órdenes",
        ["Fecha", "Sede", "Orden", "Paciente", "Documento", "Estado", "Total", "Cubierto",
         "Paciente pagó"],
        [
            [f"{o.business_date:%d/%m/%Y}", o.sede_code, o.number, o.patient_name,
             o.patient_document, o.status, from_cents(o.total_cents),
             from_cents(o.covered_cents), from_cents(o.patient_cents)]
            for o in lines
        ],
    )  # fmt: skip
    per_sede: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in lines:
        per_sede[o.sede_code][0] += 1
        per_sede[o.sede_code][1] += o.covered_cents
    covered = sum(v[1] for v in per_sede.values())
    summary = Sheet(
        "Resumen",
        ["Sede", "Órdenes", "Monto a cobrar"],
        [[code, n, from_cents(c)] for code, (n, c) in sorted(per_sede.items())]
        + [["Total", len(lines), from_cents(covered)]],
    )
    title = f"Estado de cuenta — {convenio.name} (RUC {convenio.ruc})"
    subtitle = (
        f"Periodo {first:%d/%m/%Y} al {last:%d/%m/%Y} · {len(lines)} orden(es) · "
        f"a cobrar S/ {from_cents(covered):,.2f} · vence el {due:%d/%m/%Y} "
        f"({convenio.credit_days} días de crédito)"
    )
    content = render(fmt, title, [summary, detail], subtitle=subtitle)
    return content, f"estado-cuenta-{convenio.ruc}-{month}.{fmt}"
