"""A summary (RC / RA) whose ticket a restore lost locally is polled from its re-imported attempt
log and answered as any other, never sent again; one without a known ticket keeps the existing
path. In process: a real hub (PostgreSQL), ``enroll`` / restore, the SUNAT simulator over HTTP."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from domain.clock import FixedClock, business_date
from edge.billing import context, sender, summaries, summary_build, summary_names, voids
from edge.billing.models import (
    ACEPTADO,
    ANULADO,
    ENVIADO,
    PENDIENTE,
    RECHAZADO,
    Invoice,
    InvoiceDocument,
    SunatSubmission,
    SunatSummary,
)
from edge.billing.sunat_client import SunatClient
from edge.billing.sunat_payload import StatusResult
from edge.config.service import default_series
from edge.db import read_session, unit_of_work
from edge.runtime import EdgeRuntime
from edge.sync.enroll import enroll, load_credentials
from edge.sync.service import push_pending
from sync import outbox
from tests.edge.billing.conftest import CUSTOMER_RUC, RUC, Sim
from tests.edge.billing.test_fence import _restore, _snapshot, boleta
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client

CLIENTE = ("6", CUSTOMER_RUC, "CLÍNICA ANDINA S.A.C.")


@dataclass
class World:
    rt: EdgeRuntime
    clock: FixedClock
    hub_client: TestClient
    sede: Any
    sim: Sim
    snapshot: Path

    def enrol(self) -> dict[str, object]:
        return enroll(self.rt.engine, self.rt.settings.data_dir, hub_url="http://hub",
                      code=new_code(self.hub_client, self.sede), clock=self.clock,
                      client=node_client(self.hub_client))  # fmt: skip

    def push(self) -> None:
        hub = node_client(self.hub_client, load_credentials(self.rt.settings.data_dir))
        while push_pending(self.rt.engine, hub, self.clock) > 0:
            pass

    def backup(self) -> None:
        """The last backup, of a node in sync with the hub."""
        self.push()
        _snapshot(Path(str(self.rt.engine.url.database)), self.snapshot)

    def restore(self) -> None:
        """Push everything to the hub, lose the database and disk, take the backup, re-enrol."""
        self.push()
        shutil.rmtree(self.rt.settings.data_dir / "documents", ignore_errors=True)
        _restore(self.rt, self.snapshot)
        self.enrol()

    def round(self, client: SunatClient | None = None) -> summaries.SummaryReport:
        self.clock.advance(seconds=60)
        return summaries.summaries_round(self.rt, client=client or self.sim.client(), force=True)


@pytest.fixture
def world(
    edge_runtime: EdgeRuntime,
    hub_runtime: HubRuntime,
    hub_client: TestClient,
    sim: Sim,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    rt = edge_runtime
    clock = FixedClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    rt.clock = clock
    rt.settings.boletas_via_summary = True
    monkeypatch.setattr(outbox, "_clock", clock)
    context.bind(rt)
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    with hub_uow(hub_runtime.engine) as hub:
        from central.config.models import Company, Sede

        hub.add(Company(ruc=RUC, razon_social="LABRED S.A.C.", updated_at=clock.now()))
        row = hub.get(Sede, sede)
        assert row is not None
        row.series = default_series(1)  # note series too (a rejected RA is credited)
        hub.add(row)
    w = World(rt, clock, hub_client, sede, sim, tmp_path / "backup.sqlite3")
    w.enrol()
    yield w


def _invoices(rt: EdgeRuntime, *docs: Invoice) -> list[Invoice]:
    with read_session(rt.engine) as session:
        rows = [session.get(Invoice, d.id) for d in docs]
        for r in rows:
            assert r is not None
            session.expunge(r)
        return rows  # type: ignore[return-value]


def _summaries(rt: EdgeRuntime) -> dict[str, SunatSummary]:
    with read_session(rt.engine) as session:
        rows = session.exec(select(SunatSummary)).all()
        for r in rows:
            session.expunge(r)
        return {r.id: r for r in rows}


def _tickets(rt: EdgeRuntime) -> set[str | None]:
    with read_session(rt.engine) as session:
        return set(session.exec(select(SunatSubmission.ticket)).all()) - {None}


def _sends(sim: Sim) -> dict[str, int]:
    return {t["filename"][12:]: t["sends"] for t in sim.documents()["summaries"]}


def _factura_to_void(w: World) -> Invoice:
    rt = w.rt
    factura = boleta(rt, document_type="01", customer=CLIENTE)
    assert sender.send_round(rt, client=w.sim.client()).sent == 1
    with unit_of_work(rt.engine) as session:
        inv = session.get(Invoice, factura.id)
        assert inv is not None and inv.state == ACEPTADO
        voids.request_baja(session, inv, reason="Paciente desistió", now=w.clock.now())
    return factura


def test_lost_rc_and_ra_are_polled_from_the_attempt_log_and_never_sent_again(
    world: World,
) -> None:
    w, rt = world, world.rt
    day = f"{business_date(w.clock.now()):%Y%m%d}"
    w.sim.faults(summary_pending_polls=1)
    factura = _factura_to_void(w)
    w.backup()  # the last backup: documents issued, no summary yet
    docs = [boleta(rt) for _ in range(2)]
    first = w.round()  # builds and sends the RC and the RA: two tickets
    assert sorted(first.created) == [f"RA-{day}-101", f"RC-{day}-101"] and len(first.sent) == 2
    assert sorted(w.round().polled.values()) == [98, 98]  # still processing at SUNAT
    before = _summaries(rt)
    tickets = {r.id: r.ticket for r in before.values()}

    w.restore()
    assert _summaries(rt) == {}  # the rows are lost ...
    assert set(tickets.values()) <= _tickets(rt)  # ... the tickets came back in the log
    assert [i.state for i in _invoices(rt, *docs)] == [PENDIENTE] * 2
    assert {i.summary_id for i in _invoices(rt, *docs)} == {
        r.id for r in before.values() if r.kind == "RC"
    }

    report = w.round()
    assert sorted(report.resumed) == sorted(tickets) and report.created == []
    assert report.sent == [] and sorted(report.polled.values()) == [0, 0]
    assert [i.state for i in _invoices(rt, *docs)] == [ACEPTADO] * 2
    assert _invoices(rt, factura)[0].state == ANULADO
    rebuilt = _summaries(rt)
    for sid, old in before.items():
        row = rebuilt[sid]
        assert (row.name, row.kind, row.correlative) == (old.name, old.kind, old.correlative)
        assert (row.state, row.status_code, row.ticket) == (ACEPTADO, 0, old.ticket)
        assert sorted(ln["invoice_id"] for ln in row.lines) == sorted(
            ln["invoice_id"] for ln in old.lines
        )
        assert row.cdr_path and (rt.settings.data_dir / row.cdr_path).exists()
    assert _sends(w.sim) == {f"RC-{day}-101": 1, f"RA-{day}-101": 1}  # never sent again
    with read_session(rt.engine) as session:  # the hub gets the boletas with XML and CDR
        copies = [session.get(InvoiceDocument, d.id) for d in docs]
        assert all(c is not None and c.xml_b64 and c.cdr_b64 for c in copies)
    again = w.round()
    assert (again.resumed, again.sent, again.polled) == ([], [], {})  # settled for good
    assert _sends(w.sim) == {f"RC-{day}-101": 1, f"RA-{day}-101": 1}


class _Rejecting:
    """SUNAT answering 99 (done with errors, no CDR) to every ticket."""

    def __init__(self, inner: SunatClient) -> None:
        self.inner = inner
        self.polled: list[str] = []

    def get_status(self, ticket: str) -> StatusResult:
        self.polled.append(ticket)
        return StatusResult(ticket=ticket, status_code=99, cdr=None)

    def __getattr__(self, name: str) -> Any:
        if name in ("send_summary", "send_bill"):
            raise AssertionError(f"{name} called: a summary with a known ticket went again")
        return getattr(self.inner, name)


def test_rebuilt_summaries_rejected_take_the_existing_rejection_paths(world: World) -> None:
    w, rt = world, world.rt
    factura = _factura_to_void(w)
    w.backup()
    docs = [boleta(rt) for _ in range(2)]
    assert len(w.round().sent) == 2
    tickets = {r.ticket for r in _summaries(rt).values()}
    w.restore()
    rejecting = _Rejecting(w.sim.client())
    report = w.round(rejecting)  # type: ignore[arg-type]
    assert len(report.resumed) == 2 and sorted(report.polled.values()) == [99, 99]
    assert set(rejecting.polled) == tickets
    assert [i.state for i in _invoices(rt, *docs)] == [RECHAZADO] * 2  # RC rejected
    row = _invoices(rt, factura)[0]  # RA rejected: credited by a nota de crédito
    assert (row.state, row.void_requested, row.void_summary_id) == (ACEPTADO, False, None)
    with read_session(rt.engine) as session:
        notes = session.exec(select(Invoice).where(Invoice.reference_invoice_id == factura.id))
        assert [(n.doc_type, n.note_reason) for n in notes] == [("07", "01")]
    assert {r.state for r in _summaries(rt).values()} == {RECHAZADO}


def test_stale_row_takes_the_ticket_instead_of_sending_again(world: World) -> None:
    w, rt = world, world.rt
    docs = [boleta(rt) for _ in range(2)]
    names = summary_build.build_due_summaries(rt, force=True)
    w.backup()  # the RC is built, not sent yet
    sent = w.round()
    assert sent.sent and sent.created == []
    (row,) = _summaries(rt).values()
    w.restore()
    (stale,) = _summaries(rt).values()
    assert (stale.state, stale.ticket) == (PENDIENTE, None)  # the existing path would send it
    report = w.round()
    assert report.resumed == [row.id] and report.sent == [] and report.polled == {row.id: 98}
    assert w.round().polled == {row.id: 0}
    (done,) = _summaries(rt).values()
    assert (done.name, done.state, done.ticket) == (names[0], ACEPTADO, row.ticket)
    assert [i.state for i in _invoices(rt, *docs)] == [ACEPTADO] * 2
    assert _sends(w.sim) == {names[0]: 1}


def test_summary_without_a_known_ticket_follows_the_existing_path(world: World) -> None:
    w, rt = world, world.rt
    docs = [boleta(rt) for _ in range(2)]
    names = summary_build.build_due_summaries(rt, force=True)
    w.backup()
    w.sim.faults(http_500=1, operations=["sendSummary"])  # SUNAT never got it: no ticket
    failed = w.round()
    assert failed.sent == [] and _tickets(rt) == set()
    w.restore()
    (stale,) = _summaries(rt).values()
    assert stale.state == PENDIENTE and stale.ticket is None
    report = w.round()
    assert report.resumed == [] and report.sent == [stale.id]  # sent, as before this change
    (row,) = _summaries(rt).values()
    assert row.state == ENVIADO and row.ticket is not None
    for _ in range(3):
        w.round()
    assert [i.state for i in _invoices(rt, *docs)] == [ACEPTADO] * 2
    assert _sends(w.sim) == {names[0]: 1}


def test_only_summaries_without_final_answer_are_resumed(
    rt: EdgeRuntime, sim: Sim, clock: FixedClock
) -> None:
    """The local rows are dropped as a restore loses them (no hub here): the one SUNAT already
    answered (its getStatus 0 is in the log) stays closed; the one still at 98 is resumed; and
    nothing happens on a node that never was restored (no ``summary_floor``)."""
    rt.settings.boletas_via_summary = True
    answered = [boleta(rt)]
    summaries.summaries_round(rt, client=sim.client(), force=True)
    for _ in range(2):
        clock.advance(seconds=60)
        summaries.summaries_round(rt, client=sim.client())
    assert [i.state for i in _invoices(rt, *answered)] == [ACEPTADO]
    sim.faults(summary_pending_polls=100)
    waiting = [boleta(rt)]
    clock.advance(seconds=60)
    summaries.summaries_round(rt, client=sim.client(), force=True)
    clock.advance(seconds=60)
    summaries.summaries_round(rt, client=sim.client())  # 98
    lost = _summaries(rt)
    assert sorted(r.state for r in lost.values()) == [ACEPTADO, ENVIADO]
    with unit_of_work(rt.engine) as session:
        conn = session.connection()
        conn.execute(SunatSummary.__table__.delete())  # type: ignore[attr-defined]
    clock.advance(seconds=60)
    assert summaries.summaries_round(rt, client=sim.client()).resumed == []  # never restored
    with unit_of_work(rt.engine) as session:
        summary_names.close_day(
            session.connection(), day=business_date(clock.now()), now=clock.now()
        )
    sim.faults(summary_pending_polls=0)
    clock.advance(seconds=60)
    report = summaries.summaries_round(rt, client=sim.client())
    (pending_id,) = [i for i, r in lost.items() if r.state == ENVIADO]
    assert report.resumed == [pending_id] and report.polled == {pending_id: 0}
    assert [i.state for i in _invoices(rt, *waiting)] == [ACEPTADO]
    assert list(_summaries(rt)) == [pending_id]  # the answered one is not rebuilt
    assert sorted(_sends(sim).values()) == [1, 1]
