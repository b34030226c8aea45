"""The SUNAT simulator, driven by the real SOAP client over real HTTP (127.0.0.1 only)."""

from __future__ import annotations

import base64
import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
    methods,
)

from edge.billing.sunat_client import SunatClient
from edge.billing.sunat_errors import (
    SunatAlreadyRegistered,
    SunatAuthError,
    SunatRejected,
    SunatUnavailable,
)
from edge.billing.sunat_payload import build_zip
from sandbox.sunat.faults import Faults
from sandbox.sunat.simulator import create_app
from sync import testcert
from sync.testcert import generate
from tests.procs import serve_in_thread

SUNAT_DIR = Path(__file__).resolve().parents[3] / "shared" / "sunat"
if not SUNAT_DIR.is_dir():
    SUNAT_DIR = Path("/work/shared/sunat")
HAVE_SUNAT = (SUNAT_DIR / "validate.py").is_file()
needs_sunat = pytest.mark.skipif(not HAVE_SUNAT, reason="../shared/sunat (SUNAT data) not here")

RUC = "20100070970"
USER = RUC + "MODDATOS"
BILL_PATH = "/ol-ti-itcpfegem-beta/billService"
CONSULT_PATH = "/ol-it-wsconscpegem/billConsultService"

DS = "http://www.w3.org/2000/09/xmldsig#"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

# --------------------------------------------------------------------------- documents

_CERT: testcert.TestCertificate = generate()


def sign(xml: bytes, cert: testcert.TestCertificate = _CERT) -> bytes:
    """Enveloped XMLDSig in the first empty ext:ExtensionContent (as SUNAT expects)."""
    root = etree.fromstring(xml)
    for old in root.findall(f".//{{{DS}}}Signature"):
        parent = old.getparent()
        assert parent is not None
        parent.remove(old)
    content = next(c for c in root.iter(f"{{{EXT}}}ExtensionContent") if len(c) == 0)
    etree.SubElement(content, f"{{{DS}}}Signature", Id="placeholder")
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    signed = signer.sign(root, key=cert.key_pem, cert=cert.cert_pem.decode())
    sig = signed.find(f".//{{{DS}}}Signature")
    assert sig is not None
    sig.set("Id", "SignatureSP")
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def invoice_xml(
    number: int,
    *,
    doc_type: str = "01",
    series: str | None = None,
    ruc: str = RUC,
    amount: str = "118.00",
) -> bytes:
    series = series or ("F001" if doc_type == "01" else "B001")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="{CBC}" xmlns:ext="{EXT}" xmlns:ds="{DS}">
<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent/></ext:UBLExtension></ext:UBLExtensions>
<cbc:UBLVersionID>2.1</cbc:UBLVersionID><cbc:CustomizationID>2.0</cbc:CustomizationID>
<cbc:ID>{series}-{number}</cbc:ID><cbc:IssueDate>2025-01-31</cbc:IssueDate>
<cbc:InvoiceTypeCode listID="0101">{doc_type}</cbc:InvoiceTypeCode>
<cbc:DocumentCurrencyCode>PEN</cbc:DocumentCurrencyCode>
<cac:AccountingSupplierParty><cac:Party><cac:PartyIdentification>
<cbc:ID schemeID="6">{ruc}</cbc:ID></cac:PartyIdentification></cac:Party>
</cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PartyIdentification>
<cbc:ID schemeID="6">20000000001</cbc:ID></cac:PartyIdentification></cac:Party>
</cac:AccountingCustomerParty>
<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="PEN">{amount}</cbc:PayableAmount>
</cac:LegalMonetaryTotal></Invoice>""".encode()


def summary_xml(ident: str, lines: list[tuple[str, str, str]], *, ruc: str = RUC) -> bytes:
    """RC with lines (doc type, series-number, condition)."""
    body = "".join(
        f"""<sac:SummaryDocumentsLine><cbc:LineID>{i}</cbc:LineID>
<cbc:DocumentTypeCode>{t}</cbc:DocumentTypeCode><cbc:ID>{sn}</cbc:ID>
<cac:Status><cbc:ConditionCode>{cond}</cbc:ConditionCode></cac:Status>
<sac:TotalAmount currencyID="PEN">118.00</sac:TotalAmount></sac:SummaryDocumentsLine>"""
        for i, (t, sn, cond) in enumerate(lines, start=1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<SummaryDocuments xmlns="urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="{CBC}" xmlns:ext="{EXT}" xmlns:ds="{DS}"
 xmlns:sac="urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1">
<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent/></ext:UBLExtension></ext:UBLExtensions>
<cbc:UBLVersionID>2.0</cbc:UBLVersionID><cbc:CustomizationID>1.1</cbc:CustomizationID>
<cbc:ID>{ident}</cbc:ID><cbc:ReferenceDate>2025-01-31</cbc:ReferenceDate>
<cbc:IssueDate>2025-01-31</cbc:IssueDate>
<cac:AccountingSupplierParty><cbc:CustomerAssignedAccountID>{ruc}</cbc:CustomerAssignedAccountID>
<cbc:AdditionalAccountID>6</cbc:AdditionalAccountID></cac:AccountingSupplierParty>
{body}</SummaryDocuments>""".encode()


def name(number: int, doc_type: str = "01", series: str | None = None, ruc: str = RUC) -> str:
    series = series or ("F001" if doc_type == "01" else "B001")
    return f"{ruc}-{doc_type}-{series}-{number}.zip"


# --------------------------------------------------------------------------- server


serve = serve_in_thread


@dataclass
class Sim:
    base: str
    faults: Faults
    http: httpx.Client

    def client(self, *, timeout: float = 10.0, username: str = USER) -> SunatClient:
        return SunatClient(
            self.http,
            endpoint_bill=self.base + BILL_PATH,
            endpoint_consult=self.base + CONSULT_PATH,
            username=username,
            password="MODDATOS",
            timeout=timeout,
        )

    def documents(self) -> dict[str, object]:
        resp = self.http.get(self.base + "/_sim/documents")
        resp.raise_for_status()
        data: dict[str, object] = resp.json()
        return data

    def doc(self, key: str) -> dict[str, object]:
        docs = self.documents()["documents"]
        assert isinstance(docs, list)
        found = [d for d in docs if d["filename"] == key]
        assert len(found) == 1, f"{key} not registered exactly once: {docs}"
        return found[0]

    def set_faults(self, **changes: object) -> dict[str, object]:
        resp = self.http.post(self.base + "/_sim/faults", json=changes)
        assert resp.status_code == 200, resp.text
        data: dict[str, object] = resp.json()
        return data


@pytest.fixture(scope="module")
def plain_server() -> Iterator[tuple[str, Faults]]:
    faults = Faults()
    with serve(create_app(sunat_data=None, faults=faults)) as base:
        yield base, faults


@pytest.fixture()
def sim(plain_server: tuple[str, Faults]) -> Iterator[Sim]:
    base, faults = plain_server
    with httpx.Client() as http:
        http.post(base + "/_sim/reset").raise_for_status()
        yield Sim(base, faults, http)


@pytest.fixture(scope="module")
def sunat_server() -> Iterator[tuple[str, Faults]]:
    if not HAVE_SUNAT:
        pytest.skip(reason="../shared/sunat (SUNAT data) not here")
    faults = Faults()
    with serve(create_app(sunat_data=SUNAT_DIR, faults=faults)) as base:
        yield base, faults


@pytest.fixture()
def ssim(sunat_server: tuple[str, Faults]) -> Iterator[Sim]:
    base, faults = sunat_server
    with httpx.Client() as http:
        http.post(base + "/_sim/reset").raise_for_status()
        yield Sim(base, faults, http)


# --------------------------------------------------------------------------- sendBill


def test_send_bill_accepted_with_signed_cdr(sim: Sim) -> None:
    cdr = sim.client().send_bill(name(1), sign(invoice_xml(1)))
    assert cdr.response_code == 0
    assert cdr.state == "aceptado"
    assert cdr.reference_id == "F001-1"
    assert "aceptada" in cdr.description
    assert cdr.receiver_id == RUC
    assert cdr.xml_filename == f"R-{RUC}-01-F001-1.xml"
    assert cdr.raw_zip is not None
    # The CDR is signed with the simulator's certificate.
    cert = sim.http.get(sim.base + "/_sim/cert").text
    XMLVerifier().verify(cdr.raw_xml, x509_cert=cert)
    doc = sim.doc(f"{RUC}-01-F001-1")
    assert doc["sends"] == 1 and doc["status"] == "aceptado" and doc["response_code"] == "0"


def test_duplicate_same_content_is_1033_and_resolved_by_get_status_cdr(sim: Sim) -> None:
    client = sim.client()
    xml = sign(invoice_xml(2, doc_type="03"))
    first = client.send_bill(name(2, "03"), xml)
    with pytest.raises(SunatAlreadyRegistered) as err:
        client.send_bill(name(2, "03"), xml)
    assert err.value.sunat_code == "1033"
    stored = client.get_status_cdr(RUC, "03", "B001", 2)
    assert stored is not None
    assert stored.response_code == 0
    assert stored.raw_zip == first.raw_zip
    doc = sim.doc(f"{RUC}-03-B001-2")
    assert doc["sends"] == 2 and doc["duplicate_sends"] == 1


def test_duplicate_number_with_other_content_is_rejected(sim: Sim) -> None:
    client = sim.client()
    client.send_bill(name(3), sign(invoice_xml(3, amount="118.00")))
    with pytest.raises(SunatRejected) as err:
        client.send_bill(name(3), sign(invoice_xml(3, amount="236.00")))
    assert err.value.sunat_code == "2109"
    assert sim.doc(f"{RUC}-01-F001-3")["status"] == "aceptado"  # first one still stands


def test_altered_document_is_rejected_with_cdr_then_1032(sim: Sim) -> None:
    client = sim.client()
    tampered = sign(invoice_xml(4)).replace(b">118.00<", b">1.00<")
    cdr = client.send_bill(name(4), tampered)
    assert cdr.rejected and cdr.state == "rechazado"
    assert cdr.response_code == 2335
    with pytest.raises(SunatAlreadyRegistered) as err:
        client.send_bill(name(4), tampered)
    assert err.value.sunat_code == "1032"
    assert sim.doc(f"{RUC}-01-F001-4")["status"] == "rechazado"


def test_signature_by_another_key_is_rejected(sim: Sim) -> None:
    xml = sign(invoice_xml(5))
    other = generate()
    other_b64 = b"".join(other.cert_pem.splitlines()[1:-1])
    root = etree.fromstring(xml)
    cert_el = root.find(f".//{{{DS}}}X509Certificate")
    assert cert_el is not None
    cert_el.text = other_b64.decode()
    swapped = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    cdr = sim.client().send_bill(name(5), swapped)
    assert cdr.rejected


def test_unsigned_document_is_an_exception_not_registered(sim: Sim) -> None:
    with pytest.raises(SunatRejected) as err:
        sim.client().send_bill(name(6), invoice_xml(6))
    assert err.value.sunat_code == "1059"
    assert err.value.is_exception
    assert sim.documents()["documents"] == []


@pytest.mark.parametrize(
    ("filename", "xml", "code"),
    [
        (name(7, ruc="20999999991"), invoice_xml(7, ruc="20999999991"), "0154"),
        (name(7), invoice_xml(7, ruc="20555555551"), "1034"),
        (name(7), invoice_xml(8), "1036"),
        (name(7, series="F002"), invoice_xml(7), "1035"),
        (name(7, "03"), invoice_xml(7, series="B001"), "1003"),
        (name(7, "03", series="F001"), invoice_xml(7, doc_type="03", series="F001"), "1001"),
    ],
)
def test_naming_mismatches_are_refused(sim: Sim, filename: str, xml: bytes, code: str) -> None:
    with pytest.raises((SunatRejected, SunatAuthError)) as err:
        sim.client().send_bill(filename, sign(xml))
    assert err.value.sunat_code == code
    assert sim.documents()["documents"] == []


def _raw_send(sim: Sim, filename: str, zip_bytes: bytes, *, with_security: bool = True) -> str:
    """POST a hand-made sendBill and return SUNAT's fault code."""
    envelope = sim.client().build_envelope(
        "sendBill",
        {"fileName": filename, "contentFile": base64.b64encode(zip_bytes).decode()},
    )
    if not with_security:
        root = etree.fromstring(envelope)
        header = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Header")
        assert header is not None
        header.clear()
        envelope = etree.tostring(root)
    resp = sim.http.post(sim.base + BILL_PATH, content=envelope)
    assert resp.status_code == 500
    fault = etree.fromstring(resp.content).find(".//faultcode")
    assert fault is not None and fault.text
    return fault.text.rsplit(".", 1)[-1]


def test_zip_checks(sim: Sim) -> None:
    xml = sign(invoice_xml(9))
    stem = f"{RUC}-01-F001-9"
    wrong_inner = build_zip(f"{RUC}-01-F001-10", xml)
    assert _raw_send(sim, stem + ".zip", wrong_inner) == "0161"
    assert _raw_send(sim, stem + ".zip", b"not a zip") == "0156"
    assert _raw_send(sim, f"{RUC}-01-F001-9.xml", build_zip(stem, xml)) == "0151"
    assert _raw_send(sim, f"{RUC}-RC-20250131-1.zip", build_zip(stem, xml)) == "0152"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(stem + ".xml", xml)
        zf.writestr(f"{RUC}-01-F001-10.xml", xml)
    assert _raw_send(sim, stem + ".zip", buf.getvalue()) == "0158"
    assert _raw_send(sim, stem + ".zip", build_zip(stem, xml), with_security=False) == "0101"
    assert sim.documents()["documents"] == []


def test_ws_security_user_must_carry_a_ruc(sim: Sim) -> None:
    with pytest.raises(SunatAuthError) as err:
        sim.client(username="MODDATOS").send_bill(name(11), sign(invoice_xml(11)))
    assert err.value.sunat_code == "0103"


def test_credentials_are_checked_when_configured() -> None:
    app = create_app(sunat_data=None, faults=Faults(), credentials={USER: "secreto"})
    with TestClient(app) as http:
        bad = SunatClient(
            http, endpoint_bill="http://t" + BILL_PATH, endpoint_consult=None,
            username=USER, password="MODDATOS", timeout=httpx.USE_CLIENT_DEFAULT,
        )  # fmt: skip
        with pytest.raises(SunatAuthError) as err:
            bad.send_bill(name(1), sign(invoice_xml(1)))
        assert err.value.sunat_code == "0102"
        good = SunatClient(
            http, endpoint_bill="http://t" + BILL_PATH, endpoint_consult=None,
            username=USER, password="secreto", timeout=httpx.USE_CLIENT_DEFAULT,
        )  # fmt: skip
        assert good.send_bill(name(1), sign(invoice_xml(1))).accepted


# --------------------------------------------------------------------------- summaries


def test_summary_ticket_98_then_0_and_condition_3_voids(sim: Sim) -> None:
    client = sim.client()
    client.send_bill(name(20, "03"), sign(invoice_xml(20, doc_type="03")))
    rc1 = sign(summary_xml("RC-20250131-1", [("03", "B001-21", "1"), ("03", "B001-22", "1")]))
    ticket = client.send_summary(f"{RUC}-RC-20250131-1.zip", rc1)
    assert ticket
    first = client.get_status(ticket)
    assert first.in_process and first.status_code == 98 and first.cdr is None
    done = client.get_status(ticket)
    assert done.status_code == 0 and done.done
    assert done.cdr is not None and done.cdr.accepted
    assert done.cdr.reference_id == "RC-20250131-1"

    rc2 = sign(summary_xml("RC-20250131-2", [("03", "B001-21", "3"), ("03", "B001-20", "3")]))
    ticket2 = client.send_summary(f"{RUC}-RC-20250131-2.zip", rc2)
    assert ticket2 != ticket
    assert client.get_status(ticket2).status_code == 98
    assert client.get_status(ticket2).status_code == 0
    summary_lines = sim.documents()["summary_lines"]
    assert isinstance(summary_lines, list)
    lines = {line["key"]: line["status"] for line in summary_lines}
    assert lines[f"{RUC}-03-B001-21"] == "anulado"
    assert lines[f"{RUC}-03-B001-22"] == "aceptado"
    assert sim.doc(f"{RUC}-03-B001-20")["status"] == "anulado"


def test_summary_pending_polls_is_configurable_and_unknown_ticket(sim: Sim) -> None:
    sim.set_faults(summary_pending_polls=0)
    client = sim.client()
    ticket = client.send_summary(
        f"{RUC}-RC-20250131-3.zip", sign(summary_xml("RC-20250131-3", [("03", "B001-1", "1")]))
    )
    assert client.get_status(ticket).status_code == 0
    from edge.billing.sunat_errors import SunatNotFound

    with pytest.raises(SunatNotFound) as err:
        client.get_status("999")
    assert err.value.sunat_code == "0127"


def test_summary_with_bad_signature_ends_in_99(sim: Sim) -> None:
    sim.set_faults(summary_pending_polls=0)
    xml = sign(summary_xml("RC-20250131-4", [("03", "B001-1", "1")])).replace(b"B001-1", b"B001-9")
    client = sim.client()
    status = client.get_status(client.send_summary(f"{RUC}-RC-20250131-4.zip", xml))
    assert status.status_code == 99
    assert status.cdr is not None and status.cdr.response_code == 2335


# --------------------------------------------------------------------------- faults


def test_http_500_is_unavailable_and_nothing_registered(sim: Sim) -> None:
    sim.set_faults(http_500=1)
    client = sim.client()
    with pytest.raises(SunatUnavailable) as err:
        client.send_bill(name(30), sign(invoice_xml(30)))
    assert err.value.maybe_delivered
    assert client.get_status_cdr(RUC, "01", "F001", 30) is None
    assert client.send_bill(name(30), sign(invoice_xml(30))).accepted
    assert sim.doc(f"{RUC}-01-F001-30")["sends"] == 1


def test_timeout_is_unavailable(sim: Sim) -> None:
    sim.set_faults(timeout=1, hang_seconds=1.5)
    client = sim.client(timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SunatUnavailable) as err:
        client.send_bill(name(31), sign(invoice_xml(31)))
    assert time.monotonic() - started < 1.4
    assert err.value.maybe_delivered
    assert sim.client().get_status_cdr(RUC, "01", "F001", 31) is None


def test_soap_server_fault_0130(sim: Sim) -> None:
    sim.set_faults(soap_fault=1, operations=["sendBill"])
    with pytest.raises(SunatUnavailable) as err:
        sim.client().send_bill(name(32), sign(invoice_xml(32)))
    assert err.value.sunat_code == "0130"
    assert not err.value.maybe_delivered
    assert sim.documents()["documents"] == []


def test_outage_until_cleared(sim: Sim) -> None:
    sim.set_faults(http_500=-1)
    client = sim.client()
    for _ in range(3):
        with pytest.raises(SunatUnavailable):
            client.send_bill(name(33), sign(invoice_xml(33)))
    sim.set_faults(http_500=0)
    assert client.send_bill(name(33), sign(invoice_xml(33))).accepted
    assert sim.doc(f"{RUC}-01-F001-33")["sends"] == 1


def test_drop_after_accept_resolved_by_get_status_cdr(sim: Sim) -> None:
    sim.set_faults(drop_after_accept=1)
    client = sim.client()
    xml = sign(invoice_xml(34))
    with pytest.raises(SunatUnavailable) as err:
        client.send_bill(name(34), xml)
    assert err.value.maybe_delivered
    cdr = client.get_status_cdr(RUC, "01", "F001", 34)
    assert cdr is not None and cdr.accepted and cdr.reference_id == "F001-34"
    assert sim.doc(f"{RUC}-01-F001-34")["sends"] == 1
    # A blind resend would be answered 1033, never registered twice.
    with pytest.raises(SunatAlreadyRegistered):
        client.send_bill(name(34), xml)


def test_slow_answers(sim: Sim) -> None:
    sim.set_faults(delay_ms=300)
    started = time.monotonic()
    assert sim.client().send_bill(name(35), sign(invoice_xml(35))).accepted
    assert time.monotonic() - started >= 0.3


def test_forced_rejection_and_observation(sim: Sim) -> None:
    client = sim.client()
    sim.set_faults(reject=1, reject_code="2800")
    rejected = client.send_bill(name(36), sign(invoice_xml(36)))
    assert rejected.rejected and rejected.response_code == 2800
    assert client.send_bill(name(37), sign(invoice_xml(37))).state == "aceptado"
    sim.set_faults(reject=1, reject_code="4252")
    observed = client.send_bill(name(38), sign(invoice_xml(38)))
    assert observed.state == "observado"
    assert [n.code for n in observed.notes] == ["4252"]
    sim.set_faults(reject=1, reject_code="1036")
    with pytest.raises(SunatRejected) as err:
        client.send_bill(name(39), sign(invoice_xml(39)))
    assert err.value.is_exception


def test_admin_faults_endpoint_validates(sim: Sim) -> None:
    assert sim.http.post(sim.base + "/_sim/faults", json={"nope": 1}).status_code == 422
    assert sim.http.post(sim.base + "/_sim/faults", json={"http_500": "x"}).status_code == 422
    assert sim.http.post(sim.base + "/_sim/faults", json={"http_500": -2}).status_code == 422
    snap = sim.set_faults(http_500=2, soap_fault_code="130")
    assert snap["http_500"] == 2 and snap["soap_fault_code"] == "0130"
    assert sim.set_faults(reset=True)["http_500"] == 0
    assert sim.http.post(sim.base + "/elsewhere").status_code == 404


def test_state_persists_in_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "sunat-sim.sqlite"
    xml = sign(invoice_xml(40))
    with TestClient(create_app(sunat_data=None, faults=Faults(), state_db=db)) as http:
        client = SunatClient(
            http, endpoint_bill="http://t" + BILL_PATH, endpoint_consult=None,
            username=USER, password="x", timeout=httpx.USE_CLIENT_DEFAULT,
        )  # fmt: skip
        first = client.send_bill(name(40), xml)
    with TestClient(create_app(sunat_data=None, faults=Faults(), state_db=db)) as http:
        client = SunatClient(
            http, endpoint_bill="http://t" + BILL_PATH, endpoint_consult=None,
            username=USER, password="x", timeout=httpx.USE_CLIENT_DEFAULT,
        )  # fmt: skip
        with pytest.raises(SunatAlreadyRegistered):
            client.send_bill(name(40), xml)
        again = client.get_status_cdr(RUC, "01", "F001", 40)
        assert again is not None and again.raw_zip == first.raw_zip


# --------------------------------------------------------------------------- SUNAT's rules


def _sample(rel: str) -> bytes:
    return (SUNAT_DIR / "samples" / rel).read_bytes()


def _renumbered_boleta(number: int, source: str = "valid/12345678912-03-B001-1.xml") -> bytes:
    root = etree.fromstring(_sample(source))
    ident = root.find(f"{{{CBC}}}ID")
    assert ident is not None
    ident.text = f"B001-{number}"
    return sign(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _redated_factura(issue_date: str) -> bytes:
    """The sample factura issued on another day (re-signed): the sample RA voids F001-1 of
    2020-03-28, and SUNAT checks the voided document's date (2375) and the window (2374)."""
    root = etree.fromstring(_sample("valid/12345678912-01-F001-1.xml"))
    node = root.find(f"{{{CBC}}}IssueDate")
    assert node is not None
    node.text = issue_date
    return sign(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@needs_sunat
def test_samples_pass_sunat_rules_and_void_via_ra(ssim: Sim) -> None:
    client = ssim.client(username="12345678912MODDATOS")
    factura = client.send_bill(
        "12345678912-01-F001-1.zip", _sample("valid/12345678912-01-F001-1.xml")
    )
    assert factura.accepted, factura
    ssim.set_faults(summary_pending_polls=0)
    ra = _sample("valid/12345678912-RA-20200328-1.xml")
    mismatch = client.get_status(client.send_summary("12345678912-RA-20200328-1.zip", ra))
    assert mismatch.status_code == 99 and mismatch.cdr is not None
    assert mismatch.cdr.response_code == 2375  # the sample factura is of 2019-12-24
    ssim.http.post(ssim.base + "/_sim/reset").raise_for_status()
    factura = client.send_bill("12345678912-01-F001-1.zip", _redated_factura("2020-03-28"))
    assert factura.accepted, factura
    boleta = client.send_bill("12345678912-03-B001-57.zip", _renumbered_boleta(57))
    assert boleta.accepted, boleta
    ssim.set_faults(summary_pending_polls=0)
    ticket = client.send_summary(
        "12345678912-RA-20200328-1.zip", _sample("valid/12345678912-RA-20200328-1.xml")
    )
    status = client.get_status(ticket)
    assert status.status_code == 0, status
    assert ssim.doc("12345678912-01-F001-1")["status"] == "anulado"


@needs_sunat
def test_sunat_rule_violation_is_a_rejection_cdr(ssim: Sim) -> None:
    client = ssim.client(username="12345678912MODDATOS")
    wrong = _renumbered_boleta(58, "invalid/12345678912-03-B001-1_igv-wrong.xml")
    cdr = client.send_bill("12345678912-03-B001-58.zip", wrong)
    assert cdr.rejected
    assert cdr.response_code == 3103


@needs_sunat
def test_xsd_violation_is_an_exception(ssim: Sim) -> None:
    root = etree.fromstring(_sample("valid/12345678912-03-B001-1.xml"))
    issue = root.find(f"{{{CBC}}}IssueDate")
    assert issue is not None
    issue.getparent().remove(issue)  # type: ignore[union-attr]
    ident = root.find(f"{{{CBC}}}ID")
    assert ident is not None
    ident.text = "B001-59"
    xml = sign(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    with pytest.raises(SunatRejected) as err:
        ssim.client(username="12345678912MODDATOS").send_bill("12345678912-03-B001-59.zip", xml)
    assert err.value.sunat_code == "0305"
