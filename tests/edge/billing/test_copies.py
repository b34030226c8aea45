"""The counter commits a document's signed XML in ``invoice_file`` and writes no file; the
worker's ``billing.copies`` job writes the copies of the rows committed since its last round,
without fsync, and a full disk leaves the rest for the next round."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select

from domain.ids import new_id
from edge import worker
from edge.billing import copies, files
from edge.billing.models import Invoice, InvoiceFile
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.helpers import issue


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test is a worker process whose job has not run yet."""
    monkeypatch.setattr(copies, "_marks", {})


def _stored(rt: EdgeRuntime, invoice: Invoice) -> bytes:
    with read_session(rt.engine) as session:
        return session.exec(
            select(InvoiceFile.content).where(
                InvoiceFile.owner_id == invoice.id, InvoiceFile.kind == "xml"
            )
        ).one()


def test_issuing_writes_no_file_and_the_job_writes_the_stored_bytes(
    rt: EdgeRuntime, make_order: Callable[..., Order], fsyncs: list[int]
) -> None:
    inv = issue(rt, make_order())
    path = rt.settings.data_dir / inv.xml_path
    assert not path.exists()  # the counter's request did no file work
    job = worker.registered_jobs()["billing.copies"]
    assert job.seconds == 1
    assert job.fn(rt) == 1
    assert path.read_bytes() == _stored(rt, inv)
    assert fsyncs == []  # a copy of fsynced bytes (the first round of billing.missing_files
    # after a restart compares every copy of its window with the database)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left


def test_each_round_writes_only_what_was_committed_since_the_last(
    rt: EdgeRuntime, make_order: Callable[..., Order]
) -> None:
    first = [issue(rt, make_order()) for _ in range(3)]
    assert copies.write_new(rt) == 3
    paths = [rt.settings.data_dir / d.xml_path for d in first]
    paths[0].unlink()  # gone behind the job's back: billing.missing_files' to find, not this
    assert copies.write_new(rt) == 0 and not paths[0].exists()
    later = issue(rt, make_order())
    assert copies.write_new(rt) == 1
    assert (rt.settings.data_dir / later.xml_path).read_bytes() == _stored(rt, later)
    assert not paths[0].exists()


def test_a_new_process_starts_a_chunk_back_and_leaves_existing_files_alone(
    rt: EdgeRuntime, make_order: Callable[..., Order], monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [issue(rt, make_order()) for _ in range(4)]
    assert copies.write_new(rt) == 4
    paths = [rt.settings.data_dir / d.xml_path for d in docs]
    kept = os.stat(paths[3]).st_mtime_ns
    paths[0].unlink()
    paths[2].unlink()
    monkeypatch.setattr(copies, "_marks", {})  # the worker restarts
    monkeypatch.setattr(copies, "_CHUNK", 3)  # the last 3 rows of invoice_file
    assert copies.write_new(rt) == 1  # docs[2]; docs[0] is older than the chunk
    assert paths[2].read_bytes() == _stored(rt, docs[2])
    assert not paths[0].exists()
    assert os.stat(paths[3]).st_mtime_ns == kept


def test_a_full_disk_stops_the_round_and_the_next_one_goes_on_from_there(
    rt: EdgeRuntime, make_order: Callable[..., Order], monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [issue(rt, make_order()) for _ in range(3)]
    real = files.write_atomic
    attempts: list[Path] = []

    def space_for_one(target: Path, data: bytes, **kw: bool) -> None:
        attempts.append(target)
        if len(attempts) > 1:
            raise OSError(28, "No space left on device", str(target))
        real(target, data, **kw)

    monkeypatch.setattr(files, "write_atomic", space_for_one)
    assert copies.write_new(rt) == 1
    monkeypatch.setattr(files, "write_atomic", real)
    assert copies.write_new(rt) == 2
    assert [(rt.settings.data_dir / d.xml_path).read_bytes() for d in docs] == [
        _stored(rt, d) for d in docs
    ]


def test_cdrs_and_summaries_are_not_the_jobs_and_do_not_hold_it_back(
    rt: EdgeRuntime, make_order: Callable[..., Order], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(copies, "_CHUNK", 2)
    inv = issue(rt, make_order())
    assert copies.write_new(rt) == 1
    # SUNAT's answer to it and two summaries (RC) with theirs: the worker commits them and
    # writes their files itself, after its commit
    owners = [(inv.id, ("cdr",)), (new_id(), ("xml", "cdr")), (new_id(), ("xml", "cdr"))]
    with unit_of_work(rt.engine) as session:
        for owner, kinds in owners:
            for kind in kinds:
                session.add(InvoiceFile(owner_id=owner, kind=kind, filename=f"{owner}.{kind}",
                                        content=b"PK", created_at=rt.clock.now()))  # fmt: skip
    later = issue(rt, make_order())
    assert copies.write_new(rt) == 1  # past five rows of others, two per query
    folder = (rt.settings.data_dir / later.xml_path).parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        Path(d.xml_path).name for d in (inv, later)
    )
    assert (rt.settings.data_dir / later.xml_path).read_bytes() == _stored(rt, later)
