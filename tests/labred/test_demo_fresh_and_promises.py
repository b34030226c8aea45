"""The headless demo plays on fresh nodes (a second run in the same directory sealed nothing
twice), never removing what a demo did not write; and its invariant on the results promise
fails on a sale whose promise breaks the rule."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from domain.results_promise import promised_at
from labred.demo.checks import promise_check
from labred.demo.topology import Topology


def test_a_headless_run_clears_what_an_earlier_demo_left(tmp_path: Path) -> None:
    topo = Topology(port_base=8100, data_dir=tmp_path / "demo-data", sedes=2)
    assert topo.clear_previous() == []  # nothing yet
    for name in ("hub", "sandbox", "logs", "clock", "edge-S01", "edge-S02"):
        (topo.data_dir / name).mkdir(parents=True)
        (topo.data_dir / name / "state").write_text("sealed")
    assert topo.clear_previous() == ["clock", "edge-S01", "edge-S02", "hub", "logs", "sandbox"]
    assert list(topo.data_dir.iterdir()) == []


def test_a_directory_holding_anything_else_is_refused_and_left_alone(tmp_path: Path) -> None:
    topo = Topology(port_base=8100, data_dir=tmp_path, sedes=1)
    (tmp_path / "hub").mkdir()
    (tmp_path / "edge.sqlite3").write_text("a real node's data")
    with pytest.raises(ValueError, match="edge.sqlite3"):
        topo.clear_previous()
    assert (tmp_path / "hub").is_dir() and (tmp_path / "edge.sqlite3").exists()


def _node(path: Path, promise_shift: dt.timedelta) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE setting (key TEXT, value TEXT);"
        "CREATE TABLE catalog_service (id TEXT, turnaround_hours INTEGER);"
        "CREATE TABLE order_item (order_id TEXT, service_id TEXT);"
        "CREATE TABLE lab_order (id TEXT, created_at TEXT, results_promised_at TEXT);"
        "INSERT INTO catalog_service VALUES ('hem', 4), ('cul', 72);"
        "INSERT INTO order_item VALUES ('o1', 'hem'), ('o2', 'hem'), ('o2', 'cul');"
    )
    sold = dt.datetime(2026, 11, 30, 22, 15, tzinfo=dt.UTC)  # 17:15 in Lima, a Monday
    for order_id, hours in (("o1", [4]), ("o2", [4, 72])):
        promise = promised_at(sold_at=sold, turnaround_hours=hours)
        if order_id == "o2":
            promise += promise_shift
        conn.execute(
            "INSERT INTO lab_order VALUES (?, ?, ?)",
            (order_id, sold.isoformat(), promise.isoformat()),
        )
    return conn


def test_the_promise_invariant_holds_for_the_rule_and_fails_off_it(tmp_path: Path) -> None:
    with _node(tmp_path / "good.sqlite3", dt.timedelta(0)) as good:
        assert promise_check(good, "S01") == (
            True,
            "S01: every sale promised its results by the rule (2/2)",
        )
    with _node(tmp_path / "bad.sqlite3", dt.timedelta(hours=-1)) as bad:
        ok, what = promise_check(bad, "S01")
    assert not ok and what.endswith("(1/2)")
