"""The signed XML and CDR of a document, copied for the hub (replicated ``invoice_document``).

:func:`publish` is called where a document gets SUNAT's final answer (:mod:`edge.billing.sender`,
:mod:`edge.billing.summaries`), inside that transaction, never in the sale path.

The way back: a node restored from an older copy takes its lost records back from the hub
(:mod:`edge.sync.restore`), ``invoice_document`` among them. :func:`take_back` turns those
copies into ``invoice_file`` rows again (in the restore's transaction) and queues the files;
the ``billing.restored_files`` job writes them under the data directory
(:func:`write_restored`), so reprints, the XML / CDR downloads and the SUNAT sender work for
re-imported documents.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from domain.ids import new_id
from edge.billing import files
from edge.billing.models import Invoice, InvoiceDocument, InvoiceFile, RestoredFile
from edge.db import read_session, unit_of_work
from edge.runtime import EdgeRuntime
from edge.worker import job

log = logging.getLogger("labred.edge.billing")


def _file(session: Session, owner_id: str, kind: str) -> InvoiceFile | None:
    return session.exec(
        select(InvoiceFile).where(InvoiceFile.owner_id == owner_id, InvoiceFile.kind == kind)
    ).first()


def publish(
    session: Session, inv: Invoice, *, now: dt.datetime, cdr_owner_id: str | None = None
) -> InvoiceDocument | None:
    """Create or refresh the replicated copy of ``inv``'s signed XML and CDR (the CDR of the
    summary that reported it when ``cdr_owner_id`` is given). None when there is no XML."""
    xml = _file(session, inv.id, "xml")
    if xml is None:
        return None
    cdr = _file(session, cdr_owner_id or inv.id, "cdr")
    row = session.get(InvoiceDocument, inv.id)
    if row is None:
        row = InvoiceDocument(
            id=inv.id,
            sede_id=inv.sede_id,
            business_date=inv.business_date,
            xml_filename=xml.filename,
            xml_b64="",
            updated_at=now,
        )
    row.xml_filename = xml.filename
    row.xml_b64 = base64.b64encode(xml.content).decode("ascii")
    if cdr is not None:
        row.cdr_filename = cdr.filename
        row.cdr_b64 = base64.b64encode(cdr.content).decode("ascii")
    row.updated_at = now
    session.add(row)
    return row


def _decode(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _restore_one(
    conn: Connection,
    owner_id: str,
    kind: str,
    *,
    relpath: str,
    filename: str,
    content: bytes | None,
    now: dt.datetime,
) -> bool:
    """One ``invoice_file`` row (unless the database still holds one) and its file queued."""
    if content is None or not relpath:
        return False
    ftab, qtab = InvoiceFile.__table__, RestoredFile.__table__  # type: ignore[attr-defined]
    held = conn.execute(
        sa_select(ftab.c.id).where(ftab.c.owner_id == owner_id, ftab.c.kind == kind)
    ).first()
    if held is None:
        conn.execute(
            insert(ftab).values(
                id=new_id(),
                owner_id=owner_id,
                kind=kind,
                filename=filename,
                content=content,
                created_at=now,
            )
        )
    conn.execute(insert(qtab).values(id=new_id(), owner_id=owner_id, kind=kind, relpath=relpath))
    return True


def take_back(conn: Connection, document_ids: Iterable[str], *, now: dt.datetime) -> int:
    """For the ``invoice_document`` rows a restore wrote back: the signed XML and CDR become
    ``invoice_file`` rows of their invoice again, their files queued for
    :func:`write_restored`. Runs inside the restore's transaction; returns the files restored."""
    dtab, itab = InvoiceDocument.__table__, Invoice.__table__  # type: ignore[attr-defined]
    restored = 0
    for doc_id in sorted(set(document_ids)):
        doc: Any = conn.execute(sa_select(dtab).where(dtab.c.id == doc_id)).first()
        inv: Any = conn.execute(
            sa_select(itab.c.business_date, itab.c.xml_path, itab.c.cdr_path).where(
                itab.c.id == doc_id
            )
        ).first()
        if doc is None or inv is None:
            continue
        folder = files.xml_relpath(inv.business_date, "x").rsplit("/", 1)[0]
        xml_path = inv.xml_path or f"{folder}/{doc.xml_filename}"
        restored += _restore_one(
            conn,
            doc_id,
            "xml",
            relpath=xml_path,
            filename=doc.xml_filename,
            content=_decode(doc.xml_b64),
            now=now,
        )
        if doc.cdr_filename:
            cdr_path = inv.cdr_path or f"{folder}/{doc.cdr_filename}"
            restored += _restore_one(
                conn,
                doc_id,
                "cdr",
                relpath=cdr_path,
                filename=doc.cdr_filename,
                content=_decode(doc.cdr_b64),
                now=now,
            )
    return restored


def write_restored(rt: EdgeRuntime) -> int:
    """Write the queued files of documents a restore took back (missing ones only)."""
    with read_session(rt.engine) as session:
        queued = [  # a row without its invoice_file (never expected) is just dropped
            (q.relpath, f.content)
            for q, f in session.exec(
                select(RestoredFile, InvoiceFile).where(
                    InvoiceFile.owner_id == RestoredFile.owner_id,
                    InvoiceFile.kind == RestoredFile.kind,
                )
            )
        ]
        done = session.exec(select(RestoredFile.id)).all()
    if not done:
        return 0
    for relpath, content in queued:
        files.ensure_file(rt.settings.data_dir, relpath, content)
    with unit_of_work(rt.engine) as session:
        table = RestoredFile.__table__  # type: ignore[attr-defined]
        session.connection().execute(delete(table).where(table.c.id.in_(done)))
    if queued:
        log.info("%d files of re-imported documents written back", len(queued))
    return len(queued)


@job("billing.restored_files", seconds=30)  # one indexed query when idle
def restored_files_job(rt: EdgeRuntime) -> int:
    return write_restored(rt)


__all__ = ["publish", "take_back", "write_restored"]
