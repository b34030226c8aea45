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
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import importlib.util
import io
import json
import re
import sqlite3
import threading
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography import x509
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from lxml import etree
from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
from signxml.exceptions import InvalidInput as SignxmlInvalidInput
from signxml.exceptions import InvalidSignature
from starlette.concurrency import run_in_threadpool

from sandbox.sunat.cdr import CdrSigner, accepted_description, rejected_description
from sandbox.sunat.faults import Faults

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "http://service.sunat.gob.pe"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
SAC = "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1"
NS = {"cbc": CBC, "cac": CAC, "sac": SAC, "ds": DS}
UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
SUNAT_UBL = "urn:sunat:names:specification:ubl:peru:schema:xsd:"

OPERATIONS = ("sendBill", "sendSummary", "getStatus", "getStatusCdr")

DOC_NAME = re.compile(r"^(\d{11})-(\d{2})-([A-Z0-9]{1,4})-(\d{1,8})$")
SUMMARY_NAME = re.compile(r"^(\d{11})-(RC|RA|RR)-(\d{8})-(\d{1,5})$")
SERIES_RULES = {
    "01": re.compile(r"^(F[A-Z0-9]{3}|\d{1,4})$"),
    "03": re.compile(r"^(B[A-Z0-9]{3}|\d{1,4})$"),
    "07": re.compile(r"^([FBS][A-Z0-9]{3}|\d{1,4})$"),
    "08": re.compile(r"^([FBS][A-Z0-9]{3}|\d{1,4})$"),
}

#: Texts for the codes the simulator emits itself (the full catalogue is read from
#: ``sunat_data`` when given).
MESSAGES: dict[str, str] = {
    "0011": "Comprobante no encontrado o no existe",
    "0101": "El encabezado de seguridad es incorrecto",
    "0102": "Usuario o contrasena incorrectos",
    "0103": "El Usuario ingresado no existe",
    "0127": "El ticket no existe",
    "0130": "El sistema no puede responder su solicitud. (No se pudo obtener el ticket de proceso)",
    "0151": "El nombre del archivo ZIP es incorrecto",
    "0152": "No se puede enviar por este método un archivo de resumen",
    "0154": "El RUC del archivo no corresponde al RUC del usuario o el proveedor no esta "
    "autorizado a enviar comprobantes del contribuyente",
    "0155": "El archivo ZIP esta vacio",
    "0156": "El archivo ZIP esta corrupto",
    "0157": "El archivo ZIP no contiene comprobantes",
    "0158": "El archivo ZIP contiene demasiados comprobantes para este tipo de envío",
    "0161": "El nombre del archivo XML no coincide con el nombre del archivo ZIP",
    "0200": "No se pudo procesar su solicitud. (Ocurrio un error en el batch)",
    "0302": "Codigo del tipo de comprobante no registrado",
    "0305": "El sistema no puede procesar el archivo xml",
    "0306": "No se puede leer (parsear) el archivo XML",
    "1001": "ID - El dato SERIE-CORRELATIVO no cumple con el formato de acuerdo al tipo de "
    "comprobante",
    "1003": "InvoiceTypeCode - El valor del tipo de documento es invalido o no coincide con el "
    "nombre del archivo",
    "1032": "El comprobante ya esta informado y se encuentra con estado anulado o rechazado",
    "1033": "El comprobante fue registrado previamente con otros datos",
    "1034": "Número de RUC del nombre del archivo no coincide con el consignado en el contenido "
    "del archivo XML",
    "1035": "Numero de Serie del nombre del archivo no coincide con el consignado en el "
    "contenido del archivo XML",
    "1036": "Número de documento en el nombre del archivo no coincide con el consignado en el "
    "contenido del XML",
    "1059": "El XML no contiene firma digital.",
    "2105": "Comprobante a dar de baja no se encuentra registrado en SUNAT",
    "2374": "La factura a dar de baja tiene una fecha de recepcion fuera del plazo permitido",
    "2375": "Fecha de emision del comprobante no coincide con la fecha de emision consignada en"
    " la comunicación",
    "2109": "El comprobante fue registrado previamente con otros datos",
    "2223": "El archivo ya fue presentado anteriormente",
    "2335": "El documento electrónico ingresado ha sido alterado",
    "2800": "El dato ingresado en el tipo de documento de identidad del receptor no esta "
    "permitido.",
}


class SoapFault(Exception):
    """A SUNAT SOAP fault: ``soap-env:Client.<code>`` (or ``soap-env:Server`` + code)."""

    def __init__(self, code: str, message: str | None = None, *, server: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.message = message or MESSAGES.get(code, "Error")
        self.server = server


# --------------------------------------------------------------------------- state


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass
class DocRecord:
    """A document SUNAT registered (accepted or rejected) through sendBill."""

    filename: str
    ruc: str
    doc_type: str
    series: str
    number: int
    sha256: str
    status: str  # aceptado | observado | rechazado | anulado
    response_code: str
    description: str
    notes: list[str]
    cdr_zip: bytes
    received_at: str
    via: str = "sendBill"
    sends: int = 1
    duplicate_sends: int = 0
    last_send_at: str = ""
    issue_date: str = ""

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cdr_zip")
        data["has_cdr"] = bool(self.cdr_zip)
        return data


@dataclass
class TicketRecord:
    """A summary (RC / RA) accepted for asynchronous processing."""

    ticket: str
    filename: str
    ruc: str
    kind: str
    sha256: str
    status_code: int  # final 0 or 99
    response_code: str
    description: str
    cdr_zip: bytes
    lines: list[dict[str, Any]]
    received_at: str
    polls: int = 0
    applied: bool = False
    sends: int = 1

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cdr_zip")
        return data


@dataclass
class SimState:
    documents: dict[str, DocRecord] = field(default_factory=dict)  # key "RUC-TT-SERIE-N"
    tickets: dict[str, TicketRecord] = field(default_factory=dict)
    summary_lines: dict[str, dict[str, Any]] = field(default_factory=dict)  # boletas via RC
    requests: dict[str, int] = field(default_factory=dict)


class _Store:
    """Optional SQLite persistence of :class:`SimState` (one JSON row per record)."""

    def __init__(self, path: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS sim_record (kind TEXT, key TEXT, body TEXT, "
                "PRIMARY KEY (kind, key))"
            )
            self._db.commit()

    def load(self) -> SimState:
        state = SimState()
        if self._db is None:
            return state
        for kind, key, body in self._db.execute("SELECT kind, key, body FROM sim_record"):
            data = json.loads(body)
            if "cdr_zip" in data:
                data["cdr_zip"] = base64.b64decode(data["cdr_zip"])
            if kind == "doc":
                state.documents[key] = DocRecord(**data)
            elif kind == "ticket":
                state.tickets[key] = TicketRecord(**data)
            elif kind == "line":
                state.summary_lines[key] = data
        return state

    def save(self, kind: str, key: str, record: Any) -> None:
        if self._db is None:
            return
        data = asdict(record) if not isinstance(record, dict) else dict(record)
        if isinstance(data.get("cdr_zip"), bytes):
            data["cdr_zip"] = base64.b64encode(data["cdr_zip"]).decode("ascii")
        self._db.execute(
            "INSERT OR REPLACE INTO sim_record (kind, key, body) VALUES (?, ?, ?)",
            (kind, key, json.dumps(data)),
        )
        self._db.commit()

    def clear(self) -> None:
        if self._db is not None:
            self._db.execute("DELETE FROM sim_record")
            self._db.commit()


# --------------------------------------------------------------------------- validation


def load_validator(sunat_data: Path) -> ModuleType:
    """Import ``<sunat_data>/validate.py`` (SUNAT's XSD + XSL checker) by path."""
    path = sunat_data / "validate.py"
    spec = importlib.util.spec_from_file_location("labred_sunat_validate", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"validate.py not found in {sunat_data}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class _Verdict:
    """Outcome of the content checks of one document."""

    response_code: str = "0"
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return 2000 <= int(self.response_code) < 4000


class Simulator:
    """The SUNAT side: validation, registry of documents and tickets, CDRs."""

    def __init__(
        self,
        *,
        sunat_data: Path | None,
        faults: Faults,
        state_db: Path | None = None,
        credentials: dict[str, str] | None = None,
        signer: CdrSigner | None = None,
    ) -> None:
        self.faults = faults
        self.sunat_data = sunat_data
        self.credentials = credentials
        self.signer = signer or CdrSigner()
        self.validator = load_validator(sunat_data) if sunat_data is not None else None
        self.descriptions: dict[str, str] = dict(MESSAGES)
        if self.validator is not None:
            self.descriptions.update(self.validator.error_descriptions(str(sunat_data)))
        self._store = _Store(state_db)
        self.state = self._store.load()
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ admin

    def reset(self) -> None:
        with self._lock:
            self.state = SimState()
            self._store.clear()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "documents": [d.public() for d in self.state.documents.values()],
                "summaries": [t.public() for t in self.state.tickets.values()],
                "summary_lines": list(self.state.summary_lines.values()),
                "requests": dict(self.state.requests),
            }

    def count_request(self, operation: str) -> None:
        with self._lock:
            self.state.requests[operation] = self.state.requests.get(operation, 0) + 1

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
        stem = filename[:-4] if filename.endswith(".zip") else ""
        m = DOC_NAME.match(stem)
        if not m:
            raise SoapFault("0152" if SUMMARY_NAME.match(stem) else "0151")
        ruc, doc_type, series, number_text = m.groups()
        number = int(number_text)
        if ruc != user_ruc:
            raise SoapFault("0154")
        xml = _unzip_single(stem, content_b64)
        root = _parse_xml(xml)
        self._check_document_identity(root, ruc, doc_type, series, number)
        digest = hashlib.sha256(xml).hexdigest()
        key = f"{ruc}-{doc_type}-{series}-{number}"
        with self._lock:
            existing = self.state.documents.get(key)
            if existing is not None:
                existing.sends += 1
                existing.duplicate_sends += 1
                existing.last_send_at = _now()
                self._store.save("doc", key, existing)
                if existing.status in ("rechazado", "anulado"):
                    raise SoapFault("1032")
                if existing.sha256 == digest:
                    raise SoapFault("1033")
                raise SoapFault("2109")
            verdict = self._verify_signature(xml, root)
            if verdict is None:
                verdict = self._run_rules(xml, stem, root)
            if _is_exception(verdict.response_code):
                raise SoapFault(verdict.response_code.zfill(4), verdict.reason or None)
            if not verdict.rejected and self.faults.take("reject"):
                forced = self.faults.reject_code
                reason = self.descriptions.get(forced, "Rechazo forzado por el simulador")
                if int(forced) >= 4000:
                    verdict.notes.append(f"{forced} - {reason}")
                else:
                    verdict = _Verdict(response_code=forced, reason=reason)
            if _is_exception(verdict.response_code):
                raise SoapFault(verdict.response_code.zfill(4), verdict.reason or None)
            reference = f"{series}-{number}"
            if verdict.rejected:
                status = "rechazado"
                description = rejected_description(doc_type, reference, verdict.reason)
            else:
                status = "observado" if verdict.notes else "aceptado"
                description = accepted_description(doc_type, reference)
            cdr_xml = self.signer.build_xml(
                name=stem,
                receiver_ruc=ruc,
                reference_id=reference,
                response_code=verdict.response_code,
                description=description,
                notes=verdict.notes,
                recipient_id=_recipient_id(root),
            )
            cdr_zip = self.signer.build_zip(stem, cdr_xml)
            now = _now()
            record = DocRecord(
                filename=stem,
                ruc=ruc,
                doc_type=doc_type,
                series=series,
                number=number,
                sha256=digest,
                status=status,
                response_code=verdict.response_code,
                description=description,
                notes=list(verdict.notes),
                cdr_zip=cdr_zip,
                received_at=now,
                last_send_at=now,
                issue_date=_first_text(root, "cbc:IssueDate"),
            )
            self.state.documents[key] = record
            self._store.save("doc", key, record)
            return cdr_zip, self.faults.take("drop_after_accept")

    def send_summary(self, user_ruc: str, filename: str, content_b64: str) -> tuple[str, bool]:
        stem = filename[:-4] if filename.endswith(".zip") else ""
        m = SUMMARY_NAME.match(stem)
        if not m:
            raise SoapFault("0151")
        ruc, kind, _date, _seq = m.groups()
        if ruc != user_ruc:
            raise SoapFault("0154")
        xml = _unzip_single(stem, content_b64)
        root = _parse_xml(xml)
        expected_root = "SummaryDocuments" if kind == "RC" else "VoidedDocuments"
        if etree.QName(root).localname != expected_root:
            raise SoapFault("0302")
        if _issuer_ruc(root) != ruc:
            raise SoapFault("1034")
        ident = _first_text(root, "cbc:ID")
        if ident != stem[12:]:
            raise SoapFault("1036" if ident[:2] == kind else "2220")
        digest = hashlib.sha256(xml).hexdigest()
        with self._lock:
            for t in self.state.tickets.values():
                if t.filename == stem:
                    t.sends += 1
                    self._store.save("ticket", t.ticket, t)
                    if t.sha256 == digest:
                        return t.ticket, False  # same file again: same ticket
                    raise SoapFault("2223", self.descriptions.get("2223"))
            verdict = self._verify_signature(xml, root)
            if verdict is None:
                verdict = self._run_rules(xml, stem, root)
            # An exception found while processing a summary shows up as a ticket with 99.
            lines = _summary_lines(root, kind)
            if verdict.response_code == "0" and kind in ("RA", "RR"):
                verdict = self._check_voided_lines(ruc, root, lines) or verdict
            reference = stem[12:]
            ok = not verdict.rejected and not _is_exception(verdict.response_code)
            description = (
                accepted_description(kind, reference)
                if ok
                else rejected_description(kind, reference, verdict.reason)
            )
            cdr_xml = self.signer.build_xml(
                name=stem,
                receiver_ruc=ruc,
                reference_id=reference,
                response_code=verdict.response_code,
                description=description,
                notes=verdict.notes,
            )
            ticket = (
                f"{int(dt.datetime.now(dt.UTC).timestamp() * 1000)}{uuid.uuid4().int % 1000:03d}"
            )
            while ticket in self.state.tickets:
                ticket = str(int(ticket) + 1)
            record = TicketRecord(
                ticket=ticket,
                filename=stem,
                ruc=ruc,
                kind=kind,
                sha256=digest,
                status_code=0 if ok else 99,
                response_code=verdict.response_code,
                description=description,
                cdr_zip=self.signer.build_zip(stem, cdr_xml),
                lines=lines,
                received_at=_now(),
            )
            self.state.tickets[ticket] = record
            self._store.save("ticket", ticket, record)
            return ticket, self.faults.take("drop_after_accept")

    def get_status(self, user_ruc: str, ticket: str) -> tuple[int, bytes | None]:
        with self._lock:
            record = self.state.tickets.get(ticket.strip())
            if record is None:
                raise SoapFault("0127")
            if record.ruc != user_ruc:
                raise SoapFault("0126", "El ticket no le pertenece al usuario")
            record.polls += 1
            if record.polls <= self.faults.summary_pending_polls:
                self._store.save("ticket", record.ticket, record)
                return 98, None
            if record.status_code == 0 and not record.applied:
                self._apply_summary(record)
            record.applied = True
            self._store.save("ticket", record.ticket, record)
            return record.status_code, record.cdr_zip

    def get_status_cdr(
        self, user_ruc: str, ruc: str, doc_type: str, series: str, number: str
    ) -> tuple[str, str, bytes | None]:
        if not re.fullmatch(r"\d{11}", ruc or ""):
            return "0002", "Solo se permite dato numérico de 11 dígitos para el RUC", None
        if not number.isdigit() or int(number) <= 0:
            return "0010", "Número de comprobante no válido", None
        if ruc != user_ruc:
            return "0012", "No está autorizado a consultar comprobantes de este contribuyente", None
        with self._lock:
            record = self.state.documents.get(f"{ruc}-{doc_type}-{series}-{int(number)}")
            if record is None or not record.cdr_zip:
                return "0011", MESSAGES["0011"], None
            return "0004", "La constancia existe", record.cdr_zip

    # ------------------------------------------------------------------ helpers

    def _check_voided_lines(
        self, ruc: str, root: etree._Element, lines: list[dict[str, Any]]
    ) -> _Verdict | None:
        """SUNAT's server-side checks of an RA: each document registered and not voided
        (2105), issued on the RA's ReferenceDate (2375), and inside the baja window (2374)."""
        reference = _first_text(root, "cbc:ReferenceDate")
        issued = _first_text(root, "cbc:IssueDate")
        for line in lines:
            key = f"{ruc}-{line['doc_type']}-{line['series']}-{line['number']}"
            doc = self.state.documents.get(key)
            if doc is None or doc.status in ("anulado", "rechazado"):
                return _Verdict(response_code="2105", reason=MESSAGES["2105"])
            if doc.issue_date and doc.issue_date != reference:
                return _Verdict(response_code="2375", reason=self.descriptions["2375"])
            try:
                late = (
                    dt.date.fromisoformat(issued) - dt.date.fromisoformat(doc.issue_date)
                ).days > self.faults.baja_days
            except ValueError:
                late = False
            if late:
                return _Verdict(response_code="2374", reason=self.descriptions["2374"])
        return None

    def _apply_summary(self, record: TicketRecord) -> None:
        for line in record.lines:
            key = f"{record.ruc}-{line['doc_type']}-{line['series']}-{line['number']}"
            doc = self.state.documents.get(key)
            if record.kind in ("RA", "RR") or line.get("condition") == "3":
                if doc is not None:
                    doc.status = "anulado"
                    self._store.save("doc", key, doc)
                status = "anulado"
            elif line.get("condition") == "2":
                status = "modificado"
            else:
                status = "aceptado"
            entry = {
                "key": key,
                "ruc": record.ruc,
                **line,
                "status": status,
                "summary": record.filename,
                "ticket": record.ticket,
            }
            self.state.summary_lines[key] = entry
            self._store.save("line", key, entry)

    def _check_document_identity(
        self, root: etree._Element, ruc: str, doc_type: str, series: str, number: int
    ) -> None:
        kinds = {
            (UBL + "Invoice-2", "Invoice"): None,
            (UBL + "CreditNote-2", "CreditNote"): "07",
            (UBL + "DebitNote-2", "DebitNote"): "08",
        }
        qn = etree.QName(root)
        if (qn.namespace, qn.localname) not in kinds:
            raise SoapFault("0302")
        content_type = kinds[(qn.namespace, qn.localname)] or _first_text(
            root, "cbc:InvoiceTypeCode"
        )
        if content_type != doc_type:
            raise SoapFault("1003")
        if _issuer_ruc(root) != ruc:
            raise SoapFault("1034")
        ident = _first_text(root, "cbc:ID")
        c_series, _, c_number = ident.partition("-")
        if c_series != series:
            raise SoapFault("1035")
        if not c_number.isdigit() or int(c_number) != number:
            raise SoapFault("1036")
        rule = SERIES_RULES.get(doc_type)
        if rule is None or not rule.match(series) or not 1 <= number <= 99_999_999:
            raise SoapFault("1001")

    def _verify_signature(self, xml: bytes, root: etree._Element) -> _Verdict | None:
        """None when the signature is fine; a rejection verdict when it was altered."""
        sig = root.find(f".//{{{DS}}}Signature")
        cert_el = root.find(f".//{{{DS}}}Signature//{{{DS}}}X509Certificate")
        if sig is None or cert_el is None or not (cert_el.text or "").strip():
            raise SoapFault("1059")
        try:
            der = base64.b64decode("".join((cert_el.text or "").split()))
            cert = x509.load_der_x509_certificate(der)
        except (ValueError, binascii.Error):
            return _Verdict(response_code="2336", reason="Certificado ilegible en la firma")
        # Test certificates are self-signed and often expired: check the maths, not the chain.
        when = max(
            cert.not_valid_before_utc, min(dt.datetime.now(dt.UTC), cert.not_valid_after_utc)
        )
        config = SignatureConfiguration(
            require_x509=True,
            signature_methods=frozenset(SignatureMethod),
            digest_algorithms=frozenset(DigestAlgorithm),
            verification_time=when,
        )
        try:
            XMLVerifier().verify(xml, x509_cert=cert, expect_config=config)
        except InvalidSignature:
            return _Verdict(response_code="2335", reason=self.descriptions["2335"])
        except (SignxmlInvalidInput, ValueError) as exc:
            return _Verdict(response_code="2336", reason=f"Firma inválida: {exc}")
        return None

    def _run_rules(self, xml: bytes, stem: str, root: etree._Element) -> _Verdict:
        """XSD + SUNAT's XSL rules via validate.py, when the data folder is available."""
        if self.validator is None or self.sunat_data is None:
            return _Verdict()
        v = self.validator
        data_dir = str(self.sunat_data)
        doc = root.getroottree()
        info = v.detect(root)
        if info is None:
            raise SoapFault("0302")
        _rel, xsd_errors = v.check_xsd(doc, info, data_dir)
        if xsd_errors:
            raise SoapFault("0305", f"{MESSAGES['0305']}: {xsd_errors[0]}"[:500])
        _rel, errors, warnings, _note = v.check_rules(doc, info, data_dir, stem + ".xml", False)
        notes = [
            f"{code} - {self.descriptions.get(code) or msg}".strip()
            for code, msg in warnings
            if code.isdigit()
        ]
        for err in errors:
            code, _, msg = err.partition(":")
            code = code.strip()
            if code.isdigit():
                return _Verdict(
                    response_code=code.zfill(4) if int(code) < 2000 else code,
                    reason=self.descriptions.get(code) or msg.strip(),
                    notes=notes,
                )
        return _Verdict(notes=notes)


# --------------------------------------------------------------------------- XML helpers


def _is_exception(code: str) -> bool:
    return code.isdigit() and 0 < int(code) < 2000


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _unzip_single(stem: str, content_b64: str) -> bytes:
    try:
        raw = base64.b64decode("".join(content_b64.split()), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise SoapFault("0156") from exc
    if not raw:
        raise SoapFault("0155")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise SoapFault("0156") from exc
    with zf:
        entries = [i for i in zf.infolist() if not i.is_dir()]
        if not entries:
            raise SoapFault("0155")
        xmls = [i for i in entries if i.filename.lower().endswith(".xml")]
        if not xmls:
            raise SoapFault("0157")
        if len(xmls) > 1:
            raise SoapFault("0158")
        if xmls[0].filename != stem + ".xml":
            raise SoapFault("0161")
        try:
            data = zf.read(xmls[0])
        except (zipfile.BadZipFile, OSError) as exc:
            raise SoapFault("0156") from exc
    if not data.strip():
        raise SoapFault("0160", "El archivo XML esta vacio")
    return data


def _parse_xml(xml: bytes) -> etree._Element:
    try:
        return etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("0306", f"{MESSAGES['0306']}: {exc}") from exc


def _first_text(root: etree._Element, path: str) -> str:
    found = root.find(path, NS)
    return "".join(found.itertext()).strip() if found is not None else ""


def _issuer_ruc(root: etree._Element) -> str:
    return (
        _first_text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID")
        or _first_text(root, "cac:AccountingSupplierParty/cbc:CustomerAssignedAccountID")
        or _first_text(root, "cac:Signature/cac:SignatoryParty/cac:PartyIdentification/cbc:ID")
    )


def _recipient_id(root: etree._Element) -> str:
    party = root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyIdentification/cbc:ID", NS)
    if party is None or not (party.text or "").strip():
        return ""
    return f"{party.get('schemeID', '')}-{party.text.strip()}".lstrip("-")


def _summary_lines(root: etree._Element, kind: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    if kind == "RC":
        for line in root.findall("sac:SummaryDocumentsLine", NS):
            series, _, number = _first_text(line, "cbc:ID").partition("-")
            lines.append(
                {
                    "doc_type": _first_text(line, "cbc:DocumentTypeCode"),
                    "series": series,
                    "number": int(number) if number.isdigit() else number,
                    "condition": _first_text(line, "cac:Status/cbc:ConditionCode"),
                }
            )
    else:
        for line in root.findall("sac:VoidedDocumentsLine", NS):
            number = _first_text(line, "sac:DocumentNumberID")
            lines.append(
                {
                    "doc_type": _first_text(line, "cbc:DocumentTypeCode"),
                    "series": _first_text(line, "sac:DocumentSerialID"),
                    "number": int(number) if number.isdigit() else number,
                    "reason": _first_text(line, "sac:VoidReasonDescription"),
                }
            )
    return lines


def _soap_envelope(payload: etree._Element | None) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap-env": SOAP_ENV})
    etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    if payload is not None:
        body.append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def _response(operation: str, children: dict[str, str]) -> bytes:
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


def _xml_response(body: bytes, status: int = 200) -> Response:
    return Response(content=body, status_code=status, media_type="text/xml; charset=utf-8")


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
            envelope = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError:
            return _xml_response(fault_body(SoapFault("0306")), 500)
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        op_el = (
            next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
        )
        operation = etree.QName(op_el).localname if op_el is not None else ""
        if op_el is None or operation not in OPERATIONS:
            return _xml_response(
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
            return _xml_response(fault_body(fault), 500)
        params = {
            etree.QName(c).localname: (c.text or "").strip()
            for c in op_el
            if isinstance(c.tag, str)
        }
        username, password = _credentials(envelope)
        try:
            result = await run_in_threadpool(_dispatch, sim, operation, params, username, password)
        except SoapFault as fault:
            return _xml_response(fault_body(fault), 500)
        payload, drop = result
        if drop:
            return PlainTextResponse("Internal Server Error (simulado, ya registrado)", 500)
        return _xml_response(payload)

    return app


def _admin_error(loc: str, msg: str) -> JSONResponse:
    return JSONResponse(
        {"detail": [{"type": "invalid_input", "msg": msg, "loc": ["body", loc]}]},
        status_code=422,
    )


def _credentials(envelope: etree._Element) -> tuple[str | None, str | None]:
    token = envelope.find(f"{{{SOAP_ENV}}}Header/{{{WSSE_NS}}}Security/{{{WSSE_NS}}}UsernameToken")
    if token is None:
        return None, None
    user = (token.findtext(f"{{{WSSE_NS}}}Username") or "").strip()
    pwd = token.findtext(f"{{{WSSE_NS}}}Password") or ""
    return user or None, pwd or None


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
        return _response("sendBill", {"applicationResponse": _b64(cdr)}), drop
    if operation == "sendSummary":
        ticket, drop = sim.send_summary(
            user_ruc, params.get("fileName", ""), params.get("contentFile", "")
        )
        return _response("sendSummary", {"ticket": ticket}), drop
    if operation == "getStatus":
        code, content = sim.get_status(user_ruc, params.get("ticket", ""))
        children = {"statusCode": str(code)}
        if content is not None:
            children = {"content": _b64(content), "statusCode": str(code)}
        return _response("getStatus", children), False
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
    return _response("getStatusCdr", children), False


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
    "MESSAGES",
    "OPERATIONS",
    "DocRecord",
    "SimState",
    "Simulator",
    "SoapFault",
    "TicketRecord",
    "create_app",
    "fault_body",
    "load_validator",
    "run",
]
