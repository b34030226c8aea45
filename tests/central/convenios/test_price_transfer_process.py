"""Real processes (``labred hub serve`` with its PostgreSQL, ``labred edge serve`` / ``worker``):
an admin exports a convenio's price list over HTTP, fills it for the renewed contract (a price
for every test that had none, one changed, one emptied), previews and applies it; the sede's
worker pulls the convenio through the change feed and its SQLite holds the new list; importing
the same file again changes nothing."""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.sync.cluster import Cluster, wait_for

pytestmark = pytest.mark.slow
RUC = "20503123453"  # SALUD PLUS EPS S.A. of the demo seed


def _renewed(exported: bytes) -> tuple[bytes, dict[str, int]]:
    """Every test without a convenio price gets the public one minus S/ 1.00 (decimal comma);
    HEM-001 becomes S/ 29.00 and PAN-LIP's cell is emptied."""
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    public, agreed = rows[0].index("Precio público (S/)"), rows[0].index("Precio convenio (S/)")
    wanted: dict[str, int] = {}
    for r in rows[1:]:
        if r[0] == "HEM-001":
            r[agreed] = "S/ 29,00"
        elif r[0] == "PAN-LIP":
            r[agreed] = ""
        elif not r[agreed]:
            r[agreed] = f"{Decimal(r[public]) - 1:.2f}".replace(".", ",")
        if r[agreed]:
            wanted[r[0]] = int(Decimal(r[agreed].replace("S/ ", "").replace(",", ".")) * 100)
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)  # as Excel saves it in es-PE
    return out.getvalue().encode("utf-8"), wanted


def test_an_imported_convenio_price_list_reaches_the_running_sede(tmp_path: Path) -> None:
    c = Cluster(tmp_path, edges=1)
    c.setup()
    (edge,) = c.edges

    def edge_prices() -> dict[str, int]:
        with contextlib.closing(edge.db()) as db:
            codes = dict(db.execute("SELECT id, code FROM catalog_service").fetchall())
            found = db.execute("SELECT prices_cents FROM convenio WHERE ruc = ?", (RUC,)).fetchone()
        if found is None:
            return {}
        return {str(codes.get(k, k)): int(v) for k, v in json.loads(found[0]).items()}

    try:
        c.start_hub()
        c.enrol_and_serve()
        c.start_worker(edge)
        wait_for("the convenio at the sede", lambda: edge_prices().get("HEM-001") == 3000, 60)
        with contextlib.closing(c.hub_admin()) as admin:
            listed = admin.get("/api/convenios").json()["items"]
            (cid,) = [x["id"] for x in listed if x["ruc"] == RUC]
            base = f"/api/convenios/{cid}/prices"
            exported = admin.get(f"{base}/export", params={"format": "csv"})
            assert exported.status_code == 200, exported.text
            content, wanted = _renewed(exported.content)
            body = {"filename": "tarifario-2027.csv",
                    "content_base64": base64.b64encode(content).decode()}  # fmt: skip
            preview = admin.post(f"{base}/import/preview", json=body)
            assert preview.status_code == 200, preview.text
            counts = preview.json()["counts"]
            assert counts["changed"] == 1 and counts["removed"] == 1 and counts["errors"] == 0
            assert counts["added"] == len(wanted) - 2 > 20  # all but HEM-001 and BIO-010
            applied = admin.post(f"{base}/import/apply", json=body | {"note": "Renovación"})
            assert applied.status_code == 200, applied.text
            assert applied.json()["applied"] is True
            again = admin.post(f"{base}/import/apply", json=body)
            assert again.status_code == 200 and again.json()["applied"] is False
        wait_for("the new price list at the sede", lambda: edge_prices() == wanted, 90)
    finally:
        c.stop()
