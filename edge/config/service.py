"""Node initialisation before a hub is enrolled: company, this sede and a bootstrap admin."""

from __future__ import annotations

from sqlmodel import Session, select

from domain.clock import Clock
from domain.errors import Conflict
from domain.ids import company_id_for, default_series, sede_id_for, sede_number
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
    state = session.connection().execute(select(outbox.sync_state.c.sede_id)).first()
    if state is not None and state[0] is not None and state[0] != sede_id_for(code):
        current = session.get(Sede, state[0])
        raise Conflict(
            f"Este nodo ya es la sede {current.code if current else state[0]}; no se cambia "
            f"a {code} (para otra sede, use otro directorio de datos).",
            code="node_sede_taken",
            loc=["sede_code"],
        )
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
