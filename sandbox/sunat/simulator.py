"""SUNAT SEE simulator: the SOAP services an edge talks to, offline.

``create_app(sunat_data=..., faults=Faults())`` returns a FastAPI app that answers SOAP POSTs
on any path ending in ``billService`` or ``billConsultService`` (e.g.
``/ol-ti-itcpfegem-beta/billService``, ``/ol-it-wsconscpegem/billConsultService``) with the
operations ``sendBill``, ``sendSummary``, ``getStatus`` and ``getStatusCdr``.

What it checks, in SUNAT's order and with SUNAT's codes (CatalogoErrores.xml):

* the WS-Security ``UsernameToken`` (0101 missing, 0103 no RUC in the user, 0102 wrong
  password when credentials are configured) and that the file's RUC is the user's (0154);
* the file name (0151; a summary name sent to sendBill: 0152), the zip (0155 empty, 0156
  corrupt, 0157 no XML, 0158 several) and that the XML inside has the zip's name (0161);
* the XML: well-formed (0306), RUC / type / series / number against the name (1034, 1003,
  1035, 1036) and the series format for the type (1001);
* duplicates: a number already accepted answers 1033 when the content is the same (the
  client fetches the CDR with getStatusCdr) and 2109 when it differs; a number already
  rejected answers 1032;
* the signature (1059 missing; 2335 "ha sido alterado" → CDR of rejection), verified with
  signxml against the certificate embedded in KeyInfo (no chain, validity not enforced);
* with SUNAT's validation data (``sunat_data``, the folder holding ``validate.py``, ``xsd/``
  and ``xsl/``): the XSD (0305) and SUNAT's XSL rules — codes below 2000 are faults,
  2000–3999 a CDR of rejection, 4000+ observations in an accepted CDR.

Answers are signed CDR zips (see :mod:`sandbox.sunat.cdr`). Summaries (RC, RA) get a ticket;
``getStatus`` answers 98 for ``Faults.summary_pending_polls`` polls, then 0 (or 99) with the
CDR, and applies the lines: RC condition 3 voids the boleta, RA voids the document.

Admin (JSON): ``GET/POST /_sim/faults`` (see :mod:`sandbox.sunat.faults`), ``GET
/_sim/documents`` (every document with its send counts, for exactly-once assertions),
``POST /_sim/reset`` (forget documents and tickets and clear faults).

State is kept in memory, or in a SQLite file when ``state_db`` is given (survives restarts).

Layout: :mod:`sandbox.sunat.envelope` (SOAP), :mod:`sandbox.sunat.content` (name, zip, XML),
:mod:`sandbox.sunat.validation` (signature, XSD, SUNAT's rules), :mod:`sandbox.sunat.bills`
(sendBill, getStatusCdr), :mod:`sandbox.sunat.summaries` (sendSummary, getStatus),
:mod:`sandbox.sunat.ra_checks` (RA against the registered documents),
:mod:`sandbox.sunat.registry` and :mod:`sandbox.sunat.state` (what SUNAT holds),
:mod:`sandbox.sunat.codes` (error codes, SOAP faults); this module wires them into the app.
"""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from lxml import etree
from starlette.concurrency import run_in_threadpool

from sandbox.sunat import bills, summaries
from sandbox.sunat.codes import SoapFault
from sandbox.sunat.content import PARSER
from sandbox.sunat.envelope import (
    OPERATIONS,
    SOAP_ENV,
    fault_body,
    operation_response,
    wsse_credentials,
    xml_response,
)
from sandbox.sunat.faults import Faults
from sandbox.sunat.registry import Registry


class Simulator(Registry):
    """The SUNAT side: validation, registry of documents and tickets, CDRs."""

    # ------------------------------------------------------------------ auth

    def check_auth(self, username: str | None, password: str | None) -> str:
        """Returns the RUC of the SOL user."""
        if not username or not password:
            raise SoapFault("0101")
        if not re.match(r"^\d{11}\S+$", username):
            raise SoapFault("0103")
        if self.credentials is not None and self.credentials.get(username) != password:
            raise SoapFault("0102")
        return username[:11]

    # ------------------------------------------------------------------ operations
    def send_bill(self, user_ruc: str, filename: str, content_b64: str) -> tuple[bytes, bool]:
        """Returns (CDR zip, drop) — ``drop`` asks the transport to answer 500 instead."""
        return bills.send_bill(self, user_ruc, filename, content_b64)

    def send_summary(self, user_ruc: str, filename: str, content_b64: str) -> tuple[str, bool]:
        return summaries.send_summary(self, user_ruc, filename, content_b64)

    def get_status(self, user_ruc: str, ticket: str) -> tuple[int, bytes | None]:
        return summaries.get_status(self, user_ruc, ticket)

    def get_status_cdr(
        self, user_ruc: str, ruc: str, doc_type: str, series: str, number: str
    ) -> tuple[str, str, bytes | None]:
        return bills.get_status_cdr(self, user_ruc, ruc, doc_type, series, number)


# --------------------------------------------------------------------------- app


def create_app(
    *,
    sunat_data: Path | None,
    faults: Faults,
    state_db: Path | None = None,
    credentials: dict[str, str] | None = None,
) -> FastAPI:
    """The simulator as an ASGI app. ``credentials`` maps ``RUC+usuario`` to password (None:
    any non-empty password is accepted)."""
    sim = Simulator(
        sunat_data=sunat_data, faults=faults, state_db=state_db, credentials=credentials
    )
    app = FastAPI(title="SUNAT SEE simulator (labred sandbox)", docs_url=None, redoc_url=None)
    app.state.simulator = sim

    @app.get("/_sim/faults")
    def get_faults() -> dict[str, Any]:
        return faults.snapshot()

    @app.post("/_sim/faults")
    async def set_faults(request: Request) -> JSONResponse:
        try:
            changes = await request.json()
        except ValueError:
            return _admin_error("body", "JSON inválido")
        if not isinstance(changes, dict):
            return _admin_error("body", "se espera un objeto JSON")
        if changes.pop("reset", False):
            faults.reset()
        try:
            return JSONResponse(faults.update(changes))
        except KeyError as exc:
            return _admin_error(str(exc.args[0]), "falla desconocida")
        except ValueError as exc:
            return _admin_error("body", str(exc))

    @app.get("/_sim/documents")
    def documents() -> dict[str, Any]:
        return sim.describe()

    @app.post("/_sim/reset")
    def reset() -> dict[str, Any]:
        sim.reset()
        faults.reset()
        return {"ok": True}

    @app.get("/_sim/cert", response_class=PlainTextResponse)
    def certificate() -> str:
        """The PEM certificate the CDRs are signed with."""
        return sim.signer.cert_pem.decode("ascii")

    @app.post("/{path:path}")
    async def soap(path: str, request: Request) -> Response:
        if not (path.endswith("billService") or path.endswith("billConsultService")):
            raise HTTPException(status_code=404)
        raw = await request.body()
        try:
            envelope = etree.fromstring(raw, PARSER)
        except etree.XMLSyntaxError:
            return xml_response(fault_body(SoapFault("0306")), 500)
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        op_el = (
            next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
        )
        operation = etree.QName(op_el).localname if op_el is not None else ""
        if op_el is None or operation not in OPERATIONS:
            return xml_response(
                fault_body(SoapFault("0200", f"Operación no soportada: {operation!r}")), 500
            )
        sim.count_request(operation)
        if faults.delay_ms > 0:
            await asyncio.sleep(faults.delay_ms / 1000)
        injected = faults.take_transport_fault(operation)
        if injected == "timeout":
            await asyncio.sleep(faults.hang_seconds)
            return PlainTextResponse("Gateway Timeout (simulado)", status_code=504)
        if injected == "http_500":
            return PlainTextResponse("Internal Server Error (simulado)", status_code=500)
        if injected == "soap_fault":
            code = faults.soap_fault_code
            fault = SoapFault(code, sim.descriptions.get(code), server=True)
            return xml_response(fault_body(fault), 500)
        params = {
            etree.QName(c).localname: (c.text or "").strip()
            for c in op_el
            if isinstance(c.tag, str)
        }
        username, password = wsse_credentials(envelope)
        try:
            result = await run_in_threadpool(_dispatch, sim, operation, params, username, password)
        except SoapFault as fault:
            return xml_response(fault_body(fault), 500)
        payload, drop = result
        if drop:
            return PlainTextResponse("Internal Server Error (simulado, ya registrado)", 500)
        return xml_response(payload)

    return app


def _admin_error(loc: str, msg: str) -> JSONResponse:
    return JSONResponse(
        {"detail": [{"type": "invalid_input", "msg": msg, "loc": ["body", loc]}]},
        status_code=422,
    )


def _dispatch(
    sim: Simulator,
    operation: str,
    params: dict[str, str],
    username: str | None,
    password: str | None,
) -> tuple[bytes, bool]:
    user_ruc = sim.check_auth(username, password)
    if operation == "sendBill":
        cdr, drop = sim.send_bill(
            user_ruc, params.get("fileName", ""), params.get("contentFile", "")
        )
        return operation_response("sendBill", {"applicationResponse": _b64(cdr)}), drop
    if operation == "sendSummary":
        ticket, drop = sim.send_summary(
            user_ruc, params.get("fileName", ""), params.get("contentFile", "")
        )
        return operation_response("sendSummary", {"ticket": ticket}), drop
    if operation == "getStatus":
        code, content = sim.get_status(user_ruc, params.get("ticket", ""))
        children = {"statusCode": str(code)}
        if content is not None:
            children = {"content": _b64(content), "statusCode": str(code)}
        return operation_response("getStatus", children), False
    code_s, message, content = sim.get_status_cdr(
        user_ruc,
        params.get("rucComprobante", ""),
        params.get("tipoComprobante", ""),
        params.get("serieComprobante", ""),
        params.get("numeroComprobante", ""),
    )
    children = {"statusCode": code_s, "statusMessage": message}
    if content is not None:
        children["content"] = _b64(content)
    return operation_response("getStatusCdr", children), False


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def run(
    host: str,
    port: int,
    sunat_data: Path | None,
    *,
    state_db: Path | None = None,
    faults: Faults | None = None,
    log_level: str = "info",
) -> None:
    """Serve the simulator (blocking). Used by ``labred sandbox sunat --port P``."""
    import uvicorn

    app = create_app(sunat_data=sunat_data, faults=faults or Faults(), state_db=state_db)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


__all__ = [
    "Simulator",
    "create_app",
    "run",
]
