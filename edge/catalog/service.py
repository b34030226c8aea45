"""Reading the catalog mirror: services, categories, convenios, accent-insensitive search.

The catalog is written only by the hub (through the change feed) or, before enrolment, by
``demo.load_demo_catalog``; the edge never edits it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from domain.errors import NotFound
from edge import refcache
from edge.catalog.models import CatalogCategory, CatalogService, Convenio


def fold(text: str) -> str:
    """Lower case without accents: "Ñandú Ácido" -> "nandu acido"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def list_categories(*, session: Session) -> list[CatalogCategory]:
    return list(session.exec(select(CatalogCategory).order_by(col(CatalogCategory.code))))


def categories_by_id(*, session: Session) -> dict[str, CatalogCategory]:
    return {c.id: c for c in list_categories(session=session)}


def list_services(
    *,
    session: Session,
    active_only: bool = False,
    category_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[CatalogService], int]:
    """A page of services ordered by code, and how many match in all."""
    query = select(CatalogService)
    counter = select(func.count()).select_from(CatalogService)
    if active_only:
        query = query.where(col(CatalogService.active).is_(True))
        counter = counter.where(col(CatalogService.active).is_(True))
    if category_id:
        query = query.where(CatalogService.category_id == category_id)
        counter = counter.where(CatalogService.category_id == category_id)
    total = session.exec(counter).one()
    page = session.exec(query.order_by(col(CatalogService.code)).offset(offset).limit(limit))
    return list(page), int(total)


def get_service(*, session: Session, service_id: str) -> CatalogService:
    service = session.get(CatalogService, service_id)
    if service is None:
        raise NotFound(
            "El examen o perfil no existe en el catálogo.",
            code="service_not_found",
            loc=["path", "service_id"],
        )
    return service


# Built once: every sale prices its items with it (building and keying the statement cost
# more than running it).
_SERVICES_BY_ID = select(CatalogService).where(
    col(CatalogService.id).in_(bindparam("ids", expanding=True))
)


def services_by_id(*, session: Session, ids: Iterable[str]) -> dict[str, CatalogService]:
    wanted = set(ids)
    if not wanted:
        return {}

    def load(missing: list[Any]) -> dict[Any, CatalogService]:
        return {s.id: s for s in session.exec(_SERVICES_BY_ID, params={"ids": missing})}

    return refcache.get_many(session, CatalogService, wanted, load)


def panel_members(
    *, session: Session, services: Sequence[CatalogService]
) -> dict[str, CatalogService]:
    """The tests of the panels among ``services``, by id."""
    ids = {sid for s in services if s.is_panel for sid in s.panel_service_ids}
    return services_by_id(session=session, ids=ids)


def _rank(service: CatalogService, q: str) -> int | None:
    code, name = fold(service.code), fold(service.name)
    if code == q:
        return 0
    if code.startswith(q):
        return 1
    if name.startswith(q):
        return 2
    words = q.split()
    if all(any(w.startswith(p) for w in name.split()) for p in words):
        return 3
    if all(p in name for p in words):
        return 4
    return None


def search_services(
    *, session: Session, q: str, active_only: bool = True, limit: int = 20
) -> list[CatalogService]:
    """Services whose code or name matches ``q``, accent- and case-insensitive, best first.

    The catalog holds a few thousand rows at most, so it is ranked in memory.
    """
    needle = " ".join(fold(q).split())
    if not needle:
        return []
    query = select(CatalogService)
    if active_only:
        query = query.where(col(CatalogService.active).is_(True))
    ranked: list[tuple[int, str, CatalogService]] = []
    for service in session.exec(query):
        rank = _rank(service, needle)
        if rank is not None:
            ranked.append((rank, service.code, service))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in ranked[:limit]]


def list_convenios(*, session: Session, active_only: bool = True) -> list[Convenio]:
    query = select(Convenio).order_by(col(Convenio.name))
    if active_only:
        query = query.where(col(Convenio.active).is_(True))
    return list(session.exec(query))


def get_convenio(*, session: Session, convenio_id: str) -> Convenio | None:
    return session.get(Convenio, convenio_id)
