"""The demo's rejected convenio credit note: on the last played day of one sede, after its
convenio facturas for the month were issued and before its cash closing, the supervisor cancels
a convenio order on an accepted factura; the SUNAT stand-in, told to reject the next document,
rejects its nota de crédito 07; the worker releases the order's link (the convenio is billed for
it again) and audits it; the supervisor issues the note again and SUNAT accepts it.

The stand-in is shared by every sede and its ``reject`` counter takes the next ``sendBill``
document whoever sends it, so the round is fenced (:class:`CreditGate`): every sede of the last
day stops before its cash closing, the round waits until no sede has a document waiting for
SUNAT, arms the fault right before the cancellation, and the other sedes go on only once the
re-issued note is answered. The order cancelled is one the convenio covers in full (no patient
part, hence no boleta and no credit note of its own that the worker could send first), so the
only documents the cancellation issues are the NC 07 and, after it, its NC 13.

Checked afterwards from the sede's SQLite and the hub's replica (:func:`credit_checks`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from labred.demo.checks import Report
from sandbox.daygen import ApiFailure, SedeDay

ACCEPTED = ("aceptado", "observado")
ANSWERED = (*ACCEPTED, "rechazado")
WAITING = ("pendiente", "enviado", "error_red", "por_reenviar")
REJECT_CODE = "2800"
CANCEL_REASON = "Orden registrada dos veces por error"


@dataclass
class CreditRound:
    """What the round did (ids of the edge's rows) or why it did not play."""

    sede: str = ""
    order_id: str = ""
    order_number: str = ""
    factura_id: str = ""
    factura: str = ""  # serie-número
    rejected_id: str = ""
    rejected: str = ""
    reissued_id: str = ""
    reissued: str = ""
    seconds: float = 0.0
    skipped: str = ""  # why it was not played
    error: str = ""  # why it failed (fails the demo)


def _ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def waiting_for_sunat(paths: Iterable[Path]) -> int:
    """Documents sent one by one (``sendBill``) still waiting for SUNAT, at every sede."""
    marks = ", ".join("?" * len(WAITING))
    total = 0
    for path in paths:
        with contextlib.closing(_ro(path)) as db:
            total += db.execute(
                f"SELECT count(*) FROM invoice WHERE send_mode = 'bill' AND state IN ({marks})",
                WAITING,
            ).fetchone()[0]
    return total


def _nc07_ids(path: Path, factura_id: str) -> list[str]:
    with contextlib.closing(_ro(path)) as db:
        return [
            str(r[0])
            for r in db.execute(
                "SELECT id FROM invoice WHERE doc_type = '07' AND note_reason = '07' "
                "AND reference_invoice_id = ? ORDER BY series, number",
                (factura_id,),
            )
        ]


def _until(what: str, probe: Callable[[], Any], timeout: float) -> Any:
    """``probe()`` until it answers something truthy; RuntimeError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = probe()
        except httpx.HTTPError:
            got = None
        if got:
            return got
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def _answered(client: httpx.Client, invoice_id: str) -> dict[str, Any] | None:
    r = client.get(f"/api/billing/{invoice_id}")
    r.raise_for_status()
    doc: dict[str, Any] = r.json()
    return doc if doc["state"] in ANSWERED else None


def _faults(sim: httpx.Client, **changes: Any) -> dict[str, Any]:
    r = sim.post("/_sim/faults", json=changes) if changes else sim.get("/_sim/faults")
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    return body


def pick_order(day: SedeDay) -> tuple[str, str, dict[str, Any]] | None:
    """(order id, order number, factura) of a fully covered convenio order still standing on
    a factura of the day, if there is one."""
    for inv in day.ledger.convenio_invoices:
        for line in inv["orders"]:
            oid = line["order_id"]
            if oid in day.ledger.full_cover and oid not in day.ledger.cancelled:
                return oid, str(line["number"]), inv["invoice"]
    return None


def play_round(
    day: SedeDay,
    sup: httpx.Client,
    *,
    sim_url: str,
    edges: dict[str, Path],
    facturas: int,
    timeout: float = 90,
) -> CreditRound:
    """The round at ``day``'s sede; ``facturas``: convenio facturas issued at every sede
    (one of them must stay billed for the convenio payment the demo records afterwards)."""
    out = CreditRound(sede=day.sede_code)
    picked = pick_order(day)
    if picked is None:
        out.skipped = f"no fully covered convenio order on a factura at {day.sede_code}"
        return out
    out.order_id, out.order_number, factura = picked
    out.factura_id, out.factura = factura["id"], factura["full_number"]
    lines = next(len(i["orders"]) for i in day.ledger.convenio_invoices if i["invoice"] is factura)
    if lines < 2 and facturas < 2:
        out.skipped = (
            f"factura {out.factura} is the only convenio factura and bills only order "
            f"{out.order_number}: crediting it would leave nothing for the convenio to pay"
        )
        return out
    started = time.monotonic()
    path = edges[day.sede_code]
    sim = httpx.Client(base_url=sim_url, timeout=30)
    armed = False
    with contextlib.closing(sim):
        try:
            _until("every sede's documents to be answered by SUNAT",
                   lambda: waiting_for_sunat(edges.values()) == 0, timeout)  # fmt: skip
            fac = _until(f"SUNAT's answer to factura {out.factura}",
                         lambda: _answered(sup, out.factura_id), timeout)  # fmt: skip
            if fac["state"] not in ACCEPTED:
                raise RuntimeError(f"factura {out.factura} is {fac['state']}, not accepted")
            if _faults(sim)["reject"] != 0:
                raise RuntimeError("the SUNAT stand-in already has a rejection armed")
            before = set(_nc07_ids(path, out.factura_id))
            _faults(sim, reject=1, reject_code=REJECT_CODE)
            armed = True
            day.cancel(sup, out.order_id, reason=CANCEL_REASON)
            out.rejected_id = _until(
                f"the NC 07 of order {out.order_number}",
                lambda: next((i for i in _nc07_ids(path, out.factura_id) if i not in before), ""),
                timeout,
            )
            note = _until(f"SUNAT's answer to the NC 07 of order {out.order_number}",
                          lambda: _answered(sup, out.rejected_id), timeout)  # fmt: skip
            out.rejected = note["full_number"]
            if note["state"] != "rechazado" or note["sunat_code"] != REJECT_CODE:
                raise RuntimeError(
                    f"NC 07 {out.rejected} is {note['state']} ({note['sunat_code']}): the "
                    "rejection armed at the SUNAT stand-in went to another document"
                )
            armed = _faults(sim)["reject"] != 0
            if armed:
                raise RuntimeError("the rejection armed at the SUNAT stand-in was not used")
            r = sup.post(f"/api/orders/{out.order_id}/convenio-credit")
            if r.status_code != 201:
                raise ApiFailure("convenio credit again", r)
            again = next(n for n in r.json()["notes"] if n["note_reason"] == "07")
            out.reissued_id, out.reissued = again["id"], again["full_number"]
            done = _until(f"SUNAT's answer to NC 07 {out.reissued}",
                          lambda: _answered(sup, out.reissued_id), timeout)  # fmt: skip
            if done["state"] not in ACCEPTED:
                raise RuntimeError(f"the re-issued NC 07 {out.reissued} is {done['state']}")
        except (RuntimeError, httpx.HTTPError) as exc:
            out.error = str(exc)
        finally:
            if armed:  # never leave the fault for another document
                with contextlib.suppress(httpx.HTTPError):
                    _faults(sim, reject=0)
    out.seconds = time.monotonic() - started
    return out


class CreditGate:
    """Holds every sede of the last day before its cash closing while ``sede`` plays the
    round (threads: one per sede). ``abort()`` releases everyone when a sede fails."""

    def __init__(
        self, sedes: int, sede: str, play: Callable[[SedeDay, httpx.Client, int], CreditRound]
    ) -> None:
        self.sede = sede
        self.round = CreditRound(sede=sede, skipped="the last day did not reach its closing")
        self._play = play
        self._days: list[SedeDay] = []
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(sedes)

    def before_close(self, day: SedeDay, sup: httpx.Client) -> None:
        with self._lock:
            self._days.append(day)
        self._barrier.wait(timeout=600)  # every sede has sold and invoiced
        if day.sede_code == self.sede:
            facturas = sum(len(d.ledger.convenio_invoices) for d in self._days)
            try:
                self.round = self._play(day, sup, facturas)
            finally:
                self._barrier.wait(timeout=600)
        else:
            self._barrier.wait(timeout=600)  # the round is over

    def abort(self) -> None:
        self._barrier.abort()


def hub_credit_note(conninfo: str, order_id: str) -> list[str | None]:
    """The credit note each replicated convenio link of ``order_id`` names, at the hub."""
    import psycopg

    with psycopg.connect(conninfo) as hub:
        return [
            r[0]
            for r in hub.execute(
                "SELECT payload->>'credit_note_id' FROM sync_record "
                "WHERE record_type = 'convenio_invoice_order' AND op <> 'delete' "
                "AND payload->>'order_id' = %s",
                (order_id,),
            )
        ]


def credit_checks(
    report: Report,
    round_: CreditRound,
    edges: dict[str, Path],
    at_hub: list[str | None],
    closures: list[dict[str, Any]],
) -> None:
    """The round's invariants, from the sede's SQLite (``at_hub``: :func:`hub_credit_note`;
    ``closures``: the hub's reconciliation of every sede and day)."""
    if round_.skipped:
        return
    if round_.error:
        report.check(False, f"{round_.sede}: the rejected convenio credit note round: "
                     f"{round_.error}")  # fmt: skip
        return
    with contextlib.closing(_ro(edges[round_.sede])) as db:
        states = {
            str(i): (str(s), r, ref)
            for i, s, r, ref in db.execute(
                "SELECT id, state, note_reason, reference_invoice_id FROM invoice "
                "WHERE id IN (?, ?)",
                (round_.rejected_id, round_.reissued_id),
            )
        }
        links = [
            r[0]
            for r in db.execute(
                "SELECT credit_note_id FROM convenio_invoice_order WHERE order_id = ?",
                (round_.order_id,),
            )
        ]
        audited = db.execute(
            "SELECT count(*) FROM audit_event WHERE action = 'convenio.credit_rejected' "
            "AND record_id = ?",
            (round_.order_id,),
        ).fetchone()[0]
        status = db.execute(
            "SELECT status FROM lab_order WHERE id = ?", (round_.order_id,)
        ).fetchone()
    rejected = states.get(round_.rejected_id)
    reissued = states.get(round_.reissued_id)
    report.check(
        rejected == ("rechazado", "07", round_.factura_id)
        and reissued is not None
        and reissued[0] in ACCEPTED
        and reissued[1:] == ("07", round_.factura_id),
        f"{round_.sede}: SUNAT rejected the NC 07 {round_.rejected} of cancelled order "
        f"{round_.order_number} and accepted its re-issue {round_.reissued} "
        f"(factura {round_.factura})",
    )
    report.check(
        status is not None
        and status[0] == "anulada"
        and links == [round_.reissued_id]
        and at_hub == [round_.reissued_id],
        f"{round_.sede}: order {round_.order_number}'s convenio link names the accepted NC 07, "
        f"here and at the hub ({len(links)} link here, {len(at_hub)} there)",
    )
    days = sorted((c for c in closures if c["sede"] == round_.sede), key=lambda c: c["date"])
    found = days[-1].get("discrepancies", []) if days else []
    report.check(
        [d["kind"] for d in found] == ["document_rejected"]
        and round_.rejected_id in found[0].get("record_ids", []),
        f"{round_.sede}: the day's reconciliation finds the rejected NC 07 {round_.rejected}, "
        f"nothing else ({', '.join(d['kind'] for d in found) or 'nothing'})",
    )
    report.check(
        audited == 1,
        f"{round_.sede}: the rejection is audited once as convenio.credit_rejected ({audited})",
    )


def print_credit(round_: CreditRound) -> None:
    if round_.skipped:
        print(f"convenio credit note: skipped ({round_.skipped})")
    elif round_.error:
        print(f"convenio credit note at {round_.sede}: FAILED ({round_.error})")
    else:
        print(
            f"convenio credit note at {round_.sede}: order {round_.order_number} cancelled, "
            f"NC 07 {round_.rejected} rejected by SUNAT ({REJECT_CODE}), re-issued as "
            f"{round_.reissued}, accepted (factura {round_.factura}, {round_.seconds:.1f} s)"
        )


__all__ = [
    "CreditGate",
    "CreditRound",
    "credit_checks",
    "hub_credit_note",
    "pick_order",
    "play_round",
    "print_credit",
    "waiting_for_sunat",
]
