"""The central hub's FastAPI application."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from central import ratelimit
from central.nulguard import NulGuardMiddleware
from central.openapi_examples import sync as probes
from central.runtime import HubRuntime
from central.settings import HubSettings
from sync import openapi_nulls, webapp
from sync.migrations import SchemaError

VERSION = "0.1.0"

# Each module exposes ``router`` (an APIRouter); add one line per domain package.
ROUTER_MODULES: tuple[str, ...] = (
    "central.auth.router",
    "central.auth.users_router",
    "central.config.router",
    "central.catalog.router",
    "central.convenios.router",
    "central.convenios.accounts_router",
    "central.convenios.payments_router",
    "central.patients.router",
    "central.lab.router",
    "central.audit.router",
    "central.sync.router",
    "central.sync.closures",
    "central.backup.router",
    "central.reconciliation.router",
    "central.reports.router",
    "central.notifications.router",
    "central.web.router",
    "central.web.admin_router",
    "central.web.convenio_router",
)


def create_app(settings: HubSettings, *, runtime: HubRuntime | None = None) -> FastAPI:
    """Build the hub app. The schema must already be migrated (``labred migrate hub``)."""
    rt = runtime or HubRuntime.open(settings)
    rt.check_schema()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if runtime is None:
            rt.close()

    app = FastAPI(
        title="labred — central",
        version=VERSION,
        description="Central de la cadena: catálogo, precios, sedes, usuarios, sincronización, "
        "conciliación diaria y reportes.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    # NUL guard first, so it sits inside webapp's middleware: the body limit applies before it
    # buffers a body, and its 422s carry the security headers
    app.add_middleware(NulGuardMiddleware)  # PostgreSQL text cannot hold NUL: 422, not 500
    ratelimit.install(app, rt.settings)  # before webapp.install: 429s get its security headers
    webapp.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-CSRF-Token"],
        )

    for module_name in ROUTER_MODULES:
        app.include_router(importlib.import_module(module_name).router)
    openapi_nulls.install(app)  # FastAPI drops None inside examples
    webapp.document_payload_limit(app)  # 413 on every route that takes a body

    @app.get(
        "/health",
        tags=["sistema"],
        summary="El proceso está vivo",
        responses={200: {"content": {"application/json": {"example": probes.HEALTH}}}},
    )
    def health() -> dict[str, Any]:
        return {"status": "ok", "service": "hub", "version": VERSION}

    @app.get(
        "/ready",
        tags=["sistema"],
        summary="La base de datos responde y está migrada",
        responses={
            200: webapp.ready_response("hub"),
            503: {"description": "No está listo"},
        },
    )
    def ready() -> Any:
        try:
            rt.ping()
            rt.check_schema()
        except SchemaError as exc:
            return JSONResponse(webapp.error_body("schema_mismatch", str(exc)), status_code=503)
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure
            return JSONResponse(
                webapp.error_body("database_unavailable", f"Base de datos no disponible: {exc}"),
                status_code=503,
            )
        return {"status": "ready", "service": "hub"}

    return app
