"""The demo catalog both sides seed from: categories, tests, panels and convenios (pure data).

Prices are Decimal strings in soles (IGV included). Rows are keyed by ``code``; their ids come
from ``catalog_id_for(kind, code)`` (UUIDv5), so an edge that seeds the demo catalog before it
is enrolled and the hub that seeds the same catalog agree on every id.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

_CATALOG_NAMESPACE = uuid.UUID("3d0f6b1e-7c2a-5b4d-8e9f-0a1b2c3d4e5f")


def catalog_id_for(kind: str, code: str) -> str:
    """Deterministic id of a demo catalog row: ``kind`` is category, service or convenio."""
    return str(uuid.uuid5(_CATALOG_NAMESPACE, f"{kind}:{code.strip().upper()}"))


CATEGORIES: Final[list[dict[str, Any]]] = [
    {"code": "HEM", "name": "Hematología"},
    {"code": "BIO", "name": "Bioquímica"},
    {"code": "INM", "name": "Inmunología"},
    {"code": "HOR", "name": "Hormonas"},
    {"code": "URI", "name": "Uroanálisis"},
    {"code": "MIC", "name": "Microbiología"},
]

# category: a code of CATEGORIES; price: soles with IGV, as a Decimal string.
TESTS: Final[list[dict[str, Any]]] = [
    {
        "code": "HEM-001",
        "name": "Hemograma completo automatizado",
        "category": "HEM",
        "sample_type": "Sangre total",
        "tube": "Lila (EDTA)",
        "price": "35.00",
        "turnaround_hours": 4,
        "loinc": "58410-2",
    },
    {
        "code": "HEM-002",
        "name": "Velocidad de sedimentación globular",
        "category": "HEM",
        "sample_type": "Sangre total",
        "tube": "Lila (EDTA)",
        "price": "15.00",
        "turnaround_hours": 4,
        "loinc": "4537-7",
    },
    {
        "code": "HEM-003",
        "name": "Grupo sanguíneo y factor Rh",
        "category": "HEM",
        "sample_type": "Sangre total",
        "tube": "Lila (EDTA)",
        "price": "18.00",
        "turnaround_hours": 4,
        "loinc": "882-1",
    },
    {
        "code": "BIO-010",
        "name": "Glucosa basal",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "12.50",
        "turnaround_hours": 4,
        "loinc": "1558-6",
    },
    {
        "code": "BIO-011",
        "name": "Hemoglobina glicosilada (HbA1c)",
        "category": "BIO",
        "sample_type": "Sangre total",
        "tube": "Lila (EDTA)",
        "price": "45.00",
        "turnaround_hours": 24,
        "loinc": "4548-4",
    },
    {
        "code": "BIO-020",
        "name": "Colesterol total",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "15.00",
        "turnaround_hours": 4,
        "loinc": "2093-3",
    },
    {
        "code": "BIO-021",
        "name": "Colesterol HDL",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "18.00",
        "turnaround_hours": 4,
        "loinc": "2085-9",
    },
    {
        "code": "BIO-022",
        "name": "Colesterol LDL",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "18.00",
        "turnaround_hours": 4,
        "loinc": "2089-1",
    },
    {
        "code": "BIO-023",
        "name": "Triglicéridos",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "15.00",
        "turnaround_hours": 4,
        "loinc": "2571-8",
    },
    {
        "code": "BIO-030",
        "name": "Creatinina sérica",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "14.00",
        "turnaround_hours": 4,
        "loinc": "2160-0",
    },
    {
        "code": "BIO-031",
        "name": "Urea",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "14.00",
        "turnaround_hours": 4,
        "loinc": "3091-6",
    },
    {
        "code": "BIO-040",
        "name": "Transaminasa TGO (AST)",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "16.00",
        "turnaround_hours": 4,
        "loinc": "1920-8",
    },
    {
        "code": "BIO-041",
        "name": "Transaminasa TGP (ALT)",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "16.00",
        "turnaround_hours": 4,
        "loinc": "1742-6",
    },
    {
        "code": "INM-001",
        "name": "Proteína C reactiva cuantitativa",
        "category": "INM",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "30.00",
        "turnaround_hours": 6,
        "loinc": "1988-5",
    },
    {
        "code": "INM-010",
        "name": "Prueba de embarazo en sangre (β-hCG cualitativa)",
        "category": "INM",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "25.00",
        "turnaround_hours": 4,
        "loinc": "2106-3",
    },
    {
        "code": "HOR-001",
        "name": "Hormona estimulante de tiroides (TSH)",
        "category": "HOR",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "38.00",
        "turnaround_hours": 24,
        "loinc": "3016-3",
    },
    {
        "code": "HOR-002",
        "name": "Tiroxina libre (T4 libre)",
        "category": "HOR",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "38.00",
        "turnaround_hours": 24,
        "loinc": "3024-7",
    },
    {
        "code": "URI-001",
        "name": "Examen completo de orina",
        "category": "URI",
        "sample_type": "Orina",
        "tube": "Frasco estéril",
        "price": "15.00",
        "turnaround_hours": 4,
        "loinc": "24356-8",
    },
    {
        "code": "MIC-001",
        "name": "Urocultivo con antibiograma",
        "category": "MIC",
        "sample_type": "Orina",
        "tube": "Frasco estéril",
        "price": "55.00",
        "turnaround_hours": 72,
        "loinc": "630-4",
    },
    {
        "code": "MIC-002",
        "name": "Examen parasitológico seriado",
        "category": "MIC",
        "sample_type": "Heces",
        "tube": "Frasco colector",
        "price": "25.00",
        "turnaround_hours": 48,
        "loinc": "10704-5",
    },
]

# tests: codes of TESTS; the panel price is its own (usually below the sum of its tests).
PANELS: Final[list[dict[str, Any]]] = [
    {
        "code": "PAN-LIP",
        "name": "Perfil lipídico",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "55.00",
        "turnaround_hours": 6,
        "tests": ["BIO-020", "BIO-021", "BIO-022", "BIO-023"],
    },
    {
        "code": "PAN-REN",
        "name": "Perfil renal",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "25.00",
        "turnaround_hours": 6,
        "tests": ["BIO-030", "BIO-031"],
    },
    {
        "code": "PAN-HEP",
        "name": "Perfil hepático básico",
        "category": "BIO",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "28.00",
        "turnaround_hours": 6,
        "tests": ["BIO-040", "BIO-041"],
    },
    {
        "code": "PAN-TIR",
        "name": "Perfil tiroideo",
        "category": "HOR",
        "sample_type": "Suero",
        "tube": "Rojo (sin aditivo)",
        "price": "65.00",
        "turnaround_hours": 24,
        "tests": ["HOR-001", "HOR-002"],
    },
]

# prices: service code -> agreed price (soles with IGV); coverage_pct: Decimal string 0-100.
CONVENIOS: Final[list[dict[str, Any]]] = [
    {
        "code": "CONV-SALUDPLUS",
        "ruc": "20503123453",
        "name": "SALUD PLUS EPS S.A.",
        "coverage_pct": "80",
        "credit_days": 30,
        "contact": "convenios@saludplus.example.pe · 01 611-2000",
        "prices": {"HEM-001": "30.00", "BIO-010": "10.00", "PAN-LIP": "48.00"},
    },
    {
        "code": "CONV-MINERA",
        "ruc": "20601987652",
        "name": "MINERA ANDINA DEL SUR S.A.A.",
        "coverage_pct": "100",
        "credit_days": 45,
        "contact": "salud.ocupacional@mineraandina.example.pe",
        "prices": {"HEM-001": "28.00", "URI-001": "12.00", "HEM-003": "15.00"},
    },
]

__all__ = ["CATEGORIES", "CONVENIOS", "PANELS", "TESTS", "catalog_id_for"]
