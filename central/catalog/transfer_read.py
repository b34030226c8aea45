"""Reading an imported catalog file (xlsx or csv) into rows of raw cells by column.

Bounds: ``MAX_FILE_BYTES`` (413 ``import_file_too_large``), ``MAX_ROWS`` data rows and an
xlsx that unpacks to at most ``MAX_UNZIPPED_BYTES`` (422). The header row is the first of the
first ``HEADER_SCAN`` rows whose first non-empty cell reads "Código" (the export puts a title
above it); headers are matched without case, accents or extra spaces. CSV: UTF-8 with or without
BOM (Windows-1252 as a fallback), ``;``, ``,`` or tab separated (the most frequent in the header
line wins), as Excel writes it in es-PE.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from central.catalog.transfer import COLUMNS
from domain.errors import InvalidInput

MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 3000
MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
HEADER_SCAN = 10
REQUIRED = ("code", "name", "price")
LOC = ["body", "content_base64"]


def refuse_rows_with_errors(rows: Collection[int]) -> None:
    """An import is all or nothing: a file with refused rows (their numbers) is not applied."""
    if rows:
        raise InvalidInput(
            f"El archivo tiene {len(rows)} fila(s) con errores: no se aplicó nada. Corríjalas y "
            "vuelva a previsualizar.",
            code="import_has_errors",
            loc=LOC,
            extra={"rows_with_errors": len(rows)},
        )


class FileTooLarge(InvalidInput):
    status = 413
    default_code = "import_file_too_large"


@dataclass(frozen=True)
class RawRow:
    number: int  # the row number the spreadsheet shows
    cells: dict[str, Any]  # field -> cell value (str, int, float, datetime or None)


@dataclass(frozen=True)
class RawFile:
    fields: frozenset[str]  # the columns the file has
    rows: list[RawRow]


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: how headers and yes/no words are compared."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip().lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.split())


_ALIASES = {fold(header): field for field, header in COLUMNS} | {
    "codigo": "code",
    "precio": "price",
    "precio programado": "scheduled_price",
    "vigente desde": "scheduled_from",
    "estado": "active",
    "igv": "igv",
    "perfil": "members",
}


def read_file(
    content: bytes,
    *,
    aliases: Mapping[str, str] | None = None,
    required: Mapping[str, str] | None = None,
) -> RawFile:
    """The header's columns and the non-empty data rows of ``content`` (xlsx or csv).

    ``aliases`` (folded header -> field) and ``required`` (field -> the header named when it is
    missing) default to the catalog's; another file layout (a convenio's price list,
    :mod:`central.convenios.price_transfer`) passes its own."""
    if len(content) > MAX_FILE_BYTES:
        raise FileTooLarge(
            f"El archivo supera el máximo de {MAX_FILE_BYTES // (1024 * 1024)} MB: "
            "divídalo en partes.",
            loc=LOC,
        )
    if not content.strip():
        raise InvalidInput("El archivo está vacío.", code="import_file_empty", loc=LOC)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(
            "El formato .xls (Excel 97-2003) no se admite: guárdelo como .xlsx o CSV.",
            code="import_file_format",
            loc=LOC,
        )
    table = _xlsx_rows(content) if content.startswith(b"PK\x03\x04") else _csv_rows(content)
    if aliases is None:
        aliases = _ALIASES
    if required is None:
        required = {f: dict(COLUMNS)[f] for f in REQUIRED}
    return _collect(table, aliases, required)


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNZIPPED_BYTES:
            raise InvalidInput(
                "El archivo xlsx es demasiado grande una vez descomprimido.",
                code="import_file_too_large",
                loc=LOC,
            )
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except InvalidInput:
        raise
    except Exception as exc:  # not a workbook: zip, xml or openpyxl errors alike
        raise InvalidInput(
            "No se pudo leer el archivo: no es un libro de Excel (.xlsx) válido.",
            code="import_file_unreadable",
            loc=LOC,
        ) from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        book.close()


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for values in reader:
            yield reader.line_num, list(values)
    except csv.Error as exc:
        raise InvalidInput(
            f"No se pudo leer el CSV (línea {reader.line_num}): revise las comillas.",
            code="import_file_unreadable",
            loc=LOC,
        ) from exc


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _collect(
    table: Iterable[tuple[int, list[Any]]], aliases: Mapping[str, str], required: Mapping[str, str]
) -> RawFile:
    columns: dict[int, str] | None = None
    rows: list[RawRow] = []
    for number, values in table:
        if columns is None:
            if number > HEADER_SCAN:
                break
            filled = [v for v in values if not _blank(v)]
            if filled and fold(str(filled[0])) in ("codigo", "cod", "code"):
                columns = _header(values, aliases, required)
            continue
        if all(_blank(v) for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(
                f"El archivo tiene más de {MAX_ROWS} filas: divídalo en partes.",
                code="import_too_many_rows",
                loc=LOC,
            )
        cells = {field: values[i] if i < len(values) else None for i, field in columns.items()}
        rows.append(RawRow(number, cells))
    if columns is None:
        raise InvalidInput(
            "No se encontró la fila de encabezados (la que empieza con «Código») en las "
            f"primeras {HEADER_SCAN} filas de la primera hoja.",
            code="import_no_header",
            loc=LOC,
        )
    return RawFile(frozenset(columns.values()), rows)


def _header(
    values: list[Any], aliases: Mapping[str, str], required: Mapping[str, str]
) -> dict[int, str]:
    columns: dict[int, str] = {}
    for i, value in enumerate(values):
        field = aliases.get(fold(str(value))) if not _blank(value) else None
        if field is not None and field not in columns.values():
            columns[i] = field
    missing = [f for f in required if f not in columns.values()]
    if missing:
        names = ", ".join(f"«{required[f]}»" for f in missing)
        raise InvalidInput(
            f"Faltan columnas obligatorias: {names}.", code="import_missing_columns", loc=LOC
        )
    return columns
