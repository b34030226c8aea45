"""REST/JSON to the laboratory: POST the frozen JSON body to a configured URL with a bearer
token and ``Idempotency-Key`` = the job's control id (a resend is recognised by the lab).

2xx accepts (``filler_numbers`` in the answer are kept), 409 means "already have it" and is
an acceptance too; 408/425/429/5xx and network failures are retried; other 4xx reject.
"""

from __future__ import annotations

import httpx

from edge.labsync.adapters import Outbound, Outcome

RETRYABLE = {408, 425, 429}


class RestAdapter:
    protocol = "rest"

    def __init__(self, url: str, token: str, *, http: httpx.Client) -> None:
        self.url = url
        self.token = token
        self.http = http

    def send(self, message: Outbound) -> Outcome:
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.control_id,
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self.http.post(self.url, content=message.body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            return Outcome(
                "error", detail=f"sin conexión con el laboratorio: {exc}", transport_failure=True
            )
        code = str(resp.status_code)
        if resp.is_success or resp.status_code == 409:
            fillers: dict[str, str] = {}
            try:
                data = resp.json()
                raw = data.get("filler_numbers", {}) if isinstance(data, dict) else {}
                fillers = {str(k): str(v) for k, v in raw.items()}
            except ValueError:
                pass
            return Outcome("accepted", ack_code=code, filler_numbers=fillers)
        detail = resp.text[:300]
        if resp.status_code >= 500 or resp.status_code in RETRYABLE:
            return Outcome("error", ack_code=code, detail=detail, transport_failure=True)
        return Outcome("rejected", ack_code=code, detail=detail)
