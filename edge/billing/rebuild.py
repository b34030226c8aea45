"""Signing a stored document again when its signed XML is missing here (after a restore).

A restore takes back from the hub the documents this node issued after its restored point
(:mod:`edge.sync.restore`). Those that already had SUNAT's answer come with their signed XML and
CDR (``invoice_document``, :func:`edge.billing.hubcopy.take_back`); one still waiting for SUNAT
has no copy at the hub (the copy is made with the answer, never in the sale path). Its rows are
enough: rendering and signing are deterministic, so the document is rebuilt from its rows and
signed again, and kept only when the digest equals the one stored (and printed) at issue — the
very same document. Otherwise (the company or sede data used in the XML changed since) nothing
is invented: the document leaves the queue with an alarm for the operator.
"""

from __future__ import annotations

from sqlmodel import Session

from domain.errors import LabError
from domain.sunat import build_document
from domain.sunat.totals import document_totals
from edge.billing import files
from edge.billing.documents import to_document
from edge.billing.models import Invoice, InvoiceFile
from edge.billing.signer import get_signer
from edge.settings import EdgeSettings


def rebuild_xml(session: Session, settings: EdgeSettings, inv: Invoice) -> InvoiceFile | None:
    """The signed XML of ``inv`` rebuilt from its rows (stored, file written after commit), or
    None when the result would not be the document issued (digest differs)."""
    try:
        doc = to_document(session, inv)
        totals = document_totals(doc)  # the rules passed at issue; only the figures
        signed = get_signer(settings).sign_tree(build_document(doc, totals))
    except (LabError, ValueError):
        return None
    if not inv.digest_value or signed.digest_value != inv.digest_value:
        return None
    filename = inv.xml_path.rsplit("/", 1)[-1] if inv.xml_path else ""
    row = InvoiceFile(
        owner_id=inv.id,
        kind="xml",
        filename=filename,
        content=signed.xml,
        created_at=inv.updated_at,
    )
    session.add(row)
    session.flush()
    if inv.xml_path:
        files.write_after_commit(session, settings.data_dir, inv.xml_path, signed.xml)
    return row


__all__ = ["rebuild_xml"]
