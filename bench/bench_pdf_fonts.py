"""Boleta PDFs (A4 and 80 mm ticket) with the embedded Unicode font, beside the Latin-1 core
font fallback and the unreduced font, in the same run.

    .venv/bin/python bench/bench_pdf_fonts.py [--rounds 20]

Prints, per layout and font set-up, the PDF size and the median render time, and the ratio to
the core-font baseline (what every PDF cost before Unicode fonts). The lines carry Greek
letters, ≥, µ and curly quotes, as lab test names do.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.billing.printing import pdf_a4, pdf_ticket  # noqa: E402
from sync import pdffonts  # noqa: E402
from tests.edge.billing.print_samples import unicode_boleta  # noqa: E402

TESTS = (
    "β-HCG cuantitativa",
    "Hemograma completo",
    "Glucosa ≥ 126 mg/dL",
    "α-fetoproteína (AFP)",
    "γ-glutamil transferasa (γ-GT)",
    "Vitamina B12 – 5 µg “control”",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    data = unicode_boleta(TESTS)
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
