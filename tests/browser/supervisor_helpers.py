"""Set-up through the JSON API from inside a signed-in page (its cookie and CSRF token): open
a cash drawer, sell and pay, count and close — what the counter does, without its screens."""

from __future__ import annotations

from typing import Any

CALL = """async ([method, path, body]) => {
  const pair = document.cookie.split('; ').find((c) => c.startsWith('labred_csrf='));
  const csrf = pair ? decodeURIComponent(pair.split('=')[1]) : '';
  const r = await fetch(path, {
    method,
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
    body: body === null ? undefined : JSON.stringify(body),
  });
  const type = r.headers.get('content-type') || '';
  return [r.status, type.includes('json') ? await r.json() : null];
}"""

HEMOGRAMA = "HEM-001"  # demo catalog, S/ 35.00


def call(page: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    status, data = page.evaluate(CALL, [method, path, body])
    return int(status), data


def ok(page: Any, method: str, path: str, body: Any = None) -> Any:
    status, data = call(page, method, path, body)
    assert 200 <= status < 300, (method, path, status, data)
    return data


def ensure_cash(page: Any) -> dict[str, Any]:
    """The signed-in user's open cash session (opened with no float if there is none)."""
    status, current = call(page, "GET", "/api/cash/sessions/current")
    if status == 200:
        return dict(current)
    return dict(ok(page, "POST", "/api/cash/sessions", {"opening_float": "0.00"}))


def service_id(page: Any, code: str = HEMOGRAMA) -> str:
    found = ok(page, "GET", f"/api/catalog/services/search?q={code}&limit=1")
    return str(found[0]["id"])


def sell(page: Any, patient_id: str, *, paid: bool) -> dict[str, Any]:
    """A boleta order of one hemograma (S/ 35.00), paid in cash or left unpaid."""
    body: dict[str, Any] = {
        "patient_id": patient_id,
        "items": [service_id(page)],
        "document_type": "03",
    }
    if paid:
        body["payments"] = [{"method": "efectivo", "amount": "35.00"}]
    return dict(ok(page, "POST", "/api/orders", body))


def count_and_close(page: Any, session_id: str, cash: dict[str, int]) -> dict[str, Any]:
    """Blind count of ``cash`` (denomination -> pieces), nothing else declared, then close."""
    zero = {"tarjeta": "0.00", "yape": "0.00", "plin": "0.00", "transferencia": "0.00"}
    ok(page, "POST", f"/api/cash/sessions/{session_id}/count",
       {"denominations": cash, "declared": zero})  # fmt: skip
    return dict(ok(page, "POST", f"/api/cash/sessions/{session_id}/close", {}))
