"""Every dialog opens with its title on the first line inside its border (no blank line)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.screen import ModalScreen

import tui
from tui.api import ApiError
from tui.screens.approval import ApprovalDialog
from tui.screens.reason import ReasonDialog
from tui.screens.session import SessionDialog

pytestmark = pytest.mark.anyio

DIALOGS: dict[str, tuple[Callable[[], ModalScreen[Any]], str]] = {
    "reason": (lambda: ReasonDialog("Anular la orden S01-20261129-0001"), "Anular la orden"),
    "approval": (
        lambda: ApprovalDialog(ApiError(409, "discount_needs_approval", "Supera el límite")),
        "Aprobación de supervisor",
    ),
    "session": (
        lambda: SessionDialog("Su sesión venció.", reason="expired", previous=None, draft=None),
        "Sesión terminada",
    ),
}


class DialogHost(App[None]):
    """Only the reception styles: the dialog alone, as the counter shows it."""

    CSS_PATH = str(Path(tui.__file__).parent / "reception.tcss")


def box_lines(app: App[None]) -> list[str]:
    """The rendered lines between the dialog's top and bottom border, border stripped."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    top = next(i for i, line in enumerate(lines) if "╭" in line)
    bottom = next(i for i in range(top + 1, len(lines)) if "╰" in lines[i])
    return [line.split("│")[1].strip() for line in lines[top + 1 : bottom]]


@pytest.mark.parametrize("name", sorted(DIALOGS))
async def test_the_first_line_of_a_dialog_is_its_title(name: str) -> None:
    make, title = DIALOGS[name]
    app = DialogHost()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(make())
        await pilot.pause()
        inside = box_lines(app)
        assert inside[0].startswith(title), inside[:3]
