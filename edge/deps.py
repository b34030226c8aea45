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

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.errors import Unauthorized
from domain.permissions import check_permission, check_sede
from edge.auth.tokens import Principal, decode_access_token
from edge.runtime import EdgeRuntime

_bearer = HTTPBearer(auto_error=False, description="Token de acceso (POST /api/auth/login)")


def get_runtime(request: Request) -> EdgeRuntime:
    rt: EdgeRuntime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[EdgeRuntime, Depends(get_runtime)]


def current_user(
    request: Request,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials else request.cookies.get("labred_access")
    if not token:
        raise Unauthorized("Debe iniciar sesión.", code="not_authenticated")
    principal = decode_access_token(token, secret=rt.settings.jwt_secret)
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def require(permission: str) -> Callable[..., Principal]:
    """Dependency: the signed-in user, who must have ``permission`` in this node's sede."""

    def dependency(user: CurrentUser, rt: RuntimeDep) -> Principal:
        check_permission(user.role, permission)
        sede_id = rt.sede_id
        if sede_id is not None:
            check_sede(user.role, user.sede_ids, sede_id)
        return user

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency
