"""The sede's part of the business day (tests/e2e/test_business_day.py): the receptionist's
morning, the laboratorista, the worker's documents at the SUNAT simulator, the evening's cash."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from sandbox.daygen import denominations_for
from tests.e2e.day_book import (
    CONSENTED,
    EXPENSE,
    FLOAT,
    RUC,
    SHORT,
    THRESHOLD,
    UNCONSENTED,
    Book,
    D,
    assert_figures,
    ok,
)
from tests.e2e.day_processes import Day, dump, until
from tests.pdftext import page_text


# -- the receptionist's morning ----------------------------------------------------------------
def morning(
    day: Day, book: Book, rec: httpx.Client, sup: httpx.Client, svc: dict[str, Any]
) -> None:
    session = ok(rec.post("/api/cash/sessions", json={"opening_float": f"{FLOAT}"}), 201)
    assert session["business_date"] == day.business_date.isoformat()
    assert D(session["opening_float"]) == FLOAT
    book.ids["session"] = session["id"]
    n = iter(range(10_000_000, 99_999_999, 1_234_567))

    def patient(email: str | None = None, consent: bool = False) -> str:
        body = {
            "doc_type": "1",
            "doc_number": str(next(n)),
            "first_names": "ANA",
            "last_names": "TORRES RAMOS",
            "sex": "F",
        } | ({"email": email} if email else {})
        pid = str(ok(rec.post("/api/patients", json=body), 201)["id"])
        if consent:
            ok(
                rec.post(
                    f"/api/patients/{pid}/consents",
                    json={
                        "kind": "contacto_email",
                        "granted": True,
                        "version": "2026-01",
                        "channel": "presencial",
                    },
                ),
                201,
            )
        return pid

    def sell(
        label: str,
        codes: list[str],
        pays: list[tuple[str, str, str | None]],
        *,
        pid: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "patient_id": pid or patient(),
            "items": [svc[c]["id"] for c in codes],
        } | extra
        body["payments"] = [
            {"method": m, "amount": a}
            | ({"tendered": t} if m == "efectivo" and t else {})
            | ({"reference": t or f"OP-{label}"} if m != "efectivo" else {})
            for m, a, t in pays
        ]
        order = ok(rec.post("/api/orders", json=body), 201)
        for m, a, _ in pays:
            book.pay(label, m, D(a))
        book.ids[label] = order["id"]
        book.numbers[label] = order["number"]
        book.orders[label]["patient"] = body["patient_id"]
        exp = book.orders[label]
        got = {
            k: D(order[k])
            for k in (
                "subtotal",
                "discount_total",
                "total",
                "covered_total",
                "paid_total",
                "balance",
            )
        }
        assert got == {
            "subtotal": exp["subtotal"],
            "discount_total": exp["discount"],
            "total": exp["total"],
            "covered_total": exp["covered"],
            "paid_total": exp["paid"],
            "balance": exp["total"] - exp["covered"] - exp["paid"],
        }, dump(order)
        return order

    # F first, the day's first document: a factura to a company that SUNAT rejects on purpose
    # (the simulator's next answer); once rejected, F2's answer is lost after SUNAT took it
    day.faults(reject=1, reject_code="2800")
    customer = {"doc_type": "6", "doc_number": RUC[0], "name": RUC[1], "address": "LIMA"}
    book.order("F", ["PAN-TIR"])
    sell(
        "F",
        ["PAN-TIR"],
        [("transferencia", "65.00", "TRF-0001")],
        document_type="01",
        customer=customer,
    )
    settle(day, rec)
    # F2: another factura whose answer is lost after SUNAT took it: retried, one number
    day.faults(drop_after_accept=1)
    book.order("F2", ["PAN-REN"])
    sell(
        "F2", ["PAN-REN"], [("tarjeta", "25.00", "VOU-0002")], document_type="01", customer=customer
    )
    # K: paid now, cancelled later once its boleta is accepted (a nota de crédito)
    book.order("K", ["HEM-002"])
    sell("K", ["HEM-002"], [("efectivo", "15.00", "20.00")])
    # A: cash with change, a new patient who consents to e-mail
    book.order("A", ["BIO-010", "HEM-001"])
    a = sell(
        "A",
        ["BIO-010", "HEM-001"],
        [("efectivo", "47.50", "50.00")],
        pid=patient(CONSENTED, consent=True),
    )
    assert D(a["change"]) == D("2.50")
    # B: card (the patient left an e-mail but gave no consent); C: Yape
    book.order("B", ["HOR-001"])
    sell("B", ["HOR-001"], [("tarjeta", "38.00", "VOU-0001")], pid=patient(UNCONSENTED))
    book.order("C", ["INM-001"])
    sell("C", ["INM-001"], [("yape", "30.00", "YP-0001")])
    # D: split, Yape and cash
    book.order("D", ["MIC-001", "URI-001"])
    d = sell("D", ["MIC-001", "URI-001"], [("yape", "30.00", None), ("efectivo", "40.00", "50.00")])
    assert D(d["change"]) == D("10.00")
    # E: a panel: its tests come as lines at 0 under it
    book.order("E", ["PAN-LIP"])
    e = sell("E", ["PAN-LIP"], [("efectivo", "55.00", "100.00")])
    panel = [i for i in e["items"] if i["parent_item_id"] is None]
    children = [i for i in e["items"] if i["parent_item_id"] is not None]
    assert len(panel) == 1 and len(children) == len(svc["PAN-LIP"]["panel_services"]) == 4
    assert all(D(i["line_total"]) == 0 for i in children)
    # G: under the SALUD PLUS convenio (80 %): glucosa at its list price 10.00 is covered,
    # creatinina is not on its list; the patient pays 16.00 in cash
    convenio = next(c for c in ok(rec.get("/api/catalog/convenios")) if c["ruc"] == "20503123453")
    book.order("G", ["BIO-010", "BIO-030"], covered=D("8.00"), prices={"BIO-010": D("10.00")})
    sell("G", ["BIO-010", "BIO-030"], [("efectivo", "16.00", "20.00")], convenio_id=convenio["id"])
    # H: 20 % off needs a supervisor: refused without one, then approved at the counter
    discount = {"kind": "percent", "value": "20", "reason": "Campaña de prevención"}
    refused = rec.post(
        "/api/orders",
        json={"patient_id": patient(), "discount": discount, "items": [svc["BIO-011"]["id"]]},
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["type"] == (
        "discount_needs_approval"
    ), refused.text
    book.order("H", ["BIO-011", "BIO-040"], discount=D("12.20"))
    h = sell(
        "H",
        ["BIO-011", "BIO-040"],
        [("tarjeta", "48.80", "VOU-0003")],
        discount=discount
        | {"approver_username": "supervisor.s01", "approver_password": "labred-demo"},
    )
    assert h["discount_approved_by"], dump(h)
    # I: a partial payment now (no document yet), the rest later by Yape (then the boleta)
    book.order("I", ["BIO-011", "HOR-002"])
    sell("I", ["BIO-011", "HOR-002"], [("efectivo", "40.00", "40.00")])
    assert ok(rec.get(f"/api/billing/by-order/{book.ids['I']}"))["count"] == 0
    ok(
        rec.post(
            f"/api/orders/{book.ids['I']}/payments",
            json={"payments": [{"method": "yape", "amount": "43.00", "reference": "YP-0002"}]},
        )
    )
    book.pay("I", "yape", D("43.00"))
    # J: an unpaid order, cancelled
    book.order("J", ["HEM-003"])
    sell("J", ["HEM-003"], [])
    until("K's boleta accepted", lambda: accepted(rec, book.ids["K"]))
    for label in ("J", "K"):
        cancelled = ok(
            sup.post(
                f"/api/orders/{book.ids[label]}/cancel", json={"reason": "El paciente desistió"}
            )
        )
        assert cancelled["status"] == "anulada"
        book.orders[label]["status"] = "anulada"
    refunds = [p for p in cancelled["payments"] if D(p["amount"]) < 0]
    assert [(p["method"], D(p["amount"])) for p in refunds] == [("efectivo", D("-15.00"))]
    book.payments.append(("efectivo", D("-15.00")))
    # documents the counter caused: a boleta per paid order (patient part), the facturas, the NC
    for label in ("A", "B", "C", "D", "E", "G", "H", "I", "K"):
        o = book.orders[label]
        book.documents.append(("03", "aceptado", o["total"] - o["covered"]))
    book.documents += [
        ("01", "rechazado", D("65.00")),
        ("01", "aceptado", D("25.00")),
        ("07", "aceptado", D("15.00")),
    ]


def accepted(client: httpx.Client, order_id: str) -> bool:
    docs = client.get(f"/api/billing/by-order/{order_id}").json()["items"]
    return bool(docs) and all(d["state"] == "aceptado" for d in docs)


def settle(day: Day, client: httpx.Client) -> list[dict[str, Any]]:
    """Every document of the sede with a final SUNAT answer (the worker at work)."""

    def done() -> list[dict[str, Any]] | None:
        items = client.get("/api/billing", params={"page_size": 100}).json()["items"]
        final = ("aceptado", "observado", "rechazado", "anulado")
        return items if all(d["state"] in final for d in items) else None

    return list(until("SUNAT's answers", done, timeout=40))


# -- the laboratorista ---------------------------------------------------------------------------
def laboratory(day: Day, book: Book, rec: httpx.Client, lab: httpx.Client) -> None:
    live = [k for k, o in book.orders.items() if o["status"] != "anulada"]
    a = book.ids["A"]
    tubes = ok(lab.get(f"/api/orders/{a}/samples"))["items"]
    first = ok(lab.post(f"/api/samples/{tubes[0]['id']}/take"))
    rejected = ok(
        lab.post(
            f"/api/samples/{first['id']}/reject",
            json={"reason": "hemolizada", "note": "Tubo hemolizado"},
        )
    )
    assert rejected["rejected"]["status"] == "rechazada"
    assert rejected["replacement"]["status"] == "pendiente"
    book.extra_samples += 1
    for label in live:
        for s in ok(lab.get(f"/api/orders/{book.ids[label]}/samples"))["items"]:
            if s["status"] == "pendiente":
                ok(lab.post(f"/api/samples/{s['id']}/take"))

    def all_ready() -> bool:
        states = [ok(rec.get(f"/api/orders/{book.ids[k]}"))["status"] for k in live]
        return all(s == "resultados_listos" for s in states)

    until("every order's results", all_ready, timeout=40)
    for label in ("A", "B"):
        ok(rec.put(f"/api/orders/{book.ids[label]}/status", json={"status": "entregada"}))
        book.orders[label]["status"] = "entregada"
    for label in live:
        if book.orders[label]["status"] == "registrada":
            book.orders[label]["status"] = "resultados_listos"
    results = ok(lab.get(f"/api/orders/{a}/results"))
    assert results["complete"] and sorted(t["service_code"] for t in results["tests"]) == sorted(
        book.orders["A"]["codes"]
    ), dump(results)
    history = [h["to_status"] for h in ok(rec.get(f"/api/orders/{a}"))["status_history"]]
    assert history == [
        "registrada",
        "muestra_tomada",
        "enviada_laboratorio",
        "resultados_listos",
        "entregada",
    ]


# -- the worker and SUNAT --------------------------------------------------------------------------
def documents(day: Day, book: Book, rec: httpx.Client) -> None:
    docs = settle(day, rec)
    got = Counter((d["doc_type"], d["state"]) for d in docs)
    want = Counter((t, s) for t, s, _ in book.documents)
    assert got == want, dump(docs)
    got_totals = sorted((d["doc_type"], D(d["total"])) for d in docs)
    assert got_totals == sorted((t, total) for t, _, total in book.documents)
    label_of = {order_id: label for label, order_id in book.ids.items()}
    for d in docs:
        if d["doc_type"] in ("01", "03"):
            book.document_of[label_of[d["order_id"]]] = d["full_number"]
    rejected = [d for d in docs if d["state"] == "rechazado"]
    assert [d["sunat_code"] for d in rejected] == ["2800"], dump(rejected)
    facturas = sorted(d["number"] for d in docs if d["doc_type"] == "01")
    assert facturas == [1, 2]  # the lost answer kept its number: no new one issued
    sim = {
        d["filename"]: d
        for d in httpx.get(f"{day.sunat_url}/_sim/documents", timeout=10).json()["documents"]
    }
    ruc = "20100070970"
    twice = sim[f"{ruc}-01-{book.document_of['F2']}"]
    f2 = next(d for d in docs if d["full_number"] == book.document_of["F2"])
    # the answer was lost: the retry asked SUNAT (getStatusCdr) instead of sending it again
    assert (twice["status"], twice["sends"], f2["attempts"]) == ("aceptado", 1, 2), (twice, f2)
    assert sim[f"{ruc}-01-{book.document_of['F']}"]["status"] == "rechazado"
    assert len(sim) == len(docs)  # nothing else reached SUNAT
    folder = day.edge_dir / "documents" / day.business_date.isoformat()
    for d in docs:
        for fmt in ("a4", "ticket"):  # what the counter printed, with the document's figures
            printed = rec.get(f"/api/billing/{d['id']}/pdf", params={"format": fmt})
            assert printed.status_code == 200, printed.text
            text = " ".join(page_text(printed.content).split())
            assert d["full_number"] in text and d["total"] in text, (fmt, d["full_number"], text)
        assert (day.edge_dir / d["xml_path"]).is_file(), d["xml_path"]
        assert d["cdr_path"] and (day.edge_dir / d["cdr_path"]).is_file(), dump(d)
        assert (day.edge_dir / d["xml_path"]).parent == folder
        assert (day.edge_dir / d["cdr_path"]).parent == folder


# -- the receptionist's evening ------------------------------------------------------------------
def evening(day: Day, book: Book, rec: httpx.Client, sup: httpx.Client) -> None:
    sid = book.ids["session"]
    ok(
        rec.post(
            f"/api/cash/sessions/{sid}/movements",
            json={"kind": "egreso", "amount": f"{EXPENSE}", "reason": "Compra de agua"},
        ),
        201,
    )
    methods = book.by_method()
    cash_expected = FLOAT + methods["efectivo"][1] - EXPENSE
    declared = {
        m: f"{methods.get(m, (0, D(0)))[1]}" for m in ("tarjeta", "yape", "plin", "transferencia")
    }
    count = ok(
        rec.post(
            f"/api/cash/sessions/{sid}/count",
            json={"denominations": denominations_for(cash_expected - SHORT), "declared": declared},
        ),
        201,
    )
    lines = {ln["method"]: ln for ln in count["lines"]}
    assert D(lines["efectivo"]["expected"]) == cash_expected, dump(count)
    assert D(lines["efectivo"]["difference"]) == -SHORT
    assert count["needs_approval"] is True and D(count["threshold"]) == THRESHOLD, dump(count)
    refused = rec.post(f"/api/cash/sessions/{sid}/close", json={})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["msg"] == (
        f"El faltante de S/ {SHORT} supera el límite de S/ {THRESHOLD}; se requiere la"
        " aprobación de un supervisor."
    )
    approval = {"username": "supervisor.s01", "password": "labred-demo"}
    closed = ok(
        rec.post(
            f"/api/cash/sessions/{sid}/close", json={"note": "Faltan S/ 5.00", "approval": approval}
        )
    )
    assert (
        D(closed["session"]["difference"]) == -SHORT and closed["session"]["difference_approved_by"]
    ), dump(closed)
    seal = ok(sup.post("/api/cash/day/close", json={"date": None}), 201)
    assert seal["sealed"] and seal["status"] == "sellado"
    book.seal = seal["figures"]
    assert_figures(book, seal["figures"], cash_expected)
    assert (
        ok(sup.get(f"/api/cash/day/{day.business_date.isoformat()}"))["figures"] == seal["figures"]
    )
    summary = ok(sup.get(f"/api/cash/sessions/{sid}"))["summary"]
    sales: dict[str, tuple[int, str]] = {}
    for m, a in book.payments:
        if a > 0:
            n, t = sales.get(m, (0, "0"))
            sales[m] = (n + 1, f"{D(t) + a:.2f}")
    assert {x["method"]: (x["count"], x["total"]) for x in summary["sales"]} == sales
    assert [(x["method"], x["total"]) for x in summary["refunds"]] == [("efectivo", "-15.00")]
    assert (summary["egresos"], summary["ingresos"]) == (f"{EXPENSE}", "0.00")
    assert [c["order_number"] for c in summary["cancellations"]] == [book.numbers["K"]]
    assert [(n["total"]) for n in summary["credit_notes"]] == ["15.00"]
