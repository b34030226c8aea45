"""SUNAT documents issued at this sede, their lines, send attempts, series counters, summaries.

``Invoice``, ``InvoiceLine`` and ``SunatSubmission`` replicate up to the hub (``__sync_type__``).
The signed XML and the CDR are kept byte for byte in ``InvoiceFile`` (local, not replicated:
the outbox would otherwise carry the whole XML at every state change) and as files under
``documents/<business date>/`` (see :mod:`edge.billing.files`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import Cents, UTCDateTime

ZERO = Decimal("0.00")

#: Document states (DESIGN.md section 4 / issue 4).
PENDIENTE = "pendiente"
ENVIADO = "enviado"
ACEPTADO = "aceptado"
OBSERVADO = "observado"
RECHAZADO = "rechazado"
ERROR_RED = "error_red"
POR_REENVIAR = "por_reenviar"
ANULADO = "anulado"
STATES = (PENDIENTE, ENVIADO, ACEPTADO, OBSERVADO, RECHAZADO, ERROR_RED, POR_REENVIAR, ANULADO)
#: States whose SUNAT answer is final (nothing left to send).
FINAL_STATES = (ACEPTADO, OBSERVADO, RECHAZADO, ANULADO)
#: States the sender picks up.
SENDABLE_STATES = (PENDIENTE, ERROR_RED, POR_REENVIAR)

SEND_BILL = "bill"
SEND_SUMMARY = "summary"


class Invoice(EdgeModel, table=True):
    """A factura (01), boleta (03), nota de crédito (07) or nota de débito (08)."""

    __tablename__ = "invoice"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __sync_type__ = "invoice"
    __table_args__ = (
        UniqueConstraint("series", "number", name="uq_invoice_series_number"),
        # Partial (edge migration 0010): a sale's document references nothing, and only the
        # documents waiting for SUNAT have a next attempt (the sender's queue).
        Index(
            "ix_invoice_reference_invoice_id",
            "reference_invoice_id",
            sqlite_where=text("reference_invoice_id IS NOT NULL"),
        ),
        Index(
            "ix_invoice_next_attempt_at",
            "next_attempt_at",
            sqlite_where=text("next_attempt_at IS NOT NULL"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)  # one sede per node: an index would hold one value
    doc_type: str = Field(max_length=2, description="01 factura, 03 boleta, 07 NC, 08 ND")
    series: str = Field(max_length=4)
    number: int
    order_id: str | None = Field(default=None, max_length=36, index=True)
    customer_doc_type: str = Field(max_length=1, description="SUNAT catálogo 06")
    customer_doc_number: str = Field(max_length=15)
    customer_name: str
    customer_address: str = ""
    currency: str = Field(default="PEN", max_length=3)
    gravado: Decimal = Field(default=ZERO, sa_type=Cents)
    exonerado: Decimal = Field(default=ZERO, sa_type=Cents)
    inafecto: Decimal = Field(default=ZERO, sa_type=Cents)
    gratuito: Decimal = Field(default=ZERO, sa_type=Cents)
    global_discount: Decimal = Field(default=ZERO, sa_type=Cents)
    igv: Decimal = Field(default=ZERO, sa_type=Cents)
    total: Decimal = Field(default=ZERO, sa_type=Cents, description="payable amount")
    reference_invoice_id: str | None = Field(default=None, max_length=36)
    reference_doc_type: str | None = Field(default=None, max_length=2)
    reference_series: str | None = Field(default=None, max_length=4)
    reference_number: int | None = None
    note_reason: str | None = Field(default=None, max_length=2, description="cat. 09 / 10")
    reason: str = Field(default="", description="note description / void reason")
    payment_method: str | None = Field(
        default=None, max_length=10, description="forma de pago Contado | Credito (None: contado)"
    )
    payment_installments: list[dict[str, str]] | None = Field(
        default=None,
        sa_type=JSON,
        description='crédito cuotas [{"amount": "70.40", "due_date": "2026-12-29"}]',
    )
    issued_at: dt.datetime = Field(sa_type=UTCDateTime)
    business_date: dt.date = Field(index=True)
    digest_value: str = Field(default="", max_length=100, description="hash printed and in QR")
    state: str = Field(default=PENDIENTE, max_length=20, index=True)
    send_mode: str = Field(default=SEND_BILL, max_length=10, description="bill | summary")
    sunat_code: str | None = Field(default=None, max_length=10)
    sunat_description: str | None = None
    sunat_notes: list[str] = Field(default_factory=list, sa_type=JSON)
    xml_path: str = Field(default="", description="relative to the data directory")
    cdr_path: str | None = None
    deadline: dt.date = Field(description="last calendar day to send it to SUNAT")
    alarm: bool = Field(default=False, description="near or past its deadline, not accepted")
    attempts: int = 0
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    in_doubt: bool = Field(
        default=False, description="last send may have reached SUNAT: ask getStatusCdr first"
    )
    last_error: str | None = None
    summary_id: str | None = Field(default=None, max_length=36, description="RC reporting it")
    void_requested: bool = Field(default=False, description="void via the resumen diario")
    void_summary_id: str | None = Field(default=None, max_length=36)
    created_by: str | None = Field(default=None, max_length=36)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)

    @property
    def full_number(self) -> str:
        return f"{self.series}-{self.number}"


class InvoiceLine(EdgeModel, table=True):
    __tablename__ = "invoice_line"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __sync_type__ = "invoice_line"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    invoice_id: str = Field(foreign_key="invoice.id", index=True, max_length=36)
    sede_id: str = Field(max_length=36)
    position: int
    order_item_id: str | None = Field(default=None, max_length=36)
    code: str = Field(max_length=30)
    description: str
    quantity: int = 1
    unit: str = Field(default="ZZ", max_length=3)
    affectation: str = Field(default="10", max_length=2, description="cat. 07")
    unit_price: Decimal = Field(sa_type=Cents, description="IGV included")
    discount: Decimal = Field(default=ZERO, sa_type=Cents, description="IGV included")
    value: Decimal = Field(sa_type=Cents, description="line value, IGV excluded")
    igv: Decimal = Field(sa_type=Cents)
    total: Decimal = Field(sa_type=Cents, description="IGV included")
    business_date: dt.date


class SunatSubmission(EdgeModel, table=True):
    """One call to SUNAT about a document or summary (the attempt log)."""

    __tablename__ = "sunat_submission"
    __sync_type__ = "sunat_submission"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)
    invoice_id: str | None = Field(default=None, max_length=36, index=True)
    summary_id: str | None = Field(default=None, max_length=36, index=True)
    operation: str = Field(max_length=20, description="sendBill|getStatusCdr|sendSummary|...")
    attempt: int = 1
    outcome: str | None = Field(
        default=None, max_length=20, description="None while in flight (a crash leaves it so)"
    )
    sunat_code: str | None = Field(default=None, max_length=10)
    description: str | None = None
    ticket: str | None = Field(default=None, max_length=40)
    business_date: dt.date
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class SeriesCounter(EdgeModel, table=True):
    """Last correlative taken per series, bumped in the sale's transaction (gapless)."""

    __tablename__ = "series_counter"

    series: str = Field(primary_key=True, max_length=20)
    sede_id: str = Field(max_length=36)
    doc_type: str = Field(max_length=2)
    last_number: int = 0
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class SunatSummary(EdgeModel, table=True):
    """A resumen diario (RC) or comunicación de baja (RA) and its ticket."""

    __tablename__ = "sunat_summary"
    __table_args__ = (UniqueConstraint("name", name="uq_sunat_summary_name"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=2, description="RC | RA")
    name: str = Field(max_length=40, description="RC-20250131-101")
    correlative: int
    issue_date: dt.date
    reference_date: dt.date
    #: [{"invoice_id": ..., "condition": "1"|"3"}]
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    state: str = Field(default=PENDIENTE, max_length=20, index=True)
    ticket: str | None = Field(default=None, max_length=40)
    status_code: int | None = None
    sunat_code: str | None = Field(default=None, max_length=10)
    sunat_description: str | None = None
    digest_value: str = Field(default="", max_length=100)
    xml_path: str = ""
    cdr_path: str | None = None
    attempts: int = 0
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class SummaryFloor(EdgeModel, table=True):
    """Summary correlatives of a day at or below ``floor`` may already be SUNAT's (set when the
    node re-enrols after a restore, see :mod:`edge.billing.summary_names`)."""

    __tablename__ = "summary_floor"

    issue_date: dt.date = Field(primary_key=True)
    floor: int = Field(description="the sede's count that day, k of N = sede number x 100 + k")
    set_at: dt.datetime = Field(sa_type=UTCDateTime)


class RestoredFile(EdgeModel, table=True):
    """A file a restore took back from the hub, still to be written under the data directory
    (``invoice_file`` holds the bytes; the ``billing.restored_files`` job writes it)."""

    __tablename__ = "restored_file"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    owner_id: str = Field(max_length=36, index=True)
    kind: str = Field(max_length=8, description="xml | cdr")
    relpath: str = Field(description="relative to the data directory")


class InvoiceFile(EdgeModel, table=True):
    """Exact bytes of a signed XML or a CDR zip (of an invoice or a summary)."""

    __tablename__ = "invoice_file"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __table_args__ = (UniqueConstraint("owner_id", "kind", name="uq_invoice_file_owner_kind"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    # found by uq_invoice_file_owner_kind (owner_id first): no index of its own
    owner_id: str = Field(max_length=36, description="invoice or summary id")
    kind: str = Field(max_length=8, description="xml | cdr")
    filename: str = Field(max_length=80)
    content: bytes = Field(sa_type=LargeBinary)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class InvoiceDocument(EdgeModel, table=True):
    """The signed XML and the CDR of a document, replicated to the hub (``invoice_document``).

    Written once the document has SUNAT's final answer, in the same transaction as the state
    change, so the hub gets the state, the XML and the CDR in one push batch (batches never split
    a transaction) and can e-mail them. Base64 text keeps the bytes exact in the JSON payload; a
    signed document is ~10 KB, far below a push batch's 1 MiB. Not written in the sale path.
    """

    __tablename__ = "invoice_document"
    __sync_type__ = "invoice_document"

    id: str = Field(primary_key=True, max_length=36, description="= invoice.id")
    sede_id: str = Field(max_length=36)
    business_date: dt.date
    xml_filename: str = Field(max_length=80)
    xml_b64: str = Field(description="signed XML, base64")
    cdr_filename: str | None = Field(default=None, max_length=80)
    cdr_b64: str | None = Field(default=None, description="CDR zip, base64")
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
