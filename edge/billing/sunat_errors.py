"""Errors of the SUNAT SOAP client and how a SOAP fault maps to them.

* a CDR is *always* returned as a :class:`~edge.billing.cdr_parser.CdrResult`, whatever its
  ResponseCode (0 accepted, ≥ 4000 observed, 2000–3999 rejected): it is SUNAT's legal answer
  and must be kept;
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

import re
from typing import Any

from domain.errors import Conflict, LabError, NotFound, RuleViolation, Unavailable

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


__all__ = [
    "ALREADY_REGISTERED_CODES",
    "SunatAlreadyRegistered",
    "SunatAuthError",
    "SunatError",
    "SunatNotFound",
    "SunatRejected",
    "SunatUnavailable",
    "extract_fault_code",
    "fault_to_error",
]
