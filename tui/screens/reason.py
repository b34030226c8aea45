"""A small dialog that asks for a reason (cancellations); Enter accepts, Escape gives up."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from tui.widgets.field import FieldWithError


class ReasonDialog(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "accept", "Aceptar"),
        Binding("escape", "cancel", "Cancelar"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box"):
            yield Static(self.title_text, classes="section")
            yield FieldWithError("Motivo", "reason")
            yield Static("Enter: aceptar · Esc: cancelar", classes="muted")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(FieldWithError).input.focus()

    @on(Input.Submitted)
    def action_accept(self) -> None:
        field = self.query_one(FieldWithError)
        if len(field.value) < 3:
            field.set_error("Escriba el motivo (al menos 3 caracteres).")
            return
        self.dismiss(field.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
