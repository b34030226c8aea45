"""Pages of the hub dashboard (``/panel/...``), their static assets and the charts' API.

Pages are static shells (Jinja2, autoescape on); their ES modules call the JSON API with the
access token kept in ``sessionStorage`` (the hub's login returns tokens, sets no cookie) and
send it as ``Authorization: Bearer``. The shells carry no data, so they are public
(``PUBLIC_PAGES``, checked by the permission-matrix test). The charts are rendered here, as SVG,
by ``GET /api/web/charts`` (permission ``report.read``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Annotated, Literal

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from central.auth.deps import RuntimeDep, require
from central.auth.tokens import Principal
from central.db import unit_of_work
from central.openapi_examples import web as ex
from central.reports import service as reports
from central.responses import errors
from central.web import PREFIX
from central.web import dashboard as web_dashboard
from domain.errors import NotFound

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
_MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".svg": "image/svg+xml"}  # fmt: skip


def _asset_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
ASSET_VERSION = _asset_version()

router = APIRouter(tags=["interfaz web"])

# page name -> (path, title); every one is a shell filled by pages/<name>.js
PAGES: dict[str, tuple[str, str]] = {
    "tablero": (PREFIX, "Tablero"),
    "login": (f"{PREFIX}/ingresar", "Ingresar"),
    "sedes": (f"{PREFIX}/sedes", "Sedes y sincronización"),
    "conflictos": (f"{PREFIX}/conflictos", "Conflictos de sincronización"),
    "cierres": (f"{PREFIX}/cierres", "Cierres diarios"),
    "catalogo": (f"{PREFIX}/catalogo", "Catálogo y precios"),
    "usuarios": (f"{PREFIX}/usuarios", "Usuarios y roles"),
    "sedes_series": (f"{PREFIX}/sedes-series", "Sedes y series"),
    "parametros": (f"{PREFIX}/parametros", "Parámetros"),
    "plantillas": (f"{PREFIX}/plantillas", "Plantillas"),
    "notificaciones": (f"{PREFIX}/notificaciones", "Notificaciones"),
    "alarmas": (f"{PREFIX}/alarmas", "Alarmas SUNAT"),
    "convenios": (f"{PREFIX}/convenios", "Convenios"),
    "laboratorios": (f"{PREFIX}/laboratorios", "Sistemas de laboratorio"),
    "auditoria": (f"{PREFIX}/auditoria", "Auditoría"),
}

# page -> the permission of the data it shows: its nav entry stays hidden from users without it
# (the API refuses them anyway; tests/central/web/test_nav_permissions.py keeps both in step).
PAGE_PERMISSIONS: dict[str, str] = {
    "tablero": "report.read",
    "sedes": "sync.manage",
    "conflictos": "sync.manage",
    "cierres": "report.read",
    "catalogo": "catalog.read",
    "usuarios": "report.read",
    "sedes_series": "report.read",
    "parametros": "report.read",
    "plantillas": "report.read",
    "notificaciones": "report.read",
    "alarmas": "report.read",
    "convenios": "report.read",
    "laboratorios": "lab.manage",
    "auditoria": "audit.read",
}

# (method, path) of the shells and assets: public, like /docs (they carry no data).
PUBLIC_PAGES: frozenset[tuple[str, str]] = frozenset(
    {("GET", path) for path, _ in PAGES.values()}
    | {("GET", f"{PREFIX}/static/{{version}}/{{asset:path}}")}
)


def _render(request: Request, page: str) -> HTMLResponse:
    _, title = PAGES[page]
    context = {
        "page": page,
        "title": title,
        "v": ASSET_VERSION,
        "prefix": PREFIX,
        "signed_in": page != "login",
        # the permission the page's data needs: app.js shows "Sin acceso" without it
        "perm": PAGE_PERMISSIONS.get(page, ""),
        "nav": [
            (name, path, t, PAGE_PERMISSIONS[name])
            for name, (path, t) in PAGES.items()
            if name != "login"
        ],
    }
    response = templates.TemplateResponse(request, f"{page}.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _add_page(name: str) -> None:
    path, _ = PAGES[name]

    def endpoint(request: Request) -> HTMLResponse:
        return _render(request, name)

    endpoint.__name__ = f"panel_{name}"
    router.add_api_route(
        path, endpoint, methods=["GET"], include_in_schema=False, response_class=HTMLResponse
    )


for _name in PAGES:
    _add_page(_name)


@router.get(f"{PREFIX}/", include_in_schema=False)
def trailing_slash() -> RedirectResponse:
    return RedirectResponse(PREFIX, status_code=303)


@router.get(f"{PREFIX}/static/{{version}}/{{asset:path}}", include_in_schema=False)
def static_asset(version: str, asset: str) -> Response:
    """A file under ``central/web/static`` (never outside it); the current version is immutable."""
    path = (STATIC_DIR / asset).resolve()
    media = _MEDIA.get(path.suffix)
    if media is None or not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise NotFound("Recurso no encontrado.", code="asset_not_found", loc=["path", "asset"])
    cache = "public, max-age=31536000, immutable" if version == ASSET_VERSION else "no-cache"
    return FileResponse(path, media_type=media, headers={"Cache-Control": cache})


class DashboardCharts(BaseModel):
    """The dashboard's charts as SVG markup (every text in them is escaped)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.DASHBOARD_CHARTS]})

    date_from: dt.date
    date_to: dt.date
    sales_by_day: str = Field(description="Ventas por sede y día (columnas apiladas)")
    payment_methods: str = Field(description="Medios de pago (barras)")
    top_services: str = Field(description="Exámenes más vendidos (barras)")
    patients: str = Field(
        description="Pacientes nuevos y recurrentes (con una orden válida en el periodo)"
    )
    monthly: str = Field(
        description="Ventas mes a mes: los doce meses completos hasta la fecha final"
    )
    patients_new: int | None = Field(
        None, description="pacientes nuevos del gráfico de pacientes (null con part=main)"
    )
    patients_recurring: int | None = Field(
        None, description="pacientes recurrentes del gráfico de pacientes (null con part=main)"
    )


SedeQ = Annotated[
    str | None, Query(max_length=36, pattern=r"^[0-9A-Za-z-]+$", description="id de la sede")
]
FromQ = Annotated[dt.date | None, Query(alias="from", description="desde (día de negocio)")]
ToQ = Annotated[dt.date | None, Query(alias="to", description="hasta (día de negocio)")]


@router.get(
    "/api/web/charts",
    response_model=DashboardCharts,
    summary="Gráficos del tablero en SVG (ventas, medios de pago, exámenes, pacientes, meses)",
    responses=errors(),
)
def dashboard_charts(
    rt: RuntimeDep,
    user: Annotated[Principal, Depends(require("report.read"))],
    sede: SedeQ = None,
    date_from: FromQ = None,
    date_to: ToQ = None,
    part: Annotated[
        Literal["all", "main", "patients"],
        Query(description="main: todos menos pacientes (vacío); patients: solo ese gráfico"),
    ] = "all",
) -> DashboardCharts:
    filters = reports.filters_for(
        user,
        today=reports.today_of(rt.clock.now()),
        date_from=date_from,
        date_to=date_to,
        sede_id=sede,
    )
    with unit_of_work(rt.engine) as session:
        # the same split feeds the chart and the "Pacientes nuevos" figure of the page
        split = (
            None
            if part == "main"
            else web_dashboard.patients_split(session=session, filters=filters)
        )
        svgs = web_dashboard.render_all(
            session=session, filters=filters, now=rt.clock.now(), part=part, split=split
        )
    return DashboardCharts(
        date_from=filters.date_from,
        date_to=filters.date_to,
        patients_new=split["nuevo"] if split is not None else None,
        patients_recurring=split["recurrente"] if split is not None else None,
        **svgs,
    )
