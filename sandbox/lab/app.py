"""REST side of the laboratory stand-in, its admin API, and the runner of both servers.

- ``POST /api/orders``: the order JSON (see ``edge.labsync``'s REST adapter) with
  ``Idempotency-Key``; a repeated key answers the first answer again (not applied twice).
- ``GET /_lab/state``, ``GET|POST /_lab/faults``, ``POST /_lab/config``, ``POST /_lab/reset``,
  ``POST /_lab/results/{order_number}`` (``{"status": "P"|"F"|"C"}``: send results now).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import asdict, fields
from typing import Any

import uvicorn
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from sandbox.lab.standin import Config, Faults, LabState, MllpServer


def create_app(state: LabState, *, token: str = "") -> FastAPI:
    app = FastAPI(title="Laboratorio (stand-in)", docs_url=None, redoc_url=None)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "service": "lab-standin"}

    @app.post("/api/orders", response_model=None)
    async def orders(
        request: Request,
        idempotency_key: str | None = Header(default=None),
        authorization: str | None = Header(default=None),
    ) -> Any:
        faults = state.faults
        if faults.slow_ms:
            await asyncio.sleep(faults.slow_ms / 1000)
        if faults.down:
            return PlainTextResponse("service unavailable", status_code=503)
        if token and authorization != f"Bearer {token}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if not idempotency_key:
            return JSONResponse({"error": "Idempotency-Key required"}, status_code=400)
        with state.lock:
            garbage, nak = faults.take("garbage"), faults.take("nak")
        if garbage:
            return PlainTextResponse("<html>bad gateway</html>", status_code=502)
        if nak:
            status = 422 if faults.nak_code == "AE" else 503
            return JSONResponse({"error": "rejected"}, status_code=status)
        try:
            body = await request.json()
            tests = [
                {
                    "control": t["control"],
                    "placer": t["placer_number"],
                    "code": t.get("code", ""),
                    "name": t.get("name", ""),
                    "loinc": t.get("loinc", ""),
                }
                for t in body["tests"]
            ]
            patient = body.get("patient", {})
            number = str(body["order_number"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "bad order"}, status_code=422)
        name = f"{patient.get('last_names', '')}, {patient.get('first_names', '')}"
        dup, fillers = state.apply(
            idempotency_key, number, str(patient.get("doc_number", "")), name, tests
        )
        if not dup and all(t["control"] in {"NW", "XO"} for t in tests):
            state.schedule_results(number)
        with state.lock:
            drop = faults.take("drop_ack")
        if drop:
            return PlainTextResponse("gateway timeout", status_code=504)
        return {"status": "accepted", "duplicate": dup, "filler_numbers": fillers}

    @app.get("/_lab/state")
    def get_state() -> dict[str, Any]:
        return state.snapshot()

    @app.get("/_lab/faults")
    def get_faults() -> dict[str, Any]:
        return asdict(state.faults)

    @app.post("/_lab/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        data = await request.json()
        names = {f.name for f in fields(Faults)}
        with state.lock:
            for k, v in data.items():
                if k in names:
                    setattr(state.faults, k, v)
        return asdict(state.faults)

    @app.post("/_lab/config")
    async def set_config(request: Request) -> dict[str, Any]:
        data = await request.json()
        names = {f.name for f in fields(Config)}
        with state.lock:
            for k, v in data.items():
                if k in names:
                    setattr(state.config, k, v)
        return asdict(state.config)

    @app.post("/_lab/reset")
    def reset() -> dict[str, str]:
        state.reset()
        return {"status": "reset"}

    @app.post("/_lab/results/{order_number}")
    async def results(order_number: str, request: Request) -> dict[str, str]:
        data = await request.json() if await request.body() else {}
        status = str(data.get("status", "F"))
        ack = await asyncio.to_thread(state.send_results, order_number, status)
        return {"order": order_number, "ack": ack}

    return app


class LabStandIn:
    """Both servers in background threads (tests, demo): ``start()`` … ``stop()``."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, mllp_port: int = 0,
                 token: str = "", seed: int | None = None) -> None:  # fmt: skip
        self.state = LabState(seed=seed)
        self.host, self.token = host, token
        self._port, self._mllp_port = port, mllp_port
        self.mllp: MllpServer | None = None
        self._server: uvicorn.Server | None = None
        self._threads: list[threading.Thread] = []
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def port(self) -> int:
        assert self._sock is not None
        return int(self._sock.getsockname()[1])

    @property
    def mllp_port(self) -> int:
        assert self.mllp is not None
        return int(self.mllp.server_address[1])

    def start(self) -> LabStandIn:
        self.mllp = MllpServer((self.host, self._mllp_port), self.state)
        t = threading.Thread(target=self.mllp.serve_forever, daemon=True, name="lab-mllp")
        t.start()
        self._threads.append(t)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self._port))
        config = uvicorn.Config(
            create_app(self.state, token=self.token), log_level="warning", lifespan="off",
            access_log=False, timeout_graceful_shutdown=1,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        t = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)
        t.start()
        self._threads.append(t)
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not t.is_alive():
                raise RuntimeError("lab stand-in did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self.mllp is not None:
            self.mllp.shutdown()
            self.mllp.server_close()
        for t in self._threads:
            t.join(timeout=10)
        if self._sock is not None:
            self._sock.close()


def run(host: str, port: int, mllp_port: int, *, token: str = "", results_mllp: str = "",
        results_webhook: str = "", results_token: str = "",
        result_delay: float = 2.0) -> None:  # fmt: skip
    """Foreground: MLLP server in a thread, REST server in the main thread."""
    state = LabState()
    state.config.results_mllp = results_mllp
    state.config.results_webhook = results_webhook
    state.config.results_token = results_token
    state.config.result_delay = result_delay
    mllp = MllpServer((host, mllp_port), state)
    threading.Thread(target=mllp.serve_forever, daemon=True, name="lab-mllp").start()
    print(f"lab stand-in: REST http://{host}:{port}  MLLP {host}:{mllp.server_address[1]}")
    try:
        uvicorn.run(create_app(state, token=token), host=host, port=port, log_level="warning")
    finally:
        mllp.shutdown()
        mllp.server_close()
