"""Recognising a full disk, the answer's wording, the free-space levels and logging once."""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from edge import diskspace
from edge.diskspace import DiskAlarm, LevelWatch, disk_error_kind, disk_full_message, measure

FULL = sqlite3.OperationalError("database or disk is full")


def wrapped(orig: Exception) -> OperationalError:
    return OperationalError("INSERT INTO payment ...", {}, orig)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (FULL, "full"),
        (wrapped(FULL), "full"),
        (OSError(errno.ENOSPC, "No space left on device"), "full"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "full"),
        (wrapped(sqlite3.OperationalError("disk I/O error")), "io"),
        (wrapped(sqlite3.OperationalError("database is locked")), None),
        (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")), None),
        (OSError(errno.EACCES, "Permission denied"), None),
        (ValueError("nope"), None),
    ],
)
def test_disk_errors_are_recognised_and_nothing_else(exc: Exception, kind: str | None) -> None:
    assert disk_error_kind(exc) == kind


def test_a_full_disk_found_in_the_cause_chain() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("writing the ticket failed") from inner
    except RuntimeError as outer:
        assert diskspace.is_disk_full(outer)


def test_sqlite_full_by_its_error_code_whatever_the_text() -> None:
    exc = sqlite3.OperationalError("some other wording")
    exc.sqlite_errorcode = sqlite3.SQLITE_FULL  # type: ignore[attr-defined]
    assert disk_error_kind(exc) == "full"


@pytest.mark.parametrize(
    ("method", "path", "said"),
    [
        ("POST", "/api/orders", "no se guardó la venta."),
        ("POST", "/api/orders/0190/payments", "no se guardó el pago."),
        ("POST", "/api/orders/0190/cancel", "no se guardó la anulación."),
        ("POST", "/api/patients", "no se guardó el paciente."),
        ("PUT", "/api/patients/0190", "no se guardó el paciente."),
        ("POST", "/api/cash/sessions/0190/movements", "no se guardó el movimiento de caja."),
        ("POST", "/api/cash/day/close", "no se guardó el cierre del día."),
        ("POST", "/api/something/new", "no se guardó la operación."),
        ("GET", "/api/patients/search", "no se pudo completar la consulta."),
    ],
)
def test_the_message_says_what_was_not_saved(method: str, path: str, said: str) -> None:
    msg = disk_full_message(method, path)
    assert msg.startswith("El disco del equipo de la sede está lleno: ")
    assert msg.endswith(f"{said} Avise al técnico.")


def _statvfs(free_mb: int, total_mb: int = 1000) -> object:
    return SimpleNamespace(f_bavail=free_mb * 256, f_frsize=4096, f_blocks=total_mb * 256)


@pytest.mark.parametrize(
    ("free", "level"), [(500, "ok"), (199, "bajo"), (20, "bajo"), (19, "lleno")]
)
def test_levels_against_the_thresholds(
    free: int, level: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(os, "statvfs", lambda _p: _statvfs(free))
    space = measure(tmp_path, low_mb=200, full_mb=20)
    assert (space.level, space.free_mb, space.total_bytes) == (level, free, 1000 * 1024 * 1024)


def test_the_real_free_space_of_a_directory(tmp_path: Path) -> None:
    st = os.statvfs(tmp_path)
    space = measure(tmp_path, low_mb=0, full_mb=0)
    assert space.level == "ok" and space.free_bytes == st.f_bavail * st.f_frsize
    assert measure(tmp_path / "missing", low_mb=0, full_mb=0).level == "lleno"


def test_alarm_logs_a_condition_once_and_its_end_once(caplog: pytest.LogCaptureFixture) -> None:
    alarm = DiskAlarm(logging.getLogger("test.disk"))
    with caplog.at_level(logging.INFO, logger="test.disk"):
        firsts = [alarm.raised("sunat.send", OSError(errno.ENOSPC, "full")) for _ in range(30)]
        alarm.raised("lab.send", OSError(errno.ENOSPC, "full"))
        assert alarm.active() == {"sunat.send", "lab.send"}
        ends = [alarm.cleared("sunat.send") for _ in range(3)]
    assert firsts == [True] + [False] * 29 and ends == [True, False, False]
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [lvl for lvl, _ in lines] == ["WARNING", "WARNING", "INFO"]
    assert "sunat.send" in lines[0][1] and "recuperado" in lines[2][1]
    assert alarm.active() == {"lab.send"}


def test_level_watch_logs_changes_only(caplog: pytest.LogCaptureFixture) -> None:
    watch = LevelWatch(logging.getLogger("test.level"))
    mb = 1024 * 1024
    levels: list[tuple[int, diskspace.Level]] = [
        (500, "ok"), (150, "bajo"), (140, "bajo"), (5, "lleno"), (900, "ok")
    ]  # fmt: skip
    seen = [
        diskspace.DiskSpace(free_bytes=free * mb, total_bytes=1000 * mb, level=level)
        for free, level in levels
    ]
    with caplog.at_level(logging.INFO, logger="test.level"):
        changed = [watch.update(s) for s in seen]
    assert changed == [False, True, False, True, True]
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING", "INFO"]
    assert "150 MB libres" in caplog.records[0].getMessage()
