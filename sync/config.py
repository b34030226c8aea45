"""Configuration loading shared by both apps: a TOML file plus environment variables.

Precedence (highest first): explicit keyword arguments (the CLI flags), environment variables
(``LABRED_EDGE_*`` / ``LABRED_HUB_*``), the TOML file, defaults. A bad file gets one clear
sentence, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import sys
import tomllib
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


class ConfigError(Exception):
    """A configuration problem explained in one sentence."""


_REASONS: dict[str, str] = {
    "int_parsing": "debe ser un número entero",
    "int_type": "debe ser un número entero",
    "int_from_float": "debe ser un número entero",
    "float_parsing": "debe ser un número",
    "float_type": "debe ser un número",
    "bool_parsing": "debe ser true o false",
    "bool_type": "debe ser true o false",
    "string_type": "debe ser un texto entre comillas",
    "list_type": "debe ser una lista",
    "dict_type": "debe ser una tabla de claves y valores",
    "missing": "es obligatorio",
    "extra_forbidden": "no es un ajuste conocido (revise el nombre)",
    "literal_error": "no es uno de los valores permitidos",
    "enum": "no es uno de los valores permitidos",
}

_COMPARISONS = {
    "greater_than_equal": "mayor o igual que",
    "less_than_equal": "menor o igual que",
    "greater_than": "mayor que",
    "less_than": "menor que",
}


def _bounds(model: type[BaseModel], key: str) -> tuple[Any, Any]:
    """``(ge, le)`` declared on ``model.key`` (None where absent)."""
    field = model.model_fields.get(key)
    low = high = None
    for item in field.metadata if field else ():
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
    return low, high


def setting_error(
    exc: ValidationError,
    *,
    model: type[BaseModel],
    config_path: Path,
    env_prefix: str,
    file_keys: Collection[str],
) -> ConfigError:
    """One Spanish sentence for the first bad setting: its key, where it came from (the
    environment variable, the file or the command line), what it must be and what was given."""
    import os

    first = exc.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    top = str(first["loc"][0]) if first["loc"] else key
    variable = f"{env_prefix}{top.upper()}"
    if variable in os.environ:
        origin = f"la variable {variable}"
    elif top in file_keys:
        origin = str(config_path)
    else:
        origin = "la línea de órdenes"
    low, high = _bounds(model, top)
    etype = first["type"]
    if etype in _COMPARISONS:
        if low is not None and high is not None:
            reason = f"debe estar entre {low} y {high}"
        else:
            ctx = first.get("ctx") or {}
            limit = next(iter(ctx.values()), "")
            reason = f"debe ser {_COMPARISONS[etype]} {limit}"
    elif etype == "value_error" and (first.get("ctx") or {}).get("error"):
        reason = str(first["ctx"]["error"])  # the validator's own sentence
    else:
        reason = _REASONS.get(etype, "no es un valor válido")
    given = "" if etype in {"missing"} else f"; se recibió {first.get('input')!r}"
    return ConfigError(f"ajuste inválido '{key}' en {origin}: {reason}{given}.")


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
    """Create the data directory if needed and check it is writable.

    A full disk is not refused (a warning on stderr): the directory is writable once space
    is freed, and a service restarted meanwhile must come up to serve reads and to retry its
    jobs, not exit and be restarted in a loop."""
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
        with contextlib.suppress(OSError):  # a half-written probe on a full disk
            probe.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            print(
                f"labred: warning: no free space in data directory {path}: writes are refused "
                "until space is freed",
                file=sys.stderr,
            )
            return path
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
