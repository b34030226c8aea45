"""Code 128 (ISO/IEC 15417) encoding and the sample barcode format.

Sample barcodes are ``{SEDE}{YYMMDD}{NNNN}``, e.g. ``S012611290007``: the sede code (unique per
sede, a letter then 1–7 letters or digits), the Lima business date and the sede's daily sample
sequence, zero-padded to exactly 4 digits (1–9999 samples per sede and day, ~30× today's
volume). The tail is always 10 digits, so the sede code is the prefix of length
``len(barcode) − 10`` and two sedes can never mint the same string. With no separators the
whole tail packs into Code 128 set C (two digits per symbol): a 3-character sede code gives
123 modules, about 37 mm at 0.3 mm per module, which fits a 50 mm label.

:func:`encode` returns the symbol values (start, data, checksum, stop) and :func:`modules` the
bar/space widths in modules, bar first, which a renderer draws without further knowledge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidInput

# Element widths (bar, space, bar, space, bar, space) of symbol values 0..106; 106 is STOP.
PATTERNS: tuple[str, ...] = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)  # fmt: skip

CODE_C = 99  # in set B: switch to set C
CODE_B = 100  # in set C: switch to set B
START_B = 104
START_C = 105
STOP = 106
QUIET_ZONE = 10
"""Modules of blank space required on each side."""


def _digit_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    return end - start


def encode(text: str) -> list[int]:
    """Symbol values of ``text`` (printable ASCII), sets B and C chosen to keep it short.

    Set C is used for runs of 4 or more digits (or a whole even all-digit text); an odd run
    leaves its first digit in set B.
    """
    if not text:
        raise InvalidInput("El código de barras está vacío.", code="barcode_empty", loc=["barcode"])
    for ch in text:
        if not 32 <= ord(ch) <= 126:
            raise InvalidInput(
                "El código de barras solo admite caracteres ASCII imprimibles.",
                code="barcode_charset",
                loc=["barcode"],
            )
    values: list[int] = []
    i = 0
    first_run = _digit_run(text, 0)
    if first_run >= 4 or (first_run == len(text) and first_run % 2 == 0):
        values.append(START_C)
        mode = "C"
    else:
        values.append(START_B)
        mode = "B"
    while i < len(text):
        if mode == "C":
            if _digit_run(text, i) >= 2:
                values.append(int(text[i : i + 2]))
                i += 2
                continue
            values.append(CODE_B)
            mode = "B"
        run = _digit_run(text, i)
        if run >= 4:
            if run % 2:  # odd run: first digit in B, the rest in pairs
                values.append(ord(text[i]) - 32)
                i += 1
            values.append(CODE_C)
            mode = "C"
            continue
        values.append(ord(text[i]) - 32)
        i += 1
    values.append(checksum(values))
    values.append(STOP)
    return values


def checksum(values: list[int]) -> int:
    """Modulo-103 check symbol of a start symbol followed by data symbols."""
    return (values[0] + sum(pos * v for pos, v in enumerate(values[1:], start=1))) % 103


def modules(text: str) -> list[int]:
    """Bar/space widths in modules, bar first, without the quiet zones."""
    return [int(w) for value in encode(text) for w in PATTERNS[value]]


def decode(widths: list[int]) -> str:
    """Inverse of :func:`modules` (for tests and diagnostics); checks the checksum."""
    index = {pattern: value for value, pattern in enumerate(PATTERNS)}
    symbols: list[int] = []
    pos = 0
    while pos < len(widths):
        size = 7 if len(widths) - pos == 7 else 6
        key = "".join(str(w) for w in widths[pos : pos + size])
        if key not in index:
            raise ValueError(f"unknown pattern {key} at element {pos}")
        symbols.append(index[key])
        pos += size
    if len(symbols) < 3 or symbols[-1] != STOP or symbols[0] not in (START_B, START_C):
        raise ValueError("missing start or stop symbol")
    if checksum(symbols[:-2]) != symbols[-2]:
        raise ValueError("bad checksum")
    out: list[str] = []
    mode = "C" if symbols[0] == START_C else "B"
    for value in symbols[1:-2]:
        if mode == "C":
            if value == CODE_B:
                mode = "B"
            else:
                out.append(f"{value:02d}")
        elif value == CODE_C:
            mode = "C"
        else:
            out.append(chr(value + 32))
    return "".join(out)


# ------------------------------------------------------------------ sample barcodes
SAMPLE_SEQ_MAX = 9999
_SAMPLE_BARCODE = re.compile(r"([A-Z][A-Z0-9]{1,7})([0-9]{6})([0-9]{4})")


@dataclass(frozen=True, slots=True)
class SampleBarcode:
    sede_code: str
    business_date: date
    seq: int

    def __str__(self) -> str:
        return format_sample_barcode(self.sede_code, self.business_date, self.seq)


def format_sample_barcode(sede_code: str, business_date: date, seq: int) -> str:
    """``S012611290007``: sede code, Lima date as YYMMDD, daily sequence (4 digits)."""
    code = sede_code.strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9]{1,7}", code):
        raise InvalidInput(
            f"El código de sede «{sede_code}» no es válido.",
            code="sede_code_invalid",
            loc=["sede_code"],
        )
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= SAMPLE_SEQ_MAX:
        raise InvalidInput(
            f"Se agotaron los códigos de muestra del día (máximo {SAMPLE_SEQ_MAX} por sede).",
            code="sample_seq_exhausted",
            loc=["seq"],
        )
    return f"{code}{business_date:%y%m%d}{seq:04d}"


def parse_sample_barcode(value: object) -> SampleBarcode:
    text = value.strip().upper() if isinstance(value, str) else ""
    match = _SAMPLE_BARCODE.fullmatch(text)
    parsed: SampleBarcode | None = None
    if match:
        code, day, seq = match.groups()
        try:
            parsed = SampleBarcode(
                code, date(2000 + int(day[:2]), int(day[2:4]), int(day[4:])), int(seq)
            )
        except ValueError:
            parsed = None
    if parsed is None or parsed.seq == 0:
        raise InvalidInput(
            f"El código de muestra «{value}» no es válido (formato SEDE+AAMMDD+NNNN,"
            " por ejemplo S012611290007).",
            code="sample_barcode_invalid",
            loc=["barcode"],
        )
    return parsed


def human_readable(barcode: str) -> str:
    """``S01 261129 0007``: the barcode spaced for people (the tail is always 10 digits)."""
    if len(barcode) > 10 and barcode[-10:].isdigit():
        return f"{barcode[:-10]} {barcode[-10:-4]} {barcode[-4:]}"
    return barcode


__all__ = [
    "PATTERNS",
    "QUIET_ZONE",
    "SAMPLE_SEQ_MAX",
    "SampleBarcode",
    "checksum",
    "decode",
    "encode",
    "format_sample_barcode",
    "human_readable",
    "modules",
    "parse_sample_barcode",
]
