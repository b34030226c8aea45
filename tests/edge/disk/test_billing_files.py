"""Document files on a full disk: the database keeps the bytes, the file follows.

- the SUNAT sender sends a document whose XML file the full disk refused to the worker's copies
  job (the bytes sent are the row's) and the sweep writes the file later;
- a CDR whose file the full disk refuses after the answer was committed: the round still
  counts as done (before: the exception after the commit failed the job) and the file follows;
- files a restore took back stay queued while the disk is full.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select

from edge import diskspace
from edge.billing import copies, files, hubcopy, sender
from edge.billing.missing_files import missing, write_missing
from edge.billing.models import ACEPTADO, InvoiceFile, RestoredFile
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import Sim
from tests.edge.billing.helpers import invoice_row, issue

REAL_WRITE = files.write_atomic


def _no_space(path: Path, data: bytes, **_: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", str(path))


@pytest.fixture(autouse=True)
def fresh_alarm(monkeypatch: pytest.MonkeyPatch) -> diskspace.DiskAlarm:
    alarm = diskspace.DiskAlarm()
    monkeypatch.setattr(files, "ALARM", alarm)
    return alarm


def test_try_write_never_raises_and_logs_a_full_disk_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    fresh_alarm: diskspace.DiskAlarm,
) -> None:
    monkeypatch.setattr(files, "write_atomic", _no_space)
    with caplog.at_level(logging.INFO):
        assert [files.try_write(tmp_path, f"d/{i}.xml", b"x") for i in range(5)] == [False] * 5
        (tmp_path / "d").mkdir()
        (tmp_path / "d" / "there.xml").write_bytes(b"old")
        assert files.try_write(tmp_path, "d/there.xml", b"new", missing_only=True)
        assert fresh_alarm.active() == {"documents"}  # skipping a present file is no recovery
        monkeypatch.setattr(files, "write_atomic", REAL_WRITE)
        assert files.try_write(tmp_path, "d/0.xml", b"x")
    assert (tmp_path / "d" / "there.xml").read_bytes() == b"old"
    disk = [r.levelname for r in caplog.records if r.name == "labred.edge.disk"]
    assert disk == ["WARNING", "INFO"]


def test_the_sender_sends_what_the_full_disk_would_not_write_and_the_file_follows(
    rt: EdgeRuntime,
    make_order: Callable[..., Order],
    sim: Sim,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(files, "write_atomic", _no_space)
    inv = issue(rt, make_order(document_type="01", customer=("6", "20100066603", "ANDINA SA")))
    xml_file = rt.settings.data_dir / inv.xml_path
    assert copies.write_new(rt) == 0  # the worker's copy was refused (and did not raise)
    assert not xml_file.exists()
    report = sender.send_round(rt, client=sim.client())
    assert report.sent == 1 and report.answered == {ACEPTADO: 1}
    row = invoice_row(rt, inv.id)
    assert row.state == ACEPTADO and row.cdr_path
    with read_session(rt.engine) as session:
        assert len(missing(session, rt.settings.data_dir, today=row.business_date)) == 2
    monkeypatch.setattr(files, "write_atomic", REAL_WRITE)
    assert write_missing(rt) == 2  # the XML and the CDR
    with read_session(rt.engine) as session:
        stored = {
            f.kind: f.content
            for f in session.exec(select(InvoiceFile).where(InvoiceFile.owner_id == inv.id))
        }
    assert xml_file.read_bytes() == stored["xml"]
    assert (rt.settings.data_dir / row.cdr_path).read_bytes() == stored["cdr"]


def test_restored_files_stay_queued_while_the_disk_is_full(
    rt: EdgeRuntime, make_order: Callable[..., Order], monkeypatch: pytest.MonkeyPatch
) -> None:
    inv = issue(rt, make_order())
    xml_file = rt.settings.data_dir / inv.xml_path
    assert not xml_file.exists()  # (the worker's billing.copies has not run)
    with unit_of_work(rt.engine) as session:
        session.add(RestoredFile(owner_id=inv.id, kind="xml", relpath=inv.xml_path))
    monkeypatch.setattr(files, "write_atomic", _no_space)
    with pytest.raises(OSError) as failed:  # the worker logs it once (see test_worker_...)
        hubcopy.write_restored(rt)
    assert diskspace.is_disk_full(failed.value)
    with read_session(rt.engine) as session:
        assert len(session.exec(select(RestoredFile)).all()) == 1  # still queued
    monkeypatch.setattr(files, "write_atomic", REAL_WRITE)
    assert hubcopy.write_restored(rt) == 1 and xml_file.exists()
