"""The SOAP side of the simulator: its namespaces and operations, the WS-Security credentials
of a request, and the envelopes it answers with (an operation's response or a fault)."""

from __future__ import annotations

from fastapi.responses import Response
from lxml import etree

from sandbox.sunat.codes import SoapFault

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://service.sunat.gob.pe"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"

OPERATIONS = ("sendBill", "sendSummary", "getStatus", "getStatusCdr")


def _soap_envelope(payload: etree._Element | None) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap-env": SOAP_ENV})
    etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    if payload is not None:
        body.append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def operation_response(operation: str, children: dict[str, str]) -> bytes:
    el = etree.Element(f"{{{SERVICE_NS}}}{operation}Response", nsmap={"br": SERVICE_NS})
    holder = el
    if operation == "getStatus":
        holder = etree.SubElement(el, "status")
    elif operation == "getStatusCdr":
        holder = etree.SubElement(el, "statusCdr")
    for name, value in children.items():
        etree.SubElement(holder, name).text = value
    return _soap_envelope(el)


def fault_body(fault: SoapFault) -> bytes:
    el = etree.Element(f"{{{SOAP_ENV}}}Fault")
    if fault.server:
        etree.SubElement(el, "faultcode").text = "soap-env:Server"
        etree.SubElement(el, "faultstring").text = fault.code
        detail = etree.SubElement(el, "detail")
        etree.SubElement(detail, "message").text = fault.message
    else:
        etree.SubElement(el, "faultcode").text = f"soap-env:Client.{fault.code}"
        etree.SubElement(el, "faultstring").text = fault.message
    return _soap_envelope(el)


def xml_response(body: bytes, status: int = 200) -> Response:
    return Response(content=body, status_code=status, media_type="text/xml; charset=utf-8")


def wsse_credentials(envelope: etree._Element) -> tuple[str | None, str | None]:
    token = envelope.find(f"{{{SOAP_ENV}}}Header/{{{WSSE_NS}}}Security/{{{WSSE_NS}}}UsernameToken")
    if token is None:
        return None, None
    user = (token.findtext(f"{{{WSSE_NS}}}Username") or "").strip()
    pwd = token.findtext(f"{{{WSSE_NS}}}Password") or ""
    return user or None, pwd or None
