"""Home: who is signed in, the sede, the hub link and the backlogs, and the menu."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Static

from tui.screens.base import ReceptionScreen
from tui.widgets.status_bar import HUB_LABELS

MENU: list[tuple[str, str, str]] = [
    ("patients", "F2", "Atender paciente"),
    ("orders", "F3", "Órdenes del día"),
    ("cash", "F4", "Caja"),
]


class HomeScreen(ReceptionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "open('patients')", "Atender"),
        Binding("f3", "open('orders')", "Órdenes"),
        Binding("f4", "open('cash')", "Caja"),
        Binding("f5", "refresh", "Actualizar"),
        Binding("f10", "app.sign_out", "Cerrar sesión"),
        Binding("ctrl+q", "app.quit", "Salir"),
    ]

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="home"):
            yield Static("", id="home-user")
            yield Static("", id="home-node")
            with Horizontal(id="home-menu"):
                for key, hotkey, label in MENU:
                    yield Button(f"{hotkey} {label}", id=f"menu-{key}", compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "node", self._render_node, init=True)
        self.watch(self.app, "profile", self._render_user, init=True)
        self.watch(self.app, "online", self._render_node, init=False)

    def _render_user(self, _value: Any = None) -> None:
        profile = self.reception.profile
        text = (
            f"Bienvenido(a), {profile['full_name'] or profile['username']} "
            f"({profile['role_label']})"
            if profile
            else ""
        )
        self.query_one("#home-user", Static).update(text)

    def _render_node(self, _value: Any = None) -> None:
        node = self.reception.node
        online = self.reception.online
        lines = [
            f"Sede:      {node.sede_code} {node.sede_name}".rstrip(),
            f"Nodo:      {'en línea' if online else 'SIN CONEXIÓN'} "
            f"({self.reception.api.base_url})",
            f"Central:   {HUB_LABELS.get(node.hub, node.hub)}",
            f"SUNAT:     {node.sunat_pending} comprobante(s) por enviar"
            + (f", {node.sunat_overdue} en plazo vencido" if node.sunat_overdue else ""),
            f"Laboratorio: {node.lab_pending} envío(s) pendiente(s)",
            f"Sincronización: {node.sync_backlog} cambio(s) por subir a la central",
        ]
        self.query_one("#home-node", Static).update("\n".join(lines))

    def action_open(self, name: str) -> None:
        self.reception.open_screen(name)

    def action_refresh(self) -> None:
        self.reception.refresh_status()

    @on(Button.Pressed)
    def _menu(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("menu-"):
            self.action_open(event.button.id.removeprefix("menu-"))
