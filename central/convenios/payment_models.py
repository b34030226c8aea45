"""Payments received from a convenio (hub-only; not replicated to the sedes).

A payment may name the factura it pays (``invoice_id``: the ``sync_record`` id of an ``invoice``
record of doc_type 01 issued to the convenio's RUC); without it the payment is "a cuenta" and
is applied to the oldest outstanding facturas when the balance is computed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Field

from central.base import HubModel
from domain.ids import new_id
from sync.sqltypes import Cents, UTCDateTime


class ConvenioPayment(HubModel, table=True):
    __tablename__ = "hub_convenio_payment"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    convenio_id: str = Field(foreign_key="convenio.id", index=True, max_length=36)
    amount: Decimal = Field(sa_type=Cents)
    paid_on: dt.date = Field(index=True, description="date the money was received")
    method: str = Field(max_length=20)
    reference: str = Field(default="", max_length=80)
    invoice_id: str | None = Field(default=None, max_length=64, index=True)
    invoice_series: str | None = Field(default=None, max_length=4)
    invoice_number: int | None = None
    sede_id: str | None = Field(default=None, max_length=36, description="sede of the factura")
    note: str = Field(default="", max_length=300)
    created_by: str | None = Field(default=None, max_length=36)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)


__all__ = ["ConvenioPayment"]
