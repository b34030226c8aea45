"""Typed client of the edge's HTTP API, the only way the TUI reaches a node.

* ``EdgeApi(http)`` takes an injected ``httpx.Client`` (tests pass a ``MockTransport`` or a
  client pointed at a real edge); it never opens a database.
* Every failure is an ``ApiError(status, code, msg, loc)`` parsed from the one error shape
  ``{"detail": [{"type", "msg", "loc"}]}``; a node that cannot be reached is
  ``EdgeUnreachable`` (status 0) after a few quick retries.
* Requests that are safe to repeat (GET, or any request whose connection was refused, so
  nothing reached the node) are retried on connection errors; others are not, so a sale is
  never sent twice.
* A 401 on an expired or invalid access token is answered by one silent refresh (rotation:
  the new refresh token replaces the old) and the request is repeated. Refreshes are
  serialised, so two threads never spend the same refresh token.
* When the node ends the session (refresh refused, user deactivated or taken off the sede)
  the request raises ``SessionEnded``, which says whether it may be sent again after a new
  sign-in (``begin_action`` marks where one action of a thread starts, so a GET that follows
  a POST of the same action is not taken for harmless).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

import httpx

from tui.errors import SESSION_OVER, ApiError, EdgeUnreachable, SessionEnded, parse_error
from tui.wire import (
    JSON,
    CashSession,
    Invoice,
    NodeStatus,
    Order,
    Patient,
    Profile,
    Service,
)

__all__ = [
    "JSON",
    "ApiError",
    "CashSession",
    "EdgeApi",
    "EdgeUnreachable",
    "Invoice",
    "NodeStatus",
    "Order",
    "Patient",
    "Profile",
    "Service",
    "SessionEnded",
    "Tokens",
    "parse_error",
]
_REFRESHABLE = frozenset({"token_expired", "token_invalid", "not_authenticated"})


@dataclass
class Tokens:
    access: str
    refresh: str


@dataclass
class EdgeApi:
    """The edge API over an injected ``httpx.Client`` (base URL set on the client)."""

    http: httpx.Client
    retries: int = 2
    retry_delay: float = 0.2
    tokens: Tokens | None = None
    profile: Profile | None = None
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _print_endpoint: bool | None = field(default=None, repr=False)
    session_no: int = 0
    """How many sign-ins this terminal has made (a session ended is told apart from the next)."""
    ended: str | None = None
    """The node's code for why the last session ended (None while one is open)."""
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @classmethod
    def connect(cls, base_url: str, *, timeout: float = 5.0) -> EdgeApi:
        return cls(httpx.Client(base_url=base_url, timeout=timeout))

    @property
    def base_url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def close(self) -> None:
        self.http.close()

    # -------------------------------------------------------------------------- plumbing
    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request with retries on connection errors; never raises httpx errors."""
        attempt = 0
        while True:
            try:
                response = self.http.request(method, path, **kwargs)
                self.http.cookies.clear()  # the TUI authenticates by header, never by cookie
                return response
            except httpx.TransportError as exc:
                # a POST carrying an Idempotency-Key is answered once however often it is sent
                keyed = "Idempotency-Key" in (kwargs.get("headers") or {})
                repeatable = method == "GET" or keyed or isinstance(exc, httpx.ConnectError)
                if not repeatable:
                    raise EdgeUnreachable(f"{type(exc).__name__}: {exc}", retryable=False) from None
                if attempt >= self.retries:
                    raise EdgeUnreachable(f"{type(exc).__name__}: {exc}") from None
                attempt += 1
                time.sleep(self.retry_delay * attempt)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.access}"} if self.tokens else {}

    def request(
        self, method: str, path: str, *, auth: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """A request with the access token; one silent refresh on an expired token."""
        extra: dict[str, str] = kwargs.pop("headers", None) or {}
        try:
            response = self._authorised(method, path, auth=auth, extra=extra, **kwargs)
        except SessionEnded as exc:
            clean = not getattr(self._local, "changed", False)
            exc.read_only = method == "GET" and clean
            exc.repeatable = (method == "GET" or "Idempotency-Key" in extra) and clean
            raise
        if response.status_code >= 400:
            raise parse_error(response)
        if method != "GET" and "Idempotency-Key" not in extra:
            self._local.changed = True  # it took effect: repeating the action could repeat it
        return response

    def begin_action(self) -> None:
        """One action of the calling thread starts (see ``SessionEnded.read_only``)."""
        self._local.changed = False

    def _authorised(
        self, method: str, path: str, *, auth: bool, extra: dict[str, str], **kwargs: Any
    ) -> httpx.Response:
        if auth and self.tokens is None:
            self._no_session()
        sent_with = self.tokens.access if self.tokens else None
        headers = {**(self._headers() if auth else {}), **extra}
        response = self._send(method, path, headers=headers, **kwargs)
        if auth and response.status_code == 401 and parse_error(response).code in _REFRESHABLE:
            self._refresh(stale_access=sent_with)
            response = self._send(method, path, headers={**self._headers(), **extra}, **kwargs)
        if auth and response.status_code in (401, 403):
            code = parse_error(response).code
            if code in SESSION_OVER:
                self._end(code)
        return response

    def _no_session(self) -> NoReturn:
        if self.ended is not None:  # the node ended it (another thread heard first)
            raise SessionEnded(self.ended, session_no=self.session_no)
        raise ApiError(401, "not_authenticated", "Debe iniciar sesión.")

    def _end(self, reason: str) -> NoReturn:
        self.tokens = None
        self.ended = reason
        raise SessionEnded(reason, session_no=self.session_no)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    def _refresh(self, *, stale_access: str | None) -> None:
        with self._refresh_lock:
            if self.tokens is None:
                self._no_session()
            if self.tokens.access != stale_access:
                return  # another thread refreshed meanwhile
            response = self._send(
                "POST", "/api/auth/refresh", json={"refresh_token": self.tokens.refresh}
            )
            if response.status_code in (401, 403):
                self._end(parse_error(response).code)
            if response.status_code >= 400:
                raise parse_error(response)  # e.g. rate limited: the session goes on
            self._take(response.json())

    def _take(self, body: JSON) -> None:
        self.tokens = Tokens(access=body["access_token"], refresh=body["refresh_token"])
        self.profile = cast(Profile, body["user"])

    # ------------------------------------------------------------------------------- auth
    def login(self, username: str, password: str) -> Profile:
        response = self._send(
            "POST", "/api/auth/login", json={"username": username, "password": password}
        )
        if response.status_code >= 400:
            raise parse_error(response)
        self._take(response.json())
        self.session_no += 1
        self.ended = None
        assert self.profile is not None
        return self.profile

    def logout(self) -> None:
        """Revoke the refresh token on the node (best effort) and forget both tokens."""
        tokens, self.tokens, self.profile = self.tokens, None, None
        if tokens is None:
            return
        try:
            self._send(
                "POST",
                "/api/auth/logout",
                headers={"Authorization": f"Bearer {tokens.access}"},
                json={"refresh_token": tokens.refresh},
            )
        except EdgeUnreachable:
            pass  # the tokens are gone from this terminal; the node lets them expire

    def health(self) -> bool:
        """True when the node answers ``/health`` (no retries: this is the probe)."""
        try:
            return self.http.get("/health").status_code == 200
        except httpx.TransportError:
            return False

    # --------------------------------------------------------------------------- status
    def node_status(self) -> NodeStatus:
        web = self._json("GET", "/api/web/status")
        sync = self._json("GET", "/api/sync/status")
        lab = self._json("GET", "/api/lab-sync/pending")
        return NodeStatus(
            sede_code=str(web.get("sede_code", "")),
            sede_name=str(web.get("sede_name", "")),
            hub=str(web.get("hub", "comprobando")),
            sunat_pending=int(web.get("sunat_pending", 0)),
            sunat_overdue=int(web.get("sunat_overdue", 0)),
            sync_backlog=int(sync.get("backlog", 0)),
            lab_pending=int(lab.get("total", 0)),
        )

    # ------------------------------------------------------------------------- patients
    def search_patients(self, q: str, *, limit: int = 20) -> list[Patient]:
        body = self._json("GET", "/api/patients/search", params={"q": q, "limit": limit})
        return cast(list[Patient], body["items"])

    def create_patient(self, fields: JSON) -> Patient:
        return cast(Patient, self._json("POST", "/api/patients", json=fields))

    def get_patient(self, patient_id: str) -> Patient:
        return cast(Patient, self._json("GET", f"/api/patients/{patient_id}"))

    # -------------------------------------------------------------------------- catalog
    def search_services(self, q: str, *, limit: int = 20) -> list[Service]:
        body = self._json("GET", "/api/catalog/services/search", params={"q": q, "limit": limit})
        return cast(list[Service], body)

    # --------------------------------------------------------------------------- orders
    def create_order(self, body: JSON, *, key: str | None = None) -> Order:
        """Register a sale. With ``key`` (one per sale, kept across retries) a repeat after a
        lost answer returns the order already registered instead of selling it twice."""
        headers = {"Idempotency-Key": key} if key else None
        return cast(Order, self._json("POST", "/api/orders", json=body, headers=headers))

    def list_orders(self, *, date: str | None = None, page_size: int = 200) -> list[Order]:
        params: JSON = {"page_size": page_size}
        if date:
            params["date"] = date
        return cast(list[Order], self._json("GET", "/api/orders", params=params)["items"])

    def get_order(self, order_id: str) -> Order:
        return cast(Order, self._json("GET", f"/api/orders/{order_id}"))

    def set_status(self, order_id: str, status: str) -> JSON:
        return cast(
            JSON, self._json("PUT", f"/api/orders/{order_id}/status", json={"status": status})
        )

    def cancel_order(self, order_id: str, reason: str) -> Order:
        path = f"/api/orders/{order_id}/cancel"
        return cast(Order, self._json("POST", path, json={"reason": reason}))

    def pay_order(self, order_id: str, payments: list[JSON]) -> Order:
        """Pay (part of) the balance of an order registered earlier."""
        body = {"payments": payments}
        return cast(Order, self._json("POST", f"/api/orders/{order_id}/payments", json=body))

    def labels_pdf(self, order_id: str, *, reason: str | None = None) -> tuple[str, bytes]:
        """The order's sample labels as PDF: (file name, bytes). A reprint needs ``reason``
        (the node answers 422 ``reprint_reason_required`` without it)."""
        params = {"format": "pdf", **({"reason": reason} if reason else {})}
        response = self.request("GET", f"/api/orders/{order_id}/labels", params=params)
        disposition = response.headers.get("content-disposition", "")
        name = disposition.split("filename=")[-1].strip('"') if "filename=" in disposition else ""
        return (name or f"{order_id}-etiquetas.pdf"), response.content

    # -------------------------------------------------------------------------- billing
    def invoices_of(self, order_id: str) -> list[Invoice]:
        body = self._json("GET", f"/api/billing/by-order/{order_id}")
        return cast(list[Invoice], body["items"])

    def issue_receipt(self, order_id: str) -> Invoice:
        return cast(
            Invoice, self._json("POST", "/api/billing/receipt", json={"order_id": order_id})
        )

    def issue_invoice(self, order_id: str, customer: JSON) -> Invoice:
        body = {"order_id": order_id, "customer": customer}
        return cast(Invoice, self._json("POST", "/api/billing/invoice", json=body))

    def ticket_pdf(self, invoice_id: str) -> tuple[str, bytes]:
        """The 80 mm ticket as PDF: (file name suggested by the node, bytes)."""
        response = self.request(
            "GET", f"/api/billing/{invoice_id}/pdf", params={"format": "ticket"}
        )
        disposition = response.headers.get("content-disposition", "")
        name = disposition.split("filename=")[-1].strip('"') if "filename=" in disposition else ""
        return (name or f"{invoice_id}-ticket.pdf"), response.content

    def has_print_endpoint(self) -> bool:
        """Whether the node can print a ticket itself (``POST /api/billing/{id}/print``)."""
        if self._print_endpoint is None:
            paths = self._json("GET", "/openapi.json", auth=False).get("paths", {})
            self._print_endpoint = "/api/billing/{invoice_id}/print" in paths
        return self._print_endpoint

    def print_ticket(self, invoice_id: str) -> JSON:
        path = f"/api/billing/{invoice_id}/print"
        return cast(JSON, self._json("POST", path, json={"format": "ticket"}))

    # ----------------------------------------------------------------------------- cash
    def current_cash(self) -> CashSession | None:
        try:
            return cast(CashSession, self._json("GET", "/api/cash/sessions/current"))
        except ApiError as exc:
            if exc.status == 404 or exc.code in {"cash_session_closed", "no_open_session"}:
                return None
            raise

    def open_cash(self, opening_float: str) -> CashSession:
        body = {"opening_float": opening_float}
        return cast(CashSession, self._json("POST", "/api/cash/sessions", json=body))

    def count_cash(self, session_id: str, denominations: dict[str, int], declared: JSON) -> JSON:
        body = {"denominations": denominations, "declared": declared}
        return cast(JSON, self._json("POST", f"/api/cash/sessions/{session_id}/count", json=body))

    def close_cash(
        self,
        session_id: str,
        *,
        note: str | None = None,
        approval: tuple[str, str] | None = None,
    ) -> JSON:
        """Close the drawer; ``approval`` is a supervisor's (username, password) when the
        difference is over the sede's limit."""
        body: JSON = {"note": note} if note else {}
        if approval is not None:
            body["approval"] = {"username": approval[0], "password": approval[1]}
        return cast(JSON, self._json("POST", f"/api/cash/sessions/{session_id}/close", json=body))
