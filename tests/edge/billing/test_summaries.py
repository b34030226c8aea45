"""Resumen diario against the simulator: ticket 98 then 0, and a boleta voided (condition 3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlmodel import select

from domain.clock import FixedClock
from edge.billing import hooks, sender, summaries, summary_build
from edge.billing.models import ACEPTADO, ANULADO, PENDIENTE, Invoice, InvoiceFile, SunatSummary
from edge.db import read_session, unit_of_work
from edge.orders.models import Order
from edge.runtime import EdgeRuntime
from tests.edge.billing.conftest import RUC, Sim
from tests.edge.billing.helpers import issue
from tests.edge.billing.test_issuing import sunat_errors

MakeOrder = Callable[..., Order]


def states(rt: EdgeRuntime, *docs: Invoice) -> list[str]:
    with read_session(rt.engine) as session:
        return [session.get(Invoice, d.id).state for d in docs]  # type: ignore[union-attr]


def rc_rows(rt: EdgeRuntime) -> list[tuple[str, str, str | None, int | None]]:
    with read_session(rt.engine) as session:
        return [
            (r.name, r.state, r.ticket and "ticket", r.status_code)
            for r in session.exec(select(SunatSummary).order_by(SunatSummary.created_at))  # type: ignore[arg-type]
        ]


def test_boletas_via_summary_ticket_98_then_0(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    rt.settings.boletas_via_summary = True
    docs = [issue(rt, make_order()) for _ in range(3)]
    assert sender.send_round(rt, client=sim.client()).sent == 0  # not sent one by one
    # 10:00 in Lima: today's boletas wait for the evening (or the next day).
    assert summaries.summaries_round(rt, client=sim.client()).created == []
    clock.advance(dt.timedelta(hours=12, minutes=30))  # 22:30 in Lima
    first = summaries.summaries_round(rt, client=sim.client())
    assert first.created == ["RC-20260310-101"] and len(first.sent) == 1
    assert rc_rows(rt) == [("RC-20260310-101", "enviado", "ticket", None)]
    clock.advance(seconds=60)
    second = summaries.summaries_round(rt, client=sim.client())
    assert list(second.polled.values()) == [98]
    assert states(rt, *docs) == [PENDIENTE] * 3
    clock.advance(seconds=1)  # still processing: asked again at the very next round
    third = summaries.summaries_round(rt, client=sim.client())
    assert list(third.polled.values()) == [0]
    assert states(rt, *docs) == [ACEPTADO] * 3
    assert rc_rows(rt) == [("RC-20260310-101", ACEPTADO, "ticket", 0)]
    base = rt.settings.data_dir / "documents" / "2026-03-10"
    assert (base / f"{RUC}-RC-20260310-101.xml").exists()
    assert (base / f"R-{RUC}-RC-20260310-101.zip").exists()
    lines = sim.documents()["summary_lines"]
    assert sorted(ln["number"] for ln in lines) == [1, 2, 3]
    assert {ln["status"] for ln in lines} == {"aceptado"}


def test_same_day_boleta_voided_through_the_summary(
    rt: EdgeRuntime, make_order: MakeOrder, sim: Sim, clock: FixedClock
) -> None:
    boleta = issue(rt, make_order())
    with unit_of_work(rt.engine) as session:
        order = session.get(Order, boleta.order_id)
        assert order is not None
        hooks.void_for_cancelled(session=session, order=order, user=None, clock=clock)
    assert sender.send_round(rt, client=sim.client()).sent == 0
    for _ in range(8):
        summaries.summaries_round(rt, client=sim.client())
        clock.advance(seconds=60)
    assert states(rt, boleta) == [ANULADO]
    names = [r[0] for r in rc_rows(rt)]
    assert names == ["RC-20260310-101", "RC-20260310-102"]  # reported (1), then voided (3)
    line = [ln for ln in sim.documents()["summary_lines"] if ln["number"] == 1]
    assert line and line[0]["status"] == "anulado"


def test_summary_xml_passes_sunat_rules(
    rt: EdgeRuntime, make_order: MakeOrder, sunat_data: Path
) -> None:
    rt.settings.boletas_via_summary = True
    issue(rt, make_order())
    issue(rt, make_order(discount="5.00"))
    names = summary_build.build_due_summaries(rt, force=True)
    assert names == ["RC-20260310-101"]
    with read_session(rt.engine) as session:
        row = session.exec(select(SunatSummary)).one()
        xml = (
            session.exec(
                select(InvoiceFile).where(InvoiceFile.owner_id == row.id, InvoiceFile.kind == "xml")
            )
            .one()
            .content
        )
    assert sunat_errors(sunat_data, xml) == []


def test_alarm_near_deadline(rt: EdgeRuntime, make_order: MakeOrder, clock: FixedClock) -> None:
    boleta = issue(rt, make_order())
    summaries.refresh_alarms(rt)
    with read_session(rt.engine) as session:
        assert session.get(Invoice, boleta.id).alarm is False  # type: ignore[union-attr]
    clock.advance(dt.timedelta(days=1))  # deadline day of a boleta
    summaries.refresh_alarms(rt)
    with read_session(rt.engine) as session:
        assert session.get(Invoice, boleta.id).alarm is True  # type: ignore[union-attr]
