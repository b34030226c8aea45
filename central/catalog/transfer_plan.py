"""The preview of an imported catalog file: what each row would do, and the rows refused.

Nothing is written. A row whose code the catalog lacks creates a test or panel; a known code
changes the fields that differ, its price (old -> new; from ``effective_from`` when the import
gives a later date), schedules the "Precio programado" of a later date, or deactivates it
("Activo" = No). A column the file lacks leaves that field as it is; tests and panels absent
from the file are not touched. A row with an error changes nothing, and a file with any error
is not applied (:mod:`central.catalog.transfer_apply`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from central.catalog import transfer_cells as cells
from central.catalog.models import CatalogCategory, CatalogPrice, CatalogService
from central.catalog.transfer import HEADER
from central.catalog.transfer_read import RawFile, RawRow
from domain.clock import Clock, business_date
from domain.errors import InvalidInput
from domain.money import from_cents, to_cents

ACTIONS = ("create", "update", "price", "schedule", "deactivate")
_FIELDS = {  # file field -> CatalogService attribute compared and sent to update_service
    "name": "name",
    "category": "category_id",
    "sample_type": "sample_type",
    "tube": "tube",
    "loinc": "loinc",
    "igv": "igv_affectation",
    "turnaround": "turnaround_hours",
    "active": "active",
}
_PARSERS: dict[str, Callable[[Any], Any]] = {
    "code": cells.code,
    "name": cells.name,
    "kind": cells.kind,
    "category": cells.text,
    "sample_type": cells.short,
    "tube": cells.short,
    "loinc": cells.loinc,
    "igv": cells.igv,
    "turnaround": cells.hours,
    "active": cells.active,
    "price": cells.money,
    "scheduled_price": lambda v: None if cells.blank(v) else cells.money(v),
    "scheduled_from": cells.date,
    "members": cells.codes,
}


@dataclass
class RowError:
    row: int
    column: str
    code: str
    msg: str


@dataclass
class Change:
    row: int
    code: str
    name: str
    is_panel: bool
    service_id: str | None  # None: created
    actions: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # headers of the changed columns
    values: dict[str, Any] = field(default_factory=dict)  # ServiceUpdate/ServiceCreate fields
    members: list[str] | None = None  # codes of the panel's tests, when set or changed
    old_price: Decimal | None = None
    new_price: Decimal | None = None
    price_from: dt.date | None = None  # None: today
    scheduled_price: Decimal | None = None
    scheduled_from: dt.date | None = None


@dataclass
class Plan:
    rows: int
    changes: list[Change]
    errors: list[RowError]
    unchanged: int

    def counts(self) -> dict[str, int]:
        out = {a: sum(1 for c in self.changes if a in c.actions) for a in ACTIONS}
        rows_with_errors = len({e.row for e in self.errors})
        return out | {"unchanged": self.unchanged, "errors": rows_with_errors}


@dataclass
class _Row:
    raw: RawRow
    values: dict[str, Any]
    existing: CatalogService | None
    is_panel: bool
    active: bool


class _Context:
    def __init__(self, session: Session, today: dt.date) -> None:
        self.today = today
        self.services = {s.code: s for s in session.exec(select(CatalogService)).all()}
        self.by_id = {s.id: s for s in self.services.values()}
        self.categories = {c.code: c for c in session.exec(select(CatalogCategory)).all()}
        pending = session.exec(select(CatalogPrice).where(CatalogPrice.status == "scheduled"))
        self.scheduled = {(p.service_id, p.effective_from, p.price_cents) for p in pending.all()}
        self.errors: list[RowError] = []

    def error(self, row: int, column: str, code: str, msg: str) -> None:
        self.errors.append(RowError(row, HEADER[column], code, msg))


def build_plan(
    *, session: Session, clock: Clock, raw: RawFile, effective_from: dt.date | None = None
) -> Plan:
    """What importing ``raw`` would change; ``effective_from``: when the new prices apply."""
    today = business_date(clock.now())
    if effective_from is not None and effective_from < today:
        raise InvalidInput(
            "La fecha de vigencia de los precios no puede ser anterior a hoy.",
            code="price_effective_past",
            loc=["body", "effective_from"],
        )
    ctx = _Context(session, today)
    rows = _parse_rows(ctx, raw)
    final = {code: (s.is_panel, s.active) for code, s in ctx.services.items()}
    final |= {r.values["code"]: (r.is_panel, r.active) for r in rows}
    changes: list[Change] = []
    unchanged = 0
    later = effective_from if effective_from is not None and effective_from > today else None
    for row in rows:
        before = len(ctx.errors)
        change = _diff(ctx, row, final, later)
        if len(ctx.errors) > before:
            continue
        if change.actions:
            changes.append(change)
        else:
            unchanged += 1
    ctx.errors.sort(key=lambda e: e.row)
    return Plan(len(raw.rows), changes, ctx.errors, unchanged)


def _parse_rows(ctx: _Context, raw: RawFile) -> list[_Row]:
    seen: dict[str, int] = {}
    out: list[_Row] = []
    for raw_row in raw.rows:
        values: dict[str, Any] = {}
        ok = True
        for name, parse in _PARSERS.items():
            if name not in raw.fields:
                continue
            try:
                values[name] = parse(raw_row.cells.get(name))
            except cells.CellError as exc:
                ctx.error(raw_row.number, name, exc.code, exc.msg)
                ok = False
        code = values.get("code")
        if code is None:
            continue
        if code in seen:
            ctx.error(
                raw_row.number,
                "code",
                "code_duplicate",
                f"El código {code} ya aparece en la fila {seen[code]}.",
            )
            continue
        seen[code] = raw_row.number
        if not ok:
            continue
        existing = ctx.services.get(code)
        kind = values.get("kind")
        members = values.get("members") or []
        if existing is not None:
            is_panel = existing.is_panel if kind is None else kind
        else:
            is_panel = bool(members) if kind is None else kind
        active = values.get("active")
        if active is None:
            active = existing.active if existing is not None else True
        out.append(_Row(raw_row, values, existing, is_panel, active))
    return out


def _diff(
    ctx: _Context,
    row: _Row,
    final: dict[str, tuple[bool, bool]],
    later: dt.date | None,
) -> Change:
    v, s, number = row.values, row.existing, row.raw.number
    change = Change(number, v["code"], v.get("name") or "", row.is_panel, s.id if s else None)
    if s is not None and v.get("kind") is not None and v["kind"] != s.is_panel:
        ctx.error(number, "kind", "kind_change",
                  "No se puede cambiar el tipo (examen o perfil) de un código existente: "
                  "cree otro código.")  # fmt: skip
    wanted = {attr: v[f] for f, attr in _FIELDS.items() if f in v and f != "category"}
    if "category" in v:
        wanted["category_id"] = _category(ctx, row, s)
    for attr in ("sample_type", "tube", "loinc"):
        if s is None and attr not in wanted:
            wanted[attr] = ""
    wanted = {k: x for k, x in wanted.items() if x is not None or k == "category_id"}
    _members(ctx, row, final, change)
    _schedule(ctx, row, change)
    price = v.get("price")
    if s is None:
        change.actions.insert(0, "create")
        change.values = wanted
        change.new_price = price
        return change
    changed = {k: x for k, x in wanted.items() if getattr(s, k) != x}
    change.name = change.name or s.name
    change.values = dict(changed)
    if changed.get("active") is False:
        del changed["active"]
        change.actions.append("deactivate")
    labels = {attr: f for f, attr in _FIELDS.items()}
    change.fields = [HEADER[labels[k]] for k in changed] + (
        [HEADER["members"]] if change.members is not None else []
    )
    if change.fields:
        change.actions.insert(0, "update")
    if price is not None and _price_differs(ctx, s, to_cents(price), later):
        change.actions.append("price")
        change.old_price, change.new_price, change.price_from = (
            from_cents(s.price_cents), price, later)  # fmt: skip
    return change


def _price_differs(ctx: _Context, s: CatalogService, cents: int, later: dt.date | None) -> bool:
    if cents == s.price_cents:
        return False
    return later is None or (s.id, later, cents) not in ctx.scheduled


def _category(ctx: _Context, row: _Row, s: CatalogService | None) -> str | None:
    code = str(row.values["category"]).strip().upper()
    if not code:
        return None
    category = ctx.categories.get(code)
    if category is None:
        ctx.error(row.raw.number, "category", "category_unknown",
                  f"La categoría «{code[:30]}» no existe en el catálogo.")  # fmt: skip
        return None
    if not category.active and (s is None or s.category_id != category.id):
        ctx.error(row.raw.number, "category", "category_inactive",
                  f"La categoría {code} está desactivada.")  # fmt: skip
    return category.id


def _members(ctx: _Context, row: _Row, final: dict[str, tuple[bool, bool]], change: Change) -> None:
    number, s = row.raw.number, row.existing
    given = row.values.get("members")
    if given is None:
        if s is None and row.is_panel:
            ctx.error(
                number, "members", "panel_empty", "Un perfil debe incluir al menos un examen."
            )
        return
    if not row.is_panel:
        if given:
            ctx.error(number, "members", "panel_items_not_allowed",
                      "Solo un perfil incluye otros exámenes: deje la celda vacía.")  # fmt: skip
        return
    current = [ctx.by_id[i].code for i in s.panel_service_ids if i in ctx.by_id] if s else None
    if given == current:
        return
    if not given:
        ctx.error(number, "members", "panel_empty", "Un perfil debe incluir al menos un examen.")
        return
    for code in given:
        state = final.get(code)
        if code == row.values["code"] or state is None:
            ctx.error(number, "members", "panel_item_unknown",
                      f"El examen {code[:30]} no existe (ni en el catálogo ni en el archivo, "
                      "o su fila tiene errores).")  # fmt: skip
        elif state[0]:
            ctx.error(number, "members", "panel_item_is_panel",
                      f"{code} es un perfil; un perfil solo incluye exámenes.")  # fmt: skip
        elif not state[1]:
            ctx.error(number, "members", "panel_item_inactive",
                      f"El examen {code} está desactivado.")  # fmt: skip
    change.members = given


def _schedule(ctx: _Context, row: _Row, change: Change) -> None:
    price, when = row.values.get("scheduled_price"), row.values.get("scheduled_from")
    if price is None and when is None:
        return
    number = row.raw.number
    if price is None or when is None:
        missing = "scheduled_price" if price is None else "scheduled_from"
        ctx.error(number, missing, "schedule_incomplete",
                  "Un precio programado necesita su precio y su fecha.")  # fmt: skip
        return
    s = row.existing
    if s is not None and (s.id, when, to_cents(price)) in ctx.scheduled:
        return
    if when <= ctx.today:
        ctx.error(number, "scheduled_from", "schedule_not_future",
                  f"La fecha programada ({when:%d/%m/%Y}) debe ser posterior a hoy.")  # fmt: skip
        return
    change.actions.append("schedule")
    change.scheduled_price, change.scheduled_from = price, when
