"""Notification channel settings: ``LABRED_HUB_NOTIFY_*`` or ``<data-dir>/notifications.toml``
(kept apart from ``hub.toml`` so credentials can have their own file permissions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from central.notifications.adapters import Channels, SmtpMailer, WhatsAppClient
from sync.config import read_toml


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LABRED_HUB_NOTIFY_", extra="forbid")

    smtp_host: str = Field(default="", description="SMTP server; empty: e-mail is not sent.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port.")
    smtp_sender: str = Field(default="notificaciones@labred.pe", description="From address.")
    smtp_username: str = Field(default="", description="SMTP user (optional).")
    smtp_password: str = Field(default="", description="SMTP password (optional).")
    smtp_starttls: bool = Field(default=False, description="Use STARTTLS.")
    smtp_timeout: float = Field(default=10.0, gt=0, description="SMTP timeout in seconds.")
    whatsapp_base_url: str = Field(
        default="", description="Cloud API base, e.g. https://graph.facebook.com/v20.0."
    )
    whatsapp_phone_number_id: str = Field(default="", description="Sender phone number id.")
    whatsapp_token: str = Field(default="", description="Bearer token of the Cloud API.")
    whatsapp_timeout: float = Field(default=10.0, gt=0, description="HTTP timeout in seconds.")
    max_attempts: int = Field(default=5, ge=1, le=20, description="Attempts before giving up.")
    backoff_seconds: float = Field(default=30.0, gt=0, description="First retry delay.")


def load(data_dir: Path) -> NotifySettings:
    values: dict[str, Any] = read_toml(data_dir / "notifications.toml")
    return NotifySettings(**values.get("notifications", values))


def channels_from(settings: NotifySettings, http: httpx.Client | None = None) -> Channels:
    mailer = None
    if settings.smtp_host:
        mailer = SmtpMailer(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_sender,
            timeout=settings.smtp_timeout, username=settings.smtp_username,
            password=settings.smtp_password, starttls=settings.smtp_starttls,
        )  # fmt: skip
    whatsapp = None
    if settings.whatsapp_base_url and settings.whatsapp_phone_number_id:
        whatsapp = WhatsAppClient(
            http=http or httpx.Client(timeout=settings.whatsapp_timeout),
            base_url=settings.whatsapp_base_url,
            phone_number_id=settings.whatsapp_phone_number_id, token=settings.whatsapp_token,
        )  # fmt: skip
    return Channels(mailer=mailer, whatsapp=whatsapp)
