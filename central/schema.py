"""Every hub table, for Alembic and the tests: importing this registers all models."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

import sync.changefeed
from central.base import HubModel

MODEL_MODULES: tuple[str, ...] = (
    "central.system.models",
    "central.auth.models",
    "central.audit.models",
    "central.config.models",
    "central.catalog.models",
    "central.convenios.models",
    "central.convenios.payment_models",
    "central.lab.models",
    "central.sync.models",
    "central.patients.indexes",
    "central.backup.models",
    "central.reconciliation.models",
    "central.reports.models",
    "central.notifications.models",
)


def _load() -> list[MetaData]:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return [HubModel.metadata, sync.changefeed.metadata]


target_metadata = _load()
