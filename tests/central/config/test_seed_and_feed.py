"""seed_demo creates the demo chain idempotently; every hub-owned feed payload validates
against ``sync.records`` with exactly its field names; ``labred hub seed`` runs."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, func, select

from central.auth.models import HubUser
from central.catalog.models import CatalogCategory, CatalogService
from central.config.models import Company, Sede, Setting
from central.config.service import default_series
from central.config.settings import SETTING_DEFAULTS
from central.convenios.models import Convenio
from central.db import unit_of_work
from central.runtime import HubRuntime
from central.seed import seed_demo
from domain import catalog_data
from domain.ids import sede_id_for
from edge.config.service import default_series as edge_default_series
from sync.records import HUB_RECORD_MODELS
from tests.central.auth.factories import auth_headers

PASSWORD = "demo-clave-2026"


def _counts(rt: HubRuntime) -> dict[str, int]:
    with Session(rt.engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (
                Company,
                Sede,
                Setting,
                HubUser,
                CatalogCategory,
                CatalogService,
                Convenio,
            )
        }


def _seed(rt: HubRuntime, sedes: int) -> Any:
    with unit_of_work(rt.engine) as session:
        return seed_demo(session, clock=rt.clock, sedes=sedes, admin_password=PASSWORD)


def test_seed_creates_the_demo_chain_and_is_idempotent(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    summary = _seed(hub_runtime, 3)
    assert summary.sede_codes == ["S01", "S02", "S03"]
    n_services = len(catalog_data.TESTS) + len(catalog_data.PANELS)
    expected = {
        "Company": 1,
        "Sede": 3,
        "Setting": len(SETTING_DEFAULTS),
        "HubUser": 2 + 2 * 3,
        "CatalogCategory": len(catalog_data.CATEGORIES),
        "CatalogService": n_services,
        "Convenio": len(catalog_data.CONVENIOS),
    }
    assert _counts(hub_runtime) == expected
    with hub_runtime.engine.connect() as conn:
        feed_rows = conn.execute(text("SELECT count(*) FROM sync_change_feed")).scalar()
    again = _seed(hub_runtime, 3)
    assert again.created == {} and _counts(hub_runtime) == expected
    with hub_runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sync_change_feed")).scalar() == feed_rows
    with Session(hub_runtime.engine) as session:
        for k in (1, 2, 3):
            sede = session.get(Sede, sede_id_for(f"S0{k}"))
            assert sede is not None and sede.series == edge_default_series(k)
        users = {u.username: u for u in session.exec(select(HubUser)).all()}
        assert users["supervisor.s02"].role == "supervisor"
        assert users["supervisor.s02"].sede_ids == [sede_id_for("S02")]
        assert users["recepcion.s03"].role == "recepcionista"
        assert users["laboratorio"].role == "laboratorista" and len(users["admin"].sede_ids) == 3
        panel = session.get(CatalogService, catalog_data.catalog_id_for("service", "PAN-LIP"))
        assert panel is not None and panel.is_panel and len(panel.panel_service_ids) == 4
        assert panel.price_cents == 5500
    # every demo user signs in with the given password
    r = hub_client.post("/api/auth/login", json={"username": "recepcion.s01", "password": PASSWORD})
    assert r.status_code == 200
    # more sedes later: only the new ones (and their users) are added
    assert _seed(hub_runtime, 4).created == {"sede": 1, "user": 2}


def test_hub_series_scheme_matches_the_edge() -> None:
    for k in range(1, 12):
        assert default_series(k) == edge_default_series(k)


def test_every_feed_payload_validates_against_the_record_models(
    hub_client: TestClient, hub_runtime: HubRuntime
) -> None:
    _seed(hub_runtime, 2)
    headers = auth_headers(hub_runtime, "admin", sede_ids=[])
    calls = [
        ("put", "/api/config/company", {"nombre_comercial": "LABRED", "sol_password": "x-secret"}),
        ("put", f"/api/config/locations/{sede_id_for('S01')}", {"cash_threshold": "2500.00"}),
        ("post", "/api/config/locations", {"code": "S07", "name": "Sede Callao"}),
        ("put", "/api/config/settings", {"discount_approval_threshold_pct": "12.5"}),
        ("post", "/api/catalog/categories", {"code": "GEN", "name": "Genética"}),
        ("post", "/api/catalog/services", {"code": "GEN-1", "name": "Cariotipo", "price": "300"}),
        (
            "put",
            f"/api/catalog/services/{catalog_data.catalog_id_for('service', 'BIO-010')}",
            {"price": "13.00"},
        ),
        (
            "put",
            f"/api/convenios/{catalog_data.catalog_id_for('convenio', 'CONV-MINERA')}",
            {"coverage_pct": "95"},
        ),
        (
            "post",
            "/api/users",
            {
                "username": "nuevo",
                "full_name": "Nuevo",
                "role": "laboratorista",
                "sede_ids": [sede_id_for("S02")],
                "password": "clave-nueva-1",
            },
        ),
    ]
    for method, url, body in calls:
        r = getattr(hub_client, method)(url, json=body, headers=headers)
        assert r.status_code in (200, 201), (url, r.text)
    with hub_runtime.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT record_type, record_id, op, payload FROM sync_change_feed ORDER BY cursor")
        ).all()
    seen: set[str] = set()
    for record_type, record_id, op, payload in rows:
        model = HUB_RECORD_MODELS.get(record_type)
        if model is None:  # record types of other parts of the hub (sync, patients)
            continue
        seen.add(record_type)
        assert op == "upsert"
        record = model.model_validate(payload)
        assert record.id == record_id  # type: ignore[attr-defined]
        assert set(payload) == set(model.model_fields), record_type
        assert "x-secret" not in str(payload)
    assert seen == {
        "company",
        "sede",
        "setting",
        "user",
        "catalog_category",
        "catalog_service",
        "convenio",
    }


def test_cli_seed(hub_runtime: HubRuntime, capsys: Any) -> None:
    from labred.cli import main

    assert hub_runtime.settings.database_url
    import os

    env = {"DATABASE_URL": hub_runtime.settings.database_url}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        code = main(
            [
                "hub",
                "seed",
                "--data-dir",
                str(hub_runtime.settings.data_dir),
                "--sedes",
                "2",
                "--admin-password",
                PASSWORD,
            ]
        )
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert code == 0
    out = capsys.readouterr().out
    assert "sedes S01, S02" in out and "recepcion.s02" in out
    assert _counts(hub_runtime)["Sede"] == 2
