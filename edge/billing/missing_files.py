"""Document files a committed transaction could not write (the disk was full), written later.

A signed XML or CDR is committed in ``invoice_file`` first and written under the data directory
after the commit, by the worker (:mod:`edge.billing.copies`,
:func:`edge.billing.files.write_after_commit`); when that write fails the document is safe in
the database but its file is missing. The ``billing.missing_files`` job
compares the paths the documents of the last :data:`WINDOW_DAYS` business days name
(``invoice`` and ``sunat_summary``: ``xml_path``, ``cdr_path``) with one directory listing per
day and writes what is missing from its ``invoice_file`` row. Idle cost: one indexed query and
a few ``listdir`` calls; on a full disk it stops at the first failure (logged once) and the
next round tries again.

The files written after a commit are not fsynced (:mod:`edge.billing.files`), so the first
round of each worker process (the one after a power cut, when the machine starts again) does
more: :func:`verify_window` reads every file of the window that has its bytes in
``invoice_file`` and rewrites, durably, each one that is missing, empty or torn.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import and_
from sqlmodel import Session, col, select

from domain.clock import business_date
from edge.billing import files
from edge.billing.models import Invoice, InvoiceFile, SunatSummary
from edge.db import read_session
from edge.runtime import EdgeRuntime
from edge.worker import job

log = logging.getLogger("labred.edge.billing")

#: Business days looked at by each round (a failed write is found within 20 s; a node
#: whose disk stays full for longer than this refuses sales anyway).
WINDOW_DAYS = 7
_CHUNK = 200


def _expected(session: Session, since: dt.date) -> Iterator[tuple[str, str, str]]:
    """``(owner id, kind, relpath)`` of every document file of business days from ``since``,
    streamed (``_CHUNK`` rows at a time): the window holds days of documents."""
    for model in (Invoice, SunatSummary):
        rows = session.exec(
            select(model.id, model.xml_path, model.cdr_path)  # type: ignore[call-overload]
            .where(col(model.business_date) >= since)
            .execution_options(yield_per=_CHUNK)
        )
        for owner_id, xml_path, cdr_path in rows:
            if xml_path:
                yield owner_id, "xml", xml_path
            if cdr_path:
                yield owner_id, "cdr", cdr_path


def missing(session: Session, data_dir: Path, *, today: dt.date) -> list[tuple[str, str, str]]:
    """Files of the window that a document names and the data directory lacks.

    One ``listdir`` per folder; what a round holds is those listings and what is missing, not
    every document's paths (that working set grew by ~1.6 KB per document of the window, every
    round: bench/bench_edge_worker_memory.py)."""
    listings: dict[str, set[str]] = {}
    out: list[tuple[str, str, str]] = []
    for owner_id, kind, relpath in _expected(session, today - dt.timedelta(days=WINDOW_DAYS)):
        folder, _, name = relpath.rpartition("/")
        listed = listings.get(folder)
        if listed is None:
            try:
                listed = set(os.listdir(data_dir / folder))
            except OSError:
                listed = set()
            listings[folder] = listed
        if name not in listed:
            out.append((owner_id, kind, relpath))
    return out


def write_missing(rt: EdgeRuntime) -> int:
    """Write the missing document files of the window from their ``invoice_file`` rows; the
    number written. A CDR named by a boleta is its summary's (written with the summary)."""
    data_dir = rt.settings.data_dir
    with read_session(rt.engine) as session:
        todo = missing(session, data_dir, today=business_date(rt.clock.now()))
    written = 0
    for start in range(0, len(todo), _CHUNK):
        chunk = todo[start : start + _CHUNK]
        with read_session(rt.engine) as session:
            rows = session.exec(
                select(InvoiceFile.owner_id, InvoiceFile.kind, InvoiceFile.content).where(
                    col(InvoiceFile.owner_id).in_({owner for owner, _, _ in chunk})
                )
            ).all()
        content = {(owner, kind): data for owner, kind, data in rows}
        for owner_id, kind, relpath in chunk:
            data = content.get((owner_id, kind))
            if data is None:  # a boleta's CDR path names its summary's file
                continue
            if not files.try_write(data_dir, relpath, data, missing_only=True):
                return written  # disk still full (logged once): the next round goes on
            written += 1
    if written:
        log.info("%d document files written after the disk had no space", written)
    return written


def verify_window(rt: EdgeRuntime) -> int | None:
    """Compare every file of the window that has its bytes in ``invoice_file`` with them and
    rewrite (durably) the ones that differ: the number rewritten, None when the disk refused one
    (logged once; the next round verifies again). Streams the rows, ``_CHUNK`` at a time."""
    data_dir = rt.settings.data_dir
    since = business_date(rt.clock.now()) - dt.timedelta(days=WINDOW_DAYS)
    rewritten = 0
    with read_session(rt.engine) as session:
        for model in (Invoice, SunatSummary):
            for kind, path_col in (("xml", model.xml_path), ("cdr", model.cdr_path)):
                rows = session.exec(
                    select(path_col, InvoiceFile.content)  # type: ignore[call-overload]
                    .join(
                        InvoiceFile,
                        and_(
                            col(InvoiceFile.owner_id) == model.id,
                            col(InvoiceFile.kind) == kind,
                        ),
                    )
                    .where(col(model.business_date) >= since, col(path_col).is_not(None))
                    .execution_options(yield_per=_CHUNK)
                )
                for relpath, data in rows:
                    if not relpath or files.same_bytes(data_dir / relpath, data):
                        continue
                    if not files.try_write(data_dir, relpath, data):
                        return None
                    rewritten += 1
    if rewritten:
        log.warning(
            "%d document files were missing or differed from the database: rewritten", rewritten
        )
    return rewritten


#: Data directories whose window this process has verified (:func:`verify_window`).
_verified: set[Path] = set()


@job("billing.missing_files", seconds=20)  # ~14 ms at 3,000 documents in the window
def missing_files_job(rt: EdgeRuntime) -> int:
    if rt.settings.data_dir not in _verified:
        rewritten = verify_window(rt)
        if rewritten is None:
            return 0
        _verified.add(rt.settings.data_dir)
        return rewritten
    return write_missing(rt)


__all__ = ["WINDOW_DAYS", "missing", "verify_window", "write_missing"]
