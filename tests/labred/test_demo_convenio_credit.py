"""The headless demo's rejected convenio credit note, below the processes: its invariants
(each one can fail), the choice of the order, the count of documents waiting for SUNAT, the gate
that holds the other sedes, and the cases where the round is skipped."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from labred.demo.checks import Report
from labred.demo.convenio_credit import (
    CreditGate,
    CreditRound,
    credit_checks,
    pick_order,
    play_round,
    print_credit,
    waiting_for_sunat,
)
from sandbox.daygen import SedeDay

FACTURA, REJECTED, AGAIN, ORDER = "fac-1", "nc-1", "nc-2", "ord-1"


def _edge(path: Path, **change: Any) -> Path:
    """A sede's SQLite as the round leaves it; ``change`` breaks one thing."""
    rows: dict[str, Any] = {
        "rejected": ("rechazado", "07", FACTURA),
        "again": ("aceptado", "07", FACTURA),
        "link": AGAIN,
        "audits": 1,
        "status": "anulada",
    } | change
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE invoice (id TEXT, state TEXT, note_reason TEXT, doc_type TEXT, "
        "reference_invoice_id TEXT, send_mode TEXT, series TEXT, number INTEGER);"
        "CREATE TABLE convenio_invoice_order (order_id TEXT, credit_note_id TEXT);"
        "CREATE TABLE audit_event (action TEXT, record_id TEXT);"
        "CREATE TABLE lab_order (id TEXT, status TEXT);"
    )
    db.execute("INSERT INTO invoice VALUES (?, 'aceptado', NULL, '01', NULL, 'bill', 'F002', 3)",
               (FACTURA,))  # fmt: skip
    for n, (nid, (state, reason, ref)) in enumerate(
        ((REJECTED, rows["rejected"]), (AGAIN, rows["again"])), start=1
    ):
        db.execute("INSERT INTO invoice VALUES (?, ?, ?, '07', ?, 'bill', 'FC02', ?)",
                   (nid, state, reason, ref, n))  # fmt: skip
    db.execute("INSERT INTO convenio_invoice_order VALUES (?, ?)", (ORDER, rows["link"]))
    for _ in range(rows["audits"]):
        db.execute("INSERT INTO audit_event VALUES ('convenio.credit_rejected', ?)", (ORDER,))
    db.execute("INSERT INTO lab_order VALUES (?, ?)", (ORDER, rows["status"]))
    db.commit()
    db.close()
    return path


def _round() -> CreditRound:
    return CreditRound(sede="S02", order_id=ORDER, order_number="S02-20261129-0004",
                       factura_id=FACTURA, factura="F002-3", rejected_id=REJECTED,
                       rejected="FC02-1", reissued_id=AGAIN, reissued="FC02-2")  # fmt: skip


def _closures(*kinds: str, ids: tuple[str, ...] = (REJECTED,)) -> list[dict[str, Any]]:
    found = [{"kind": k, "record_ids": list(ids)} for k in kinds]
    return [
        {"sede": "S02", "date": "2026-11-28", "discrepancies": []},
        {"sede": "S02", "date": "2026-11-29", "discrepancies": found},
        {"sede": "S01", "date": "2026-11-29", "discrepancies": []},
    ]


def _check(tmp_path: Path, at_hub: list[str | None] | None = None,
           closures: list[dict[str, Any]] | None = None, **change: Any) -> Report:  # fmt: skip
    report = Report()
    edges = {"S02": _edge(tmp_path / "edge.sqlite3", **change)}
    credit_checks(report, _round(), edges, [AGAIN] if at_hub is None else at_hub,
                  _closures("document_rejected") if closures is None else closures)  # fmt: skip
    return report


def test_a_played_round_holds_every_invariant(tmp_path: Path) -> None:
    report = _check(tmp_path)
    assert report.failures == []
    assert len(report.passed) == 4
    assert "rejected the NC 07 FC02-1" in report.passed[0]


@pytest.mark.parametrize(
    ("change", "broken"),
    [
        ({"rejected": ("aceptado", "07", FACTURA)}, "SUNAT rejected the NC 07"),
        ({"rejected": ("rechazado", "01", FACTURA)}, "SUNAT rejected the NC 07"),
        ({"again": ("rechazado", "07", FACTURA)}, "SUNAT rejected the NC 07"),
        ({"again": ("aceptado", "07", "other")}, "SUNAT rejected the NC 07"),
        ({"link": None}, "link names the accepted NC 07"),
        ({"link": REJECTED}, "link names the accepted NC 07"),
        ({"status": "pagada"}, "link names the accepted NC 07"),
        ({"at_hub": [None]}, "link names the accepted NC 07"),
        ({"at_hub": []}, "link names the accepted NC 07"),
        ({"audits": 0}, "audited once"),
        ({"audits": 2}, "audited once"),
        ({"closures": _closures()}, "reconciliation finds the rejected NC 07"),
        ({"closures": _closures("document_rejected", "cash_short")}, "reconciliation finds"),
        ({"closures": _closures("document_rejected", ids=(AGAIN,))}, "reconciliation finds"),
    ],
)
def test_each_invariant_can_fail(tmp_path: Path, change: dict[str, Any], broken: str) -> None:
    report = _check(tmp_path, **change)
    assert len(report.failures) == 1, report.failures
    assert broken in report.failures[0]


def test_a_skipped_round_checks_nothing_and_a_failed_one_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = Report()
    skipped = CreditRound(sede="S03", skipped="no fully covered convenio order on a factura")
    credit_checks(report, skipped, {}, [], [])
    assert (report.passed, report.failures) == ([], [])
    print_credit(skipped)
    assert capsys.readouterr().out.startswith("convenio credit note: skipped (no fully covered")
    failed = CreditRound(sede="S03", error="timed out after 90 s waiting for X")
    credit_checks(report, failed, {}, [], [])
    assert report.failures == ["S03: the rejected convenio credit note round: timed out after "
                               "90 s waiting for X"]  # fmt: skip


def _day(*invoices: dict[str, Any], full: tuple[str, ...] = (), cancelled: tuple[str, ...] = ()
         ) -> SedeDay:  # fmt: skip
    day = SedeDay(base_url="http://127.0.0.1:9", sede_code="S03", password="x", orders=4,
                  rng=random.Random(1))  # fmt: skip
    day.ledger.convenio_invoices.extend(invoices)
    day.ledger.full_cover.extend(full)
    day.ledger.cancelled.extend(cancelled)
    return day


def _inv(fid: str, *orders: str) -> dict[str, Any]:
    lines = [{"order_id": o, "number": f"N-{o}", "amount": "28.00"} for o in orders]
    return {"invoice": {"id": fid, "full_number": f"F003-{fid}"}, "orders": lines}


def test_the_order_is_a_fully_covered_one_still_standing_on_a_factura() -> None:
    assert pick_order(_day(_inv("1", "a", "b"))) is None
    assert pick_order(_day(_inv("1", "a", "b"), full=("b",), cancelled=("b",))) is None
    got = pick_order(_day(_inv("1", "a"), _inv("2", "b", "c"), full=("c",)))
    assert got is not None and got[:2] == ("c", "N-c") and got[2]["id"] == "2"


def test_the_round_is_skipped_when_nothing_fits(tmp_path: Path) -> None:
    none = play_round(_day(_inv("1", "a")), None, sim_url="http://127.0.0.1:9", edges={},  # type: ignore[arg-type]
                      facturas=1)  # fmt: skip
    assert none.skipped == "no fully covered convenio order on a factura at S03"
    alone = play_round(_day(_inv("1", "a"), full=("a",)), None,  # type: ignore[arg-type]
                       sim_url="http://127.0.0.1:9", edges={}, facturas=1)  # fmt: skip
    assert "is the only convenio factura and bills only order N-a" in alone.skipped
    assert not alone.error and not alone.rejected_id


def test_waiting_for_sunat_counts_documents_sent_one_by_one(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "e.sqlite3")
    db.execute("CREATE TABLE invoice (id TEXT, state TEXT, send_mode TEXT)")
    db.executemany("INSERT INTO invoice VALUES (?, ?, ?)", [
        ("1", "pendiente", "bill"), ("2", "error_red", "bill"), ("3", "aceptado", "bill"),
        ("4", "pendiente", "summary"), ("5", "rechazado", "bill"), ("6", "por_reenviar", "bill"),
    ])  # fmt: skip
    db.commit()
    db.close()
    assert waiting_for_sunat([tmp_path / "e.sqlite3"] * 2) == 6


def test_the_gate_holds_every_sede_until_the_round_is_over() -> None:
    events: list[str] = []
    lock = threading.Lock()

    def play(day: SedeDay, _sup: Any, facturas: int) -> CreditRound:
        time.sleep(0.3)
        with lock:
            events.append(f"played {day.sede_code} ({facturas} facturas)")
        return CreditRound(sede=day.sede_code)

    gate = CreditGate(3, "S02", play)

    def sede(code: str, facturas: int) -> None:
        day = _day(*[_inv(str(n), "x") for n in range(facturas)])
        day.sede_code = code
        gate.before_close(day, None)  # type: ignore[arg-type]
        with lock:
            events.append(f"closing {code}")

    threads = [threading.Thread(target=sede, args=(f"S0{k}", k)) for k in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert events[0] == "played S02 (6 facturas)"
    assert sorted(events[1:]) == ["closing S01", "closing S02", "closing S03"]
    assert gate.round.sede == "S02" and not gate.round.skipped


def test_an_aborted_gate_releases_the_sedes_waiting() -> None:
    gate = CreditGate(2, "S02", lambda *_: CreditRound())
    failed: list[BaseException] = []

    def waiting() -> None:
        try:
            gate.before_close(_day(), None)  # type: ignore[arg-type]
        except threading.BrokenBarrierError as exc:
            failed.append(exc)

    t = threading.Thread(target=waiting)
    t.start()
    time.sleep(0.2)
    gate.abort()  # the other sede failed before its closing
    t.join(5)
    assert not t.is_alive() and len(failed) == 1
    assert gate.round.skipped == "the last day did not reach its closing"
