"""SUNAT's server-side checks of a comunicación de baja (RA) against the documents it registered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lxml import etree

from sandbox.sunat.codes import MESSAGES
from sandbox.sunat.content import first_text
from sandbox.sunat.registry import Registry
from sandbox.sunat.validation import Verdict


def check_voided_lines(
    reg: Registry, ruc: str, root: etree._Element, lines: list[dict[str, Any]]
) -> Verdict | None:
    """SUNAT's server-side checks of an RA: each document registered and not voided
    (2105), issued on the RA's ReferenceDate (2375), and inside the baja window (2374)."""
    reference = first_text(root, "cbc:ReferenceDate")
    issued = first_text(root, "cbc:IssueDate")
    for line in lines:
        key = f"{ruc}-{line['doc_type']}-{line['series']}-{line['number']}"
        doc = reg.state.documents.get(key)
        if doc is None or doc.status in ("anulado", "rechazado"):
            return Verdict(response_code="2105", reason=MESSAGES["2105"])
        if doc.issue_date and doc.issue_date != reference:
            return Verdict(response_code="2375", reason=reg.descriptions["2375"])
        try:
            late = (
                dt.date.fromisoformat(issued) - dt.date.fromisoformat(doc.issue_date)
            ).days > reg.faults.baja_days
        except ValueError:
            late = False
        if late:
            return Verdict(response_code="2374", reason=reg.descriptions["2374"])
    return None
