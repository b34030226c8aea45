"""Housekeeping across real processes: ``labred edge housekeeping`` and ``labred hub
housekeeping`` print what they deleted; a hub restored from a dump older than the outbox window
asks a real edge worker for rows it pruned, and the node says so (status, metric, log line)
instead of skipping them, until it is re-enrolled; then it syncs again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from central.audit.models import HubAuditEvent
from central.db import unit_of_work as hub_uow
from central.runtime import HubRuntime
from central.settings import HubSettings
from central.sync import nodes
from domain.clock import FixedClock
from edge.audit import service as audit_service
from edge.db import make_engine, unit_of_work
from edge.sync import metrics, service
from tests.edge.factories import SEDE_S01
from tests.procs import run_labred
from tests.sync.test_qa_procs_support import CLOCK, QaCluster, cluster, sales, wait_until

__all__ = ["cluster"]  # the fixture, imported for pytest

DAY = dt.timedelta(days=1)
JWT = "hk-secret-" + "h" * 40


def test_edge_cli_prunes_and_prints_per_table(tmp_path: Path, edge_template: Path) -> None:
    data = tmp_path / "edge"
    data.mkdir()
    (data / "edge.sqlite3").write_bytes(edge_template.read_bytes())
    engine = make_engine(data / "edge.sqlite3")
    now = CLOCK.now()
    with unit_of_work(engine) as session:
        for label, age in (("viejo", 400 * DAY), ("reciente", 10 * DAY)):
            clock = FixedClock(now - age)
            audit_service.record(session, action=label, clock=clock, sede_id=SEDE_S01)
            audit_service.log_access(
                session, action="view", clock=clock, sede_id=SEDE_S01, user_id=label
            )
    res = run_labred("edge", "housekeeping", "--data-dir", str(data))
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("edge: mantenimiento terminado, 2 filas eliminadas"), res.stdout
    assert "  audit_event: 1 filas eliminadas" in lines
    assert "  access_log: 1 filas eliminadas" in lines
    assert "  sync_outbox: 0 filas eliminadas" in lines  # nothing acknowledged yet
    with engine.connect() as conn:
        left = conn.execute(text("SELECT action FROM audit_event")).scalars().all()
    assert "reciente" in left and "viejo" not in left
    engine.dispose()


def test_hub_cli_prunes_and_prints_per_table(tmp_path: Path, hub_database_url: str) -> None:
    rt = HubRuntime.open(
        HubSettings(data_dir=tmp_path / "rt", database_url=hub_database_url, jwt_secret=JWT)
    )
    now = CLOCK.now()
    with hub_uow(rt.engine) as s:
        s.add(HubAuditEvent(action="viejo", created_at=now - 1900 * DAY))
        s.add(HubAuditEvent(action="reciente", created_at=now - 1800 * DAY))
    data = tmp_path / "hub"
    data.mkdir()
    env = {"LABRED_HUB_DATABASE_URL": hub_database_url, "LABRED_HUB_JWT_SECRET": JWT}
    res = run_labred("hub", "housekeeping", "--data-dir", str(data), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "hub: mantenimiento terminado, 1 filas eliminadas", res.stdout
    assert "  hub_audit_event: 1 filas eliminadas" in lines
    with rt.engine.connect() as conn:
        left = conn.execute(text("SELECT action FROM hub_audit_event")).scalars().all()
    assert left == ["reciente"]
    rt.close()


def test_hub_restored_past_the_outbox_window_stops_sync_loudly_until_re_enrolment(
    cluster: QaCluster, pg_base_url: str
) -> None:
    live = make_url(cluster.database_url).database
    backup = f"{live}_hk"
    admin = create_engine(pg_base_url, isolation_level="AUTOCOMMIT")

    try:
        cluster.start_hub()
        edge = cluster.add_edge("S01")
        sales(edge, 2)
        service.push_pending(edge.engine, edge.client, CLOCK)  # type: ignore[arg-type]
        cluster.quiet_hub()
        cluster.dump_hub(admin, backup)  # a dump the hub keeps (too long, as it turns out)
        cluster.start_hub()
        sales(edge, 3, first=10)
        service.push_pending(edge.engine, edge.client, CLOCK)  # type: ignore[arg-type]
        last = edge.state()["last_seq"]
        assert edge.state()["acked_seq"] == cluster.hwm(edge) == last

        # 40 days later (the node's clock moved on): the acknowledged rows are pruned.
        offset = edge.data / "clock-offset"
        offset.write_text(str(40 * 86400))
        env = {"LABRED_EDGE_CLOCK_OFFSET_FILE": str(offset)}
        res = run_labred("edge", "housekeeping", "--data-dir", str(edge.data), env=env)
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"  sync_outbox: {last} filas eliminadas" in res.stdout.splitlines(), res.stdout
        assert edge.state()["pruned_seq"] == last
        offset.write_text("0")

        cluster.quiet_hub()
        cluster.restore_hub(admin, backup)  # the hub is restored from that old dump
        cluster.start_hub()
        restored_mark = cluster.hwm(edge)
        assert restored_mark < last
        sales(edge, 1, first=20)  # reception keeps selling
        cluster.start_worker(edge)

        def blocked() -> str | None:
            return service.status(edge.engine, CLOCK).get("blocked")

        wait_until("the node to refuse the pruned rows", lambda: blocked() == "outbox_pruned")
        st = service.status(edge.engine, CLOCK)
        assert st["last_error_code"] == "outbox_pruned"
        assert f"desde la secuencia {restored_mark + 1}" in st["last_error"]
        assert "ya depuró" in st["last_error"] and "re-enrolar" in st["last_error"]
        scrape = metrics.render(edge.engine, CLOCK).decode()
        assert 'labred_edge_sync_blocked{reason="outbox_pruned"} 1.0' in scrape
        log = cluster.log(f"{edge.code}-w").read_text()
        assert "sync stopped" in log and "outbox_pruned" in log
        assert cluster.hwm(edge) == restored_mark  # nothing was skipped at the hub

        # The technician re-enrols the node: it says how many seqs it could not send again,
        # and the node syncs again (the sale made meanwhile reaches the hub).
        with hub_uow(cluster.runtime().engine) as session:
            _, code = nodes.create_node(
                session=session, sede_id=edge.sede_id, name="S01", clock=CLOCK
            )
        res = run_labred(
            "edge", "enroll", "--data-dir", str(edge.data), "--hub", cluster.url, "--code", code
        )
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"outbox_pruned: {last - restored_mark}" in res.stdout, res.stdout
        wait_until("the new sale at the hub", lambda: cluster.hwm(edge) == edge.state()["last_seq"])
        wait_until("the ack", lambda: edge.state()["acked_seq"] == edge.state()["last_seq"])
        assert service.status(edge.engine, CLOCK)["blocked"] is None
        orders = cluster.hub_scalar("SELECT count(*) FROM sync_record WHERE record_type = 'order'")
        assert orders == 2 + 1  # the two sales of the old dump and the one made meanwhile
    finally:
        cluster.quiet_hub()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{backup}" WITH (FORCE)'))
        admin.dispose()
