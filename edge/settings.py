"""Edge node settings: ``<data-dir>/edge.toml`` plus ``LABRED_EDGE_*`` environment variables."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sync.config import ConfigError, read_toml, setting_error

# The edge worker's jobs, by the name each registers with ``edge.worker.job`` (which refuses a
# name missing here): the keys ``job_intervals`` accepts.
EDGE_JOBS: tuple[str, ...] = (
    "billing.copies",
    "billing.missing_files",
    "billing.restored_files",
    "billing.series_fence",
    "disk.check",
    "housekeeping",
    "lab.listener",
    "lab.send",
    "sunat.send",
    "sunat.summaries",
    "sync.pull",
    "sync.push",
)
JOB_INTERVAL_MIN_S = 0.2  # below it a job would keep a core busy polling
JOB_INTERVAL_MAX_S = 86_400.0  # a day: the longest any job (housekeeping) waits by default


class EdgeSettings(BaseSettings):
    """Everything an edge node needs to run. Each field can be set in the TOML file or as
    ``LABRED_EDGE_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="LABRED_EDGE_", extra="forbid")

    data_dir: Path = Field(
        default=Path("./data/edge"), description="Where the database, documents and keys live."
    )
    host: str = Field(default="127.0.0.1", description="Address the API listens on.")
    port: int = Field(default=8101, ge=1, le=65535, description="Port the API listens on.")
    hub_url: str | None = Field(default=None, description="Base URL of the central hub.")
    jwt_secret: str = Field(
        default="",
        description="Secret that signs access tokens; "
        "generated and kept in the data directory when empty.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins.")
    rate_limit_per_minute: int = Field(
        default=100, ge=1, description="Requests per user per minute."
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=16,
        description="API processes sharing the port (``serve --workers``); 2 uses a second "
        "core for the work outside the database transaction, for about 115 MB more memory.",
    )
    log_level: str = Field(default="INFO", description="Logging level.")
    sunat_mode: str = Field(default="sandbox", description="sandbox | beta | production | ose.")
    sunat_url: str | None = Field(default=None, description="SOAP endpoint of SUNAT / the OSE.")
    # --- SUNAT e-invoicing (edge/billing) ---
    sunat_consult_url: str | None = Field(
        default=None,
        description="billConsultService endpoint for getStatusCdr (None: the sunat_url one).",
    )
    sunat_username: str = Field(
        default="", description="SOL user as SUNAT expects it: RUC + user (e.g. 20...MODDATOS)."
    )
    sunat_password: SecretStr = Field(
        default=SecretStr(""), description="SOL password (never logged)."
    )
    sunat_cert_path: Path | None = Field(
        default=None,
        description="Company certificate: PKCS#12 (.p12/.pfx) or PEM certificate. None in "
        "sandbox mode: a self-signed test certificate is made under <data-dir>/secrets.",
    )
    sunat_key_path: Path | None = Field(
        default=None, description="PEM private key, when sunat_cert_path is a PEM certificate."
    )
    sunat_cert_password: SecretStr = Field(
        default=SecretStr(""),
        description="Password of the PKCS#12 file or of the PEM key (never logged).",
    )
    sunat_sign_sha1: bool = Field(
        default=False, description="Sign with RSA-SHA1 instead of RSA-SHA256."
    )
    boletas_via_summary: bool = Field(
        default=False,
        description="Report boletas (and their notes) in the resumen diario instead of "
        "sending each one with sendBill.",
    )
    sunat_timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for a SUNAT answer."
    )
    sunat_invoice_deadline_days: int = Field(
        default=3,
        ge=1,
        description="Facturas and their notes: calendar days, counted from the day after issue, "
        "to send them. Fallback only: the hub's setting sunat_factura_deadline_days, once "
        "replicated to this node, wins.",
    )
    sunat_boleta_deadline_days: int = Field(
        default=1,
        ge=0,
        description="Boletas and their notes: days after issue to send or summarise them. "
        "Fallback only: the hub's setting sunat_boleta_deadline_days, once replicated to this "
        "node, wins.",
    )
    sunat_breaker_failures: int = Field(
        default=5, ge=1, description="Consecutive SUNAT outages that open the circuit breaker."
    )
    sunat_breaker_seconds: float = Field(
        default=300.0, gt=0, description="Seconds the breaker stays open (no SUNAT calls)."
    )
    sunat_summary_hour: int = Field(
        default=22,
        ge=0,
        le=24,
        description="Lima hour after which the day's boletas go in a resumen diario the same "
        "day (earlier days are always summarised).",
    )
    billing_auto_issue: bool = Field(
        default=True,
        description="Issue the boleta / factura in the sale transaction once an order is paid.",
    )
    disk_low_mb: int = Field(
        default=200,
        ge=0,
        description="Free space (MB) of the data directory's disk below which /health and the "
        "reception header warn (level ``bajo``) and the worker logs a warning.",
    )
    disk_full_mb: int = Field(
        default=20,
        ge=0,
        description="Free space (MB) below which the disk counts as full (level ``lleno``): "
        "sales may be refused at any moment.",
    )
    lab_listener: str | None = Field(
        default=None,
        description="Where this machine hears the laboratory's HL7 results (MLLP), "
        '"HOST:PORT" (e.g. "0.0.0.0:2575"); the worker runs the listener. Wins over the hub\'s '
        "per-sede listener (laboratory page); unset: the hub's, if any.",
    )
    sync_digest_interval_s: float = Field(
        default=600.0,
        ge=0,
        description="Seconds between two comparisons of the mirror tables' digests with the "
        "hub's (the safety net against drift: a lost change, a hand edit, a bug; a drifted "
        "table is copied again from the hub). 0: at every pull (every 5 s unless job_intervals "
        "says otherwise), as costly as the mirrors are big. A full snapshot (enrolment, a long "
        "absence) is always compared.",
    )
    job_intervals: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=dict,
        description="Seconds between two rounds of a worker job, for the jobs named here (the "
        "others keep their own): in edge.toml an inline table, e.g. "
        '``job_intervals = {"sync.pull" = 30, "sunat.summaries" = 5}``; in the environment a '
        "JSON object, e.g. ``LABRED_EDGE_JOB_INTERVALS='{\"sync.pull\": 30}'``. Each between "
        f"{JOB_INTERVAL_MIN_S} and {JOB_INTERVAL_MAX_S:.0f}. Jobs: {', '.join(EDGE_JOBS)}.",
    )
    clock_offset_file: Path | None = Field(
        default=None,
        description="Demo and drills only: a file holding seconds to shift the node's clock.",
    )

    @field_validator("job_intervals", mode="before")
    @classmethod
    def _parse_job_intervals(cls, value: object) -> object:
        """The environment gives a string: a JSON object (empty: no override)."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            return {}
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(
                'debe ser un objeto JSON de trabajo y segundos, por ejemplo {"sync.pull": 30}'
            ) from None

    @field_validator("job_intervals")
    @classmethod
    def _check_job_intervals(cls, value: dict[str, float]) -> dict[str, float]:
        for name, seconds in value.items():
            if name not in EDGE_JOBS:
                raise ValueError(
                    f"el trabajo {name!r} no existe (los trabajos son: {', '.join(EDGE_JOBS)})"
                )
            if not JOB_INTERVAL_MIN_S <= seconds <= JOB_INTERVAL_MAX_S:
                raise ValueError(
                    f"el intervalo de {name!r} debe estar entre {JOB_INTERVAL_MIN_S} y "
                    f"{JOB_INTERVAL_MAX_S:.0f} segundos"
                )
        return value

    @field_validator("lab_listener")
    @classmethod
    def _check_lab_listener(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        listener_address(value)
        return value.strip()

    @property
    def lab_listener_address(self) -> tuple[str, int] | None:
        """``(host, port)`` of :attr:`lab_listener`, or None."""
        return listener_address(self.lab_listener) if self.lab_listener else None

    @property
    def db_path(self) -> Path:
        return self.data_dir / "edge.sqlite3"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"


def job_intervals_toml(intervals: dict[str, float]) -> str:
    """The edge.toml line setting ``intervals`` (job name -> seconds), an inline table."""
    table = ", ".join(f"{json.dumps(name)} = {seconds!r}" for name, seconds in intervals.items())
    return f"job_intervals = {{ {table} }}"


def listener_address(value: str) -> tuple[str, int]:
    """``"HOST:PORT"`` (``"0.0.0.0:2575"``, ``"[::]:2575"``) -> ``(host, port)``; ValueError
    with what it must be for anything else (the settings error adds what was given)."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("debe ser HOST:PUERTO, por ejemplo 0.0.0.0:2575")
    return host, int(port)


def load_edge_settings(
    data_dir: Path | None = None, config: Path | None = None, **overrides: Any
) -> EdgeSettings:
    """Build settings from file, environment and CLI overrides (highest precedence)."""
    base_dir = data_dir or Path(overrides.get("data_dir") or "./data/edge")
    config_path = config or base_dir / "edge.toml"
    if config is not None and not config.exists():
        raise ConfigError(f"configuration file {config} does not exist")
    file_values = read_toml(config_path)
    file_values = file_values.get("edge", file_values)
    # Environment beats the file: drop file values whose variable is set.
    values: dict[str, Any] = {
        k: v for k, v in file_values.items() if f"LABRED_EDGE_{k.upper()}" not in os.environ
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        settings = EdgeSettings(**values)
    except ValidationError as exc:
        raise setting_error(
            exc, model=EdgeSettings, config_path=config_path, env_prefix="LABRED_EDGE_",
            file_keys=file_values,
        ) from None  # fmt: skip
    if not settings.jwt_secret:
        settings.jwt_secret = _persistent_secret(settings.data_dir)
    return settings


def _persistent_secret(data_dir: Path) -> str:
    path = data_dir / "secrets" / "jwt.key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
