"""Unicode text for every PDF the edge and the hub print (fpdf2), and a Latin-1 fallback.

fpdf2's core fonts (Helvetica, Courier) are single-byte, so "β-HCG" came out as "?-HCG". Every
PDF producer calls :func:`prepare` once per document: it embeds Roboto (Apache 2.0, shipped by
the ``font-roboto`` pip dependency; fpdf2 embeds only the glyphs used, a subset) under the
family name :data:`FAMILY` and returns a :class:`PdfFonts` whose ``text()`` passes through
every character the font has. The font file is parsed once per process, not per document
(:mod:`sync.pdffontcache`): each document gets its own fpdf2 font object built from that
parse, with its own glyph subset, so documents never share glyphs or state, in any thread.
When the font files are missing (a broken install), the document still prints with Helvetica
and :func:`transliterate` (β → "beta", ≥ → ">=", the rest that Latin-1 lacks → "?") instead
of failing. Label printers use :func:`transliterate` too.

Shared by edge/ and central/ (neither imports the other), so it lives in sync/; no domain.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import logging
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sync.pdffontcache import register

if TYPE_CHECKING:
    from fpdf import FPDF

FAMILY = "LabSans"  # the Unicode family as registered in each FPDF
CORE_FAMILY = "Helvetica"  # the fallback core font
_FONT_PACKAGE = "font_roboto"
_STYLE_FILES = {"": "Roboto-Regular.ttf", "B": "Roboto-Bold.ttf"}
# The characters kept when the font is cut down once per machine (see :func:`_reduced`): Latin
# (Basic, Latin-1, Extended-A/B), Greek, Cyrillic, punctuation, currency, letterlike symbols,
# arrows, mathematical operators (≥ ≤ ≠ ±), geometric shapes.
_KEPT_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x370, 0x52F),
    (0x2000, 0x20CF),
    (0x2100, 0x22FF),
    (0x25A0, 0x25FF),
)
_log = logging.getLogger(__name__)

# What a lab document carries that Latin-1 lacks, as plain text (Spanish names for Greek).
_ASCII_FOR: dict[str, str] = {
    "α": "alfa",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "µ",  # Greek mu -> the micro sign, which Latin-1 has
    "Α": "Alfa",
    "Β": "Beta",
    "Γ": "Gamma",
    "Δ": "Delta",
    "Ω": "Ohm",
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
    "≈": "~",
    "–": "-",  # en dash
    "—": "-",  # em dash
    "‐": "-",  # hyphen
    "‑": "-",  # non-breaking hyphen
    "−": "-",  # minus sign
    "‘": "'",
    "’": "'",
    "‚": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "…": "...",
    "•": "-",
    "€": "EUR",
    "™": "TM",
    "→": "->",
}


@functools.cache
def _transliterate_char(ch: str) -> str:
    if ord(ch) < 256:
        return ch
    if ch in _ASCII_FOR:
        return _ASCII_FOR[ch]
    # A letter with a mark Latin-1 lacks (ő, č): its base letter; anything else: "?".
    base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
    return base if base.strip() else "?"


def transliterate(text: str) -> str:
    """``text`` in Latin-1: accents and ñ stay, known symbols become plain text, the rest "?"."""
    if text.isascii():
        return text
    return "".join(_transliterate_char(ch) for ch in text)


def source_files() -> dict[str, Path] | None:
    """The full TTF file of each style ("" regular, "B" bold) as the font package ships them,
    or None when any is missing."""
    try:
        root = importlib.resources.files(_FONT_PACKAGE) / "files"
    except ModuleNotFoundError:
        return None
    paths = {style: Path(str(root / name)) for style, name in _STYLE_FILES.items()}
    return paths if all(p.is_file() for p in paths.values()) else None


def _own_private(directory: Path) -> None:
    st = directory.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise PermissionError(f"{directory} is not this user's private directory")


def _reduced(source: Path, directory: Path) -> Path:
    """``source`` cut down to :data:`_KEPT_RANGES` (about 1,260 of 3,360 glyphs), written once
    under ``directory`` (atomically: concurrent processes may race). fpdf2 parses the whole
    font on every ``add_font``; the reduced file makes that about four times faster."""
    target = directory / source.name
    if target.is_file():
        _own_private(directory)  # the temp directory is shared: use only our own files
        return target
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.name_IDs = ["*"]  # keep the copyright and licence notices
    options.notdef_outline = True
    options.hinting = False  # PDF viewers and printers rasterise at high resolution
    options.layout_features = []  # fpdf2 draws without text shaping: no GSUB/GPOS needed
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for lo, hi in _KEPT_RANGES for c in range(lo, hi + 1)])
    font = TTFont(str(source))
    subsetter.subset(font)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _own_private(directory)
    partial = directory / f".{source.name}.{os.getpid()}.tmp"
    font.save(str(partial))
    os.replace(partial, target)
    return target


def font_files() -> dict[str, Path] | None:
    """The TTF file to embed for each style: the reduced copy in the machine's temp directory
    (made on first use, keyed by the source files), or the full font when it cannot be made;
    None when the font package is missing. Made again if the temp directory was cleaned."""
    files = _font_files()
    if files is not None and not all(p.is_file() for p in files.values()):
        _font_files.cache_clear()
        files = _font_files()
    return files


@functools.cache
def _font_files() -> dict[str, Path] | None:
    sources = source_files()
    if sources is None:
        return None
    stamp = hashlib.sha256(repr(_KEPT_RANGES).encode())
    for path in sources.values():
        st = path.stat()
        stamp.update(f"{path}:{st.st_size}:{st.st_mtime_ns}".encode())
    directory = Path(tempfile.gettempdir()) / f"labred-pdffonts-{stamp.hexdigest()[:16]}"
    try:
        return {style: _reduced(path, directory) for style, path in sources.items()}
    except Exception:  # noqa: BLE001 - any failure: embed the full font, slower but correct
        _log.warning("could not reduce the PDF font; embedding the full font", exc_info=True)
        return sources


@dataclass(frozen=True)
class PdfFonts:
    """The family to pass to ``pdf.set_font`` and how to make a text printable with it."""

    family: str
    unicode: bool
    _cmap: frozenset[int] = frozenset()

    def text(self, value: object) -> str:
        """``value`` as printable text: unchanged where the font has the glyph, otherwise
        transliterated (the fallback core font gets Latin-1 only)."""
        text = "" if value is None else str(value)
        if not self.unicode:
            return transliterate(text)
        if all(ord(ch) in self._cmap or ch in "\n\r\t" for ch in text):
            return text
        return "".join(
            ch if ord(ch) in self._cmap or ch in "\n\r\t" else _transliterate_char(ch)
            for ch in text
        )


def prepare(pdf: FPDF, *, files: dict[str, Path] | None = None) -> PdfFonts:
    """Register the Unicode font in ``pdf`` (regular and bold as :data:`FAMILY`) and return
    how to use it; with no font files, fall back to Helvetica and Latin-1 text. ``files`` is
    for tests (a missing font); by default :func:`font_files`. Cheap after the first call in
    a process: the files are parsed once (:mod:`sync.pdffontcache`)."""
    paths = font_files() if files is None else files
    if not paths or not all(p.is_file() for p in paths.values()):
        pdf.core_fonts_encoding = "latin-1"
        return PdfFonts(family=CORE_FAMILY, unicode=False)
    before = set(pdf.fonts)
    try:
        cmaps = {style: register(pdf, FAMILY, style, path) for style, path in paths.items()}
    except Exception:  # noqa: BLE001 - a damaged font file: print plain text, never fail
        _log.warning("could not load the PDF font %s; using %s", paths, CORE_FAMILY)
        for added in set(pdf.fonts) - before:  # no half-registered family
            del pdf.fonts[added]
        pdf.core_fonts_encoding = "latin-1"
        return PdfFonts(family=CORE_FAMILY, unicode=False)
    return PdfFonts(family=FAMILY, unicode=True, _cmap=cmaps.get("", frozenset()))


__all__ = [
    "CORE_FAMILY",
    "FAMILY",
    "PdfFonts",
    "font_files",
    "prepare",
    "source_files",
    "transliterate",
]
