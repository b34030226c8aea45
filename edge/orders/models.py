"""Orders, their items, status history and payments (edge-owned, replicated up)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import Cents, UTCDateTime


class Order(EdgeModel, table=True):
    __tablename__ = "lab_order"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __sync_type__ = "order"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36)  # one sede per node: an index would hold one value
    number: str = Field(unique=True, max_length=30, description="S01-20261129-0001")
    patient_id: str = Field(foreign_key="patient.id", index=True, max_length=36)
    convenio_id: str | None = Field(default=None, max_length=36)
    status: str = Field(default="registrada", max_length=30, index=True)
    subtotal: Decimal = Field(sa_type=Cents, description="sum of items before discount")
    discount_total: Decimal = Field(default=Decimal("0.00"), sa_type=Cents)
    total: Decimal = Field(sa_type=Cents, description="subtotal - discounts")
    covered_total: Decimal = Field(
        default=Decimal("0.00"),
        sa_type=Cents,
        description="part billed to the convenio (por cobrar)",
    )
    coverage_pct: str = Field(
        default="0.00", max_length=6, description="convenio coverage % at the time of sale"
    )
    paid_total: Decimal = Field(default=Decimal("0.00"), sa_type=Cents)
    balance: Decimal = Field(sa_type=Cents, description="total - covered - paid")
    discount_kind: str | None = Field(default=None, max_length=10, description="percent | amount")
    discount_value: str | None = Field(
        default=None, max_length=12, description="percent or soles as entered, e.g. '15.00'"
    )
    discount_reason: str | None = None
    discount_approved_by: str | None = Field(default=None, max_length=36)
    document_type: str = Field(default="03", max_length=2, description="01 factura, 03 boleta")
    customer_doc_type: str | None = Field(default=None, max_length=1)
    customer_doc_number: str | None = Field(default=None, max_length=15)
    customer_name: str | None = None
    customer_address: str | None = None
    cancel_reason: str | None = None
    cashier_id: str = Field(max_length=36, index=True)
    business_date: dt.date = Field(index=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
    results_promised_at: dt.datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        index=True,  # GET /api/orders?late=true
        description="results promised from (domain.results_promise); None: sold before 0005",
    )
    priority: str = Field(
        default="rutina",
        max_length=10,
        sa_column_kwargs={"server_default": "rutina"},
        description="rutina | urgente (domain.physician.Priority)",
    )
    physician_cmp: str | None = Field(
        default=None, max_length=6, description="médico solicitante: CMP, digits"
    )
    physician_name: str | None = Field(
        default=None, max_length=120, description="médico solicitante as on the medical order"
    )


class OrderItem(EdgeModel, table=True):
    __tablename__ = "order_item"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __sync_type__ = "order_item"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    sede_id: str = Field(max_length=36)
    service_id: str = Field(max_length=36, description="catalog service (test or panel)")
    service_code: str = Field(max_length=20)
    service_name: str
    parent_item_id: str | None = Field(
        default=None, max_length=36, description="panel item this test belongs to"
    )
    quantity: int = 1
    unit_price: Decimal = Field(sa_type=Cents, description="price sold at, IGV included")
    list_price: Decimal = Field(sa_type=Cents, description="catalog price at the time")
    discount: Decimal = Field(default=Decimal("0.00"), sa_type=Cents)
    line_total: Decimal = Field(sa_type=Cents)
    catalog_version: int
    price_overridden: bool = False
    coverage_eligible: bool = Field(
        default=True, description="counts towards the convenio's covered part"
    )
    sample_type: str = ""
    tube: str = ""
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class OrderStatusEvent(EdgeModel, table=True):
    __tablename__ = "order_status_event"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __sync_type__ = "order_status_event"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    sede_id: str = Field(max_length=36)
    from_status: str | None = Field(default=None, max_length=30)
    to_status: str = Field(max_length=30)
    reason: str | None = None
    user_id: str = Field(max_length=36)
    business_date: dt.date
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class Payment(EdgeModel, table=True):
    __tablename__ = "payment"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert
    __sync_type__ = "payment"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    sede_id: str = Field(max_length=36)
    method: str = Field(max_length=20, description="efectivo|tarjeta|yape|plin|transferencia")
    amount: Decimal = Field(sa_type=Cents, description="applied to the order (negative: refund)")
    tendered: Decimal | None = Field(default=None, sa_type=Cents, description="cash handed over")
    change: Decimal | None = Field(default=None, sa_type=Cents)
    reference: str | None = Field(
        default=None, max_length=60, description="card voucher / operation number"
    )
    cash_session_id: str | None = Field(default=None, max_length=36, index=True)
    cashier_id: str = Field(max_length=36)
    business_date: dt.date = Field(index=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class OrderCounter(EdgeModel, table=True):
    """Per-sede, per-business-day order sequence, taken inside the order's own transaction.

    Local to the node (not replicated): a rolled-back sale leaves no trace, a committed number
    is never handed out again, and another sede's numbers carry another sede code.
    """

    __tablename__ = "order_counter"

    sede_id: str = Field(primary_key=True, max_length=36)
    business_date: dt.date = Field(primary_key=True)
    last_seq: int = 0
    sealed: bool = Field(
        default=False, description="the day has its seal (edge.cash.seal): it takes no order"
    )


class OrderRequestKey(EdgeModel, table=True):
    """The ``Idempotency-Key`` of a ``POST /api/orders`` and the order it created.

    Local to the node (not replicated). A client that sends the same sale again with the same
    key (a double click, a retry after a timeout on the sede's LAN) gets the order the first
    request created instead of a second sale; the same key with another body is refused.
    """

    __tablename__ = "order_request_key"
    __fast_insert__ = True  # a sale inserts it: edge.fastinsert

    user_id: str = Field(primary_key=True, max_length=36)
    key: str = Field(primary_key=True, max_length=100)
    fingerprint: str = Field(max_length=64, description="sha256 of the request body")
    order_id: str = Field(foreign_key="lab_order.id", max_length=36)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


class DiscountRequest(EdgeModel, table=True):
    """A discount above the threshold waiting for a supervisor (edge/orders/discount_requests).

    The order is registered at full price; the request holds the discount until a supervisor
    of the sede approves it (then it is applied to the order) or rejects it, or the business
    day ends (``vencida``). Replicated up like every edge-owned record.
    """

    __tablename__ = "discount_request"
    __sync_type__ = "discount_request"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36, index=True)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    order_number: str = Field(max_length=30)
    status: str = Field(
        default="pendiente",
        max_length=12,
        index=True,
        description="pendiente | aprobada | rechazada | vencida | anulada",
    )
    kind: str = Field(max_length=10, description="percent | amount")
    value: str = Field(max_length=12, description="percent or soles as entered, e.g. '15.00'")
    amount: Decimal = Field(sa_type=Cents, description="discount in soles when requested")
    pct: str = Field(max_length=8, description="discount as a % of the subtotal")
    reason: str
    requested_by: str = Field(max_length=36)
    requested_by_name: str = Field(max_length=60)
    decided_by: str | None = Field(default=None, max_length=36)
    decided_by_name: str | None = Field(default=None, max_length=60)
    decision_reason: str | None = None
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    business_date: dt.date = Field(index=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)
