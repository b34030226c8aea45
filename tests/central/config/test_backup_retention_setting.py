"""``retention_backup_days`` (Parámetros: "días de conservación de las copias") is what the hub's
scheduled backups keep: the worker's and the nightly cron's (``labred backup hub --kind
scheduled``) dumps older than that many days are deleted, never the newest one; a manual
``--keep`` stays count-based."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from central.backup import service
from central.backup.models import BackupLog
from central.db import unit_of_work
from central.runtime import HubRuntime
from central.worker import backup_round
from domain.clock import FixedClock
from domain.errors import InvalidInput
from domain.permissions import Role
from tests.central.auth.factories import auth_headers
from tests.procs import run_labred

NOW = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)  # 03:00 in Lima: past the backup hour


def fake_dump(directory: Path, taken: dt.datetime) -> Path:
    """A file named as ``service.dump`` names a dump taken at ``taken``."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = taken.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{service.FILE_PREFIX}{stamp}{service.FILE_SUFFIX}"
    path.write_bytes(b"PGDMP fake")
    return path


def ages(directory: Path, now: dt.datetime) -> list[int]:
    """Whole days since each kept dump, oldest first."""
    return [(now - (service.dump_time(p) or now)).days for p in service.dump_files(directory)]


def test_prune_older_than_keeps_the_window_and_the_newest(tmp_path: Path) -> None:
    minute = dt.timedelta(minutes=1)
    week = dt.timedelta(days=7)
    for age in (dt.timedelta(days=40), week + minute, week - minute, dt.timedelta(days=1)):
        fake_dump(tmp_path, NOW - age)
    fake_dump(tmp_path, NOW)
    odd = tmp_path / f"{service.FILE_PREFIX}copia-del-tecnico{service.FILE_SUFFIX}"
    odd.write_bytes(b"PGDMP")
    gone = service.prune_older_than(tmp_path, days=7, now=NOW)
    assert sorted(ages(tmp_path, NOW)) == [0, 0, 1, 6]  # the odd name reads as "now"
    assert len(gone) == 2 and odd.exists()
    with pytest.raises(InvalidInput) as err:
        service.prune_older_than(tmp_path, days=0, now=NOW)
    assert err.value.code == "retention_too_small"


def test_the_newest_dump_survives_however_old(tmp_path: Path) -> None:
    old = [fake_dump(tmp_path, NOW - dt.timedelta(days=d)) for d in (90, 60)]
    assert service.prune_older_than(tmp_path, days=30, now=NOW) == [old[0]]
    assert service.dump_files(tmp_path) == [old[1]]


def test_the_worker_keeps_the_days_set_on_parametros(
    hub_runtime: HubRuntime, hub_client: TestClient
) -> None:
    directory = service.backup_dir(hub_runtime.settings.data_dir)
    for days in (45, 31, 20, 9, 2):
        fake_dump(directory, NOW - dt.timedelta(days=days))
    hub_runtime.clock = FixedClock(NOW)
    r = hub_client.put(
        "/api/config/settings",
        json={"retention_backup_days": 10},
        headers=auth_headers(hub_runtime, Role.ADMIN),
    )
    assert r.status_code == 200, r.text
    assert backup_round(hub_runtime) == 1
    assert ages(directory, NOW) == [9, 2, 0]  # 45, 31 and 20 days old: gone
    with unit_of_work(hub_runtime.engine) as session:
        log = session.exec(select(BackupLog).where(BackupLog.kind == "scheduled")).one()
    assert (log.status, log.pruned) == ("ok", 3)


def test_the_default_keeps_thirty_days(hub_runtime: HubRuntime) -> None:
    directory = service.backup_dir(hub_runtime.settings.data_dir)
    for days in (31, 29):
        fake_dump(directory, NOW - dt.timedelta(days=days))
    hub_runtime.clock = FixedClock(NOW)
    assert backup_round(hub_runtime) == 1
    assert ages(directory, NOW) == [29, 0]


def test_the_cron_backup_follows_the_setting_and_a_manual_one_keeps_a_count(
    hub_runtime: HubRuntime, hub_client: TestClient
) -> None:
    """Real ``labred backup hub`` processes: the installer's cron line (``--kind scheduled
    --keep 14``) keeps the setting's days; a technician's ``--keep 2`` keeps two dumps."""
    data = hub_runtime.settings.data_dir
    directory = service.backup_dir(data)
    now = dt.datetime.now(dt.UTC)
    for days in range(20, 0, -1):  # 20 dumps, one a day: more than --keep 14
        fake_dump(directory, now - dt.timedelta(days=days, hours=1))
    r = hub_client.put(
        "/api/config/settings",
        json={"retention_backup_days": 7},
        headers=auth_headers(hub_runtime, Role.ADMIN),
    )
    assert r.status_code == 200, r.text
    env = {
        "DATABASE_URL": hub_runtime.url.replace("postgresql+psycopg://", "postgresql://"),
        "LABRED_HUB_JWT_SECRET": "x" * 40,
    }
    args = ("backup", "hub", "--data-dir", str(data))
    done = run_labred(*args, "--kind", "scheduled", "--keep", "14", env=env)
    assert done.returncode == 0, done.stderr
    assert "older than 7 days (setting retention_backup_days)" in done.stdout
    assert len(service.dump_files(directory)) == 7  # 6 of the last 7 days + the new one
    done = run_labred(*args, "--keep", "2", env=env)
    assert done.returncode == 0, done.stderr
    assert "beyond the newest 2" in done.stdout
    assert len(service.dump_files(directory)) == 2
