"""Roles and the permission matrix, shared by the edge and the hub (DESIGN.md section 6).

Every endpoint names one permission; a role either has it or not. A user also acts only in the
sedes assigned to them (admins in all).
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"  # administrador general
    SUPERVISOR = "supervisor"  # supervisor de sede
    RECEPCIONISTA = "recepcionista"
    LABORATORISTA = "laboratorista"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrador general",
    Role.SUPERVISOR: "Supervisor de sede",
    Role.RECEPCIONISTA: "Recepcionista",
    Role.LABORATORISTA: "Laboratorista",
}

# permission -> Spanish description
PERMISSIONS: dict[str, str] = {
    "patient.read": "Ver y buscar pacientes",
    "patient.create": "Registrar pacientes",
    "patient.update": "Modificar datos de pacientes",
    "patient.export": "Exportar datos de pacientes",
    "consent.manage": "Registrar consentimientos",
    "catalog.read": "Ver el catálogo y precios",
    "catalog.manage": "Administrar catálogo y precios",
    "order.read": "Ver órdenes",
    "order.create": "Registrar órdenes",
    "order.cancel": "Anular órdenes",
    "order.status": "Cambiar el estado de órdenes",
    "discount.apply": "Aplicar descuentos dentro del límite",
    "discount.approve": "Aprobar descuentos sobre el límite",
    "price.override": "Cambiar el precio de un ítem",
    "payment.create": "Registrar pagos",
    "sample.manage": "Tomar muestras e imprimir etiquetas",
    "label.reprint": "Reimprimir etiquetas",
    "invoice.read": "Ver comprobantes",
    "invoice.create": "Emitir comprobantes",
    "invoice.credit_note": "Emitir notas de crédito",
    "invoice.debit_note": "Emitir notas de débito",
    "invoice.resend": "Reenviar comprobantes a SUNAT",
    "convenio.invoice": "Facturar convenios",
    "cash.operate": "Abrir caja y registrar movimientos",
    "cash.close": "Cerrar caja",
    "cash.reopen": "Reabrir una caja cerrada",
    "cash.approve_difference": "Aprobar diferencias de caja",
    "day.close": "Cerrar el día de la sede",
    "day.reopen": "Reabrir el día de la sede",
    "audit.read": "Ver la auditoría",
    "lab.sync": "Enviar órdenes al laboratorio",
    "lab.results": "Ver y registrar resultados",
    "lab.manage": "Administrar sistemas de laboratorio y sus códigos",
    "sync.status": "Ver el estado de sincronización",
    "user.manage": "Administrar usuarios",
    "config.manage": "Administrar sedes y configuración",
    "sync.manage": "Administrar nodos y conflictos",
    "reconciliation.run": "Ejecutar la conciliación",
    "reconciliation.reopen": "Reabrir un cierre conciliado",
    "report.read": "Ver reportes",
    "notification.manage": "Administrar notificaciones",
}

_RECEPTION = {
    "patient.read",
    "patient.create",
    "patient.update",
    "consent.manage",
    "catalog.read",
    "order.read",
    "order.create",
    "order.status",
    "discount.apply",
    "payment.create",
    "sample.manage",
    "invoice.read",
    "invoice.create",
    "cash.operate",
    "cash.close",
    "lab.sync",
    "sync.status",
}
_LAB = {
    "patient.read",
    "catalog.read",
    "order.read",
    "order.status",
    "sample.manage",
    "lab.sync",
    "lab.results",
    "sync.status",
}
_SUPERVISOR = (
    _RECEPTION
    | _LAB
    | {
        "patient.export",
        "order.cancel",
        "discount.approve",
        "price.override",
        "label.reprint",
        "invoice.credit_note",
        "invoice.debit_note",
        "invoice.resend",
        "convenio.invoice",
        "cash.reopen",
        "cash.approve_difference",
        "day.close",
        "day.reopen",
        "audit.read",
        "reconciliation.reopen",
        "report.read",
    }
)

MATRIX: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(PERMISSIONS),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.RECEPCIONISTA: frozenset(_RECEPTION),
    Role.LABORATORISTA: frozenset(_LAB),
}


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Forbidden(f"Rol desconocido: «{value}».", code="role_unknown") from None


def has_permission(role: Role | str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in MATRIX[Role(role)]


def check_permission(role: Role | str, permission: str) -> None:
    """Raise ``Forbidden`` (``permission_denied``) unless ``role`` has ``permission``."""
    if not has_permission(role, permission):
        raise Forbidden(
            f"Su rol no permite: {PERMISSIONS[permission].lower()}.",
            code="permission_denied",
            extra={"permission": permission},
        )


def check_sede(role: Role | str, user_sede_ids: list[str], sede_id: str) -> None:
    """Raise ``Forbidden`` (``sede_not_assigned``) unless the user may act in ``sede_id``."""
    if Role(role) is Role.ADMIN or sede_id in user_sede_ids:
        return
    raise Forbidden("No está asignado a esta sede.", code="sede_not_assigned")


def matrix_markdown() -> str:
    """The matrix as a Markdown table (the docs embed it; a test keeps them in step)."""
    roles = list(Role)
    head = "| permiso | descripción | " + " | ".join(ROLE_LABELS[r] for r in roles) + " |"
    sep = "|---|---|" + "---|" * len(roles)
    rows = [
        f"| `{p}` | {d} | " + " | ".join("✔" if p in MATRIX[r] else "" for r in roles) + " |"
        for p, d in PERMISSIONS.items()
    ]
    return "\n".join([head, sep, *rows])
