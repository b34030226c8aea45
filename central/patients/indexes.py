"""Indexes the consolidated patient search and a patient's orders need, on tables the sync
package owns (``hub_patient``, ``sync_record``): declared here, created by the migrations.

- ``ix_hub_patient_doc_prefix``: the document number, for equality and prefix (``LIKE 'x%'``).
- ``ix_hub_patient_name_key``: the *name key* of ``last_names || ' ' || first_names`` (see
  :data:`NAME_KEY_SQL`), for surname-first prefixes ("quispe ma" finds "QUISPE MAMANI ROSA",
  "nunez" finds "NÚÑEZ", "oconnor" finds "O'CONNOR", "garcia perez" and "garciaperez" find
  "GARCIA-PEREZ"), in index order, so a page costs the same over a thousand or a million
  patients. Migration 0003 rebuilt it with this key.
- ``ix_sync_record_order_patient``: orders by ``payload->>'patient_id'`` (orders only).

The name key is defined once, here, for both sides: :data:`NAME_KEY_SQL` (the index expression,
which the search's SQL repeats verbatim so the planner matches the index) and
:func:`name_key` (the same fold in Python, for the query text). One ``translate`` does it all:
Spanish accented letters become plain upper-case letters, ASCII letters upper case, and the
apostrophes (' ’ ‘ ` ´ ʼ), hyphens and spaces are removed, so word boundaries do not matter
("O CONNOR", "O'CONNOR" and "OCONNOR" share the key "OCONNOR..."). No ``upper()``: its result
depends on the server's locale, ``translate`` does not, so Python and PostgreSQL always agree.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import Index, func, literal

from central.sync.models import HubPatient, SyncRecord

_P: Any = HubPatient.__table__  # type: ignore[attr-defined]
_R: Any = SyncRecord.__table__  # type: ignore[attr-defined]

_CAPITALS = "ÁÉÍÓÚÜÑÀÈÌÒÙÄËÏÖÂÊÎÔÛÃÕÇÝ"
ACCENTED = _CAPITALS + _CAPITALS.lower()
PLAIN = "".join(unicodedata.normalize("NFKD", c)[0].upper() for c in ACCENTED)
LOWER, UPPER = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
APOSTROPHES = "'\u2019\u2018`\u00b4\u02bc"  # as edge.patients.search.APOSTROPHES
REMOVED = APOSTROPHES + "- "
"""Characters the name key drops: ``translate`` deletes the ``from`` characters that have no
counterpart in ``to``."""
_FROM, _TO = ACCENTED + LOWER + REMOVED, PLAIN + UPPER


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


NAME_KEY_SQL = (
    f"translate((last_names || ' ') || first_names, {_sql_text(_FROM)}, {_sql_text(_TO)})"
)
"""The name key of a ``hub_patient`` row, as the index and the search write it."""
NAME_KEY = func.translate(
    _P.c.last_names.op("||")(literal(" ")).op("||")(_P.c.first_names),
    literal(_FROM),
    literal(_TO),
)
"""The same expression over the table's columns (binds the index to ``hub_patient``)."""

_TABLE = str.maketrans(_FROM[: len(_TO)], _TO, _FROM[len(_TO) :])
_OTHER_SPACE = re.compile(r"\s+")


def name_key(text: str) -> str:
    """The name key of a typed query: :data:`NAME_KEY_SQL` applied to ``text`` (composed first,
    so "N" + combining tilde is "Ñ"; any other white space dropped too)."""
    return _OTHER_SPACE.sub("", unicodedata.normalize("NFC", text)).translate(_TABLE)


DOC_PREFIX = Index(
    "ix_hub_patient_doc_prefix",
    _P.c.doc_number,
    postgresql_ops={"doc_number": "text_pattern_ops"},
)
NAME_PREFIX = Index(
    "ix_hub_patient_name_key",
    NAME_KEY.label("name_key"),
    postgresql_ops={"name_key": "text_pattern_ops"},
)
ORDER_PATIENT = Index(
    "ix_sync_record_order_patient",
    _R.c.payload["patient_id"].astext,
    postgresql_where=_R.c.record_type == "order",
)
