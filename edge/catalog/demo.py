"""A realistic demo catalog, loaded by ``labred edge init --demo-catalog`` until the hub sends
its own.

It is the shared demo catalog of ``domain.catalog_data`` (the one the hub seeds: same codes,
names, prices and ids, so an edge seeded before enrolment and the hub agree on every row) plus
the extra tests, categories and panels below, which round it out to about 75 tests in ten
categories and six panels. Extra ids come from the same ``catalog_id_for``.

Loading twice creates only what is missing and never overwrites a row (the hub's win).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from domain.catalog_data import CATEGORIES, CONVENIOS, PANELS, TESTS, catalog_id_for
from domain.clock import Clock
from domain.money import parse_amount, to_cents
from edge.catalog.models import CatalogCategory, CatalogService, Convenio

SUERO = ("Suero", "Rojo (sin aditivo)")
EDTA = ("Sangre total", "Lila (EDTA)")
CITRATO = ("Plasma citratado", "Celeste (citrato de sodio)")
ORINA = ("Orina", "Frasco estéril")
HECES = ("Heces", "Frasco colector")
ESPUTO = ("Esputo", "Frasco estéril")
HISOPO = ("Secreción faríngea", "Hisopo con medio de transporte")

EXTRA_CATEGORIES: list[dict[str, Any]] = [
    {"code": "COA", "name": "Coagulación"},
    {"code": "SER", "name": "Serología"},
    {"code": "HEC", "name": "Heces"},
    {"code": "PER", "name": "Perfiles y chequeos"},
]

# code, name, category, (sample type, tube), price in soles with IGV, turnaround hours, LOINC
_EXTRA: list[tuple[str, str, str, tuple[str, str], str, int, str]] = [
    ("HEM-004", "Hemoglobina", "HEM", EDTA, "12.00", 4, "718-7"),
    ("HEM-005", "Hematocrito", "HEM", EDTA, "12.00", 4, "4544-3"),
    ("HEM-006", "Recuento de plaquetas", "HEM", EDTA, "15.00", 4, "777-3"),
    ("HEM-007", "Recuento de reticulocitos", "HEM", EDTA, "25.00", 24, "4679-7"),
    ("COA-001", "Tiempo de protrombina (TP - INR)", "COA", CITRATO, "30.00", 24, "5902-2"),
    ("COA-002", "Tiempo de tromboplastina parcial activada", "COA", CITRATO, "30.00", 24, "3173-2"),
    ("COA-003", "Fibrinógeno", "COA", CITRATO, "40.00", 24, "3255-7"),
    ("BIO-012", "Tolerancia a la glucosa (curva de 2 horas)", "BIO", SUERO, "35.00", 24, "20436-2"),
    ("BIO-024", "Colesterol VLDL", "BIO", SUERO, "15.00", 6, "13458-5"),
    ("BIO-032", "Ácido úrico", "BIO", SUERO, "12.00", 6, "3084-1"),
    ("BIO-042", "Fosfatasa alcalina", "BIO", SUERO, "18.00", 6, "6768-6"),
    ("BIO-043", "Bilirrubina total y fraccionada", "BIO", SUERO, "20.00", 6, "1975-2"),
    ("BIO-044", "Proteínas totales y fraccionadas", "BIO", SUERO, "20.00", 6, "2885-2"),
    ("BIO-045", "Gamma glutamil transferasa (GGT)", "BIO", SUERO, "22.00", 6, "2324-2"),
    ("BIO-050", "Electrolitos séricos (Na, K, Cl)", "BIO", SUERO, "45.00", 6, "24326-1"),
    ("BIO-051", "Calcio sérico", "BIO", SUERO, "18.00", 24, "17861-6"),
    ("BIO-052", "Magnesio sérico", "BIO", SUERO, "25.00", 24, "19123-9"),
    ("BIO-060", "Hierro sérico", "BIO", SUERO, "30.00", 24, "2498-4"),
    ("BIO-061", "Ferritina", "BIO", SUERO, "55.00", 24, "2276-4"),
    ("BIO-070", "Amilasa", "BIO", SUERO, "30.00", 6, "1798-8"),
    ("BIO-071", "Lipasa", "BIO", SUERO, "35.00", 6, "3040-3"),
    ("BIO-072", "Deshidrogenasa láctica (DHL)", "BIO", SUERO, "25.00", 24, "2532-0"),
    ("HOR-003", "Triyodotironina total (T3)", "HOR", SUERO, "38.00", 24, "3053-6"),
    ("HOR-010", "Prolactina", "HOR", SUERO, "50.00", 24, "2842-3"),
    ("HOR-011", "Hormona folículo estimulante (FSH)", "HOR", SUERO, "50.00", 24, "15067-2"),
    ("HOR-012", "Hormona luteinizante (LH)", "HOR", SUERO, "50.00", 24, "10501-5"),
    ("HOR-013", "Estradiol", "HOR", SUERO, "55.00", 24, "2243-4"),
    ("HOR-014", "Progesterona", "HOR", SUERO, "55.00", 24, "2839-9"),
    ("HOR-015", "Testosterona total", "HOR", SUERO, "55.00", 24, "2986-8"),
    ("HOR-020", "Insulina basal", "HOR", SUERO, "55.00", 24, "20448-7"),
    ("HOR-030", "Gonadotropina coriónica β cuantitativa", "HOR", SUERO, "45.00", 6, "21198-7"),
    ("HOR-040", "Cortisol matutino", "HOR", SUERO, "60.00", 24, "2143-6"),
    ("INM-002", "Factor reumatoide", "INM", SUERO, "25.00", 24, "11572-5"),
    ("INM-003", "Antiestreptolisina O (ASO)", "INM", SUERO, "25.00", 24, "5370-2"),
    ("INM-020", "Antígeno prostático específico total (PSA)", "INM", SUERO, "50.00", 24, "2857-1"),
    ("INM-030", "Vitamina D 25-hidroxi", "INM", SUERO, "95.00", 48, "62292-8"),
    ("INM-031", "Vitamina B12", "INM", SUERO, "70.00", 48, "2132-9"),
    ("SER-001", "VIH 1 y 2 (antígeno y anticuerpos)", "SER", SUERO, "40.00", 24, "56888-1"),
    ("SER-002", "Sífilis RPR", "SER", SUERO, "15.00", 24, "20507-0"),
    ("SER-003", "Antígeno de superficie hepatitis B (HBsAg)", "SER", SUERO, "35.00", 24, "5196-1"),
    ("SER-004", "Anticuerpos contra hepatitis C", "SER", SUERO, "45.00", 24, "13955-0"),
    ("SER-005", "Toxoplasma IgG", "SER", SUERO, "40.00", 48, "8039-2"),
    ("SER-006", "Rubéola IgG", "SER", SUERO, "40.00", 48, "8014-5"),
    ("SER-007", "Reacción de Widal", "SER", SUERO, "20.00", 24, "5770-3"),
    ("URI-002", "Microalbuminuria", "URI", ORINA, "40.00", 24, "14957-5"),
    ("URI-003", "Proteínas en orina de 24 horas", "URI", ORINA, "30.00", 24, "2889-4"),
    ("URI-004", "Depuración de creatinina", "URI", ORINA, "40.00", 24, "2164-2"),
    (
        "URI-005",
        "Prueba de embarazo en orina (β-hCG cualitativa)",
        "URI",
        ORINA,
        "20.00",
        2,
        "2106-3",
    ),
    ("HEC-001", "Examen parasitológico simple", "HEC", HECES, "12.00", 24, "10704-5"),
    ("HEC-002", "Sangre oculta en heces (Thevenon)", "HEC", HECES, "20.00", 24, "2335-8"),
    ("HEC-003", "Reacción inflamatoria en heces", "HEC", HECES, "15.00", 24, "10331-7"),
    ("HEC-004", "Antígeno de Helicobacter pylori en heces", "HEC", HECES, "60.00", 24, "17780-8"),
    ("MIC-003", "Coprocultivo", "MIC", HECES, "50.00", 72, "625-4"),
    ("MIC-004", "Cultivo de secreción faríngea", "MIC", HISOPO, "50.00", 72, "626-2"),
    ("MIC-005", "Baciloscopía en esputo (BK)", "MIC", ESPUTO, "20.00", 24, "11545-1"),
]

EXTRA_TESTS: list[dict[str, Any]] = [
    {
        "code": code,
        "name": name,
        "category": category,
        "sample_type": sample[0],
        "tube": sample[1],
        "price": price,
        "turnaround_hours": hours,
        "loinc": loinc,
    }
    for code, name, category, sample, price, hours, loinc in _EXTRA
]

EXTRA_PANELS: list[dict[str, Any]] = [
    {
        "code": "PAN-CHK",
        "name": "Chequeo preventivo",
        "category": "PER",
        "sample_type": "Varias",
        "tube": "Según exámenes",
        "price": "89.00",
        "turnaround_hours": 24,
        "tests": ["HEM-001", "BIO-010", "BIO-020", "BIO-023", "BIO-031", "BIO-030", "URI-001"],
    },
    {
        "code": "PAN-PRN",
        "name": "Perfil prenatal",
        "category": "PER",
        "sample_type": "Varias",
        "tube": "Según exámenes",
        "price": "180.00",
        "turnaround_hours": 48,
        "tests": [
            "HEM-001",
            "HEM-003",
            "BIO-010",
            "SER-001",
            "SER-002",
            "SER-003",
            "SER-005",
            "SER-006",
            "URI-001",
        ],
    },
]

ALL_CATEGORIES = [*CATEGORIES, *EXTRA_CATEGORIES]
ALL_TESTS = [*TESTS, *EXTRA_TESTS]
ALL_PANELS = [*PANELS, *EXTRA_PANELS]


def _cents(soles: str) -> int:
    return to_cents(parse_amount(soles, field="precio"))


def _service(row: dict[str, Any], *, now: Any, panel: bool) -> CatalogService:
    return CatalogService(
        id=catalog_id_for("service", row["code"]),
        code=row["code"],
        name=row["name"],
        category_id=catalog_id_for("category", row["category"]),
        sample_type=row["sample_type"],
        tube=row["tube"],
        price_cents=_cents(row["price"]),
        is_panel=panel,
        panel_service_ids=[catalog_id_for("service", c) for c in row.get("tests", [])],
        turnaround_hours=row["turnaround_hours"],
        loinc=row.get("loinc", ""),
        updated_at=now,
    )


def load_demo_catalog(session: Session, *, clock: Clock) -> int:
    """Create the demo catalog rows that are missing; return how many were created."""
    now = clock.now()
    created = 0
    for row in ALL_CATEGORIES:
        cid = catalog_id_for("category", row["code"])
        if session.get(CatalogCategory, cid) is None:
            session.add(CatalogCategory(id=cid, code=row["code"], name=row["name"], updated_at=now))
            created += 1
    for rows, panel in ((ALL_TESTS, False), (ALL_PANELS, True)):
        for row in rows:
            if session.get(CatalogService, catalog_id_for("service", row["code"])) is None:
                session.add(_service(row, now=now, panel=panel))
                created += 1
    for row in CONVENIOS:
        cid = catalog_id_for("convenio", row["code"])
        if session.get(Convenio, cid) is None:
            session.add(
                Convenio(
                    id=cid,
                    ruc=row["ruc"],
                    name=row["name"],
                    coverage_pct=row["coverage_pct"],
                    prices_cents={
                        catalog_id_for("service", code): _cents(price)
                        for code, price in row["prices"].items()
                    },
                    credit_days=row["credit_days"],
                    contact=row["contact"],
                    updated_at=now,
                )
            )
            created += 1
    session.flush()
    return created
