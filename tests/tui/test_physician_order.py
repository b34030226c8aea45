"""At the counter the receptionist marks the order urgent and types the ordering physician
(médico solicitante: CMP and name) from the medical order: the sale sends them as the node
keeps them, the payment screen and the receipt show them, a bad CMP or a CMP without a name
is said next to its field before anything is sent, a 422 of the node on them comes back next
to its field, a routine sale without physician sends none of them, a saved sale keeps them,
and the day's orders say which are urgent. Against the canned edge (``fake_edge``)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Static

from tests.tui import fake_edge
from tests.tui.scenarios import at_new_order, pressing, settle, snapshot_app, typed
from tui.draft import OrderDraft
from tui.screens.new_order import NewOrderScreen
from tui.screens.payment import PaymentScreen
from tui.widgets.field import FieldWithError

pytestmark = pytest.mark.anyio
PHYSICIAN_KEYS = {"priority", "physician_cmp", "physician_name"}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The ``POST /api/orders`` bodies; the canned order answers with what it was sent."""
    bodies: list[dict[str, Any]] = []
    canned = fake_edge.handler

    def handler(request: httpx.Request) -> httpx.Response:
        if (request.method, request.url.path) != ("POST", "/api/orders"):
            return canned(request)
        body = json.loads(request.content)
        bodies.append(body)
        if body.get("physician_name") == "NOMBRE RECHAZADO":  # the node's own refusal
            return httpx.Response(422, json={"detail": [{
                "type": "physician_name_invalid", "loc": ["body", "physician_name"],
                "msg": "El nombre del médico lleva solo letras, espacios, apóstrofos, guiones "
                       "o puntos."}]})  # fmt: skip
        order = fake_edge.ORDER | {"priority": body.get("priority", "rutina"),
                                   "physician_cmp": body.get("physician_cmp"),
                                   "physician_name": body.get("physician_name")}  # fmt: skip
        return httpx.Response(201, json=order)

    monkeypatch.setattr(fake_edge, "handler", handler)
    return bodies


async def fill(pilot: Pilot[Any], *, urgent: bool, cmp: str, name: str) -> None:
    await at_new_order(pilot)
    if urgent:
        pilot.app.screen.query_one("#priority", Select).value = "urgente"
    for field, text in (("physician_cmp", cmp), ("physician_name", name)):
        if text:
            await typed(pilot, f"f-{field}-input", text)


async def checkout(pilot: Pilot[Any]) -> None:
    await pilot.press("f9")
    await settle(pilot)


def field(pilot: Pilot[Any], name: str) -> FieldWithError:
    return pilot.app.screen.query_one(f"#f-{name}", FieldWithError)


async def test_an_urgent_order_with_its_physician_is_sent_shown_and_receipted(
    sent: list[dict[str, Any]],
) -> None:
    app = snapshot_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, urgent=True, cmp="CMP 045123", name="Dr. Juan  Pérez Rojas")
        await checkout(pilot)
        assert isinstance(app.screen, PaymentScreen)
        detail = str(app.screen.query_one("#pay-detail", Static).content)
        assert detail == "URGENTE · Médico: JUAN PÉREZ ROJAS (CMP 45123)"
        await checkout(pilot)  # confirm: the first row proposes what is due
        assert len(sent) == 1
        assert {k: sent[0][k] for k in PHYSICIAN_KEYS} == {
            "priority": "urgente", "physician_cmp": "45123", "physician_name": "JUAN PÉREZ ROJAS",
        }  # fmt: skip
        receipt = str(app.screen.query_one("#receipt", Static).content).splitlines()
        assert receipt[:2] == [
            "Orden S01-20261129-0007 registrada. Total S/ 90.00.",
            "URGENTE · Médico: JUAN PÉREZ ROJAS (CMP 45123)",
        ]


async def test_a_routine_sale_without_physician_sends_none_of_them(
    sent: list[dict[str, Any]],
) -> None:
    app = snapshot_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, urgent=False, cmp="", name="")
        await checkout(pilot)
        assert not app.screen.query("#pay-detail")
        await checkout(pilot)
        assert len(sent) == 1 and not PHYSICIAN_KEYS & set(sent[0])
        receipt = str(app.screen.query_one("#receipt", Static).content)
        assert "Médico" not in receipt and "URGENTE" not in receipt


BAD = [  # CMP, name typed -> the field that says what is wrong, and what it says
    ("45A23", "Juan Pérez", "physician_cmp", "solo números"),
    ("1234567", "Juan Pérez", "physician_cmp", "de 1 a 6 dígitos"),
    ("45123", "", "physician_name", "Escriba el nombre del médico"),
    ("", "Juan 2", "physician_name", "solo letras"),
]


async def test_bad_physician_is_said_next_to_its_field_and_nothing_is_sent(
    sent: list[dict[str, Any]],
) -> None:
    app = snapshot_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, urgent=True, cmp="", name="")
        for cmp, name, where, says in BAD:
            for key, text in (("physician_cmp", cmp), ("physician_name", name)):
                field(pilot, key).value = ""
                if text:
                    await typed(pilot, f"f-{key}-input", text)
            await checkout(pilot)
            assert isinstance(app.screen, NewOrderScreen), cmp
            assert says in field(pilot, where).error, (cmp, name)
            other = ({"physician_cmp", "physician_name"} - {where}).pop()
            assert field(pilot, other).error == "", (cmp, name)
        assert sent == []
        # then a name without CMP: sent alone, normalised, and shown alone
        field(pilot, "physician_name").value = ""
        await typed(pilot, "f-physician_name-input", "ana rojas")
        pilot.app.screen.query_one("#priority", Select).value = "rutina"
        await checkout(pilot)
        await checkout(pilot)
        assert [{k: v for k, v in body.items() if k in PHYSICIAN_KEYS} for body in sent] == [
            {"physician_name": "ANA ROJAS"}
        ]
        assert "Médico: ANA ROJAS\n" in str(app.screen.query_one("#receipt", Static).content)


async def test_the_nodes_422_on_the_physician_comes_back_next_to_its_field(
    sent: list[dict[str, Any]],
) -> None:
    app = snapshot_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, urgent=False, cmp="45123", name="Nombre rechazado")
        await checkout(pilot)
        await checkout(pilot)  # the node refuses it
        assert len(sent) == 1
        assert isinstance(app.screen, NewOrderScreen)  # back to the order, the sale kept
        assert "solo letras" in field(pilot, "physician_name").error
        assert field(pilot, "physician_cmp").error == ""
        assert app.screen.draft.priority == "rutina" and len(app.screen.draft.services) == 2


def test_a_saved_sale_keeps_priority_and_physician() -> None:
    draft = OrderDraft(patient={"id": "p1", "full_name": "X", "doc_number": "1"},
                       priority="urgente", physician_cmp="45123",
                       physician_name="JUAN PÉREZ ROJAS")  # fmt: skip
    back = OrderDraft.from_json(json.loads(json.dumps(draft.to_json())))
    assert (back.priority, back.physician_cmp, back.physician_name) == (
        "urgente", "45123", "JUAN PÉREZ ROJAS",
    )  # fmt: skip
    old = OrderDraft.from_json(draft.to_json() | {"priority": None, "physician_cmp": None,
                                                  "physician_name": None})  # fmt: skip
    assert (old.priority, old.physician_cmp, old.physician_name) == ("rutina", "", "")
    assert PHYSICIAN_KEYS <= set(draft.body([])) and not PHYSICIAN_KEYS & set(old.body([]))


async def test_the_days_orders_say_which_are_urgent(monkeypatch: pytest.MonkeyPatch) -> None:
    orders = [dict(o) for o in fake_edge.ORDERS]
    orders[2]["priority"] = "urgente"
    orders[0]["priority"] = "rutina"
    monkeypatch.setattr(fake_edge, "ORDERS", orders)
    app = snapshot_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pressing("f3")(pilot)
        table = app.screen.query_one("#orders-table", DataTable)
        assert table.row_count == 4
        assert [table.get_row_at(i)[-1] for i in range(4)] == ["", "", "URGENTE", ""]
