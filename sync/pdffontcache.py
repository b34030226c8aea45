"""A TTF font parsed once per process and registered in any number of fpdf2 documents.

fpdf2's ``add_font`` parses the whole file for every document (character map, widths, glyph
ids, descriptor), which cost more than the rest of a boleta. :func:`register` parses each file
once per process (:func:`parsed_font`, keyed by the file's identity, so a replaced file is
parsed again) and gives each document its own fpdf2 font object built from that parse
(:func:`_add_parsed`): what no document changes is shared (character map, glyph ids, metrics),
what a document changes is its own — the glyph subset it tracks, the widths table fpdf2 fills
in on lookup, the descriptor it numbers and points at the font file, the missing-glyph list,
and the fontTools object fpdf2 subsets in place when it writes the PDF (opened per document
on the file's bytes in memory, with the character map and horizontal metrics decoded once).
So every PDF embeds exactly its own glyphs, whatever other documents do in other threads.

Whatever fpdf2 version or font this cannot share (see :func:`_parse`) is parsed per document
with the plain ``add_font``, as before: slower, never wrong.
"""

from __future__ import annotations

import copy
import io
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

# fpdf2's parsed-font attributes (``TTFFont.__slots__``, fpdf2 2.8). The shared ones no
# document changes; the per-document ones are made anew for each (:func:`_add_parsed`). An
# fpdf2 whose TTFFont has other attributes gets the plain ``add_font`` instead.
_SHARED_ATTRS = (
    "type", "ttffile", "fontkey", "scale", "name", "up", "ut", "sp", "ss", "emphasis",
    "is_compressed", "is_cff", "is_cid_keyed", "is_symbol", "cff_ros", "collection_font_number",
    "palette_index", "cmap", "glyph_ids",
)  # fmt: skip
_PER_DOCUMENT_ATTRS = (
    "i", "cw", "desc", "missing_glyphs", "biggest_size_pt", "_hbfont", "color_font", "ttfont",
    "subset",
)  # fmt: skip
KNOWN_SLOTS = frozenset((*_SHARED_ATTRS, *_PER_DOCUMENT_ATTRS, "unicode_range"))
_CMAP_FORMATS = frozenset({4, 12})  # subtables that are just a code point -> glyph map
MAX_PARSED = 8  # font files kept parsed per process (two styles in practice)
#: False: parse the font file in every document, as before this module (the benchmark's
#: "before" and tests compare against it; production leaves it True).
REUSE_PARSED_FONTS = True

_Key = tuple[str, str, str, int, int, int]
# (platformID, platEncID, format, language, code point -> glyph name) of each cmap subtable
_Subtable = tuple[int, int, int, int, dict[int, str]]


@dataclass(frozen=True)
class ParsedFont:
    """One TTF file as fpdf2 parses it, kept for the process: the template font (its own
    fontTools object closed), the file's bytes, the glyph order and the decoded character
    map subtables and horizontal metrics (copied into each document's fontTools object)."""

    template: TTFFont
    data: bytes
    glyph_order: tuple[str, ...]
    cmap_subtables: tuple[_Subtable, ...] | None  # None: decoded per document
    h_metrics: dict[str, tuple[int, int]]
    codepoints: frozenset[int]


_parsed: dict[_Key, ParsedFont | None] = {}
_parsed_lock = threading.Lock()


def _key(path: Path, family: str, style: str) -> _Key:
    st = path.stat()
    return (str(path.resolve()), family, style, st.st_ino, st.st_size, st.st_mtime_ns)


def _parse(path: Path, family: str, style: str) -> ParsedFont | None:
    """``path`` parsed by fpdf2 as ``style`` of ``family``; None when fpdf2 built something
    documents could not share (another fpdf2, a CFF, colour, WOFF or collection font, one
    fpdf2 had to patch such as a missing ``.notdef``) or the file changed while read."""
    from fontTools.ttLib import TTFont
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

    before = _key(path, family, style)
    data = path.read_bytes()
    scratch = FPDF()
    scratch.add_font(family, style, str(path))
    template = scratch.fonts[f"{family.lower()}{style}"]
    if not isinstance(template, TTFFont):
        return None
    parsed_order = tuple(template.ttfont.getGlyphOrder())
    template.ttfont.close()  # documents open their own; the template's is never used again
    fresh = TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    glyph_order = tuple(fresh.getGlyphOrder())
    shareable = (
        frozenset(TTFFont.__slots__) == KNOWN_SLOTS
        and not (template.is_cff or template.is_compressed or template.color_font)
        and template.collection_font_number == 0
        and isinstance(template.cw, defaultdict)
        and "glyf" in fresh
        and ".notdef" in fresh["glyf"]
        and glyph_order == parsed_order  # what fpdf2 parsed is what documents will open
    )
    subtables: tuple[_Subtable, ...] | None = tuple(
        (t.platformID, t.platEncID, t.format, t.language, dict(t.cmap))
        for t in fresh["cmap"].tables
    )
    if not all(t[2] in _CMAP_FORMATS for t in subtables or ()):
        subtables = None
    h_metrics = dict(fresh["hmtx"].metrics)
    fresh.close()
    if not shareable or _key(path, family, style) != before or len(data) != before[4]:
        return None
    return ParsedFont(template, data, glyph_order, subtables, h_metrics, frozenset(template.cmap))


def parsed_font(path: Path, family: str, style: str) -> ParsedFont | None:
    """The process-wide parse of ``path`` (made on first use, again when the file is
    replaced); None when it cannot be shared. Thread-safe: one thread parses, others wait."""
    key = _key(path, family, style)
    with _parsed_lock:
        if key not in _parsed:
            parsed = _parse(path, family, style)  # raises for a damaged file: not kept
            if len(_parsed) >= MAX_PARSED:
                del _parsed[next(iter(_parsed))]  # the oldest
            _parsed[key] = parsed
        return _parsed[key]


def clear() -> None:
    """Forget every parse (tests, the benchmark); the next document parses again."""
    with _parsed_lock:
        _parsed.clear()


def _own_fonttools_font(parsed: ParsedFont) -> Any:
    """A fontTools font of ``parsed``'s bytes for one document, with the glyph order, the
    character map and the horizontal metrics already decoded (fresh containers: fpdf2's
    subsetting replaces and prunes them). ``recalcBBoxes=False``: the subset's glyphs are
    written as they are in the file instead of decoded and re-encoded one by one (about a
    third of the writing time); the font's bounding box and maxima stay those of the whole
    font, which is what the PDF's font descriptor states anyway."""
    from fontTools.ttLib import TTFont, newTable
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    ttfont = TTFont(io.BytesIO(parsed.data), recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    ttfont.setGlyphOrder(list(parsed.glyph_order))
    if parsed.cmap_subtables is not None:
        cmap: Any = newTable("cmap")
        cmap.tableVersion = 0
        cmap.tables = []
        for platform_id, encoding_id, fmt, language, mapping in parsed.cmap_subtables:
            sub = CmapSubtable.newSubtable(fmt)
            sub.platformID, sub.platEncID, sub.language = platform_id, encoding_id, language
            sub.cmap = dict(mapping)
            cmap.tables.append(sub)
        ttfont["cmap"] = cmap
    hmtx: Any = newTable("hmtx")
    hmtx.metrics = dict(parsed.h_metrics)
    ttfont["hmtx"] = hmtx
    return ttfont


def _add_parsed(pdf: FPDF, parsed: ParsedFont) -> None:
    """Register ``parsed`` in ``pdf`` as ``add_font`` would, without parsing."""
    from fpdf.fonts import SubsetMap, TTFFont

    template = parsed.template
    font = TTFFont.__new__(TTFFont)
    for name in _SHARED_ATTRS:
        setattr(font, name, getattr(template, name))
    font.i = len(pdf.fonts) + 1
    widths = cast("defaultdict[int, float]", template.cw)
    font.cw = defaultdict(widths.default_factory, widths)
    font.desc = copy.copy(template.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None  # built from ``ttffile`` on first use (text shaping only)
    font.color_font = None
    font.ttfont = _own_fonttools_font(parsed)
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font


def register(pdf: FPDF, family: str, style: str, path: Path) -> frozenset[int]:
    """Make the TTF ``path`` the ``style`` ("" or "B") of ``family`` in ``pdf``, from the
    process-wide parse when it can be shared, else with ``add_font``; the code points the
    font maps. Raises what fpdf2 raises for a damaged file."""
    fontkey = f"{family.lower()}{style}"
    parsed = parsed_font(path, family, style) if REUSE_PARSED_FONTS else None
    if parsed is not None and fontkey not in pdf.fonts:
        _add_parsed(pdf, parsed)
        return parsed.codepoints
    pdf.add_font(family, style, str(path))  # (already there: fpdf2 warns and keeps it)
    return frozenset(getattr(pdf.fonts[fontkey], "cmap", {}) or ())


__all__ = ["KNOWN_SLOTS", "MAX_PARSED", "REUSE_PARSED_FONTS", "ParsedFont", "clear", "register"]
