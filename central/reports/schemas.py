"""API shapes of the dashboard and the tabular reports (money as strings)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from central.openapi_examples import operations as ex
from central.reports.service import Table
from sync.apitypes import Money, SignedMoney

ReportName = Literal[
    "dashboard", "orders", "sales", "top-services", "payment-methods", "patients-analysis",
    "monthly-comparison", "discounts", "cancellations", "cash-differences", "convenio-sales",
    "turnaround", "sunat-states", "physicians",
]  # fmt: skip


class MethodAmount(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.METHOD_AMOUNT]})

    method: str
    payments: int
    amount: SignedMoney


class DocumentState(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DOCUMENT_STATE]})

    doc_type: str
    state: str
    documents: int
    total: SignedMoney


class TopService(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.TOP_SERVICE]})

    service_id: str
    code: str
    name: str
    quantity: int
    amount: SignedMoney


class SedeSales(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SEDE_SALES]})

    sede_id: str
    sede_code: str
    orders: int
    sales: SignedMoney


class Dashboard(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DASHBOARD]})

    date_from: dt.date
    date_to: dt.date
    sede_ids: list[str] | None = Field(description="sedes incluidas (null: todas)")
    orders: int = Field(description="órdenes no anuladas")
    registered_orders: int = Field(description="todas las órdenes registradas")
    sales: SignedMoney = Field(description="total de órdenes no anuladas")
    discounts: SignedMoney
    cancelled_orders: int
    cancelled_amount: SignedMoney
    covered: SignedMoney = Field(description="parte de convenios (por cobrar)")
    average_ticket: Money
    payments_total: SignedMoney
    refunds_total: SignedMoney
    new_patients: int = Field(
        description="pacientes con una orden válida en el periodo (en las sedes vistas) cuya"
        " primera orden en la cadena es del periodo: el «Nuevo» del gráfico de pacientes y del"
        " análisis de pacientes"
    )
    payment_methods: list[MethodAmount]
    documents: list[DocumentState]
    top_services: list[TopService]
    by_sede: list[SedeSales]


class ColumnRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.COLUMN_READ]})

    key: str
    label: str
    kind: Literal["text", "int", "money", "pct", "date", "hours"]


class ReportRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.REPORT_READ]})

    report: str
    title: str
    date_from: dt.date
    date_to: dt.date
    sede_ids: list[str] | None
    columns: list[ColumnRead]
    rows: list[dict[str, Any]] = Field(description="montos como texto con dos decimales")

    @field_serializer("rows")
    def _rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {k: (str(v) if not isinstance(v, int | str | None) else v) for k, v in r.items()}
            for r in rows
        ]

    @classmethod
    def of(cls, table: Table, *, date_from: dt.date, date_to: dt.date,
           sede_ids: list[str] | None) -> ReportRead:  # fmt: skip
        return cls(
            report=table.report, title=table.title, date_from=date_from, date_to=date_to,
            sede_ids=sede_ids,
            columns=[ColumnRead(key=c.key, label=c.label, kind=c.kind)  # type: ignore[arg-type]
                     for c in table.columns],
            rows=table.rows,
        )  # fmt: skip


class ExportRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {"report": "sales", "format": "xlsx", "from": "2026-11-01", "to": "2026-11-29"}
            ]
        },
    )

    report: ReportName
    format: Literal["xlsx", "pdf"] = "xlsx"
    date_from: dt.date | None = Field(default=None, alias="from")
    date_to: dt.date | None = Field(default=None, alias="to")
    sede: str | None = Field(default=None, max_length=36)
    limit: int = Field(default=10, ge=1, le=500, description="para top-services")
