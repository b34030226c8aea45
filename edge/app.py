"""The edge node's FastAPI application."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from edge import diskspace, ratelimit
from edge.auth import throttle
from edge.db import Checkpointer
from edge.runtime import EdgeRuntime
from edge.settings import EdgeSettings
from sync import openapi_nulls, webapp
from sync.migrations import SchemaError

VERSION = "0.1.0"

# Each module exposes ``router`` (an APIRouter); add one line per domain package.
ROUTER_MODULES: tuple[str, ...] = (
    "edge.auth.router",
    "edge.patients.router",
    "edge.audit.router",
    "edge.cash.router",
    "edge.samples.router",
    "edge.catalog.router",
    "edge.orders.router",
    "edge.orders.discount_requests_router",
    "edge.orders.physicians_router",
    "edge.billing.router",
    "edge.billing.printouts_router",
    "edge.billing.convenio_router",
    "edge.billing.convenio_credit_router",
    "edge.labsync.router",
    "edge.sync.router",
    "edge.closures.router",
    "edge.web.router",
)


APPROVALS_FILE = "approvals.json"

_HEALTH_EXAMPLE = {
    "status": "ok",
    "service": "edge",
    "version": VERSION,
    "disk": "ok",
    "disk_free_mb": 41234,
}


def create_app(settings: EdgeSettings, *, runtime: EdgeRuntime | None = None) -> FastAPI:
    """Build the edge app. The schema must already be migrated (``labred migrate edge``)."""
    rt = runtime or EdgeRuntime.open(settings)
    rt.check_schema()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        checkpointer = Checkpointer(rt.engine)
        checkpointer.start()
        try:
            yield
        finally:
            checkpointer.stop()
        if runtime is None:
            rt.engine.dispose()

    app = FastAPI(
        title="labred — nodo de sede",
        version=VERSION,
        description="API de recepción de una sede: pacientes, órdenes, pagos, caja, "
        "comprobantes SUNAT. Funciona sin internet.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    ratelimit.install(app, settings)  # before webapp.install: 429s get its security headers
    # Several API processes (serve --workers N): counter-approval failures counted per node.
    throttle.share_approvals(settings.data_dir / APPROVALS_FILE if settings.workers > 1 else None)
    webapp.install(app)
    diskspace.install(app)  # a full disk: 507 disk_full, never a 500
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

    @app.get(
        "/health",
        tags=["sistema"],
        summary="El proceso está vivo (y el espacio libre en disco)",
        description="`disk`: ok | bajo (menos de `disk_low_mb` libres) | lleno (menos de "
        "`disk_full_mb`: las ventas pueden fallar); `disk_free_mb`: MB libres en el directorio "
        "de datos. Responde 200 aunque el disco esté lleno: el proceso sigue vivo.",
        responses={200: {"content": {"application/json": {"example": _HEALTH_EXAMPLE}}}},
    )
    def health() -> dict[str, Any]:
        space = diskspace.measure_settings(rt.settings)
        return {
            "status": "ok",
            "service": "edge",
            "version": VERSION,
            "disk": space.level,
            "disk_free_mb": space.free_mb,
        }

    @app.get(
        "/ready",
        tags=["sistema"],
        summary="La base de datos responde y está migrada",
        responses={
            200: webapp.ready_response("edge"),
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
        return {"status": "ready", "service": "edge"}

    openapi_nulls.install(app)  # FastAPI drops None inside examples
    webapp.document_payload_limit(app)  # 413 on every route that takes a body
    diskspace.document(app)  # 507 disk_full on every write route
    return app
