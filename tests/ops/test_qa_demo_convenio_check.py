"""The demo's convenio invariant with a convenio whose only order was cancelled.

Found by `make demo DEMO_ARGS="--headless --sedes 2 --days 1 --orders-per-day 5"`: the hub
keeps an account (covered 0.00) for the convenio of the cancelled order, the sedes have no
standing order of it, and the check compared the two sets of convenios for equality, so a
healthy run exited 1.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from labred.demo.checks import Report
from labred.demo.convenios import ConvenioRound, convenio_checks

SALUD, MINERA = "c-salud", "c-minera"


def _edge_db(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE lab_order (id TEXT, convenio_id TEXT, status TEXT, covered_total INTEGER);
        CREATE TABLE convenio_invoice_order (order_id TEXT, invoice_id TEXT, credit_note_id TEXT);
        CREATE TABLE invoice (id TEXT, state TEXT);
        INSERT INTO lab_order VALUES ('o1', 'c-salud', 'resultados_listos', 800);
        INSERT INTO lab_order VALUES ('o2', 'c-minera', 'anulada', 4300);
        INSERT INTO convenio_invoice_order VALUES ('o1', 'f1', NULL);
        INSERT INTO convenio_invoice_order VALUES ('o2', 'f1', 'nc1');
        INSERT INTO invoice VALUES ('f1', 'aceptado');
        """
    )
    db.commit()
    db.close()
    return path


def _balance(covered: str, paid: str) -> dict[str, str]:
    balance = f"{float(covered) - float(paid):.2f}"
    return {"covered": covered, "invoiced": covered, "not_invoiced": "0.00", "paid": paid,
            "balance": balance}  # fmt: skip


def test_a_convenio_with_only_a_cancelled_order_does_not_break_the_invariant(
    tmp_path: Path,
) -> None:
    edges = {"S01": _edge_db(tmp_path / "edge.sqlite3")}
    round_ = ConvenioRound(
        payment={"amount": "4.00", "convenio_id": SALUD},
        balances={SALUD: _balance("8.00", "4.00"), MINERA: _balance("0.00", "0.00")},
    )
    report = Report()
    convenio_checks(report, round_, edges)
    assert report.failures == []


def test_a_covered_convenio_the_hub_does_not_know_still_breaks_it(tmp_path: Path) -> None:
    edges = {"S01": _edge_db(tmp_path / "edge.sqlite3")}
    round_ = ConvenioRound(
        payment={"amount": "4.00", "convenio_id": SALUD}, balances={MINERA: _balance("0", "0")}
    )
    report = Report()
    convenio_checks(report, round_, edges)
    assert any("convenio accounts" in f for f in report.failures)
