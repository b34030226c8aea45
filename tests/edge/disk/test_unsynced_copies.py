"""The document files the worker writes after a sale's commit are copies of ``invoice_file``
rows and are not fsynced; the first round of the ``billing.missing_files`` job in a worker
process (the one after a power cut) rewrites every copy of its window that is missing, empty,
cut short or torn.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select

from domain.clock import FixedClock
from edge import worker
from edge.billing import copies, files, missing_files
from edge.billing.models import InvoiceFile
from edge.db import read_session
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.helpers import issue


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test is a worker process that has verified and copied nothing yet."""
    monkeypatch.setattr(missing_files, "_verified", set())
    monkeypatch.setattr(copies, "_marks", {})


def test_a_durable_write_fsyncs_the_file_and_its_folder_a_copy_does_not(
    tmp_path: Path, fsyncs: list[int]
) -> None:
    target = tmp_path / "documents" / "2026-03-10" / "a.xml"
    files.write_atomic(target, b"<a/>")  # also makes the day's folder
    assert len(fsyncs) == 2 and target.read_bytes() == b"<a/>"
    files.write_atomic(target, b"<b/>", durable=False)
    assert len(fsyncs) == 2 and target.read_bytes() == b"<b/>"
    assert [p.name for p in target.parent.iterdir()] == ["a.xml"]  # no temporary left


def _stored(rt: EdgeRuntime, owner_id: str) -> bytes:
    with read_session(rt.engine) as session:
        return session.exec(
            select(InvoiceFile.content).where(
                InvoiceFile.owner_id == owner_id, InvoiceFile.kind == "xml"
            )
        ).one()


def test_the_first_round_rewrites_missing_empty_short_and_torn_copies(
    rt: EdgeRuntime, make_order: Callable[..., Order], fsyncs: list[int]
) -> None:
    docs = [issue(rt, make_order()) for _ in range(5)]
    assert copies.write_new(rt) == 5  # the worker's copies, not fsynced
    assert fsyncs == []
    paths = [rt.settings.data_dir / d.xml_path for d in docs]
    good = [p.read_bytes() for p in paths]
    paths[0].unlink()  # never written
    paths[1].write_bytes(b"")  # what a power cut leaves of a file ext4 had not flushed
    paths[2].write_bytes(good[2][: len(good[2]) // 2])  # cut short
    paths[3].write_bytes(b"\0" * len(good[3]))  # the right size, zeros (another file system)
    untouched = os.stat(paths[4]).st_mtime_ns
    job = worker.registered_jobs()["billing.missing_files"].fn
    assert job(rt) == 4
    assert [p.read_bytes() for p in paths] == [_stored(rt, d.id) for d in docs] == good
    assert os.stat(paths[4]).st_mtime_ns == untouched  # a good copy is only read
    assert len(fsyncs) == 8  # the rewrites are durable: file and folder
    paths[1].write_bytes(b"")
    assert job(rt) == 0  # later rounds only look for missing names (the cheap check)
    paths[1].unlink()
    assert job(rt) == 1 and paths[1].read_bytes() == good[1]


def test_the_first_round_looks_at_the_window_only(
    rt: EdgeRuntime, make_order: Callable[..., Order], clock: FixedClock
) -> None:
    inv = issue(rt, make_order())
    path = rt.settings.data_dir / inv.xml_path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    later = inv.business_date + dt.timedelta(days=missing_files.WINDOW_DAYS + 1)
    clock.set(dt.datetime.combine(later, dt.time(15), tzinfo=dt.UTC))
    assert missing_files.verify_window(rt) == 0
    assert path.read_bytes() == b""


def test_a_full_disk_leaves_the_verification_for_the_next_round(
    rt: EdgeRuntime, make_order: Callable[..., Order], monkeypatch: pytest.MonkeyPatch
) -> None:
    inv = issue(rt, make_order())
    path = rt.settings.data_dir / inv.xml_path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    real = files.write_atomic

    def no_space(target: Path, data: bytes, **_: object) -> None:
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(files, "write_atomic", no_space)
    job = worker.registered_jobs()["billing.missing_files"].fn
    assert job(rt) == 0 and path.read_bytes() == b""
    monkeypatch.setattr(files, "write_atomic", real)
    assert job(rt) == 1  # verified again, not just looked up by name
    assert path.read_bytes() == _stored(rt, inv.id)
