"""Delivering orders to the laboratory stand-in over real sockets (127.0.0.1), with time driven
by a FixedClock: outages, crashes between send and ACK, lost ACKs, NAKs, garbage, timeouts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
from sqlmodel import select

from edge.db import read_session
from edge.labsync.dispatch import Dispatcher, backoff_delay
from edge.labsync.models import LabAlert, LabAttemptLog
from edge.runtime import EdgeRuntime
from tests.edge.labsync.helpers import add_lab, jobs_of, make_order, set_clock, standin


def _attempts(rt: EdgeRuntime) -> list[LabAttemptLog]:
    with read_session(rt.engine) as session:
        rows = list(session.exec(select(LabAttemptLog)))
        session.expunge_all()
        return rows


def test_outage_of_an_hour_then_recovery_delivers_each_order_exactly_once(
    edge_runtime: EdgeRuntime,
) -> None:
    clock = set_clock(edge_runtime)
    with standin() as lab:
        add_lab(edge_runtime, port=lab.mllp_port)
        lab.state.faults.down = True
        orders = [make_order(edge_runtime) for _ in range(5)]
        d = Dispatcher(engine=edge_runtime.engine, clock=clock)
        skipped = 0
        for _ in range(60 * 30):  # one hour in 2-second ticks
            skipped += d.send_due()["skipped"]
            clock.advance(seconds=2)
            if not any(j.state != "aceptado" for o in orders for j in jobs_of(edge_runtime, o.id)):
                break
        assert lab.state.applied_new == {}
        outage_attempts = len(_attempts(edge_runtime))
        # backoff + breaker: far fewer attempts than 5 orders x 1,800 ticks
        assert 5 <= outage_attempts <= 120
        assert skipped > 0  # the breaker held jobs back
        assert d.breaker(jobs_of(edge_runtime, orders[0].id)[0].lab_system_id or "").state in {
            "open",
            "half_open",
        }

        lab.state.faults.down = False
        for _ in range(400):  # recovery: at most ~13 minutes of ticks
            d.send_due()
            clock.advance(seconds=2)
            if all(j.state == "aceptado" for o in orders for j in jobs_of(edge_runtime, o.id)):
                break
        assert all(j.state == "aceptado" for o in orders for j in jobs_of(edge_runtime, o.id))
        assert lab.state.applied_new == {o.number: 1 for o in orders}
        control_ids = {jobs_of(edge_runtime, o.id)[0].control_id for o in orders}
        assert set(lab.state.receipts) == control_ids
        assert all(n == 1 for n in lab.state.receipts.values())  # down = never received


def test_crash_between_send_and_ack_neither_loses_nor_duplicates(
    edge_runtime: EdgeRuntime,
) -> None:
    clock = set_clock(edge_runtime)
    with standin() as lab:
        add_lab(edge_runtime, port=lab.mllp_port)
        order = make_order(edge_runtime)
        job = jobs_of(edge_runtime, order.id)[0]
        # a worker claims and transmits, then "dies": its outcome is never recorded
        doomed = Dispatcher(engine=edge_runtime.engine, clock=clock)
        claimed = doomed.claim(job.id)
        assert claimed is not None
        outcome, _ = doomed.transmit(claimed)
        assert outcome.kind == "accepted"
        del doomed, claimed, outcome
        assert jobs_of(edge_runtime, order.id)[0].state == "enviado"
        assert lab.state.applied_new == {order.number: 1}

        # a new worker process: nothing due until the ACK grace period passes, then a resend
        fresh = Dispatcher(engine=edge_runtime.engine, clock=clock)
        assert fresh.send_due()["sent"] == 0
        clock.advance(seconds=61)
        assert fresh.send_due()["accepted"] == 1
        after = jobs_of(edge_runtime, order.id)[0]
        assert (after.state, after.attempts, after.control_id) == ("aceptado", 2, job.control_id)
        assert lab.state.receipts[job.control_id] == 2  # it arrived twice ...
        assert lab.state.applied_new == {order.number: 1}  # ... and was applied once
        assert lab.state.duplicates == 1
        assert fresh.send_due()["sent"] == 0


def test_lost_ack_is_resent_with_the_same_bytes(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    with standin() as lab:
        add_lab(edge_runtime, port=lab.mllp_port)
        order = make_order(edge_runtime)
        lab.state.faults.drop_ack = 1
        d = Dispatcher(engine=edge_runtime.engine, clock=clock)
        assert d.send_due() == {"sent": 1, "accepted": 0, "failed": 1, "skipped": 0}
        first = jobs_of(edge_runtime, order.id)[0]
        assert first.state == "error" and "cerró" in (first.last_error or "")
        clock.set(first.next_attempt_at)
        assert d.send_due()["accepted"] == 1
        assert jobs_of(edge_runtime, order.id)[0].rendered == first.rendered
        assert lab.state.applied_new == {order.number: 1}
        assert lab.state.receipts[first.control_id] == 2


def test_nak_ar_is_retried_and_ae_stops_for_a_person(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    with standin() as lab:
        add_lab(edge_runtime, port=lab.mllp_port)
        a, b = make_order(edge_runtime), make_order(edge_runtime)
        d = Dispatcher(engine=edge_runtime.engine, clock=clock)
        lab.state.faults.nak, lab.state.faults.nak_code = 1, "AR"
        d.send_job(jobs_of(edge_runtime, a.id)[0].id)
        ja = jobs_of(edge_runtime, a.id)[0]
        assert ja.state == "error"
        lab.state.faults.nak, lab.state.faults.nak_code = 1, "AE"
        d.send_job(jobs_of(edge_runtime, b.id)[0].id)
        jb = jobs_of(edge_runtime, b.id)[0]
        assert jb.state == "rechazado"
        with read_session(edge_runtime.engine) as session:
            alerts = session.exec(select(LabAlert).where(LabAlert.order_id == b.id)).all()
            assert [x.kind for x in alerts] == ["rejected"]
        clock.advance(seconds=600)
        d.send_due()
        assert jobs_of(edge_runtime, a.id)[0].state == "aceptado"
        assert jobs_of(edge_runtime, b.id)[0].state == "rechazado"  # not retried by itself
        outcomes = sorted((x.ack_code or "", x.outcome) for x in _attempts(edge_runtime))
        assert outcomes == [("AA", "aceptado"), ("AE", "rechazado"), ("AR", "error")]


def test_garbage_and_slow_answers_are_errors_then_recovered(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    with standin() as lab:
        add_lab(edge_runtime, port=lab.mllp_port, timeout=0.5)
        order = make_order(edge_runtime)
        d = Dispatcher(engine=edge_runtime.engine, clock=clock)
        lab.state.faults.garbage = 1
        d.send_due()
        assert "ilegible" in (jobs_of(edge_runtime, order.id)[0].last_error or "")
        lab.state.faults.slow_ms = 1500
        clock.advance(seconds=600)
        d.send_due()
        assert "tiempo de espera" in (jobs_of(edge_runtime, order.id)[0].last_error or "")
        lab.state.faults.slow_ms = 0
        clock.advance(seconds=600)
        d.send_due()
        assert jobs_of(edge_runtime, order.id)[0].state == "aceptado"
        assert lab.state.applied_new == {order.number: 1}


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    delays = [backoff_delay(n) for n in range(1, 12)]
    assert 2 <= delays[0] <= 4
    assert 16 <= delays[3] <= 18
    assert all(d <= 300 for d in delays) and delays[-1] >= 298 - 2
    assert len({round(backoff_delay(3), 6) for _ in range(20)}) > 1  # jittered


def test_rest_adapter_sends_idempotency_key_and_token(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    with standin(token="lab-token") as lab:
        add_lab(edge_runtime, protocol="rest", url=f"{lab.url}/api/orders", token="lab-token")
        order = make_order(edge_runtime)
        job = jobs_of(edge_runtime, order.id)[0]
        seen: list[httpx.Request] = []

        def spy(request: httpx.Request) -> None:
            seen.append(request)

        http = httpx.Client(timeout=5, event_hooks={"request": [spy]})
        from edge.labsync.dispatch import default_adapter

        d = Dispatcher(
            engine=edge_runtime.engine, clock=clock, adapter_for=lambda s: default_adapter(s, http)
        )
        lab.state.faults.drop_ack = 1  # the lab registers it, but we get a 504
        d.send_due()
        assert jobs_of(edge_runtime, order.id)[0].state == "error"
        clock.advance(seconds=600)
        d.send_due()
        done = jobs_of(edge_runtime, order.id)[0]
        assert done.state == "aceptado"
        assert [r.headers["Idempotency-Key"] for r in seen] == [job.control_id] * 2
        assert all(r.headers["Authorization"] == "Bearer lab-token" for r in seen)
        assert seen[0].content == seen[1].content
        assert lab.state.applied_new == {order.number: 1}
        assert lab.state.receipts[job.control_id] == 2
        assert set(done.filler_numbers) == set(done.placer_numbers)  # lab numbers kept
        body = json.loads(seen[0].content)
        assert (body["priority"], body["physician"]) == ("R", None)  # none recorded
        http.close()


def test_file_drop_is_atomic_and_idempotent(edge_runtime: EdgeRuntime, tmp_path: Path) -> None:
    import threading

    from edge.labsync.adapters import Outbound
    from edge.labsync.adapters.filedrop import FileDropAdapter

    clock = set_clock(edge_runtime)
    folder = tmp_path / "drop"
    add_lab(edge_runtime, protocol="file", folder=str(folder))
    order = make_order(edge_runtime)
    Dispatcher(engine=edge_runtime.engine, clock=clock).send_due()
    job = jobs_of(edge_runtime, order.id)[0]
    assert job.state == "aceptado"
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"{job.control_id}.hl7"]
    import hl7

    msg = hl7.parse((folder / files[0]).read_text().strip("\r"))
    assert str(msg.segment("MSH")[10]) == job.control_id

    # a reader polling the folder never sees a partial file while big files are written
    adapter = FileDropAdapter(folder)
    body = "MSH|^~\\&|X\r" + "OBX|" + "x" * 2_000_000
    stop, partial, seen = threading.Event(), [], set()

    def watch() -> None:
        while not stop.is_set():
            for p in folder.glob("BIG*.hl7"):
                try:
                    data = p.read_bytes()
                except FileNotFoundError:
                    continue
                seen.add(p.name)
                if len(data) != len(body) + 1:
                    partial.append((p.name, len(data)))

    t = threading.Thread(target=watch)
    t.start()
    for n in range(15):
        assert adapter.send(Outbound(f"BIG{n}", "X", body, "hl7")).kind == "accepted"
    stop.set()
    t.join()
    assert partial == [] and len(seen) >= 1
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]

    # a failure while writing leaves neither the file nor a temp file behind
    class Boom(str):
        def encode(self, *a: object, **k: object) -> bytes:  # type: ignore[override]
            raise OSError("disco lleno")

    out = adapter.send(Outbound("FAIL1", "X", Boom("MSH|"), "csv"))
    assert out.kind == "error" and "disco lleno" in out.detail
    assert not (folder / "FAIL1.csv").exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_csv_file_drop(edge_runtime: EdgeRuntime, tmp_path: Path) -> None:
    import csv

    clock = set_clock(edge_runtime)
    add_lab(edge_runtime, protocol="file", folder=str(tmp_path), file_format="csv")
    order = make_order(
        edge_runtime,
        codes=("BIO001", "HEM002"),
        priority="urgente",
        physician_cmp="45123",
        physician_name="PÉREZ JUAN",
    )
    Dispatcher(engine=edge_runtime.engine, clock=clock).send_due()
    job = jobs_of(edge_runtime, order.id)[0]
    rows = list(csv.DictReader((tmp_path / f"{job.control_id}.csv").open(newline="")))
    assert [(r["placer_number"], r["code"], r["control"]) for r in rows] == [
        (f"{order.number}-1", "GLU", "NW"),
        (f"{order.number}-2", "HB", "NW"),
    ]
    assert rows[0]["doc_number"] and rows[0]["order_number"] == order.number
    assert {(r["priority"], r["physician_cmp"], r["physician_name"]) for r in rows} == {
        ("S", "45123", "PÉREZ JUAN")
    }


def test_attempts_are_logged_with_timing(edge_runtime: EdgeRuntime) -> None:
    clock = set_clock(edge_runtime)
    with standin() as lab:
        add_lab(edge_runtime, port=lab.mllp_port)
        make_order(edge_runtime)
        Dispatcher(engine=edge_runtime.engine, clock=clock).send_due()
    (log,) = _attempts(edge_runtime)
    assert (log.outcome, log.ack_code, log.attempt, log.protocol) == ("aceptado", "AA", 1, "mllp")
    assert log.duration_ms is not None and log.finished_at == clock.now()
    assert log.started_at == clock.now() - dt.timedelta(0)
