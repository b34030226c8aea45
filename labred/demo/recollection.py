"""A rejected tube and its recollection ("muestra rechazada → retoma") in the demo's first day.

Before one sede closes its cash on the first played day, its supervisor rejects a drawn tube of
one of the day's orders as hemolysed (``POST /api/samples/{id}/reject``), the replacement is
drawn (``POST /api/samples/{id}/take``) and its label printed (``GET /api/orders/{id}/labels``:
only the retoma's label, a first print). The invariant: the replacement exists and was taken at
the sede, and both sample rows reached the hub with those states.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from labred.demo.checks import Report
from sandbox.daygen import ApiFailure, SedeDay

REASON = "hemolizada"
NOTE = "Suero rosado al centrifugar (demo)"


@dataclass
class RecollectionRound:
    """What the edge answered (``error`` when the round stopped half-way)."""

    sede: str = ""
    order_number: str = ""
    rejected_id: str = ""
    rejected_barcode: str = ""
    replacement_id: str = ""
    replacement_barcode: str = ""
    labels: int = 0  # labels printed for the retoma
    seconds: float = 0.0
    error: str = ""
    skipped: str = ""


def _ok(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise ApiFailure(what, response)
    body: dict[str, Any] = response.json()
    return body


def play_recollection(day: SedeDay, sup: httpx.Client, into: RecollectionRound) -> None:
    """``SedeDay.run``'s ``before_close``: reject a drawn tube of one of the day's orders, draw
    it again and print its label. Never raises: a failure is ``into.error``."""
    into.sede = day.sede_code
    started = time.monotonic()
    keep = set(day.ledger.cancelled) | set(day.ledger.full_cover)
    try:
        for order_id in (o for o in day.ledger.orders if o not in keep):
            listing = _ok(sup.get(f"/api/orders/{order_id}/samples"), "samples")
            taken = [s for s in listing["items"] if s["status"] == "tomada"]
            if not taken:
                continue
            body = {"reason": REASON, "note": NOTE}
            done = _ok(sup.post(f"/api/samples/{taken[0]['id']}/reject", json=body), "reject")
            into.rejected_id, into.rejected_barcode = taken[0]["id"], taken[0]["barcode"]
            new = done["replacement"]
            into.replacement_id, into.replacement_barcode = new["id"], new["barcode"]
            _ok(sup.post(f"/api/samples/{new['id']}/take"), "take the retoma")
            labels = sup.get(f"/api/orders/{order_id}/labels", params={"format": "zpl"})
            if labels.status_code != 200:
                raise ApiFailure("retoma label", labels)
            into.labels = labels.text.count("^XA")
            into.order_number = str(_ok(sup.get(f"/api/orders/{order_id}"), "order")["number"])
            into.seconds = time.monotonic() - started
            return
        into.skipped = "no order with a drawn tube"
    except (ApiFailure, httpx.HTTPError, KeyError, IndexError) as exc:
        into.error = str(exc) or type(exc).__name__


def print_recollection(round_: RecollectionRound) -> None:
    if round_.skipped:
        print(f"recollection (retoma): skipped ({round_.skipped})")
    elif round_.error:
        print(f"recollection (retoma) at {round_.sede}: FAILED ({round_.error})")
    else:
        print(
            f"recollection (retoma) at {round_.sede}: order {round_.order_number}, tube "
            f"{round_.rejected_barcode} rejected ({REASON}), drawn again as "
            f"{round_.replacement_barcode}, {round_.labels} label printed "
            f"({round_.seconds:.2f} s)"
        )


def recollection_checks(
    report: Report, round_: RecollectionRound, *, edges: dict[str, Path], conninfo: str
) -> None:
    """The replacement exists and was taken at the sede; both rows are at the hub as there."""
    if round_.skipped:
        return
    if round_.error:
        report.check(False, f"{round_.sede}: the recollection (retoma): {round_.error}")
        return
    ids = (round_.rejected_id, round_.replacement_id)
    query = "SELECT id, status, replaces_id, replaced_by_id FROM sample WHERE id IN (?, ?)"
    with contextlib.closing(sqlite3.connect(f"file:{edges[round_.sede]}?mode=ro", uri=True)) as db:
        here = {r[0]: tuple(r[1:]) for r in db.execute(query, ids)}
    with psycopg.connect(conninfo) as hub:
        there = {
            r[0]: tuple(r[1:])
            for r in hub.execute(
                "SELECT id, payload->>'status', payload->>'replaces_id', "
                "payload->>'replaced_by_id' FROM sync_record WHERE record_type = 'sample' "
                "AND op = 'upsert' AND id = ANY(%s)",
                (list(ids),),
            )
        }
    expected = {
        round_.rejected_id: ("rechazada", None, round_.replacement_id),
        round_.replacement_id: ("tomada", round_.rejected_id, None),
    }
    report.check(
        here == expected and round_.labels == 1,
        f"{round_.sede}: the rejected tube's retoma exists and was taken, one label printed "
        f"({'/'.join(str(v[0]) for v in here.values()) or 'missing'})",
    )
    report.check(
        there == expected,
        f"{round_.sede}: the rejected tube and its retoma reached the hub ({len(there)}/2)",
    )


__all__ = ["RecollectionRound", "play_recollection", "print_recollection", "recollection_checks"]
