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
from domain.money import ZERO, fmt, fmt_soles, from_cents
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
from edge.config import replicated
from edge.config.replicated import replicated_value
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


OVERRIDE_CAP_SETTING = "price_override_max"
MAX_PRICE_OVERRIDE = Decimal("50000.00")
"""Default cap of an overridden unit price. Overrides set special prices (campaigns, special
tests sent out); the dearest single tests a lab refers (genetic panels) cost a few thousand
soles, so S/ 50,000 leaves room for any real one while refusing a mistyped 9,999,999 that
would otherwise become a boleta SUNAT cannot take back without a nota de crédito. A multiple
of the catalog price does not work: supervisors legitimately quote a test far above a cheap
list price (and a 0 list price would cap at 0). The hub may replicate the
``price_override_max`` setting (soles as text) to change it."""


def convenio_prices(convenio: Convenio | None) -> dict[str, Decimal]:
    if convenio is None:
        return {}
    return {sid: from_cents(int(c)) for sid, c in convenio.prices_cents.items()}


def max_price_override(session: Session) -> Decimal:
    """Replicated setting ``price_override_max`` (soles, text), or ``MAX_PRICE_OVERRIDE`` when
    it never arrived or is not an amount above 0 (``edge.config.replicated.amount``)."""
    value = replicated_value(session.connection(), OVERRIDE_CAP_SETTING)
    return replicated.amount(value) or MAX_PRICE_OVERRIDE


def check_override(price: Decimal, *, cap: Decimal | None, loc: Sequence[str | int]) -> None:
    """An overridden unit price is above 0 and at most ``cap``.

    0 is refused: a free test is a 100 % discount, which goes through the discount and its
    approval, not through a price change. Negative prices never parse (``amount_negative``)."""
    if price <= 0:
        raise InvalidInput(
            "El precio cambiado debe ser mayor que cero; para no cobrar un examen aplique un"
            " descuento.",
            code="price_override_zero",
            loc=loc,
        )
    limit = MAX_PRICE_OVERRIDE if cap is None else cap
    if price > limit:
        raise InvalidInput(
            f"El precio cambiado ({fmt_soles(price)}) supera el máximo permitido de"
            f" {fmt_soles(limit)} por ítem.",
            code="price_override_too_high",
            loc=loc,
            extra={"max": fmt(limit)},
        )


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
    override_cap = max_price_override(session) if any(i.unit_price for i in wanted) else None
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
            check_override(item.unit_price, cap=override_cap, loc=[*loc, "unit_price"])
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
    _refuse_tests_inside_panels(wanted, services, members)
    return lines


def _refuse_tests_inside_panels(
    wanted: list[ItemIn],
    services: dict[str, CatalogService],
    members: dict[str, CatalogService],
) -> None:
    """A test sold on its own and inside a panel of the same order would be charged twice and
    drawn twice: refused, pointing at the standalone test (two panels may share tests: each is
    a package with its own price)."""
    in_panel: dict[str, CatalogService] = {}
    for item in wanted:
        panel = services[item.service_id]
        if panel.is_panel:
            for member_id in panel.panel_service_ids:
                in_panel.setdefault(member_id, panel)
    for index, item in enumerate(wanted):
        panel_of = in_panel.get(item.service_id)
        if panel_of is not None and not services[item.service_id].is_panel:
            test = members.get(item.service_id) or services[item.service_id]
            raise InvalidInput(
                f"«{test.name}» ya está incluido en el perfil «{panel_of.name}»; quite el examen "
                "o el perfil.",
                code="item_in_panel",
                loc=["body", "items", index],
                extra={"panel_id": panel_of.id},
            )


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
