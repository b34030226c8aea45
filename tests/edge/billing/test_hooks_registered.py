"""The billing hooks are registered with the order hooks on import (no "module missing"
fallback left: importing ``edge.billing.hooks`` fails loudly if ``edge.orders.hooks`` breaks)."""

from __future__ import annotations

from edge.billing import hooks
from edge.orders import hooks as order_hooks


def test_billing_hooks_are_registered_once() -> None:
    assert hooks.register() is True and hooks.REGISTERED
    hooks.register()  # idempotent
    assert order_hooks._created.count(hooks.issue_if_paid) == 1
    assert order_hooks._payment.count(hooks.issue_if_paid) == 1
    assert order_hooks._cancelled.count(hooks.void_for_cancelled) == 1
    assert hooks.order_hooks is order_hooks
