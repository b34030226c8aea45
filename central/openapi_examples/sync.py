"""Examples of replication (nodes, conflicts, parked rows, wire pages) and system probes."""

from __future__ import annotations

from pydantic.config import JsonDict

from central.openapi_examples.common import (
    AT,
    BUSINESS_DATE,
    CATEGORY_ID,
    CONFLICT_ID,
    EARLIER,
    LATER,
    NEXT_DAY,
    NODE_ID,
    ORDER_ID,
    ORDER_NUMBER,
    PARKED_ID,
    PATIENT_ID,
    SEDE_S01_ID,
    SERVICE_ID,
    TX_ID,
    USER_ID,
)

HUB_TIME = "2026-11-29T15:42:10.412000+00:00"
HLC = f"01a227f88c50-0000-{NODE_ID}"
OTHER_HLC = f"01a227f89420-0001-{NODE_ID}"

# ------------------------------------------------------------------------------- nodes
NODE_CREATED: JsonDict = {
    "node_id": NODE_ID,
    "sede_id": SEDE_S01_ID,
    "name": "Nodo Miraflores",
    "epoch": 1,
    "enrolment_code": "K7Q2-M9XD-4TPA",
    "expires_at": NEXT_DAY,
}

NODE_READ: JsonDict = {
    "id": NODE_ID,
    "sede_id": SEDE_S01_ID,
    "name": "Nodo Miraflores",
    "epoch": 1,
    "revoked": False,
    "enrolled_at": "2026-11-02T14:00:00Z",
    "last_seen_at": AT,
    "last_push_at": AT,
    "last_pull_at": EARLIER,
    "app_version": "0.1.0",
    "schema_version": 1,
    "reported_backlog": 0,
}

NODE_STATUS: JsonDict = {
    "node_id": NODE_ID,
    "sede_id": SEDE_S01_ID,
    "name": "Nodo Miraflores",
    "epoch": 1,
    "revoked": False,
    "last_seen_at": AT,
    "last_push_at": AT,
    "last_pull_at": EARLIER,
    "acked_seq": 18452,
    "backlog": 0,
    "push_lag_seconds": 1.8,
    "pull_cursor": 9321,
    "pull_lag_changes": 0,
    "parked_rows": 0,
    "app_version": "0.1.0",
    "schema_version": 1,
    "clock_offset_ms": -120,
    "disk_level": "bajo",
    "disk_free_mb": 150,
    "disk_reported_at": AT,
}

CONFLICT_READ: JsonDict = {
    "id": CONFLICT_ID,
    "kind": "concurrent_field_edit",
    "record_type": "patient",
    "record_id": PATIENT_ID,
    "field": "phone",
    "kept_value": "+51 987 654 321",
    "kept_hlc": OTHER_HLC,
    "kept_node": NODE_ID,
    "other_value": "+51 912 345 678",
    "other_hlc": HLC,
    "other_node": NODE_ID,
    "node_id": NODE_ID,
    "sede_id": SEDE_S01_ID,
    "details": {},
    "status": "resolved",
    "resolution": "kept",
    "resolved_by": USER_ID,
    "resolved_at": LATER,
    "created_at": AT,
}

PARKED_READ: JsonDict = {
    "id": PARKED_ID,
    "node_id": NODE_ID,
    "epoch": 1,
    "seq": 18453,
    "record_type": "order_item",
    "record_id": ORDER_ID,
    "reason": "missing_parent",
    "message": f"La orden {ORDER_NUMBER} aún no llegó a la central.",
    "parked_at": AT,
}

# ------------------------------------------------------------------------------- wire pages
ENROLL_RESPONSE: JsonDict = {
    "node_id": NODE_ID,
    "secret": "q5W0dXJhLXNlY3JldG8tZGVsLW5vZG8tUzAx",
    "sede_id": SEDE_S01_ID,
    "epoch": 1,
    "hub_time": HUB_TIME,
    "resume_seq": 0,
}

PUSH_ACK: JsonDict = {
    "acked_to": 18452,
    "hub_time": HUB_TIME,
    "hub_hlc": HLC,
    "parked": [],
    "conflicts_opened": 0,
    "gap": False,
    "min_pull_schema": 1,
}

FEED_CHANGE: JsonDict = {
    "cursor": 9321,
    "tx_id": TX_ID,
    "record_type": "catalog_service",
    "record_id": SERVICE_ID,
    "op": "upsert",
    "payload": {
        "id": SERVICE_ID,
        "code": "HEM001",
        "name": "Hemograma completo",
        "category_id": CATEGORY_ID,
        "price_cents": 4500,
    },
    "schema_version": 1,
}
PULL_PAGE: JsonDict = {
    "changes": [FEED_CHANGE],
    "next_cursor": 9321,
    "has_more": False,
    "reset": False,
    "hub_time": HUB_TIME,
}
SNAPSHOT_PAGE: JsonDict = {"record_type": "catalog_service", "rows": [FEED_CHANGE], "cursor": 9321}

REIMPORT_PAGE: JsonDict = {
    "rows": [
        {
            "record_type": "order",
            "record_id": ORDER_ID,
            "seq": 18450,
            "op": "upsert",
            "hlc": HLC,
            "payload": {
                "id": ORDER_ID,
                "number": ORDER_NUMBER,
                "sede_id": SEDE_S01_ID,
                "business_date": BUSINESS_DATE,
                "total_cents": 4500,
            },
        }
    ],
    "next_after": 18450,
    "has_more": False,
}

SERIES_STATE: JsonDict = {"sede_id": SEDE_S01_ID, "series": {"B001": 1234, "F001": 27}}

# ------------------------------------------------------------------------------- probes
HEALTH: JsonDict = {"status": "ok", "service": "hub", "version": "0.1.0"}
METRICS_TEXT = (
    "# HELP labred_sync_push_requests_total Push requests by result\n"
    "# TYPE labred_sync_push_requests_total counter\n"
    'labred_sync_push_requests_total{result="ok"} 1284.0\n'
    "# HELP labred_sync_node_backlog Rows the node reports waiting\n"
    "# TYPE labred_sync_node_backlog gauge\n"
    f'labred_sync_node_backlog{{node="{NODE_ID}",sede="{SEDE_S01_ID}"}} 0.0\n'
)
