"""What travels inside the SUNAT SOAP calls.

Outbound, the XML travels zipped: ``<RUC>-<TT>-<SERIE>-<NUMERO>.zip`` holding ``<same>.xml``
(summaries ``<RUC>-RC-YYYYMMDD-N``), base64 in ``contentFile``. Inbound, a CDR zip arrives base64
in ``applicationResponse`` / ``content`` and a ticket's ``getStatus`` answer is a
:class:`StatusResult`.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass

from edge.billing.cdr_parser import CdrParseError, CdrResult, parse_cdr_zip
from edge.billing.sunat_errors import SunatUnavailable


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


def check_name(filename: str, *, summary: bool) -> str:
    stem = _stem(filename)
    pattern = _SUMMARY_NAME if summary else _DOC_NAME
    if not pattern.match(stem):
        what = "RUC-RC|RA-YYYYMMDD-N" if summary else "RUC-TT-SERIE-NUMERO"
        raise ValueError(f"nombre de archivo {filename!r} no sigue el formato {what}")
    return stem


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def parse_cdr_b64(content: str) -> CdrResult:
    try:
        raw = base64.b64decode("".join(content.split()), validate=True)
        return parse_cdr_zip(raw)
    except (ValueError, CdrParseError) as exc:
        raise SunatUnavailable(None, f"CDR ilegible: {exc}", maybe_delivered=True) from exc


__all__ = [
    "StatusResult",
    "b64",
    "build_zip",
    "check_name",
    "document_name",
    "parse_cdr_b64",
    "summary_name",
]
