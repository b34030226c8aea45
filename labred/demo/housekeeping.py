"""The demo's housekeeping round: once every sede has sealed its last played day, the daily
housekeeping (``labred edge housekeeping`` at every sede, ``labred hub housekeeping``) runs as it
would run a month later, and the demo checks what it deleted and what it kept.

The played days are too recent for any retention rule to delete anything, so each housekeeping
process gets a clock of its own (``LABRED_EDGE_CLOCK_OFFSET_FILE`` /
``LABRED_HUB_CLOCK_OFFSET_FILE``, which win over the node's file) ``ahead_days`` in the
future: one day past the longest outbox window in force (the hub's ``retention_backup_days``
+ 2, replicated to the sedes), well inside the audit's (``retention_audit_days``, at least a
year). The running processes keep the demo's clocks.

Checked, from the databases, before and after (read-only):

- past retention, deleted: every outbox row the hub had acknowledged before the run, and every
  sign-in (refresh token) issued before it, at every sede and at the hub;
- within retention, kept: every audit event and Ley 29733 access-log entry (at the sedes, at the
  hub and the hub's copies of the sedes'), and every outbox row the hub had not acknowledged by
  the end of the run;
- no clinical, fiscal or money row was deleted anywhere (patients, orders, items, status events,
  payments, documents, SUNAT submissions, cash sessions, movements and counts, day seals,
  samples, results; at the hub every replicated record, closures, convenio payments, patients);
- sync still works afterwards: the late patient's sale (:mod:`labred.demo.late_patient`), made
  after this round, reaches the hub (checked in :func:`housekeeping_checks`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from labred.demo.checks import Report, hub_conninfo
from labred.demo.processes import labred_argv
from labred.demo.topology import sede_code

if TYPE_CHECKING:
    from labred.demo.orchestrator import Demo

DAY = 86400
# Edge tables that housekeeping must never touch (rows are compared by id).
EDGE_KEPT = (
    "patient", "lab_order", "order_item", "order_status_event", "payment", "invoice",
    "invoice_line", "invoice_document", "sunat_submission", "cash_session", "cash_movement",
    "cash_count", "day_seal", "sample", "lab_result", "convenio_invoice_order",
)  # fmt: skip
EDGE_AUDIT = ("audit_event", "access_log")
HUB_KEPT = ("recon_closure", "hub_convenio_payment", "hub_patient")
HUB_AUDIT_TYPES = ("audit_event", "access_log")
# central.config.settings.SETTING_DEFAULTS, until the hub's rows say otherwise
DEFAULT_AUDIT_DAYS, DEFAULT_BACKUP_DAYS, OUTBOX_MARGIN_DAYS = 1825, 30, 2


@dataclass
class EdgeSnap:
    kept: dict[str, set[str]]
    audit: dict[str, set[str]]
    tokens: set[str]
    outbox: set[int]
    acked_seq: int
    audit_days: int
    outbox_days: int


@dataclass
class HubSnap:
    kept: dict[str, set[str]]
    records: set[tuple[str, str]]  # (record_type, id) of every replicated record but the audit
    audit_records: set[tuple[str, str]]
    audit_events: set[str]
    tokens: set[str]
    audit_days: int


@dataclass
class HousekeepingRound:
    """What the round deleted (rows per node and table, from the databases) and what broke."""

    ahead_days: int = 0
    seconds: float = 0.0
    deleted: dict[str, dict[str, int]] = field(default_factory=dict)
    audit_kept: int = 0
    audit_lost: list[str] = field(default_factory=list)
    past_left: list[str] = field(default_factory=list)
    unacked_lost: list[str] = field(default_factory=list)
    kept_lost: list[str] = field(default_factory=list)
    error: str = ""
    skipped: str = ""


def _ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def _days(value: Any, default: int) -> int:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return default
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return int(value) if ok else default


def _ids(rows: Any) -> set[str]:
    return {str(r[0]) for r in rows}


def edge_snapshot(path: Path) -> EdgeSnap:
    with _ro(path) as db:
        kept = {t: _ids(db.execute(f"SELECT id FROM {t}")) for t in EDGE_KEPT}  # noqa: S608
        audit = {t: _ids(db.execute(f"SELECT id FROM {t}")) for t in EDGE_AUDIT}  # noqa: S608
        tokens = _ids(db.execute("SELECT id FROM refresh_token"))
        outbox = {int(r[0]) for r in db.execute("SELECT seq FROM sync_outbox")}
        acked = db.execute("SELECT acked_seq FROM sync_state WHERE id = 1").fetchone()
        setting = dict(db.execute("SELECT key, value FROM setting WHERE key LIKE 'retention_%'"))
    return EdgeSnap(
        kept, audit, tokens, outbox, int(acked[0]) if acked else 0,
        audit_days=_days(setting.get("retention_audit_days"), DEFAULT_AUDIT_DAYS),
        outbox_days=_days(setting.get("retention_backup_days"), DEFAULT_BACKUP_DAYS)
        + OUTBOX_MARGIN_DAYS,
    )  # fmt: skip


def hub_snapshot(conninfo: str) -> HubSnap:
    with psycopg.connect(conninfo) as hub:
        kept = {t: _ids(hub.execute(f"SELECT id FROM {t}")) for t in HUB_KEPT}  # noqa: S608
        records: set[tuple[str, str]] = set()
        audit: set[tuple[str, str]] = set()
        for rtype, rid in hub.execute("SELECT record_type, id FROM sync_record"):
            (audit if rtype in HUB_AUDIT_TYPES else records).add((str(rtype), str(rid)))
        events = _ids(hub.execute("SELECT id FROM hub_audit_event"))
        tokens = _ids(hub.execute("SELECT id FROM refresh_token"))
        row = hub.execute("SELECT value FROM setting WHERE key = 'retention_audit_days'").fetchone()
    audit_days = _days(row[0] if row else None, DEFAULT_AUDIT_DAYS)
    return HubSnap(kept, records, audit, events, tokens, audit_days)


def _lost(name: str, before: set[Any], after: set[Any]) -> list[str]:
    gone = before - after
    return [f"{name}: {len(gone)} of {len(before)} rows deleted"] if gone else []


def _audit(node: str, name: str, before: set[Any], after: set[Any], rnd: HousekeepingRound) -> None:
    rnd.audit_kept += len(before & after)
    rnd.audit_lost += [f"{node} {m}" for m in _lost(name, before, after)]


def _tokens(node: str, before: set[str], after: set[str], rnd: HousekeepingRound) -> None:
    rnd.deleted[node]["refresh_token"] = len(before - after)
    if before & after:
        rnd.past_left.append(f"{node}: {len(before & after)} expired sign-ins kept")


def compare_edge(code: str, before: EdgeSnap, after: EdgeSnap, rnd: HousekeepingRound) -> None:
    """Fill ``rnd`` with what the run did at sede ``code`` (``after`` read once it ended)."""
    deleted = rnd.deleted.setdefault(code, {})
    for t in EDGE_AUDIT:
        _audit(code, t, before.audit[t], after.audit[t], rnd)
    acked = {s for s in before.outbox if s <= before.acked_seq}
    deleted["sync_outbox"] = len(before.outbox - after.outbox)
    if acked & after.outbox:
        rnd.past_left.append(f"{code}: {len(acked & after.outbox)} acknowledged outbox rows kept")
    lost = {s for s in before.outbox - after.outbox if s > after.acked_seq}
    if lost:
        rnd.unacked_lost.append(f"{code}: {len(lost)} outbox rows the hub had not acknowledged")
    _tokens(code, before.tokens, after.tokens, rnd)
    for t in EDGE_KEPT:
        rnd.kept_lost += [f"{code} {m}" for m in _lost(t, before.kept[t], after.kept[t])]


def compare_hub(before: HubSnap, after: HubSnap, rnd: HousekeepingRound) -> None:
    rnd.deleted.setdefault("hub", {})
    _audit("hub", "hub_audit_event", before.audit_events, after.audit_events, rnd)
    _audit("hub", "sync_record (audit)", before.audit_records, after.audit_records, rnd)
    _tokens("hub", before.tokens, after.tokens, rnd)
    rnd.kept_lost += [f"hub {m}" for m in _lost("sync_record", before.records, after.records)]
    for t in HUB_KEPT:
        rnd.kept_lost += [f"hub {m}" for m in _lost(t, before.kept[t], after.kept[t])]


def run_housekeeping(demo: Demo) -> HousekeepingRound:
    """Run every node's housekeeping ``ahead_days`` in the future, in parallel; compare."""
    rnd = HousekeepingRound()
    edges = {sede_code(k): demo.t.edge_dir(k) for k in range(1, demo.o.sedes + 1)}
    conninfo = hub_conninfo(demo.t.hub_dir / "pg")
    try:
        before_edges = {c: edge_snapshot(d / "edge.sqlite3") for c, d in edges.items()}
        before_hub = hub_snapshot(conninfo)
    except (sqlite3.Error, psycopg.Error, OSError) as exc:
        rnd.error = f"reading the databases before: {exc}"
        return rnd
    rnd.ahead_days = max(s.outbox_days for s in before_edges.values()) + 1
    audit_days = min([s.audit_days for s in before_edges.values()] + [before_hub.audit_days])
    if rnd.ahead_days >= audit_days:  # the hub refuses an audit retention under a year
        rnd.error = f"audit retention ({audit_days} days) shorter than the outbox window"
        return rnd
    offset = demo.t.clock_file("housekeeping")
    offset.write_text(str(rnd.ahead_days * DAY))
    env = {
        **os.environ,
        "LABRED_EDGE_CLOCK_OFFSET_FILE": str(offset),
        "LABRED_HUB_CLOCK_OFFSET_FILE": str(offset),
    }
    argvs = {c: labred_argv("edge", "housekeeping", "--data-dir", str(d)) for c, d in edges.items()}
    argvs["hub"] = labred_argv("hub", "housekeeping", "--data-dir", str(demo.t.hub_dir))
    started = time.monotonic()
    procs = {
        name: subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        for name, argv in argvs.items()
    }  # fmt: skip
    failed = []
    log = demo.t.logs / "housekeeping.log"  # what each command printed, for inspection
    for name, proc in procs.items():
        try:
            out, _ = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            out = f"{out or ''}\n(stopped after 300 s)"
        with log.open("a") as fh:
            fh.write(f"== {name} (exit {proc.returncode})\n{out or ''}\n")
        if proc.returncode != 0:
            failed.append(f"{name} (exit {proc.returncode}): {(out or '').strip()[-300:]}")
    rnd.seconds = time.monotonic() - started
    if failed:
        rnd.error = "; ".join(failed)
        return rnd
    try:
        for code, d in edges.items():
            compare_edge(code, before_edges[code], edge_snapshot(d / "edge.sqlite3"), rnd)
        compare_hub(before_hub, hub_snapshot(conninfo), rnd)
    except (sqlite3.Error, psycopg.Error, OSError) as exc:
        rnd.error = f"reading the databases after: {exc}"
    return rnd


def print_housekeeping(rnd: HousekeepingRound) -> None:
    if rnd.skipped:
        print(f"housekeeping: skipped ({rnd.skipped})")
        return
    if rnd.error:
        print(f"housekeeping: failed: {rnd.error}")
        return
    print(f"housekeeping {rnd.ahead_days} days ahead, every node at once ({rnd.seconds:.1f} s):")
    for node, tables in rnd.deleted.items():
        rows = ", ".join(f"{t} {n}" for t, n in tables.items() if n) or "nothing"
        print(f"  {node}: deleted {rows}")


def housekeeping_checks(report: Report, rnd: HousekeepingRound, *, late_at_hub: bool) -> None:
    """The round's invariants; ``late_at_hub``: the late patient's sale, made after the round,
    reached the hub."""
    if rnd.skipped:
        return
    report.check(
        not rnd.error, "housekeeping ran at every node" + (f": {rnd.error}" if rnd.error else "")
    )
    if rnd.error:
        return
    outbox = sum(t.get("sync_outbox", 0) for t in rnd.deleted.values())
    tokens = sum(t.get("refresh_token", 0) for t in rnd.deleted.values())
    report.check(
        outbox > 0 and tokens > 0 and not rnd.past_left,
        f"housekeeping deleted what is past retention ({outbox} acknowledged outbox rows, "
        f"{tokens} expired sign-ins)" + "".join(f"; {m}" for m in rnd.past_left),
    )
    report.check(
        rnd.audit_kept > 0 and not rnd.audit_lost and not rnd.unacked_lost,
        f"housekeeping kept what is within retention ({rnd.audit_kept} audit rows, every "
        "unacknowledged outbox row)" + "".join(f"; {m}" for m in rnd.audit_lost + rnd.unacked_lost),
    )
    report.check(
        not rnd.kept_lost,
        "housekeeping deleted no clinical, fiscal or money row"
        + "".join(f"; {m}" for m in rnd.kept_lost),
    )
    report.check(late_at_hub, "a sale made after housekeeping reached the hub")
