"""Outbound adapters: SMTP (smtplib with a timeout) and the WhatsApp Business Cloud API (httpx).

Both raise :class:`DeliveryError`; ``permanent`` says whether retrying can help (a refused
recipient, a 4xx from WhatsApp) or not (timeouts, connection errors, 5xx, 429).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx

from central.mail import MailMessage


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/pdf"


@dataclass
class SmtpMailer:
    """Sends e-mail through an SMTP server; also usable as the hub's ``Mailer``."""

    host: str
    port: int = 25
    sender: str = "notificaciones@labred.pe"
    timeout: float = 10.0
    username: str = ""
    password: str = ""
    starttls: bool = False

    def send_mail(
        self, *, to: str, subject: str, body: str, attachments: list[Attachment] | None = None
    ) -> str:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg.set_content(body)
        for a in attachments or []:
            maintype, _, subtype = a.mime.partition("/")
            msg.add_attachment(a.content, maintype=maintype, subtype=subtype, filename=a.filename)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"destinatario rechazado: {exc}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP no disponible: {exc}") from None
        return str(msg.get("Message-ID") or "")

    def send(self, message: MailMessage) -> None:
        self.send_mail(to=message.to, subject=message.subject, body=message.body)


@dataclass
class WhatsAppClient:
    """``POST {base_url}/{phone_number_id}/messages`` with a bearer token (Cloud API); the
    timeout is the injected client's (``httpx.Client(timeout=...)``)."""

    http: httpx.Client
    base_url: str
    phone_number_id: str
    token: str
    extra_headers: dict[str, str] = field(default_factory=dict)

    def send_text(self, *, to: str, body: str) -> str:
        url = f"{self.base_url.rstrip('/')}/{self.phone_number_id}/messages"
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "".join(ch for ch in to if ch.isdigit()),
            "type": "text",
            "text": {"preview_url": False, "body": body},
        }
        try:
            r = self.http.post(
                url,
                json=payload,
                headers={"Authorization": f"Bearer {self.token}"} | self.extra_headers,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"WhatsApp no disponible: {exc}") from None
        if r.status_code >= 500 or r.status_code == 429:
            raise DeliveryError(f"WhatsApp respondió {r.status_code}")
        if r.status_code >= 400:
            raise DeliveryError(f"WhatsApp rechazó el mensaje ({r.status_code}): {r.text[:200]}",
                                permanent=True)  # fmt: skip
        try:
            return str(r.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise DeliveryError("respuesta de WhatsApp inesperada") from None


@dataclass
class Channels:
    """The configured adapters (either may be missing: its notifications wait)."""

    mailer: SmtpMailer | None = None
    whatsapp: WhatsAppClient | None = None
