"""Indexes the consolidated patient search and a patient's orders need, on tables the sync
package owns (``hub_patient``, ``sync_record``): declared here, created by the migrations.

- ``ix_hub_patient_doc_prefix``: the document number, for equality and prefix (``LIKE 'x%'``).
- ``ix_hub_patient_name_key``: ``last_names || ' ' || first_names`` without accents, upper case,
  for surname-first prefixes ("quispe ma" finds "QUISPE MAMANI ROSA", "nunez" finds "NÚÑEZ"),
  in index order, so a page costs the same over a thousand or a million patients.
- ``ix_sync_record_order_patient``: orders by ``payload->>'patient_id'`` (orders only).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, func, literal

from central.sync.models import HubPatient, SyncRecord

_P: Any = HubPatient.__table__  # type: ignore[attr-defined]
_R: Any = SyncRecord.__table__  # type: ignore[attr-defined]

_ACCENTED, _PLAIN = "ÁÉÍÓÚÜÑÀÈÌÒÙáéíóúüñàèìòù", "AEIOUUNAEIOUaeiouunaeiou"
NAME_KEY = func.upper(
    func.translate(
        _P.c.last_names.op("||")(literal(" ")).op("||")(_P.c.first_names),
        literal(_ACCENTED),
        literal(_PLAIN),
    )
)
NAME_KEY_SQL = f"upper(translate((last_names || ' ') || first_names, '{_ACCENTED}', '{_PLAIN}'))"

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
