"""The demo's sync lag figure: how far the hub may be behind each sede at the end, as the hub's
sync health says (``GET /api/sync/nodes/{id}/status``, ``push_lag_seconds``: the hub's receive
times against the hub's now, :func:`central.sync.nodes.push_lag`).

The demo moves the hub's clock to play past days (:func:`labred.demo.play_waiting.set_day`). A
figure is only true when the hub's clock has not moved since the node's last contact that it
counts from (the push or pull was stamped on the clock the hub reads now), so the demo prints
"not measurable" for a sede whose last contact predates the move instead of a made-up lag."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from domain.ids import sede_id_for
from labred.demo.checks import Report
from labred.demo.topology import DEMO_PASSWORD, sede_code
from sandbox.daygen import login

if TYPE_CHECKING:
    from labred.demo.orchestrator import Demo

FRESH_S = 120.0  # a sede in touch with the hub pushes or pulls every few seconds


@dataclass(frozen=True)
class Lag:
    sede: str
    seconds: float | None  # None: not measurable (or the node never pushed)
    why: str = ""


def _at(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def lag_of(code: str, status: dict[str, Any], *, moved: dt.datetime, shifted: bool) -> Lag:
    """The figure of one node's status, or why it is not measurable: the hub's clock is still
    shifted, or it moved (at ``moved``) after the contact the lag counts from."""
    push, pull = _at(status["last_push_at"]), _at(status["last_pull_at"])
    # the instant central.sync.nodes.push_lag counts from
    since = pull if status["backlog"] == 0 and push and pull and pull > push else push
    if since is None:
        return Lag(code, None, "it never pushed")
    if shifted or since < moved:
        return Lag(code, None, "the hub's clock moved since it was counted from")
    return Lag(code, float(status["push_lag_seconds"]))


def sync_lags(demo: Demo) -> list[Lag]:
    clock = demo.t.clock_file("hub")
    moved = dt.datetime.fromtimestamp(clock.stat().st_mtime, dt.UTC)
    shifted = float(clock.read_text().strip() or 0) != 0
    codes = {sede_id_for(sede_code(k)): sede_code(k) for k in range(1, demo.o.sedes + 1)}
    out: list[Lag] = []
    hub = httpx.Client(base_url=demo.t.hub_url(), timeout=30)
    with contextlib.closing(hub):
        login(hub, "admin", DEMO_PASSWORD)
        for node in hub.get("/api/sync/nodes").raise_for_status().json():
            code = codes.get(node["sede_id"])
            if code is None or node["revoked"]:
                continue
            st = hub.get(f"/api/sync/nodes/{node['id']}/status").raise_for_status().json()
            out.append(lag_of(code, st, moved=moved, shifted=shifted))
    return sorted(out, key=lambda lag: lag.sede)


def print_lags(lags: list[Lag]) -> None:
    shown = [
        f"{lag.sede} {lag.seconds:.1f} s"
        if lag.seconds is not None
        else f"{lag.sede} not measurable ({lag.why})"
        for lag in lags
    ]
    print(f"sync lag at the end (hub's sync health, on the hub's clock): {', '.join(shown)}")


def lag_checks(report: Report, lags: list[Lag], sedes: int) -> None:
    late = [lag.sede for lag in lags if lag.seconds is None or lag.seconds > FRESH_S]
    report.check(
        len(lags) == sedes and not late,
        f"the hub is at most {FRESH_S:.0f} s behind every sede at the end"
        + (f" (not: {', '.join(late)})" if late else ""),
    )


def digest_checks(report: Report, statuses: dict[str, dict[str, Any]], sedes: int) -> None:
    """Every sede compared its copies of the hub's tables with the hub's digests (its worker
    does at its first pull, then every ``sync_digest_interval_s``) and the last comparison found
    nothing to copy again: no drift between a sede and the hub in the whole run."""
    compared = {code: st.get("last_digest_result") for code, st in statuses.items()}
    drifted = {
        code: st.get("last_digest_repaired") or []
        for code, st in statuses.items()
        if compared[code] != "ok"
    }
    report.check(
        len(compared) == sedes and not drifted,
        "every sede's copies of the hub's tables agreed with the hub's digests"
        + (f" (not: {drifted})" if drifted else ""),
    )
