"""The worker on a full disk: each job logs the condition once (not every round) and once
when it works again; other failures keep their traceback every time; the job's work stays
queued (its transaction rolled back) and the next round does it."""

from __future__ import annotations

import errno
import logging
import sqlite3
from typing import cast

import pytest
from sqlalchemy.exc import OperationalError

from edge import diskspace, worker
from edge.runtime import EdgeRuntime


def test_a_job_failing_on_a_full_disk_is_logged_once_and_its_recovery_once(
    edge_runtime: EdgeRuntime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diskspace, "ALARM", diskspace.DiskAlarm())
    outcome: dict[str, Exception | None] = {"now": None}
    calls: list[int] = []

    def body(_rt: EdgeRuntime) -> None:
        calls.append(1)
        if outcome["now"] is not None:
            raise outcome["now"]

    run = worker._guarded(worker.JobSpec("test.job", body, 1.0), edge_runtime)
    full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    with caplog.at_level(logging.INFO):
        outcome["now"] = full
        for _ in range(20):  # 40 s of a 2-second job
            run()
        outcome["now"] = OSError(errno.ENOSPC, "No space left on device")
        run()
        outcome["now"] = None
        run()
        run()
        outcome["now"] = ValueError("a bug")
        run()
        run()
    assert len(calls) == 25  # never stopped running
    disk = [r for r in caplog.records if r.name == "labred.edge.disk"]
    assert [r.levelname for r in disk] == ["WARNING", "INFO"]
    assert "test.job" in disk[0].getMessage() and disk[0].exc_info is None
    failed = [r for r in caplog.records if r.getMessage() == "job failed"]
    assert len(failed) == 2 and all(r.exc_info for r in failed)  # real bugs: every time


def test_disk_check_job_logs_the_level_when_it_changes(
    edge_runtime: EdgeRuntime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "_DISK", diskspace.LevelWatch())
    settings = edge_runtime.settings

    def level() -> str:
        return cast(diskspace.DiskSpace, worker.disk_check(edge_runtime)).level

    with caplog.at_level(logging.INFO, logger="labred.edge.disk"):
        monkeypatch.setattr(settings, "disk_low_mb", 0)
        monkeypatch.setattr(settings, "disk_full_mb", 0)
        assert level() == "ok"
        monkeypatch.setattr(settings, "disk_low_mb", 10**9)
        assert level() == "bajo"
        assert level() == "bajo"
        monkeypatch.setattr(settings, "disk_full_mb", 10**9)
        assert level() == "lleno"
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert "disk.check" in worker.registered_jobs()
    assert "billing.missing_files" in worker.registered_jobs()
