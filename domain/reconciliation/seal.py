"""The hub's counts and sums against the day seal; order numbers missing at the hub."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.money import fmt_soles, from_cents
from domain.reconciliation.figures import hub_figures
from domain.reconciliation.rows import CRITICAL, MAX_LISTED, WARNING, DayData, Finding

# (section, field, label) compared with the seal; states and statuses move after the seal.
_SEAL_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("orders", "count", "órdenes"),
    ("orders", "total_cents", "monto de órdenes"),
    ("payments", "count", "pagos"),
    ("payments", "total_cents", "monto de pagos"),
    ("invoices", "count", "comprobantes"),
    ("invoices", "total_cents", "monto de comprobantes"),
    ("cash_sessions", "count", "cajas"),
    ("cash_sessions", "expected_cents", "esperado en cajas"),
    ("cash_sessions", "counted_cents", "contado en cajas"),
    ("samples", "count", "muestras"),
)


def _num(figures: Mapping[str, Any], section: str, name: str) -> int | None:
    part = figures.get(section)
    if not isinstance(part, Mapping) or part.get("available") is False:
        return None
    value = part.get(name)
    return int(value) if isinstance(value, int | float) else None


def _show(name: str, value: int) -> str:
    return fmt_soles(from_cents(value)) if name.endswith("_cents") else str(value)


def missing_order_numbers(data: DayData, sealed_count: int) -> list[str]:
    """Order numbers of the day the hub lacks: gaps in the gapless per-day sequence."""
    present: dict[int, str] = {}
    prefix = None
    for o in data.orders:
        head, _, seq = o.number.rpartition("-")
        if seq.isdigit():
            present[int(seq)] = o.number
            prefix = prefix or head
    if prefix is None:
        return []
    width = max(4, *(len(n.rpartition("-")[2]) for n in present.values()))
    top = max(sealed_count, max(present, default=0))
    return [f"{prefix}-{n:0{width}d}" for n in range(1, top + 1) if n not in present]


def compare_with_seal(
    seal: Mapping[str, Any], data: DayData, hub: Mapping[str, Any] | None = None
) -> list[Finding]:
    """The hub's counts and sums against the seal; mismatches list the ids involved."""
    hub = hub if hub is not None else hub_figures(data)
    findings: list[Finding] = []
    for section, name, label in _SEAL_CHECKS:
        expected = _num(seal, section, name)
        actual = _num(hub, section, name)
        if expected is None or actual is None or expected == actual:
            continue
        money = name.endswith("_cents")
        ids: list[str] = []
        if section == "orders":
            ids = missing_order_numbers(data, _num(seal, "orders", "count") or 0)
        if section == "payments":
            ids = sorted(
                p.id for p in data.day_payments() if p.order_id not in data.known_order_ids
            )
        ids += sorted(data.parked_ids)
        changed = sorted(data.post_seal_ids)
        explained = bool(changed) and expected != actual and not data.parked_ids
        findings.append(
            Finding(
                kind="seal_mismatch",
                severity=WARNING if explained else CRITICAL,
                message=(
                    f"El sello del día declara {_show(name, expected)} en {label} y la central "
                    f"tiene {_show(name, actual)}"
                    + (" (hubo cambios después del sello)." if explained else ".")
                ),
                record_ids=tuple((ids + changed)[:MAX_LISTED]),
                amount=actual - expected if money else None,
                expected=expected if money else None,
                actual=actual if money else None,
                key=f"seal_mismatch:{section}.{name}",
                details={"section": section, "field": name, "expected": expected,
                         "actual": actual, "missing": ids[:MAX_LISTED],
                         "changed_after_seal": changed[:MAX_LISTED]},
            )
        )  # fmt: skip
    sealed_methods = (seal.get("payments") or {}).get("by_method") or {}
    hub_methods = hub["payments"]["by_method"]
    for method in sorted(set(sealed_methods) | set(hub_methods)):
        exp = int((sealed_methods.get(method) or {}).get("total_cents", 0))
        act = int((hub_methods.get(method) or {}).get("total_cents", 0))
        if exp != act:
            findings.append(
                Finding(
                    kind="seal_method_mismatch",
                    severity=CRITICAL,
                    message=f"Pagos con {method}: el sello declara {_show('_cents', exp)} y la "
                    f"central tiene {_show('_cents', act)}.",
                    amount=act - exp,
                    expected=exp,
                    actual=act,
                    key=f"seal_method_mismatch:{method}",
                    details={"method": method},
                )
            )
    return findings
