"""SunatClient against respx (no network) and the lenient CDR parser."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from lxml import etree

from edge.billing.cdr_parser import CdrParseError, parse_cdr, parse_cdr_xml, parse_cdr_zip
from edge.billing.sunat_client import SunatClient
from edge.billing.sunat_errors import (
    SunatAlreadyRegistered,
    SunatAuthError,
    SunatError,
    SunatNotFound,
    SunatRejected,
    SunatUnavailable,
    extract_fault_code,
    fault_to_error,
)
from edge.billing.sunat_payload import build_zip, document_name, summary_name
from edge.billing.sunat_soap import PASSWORD_TEXT, SERVICE_NS, SOAP_ENV, WSSE_NS
from sandbox.sunat.cdr import CdrSigner

SAMPLES = Path("/work/shared/sunat/samples/cdr")
for _cand in (Path(__file__).resolve().parents[4] / "shared" / "sunat" / "samples" / "cdr",):
    if _cand.is_dir():
        SAMPLES = _cand
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/sunat samples absent")

BILL = "https://sunat.test/ol-ti-itcpfegem-beta/billService"
CONSULT = "https://sunat.test/ol-it-wsconscpegem/billConsultService"
RUC = "20100070970"
XML = b'<?xml version="1.0" encoding="UTF-8"?><Invoice>x</Invoice>'

_SIGNER = CdrSigner()


def cdr_zip(code: str = "0", notes: tuple[str, ...] = (), ref: str = "F001-1") -> bytes:
    stem = f"{RUC}-01-{ref}"
    xml = _SIGNER.build_xml(
        name=stem,
        receiver_ruc=RUC,
        reference_id=ref,
        response_code=code,
        description=f"La Factura numero {ref}, ha sido aceptada",
        notes=notes,
    )
    return _SIGNER.build_zip(stem, xml)


def envelope(inner: str) -> bytes:
    return (
        f'<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}"><soap-env:Header/>'
        f"<soap-env:Body>{inner}</soap-env:Body></soap-env:Envelope>"
    ).encode()


def ok(operation: str, inner: str) -> httpx.Response:
    body = envelope(
        f'<br:{operation}Response xmlns:br="{SERVICE_NS}">{inner}</br:{operation}Response>'
    )
    return httpx.Response(200, content=body, headers={"Content-Type": "text/xml"})


def fault(faultcode: str, faultstring: str, detail: str = "") -> httpx.Response:
    det = f"<detail><message>{detail}</message></detail>" if detail else ""
    inner = (
        f"<soap-env:Fault><faultcode>{faultcode}</faultcode>"
        f"<faultstring>{faultstring}</faultstring>{det}</soap-env:Fault>"
    )
    return httpx.Response(500, content=envelope(inner), headers={"Content-Type": "text/xml"})


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture()
def client() -> Iterator[SunatClient]:
    with httpx.Client() as http:
        yield SunatClient(
            http,
            endpoint_bill=BILL,
            endpoint_consult=CONSULT,
            username=RUC + "MODDATOS",
            password="MODDATOS",
            timeout=5,
        )


# --------------------------------------------------------------------------- request shape


@respx.mock
def test_send_bill_request_has_wsse_and_zip(client: SunatClient) -> None:
    route = respx.post(BILL).mock(
        return_value=ok("sendBill", f"<applicationResponse>{b64(cdr_zip())}</applicationResponse>")
    )
    cdr = client.send_bill(f"{RUC}-01-F001-1.zip", XML)
    assert cdr.accepted and cdr.response_code == 0 and cdr.reference_id == "F001-1"

    request = route.calls.last.request
    assert request.headers["SOAPAction"] == "urn:sendBill"
    assert request.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(request.content)
    token = root.find(f"{{{SOAP_ENV}}}Header/{{{WSSE_NS}}}Security/{{{WSSE_NS}}}UsernameToken")
    assert token is not None
    assert token.findtext(f"{{{WSSE_NS}}}Username") == RUC + "MODDATOS"
    pwd = token.find(f"{{{WSSE_NS}}}Password")
    assert pwd is not None and pwd.text == "MODDATOS" and pwd.get("Type") == PASSWORD_TEXT
    op = root.find(f"{{{SOAP_ENV}}}Body/{{{SERVICE_NS}}}sendBill")
    assert op is not None
    assert op.findtext("fileName") == f"{RUC}-01-F001-1.zip"
    content = base64.b64decode(op.findtext("contentFile") or "")
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert zf.namelist() == [f"{RUC}-01-F001-1.xml"]
        assert zf.read(f"{RUC}-01-F001-1.xml") == XML


def test_client_repr_hides_password() -> None:
    with httpx.Client() as http:
        c = SunatClient(
            http, endpoint_bill=BILL, endpoint_consult=None, username="u", password="s3cr3t"
        )
        assert "s3cr3t" not in repr(c)


def test_zip_is_deterministic_and_names() -> None:
    assert build_zip("a.zip", XML) == build_zip("a", XML)
    assert build_zip("a.zip", XML) != build_zip("a.zip", XML + b" ")
    import datetime as dt

    assert document_name(RUC, "03", "B001", "00000012") == f"{RUC}-03-B001-12"
    assert summary_name(RUC, "RC", dt.date(2025, 1, 31), 2) == f"{RUC}-RC-20250131-2"


def test_bad_filenames_are_refused_before_sending(client: SunatClient) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(BILL)
        with pytest.raises(ValueError):
            client.send_bill("factura.zip", XML)
        with pytest.raises(ValueError):
            client.send_summary(f"{RUC}-01-F001-1.zip", XML)
        assert not route.called


@respx.mock
def test_send_summary_and_get_status(client: SunatClient) -> None:
    summary = respx.post(BILL).mock(
        side_effect=[
            ok("sendSummary", "<ticket>1700000000123</ticket>"),
            ok("getStatus", "<status><statusCode>98</statusCode></status>"),
            ok(
                "getStatus",
                f"<status><content>{b64(cdr_zip(ref='RC-20250131-1'))}</content>"
                "<statusCode>0</statusCode></status>",
            ),
        ]
    )
    ticket = client.send_summary(f"{RUC}-RC-20250131-1.zip", XML)
    assert ticket == "1700000000123"
    sent = etree.fromstring(summary.calls[0].request.content)
    assert sent.findtext(f".//{{{SERVICE_NS}}}sendSummary/fileName") == f"{RUC}-RC-20250131-1.zip"
    first = client.get_status(ticket)
    assert first.in_process and first.cdr is None and not first.done
    second = client.get_status(ticket)
    assert second.done and second.status_code == 0
    assert second.cdr is not None and second.cdr.reference_id == "RC-20250131-1"
    asked = etree.fromstring(summary.calls[1].request.content)
    assert asked.findtext(f".//{{{SERVICE_NS}}}getStatus/ticket") == ticket


@respx.mock
def test_get_status_cdr_found_and_not_found(client: SunatClient) -> None:
    route = respx.post(CONSULT).mock(
        side_effect=[
            ok(
                "getStatusCdr",
                f"<statusCdr><content>{b64(cdr_zip())}</content><statusCode>0004</statusCode>"
                "<statusMessage>La constancia existe</statusMessage></statusCdr>",
            ),
            ok(
                "getStatusCdr",
                "<statusCdr><statusCode>0011</statusCode>"
                "<statusMessage>Comprobante no encontrado o no existe</statusMessage></statusCdr>",
            ),
            fault("soap-env:Client.0011", "Comprobante no encontrado o no existe"),
            ok(
                "getStatusCdr",
                "<statusCdr><statusCode>0002</statusCode>"
                "<statusMessage>RUC invalido</statusMessage></statusCdr>",
            ),
        ]
    )
    found = client.get_status_cdr(RUC, "01", "F001", "00000001")
    assert found is not None and found.accepted
    req = etree.fromstring(route.calls[0].request.content)
    op = req.find(f".//{{{SERVICE_NS}}}getStatusCdr")
    assert op is not None
    assert [(c.tag, c.text) for c in op] == [
        ("rucComprobante", RUC),
        ("tipoComprobante", "01"),
        ("serieComprobante", "F001"),
        ("numeroComprobante", "1"),
    ]
    assert client.get_status_cdr(RUC, "01", "F001", 2) is None
    assert client.get_status_cdr(RUC, "01", "F001", 3) is None
    with pytest.raises(SunatRejected):
        client.get_status_cdr(RUC, "01", "F001", 4)


@respx.mock
def test_consult_falls_back_to_bill_endpoint() -> None:
    route = respx.post(BILL).mock(
        return_value=ok("getStatusCdr", "<statusCdr><statusCode>0011</statusCode></statusCdr>")
    )
    with httpx.Client() as http:
        c = SunatClient(http, endpoint_bill=BILL, endpoint_consult=None, username="u", password="p")
        assert c.get_status_cdr(RUC, "01", "F001", 1) is None
    assert route.called


# --------------------------------------------------------------------------- error mapping


_FAULT_CASES: list[tuple[tuple[str, ...], type[SunatError], str | None]] = [
    (("soap-env:Client.1033", "Registrado previamente"), SunatAlreadyRegistered, "1033"),
    (("soap-env:Client.1032", "El comprobante ya esta informado"), SunatAlreadyRegistered, "1032"),
    (("soap-env:Client.2335", "El documento ha sido alterado"), SunatRejected, "2335"),
    (("soap-env:Client.0151", "El nombre del archivo ZIP es incorrecto"), SunatRejected, "0151"),
    (("soap-env:Client.1036", "Número de documento no coincide"), SunatRejected, "1036"),
    (("soap-env:Server", "0130", "El sistema no puede responder"), SunatUnavailable, "0130"),
    (("soap-env:Server", "0109"), SunatUnavailable, "0109"),
    (("soap-env:Client.0102", "Usuario o contrasena incorrectos"), SunatAuthError, "0102"),
    (("soap-env:Client.0154", "El RUC no corresponde al usuario"), SunatAuthError, "0154"),
    (("ns0:0127", "El ticket no existe"), SunatNotFound, "0127"),
    (("soap-env:Server", "Internal Error"), SunatUnavailable, None),
]  # fmt: skip


@pytest.mark.parametrize(("fault_args", "kind", "code"), _FAULT_CASES)
def test_faults_map_to_typed_errors(
    client: SunatClient, fault_args: tuple[str, ...], kind: type[SunatError], code: str | None
) -> None:
    with respx.mock:
        respx.post(BILL).mock(return_value=fault(*fault_args))
        with pytest.raises(kind) as err:
            client.send_bill(f"{RUC}-01-F001-1.zip", XML)
    assert type(err.value) is kind
    assert err.value.sunat_code == code
    assert err.value.description
    assert not err.value.maybe_delivered


def test_rejected_exception_flag_and_error_shape() -> None:
    exc = fault_to_error("soap-env:Client.0161", "El nombre del archivo XML no coincide")
    assert isinstance(exc, SunatRejected) and exc.is_exception
    rej = fault_to_error("soap-env:Client.3103", "IGV mal calculado")
    assert isinstance(rej, SunatRejected) and not rej.is_exception
    assert rej.detail()[0]["type"] == "sunat_rejected"
    assert rej.detail()[0]["ctx"] == {"sunat_code": "3103"}
    busy = fault_to_error("soap-env:Client.0140", "Existe un Documento igual en Proceso.")
    assert isinstance(busy, SunatUnavailable) and busy.maybe_delivered
    only_code = fault_to_error("soap-env:Server", "0100")
    assert only_code.description.startswith("El sistema no puede responder")


@pytest.mark.parametrize(
    ("faultcode", "faultstring", "expected"),
    [
        ("soap-env:Client.1033", "x", "1033"),
        ("soap-env:Client.98", "x", "0098"),
        ("soap-env:Server", "0130", "0130"),
        ("soap-env:Server", "0306 - No se puede leer", "0306"),
        ("soap-env:Server", "El comprobante B001-123 no existe", None),
        ("", "", None),
    ],
)
def test_extract_fault_code(faultcode: str, faultstring: str, expected: str | None) -> None:
    assert extract_fault_code(faultcode, faultstring) == expected


@pytest.mark.parametrize(
    ("side_effect", "delivered"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow connect"), False),
        (httpx.ReadTimeout("no answer"), True),
        (httpx.RemoteProtocolError("peer closed"), True),
        (httpx.Response(500, text="<html>Internal Server Error</html>"), True),
        (httpx.Response(503, text=""), True),
        (httpx.Response(200, text="not xml"), True),
        (httpx.Response(404, text="Not Found"), False),
    ],
)
def test_transport_problems_are_unavailable(
    client: SunatClient, side_effect: httpx.Response | Exception, delivered: bool
) -> None:
    with respx.mock:
        route = respx.post(BILL)
        if isinstance(side_effect, httpx.Response):
            route.mock(return_value=side_effect)
        else:
            route.mock(side_effect=side_effect)
        with pytest.raises(SunatUnavailable) as err:
            client.send_bill(f"{RUC}-01-F001-1.zip", XML)
    assert type(err.value) is SunatUnavailable
    assert err.value.maybe_delivered is delivered


@respx.mock
def test_http_401_is_auth(client: SunatClient) -> None:
    respx.post(BILL).mock(return_value=httpx.Response(401, text="Unauthorized"))
    with pytest.raises(SunatAuthError):
        client.send_bill(f"{RUC}-01-F001-1.zip", XML)


@respx.mock
def test_unreadable_cdr_is_unavailable_maybe_delivered(client: SunatClient) -> None:
    respx.post(BILL).mock(
        return_value=ok("sendBill", f"<applicationResponse>{b64(b'garbage')}</applicationResponse>")
    )
    with pytest.raises(SunatUnavailable) as err:
        client.send_bill(f"{RUC}-01-F001-1.zip", XML)
    assert err.value.maybe_delivered


@respx.mock
def test_rejection_cdr_is_returned_not_raised(client: SunatClient) -> None:
    respx.post(BILL).mock(
        return_value=ok(
            "sendBill", f"<applicationResponse>{b64(cdr_zip('2800'))}</applicationResponse>"
        )
    )
    cdr = client.send_bill(f"{RUC}-01-F001-1.zip", XML)
    assert cdr.rejected and not cdr.accepted and cdr.state == "rechazado"
    assert cdr.response_code == 2800


# --------------------------------------------------------------------------- CDR parsing


def test_cdr_with_observations_and_dummy_entry() -> None:
    data = cdr_zip(
        "0", notes=("4252 - El dato ingresado como atributo @listName es incorrecto", "4287 - Otro")
    )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "dummy/" in zf.namelist()
    cdr = parse_cdr(data)
    assert cdr.state == "observado"
    assert [(n.code, n.text) for n in cdr.observations] == [
        ("4252", "El dato ingresado como atributo @listName es incorrecto"),
        ("4287", "Otro"),
    ]
    assert cdr.raw_zip == data and cdr.raw_xml.startswith(b"<?xml")
    assert cdr.xml_filename == f"R-{RUC}-01-F001-1.xml"


@needs_samples
def test_sunat_beta_cdr_sample_is_parsed_leniently() -> None:
    xml = (SAMPLES / "R-12345678901-01-F001-00000587.xml").read_bytes()
    cdr = parse_cdr_xml(xml)
    assert cdr.response_code == 0 and cdr.state == "aceptado"
    assert cdr.reference_id == "F001-00000587"
    assert cdr.description == "La Factura numero F001-00000587, ha sido aceptada"
    assert cdr.issue_date == "2018-09-20T09:16:25"  # the dateTime that breaks the schema
    assert cdr.receiver_id == "12345678901" and cdr.sender_id == "20131312955"
    assert cdr.notes == ()


@needs_samples
def test_cdr_baja_zip_sample() -> None:
    data = (SAMPLES / "cdrBaja.zip").read_bytes()
    cdr = parse_cdr_zip(data)
    assert cdr.response_code == 0
    assert cdr.reference_id == "RA-20171001-1"
    assert cdr.description.startswith("La Comunicaci")  # ISO-8859-1 decoded
    assert "ó" in cdr.description
    assert cdr.xml_filename == "R-20600995805-RA-20171001-1.xml"
    assert cdr.raw_zip == data


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04broken",
        b"<Invoice/>",
        b"<ApplicationResponse xmlns='urn:oasis:names:specification:ubl:schema:xsd:"
        b"ApplicationResponse-2'/>",
    ],
)
def test_not_a_cdr(data: bytes) -> None:
    with pytest.raises(CdrParseError):
        parse_cdr(data)


def test_zip_without_xml_is_not_a_cdr() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("dummy/", b"")
        zf.writestr("readme.txt", b"hola")
    with pytest.raises(CdrParseError):
        parse_cdr_zip(buf.getvalue())
