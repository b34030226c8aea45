"""The SQL that keeps the summary tables (and two small queues) in step with ``sync_record``.

Three statement-level triggers on ``sync_record`` (AFTER INSERT / UPDATE / DELETE, with
transition tables, so a batch of 500 pushed rows costs a few set-based statements, not 500
row triggers) apply, for every summary, ``+contribution(new image)`` and
``-contribution(old image)``, grouped by the summary's key, in key order (so concurrent batches
lock summary rows in the same order). The same definitions rebuild the tables from scratch
(:func:`rebuild_sql`), which is also what a test compares the dashboard against.

Sold lines (``rpt_service_day``, the "top services" report) are the exception: a line of an
``anulada`` order is not sold, which depends on another row (the order), so each trigger
recomputes the lines it touches against the ledger ``rpt_service_item`` (see the section
below); an order cancelled after its lines were counted is subtracted.

Patients per day (``rpt_patient_day``: valid orders per sede, or the whole chain, day and
patient) are an ordinary summary, plus two columns each trigger refreshes on the rows of the
patients it touched (SQL in :mod:`central.reports.patient_projections`): the patient's
chain-wide first order date (from ``rpt_patient_first``; an earlier order arriving late moves
it back) and their previous day with valid orders in the same scope, so a period's distinct
patients are counted without a DISTINCT over all of them.

Orders per physician (``rpt_physician_day``, the "médicos solicitantes" report) are an
ordinary summary of valid orders, added by migration 0007: a summary carries the revision that
created its table, and a migration builds the triggers and tables as of its own revision.

The triggers also:
- note rows that arrive flagged ``late`` for a reconciled day (``recon_late_mark``), and keep
  the image the closure counted of each business row that changes then
  (``recon_late_before``);
- queue notification events, once per event (``notification_event``, unique kind + ref):
  ``order_created`` (a new order), ``invoice_accepted`` (a document whose state becomes
  ``aceptado``) and ``results_ready`` (the edge's results-ready event record).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from central.reports.patient_projections import patient_day_sync_sql, patient_first_sql


@dataclass(frozen=True)
class Summary:
    table: str
    record_type: str
    keys: dict[str, str]  # column -> SQL over the row alias ``r``
    measures: dict[str, str]  # column -> bigint SQL over ``r``
    where: str = "TRUE"
    latest: dict[str, str] = field(default_factory=dict)  # descriptive columns: last value
    revision: str = "0002"  # the hub migration that created the table and its trigger part


def _c(name: str) -> str:
    return f"coalesce((r.payload->>'{name}')::bigint, 0)"


def _t(name: str) -> str:
    return f"coalesce(r.payload->>'{name}', '')"


_DATE = "r.business_date::date"
CANCELLED_STATUS = "anulada"

SUMMARIES: tuple[Summary, ...] = (
    Summary(
        "rpt_order_day",
        "order",
        {"sede_id": "r.sede_id", "business_date": _DATE, "status": _t("status"),
         "cashier_id": _t("cashier_id"), "convenio_id": _t("convenio_id")},
        {"orders": "1", "subtotal_cents": _c("subtotal"), "discount_cents": _c("discount_total"),
         "total_cents": _c("total"), "covered_cents": _c("covered_total"),
         "paid_cents": _c("paid_total"),
         "discounted_orders": f"CASE WHEN {_c('discount_total')} > 0 THEN 1 ELSE 0 END"},
    ),
    Summary(
        "rpt_payment_day",
        "payment",
        {"sede_id": "r.sede_id", "business_date": _DATE, "method": _t("method"),
         "cashier_id": _t("cashier_id")},
        {"payments": "1", "amount_cents": _c("amount"),
         "refunds": f"CASE WHEN {_c('amount')} < 0 THEN 1 ELSE 0 END",
         "refund_cents": f"LEAST({_c('amount')}, 0)"},
    ),
    Summary(
        "rpt_document_day",
        "invoice",
        {"sede_id": "r.sede_id", "business_date": _DATE, "doc_type": _t("doc_type"),
         "state": _t("state")},
        {"documents": "1", "total_cents": _c("total"), "igv_cents": _c("igv")},
    ),
    Summary(
        "rpt_cash_day",
        "cash_session",
        {"sede_id": "r.sede_id", "business_date": _DATE, "cashier_id": _t("cashier_id")},
        {"sessions": "1",
         "expected_cents": "(SELECT coalesce(sum(v::bigint), 0) FROM "
                           "jsonb_each_text(coalesce(r.payload->'expected', '{}')) AS e(k, v))",
         "declared_cents": "(SELECT coalesce(sum(v::bigint), 0) FROM "
                           "jsonb_each_text(coalesce(r.payload->'declared', '{}')) AS e(k, v))",
         "difference_cents": _c("difference_cents"),
         "over_sessions": f"CASE WHEN {_c('difference_cents')} > 0 THEN 1 ELSE 0 END",
         "short_sessions": f"CASE WHEN {_c('difference_cents')} < 0 THEN 1 ELSE 0 END"},
        where="r.payload->>'status' = 'cerrada'",
    ),
    Summary(
        "rpt_status_day",
        "order_status_event",
        {"sede_id": "r.sede_id", "business_date": _DATE, "to_status": _t("to_status"),
         "user_id": _t("user_id")},
        {"events": "1"},
    ),
    *(Summary(
        "rpt_patient_day",
        "order",
        {"sede_id": sede, "business_date": _DATE, "patient_id": _t("patient_id")},
        {"orders": "1"},
        where=f"r.payload->>'status' <> '{CANCELLED_STATUS}'",
    ) for sede in ("r.sede_id", "''")),  # each sede, and the whole chain
    Summary(
        "rpt_physician_day",
        "order",
        {"sede_id": "r.sede_id", "business_date": _DATE,
         "physician_cmp": _t("physician_cmp"), "physician_name": _t("physician_name")},
        {"orders": "1",
         "urgent_orders": "CASE WHEN r.payload->>'priority' = 'urgente' THEN 1 ELSE 0 END",
         "total_cents": _c("total")},
        where=f"r.payload->>'status' <> '{CANCELLED_STATUS}'",
        revision="0007",
    ),
)  # fmt: skip


def summaries(revision: str | None = None) -> tuple[Summary, ...]:
    """The summaries as of a hub migration (None: all). A migration runs this module's SQL as
    it is when it runs, so 0002 must not build a table that 0007 creates later."""
    return tuple(s for s in SUMMARIES if revision is None or s.revision <= revision)


def _filter(s: Summary) -> str:
    return (
        f"r.record_type = '{s.record_type}' AND r.op <> 'delete' AND r.sede_id IS NOT NULL "
        f"AND r.business_date IS NOT NULL AND ({s.where})"
    )


def _rows(s: Summary, sources: list[tuple[str, int]]) -> str:
    parts = [f"SELECT r.*, {sign} AS sgn FROM {src} r WHERE {_filter(s)}" for src, sign in sources]
    return " UNION ALL ".join(parts)


def delta_sql(s: Summary, sources: list[tuple[str, int]]) -> str:
    """Add the signed contributions of ``sources`` (relation, sign) to the summary ``s``."""
    keys = list(s.keys)
    cols = keys + list(s.measures) + list(s.latest)
    select = (
        [f"{expr} AS {k}" for k, expr in s.keys.items()]
        + [f"sum(r.sgn * ({expr}))::bigint AS {m}" for m, expr in s.measures.items()]
        + [f"max({expr}) AS {c}" for c, expr in s.latest.items()]
    )
    updates = [f"{m} = {s.table}.{m} + EXCLUDED.{m}" for m in s.measures] + [
        f"{c} = EXCLUDED.{c}" for c in s.latest
    ]
    positions = ", ".join(str(i + 1) for i in range(len(keys)))
    return (
        f"INSERT INTO {s.table} ({', '.join(cols)}) "
        f"SELECT {', '.join(select)} FROM ({_rows(s, sources)}) r "
        f"GROUP BY {positions} ORDER BY {positions} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
    )


# ------------------------------------------------------------------ sold lines (rpt_service_day)
# A line's contribution depends on another row (its order: lines of an ``anulada`` order are not
# sold), so it cannot be derived from the line's old and new images alone; and one upsert fires
# both the INSERT and the UPDATE statement triggers, each seeing only its own transition
# tables. So ``rpt_service_item`` keeps what each line contributes: every trigger takes the
# lines it touches (its own lines, and the ledger's lines of its orders that are or were
# cancelled), recomputes them from the final ``sync_record`` and applies the difference. Both
# triggers converge on the final table, whichever fires first.
CANCELLED = (CANCELLED_STATUS,)
_CANCELLED_SQL = "(" + ", ".join(f"'{s}'" for s in CANCELLED) + ")"
_ITEM_COLS = ("item_id", "order_id", "sede_id", "business_date", "service_id", "service_code",
              "service_name", "quantity", "amount_cents", "counted")  # fmt: skip
_ITEM_SELECT = (
    "r.id, coalesce(r.payload->>'order_id', ''), r.sede_id, r.business_date::date, "
    f"{_t('service_id')}, {_t('service_code')}, {_t('service_name')}, "
    f"coalesce((r.payload->>'quantity')::bigint, 1), {_c('line_total')}, "
    "NOT EXISTS (SELECT 1 FROM sync_record o WHERE o.record_type = 'order' "
    f"AND o.id = r.payload->>'order_id' AND o.op <> 'delete' "
    f"AND o.payload->>'status' IN {_CANCELLED_SQL})"
)
_ITEM_WHERE = (
    "r.record_type = 'order_item' AND r.op <> 'delete' AND r.sede_id IS NOT NULL "
    "AND r.business_date IS NOT NULL AND r.payload->>'parent_item_id' IS NULL"
)
_DAY_KEYS = "sede_id, business_date, service_id"


def _touched_items(sources: list[str]) -> str:
    """Ids of the lines a statement touches: its own, and the ledger's lines of its orders
    that are or were cancelled (a cancellation changes the order's image, not its lines')."""
    own = [f"SELECT t.id FROM {src} t WHERE t.record_type = 'order_item'" for src in sources]
    orders = " UNION ".join(
        f"SELECT t.id FROM {src} t WHERE t.record_type = 'order' "
        f"AND t.payload->>'status' IN {_CANCELLED_SQL}"
        for src in sources
    )
    of_orders = f"SELECT l.item_id FROM rpt_service_item l WHERE l.order_id IN ({orders})"
    return " UNION ".join([*own, of_orders])


def _item_ctes(touched: str | None) -> str:
    """``aff`` (the lines to recompute; every line when ``touched`` is None) and ``want``
    (their contribution now)."""
    if touched is None:
        return (
            f"WITH want ({', '.join(_ITEM_COLS)}) AS (SELECT {_ITEM_SELECT} "
            f"FROM sync_record r WHERE {_ITEM_WHERE}) "
        )
    return (
        f"WITH aff AS ({touched}), want ({', '.join(_ITEM_COLS)}) AS (SELECT {_ITEM_SELECT} "
        f"FROM sync_record r JOIN aff ON r.id = aff.id WHERE {_ITEM_WHERE}) "
    )


def item_delta_sql(sources: list[str]) -> str:
    """Add to ``rpt_service_day`` the touched lines' new contribution minus their ledger one."""
    cols = "sede_id, business_date, service_id, service_code, service_name, quantity, amount_cents"
    return (
        _item_ctes(_touched_items(sources)) + f"INSERT INTO rpt_service_day ({cols}) "
        "SELECT c.sede_id, c.business_date, c.service_id, max(c.service_code), "
        "max(c.service_name), sum(c.sgn * c.quantity)::bigint, "
        "sum(c.sgn * c.amount_cents)::bigint FROM ("
        f"SELECT {cols}, -1 AS sgn FROM rpt_service_item l JOIN aff ON l.item_id = aff.id "
        f"WHERE l.counted UNION ALL SELECT {cols}, 1 FROM want w WHERE w.counted) c "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 "
        f"ON CONFLICT ({_DAY_KEYS}) DO UPDATE SET "
        "quantity = rpt_service_day.quantity + EXCLUDED.quantity, "
        "amount_cents = rpt_service_day.amount_cents + EXCLUDED.amount_cents, "
        "service_code = EXCLUDED.service_code, service_name = EXCLUDED.service_name"
    )


def item_ledger_sql(sources: list[str] | None) -> str:
    """Bring the touched lines' ledger rows to ``want`` (all lines when ``sources`` is None)."""
    touched = None if sources is None else _touched_items(sources)
    gone = (
        ""
        if touched is None
        else ", gone AS (DELETE FROM rpt_service_item l WHERE l.item_id IN "
        "(SELECT id FROM aff EXCEPT SELECT item_id FROM want)) "
    )
    head = _item_ctes(touched).rstrip() + gone
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _ITEM_COLS[1:])
    return (
        f"{head} INSERT INTO rpt_service_item ({', '.join(_ITEM_COLS)}) "
        f"SELECT * FROM want ORDER BY item_id "
        f"ON CONFLICT (item_id) DO UPDATE SET {updates} "
        f"WHERE ({', '.join('rpt_service_item.' + c for c in _ITEM_COLS[1:])}) "
        f"IS DISTINCT FROM ({', '.join('EXCLUDED.' + c for c in _ITEM_COLS[1:])})"
    )


def _execute(sql: str) -> str:
    """Run ``sql`` through ``EXECUTE``: planned on each firing (see :func:`items_sql`)."""
    return f"EXECUTE $sql${sql}$sql$"


def items_sql(sources: list[str]) -> list[str]:
    """The two statements of a trigger: the summary's difference, then the ledger. They look
    rows up in ``sync_record`` by key, so they run through ``EXECUTE`` (planned on each firing):
    a PL/pgSQL statement keeps the plan of its first run, made while ``sync_record`` may have
    been nearly empty (a sequential scan then, ruinous once it holds millions of rows)."""
    return [_execute(item_delta_sql(sources)), _execute(item_ledger_sql(sources))]


def items_rebuild_sql() -> list[str]:
    return [
        item_ledger_sql(None),
        "INSERT INTO rpt_service_day (sede_id, business_date, service_id, service_code, "
        "service_name, quantity, amount_cents) SELECT sede_id, business_date, service_id, "
        "max(service_code), max(service_name), sum(quantity), sum(amount_cents) "
        "FROM rpt_service_item WHERE counted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    ]


def late_mark_sql(src: str) -> str:
    return (
        "INSERT INTO recon_late_mark (sede_id, business_date, rows, last_received_at) "
        f"SELECT r.sede_id, {_DATE}, count(*), max(r.received_at) FROM {src} r "
        "WHERE r.late AND r.sede_id IS NOT NULL AND r.business_date IS NOT NULL "
        "GROUP BY 1, 2 ORDER BY 1, 2 "
        "ON CONFLICT (sede_id, business_date) DO UPDATE SET "
        "rows = recon_late_mark.rows + EXCLUDED.rows, "
        "last_received_at = GREATEST(recon_late_mark.last_received_at, EXCLUDED.last_received_at)"
    )


# Record types whose figures a closure counts (domain.reconciliation.FIGURE_FIELDS).
_FIGURE_TYPES = "('cash_session', 'invoice', 'order', 'payment', 'sample')"


def late_before_sql(*, updated: bool) -> str:
    """Keep the image a closure counted of each business row that changes after its day was
    closed (``recon_late_before``, first change only; ``before`` NULL for a new row)."""
    cols = "record_type, id, sede_id, business_date, before_op, before, recorded_at"
    where = (
        f"n.late AND n.record_type IN {_FIGURE_TYPES} AND n.sede_id IS NOT NULL "
        "AND n.business_date IS NOT NULL"
    )
    if updated:
        source = (
            "SELECT n.record_type, n.id, n.sede_id, n.business_date::date, o.op, o.payload, "
            "now() FROM new_rows n JOIN old_rows o ON o.record_type = n.record_type "
            f"AND o.id = n.id WHERE {where}"
        )
    else:
        source = (
            "SELECT n.record_type, n.id, n.sede_id, n.business_date::date, NULL, NULL::jsonb, "
            f"now() FROM new_rows n WHERE {where}"
        )
    return (
        f"INSERT INTO recon_late_before ({cols}) {source} ORDER BY 1, 2 "
        "ON CONFLICT (record_type, id) DO NOTHING"
    )


def events_sql(src: str, *, updated: bool) -> str:
    """Queue notification events (``ON CONFLICT DO NOTHING``: once per kind and ref)."""
    kinds = [
        "SELECT 'invoice_accepted' AS kind, r.id, r.sede_id, r.payload FROM {src} r "
        "WHERE r.record_type = 'invoice' AND r.payload->>'state' = 'aceptado'",
    ]
    if not updated:
        kinds += [
            "SELECT 'order_created', r.id, r.sede_id, r.payload FROM {src} r "
            "WHERE r.record_type = 'order' AND r.op <> 'delete'",
            "SELECT 'results_ready', r.id, r.sede_id, r.payload FROM {src} r "
            "WHERE r.record_type = 'results_ready'",
        ]
    union = " UNION ALL ".join(k.format(src=src) for k in kinds)
    return (
        "INSERT INTO notification_event (id, kind, ref_id, sede_id, payload, created_at) "
        "SELECT gen_random_uuid()::text, e.kind, e.id, e.sede_id, e.payload, now() "
        f"FROM ({union}) e ORDER BY e.kind, e.id ON CONFLICT (kind, ref_id) DO NOTHING"
    )


def trigger_bodies(revision: str | None = None) -> dict[str, list[str]]:
    """Statements of the insert, update and delete trigger functions (as of ``revision``)."""
    done = summaries(revision)
    ins = [delta_sql(s, [("new_rows", 1)]) for s in done]
    ins += items_sql(["new_rows"])
    ins += [patient_first_sql("new_rows"), _execute(patient_day_sync_sql(["new_rows"]))]
    ins += [late_mark_sql("new_rows")]
    ins += [late_before_sql(updated=False)]
    ins += [events_sql("new_rows", updated=False)]
    upd = [delta_sql(s, [("old_rows", -1), ("new_rows", 1)]) for s in done]
    upd += items_sql(["old_rows", "new_rows"])
    upd += [patient_first_sql("new_rows")]
    upd += [_execute(patient_day_sync_sql(["old_rows", "new_rows"]))]
    upd += [late_mark_sql("new_rows")]
    upd += [late_before_sql(updated=True)]
    upd += [events_sql("new_rows", updated=True)]
    dele = [delta_sql(s, [("old_rows", -1)]) for s in done]
    dele += items_sql(["old_rows"]) + [_execute(patient_day_sync_sql(["old_rows"]))]
    return {"ins": ins, "upd": upd, "del": dele}


def rebuild_sql(revision: str | None = None) -> list[str]:
    """Recompute every summary table (as of ``revision``) from ``sync_record`` (inside one
    transaction)."""
    done = summaries(revision)
    tables = [s.table for s in done]
    tables += ["rpt_service_day", "rpt_service_item", "rpt_patient_first"]
    out = [f"TRUNCATE {', '.join(dict.fromkeys(tables))}"]
    out += [delta_sql(s, [("sync_record", 1)]) for s in done]
    out += items_rebuild_sql()
    out += [patient_first_sql("sync_record"), patient_day_sync_sql(None)]
    return out


def fill_sql(revision: str) -> list[str]:
    """Summarise the existing rows into the tables a migration ``revision`` adds."""
    return [delta_sql(s, [("sync_record", 1)]) for s in SUMMARIES if s.revision == revision]


def create_sql(revision: str | None = None) -> list[str]:
    """DDL of the trigger functions and triggers (as of ``revision``: migrations 0002, 0007)."""
    out = []
    events = {"ins": "INSERT", "upd": "UPDATE", "del": "DELETE"}
    refs = {
        "ins": "REFERENCING NEW TABLE AS new_rows",
        "upd": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "del": "REFERENCING OLD TABLE AS old_rows",
    }
    for name, stmts in trigger_bodies(revision).items():
        body = ";\n  ".join(stmts)
        out.append(
            f"CREATE OR REPLACE FUNCTION rpt_sync_record_{name}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $fn$\nBEGIN\n  {body};\n  RETURN NULL;\nEND\n$fn$"
        )
        out.append(
            f"CREATE TRIGGER rpt_sync_record_{name} AFTER {events[name]} ON sync_record "
            f"{refs[name]} FOR EACH STATEMENT EXECUTE FUNCTION rpt_sync_record_{name}()"
        )
    return out


def drop_sql() -> list[str]:
    out = []
    for name in ("ins", "upd", "del"):
        out.append(f"DROP TRIGGER IF EXISTS rpt_sync_record_{name} ON sync_record")
        out.append(f"DROP FUNCTION IF EXISTS rpt_sync_record_{name}()")
    return out
