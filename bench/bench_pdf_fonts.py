"""Boleta PDFs (A4 and 80 mm ticket) with the embedded Unicode font, before and after the
per-process font parse, beside the Latin-1 core font baseline, in the same run.

    .venv/bin/python bench/bench_pdf_fonts.py [--rounds 30]

Set-ups: the core font (what every PDF cost before Unicode fonts: the baseline); the reduced
Roboto parsed in every document (before: fpdf2's ``add_font`` per PDF) and parsed once per
process (after: :mod:`sync.pdffonts` shares the parse); the first PDF of a process (the one
that parses); the same before/after with the unreduced font file. Prints, per layout and
set-up, the PDF size, the median render time, the ratio to the baseline, the time above it,
and for each "parsed once" the speed-up over its "parse/doc" twin. The lines carry Greek
letters, ≥, µ and curly quotes, as lab test names do.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fpdf import FPDF  # noqa: E402

from edge.billing.printing import pdf_a4, pdf_ticket  # noqa: E402
from sync import pdffontcache, pdffonts  # noqa: E402
from tests.edge.billing.print_samples import unicode_boleta  # noqa: E402

TESTS = (
    "β-HCG cuantitativa",
    "Hemograma completo",
    "Glucosa ≥ 126 mg/dL",
    "α-fetoproteína (AFP)",
    "γ-glutamil transferasa (γ-GT)",
    "Vitamina B12 – 5 µg “control”",
)


@dataclass(frozen=True)
class Setup:
    files: Callable[[], dict[str, Path] | None]
    reuse: bool = True
    before: str = ""  # the set-up this one is the "after" of
    cold: bool = False  # forget the parse before each PDF: the first PDF of a process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    data = unicode_boleta(TESTS)
    reduced = pdffonts.font_files()  # made once per machine; excluded from the timings
    full = pdffonts.source_files
    setups = {
        "core (baseline)": Setup(lambda: None),
        "reduced, parse/doc": Setup(lambda: reduced, reuse=False),
        "reduced, parsed once": Setup(lambda: reduced, before="reduced, parse/doc"),
        "reduced, 1st of proc.": Setup(lambda: reduced, cold=True),
        "full, parse/doc": Setup(full, reuse=False),
        "full, parsed once": Setup(full, before="full, parse/doc"),
    }
    layouts = {"a4": pdf_a4, "ticket": pdf_ticket}
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[tuple[str, str], int] = {}
    original = pdffonts.font_files
    try:
        for _ in range(args.rounds + 1):  # interleaved, so load on the machine hits all alike
            for name, setup in setups.items():
                pdffonts.font_files = setup.files  # type: ignore[assignment]
                pdffontcache.REUSE_PARSED_FONTS = setup.reuse
                for layout, render in layouts.items():
                    if setup.cold:
                        pdffontcache.clear()
                    gc.collect()  # no set-up pays for another's garbage
                    start = time.perf_counter()
                    out = render(data)
                    times.setdefault((name, layout), []).append(time.perf_counter() - start)
                    sizes[(name, layout)] = len(out)
                    if setup.cold:  # parse the full font again, untimed, for its "once" set-up
                        pdffonts.prepare(FPDF(), files=full())
    finally:
        pdffonts.font_files = original  # type: ignore[assignment]
        pdffontcache.REUSE_PARSED_FONTS = True
    for layout in layouts:
        median = {s: statistics.median(times[(s, layout)][1:]) for s in setups}  # 1st: warm-up
        base = median["core (baseline)"]
        for name, setup in setups.items():
            line = (
                f"{layout:6} {name:21} size {sizes[(name, layout)]:6d} B"
                f"  median {median[name] * 1000:6.1f} ms  x{median[name] / base:5.1f} of baseline"
                f"  +{(median[name] - base) * 1000:5.1f} ms"
            )
            if setup.before:
                line += f"  {median[setup.before] / median[name]:4.2f}x faster than parse/doc"
            print(line)


if __name__ == "__main__":
    main()
