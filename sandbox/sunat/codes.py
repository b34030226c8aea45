"""SUNAT's error codes as the simulator answers them: the texts of the codes it emits itself,
the SOAP fault carrying one, and which codes are faults rather than CDRs."""

from __future__ import annotations

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


def is_exception(code: str) -> bool:
    return code.isdigit() and 0 < int(code) < 2000
