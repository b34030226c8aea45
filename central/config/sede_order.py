"""The order of sedes by code everywhere the hub lists them: natural, so S2 < S10 < S100 (and
S09 < S10), the order the dashboard's ``byCode`` in central/web/static/lib.js shows.

A sede code is one letter and one to seven letters or digits (central/config/schemas.py), so a
run of digits is at most seven long: padding every run to eight digits makes the text order
the natural one. The same key exists three ways: a SQLAlchemy expression for ORM queries
(:func:`sede_code_order`), SQL text for hand-written queries (:func:`sede_code_sql`) and a
Python key for lists already in memory (:func:`sede_code_key`). Ties (S7 and S07) fall back to
the code itself.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.sql.elements import KeyedColumnElement

PAD = 8  # digits per run after padding: more than the longest run a code can have (7)
_RUN = re.compile(r"[0-9]+")

# Prefix each digit run with PAD zeros, then keep the last PAD digits of each run.
_PAD_RUN = r"\1"
_ZEROS = "0" * PAD
_TRIM = f"0*([0-9]{{{PAD}}})"


def sede_code_key(code: str) -> tuple[str, str]:
    """Natural sort key of a sede code (for ``sorted(..., key=...)``)."""
    return _RUN.sub(lambda m: m.group().zfill(PAD), code), code


def sede_code_sql(column: str) -> str:
    """``ORDER BY`` text for a code column of hand-written SQL (``column`` is trusted text,
    e.g. ``s.code``): the natural key, then the code."""
    padded = (
        f"regexp_replace(regexp_replace({column}, '([0-9]+)', '{_ZEROS}\\1', 'g'), "
        f"'{_TRIM}', '\\1', 'g') COLLATE \"C\""
    )
    return f'{padded}, {column} COLLATE "C"'


def sede_code_order(column: KeyedColumnElement[Any] | Any) -> list[ColumnElement[Any]]:
    """``order_by(*sede_code_order(Sede.code))`` for ORM queries: the natural key, then the code."""
    padded = func.regexp_replace(
        func.regexp_replace(column, "([0-9]+)", _ZEROS + _PAD_RUN, "g"), _TRIM, _PAD_RUN, "g"
    )
    return [padded.collate("C"), column.collate("C")]
