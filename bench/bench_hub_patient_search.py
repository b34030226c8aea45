"""Consolidated patient search at the hub over HTTP, beside a primary-key read of one patient.

    .venv/bin/python bench/bench_hub_patient_search.py [--patients 1000000] [--requests 300]
        [--data-dir DIR]

Budget (DESIGN.md section 8, the edge's figure applied to the hub): p95 <= 20 ms. Patients are
generated inside PostgreSQL with ``generate_series`` straight into ``hub_patient`` (surnames
from a list of common Peruvian surnames, so a name prefix matches thousands of rows), then the
real hub app answers ``GET /api/patients?q=`` through a TestClient for random document prefixes,
exact documents and surname prefixes. The baseline, measured in the same run, is
``GET /api/patients/{id}`` (one primary-key read through the same app, auth and audit).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hub_bench import make_sedes, open_hub  # noqa: E402
from sqlalchemy import text  # noqa: E402

SURNAMES = "QUISPE MAMANI HUAMAN FLORES RODRIGUEZ SANCHEZ GARCIA ROJAS GONZALES CHAVEZ".split()


def fill(rt: object, n: int, sede: str) -> None:
    names = "ARRAY[" + ",".join(f"'{s}'" for s in SURNAMES) + "]"
    with rt.engine.begin() as conn:  # type: ignore[attr-defined]
        have = conn.execute(text("SELECT count(*) FROM hub_patient")).scalar_one()
        if have >= n:
            return
        conn.execute(
            text(
                "INSERT INTO hub_patient (id, doc_type, doc_number, first_names, last_names, "
                "home_sede_id, created_at, updated_at, field_hlc, field_node) "
                "SELECT gen_random_uuid()::text, '1', lpad((10000000 + g)::text, 8, '0'), "
                "'NOMBRE' || (g % 997), "
                f"({names})[1 + g % {len(SURNAMES)}] || ' ' || "
                f"({names})[1 + (g / {len(SURNAMES)}) % {len(SURNAMES)}], "
                ":s, now(), now(), '{}', '{}' FROM generate_series(:a, :b) g"
            ),
            {"s": sede, "a": have + 1, "b": n},
        )
        conn.execute(text("ANALYZE hub_patient"))


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args()
    rt, base = open_hub(args.data_dir)
    (sede,) = make_sedes(rt, 1)
    t0 = time.perf_counter()
    fill(rt, args.patients, sede)
    print(f"{args.patients:,} patients ready in {time.perf_counter() - t0:.1f} s ({base})")

    from fastapi.testclient import TestClient

    from central.app import create_app
    from domain.permissions import Role
    from tests.central.auth.factories import auth_headers

    client = TestClient(create_app(rt.settings, runtime=rt))
    headers = auth_headers(rt, Role.ADMIN, username=f"bench-{time.time_ns()}")
    rng = random.Random(7)
    with rt.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM hub_patient LIMIT 2000"))]

    def timed(url: str, params: dict[str, str] | None = None) -> float:
        start = time.perf_counter()
        r = client.get(url, params=params, headers=headers)
        took = time.perf_counter() - start
        assert r.status_code == 200, r.text
        return took

    kinds = {
        "document": lambda: {"q": f"{10000000 + rng.randint(1, args.patients):08d}"},
        "document prefix": lambda: {"q": f"{10000000 + rng.randint(1, args.patients):08d}"[:5]},
        "surname prefix": lambda: {"q": f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)[:2]}"},
    }
    for _ in range(20):  # warm up
        timed("/api/patients", kinds["surname prefix"]())
        timed(f"/api/patients/{rng.choice(ids)}")
    baseline = [timed(f"/api/patients/{rng.choice(ids)}") for _ in range(args.requests)]
    base95 = p95(baseline)
    print(f"baseline GET /api/patients/{{id}}: p95 {base95:.1f} ms")
    worst = 0.0
    for name, params in kinds.items():
        samples = [timed("/api/patients", params()) for _ in range(args.requests)]
        ms = p95(samples)
        worst = max(worst, ms)
        print(f"search by {name:16s}: p95 {ms:6.1f} ms  ({ms / base95:.2f}x baseline)")
    verdict = "OK" if worst <= 20 else "OVER BUDGET"
    print(f"worst p95 {worst:.1f} ms (budget 20 ms): {verdict}")
    return 0 if worst <= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
