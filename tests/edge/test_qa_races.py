"""Races across real processes: two ``labred edge serve`` on one data directory, requests fired
at once from threads at both.

- a sale double-clicked with one ``Idempotency-Key`` is sold once (the key is new);
- the same balance paid by two cashiers at once is paid once; the balance never goes negative;
- cancelling while paying ends consistent (paid and refunded, or refused as cancelled);
- a cancellation fired twice cancels once, with one refund;
- two supervisors approving one discount request at once apply it once;
- one document registered twice at once gives one patient (409 with its id for the rest);
- a burst of wrong passwords evaluates at most five of them (the rest 429, the right password
  included) — this one failed before ``complete_login`` re-read the lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.catalog_data import catalog_id_for
from domain.permissions import Role
from tests.edge.factories import add_users
from tests.procs import bearer, init_edge, serving_edge

PASSWORD = "clave-del-proceso-qa"
ENV = {"LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "1000000"}

pytestmark = pytest.mark.slow


@dataclass
class Node:
    data: Path
    bases: list[str]
    headers: dict[str, str]
    patient_id: str
    users: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("qa-races")
    data = init_edge(tmp / "edge", PASSWORD)
    users = ((Role.RECEPCIONISTA, "rocio"), (Role.SUPERVISOR, "sonia"), (Role.SUPERVISOR, "saul"))
    add_users(data, *users, password=PASSWORD)
    with (
        serving_edge(data, log=tmp / "a.log", env=ENV) as a,
        serving_edge(data, log=tmp / "b.log", env=ENV) as b,
        httpx.Client(base_url=a.url, timeout=30) as http,
    ):
        bases = [a.url, b.url]
        tokens = {
            name: bearer(http, name, PASSWORD) for name in ("admin", "rocio", "sonia", "saul")
        }
        h = tokens["admin"]
        r = http.post("/api/cash/sessions", json={"opening_float": "100.00"}, headers=h)
        assert r.status_code == 201, r.text
        person = {
            "doc_type": "1",
            "doc_number": "45678912",
            "first_names": "ANA MARÍA",
            "last_names": "PÉREZ QUISPE",
        }
        r = http.post("/api/patients", json=person, headers=h)
        assert r.status_code == 201, r.text
        yield Node(data=data, bases=bases, headers=h, patient_id=r.json()["id"], users=tokens)


def _at_once(node: Node, calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[Any]:
    """Run ``calls`` together (alternating between the two processes); their responses."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        with httpx.Client(base_url=node.bases[i % 2], timeout=30) as http:
            start.wait()
            results[i] = calls[i](http)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None for r in results), "a request did not finish"
    return results


def _post(
    url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Callable[[httpx.Client], httpx.Response]:
    def call(client: httpx.Client) -> httpx.Response:
        return client.post(url, json=body, headers=headers)

    return call


def _order(node: Node) -> dict[str, Any]:
    body = {"patient_id": node.patient_id, "items": [catalog_id_for("service", "HEM-001")]}
    r = httpx.post(f"{node.bases[0]}/api/orders", json=body, headers=node.headers, timeout=30)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _rows(node: Node, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(node.data / "edge.sqlite3")
    try:
        return list(conn.execute(sql, args).fetchall())
    finally:
        conn.close()


def test_a_double_click_with_one_idempotency_key_sells_once(node: Node) -> None:
    """The same sale fired four times at once at both processes, one key: one order, one
    payment, and every answer is that order (three of them marked as replays)."""
    cash = [{"method": "efectivo", "amount": "35.00", "tendered": "50.00"}]
    body = {
        "patient_id": node.patient_id,
        "items": [catalog_id_for("service", "HEM-001")],
        "payments": cash,
    }
    headers = {**node.headers, "Idempotency-Key": "doble-clic-0001"}
    answers = _at_once(node, [lambda c: c.post("/api/orders", json=body, headers=headers)] * 4)
    assert [r.status_code for r in answers] == [201] * 4, [r.text for r in answers]
    ids = {r.json()["id"] for r in answers}
    assert len(ids) == 1
    replays = [r.headers.get("Idempotent-Replayed") for r in answers]
    assert sorted(replays, key=str) == [None, "true", "true", "true"]
    (order_id,) = ids
    assert _rows(node, "SELECT count(*) FROM payment WHERE order_id = ?", order_id) == [(1,)]
    assert _rows(node, "SELECT count(*) FROM order_request_key WHERE order_id = ?", order_id) == [
        (1,)
    ]


def test_one_balance_paid_at_once_by_six_clients_is_paid_once(node: Node) -> None:
    order = _order(node)
    pay = {"payments": [{"method": "tarjeta", "amount": order["balance"], "reference": "V-1"}]}
    url = f"/api/orders/{order['id']}/payments"
    cashiers = [node.users["admin"], node.users["rocio"]] * 3  # two cashiers, three clicks each
    answers = _at_once(node, [_post(url, pay, h) for h in cashiers])
    codes = sorted(r.status_code for r in answers)
    assert codes == [201, 422, 422, 422, 422, 422], [r.text for r in answers]
    assert {r.json()["detail"][0]["type"] for r in answers if r.status_code == 422} == {
        "overpayment"
    }
    rows = _rows(node, "SELECT amount FROM payment WHERE order_id = ?", order["id"])
    assert rows == [(3500,)]  # céntimos
    assert _rows(node, "SELECT paid_total, balance FROM lab_order WHERE id = ?", order["id"]) == [
        (3500, 0)
    ]


def test_cancel_while_paying_ends_consistent(node: Node) -> None:
    order = _order(node)
    pay = {"payments": [{"method": "yape", "amount": order["balance"], "reference": "OP-1"}]}
    base = f"/api/orders/{order['id']}"
    answers = _at_once(
        node,
        [
            lambda c: c.post(f"{base}/payments", json=pay, headers=node.headers),
            lambda c: c.post(f"{base}/cancel", json={"reason": "Desistió"}, headers=node.headers),
        ],
    )
    paid, cancelled = answers
    assert cancelled.status_code == 200, cancelled.text
    assert paid.status_code in (201, 409), paid.text
    amounts = [
        a for (a,) in _rows(node, "SELECT amount FROM payment WHERE order_id = ?", order["id"])
    ]
    if paid.status_code == 201:  # paid first: the cancellation refunded it
        assert sorted(amounts) == [-3500, 3500]
    else:
        assert paid.json()["detail"][0]["type"] == "order_cancelled"
        assert amounts == []
    assert _rows(
        node, "SELECT status, paid_total, balance FROM lab_order WHERE id = ?", order["id"]
    ) == [("anulada", 0, 0)]


def test_a_cancellation_fired_twice_cancels_once(node: Node) -> None:
    order = _order(node)
    pay = {"payments": [{"method": "plin", "amount": order["balance"], "reference": "OP-1"}]}
    r = httpx.post(
        f"{node.bases[0]}/api/orders/{order['id']}/payments", json=pay, headers=node.headers
    )
    assert r.status_code == 201, r.text
    url = f"/api/orders/{order['id']}/cancel"
    answers = _at_once(
        node, [lambda c: c.post(url, json={"reason": "Doble clic"}, headers=node.headers)] * 4
    )
    assert sorted(r.status_code for r in answers) == [200, 409, 409, 409]
    refunds = _rows(
        node, "SELECT amount FROM payment WHERE order_id = ? AND amount < 0", order["id"]
    )
    assert refunds == [(-3500,)]
    events = _rows(
        node,
        "SELECT count(*) FROM order_status_event WHERE order_id = ? AND to_status = 'anulada'",
        order["id"],
    )
    assert events == [(1,)]


def test_two_supervisors_approving_one_discount_at_once_apply_it_once(node: Node) -> None:
    order = _order(node)
    ask = {"kind": "percent", "value": "20", "reason": "Campaña adulto mayor"}
    req = httpx.post(
        f"{node.bases[0]}/api/orders/{order['id']}/discount-requests",
        json=ask,
        headers=node.users["rocio"],
    )
    assert req.status_code == 201, req.text
    url = f"/api/discount-requests/{req.json()['id']}/approve"
    answers = _at_once(
        node,
        [
            lambda c: c.post(url, json={}, headers=node.users["sonia"]),
            lambda c: c.post(url, json={}, headers=node.users["saul"]),
        ],
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [200, 409], [r.text for r in answers]
    loser = next(r for r in answers if r.status_code == 409)
    assert loser.json()["detail"][0]["type"] == "discount_request_decided"
    assert _rows(node, "SELECT total, discount_total FROM lab_order WHERE id = ?", order["id"]) == [
        (2800, 700)
    ]
    approvals = _rows(
        node,
        "SELECT count(*) FROM audit_event WHERE action = 'discount.approve' AND record_id = ?",
        req.json()["id"],
    )
    assert approvals == [(1,)]


def test_one_document_registered_at_once_gives_one_patient(node: Node) -> None:
    person = {
        "doc_type": "1",
        "doc_number": "70112233",
        "first_names": "LUIS",
        "last_names": "RAMOS",
    }
    answers = _at_once(
        node, [lambda c: c.post("/api/patients", json=person, headers=node.headers)] * 5
    )
    created = [r for r in answers if r.status_code == 201]
    assert len(created) == 1, [r.text for r in answers]
    the_id = created[0].json()["id"]
    for r in answers:
        if r.status_code != 201:
            assert r.status_code == 409, r.text
            assert r.json()["detail"][0]["ctx"]["patient_id"] == the_id
    assert _rows(node, "SELECT count(*) FROM patient WHERE doc_number = '70112233'") == [(1,)]


def test_a_burst_of_wrong_passwords_evaluates_at_most_five(node: Node) -> None:
    """Twelve wrong passwords at once from one IP: the lock set by the fifth failure refuses
    the rest, and then the right password too."""
    bodies = [{"username": "admin", "password": f"incorrecta-{n}"} for n in range(12)]
    answers = _at_once(node, [_post("/api/auth/login", b) for b in bodies])
    codes = [r.status_code for r in answers]
    assert codes.count(401) <= 5, codes
    assert codes.count(429) >= 7, codes
    r = httpx.post(
        f"{node.bases[1]}/api/auth/login", json={"username": "admin", "password": PASSWORD}
    )
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) > 0
