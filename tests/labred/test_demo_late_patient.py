"""The headless demo's late patient after closing, below the processes: its invariants (each
one can fail) and the cases where the round is skipped or stopped half-way. The round itself,
against real processes, is in tests/labred/test_processes.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from labred.demo.checks import Report
from labred.demo.late_patient import LateRound, late_checks, print_late

DAY, ORDER = "2026-11-29", "ord-late"


def _edge(path: Path, *, seal: tuple[str, int] | None = ("sellado", 1), orders: int = 5) -> Path:
    """A sede's SQLite as the round leaves it: ``orders`` orders of the day, the late one last."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE day_seal (business_date TEXT, status TEXT, reopen_count INTEGER);"
        "CREATE TABLE lab_order (id TEXT, business_date TEXT);"
    )
    if seal is not None:
        db.execute("INSERT INTO day_seal VALUES (?, ?, ?)", (DAY, *seal))
    for n in range(orders - 1):
        db.execute("INSERT INTO lab_order VALUES (?, ?)", (f"ord-{n}", DAY))
    db.execute("INSERT INTO lab_order VALUES (?, ?)", (ORDER, DAY))
    db.commit()
    db.close()
    return path


def _round(**change: Any) -> LateRound:
    values: dict[str, Any] = {
        "sede": "S01",
        "day": DAY,
        "order_id": ORDER,
        "order_number": "S01-20261129-0005",
        "reopened_status": "reabierto",
        "sealed_orders": 4,
        "resealed_orders": 5,
    } | change
    return LateRound(**values)


def _closure(
    status: str = "reconciled", count: int = 5, kinds: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "sede": "S01",
        "date": DAY,
        "status": status,
        "seal_figures": {"orders": {"count": count}},
        "discrepancies": [{"kind": k} for k in kinds],
    }


def _run(
    tmp_path: Path,
    *,
    round_: LateRound | None = None,
    closures: list[dict[str, Any]] | None = None,
    at_hub: list[str] | None = None,
    credit_sede: str | None = "S03",
    **edge: Any,
) -> Report:
    rep = Report()
    late_checks(
        rep,
        round_ or _round(),
        edges={"S01": _edge(tmp_path / "edge.sqlite3", **edge)},
        at_hub=[DAY] if at_hub is None else at_hub,
        closures=[_closure()] if closures is None else closures,
        credit_sede=credit_sede,
    )
    return rep


def test_a_healthy_round_holds_three_invariants(tmp_path: Path) -> None:
    rep = _run(tmp_path)
    assert rep.failures == []
    assert len(rep.passed) == 3
    assert any("sealed again, reopened once (sellado/1)" in p for p in rep.passed)
    assert any("the hub reconciles the re-sealed day (reconciled)" in p for p in rep.passed)
    assert any("late order S01-20261129-0005 is at the hub" in p for p in rep.passed)


@pytest.mark.parametrize(
    "edge",
    [
        {"seal": ("reabierto", 1)},
        {"seal": ("sellado", 0)},
        {"seal": ("sellado", 2)},
        {"seal": None},
    ],
)
def test_the_seal_must_be_sealed_again_after_one_reopening(
    tmp_path: Path, edge: dict[str, Any]
) -> None:
    rep = _run(tmp_path, **edge)
    assert len(rep.failures) == 1 and "sealed again" in rep.failures[0]


@pytest.mark.parametrize(
    ("closures", "round_change"),
    [
        ([_closure(status="pending_data")], {}),
        ([_closure(status="reopened")], {}),
        ([_closure(count=4)], {}),  # the hub still holds the first seal's figures
        ([], {}),  # no closure of that day
        ([_closure(status="with_discrepancies", kinds=("seal_mismatch",))], {}),
        ([_closure()], {"sealed_orders": 5}),  # the re-seal did not count one more order
    ],
)
def test_the_hub_must_reconcile_the_re_sealed_figures(
    tmp_path: Path, closures: list[dict[str, Any]], round_change: dict[str, Any]
) -> None:
    rep = _run(tmp_path, closures=closures, round_=_round(**round_change))
    assert len(rep.failures) == 1 and "re-sealed day" in rep.failures[0]


def test_the_edge_must_hold_the_late_order_on_that_day(tmp_path: Path) -> None:
    rep = _run(tmp_path, orders=6, closures=[_closure(count=6)])  # one order more than sealed
    assert len(rep.failures) == 1 and "re-sealed day" in rep.failures[0]


def test_on_the_credit_sede_only_the_rejected_credit_note_may_be_found(tmp_path: Path) -> None:
    found = [_closure(status="with_discrepancies", kinds=("document_rejected",))]
    for sub in ("credit", "other"):
        (tmp_path / sub).mkdir()
    assert _run(tmp_path / "credit", closures=found, credit_sede="S01").failures == []
    rep = _run(tmp_path / "other", closures=found, credit_sede="S03")
    assert len(rep.failures) == 1 and "with_discrepancies" in rep.failures[0]


@pytest.mark.parametrize("at_hub", [[], [DAY, DAY], ["2026-11-28"]])
def test_the_late_order_must_be_at_the_hub_once(tmp_path: Path, at_hub: list[str]) -> None:
    rep = _run(tmp_path, at_hub=at_hub)
    assert len(rep.failures) == 1 and "is at the hub" in rep.failures[0]


def test_a_round_stopped_half_way_is_one_broken_invariant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    round_ = _round(error="day reopen: HTTP 409 day_not_sealed")
    rep = _run(tmp_path, round_=round_)
    assert rep.passed == []
    assert rep.failures == [
        "S01: the late patient after closing: day reopen: HTTP 409 day_not_sealed"
    ]
    print_late(round_)
    assert "FAILED (day reopen: HTTP 409" in capsys.readouterr().out


def test_a_skipped_round_checks_nothing(tmp_path: Path) -> None:
    rep = _run(tmp_path, round_=LateRound(skipped="the last day was not played"))
    assert rep.passed == rep.failures == []
