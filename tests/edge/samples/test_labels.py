"""Label rendering: the bars drawn in the PDF decode back to the sample's barcode."""

from __future__ import annotations

import re
import zlib

from domain.barcode import decode
from edge.samples.labels import LabelData, module_mm, render_pdf, render_zpl

LABEL = LabelData(
    patient_name="Núñez Ávila, José",
    document="DNI 45873219",
    order_number="S01-20261129-0001",
    tube="tubo rojo",
    sample_type="suero",
    barcode="S012611290007",
)


def _rects(pdf: bytes) -> list[tuple[float, float]]:
    """(x, width) of every filled rectangle in the page content streams, in points."""
    out: list[tuple[float, float]] = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            content = raw
        for x, _y, w, _h in re.findall(
            rb"(-?[0-9.]+) (-?[0-9.]+) (-?[0-9.]+) (-?[0-9.]+) re f", content
        ):
            out.append((float(x), float(w)))
    return out


def test_pdf_bars_decode_to_the_barcode() -> None:
    pdf = render_pdf([LABEL])
    rects = sorted(_rects(pdf))
    assert rects, "no bars drawn"
    module_pt = module_mm(123, 47.0) * 72 / 25.4
    widths: list[int] = []
    for i, (x, w) in enumerate(rects):
        widths.append(round(w / module_pt))
        if i + 1 < len(rects):
            widths.append(round((rects[i + 1][0] - (x + w)) / module_pt))
    assert decode(widths) == LABEL.barcode


def test_pdf_keeps_spanish_letters() -> None:
    pdf = render_pdf([LABEL, LABEL])
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", pdf)) == 2


def test_zpl_escapes_command_characters_and_cuts_long_names() -> None:
    nasty = LabelData(
        patient_name="^XZ~JA " + "X" * 80,
        document="DNI 1",
        order_number="S01-20261129-0002",
        tube="t",
        sample_type="s",
        barcode="S012611290008",
    )
    zpl = render_zpl([nasty])
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1 and "~JA" not in zpl
    name_line = next(line for line in zpl.splitlines() if line.startswith("^FO12,8"))
    assert len(name_line.split("^FD")[1].removesuffix("^FS")) <= 40
