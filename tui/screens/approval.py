"""A supervisor approves a discount over the limit at the counter: user and password."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from tui.api import ApiError
from tui.widgets.field import FieldWithError

APPROVAL_CODES = frozenset({"discount_needs_approval", "approval_invalid", "approver_not_allowed"})
"""Answers of the node that a supervisor's credentials would settle (discounts)."""
CASH_APPROVAL_CODES = frozenset({"cash_difference_needs_approval", "approval_invalid"})
"""The same for closing a drawer whose difference is over the sede's limit."""
FIRST_ASK = frozenset({"discount_needs_approval", "cash_difference_needs_approval"})
DISCOUNT_WHY = "El descuento supera el límite: un supervisor ingresa su usuario y contraseña."


class ApprovalDialog(ModalScreen[tuple[str, str] | None]):
    """Dismissed with ``(username, password)``, or None when the cashier gives up."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "accept", "Aprobar"),
        Binding("escape", "cancel", "Cancelar"),
    ]

    def __init__(self, error: ApiError, *, username: str = "", why: str = DISCOUNT_WHY) -> None:
        super().__init__()
        self.error = error
        self.username = username
        self.why = why

    def compose(self) -> ComposeResult:
        with Vertical(id="approval-box"):
            yield Static("Aprobación de supervisor", classes="section")
            yield Static(self.why, id="approval-why")
            yield FieldWithError(
                "Supervisor", "approver_username", value=self.username, label_width=12
            )
            yield FieldWithError("Contraseña", "approver_password", password=True, label_width=12)
            yield Static("Enter: aprobar · Esc: cancelar", classes="muted")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        user, password = self.query(FieldWithError)
        if self.error.code not in FIRST_ASK:  # a wrong user or password
            target = user if self.error.field == "approver_username" else password
            target.set_error(self.error.msg)
        (password if self.username else user).input.focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "f-approver_username-input":
            self.query_one("#f-approver_password-input", Input).focus()
            return
        self.action_accept()

    def action_accept(self) -> None:
        user, password = self.query(FieldWithError)
        ok = True
        for field, text in ((user, "Ingrese el usuario del supervisor."),
                            (password, "Ingrese la contraseña del supervisor.")):  # fmt: skip
            if not field.input.value.strip():
                field.set_error(text)
                ok = False
        if ok:
            self.dismiss((user.value, password.input.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
