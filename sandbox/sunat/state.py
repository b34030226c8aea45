"""The simulator's memory: the documents and summaries SUNAT registered, and their optional
SQLite persistence (survives restarts)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def timestamp() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass
class DocRecord:
    """A document SUNAT registered (accepted or rejected) through sendBill."""

    filename: str
    ruc: str
    doc_type: str
    series: str
    number: int
    sha256: str
    status: str  # aceptado | observado | rechazado | anulado
    response_code: str
    description: str
    notes: list[str]
    cdr_zip: bytes
    received_at: str
    via: str = "sendBill"
    sends: int = 1
    duplicate_sends: int = 0
    last_send_at: str = ""
    issue_date: str = ""

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cdr_zip")
        data["has_cdr"] = bool(self.cdr_zip)
        return data


@dataclass
class TicketRecord:
    """A summary (RC / RA) accepted for asynchronous processing."""

    ticket: str
    filename: str
    ruc: str
    kind: str
    sha256: str
    status_code: int  # final 0 or 99
    response_code: str
    description: str
    cdr_zip: bytes
    lines: list[dict[str, Any]]
    received_at: str
    polls: int = 0
    applied: bool = False
    sends: int = 1

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cdr_zip")
        return data


@dataclass
class SimState:
    documents: dict[str, DocRecord] = field(default_factory=dict)  # key "RUC-TT-SERIE-N"
    tickets: dict[str, TicketRecord] = field(default_factory=dict)
    summary_lines: dict[str, dict[str, Any]] = field(default_factory=dict)  # boletas via RC
    requests: dict[str, int] = field(default_factory=dict)


class Store:
    """Optional SQLite persistence of :class:`SimState` (one JSON row per record)."""

    def __init__(self, path: Path | None) -> None:
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS sim_record (kind TEXT, key TEXT, body TEXT, "
                "PRIMARY KEY (kind, key))"
            )
            self._db.commit()

    def load(self) -> SimState:
        state = SimState()
        if self._db is None:
            return state
        for kind, key, body in self._db.execute("SELECT kind, key, body FROM sim_record"):
            data = json.loads(body)
            if "cdr_zip" in data:
                data["cdr_zip"] = base64.b64decode(data["cdr_zip"])
            if kind == "doc":
                state.documents[key] = DocRecord(**data)
            elif kind == "ticket":
                state.tickets[key] = TicketRecord(**data)
            elif kind == "line":
                state.summary_lines[key] = data
        return state

    def save(self, kind: str, key: str, record: Any) -> None:
        if self._db is None:
            return
        data = asdict(record) if not isinstance(record, dict) else dict(record)
        if isinstance(data.get("cdr_zip"), bytes):
            data["cdr_zip"] = base64.b64encode(data["cdr_zip"]).decode("ascii")
        self._db.execute(
            "INSERT OR REPLACE INTO sim_record (kind, key, body) VALUES (?, ?, ?)",
            (kind, key, json.dumps(data)),
        )
        self._db.commit()

    def clear(self) -> None:
        if self._db is not None:
            self._db.execute("DELETE FROM sim_record")
            self._db.commit()
