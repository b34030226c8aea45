"""``seed_demo``: the demo chain on the hub — company, sedes S01..S0N with their series, one user
per role, settings, and the demo catalog and convenios of ``domain.catalog_data``; given
``lab_port_base``, also one laboratory system per sede pointing at the demo's laboratory
stand-in of that sede (``labred demo``'s topology), with every demo test mapped.

Idempotent: every row is looked up by its natural key (sede code, username, catalog code, RUC)
and only what is missing is created; ids of sedes and catalog rows are deterministic
(``sede_id_for``, ``catalog_id_for``), so edges seeded before enrolment agree with the hub.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from central.auth.models import HubUser
from central.auth.passwords import hash_password
from central.catalog.models import CatalogCategory, CatalogPrice, CatalogService
from central.config.models import Company, Sede
from central.config.settings import ensure_settings
from central.convenios.models import Convenio
from domain import catalog_data
from domain.clock import Clock, business_date
from domain.errors import InvalidInput
from domain.ids import company_id_for, default_series, sede_id_for
from domain.money import parse_amount, to_cents
from domain.permissions import Role

DEMO_COMPANY = {
    "ruc": "20100070970",
    "razon_social": "LABORATORIOS CLINICOS LABRED S.A.C.",
    "nombre_comercial": "LABRED",
    "address": "AV. AREQUIPA 1234, LIMA",
    "ubigeo": "150101",
}
DEMO_SEDE_NAMES = ["Miraflores", "San Isidro", "Surco", "Los Olivos", "San Miguel", "La Molina"]
MAX_SEDES = 99


@dataclass
class SeedSummary:
    company_id: str
    sede_codes: list[str]
    usernames: list[str]
    created: dict[str, int] = field(default_factory=dict)


def _count(summary: SeedSummary, kind: str) -> None:
    summary.created[kind] = summary.created.get(kind, 0) + 1


def seed_demo(
    session: Session,
    *,
    clock: Clock,
    sedes: int,
    admin_password: str,
    lab_port_base: int | None = None,
) -> SeedSummary:
    if not 1 <= sedes <= MAX_SEDES:
        raise InvalidInput(
            f"El número de sedes debe estar entre 1 y {MAX_SEDES}.", code="sedes_out_of_range"
        )
    now = clock.now()
    company = session.exec(select(Company).order_by(col(Company.id))).first()
    summary = SeedSummary(company_id="", sede_codes=[], usernames=[])
    if company is None:
        company = Company(id=company_id_for(DEMO_COMPANY["ruc"]), updated_at=now, **DEMO_COMPANY)
        session.add(company)
        _count(summary, "company")
    summary.company_id = company.id

    sede_ids: dict[str, str] = {}
    for k in range(1, sedes + 1):
        code = f"S{k:02d}"
        sede = session.get(Sede, sede_id_for(code))
        if sede is None:
            name = DEMO_SEDE_NAMES[k - 1] if k <= len(DEMO_SEDE_NAMES) else f"Sede {code}"
            sede = Sede(
                id=sede_id_for(code),
                code=code,
                name=f"Sede {name}" if k <= len(DEMO_SEDE_NAMES) else name,
                address=f"Sede {code}, Lima",
                ubigeo="150101",
                establishment_code=f"{k:04d}",
                series=default_series(k),
                updated_at=now,
            )
            session.add(sede)
            _count(summary, "sede")
        sede_ids[code] = sede.id
        summary.sede_codes.append(code)
    session.flush()

    every = list(sede_ids.values())
    users: list[tuple[str, str, Role, list[str]]] = [
        ("admin", "Administrador general", Role.ADMIN, every),
        ("laboratorio", "Laboratorista de la cadena", Role.LABORATORISTA, every),
    ]
    for code, sede_id in sede_ids.items():
        low = code.lower()
        users.append((f"supervisor.{low}", f"Supervisor {code}", Role.SUPERVISOR, [sede_id]))
        users.append((f"recepcion.{low}", f"Recepción {code}", Role.RECEPCIONISTA, [sede_id]))
    password_hash: str | None = None
    for username, full_name, role, user_sedes in users:
        summary.usernames.append(username)
        if session.exec(select(HubUser).where(HubUser.username == username)).first():
            continue
        password_hash = password_hash or hash_password(admin_password)
        session.add(
            HubUser(
                username=username,
                full_name=full_name,
                email=f"{username}@labred.example.pe",
                role=role.value,
                password_hash=password_hash,
                sede_ids=user_sedes,
                updated_at=now,
            )
        )
        _count(summary, "user")

    ensure_settings(session=session, clock=clock)
    _seed_catalog(session, clock=clock, summary=summary)
    session.flush()
    if lab_port_base is not None:
        if not 1 <= lab_port_base + 200 < lab_port_base + 400 + sedes <= 65535:
            raise InvalidInput(
                "La base de puertos del laboratorio deja puertos fuera de 1–65535.",
                code="lab_port_base_out_of_range",
            )
        for k in range(1, sedes + 1):
            sede_id = sede_ids[f"S{k:02d}"]
            if seed_lab_system(session, clock=clock, sede_id=sede_id, k=k, port_base=lab_port_base):
                _count(summary, "lab_system")
    return summary


# sample type of the demo catalog -> HL7 table 0487 specimen code the stand-in expects
SPECIMENS = {"Suero": "SER", "Sangre total": "WB", "Orina": "UR", "Heces": "STL"}


def demo_lab_ports(port_base: int, k: int) -> tuple[int, int, int]:
    """(REST, MLLP, results listener) ports of sede ``k``'s laboratory in ``labred demo``."""
    return port_base + 200 + k, port_base + 300 + k, port_base + 400 + k


def seed_lab_system(
    session: Session, *, clock: Clock, sede_id: str, k: int, port_base: int
) -> bool:
    """The laboratory stand-in of sede ``k`` as a lab system, its code map and the sede's
    assignment, through the lab service (so history and audit say "sistema"); True if new."""
    from central.config.changes import Actor
    from central.lab import sedes
    from central.lab import service as lab
    from central.lab.models import LabSystem
    from central.lab.schemas import (
        CodeMapItemIn,
        CodeMapPut,
        LabSystemCreate,
        LabSystemUpdate,
        SedeLabPut,
    )

    actor = Actor(None)
    rest, mllp, listener = demo_lab_ports(port_base, k)
    code = f"LAB{k:02d}"
    fields: dict[str, Any] = {
        "name": f"Laboratorio de procesamiento {k:02d} (simulado)",
        "protocol": "mllp",
        "message_type": "OML_O21",
        "host": "127.0.0.1",
        "port": mllp,
        "url": f"http://127.0.0.1:{rest}/api/orders",
        "token": f"demo-lab-token-{k:02d}",
        "timeout_seconds": 5.0,
    }
    row = session.exec(select(LabSystem).where(LabSystem.code == code)).first()
    created = row is None
    if row is None:
        row = lab.create_system(
            session=session, clock=clock, actor=actor, data=LabSystemCreate(code=code, **fields)
        )
    else:
        row = lab.update_system(
            session=session,
            clock=clock,
            actor=actor,
            lab_system_id=row.id,
            data=LabSystemUpdate(**fields, active=True),
        )
    items = [
        CodeMapItemIn(
            service_code=str(t["code"]),
            code=str(t["code"]).replace("-", ""),
            loinc=str(t.get("loinc") or ""),
            name=str(t["name"]),
            sample_type=SPECIMENS.get(str(t.get("sample_type", "")), ""),
        )
        for t in catalog_data.TESTS
    ]
    lab.put_code_map(
        session=session, clock=clock, actor=actor, lab_system_id=row.id,
        data=CodeMapPut(items=items),
    )  # fmt: skip
    sedes.assign_sede(
        session=session, clock=clock, actor=actor, sede_id=sede_id,
        data=SedeLabPut(lab_system_id=row.id, listener_host="127.0.0.1", listener_port=listener),
    )  # fmt: skip
    return created


def _seed_catalog(session: Session, *, clock: Clock, summary: SeedSummary) -> None:
    now = clock.now()
    today = business_date(now)
    for cat in catalog_data.CATEGORIES:
        cid = catalog_data.catalog_id_for("category", cat["code"])
        if session.get(CatalogCategory, cid) is None:
            session.add(CatalogCategory(id=cid, code=cat["code"], name=cat["name"], updated_at=now))
            _count(summary, "catalog_category")
    session.flush()
    rows = [(t, False) for t in catalog_data.TESTS] + [(p, True) for p in catalog_data.PANELS]
    for item, is_panel in rows:
        sid = catalog_data.catalog_id_for("service", item["code"])
        if session.get(CatalogService, sid) is not None:
            continue
        price = to_cents(parse_amount(item["price"], field="precio"))
        session.add(
            CatalogService(
                id=sid,
                code=item["code"],
                name=item["name"],
                category_id=catalog_data.catalog_id_for("category", item["category"]),
                sample_type=item.get("sample_type", ""),
                tube=item.get("tube", ""),
                price_cents=price,
                is_panel=is_panel,
                panel_service_ids=[
                    catalog_data.catalog_id_for("service", code) for code in item.get("tests", [])
                ],
                turnaround_hours=item.get("turnaround_hours", 24),
                loinc=item.get("loinc", ""),
                updated_at=now,
            )
        )
        session.add(
            CatalogPrice(
                service_id=sid,
                price_cents=price,
                effective_from=today,
                status="applied",
                catalog_version=1,
                reason="Precio inicial (demo)",
                created_at=now,
                applied_at=now,
            )
        )
        _count(summary, "catalog_service")
        session.flush()  # panels reference tests flushed before them
    for conv in catalog_data.CONVENIOS:
        cid = catalog_data.catalog_id_for("convenio", conv["code"])
        if session.get(Convenio, cid) is not None:
            continue
        if session.exec(select(Convenio).where(Convenio.ruc == conv["ruc"])).first():
            continue
        session.add(
            Convenio(
                id=cid,
                ruc=conv["ruc"],
                name=conv["name"],
                coverage_pct=conv["coverage_pct"],
                prices_cents={
                    catalog_data.catalog_id_for("service", code): to_cents(
                        parse_amount(price, field="precio")
                    )
                    for code, price in conv["prices"].items()
                },
                credit_days=conv["credit_days"],
                contact=conv["contact"],
                updated_at=now,
            )
        )
        _count(summary, "convenio")
