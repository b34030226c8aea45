"""Real processes (``labred hub serve`` with its PostgreSQL, ``labred edge serve`` / ``worker``):
an admin exports the catalog over HTTP, raises every price by S/ 1.00 in the file, previews and
applies it; the sede's worker pulls every new price through the change feed, and importing the
same file again changes nothing."""

from __future__ import annotations

import base64
import contextlib
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from tests.sync.cluster import Cluster, wait_for

pytestmark = pytest.mark.slow


def _raised(exported: bytes) -> tuple[bytes, dict[str, int]]:
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    price = rows[0].index("Precio (S/)")
    wanted: dict[str, int] = {}
    for r in rows[1:]:
        new = Decimal(r[price]) + 1
        r[price] = f"{new:.2f}".replace(".", ",")  # as typed in es-PE, decimal comma
        wanted[r[0]] = int(new * 100)
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    return out.getvalue().encode("utf-8"), wanted


def test_an_imported_price_list_reaches_the_running_sede(tmp_path: Path) -> None:
    c = Cluster(tmp_path, edges=1)
    c.setup()
    (edge,) = c.edges

    def edge_prices() -> dict[str, int]:
        with contextlib.closing(edge.db()) as db:
            rows = db.execute("SELECT code, price_cents FROM catalog_service").fetchall()
        return {str(code): int(cents) for code, cents in rows}

    try:
        c.start_hub()
        c.enrol_and_serve()
        c.start_worker(edge)
        wait_for("the catalog at the sede", lambda: edge_prices().get("HEM-001") == 3500, 60)
        with contextlib.closing(c.hub_admin()) as admin:
            exported = admin.get("/api/catalog/export", params={"format": "csv"})
            assert exported.status_code == 200, exported.text
            content, wanted = _raised(exported.content)
            body = {"filename": "tarifario.csv",
                    "content_base64": base64.b64encode(content).decode()}  # fmt: skip
            preview = admin.post("/api/catalog/import/preview", json=body)
            assert preview.status_code == 200, preview.text
            assert preview.json()["counts"]["price"] == len(wanted) > 20
            assert preview.json()["errors"] == []
            applied = admin.post(
                "/api/catalog/import/apply", json=body | {"reason": "Tarifario 2027"}
            )
            assert applied.status_code == 200, applied.text
            assert applied.json()["applied"] is True
            again = admin.post("/api/catalog/import/apply", json=body | {"reason": "Otra vez"})
            assert again.status_code == 200 and again.json()["applied"] is False
        wait_for("every new price at the sede", lambda: edge_prices() == wanted, 90)
    finally:
        c.stop()
