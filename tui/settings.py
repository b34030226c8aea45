"""Settings of the terminal reception app (``LABRED_TUI_<FIELD>`` in the environment)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TuiSettings(BaseSettings):
    """Where the node is and how the app talks to it. CLI options override the environment."""

    model_config = SettingsConfigDict(env_prefix="LABRED_TUI_", extra="forbid")

    edge_url: str = Field(
        default="http://127.0.0.1:8101", description="Base URL of the sede's edge node."
    )
    username: str = Field(default="", description="User name pre-filled on the sign-in screen.")
    download_dir: Path = Field(
        default_factory=lambda: Path.home() / "labred-tickets",
        description="Folder where ticket PDFs are saved when the node has no print endpoint.",
    )
    draft_file: Path = Field(
        default_factory=lambda: Path.home() / ".labred" / "venta-en-curso.json",
        description="Where the sale on screen is kept when the node ends the session mid-sale "
        "(offered back at the next sign-in; removed once registered or given up).",
    )
    timeout: float = Field(default=5.0, gt=0, description="Seconds to wait for each request.")
    probe_interval: float = Field(
        default=2.0, gt=0, description="Seconds between connection checks (GET /health)."
    )
    status_interval: float = Field(
        default=15.0, gt=0, description="Seconds between refreshes of the sede/backlog bar."
    )
    offline_retry: float = Field(
        default=1.0, gt=0, description="Seconds between retries of an action while offline."
    )
    offline_give_up: float = Field(
        default=300.0,
        gt=0,
        description="Seconds an action keeps retrying without the node before it gives up "
        "(what was typed stays on screen either way).",
    )
    search_delay: float = Field(
        default=0.25, ge=0, description="Pause after typing before a search is sent."
    )
