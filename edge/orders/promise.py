"""The promised results instant of a sale, with the chain's delivery hours replicated from the
hub (setting ``results_delivery_hours``; rule in ``domain.results_promise``).

One plain-SQL settings lookup per sale (``edge.config.replicated``); the catalog rows are the
ones the sale already loaded. A setting that never arrived or does not parse reads as the
default hours (Monday–Friday 07:00–19:00, Saturday 07:00–13:00)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from domain.results_promise import DEFAULT_HOURS, DeliveryHours, promised_at
from edge.catalog.models import CatalogService
from edge.config import replicated

DELIVERY_HOURS_SETTING = "results_delivery_hours"


def delivery_hours(session: Session) -> DeliveryHours:
    """The replicated ``results_delivery_hours``, or the default when missing or bad."""
    value = replicated.replicated_value(session.connection(), DELIVERY_HOURS_SETTING)
    return replicated.delivery_hours(value) or DEFAULT_HOURS


def promise_for(
    session: Session, *, sold_at: datetime, services: Iterable[CatalogService]
) -> datetime:
    """When the results of a sale of ``services`` (panels and their tests) are promised."""
    return promised_at(
        sold_at=sold_at,
        turnaround_hours=[s.turnaround_hours for s in services],
        hours=delivery_hours(session),
    )
