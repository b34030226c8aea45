"""SOAP 1.1 plumbing of the SUNAT client: the request envelope and one HTTP round trip.

Every request carries a WS-Security ``UsernameToken`` (``RUC + usuario SOL``, password as
``PasswordText``). An answer is the payload element of the SOAP body; a SOAP fault or a
transport problem raises the typed error it stands for (:mod:`edge.billing.sunat_errors`).
"""

from __future__ import annotations

import httpx
from httpx._client import UseClientDefault
from lxml import etree

from edge.billing.sunat_errors import SunatAuthError, SunatUnavailable, fault_to_error

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://service.sunat.gob.pe"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    "#PasswordText"
)

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

Timeout = float | httpx.Timeout | None | UseClientDefault


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def build_envelope(
    operation: str, params: dict[str, str], *, username: str, password: str
) -> bytes:
    """The SOAP 1.1 request with the WS-Security UsernameToken header."""
    nsmap = {"soapenv": SOAP_ENV, "ser": SERVICE_NS, "wsse": WSSE_NS}
    env = etree.Element(_q(SOAP_ENV, "Envelope"), nsmap=nsmap)
    header = etree.SubElement(env, _q(SOAP_ENV, "Header"))
    security = etree.SubElement(header, _q(WSSE_NS, "Security"))
    token = etree.SubElement(security, _q(WSSE_NS, "UsernameToken"))
    etree.SubElement(token, _q(WSSE_NS, "Username")).text = username
    pwd = etree.SubElement(token, _q(WSSE_NS, "Password"), Type=PASSWORD_TEXT)
    pwd.text = password
    body = etree.SubElement(env, _q(SOAP_ENV, "Body"))
    op = etree.SubElement(body, _q(SERVICE_NS, operation))
    for name, value in params.items():
        etree.SubElement(op, name).text = value  # unqualified, as SUNAT's WSDL says
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def post(
    http: httpx.Client, url: str, operation: str, payload: bytes, *, timeout: Timeout
) -> etree._Element:
    """POST one envelope; the payload element of the answer, or the typed error."""
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f"urn:{operation}"}
    try:
        if isinstance(timeout, UseClientDefault):
            resp = http.post(url, content=payload, headers=headers)
        else:
            resp = http.post(url, content=payload, headers=headers, timeout=timeout)
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
    return parse_response(resp, operation)


def find_local(el: etree._Element, local: str) -> etree._Element | None:
    for child in el.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == local:
            return child
    return None


def child_text(el: etree._Element, local: str) -> str:
    found = find_local(el, local)
    if found is None:
        return ""
    return "".join(found.itertext()).strip()


def parse_response(resp: httpx.Response, operation: str) -> etree._Element:
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
            detail = child_text(detail_el, "message") or "".join(detail_el.itertext()).strip()
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
    "PASSWORD_TEXT",
    "SERVICE_NS",
    "SOAP_ENV",
    "WSSE_NS",
    "build_envelope",
    "child_text",
    "find_local",
    "parse_response",
    "post",
]
