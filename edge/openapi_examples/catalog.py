"""Examples of the catalog as the edge serves it (the demo catalog's rows and ids)."""

from __future__ import annotations

from domain.catalog_data import catalog_id_for
from edge.openapi_examples import common as c
from edge.openapi_examples.records import Example, page

CATEGORY: Example = {"id": c.HEM_CATEGORY_ID, "code": "HEM", "name": "Hematología", "active": True}

SERVICE: Example = {
    "id": c.HEM_ID,
    "code": "HEM-001",
    "name": "Hemograma completo automatizado",
    "category_id": c.HEM_CATEGORY_ID,
    "category_name": "Hematología",
    "sample_type": "Sangre total",
    "tube": "Lila (EDTA)",
    "price": "35.00",
    "catalog_version": 1,
    "is_panel": False,
    "panel_services": [],
    "turnaround_hours": 4,
    "loinc": "58410-2",
    "active": True,
}
GLUCOSE: Example = {
    **SERVICE,
    "id": c.GLU_ID,
    "code": "BIO-010",
    "name": "Glucosa basal",
    "category_id": c.BIO_CATEGORY_ID,
    "category_name": "Bioquímica",
    "sample_type": "Suero",
    "tube": "Rojo (sin aditivo)",
    "price": "12.50",
    "loinc": "1558-6",
}
SERVICE_LIST: Example = {**page([GLUCOSE, SERVICE], limit=2), "total": 81}

CONVENIO: Example = {
    "id": c.CONVENIO_ID,
    "ruc": c.CONVENIO_RUC,
    "name": c.CONVENIO_NAME,
    "coverage_pct": "80",
    "has_price_list": True,
    "prices": {
        c.HEM_ID: "30.00",
        c.GLU_ID: "10.00",
        catalog_id_for("service", "PAN-LIP"): "48.00",
    },
    "credit_days": 30,
    "active": True,
}
