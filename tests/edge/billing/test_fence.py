"""Numbering obeys the sync engine's series fence: after a restore (new epoch) the node continues
after the hub's last number, and issues from its contingency series while the hub is unknown."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update

from central.app import create_app as hub_app
from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from domain.clock import FixedClock
from domain.errors import Unavailable
from domain.sunat import CreditNoteReason
from edge.billing import fence, service
from edge.billing.models import ACEPTADO, Invoice, InvoiceFile
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from edge.sync.enroll import enroll, learn_series, load_credentials, make_client, save_credentials
from edge.sync.models import SeriesFence, SyncStatus
from edge.sync.service import push_pending
from tests.edge.billing.conftest import RUC, add_order
from tests.edge.billing.test_issuing import sunat_errors
from tests.procs import free_port, serve_in_thread
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client

MakeOrder = Callable[..., Order]


def boleta(rt: EdgeRuntime, **kw: object) -> Invoice:
    assert isinstance(rt.clock, FixedClock)
    with unit_of_work(rt.engine) as session:
        order = add_order(session, rt.clock, **kw)  # type: ignore[arg-type]
        inv = service.issue_for_order(
            session=session, settings=rt.settings, clock=rt.clock, order=order
        )
        session.flush()
        session.expunge(inv)
        return inv


def set_status(rt: EdgeRuntime, **values: object) -> None:
    with unit_of_work(rt.engine) as session:
        conn = session.connection()
        if session.get(SyncStatus, 1) is None:
            session.add(SyncStatus(id=1))
            session.flush()
        conn.execute(update(SyncStatus.__table__).values(**values))  # type: ignore[attr-defined]


def test_fence_floor_and_contingency_series(rt: EdgeRuntime, sunat_data: Path) -> None:
    assert boleta(rt).full_number == "B001-1"
    with unit_of_work(rt.engine) as session:  # the hub holds B001 up to 41 (restore lost them)
        session.add(SeriesFence(series="B001", last_number=41, learned_at=rt.clock.now()))
    assert boleta(rt).full_number == "B001-42"
    set_status(rt, fence_pending=True, use_contingency=True)  # hub unreachable after a restore
    first = boleta(rt)
    factura = boleta(rt, document_type="01", customer=("6", "20100066603", "ANDINA S.A.C."))
    assert (first.full_number, factura.full_number) == ("B901-1", "F901-1")
    with read_session(rt.engine) as session:
        content = session.get(InvoiceFile, _xml_id(session, first.id))
        assert content is not None
        assert sunat_errors(sunat_data, content.content) == []
    with unit_of_work(rt.engine) as session:  # an accepted document, but no note series now
        row = session.get(Invoice, first.id)
        assert row is not None
        row.state = ACEPTADO
        session.add(row)
    with pytest.raises(Unavailable) as refused, unit_of_work(rt.engine) as session:
        service.credit_note(
            session=session,
            settings=rt.settings,
            clock=rt.clock,
            invoice_id=first.id,
            reason=CreditNoteReason.DESCUENTO_GLOBAL,
            description="Descuento",
            amount=None,
        )
    assert refused.value.code == "series_fence_pending"
    set_status(rt, fence_pending=False, use_contingency=False)  # learned again
    assert boleta(rt).full_number == "B001-43"
    assert boleta(rt).full_number == "B001-44"


def _xml_id(session: object, owner_id: str) -> str:
    row = session.connection().execute(  # type: ignore[attr-defined]
        text("SELECT id FROM invoice_file WHERE owner_id = :o AND kind = 'xml'"), {"o": owner_id}
    )
    return str(row.scalar_one())


def _snapshot(db: Path, target: Path) -> None:
    src, dst = sqlite3.connect(db), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()


def _restore(rt: EdgeRuntime, snapshot: Path) -> None:
    db = Path(str(rt.engine.url.database))
    rt.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(snapshot, db)


def test_restore_continues_after_the_hubs_last_number_and_contingency_when_unreachable(
    edge_runtime: EdgeRuntime,
    hub_runtime: HubRuntime,
    hub_client: TestClient,
    tmp_path: Path,
) -> None:
    rt = edge_runtime
    rt.clock = FixedClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    with hub_uow(hub_runtime.engine) as hub:  # the hub's series for S01, notes included
        from central.config.models import Company, Sede

        hub.add(Company(ruc=RUC, razon_social="LABRED S.A.C.", updated_at=rt.clock.now()))
        row = hub.get(Sede, sede)
        assert row is not None
        row.series = {**row.series, "07B": "BC01", "07F": "FC01", "08B": "BD01", "08F": "FD01"}
        hub.add(row)

    def enrol() -> None:
        enroll(rt.engine, rt.settings.data_dir, hub_url="http://hub",
               code=new_code(hub_client, sede), clock=rt.clock,
               client=node_client(hub_client))  # fmt: skip

    enrol()
    client = node_client(hub_client, load_credentials(rt.settings.data_dir))
    assert boleta(rt).full_number == "B001-1"
    push_pending(rt.engine, client, rt.clock)
    snapshot = tmp_path / "backup.sqlite3"
    _snapshot(Path(str(rt.engine.url.database)), snapshot)  # last backup: B001-1
    assert [boleta(rt).full_number for _ in range(2)] == ["B001-2", "B001-3"]
    assert push_pending(rt.engine, client, rt.clock) > 0  # the hub holds B001-3

    _restore(rt, snapshot)  # the disk died: the node comes back from the backup
    with read_session(rt.engine) as session:
        assert (
            session.connection()
            .execute(text("SELECT max(number) FROM invoice WHERE series = 'B001'"))
            .scalar()
            == 1
        )  # without the fence the next boleta would reuse B001-2
    enrol()  # re-enrolment after a restore: new epoch, the fence is learned
    with read_session(rt.engine) as session:
        assert session.get(SeriesFence, "B001").last_number == 3  # type: ignore[union-attr]
        assert session.connection().execute(text("SELECT epoch FROM sync_state")).scalar() == 2
    assert boleta(rt).full_number == "B001-4"

    # Another restore, this time with the hub out of reach: contingency series.
    dead = make_client(f"http://127.0.0.1:{free_port()}", None, timeout=2, attempts=1)
    assert learn_series(rt.engine, dead, rt.clock) == {}
    assert fence.relearn_if_pending(rt, timeout=2) is False  # "http://hub" does not resolve
    assert boleta(rt).full_number == "B901-1"
    # The hub is back (real HTTP): the worker's job learns the fence, regular series resume.
    with serve_in_thread(hub_app(hub_runtime.settings, runtime=hub_runtime)) as base:
        creds = load_credentials(rt.settings.data_dir)
        assert creds is not None
        save_credentials(rt.settings.data_dir, {**creds, "hub_url": base})
        assert fence.relearn_if_pending(rt) is True
        assert fence.relearn_if_pending(rt) is None  # nothing pending any more
    assert boleta(rt).full_number == "B001-5"
    numbers = _numbers(rt)  # (the re-enrolment's pull may bring B001-2/3 back from the hub)
    assert len(numbers) == len(set(numbers))  # never a number twice
    assert {"B001-1", "B001-4", "B001-5", "B901-1"} <= set(numbers)


def _numbers(rt: EdgeRuntime) -> list[str]:
    with read_session(rt.engine) as session:
        rows = session.connection().execute(text("SELECT series, number FROM invoice")).all()
    return [f"{s}-{n}" for s, n in rows]
