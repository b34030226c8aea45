"""FastAPI dependencies of the hub: runtime, the signed-in user, permissions.

Routers use them like the edge's::

    @router.post("/api/catalog/services", status_code=201)
    def create(body: ServiceCreate, rt: RuntimeDep,
               user: Annotated[Principal, Depends(require("catalog.manage"))]) -> ServiceRead:
        with unit_of_work(rt.engine) as session:
            return catalog_service.create(session=session, clock=rt.clock, actor=user, ...)

``require(perm)`` stores the permission on the dependency as ``.permission`` so a test can walk
``app.routes`` and check the whole matrix. The user is re-read from the database on every
request: a deactivated user or a changed role takes effect at once, not when the token expires;
likewise a token whose sign-in was closed (logout, reused refresh token) is refused at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, col, select

from central.auth.models import HubUser, RefreshToken
from central.auth.tokens import Principal, decode_access
from central.runtime import HubRuntime
from domain.errors import Unauthorized
from domain.permissions import Role, check_permission

_bearer = HTTPBearer(auto_error=False, description="Token de acceso (POST /api/auth/login)")


def get_runtime(request: Request) -> HubRuntime:
    rt: HubRuntime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[HubRuntime, Depends(get_runtime)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "desconocida"


def current_user(
    request: Request,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    # Only the Authorization header: a cookie would ride along on a forged cross-site form,
    # and the hub has no CSRF token (the dashboard keeps its token in sessionStorage).
    token = credentials.credentials if credentials else None
    if not token:
        raise Unauthorized("Debe iniciar sesión.", code="not_authenticated")
    user_id, sid = decode_access(token, secret=rt.settings.jwt_secret, now=rt.clock.now())
    with Session(rt.engine) as session:
        user = session.get(HubUser, user_id)
        alive = sid is None or _session_alive(session, sid)
    if user is None or not user.active:
        raise Unauthorized("Su usuario está desactivado o no existe.", code="user_inactive")
    if not alive:
        raise Unauthorized("La sesión fue cerrada; inicie sesión de nuevo.", code="session_revoked")
    principal = Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        sede_ids=list(user.sede_ids),
    )
    request.state.principal = principal
    return principal


def _session_alive(session: Session, sid: str) -> bool:
    """Whether the sign-in ``sid`` still has an unrevoked refresh token (signing out, a reused
    refresh token or a password reset revoke them all, and its access tokens with them)."""
    query = (
        select(RefreshToken.id)
        .where(RefreshToken.family_id == sid, col(RefreshToken.revoked_at).is_(None))
        .limit(1)
    )
    return session.exec(query).first() is not None


CurrentUser = Annotated[Principal, Depends(current_user)]


def require(permission: str) -> Callable[..., Principal]:
    """Dependency: the signed-in user, whose role must have ``permission``."""

    def dependency(user: CurrentUser) -> Principal:
        check_permission(user.role, permission)
        return user

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency
