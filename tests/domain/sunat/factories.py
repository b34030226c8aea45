"""Builders of SUNAT documents for the tests (fictitious RUCs with valid check digits)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from domain.sunat.catalogs import DocumentType, IdentityType, IgvAffectation, UnitCode
from domain.sunat.models import Address, Customer, Document, DocumentReference, Issuer, Line

D = Decimal
ISSUE_DATE = dt.date(2025, 3, 14)
ISSUE_TIME = dt.time(9, 41, 7)

ISSUER = Issuer(
    ruc="20100070970",
    legal_name="LABORATORIOS CLÍNICOS LABRED S.A.C.",
    trade_name="LabRed Perú",
    address=Address(
        ubigeo="150131",
        line="AV. JAVIER PRADO ESTE 1234, OF. 501",
        district="SAN ISIDRO",
        province="LIMA",
        department="LIMA",
        urbanization="CORPAC",
    ),
)
COMPANY = Customer(
    IdentityType.RUC, "20100066603", "CORPORACIÓN ANDINA DE SALUD S.A.", "JR. CUSCO 455, LIMA"
)
PERSON = Customer(IdentityType.DNI, "45678912", "MARÍA JOSEFINA ÑAHUI QUISPE")
ANONYMOUS = Customer.anonymous()

HEMOGRAMA = Line("HEM-001", "Hemograma completo automatizado", D("1"), D("35.00"))
GLUCOSA = Line("BIO-010", "Glucosa basal", D("1"), D("12.50"))
PERFIL = Line(
    "PRF-100", "Perfil lipídico (colesterol total, HDL, LDL, triglicéridos)", D("1"), D("89.90")
)


def doc(
    doc_type: DocumentType = DocumentType.BOLETA,
    lines: tuple[Line, ...] = (HEMOGRAMA, GLUCOSA),
    *,
    series: str | None = None,
    number: int = 1,
    customer: Customer | None = None,
    **kw: object,
) -> Document:
    if series is None:
        series = {"01": "F001", "03": "B001"}.get(doc_type.value, "F001")
    if customer is None:
        customer = COMPANY if series.startswith("F") else PERSON
    return Document(
        doc_type=doc_type,
        series=series,
        number=number,
        issue_date=ISSUE_DATE,
        issue_time=ISSUE_TIME,
        issuer=ISSUER,
        customer=customer,
        lines=lines,
        **kw,  # type: ignore[arg-type]
    )


def ref(doc_type: DocumentType = DocumentType.FACTURA, number: int = 7) -> DocumentReference:
    series = "F001" if doc_type == DocumentType.FACTURA else "B001"
    return DocumentReference(doc_type, series, number)


def line(
    price: str,
    qty: str = "1",
    aff: IgvAffectation = IgvAffectation.GRAVADO,
    *,
    discount: str = "0",
    includes_igv: bool = True,
    unit: UnitCode = UnitCode.ZZ,
    desc: str = "Examen de laboratorio",
) -> Line:
    return Line(
        code="LAB-" + price.replace(".", ""),
        description=desc,
        quantity=D(qty),
        unit_price=D(price),
        unit=unit,
        affectation=aff,
        price_includes_igv=includes_igv,
        discount=D(discount),
    )
