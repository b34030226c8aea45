"""Top line: sede, user, hub link and the SUNAT / lab / sync backlogs, refreshed live."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from domain.clock import LIMA
from tui.api import NodeStatus

HUB_LABELS = {
    "en_linea": "en línea",
    "sin_conexion": "sin conexión",
    "sin_central": "sin central",
    "comprobando": "comprobando",
}


WIDTH = 78
"""Columns the line may take: an 80-column terminal less the bar's padding."""


def _fit(parts: list[str], width: int, *, shorten: int) -> str:
    """Join ``parts`` within ``width``: tighter separators first, then part ``shorten`` cut."""
    for sep in (" │ ", "│"):
        text = sep.join(parts)
        if len(text) <= width:
            return text
    excess = len(text) - width
    part = parts[shorten]
    parts = [*parts]
    parts[shorten] = part[: max(len(part) - excess - 1, 3)] + "…"
    return "│".join(parts)[:width]


def status_text(
    node: NodeStatus, user: str, *, online: bool, clock_text: str, width: int = WIDTH
) -> str:
    """One line of at most ``width`` columns, the clock always shown (pure, so it is tested
    without a terminal)."""
    if not user:
        return _fit(
            ["labred", "sin sesión", "Nodo OK" if online else "Nodo SIN CONEXIÓN", clock_text],
            width,
            shorten=1,
        )
    sede = node.sede_code or "—"
    hub = HUB_LABELS.get(node.hub, node.hub) if online else "?"
    parts = [
        sede,
        user,
        "Nodo OK" if online else "Nodo SIN CONEXIÓN",
        f"Central: {hub}",
        f"SUNAT {node.sunat_pending}" + (f"({node.sunat_overdue}!)" if node.sunat_overdue else ""),
        f"Lab {node.lab_pending}",
        f"Sync {node.sync_backlog}",
        clock_text,
    ]
    return _fit(parts, width, shorten=1)


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $primary; color: $text; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__("", id="status-bar")

    def on_mount(self) -> None:
        for attribute in ("node", "profile", "online", "tick"):
            self.watch(self.app, attribute, self._refresh, init=False)
        self._refresh()

    def _refresh(self, _value: Any = None) -> None:
        app: Any = self.app
        profile = getattr(app, "profile", None)
        user = profile["username"] if profile else ""
        now = app.clock.now().astimezone(LIMA)
        self.update(
            status_text(app.node, user, online=app.online, clock_text=now.strftime("%H:%M"))
        )
