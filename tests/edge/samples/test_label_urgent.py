"""An urgent order's tube labels say "URGENTE" (PDF and ZPL), reversed at the end of the tube
line, where the tube text gives way and the patient's name keeps its width; a routine order's
labels are as they were."""

from __future__ import annotations

import dataclasses
import re

import pytest
from fastapi.testclient import TestClient

from domain.permissions import Role
from edge.db import unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from edge.samples import service as samples_service
from edge.samples.labels import URGENT, LabelData, render_pdf, render_zpl
from tests.edge.cash.rows import Actor, add_order, fixed_clock
from tests.pdftext import shown

ROUTINE = LabelData(
    patient_name="Núñez Ávila, José",
    document="DNI 45873219",
    order_number="S01-20261129-0001",
    tube="Celeste (citrato de sodio)",
    sample_type="Plasma citratado",
    barcode="S012611290007",
)
URGENT_LABEL = dataclasses.replace(ROUTINE, urgent=True)


def _fields(zpl: str) -> list[str]:
    return [line.split("^FD")[1].removesuffix("^FS") for line in zpl.splitlines() if "^FD" in line]


def test_pdf_says_urgente_only_for_urgent_orders() -> None:
    routine = [t.strip() for t in shown(render_pdf([ROUTINE]))]
    urgent = [t.strip() for t in shown(render_pdf([URGENT_LABEL]))]
    assert URGENT not in routine and URGENT in urgent
    assert "NÚÑEZ ÁVILA, JOSÉ" in urgent  # the name whole
    tube = next(t for t in urgent if t.startswith("Celeste"))
    assert tube.endswith("...") and len(tube) < len(next(t for t in routine if "Celeste" in t))


def test_zpl_says_urgente_reversed_only_for_urgent_orders() -> None:
    routine, urgent = render_zpl([ROUTINE]), render_zpl([URGENT_LABEL])
    assert URGENT not in routine and "^FR" not in routine
    assert re.search(r"^\^FO\d+,\d+\^GB88,22,22\^FS$", urgent, flags=re.M)  # the black box
    assert re.search(rf"^\^FO\d+,\d+\^FR\^A0N.*\^FD{URGENT}\^FS$", urgent, flags=re.M)
    assert _fields(urgent)[0] == _fields(routine)[0] == "NÚÑEZ ÁVILA, JOSÉ"
    tube_line = next(line for line in urgent.splitlines() if line.startswith("^FO12,54"))
    assert "^FB280," in tube_line  # the tube line leaves room for the box
    assert len(_fields(urgent)[2]) <= 35 < len(_fields(routine)[2])


@pytest.mark.parametrize("priority", ["urgente", "rutina"])
def test_the_labels_endpoint_follows_the_orders_priority(
    edge_client: TestClient, edge_runtime: EdgeRuntime, priority: str
) -> None:
    fixed_clock(edge_runtime)
    reception = Actor(edge_runtime, Role.RECEPCIONISTA)
    order = add_order(edge_runtime, cashier_id=reception.id)
    with unit_of_work(edge_runtime.engine) as session:
        row = session.get(Order, order.id)
        assert row is not None
        row.priority = priority
        samples_service.create_samples_for_order(
            session=session, order=row, user=None, clock=edge_runtime.clock
        )
    url = f"/api/orders/{order.id}/labels"
    pdf = edge_client.get(url, headers=reception.headers)
    assert pdf.status_code == 200, pdf.text
    supervisor = Actor(edge_runtime, Role.SUPERVISOR)  # the second print is a reprint
    zpl = edge_client.get(
        url, params={"format": "zpl", "reason": "Etiqueta mojada"}, headers=supervisor.headers
    )
    assert zpl.status_code == 200, zpl.text
    says = priority == "urgente"
    assert (URGENT in [t.strip() for t in shown(pdf.content)]) is says
    assert (f"^FD{URGENT}^FS" in zpl.text) is says
