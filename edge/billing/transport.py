"""How the worker reaches SUNAT: the client from settings, backoff, the circuit breaker."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine
from tenacity import RetryCallState, wait_exponential_jitter

from edge.billing.sunat_client import (
    SUNAT_BETA_BILL,
    SUNAT_BETA_PASSWORD,
    SUNAT_BETA_USER,
    SUNAT_PRODUCTION_BILL,
    SUNAT_PRODUCTION_CONSULT,
    SunatClient,
)
from edge.settings import EdgeSettings

#: Exponential backoff with jitter: 2 s, 4 s, 8 s ... capped at 15 minutes, + up to 2 s.
_WAIT = wait_exponential_jitter(initial=2, max=900, exp_base=2, jitter=2)


def backoff_seconds(attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th failed try (tenacity's wait, computed, so the
    wait lives in ``next_attempt_at`` and survives a restart instead of a sleeping thread)."""
    state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    state.attempt_number = max(1, attempt)
    return float(_WAIT(state))


def endpoints(settings: EdgeSettings) -> tuple[str | None, str | None]:
    """(billService, billConsultService) for the configured mode; None: not configured."""
    mode = settings.sunat_mode
    bill = settings.sunat_url
    consult = settings.sunat_consult_url
    if bill is None and mode == "beta":
        bill = SUNAT_BETA_BILL
    if bill is None and mode == "production":
        bill = SUNAT_PRODUCTION_BILL
        consult = consult or SUNAT_PRODUCTION_CONSULT
    return bill, consult


def make_client(settings: EdgeSettings, http: httpx.Client, *, ruc: str) -> SunatClient | None:
    """The SOAP client, or None when no endpoint is configured (documents stay queued)."""
    bill, consult = endpoints(settings)
    if bill is None:
        return None
    username = settings.sunat_username
    password = settings.sunat_password.get_secret_value()
    if not username and settings.sunat_mode in ("sandbox", "beta"):
        username, password = ruc + SUNAT_BETA_USER, password or SUNAT_BETA_PASSWORD
    return SunatClient(
        http,
        endpoint_bill=bill,
        endpoint_consult=consult,
        username=username,
        password=password,
        timeout=settings.sunat_timeout,
    )


@dataclass
class Breaker:
    """Stop calling SUNAT for ``seconds`` after ``threshold`` consecutive outages."""

    threshold: int
    seconds: float
    failures: int = 0
    open_until: dt.datetime | None = None
    opened: int = 0

    def is_open(self, now: dt.datetime) -> bool:
        return self.open_until is not None and now < self.open_until

    def failure(self, now: dt.datetime) -> bool:
        """Count one outage; True when this one opened the breaker."""
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = now + dt.timedelta(seconds=self.seconds)
            self.failures = 0
            self.opened += 1
            return True
        return False

    def success(self) -> None:
        self.failures = 0
        self.open_until = None


_lock = threading.Lock()
_breakers: weakref.WeakKeyDictionary[Engine, Breaker] = weakref.WeakKeyDictionary()


def breaker_for(engine: Engine, settings: EdgeSettings) -> Breaker:
    """One breaker per database (per node) and process."""
    with _lock:
        breaker = _breakers.get(engine)
        if breaker is None:
            breaker = Breaker(settings.sunat_breaker_failures, settings.sunat_breaker_seconds)
            _breakers[engine] = breaker
        return breaker


__all__ = ["Breaker", "backoff_seconds", "breaker_for", "endpoints", "make_client"]
