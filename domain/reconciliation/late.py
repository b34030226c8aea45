"""Which rows that arrive after a day was closed change its figures (late adjustments)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The fields of each business record that the day's figures are made of. A row of a closed
# day that changes none of them (a SUNAT state, an order's status or balance) is expected.
FIGURE_FIELDS: dict[str, tuple[str, ...]] = {
    "order": ("sede_id", "business_date", "number", "total", "covered_total"),
    "payment": ("sede_id", "business_date", "order_id", "method", "amount"),
    "invoice": ("sede_id", "business_date", "doc_type", "series", "number", "order_id", "total"),
    "cash_session": (
        "sede_id", "business_date", "status", "expected", "declared", "difference_cents",
    ),
    "sample": ("sede_id", "business_date"),
}  # fmt: skip


def changes_figures(
    record_type: str,
    *,
    op: str,
    payload: Mapping[str, Any],
    before_known: bool,
    before_op: str | None,
    before: Mapping[str, Any] | None,
) -> bool:
    """Whether a row that arrived after its day was closed changes the day's figures: a
    business record (``FIGURE_FIELDS``) that is new, deleted or restored, or whose figure
    fields differ from the image the closure counted (``before``). Without a record of that
    image (``before_known`` false) it is assumed to change them."""
    fields = FIGURE_FIELDS.get(record_type)
    if fields is None:
        return False
    if not before_known or before is None:
        return True
    if (op == "delete") != (before_op == "delete"):
        return True
    return any(payload.get(f) != before.get(f) for f in fields)
