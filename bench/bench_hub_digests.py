"""Cost of a pull's digests at the hub after one new patient: recomputed from the whole feed
(the old way, measured in the same run as the baseline) against advanced from the process's
last answer (central.sync.digest_state), for growing numbers of patients in the feed.

    .venv/bin/python bench/bench_hub_digests.py [--sizes 2000,20000,100000] [--rounds 5]
        [--sedes 3] [--data-dir DIR]

The feed is filled inside PostgreSQL (``generate_series``: one row per patient, every tenth
patient edited once more), embedded unless DATABASE_URL is set. For each size it prints the
first (cold) computation, then per round (one patient added through ``changefeed.append``, as
a hub transaction does): the full computation for one sede, the incremental answer for the same
sede, and the answer for another sede at the same cursor (chain-wide sums shared). Both ways
must give the same digests (checked). The per-change cost over all sedes is what the hub pays
when every sede pulls once after a change.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_bench import make_sedes, open_hub  # noqa: E402
from sqlalchemy import Connection, text  # noqa: E402

from central.sync import digest_state  # noqa: E402
from domain.ids import new_id  # noqa: E402
from sync import changefeed  # noqa: E402

_PAYLOAD = (
    "json_build_object('id', 'bp' || g, 'doc_type', '1', 'doc_number', (40000000 + g)::text, "
    "'first_names', 'ANA ' || (g % 97) || CAST(:rev AS text), 'last_names', 'QUISPE ' || g, "
    "'birth_date', '1990-01-01', 'sex', 'F', 'phone', '999888777', "
    "'email', 'p' || g || '@correo.pe', 'address', 'Av. Arequipa 1234, Lima', "
    "'home_sede_id', CAST(:sede AS text), 'canonical_id', NULL, 'notes', repeat('x', 200))"
)
_FILL = text(
    "INSERT INTO sync_change_feed (cursor, tx_id, record_type, record_id, op, payload, "
    "scope_sede_id, schema_version, created_at) "
    "SELECT CAST(:base AS bigint) + row_number() OVER (ORDER BY g), gen_random_uuid()::text, "
    f"'patient', 'bp' || g, 'upsert', {_PAYLOAD}, NULL, 1, now() "
    "FROM generate_series(CAST(:a AS int), CAST(:b AS int)) g WHERE g % CAST(:every AS int) = 0"
)


def fill(conn: Connection, have: int, want: int, sede: str) -> None:
    """Patients ``have + 1 .. want`` into the feed, every tenth edited once more."""
    head = changefeed.head(conn)
    for rev, every in (("", 1), (" (editado)", 10)):
        params = {"base": head, "a": have + 1, "b": want, "every": every, "rev": rev, "sede": sede}
        head += int(conn.execute(_FILL, params).rowcount or 0)
    conn.execute(
        text(
            "INSERT INTO sync_feed_counter (id, value) VALUES (1, :c) "
            "ON CONFLICT (id) DO UPDATE SET value = excluded.value"
        ),
        {"c": head},
    )
    conn.commit()
    conn.execute(text("ANALYZE sync_change_feed"))
    conn.commit()


def new_patient(conn: Connection, k: int, sede: str) -> int:
    pid = new_id()
    payload = {"id": pid, "doc_type": "1", "doc_number": f"7{k:07d}", "first_names": "Rosa",
               "last_names": "Mamani", "home_sede_id": sede, "canonical_id": None}  # fmt: skip
    head = changefeed.append(conn, [("patient", pid, "upsert", payload, None)])
    conn.commit()
    return head


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,20000,100000")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sedes", type=int, default=3)
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args()
    rt, base = open_hub(args.data_dir)
    sedes = make_sedes(rt, args.sedes)
    print(f"hub database in {base}; {args.sedes} sedes; {args.rounds} rounds per size")
    have, k = 0, 0
    with rt.engine.connect() as conn:
        for size in (int(s) for s in args.sizes.split(",")):
            t0 = time.perf_counter()
            fill(conn, have, size, sedes[0])
            have = size
            head = changefeed.head(conn)
            print(f"\n{size:,} patients ({head:,} feed rows), filled in "
                  f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
            digest_state.reset()
            cold, _ = timed(digest_state.digests, conn, sede_id=sedes[0], upto=head)
            conn.commit()
            full_ms, inc_ms, other_ms = [], [], []
            for _ in range(args.rounds):
                k += 1
                head = new_patient(conn, k, sedes[0])
                ms, inc = timed(digest_state.digests, conn, sede_id=sedes[0], upto=head)
                inc_ms.append(ms)
                ms, _ = timed(digest_state.digests, conn, sede_id=sedes[1], upto=head)
                other_ms.append(ms)
                ms, full = timed(digest_state.full_digests, conn, sede_id=sedes[0], upto=head)
                full_ms.append(ms)
                conn.commit()
                assert inc == full, (inc, full)
            f, i, o = (statistics.median(x) for x in (full_ms, inc_ms, other_ms))
            n = args.sedes
            print(f"  cold (first) computation, all scopes: {cold:9.1f} ms")
            print(f"  full recomputation, one sede (old):   {f:9.1f} ms  (baseline)")
            print(f"  incremental, same sede:                {i:9.2f} ms  ({f / i:,.0f}x faster)")
            print(f"  another sede at the same cursor:       {o:9.2f} ms")
            print(f"  per change, {n} sedes pulling: old {f * n:,.1f} ms, "
                  f"new {i + o * (n - 1):,.2f} ms")  # fmt: skip
        windows(conn, have, sedes[0])
    rt.close()
    return 0


_TOUCH = text(
    "INSERT INTO sync_change_feed (cursor, tx_id, record_type, record_id, op, payload, "
    "scope_sede_id, schema_version, created_at) "
    "SELECT CAST(:base AS bigint) + row_number() OVER (ORDER BY g), gen_random_uuid()::text, "
    f"'patient', 'bp' || g, 'upsert', {_PAYLOAD}, NULL, 1, now() "
    "FROM generate_series(1, CAST(:n AS int)) g"
)


def windows(conn: Connection, patients: int, sede: str) -> None:
    """Advancing over a window of W edited patients against recomputing (where the fallback
    to a full computation, ``digest_state.FULL_FRACTION``, pays off)."""
    print(f"\nwindows over {patients:,} patients (advanced with the fallback switched off)")
    kept = digest_state.MIN_WINDOW, digest_state.FULL_FRACTION
    for share in (0.01, 0.05, 0.25, 0.5):
        head = changefeed.head(conn)
        digest_state.digests(conn, sede_id=sede, upto=head)  # the state sits at the head
        n = int(patients * share)
        conn.execute(_TOUCH, {"base": head, "n": n, "rev": f" w{share}", "sede": sede})
        conn.execute(text("UPDATE sync_feed_counter SET value = :c"), {"c": head + n})
        conn.commit()
        digest_state.MIN_WINDOW, digest_state.FULL_FRACTION = 10**9, 10.0**9
        try:
            inc, got = timed(digest_state.digests, conn, sede_id=sede, upto=head + n)
        finally:
            digest_state.MIN_WINDOW, digest_state.FULL_FRACTION = kept
        full, want = timed(digest_state.full_digests, conn, sede_id=sede, upto=head + n)
        conn.commit()
        assert got == want
        print(f"  {n:7,} edited ({share:4.0%}): advanced {inc:8.1f} ms, "
              f"full {full:8.1f} ms ({inc / full:.2f}x the full)")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
