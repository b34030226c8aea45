"""Spanish names of request fields, for validation messages that say which field is wrong.

``field_label(["body", "payments", 0, "amount"])`` is ``"pago 1, monto"``: list elements are
counted from 1 the way the cashier sees them; unknown names (dict keys such as a service id in a
price list) are shown as they came. The ``loc`` itself is never changed: clients map errors by
it; the label is only for the person reading the message.
"""

from __future__ import annotations

from collections.abc import Sequence

_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})

# field name -> Spanish name
FIELD_NAMES: dict[str, str] = {
    "action": "acción",
    "active": "activo",
    "address": "dirección",
    "amount": "monto",
    "approver_password": "contraseña de quien aprueba",
    "approver_username": "usuario de quien aprueba",
    "body": "texto",
    "cash_difference_threshold": "diferencia de caja tolerada",
    "cash_threshold": "límite de efectivo",
    "cashier_id": "cajero",
    "category_id": "categoría",
    "code": "código",
    "content_base64": "archivo",
    "convenio_id": "convenio",
    "counted": "contado",
    "coverage_pct": "cobertura",
    "credit_days": "días de crédito",
    "customer": "cliente",
    "date": "fecha",
    "declared": "declarado",
    "description": "descripción",
    "discount": "descuento",
    "discount_approval_threshold_pct": "porcentaje de aprobación de descuentos",
    "doc_number": "número de documento",
    "doc_type": "tipo de documento",
    "document_type": "comprobante",
    "effective_from": "vigente desde",
    "email": "correo",
    "establishment_code": "código de establecimiento",
    "file_format": "formato de archivo",
    "first_names": "nombres",
    "folder": "carpeta",
    "from": "desde",
    "full_name": "nombre completo",
    "host": "servidor",
    "igv_affectation": "afectación IGV",
    "invoice": "factura",
    "is_panel": "perfil",
    "items": "ítems",
    "kind": "tipo",
    "last_names": "apellidos",
    "loinc": "código LOINC",
    "message_type": "tipo de mensaje",
    "method": "medio de pago",
    "month": "mes",
    "name": "nombre",
    "new_password": "nueva contraseña",
    "note": "nota",
    "opening_float": "fondo inicial",
    "override_reason": "motivo del cambio de precio",
    "page": "página",
    "page_size": "tamaño de página",
    "panel_service_ids": "exámenes del perfil",
    "password": "contraseña",
    "patient_id": "paciente",
    "payments": "pagos",
    "phone": "teléfono",
    "port": "puerto",
    "price": "precio",
    "price_effective_from": "precio vigente desde",
    "price_override_max": "precio modificado máximo",
    "price_reason": "motivo del cambio de precio",
    "prices": "precios",
    "protocol": "protocolo",
    "q": "búsqueda",
    "reason": "motivo",
    "reconciliation_hour": "hora de la conciliación",
    "record_id": "id del registro",
    "record_type": "tipo de registro",
    "reference": "referencia",
    "results_delivery_hours": "horario de entrega de resultados",
    "results_token": "token de resultados",
    "retention_audit_days": "días de conservación de la auditoría",
    "retention_backup_days": "días de conservación de las copias",
    "role": "rol",
    "ruc": "RUC",
    "sample_type": "tipo de muestra",
    "sede_id": "sede",
    "sede_ids": "sedes",
    "series": "series",
    "service_id": "examen",
    "status": "estado",
    "subject": "asunto",
    "sunat_baja_days": "plazo de la comunicación de baja",
    "sunat_boleta_deadline_days": "plazo para informar boletas",
    "sunat_factura_deadline_days": "plazo para enviar facturas",
    "sunat_factura_void": "anulación de facturas",
    "tendered": "monto entregado",
    "timeout_seconds": "tiempo de espera",
    "to": "hasta",
    "token": "código",
    "tube": "tubo",
    "turnaround_hours": "tiempo de entrega",
    "ubigeo": "ubigeo",
    "unit_price": "precio",
    "url": "URL",
    "username": "usuario",
    "value": "valor",
}
# list field -> Spanish name of one element (followed by its number from 1)
ELEMENT_NAMES: dict[str, str] = {
    "items": "ítem",
    "payments": "pago",
    "prices": "precio",
    "sede_ids": "sede",
    "lines": "línea",
}


def field_label(loc: Sequence[str | int]) -> str | None:
    """The field of ``loc`` in Spanish, or None when it names no field (the body itself, or a
    position in malformed JSON)."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if not parts or not isinstance(parts[0], str):
        return None
    names: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        following = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(part, str) and isinstance(following, int) and not isinstance(following, bool):
            names.append(f"{ELEMENT_NAMES.get(part, FIELD_NAMES.get(part, part))} {following + 1}")
            i += 2
            continue
        if isinstance(part, int):
            names.append(f"elemento {part + 1}")
        else:
            names.append(FIELD_NAMES.get(part, part))
        i += 1
    return ", ".join(names)


def with_field(msg: str, loc: Sequence[str | int], *, generic: bool) -> str:
    """``msg`` prefixed with its field ("Pago 1, monto: debe ser un texto.").

    Generic messages (pydantic's, translated) always get the field; hand-written messages
    (a ``LabError`` raised inside a validator already names what it checks) get it only when
    the loc points inside a list, the part they cannot know ("Pago 2, referencia: ...")."""
    label = field_label(loc)
    if label is None or (not generic and not any(isinstance(p, int) for p in loc)):
        return msg
    body = msg[:1].lower() + msg[1:] if generic and msg[1:2].islower() else msg
    return f"{label[:1].upper()}{label[1:]}: {body}"


__all__ = ["ELEMENT_NAMES", "FIELD_NAMES", "field_label", "with_field"]
