"""The red line that says the node cannot be reached (what was typed stays on screen)."""

from __future__ import annotations

from textual.widgets import Static

OFFLINE_TEXT = "Sin conexión con el nodo — reintentando… (lo escrito se conserva)"


class OfflineBanner(Static):
    DEFAULT_CSS = """
    OfflineBanner { dock: top; height: 1; background: $error; color: $text; display: none; }
    OfflineBanner.-offline { display: block; }
    """

    def __init__(self) -> None:
        super().__init__(OFFLINE_TEXT, id="offline-banner")

    def on_mount(self) -> None:
        self.watch(self.app, "online", self._show, init=True)

    def _show(self, online: bool) -> None:
        self.set_class(not online, "-offline")
