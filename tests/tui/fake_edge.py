"""A canned edge for snapshot tests: fixed data over ``httpx.MockTransport`` (deterministic)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tui.api import EdgeApi

USER = {
    "id": "u1",
    "username": "mrojas",
    "full_name": "María Rojas",
    "email": "",
    "role": "recepcionista",
    "role_label": "Recepcionista",
    "sede_ids": ["s1"],
    "permissions": ["order.create", "patient.read"],
}
PATIENTS = [
    {
        "id": "p1",
        "doc_type": "1",
        "doc_type_label": "DNI",
        "doc_number": "45871236",
        "first_names": "MARÍA JOSÉ",
        "last_names": "NÚÑEZ QUISPE",
        "full_name": "NÚÑEZ QUISPE, MARÍA JOSÉ",
        "birth_date": "1987-03-14",
        "phone": "987654321",
        "match": "document_prefix",
    },
    {
        "id": "p2",
        "doc_type": "1",
        "doc_type_label": "DNI",
        "doc_number": "45871299",
        "first_names": "JUAN",
        "last_names": "NÚÑEZ PAREDES",
        "full_name": "NÚÑEZ PAREDES, JUAN",
        "birth_date": None,
        "phone": None,
        "match": "document_prefix",
    },
]
SERVICES = [
    {
        "id": "c1",
        "code": "PAN-LIP",
        "name": "Perfil lipídico",
        "price": "55.00",
        "is_panel": True,
        "panel_services": [{"id": "m1"}, {"id": "m2"}, {"id": "m3"}, {"id": "m4"}],
    },
    {"id": "c2", "code": "HEM-001", "name": "Hemograma completo automatizado", "price": "35.00"},
    {"id": "c3", "code": "BIO-001", "name": "Glucosa basal", "price": "10.00"},
]
ORDER = {
    "id": "o1",
    "number": "S01-20261129-0007",
    "patient_id": "p1",
    "status": "registrada",
    "document_type": "03",
    "subtotal": "90.00",
    "discount_total": "0.00",
    "total": "90.00",
    "paid_total": "90.00",
    "balance": "0.00",
    "change": "50.00",
    "business_date": "2026-11-29",
    "created_at": "2026-11-29T15:04:00Z",
    "items": [],
    "payments": [],
}
ORDERS = [
    {**ORDER, "id": f"o{i}", "number": f"S01-20261129-000{i}", "status": status,
     "created_at": f"2026-11-29T1{i}:0{i}:00Z", "total": total, "paid_total": paid,
     "balance": f"{float(total) - float(paid):.2f}"}
    for i, status, total, paid in (
        (1, "entregada", "35.00", "35.00"),
        (2, "muestra_tomada", "120.00", "120.00"),
        (3, "registrada", "90.00", "40.00"),
        (4, "anulada", "10.00", "0.00"),
    )
]  # fmt: skip
INVOICE = {"id": "i1", "doc_type": "03", "full_number": "B001-42", "total": "90.00"}
CASH = {
    "id": "cs1",
    "status": "abierta",
    "opening_float": "150.00",
    "opened_at": "2026-11-29T13:00:00Z",
    "business_date": "2026-11-29",
}
STATUS = {"sede_code": "S01", "sede_name": "Sede Miraflores", "hub": "en_linea",
          "sunat_pending": 2, "sunat_overdue": 0}  # fmt: skip


def _error(status: int, code: str, msg: str, loc: list[Any]) -> httpx.Response:
    return httpx.Response(status, json={"detail": [{"type": code, "msg": msg, "loc": loc}]})


def handler(request: httpx.Request) -> httpx.Response:
    path, method = request.url.path, request.method
    routes: dict[tuple[str, str], Any] = {
        ("GET", "/health"): {"status": "ok"},
        ("GET", "/openapi.json"): {"paths": {}},
        ("GET", "/api/web/status"): STATUS,
        ("GET", "/api/sync/status"): {"backlog": 3},
        ("GET", "/api/lab-sync/pending"): {"total": 1, "items": [], "alerts": []},
        ("GET", "/api/patients/search"): {"items": PATIENTS, "has_more": False},
        ("GET", "/api/catalog/services/search"): SERVICES,
        ("POST", "/api/orders"): ORDER,
        ("GET", "/api/orders"): {"items": ORDERS, "total": 4, "page": 1, "page_size": 200},
        ("GET", "/api/billing/by-order/o1"): {"items": [INVOICE], "count": 1},
        ("GET", "/api/cash/sessions/current"): CASH,
    }
    if (method, path) == ("POST", "/api/auth/login"):
        body = json.loads(request.content)
        if body["password"] != "clave":
            return _error(401, "invalid_credentials", "Usuario o contraseña incorrectos.",
                          ["body", "password"])  # fmt: skip
        return httpx.Response(200, json={"access_token": "a1", "refresh_token": "r1", "user": USER})
    if (method, path) == ("POST", "/api/patients"):
        return _error(422, "phone_invalid", "Teléfono inválido: use un celular de 9 dígitos "
                      "que empiece con 9.", ["body", "phone"])  # fmt: skip
    if (method, path) in routes:
        return httpx.Response(200, json=routes[(method, path)])
    return _error(404, "not_found", f"{method} {path} no existe en el nodo de prueba.", [])


def fake_api() -> EdgeApi:
    return EdgeApi(
        httpx.Client(base_url="http://s01.local:8101", transport=httpx.MockTransport(handler))
    )
