"""Pages of the reception UI (``/recepcion/...``), its static assets and the header's status.

Every page is a static shell rendered by Jinja2 (autoescape on): the sede's name, the page's
name and the ids from its URL. The data comes from the JSON API, called by the page's ES module
with the session cookie, so the shells need no permission of their own (they are listed in
``PUBLIC_PAGES`` for the permission-matrix test) and answer in a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from domain.clock import business_date
from domain.errors import NotFound
from domain.permissions import has_permission
from edge.auth.tokens import Principal
from edge.db import read_session
from edge.deps import RuntimeDep, error_responses, require
from edge.openapi_examples import system as ex
from edge.sync import service as sync_service
from edge.web import PREFIX, lookups
from edge.web import status as web_status

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
_MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".svg": "image/svg+xml", ".ico": "image/x-icon"}  # fmt: skip


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

# (method, path) of the shells and assets: public, like /docs (they carry no data).
PUBLIC_PAGES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/"),
        ("GET", PREFIX),
        ("GET", f"{PREFIX}/ingresar"),
        ("GET", f"{PREFIX}/pacientes/nuevo"),
        ("GET", f"{PREFIX}/pacientes/{{patient_id}}"),
        ("GET", f"{PREFIX}/ordenes"),
        ("GET", f"{PREFIX}/ordenes/nueva"),
        ("GET", f"{PREFIX}/ordenes/{{order_id}}"),
        ("GET", f"{PREFIX}/caja"),
        ("GET", f"{PREFIX}/descuentos"),
        ("GET", f"{PREFIX}/cierres"),
        ("GET", f"{PREFIX}/dia"),
        ("GET", f"{PREFIX}/auditoria"),
        ("GET", f"{PREFIX}/static/{{version}}/{{asset:path}}"),
    }
)

Id = Annotated[str, PathParam(max_length=36, pattern=r"^[0-9A-Za-z-]+$")]


def _page(request: Request, rt: RuntimeDep, *, page: str, title: str, **ids: str) -> HTMLResponse:
    with read_session(rt.engine) as session:
        sede = web_status.sede_label(session, sede_id=rt.sede_id)
    context: dict[str, Any] = {
        "page": page,
        "title": title,
        "sede": sede,
        "ids": ids,
        "v": ASSET_VERSION,
        "prefix": PREFIX,
        "signed_in": page != "login",
    }
    response = templates.TemplateResponse(request, f"{page}.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse(PREFIX, status_code=303)


@router.get(PREFIX, include_in_schema=False, response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="inicio", title="Buscar paciente")


@router.get(f"{PREFIX}/ingresar", include_in_schema=False, response_class=HTMLResponse)
def login_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="login", title="Ingresar")


@router.get(f"{PREFIX}/pacientes/nuevo", include_in_schema=False, response_class=HTMLResponse)
def new_patient_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="paciente_nuevo", title="Registrar paciente")


@router.get(
    f"{PREFIX}/pacientes/{{patient_id}}", include_in_schema=False, response_class=HTMLResponse
)
def patient_page(request: Request, rt: RuntimeDep, patient_id: Id) -> HTMLResponse:
    return _page(request, rt, page="paciente", title="Paciente", patient_id=patient_id)


@router.get(f"{PREFIX}/ordenes", include_in_schema=False, response_class=HTMLResponse)
def orders_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="ordenes", title="Órdenes del día")


@router.get(f"{PREFIX}/ordenes/nueva", include_in_schema=False, response_class=HTMLResponse)
def new_order_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="orden_nueva", title="Nueva orden")


@router.get(f"{PREFIX}/ordenes/{{order_id}}", include_in_schema=False, response_class=HTMLResponse)
def order_page(request: Request, rt: RuntimeDep, order_id: Id) -> HTMLResponse:
    return _page(request, rt, page="orden", title="Orden", order_id=order_id)


@router.get(f"{PREFIX}/caja", include_in_schema=False, response_class=HTMLResponse)
def cash_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="caja", title="Caja")


@router.get(f"{PREFIX}/descuentos", include_in_schema=False, response_class=HTMLResponse)
def discount_queue_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="descuentos", title="Descuentos por aprobar")


@router.get(f"{PREFIX}/cierres", include_in_schema=False, response_class=HTMLResponse)
def closures_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="cierres", title="Cierres de la central")


@router.get(f"{PREFIX}/dia", include_in_schema=False, response_class=HTMLResponse)
def day_close_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="dia", title="Cierre del día")


@router.get(f"{PREFIX}/auditoria", include_in_schema=False, response_class=HTMLResponse)
def audit_page(request: Request, rt: RuntimeDep) -> HTMLResponse:
    return _page(request, rt, page="auditoria", title="Auditoría")


@router.get(f"{PREFIX}/static/{{version}}/{{asset:path}}", include_in_schema=False)
def static_asset(version: str, asset: str) -> Response:
    """A file under ``edge/web/static`` (never outside it).

    The URL carries the assets' version, and ES modules import each other by relative
    paths, so a whole page's modules share it: the current version is cached for good (one
    request per file per upgrade, which also spares the per-user rate limit), any other is
    revalidated.
    """
    path = (STATIC_DIR / asset).resolve()
    media = _MEDIA.get(path.suffix)
    if media is None or not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise NotFound("Recurso no encontrado.", code="asset_not_found", loc=["path", "asset"])
    cache = "public, max-age=31536000, immutable" if version == ASSET_VERSION else "no-cache"
    return FileResponse(path, media_type=media, headers={"Cache-Control": cache})


class WebStatus(BaseModel):
    """What the reception header shows besides the sync backlog and the lab queue."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEB_STATUS]})

    sede_code: str
    sede_name: str
    hub_url: str | None = Field(description="Central a la que sincroniza (None: ninguna).")
    hub: web_status.HubState = Field(
        description="en_linea | sin_conexion | sin_central | comprobando (primer sondeo)."
    )
    hub_checked_at: dt.datetime | None
    sunat_pending: int = Field(description="Comprobantes sin respuesta final de SUNAT.")
    sunat_overdue: int = Field(description="De ellos, en o pasado su plazo de envío.")
    sunat_unreachable: int = Field(
        default=0,
        description="De ellos, cuyo último envío no encontró a SUNAT (error de red): SUNAT o "
        "la conexión están caídos; el worker los reenvía solo.",
    )
    sync_backlog: int = Field(description="Cambios por enviar a la central.")
    sync_last_push_at: dt.datetime | None
    sync_last_error: str | None
    sync_failures: int = Field(description="Intentos fallidos seguidos con la central.")
    lab_pending: int | None = Field(
        description="Envíos al laboratorio pendientes (sin permiso: None)."
    )
    lab_alerts: int | None = Field(description="Alertas del laboratorio (exámenes sin código).")
    disk: Literal["ok", "bajo", "lleno"] = Field(
        default="ok",
        description="Espacio libre del disco de la sede: ok | bajo (menos de disk_low_mb) | "
        "lleno (menos de disk_full_mb: las ventas pueden fallar; avise al técnico).",
    )
    disk_free_mb: int | None = Field(default=None, description="MB libres en el disco.")
    now: dt.datetime


@router.get(
    "/api/web/status",
    response_model=WebStatus,
    summary="Estado del nodo para la cabecera de recepción (central, cola SUNAT)",
    description="Lee el último sondeo de la central (GET /health, en segundo plano, cada 5 s "
    "como máximo): ninguna petición espera a la red.",
    responses=error_responses(),
)
def node_status(
    rt: RuntimeDep, user: Annotated[Principal, Depends(require("sync.status"))]
) -> WebStatus:
    now = rt.clock.now()
    sync = sync_service.status(rt.engine, rt.clock)
    hub_url = sync.get("hub_url") or rt.settings.hub_url
    hub, checked = web_status.PROBE.state(hub_url, now=dt.datetime.now(dt.UTC))
    disk = web_status.disk_status(rt.settings)
    with read_session(rt.engine) as session:
        sede = web_status.sede_label(session, sede_id=rt.sede_id)
        queue = web_status.sunat_queue(session, today=business_date(now))
        lab = web_status.lab_queue(session) if has_permission(user.role, "lab.sync") else None
    return WebStatus(
        sede_code=sede.code,
        sede_name=sede.name,
        hub_url=hub_url,
        hub=hub,
        hub_checked_at=checked,
        sunat_pending=queue.pending,
        sunat_overdue=queue.overdue,
        sunat_unreachable=queue.unreachable,
        sync_backlog=int(sync.get("backlog") or 0),
        sync_last_push_at=sync.get("last_push_at"),
        sync_last_error=sync.get("last_error"),
        sync_failures=int(sync.get("consecutive_failures") or 0),
        lab_pending=lab.pending if lab else None,
        lab_alerts=lab.alerts if lab else None,
        disk=disk.level,
        disk_free_mb=disk.free_mb,
        now=now,
    )


class WebUser(BaseModel):
    """A user of this node, as the audit page's "usuario" filter lists it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0190d2b4-0000-7000-8000-000000000001",
                    "username": "supervisora",
                    "full_name": "Rosa Huamán",
                    "role": "supervisor",
                    "active": True,
                }
            ]
        }
    )

    id: str
    username: str
    full_name: str
    role: str
    active: bool


@router.get(
    "/api/web/users",
    response_model=list[WebUser],
    summary="Usuarios del nodo (para filtrar la auditoría)",
    description="Todos los usuarios que conoce esta sede, activos o no, por nombre de usuario.",
    responses=error_responses(),
)
def node_users(
    rt: RuntimeDep, _user: Annotated[Principal, Depends(require("audit.read"))]
) -> list[WebUser]:
    with read_session(rt.engine) as session:
        return [
            WebUser(
                id=u.id, username=u.username, full_name=u.full_name, role=u.role, active=u.active
            )
            for u in lookups.users(session)
        ]
