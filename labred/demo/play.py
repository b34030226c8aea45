"""Headless demo: play D business days at every sede through the edges' APIs, cut one sede off
the hub for part of each day, register the same patient at two sedes during the cut, have
SUNAT reject a convenio's credit note at one sede on the last day and re-issue it
(:mod:`labred.demo.convenio_credit`), reject a drawn tube at one sede on the first day and draw it
again (:mod:`labred.demo.recollection`), wait for SUNAT, for the laboratory stand-ins' results and
for sync, reconcile on the hub, print a summary and check the invariants. After the last day's
closing, every node's daily housekeeping runs as it would years later
(:mod:`labred.demo.housekeeping`); then a late patient arrives at the first sede: its supervisor
reopens the sealed day, one more order is sold and the day is sealed again
(:mod:`labred.demo.late_patient`), a sale after housekeeping that must reach the hub."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx

from domain.clock import LIMA, SystemClock, business_date
from labred.demo.checks import lab_open_work
from labred.demo.convenio_credit import CreditGate, play_round
from labred.demo.convenios import ConvenioRound, months_of, settle_on_hub
from labred.demo.housekeeping import HousekeepingRound, run_housekeeping
from labred.demo.late_patient import LateRound, play_late
from labred.demo.play_report import print_report, reconcile
from labred.demo.play_waiting import (
    LAST_STATUS,
    Progress,
    all_synced,
    close_clients,
    lab_states,
    port_open,
    set_day,
    sunat_settled,
    wait,
)
from labred.demo.recollection import RecollectionRound, play_recollection
from labred.demo.topology import DEMO_PASSWORD, sede_code
from sandbox.daygen import Ledger, SedeDay

if TYPE_CHECKING:
    from labred.demo.orchestrator import Demo


def play_and_check(demo: Demo) -> int:
    o = demo.o
    rng = random.Random(o.seed)
    shared = {
        "doc_type": "1",
        "doc_number": f"{rng.randint(40_000_000, 49_999_999)}",
        "first_names": "ROSA ELENA",
        "last_names": "QUISPE MAMANI",
        "sex": "F",
    }
    ledgers: dict[tuple[int, int], Ledger] = {}
    # +1: the late patient after the last day's closing (first sede)
    progress = Progress(o.days * o.sedes * o.orders_per_day + 1, "selling")
    cut_k = late_k = 1
    # Every demo user must have come down from the hub before selling.
    wait(
        "users and catalog at every sede",
        lambda: all(
            httpx.post(
                demo.t.edge_url(k) + "/api/auth/login",
                json={
                    "username": f"recepcion.{sede_code(k).lower()}",
                    "password": DEMO_PASSWORD,
                },
                timeout=10,
            ).status_code
            == 200
            for k in range(1, o.sedes + 1)
        ),
        120,
    )
    # The hub's laboratory settings have reached every sede once its results listener is up.
    wait(
        "laboratory results listener at every sede",
        lambda: all(port_open(demo.t.listener_port(k)) for k in range(1, o.sedes + 1)),
        120,
    )
    today = business_date(SystemClock().now(), LIMA)
    months = months_of(today - timedelta(days=n) for n in range(o.days))
    # The rejected convenio credit note: played at the last sede (not the one cut off) on
    # the last day, between its convenio facturas and its cash closing.
    credit_k = o.sedes
    edge_files = {sede_code(k): demo.t.edge_dir(k) / "edge.sqlite3" for k in range(1, o.sedes + 1)}
    gate = CreditGate(
        o.sedes,
        sede_code(credit_k),
        lambda day, sup, facturas: play_round(
            day, sup, sim_url=demo.t.sunat_sim_url(), edges=edge_files, facturas=facturas
        ),
    )
    late = LateRound(skipped="the last day was not played")
    housekeeping = HousekeepingRound(skipped="the last day was not played")
    # The rejected tube and its retoma: the first day, at a sede neither cut off nor late.
    retoma_k = 2 if o.sedes >= 2 else 1
    retoma = RecollectionRound()
    for day in range(o.days):
        set_day(demo, o.days - 1 - day)
        errors: list[str] = []
        last = day == o.days - 1

        def play(k: int, day: int = day, errors: list[str] = errors, last: bool = last) -> None:
            midday = None
            person = None
            if k == cut_k and o.sedes > 1:

                def midday() -> None:
                    demo.links[cut_k].cut()  # type: ignore[attr-defined]

            if day == 0 and k in (1, 2) and o.sedes > 1:
                person = dict(shared, phone="987654321" if k == 1 else "912345678")
            hooks: list[Callable[[SedeDay, httpx.Client], None]] = []
            if day == 0 and k == retoma_k:
                hooks.append(lambda d, sup: play_recollection(d, sup, retoma))
            if last:
                hooks.append(gate.before_close)

            def before_close(d: SedeDay, sup: httpx.Client) -> None:
                for hook in hooks:
                    hook(d, sup)

            sede_day = SedeDay(
                base_url=demo.t.edge_url(k),
                sede_code=sede_code(k),
                password=DEMO_PASSWORD,
                orders=o.orders_per_day,
                rng=random.Random(o.seed * 1000 + day * 50 + k),
                on_progress=progress.step,
                full_cover=last and k == credit_k,
            )
            try:
                ledgers[(day, k)] = sede_day.run(
                    shared_patient=person,
                    midday=midday,
                    invoice_months=months if last else (),
                    before_close=before_close if hooks else None,
                )
            except Exception as exc:  # noqa: BLE001 - reported below, fails the demo
                gate.abort()  # the other sedes must not wait for this one at the gate
                why = str(exc) or "stopped before its cash closing: another sede failed"
                errors.append(f"{sede_code(k)} day {day + 1}: {why}")

        threads = [threading.Thread(target=play, args=(k,)) for k in range(1, o.sedes + 1)]
        # The cut sede's partner registers the shared patient while the link is down: start
        # the cut sede first so its midday comes earlier.
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        demo.links[cut_k].restore()  # type: ignore[attr-defined]
        if errors:
            for e in errors:
                print(f"labred demo: {e}", file=sys.stderr)
            return 1
        if last:  # every day sealed: housekeeping, then reopen S01's for one late sale
            print("housekeeping at every node, as a month later ...", flush=True)
            housekeeping = run_housekeeping(demo)
            late = play_late(
                base_url=demo.t.edge_url(late_k),
                sede_code=sede_code(late_k),
                password=DEMO_PASSWORD,
                day=today.isoformat(),
                rng=random.Random(o.seed * 1000 + 999),
                ledger=ledgers[(day, late_k)],
            )
            progress.step()
    set_day(demo, 0)
    print("waiting for the laboratories' results ...", flush=True)
    edges = {k: demo.t.edge_dir(k) / "edge.sqlite3" for k in range(1, o.sedes + 1)}
    lab_done = wait(
        "laboratory results",
        lambda: all(not any(lab_open_work(p).values()) for p in edges.values()),
        180,
    )
    if not lab_done:
        print(f"  lab work left: { {k: lab_open_work(p) for k, p in edges.items()} }", flush=True)
    print("waiting for SUNAT answers ...", flush=True)
    settled = wait("SUNAT", lambda: sunat_settled(demo), 180)
    print("waiting for every sede to sync with the hub ...", flush=True)
    synced = wait("sync", lambda: all_synced(demo), 180)
    if not synced:
        print(f"  last sync status: {LAST_STATUS}", flush=True)
    close_clients()
    sold_to_convenios = any(lg.convenio_orders for lg in ledgers.values())
    convenios: ConvenioRound | None = None
    if sold_to_convenios:  # the 4th order of a day (and every 6th after) is a convenio's
        print("the convenios' facturas at the hub, a convenio payment ...", flush=True)
        try:
            convenios = settle_on_hub(
                demo.t.hub_url(), DEMO_PASSWORD, ledgers.values(), credited=gate.round.factura
            )
        except (RuntimeError, httpx.HTTPError) as exc:
            print(f"  ! {exc}", flush=True)
    closures = reconcile(demo)
    labs = lab_states(demo)
    # Periodic jobs (the SUNAT worker's resumen diario, ...) may have written rows since: the
    # checks read every sede's outbox as acknowledged, so wait for sync once more.
    synced = wait("sync", lambda: all_synced(demo), 60) and synced
    close_clients()
    return print_report(
        demo,
        ledgers,
        closures,
        shared["doc_number"] if o.sedes > 1 else None,
        synced and settled and lab_done,
        labs,
        convenios if sold_to_convenios else ConvenioRound(skipped=True),
        gate.round,
        late,
        retoma,
        housekeeping,
    )
