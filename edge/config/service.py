"""Node initialisation before a hub is enrolled: company, this sede and a bootstrap admin."""

from __future__ import annotations

from sqlmodel import Session, select

from domain.clock import Clock
from domain.ids import company_id_for, sede_id_for
from domain.permissions import Role
from edge.auth.models import User
from edge.auth.passwords import hash_password
from edge.config.models import Company, Sede
from sync import outbox

DEMO_COMPANY = {
    "ruc": "20100070970",
    "razon_social": "LABORATORIOS CLINICOS LABRED S.A.C.",
    "nombre_comercial": "LABRED",
    "address": "AV. AREQUIPA 1234, LIMA",
    "ubigeo": "150101",
}


def default_series(k: int) -> dict[str, str]:
    """Series a sede numbered ``k`` owns until the hub assigns its own (one writer per series)."""
    return {
        "01": f"F{k:03d}",
        "03": f"B{k:03d}",
        "07F": f"FC{k:02d}",
        "07B": f"BC{k:02d}",
        "08F": f"FD{k:02d}",
        "08B": f"BD{k:02d}",
        "contingency01": f"F{900 + k:03d}",
        "contingency03": f"B{900 + k:03d}",
    }


def sede_number(code: str) -> int:
    digits = "".join(ch for ch in code if ch.isdigit())
    return int(digits) if digits else 1


def initialize(
    session: Session,
    *,
    sede_code: str,
    sede_name: str | None,
    admin_username: str,
    admin_password: str,
    clock: Clock,
) -> Sede:
    """Idempotent: creates what is missing, never overwrites what the hub sent."""
    now = clock.now()
    code = sede_code.strip().upper()
    if session.exec(select(Company)).first() is None:
        session.add(Company(id=company_id_for(DEMO_COMPANY["ruc"]), updated_at=now, **DEMO_COMPANY))
    sede = session.exec(select(Sede).where(Sede.code == code)).first()
    if sede is None:
        sede = Sede(
            id=sede_id_for(code),
            code=code,
            name=sede_name or f"Sede {code}",
            address=f"Sede {code}, Lima",
            ubigeo="150101",
            series=default_series(sede_number(code)),
            updated_at=now,
        )
        session.add(sede)
    if session.exec(select(User).where(User.username == admin_username)).first() is None:
        session.add(
            User(
                username=admin_username,
                full_name="Administrador local",
                role=Role.ADMIN.value,
                password_hash=hash_password(admin_password),
                sede_ids=[sede.id],
                local_only=True,
                updated_at=now,
            )
        )
    session.flush()
    outbox.ensure_state(session.connection(), sede_id=sede.id)
    return sede
