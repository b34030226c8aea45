"""A rejected tube and its recollection across real processes: ``labred edge serve`` over HTTP.

Reception sells and draws the tubes; the laboratory technician rejects one (hemolysed); the
replacement is drawn and its label printed (only its own label, no reprint reason); the order
keeps its status and the rows (both samples, the audit event) wait in the outbox.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
import pytest

from domain.barcode import parse_sample_barcode
from domain.catalog_data import catalog_id_for
from domain.permissions import Role
from edge.runtime import EdgeRuntime
from edge.settings import load_edge_settings
from tests.edge.factories import make_user
from tests.procs import bearer, init_edge, open_cash_and_register, serving_edge

PASSWORD = "clave-del-proceso-retoma"


def _login(http: httpx.Client, username: str) -> dict[str, str]:
    return bearer(http, username, PASSWORD)


@pytest.mark.slow
def test_sell_take_reject_retake_and_print_over_http(tmp_path: Path) -> None:
    data = init_edge(tmp_path / "edge", PASSWORD)
    rt = EdgeRuntime.open(load_edge_settings(data, None))
    make_user(rt, Role.RECEPCIONISTA, username="rocio", password=PASSWORD)
    make_user(rt, Role.LABORATORISTA, username="lucho", password=PASSWORD)
    rt.engine.dispose()

    with serving_edge(data, log=tmp_path / "edge.log") as edge:
        with httpx.Client(base_url=edge.url, timeout=10) as http:
            clerk, lab = _login(http, "rocio"), _login(http, "lucho")
            patient = {"doc_type": "1", "doc_number": "41234568", "first_names": "JUANA",
                       "last_names": "MAMANI CCORI"}  # fmt: skip
            patient_id = open_cash_and_register(http, patient, headers=clerk)
            items = [catalog_id_for("service", "PAN-LIP"), catalog_id_for("service", "HEM-001")]
            r = http.post(
                "/api/orders", json={"patient_id": patient_id, "items": items}, headers=clerk
            )
            assert r.status_code == 201, r.text
            order = r.json()
            pay = {"payments": [{"method": "yape", "amount": order["balance"],
                                 "reference": "OP123456"}]}  # fmt: skip
            r = http.post(f"/api/orders/{order['id']}/payments", json=pay, headers=clerk)
            assert r.status_code == 201, r.text
            paid = r.json()

            samples = http.get(f"/api/orders/{order['id']}/samples", headers=clerk).json()
            assert samples["recollection_pending"] is False
            tubes = samples["items"]
            labels = http.get(f"/api/orders/{order['id']}/labels?format=zpl", headers=clerk)
            assert labels.status_code == 200 and labels.text.count("^XA") == len(tubes)
            for tube in tubes:
                r = http.post(f"/api/samples/{tube['id']}/take", headers=clerk)
                assert r.status_code == 200, r.text

            victim = tubes[0]
            body = {"reason": "hemolizada", "note": "Suero rosado tras centrifugar"}
            r = http.post(f"/api/samples/{victim['id']}/reject", json=body, headers=lab)
            assert r.status_code == 200, r.text
            replacement = r.json()["replacement"]
            assert replacement["replaces_id"] == victim["id"]
            assert parse_sample_barcode(replacement["barcode"]).seq == len(tubes) + 1
            twice = http.post(f"/api/samples/{victim['id']}/reject", json=body, headers=lab)
            assert twice.status_code == 409
            assert twice.json()["detail"][0]["type"] == "sample_already_rejected"

            listing = http.get(f"/api/orders/{order['id']}/samples", headers=clerk).json()
            assert listing["recollection_pending"] is True
            r = http.post(f"/api/samples/{replacement['id']}/take", headers=clerk)
            assert r.status_code == 200 and r.json()["status"] == "tomada"

            retoma = http.get(f"/api/orders/{order['id']}/labels?format=zpl", headers=clerk)
            assert retoma.status_code == 200, retoma.text
            assert re.findall(r"\^FD(S01\d+)\^FS", retoma.text) == [replacement["barcode"]]
            pdf = http.get(
                f"/api/orders/{order['id']}/labels",
                params={"sample_id": replacement["id"], "reason": "Etiqueta arrugada"},
                headers=lab,
            )
            assert pdf.status_code == 403  # a reprint needs label.reprint (not a technician's)

            final = http.get(f"/api/orders/{order['id']}/samples", headers=clerk).json()
            assert final["recollection_pending"] is False
            assert sorted(s["status"] for s in final["items"]) == sorted(
                ["rechazada"] + ["tomada"] * len(tubes)
            )
            after = http.get(f"/api/orders/{order['id']}", headers=clerk).json()
            assert after["status"] == "muestra_tomada"
            assert (after["paid_total"], after["balance"]) == (paid["paid_total"], "0.00")

    conn = sqlite3.connect(data / "edge.sqlite3")
    try:
        sampled = {
            r[0]
            for r in conn.execute(
                "SELECT record_id FROM sync_outbox WHERE record_type = 'sample'"
            ).fetchall()
        }
        audits = conn.execute(
            "SELECT record_id FROM audit_event WHERE action = 'sample.reject'"
        ).fetchall()
        row = conn.execute(
            "SELECT status, reject_reason, replaced_by_id FROM sample WHERE id = ?",
            (victim["id"],),
        ).fetchone()
    finally:
        conn.close()
    assert {victim["id"], replacement["id"]} <= sampled
    assert audits == [(victim["id"],)]
    assert row == ("rechazada", "hemolizada", replacement["id"])
