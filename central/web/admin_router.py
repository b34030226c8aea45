"""``/api/web/...``: what the dashboard's administration pages read.

Supervisors see (``report.read``), admins edit through the areas' own endpoints
(``/api/users``, ``/api/config``, ``/api/notifications``), which require ``user.manage``,
``config.manage`` and ``notification.manage``. The pages send the access token as
``Authorization: Bearer`` (never a cookie), so a forged cross-site form carries no credential:
that header is the dashboard's CSRF protection.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from central.auth.deps import RuntimeDep, require
from central.auth.schemas import UserRead
from central.auth.tokens import Principal
from central.config.router import sede_read
from central.config.schemas import SERIES_KEYS, ConfigChangeRead, SedeRead, SettingsRead
from central.db import unit_of_work
from central.notifications.schemas import Channel, NotificationRead, Status, TemplateRead
from central.openapi_examples import web as ex
from central.reports import service as reports
from central.responses import errors
from central.sync import nodes as sync_nodes
from central.sync.schemas import NodeRead, NodeStatus
from central.web import admin_views as views
from domain.permissions import MATRIX, ROLE_LABELS, Role
from domain.sunat.catalogs import doc_type_label
from sync.apitypes import Money

router = APIRouter(prefix="/api/web", tags=["interfaz web"])
Viewer = Annotated[Principal, Depends(require("report.read"))]


class SedeOption(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.SEDE_OPTION]})

    id: str
    code: str
    name: str


class RoleOption(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ROLE_OPTION]})

    role: Role
    label: str


class WebUsers(BaseModel):
    """Users the caller may see, the sedes and roles to pick from, and whether they may edit."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEB_USERS]})

    items: list[UserRead]
    sedes: list[SedeOption]
    roles: list[RoleOption]
    can_edit: bool = Field(description="el usuario tiene user.manage")


class WebSedes(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEB_SEDES]})

    items: list[SedeRead]
    series_keys: list[str] = Field(description="tipos de documento con serie")
    can_edit: bool = Field(description="el usuario tiene config.manage")


class WebSettings(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEB_SETTINGS]})

    values: SettingsRead
    history: list[ConfigChangeRead]
    can_edit: bool


class WebTemplates(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEB_TEMPLATES]})

    items: list[TemplateRead]
    can_edit: bool = Field(description="el usuario tiene notification.manage")


class WebNotifications(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEB_NOTIFICATIONS]})

    items: list[NotificationRead]
    sedes: list[SedeOption]
    has_more: bool = Field(False, description="hay notificaciones más antiguas (siguiente página)")


class PreviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "Su orden {{ order_number }} fue registrada",
                    "body": "Hola {{ patient_name }}: total S/ {{ total }}.",
                }
            ]
        },
    )

    subject: Annotated[str, StringConstraints(max_length=200)] = ""
    body: Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class PreviewRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.PREVIEW_READ]})

    subject: str
    body: str


class AlarmRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.ALARM_READ]})

    sede_id: str
    sede_code: str
    invoice_id: str
    doc_type: str
    doc_label: str
    document: str
    state: str
    kind: Literal["rechazado", "vencido", "por_vencer"]
    deadline: dt.date | None
    days_late: int
    business_date: dt.date | None
    total: Money
    customer_name: str
    detail: str


class DiskAlarmRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.DISK_ALARM_READ]})

    sede_id: str
    sede_code: str
    sede_name: str
    node_id: str
    node_name: str
    level: Literal["bajo", "lleno"] = Field(
        description="bajo: menos de disk_low_mb libres; lleno: las ventas pueden fallar"
    )
    free_mb: int
    reported_at: dt.datetime | None = Field(description="cuándo la central lo supo")


class WebAlarms(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.WEB_ALARMS]})

    items: list[AlarmRead]
    disks: list[DiskAlarmRead] = Field(
        default_factory=list,
        description="sedes cuyo equipo informó disco bajo o lleno (lleno primero)",
    )
    sedes: list[SedeOption]
    today: dt.date


def _can(user: Principal, permission: str) -> bool:
    return permission in MATRIX[Role(user.role)]


def _options(sedes: list[Any]) -> list[SedeOption]:
    return [SedeOption(id=s.id, code=s.code, name=s.name) for s in sedes]


@router.get(
    "/users",
    response_model=WebUsers,
    summary="Usuarios visibles (supervisor: los de sus sedes) para la página de usuarios",
    responses=errors(),
)
def web_users(
    rt: RuntimeDep,
    user: Viewer,
    q: Annotated[str | None, Query(max_length=60, description="usuario, nombre o correo")] = None,
    active: Annotated[bool | None, Query(description="solo activos / inactivos")] = None,
) -> WebUsers:
    with unit_of_work(rt.engine) as session:
        rows = views.users_for(session=session, user=user, q=q, active=active)
        sedes = views.sedes_for(session=session, user=user)
        return WebUsers(
            items=[UserRead.model_validate(u) for u in rows],
            sedes=_options(sedes),
            roles=[RoleOption(role=r, label=ROLE_LABELS[r]) for r in Role],
            can_edit=_can(user, "user.manage"),
        )


@router.get(
    "/sedes",
    response_model=WebSedes,
    summary="Sedes visibles con sus series y umbrales de caja",
    responses=errors(),
)
def web_sedes(rt: RuntimeDep, user: Viewer) -> WebSedes:
    with unit_of_work(rt.engine) as session:
        sedes = views.sedes_for(session=session, user=user)
        return WebSedes(
            items=[sede_read(s) for s in sedes],
            series_keys=list(SERIES_KEYS),
            can_edit=_can(user, "config.manage"),
        )


@router.get(
    "/settings",
    response_model=WebSettings,
    summary="Parámetros de la cadena y su historial de cambios",
    responses=errors(),
)
def web_settings(rt: RuntimeDep, user: Viewer) -> WebSettings:
    with unit_of_work(rt.engine) as session:
        values, history = views.settings_with_history(session=session)
        return WebSettings(
            values=SettingsRead(**values),
            history=[ConfigChangeRead.model_validate(r) for r in history],
            can_edit=_can(user, "config.manage"),
        )


@router.get(
    "/notification-templates",
    response_model=WebTemplates,
    summary="Plantillas de notificación",
    responses=errors(),
)
def web_templates(rt: RuntimeDep, user: Viewer) -> WebTemplates:
    with unit_of_work(rt.engine) as session:
        rows = views.templates(session=session, clock=rt.clock)
        return WebTemplates(
            items=[TemplateRead.of(t) for t in rows], can_edit=_can(user, "notification.manage")
        )


@router.post(
    "/notification-templates/preview",
    response_model=PreviewRead,
    summary="Vista previa de una plantilla con datos de ejemplo (no guarda nada)",
    responses=errors(),
)
def web_template_preview(body: PreviewRequest, _user: Viewer) -> PreviewRead:
    subject, text = views.preview(subject=body.subject, body=body.body)
    return PreviewRead(subject=subject, body=text)


@router.get(
    "/notifications",
    response_model=WebNotifications,
    summary="Historial de notificaciones (supervisor: las de sus sedes)",
    responses=errors(),
)
def web_notifications(
    rt: RuntimeDep,
    user: Viewer,
    status: Annotated[Status | None, Query(description="estado")] = None,
    channel: Annotated[Channel | None, Query(description="canal")] = None,
    date_from: Annotated[dt.date | None, Query(alias="from", description="desde")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to", description="hasta")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="filas a saltar")] = 0,
) -> WebNotifications:
    with unit_of_work(rt.engine) as session:
        rows = views.notification_history(
            session=session, user=user, status=status, channel=channel,
            date_from=date_from, date_to=date_to, limit=limit + 1, offset=offset,
        )  # fmt: skip
        return WebNotifications(
            items=[NotificationRead.of(n) for n in rows[:limit]],
            sedes=_options(views.sedes_for(session=session, user=user)),
            has_more=len(rows) > limit,
        )


@router.get(
    "/sunat-alarms",
    response_model=WebAlarms,
    summary="Comprobantes rechazados o fuera de plazo de SUNAT y sedes con disco bajo o lleno, "
    "en todas las sedes visibles",
    responses=errors(),
)
def web_sunat_alarms(
    rt: RuntimeDep,
    user: Viewer,
    sede: Annotated[
        str | None, Query(max_length=36, pattern=r"^[0-9A-Za-z-]+$", description="id de la sede")
    ] = None,
    days: Annotated[int, Query(ge=1, le=400, description="días hacia atrás")] = 90,
) -> WebAlarms:
    today = reports.today_of(rt.clock.now())
    with unit_of_work(rt.engine) as session:
        rows = views.sunat_alarms(session=session, user=user, today=today, sede_id=sede, days=days)
        disks = views.disk_alarms(session=session, user=user, sede_id=sede)
        sedes = views.sedes_for(session=session, user=user)
    return WebAlarms(
        disks=[DiskAlarmRead(**{k: getattr(d, k) for k in d.__dataclass_fields__}) for d in disks],
        items=[
            AlarmRead(
                **{k: getattr(a, k) for k in a.__dataclass_fields__},
                doc_label=doc_type_label(a.doc_type),
            )
            for a in rows
        ],
        sedes=_options(sedes),
        today=today,
    )


class NodeHealth(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [ex.NODE_HEALTH]})

    node: NodeRead
    status: NodeStatus


@router.get(
    "/sync-health",
    response_model=list[NodeHealth],
    summary="Cada nodo con su estado de sincronización (una sola consulta para el panel)",
    responses=errors(),
)
def web_sync_health(
    rt: RuntimeDep, _user: Annotated[Principal, Depends(require("sync.manage"))]
) -> list[NodeHealth]:
    with unit_of_work(rt.engine) as session:
        return [
            NodeHealth(
                node=NodeRead.model_validate(n),
                status=NodeStatus(
                    **sync_nodes.node_status(session=session, node_id=n.id, clock=rt.clock)
                ),
            )
            for n in sync_nodes.list_nodes(session=session)
        ]
