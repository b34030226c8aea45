"""Summary names (RC / RA) are never reused, also after the database is restored from an older
copy: the day of a restore is closed for new names, a file already on disk is skipped, and a
day without safe names defers to the next one (never the next sede's block)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import select

from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from domain.clock import FixedClock, business_date
from edge.billing import context, summaries, summary_build, summary_names, voids
from edge.billing.models import (
    ACEPTADO,
    ENVIADO,
    Invoice,
    SummaryFloor,
    SunatSummary,
)
from edge.db import read_session, unit_of_work
from edge.runtime import EdgeRuntime
from edge.sync.enroll import enroll, load_credentials
from edge.sync.service import push_pending
from sync import outbox
from tests.edge.billing.conftest import CUSTOMER_RUC, RUC, Sim
from tests.edge.billing.test_fence import _restore, _snapshot, boleta
from tests.edge.factories import SEDE_S01
from tests.sync.replication_helpers import admin_override, make_hub_sede, new_code, node_client


def _db(rt: EdgeRuntime) -> Path:
    return Path(str(rt.engine.url.database))


def _rows(rt: EdgeRuntime) -> list[tuple[str, str, str | None]]:
    with read_session(rt.engine) as session:
        return [
            (r.name, r.state, r.sunat_code)
            for r in session.exec(select(SunatSummary).order_by(SunatSummary.created_at))  # type: ignore[arg-type]
        ]


def _next(rt: EdgeRuntime, kind: str = "RC") -> int | None:
    with read_session(rt.engine) as session:
        return summary_names.next_correlative(
            session,
            sede_id=SEDE_S01,
            sede_code="S01",
            kind=kind,
            issue=business_date(rt.clock.now()),
            ruc=RUC,
            data_dir=rt.settings.data_dir,
        )


def test_same_day_restore_never_reuses_a_name_sunat_holds(
    edge_runtime: EdgeRuntime,
    hub_runtime: HubRuntime,
    hub_client: TestClient,
    sim: Sim,
    tmp_path: Path,
    monkeypatch: object,
) -> None:
    rt = edge_runtime
    clock = FixedClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    rt.clock = clock
    monkeypatch.setattr(outbox, "_clock", clock)  # type: ignore[attr-defined]
    context.bind(rt)
    rt.settings.boletas_via_summary = True
    admin_override(hub_client)
    sede = make_hub_sede(hub_runtime, "S01")
    with hub_uow(hub_runtime.engine) as hub:
        from central.config.models import Company

        hub.add(Company(ruc=RUC, razon_social="LABRED S.A.C.", updated_at=clock.now()))

    def enrol() -> None:
        enroll(rt.engine, rt.settings.data_dir, hub_url="http://hub",
               code=new_code(hub_client, sede), clock=clock,
               client=node_client(hub_client))  # fmt: skip

    enrol()
    with read_session(rt.engine) as session:  # a first enrolment closes nothing
        assert session.exec(select(SummaryFloor)).all() == []
    client = node_client(hub_client, load_credentials(rt.settings.data_dir))
    boleta(rt)
    assert push_pending(rt.engine, client, clock) > 0
    snapshot = tmp_path / "backup.sqlite3"
    _snapshot(_db(rt), snapshot)  # the last backup
    boleta(rt)
    day = f"{business_date(clock.now()):%Y%m%d}"
    assert summary_build.build_due_summaries(rt, force=True) == [f"RC-{day}-101"]
    sent = summaries.summaries_round(rt, client=sim.client())
    assert len(sent.sent) == 1  # SUNAT holds RC-<day>-101 now
    # The sede was offline: the hub never heard of that summary. The disk dies.
    shutil.rmtree(rt.settings.data_dir / "documents")
    _restore(rt, snapshot)
    assert _rows(rt) == []
    assert _next(rt) == 101  # the counter went back: this is the name SUNAT would refuse

    enrol()  # re-enrolment after the restore closes the day
    with read_session(rt.engine) as session:
        floor = session.get(SummaryFloor, business_date(clock.now()))
        assert floor is not None and floor.floor == summary_names.BLOCK
    boleta(rt)
    assert _next(rt) is None
    assert summary_build.build_due_summaries(rt, force=True) == []  # the boletas wait a day
    clock.advance(dt.timedelta(days=1))
    tomorrow = f"{business_date(clock.now()):%Y%m%d}"
    assert summary_build.build_due_summaries(rt, force=True) == [f"RC-{tomorrow}-101"]
    again = summaries.summaries_round(rt, client=sim.client())
    assert len(again.sent) == 1
    rows = _rows(rt)
    assert rows == [(f"RC-{tomorrow}-101", ENVIADO, None)]  # a ticket, not 2223
    held = {t["filename"]: t["sends"] for t in sim.documents()["summaries"]}
    assert held == {f"{RUC}-RC-{day}-101": 1, f"{RUC}-RC-{tomorrow}-101": 1}


def test_a_summary_file_left_on_disk_is_never_renamed_over(
    rt: EdgeRuntime, make_order: object, sim: Sim, clock: FixedClock, tmp_path: Path
) -> None:
    """A restore that kept the data directory: even before re-enrolling, the name whose
    signed XML is on disk is skipped, and SUNAT accepts the next one."""
    rt.settings.boletas_via_summary = True
    boleta(rt)
    snapshot = tmp_path / "backup.sqlite3"
    _snapshot(_db(rt), snapshot)
    assert summary_build.build_due_summaries(rt, force=True) == ["RC-20260310-101"]
    assert len(summaries.summaries_round(rt, client=sim.client()).sent) == 1
    _restore(rt, snapshot)
    assert summary_build.build_due_summaries(rt, force=True) == ["RC-20260310-102"]
    assert len(summaries.summaries_round(rt, client=sim.client()).sent) == 1
    assert _rows(rt) == [("RC-20260310-102", ENVIADO, None)]  # not rejected (2223)


def test_a_closed_day_defers_rc_and_ra_to_the_next_day(rt: EdgeRuntime, clock: FixedClock) -> None:
    rt.settings.boletas_via_summary = True
    boleta(rt)
    factura = boleta(rt, document_type="01", customer=("6", CUSTOMER_RUC, "ANDINA S.A.C."))
    with unit_of_work(rt.engine) as session:
        session.connection().execute(
            update(Invoice.__table__)  # type: ignore[attr-defined]
            .where(Invoice.__table__.c.id == factura.id)  # type: ignore[attr-defined]
            .values(state=ACEPTADO, void_requested=True, reason="Error en el cliente")
        )
        summary_names.close_day(session.connection(), day=dt.date(2026, 3, 10), now=clock.now())
    assert summary_build.build_due_summaries(rt, force=True) == []
    assert voids.build_due_voids(rt) == []
    clock.advance(dt.timedelta(days=1))
    assert summary_build.build_due_summaries(rt, force=True) == ["RC-20260311-101"]
    assert voids.build_due_voids(rt) == ["RA-20260311-101"]


def test_the_sedes_block_is_never_overrun(rt: EdgeRuntime, clock: FixedClock) -> None:
    """k is the highest correlative + 1 (not a count); past 99 the day has no name left, so
    S01 never produces S02's RC-...-201."""
    now = clock.now()
    with unit_of_work(rt.engine) as session:
        for correlative in (101, 150):
            session.add(
                SunatSummary(
                    sede_id=SEDE_S01,
                    kind="RC",
                    name=f"RC-20260310-{correlative}",
                    correlative=correlative,
                    issue_date=now.date(),
                    reference_date=now.date(),
                    business_date=now.date(),
                    created_at=now,
                    updated_at=now,
                )  # fmt: skip
            )
    assert _next(rt) == 151  # two rows, but never 103
    assert _next(rt, "RA") == 101  # RA names are their own
    with unit_of_work(rt.engine) as session:
        session.connection().execute(
            text("UPDATE sunat_summary SET correlative = 199 WHERE correlative = 150")
        )
    assert _next(rt) is None
