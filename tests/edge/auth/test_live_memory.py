"""The per-process memory of users and sign-ins stays bounded on a node that runs for months:
every login brings a new sign-in id, and an answer older than ``TTL_SECONDS`` is never read
again, so expired answers are dropped once ``SWEEP_OVER`` are kept (found by
bench/bench_soak.py's review of unbounded caches)."""

from __future__ import annotations

from domain.permissions import Role
from edge.auth.live import SWEEP_OVER, TTL_SECONDS, LiveUsers
from edge.runtime import EdgeRuntime
from tests.edge.auth.test_live_user import Ticker
from tests.edge.factories import make_user


def test_months_of_sign_ins_do_not_grow_the_memory(edge_runtime: EdgeRuntime) -> None:
    ticker = Ticker()
    live = LiveUsers(edge_runtime.engine, monotonic=ticker)
    user = make_user(edge_runtime, Role.RECEPCIONISTA)
    for n in range(3 * SWEEP_OVER):  # one login every ~3 s, each its own sign-in
        assert live.session_alive(f"sign-in-{n}") is False
        assert live.state(user.id) is not None
        ticker.now += TTL_SECONDS * 1.5
    assert len(live) <= SWEEP_OVER + 2


def test_fresh_answers_are_kept_past_the_bound(edge_runtime: EdgeRuntime) -> None:
    """The sweep drops only expired answers: a burst of sign-ins inside one TTL keeps them all
    (each is still read once, not once per request)."""
    ticker = Ticker()
    live = LiveUsers(edge_runtime.engine, monotonic=ticker)
    for n in range(SWEEP_OVER + 50):
        live.session_alive(f"burst-{n}")
    assert len(live) == SWEEP_OVER + 50
    ticker.now += TTL_SECONDS
    live.session_alive("after")
    assert len(live) == 1
