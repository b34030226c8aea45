"""Every edge table, for Alembic and the tests: importing this registers all models."""

from __future__ import annotations

from sqlalchemy import MetaData

import edge.refcache
import sync.outbox
from edge.base import EdgeModel

# Business models register themselves on import; list their modules here.
MODEL_MODULES: tuple[str, ...] = (
    "edge.config.models",
    "edge.auth.models",
    "edge.audit.models",
    "edge.patients.models",
    "edge.catalog.models",
    "edge.orders.models",
    "edge.cash.models",
    "edge.samples.models",
    "edge.labsync.models",
    "edge.billing.models",
    "edge.billing.convenio_models",
    "edge.sync.models",
    "edge.closures.models",
)


def _load() -> list[MetaData]:
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)
    return [EdgeModel.metadata, sync.outbox.metadata, edge.refcache.metadata]


target_metadata = _load()
