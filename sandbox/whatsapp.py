"""WhatsApp Business Cloud API stand-in: ``labred sandbox whatsapp``.

``POST /{version}/{phone_number_id}/messages`` with ``Authorization: Bearer <token>`` answers
like the Cloud API (``{"messaging_product": "whatsapp", "contacts": [...], "messages":
[{"id": "wamid..."}]}``) and keeps the message; ``GET /_sandbox/messages`` lists them,
``DELETE /_sandbox/messages`` clears them, ``POST /_sandbox/faults {"fail_next": n,
"status": 500}`` makes the next n sends fail.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse


def create_app(token: str = "") -> FastAPI:
    app = FastAPI(title="WhatsApp Cloud API (sandbox)")
    state: dict[str, Any] = {"messages": [], "fail_next": 0, "status": 500}
    lock = threading.Lock()
    ids = itertools.count(1)
    app.state.sandbox = state

    def error(status: int, message: str, code: int) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": message, "type": "OAuthException", "code": code}},
            status_code=status,
        )

    @app.post("/{version}/{phone_number_id}/messages")
    async def send(
        version: str, phone_number_id: str, request: Request,
        authorization: str = Header(default=""),
    ) -> Any:  # fmt: skip
        if not authorization.startswith("Bearer ") or (
            token and authorization.removeprefix("Bearer ") != token
        ):
            return error(401, "Invalid OAuth access token.", 190)
        with lock:
            if state["fail_next"] > 0:
                state["fail_next"] -= 1
                return error(int(state["status"]), "Service temporarily unavailable", 2)
        body = await request.json()
        to = str(body.get("to", ""))
        if body.get("messaging_product") != "whatsapp" or not to.isdigit() or len(to) < 8:
            return error(400, "(#100) Invalid parameter", 100)
        if body.get("type") != "text" or not (body.get("text") or {}).get("body"):
            return error(400, "(#100) Param text['body'] is required", 100)
        wamid = f"wamid.SANDBOX{next(ids):08d}"
        with lock:
            state["messages"].append({"id": wamid, "phone_number_id": phone_number_id,
                                      "version": version, "to": to,
                                      "body": body["text"]["body"]})  # fmt: skip
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }

    @app.get("/_sandbox/messages")
    def messages() -> Any:
        return {"messages": list(state["messages"])}

    @app.delete("/_sandbox/messages")
    def clear() -> Any:
        state["messages"].clear()
        return {"ok": True}

    @app.post("/_sandbox/faults")
    async def faults(request: Request) -> Any:
        body = await request.json()
        state["fail_next"] = int(body.get("fail_next", 0))
        state["status"] = int(body.get("status", 500))
        return {"fail_next": state["fail_next"], "status": state["status"]}

    return app


def run(host: str, port: int, token: str = "") -> None:
    import uvicorn

    uvicorn.run(create_app(token), host=host, port=port, log_level="warning")
