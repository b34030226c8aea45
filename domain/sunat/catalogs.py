"""SUNAT catalogues (catálogos) used by the documents we emit.

Only the codes the lab chain needs; values are the codes SUNAT publishes
(``shared/sunat/xsl/commons/cpe/catalogo/cat_NN.xml``).
"""

from __future__ import annotations

from enum import StrEnum


class DocumentType(StrEnum):
    """Catálogo 01: tipo de documento."""

    FACTURA = "01"
    BOLETA = "03"
    NOTA_CREDITO = "07"
    NOTA_DEBITO = "08"

    @property
    def label(self) -> str:
        return _DOC_LABELS[self]

    @property
    def short_label(self) -> str:
        """The name on screens and in reports: "Boleta", "Nota de crédito"."""
        return _DOC_SHORT_LABELS[self]

    @property
    def series_letter(self) -> str | None:
        """First letter of an electronic series of this type (notes take the original's)."""
        return {"01": "F", "03": "B"}.get(self.value)


_DOC_LABELS = {
    DocumentType.FACTURA: "FACTURA ELECTRÓNICA",
    DocumentType.BOLETA: "BOLETA DE VENTA ELECTRÓNICA",
    DocumentType.NOTA_CREDITO: "NOTA DE CRÉDITO ELECTRÓNICA",
    DocumentType.NOTA_DEBITO: "NOTA DE DÉBITO ELECTRÓNICA",
}

_DOC_SHORT_LABELS = {
    DocumentType.FACTURA: "Factura",
    DocumentType.BOLETA: "Boleta",
    DocumentType.NOTA_CREDITO: "Nota de crédito",
    DocumentType.NOTA_DEBITO: "Nota de débito",
}


def doc_type_label(code: str) -> str:
    """The short Spanish name of a catálogo 01 code (the code itself when unknown)."""
    try:
        return DocumentType(code).short_label
    except ValueError:
        return code


class IdentityType(StrEnum):
    """Catálogo 06: tipo de documento de identidad."""

    SIN_DOCUMENTO = "0"  # doc. tributario no domiciliado sin RUC; also the anonymous buyer
    DNI = "1"
    CARNET_EXTRANJERIA = "4"
    RUC = "6"
    PASAPORTE = "7"
    CEDULA_DIPLOMATICA = "A"
    DOC_PAIS_RESIDENCIA = "B"
    TIN = "C"
    IN = "D"
    TAM = "E"
    PTP = "F"
    SALVOCONDUCTO = "G"


class TaxScheme(StrEnum):
    """Catálogo 05: códigos de tributos (the ones used here)."""

    IGV = "1000"
    GRA = "9996"
    EXO = "9997"
    INA = "9998"

    @property
    def scheme_name(self) -> str:
        return {"1000": "IGV", "9996": "GRA", "9997": "EXO", "9998": "INA"}[self.value]

    @property
    def type_code(self) -> str:
        """UN/ECE 5153 tax type code."""
        return {"1000": "VAT", "9996": "FRE", "9997": "VAT", "9998": "FRE"}[self.value]

    @property
    def category(self) -> str:
        """UN/ECE 5305 tax category code."""
        return {"1000": "S", "9996": "Z", "9997": "E", "9998": "O"}[self.value]


class TaxKind(StrEnum):
    """How a line is taxed, for the document totals."""

    GRAVADO = "gravado"
    EXONERADO = "exonerado"
    INAFECTO = "inafecto"
    GRATUITO = "gratuito"


class IgvAffectation(StrEnum):
    """Catálogo 07: tipo de afectación del IGV."""

    GRAVADO = "10"
    GRAVADO_RETIRO_PREMIO = "11"
    GRAVADO_RETIRO_DONACION = "12"
    GRAVADO_RETIRO = "13"
    GRAVADO_RETIRO_PUBLICIDAD = "14"
    GRAVADO_BONIFICACION = "15"
    GRAVADO_RETIRO_TRABAJADORES = "16"
    EXONERADO = "20"
    EXONERADO_GRATUITO = "21"
    INAFECTO = "30"
    INAFECTO_BONIFICACION = "31"
    INAFECTO_RETIRO = "32"
    INAFECTO_MUESTRAS_MEDICAS = "33"
    INAFECTO_CONVENIO_COLECTIVO = "34"
    INAFECTO_RETIRO_PREMIO = "35"
    INAFECTO_RETIRO_PUBLICIDAD = "36"
    INAFECTO_GRATUITO = "37"

    @property
    def is_free(self) -> bool:
        """A free transfer (transferencia gratuita): value referential, nothing charged."""
        return self.value not in ("10", "20", "30")

    @property
    def is_igv_taxed(self) -> bool:
        """IGV applies to the (possibly referential) value: 10 and the free 11-16."""
        return self.value.startswith("1")

    @property
    def kind(self) -> TaxKind:
        if self.is_free:
            return TaxKind.GRATUITO
        return {"10": TaxKind.GRAVADO, "20": TaxKind.EXONERADO, "30": TaxKind.INAFECTO}[self.value]

    @property
    def tax_scheme(self) -> TaxScheme:
        if self.is_free:
            return TaxScheme.GRA
        return {"10": TaxScheme.IGV, "20": TaxScheme.EXO, "30": TaxScheme.INA}[self.value]

    @property
    def tax_category(self) -> str:
        """UN/ECE 5305 category of the line: S taxed, E exempt, O outside scope."""
        return {"1": "S", "2": "E", "3": "O"}[self.value[0]]


class UnitCode(StrEnum):
    """Catálogo 03 (UN/ECE rec 20), the two units used: goods and services."""

    NIU = "NIU"  # unidad (bienes)
    ZZ = "ZZ"  # unidad (servicios)


class CreditNoteReason(StrEnum):
    """Catálogo 09: tipo de nota de crédito."""

    ANULACION_OPERACION = "01"
    ANULACION_ERROR_RUC = "02"
    CORRECCION_DESCRIPCION = "03"
    DESCUENTO_GLOBAL = "04"
    DESCUENTO_ITEM = "05"
    DEVOLUCION_TOTAL = "06"
    DEVOLUCION_ITEM = "07"
    BONIFICACION = "08"
    DISMINUCION_VALOR = "09"
    OTROS_CONCEPTOS = "10"
    AJUSTE_EXPORTACION = "11"
    AJUSTE_IVAP = "12"
    AJUSTE_MONTOS_FECHAS_PAGO = "13"

    @property
    def label(self) -> str:
        return _CN_LABELS[self.value]


_CN_LABELS = {
    "01": "Anulación de la operación",
    "02": "Anulación por error en el RUC",
    "03": "Corrección por error en la descripción",
    "04": "Descuento global",
    "05": "Descuento por ítem",
    "06": "Devolución total",
    "07": "Devolución por ítem",
    "08": "Bonificación",
    "09": "Disminución en el valor",
    "10": "Otros conceptos",
    "11": "Ajustes de operaciones de exportación",
    "12": "Ajustes afectos al IVAP",
    "13": "Ajustes - montos y/o fechas de pago",
}


class DebitNoteReason(StrEnum):
    """Catálogo 10: tipo de nota de débito."""

    INTERESES_MORA = "01"
    AUMENTO_VALOR = "02"
    PENALIDADES = "03"
    AJUSTE_EXPORTACION = "11"
    AJUSTE_IVAP = "12"

    @property
    def label(self) -> str:
        return _DN_LABELS[self.value]


_DN_LABELS = {
    "01": "Intereses por mora",
    "02": "Aumento en el valor",
    "03": "Penalidades / otros conceptos",
    "11": "Ajustes de operaciones de exportación",
    "12": "Ajustes afectos al IVAP",
}


class LegendCode(StrEnum):
    """Catálogo 52: leyendas."""

    MONTO_EN_LETRAS = "1000"
    TRANSFERENCIA_GRATUITA = "1002"
    DETRACCION = "2006"


LEGEND_TEXTS = {
    LegendCode.TRANSFERENCIA_GRATUITA: "TRANSFERENCIA GRATUITA DE UN BIEN Y/O SERVICIO PRESTADO"
    " GRATUITAMENTE",
    LegendCode.DETRACCION: "Operación sujeta a detracción",
}


class SummaryCondition(StrEnum):
    """Estado del ítem en el resumen diario (catálogo 19)."""

    ADD = "1"
    MODIFY = "2"
    VOID = "3"


class PaymentMethod(StrEnum):
    """Forma de pago of a factura (cac:PaymentTerms FormaPago)."""

    CONTADO = "Contado"
    CREDITO = "Credito"


class OperationType(StrEnum):
    """Catálogo 51: tipo de operación (InvoiceTypeCode/@listID)."""

    VENTA_INTERNA = "0101"
    SUJETA_DETRACCION = "1001"


class DiscountCode(StrEnum):
    """Catálogo 53: cargos y descuentos (the ones used)."""

    LINE_AFFECTS_BASE = "00"
    GLOBAL_AFFECTS_BASE = "02"
    GLOBAL_NOT_AFFECTS_BASE = "03"


class PriceType(StrEnum):
    """Catálogo 16: tipo de precio."""

    UNIT_PRICE = "01"  # precio unitario (incluye el IGV)
    REFERENTIAL = "02"  # valor referencial unitario en operaciones no onerosas


__all__ = [
    "LEGEND_TEXTS",
    "CreditNoteReason",
    "DebitNoteReason",
    "DiscountCode",
    "DocumentType",
    "IdentityType",
    "IgvAffectation",
    "LegendCode",
    "OperationType",
    "PaymentMethod",
    "PriceType",
    "SummaryCondition",
    "TaxKind",
    "TaxScheme",
    "UnitCode",
    "doc_type_label",
]
