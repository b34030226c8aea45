"""Examples of SUNAT documents: the sale's boleta B001-1234, its credit note, alarms."""

from __future__ import annotations

from edge.openapi_examples import common as c
from edge.openapi_examples.records import Example

_DOCS = f"documents/{c.BUSINESS_DATE}"

INVOICE: Example = {
    "id": c.INVOICE_ID,
    "doc_type": "03",
    "series": c.BOLETA_SERIES,
    "number": c.BOLETA_NUMBER,
    "full_number": c.BOLETA,
    "order_id": c.ORDER_ID,
    "customer_doc_type": "1",
    "customer_doc_number": c.PATIENT_DNI,
    "customer_name": f"{c.PATIENT_LAST_NAMES} {c.PATIENT_FIRST_NAMES}",
    "currency": "PEN",
    "gravado": "40.25",
    "exonerado": "0.00",
    "inafecto": "0.00",
    "igv": "7.25",
    "total": "47.50",
    "reference_invoice_id": None,
    "reference": None,
    "note_reason": None,
    "reason": "",
    "payment_method": None,
    "payment_due_date": None,
    "issued_at": c.PAID_AT,
    "business_date": c.BUSINESS_DATE,
    "digest_value": "HRhvQBb4VnAVRoOlc2Zw6Pr3pM5PKmgpotWD+btF1M8=",
    "state": "aceptado",
    "sunat_code": "0",
    "sunat_description": f"La Boleta numero {c.BOLETA}, ha sido aceptada",
    "sunat_notes": [],
    "deadline": "2026-11-30",
    "alarm": False,
    "attempts": 1,
    "next_attempt_at": None,
    "last_error": None,
    "void_requested": False,
    "xml_path": f"{_DOCS}/{c.COMPANY_RUC}-03-{c.BOLETA}.xml",
    "cdr_path": f"{_DOCS}/R-{c.COMPANY_RUC}-03-{c.BOLETA}.zip",
    "lines": [
        {
            "position": 1,
            "code": "HEM-001",
            "description": "Hemograma completo automatizado",
            "quantity": 1,
            "unit_price": "35.00",
            "discount": "0.00",
            "value": "29.66",
            "igv": "5.34",
            "total": "35.00",
        },
        {
            "position": 2,
            "code": "BIO-010",
            "description": "Glucosa basal",
            "quantity": 1,
            "unit_price": "12.50",
            "discount": "0.00",
            "value": "10.59",
            "igv": "1.91",
            "total": "12.50",
        },
    ],
}

CREDIT_NOTE: Example = {
    **INVOICE,
    "id": c.CREDIT_NOTE_ID,
    "doc_type": "07",
    "series": "BC01",
    "number": 15,
    "full_number": "BC01-15",
    "reference_invoice_id": c.INVOICE_ID,
    "reference": c.BOLETA,
    "note_reason": "01",
    "reason": "Anulación de la operación",
    "issued_at": c.CLOSED_AT,
    "digest_value": "q0Zt1mYp7kUu9hVw3rXcB2nJ8sLdA4eF6gHiKoPqRsT=",
    "state": "pendiente",
    "sunat_code": None,
    "sunat_description": None,
    "attempts": 0,
    "next_attempt_at": c.CLOSED_AT,
    "xml_path": f"{_DOCS}/{c.COMPANY_RUC}-07-BC01-15.xml",
    "cdr_path": None,
}
INVOICE_LIST: Example = {"items": [INVOICE], "count": 1}

ALARM: Example = {
    "id": "01a2238a-5c10-7d2e-8f3a-4b5c6d7e8f90",
    "full_number": "B001-1230",
    "doc_type": "03",
    "state": "error_red",
    "business_date": "2026-11-28",
    "deadline": c.BUSINESS_DATE,
    "days_left": 0,
    "message": "B001-1230 (error_red) sin respuesta de SUNAT: el plazo de envío vence hoy "
    "(29/11/2026).",
}
ALARM_LIST: Example = {"items": [ALARM], "count": 1}

# ------------------------------------------------------------------------------ convenios
# SALUD PLUS EPS covers 80 % at its own prices: a hemograma at S/ 30.00 and a perfil lipídico
# at S/ 48.00; the patient paid the other 20 % at the counter.
_CONVENIO_ORDERS = [
    # order id, number, business date, total, covered (its factura line: value + igv), patient
    ("01a1ab12-3c4d-7e5f-8a6b-7c8d9e0f1a2b", "S01-20261112-0007", "2026-11-12", "30.00",
     "24.00", "20.34", "3.66", "6.00"),
    ("01a2276b-9f3e-7a1b-8c2d-3e4f5a6b7c8e", "S01-20261129-0003", c.BUSINESS_DATE, "48.00",
     "38.40", "32.54", "5.86", "9.60"),
]  # fmt: skip
CONVENIO_PENDING: Example = {
    "convenio_id": c.CONVENIO_ID,
    "convenio_name": c.CONVENIO_NAME,
    "ruc": c.CONVENIO_RUC,
    "ruc_valid": True,
    "credit_days": 30,
    "sede_id": c.SEDE_ID,
    "month": "2026-11",
    "items": [
        {
            "order_id": order_id,
            "number": number,
            "business_date": day,
            "status": "entregada",
            "total": total,
            "covered_total": covered,
            "patient_part": patient,
        }
        for order_id, number, day, total, covered, _, _, patient in _CONVENIO_ORDERS
    ],
    "count": 2,
    "covered_total": "62.40",
    "orders_total": "78.00",
}

CONVENIO_FACTURA: Example = {
    **INVOICE,
    "id": "01a22b91-0a1b-7c2d-8e3f-4a5b6c7d8e9f",
    "doc_type": "01",
    "series": "F001",
    "number": 27,
    "full_number": "F001-27",
    "order_id": None,
    "customer_doc_type": "6",
    "customer_doc_number": c.CONVENIO_RUC,
    "customer_name": c.CONVENIO_NAME,
    "gravado": "52.88",
    "igv": "9.52",
    "total": "62.40",
    "payment_method": "Credito",
    "payment_due_date": "2026-12-30",
    "issued_at": "2026-11-30T22:15:00Z",
    "business_date": "2026-11-30",
    "digest_value": "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo=",
    "state": "pendiente",
    "sunat_code": None,
    "sunat_description": None,
    "deadline": "2026-12-03",
    "attempts": 0,
    "next_attempt_at": "2026-11-30T22:15:00Z",
    "xml_path": f"documents/2026-11-30/{c.COMPANY_RUC}-01-F001-27.xml",
    "cdr_path": None,
    "lines": [
        {
            "position": position,
            "code": number,
            "description": f"Orden {number} ({day[8:10]}/{day[5:7]}/{day[:4]}) – servicios de "
            "laboratorio",
            "quantity": 1,
            "unit_price": covered,
            "discount": "0.00",
            "value": value,
            "igv": igv,
            "total": covered,
        }
        for position, (_, number, day, _, covered, value, igv, _) in enumerate(
            _CONVENIO_ORDERS, start=1
        )
    ],
}
CONVENIO_INVOICE: Example = {
    "convenio_id": c.CONVENIO_ID,
    "month": "2026-11",
    "invoice": CONVENIO_FACTURA,
    "orders": [
        {"order_id": order_id, "number": number, "amount": covered}
        for order_id, number, _, _, covered, _, _, _ in _CONVENIO_ORDERS
    ],
    "count": 2,
}

# A convenio's nota de crédito 07 issued again after SUNAT rejected the first, and its NC 13.
CONVENIO_NC07: Example = {
    "id": "01934f2a-7c41-7d2e-9b10-5f3e2a1c0b07",
    "doc_type": "07",
    "series": "FC01",
    "number": 4,
    "full_number": "FC01-4",
    "order_id": "01934f1e-2b6a-7c11-8a3d-0c9e4f5a6b70",
    "customer_doc_type": "6",
    "customer_doc_number": "20503123453",
    "customer_name": "SALUD PLUS EPS S.A.",
    "currency": "PEN",
    "gravado": "27.12",
    "exonerado": "0.00",
    "inafecto": "0.00",
    "igv": "4.88",
    "total": "32.00",
    "reference_invoice_id": "01934f20-11aa-7b3c-9d4e-2f6a7b8c9d01",
    "reference": "F001-1",
    "note_reason": "07",
    "reason": "Orden S01-20261129-0001 anulada: Muestra no tomada",
    "payment_method": None,
    "payment_due_date": None,
    "issued_at": "2026-11-29T15:04:05Z",
    "business_date": "2026-11-29",
    "digest_value": "q5yT3m0bF9k2c8Jx1n4Vw7Lr6Hs=",
    "state": "pendiente",
    "sunat_code": None,
    "sunat_description": None,
    "sunat_notes": [],
    "deadline": "2026-12-02",
    "alarm": False,
    "attempts": 0,
    "next_attempt_at": "2026-11-29T15:04:05Z",
    "last_error": None,
    "void_requested": False,
    "xml_path": "sunat/2026/11/29/20100070970-07-FC01-4.xml",
    "cdr_path": None,
    "lines": [
        {"position": 1, "code": "S01-20261129-0001",
         "description": "Orden S01-20261129-0001 (29/11/2026) – servicios de laboratorio",
         "quantity": 1, "unit_price": "32.00", "discount": "0.00", "value": "27.12",
         "igv": "4.88", "total": "32.00"},
    ],
}  # fmt: skip
CONVENIO_NC13: Example = {
    **CONVENIO_NC07,
    "id": "01934f2a-7c41-7d2e-9b10-5f3e2a1c0b13",
    "number": 5,
    "full_number": "FC01-5",
    "gravado": "0.00",
    "igv": "0.00",
    "total": "0.00",
    "note_reason": "13",
    "reason": "Monto neto pendiente de pago S/ 38.40 en 1 cuota(s), tras la nota de crédito "
    "FC01-4 (orden S01-20261129-0001 anulada)",
    "payment_method": "Credito",
    "payment_due_date": "2026-12-29",
    "digest_value": "Zk3v8P1q0Rt7Yw2m5Xa9Cb4Nd6E=",
    "xml_path": "sunat/2026/11/29/20100070970-07-FC01-5.xml",
    "lines": [
        {"position": 1, "code": "AJUSTE13",
         "description": "Ajuste del monto neto pendiente de pago y cuotas de la factura F001-1",
         "quantity": 1, "unit_price": "0.00", "discount": "0.00", "value": "0.00",
         "igv": "0.00", "total": "0.00"},
    ],
}  # fmt: skip
CONVENIO_CREDIT: Example = {
    "order_id": CONVENIO_NC07["order_id"],
    "order_number": "S01-20261129-0001",
    "notes": [CONVENIO_NC07, CONVENIO_NC13],
    "count": 2,
}
