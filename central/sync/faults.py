"""Test-only fault injection for the replication proofs (no effect unless a test sets it).

- ``hook``: called with a named crash point (``hub.mid_batch_apply``, ``hub.before_commit``);
  the simulation raises from it to model a hub crash at that step.
- ``planted``: names of deliberately planted bugs the simulation must catch
  (``ack_before_commit``, ``skip_inbox_check``, ``pull_by_timestamp``).
"""

from __future__ import annotations

from collections.abc import Callable

from sync import faultenv

# ``LABRED_FAULT_PAUSE`` (sync.faultenv) makes a real hub process stop at a point, for kill -9.
hook: Callable[[str], None] | None = faultenv.from_env()
planted: set[str] = set()


class InjectedCrash(Exception):
    """Raised by a simulation hook: the hub process 'dies' at this point."""


def point(name: str) -> None:
    if hook is not None:
        hook(name)


def is_planted(name: str) -> bool:
    return name in planted
