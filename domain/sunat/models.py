"""The SUNAT document model: frozen dataclasses, money as ``Decimal``, no I/O.

Dates and times come from the caller (the domain has no clock). Amounts are in the
document currency (PEN). Totals are computed by :mod:`domain.sunat.totals`; business rules
are checked by :mod:`domain.sunat.rules`; XML is rendered by :mod:`domain.sunat.ubl`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from domain.sunat.catalogs import (
    CreditNoteReason,
    DebitNoteReason,
    DocumentType,
    IdentityType,
    IgvAffectation,
    PaymentMethod,
    SummaryCondition,
    UnitCode,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Address:
    """A fiscal address; ``ubigeo`` is INEI's 6-digit code (e.g. "150101" Lima)."""

    ubigeo: str
    line: str
    district: str = ""
    province: str = ""
    department: str = ""
    urbanization: str = ""
    country: str = "PE"


@dataclass(frozen=True)
class Issuer:
    """The company issuing the document (emisor)."""

    ruc: str
    legal_name: str
    trade_name: str = ""
    address: Address | None = None
    #: Código de establecimiento anexo (SUNAT's "0000" = domicilio fiscal).
    establishment_code: str = "0000"


@dataclass(frozen=True)
class Customer:
    """The buyer (adquiriente). An anonymous boleta buyer is ``Customer.anonymous()``."""

    doc_type: IdentityType
    doc_number: str
    name: str
    address: str = ""

    @classmethod
    def anonymous(cls, name: str = "CLIENTES VARIOS") -> Customer:
        return cls(IdentityType.SIN_DOCUMENTO, "-", name)

    @property
    def is_identified(self) -> bool:
        return self.doc_number.strip() not in ("", "-") and not (
            self.doc_type == IdentityType.SIN_DOCUMENTO and set(self.doc_number) <= {"0", "-"}
        )


@dataclass(frozen=True)
class Line:
    """One sold item.

    ``unit_price`` includes IGV when ``price_includes_igv`` (the lab's price list), else it
    is the value before IGV. For free items (affectation 11-16, 21, 31-37) it is the
    referential unit value/price and nothing is charged. ``discount`` is the line discount
    in the same terms as ``unit_price`` (IGV included or not), for the whole line.
    """

    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: UnitCode = UnitCode.ZZ
    affectation: IgvAffectation = IgvAffectation.GRAVADO
    price_includes_igv: bool = True
    discount: Decimal = ZERO


@dataclass(frozen=True)
class Installment:
    """A crédito installment (cuota): amount and due date."""

    amount: Decimal
    due_date: dt.date


@dataclass(frozen=True)
class PaymentTerms:
    """Forma de pago of a factura: contado, or crédito with installments."""

    method: PaymentMethod = PaymentMethod.CONTADO
    installments: tuple[Installment, ...] = ()

    @classmethod
    def contado(cls) -> PaymentTerms:
        return cls(PaymentMethod.CONTADO)

    @classmethod
    def credito(cls, *installments: Installment) -> PaymentTerms:
        return cls(PaymentMethod.CREDITO, tuple(installments))


@dataclass(frozen=True)
class Detraccion:
    """Detracción block (SPOT): goods/services code (cat. 54), rate, Banco de la Nación account.

    ``amount`` is computed from the rate and the document total when left ``None``.
    """

    account: str
    code: str = "037"  # demás servicios gravados con el IGV
    percent: Decimal = Decimal("12")
    amount: Decimal | None = None
    payment_means_code: str = "001"  # cat. 59: depósito en cuenta


@dataclass(frozen=True)
class DocumentReference:
    """The document a note modifies (or a summary line's original)."""

    doc_type: DocumentType
    series: str
    number: int

    @property
    def id(self) -> str:
        return f"{self.series}-{self.number}"


@dataclass(frozen=True)
class Document:
    """Factura (01), boleta (03), nota de crédito (07) or nota de débito (08)."""

    doc_type: DocumentType
    series: str
    number: int
    issue_date: dt.date
    issuer: Issuer
    customer: Customer
    lines: tuple[Line, ...]
    issue_time: dt.time | None = None
    currency: str = "PEN"
    #: Global discount, IGV included, applied to the taxed (gravado) base when there is one.
    global_discount: Decimal = ZERO
    payment_terms: PaymentTerms | None = None
    detraccion: Detraccion | None = None
    due_date: dt.date | None = None
    #: For notes: the modified document, the reason (cat. 09 / 10) and its description.
    reference: DocumentReference | None = None
    note_reason: CreditNoteReason | DebitNoteReason | None = None
    note_description: str = ""
    #: Extra free-text observations printed and sent as cbc:Note without a legend code.
    observations: str = ""

    @property
    def id(self) -> str:
        """Series-number as SUNAT writes it in cbc:ID ("F001-1", no zero padding)."""
        return f"{self.series}-{self.number}"

    @property
    def is_note(self) -> bool:
        return self.doc_type in (DocumentType.NOTA_CREDITO, DocumentType.NOTA_DEBITO)


@dataclass(frozen=True)
class SummaryLine:
    """One boleta (or note on a boleta) reported in a resumen diario.

    Amounts are the document's totals (see :func:`summary_line_from_document`).
    """

    doc_type: DocumentType
    series: str
    number: int
    condition: SummaryCondition
    customer_doc_type: IdentityType
    customer_doc_number: str
    total: Decimal
    gravado: Decimal = ZERO
    exonerado: Decimal = ZERO
    inafecto: Decimal = ZERO
    gratuito: Decimal = ZERO
    igv: Decimal = ZERO
    global_discount: Decimal = ZERO
    currency: str = "PEN"
    reference: DocumentReference | None = None

    @property
    def id(self) -> str:
        return f"{self.series}-{self.number}"


@dataclass(frozen=True)
class SummaryDocument:
    """Resumen diario de boletas (RC-YYYYMMDD-n)."""

    issuer: Issuer
    issue_date: dt.date
    reference_date: dt.date
    correlative: int
    lines: tuple[SummaryLine, ...]

    @property
    def id(self) -> str:
        return f"RC-{self.issue_date:%Y%m%d}-{self.correlative}"


@dataclass(frozen=True)
class VoidedLine:
    """A factura (or note on a factura) to void in a comunicación de baja."""

    doc_type: DocumentType
    series: str
    number: int
    reason: str


@dataclass(frozen=True)
class VoidedDocument:
    """Comunicación de baja (RA-YYYYMMDD-n)."""

    issuer: Issuer
    issue_date: dt.date
    reference_date: dt.date
    correlative: int
    lines: tuple[VoidedLine, ...] = field(default_factory=tuple)

    @property
    def id(self) -> str:
        return f"RA-{self.issue_date:%Y%m%d}-{self.correlative}"


__all__ = [
    "Address",
    "Customer",
    "Detraccion",
    "Document",
    "DocumentReference",
    "Installment",
    "Issuer",
    "Line",
    "PaymentTerms",
    "SummaryDocument",
    "SummaryLine",
    "VoidedDocument",
    "VoidedLine",
]
