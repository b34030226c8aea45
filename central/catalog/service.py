"""Catalog administration: categories, tests and panels, prices with history and effective dates.

A service's new price is applied or scheduled by :mod:`central.catalog.prices` (a price effective
on a later Lima date waits for the hub worker). Search is accent- and case-insensitive.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.catalog import prices
from central.catalog.models import CatalogCategory, CatalogPrice, CatalogService
from central.catalog.schemas import CategoryCreate, CategoryUpdate, ServiceCreate, ServiceUpdate
from domain.clock import Clock, business_date
from domain.errors import Conflict, InvalidInput, NotFound
from domain.money import to_cents

_ACCENTED = "áéíóúüñàèìòùâêîôûÁÉÍÓÚÜÑÀÈÌÒÙÂÊÎÔÛ"
_PLAIN = "aeiouunaeiouaeiouaeiouunaeiouaeiou"


def _given(data: BaseModel) -> dict[str, Any]:
    """The fields the client sent, as Python values (Money stays Decimal)."""
    return {name: getattr(data, name) for name in data.model_fields_set}


def normalize_search(text: str) -> str:
    """Lower-case, without accents (the same folding the SQL side applies)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _folded(column: Any) -> Any:
    return func.translate(func.lower(column), _ACCENTED, _PLAIN)


# ------------------------------------------------------------------------------- categories
def list_categories(*, session: Session, active: bool | None = None) -> list[CatalogCategory]:
    query = select(CatalogCategory)
    if active is not None:
        query = query.where(CatalogCategory.active == active)
    return list(session.exec(query.order_by(col(CatalogCategory.code))).all())


def create_category(
    *, session: Session, clock: Clock, actor: Principal | None, data: CategoryCreate
) -> CatalogCategory:
    if session.exec(select(CatalogCategory).where(CatalogCategory.code == data.code)).first():
        raise Conflict(
            f"Ya existe una categoría con el código {data.code}.",
            code="category_code_taken",
            loc=["body", "code"],
        )
    _check_category_name(session, data.name, self_id=None)
    category = CatalogCategory(
        code=data.code, name=data.name, active=data.active, updated_at=clock.now()
    )
    session.add(category)
    audit.record(
        session,
        action="catalog.category_create",
        clock=clock,
        actor=actor,
        record_type="catalog_category",
        record_id=category.id,
        details={"code": category.code},
    )
    session.flush()
    return category


def get_category(*, session: Session, category_id: str) -> CatalogCategory:
    category = session.get(CatalogCategory, category_id)
    if category is None:
        raise NotFound(
            "La categoría no existe.", code="category_not_found", loc=["path", "category_id"]
        )
    return category


def _check_category_name(session: Session, name: str, *, self_id: str | None) -> None:
    """Two categories may not share a name (compared without case or accents)."""
    query = select(CatalogCategory).where(
        _folded(col(CatalogCategory.name)) == normalize_search(name)
    )
    if self_id is not None:
        query = query.where(CatalogCategory.id != self_id)
    other = session.exec(query).first()
    if other is not None:
        raise Conflict(
            f"Ya existe la categoría «{other.name}» ({other.code}).",
            code="category_name_taken",
            loc=["body", "name"],
        )


def active_services_in(*, session: Session, category_id: str) -> int:
    query = select(func.count()).where(
        CatalogService.category_id == category_id, col(CatalogService.active).is_(True)
    )
    return int(session.exec(query).one())


def update_category(
    *,
    session: Session,
    clock: Clock,
    actor: Principal | None,
    category_id: str,
    data: CategoryUpdate,
) -> CatalogCategory:
    """Rename and/or (de)activate a category. A category that still has active tests or
    panels is not deactivated (409 ``category_has_active_services`` with their count): the
    admin moves or deactivates them first, so no sede offers a test under a retired category.
    The change replicates to every edge through the change feed."""
    category = get_category(session=session, category_id=category_id)
    changed: dict[str, Any] = {}
    if data.name is not None and data.name != category.name:
        _check_category_name(session, data.name, self_id=category.id)
        changed["name"] = data.name
    if data.active is not None and data.active != category.active:
        if not data.active:
            count = active_services_in(session=session, category_id=category.id)
            if count:
                raise Conflict(
                    f"La categoría tiene {count} examen(es) o perfil(es) activo(s): "
                    "desactívelos o páselos a otra categoría antes de desactivarla.",
                    code="category_has_active_services",
                    loc=["body", "active"],
                    extra={"active_services": count},
                )
        changed["active"] = data.active
    _apply_changes(
        session, category, changed, clock=clock, actor=actor, kind="category", code=category.code
    )
    session.flush()
    return category


def _apply_changes(
    session: Session,
    row: CatalogCategory | CatalogService,
    changed: dict[str, Any],
    *,
    clock: Clock,
    actor: Principal | None,
    kind: str,
    **details: Any,
) -> None:
    """Set ``changed`` on ``row`` and audit it (``catalog.{kind}_update``, or
    ``catalog.{kind}_deactivate`` when it turns inactive); nothing when nothing changed."""
    if not changed:
        return
    for name, value in changed.items():
        setattr(row, name, value)
    row.updated_at = clock.now()
    session.add(row)
    deactivated = changed.get("active") is False
    audit.record(
        session,
        action=f"catalog.{kind}_{'deactivate' if deactivated else 'update'}",
        clock=clock,
        actor=actor,
        record_type=f"catalog_{kind}",
        record_id=row.id,
        details={**details, "fields": sorted(changed)},
    )


# ------------------------------------------------------------------------------- services
def list_services(
    *,
    session: Session,
    q: str | None = None,
    category_id: str | None = None,
    is_panel: bool | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CatalogService], int]:
    query = select(CatalogService)
    if q and q.strip():
        needle = normalize_search(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        haystack = _folded(col(CatalogService.code) + " " + col(CatalogService.name))
        query = query.where(haystack.like(f"%{needle}%", escape="\\"))
    if category_id:
        query = query.where(CatalogService.category_id == category_id)
    if is_panel is not None:
        query = query.where(CatalogService.is_panel == is_panel)
    if active is not None:
        query = query.where(CatalogService.active == active)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(CatalogService.code)).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def get_service(*, session: Session, service_id: str) -> CatalogService:
    service = session.get(CatalogService, service_id)
    if service is None:
        raise NotFound(
            "El examen o perfil no existe.", code="service_not_found", loc=["path", "service_id"]
        )
    return service


def _check_category(session: Session, category_id: str | None) -> None:
    if category_id and session.get(CatalogCategory, category_id) is None:
        raise InvalidInput(
            "La categoría no existe.", code="category_unknown", loc=["body", "category_id"]
        )


def _check_panel(
    session: Session, *, is_panel: bool, ids: list[str], self_id: str | None
) -> list[str]:
    unique = list(dict.fromkeys(ids))
    if not is_panel:
        if unique:
            raise InvalidInput(
                "Solo un perfil (is_panel) puede incluir otros exámenes.",
                code="panel_items_not_allowed",
                loc=["body", "panel_service_ids"],
            )
        return []
    if not unique:
        raise InvalidInput(
            "Un perfil debe incluir al menos un examen.",
            code="panel_empty",
            loc=["body", "panel_service_ids"],
        )
    for i, sid in enumerate(unique):
        member = session.get(CatalogService, sid)
        loc: list[str | int] = ["body", "panel_service_ids", i]
        if member is None or sid == self_id:
            raise InvalidInput("El examen no existe.", code="panel_item_unknown", loc=loc)
        if member.is_panel:
            raise InvalidInput(
                f"«{member.name}» es un perfil; un perfil solo incluye exámenes.",
                code="panel_item_is_panel",
                loc=loc,
            )
        if not member.active:
            raise InvalidInput(
                f"«{member.name}» está desactivado.", code="panel_item_inactive", loc=loc
            )
    return unique


def create_service(
    *, session: Session, clock: Clock, actor: Principal | None, data: ServiceCreate
) -> CatalogService:
    if session.exec(select(CatalogService).where(CatalogService.code == data.code)).first():
        raise Conflict(
            f"Ya existe un examen o perfil con el código {data.code}.",
            code="service_code_taken",
            loc=["body", "code"],
        )
    _check_category(session, data.category_id)
    now = clock.now()
    service = CatalogService(
        code=data.code,
        name=data.name,
        category_id=data.category_id,
        sample_type=data.sample_type,
        tube=data.tube,
        price_cents=to_cents(data.price),
        catalog_version=1,
        is_panel=data.is_panel,
        igv_affectation=data.igv_affectation,
        turnaround_hours=data.turnaround_hours,
        loinc=data.loinc,
        active=data.active,
        updated_at=now,
    )
    service.panel_service_ids = _check_panel(
        session, is_panel=data.is_panel, ids=data.panel_service_ids, self_id=service.id
    )
    session.add(service)
    session.add(
        CatalogPrice(
            service_id=service.id,
            price_cents=service.price_cents,
            effective_from=business_date(now),
            status="applied",
            catalog_version=1,
            reason="Precio inicial",
            changed_by=actor.user_id if actor else None,
            changed_by_username=actor.username if actor else None,
            created_at=now,
            applied_at=now,
        )
    )
    audit.record(
        session,
        action="catalog.service_create",
        clock=clock,
        actor=actor,
        record_type="catalog_service",
        record_id=service.id,
        details={"code": service.code, "price_cents": service.price_cents},
    )
    session.flush()
    return service


def update_service(
    *,
    session: Session,
    clock: Clock,
    actor: Principal | None,
    service_id: str,
    data: ServiceUpdate,
) -> CatalogService:
    service = get_service(session=session, service_id=service_id)
    values = _given(data)
    price = values.pop("price", None)
    effective_from = values.pop("price_effective_from", None)
    reason = values.pop("price_reason", "")
    # a category sent as null (or "") clears it; any other null means "unchanged"
    category = {"category_id": values.pop("category_id") or None} if "category_id" in values else {}
    values = {k: v for k, v in values.items() if v is not None} | category
    if "category_id" in values:
        _check_category(session, values["category_id"])
    if "panel_service_ids" in values:
        values["panel_service_ids"] = _check_panel(
            session, is_panel=service.is_panel, ids=values["panel_service_ids"], self_id=service.id
        )
    if effective_from is not None and price is None:
        raise InvalidInput(
            "Indique el precio que rige desde esa fecha.",
            code="price_required",
            loc=["body", "price"],
        )
    changed = {k: v for k, v in values.items() if getattr(service, k) != v}
    _apply_changes(session, service, changed, clock=clock, actor=actor, kind="service")
    if price is not None:
        prices.change_price(
            session=session,
            clock=clock,
            actor=actor,
            service=service,
            price_cents=to_cents(price),
            effective_from=effective_from,
            reason=reason,
        )
    session.flush()
    return service


def deactivate_service(
    *, session: Session, clock: Clock, actor: Principal | None, service_id: str
) -> CatalogService:
    return update_service(
        session=session,
        clock=clock,
        actor=actor,
        service_id=service_id,
        data=ServiceUpdate(active=False),
    )


def price_history(*, session: Session, service_id: str) -> list[CatalogPrice]:
    get_service(session=session, service_id=service_id)
    return list(
        session.exec(
            select(CatalogPrice)
            .where(CatalogPrice.service_id == service_id)
            .order_by(
                col(CatalogPrice.effective_from).desc(),
                col(CatalogPrice.created_at).desc(),
                col(CatalogPrice.id).desc(),
            )
        ).all()
    )
