"""Boleta PDFs (A4 and 80 mm ticket) with the embedded Unicode font, beside the Latin-1 core
font fallback and the unreduced font, in the same run.

    .venv/bin/python bench/bench_pdf_fonts.py [--rounds 20]

Prints, per layout and font set-up, the PDF size and the median render time, and the ratio to
the core-font baseline (what every PDF cost before Unicode fonts). The lines carry Greek
letters, ≥, µ and curly quotes, as lab test names do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.clock import LIMA  # noqa: E402
from edge.billing.printing import PrintData, PrintLine, pdf_a4, pdf_ticket  # noqa: E402
from sync import pdffonts  # noqa: E402

TESTS = (
    "β-HCG cuantitativa",
    "Hemograma completo",
    "Glucosa ≥ 126 mg/dL",
    "α-fetoproteína (AFP)",
    "γ-glutamil transferasa (γ-GT)",
    "Vitamina B12 – 5 µg “control”",
)


def boleta() -> PrintData:
    lines = tuple(
        PrintLine(f"LAB-{i:03d}", name, 1, Decimal("35.00"), Decimal("35.00"))
        for i, name in enumerate(TESTS)
    )
    return PrintData(
        company_ruc="20123456789",
        company_name="Laboratorio Clínico Andino S.A.C.",
        trade_name="LabRed",
        company_address="Av. Arequipa 123, Lima",
        sede_name="Sede Miraflores",
        sede_address="Av. Larco 456",
        title="BOLETA DE VENTA ELECTRÓNICA",
        full_number="B001-00000123",
        issued_at=dt.datetime(2026, 11, 29, 10, 0, tzinfo=LIMA),
        customer_id_label="DNI",
        customer_doc_number="45873219",
        customer_name="O’Connor Núñez, María",
        customer_address="",
        lines=lines,
        gravado=Decimal("177.97"),
        exonerado=Decimal("0.00"),
        inafecto=Decimal("0.00"),
        discount=Decimal("0.00"),
        igv=Decimal("32.03"),
        total=Decimal("210.00"),
        words="DOSCIENTOS DIEZ CON 00/100 SOLES",
        digest_value="q0bKz3m2cXJ8yS0b1n0aZ0s2l3Y=",
        qr_text="20123456789|03|B001|123|32.03|210.00|2026-11-29|1|45873219|q0bKz3m2",
        reference=None,
        reason="",
        state="accepted",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    data = boleta()
    reduced = pdffonts.font_files()  # made once per machine; excluded from the timings
    setups: dict[str, Callable[[], dict[str, Path] | None]] = {
        "core (baseline)": lambda: None,
        "unicode reduced": lambda: reduced,
        "unicode full": pdffonts.source_files,
    }
    layouts = {"a4": pdf_a4, "ticket": pdf_ticket}
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    original = pdffonts.font_files
    try:
        for _ in range(args.rounds):  # interleaved, so load on the machine hits all alike
            for setup, files in setups.items():
                pdffonts.font_files = files  # type: ignore[assignment]
                for layout, render in layouts.items():
                    start = time.perf_counter()
                    out = render(data)
                    times.setdefault((setup, layout), []).append(time.perf_counter() - start)
                    sizes[(setup, layout)] = len(out)
    finally:
        pdffonts.font_files = original  # type: ignore[assignment]
    for layout in layouts:
        base = statistics.median(times[("core (baseline)", layout)])
        for setup in setups:
            median = statistics.median(times[(setup, layout)])
            print(
                f"{layout:6} {setup:16} size {sizes[(setup, layout)]:6d} B"
                f"  median {median * 1000:6.1f} ms  x{median / base:4.1f} of baseline"
            )


if __name__ == "__main__":
    main()
