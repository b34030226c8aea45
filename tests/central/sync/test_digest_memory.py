"""The pull's per-type digests: same figures as the latest images they sum, in bounded memory.

Every pull after a hub change recomputes them over every record the sede sees (all the hub's
patients): holding those records at once made the hub API's memory peak grow with its patients.
"""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc

from central.db import unit_of_work
from central.runtime import HubRuntime
from central.sync import digest_state, pull
from domain.ids import new_id, sede_id_for
from sync.digest import PROJECTIONS, table_digest
from tests.central.sync.feed_rows import INSERT_ROWS, SET_HEAD

SEDE = sede_id_for("S01")
OTHER = sede_id_for("S02")


def _patient(pid: str, k: int, rev: int) -> dict[str, object]:
    return {
        "id": pid,
        "doc_type": "1",
        "doc_number": f"{40000000 + k}",
        "first_names": f"Ana María {rev}",
        "last_names": f"Pérez Quispe {k}",
        "birth_date": "1990-01-01",
        "sex": "F",
        "phone": "999888777",
        "email": f"paciente{k}@correo.pe",
        "address": "Av. Arequipa 1234, Lima",
        "home_sede_id": SEDE,
        "canonical_id": None,
        "notes": "x" * 300,
    }


def _add(rt: HubRuntime, start: int, n: int) -> int:
    """``n`` patients from cursor ``start + 1``: every 10th updated later, every 15th deleted,
    every 7th scoped to another sede (not this sede's digest). Returns the last cursor."""
    rows = []
    at = dt.datetime(2026, 11, 29, 15, tzinfo=dt.UTC)
    cursor = start
    for k in range(start, start + n):
        pid = new_id()
        scope = OTHER if k % 7 == 0 else None
        revs = [("upsert", 0)] + ([("upsert", 1)] if k % 10 == 0 else [])
        revs += [("delete", 2)] if k % 15 == 0 else []
        for op, rev in revs:
            cursor += 1
            payload = _patient(pid, k, rev)
            rows.append(
                {"c": cursor, "tx": new_id(), "t": "patient", "i": pid, "op": op,
                 "p": json.dumps(payload), "scope": scope, "at": at}
            )  # fmt: skip
    with rt.engine.begin() as conn:
        conn.execute(INSERT_ROWS, rows)
        conn.execute(SET_HEAD, {"c": cursor})  # committed: the digests may keep a state there
    return cursor


def _peak_digests(rt: HubRuntime, upto: int) -> tuple[dict[str, str], int]:
    digest_state.reset()
    with unit_of_work(rt.engine) as session:
        tracemalloc.start()
        try:
            got = pull.digests(session, sede_id=SEDE, upto=upto)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return got, peak


def test_digests_match_the_latest_images(hub_runtime: HubRuntime) -> None:
    head = _add(hub_runtime, 0, 400)
    with unit_of_work(hub_runtime.engine) as session:
        digest_state.reset()
        got = pull.digests(session, sede_id=SEDE, upto=head)
        images = pull.latest(session, sede_id=SEDE, upto=head)
    expected = {
        t: table_digest(t, [c.payload for c in images if c.record_type == t]) for t in PROJECTIONS
    }
    assert got == expected
    # 400 patients, minus the 58 of another sede, minus the deleted ones of this sede
    visible = [k for k in range(400) if k % 7 != 0 and k % 15 != 0]
    assert got["patient"].startswith(f"{len(visible)}:")
    with unit_of_work(hub_runtime.engine) as session:  # an earlier cursor sees fewer records
        earlier = pull.digests(session, sede_id=SEDE, upto=head // 2)
    assert 0 < int(earlier["patient"].split(":")[0]) < len(visible)


def test_digest_memory_does_not_grow_with_the_patients(hub_runtime: HubRuntime) -> None:
    head = _add(hub_runtime, 0, 1000)
    _peak_digests(hub_runtime, head)  # warm: compiled statements, imports
    small = _peak_digests(hub_runtime, head)[1]
    head = _add(hub_runtime, head, 4000)
    large = _peak_digests(hub_runtime, head)[1]
    # holding every image, the peak grew with the records (5x the records, ~5x the peak: 6 MB
    # per 1,000 patients); streamed, it stays within a chunk's worth
    assert large < 1.5 * small + 256 * 1024, (small, large)
