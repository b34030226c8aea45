"""Tables to files: xlsx (openpyxl) and PDF (fpdf2), for reports and closures.

A document is a title, an optional subtitle and a list of ``Sheet`` (a titled table); in the
workbook each sheet is a worksheet, in the PDF each is a section. Money columns arrive as
``Decimal`` and are written as numbers with two decimals (xlsx) or "1,234.50" (PDF).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sync.pdffonts import prepare

XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MEDIA = "application/pdf"
FORMATS = {"xlsx": XLSX_MEDIA, "pdf": PDF_MEDIA}


@dataclass
class Sheet:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _cell(value: Any, illegal: re.Pattern[str]) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # openpyxl stores numbers; formatted with two decimals below
    if isinstance(value, dict | list):
        value = str(value)
    if isinstance(value, str):  # control characters XML 1.0 cannot carry: a 500 otherwise
        return illegal.sub("", value)
    return value


def to_xlsx(title: str, sheets: list[Sheet], *, subtitle: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as illegal
    from openpyxl.styles import Font

    wb = Workbook()
    first = True
    for sheet in sheets or [Sheet("Vacío", ["(sin datos)"])]:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        ws.title = _safe_sheet_title(sheet.title)
        ws.append([_cell(title, illegal)])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([_cell(subtitle or sheet.title, illegal)])
        ws.append([])
        ws.append([_cell(c, illegal) for c in sheet.columns])
        for c in ws[4]:
            c.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_cell(v, illegal) for v in row])
            for c, v in zip(ws[ws.max_row], row, strict=False):
                if isinstance(v, Decimal):
                    c.number_format = "#,##0.00"
                elif c.data_type == "f":
                    c.data_type = "s"  # text such as "=HYPERLINK(..)" stays text, never a formula
        for i, name in enumerate(sheet.columns, start=1):
            width = max([len(str(name))] + [len(str(r[i - 1])) for r in sheet.rows[:200]])
            ws.column_dimensions[ws.cell(row=4, column=i).column_letter].width = min(
                max(10, width + 2), 60
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _safe_sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")
    return cleaned[:31] or "Hoja"


def _cell_text(value: Any) -> str:
    if isinstance(value, Decimal):
        text = f"{value:,.2f}"
    elif isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
    elif value is None:
        text = ""
    else:
        text = str(value)
    return text


def to_pdf(title: str, sheets: list[Sheet], *, subtitle: str = "") -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    fonts = prepare(pdf)  # Unicode (Roboto) text; Latin-1 if the font is missing

    def text(value: Any) -> str:
        return fonts.text(_cell_text(value))

    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font(fonts.family, "B", 14)
    pdf.cell(0, 8, text(title), new_x="LMARGIN", new_y="NEXT")
    if subtitle:
        pdf.set_font(fonts.family, "", 10)
        pdf.cell(0, 6, text(subtitle), new_x="LMARGIN", new_y="NEXT")
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    for sheet in sheets:
        pdf.ln(3)
        pdf.set_font(fonts.family, "B", 11)
        pdf.cell(0, 7, text(sheet.title), new_x="LMARGIN", new_y="NEXT")
        ncols = max(1, len(sheet.columns))
        width = usable / ncols
        limit = max(4, int(width / 1.9))
        pdf.set_font(fonts.family, "B", 8)
        for name in sheet.columns:
            pdf.cell(width, 6, text(name)[:limit], border=1)
        pdf.ln()
        pdf.set_font(fonts.family, "", 8)
        for row in sheet.rows:
            _pdf_row(pdf, width, [text(v) for v in row], [_align(v) for v in row])
        if not sheet.rows:
            pdf.cell(0, 5, "(sin datos)", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _align(value: Any) -> str:
    return "R" if isinstance(value, Decimal | int) else "L"


def _pdf_row(pdf: Any, width: float, texts: list[str], aligns: list[str], line: float = 5) -> None:
    """One table row; a cell too long for its column wraps onto more lines (the row grows)
    instead of being cut: a finding's detail names the documents involved."""
    wrapped = [pdf.multi_cell(width, line, t, dry_run=True, output="LINES") for t in texts]
    height = line * max([1, *(len(w) for w in wrapped)])
    if height == line:
        for t, align in zip(texts, aligns, strict=True):
            pdf.cell(width, line, t, border=1, align=align)
        pdf.ln()
        return
    if pdf.will_page_break(height):
        pdf.add_page()
    x, y = pdf.get_x(), pdf.get_y()
    for i, (t, align) in enumerate(zip(texts, aligns, strict=True)):
        pdf.rect(x + i * width, y, width, height)
        pdf.set_xy(x + i * width, y)
        pdf.multi_cell(width, line, t, border=0, align=align)
    pdf.set_xy(x, y + height)


def render(fmt: str, title: str, sheets: list[Sheet], *, subtitle: str = "") -> bytes:
    return (to_pdf if fmt == "pdf" else to_xlsx)(title, sheets, subtitle=subtitle)
