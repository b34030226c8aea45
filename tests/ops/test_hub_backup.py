"""Hub backups: pg_dump with retention and a log, wipe, restore, compare; endpoints and CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from central.audit.models import HubAuditEvent
from central.backup import service
from central.backup.models import BackupLog
from central.db import unit_of_work
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain.permissions import Role
from tests.central.auth.factories import auth_headers, make_sede
from tests.procs import run_labred

CHECKSUM_SQL = (
    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "
    "FROM catalog_service t"
)


def _seed(rt: HubRuntime) -> None:
    with unit_of_work(rt.engine) as session:
        seed_demo(session, clock=rt.clock, sedes=2, admin_password="clave-demo-123")


def _snapshot(url: str) -> tuple[dict[str, int], tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = (
                conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
                )
                .scalars()
                .all()
            )
            counts = {
                n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one())
                for n in names
            }
            checksum = tuple(conn.execute(text(CHECKSUM_SQL)).one())
    finally:
        engine.dispose()
    return counts, checksum


def _wipe(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _backup(rt: HubRuntime, *, keep: int | None = 14, kind: str = "manual") -> BackupLog:
    with unit_of_work(rt.engine) as session:
        return service.create_backup(
            session,
            clock=rt.clock,
            url=rt.url,
            directory=service.backup_dir(rt.settings.data_dir),
            keep=keep,
            kind=kind,
        )


def test_backup_wipe_restore_gives_back_the_same_rows(hub_runtime: HubRuntime) -> None:
    _seed(hub_runtime)
    before_counts, before_sum = _snapshot(hub_runtime.url)  # the dump precedes its own log row
    assert before_counts["catalog_service"] > 10 and before_sum[0] > 10
    log = _backup(hub_runtime)
    assert log.status == "ok", log.error
    file = service.backup_dir(hub_runtime.settings.data_dir) / log.file_name
    assert file.stat().st_mode & 0o777 == 0o600

    hub_runtime.engine.dispose()
    _wipe(hub_runtime.url)
    engine = create_engine(hub_runtime.url)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
        assert left.scalar_one() == 0
    engine.dispose()

    millis = service.restore_file(url=hub_runtime.url, file=file, embedded=False)
    after_counts, after_sum = _snapshot(hub_runtime.url)
    assert after_counts == before_counts
    assert after_sum == before_sum
    hub_runtime.check_schema()  # alembic_version came back too
    print(f"\nrestore of {file.stat().st_size} bytes took {millis} ms")


def test_retention_keeps_the_newest_and_logs_each_run(hub_runtime: HubRuntime) -> None:
    logs = [_backup(hub_runtime, keep=2) for _ in range(3)]
    assert [log.status for log in logs] == ["ok"] * 3
    files = service.dump_files(service.backup_dir(hub_runtime.settings.data_dir))
    assert [f.name for f in files] == [logs[1].file_name, logs[2].file_name]
    assert logs[2].pruned == 1
    assert not list(files[0].parent.glob("*.partial"))
    with pytest.raises(Exception, match="al menos una"):
        service.prune(files[0].parent, keep=0)


def test_a_failed_dump_is_logged_not_lost(
    hub_runtime: HubRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "pg_tool", lambda name, **_: "/bin/false")
    log = _backup(hub_runtime)
    assert log.status == "failed" and "false failed" in (log.error or "")
    with unit_of_work(hub_runtime.engine) as session:
        assert session.get(BackupLog, log.id) is not None
    assert service.dump_files(service.backup_dir(hub_runtime.settings.data_dir)) == []


def test_endpoints_are_admin_only_and_audited(
    hub_runtime: HubRuntime, hub_client: TestClient
) -> None:
    admin = auth_headers(hub_runtime, Role.ADMIN)
    for role in (Role.SUPERVISOR, Role.RECEPCIONISTA):
        other = auth_headers(hub_runtime, role)
        assert hub_client.post("/api/config/backup", headers=other).status_code == 403
        assert hub_client.get("/api/config/backups", headers=other).status_code == 403
    assert hub_client.post("/api/config/backup").status_code == 401

    res = hub_client.post("/api/config/backup", headers=admin, json={"keep": 3})
    assert res.status_code == 201, res.text
    made = res.json()
    assert made["status"] == "ok" and made["on_disk"] and made["username"]
    listed = hub_client.get("/api/config/backups", headers=admin).json()
    assert [i["id"] for i in listed["items"]] == [made["id"]]
    assert listed["files_on_disk"] == 1
    bad = hub_client.post("/api/config/backup", headers=admin, json={"keep": 0})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "keep"
    with unit_of_work(hub_runtime.engine) as session:
        events = session.query(HubAuditEvent).filter_by(action="backup.create").all()
    assert [e.record_id for e in events] == [made["id"]]


def test_backup_endpoint_reports_a_failure_as_503(
    hub_runtime: HubRuntime, hub_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "pg_tool", lambda name, **_: "/bin/false")
    res = hub_client.post("/api/config/backup", headers=auth_headers(hub_runtime, Role.ADMIN))
    assert res.status_code == 503
    assert res.json()["detail"][0]["type"] == "backup_failed"
    with unit_of_work(hub_runtime.engine) as session:
        assert session.query(BackupLog).filter_by(status="failed").count() == 1


def test_restore_endpoint_brings_back_the_backup_and_keeps_an_undo(
    hub_runtime: HubRuntime, hub_client: TestClient
) -> None:
    admin = auth_headers(hub_runtime, Role.ADMIN)
    backup = hub_client.post("/api/config/backup", headers=admin).json()
    make_sede(hub_runtime, "S09")  # written after the backup: the restore removes it

    no_confirm = hub_client.post(
        "/api/config/restore", headers=admin, json={"backup_id": backup["id"]}
    )
    assert no_confirm.status_code == 422
    unknown = hub_client.post(
        "/api/config/restore",
        headers=admin,
        json={"backup_id": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "confirm": "RESTAURAR"},
    )
    assert unknown.status_code == 404 and unknown.json()["detail"][0]["type"] == "backup_not_found"
    other = auth_headers(hub_runtime, Role.SUPERVISOR)
    forbidden = hub_client.post(
        "/api/config/restore",
        headers=other,
        json={"backup_id": backup["id"], "confirm": "RESTAURAR"},
    )
    assert forbidden.status_code == 403

    res = hub_client.post(
        "/api/config/restore",
        headers=admin,
        json={"backup_id": backup["id"], "confirm": "RESTAURAR"},
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["restored_from"]["id"] == backup["id"]
    assert body["safety_backup"]["kind"] == "pre_restore" and body["safety_backup"]["on_disk"]
    with hub_runtime.engine.connect() as conn:
        codes = conn.execute(text("SELECT code FROM sede")).scalars().all()
        kinds = conn.execute(text("SELECT kind FROM backup_logs")).scalars().all()
        restored_events = conn.execute(
            text("SELECT count(*) FROM hub_audit_event WHERE action = 'backup.restore'")
        ).scalar_one()
    assert "S09" not in codes
    assert sorted(kinds) == ["pre_restore", "restore"]
    assert restored_events == 1
    # The admin who made the first backup existed in it; sign-in still works after restore.
    listed = hub_client.get("/api/config/backups", headers=admin)
    assert listed.status_code == 200 and len(listed.json()["items"]) == 2


def test_cli_backs_up_and_restores_a_wiped_hub(hub_runtime: HubRuntime, tmp_path: Path) -> None:
    _seed(hub_runtime)
    data = hub_runtime.settings.data_dir
    env = {
        "DATABASE_URL": hub_runtime.url.replace("postgresql+psycopg://", "postgresql://"),
        "LABRED_HUB_JWT_SECRET": "x" * 40,
    }
    done = run_labred("backup", "hub", "--data-dir", str(data), "--keep", "5", env=env)
    assert done.returncode == 0, done.stderr
    assert "hub: backup" in done.stdout
    files = service.dump_files(service.backup_dir(data))
    assert len(files) == 1
    before = _snapshot(hub_runtime.url)
    before[0]["backup_logs"] -= 1  # the dump does not contain its own log row

    hub_runtime.engine.dispose()
    _wipe(hub_runtime.url)
    missing = run_labred(
        "hub", "restore", str(tmp_path / "nope.dump"), "--data-dir", str(data), env=env
    )
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    done = run_labred(
        "hub", "restore", str(files[0]), "--data-dir", str(data), "--no-safety-backup", env=env
    )
    assert done.returncode == 0, done.stderr
    after_counts, after_sum = _snapshot(hub_runtime.url)
    assert after_sum == before[1]
    # Everything as it was, plus the log of this restore and its audit event.
    assert {
        k: v for k, v in after_counts.items() if k not in {"backup_logs", "hub_audit_event"}
    } == {k: v for k, v in before[0].items() if k not in {"backup_logs", "hub_audit_event"}}
    assert after_counts["backup_logs"] == before[0]["backup_logs"] + 1
    assert after_counts["hub_audit_event"] == before[0]["hub_audit_event"] + 1


def test_the_hub_worker_takes_one_scheduled_backup_a_day_after_the_hour(
    hub_runtime: HubRuntime,
) -> None:
    import datetime as dt

    from sqlmodel import select

    from central.db import unit_of_work
    from central.worker import backup_round
    from domain.clock import FixedClock

    clock = FixedClock(dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.UTC))  # 02:00 in Lima
    hub_runtime.clock = clock
    assert backup_round(hub_runtime) == 0  # before 02:30
    clock.advance(seconds=3600)  # 03:00 in Lima
    assert backup_round(hub_runtime) == 1
    assert backup_round(hub_runtime) == 0  # once a day
    clock.advance(dt.timedelta(days=1))
    assert backup_round(hub_runtime) == 1
    with unit_of_work(hub_runtime.engine) as session:
        logs = session.exec(select(BackupLog).where(BackupLog.kind == "scheduled")).all()
    assert [log.status for log in logs] == ["ok", "ok"]
