"""Which orders a convenio's monthly factura covers (edge-owned, replicated up).

One row per (factura, order): the covered part of the order that the factura bills to the
convenio. An order counts as invoiced while its factura stands (not voided, not fully
credited) and its own line was not credited (``credit_note_id``: the order was cancelled and a
nota de crédito took its amount off the factura); see :mod:`edge.billing.convenio_invoice`
and :mod:`edge.billing.convenio_cancel`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from domain.ids import new_id
from edge.base import EdgeModel
from sync.sqltypes import Cents, UTCDateTime


class ConvenioInvoiceOrder(EdgeModel, table=True):
    __tablename__ = "convenio_invoice_order"
    __sync_type__ = "convenio_invoice_order"
    __table_args__ = (UniqueConstraint("invoice_id", "order_id", name="uq_convenio_invoice_order"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    sede_id: str = Field(max_length=36, index=True)
    convenio_id: str = Field(max_length=36, index=True)
    invoice_id: str = Field(foreign_key="invoice.id", index=True, max_length=36)
    order_id: str = Field(foreign_key="lab_order.id", index=True, max_length=36)
    order_number: str = Field(max_length=30)
    month: str = Field(max_length=7, description="billed month AAAA-MM (orders' business dates)")
    amount: Decimal = Field(sa_type=Cents, description="covered part billed, IGV included")
    business_date: dt.date = Field(description="business date the factura was issued")
    created_by: str | None = Field(default=None, max_length=36)
    credit_note_id: str | None = Field(
        default=None, max_length=36, description="nota de crédito that took this order off"
    )
    credited_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


__all__ = ["ConvenioInvoiceOrder"]
