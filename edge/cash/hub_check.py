"""Asking the hub, right before a reopening, whether it has already closed the day.

The edge learns of the hub's closures through the pull (``edge.closures``), so a day the hub
reconciled a moment ago may still look open here; reopening it then makes the day's new rows
late adjustments of a frozen closure. So a reopening of an enrolled node first asks the hub
(``GET /api/sync/closures/{sede_id}/{day}``, node credentials, one attempt) and refuses when it
says closed (409 ``day_closed_by_hub``).

An offline sede must keep working: when the hub cannot answer within ``TIMEOUT`` seconds
(unreachable, slow, refusing) the day is reopened anyway and the response and the audit row say
that the hub could not be checked. The deadline is a hard one: the request runs in a daemon
thread and the caller waits at most ``TIMEOUT`` (an httpx timeout bounds each phase, not the
whole request, and name resolution not at all). The request runs before the write transaction,
never inside it: the node's single writer lock is not held while the network is slow.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import ValidationError
from sqlalchemy import Engine

from domain.clock import Clock
from domain.errors import Conflict, LabError
from edge.auth.tokens import Principal
from edge.cash import seal as seal_service
from edge.cash.seal_schemas import DayReopenRead
from edge.db import read_session, unit_of_work
from edge.sync.enroll import load_credentials
from sync.client import SyncClient
from sync.protocol import DayClosureStatus

TIMEOUT = 2.0  # seconds a reopening waits for the hub at most
HubCheckState = Literal["consultada", "no_disponible", "sin_central"]
ClientFactory = Callable[[str, float], httpx.Client]


def _default_client(hub_url: str, timeout: float) -> httpx.Client:
    return httpx.Client(base_url=hub_url.rstrip("/"), timeout=timeout)


# Builds the HTTP client of one check from (hub_url, timeout); tests replace it.
CLIENT_FACTORY: ClientFactory = _default_client


@dataclass(frozen=True)
class HubCheck:
    """What the hub said about a day (``state`` ``consultada``), or why it was not asked."""

    state: HubCheckState
    closed: bool = False
    status: str | None = None  # the hub's closure status (None: no closure, or not asked)
    error: str | None = None  # why the hub could not be checked (a stable code)
    elapsed_ms: int = 0
    detail: str | None = field(default=None, compare=False)  # the hub's own message, if any

    @property
    def checked(self) -> bool:
        return self.state == "consultada"

    @property
    def warning(self) -> str | None:
        """Spanish text for the screen when the hub could not be checked (None otherwise)."""
        if self.state != "no_disponible":
            return None
        why = (
            "no respondió a tiempo"
            if self.error == "hub_timeout"
            else "no está disponible"
            if self.error == "hub_unavailable"
            else f"no confirmó el estado del día ({self.error})"
        )
        return (
            f"No se pudo consultar a la central: {why}. El día se reabrió igual; si la central "
            "ya lo había cerrado, lo que se registre ahora figurará allí como ajuste tardío."
        )

    def audit_details(self) -> dict[str, Any]:
        return {
            "hub_checked": self.checked,
            "hub_check": self.state,
            "hub_status": self.status,
            "hub_error": self.error,
            "hub_elapsed_ms": self.elapsed_ms,
        }


class _ClosureClient(SyncClient):
    """The sync client (node credentials, error mapping) with the closure-status call."""

    def closure(self, sede_id: str, day: dt.date) -> DayClosureStatus:
        resp = self._call(
            "GET", f"/api/sync/closures/{sede_id}/{day.isoformat()}", headers=self._headers()
        )
        return DayClosureStatus.model_validate_json(resp.content)


def _ask(
    creds: dict[str, Any], sede_id: str, day: dt.date, timeout: float, factory: ClientFactory
) -> HubCheck:
    try:
        with factory(str(creds["hub_url"]), timeout) as http:
            client = _ClosureClient(
                http,
                node_id=str(creds["node_id"]),
                secret=str(creds["secret"]),
                attempts=1,
                sleep=lambda _s: None,
            )
            answer = client.closure(sede_id, day)
    except LabError as exc:
        return HubCheck("no_disponible", error=exc.code, detail=exc.msg)
    except (ValidationError, ValueError):
        return HubCheck("no_disponible", error="hub_answer_invalid")
    except Exception as exc:  # noqa: BLE001 - any failure of the check must not block a reopening
        return HubCheck("no_disponible", error="hub_unavailable", detail=type(exc).__name__)
    return HubCheck("consultada", closed=answer.closed, status=answer.status)


def ask_hub(
    *,
    data_dir: Path,
    sede_id: str,
    day: dt.date,
    timeout: float | None = None,
    client_factory: ClientFactory | None = None,
) -> HubCheck:
    """Whether the hub has closed ``day`` of ``sede_id``; waits at most ``timeout`` seconds.
    A node that is not enrolled (no credentials) is not asked (``sin_central``)."""
    creds = load_credentials(data_dir)
    if not creds or not all(creds.get(k) for k in ("hub_url", "node_id", "secret")):
        return HubCheck("sin_central")
    limit = TIMEOUT if timeout is None else timeout
    factory = client_factory or CLIENT_FACTORY
    started = time.monotonic()
    box: list[HubCheck] = []
    worker = threading.Thread(
        target=lambda: box.append(_ask(creds, sede_id, day, limit, factory)),
        name="hub-closure-check",
        daemon=True,
    )
    worker.start()
    worker.join(limit)
    elapsed = int((time.monotonic() - started) * 1000)
    if not box:  # still waiting: the thread ends on its own (httpx timeouts), unobserved
        return HubCheck("no_disponible", error="hub_timeout", elapsed_ms=elapsed)
    return replace(box[0], elapsed_ms=elapsed)


def refuse_if_closed(check: HubCheck, *, day: dt.date) -> None:
    """409 ``day_closed_by_hub`` when the hub said it has closed ``day``."""
    if check.closed:
        raise Conflict(
            f"La central ya concilió y cerró el día {day:%d/%m/%Y} (aún no llegó a esta sede); "
            "no se puede reabrir. Pida a un supervisor que reabra el cierre en la central.",
            code="day_closed_by_hub",
            loc=["path", "day"],
            extra={"hub_status": check.status},
        )


def reopen_day(
    engine: Engine,
    *,
    data_dir: Path,
    sede_id: str,
    user: Principal,
    clock: Clock,
    day: dt.date,
    reason: str | None,
    ip: str | None = None,
) -> DayReopenRead:
    """Reopen ``day`` after asking the hub: the local refusals first (reason, not sealed, the
    hub's closure already mirrored: no network wait for them), then the hub (at most
    ``TIMEOUT``), then the reopening in its own unit of work, which checks everything again."""
    with read_session(engine) as session:
        seal_service.check_reopenable(session, sede_id=sede_id, day=day, reason=reason)
    check = ask_hub(data_dir=data_dir, sede_id=sede_id, day=day)
    refuse_if_closed(check, day=day)
    with unit_of_work(engine) as session:
        reopened = seal_service.reopen_day(
            session,
            sede_id=sede_id,
            user=user,
            clock=clock,
            day=day,
            reason=reason,
            ip=ip,
            hub=check.audit_details(),
        )
        live = seal_service.figures(session, sede_id=sede_id, day=day)
        return DayReopenRead.build(
            reopened, live, hub_check=check.state, hub_status=check.status, warning=check.warning
        )
