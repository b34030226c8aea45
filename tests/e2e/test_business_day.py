"""One whole business day at sede S01 and on the hub, on real processes (day_processes.py).

The receptionist opens the drawer and sells (cash with change, card, Yape, split, a panel, two
facturas, a convenio, a supervised discount, a partial payment paid later), the supervisor
cancels an unpaid and a paid order; the laboratorista rejects a tube and draws it again; the lab
stand-in sends results; the worker sends every document to the SUNAT simulator (one rejected on
purpose, one whose answer is lost and is asked for again); in the evening an expense goes out,
the blind count is S/ 5.00 short, the drawer and the day close (day_sede.py). The hub receives it
all, its reconciliation finds exactly the two discrepancies caused, the supervisor reads and
exports the closure, reopens it, and the admin runs it again; the tablero adds up to what was
sold; the patient who consented hears by e-mail, the other does not; every critical action is
audited. Every expected figure is computed from the actions (day_book.py), never read back.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from domain.ids import sede_id_for
from tests.e2e.day_book import CONSENTED, THRESHOLD, UNCONSENTED, Book, D, ok
from tests.e2e.day_processes import Day, business_day, dump, sede_threshold, until
from tests.e2e.day_sede import documents, evening, laboratory, morning
from tests.pdftext import page_text

pytestmark = pytest.mark.slow


def test_one_business_day_across_the_sede_and_the_hub(tmp_path: Path) -> None:
    started = time.monotonic()
    with business_day(tmp_path / "day") as day:
        hub_admin = day.hub("admin")
        sede_id = sede_id_for("S01")
        # The chain's admin tightens S01's cash tolerance to S/ 2.00 before the day starts.
        ok(
            hub_admin.put(
                f"/api/config/locations/{sede_id}",
                json={"cash_difference_threshold": f"{THRESHOLD}"},
            )
        )
        until("the new threshold at the sede", lambda: sede_threshold(day) == THRESHOLD)
        rec, sup, lab = (
            day.edge("recepcion.s01"),
            day.edge("supervisor.s01"),
            day.edge("laboratorio"),
        )
        catalog = ok(rec.get("/api/catalog/services/active"))["items"]
        svc = {s["code"]: s for s in catalog}
        book = Book(
            {c: D(s["price"]) for c, s in svc.items()},
            {c: (s["sample_type"], s["tube"]) for c, s in svc.items()},
        )
        phases = [
            *day.start_up,
            ("first calls", time.monotonic() - started - sum(t for _, t in day.start_up)),
        ]
        for name, step in (
            ("morning", lambda: morning(day, book, rec, sup, svc)),
            ("laboratory", lambda: laboratory(day, book, rec, lab)),
            ("documents", lambda: documents(day, book, rec)),
            ("evening", lambda: evening(day, book, rec, sup)),
            ("hub", lambda: hub(day, book, hub_admin, sede_id)),
            ("notifications", lambda: notifications(day, book, hub_admin)),
            ("audits", lambda: audits(day, book, sup, hub_admin)),
        ):
            t0 = time.monotonic()
            step()
            phases.append((name, time.monotonic() - t0))
    elapsed = time.monotonic() - started
    played = elapsed - sum(t for _, t in day.start_up)
    print(  # noqa: T201
        f"\nbusiness day in {elapsed:.1f} s ({played:.1f} s after start-up):",
        ", ".join(f"{n} {t:.1f}" for n, t in phases),
    )
    # Start-up (three set-up commands, eight processes) is the demo harness's, and grows with
    # the machine's load; the day itself, on processes already up, must stay well under 60 s.
    assert played < 40, phases


# -- the hub ---------------------------------------------------------------------------------------
def hub(day: Day, book: Book, admin: httpx.Client, sede_id: str) -> None:
    sup_edge = day.edge("supervisor.s01")

    def synced() -> bool:
        st = sup_edge.get("/api/sync/status").json()
        return st["backlog"] == 0 and not st["deferred"] and not st["parked"]

    until("the sede's records at the hub", synced, timeout=40)
    run = {"sede_id": sede_id, "date": day.business_date.isoformat()}
    closure = ok(admin.post("/api/reconciliation/execute", json=run))
    kinds = sorted(d["kind"] for d in closure["discrepancies"])
    assert kinds == ["cash_short", "document_rejected"], dump(closure["discrepancies"])
    assert closure["status"] == "with_discrepancies"
    for section in ("orders", "payments", "invoices", "cash_sessions", "samples"):
        assert closure["seal_figures"][section] == book.seal[section], section
        got = {k: v for k, v in closure["figures"][section].items() if k in book.seal[section]}
        assert got == book.seal[section], (section, dump(closure["figures"]))
    # the supervisor reads it on the dashboard and exports it
    sup = day.hub("supervisor.s01")
    page = sup.get("/panel/cierres")
    assert page.status_code == 200 and "Cierres" in page.text
    listed = ok(
        sup.get("/api/reconciliation/closures", params={"from": run["date"], "to": run["date"]})
    )["items"]
    assert [c["id"] for c in listed if c["business_date"] == run["date"]] == [closure["id"]]
    xlsx = sup.get(
        f"/api/reconciliation/closures/{closure['id']}/export", params={"format": "xlsx"}
    )
    assert xlsx.status_code == 200, xlsx.text
    book_xlsx = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cells = " ".join(
        str(c)
        for ws in book_xlsx
        for row in ws.iter_rows(values_only=True)
        for c in row
        if c is not None
    )
    pdf = sup.get(f"/api/reconciliation/closures/{closure['id']}/export", params={"format": "pdf"})
    assert pdf.status_code == 200, pdf.text
    text = " ".join(page_text(pdf.content).split())
    for d in closure["discrepancies"]:
        assert d["message"] in cells, (d["message"], cells)
        assert d["message"] in text, (d["message"], text)  # whole: a cell wraps, never cut
    reopened = ok(
        sup.post(
            f"/api/reconciliation/closures/{closure['id']}/reopen",
            json={"reason": "Revisar el faltante de caja con la cajera"},
        )
    )
    assert reopened["status"] == "reopened"
    again = ok(admin.post("/api/reconciliation/execute", json=run))
    assert again["id"] == closure["id"] and again["status"] == "with_discrepancies"
    assert (again["runs"], again["reopen_count"]) == (2, 1), dump(again)

    def at_the_sede() -> list[dict[str, Any]]:
        items = sup_edge.get("/api/closures").json()["items"]
        return [
            c
            for c in items
            if c["business_date"] == run["date"]
            and c["status"] == "with_discrepancies"
            and c["reopen_count"] == 1
        ]

    seen = until("the closure at the sede", at_the_sede, timeout=20)
    assert sorted(d["kind"] for d in seen[0]["discrepancies"]) == kinds
    assert sorted(d["kind"] for d in again["discrepancies"]) == kinds
    # the convenio's part of G is owed by SALUD PLUS, not yet invoiced (monthly factura)
    convenio = next(
        c for c in ok(admin.get("/api/convenios"))["items"] if c["ruc"] == "20503123453"
    )
    balance = ok(admin.get(f"/api/convenios/{convenio['id']}/balance"))
    owed = f"{book.orders['G']['covered']:.2f}"
    assert [
        (s["sede_code"], s["orders"], s["covered"], s["not_invoiced"]) for s in balance["sedes"]
    ] == [("S01", 1, owed, owed)], dump(balance)
    # the tablero of that day adds up to what was sold
    live = [o for o in book.orders.values() if o["status"] != "anulada"]
    cancelled = [o for o in book.orders.values() if o["status"] == "anulada"]
    board = ok(sup.get("/api/reports/dashboard", params={"from": run["date"], "to": run["date"]}))
    want = {
        "orders": len(live),
        "registered_orders": len(book.orders),
        "sales": f"{sum((o['total'] for o in live), D(0)):.2f}",
        "discounts": f"{sum((o['discount'] for o in live), D(0)):.2f}",
        "covered": f"{sum((o['covered'] for o in live), D(0)):.2f}",
        "cancelled_orders": len(book.orders) - len(live),
        "cancelled_amount": f"{sum((o['total'] for o in cancelled), D(0)):.2f}",
        "payments_total": f"{sum((a for _, a in book.payments), D(0)):.2f}",
        "refunds_total": f"{-sum((a for _, a in book.payments if a < 0), D(0)):.2f}",
        "new_patients": len({o["patient"] for o in live}),  # first seen buying that day
    }
    assert {k: board[k] for k in want} == want, dump(board)
    methods = {m: (n, f"{t:.2f}") for m, (n, t) in book.by_method().items()}
    assert {p["method"]: (p["payments"], p["amount"]) for p in board["payment_methods"]} == methods
    docs = Counter((t, s) for t, s, _ in book.documents)
    assert {
        (d["doc_type"], d["state"]): d["documents"] for d in board["documents"] if d["documents"]
    } == dict(docs), dump(board["documents"])


# -- notifications ---------------------------------------------------------------------------------
def notifications(day: Day, book: Book, admin: httpx.Client) -> None:
    """The patient who consented hears of the order, the boleta and the results (SMTP stand-in);
    the one who left an e-mail without consent gets nothing, the hub says why."""
    a = book.numbers["A"]
    results = f"Sus resultados de la orden {a} están listos"

    def results_mail() -> bool:
        return any(m["Subject"] == results for m in day.smtp.messages)

    until("the results e-mail", results_mail, timeout=30)
    to_patients = sorted(
        (str(m["To"]), str(m["Subject"]).split(" — ")[0])
        for m in day.smtp.messages
        if "Conciliación" not in str(m["Subject"])
    )
    boleta = book.document_of["A"]
    assert to_patients == sorted(
        [
            (CONSENTED, f"Su orden {a} fue registrada"),
            (CONSENTED, f"Su comprobante {boleta}"),
            (CONSENTED, results),
        ]
    ), to_patients
    receipt = next(m for m in day.smtp.messages if str(m["Subject"]).startswith("Su comprobante"))
    files = sorted(str(part.get_filename()) for part in receipt.iter_attachments())
    name = f"20100070970-03-{boleta}"
    assert files == [f"{name}.xml", f"R-{name}.zip", f"boleta-{boleta}.pdf"], files
    body = receipt.get_body(preferencelist=("plain",))
    assert body is not None and f"S/ {book.orders['A']['total']:.2f}" in body.get_content()
    history = ok(admin.get("/api/notifications/history", params={"limit": 200}))["items"]
    skipped = sorted(n["event"] for n in history if n["recipient"] == UNCONSENTED)
    assert skipped == ["invoice_accepted", "order_created"], dump(history)
    assert {n["status"] for n in history if n["recipient"] == UNCONSENTED} == {"skipped"}

    def alerts() -> list[str]:
        return [str(m["Subject"]) for m in day.smtp.messages if "Conciliación" in str(m["Subject"])]

    subjects = until("the discrepancy alert e-mails", alerts, timeout=20)
    assert all(subject.endswith(": 2 discrepancia(s)") for subject in subjects), subjects


def audits(day: Day, book: Book, sup: httpx.Client, admin: httpx.Client) -> None:
    """Every critical action of the day left its audit event, once, at the sede and the hub."""
    events = ok(sup.get("/api/audit", params={"limit": 500}))["items"]
    got = Counter(e["action"] for e in events if e["action"] != "login")
    assert got == Counter(
        {
            "cash.open": 1,
            "cash.egreso": 1,
            "cash.difference_approved": 1,
            "cash.close": 1,
            "day.close": 1,
            "order.cancel": 2,
            "order.discount": 1,
            "sample.reject": 1,
        }
    ), got
    hub_events = ok(admin.get("/api/audit", params={"limit": 500}))["items"]
    hub_got = Counter(e["action"] for e in hub_events)
    assert hub_got["reconciliation.execute"] == 2 and hub_got["reconciliation.reopen"] == 1
    assert hub_got["sede.update"] == 1, hub_got
