"""Configuration loading shared by both apps: a TOML file plus environment variables.

Precedence (highest first): explicit keyword arguments (the CLI flags), environment variables
(``LABRED_EDGE_*`` / ``LABRED_HUB_*``), the TOML file, defaults. A bad file gets one clear
sentence, never a traceback.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A configuration problem explained in one sentence."""


def read_toml(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None


def ensure_data_dir(path: Path) -> Path:
    """Create the data directory if needed and check it is writable."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create data directory {path}: {exc.strerror}") from None
    if not path.is_dir():
        raise ConfigError(f"data directory {path} is not a directory")
    probe = path / ".write-probe"
    try:
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"data directory {path} is not writable: {exc.strerror}") from None
    return path


def file_offset(path: Path) -> Callable[[], float]:
    """Seconds read from ``path`` (re-read when it changes; 0 when absent or unreadable).

    Demo and drills only: ``clock_offset_file`` shifts a node's clock to play past days.
    """
    cache: dict[str, float] = {"mtime": -1.0, "value": 0.0}

    def offset() -> float:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return 0.0
        if mtime != cache["mtime"]:
            try:
                cache["value"] = float(path.read_text().strip() or 0)
            except (OSError, ValueError):
                cache["value"] = 0.0
            cache["mtime"] = mtime
        return cache["value"]

    return offset
