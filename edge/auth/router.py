"""``/api/auth``: sign in, renew, sign out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from domain.errors import Unauthorized
from edge.auth import service as auth_service
from edge.auth import sessions
from edge.auth.schemas import (
    LoginRequest,
    LogoutRead,
    LogoutRequest,
    RefreshRequest,
    TokenRead,
    UserProfile,
)
from edge.auth.sessions import SignIn
from edge.auth.tokens import ACCESS_TTL, REFRESH_TTL
from edge.db import read_session, unit_of_work
from edge.deps import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    CurrentUser,
    RuntimeDep,
    check_csrf,
    client_ip,
    error_responses,
    live_users,
)

router = APIRouter(prefix="/api/auth", tags=["autenticación"])

REFRESH_COOKIE_PATH = "/api/auth"


def _set_cookies(request: Request, response: Response, sign_in: SignIn) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        ACCESS_COOKIE,
        sign_in.access_token,
        max_age=int(ACCESS_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        REFRESH_COOKIE,
        sign_in.refresh_token,
        max_age=int(REFRESH_TTL.total_seconds()),
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        sign_in.csrf_token,
        max_age=int(REFRESH_TTL.total_seconds()),
        path="/",
        httponly=False,  # the web UI reads it and echoes it in X-CSRF-Token
        samesite="strict",
        secure=secure,
    )


def _clear_cookies(response: Response) -> None:
    response.delete_cookie(ACCESS_COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(
        REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, httponly=True, samesite="strict"
    )
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")


@router.post(
    "/login",
    response_model=TokenRead,
    summary="Iniciar sesión",
    description="Usuario y contraseña → token de acceso (30 min), token de renovación "
    "(7 días) y el perfil con sus permisos. Funciona sin conexión con la central. Tras 5 "
    "intentos fallidos, el par usuario + IP espera 15 minutos (429 `login_throttled`). "
    "También fija las cookies `labred_access` (HttpOnly), `labred_refresh` (HttpOnly) y "
    "`labred_csrf` para la interfaz web.",
    responses=error_responses(422),
)
def login(body: LoginRequest, request: Request, response: Response, rt: RuntimeDep) -> TokenRead:
    ip = client_ip(request)
    with read_session(rt.engine) as session:
        check = auth_service.check_credentials(
            session=session, clock=rt.clock, username=body.username, password=body.password, ip=ip
        )
    with unit_of_work(rt.engine) as session:
        outcome = auth_service.complete_login(
            session=session,
            clock=rt.clock,
            check=check,
            secret=rt.settings.jwt_secret,
            sede_id=rt.sede_id,
        )
    sign_in = outcome.unwrap()
    _set_cookies(request, response, sign_in)
    return TokenRead.from_sign_in(sign_in)


@router.post(
    "/refresh",
    response_model=TokenRead,
    summary="Renovar la sesión",
    description="Cambia un token de renovación por uno nuevo (rotación: el anterior queda "
    "revocado) y un nuevo token de acceso. Reusar un token ya rotado cierra toda la cadena "
    "de esa sesión (401 `refresh_token_reused`). Sin cuerpo, usa la cookie `labred_refresh` "
    "y exige la cabecera X-CSRF-Token.",
    responses=error_responses(422),
)
def refresh(
    request: Request,
    response: Response,
    rt: RuntimeDep,
    body: RefreshRequest | None = None,
) -> TokenRead:
    token = body.refresh_token if body is not None else None
    if token is None:
        token = request.cookies.get(REFRESH_COOKIE)
        if not token:
            raise Unauthorized(
                "Falta el token de renovación; inicie sesión.",
                code="refresh_token_missing",
                loc=["body", "refresh_token"],
            )
        check_csrf(request)
    with unit_of_work(rt.engine) as session:
        outcome = sessions.refresh(
            session=session,
            clock=rt.clock,
            refresh_token=token,
            secret=rt.settings.jwt_secret,
            sede_id=rt.sede_id,
            ip=client_ip(request),
        )
    if outcome.error is not None:  # a reused token revokes its sign-in: every process drops it
        live_users(request, rt).forget()
    sign_in = outcome.unwrap()
    _set_cookies(request, response, sign_in)
    return TokenRead.from_sign_in(sign_in)


@router.post(
    "/logout",
    response_model=LogoutRead,
    summary="Cerrar sesión",
    description="Revoca el token de renovación indicado (o el de la cookie) y la sesión del "
    "token de acceso usado, o todas las del usuario con `all_sessions`, y borra las cookies. "
    "Los tokens de acceso de una sesión cerrada dejan de valer al instante (401 "
    "`session_revoked`).",
    responses=error_responses(422),
)
def logout(
    request: Request,
    response: Response,
    rt: RuntimeDep,
    user: CurrentUser,
    body: LogoutRequest | None = None,
) -> LogoutRead:
    body = body or LogoutRequest()
    token = body.refresh_token or request.cookies.get(REFRESH_COOKIE)
    with unit_of_work(rt.engine) as session:
        revoked = sessions.logout(
            session=session,
            clock=rt.clock,
            principal=user,
            refresh_token=token,
            all_sessions=body.all_sessions,
            sede_id=rt.sede_id,
            ip=client_ip(request),
        )
    live_users(request, rt).forget()  # this process stops honouring the session's tokens now
    _clear_cookies(response)
    return LogoutRead(revoked=revoked)


@router.get(
    "/me",
    response_model=UserProfile,
    summary="Usuario con sesión iniciada",
    description="Perfil y permisos del usuario del token (leídos de la base local).",
    responses=error_responses(),
)
def me(rt: RuntimeDep, user: CurrentUser) -> UserProfile:
    with read_session(rt.engine) as session:
        row = auth_service.profile(session=session, principal=user)
        return UserProfile.from_user(row)
