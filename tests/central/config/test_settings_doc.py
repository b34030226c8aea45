"""Every chain setting is documented (docs/settings.md), editable on the hub's Parámetros page and
read by the code that applies it; a key added to ``SETTING_DEFAULTS`` without all three, or a
row in the doc for a setting that no longer exists, fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from central.config.schemas import SettingsRead, SettingsUpdate
from central.config.settings import SETTING_DEFAULTS, setting_key

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "settings.md"

# setting -> the module that applies it (it names the replicated ``setting.key``)
READERS: dict[str, str] = {
    "discount_approval_threshold_pct": "edge/orders/discounts.py",
    "sunat_factura_deadline_days": "edge/billing/documents.py",
    "sunat_boleta_deadline_days": "edge/billing/documents.py",
    "reconciliation_hour": "central/worker.py",
    "retention_audit_days": "central/housekeeping.py",
    "retention_backup_days": "central/config/settings.py",  # backup_retention_days
    "sunat_factura_void": "edge/billing/voids.py",
    "sunat_baja_days": "edge/billing/voids.py",
    "price_override_max": "edge/orders/pricing.py",
    "results_delivery_hours": "edge/orders/promise.py",
}


def doc_rows() -> dict[str, list[str]]:
    """First-column key (backticks stripped, ``setting.key`` alias dropped) -> its cells."""
    rows: dict[str, list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        key = re.match(r"`([^`]+)`", cells[0])
        assert key is not None, line
        rows[key.group(1)] = cells
    return rows


def test_every_setting_is_in_the_table_with_its_default() -> None:
    rows = doc_rows()
    assert set(rows) == set(SETTING_DEFAULTS), "docs/settings.md and SETTING_DEFAULTS differ"
    for name, default in SETTING_DEFAULTS.items():
        cells = rows[name]
        assert len(cells) == 5, cells
        if setting_key(name) != name:
            assert f"`{setting_key(name)}`" in cells[0], f"{name}: its setting.key is not named"
        shown = json.dumps(default) if isinstance(default, dict) else str(default)
        assert cells[2] == shown, f"{name}: the doc says {cells[2]}, the code {shown}"
        assert cells[3] and cells[4], f"{name}: who applies it / when it takes effect missing"


@pytest.mark.parametrize("name", sorted(SETTING_DEFAULTS))
def test_every_setting_is_editable_and_read(name: str) -> None:
    assert name in SettingsRead.model_fields and name in SettingsUpdate.model_fields
    page = (ROOT / "central/web/templates/parametros.html").read_text(encoding="utf-8")
    script = (ROOT / "central/web/static/pages/parametros.js").read_text(encoding="utf-8")
    assert f'name="{name}"' in page, f"{name} has no field on the Parámetros page"
    assert re.search(rf"^\s*{name}:", script, re.M), f"{name} has no label in parametros.js"
    reader = (ROOT / READERS[name]).read_text(encoding="utf-8")
    key = re.escape(setting_key(name))
    assert re.search(rf"[\"']{key}[\"']", reader), f"{READERS[name]} does not read {name}"


def test_the_hidden_backup_keys_are_gone() -> None:
    """``backup_hour`` / ``backup_keep`` were read by the worker but settable nowhere: the
    hour is fixed (02:30, like the installer's cron) and retention is ``retention_backup_days``."""
    worker = (ROOT / "central/worker.py").read_text(encoding="utf-8")
    assert "backup_hour" not in worker and "backup_keep" not in worker
    assert set(READERS) == set(SETTING_DEFAULTS)
