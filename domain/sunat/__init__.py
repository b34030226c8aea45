"""SUNAT e-invoicing, pure: document model, totals, rules, UBL rendering, signing, QR.

Typical use at the edge (the service owns I/O, numbering and the transaction)::

    from domain.sunat import Signer, check_document, build_document, qr_payload_for

    signer = Signer.from_pkcs12(p12_bytes, password)        # once per process
    totals = check_document(doc, remaining=..., detraccion_enabled=...)  # before numbering
    signed = signer.sign_tree(build_document(doc, totals))  # or signer.sign(render(doc))
    signed.xml, signed.digest_value                          # keep the exact bytes
    qr_payload_for(doc, signed.digest_value, totals)
"""

from domain.sunat.catalogs import (
    CreditNoteReason,
    DebitNoteReason,
    DocumentType,
    IdentityType,
    IgvAffectation,
    LegendCode,
    PaymentMethod,
    SummaryCondition,
    TaxScheme,
    UnitCode,
)
from domain.sunat.models import (
    Address,
    Customer,
    Detraccion,
    Document,
    DocumentReference,
    Installment,
    Issuer,
    Line,
    PaymentTerms,
    SummaryDocument,
    SummaryLine,
    VoidedDocument,
    VoidedLine,
)
from domain.sunat.qr import qr_payload, qr_payload_for, qr_png, qr_svg
from domain.sunat.rules import (
    check_document,
    check_summary,
    check_voided,
    detraccion_applies,
    restate_installments,
)
from domain.sunat.signing import (
    SignatureAlgorithm,
    SignatureError,
    SignedDocument,
    SignEngine,
    Signer,
    verify,
)
from domain.sunat.totals import DocumentTotals, LineTotals, compute_totals, document_totals
from domain.sunat.ubl import (
    build_document,
    build_summary,
    build_voided,
    filename_for,
    render,
    render_document,
    render_summary,
    render_voided,
    summary_line_from_document,
    sunat_filename,
)

__all__ = [
    "Address",
    "CreditNoteReason",
    "Customer",
    "DebitNoteReason",
    "Detraccion",
    "Document",
    "DocumentReference",
    "DocumentTotals",
    "DocumentType",
    "IdentityType",
    "IgvAffectation",
    "Installment",
    "Issuer",
    "LegendCode",
    "Line",
    "LineTotals",
    "PaymentMethod",
    "PaymentTerms",
    "SignEngine",
    "SignatureAlgorithm",
    "SignatureError",
    "SignedDocument",
    "Signer",
    "SummaryCondition",
    "SummaryDocument",
    "SummaryLine",
    "TaxScheme",
    "UnitCode",
    "VoidedDocument",
    "VoidedLine",
    "build_document",
    "build_summary",
    "build_voided",
    "check_document",
    "check_summary",
    "check_voided",
    "compute_totals",
    "detraccion_applies",
    "document_totals",
    "filename_for",
    "qr_payload",
    "qr_payload_for",
    "qr_png",
    "qr_svg",
    "render",
    "render_document",
    "render_summary",
    "render_voided",
    "restate_installments",
    "summary_line_from_document",
    "sunat_filename",
    "verify",
]
