"""Line and document totals, to the céntimo, the way SUNAT's validation rules recompute them.

Conventions (all amounts ``Decimal``, rounded with :func:`domain.money.q2`):

* A taxed line priced IGV included (the lab's price list) keeps its charged total exact:
  ``total = q2(price × qty) − discount``, ``value = q2(total / 1.18)``, ``igv = total − value``.
  A line priced before IGV computes ``igv = q2(value × 0.18)``. Either way
  ``value + igv == total`` and ``|igv − value × 0.18| < 0.01`` (rules 3103, 4288, 4287).
* A line discount is reported as catálogo 53 code ``00`` (affects the base), in value terms.
* Exonerated (20) and unaffected (30) lines carry no IGV: ``total == value``.
* Free lines (11-16, 21, 31-37) charge nothing; their referential value is reported under
  tax scheme 9996 and, for 11-16, the IGV that would apply (not charged).
* A global discount (IGV included, what the customer sees) is applied to the taxed part as
  code ``02`` (affects the IGV base): the taxed total drops by exactly the discount and its
  IGV is recomputed from it (rules 3291/4290, 4309, 3279). A document without taxed lines
  reports it as code ``03`` (does not affect the base), subtracted from the payable amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput
from domain.money import IGV_RATE, q2
from domain.pricing import allocate
from domain.sunat.catalogs import DiscountCode, PriceType, TaxKind
from domain.sunat.models import Document, Line

ZERO = Decimal("0.00")
_PRICE_PLACES = Decimal("0.0000000001")  # SUNAT accepts up to 10 decimals in unit prices


def unit_amount(value: Decimal) -> Decimal:
    """A per-unit amount with up to 10 decimals, trailing zeros trimmed to at least 2."""
    v = value.quantize(_PRICE_PLACES).normalize()
    exponent = v.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        return v.quantize(Decimal("0.01"))
    return v


@dataclass(frozen=True)
class LineTotals:
    """Everything the XML and the printed copy need for one line."""

    line: Line
    kind: TaxKind
    #: cac:Price/PriceAmount: value per unit before discount, IGV excluded (0 on free lines).
    unit_value: Decimal
    #: cac:PricingReference price: IGV-included price per unit after discount (type 01),
    #: or the referential unit value of a free line (type 02).
    unit_price: Decimal
    price_type: PriceType
    #: Value before the line discount, IGV excluded.
    gross_value: Decimal
    #: Line discount in value terms (catálogo 53 code 00).
    discount_value: Decimal
    #: cbc:LineExtensionAmount (value after discount, IGV excluded; referential if free).
    value: Decimal
    #: IGV of the line (for free 11-16 lines: the IGV that would apply, not charged).
    igv: Decimal
    #: Amount charged for the line, IGV included (0 on free lines).
    total: Decimal
    rate: Decimal

    @property
    def percent(self) -> Decimal:
        return q2(self.rate * 100)


@dataclass(frozen=True)
class DocumentTotals:
    lines: tuple[LineTotals, ...]
    rate: Decimal
    #: Taxed base after the global discount (document TaxSubtotal 1000 TaxableAmount).
    gravado: Decimal
    exonerado: Decimal
    inafecto: Decimal
    #: Referential value of free lines (TaxSubtotal 9996 TaxableAmount).
    gratuito: Decimal
    #: IGV charged (TaxSubtotal 1000 TaxAmount).
    igv: Decimal
    #: IGV that would apply to free 11-16 lines (TaxSubtotal 9996 TaxAmount, not charged).
    igv_gratuito: Decimal
    #: Sum of the taxed lines' values before the global discount.
    gravado_lines: Decimal
    #: Global discount, IGV included, as the customer sees it.
    global_discount: Decimal
    #: Catálogo 53 code of the global discount (02 or 03), None without one.
    global_discount_code: DiscountCode | None
    #: Amount reported in cac:AllowanceCharge/cbc:Amount for the global discount.
    global_discount_amount: Decimal
    #: Base of that AllowanceCharge (cbc:BaseAmount).
    global_discount_base: Decimal
    #: Sum of line discounts, IGV included (informative, for the printed copy).
    line_discounts: Decimal
    #: LegalMonetaryTotal/LineExtensionAmount.
    line_extension: Decimal
    #: LegalMonetaryTotal/TaxInclusiveAmount.
    tax_inclusive: Decimal
    #: LegalMonetaryTotal/AllowanceTotalAmount (discounts not affecting the base, code 03).
    allowance_total: Decimal
    #: LegalMonetaryTotal/PayableAmount: what the customer pays.
    payable: Decimal

    @property
    def total_tax(self) -> Decimal:
        """TaxTotal/TaxAmount of the document (free-line IGV is not charged)."""
        return self.igv

    @property
    def has_free_lines(self) -> bool:
        return any(lt.kind == TaxKind.GRATUITO for lt in self.lines)

    @property
    def discount_factor(self) -> Decimal:
        if not self.global_discount_base:
            return ZERO
        return (self.global_discount_amount / self.global_discount_base).quantize(
            Decimal("0.00001")
        )


def _invalid(msg: str, code: str, loc: list[str | int]) -> InvalidInput:
    return InvalidInput(msg, code=code, loc=loc)


def compute_line(line: Line, rate: Decimal = IGV_RATE, *, index: int = 0) -> LineTotals:
    """Totals of one line; raises :class:`InvalidInput` on impossible quantities/amounts."""
    loc: list[str | int] = ["lines", index]
    if not line.quantity.is_finite() or line.quantity <= 0:
        raise _invalid("La cantidad debe ser mayor que cero.", "line_quantity", [*loc, "quantity"])
    if not line.unit_price.is_finite() or line.unit_price < 0:
        raise _invalid(
            "El precio unitario no puede ser negativo.", "line_price", [*loc, "unit_price"]
        )
    if not line.discount.is_finite() or line.discount < 0:
        raise _invalid("El descuento no puede ser negativo.", "line_discount", [*loc, "discount"])
    kind = line.affectation.kind
    qty = line.quantity
    discount = q2(line.discount)
    divisor = 1 + rate
    if kind == TaxKind.GRATUITO:
        if discount:
            raise _invalid(
                "Un ítem gratuito no admite descuento.", "line_discount_free", [*loc, "discount"]
            )
        if line.unit_price <= 0:
            raise _invalid("Un ítem gratuito requiere su valor referencial.", "line_price", [*loc])
        taxed = line.affectation.is_igv_taxed
        gross = q2(line.unit_price * qty)
        value = q2(gross / divisor) if (taxed and line.price_includes_igv) else gross
        igv = q2(value * rate) if taxed else ZERO
        return LineTotals(
            line=line,
            kind=kind,
            unit_value=ZERO,
            unit_price=unit_amount(value / qty),
            price_type=PriceType.REFERENTIAL,
            gross_value=value,
            discount_value=ZERO,
            value=value,
            igv=igv,
            total=ZERO,
            rate=rate,
        )
    if kind == TaxKind.GRAVADO and line.price_includes_igv:
        gross_total = q2(line.unit_price * qty)
        if discount > gross_total:
            raise _invalid(
                "El descuento supera el importe del ítem.", "line_discount", [*loc, "discount"]
            )
        total = gross_total - discount
        value = q2(total / divisor)
        igv = total - value
        gross_value = q2(gross_total / divisor)
    else:
        gross_value = q2(line.unit_price * qty)
        if discount > gross_value:
            raise _invalid(
                "El descuento supera el importe del ítem.", "line_discount", [*loc, "discount"]
            )
        value = gross_value - discount
        igv = q2(value * rate) if kind == TaxKind.GRAVADO else ZERO
        total = value + igv
    return LineTotals(
        line=line,
        kind=kind,
        unit_value=unit_amount(gross_value / qty),
        unit_price=unit_amount(total / qty),
        price_type=PriceType.UNIT_PRICE,
        gross_value=gross_value,
        discount_value=gross_value - value,
        value=value,
        igv=igv,
        total=total,
        rate=rate,
    )


def compute_totals(
    lines: Iterable[Line], global_discount: Decimal = ZERO, rate: Decimal = IGV_RATE
) -> DocumentTotals:
    """Totals of a document's lines plus its global discount (IGV included)."""
    lts = tuple(compute_line(line, rate, index=i) for i, line in enumerate(lines))
    if not lts:
        raise _invalid("El comprobante debe tener al menos un ítem.", "lines_empty", ["lines"])
    if not global_discount.is_finite() or global_discount < 0:
        raise _invalid(
            "El descuento global no puede ser negativo.", "global_discount", ["global_discount"]
        )
    global_discount = q2(global_discount)

    def total_of(kind: TaxKind, attr: str) -> Decimal:
        return sum((getattr(lt, attr) for lt in lts if lt.kind == kind), ZERO)

    gravado_lines = total_of(TaxKind.GRAVADO, "value")
    gravado_total = total_of(TaxKind.GRAVADO, "total")
    gravado_igv = total_of(TaxKind.GRAVADO, "igv")
    exonerado = total_of(TaxKind.EXONERADO, "value")
    inafecto = total_of(TaxKind.INAFECTO, "value")
    gratuito = total_of(TaxKind.GRATUITO, "value")
    igv_gratuito = total_of(TaxKind.GRATUITO, "igv")
    line_discounts = sum((q2(lt.line.discount) for lt in lts if lt.kind != TaxKind.GRATUITO), ZERO)

    code: DiscountCode | None = None
    disc_amount = ZERO
    disc_base = ZERO
    allowance_total = ZERO
    gravado, igv = gravado_lines, gravado_igv
    if global_discount:
        if gravado_lines > 0:
            if global_discount >= gravado_total:
                raise _invalid(
                    "El descuento global debe ser menor que el total de las operaciones gravadas.",
                    "global_discount",
                    ["global_discount"],
                )
            new_total = gravado_total - global_discount
            gravado = q2(new_total / (1 + rate))
            igv = new_total - gravado
            code = DiscountCode.GLOBAL_AFFECTS_BASE
            disc_amount = gravado_lines - gravado
            disc_base = gravado_lines
        else:
            base = exonerado + inafecto
            if global_discount >= base:
                raise _invalid(
                    "El descuento global debe ser menor que el total del comprobante.",
                    "global_discount",
                    ["global_discount"],
                )
            code = DiscountCode.GLOBAL_NOT_AFFECTS_BASE
            disc_amount = global_discount
            disc_base = base
            allowance_total = global_discount

    line_extension = gravado + exonerado + inafecto
    tax_inclusive = line_extension + igv
    payable = tax_inclusive - allowance_total
    return DocumentTotals(
        lines=lts,
        rate=rate,
        gravado=gravado,
        exonerado=exonerado,
        inafecto=inafecto,
        gratuito=gratuito,
        igv=igv,
        igv_gratuito=igv_gratuito,
        gravado_lines=gravado_lines,
        global_discount=global_discount,
        global_discount_code=code,
        global_discount_amount=disc_amount,
        global_discount_base=disc_base,
        line_discounts=line_discounts,
        line_extension=line_extension,
        tax_inclusive=tax_inclusive,
        allowance_total=allowance_total,
        payable=payable,
    )


def document_totals(doc: Document, rate: Decimal = IGV_RATE) -> DocumentTotals:
    """Totals of a :class:`Document`."""
    return compute_totals(doc.lines, doc.global_discount, rate)


#: The smallest charged total of a taxed line whose IGV does not round to 0.00 (SUNAT 3111).
MIN_TAXED_LINE = Decimal("0.04")


def spread_discount(line_totals: list[Decimal], discount: Decimal) -> list[Decimal]:
    """Split a document's global discount over its lines' charged totals, to the céntimo.

    A total nota de crédito carries no global discount (SUNAT recomputes IGV per line), so the
    original's is folded into its lines. The shares add up to ``discount`` exactly and never
    exceed their line (largest remainder); a line the split would leave at S/ 0.01-0.03 (IGV
    0.00, rejected with 3111) is credited to zero instead, the difference taken off the line
    with the largest share.
    """
    if not discount or not sum(line_totals, ZERO):
        return [ZERO for _ in line_totals]
    shares = list(allocate(discount, line_totals))
    for i, total in enumerate(line_totals):
        left = total - shares[i]
        if ZERO < left < MIN_TAXED_LINE:
            j = max(range(len(shares)), key=lambda k: (shares[k], -k))
            if (
                j != i
                and shares[j] - left >= ZERO
                and line_totals[j] - shares[j] + left >= MIN_TAXED_LINE
            ):
                shares[i] = total
                shares[j] -= left
    return shares


def detraccion_amount(doc: Document, totals: DocumentTotals) -> Decimal:
    """Detracción amount: the one given, else ``q2(payable × percent / 100)``."""
    if doc.detraccion is None:
        return ZERO
    if doc.detraccion.amount is not None:
        return q2(doc.detraccion.amount)
    return q2(totals.payable * doc.detraccion.percent / 100)


def net_payable(doc: Document, totals: DocumentTotals) -> Decimal:
    """What the customer pays the issuer: payable minus the detracción (deposited apart)."""
    return totals.payable - detraccion_amount(doc, totals)


__all__ = [
    "MIN_TAXED_LINE",
    "DocumentTotals",
    "LineTotals",
    "compute_line",
    "compute_totals",
    "detraccion_amount",
    "document_totals",
    "net_payable",
    "spread_discount",
    "unit_amount",
]
