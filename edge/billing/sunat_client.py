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

Every request carries a WS-Security ``UsernameToken`` (``RUC + usuario SOL``, password as
``PasswordText``). The XML travels zipped: ``<RUC>-<TT>-<SERIE>-<NUMERO>.zip`` holding
``<same>.xml`` (summaries ``<RUC>-RC-YYYYMMDD-N``), base64 in ``contentFile``.

Errors:

* a CDR is *always* returned as a :class:`CdrResult`, whatever its ResponseCode (0 accepted,
  ≥ 4000 observed, 2000–3999 rejected): it is SUNAT's legal answer and must be kept;
* SOAP faults and transport problems raise a :class:`SunatError` subclass —
  :class:`SunatUnavailable` (retry later; ``maybe_delivered`` says whether SUNAT may have
  registered the document, so ask ``getStatusCdr`` before resending),
  :class:`SunatAuthError` (a kind of unavailable: credentials or profile, needs an operator),
  :class:`SunatAlreadyRegistered` (1033 / 1032: fetch the CDR, never issue a new number),
  :class:`SunatRejected` (the document was refused without a CDR: 0xxx/1xxx "excepciones" —
  nothing registered, fix and resend the same number — or a 2000–3999 fault),
  :class:`SunatNotFound` (unknown ticket).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx
from httpx._client import UseClientDefault
from lxml import etree

from domain.errors import Conflict, LabError, NotFound, RuleViolation, Unavailable
from edge.billing.cdr_parser import CdrParseError, CdrResult, parse_cdr_zip

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

# --------------------------------------------------------------------------- namespaces

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://service.sunat.gob.pe"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordText"
)

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

# --------------------------------------------------------------------------- errors

#: 1033 "El comprobante fue registrado previamente con otros datos",
#: 1032 "El comprobante ya esta informado y se encuentra con estado anulado o rechazado".
ALREADY_REGISTERED_CODES = frozenset({1032, 1033})
#: Credentials / SOL profile problems (an operator must fix the settings).
AUTH_CODES = frozenset({101, 102, 103, 104, 105, 106, 110, 111, 112, 113, 154})
#: "Comprobante no encontrado", "El ticket no existe".
NOT_FOUND_CODES = frozenset({11, 13, 127})
#: SUNAT-side trouble: "El sistema no puede responder su solicitud", batch errors, ...
_UNAVAILABLE_RANGES = ((100, 100), (109, 109), (125, 125), (130, 140), (200, 299), (303, 304))
_UNAVAILABLE_EXTRA = frozenset({14, 307})

#: Short Spanish texts for the codes this module reasons about (from CatalogoErrores.xml).
KNOWN_DESCRIPTIONS: dict[int, str] = {
    11: "Comprobante no encontrado o no existe",
    13: "El ticket no existe",
    100: "El sistema no puede responder su solicitud. Intente nuevamente o comuníquese con su "
    "Administrador",
    101: "El encabezado de seguridad es incorrecto",
    102: "Usuario o contrasena incorrectos",
    109: "El sistema no puede responder su solicitud. (El servicio de autenticación no está "
    "disponible)",
    127: "El ticket no existe",
    130: "El sistema no puede responder su solicitud. (No se pudo obtener el ticket de proceso)",
    140: "Existe un Documento igual en Proceso.",
    151: "El nombre del archivo ZIP es incorrecto",
    154: "El RUC del archivo no corresponde al RUC del usuario",
    1032: "El comprobante ya esta informado y se encuentra con estado anulado o rechazado",
    1033: "El comprobante fue registrado previamente con otros datos",
}


class SunatError(LabError):
    """Base of every SUNAT client error. ``sunat_code`` is SUNAT's numeric code as text
    (``"1033"``, ``"0130"``) when there is one; ``description`` its Spanish text."""

    status = 502
    default_code = "sunat_error"

    def __init__(
        self,
        sunat_code: str | None,
        description: str,
        *,
        faultcode: str | None = None,
        maybe_delivered: bool = False,
    ) -> None:
        shown = f"SUNAT {sunat_code}: {description}" if sunat_code else f"SUNAT: {description}"
        super().__init__(shown, extra={"sunat_code": sunat_code} if sunat_code else None)
        self.sunat_code = sunat_code
        self.description = description
        self.faultcode = faultcode
        #: True when the request may have reached SUNAT and been registered (timeout while
        #: waiting, connection dropped, HTTP 5xx without a SOAP fault): ask getStatusCdr
        #: before sending again.
        self.maybe_delivered = maybe_delivered

    @property
    def numeric_code(self) -> int | None:
        if self.sunat_code and self.sunat_code.isdigit():
            return int(self.sunat_code)
        return None


class SunatUnavailable(SunatError, Unavailable):
    """Network error, timeout, HTTP 5xx, or a SUNAT server fault: retry later."""

    status = 503
    default_code = "sunat_unavailable"


class SunatAuthError(SunatUnavailable):
    """Credentials or SOL profile refused (0101–0113, 0154): retrying will not help until an
    operator fixes the settings; the document itself is fine."""

    default_code = "sunat_auth"


class SunatRejected(SunatError, RuleViolation):
    """SUNAT refused the document with a fault (no CDR). Codes below 2000 are
    "excepciones": nothing was registered, the same number may be sent again once fixed."""

    status = 422
    default_code = "sunat_rejected"

    @property
    def is_exception(self) -> bool:
        code = self.numeric_code
        return code is not None and code < 2000


class SunatAlreadyRegistered(SunatError, Conflict):
    """1033 / 1032: SUNAT already has this number. Resolve with getStatusCdr."""

    status = 409
    default_code = "sunat_already_registered"


class SunatNotFound(SunatError, NotFound):
    """Unknown ticket (0127) or document."""

    status = 404
    default_code = "sunat_not_found"


def _is_unavailable_code(code: int) -> bool:
    return code in _UNAVAILABLE_EXTRA or any(lo <= code <= hi for lo, hi in _UNAVAILABLE_RANGES)


_CODE_IN_FAULTCODE = re.compile(r"(\d{1,4})\s*$")
_CODE_IN_FAULTSTRING = re.compile(r"^\s*(\d{1,4})(?:\s*$|\s*[-:|]\s*|\s+(?=\D))")


def extract_fault_code(faultcode: str, faultstring: str) -> str | None:
    """SUNAT's code from a fault: ``soap-env:Client.1033`` → ``"1033"``; a faultcode without
    digits (``soap-env:Server``) falls back to a faultstring that starts with the code
    (``"0130"``, ``"0306 - ..."``). Codes are zero-padded to 4 digits."""
    m = _CODE_IN_FAULTCODE.search(faultcode or "")
    if m is None:
        m = _CODE_IN_FAULTSTRING.match(faultstring or "")
    return m.group(1).zfill(4) if m else None


def fault_to_error(faultcode: str, faultstring: str, detail: str = "") -> SunatError:
    """Map a SOAP fault to the typed error the worker acts on."""
    code = extract_fault_code(faultcode, faultstring)
    text = (detail or "").strip() or (faultstring or "").strip()
    num = int(code) if code else None
    if num is not None and text.isdigit() and int(text) == num:
        text = ""  # the faultstring is only the code
    if not text:
        text = KNOWN_DESCRIPTIONS.get(num or -1, faultstring or "Error SOAP sin descripción")
    kwargs: dict[str, Any] = {"faultcode": faultcode}
    if num is None:
        if "server" in (faultcode or "").lower():
            return SunatUnavailable(None, text, **kwargs)
        return SunatError(None, text, **kwargs)
    if num in ALREADY_REGISTERED_CODES:
        return SunatAlreadyRegistered(code, text, **kwargs)
    if num in AUTH_CODES:
        return SunatAuthError(code, text, **kwargs)
    if num in NOT_FOUND_CODES:
        return SunatNotFound(code, text, **kwargs)
    if _is_unavailable_code(num):
        # 0140 "Existe un Documento igual en Proceso": it did arrive.
        return SunatUnavailable(code, text, maybe_delivered=num == 140, **kwargs)
    return SunatRejected(code, text, **kwargs)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class StatusResult:
    """Answer of ``getStatus(ticket)``."""

    ticket: str
    status_code: int
    cdr: CdrResult | None

    IN_PROCESS = 98
    DONE = 0
    DONE_WITH_ERRORS = 99

    @property
    def in_process(self) -> bool:
        return self.status_code == self.IN_PROCESS

    @property
    def done(self) -> bool:
        return self.status_code in (self.DONE, self.DONE_WITH_ERRORS)


# --------------------------------------------------------------------------- naming / zip

_DOC_NAME = re.compile(r"^(\d{11})-(\d{2})-([A-Z0-9]{1,4})-(\d{1,8})$")
_SUMMARY_NAME = re.compile(r"^(\d{11})-(RC|RA|RR)-(\d{8})-(\d{1,5})$")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def document_name(ruc: str, doc_type: str, series: str, number: int | str) -> str:
    """``20100070970-01-F001-123`` (no extension); the correlative is not zero-padded."""
    return f"{ruc}-{doc_type}-{series}-{int(number)}"


def summary_name(ruc: str, kind: str, issue_date: dt.date, seq: int) -> str:
    """``20100070970-RC-20250131-1`` (``kind`` RC, RA or RR)."""
    return f"{ruc}-{kind}-{issue_date:%Y%m%d}-{int(seq)}"


def _stem(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1]
    for ext in (".zip", ".ZIP", ".xml", ".XML"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def build_zip(filename: str, xml_bytes: bytes) -> bytes:
    """Zip ``xml_bytes`` as ``<stem>.xml``. Deterministic: the same XML gives the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(_stem(filename) + ".xml", date_time=_ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, xml_bytes)
    return buf.getvalue()


def _check_name(filename: str, *, summary: bool) -> str:
    stem = _stem(filename)
    pattern = _SUMMARY_NAME if summary else _DOC_NAME
    if not pattern.match(stem):
        what = "RUC-RC|RA-YYYYMMDD-N" if summary else "RUC-TT-SERIE-NUMERO"
        raise ValueError(f"nombre de archivo {filename!r} no sigue el formato {what}")
    return stem


# --------------------------------------------------------------------------- client


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


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
        timeout: float | httpx.Timeout | None | UseClientDefault = 30.0,
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
        stem = _check_name(filename_zip, summary=False)
        body = self._call(
            self.endpoint_bill,
            "sendBill",
            {"fileName": stem + ".zip", "contentFile": _b64(build_zip(stem, xml_bytes))},
        )
        content = _child_text(body, "applicationResponse")
        if not content:
            raise SunatUnavailable(
                None, "respuesta sin applicationResponse (CDR)", maybe_delivered=True
            )
        return _parse_cdr_b64(content)

    def send_summary(self, filename_zip: str, xml_bytes: bytes) -> str:
        """Send a resumen diario (RC) or comunicación de baja (RA); returns the ticket."""
        stem = _check_name(filename_zip, summary=True)
        body = self._call(
            self.endpoint_bill,
            "sendSummary",
            {"fileName": stem + ".zip", "contentFile": _b64(build_zip(stem, xml_bytes))},
        )
        ticket = _child_text(body, "ticket")
        if not ticket:
            raise SunatUnavailable(None, "respuesta sin ticket", maybe_delivered=True)
        return ticket

    def get_status(self, ticket: str) -> StatusResult:
        """Poll a ticket: 98 in process, 0 done (CDR), 99 done with errors (CDR)."""
        body = self._call(self.endpoint_bill, "getStatus", {"ticket": ticket})
        status = _find_local(body, "status")
        holder = status if status is not None else body
        code_text = _child_text(holder, "statusCode")
        digits = re.sub(r"\D", "", code_text)
        if not digits:
            raise SunatUnavailable(None, f"getStatus sin statusCode válido: {code_text!r}")
        content = _child_text(holder, "content")
        cdr = _parse_cdr_b64(content) if content else None
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
        status = _find_local(body, "statusCdr")
        holder = status if status is not None else body
        content = _child_text(holder, "content")
        code = _child_text(holder, "statusCode")
        message = _child_text(holder, "statusMessage")
        if content:
            return _parse_cdr_b64(content)
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
        nsmap = {"soapenv": SOAP_ENV, "ser": SERVICE_NS, "wsse": WSSE_NS}
        env = etree.Element(_q(SOAP_ENV, "Envelope"), nsmap=nsmap)
        header = etree.SubElement(env, _q(SOAP_ENV, "Header"))
        security = etree.SubElement(header, _q(WSSE_NS, "Security"))
        token = etree.SubElement(security, _q(WSSE_NS, "UsernameToken"))
        etree.SubElement(token, _q(WSSE_NS, "Username")).text = self.username
        pwd = etree.SubElement(token, _q(WSSE_NS, "Password"), Type=PASSWORD_TEXT)
        pwd.text = self._password
        body = etree.SubElement(env, _q(SOAP_ENV, "Body"))
        op = etree.SubElement(body, _q(SERVICE_NS, operation))
        for name, value in params.items():
            etree.SubElement(op, name).text = value  # unqualified, as SUNAT's WSDL says
        return etree.tostring(env, xml_declaration=True, encoding="UTF-8")

    def _call(self, url: str, operation: str, params: dict[str, str]) -> etree._Element:
        payload = self.build_envelope(operation, params)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f"urn:{operation}"}
        try:
            if isinstance(self.timeout, UseClientDefault):
                resp = self._http.post(url, content=payload, headers=headers)
            else:
                resp = self._http.post(url, content=payload, headers=headers, timeout=self.timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise SunatUnavailable(None, f"sin conexión con SUNAT: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise SunatUnavailable(
                None, f"tiempo de espera agotado ({operation})", maybe_delivered=True
            ) from exc
        except httpx.TransportError as exc:
            raise SunatUnavailable(
                None, f"error de red con SUNAT: {exc}", maybe_delivered=True
            ) from exc
        return _parse_response(resp, operation)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _parse_cdr_b64(content: str) -> CdrResult:
    try:
        raw = base64.b64decode("".join(content.split()), validate=True)
        return parse_cdr_zip(raw)
    except (ValueError, CdrParseError) as exc:
        raise SunatUnavailable(None, f"CDR ilegible: {exc}", maybe_delivered=True) from exc


def _find_local(el: etree._Element, local: str) -> etree._Element | None:
    for child in el.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == local:
            return child
    return None


def _child_text(el: etree._Element, local: str) -> str:
    found = _find_local(el, local)
    if found is None:
        return ""
    return "".join(found.itertext()).strip()


def _parse_response(resp: httpx.Response, operation: str) -> etree._Element:
    """Body payload element of a SOAP answer, or the typed error it stands for."""
    status = resp.status_code
    root: etree._Element | None = None
    if resp.content:
        try:
            root = etree.fromstring(resp.content, _SAFE_PARSER)
        except etree.XMLSyntaxError:
            root = None
    body = root.find(_q(SOAP_ENV, "Body")) if root is not None else None
    fault = body.find(_q(SOAP_ENV, "Fault")) if body is not None else None
    if fault is not None:
        faultcode = (fault.findtext("faultcode") or "").strip()
        faultstring = (fault.findtext("faultstring") or "").strip()
        detail_el = fault.find("detail")
        detail = ""
        if detail_el is not None:
            detail = _child_text(detail_el, "message") or "".join(detail_el.itertext()).strip()
        raise fault_to_error(faultcode, faultstring, detail)
    if status in (401, 403):
        raise SunatAuthError(None, f"HTTP {status}: credenciales rechazadas")
    if status >= 400 or body is None:
        raise SunatUnavailable(
            None,
            f"HTTP {status} sin respuesta SOAP válida ({operation})",
            maybe_delivered=status >= 500 or status < 400,
        )
    payload = next((c for c in body if isinstance(c.tag, str)), None)
    if payload is None:
        raise SunatUnavailable(None, f"respuesta SOAP vacía ({operation})", maybe_delivered=True)
    return payload


__all__ = [
    "ALREADY_REGISTERED_CODES",
    "SUNAT_BETA_BILL",
    "SUNAT_BETA_PASSWORD",
    "SUNAT_BETA_USER",
    "SUNAT_HOMOLOGACION_BILL",
    "SUNAT_PRODUCTION_BILL",
    "SUNAT_PRODUCTION_CONSULT",
    "StatusResult",
    "SunatAlreadyRegistered",
    "SunatAuthError",
    "SunatClient",
    "SunatError",
    "SunatNotFound",
    "SunatRejected",
    "SunatUnavailable",
    "build_zip",
    "document_name",
    "extract_fault_code",
    "fault_to_error",
    "summary_name",
]
