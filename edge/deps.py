"""FastAPI dependencies of the edge: runtime, units of work, the signed-in user, permissions.

Routers use them like this::

    @router.post("/api/orders", status_code=201)
    def create_order(body: OrderCreate, rt: RuntimeDep,
                     user: Annotated[Principal, Depends(require("order.create"))]) -> OrderRead:
        with unit_of_work(rt.engine) as session:
            order = orders_service.create(session=session, user=user, sede=rt.sede_id, ...)
            return OrderRead.from_model(order)   # built before the commit returns

The unit of work commits before the response is sent (never in a ``yield`` dependency).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from domain.errors import Forbidden, Unauthorized
from domain.permissions import check_permission, check_sede
from edge.auth import live
from edge.auth.tokens import Principal, decode_access_token
from edge.runtime import EdgeRuntime

_bearer = HTTPBearer(auto_error=False, description="Token de acceso (POST /api/auth/login)")

ACCESS_COOKIE = "labred_access"
REFRESH_COOKIE = "labred_refresh"
CSRF_COOKIE = "labred_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# The dependencies below are ``async def`` although they never await: they do no I/O (a JWT
# check is microseconds), and FastAPI runs every plain ``def`` dependency through the thread
# pool — a hop per dependency per request, which was a measurable share of a sale.
async def get_runtime(request: Request) -> EdgeRuntime:
    rt: EdgeRuntime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[EdgeRuntime, Depends(get_runtime)]


async def current_user(
    request: Request,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The user of the access token (``Authorization: Bearer`` or the ``labred_access`` cookie).

    A request authenticated by the cookie that changes something must also carry the CSRF
    token (double submit: header ``X-CSRF-Token`` equal to cookie ``labred_csrf``).

    The user's row is checked too (:mod:`edge.auth.live`): a user deactivated, given another
    role or taken off a sede loses that access once the change reaches the node, not when the
    token expires.
    """
    token = credentials.credentials if credentials else request.cookies.get(ACCESS_COOKIE)
    if not token:
        raise Unauthorized("Debe iniciar sesión.", code="not_authenticated")
    principal = decode_access_token(token, secret=rt.settings.jwt_secret, now=rt.clock.now())
    if credentials is None and request.method in UNSAFE_METHODS:
        check_csrf(request)
    principal = live.current(principal, live_users(request, rt))
    request.state.principal = principal
    return principal


def live_users(request: Request, rt: EdgeRuntime) -> live.LiveUsers:
    """The app's memory of users' rows (made on first use; one per app and process)."""
    kept: live.LiveUsers | None = getattr(request.app.state, "live_users", None)
    if kept is None:
        kept = request.app.state.live_users = live.LiveUsers(rt.engine)
    return kept


def check_csrf(request: Request) -> None:
    """Double-submit check for cookie-authenticated unsafe requests."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not header or not hmac.compare_digest(cookie, header):
        raise Forbidden(
            "Falta el token de seguridad (CSRF) de la sesión; recargue la página.",
            code="csrf_failed",
            loc=["header", CSRF_HEADER],
        )


def client_ip(request: Request) -> str:
    """The peer address (the edge is reached directly on the sede's LAN, no proxy)."""
    return request.client.host if request.client else "desconocida"


CurrentUser = Annotated[Principal, Depends(current_user)]


def require(permission: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency: the signed-in user, who must have ``permission`` in this node's sede."""

    async def dependency(user: CurrentUser, rt: RuntimeDep) -> Principal:
        check_permission(user.role, permission)
        sede_id = rt.sede_id
        if sede_id is not None:
            check_sede(user.role, user.sede_ids, sede_id)
        return user

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    # Read by the permission-matrix test, which walks every route of the app.
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


class ErrorItem(BaseModel):
    type: str = Field(description="Código estable (en inglés) para programas.")
    msg: str = Field(description="Mensaje en español para el personal.")
    loc: list[str | int] = Field(default_factory=list, description="Dónde está el problema.")
    ctx: dict[str, Any] | None = Field(default=None, description="Datos adicionales.")


class ErrorBody(BaseModel):
    """The one error shape of every endpoint (DESIGN.md section 7)."""

    detail: list[ErrorItem]


_ERROR_TEXT: dict[int, str] = {
    401: "Sin sesión, o token vencido, revocado o inválido (`not_authenticated`, "
    "`token_expired`, `token_invalid`, ...).",
    403: "Sin permiso (`permission_denied`), sede no asignada (`sede_not_assigned`) o "
    "falta el token CSRF (`csrf_failed`).",
    404: "No encontrado.",
    409: "Conflicto con el estado actual.",
    422: "Datos inválidos o regla de negocio incumplida.",
    429: "Demasiadas solicitudes (`rate_limited`); ver la cabecera Retry-After.",
    503: "Un servicio necesario no está disponible.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the error statuses it documents, in the one error shape.

    401, 403 and 429 apply to every authenticated route and are always included.
    """
    wanted = sorted({401, 403, 429, *statuses})
    return {s: {"model": ErrorBody, "description": _ERROR_TEXT.get(s, "Error.")} for s in wanted}
