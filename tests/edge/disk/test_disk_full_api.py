"""A full disk seen by the API (a real SQLITE_FULL from SQLite, see ``helpers.database_full``):
507 ``disk_full`` with a Spanish message, nothing half-saved, reads still answered, and
everything works again once there is room — in the same process, no restart."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from edge.billing import files
from edge.billing.missing_files import write_missing
from edge.runtime import EdgeRuntime
from tests.edge.disk.helpers import commits_fail, database_full, flushes_fail
from tests.edge.orders.helpers import count_rows, load_catalog, make_patient, seller, sid

TABLES = (
    "lab_order", "order_item", "payment", "invoice", "invoice_file", "sync_outbox", "patient",
    "cash_movement",
)  # fmt: skip


@pytest.fixture(autouse=True)
def demo_catalog(edge_runtime: EdgeRuntime) -> None:
    load_catalog(edge_runtime)


def _sale(patient_id: str) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "items": [sid("HEM-001")],
        "document_type": "03",
        "payments": [{"method": "efectivo", "amount": "35.00"}],
    }


def _counts(rt: EdgeRuntime) -> dict[str, int]:
    return {t: count_rows(rt, t) for t in TABLES}


def _refused(r: Any, said: str) -> None:
    assert r.status_code == 507, r.text
    (item,) = r.json()["detail"]
    assert item["type"] == "disk_full"
    assert item["msg"] == (
        f"El disco del equipo de la sede está lleno: no se guardó {said}. Avise al técnico."
    )


def test_writes_are_refused_with_507_and_leave_nothing_behind(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    rt = edge_runtime
    _, headers = seller(rt)
    patient = make_patient(rt)
    first = edge_client.post("/api/orders", json=_sale(patient.id), headers=headers)
    assert first.status_code == 201, first.text
    before = _counts(rt)
    new_patient = {"doc_type": "1", "doc_number": "41234567", "first_names": "LUIS",
                   "last_names": "QUISPE"}  # fmt: skip
    with database_full(rt):
        for _ in range(3):  # refused every time, never a 500
            r = edge_client.post("/api/orders", json=_sale(patient.id), headers=headers)
            _refused(r, "la venta")
        assert _counts(rt) == before  # rolled back: no order without its payment or outbox row
        # reads go on: the order, its document and the ticket already sold
        assert (
            edge_client.get(f"/api/orders/{first.json()['id']}", headers=headers).status_code == 200
        )
        docs = edge_client.get(f"/api/billing/by-order/{first.json()['id']}", headers=headers)
        assert docs.status_code == 200, docs.text
        (doc,) = docs.json()["items"]
        pdf = edge_client.get(f"/api/billing/{doc['id']}/pdf", headers=headers)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text
    # room again: the very same process sells, numbering goes on without a gap
    again = edge_client.post("/api/orders", json=_sale(patient.id), headers=headers)
    assert again.status_code == 201, again.text
    assert int(again.json()["number"][-4:]) == int(first.json()["number"][-4:]) + 1
    r = edge_client.post("/api/patients", json=new_patient, headers=headers)
    assert r.status_code == 201, r.text


def test_small_writes_refused_at_flush_say_what_was_not_saved(
    edge_client: TestClient, edge_runtime: EdgeRuntime
) -> None:
    """A patient or a cash movement fits in a page SQLite already has, so the capped database
    takes it; the error is injected where SQLite raises it (the flush) instead."""
    rt = edge_runtime
    _, headers = seller(rt)
    session_id = edge_client.get("/api/cash/sessions/current", headers=headers).json()["id"]
    before = _counts(rt)
    new_patient = {"doc_type": "1", "doc_number": "41234569", "first_names": "ROSA",
                   "last_names": "HUAMÁN"}  # fmt: skip
    movement = {"kind": "egreso", "amount": "5.00", "reason": "Útiles de limpieza"}
    with flushes_fail():
        _refused(
            edge_client.post("/api/patients", json=new_patient, headers=headers), "el paciente"
        )
        r = edge_client.post(
            f"/api/cash/sessions/{session_id}/movements", json=movement, headers=headers
        )
        _refused(r, "el movimiento de caja")
    assert _counts(rt) == before
    assert edge_client.post("/api/patients", json=new_patient, headers=headers).status_code == 201
    r = edge_client.post(
        f"/api/cash/sessions/{session_id}/movements", json=movement, headers=headers
    )
    assert r.status_code == 201, r.text


def test_other_database_errors_stay_500(
    edge_client: TestClient, edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from edge.patients import service

    def locked(**_kw: Any) -> Any:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(service, "create", locked)
    _, headers = seller(edge_runtime, cash=False)
    body = {"doc_type": "1", "doc_number": "41234568", "first_names": "A", "last_names": "B"}
    r = edge_client.post("/api/patients", json=body, headers=headers)
    assert r.status_code == 500 and r.json()["detail"][0]["type"] == "internal"


def test_a_sale_committed_when_its_xml_cannot_be_written_is_201_and_the_file_comes_later(
    edge_client: TestClient, edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the XML was written after the commit and ENOSPC there answered 500 for a sale
    that was committed (the receptionist would sell it again)."""
    rt = edge_runtime
    _, headers = seller(rt)
    real_write = files.write_atomic

    def no_space(path: Path, data: bytes, **_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(files, "write_atomic", no_space)
    r = edge_client.post("/api/orders", json=_sale(make_patient(rt).id), headers=headers)
    assert r.status_code == 201, r.text
    docs = edge_client.get(f"/api/billing/by-order/{r.json()['id']}", headers=headers).json()
    (doc,) = docs["items"]
    path = rt.settings.data_dir / doc["xml_path"]
    assert not path.exists()
    with rt.engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT content FROM invoice_file WHERE owner_id = ? AND kind = 'xml'", (doc["id"],)
        ).scalar_one()
    assert write_missing(rt) == 0  # still no space: nothing written, nothing raised
    monkeypatch.setattr(files, "write_atomic", real_write)
    assert write_missing(rt) == 1
    assert path.read_bytes() == stored
    assert write_missing(rt) == 0  # idle round


def test_health_and_header_status_say_the_disk_is_nearly_full(
    edge_client: TestClient, edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, headers = seller(edge_runtime, cash=False)
    real = os.statvfs
    free_mb = {"now": 150}

    def fake(path: Any) -> Any:
        st = real(path)

        class St:
            f_frsize = 4096
            f_bavail = free_mb["now"] * 256
            f_blocks = st.f_blocks

        return St()

    monkeypatch.setattr(os, "statvfs", fake)
    health = edge_client.get("/health").json()
    assert (health["status"], health["disk"], health["disk_free_mb"]) == ("ok", "bajo", 150)
    free_mb["now"] = 5
    assert edge_client.get("/health").json()["disk"] == "lleno"
    status = edge_client.get("/api/web/status", headers=headers).json()
    assert (status["disk"], status["disk_free_mb"]) == ("lleno", 5)
    free_mb["now"] = 5000
    assert edge_client.get("/health").json()["disk"] == "ok"


def test_every_write_operation_documents_507(edge_client: TestClient) -> None:
    paths = edge_client.get("/openapi.json").json()["paths"]
    writes = [
        (method, path, op)
        for path, item in paths.items()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert len(writes) > 20
    for method, path, op in writes:
        doc = op["responses"].get("507")
        assert doc, (method, path)
        assert doc["content"]["application/json"]["example"]["detail"][0]["type"] == "disk_full"
    assert "507" not in paths["/health"]["get"]["responses"]


def test_a_disk_io_error_with_room_left_is_503_disk_io_error(
    edge_client: TestClient, edge_runtime: EdgeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edge_runtime.settings, "disk_full_mb", 0)  # the test disk has room
    _, headers = seller(edge_runtime, cash=False)
    body = {"doc_type": "1", "doc_number": "41234571", "first_names": "A", "last_names": "B"}
    with commits_fail("disk I/O error"):
        r = edge_client.post("/api/patients", json=body, headers=headers)
    assert r.status_code == 503, r.text
    assert r.json()["detail"][0] == {
        "type": "disk_io_error",
        "msg": "Error de lectura o escritura en el disco del equipo de la sede: no se guardó "
        "el paciente. Avise al técnico.",
        "loc": [],
    }
    monkeypatch.setattr(edge_runtime.settings, "disk_full_mb", 10**9)  # ... and without room
    with commits_fail("disk I/O error"):
        r = edge_client.post("/api/patients", json=body, headers=headers)
    assert r.status_code == 507 and r.json()["detail"][0]["type"] == "disk_full"
