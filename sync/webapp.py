"""FastAPI glue both apps share: the one error shape, request ids, security headers, JSON logs.

Every error leaves as FastAPI's own shape so one parser serves the web UI, the TUI and the
sync client (DESIGN.md section 7)::

    {"detail": [{"type": "<stable code>", "msg": "<Spanish message>", "loc": [...]}]}
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import LabError, TooManyRequests
from sync.fieldnames import with_field

log = logging.getLogger("labred.http")

# pydantic's English messages -> Spanish, by error type; ``with_field`` names the field.
_VALIDATION_MSGS: dict[str, str] = {
    "missing": "Este campo es obligatorio.",
    "string_type": "Debe ser un texto.",
    "int_type": "Debe ser un número entero.",
    "int_parsing": "Debe ser un número entero.",
    "decimal_parsing": "Debe ser un monto decimal.",
    "decimal_type": "Debe ser un monto decimal.",
    "bool_type": "Debe ser verdadero o falso.",
    "bool_parsing": "Debe ser verdadero o falso.",
    "date_parsing": "Fecha inválida (use AAAA-MM-DD).",
    "date_from_datetime_parsing": "Fecha inválida (use AAAA-MM-DD).",
    "datetime_parsing": "Fecha y hora inválidas.",
    "datetime_from_date_parsing": "Fecha y hora inválidas.",
    "enum": "Valor no permitido.",
    "literal_error": "Valor no permitido.",
    "string_too_short": "Texto demasiado corto.",
    "string_too_long": "Texto demasiado largo.",
    "string_pattern_mismatch": "Formato inválido.",
    "greater_than": "Valor demasiado pequeño.",
    "greater_than_equal": "Valor demasiado pequeño.",
    "less_than": "Valor demasiado grande.",
    "less_than_equal": "Valor demasiado grande.",
    "too_short": "Se necesitan más elementos.",
    "too_long": "Demasiados elementos.",
    "json_invalid": "El cuerpo no es JSON válido.",
    "model_attributes_type": "Se esperaba un objeto.",
    "dict_type": "Se esperaba un objeto.",
    "list_type": "Se esperaba una lista.",
    "uuid_parsing": "Identificador inválido.",
    "uuid_type": "Identificador inválido.",
    "extra_forbidden": "Campo no permitido.",
    "value_error": "Valor inválido.",
    "float_type": "Debe ser un número.",
    "float_parsing": "Debe ser un número.",
    "url_parsing": "URL inválida.",
}


def model_response(model: BaseModel, *, status_code: int = 200) -> Response:
    """``model`` as the JSON body, as FastAPI would serialise it for ``response_model``.

    For the hottest routes (a sale): a route that returns its model makes FastAPI validate it
    again — in the thread pool, for a plain ``def`` route — before serialising it. Returning a
    response skips that; the route keeps ``response_model`` for the OpenAPI document.
    """
    return Response(
        content=model.model_dump_json(by_alias=True),
        status_code=status_code,
        media_type="application/json",
    )


def ready_response(service: str) -> dict[str, Any]:
    """OpenAPI of a ``/ready`` probe's 200 answer (its handler returns a plain dict)."""
    return {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"status": {"const": "ready"}, "service": {"const": service}},
                    "required": ["status", "service"],
                },
                "example": {"status": "ready", "service": service},
            }
        }
    }


def error_body(code: str, msg: str, loc: list[Any] | None = None) -> dict[str, Any]:
    return {"detail": [{"type": code, "msg": msg, "loc": loc or []}]}


def _lab_error_response(request: Request, exc: LabError) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse({"detail": exc.detail()}, status_code=exc.status, headers=headers)


def _length_msg(etype: str, ctx: dict[str, Any]) -> str | None:
    """What to do about a list of the wrong length, with the constraint's number ("Debe tener
    al menos 1 elemento."), from the pydantic error's ``ctx``; None for other errors."""
    if etype == "too_short" and isinstance(ctx.get("min_length"), int):
        n = ctx["min_length"]
        return f"Debe tener al menos {n} elemento{'' if n == 1 else 's'}."
    if etype == "too_long" and isinstance(ctx.get("max_length"), int):
        n = ctx["max_length"]
        return f"Puede tener como máximo {n} elemento{'' if n == 1 else 's'}."
    return None


def _validation_response(request: Request, exc: RequestValidationError) -> Response:
    items = []
    for err in exc.errors():
        etype = str(err.get("type", "value_error"))
        msg = _VALIDATION_MSGS.get(etype) or "Valor inválido."
        generic = True
        ctx = err.get("ctx") or {}
        msg = _length_msg(etype, ctx) or msg
        inner = ctx.get("error")
        if isinstance(inner, LabError):
            etype, msg, generic = inner.code, inner.msg, False
        elif etype == "value_error" and inner is not None:
            msg, generic = str(inner), False
        loc = list(err.get("loc", []))
        items.append({"type": etype, "msg": with_field(msg, loc, generic=generic), "loc": loc})
    return JSONResponse({"detail": items}, status_code=422)


_HTTP_CODES = {
    400: ("bad_request", "Solicitud inválida."),
    401: ("unauthorized", "Debe iniciar sesión."),
    403: ("forbidden", "No tiene permiso para esta acción."),
    404: ("not_found", "No encontrado."),
    405: ("method_not_allowed", "Método no permitido."),
    413: ("payload_too_large", "El cuerpo de la solicitud es demasiado grande."),
    415: ("unsupported_media_type", "Tipo de contenido no soportado."),
}


def _http_response(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
        # FastAPI's "error parsing the body" for a JSON nested past the parser's depth
        return JSONResponse(
            error_body("json_too_deep", "El JSON enviado está anidado demasiado.", ["body"]),
            status_code=422,
        )
    if isinstance(exc.detail, list):
        return JSONResponse(
            {"detail": exc.detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
    code, msg = _HTTP_CODES.get(exc.status_code, ("http_error", "Error en la solicitud."))
    if isinstance(exc.detail, str) and exc.detail and exc.status_code not in _HTTP_CODES:
        msg = exc.detail
    return JSONResponse(
        error_body(code, msg), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


def _unexpected_response(request: Request, exc: Exception) -> Response:
    rid = getattr(request.state, "request_id", "-")
    # exc_info=exc: Starlette runs this handler in a worker thread, where there is no
    # "current" exception for log.exception to find
    log.error("unexpected error", exc_info=exc, extra={"request_id": rid, "path": request.url.path})
    return JSONResponse(
        error_body("internal", f"Error interno. Informe este código a soporte: {rid}."),
        status_code=500,
    )


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


#: Largest request body accepted, in bytes. API bodies are small (an order holds at most 60
#: items); the large ones are listed in LARGE_BODY_PATHS.
MAX_BODY_BYTES = 2 * 1024 * 1024
LARGE_BODY_PATHS: dict[str, int] = {
    "/api/sync/push": 64 * 1024 * 1024,  # a node's batch (the hub)
    "/api/lab-sync/results": 32 * 1024 * 1024,  # results with their PDF reports (the edge)
}
_TOO_LARGE = "El cuerpo de la solicitud supera el máximo de {mb} MB."


class BodyTooLarge(HTTPException):
    """Raised while a body streams past its limit (answered 413 ``payload_too_large``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _TOO_LARGE.format(mb=limit // (1024 * 1024)))
        self.limit = limit


def body_limit(path: str) -> int:
    """The largest body accepted for ``path``."""
    return LARGE_BODY_PATHS.get(path, MAX_BODY_BYTES)


def _too_large(limit: int) -> JSONResponse:
    msg = _TOO_LARGE.format(mb=limit // (1024 * 1024))
    return JSONResponse(error_body("payload_too_large", msg, ["body"]), status_code=413)


def _payload_too_large_doc(path: str, schemas: dict[str, Any]) -> dict[str, Any]:
    mb = body_limit(path) // (1024 * 1024)
    schema: dict[str, Any] = (
        {"$ref": "#/components/schemas/ErrorBody"} if "ErrorBody" in schemas else {"type": "object"}
    )
    example = error_body("payload_too_large", _TOO_LARGE.format(mb=mb), ["body"])
    return {
        "description": f"El cuerpo supera el máximo de {mb} MB (payload_too_large)",
        "content": {"application/json": {"schema": schema, "example": example}},
    }


def document_payload_limit(app: FastAPI) -> None:
    """The one declaration of the 413 ``payload_too_large`` answer in ``/openapi.json``: every
    operation that takes a body gets it, with the limit :func:`body_limit` applies to its path
    (routes need no copy of their own). Call it after the app's other ``openapi`` wrappers."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        schemas = document.get("components", {}).get("schemas", {})
        for path, item in document.get("paths", {}).items():
            for operation in item.values():
                if isinstance(operation, dict) and "requestBody" in operation:
                    responses = operation.setdefault("responses", {})
                    responses.setdefault("413", _payload_too_large_doc(path, schemas))
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    """Error handlers, request ids and security headers for ``app``."""
    app.add_exception_handler(LabError, _lab_error_response)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_response)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_response)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_response)

    app.add_middleware(RequestContextMiddleware)


class RequestContextMiddleware:
    """Request id (``X-Request-ID``, kept from the client or made up), security headers on
    every response, a log line for server errors (every request at DEBUG), and the body size
    limit (:func:`body_limit`): a ``Content-Length`` above it is answered 413 before anything
    is read, and a body that grows past it while streaming (chunked) is cut with a 413.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware``
    runs each request through an extra task and memory streams, which cost a sale about a
    fifth of its CPU on the event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                rid = value.decode("latin-1")[:64]
                break
        rid = rid or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", rid.encode("latin-1")))
                headers.extend(h for h in self._headers if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        limit = body_limit(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send_with_headers)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, receive_limited, send_with_headers)
        except BodyTooLarge as exc:  # raised in a middleware that buffers the body itself
            if status:
                raise
            await _too_large(exc.limit)(scope, receive, send_with_headers)
        if status >= 500 or log.isEnabledFor(logging.DEBUG):
            log.info(
                "request",
                extra={
                    "request_id": rid,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    _skip = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._skip and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # fontTools logs ~30 INFO lines per PDF it subsets (every ticket, closure, statement)
    for noisy in ("uvicorn.access", "alembic", "apscheduler", "httpx", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
