"""Headless demo: play D business days at every sede through the edges' APIs, cut one sede off
the hub for part of each day, register the same patient at two sedes during the cut, have
SUNAT reject a convenio's credit note at one sede on the last day and re-issue it
(:mod:`labred.demo.convenio_credit`), reject a drawn tube at one sede on the first day and draw it
again (:mod:`labred.demo.recollection`), wait for SUNAT, for the laboratory stand-ins' results and
for sync, reconcile on the hub, print a summary and check the invariants. After the last day's
closing, a late patient arrives at the first sede: its supervisor reopens the sealed day, one more
order is sold and the day is sealed again (:mod:`labred.demo.late_patient`)."""

from __future__ import annotations

import contextlib
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx

from domain.clock import LIMA, SystemClock, business_date
from labred.demo.checks import (
    edge_summary,
    hub_conninfo,
    lab_checks,
    lab_open_work,
    run_checks,
)
from labred.demo.convenio_credit import (
    CreditGate,
    CreditRound,
    credit_checks,
    hub_credit_note,
    play_round,
    print_credit,
)
from labred.demo.convenios import (
    ConvenioRound,
    convenio_checks,
    months_of,
    print_round,
    settle_on_hub,
)
from labred.demo.late_patient import LateRound, hub_order_days, late_checks, play_late, print_late
from labred.demo.recollection import (
    RecollectionRound,
    play_recollection,
    print_recollection,
    recollection_checks,
)
from labred.demo.topology import DEMO_PASSWORD, sede_code
from sandbox.daygen import Ledger, SedeDay, login

if TYPE_CHECKING:
    from labred.demo.orchestrator import Demo

DAY = 86400


class Progress:
    """A one-line progress bar on stderr (the summary goes to stdout)."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.done, self.label = total, 0, label
        self._lock = threading.Lock()

    def step(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            width = 30
            filled = int(width * self.done / max(1, self.total))
            bar = "#" * filled + "-" * (width - filled)
            print(
                f"\r{self.label} [{bar}] {self.done}/{self.total}",
                end="",
                file=sys.stderr,
                flush=True,
            )
            if self.done >= self.total:
                print(file=sys.stderr, flush=True)


def _set_day(demo: Demo, days_back: int) -> None:
    offset = str(-days_back * DAY)
    names = ["hub"] + [sede_code(k) for k in range(1, demo.o.sedes + 1)]
    for name in names:
        demo.t.clock_file(name).write_text(offset)
    time.sleep(1.1)  # file mtimes have 1 s resolution on some filesystems


def _wait(what: str, predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(1)
    print(f"  ! timed out waiting for {what}", flush=True)
    return False


_CLIENTS: dict[int, httpx.Client] = {}


@contextlib.contextmanager
def _edge_client(demo: Demo, k: int) -> Iterator[httpx.Client]:
    """One signed-in client per sede, reused: every sign-in is audited (an outbox row), so
    signing in on each poll would keep the backlog from ever reaching zero."""
    client = _CLIENTS.get(k)
    if client is None:
        client = httpx.Client(base_url=demo.t.edge_url(k), timeout=30)
        login(client, f"supervisor.{sede_code(k).lower()}", DEMO_PASSWORD)
        _CLIENTS[k] = client
    yield client


_LAST_STATUS: dict[str, Any] = {}


def _synced(demo: Demo) -> bool:
    done = True
    for k in range(1, demo.o.sedes + 1):
        with _edge_client(demo, k) as c:
            st = c.get("/api/sync/status").json()
            _LAST_STATUS[sede_code(k)] = {
                key: st.get(key) for key in ("backlog", "deferred", "last_error", "blocked")
            }
            if st.get("backlog", 1) != 0 or st.get("deferred", 0):
                done = False
    return done


def _sunat_settled(demo: Demo) -> bool:
    for k in range(1, demo.o.sedes + 1):
        with _edge_client(demo, k) as c:
            for state in ("pendiente", "enviado", "error_red", "por_reenviar"):
                if c.get("/api/billing", params={"state": state}).json()["count"]:
                    return False
    return True


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
    _wait(
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
    _wait(
        "laboratory results listener at every sede",
        lambda: all(_port_open(demo.t.listener_port(k)) for k in range(1, o.sedes + 1)),
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
    # The rejected tube and its retoma: the first day, at a sede neither cut off nor late.
    retoma_k = 2 if o.sedes >= 2 else 1
    retoma = RecollectionRound()
    for day in range(o.days):
        _set_day(demo, o.days - 1 - day)
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
        if last:  # the sede's day is sealed: reopen it for one late sale and seal it again
            late = play_late(
                base_url=demo.t.edge_url(late_k),
                sede_code=sede_code(late_k),
                password=DEMO_PASSWORD,
                day=today.isoformat(),
                rng=random.Random(o.seed * 1000 + 999),
                ledger=ledgers[(day, late_k)],
            )
            progress.step()
    _set_day(demo, 0)
    print("waiting for the laboratories' results ...", flush=True)
    edges = {k: demo.t.edge_dir(k) / "edge.sqlite3" for k in range(1, o.sedes + 1)}
    lab_done = _wait(
        "laboratory results",
        lambda: all(not any(lab_open_work(p).values()) for p in edges.values()),
        180,
    )
    if not lab_done:
        print(f"  lab work left: { {k: lab_open_work(p) for k, p in edges.items()} }", flush=True)
    print("waiting for SUNAT answers ...", flush=True)
    settled = _wait("SUNAT", lambda: _sunat_settled(demo), 180)
    print("waiting for every sede to sync with the hub ...", flush=True)
    synced = _wait("sync", lambda: _synced(demo), 180)
    if not synced:
        print(f"  last sync status: {_LAST_STATUS}", flush=True)
    for client in _CLIENTS.values():
        client.close()
    _CLIENTS.clear()
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
    closures = _reconcile(demo)
    labs = _lab_states(demo)
    return _report(
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
    )


def _port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _lab_states(demo: Demo) -> dict[str, dict[str, Any]]:
    """Each sede's laboratory stand-in, as it saw things (``GET /_lab/state``)."""
    out: dict[str, dict[str, Any]] = {}
    for k in range(1, demo.o.sedes + 1):
        r = httpx.get(f"http://127.0.0.1:{demo.t.lab_port(k)}/_lab/state", timeout=30)
        r.raise_for_status()
        out[sede_code(k)] = r.json()
    return out


def _reconcile(demo: Demo) -> list[dict[str, Any]]:
    from datetime import date, timedelta

    from domain.clock import LIMA, SystemClock, business_date
    from domain.ids import sede_id_for

    today: date = business_date(SystemClock().now(), LIMA)
    out: list[dict[str, Any]] = []
    hub = httpx.Client(base_url=demo.t.hub_url(), timeout=60)
    with contextlib.closing(hub):
        login(hub, "admin", DEMO_PASSWORD)
        for day in range(demo.o.days):
            d = today - timedelta(days=demo.o.days - 1 - day)
            for k in range(1, demo.o.sedes + 1):
                r = hub.post(
                    "/api/reconciliation/execute",
                    json={"sede_id": sede_id_for(sede_code(k)), "date": d.isoformat()},
                )
                if r.status_code != 200:
                    raise RuntimeError(
                        f"reconciliation {sede_code(k)} {d}: {r.status_code} {r.text[:300]}"
                    )
                out.append({"sede": sede_code(k), "date": d.isoformat(), **r.json()})
    return out


def _report(
    demo: Demo,
    ledgers: dict[tuple[int, int], Ledger],
    closures: list[dict[str, Any]],
    shared_doc: str | None,
    settled: bool,
    labs: dict[str, dict[str, Any]],
    convenios: ConvenioRound | None,
    credit: CreditRound,
    late: LateRound,
    retoma: RecollectionRound,
) -> int:
    print("")
    print(
        f"{'sede':<5} {'orders':>6} {'sold (S/)':>12} {'accepted':>8} {'other docs':<24} "
        f"{'to lab':>6} {'at lab':>6} {'results':>7} {'ready':>5} {'discrepancies':>13}"
    )
    edges = {sede_code(k): demo.t.edge_dir(k) / "edge.sqlite3" for k in range(1, demo.o.sedes + 1)}
    for k in range(1, demo.o.sedes + 1):
        code = sede_code(k)
        s = edge_summary(edges[code])
        docs = dict(s["documents"])
        accepted = docs.pop("aceptado", 0) + docs.pop("observado", 0)
        other = ", ".join(f"{state} {n}" for state, n in sorted(docs.items())) or "-"
        found = sum(c.get("discrepancy_count", 0) for c in closures if c["sede"] == code)
        sold = Decimal(s["sold_cents"]) / 100
        at_lab = len(labs.get(code, {}).get("applied_new", {}))
        print(
            f"{code:<5} {s['orders']:>6} {sold:>12,.2f} {accepted:>8} {other:<24} "
            f"{s['orders_sent_to_lab']:>6} {at_lab:>6} {s['orders_with_results']:>7} "
            f"{s['orders_ready']:>5} {found:>13}"
        )
    print("")
    for c in closures:
        print(
            f"closure {c['sede']} {c['date']}: {c['status']} "
            f"({c.get('discrepancy_count', 0)} discrepancies)"
        )
    if convenios is not None:
        print_round(convenios)
    print_credit(credit)
    print_late(late)
    print_recollection(retoma)
    report = run_checks(pg_dir=demo.t.hub_dir / "pg", edges=edges, shared_doc=shared_doc)
    lab_checks(report, pg_dir=demo.t.hub_dir / "pg", edges=edges, labs=labs)
    if convenios is None:
        report.check(False, "the convenio round reached the hub")
    elif not convenios.skipped:
        convenio_checks(report, convenios, edges)
    if not credit.skipped and not credit.error:
        at_hub = hub_credit_note(hub_conninfo(demo.t.hub_dir / "pg"), credit.order_id)
    else:
        at_hub = []
    credit_checks(report, credit, edges, at_hub, closures)
    late_hub = hub_order_days(hub_conninfo(demo.t.hub_dir / "pg"), late.order_id)
    credited = None if credit.skipped else credit.sede
    late_checks(report, late, edges=edges, at_hub=late_hub, closures=closures, credit_sede=credited)
    recollection_checks(report, retoma, edges=edges, conninfo=hub_conninfo(demo.t.hub_dir / "pg"))
    report.check(settled, "sync, SUNAT and laboratory queues drained")
    ledger_total = sum((lg.sold for lg in ledgers.values()), Decimal("0"))
    edge_total = sum(Decimal(edge_summary(p)["sold_cents"]) / 100 for p in edges.values())
    report.check(
        ledger_total == edge_total,
        f"amount sold equals what the counter was answered (S/ {ledger_total:,.2f})",
    )
    print("")
    print(f"invariants: {len(report.passed)} hold, {len(report.failures)} broken")
    for failure in report.failures:
        print(f"  BROKEN: {failure}")
    return 0 if not report.failures else 1
