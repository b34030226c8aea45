"""A convenio's price list out to a spreadsheet and back (central.convenios.price_transfer):
refusals with row, column and reason; warnings apart; all or nothing; removal by an emptied
cell; a file equal to the list changes nothing; export -> import round trip."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from central.audit.models import HubAuditEvent
from central.convenios import price_transfer
from central.convenios.models import Convenio
from central.convenios.price_transfer import PricePlan
from central.db import unit_of_work
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain.errors import InvalidInput, NotFound, RuleViolation
from tests.central.catalog.transfer_helpers import CLOCK
from tests.central.convenios.price_helpers import (
    catalog_and_convenio,
    csv_prices,
    feed_count,
    line,
    prices,
    sid,
    xlsx_prices,
)


def _preview(rt: HubRuntime, convenio_id: str, content: bytes) -> PricePlan:
    with unit_of_work(rt.engine) as s:
        return price_transfer.preview_prices(session=s, convenio_id=convenio_id, content=content)


def _apply(rt: HubRuntime, convenio_id: str, content: bytes) -> price_transfer.PriceImportResult:
    with unit_of_work(rt.engine) as s:
        return price_transfer.apply_prices(
            session=s, clock=CLOCK, actor=None, convenio_id=convenio_id, content=content,
            filename="tarifario.csv", note="Tarifario 2027",
        )  # fmt: skip


def _export(rt: HubRuntime, convenio_id: str, fmt: str) -> bytes:
    with unit_of_work(rt.engine) as s:
        out = price_transfer.export_prices(session=s, clock=CLOCK, convenio_id=convenio_id, fmt=fmt)
    assert re.fullmatch(
        r"tarifario-\d{11}-20261129\.(csv|xlsx)", out.filename
    ) and out.filename.endswith(fmt)
    return out.content


def test_export_lists_active_tests_and_panels_with_both_prices(hub_runtime: HubRuntime) -> None:
    cid = catalog_and_convenio(hub_runtime)
    rows = list(csv.reader(io.StringIO(_export(hub_runtime, cid, "csv").decode("utf-8-sig"))))
    assert rows == [
        ["Código", "Nombre", "Tipo", "Precio público (S/)", "Precio convenio (S/)"],
        ["BIO-010", "Glucosa basal", "Examen", "12.50", ""],
        ["HEM-001", "Hemograma completo", "Examen", "35.00", "30.00"],
        ["PAN-01", "Perfil básico", "Perfil", "40.00", "38.00"],
    ]  # BIO-020 is inactive: not listed
    sheet = load_workbook(io.BytesIO(_export(hub_runtime, cid, "xlsx"))).worksheets[0]
    cells = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert cells[0][4] == "Precio convenio (S/)"
    assert cells[2] == ["HEM-001", "Hemograma completo", "Examen", 35, 30]
    assert cells[1][4] is None
    assert "SALUD PLUS" in str(sheet["A1"].value)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_export_import_changes_nothing(hub_runtime: HubRuntime, fmt: str) -> None:
    cid = catalog_and_convenio(hub_runtime)
    content = _export(hub_runtime, cid, fmt)
    before = feed_count(hub_runtime)
    plan = _preview(hub_runtime, cid, content)
    assert (plan.rows, plan.changes, plan.errors, plan.warnings) == (3, [], [], [])
    assert plan.unchanged == 3
    result = _apply(hub_runtime, cid, content)
    assert result.applied is False and "Sin cambios" in result.message
    assert feed_count(hub_runtime) == before


def test_round_trip_of_the_demo_catalog(hub_runtime: HubRuntime) -> None:
    with unit_of_work(hub_runtime.engine) as s:
        seed_demo(s, clock=CLOCK, sedes=1, admin_password="Admin-2026-segura")
    with unit_of_work(hub_runtime.engine) as s:
        cids = [c.id for c in s.exec(select(Convenio)).all()]
    assert cids, "the demo seeds convenios"
    for cid in cids:
        plan = _preview(hub_runtime, cid, _export(hub_runtime, cid, "xlsx"))
        assert plan.rows > 20 and plan.changes == [] and plan.errors == []


def test_added_changed_removed_and_a_warning_apply_through_the_service(
    hub_runtime: HubRuntime,
) -> None:
    cid = catalog_and_convenio(hub_runtime)
    before = feed_count(hub_runtime)
    content = csv_prices(
        [line("BIO-010", "S/ 14,00"), line("HEM-001", "32"), line("PAN-01", "  ")], sep=";"
    )
    plan = _preview(hub_runtime, cid, content)
    assert plan.counts() == {"added": 1, "changed": 1, "removed": 1, "unchanged": 0,
                             "errors": 0, "warnings": 1}  # fmt: skip
    shown = {(c.row, c.code, c.action, c.old_price, c.new_price) for c in plan.changes}
    assert {(r, code, a, str(o), str(n)) for r, code, a, o, n in shown} == {
        (2, "BIO-010", "added", "None", "14.00"),
        (3, "HEM-001", "changed", "30.00", "32.00"),
        (4, "PAN-01", "removed", "38.00", "None"),
    }
    (warning,) = plan.warnings
    assert (warning.row, warning.column, warning.code) == (
        2, "Precio convenio (S/)", "price_above_public")  # fmt: skip
    assert "S/ 14.00" in warning.msg and "S/ 12.50" in warning.msg
    assert prices(hub_runtime, cid) == {"HEM-001": 3000, "PAN-01": 3800}  # preview wrote nothing
    assert feed_count(hub_runtime) == before

    result = _apply(hub_runtime, cid, content)
    assert result.applied is True
    assert result.message == (
        "Tarifario de SALUD PLUS EPS S.A. importado: 1 precio(s) nuevo(s), 1 cambiado(s), "
        "1 quitado(s) (rige el precio público)."
    )
    assert prices(hub_runtime, cid) == {"HEM-001": 3200, "BIO-010": 1400}
    assert feed_count(hub_runtime) == before + 1  # the convenio record, to the sedes
    with unit_of_work(hub_runtime.engine) as s:
        events = s.exec(select(HubAuditEvent).where(HubAuditEvent.record_id == cid)).all()
        actions = [(e.action, e.details) for e in events]
    assert ("convenio.update", {"fields": ["prices_cents"]}) in actions
    summary = [d for a, d in actions if a == "convenio.price_import"]
    assert summary == [{"file": "tarifario.csv", "note": "Tarifario 2027", "added": 1,
                        "changed": 1, "removed": 1, "unchanged": 0, "errors": 0,
                        "warnings": 1}]  # fmt: skip
    again = _apply(hub_runtime, cid, content)
    assert again.applied is False and feed_count(hub_runtime) == before + 1


def test_rows_absent_from_the_file_are_left_alone(hub_runtime: HubRuntime) -> None:
    cid = catalog_and_convenio(hub_runtime)
    result = _apply(hub_runtime, cid, xlsx_prices([["BIO-010", "Glucosa", "Examen", 12.5, 11.9]]))
    assert result.applied is True
    assert prices(hub_runtime, cid) == {"HEM-001": 3000, "PAN-01": 3800, "BIO-010": 1190}


def test_each_refused_row_names_its_row_column_and_reason(hub_runtime: HubRuntime) -> None:
    cid = catalog_and_convenio(hub_runtime)
    content = csv_prices([
        line("HEM-001", "31.00"),  # 2: fine
        line("ZZZ-9", "10"),  # 3: unknown code
        line("BIO-020", "9.00"),  # 4: inactive test
        line("BIO-010", "quince"),  # 5: not an amount
        line("PAN-01", "12.345"),  # 6: 3 decimals
        line("HEM-001", "33.00"),  # 7: duplicate
        line("", "5"),  # 8: no code
        line("BIO-010", "-3"),  # 9: duplicate of row 5 (reported once)
    ])  # fmt: skip
    plan = _preview(hub_runtime, cid, content)
    assert {(e.row, e.column, e.code) for e in plan.errors} == {
        (3, "Código", "service_unknown"),
        (4, "Código", "service_inactive"),
        (5, "Precio convenio (S/)", "price_invalid"),
        (6, "Precio convenio (S/)", "price_precision"),
        (7, "Código", "code_duplicate"),
        (8, "Código", "cell_required"),
        (9, "Código", "code_duplicate"),
    }
    msgs = {e.row: e.msg for e in plan.errors}
    assert "ZZZ-9" in msgs[3] and "desactivado" in msgs[4] and "fila 2" in msgs[7]
    assert "2 decimales" in msgs[6]
    assert plan.counts()["errors"] == 7 and [c.code for c in plan.changes] == ["HEM-001"]
    before = feed_count(hub_runtime)
    with pytest.raises(InvalidInput) as refused:
        _apply(hub_runtime, cid, content)
    assert refused.value.code == "import_has_errors" and "7 fila(s)" in refused.value.msg
    assert prices(hub_runtime, cid) == {"HEM-001": 3000, "PAN-01": 3800}
    assert feed_count(hub_runtime) == before


def test_an_inactive_test_may_lose_its_price(hub_runtime: HubRuntime) -> None:
    cid = catalog_and_convenio(hub_runtime)
    _apply(hub_runtime, cid, csv_prices([line("BIO-020", "")]))  # nothing to remove: no-op
    with unit_of_work(hub_runtime.engine) as s:
        row = s.get(Convenio, cid)
        assert row is not None
        row.prices_cents = row.prices_cents | {sid(hub_runtime, "BIO-020"): 900}
        s.add(row)
    plan = _preview(hub_runtime, cid, csv_prices([line("BIO-020", "")]))
    assert [(c.code, c.action) for c in plan.changes] == [("BIO-020", "removed")]
    assert _apply(hub_runtime, cid, csv_prices([line("BIO-020", "")])).applied is True
    assert "BIO-020" not in prices(hub_runtime, cid)


def test_file_level_refusals(hub_runtime: HubRuntime) -> None:
    cid = catalog_and_convenio(hub_runtime)
    catalog_file = "Código,Nombre,Precio (S/)\r\nHEM-001,Hemograma,35.00\r\n".encode()
    for content, code in (
        (catalog_file, "import_missing_columns"),
        (b"", "import_file_empty"),
        (b"\xd0\xcf\x11\xe0rest", "import_file_format"),
        (b"PK\x03\x04broken", "import_file_unreadable"),
        (b"x" * (1024 * 1024 + 1), "import_file_too_large"),
        (("Código,Precio convenio (S/)\r\n" + "HEM-001,1\r\n" * 3001).encode(),
         "import_too_many_rows"),
    ):  # fmt: skip
        with pytest.raises(InvalidInput) as bad:
            _preview(hub_runtime, cid, content)
        assert bad.value.code == code and bad.value.loc == ["body", "content_base64"]
    with pytest.raises(InvalidInput) as missing:
        _preview(hub_runtime, cid, catalog_file)
    assert "«Precio convenio (S/)»" in missing.value.msg
    with pytest.raises(NotFound):
        _preview(hub_runtime, "0190a1b2-0000-7000-8000-00000000dead", csv_prices([]))


def test_a_failure_after_the_update_leaves_the_list_as_it_was(
    hub_runtime: HubRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = catalog_and_convenio(hub_runtime)
    before = feed_count(hub_runtime)

    real = price_transfer.audit.record
    seen: list[str] = []

    def failing(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["action"])
        if kwargs["action"] == "convenio.price_import":  # the convenio is already flushed
            raise RuleViolation("Fallo simulado.", code="simulated")
        return real(*args, **kwargs)

    monkeypatch.setattr(price_transfer.audit, "record", failing)
    with pytest.raises(RuleViolation):
        _apply(hub_runtime, cid, csv_prices([line("HEM-001", "20.00"), line("PAN-01", "")]))
    assert seen == ["convenio.update", "convenio.price_import"]
    assert prices(hub_runtime, cid) == {"HEM-001": 3000, "PAN-01": 3800}
    assert feed_count(hub_runtime) == before
