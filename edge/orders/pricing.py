"""Pricing an order from the catalog mirror: panels expanded, convenio prices, overrides.

The arithmetic itself is ``domain.pricing``; this module reads the catalog and turns the
request's items into line drafts with the prices of this moment (kept on the items forever).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from domain.errors import Forbidden, InvalidInput, RuleViolation
from domain.money import ZERO, from_cents
from domain.permissions import has_permission
from domain.pricing import (
    Discount,
    OrderTotals,
    PricedLine,
    panel_child_price,
    price_order,
    unit_price_for,
)
from edge.auth.tokens import Principal
from edge.catalog import service as catalog_service
from edge.catalog.models import CatalogService, Convenio
from edge.orders.schemas import ItemIn


@dataclass
class LineDraft:
    service: CatalogService
    unit_price: Decimal
    list_price: Decimal
    parent: int | None = None
    """Index of the panel line this test belongs to."""
    eligible: bool = True
    overridden: bool = False
    override_reason: str | None = None
    discount: Decimal = ZERO

    @property
    def priced(self) -> bool:
        return self.parent is None


def convenio_prices(convenio: Convenio | None) -> dict[str, Decimal]:
    if convenio is None:
        return {}
    return {sid: from_cents(int(c)) for sid, c in convenio.prices_cents.items()}


def _normalize(items: Sequence[str | ItemIn]) -> list[ItemIn]:
    return [ItemIn(service_id=i) if isinstance(i, str) else i for i in items]


def build_lines(
    session: Session,
    *,
    items: Sequence[str | ItemIn],
    convenio: Convenio | None,
    user: Principal,
) -> list[LineDraft]:
    """Line drafts for the request's items: panels followed by their tests at 0."""
    wanted = _normalize(items)
    services = catalog_service.services_by_id(session=session, ids=[i.service_id for i in wanted])
    members = catalog_service.panel_members(session=session, services=list(services.values()))
    prices = convenio_prices(convenio)
    with_list = bool(prices)
    seen: set[str] = set()
    lines: list[LineDraft] = []
    for index, item in enumerate(wanted):
        loc: list[str | int] = ["body", "items", index]
        service = services.get(item.service_id)
        if service is None:
            raise InvalidInput(
                "El examen o perfil no existe en el catálogo.", code="service_not_found", loc=loc
            )
        if not service.active:
            raise RuleViolation(
                f"«{service.name}» no está activo en el catálogo.", code="service_inactive", loc=loc
            )
        if service.id in seen:
            raise InvalidInput(
                f"«{service.name}» está repetido en la orden.", code="duplicate_item", loc=loc
            )
        seen.add(service.id)
        list_price = from_cents(service.price_cents)
        unit_price, from_convenio = unit_price_for(service.id, list_price, prices)
        line = LineDraft(
            service=service,
            unit_price=unit_price,
            list_price=list_price,
            eligible=from_convenio or not with_list,
        )
        if item.unit_price is not None and item.unit_price != unit_price:
            if not has_permission(user.role, "price.override"):
                raise Forbidden(
                    "Su rol no permite cambiar el precio de un ítem.",
                    code="permission_denied",
                    loc=[*loc, "unit_price"],
                    extra={"permission": "price.override"},
                )
            if not (item.override_reason or "").strip():
                raise InvalidInput(
                    "Indique el motivo del cambio de precio.",
                    code="override_reason_required",
                    loc=[*loc, "override_reason"],
                )
            line.unit_price = item.unit_price
            line.overridden = True
            line.override_reason = item.override_reason
        lines.append(line)
        parent = len(lines) - 1
        if service.is_panel:
            for member_id in service.panel_service_ids:
                member = members.get(member_id)
                if member is None:
                    raise RuleViolation(
                        f"El perfil «{service.name}» incluye un examen que no está en el catálogo.",
                        code="panel_incomplete",
                        loc=loc,
                    )
                lines.append(
                    LineDraft(
                        service=member,
                        unit_price=panel_child_price(),
                        list_price=from_cents(member.price_cents),
                        parent=parent,
                        eligible=line.eligible,
                    )
                )
    return lines


def price_lines(
    lines: list[LineDraft],
    *,
    discount: Discount | None,
    coverage_pct: Decimal,
    discount_loc: Sequence[str | int] = ("body", "discount"),
) -> OrderTotals:
    """Totals of ``lines``; each priced line gets its share of the discount."""
    priced = [line for line in lines if line.priced]
    totals = price_order(
        [PricedLine(line.unit_price, line.eligible) for line in priced],
        discount=discount,
        coverage_pct=coverage_pct,
        discount_loc=discount_loc,
    )
    for line, share in zip(priced, totals.line_discounts, strict=True):
        line.discount = share
    return totals
