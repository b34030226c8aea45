"""The HTTP side of the catalog import: the uploaded base64 and the preview's answer."""

from __future__ import annotations

import base64
import binascii

from central.catalog.schemas import ImportChange, ImportCounts, ImportPreview, ImportRowError
from central.catalog.transfer_plan import Plan
from domain.errors import InvalidInput

SHOWN = 200  # changes and errors listed in an answer (the counts cover them all)


def decode_upload(content_base64: str) -> bytes:
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            "El archivo no llegó bien codificado (base64).",
            code="import_file_encoding",
            loc=["body", "content_base64"],
        ) from exc


def import_answer(plan: Plan) -> ImportPreview:
    return ImportPreview(
        rows=plan.rows,
        counts=ImportCounts(**plan.counts()),
        changes=[
            ImportChange(
                row=c.row,
                code=c.code,
                name=c.name,
                actions=c.actions,
                fields=c.fields,
                old_price=c.old_price,
                new_price=c.new_price,
                price_from=c.price_from,
                scheduled_price=c.scheduled_price,
                scheduled_from=c.scheduled_from,
            )
            for c in plan.changes[:SHOWN]
        ],
        changes_total=len(plan.changes),
        errors=[
            ImportRowError(row=e.row, column=e.column, type=e.code, msg=e.msg)
            for e in plan.errors[:SHOWN]
        ],
        errors_total=len(plan.errors),
    )
