"""A convenio's price list as a spreadsheet: the export, the preview and the all-or-nothing apply.

The export lists every ACTIVE catalog test and panel (tests first, by code) with its public
price and the convenio's (empty when it has none). The sales team fills the "Precio convenio"
column and the same file comes back: a price that differs is added or changed, an emptied cell
removes the convenio's price (the public price applies again), rows absent from the file are
left alone. Refused rows (unknown or duplicate code, a price for an inactive test, a bad amount,
3 decimals) block the whole file; a convenio price above the public one is a warning, listed
apart, and applies. Reading and cells are the catalog import's
(:func:`central.catalog.transfer_read.read_file`, :mod:`central.catalog.transfer_cells`), with
its bounds (1 MB, 3000 rows); the apply goes through
:func:`central.convenios.service.update_convenio`, so the change feed to the sedes and the audit
log are those of an edit on the page, plus one ``convenio.price_import`` event summing it up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from sqlmodel import Session, col, select

from central.audit import service as audit
from central.auth.tokens import Principal
from central.catalog import transfer_cells as cells
from central.catalog.models import CatalogService
from central.catalog.transfer import FORMATS, KIND_PANEL, KIND_TEST, ExportFile, to_csv
from central.catalog.transfer_read import RawFile, fold, read_file, refuse_rows_with_errors
from central.convenios import service
from central.convenios.models import Convenio
from central.convenios.schemas import ConvenioUpdate
from central.reports.export import Sheet, to_xlsx
from domain.clock import Clock, business_date
from domain.money import fmt_soles, from_cents, to_cents

#: (field, Spanish header) in file order; the headers are what the import looks for.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Código"),
    ("name", "Nombre"),
    ("kind", "Tipo"),
    ("public_price", "Precio público (S/)"),
    ("price", "Precio convenio (S/)"),
)
HEADER = dict(COLUMNS)
ALIASES = {fold(header): name for name, header in COLUMNS} | {
    "codigo": "code",
    "precio convenio": "price",
    "precio del convenio": "price",
    "precio del convenio (s/)": "price",
    "precio publico": "public_price",
}
REQUIRED = {"code": HEADER["code"], "price": HEADER["price"]}
Action = Literal["added", "changed", "removed"]
ACTIONS: tuple[Action, ...] = ("added", "changed", "removed")


@dataclass
class Issue:
    row: int
    column: str
    code: str
    msg: str


@dataclass
class PriceChange:
    row: int
    code: str
    name: str
    service_id: str
    action: Action
    old_price: Decimal | None
    new_price: Decimal | None
    public_price: Decimal


@dataclass
class PricePlan:
    rows: int
    changes: list[PriceChange]
    errors: list[Issue]
    warnings: list[Issue]
    unchanged: int
    prices_cents: dict[str, int] = field(default_factory=dict)  # the list once applied

    def counts(self) -> dict[str, int]:
        out = {a: sum(1 for c in self.changes if c.action == a) for a in ACTIONS}
        return out | {
            "unchanged": self.unchanged,
            "errors": len({e.row for e in self.errors}),
            "warnings": len({w.row for w in self.warnings}),
        }


@dataclass(frozen=True)
class PriceImportResult:
    plan: PricePlan
    applied: bool
    message: str


# ------------------------------------------------------------------------------------ export
def price_rows(*, session: Session, convenio: Convenio) -> list[list[Any]]:
    """Every active test then every active panel (by code): code, name, type, public price,
    the convenio's price or None."""
    services = session.exec(
        select(CatalogService)
        .where(col(CatalogService.active))
        .order_by(col(CatalogService.is_panel), col(CatalogService.code))
    ).all()
    agreed = convenio.prices_cents
    return [
        [
            s.code,
            s.name,
            KIND_PANEL if s.is_panel else KIND_TEST,
            from_cents(s.price_cents),
            from_cents(agreed[s.id]) if s.id in agreed else None,
        ]
        for s in services
    ]


def export_prices(*, session: Session, clock: Clock, convenio_id: str, fmt: str) -> ExportFile:
    """The convenio's price list as ``fmt`` ("xlsx" or "csv") bytes, named by RUC and date."""
    convenio = service.get_convenio(session=session, convenio_id=convenio_id)
    rows = price_rows(session=session, convenio=convenio)
    today = business_date(clock.now())
    headers = [header for _, header in COLUMNS]
    if fmt == "csv":
        content = to_csv(rows, headers)
    else:
        subtitle = (
            f"RUC {convenio.ruc} · exportado el {today:%d/%m/%Y}: escriba el precio del "
            "convenio; una celda vacía cobra el precio público"
        )
        sheet = Sheet("Tarifario", headers, rows)
        content = to_xlsx(f"Tarifario del convenio {convenio.name}", [sheet], subtitle=subtitle)
    filename = f"tarifario-{convenio.ruc}-{today:%Y%m%d}.{fmt}"
    return ExportFile(content, filename, FORMATS[fmt], len(rows))


# ----------------------------------------------------------------------------------- preview
def build_price_plan(*, session: Session, convenio: Convenio, raw: RawFile) -> PricePlan:
    """What importing ``raw`` into ``convenio`` would change; writes nothing."""
    services = {s.code: s for s in session.exec(select(CatalogService)).all()}
    current = dict(convenio.prices_cents)
    result = dict(current)
    errors: list[Issue] = []
    warnings: list[Issue] = []
    changes: list[PriceChange] = []
    seen: dict[str, int] = {}
    unchanged = 0
    for raw_row in raw.rows:
        number = raw_row.number

        def refuse(column: str, code: str, msg: str, number: int = number) -> None:
            errors.append(Issue(number, HEADER[column], code, msg))

        try:
            code = cells.code(raw_row.cells.get("code"))
        except cells.CellError as exc:
            refuse("code", exc.code, exc.msg)
            continue
        if code in seen:
            refuse(
                "code", "code_duplicate", f"El código {code} ya aparece en la fila {seen[code]}."
            )
            continue
        seen[code] = number
        svc = services.get(code)
        price: Decimal | None = None
        cell = raw_row.cells.get("price")
        if not cells.blank(cell):
            try:
                price = cells.money(cell)
            except cells.CellError as exc:
                refuse("price", exc.code, exc.msg)
        if svc is None:
            refuse("code", "service_unknown", f"El código {code} no existe en el catálogo.")
            continue
        if price is not None and not svc.active:
            msg = f"El examen {code} está desactivado: deje vacío su precio o quite la fila."
            refuse("code", "service_inactive", msg)
        if errors and errors[-1].row == number:
            continue
        public = from_cents(svc.price_cents)
        if price is not None and price > public:
            warnings.append(
                Issue(number, HEADER["price"], "price_above_public",
                      f"{fmt_soles(price)} es mayor que el precio público ({fmt_soles(public)}).")
            )  # fmt: skip
        old = current.get(svc.id)
        new = to_cents(price) if price is not None else None
        if old == new:
            unchanged += 1
            continue
        action: Action = "added" if old is None else "removed" if new is None else "changed"
        if new is None:
            del result[svc.id]
        else:
            result[svc.id] = new
        changes.append(
            PriceChange(number, code, svc.name, svc.id, action,
                        from_cents(old) if old is not None else None, price, public)
        )  # fmt: skip
    errors.sort(key=lambda e: e.row)
    return PricePlan(len(raw.rows), changes, errors, warnings, unchanged, result)


def preview_prices(*, session: Session, convenio_id: str, content: bytes) -> PricePlan:
    """What importing ``content`` would do to the convenio's prices; writes nothing."""
    convenio = service.get_convenio(session=session, convenio_id=convenio_id)
    raw = read_file(content, aliases=ALIASES, required=REQUIRED)
    return build_price_plan(session=session, convenio=convenio, raw=raw)


# ------------------------------------------------------------------------------------- apply
def apply_prices(
    *,
    session: Session,
    clock: Clock,
    actor: Principal | None,
    convenio_id: str,
    content: bytes,
    filename: str = "",
    note: str = "",
) -> PriceImportResult:
    """Apply the file (all or nothing; the caller's unit of work commits)."""
    plan = preview_prices(session=session, convenio_id=convenio_id, content=content)
    refuse_rows_with_errors({e.row for e in plan.errors})
    convenio = service.get_convenio(session=session, convenio_id=convenio_id)
    if not plan.changes:
        msg = "Sin cambios: el archivo coincide con el tarifario del convenio."
        return PriceImportResult(plan, False, msg)
    prices = {sid: from_cents(cents) for sid, cents in plan.prices_cents.items()}
    service.update_convenio(
        session=session,
        clock=clock,
        actor=actor,
        convenio_id=convenio_id,
        data=ConvenioUpdate(prices=prices),
    )
    counts = plan.counts()
    audit.record(
        session,
        action="convenio.price_import",
        clock=clock,
        actor=actor,
        record_type="convenio",
        record_id=convenio_id,
        details={"file": filename[:120], "note": note[:200], **counts},
    )
    return PriceImportResult(plan, True, _summary(convenio.name, counts))


_LABELS = {
    "added": "{} precio(s) nuevo(s)",
    "changed": "{} cambiado(s)",
    "removed": "{} quitado(s) (rige el precio público)",
}


def _summary(name: str, counts: dict[str, int]) -> str:
    parts = [label.format(counts[key]) for key, label in _LABELS.items() if counts[key]]
    return f"Tarifario de {name} importado: " + ", ".join(parts) + "."
