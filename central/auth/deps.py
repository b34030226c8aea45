"""FastAPI dependencies of the hub: runtime, the signed-in user, permissions.

Routers use them like the edge's::

    @router.post("/api/catalog/services", status_code=201)
    def create(body: ServiceCreate, rt: RuntimeDep,
               user: Annotated[Principal, Depends(require("catalog.manage"))]) -> ServiceRead:
        with unit_of_work(rt.engine) as session:
            return catalog_service.create(session=session, clock=rt.clock, actor=user, ...)

``require(perm)`` stores the permission on the dependency as ``.permission`` so a test can walk
``app.routes`` and check the whole matrix. The user is re-read from the database on every
request: a deactivated user or a changed role takes effect at once, not when the token expires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from central.auth.models import HubUser
from central.auth.tokens import Principal, decode_access_token
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
    token = credentials.credentials if credentials else request.cookies.get("labred_hub_access")
    if not token:
        raise Unauthorized("Debe iniciar sesión.", code="not_authenticated")
    user_id = decode_access_token(token, secret=rt.settings.jwt_secret, now=rt.clock.now())
    with Session(rt.engine) as session:
        user = session.get(HubUser, user_id)
    if user is None or not user.active:
        raise Unauthorized("Su usuario está desactivado o no existe.", code="user_inactive")
    principal = Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        sede_ids=list(user.sede_ids),
    )
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def require(permission: str) -> Callable[..., Principal]:
    """Dependency: the signed-in user, whose role must have ``permission``."""

    def dependency(user: CurrentUser) -> Principal:
        check_permission(user.role, permission)
        return user

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency
