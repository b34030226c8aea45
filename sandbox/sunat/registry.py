"""What the SUNAT side holds: the registry of documents and tickets (in memory, or in SQLite
when ``state_db`` is given) under one lock, and what its checks use (fault switches, the CDR
signer, SUNAT's validator and the texts of the codes)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from lxml import etree

from sandbox.sunat.cdr import CdrSigner
from sandbox.sunat.codes import MESSAGES
from sandbox.sunat.faults import Faults
from sandbox.sunat.state import SimState, Store
from sandbox.sunat.validation import Verdict, load_validator, run_rules, verify_signature


class Registry:
    """The SUNAT side's state: registry of documents and tickets, validation data, CDR signer."""

    def __init__(
        self,
        *,
        sunat_data: Path | None,
        faults: Faults,
        state_db: Path | None = None,
        credentials: dict[str, str] | None = None,
        signer: CdrSigner | None = None,
    ) -> None:
        self.faults = faults
        self.sunat_data = sunat_data
        self.credentials = credentials
        self.signer = signer or CdrSigner()
        self.validator = load_validator(sunat_data) if sunat_data is not None else None
        self.descriptions: dict[str, str] = dict(MESSAGES)
        if self.validator is not None:
            self.descriptions.update(self.validator.error_descriptions(str(sunat_data)))
        self.store = Store(state_db)
        self.state = self.store.load()
        self.lock = threading.RLock()

    # ------------------------------------------------------------------ admin

    def reset(self) -> None:
        with self.lock:
            self.state = SimState()
            self.store.clear()

    def describe(self) -> dict[str, Any]:
        with self.lock:
            return {
                "documents": [d.public() for d in self.state.documents.values()],
                "summaries": [t.public() for t in self.state.tickets.values()],
                "summary_lines": list(self.state.summary_lines.values()),
                "requests": dict(self.state.requests),
            }

    def count_request(self, operation: str) -> None:
        with self.lock:
            self.state.requests[operation] = self.state.requests.get(operation, 0) + 1

    # ------------------------------------------------------------------ content checks

    def check_content(self, xml: bytes, stem: str, root: etree._Element) -> Verdict:
        """The signature, then (when it was not altered) the XSD and SUNAT's rules."""
        verdict = verify_signature(xml, root, self.descriptions)
        if verdict is None:
            verdict = run_rules(
                xml,
                stem,
                root,
                validator=self.validator,
                sunat_data=self.sunat_data,
                descriptions=self.descriptions,
            )
        return verdict
