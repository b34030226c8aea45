"""What a report covers: the period and the sedes a user may see, and the table shape every
report returns (columns with a kind, rows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from central.auth.tokens import Principal
from domain.clock import business_date
from domain.errors import Forbidden, InvalidInput
from domain.money import from_cents
from domain.permissions import Role

MAX_DAYS = 731


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    sede_ids: list[str] | None  # None: every sede

    def params(self) -> dict[str, Any]:
        return {"f": self.date_from, "t": self.date_to, "s": self.sede_ids or []}

    def where(self, date_col: str = "business_date", sede_col: str = "sede_id") -> str:
        cond = f"{date_col} BETWEEN :f AND :t"
        if self.sede_ids is not None:
            cond += f" AND {sede_col} = ANY(:s)"
        return cond


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | money | pct | date | hours


@dataclass
class Table:
    report: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)


def filters_for(
    user: Principal,
    *,
    today: dt.date,
    date_from: dt.date | None,
    date_to: dt.date | None,
    sede_id: str | None,
) -> Filters:
    """Resolve the period (default: the last 30 days) and the sedes the user may see."""
    end = date_to or today
    start = date_from or end - dt.timedelta(days=29)
    if start > end:
        raise InvalidInput(
            "La fecha inicial es posterior a la final.",
            code="date_range_invalid",
            loc=["query", "from"],
        )
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(
            "El periodo no puede pasar de dos años.",
            code="date_range_too_long",
            loc=["query", "to"],
        )
    admin = Role(user.role) is Role.ADMIN
    if sede_id:
        if not admin and sede_id not in user.sede_ids:
            raise Forbidden("No está asignado a esta sede.", code="sede_not_assigned")
        return Filters(start, end, [sede_id])
    return Filters(start, end, None if admin else list(user.sede_ids))


def today_of(now: dt.datetime) -> dt.date:
    return business_date(now)


def money(cents: Any) -> Decimal:
    return from_cents(int(cents or 0))


def query_rows(session: Session, sql: str, f: Filters, **extra: Any) -> list[Any]:
    return list(session.connection().execute(text(sql), f.params() | extra))
