"""The headless demo's housekeeping round, sync lag figure and digest comparison, below the
processes: each invariant can fail. The round itself, against real processes, runs in the
headless demo (tests/labred/test_processes.py)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from labred.demo.checks import Report
from labred.demo.housekeeping import (
    EDGE_AUDIT,
    EDGE_KEPT,
    HUB_KEPT,
    HousekeepingRound,
    HubSnap,
    compare_edge,
    compare_hub,
    edge_snapshot,
    housekeeping_checks,
)
from labred.demo.sync_lag import Lag, digest_checks, lag_checks, lag_of


def _edge_db(path: Path, *, audit: int = 3, outbox: int = 10, acked: int = 6) -> Path:
    db = sqlite3.connect(path)
    for table in (*EDGE_KEPT, *EDGE_AUDIT):
        db.execute(f"CREATE TABLE {table} (id TEXT PRIMARY KEY)")
        db.execute(f"INSERT INTO {table} VALUES ('{table}-1'), ('{table}-2')")
    for t in EDGE_AUDIT:
        db.execute(f"DELETE FROM {t}")
        db.executemany(f"INSERT INTO {t} VALUES (?)", [(f"{t}-{n}",) for n in range(audit)])
    db.execute("CREATE TABLE sync_outbox (seq INTEGER PRIMARY KEY)")
    db.executemany("INSERT INTO sync_outbox VALUES (?)", [(n,) for n in range(1, outbox + 1)])
    db.execute("CREATE TABLE sync_state (id INTEGER, acked_seq INTEGER)")
    db.execute("INSERT INTO sync_state VALUES (1, ?)", (acked,))
    db.execute("CREATE TABLE refresh_token (id TEXT PRIMARY KEY)")
    db.execute("INSERT INTO refresh_token VALUES ('rt-1'), ('rt-2')")
    db.execute("CREATE TABLE setting (key TEXT, value TEXT)")
    db.execute("INSERT INTO setting VALUES ('retention_audit_days', '1825')")
    db.execute("INSERT INTO setting VALUES ('retention_backup_days', '30')")
    db.commit()
    db.close()
    return path


def _round(tmp_path: Path, **wrong: Any) -> tuple[HousekeepingRound, Report]:
    path = _edge_db(tmp_path / "edge.sqlite3")
    before = edge_snapshot(path)
    assert (before.audit_days, before.outbox_days, before.acked_seq) == (1825, 32, 6)
    db = sqlite3.connect(path)
    db.execute("UPDATE sync_state SET acked_seq = 8")  # the hub acknowledged more meanwhile
    db.commit()
    db.close()
    _housekeep_rows(path, **wrong)
    rnd = HousekeepingRound(ahead_days=33)
    compare_edge("S01", before, edge_snapshot(path), rnd)
    compare_hub(_hub(tokens={"hub-rt"}), _hub(), rnd)
    report = Report()
    housekeeping_checks(report, rnd, late_at_hub=True)
    return rnd, report


def _housekeep_rows(
    path: Path, *, upto: int = 6, drop: str = "", lose_audit: bool = False, tokens: bool = True
) -> None:
    """What the edge's housekeeping does (or, with the arguments, does wrong)."""
    db = sqlite3.connect(path)
    db.execute("DELETE FROM sync_outbox WHERE seq <= ?", (upto,))
    if tokens:
        db.execute("DELETE FROM refresh_token")
    db.execute("INSERT INTO refresh_token VALUES ('rt-new')")  # a sign-in meanwhile: kept
    for t in EDGE_AUDIT:
        if lose_audit:
            db.execute(f"DELETE FROM {t} WHERE id = '{t}-0'")
        db.execute(f"INSERT INTO {t} VALUES ('{t}-new')")
    if drop:
        db.execute(f"DELETE FROM {drop} WHERE id = '{drop}-1'")
    db.execute("INSERT INTO lab_order VALUES ('lab_order-new')")  # a sale meanwhile
    db.commit()
    db.close()


def _hub(**change: Any) -> HubSnap:
    values: dict[str, Any] = {
        "kept": {t: {f"{t}-1"} for t in HUB_KEPT},
        "records": {("order", "o1"), ("invoice", "i1")},
        "audit_records": set(),
        "audit_events": {"e1"},
        "tokens": set(),
        "audit_days": 1825,
    } | change
    return HubSnap(**values)


def test_a_good_round_holds_every_invariant(tmp_path: Path) -> None:
    rnd, report = _round(tmp_path)
    assert report.failures == [], report.failures
    assert rnd.deleted == {
        "S01": {"sync_outbox": 6, "refresh_token": 2},
        "hub": {"refresh_token": 1},
    }
    assert rnd.audit_kept == 3 + 3 + 1  # the sede's audit and access log, the hub's event
    assert len(report.passed) == 5


def test_audit_within_retention_deleted_breaks_it(tmp_path: Path) -> None:
    _, report = _round(tmp_path, lose_audit=True)
    assert report.failures == [
        "housekeeping kept what is within retention (5 audit rows, every unacknowledged outbox "
        "row); S01 audit_event: 1 of 3 rows deleted; S01 access_log: 1 of 3 rows deleted"
    ]


def test_expired_sign_ins_left_behind_break_it(tmp_path: Path) -> None:
    _, report = _round(tmp_path, tokens=False)
    assert [f for f in report.failures if "S01: 2 expired sign-ins kept" in f], report.failures


def test_an_acknowledged_row_left_or_an_unacknowledged_one_deleted_breaks_it(
    tmp_path: Path,
) -> None:
    _, left = _round(tmp_path, upto=5)
    assert [f for f in left.failures if "1 acknowledged outbox rows kept" in f], left.failures
    again = tmp_path / "again"
    again.mkdir()
    _, lost = _round(again, upto=10)  # seqs 9 and 10 were never acknowledged
    assert [f for f in lost.failures if "had not acknowledged" in f], lost.failures


def test_a_clinical_row_deleted_breaks_it(tmp_path: Path) -> None:
    for n, table in enumerate(("payment", "invoice", "lab_result", "cash_session")):
        d = tmp_path / str(n)
        d.mkdir()
        _, report = _round(d, drop=table)
        assert report.failures == [
            f"housekeeping deleted no clinical, fiscal or money row; S01 {table}: 1 of 2 rows "
            "deleted"
        ]


def test_at_the_hub_kept_records_and_audit_left_break_it() -> None:
    rnd = HousekeepingRound(ahead_days=33)
    before = _hub(audit_events={"e1", "e2"}, audit_records={("audit_event", "a1")}, tokens={"t"})
    after = _hub(
        records={("order", "o1")},  # the invoice is gone
        audit_events={"e2"},
        audit_records=set(),
        tokens={"t"},
    )
    compare_hub(before, after, rnd)
    report = Report()
    housekeeping_checks(report, rnd, late_at_hub=False)
    text = "\n".join(report.failures)
    assert "hub hub_audit_event: 1 of 2 rows deleted" in text
    assert "hub sync_record (audit): 1 of 1 rows deleted" in text
    assert "hub: 1 expired sign-ins kept" in text
    assert "hub sync_record: 1 of 2 rows deleted" in text
    assert "a sale made after housekeeping reached the hub" in text


def test_a_failed_or_skipped_round() -> None:
    report = Report()
    housekeeping_checks(report, HousekeepingRound(error="S01 (exit 1): boom"), late_at_hub=True)
    assert report.failures == ["housekeeping ran at every node: S01 (exit 1): boom"]
    skipped = Report()
    housekeeping_checks(skipped, HousekeepingRound(skipped="no day"), late_at_hub=False)
    assert skipped.failures == skipped.passed == []


MOVED = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


def _status(push: dt.datetime | None, pull: dt.datetime | None, backlog: int = 0) -> dict[str, Any]:
    return {
        "last_push_at": push.isoformat() if push else None,
        "last_pull_at": pull.isoformat() if pull else None,
        "backlog": backlog,
        "push_lag_seconds": 2.5,
    }


def test_the_lag_is_printed_only_when_measured_on_one_clock() -> None:
    after, before = MOVED + dt.timedelta(seconds=30), MOVED - dt.timedelta(days=1)
    assert lag_of("S01", _status(before, after), moved=MOVED, shifted=False).seconds == 2.5
    # counted from a push made while the hub lived "yesterday": not a true figure
    stale = lag_of("S01", _status(before, after, backlog=3), moved=MOVED, shifted=False)
    assert stale.seconds is None and "moved" in stale.why
    assert lag_of("S01", _status(after, after), moved=MOVED, shifted=True).seconds is None
    assert lag_of("S01", _status(None, after), moved=MOVED, shifted=False).why == "it never pushed"


def test_lag_check() -> None:
    ok = Report()
    lag_checks(ok, [Lag("S01", 2.0), Lag("S02", 9.5)], 2)
    assert ok.failures == []
    bad = Report()
    lag_checks(bad, [Lag("S01", 2.0), Lag("S02", None, "x"), Lag("S03", 600.0)], 3)
    assert bad.failures == ["the hub is at most 120 s behind every sede at the end (not: S02, S03)"]
    missing = Report()
    lag_checks(missing, [Lag("S01", 2.0)], 2)
    assert missing.failures


def test_digest_check() -> None:
    ok = Report()
    digest_checks(ok, {"S01": {"last_digest_result": "ok"}, "S02": {"last_digest_result": "ok"}}, 2)
    assert ok.passed and ok.failures == []
    drift = Report()
    statuses: dict[str, dict[str, Any]] = {
        "S01": {"last_digest_result": "ok"},
        "S02": {"last_digest_result": "repaired", "last_digest_repaired": ["service"]},
        "S03": {"last_digest_result": None},  # never compared
    }
    digest_checks(drift, statuses, 3)
    assert drift.failures == [
        "every sede's copies of the hub's tables agreed with the hub's digests "
        "(not: {'S02': ['service'], 'S03': []})"
    ]
    missing = Report()
    digest_checks(missing, {"S01": {"last_digest_result": "ok"}}, 2)
    assert missing.failures
