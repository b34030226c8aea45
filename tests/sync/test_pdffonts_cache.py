"""sync.pdffonts parses the font once per process: documents built from that parse embed
exactly their own glyphs, match what a per-document parse embeds, and never share state, one
after the other or from several threads at once."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont
from pypdf import PdfReader

from domain.catalog_data import catalog_id_for
from sync import pdffontcache, pdffonts
from sync.pdffonts import FAMILY, prepare
from tests.edge.billing.process_node import billing_node
from tests.pdftext import font_names, shown
from tests.procs import until

CREATED = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC)  # fixed, so equal documents are equal
GREEK = "β-HCG ≥ 25 mUI/mL · α-fetoproteína ± 2 µg · γ-GT ≤ 40 – “normal”"
DIGITS = "0123456789"


@pytest.fixture(autouse=True)
def _fresh_parse() -> Iterator[None]:
    """Every test starts without parsed fonts, and leaves none of its own behind."""
    pdffontcache.clear()
    yield
    pdffontcache.clear()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each time fpdf2 parses a TTF file (``TTFFont.__init__``), the file's name."""
    seen: list[str] = []
    original = TTFFont.__init__

    def counting(self: TTFFont, fpdf: FPDF, font_file_path: Path, *args: Any, **kw: Any) -> None:
        seen.append(Path(font_file_path).name)
        original(self, fpdf, font_file_path, *args, **kw)

    monkeypatch.setattr(TTFFont, "__init__", counting)
    return seen


def _pdf(regular: str, bold: str = "", *, files: dict[str, Path] | None = None) -> FPDF:
    pdf = FPDF()
    pdf.set_creation_date(CREATED)
    fonts = prepare(pdf, files=files)
    pdf.add_page()
    pdf.set_font(fonts.family, "", 10)
    pdf.multi_cell(0, 6, fonts.text(regular), new_x="LMARGIN", new_y="NEXT")
    if bold:
        pdf.set_font(fonts.family, "B", 12)
        pdf.cell(0, 6, fonts.text(bold), new_x="LMARGIN", new_y="NEXT")
    return pdf


def _render(regular: str, bold: str = "", *, files: dict[str, Path] | None = None) -> bytes:
    return bytes(_pdf(regular, bold, files=files).output())


def _type0_fonts(reader: PdfReader) -> list[Any]:
    """The embedded (Type0) font dictionaries of the first page; core fonts are left out."""
    resources: Any = reader.pages[0]["/Resources"]
    fonts = resources["/Font"]
    return [f for f in (ref.get_object() for ref in fonts.values()) if "/DescendantFonts" in f]


def _embedded(pdf: bytes) -> dict[str, TTFont]:
    """The font program each Type0 font of the first page embeds, by its name."""
    out: dict[str, TTFont] = {}
    for font in _type0_fonts(PdfReader(io.BytesIO(pdf))):
        descendant = font["/DescendantFonts"][0].get_object()
        data = descendant["/FontDescriptor"].get_object()["/FontFile2"].get_data()
        out[str(font["/BaseFont"]).split("+")[-1]] = TTFont(io.BytesIO(data))
    return out


def _font_facts(pdf: bytes) -> dict[str, Any]:
    """What a reader takes from each embedded font: the characters it maps, its glyphs'
    outlines and advance widths, and the PDF's widths array and Unicode map for it."""
    facts: dict[str, Any] = {}
    reader = PdfReader(io.BytesIO(pdf))
    for font in _type0_fonts(reader):
        descendant = font["/DescendantFonts"][0].get_object()
        name = str(font["/BaseFont"]).split("+")[-1]
        ttf = TTFont(io.BytesIO(descendant["/FontDescriptor"]["/FontFile2"].get_data()))
        glyf = ttf["glyf"]
        outlines = {g: repr(glyf[g].getCoordinates(glyf)) for g in ttf.getGlyphOrder()}
        facts[name] = (
            ttf.getBestCmap(),
            outlines,
            dict(ttf["hmtx"].metrics),
            repr(descendant["/W"]),
            font["/ToUnicode"].get_data(),
        )
    facts["content"] = reader.pages[0].get_contents().get_data()  # type: ignore[union-attr]
    return facts


def _codepoints(pdf: bytes) -> dict[str, set[int]]:
    return {name: set(ttf.getBestCmap()) for name, ttf in _embedded(pdf).items()}


def test_the_font_files_are_parsed_once_per_process(parses: list[str]) -> None:
    for _ in range(5):
        assert shown(_render(GREEK, "Total")) == [GREEK, "Total"]
    assert sorted(parses) == ["Roboto-Bold.ttf", "Roboto-Regular.ttf"]


def test_without_reuse_every_document_parses(
    parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdffontcache, "REUSE_PARSED_FONTS", False)
    for _ in range(3):
        _render(GREEK, "Total")
    assert len(parses) == 6


@pytest.mark.parametrize(
    ("regular", "bold"),
    [
        (GREEK, "BOLETA DE VENTA ELECTRÓNICA B001-00000123"),
        ("Ñandú Pérez Ávila, ü ç ß", ""),
        (DIGITS, DIGITS),
        ("Glucosa ≥ 126 mg/dL\nHemograma completo\nVitamina B12 – 5 µg", "S/ 1,234.50"),
    ],
)
def test_a_reused_parse_embeds_what_a_fresh_parse_embeds(
    regular: str, bold: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reused = _render(regular, bold)
    monkeypatch.setattr(pdffontcache, "REUSE_PARSED_FONTS", False)
    parsed = _render(regular, bold)
    assert _font_facts(reused) == _font_facts(parsed)
    assert shown(reused) == shown(parsed)
    assert font_names(reused) == font_names(parsed)


def test_each_document_embeds_exactly_its_own_glyphs() -> None:
    _render(GREEK, "ΑΒΓ Ω ÑÁÉÍÓÚ")  # a rich document first
    after = _render(DIGITS, "TOTAL")
    assert _codepoints(after) == {
        "Roboto": {ord(c) for c in DIGITS} | {0x20},  # fpdf2 always keeps the space
        "RobotoBold": {ord(c) for c in "TOTAL"} | {0x20},
    }
    pdffontcache.clear()
    assert after == _render(DIGITS, "TOTAL")  # byte for byte what a first document gives


def test_documents_in_turn_equal_documents_alone() -> None:
    texts = [(GREEK, "Ω"), (DIGITS, ""), ("Ñandú", "ÁÉÍÓÚ"), (GREEK, "Ω")]
    in_turn = [_render(r, b) for r, b in texts]
    alone = []
    for regular, bold in texts:
        pdffontcache.clear()
        alone.append(_render(regular, bold))
    assert in_turn == alone
    assert in_turn[0] == in_turn[3]


def test_per_document_state_is_not_shared() -> None:
    first = _pdf(GREEK, "x")
    second = _pdf(DIGITS, "y")
    a, b = first.fonts[FAMILY.lower()], second.fonts[FAMILY.lower()]
    assert isinstance(a, TTFFont) and isinstance(b, TTFFont)
    for attr in ("ttfont", "subset", "cw", "desc", "missing_glyphs"):
        assert getattr(a, attr) is not getattr(b, attr), attr
    assert a.cmap is b.cmap  # read-only maps are shared: that is the point
    # A character the font lacks, written past fonts.text(): only this document notes it.
    first.set_font(FAMILY, "", 10)
    first.cell(0, 6, "漢")
    assert a.missing_glyphs == [ord("漢")] and b.missing_glyphs == []
    assert a.subset.pick(ord("Ω")) is not None and b.subset.pick(ord("5")) is not None
    picked = {g.unicode for g, _ in b.subset.items() if g is not None}
    assert (ord("Ω"),) not in picked and (ord("5"),) in picked
    out_a, out_b = bytes(first.output()), bytes(second.output())
    assert shown(out_b) == [DIGITS, "y"]
    assert ord("Ω") in _codepoints(out_a)["Roboto"]
    assert ord("Ω") not in _codepoints(out_b)["Roboto"]


def test_two_threads_at_once_render_as_one_at_a_time() -> None:
    jobs = [(GREEK, "ΑΒΓ"), (DIGITS, "TOTAL"), ("Ñandú Ávila", "Ω ≥ ≤"), ("µg/dL ±", "")]
    expected = {job: _render(*job) for job in jobs}  # one at a time, same process
    pdffontcache.clear()  # the threads also race to make the first parse
    start = threading.Barrier(2)

    def worker(offset: int) -> list[tuple[tuple[str, str], bytes]]:
        start.wait()
        order = jobs[offset:] + jobs[:offset]
        return [(job, _render(*job)) for _ in range(6) for job in order]

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [r for part in pool.map(worker, [0, 2]) for r in part]
    assert len(results) == 48
    for job, out in results:
        assert out == expected[job], job


def test_eight_threads_share_one_parse(parses: list[str]) -> None:
    start = threading.Barrier(8)

    def worker(i: int) -> list[str]:
        start.wait()
        return shown(_render(f"β-{i} " + GREEK, f"Ω {i}"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(worker, range(8)))
    assert texts == [[f"β-{i} " + GREEK, f"Ω {i}"] for i in range(8)]
    assert sorted(parses) == ["Roboto-Bold.ttf", "Roboto-Regular.ttf"]


def test_a_changed_font_file_is_parsed_again(tmp_path: Path, parses: list[str]) -> None:
    sources = pdffonts.font_files()
    assert sources is not None, "font-roboto is a dependency (pyproject.toml)"
    files = {"": tmp_path / "regular.ttf", "B": tmp_path / "bold.ttf"}
    shutil.copy(sources[""], files[""])
    shutil.copy(sources["B"], files["B"])
    assert font_names(_render("β", "Ω", files=files)) == {"Roboto", "RobotoBold"}
    replacement = tmp_path / "replacement.ttf"
    shutil.copy(sources["B"], replacement)
    replacement.replace(files[""])  # as _reduced does: a new file under the same name
    assert font_names(_render("β", "Ω", files=files)) == {"RobotoBold"}
    assert parses == ["regular.ttf", "bold.ttf", "regular.ttf"]


def test_a_font_fpdf2_cannot_share_is_parsed_per_document(
    parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if fpdf2 had been upgraded and its parsed font had other attributes.
    monkeypatch.setattr(pdffontcache, "KNOWN_SLOTS", frozenset({"i", "ttfont"}))
    outs = [_render(GREEK, "Ω") for _ in range(2)]
    assert len(parses) == 2 + 4  # the check's own parse, then every document's
    assert outs[0] == outs[1] and shown(outs[0]) == [GREEK, "Ω"]
    assert font_names(outs[0]) == {"Roboto", "RobotoBold"}


def test_the_installed_fpdf2_is_the_one_the_reuse_knows() -> None:
    # Fails on an fpdf2 upgrade that changes its parsed font: review _add_parsed then.
    assert frozenset(TTFFont.__slots__) == pdffontcache.KNOWN_SLOTS


def test_a_damaged_font_is_not_remembered(tmp_path: Path) -> None:
    sources = pdffonts.font_files()
    assert sources is not None
    files = {"": tmp_path / "regular.ttf", "B": tmp_path / "bold.ttf"}
    files[""].write_bytes(b"not a font")
    shutil.copy(sources["B"], files["B"])
    out = _render("β-HCG", files=files)
    assert shown(out) == ["beta-HCG"] and font_names(out) == {"Helvetica"}
    shutil.copy(sources[""], tmp_path / "good.ttf")
    (tmp_path / "good.ttf").replace(files[""])
    out = _render("β-HCG", files=files)
    assert shown(out) == ["β-HCG"] and font_names(out) == {"Roboto"}


def test_the_per_process_parse_is_bounded(tmp_path: Path) -> None:
    sources = pdffonts.font_files()
    assert sources is not None
    for i in range(pdffontcache.MAX_PARSED + 3):
        path = tmp_path / f"f{i}.ttf"
        shutil.copy(sources[""], path)
        assert shown(_render(f"β {i}", files={"": path})) == [f"β {i}"]
    assert len(pdffontcache._parsed) == pdffontcache.MAX_PARSED


@pytest.mark.slow
def test_a_real_edge_prints_at_once_as_one_at_a_time(tmp_path: Path, sunat_data: Path) -> None:
    """``labred edge serve`` renders PDFs from its threadpool with the one parse: boletas (A4
    and ticket) and tube labels asked for at once carry the same text and exactly the same
    embedded glyphs as when asked for one at a time."""
    with billing_node(tmp_path, sunat_data) as node:
        items = [catalog_id_for("service", code) for code in ("HOR-030", "HEM-001")]
        prices = [node.edge.get(f"/api/catalog/services/{i}").json()["price"] for i in items]
        sale = {
            "patient_id": node.patient_id,
            "items": items,
            "document_type": "03",
            "payments": [{"method": "efectivo", "amount": str(sum(map(Decimal, prices)))}],
        }
        r = node.edge.post("/api/orders", json=sale)
        assert r.status_code == 201, r.text
        order_id = r.json()["id"]
        boleta = until("the boleta", lambda: node.documents(order_id) or None)[0]
        requests = {
            "a4": (f"/api/billing/{boleta['id']}/pdf", {"format": "a4"}),
            "ticket": (f"/api/billing/{boleta['id']}/pdf", {"format": "ticket"}),
            "labels": (
                f"/api/orders/{order_id}/labels",
                {"format": "pdf", "reason": "Prueba de impresión simultánea"},
            ),
        }

        def fetch(kind: str) -> tuple[list[str], dict[str, set[int]]]:
            url, params = requests[kind]
            with httpx.Client(base_url=str(node.edge.base_url), timeout=60) as client:
                client.headers["Authorization"] = node.edge.headers["Authorization"]
                got = client.get(url, params=params)
            assert got.status_code == 200 and got.content.startswith(b"%PDF"), got.text
            return shown(got.content), _codepoints(got.content)

        for kind in requests:
            fetch(kind)  # the first print of the labels differs from any reprint
        alone = {kind: fetch(kind) for kind in requests}
        assert any("β" in line for line in alone["a4"][0]), alone["a4"][0]
        assert ord("β") in alone["a4"][1]["Roboto"]
        kinds = list(requests) * 4
        with ThreadPoolExecutor(max_workers=6) as pool:
            at_once = list(pool.map(fetch, kinds))
        for kind, got in zip(kinds, at_once, strict=True):
            assert got == alone[kind], kind


def test_a_damaged_bold_leaves_no_half_family(tmp_path: Path) -> None:
    sources = pdffonts.font_files()
    assert sources is not None
    broken = tmp_path / "bold.ttf"
    broken.write_bytes(b"not a font")
    pdf = FPDF()
    fonts = prepare(pdf, files={"": sources[""], "B": broken})
    assert not fonts.unicode and FAMILY.lower() not in pdf.fonts


def test_preparing_a_document_twice_keeps_its_first_font() -> None:
    pdf = _pdf(GREEK)
    first = pdf.fonts[FAMILY.lower()]
    with pytest.warns(UserWarning, match="already added"):
        again = prepare(pdf)
    assert again.unicode and pdf.fonts[FAMILY.lower()] is first
    pdf.set_font(again.family, "", 10)
    pdf.cell(0, 6, "Ω")
    assert shown(bytes(pdf.output())) == [GREEK, "Ω"]


def test_writing_documents_leaves_the_parse_whole() -> None:
    files = pdffonts.font_files()
    assert files is not None
    parsed = pdffontcache.parsed_font(files[""], FAMILY, "")
    assert parsed is not None and parsed.cmap_subtables is not None
    before = repr((parsed.glyph_order, parsed.cmap_subtables, parsed.h_metrics))
    template = (dict(parsed.template.cmap), dict(parsed.template.glyph_ids))
    for text in (GREEK, DIGITS, "Ñandú ΑΒΓ"):
        assert shown(_render(text, "Ω")) == [text, "Ω"]
    assert repr((parsed.glyph_order, parsed.cmap_subtables, parsed.h_metrics)) == before
    assert (parsed.template.cmap, parsed.template.glyph_ids) == template
    assert len(parsed.h_metrics) == len(parsed.glyph_order) > 1000  # the whole reduced font
