"""Sample labels for a label printer: 50 × 25 mm, as PDF (any printer) or ZPL (Zebra).

Each label shows the patient (surnames, names), document, order number, tube, sample type and
the sample's Code 128 barcode with its human-readable text; an urgent order's tubes carry
"URGENTE" in white on black at the end of the tube line (the patient's name keeps its width).
Bars come from ``domain.barcode`` and are drawn as rectangles (fpdf2 has no Code 128); the module
width is a whole number of 203-dpi dots (0.125 mm) so thermal printers render every bar the same
width. ZPL uses the printer's own ``^BC`` Code 128 in automatic mode at 2 dots per module.

Text: the PDF embeds the Unicode font of :mod:`sync.pdffonts` (β-HCG prints as such). ZPL
declares UTF-8 (``^CI28``) but prints with the printer's resident font 0, which covers Latin-1
and not Greek or math signs, so its fields are transliterated (β → "beta", ≥ → ">=").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.barcode import QUIET_ZONE, human_readable, modules
from sync.pdffonts import PdfFonts, prepare, transliterate

if TYPE_CHECKING:
    from fpdf import FPDF

LABEL_W_MM = 50.0
LABEL_H_MM = 25.0
MARGIN_MM = 1.5
DOTS_PER_MM = 8  # 203 dpi
ZPL_WIDTH = int(LABEL_W_MM * DOTS_PER_MM)  # 400 dots
ZPL_HEIGHT = int(LABEL_H_MM * DOTS_PER_MM)  # 200 dots
ZPL_MODULE_DOTS = 2
URGENT = "URGENTE"
URGENT_BOX_MM = 12.0  # the reversed "URGENTE" at the right of the tube line (PDF)
ZPL_URGENT_DOTS = 88  # the same box in ZPL


@dataclass(frozen=True)
class LabelData:
    patient_name: str
    document: str
    order_number: str
    tube: str
    sample_type: str
    barcode: str
    urgent: bool = False  # the order's priority is "urgente"


def _fit(pdf: FPDF, fonts: PdfFonts, text: str, width: float) -> str:
    text = fonts.text(text)
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "...") > width:
        text = text[:-1]
    return text.rstrip() + "..."


def module_mm(n_modules: int, available_mm: float) -> float:
    """Widest module (a multiple of 0.125 mm, at most 0.375 mm) that fits with quiet zones."""
    for dots in (3, 2, 1):
        width = dots / DOTS_PER_MM
        if width * (n_modules + 2 * QUIET_ZONE) <= available_mm:
            return width
    return available_mm / (n_modules + 2 * QUIET_ZONE)


def _draw_barcode(pdf: FPDF, code: str, *, y: float, height: float) -> None:
    widths = modules(code)
    module = module_mm(sum(widths), LABEL_W_MM - 2 * MARGIN_MM)
    x = (LABEL_W_MM - sum(widths) * module) / 2
    for i, w in enumerate(widths):
        if i % 2 == 0:  # bars at even positions, spaces between
            pdf.rect(x, y, w * module, height, style="F")
        x += w * module


def _draw_urgent(pdf: FPDF, fonts: PdfFonts) -> None:
    """White bold "URGENTE" on a black box at the right of the tube line."""
    pdf.set_font(fonts.family, "B", 7)
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(LABEL_W_MM - MARGIN_MM - URGENT_BOX_MM, 6.5)
    pdf.cell(URGENT_BOX_MM, 2.9, URGENT, align="C", fill=True)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(fonts.family, "", 6)


def render_pdf(labels: Sequence[LabelData]) -> bytes:
    """One 50 × 25 mm page per label."""
    from fpdf import FPDF  # imported when labels are printed: it slows every start of the node

    pdf = FPDF(orientation="P", unit="mm", format=(LABEL_W_MM, LABEL_H_MM))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_creator("labred")
    pdf.set_title("Etiquetas de muestras")
    fonts = prepare(pdf)
    text_w = LABEL_W_MM - 2 * MARGIN_MM
    for label in labels:
        pdf.add_page()
        pdf.set_fill_color(0, 0, 0)
        pdf.set_font(fonts.family, "B", 7)
        pdf.set_xy(MARGIN_MM, 1.0)
        pdf.cell(text_w, 3, _fit(pdf, fonts, label.patient_name.upper(), text_w))
        pdf.set_font(fonts.family, "", 6)
        pdf.set_xy(MARGIN_MM, 4.0)
        pdf.cell(
            text_w, 2.6, _fit(pdf, fonts, f"{label.document}   Orden {label.order_number}", text_w)
        )
        tube_w = text_w - (URGENT_BOX_MM + 1.0 if label.urgent else 0.0)
        pdf.set_xy(MARGIN_MM, 6.6)
        pdf.cell(tube_w, 2.6, _fit(pdf, fonts, f"{label.tube} · {label.sample_type}", tube_w))
        if label.urgent:
            _draw_urgent(pdf, fonts)
        _draw_barcode(pdf, label.barcode, y=9.6, height=10.4)
        pdf.set_font("Courier", "B", 7)
        pdf.set_xy(MARGIN_MM, 20.4)
        pdf.cell(text_w, 3, human_readable(label.barcode), align="C")
    return bytes(pdf.output())


def _zpl_text(text: str, limit: int) -> str:
    """Field data the resident font can print (Latin-1, see the module docstring) without ZPL's
    command prefixes (^ and ~), cut to ``limit`` characters."""
    clean = " ".join(transliterate(text).replace("^", " ").replace("~", " ").split())
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def render_zpl(labels: Sequence[LabelData]) -> str:
    """One ``^XA … ^XZ`` block per label, UTF-8 (``^CI28``), 203 dpi."""
    blocks = []
    for label in labels:
        bar_dots = (sum(modules(label.barcode)) + 2 * QUIET_ZONE) * ZPL_MODULE_DOTS
        x = max(0, (ZPL_WIDTH - bar_dots) // 2) + QUIET_ZONE * ZPL_MODULE_DOTS
        name = _zpl_text(label.patient_name.upper(), 40)
        line = _zpl_text(f"{label.document}   Orden {label.order_number}", 48)
        tube_dots = 376 - (ZPL_URGENT_DOTS + 8 if label.urgent else 0)
        tube = _zpl_text(f"{label.tube} - {label.sample_type}", 48 if not label.urgent else 35)
        urgent = (
            [  # a black box, then the word reversed (^FR) over it
                f"^FO{388 - ZPL_URGENT_DOTS},52^GB{ZPL_URGENT_DOTS},22,22^FS",
                f"^FO{388 - ZPL_URGENT_DOTS},55^FR^A0N,18,16^FB{ZPL_URGENT_DOTS},1,0,C,0"
                f"^FD{URGENT}^FS",
            ]
            if label.urgent
            else []
        )
        blocks.append(
            "\n".join(
                [
                    "^XA",
                    "^CI28",
                    f"^PW{ZPL_WIDTH}",
                    f"^LL{ZPL_HEIGHT}",
                    "^LH0,0",
                    f"^FO12,8^A0N,22,20^FB376,1,0,L,0^FD{name}^FS",
                    f"^FO12,34^A0N,18,16^FB376,1,0,L,0^FD{line}^FS",
                    f"^FO12,54^A0N,18,16^FB{tube_dots},1,0,L,0^FD{tube}^FS",
                    *urgent,
                    f"^FO{x},78^BY{ZPL_MODULE_DOTS}^BCN,80,Y,N,N,A^FD{label.barcode}^FS",
                    "^PQ1",
                    "^XZ",
                ]
            )
        )
    return "\n".join(blocks) + "\n"
