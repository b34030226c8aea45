"""SOAP client for SUNAT's SEE web services (and any OSE speaking the same contract).

Written with httpx + lxml (no zeep). Operations:

* ``sendBill(fileName, contentFile)`` → CDR zip (``applicationResponse``): facturas, boletas
  sent one by one, notas de crédito / débito;
* ``sendSummary(fileName, contentFile)`` → ticket: resumen diario (RC) and comunicación de
  baja (RA);
* ``getStatus(ticket)`` → ``statusCode`` 98 (in process), 0 (done, CDR) or 99 (done with
  errors, CDR);
* ``getStatusCdr(rucComprobante, tipoComprobante, serieComprobante, numeroComprobante)`` on
  billConsultService → the stored CDR of a document, if SUNAT has one.

The envelope and the HTTP round trip are in :mod:`edge.billing.sunat_soap`; file names, zips
and the CDR / ticket answers in :mod:`edge.billing.sunat_payload`; the errors every operation
may raise (a CDR is always *returned*, whatever its ResponseCode) in
:mod:`edge.billing.sunat_errors`.
"""

from __future__ import annotations

import re

import httpx
from lxml import etree

from edge.billing import sunat_soap
from edge.billing.cdr_parser import CdrResult
from edge.billing.sunat_errors import (
    NOT_FOUND_CODES,
    SunatNotFound,
    SunatUnavailable,
    fault_to_error,
)
from edge.billing.sunat_payload import StatusResult, b64, build_zip, check_name, parse_cdr_b64
from edge.billing.sunat_soap import Timeout, child_text, find_local

# --------------------------------------------------------------------------- endpoints

SUNAT_BETA_BILL = "https://e-beta.sunat.gob.pe/ol-ti-itcpfegem-beta/billService"
SUNAT_HOMOLOGACION_BILL = "https://www.sunat.gob.pe/ol-ti-itcpgem-sqa/billService"
SUNAT_PRODUCTION_BILL = "https://e-factura.sunat.gob.pe/ol-ti-itcpfegem/billService"
SUNAT_PRODUCTION_CONSULT = "https://e-factura.sunat.gob.pe/ol-it-wsconscpegem/billConsultService"
SUNAT_BETA_OTHER_CPE = "https://e-beta.sunat.gob.pe/ol-ti-itemision-otroscpe-gem-beta/billService"
SUNAT_PRODUCTION_OTHER_CPE = "https://www.sunat.gob.pe/ol-ti-itemision-otroscpe-gem/billService"
#: SUNAT's public beta credentials (user ``<RUC>MODDATOS``, password ``MODDATOS``).
SUNAT_BETA_USER = "MODDATOS"
SUNAT_BETA_PASSWORD = "MODDATOS"


class SunatClient:
    """One SUNAT (or OSE) account. Thread-compatible: share the ``httpx.Client``."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        endpoint_bill: str,
        endpoint_consult: str | None,
        username: str,
        password: str,
        timeout: Timeout = 30.0,
    ) -> None:
        self._http = http
        self.endpoint_bill = endpoint_bill
        #: None → getStatusCdr goes to ``endpoint_bill`` (what OSEs do).
        self.endpoint_consult = endpoint_consult
        self.username = username
        self._password = password
        #: Per-request timeout; ``httpx.USE_CLIENT_DEFAULT`` leaves the client's own.
        self.timeout = timeout

    def __repr__(self) -> str:  # never show the password
        return f"SunatClient(endpoint_bill={self.endpoint_bill!r}, username={self.username!r})"

    # ------------------------------------------------------------------ operations

    def send_bill(self, filename_zip: str, xml_bytes: bytes) -> CdrResult:
        """Send one document; returns its CDR whatever the ResponseCode."""
        stem = check_name(filename_zip, summary=False)
        body = self._call(
            self.endpoint_bill,
            "sendBill",
            {"fileName": stem + ".zip", "contentFile": b64(build_zip(stem, xml_bytes))},
        )
        content = child_text(body, "applicationResponse")
        if not content:
            raise SunatUnavailable(
                None, "respuesta sin applicationResponse (CDR)", maybe_delivered=True
            )
        return parse_cdr_b64(content)

    def send_summary(self, filename_zip: str, xml_bytes: bytes) -> str:
        """Send a resumen diario (RC) or comunicación de baja (RA); returns the ticket."""
        stem = check_name(filename_zip, summary=True)
        body = self._call(
            self.endpoint_bill,
            "sendSummary",
            {"fileName": stem + ".zip", "contentFile": b64(build_zip(stem, xml_bytes))},
        )
        ticket = child_text(body, "ticket")
        if not ticket:
            raise SunatUnavailable(None, "respuesta sin ticket", maybe_delivered=True)
        return ticket

    def get_status(self, ticket: str) -> StatusResult:
        """Poll a ticket: 98 in process, 0 done (CDR), 99 done with errors (CDR)."""
        body = self._call(self.endpoint_bill, "getStatus", {"ticket": ticket})
        status = find_local(body, "status")
        holder = status if status is not None else body
        code_text = child_text(holder, "statusCode")
        digits = re.sub(r"\D", "", code_text)
        if not digits:
            raise SunatUnavailable(None, f"getStatus sin statusCode válido: {code_text!r}")
        content = child_text(holder, "content")
        cdr = parse_cdr_b64(content) if content else None
        return StatusResult(ticket=ticket, status_code=int(digits), cdr=cdr)

    def get_status_cdr(
        self, ruc: str, doc_type: str, series: str, number: int | str
    ) -> CdrResult | None:
        """The CDR SUNAT keeps for a document, or None when SUNAT has no such document."""
        try:
            body = self._call(
                self.endpoint_consult or self.endpoint_bill,
                "getStatusCdr",
                {
                    "rucComprobante": ruc,
                    "tipoComprobante": doc_type,
                    "serieComprobante": series,
                    "numeroComprobante": str(int(number)),
                },
            )
        except SunatNotFound:
            return None
        status = find_local(body, "statusCdr")
        holder = status if status is not None else body
        content = child_text(holder, "content")
        code = child_text(holder, "statusCode")
        message = child_text(holder, "statusMessage")
        if content:
            return parse_cdr_b64(content)
        num = int(code) if code.isdigit() else None
        if num in NOT_FOUND_CODES:
            return None
        if num is not None:
            err = fault_to_error("", code, message)
            if isinstance(err, SunatNotFound):
                return None
            raise err
        raise SunatUnavailable(None, message or "getStatusCdr sin constancia ni código")

    # ------------------------------------------------------------------ SOAP plumbing

    def build_envelope(self, operation: str, params: dict[str, str]) -> bytes:
        """The SOAP 1.1 request with the WS-Security UsernameToken header."""
        return sunat_soap.build_envelope(
            operation, params, username=self.username, password=self._password
        )

    def _call(self, url: str, operation: str, params: dict[str, str]) -> etree._Element:
        payload = self.build_envelope(operation, params)
        return sunat_soap.post(self._http, url, operation, payload, timeout=self.timeout)


__all__ = [
    "SUNAT_BETA_BILL",
    "SUNAT_BETA_PASSWORD",
    "SUNAT_BETA_USER",
    "SUNAT_HOMOLOGACION_BILL",
    "SUNAT_PRODUCTION_BILL",
    "SUNAT_PRODUCTION_CONSULT",
    "SunatClient",
]
