"""Every key binding of every screen, in Spanish, generated from the screens themselves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from tui.screens.base import ReceptionScreen


def key_label(key: str) -> str:
    return "+".join(part.capitalize() if len(part) > 1 else part.upper() for part in key.split("+"))


def screen_classes() -> list[tuple[str, type]]:
    from tui.app import ReceptionApp
    from tui.screens.approval import ApprovalDialog
    from tui.screens.balance import BalanceScreen
    from tui.screens.cash import CashScreen
    from tui.screens.home import HomeScreen
    from tui.screens.login import LoginScreen
    from tui.screens.new_order import NewOrderScreen
    from tui.screens.orders import OrdersScreen
    from tui.screens.patients import PatientsScreen
    from tui.screens.payment import PaymentScreen
    from tui.screens.reason import ReasonDialog
    from tui.screens.session import SessionDialog

    return [
        ("Todas las pantallas", ReceptionApp),
        ("Todas las pantallas", ReceptionScreen),
        ("Ingreso", LoginScreen),
        ("Inicio", HomeScreen),
        ("Pacientes", PatientsScreen),
        ("Nueva orden", NewOrderScreen),
        ("Cobro", PaymentScreen),
        ("Órdenes del día", OrdersScreen),
        ("Cobrar saldo", BalanceScreen),
        ("Caja", CashScreen),
        ("Motivo", ReasonDialog),
        ("Aprobación de supervisor", ApprovalDialog),
        ("Sesión terminada (ingresar de nuevo sin perder lo escrito)", SessionDialog),
        ("Ayuda", HelpScreen),
    ]


def bindings_of(cls: type) -> list[Binding]:
    found: list[Binding] = []
    for item in getattr(cls, "BINDINGS", []):
        if isinstance(item, Binding):
            found.append(item)
        elif isinstance(item, tuple):
            found.append(Binding(*item))
    return found


def help_lines() -> list[str]:
    lines: list[str] = []
    last = ""
    for title, cls in screen_classes():
        if title != last:
            lines.append(f"[b]{title}[/b]")
            last = title
        for b in bindings_of(cls):
            for key in b.key.split(","):
                lines.append(f"  {key_label(key.strip()):<8} {b.description}")
    lines.append("")
    lines.append(
        "Tab / Shift+Tab: siguiente / anterior campo · Enter: elegir · el ratón también sirve."
    )
    return lines


class HelpScreen(ReceptionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Cerrar ayuda"),
    ]

    def compose_body(self) -> Iterable[Widget]:
        with VerticalScroll(id="help"):
            yield Static("\n".join(help_lines()), id="help-text")
