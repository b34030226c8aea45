"""Hub settings: ``<data-dir>/hub.toml`` plus ``LABRED_HUB_*`` and ``DATABASE_URL``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from sync.config import ConfigError, read_toml, setting_error


class HubSettings(BaseSettings):
    """Everything the hub needs. Each field can be set in the TOML file or as
    ``LABRED_HUB_<FIELD>``; ``DATABASE_URL`` is also read unprefixed."""

    model_config = SettingsConfigDict(env_prefix="LABRED_HUB_", extra="forbid")

    data_dir: Path = Field(
        default=Path("./data/hub"),
        description="Where the embedded PostgreSQL, backups and keys live.",
    )
    host: str = Field(default="127.0.0.1", description="Address the API listens on.")
    port: int = Field(default=8100, ge=1, le=65535, description="Port the API listens on.")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; when unset an "
        "embedded PostgreSQL runs under the data directory.",
    )
    jwt_secret: str = Field(
        default="",
        description="Secret that signs access tokens; "
        "generated and kept in the data directory when empty.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins.")
    rate_limit_per_minute: int = Field(
        default=100, ge=1, description="Requests per user per minute."
    )
    node_rate_limit_per_minute: int = Field(
        default=6000,
        ge=1,
        description="Requests per node per minute on the sync endpoints (a node catching up "
        "after days offline pushes many batches a minute).",
    )
    log_level: str = Field(default="INFO", description="Logging level.")
    clock_offset_file: Path | None = Field(
        default=None,
        description="Demo and drills only: a file holding seconds to shift the hub's clock.",
    )


def load_hub_settings(
    data_dir: Path | None = None, config: Path | None = None, **overrides: Any
) -> HubSettings:
    base_dir = data_dir or Path(overrides.get("data_dir") or "./data/hub")
    config_path = config or base_dir / "hub.toml"
    if config is not None and not config.exists():
        raise ConfigError(f"configuration file {config} does not exist")
    file_values = read_toml(config_path)
    file_values = file_values.get("hub", file_values)
    values: dict[str, Any] = {
        k: v for k, v in file_values.items() if f"LABRED_HUB_{k.upper()}" not in os.environ
    }
    if os.environ.get("DATABASE_URL") and "LABRED_HUB_DATABASE_URL" not in os.environ:
        values["database_url"] = os.environ["DATABASE_URL"]
    values.update({k: v for k, v in overrides.items() if v is not None})
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        settings = HubSettings(**values)
    except ValidationError as exc:
        raise setting_error(
            exc, model=HubSettings, config_path=config_path, env_prefix="LABRED_HUB_",
            file_keys=file_values,
        ) from None  # fmt: skip
    if not settings.jwt_secret:
        path = settings.data_dir / "secrets" / "jwt.key"
        if path.exists():
            settings.jwt_secret = path.read_text().strip()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.parent.chmod(0o700)
            settings.jwt_secret = secrets.token_urlsafe(48)
            path.write_text(settings.jwt_secret)
            path.chmod(0o600)
    return settings
