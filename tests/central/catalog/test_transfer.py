"""Catalog import/export at the service level: every refusal with its row and column, all or
nothing, a file equal to the catalog changes nothing, panels, scheduled prices, formula
injection on export and the export -> import round trip."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, text
from sqlmodel import select

from central.audit.models import HubAuditEvent
from central.catalog import transfer, transfer_apply
from central.catalog.models import CatalogPrice
from central.catalog.transfer_plan import Plan
from central.catalog.transfer_read import MAX_ROWS, FileTooLarge, read_file
from central.db import unit_of_work
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain.errors import InvalidInput, RuleViolation
from tests.central.catalog.transfer_helpers import (
    CLOCK,
    csv_file,
    prices_of,
    row,
    service_by_code,
    small_catalog,
    xlsx_file,
)

ALL = ["HEM-001", "BIO-010", "BIO-020", "PAN-01"]


def _preview(rt: HubRuntime, content: bytes, effective_from: dt.date | None = None) -> Plan:
    with unit_of_work(rt.engine) as s:
        return transfer_apply.preview(
            session=s, clock=CLOCK, content=content, effective_from=effective_from
        )


def _apply(
    rt: HubRuntime, content: bytes, effective_from: dt.date | None = None
) -> transfer_apply.ImportResult:
    with unit_of_work(rt.engine) as s:
        return transfer_apply.apply_import(
            session=s, clock=CLOCK, actor=None, content=content, reason="Tarifario 2027",
            effective_from=effective_from, filename="tarifario.csv",
        )  # fmt: skip


def _feed_count(rt: HubRuntime) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM sync_change_feed")).scalar_one())


def _errors(plan: Plan) -> set[tuple[int, str, str]]:
    return {(e.row, e.column, e.code) for e in plan.errors}


def test_a_file_equal_to_the_catalog_changes_nothing(hub_runtime: HubRuntime) -> None:
    small_catalog(hub_runtime)
    before = _feed_count(hub_runtime)
    plan = _preview(hub_runtime, csv_file([row(c) for c in ALL]))
    assert (plan.rows, plan.changes, plan.errors, plan.unchanged) == (4, [], [], 4)
    result = _apply(hub_runtime, csv_file([row(c) for c in ALL]))
    assert result.applied is False and "Sin cambios" in result.message
    assert _feed_count(hub_runtime) == before


def test_prices_fields_creation_and_deactivation_apply_through_the_services(
    hub_runtime: HubRuntime,
) -> None:
    small_catalog(hub_runtime)
    feed_before = _feed_count(hub_runtime)
    content = csv_file(
        [
            row("HEM-001", price="S/ 38,50"),  # decimal comma and the currency sign
            row("BIO-010", tube="Gris (fluoruro)", price="12.50"),
            row("BIO-020", active="Sí"),  # reactivated
            row("PAN-01", active="No"),
            row("INM-100", name="Ferritina", category="", price="45"),
        ],
        sep=";",
    )
    plan = _preview(hub_runtime, content)
    assert plan.errors == []
    by_code = {c.code: c for c in plan.changes}
    assert by_code["HEM-001"].actions == ["price"]
    assert (by_code["HEM-001"].old_price, by_code["HEM-001"].new_price) == (
        Decimal("35.00"),
        Decimal("38.50"),
    )
    assert by_code["BIO-010"].actions == ["update"] and by_code["BIO-010"].fields == ["Tubo"]
    assert by_code["BIO-020"].fields == ["Activo"]
    assert by_code["PAN-01"].actions == ["deactivate"]
    assert by_code["INM-100"].actions == ["create"]
    assert plan.counts() == {"create": 1, "update": 2, "price": 1, "schedule": 0,
                             "deactivate": 1, "unchanged": 0, "errors": 0}  # fmt: skip
    assert service_by_code(hub_runtime, "INM-100") is None  # the preview wrote nothing

    result = _apply(hub_runtime, content)
    assert result.applied and "1 creado(s)" in result.message
    hem = service_by_code(hub_runtime, "HEM-001")
    assert hem is not None and (hem.price_cents, hem.catalog_version) == (3850, 2)
    assert (3850, "applied", "Tarifario 2027", dt.date(2026, 11, 29)) in prices_of(
        hub_runtime, "HEM-001"
    )
    bio = service_by_code(hub_runtime, "BIO-010")
    assert bio is not None and bio.tube == "Gris (fluoruro)" and bio.price_cents == 1250
    assert service_by_code(hub_runtime, "BIO-020").active is True  # type: ignore[union-attr]
    assert service_by_code(hub_runtime, "PAN-01").active is False  # type: ignore[union-attr]
    new = service_by_code(hub_runtime, "INM-100")
    assert new is not None and (new.name, new.price_cents, new.category_id) == (
        "Ferritina", 4500, None)  # fmt: skip
    assert _feed_count(hub_runtime) > feed_before  # the sedes receive it like a manual edit
    with unit_of_work(hub_runtime.engine) as s:
        actions = set(s.exec(select(HubAuditEvent.action)).all())
    assert {"catalog.price_change", "catalog.service_create", "catalog.import"} <= actions
    assert {"catalog.service_update", "catalog.service_deactivate"} <= actions
    # the same file again: nothing left to do
    assert _apply(hub_runtime, content).applied is False


@pytest.mark.parametrize(
    ("cells", "column", "code"),
    [
        ({"category": "XYZ"}, "Categoría", "category_unknown"),
        ({"category": "OLD"}, "Categoría", "category_inactive"),
        ({"price": "quince"}, "Precio (S/)", "price_invalid"),
        ({"price": "12.345"}, "Precio (S/)", "price_precision"),
        ({"price": "-3"}, "Precio (S/)", "price_negative"),
        ({"price": "1000000"}, "Precio (S/)", "price_too_high"),
        ({"scheduled_price": "22000000", "scheduled_from": "01/01/2027"},
         "Precio programado (S/)",
         "price_too_high"),
        ({"price": ""}, "Precio (S/)", "cell_required"),
        ({"name": " "}, "Nombre", "cell_required"),
        ({"loinc": "abc"}, "LOINC", "loinc_invalid"),
        ({"igv": "40"}, "Afectación IGV", "igv_invalid"),
        ({"turnaround": "0"}, "Tiempo de entrega (horas)", "turnaround_invalid"),
        ({"turnaround": "4,5"}, "Tiempo de entrega (horas)", "turnaround_invalid"),
        ({"active": "quizás"}, "Activo", "active_invalid"),
        ({"kind": "Perfil", "members": "HEM-001"}, "Tipo", "kind_change"),
        ({"members": "HEM-001"}, "Exámenes del perfil", "panel_items_not_allowed"),
        ({"scheduled_price": "20.00"}, "Programado desde", "schedule_incomplete"),
        ({"scheduled_price": "20", "scheduled_from": "29/11/2026"}, "Programado desde",
         "schedule_not_future"),
        ({"scheduled_price": "20", "scheduled_from": "31/02/2027"}, "Programado desde",
         "date_invalid"),
        ({"code": "BIO 010!"}, "Código", "code_invalid"),
    ],
)  # fmt: skip
def test_each_refused_cell_names_its_row_column_and_reason(
    hub_runtime: HubRuntime, cells: dict[str, str], column: str, code: str
) -> None:
    small_catalog(hub_runtime)
    content = csv_file([row("HEM-001", price="36.00"), row("BIO-010", **cells)])
    plan = _preview(hub_runtime, content)
    assert (3, column, code) in _errors(plan), plan.errors
    assert all(e.msg and e.msg[0] != "<" for e in plan.errors)  # a Spanish reason, not a repr
    assert [c.code for c in plan.changes] == ["HEM-001"]  # the good row is still previewed
    with pytest.raises(InvalidInput) as refused:
        _apply(hub_runtime, content)
    assert refused.value.code == "import_has_errors"
    hem = service_by_code(hub_runtime, "HEM-001")
    assert hem is not None and hem.price_cents == 3500  # all or nothing


def test_panel_members_and_duplicates(hub_runtime: HubRuntime) -> None:
    small_catalog(hub_runtime)
    content = csv_file(
        [
            row("HEM-001"),
            row("HEM-001", price="40"),  # duplicate code in the file
            row("PAN-02", kind="Perfil", members="HEM-001; NOPE-1"),  # unknown member
            row("PAN-03", kind="Perfil", members="BIO-020"),  # inactive member
            row("PAN-04", kind="Perfil", members="PAN-01"),  # a panel in a panel
            row("PAN-05", kind="Perfil", members=""),  # empty panel
            row("PAN-06", kind="Perfil", members="HEM-001 NEW-1"),  # a test created here: ok
            row("NEW-1", name="Examen nuevo"),
            row("PAN-07", kind="Perfil", members="BIO-010"),
            row("BIO-010", active="No"),  # ...deactivated by the same file: PAN-07 refused
        ]
    )
    plan = _preview(hub_runtime, content)
    assert _errors(plan) == {
        (3, "Código", "code_duplicate"),
        (4, "Exámenes del perfil", "panel_item_unknown"),
        (5, "Exámenes del perfil", "panel_item_inactive"),
        (6, "Exámenes del perfil", "panel_item_is_panel"),
        (7, "Exámenes del perfil", "panel_empty"),
        (10, "Exámenes del perfil", "panel_item_inactive"),
    }
    assert "fila 2" in next(e.msg for e in plan.errors if e.code == "code_duplicate")
    assert {c.code for c in plan.changes} == {"PAN-06", "NEW-1", "BIO-010"}

    good = csv_file([row("PAN-06", kind="Perfil", members="HEM-001, NEW-1"), row("NEW-1"),
                     row("PAN-01", members="BIO-010")])  # fmt: skip
    assert _apply(hub_runtime, good).applied
    pan6, new1 = service_by_code(hub_runtime, "PAN-06"), service_by_code(hub_runtime, "NEW-1")
    hem = service_by_code(hub_runtime, "HEM-001")
    assert pan6 is not None and new1 is not None and hem is not None
    assert pan6.is_panel and pan6.panel_service_ids == [hem.id, new1.id]
    bio = service_by_code(hub_runtime, "BIO-010")
    pan1 = service_by_code(hub_runtime, "PAN-01")
    assert bio is not None and pan1 is not None and pan1.panel_service_ids == [bio.id]


def test_scheduled_prices_and_an_effective_date(hub_runtime: HubRuntime) -> None:
    small_catalog(hub_runtime)
    jan = dt.date(2027, 1, 1)
    content = csv_file(
        [
            row("HEM-001", price="39.00"),
            row("BIO-010", scheduled_price="14,00", scheduled_from="15/02/2027"),
        ]
    )
    with pytest.raises(InvalidInput) as past:
        _preview(hub_runtime, content, effective_from=dt.date(2026, 11, 28))
    assert past.value.code == "price_effective_past"
    plan = _preview(hub_runtime, content, effective_from=jan)
    hem = next(c for c in plan.changes if c.code == "HEM-001")
    assert (hem.actions, hem.price_from) == (["price"], jan)
    assert next(c for c in plan.changes if c.code == "BIO-010").actions == ["schedule"]
    assert _apply(hub_runtime, content, effective_from=jan).applied
    h = service_by_code(hub_runtime, "HEM-001")
    assert h is not None and h.price_cents == 3500  # not yet: it waits for 01/01/2027
    assert (3900, "scheduled", "Tarifario 2027", jan) in prices_of(hub_runtime, "HEM-001")
    assert (1400, "scheduled", "Tarifario 2027", dt.date(2027, 2, 15)) in prices_of(
        hub_runtime, "BIO-010"
    )
    # the export now shows the scheduled prices; importing it back changes nothing
    with unit_of_work(hub_runtime.engine) as s:
        exported = transfer.export_catalog(session=s, clock=CLOCK, fmt="csv").content
    assert b"39.00,2027-01-01" in exported
    assert _preview(hub_runtime, exported).changes == []
    assert _preview(hub_runtime, content, effective_from=jan).changes == []


def test_export_neutralises_formulas_in_csv_and_xlsx(hub_runtime: HubRuntime) -> None:
    small_catalog(hub_runtime)
    evil = '=HYPERLINK("http://x.example","clic")'
    content = csv_file([row("HEM-001", name=evil), row("BIO-010", tube="+51 999"),
                        row("BIO-020", sample_type="@SUM(A1)")])  # fmt: skip
    assert _apply(hub_runtime, content).applied
    with unit_of_work(hub_runtime.engine) as s:
        csv_out = transfer.export_catalog(session=s, clock=CLOCK, fmt="csv")
        xlsx_out = transfer.export_catalog(session=s, clock=CLOCK, fmt="xlsx")
    lines = csv_out.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Código,Nombre,Tipo,Categoría")
    assert any(line.startswith("HEM-001,\"'=HYPERLINK(") for line in lines)
    assert any(",'+51 999," in line for line in lines) and any("'@SUM(A1)" in ln for ln in lines)
    book = load_workbook(io.BytesIO(xlsx_out.content))
    sheet = book.worksheets[0]
    cells = [c for r in sheet.iter_rows() for c in r if c.value == evil]
    assert cells and all(c.data_type == "s" for c in cells)
    assert len(book.worksheets) == 1 and csv_out.filename == "catalogo-20261129.csv"
    # both come back equal: the apostrophe is taken off again
    assert _preview(hub_runtime, csv_out.content).changes == []
    assert _preview(hub_runtime, xlsx_out.content).changes == []


def test_round_trip_of_the_demo_catalog_in_both_formats(hub_runtime: HubRuntime) -> None:
    with unit_of_work(hub_runtime.engine) as s:
        seed_demo(s, clock=CLOCK, sedes=1, admin_password="clave-demo-central-1")
    with unit_of_work(hub_runtime.engine) as s:
        total = s.exec(select(func.count()).select_from(CatalogPrice)).one()
        files = [transfer.export_catalog(session=s, clock=CLOCK, fmt=f) for f in ("xlsx", "csv")]
    for out in files:
        plan = _preview(hub_runtime, out.content)
        assert plan.rows == out.count > 20
        assert (plan.changes, plan.errors, plan.unchanged) == ([], [], out.count)
        assert _apply(hub_runtime, out.content).applied is False
    with unit_of_work(hub_runtime.engine) as s:
        assert s.exec(select(func.count()).select_from(CatalogPrice)).one() == total


def test_xlsx_numbers_and_dates_and_csv_encodings(hub_runtime: HubRuntime) -> None:
    small_catalog(hub_runtime)
    xlsx = xlsx_file(
        [
            row("HEM-001", price=38.5, turnaround=4, igv=10),
            row("BIO-010", price=12.5, scheduled_price=13, scheduled_from=dt.datetime(2027, 3, 1)),
        ],
        title_rows=3,
    )
    plan = _preview(hub_runtime, xlsx)
    assert plan.errors == []
    assert [(c.row, c.code, c.actions) for c in plan.changes] == [
        (5, "HEM-001", ["price"]), (6, "BIO-010", ["schedule"])]  # fmt: skip
    latin = csv_file([row("HEM-001", name="Hemograma completo", price="36")], sep=";", bom=False)
    latin = latin.decode("utf-8").encode("cp1252")  # "Código" as Excel writes it on Windows
    assert [c.code for c in _preview(hub_runtime, latin).changes] == ["HEM-001"]


def test_file_bounds_and_unreadable_files() -> None:
    with pytest.raises(FileTooLarge) as big:
        read_file(b"x" * (1024 * 1024 + 1))
    assert big.value.status == 413
    many = csv_file([row(f"T-{i}") for i in range(MAX_ROWS + 1)])
    with pytest.raises(InvalidInput) as rows:
        read_file(many)
    assert rows.value.code == "import_too_many_rows"
    cases = {
        b"": "import_file_empty",
        b"PK\x03\x04not a zip": "import_file_unreadable",
        b"\xd0\xcf\x11\xe0old excel": "import_file_format",
        b"Nombre,Precio\nx,1\n": "import_no_header",
        "Código,Nombre\nA,b\n".encode(): "import_missing_columns",
    }
    for content, code in cases.items():
        with pytest.raises(InvalidInput) as bad:
            read_file(content)
        assert bad.value.code == code, content
        assert bad.value.msg and bad.value.loc == ["body", "content_base64"]


def test_a_failure_half_way_through_the_apply_leaves_the_catalog_as_it_was(
    hub_runtime: HubRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_catalog(hub_runtime)
    feed_before = _feed_count(hub_runtime)
    real = transfer_apply.service.update_service
    calls: list[str] = []

    def failing(**kwargs: Any) -> Any:
        calls.append(kwargs["service_id"])
        if len(calls) == 2:  # the second change: the first one is already flushed
            raise RuleViolation("Fallo simulado.", code="simulated")
        return real(**kwargs)

    monkeypatch.setattr(transfer_apply.service, "update_service", failing)
    content = csv_file([row("HEM-001", price="50.00"), row("BIO-010", price="20.00")])
    with pytest.raises(InvalidInput) as refused:
        _apply(hub_runtime, content)
    assert refused.value.code == "simulated" and "Fila 3 (BIO-010)" in refused.value.msg
    assert len(calls) == 2
    hem = service_by_code(hub_runtime, "HEM-001")
    assert hem is not None and (hem.price_cents, hem.catalog_version) == (3500, 1)
    assert [p[0] for p in prices_of(hub_runtime, "HEM-001")] == [3500]
    assert _feed_count(hub_runtime) == feed_before
