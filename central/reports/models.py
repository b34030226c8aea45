"""Summary tables of the reports, kept in step with ``sync_record`` by statement-level triggers
(migration 0002, SQL in :mod:`central.reports.projections`).

Each row adds up the contributions of the replicated rows with its key: when a row is upserted
again (a status change, a document accepted) its old image is subtracted and the new one added,
so the sums always equal a recomputation from the raw rows. Amounts are integer céntimos.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, text
from sqlmodel import Field

from central.base import HubModel


def _sum() -> int:
    return Field(default=0, sa_type=BigInteger)  # type: ignore[no-any-return]


class OrderDay(HubModel, table=True):
    """Orders per sede, day, status, cashier and convenio ('' when none)."""

    __tablename__ = "rpt_order_day"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True, index=True)
    status: str = Field(primary_key=True, max_length=30)
    cashier_id: str = Field(primary_key=True, max_length=36)
    convenio_id: str = Field(primary_key=True, max_length=36)
    orders: int = _sum()
    subtotal_cents: int = _sum()
    discount_cents: int = _sum()
    total_cents: int = _sum()
    covered_cents: int = _sum()
    paid_cents: int = _sum()
    discounted_orders: int = _sum()


class PaymentDay(HubModel, table=True):
    """Payments per sede, day, method and cashier (refunds are the negative ones)."""

    __tablename__ = "rpt_payment_day"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True, index=True)
    method: str = Field(primary_key=True, max_length=20)
    cashier_id: str = Field(primary_key=True, max_length=36)
    payments: int = _sum()
    amount_cents: int = _sum()
    refunds: int = _sum()
    refund_cents: int = _sum()


class DocumentDay(HubModel, table=True):
    """SUNAT documents per sede, day, type and state."""

    __tablename__ = "rpt_document_day"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True, index=True)
    doc_type: str = Field(primary_key=True, max_length=2)
    state: str = Field(primary_key=True, max_length=20)
    documents: int = _sum()
    total_cents: int = _sum()
    igv_cents: int = _sum()


class ServiceDay(HubModel, table=True):
    """Sold lines (not a panel's inner tests) per sede, day and catalog service."""

    __tablename__ = "rpt_service_day"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True, index=True)
    service_id: str = Field(primary_key=True, max_length=36)
    service_code: str = Field(default="", max_length=20)
    service_name: str = ""
    quantity: int = _sum()
    amount_cents: int = _sum()


class ServiceItem(HubModel, table=True):
    """Each sold line (not a panel's inner test) as ``rpt_service_day`` counts it: the ledger
    that lets the triggers subtract a line when its order is cancelled later (and add it back
    if the order leaves ``anulada``), whatever the order of rows within a pushed batch.
    ``counted`` is false while the line's order is cancelled."""

    __tablename__ = "rpt_service_item"

    item_id: str = Field(primary_key=True, max_length=64)  # sync_record.id
    order_id: str = Field(default="", max_length=64, index=True)
    sede_id: str = Field(max_length=36)
    business_date: dt.date
    service_id: str = Field(max_length=36)
    service_code: str = Field(default="", max_length=20)
    service_name: str = ""
    quantity: int = _sum()
    amount_cents: int = _sum()
    counted: bool = True


class CashDay(HubModel, table=True):
    """Closed cash sessions per sede, day and cashier: expected, declared, difference."""

    __tablename__ = "rpt_cash_day"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True, index=True)
    cashier_id: str = Field(primary_key=True, max_length=36)
    sessions: int = _sum()
    expected_cents: int = _sum()
    declared_cents: int = _sum()
    difference_cents: int = _sum()
    over_sessions: int = _sum()
    short_sessions: int = _sum()


class StatusDay(HubModel, table=True):
    """Order status changes per sede, day, target status and user (cancellations by user)."""

    __tablename__ = "rpt_status_day"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True, index=True)
    to_status: str = Field(primary_key=True, max_length=30)
    user_id: str = Field(primary_key=True, max_length=36)
    events: int = _sum()


class PhysicianDay(HubModel, table=True):
    """Valid (not ``anulada``) orders per sede, day and ordering physician (médico solicitante,
    ``domain.physician``: CMP digits and name as the order carries them, '' when none), with
    how many were urgent and what they were sold for (migration 0007)."""

    __tablename__ = "rpt_physician_day"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True, index=True)
    physician_cmp: str = Field(primary_key=True)  # unbounded: a pushed row never overflows it
    physician_name: str = Field(primary_key=True)
    orders: int = _sum()
    urgent_orders: int = _sum()
    total_cents: int = _sum()


class PatientFirst(HubModel, table=True):
    """Each patient's first order (day and sede): new vs recurring patients."""

    __tablename__ = "rpt_patient_first"

    patient_id: str = Field(primary_key=True, max_length=36)
    first_date: dt.date = Field(index=True)
    first_sede_id: str = Field(max_length=36)


class PatientDay(HubModel, table=True):
    """Valid (not ``anulada``) orders per sede, day and patient (``patient_id`` as the order
    carries it, '' when none), and the same per day and patient over the whole chain (rows
    with ``sede_id`` ''). Each row also has the patient's chain-wide first order date (copied
    from ``rpt_patient_first``) and ``prev_date``, the patient's previous day with valid orders
    in the same scope (sede, or chain): the distinct patients of a period in one scope are its
    rows with no earlier visit in the period, counted straight off the partial index (no raw
    rows, no DISTINCT over every patient, no join). A row whose orders were all cancelled later
    stays with ``orders`` 0 (its ``prev_date`` is then not kept); queries read ``orders > 0``."""

    __tablename__ = "rpt_patient_day"
    __table_args__ = (
        Index(
            "ix_rpt_patient_day_visits",
            "sede_id",
            "business_date",
            postgresql_include=["patient_id", "first_date", "prev_date"],
            postgresql_where=text("orders > 0"),
        ),
    )

    sede_id: str = Field(primary_key=True, max_length=36)  # '' for the whole chain
    business_date: dt.date = Field(primary_key=True)
    patient_id: str = Field(primary_key=True, max_length=64, index=True)
    orders: int = _sum()
    first_date: dt.date | None = None
    prev_date: dt.date | None = None
