"""sync.pdffonts: the Unicode font every PDF embeds, and the Latin-1 fallback without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from sync import pdffonts
from sync.pdffonts import FAMILY, PdfFonts, prepare, transliterate
from tests.pdftext import font_names, shown

LAB_TEXT = "β-HCG ≥ 25 mUI/mL · α-fetoproteína ± 2 µg · γ-GT ≤ 40 – “normal” ’"


def _render(text: str, *, files: dict[str, Path] | None = None) -> tuple[bytes, PdfFonts]:
    pdf = FPDF()
    fonts = prepare(pdf, files=files)
    pdf.add_page()
    pdf.set_font(fonts.family, "", 10)
    pdf.cell(0, 6, fonts.text(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.family, "B", 10)
    pdf.cell(0, 6, fonts.text("Ñandú β"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output()), fonts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("β-HCG", "beta-HCG"),
        ("α-fetoproteína", "alfa-fetoproteína"),
        ("γ-GT", "gamma-GT"),
        ("Glucosa ≥ 126", "Glucosa >= 126"),
        ("TSH ≤ 4.5", "TSH <= 4.5"),
        ("± 5 µg μg", "± 5 µg µg"),  # ± and the micro sign are Latin-1; Greek mu becomes µ
        ("Orina – 24 h — total", "Orina - 24 h - total"),
        ("“normal” ‘x’ O’Connor", "\"normal\" 'x' O'Connor"),
        ("Núñez Ávila ü", "Núñez Ávila ü"),
        ("Dvořák Łukasz", "Dvorák ?ukasz"),  # base letter when there is one, else ?
        ("漢字 😀", "?? ?"),
        ("", ""),
    ],
)
def test_transliterate_to_latin1(text: str, expected: str) -> None:
    out = transliterate(text)
    assert out == expected
    out.encode("latin-1")  # never raises


def test_unicode_font_round_trips_lab_symbols() -> None:
    pdf, fonts = _render(LAB_TEXT)
    assert fonts.unicode and fonts.family == FAMILY
    assert shown(pdf) == [LAB_TEXT, "Ñandú β"]
    assert font_names(pdf) == {"Roboto", "RobotoBold"}  # embedded (subsets), not Helvetica


def test_characters_the_font_lacks_are_transliterated_not_dropped() -> None:
    pdf, fonts = _render("β 漢 ≥")
    assert fonts.text("β 漢 ≥") == "β ? ≥"
    assert shown(pdf)[0] == "β ? ≥"


def test_missing_font_falls_back_to_core_font_and_plain_text(tmp_path: Path) -> None:
    missing = {"": tmp_path / "nope.ttf", "B": tmp_path / "nope-bold.ttf"}
    pdf, fonts = _render(LAB_TEXT, files=missing)
    assert not fonts.unicode and fonts.family == "Helvetica"
    assert shown(pdf)[0] == transliterate(LAB_TEXT)
    assert shown(pdf)[0].startswith("beta-HCG >= 25")
    assert font_names(pdf) == {"Helvetica", "Helvetica-Bold"}


def test_missing_font_package_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdffonts, "_FONT_PACKAGE", "no_such_font_package")
    assert pdffonts.source_files() is None
    monkeypatch.setattr(pdffonts, "font_files", lambda: None)
    pdf, fonts = _render("β-HCG")
    assert not fonts.unicode and shown(pdf)[0] == "beta-HCG"


def test_reduced_font_is_made_once_and_keeps_the_glyphs(tmp_path: Path) -> None:
    sources = pdffonts.source_files()
    assert sources is not None, "font-roboto is a dependency (pyproject.toml)"
    reduced = pdffonts._reduced(sources[""], tmp_path)
    assert reduced.stat().st_size < sources[""].stat().st_size / 2
    stamp = reduced.stat().st_mtime_ns
    assert pdffonts._reduced(sources[""], tmp_path).stat().st_mtime_ns == stamp  # reused
    pdf, fonts = _render(LAB_TEXT, files={"": reduced, "B": reduced})
    assert fonts.unicode and shown(pdf)[0] == LAB_TEXT


def test_unusable_reduction_embeds_the_full_font(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(source: Path, directory: Path) -> Path:
        raise OSError("read-only temp dir")

    monkeypatch.setattr(pdffonts, "_reduced", broken)
    pdffonts._font_files.cache_clear()
    try:
        files = pdffonts.font_files()
        assert files == pdffonts.source_files()
    finally:
        pdffonts._font_files.cache_clear()


def test_a_cleaned_temp_directory_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdffonts.tempfile, "gettempdir", lambda: str(tmp_path))
    pdffonts._font_files.cache_clear()
    try:
        files = pdffonts.font_files()
        assert files is not None and all(tmp_path in p.parents for p in files.values())
        for path in files.values():
            path.unlink()
        again = pdffonts.font_files()
        assert again == files and all(p.is_file() for p in again.values())
    finally:
        pdffonts._font_files.cache_clear()


def test_a_directory_of_another_user_is_not_trusted(tmp_path: Path) -> None:
    sources = pdffonts.source_files()
    assert sources is not None
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anyone could have planted a file here
    with pytest.raises(PermissionError):
        pdffonts._reduced(sources[""], shared)


def test_an_unreadable_font_falls_back(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    pdf, fonts = _render("β-HCG", files={"": broken, "B": broken})
    assert not fonts.unicode and shown(pdf)[0] == "beta-HCG"


def test_subset_keeps_the_pdf_small() -> None:
    pdf, _ = _render(LAB_TEXT)
    assert len(pdf) < 30_000, len(pdf)  # the full Roboto TTF alone is ~300 kB
