"""Patient search over 1,000,000 patients, over HTTP, beside a bare endpoint of the same app.

    .venv/bin/python bench/bench_patient_search.py [--patients 1000000] [--queries 400]
        [--data-dir DIR] [--keep]

Budget (DESIGN.md section 8): p95 <= 20 ms over 1,000,000 patients, over HTTP. The script
builds a migrated edge database with realistic Peruvian patients (surnames and given names
with their real skew: many QUISPE, FLORES, MARÍA, JOSÉ; accents; unique DNIs, some CE and
passports) in one transaction with executemany (the FTS5 triggers of migration 0002 index
them as they go), starts the real edge app with uvicorn in a subprocess on a free port, then
issues varied searches (exact DNI, DNI prefixes, full and partial surnames, accent-free
spellings of accented names, two-word names) one at a time with keep-alive, and measures
``GET /health`` of the same process in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from domain.clock import SystemClock  # noqa: E402
from domain.ids import new_id  # noqa: E402
from domain.permissions import Role  # noqa: E402
from edge.auth.tokens import Principal, issue_access_token  # noqa: E402
from edge.config.service import initialize  # noqa: E402
from edge.db import unit_of_work  # noqa: E402
from edge.runtime import EdgeRuntime  # noqa: E402
from edge.settings import EdgeSettings  # noqa: E402

SECRET = "bench-secret-" + "z" * 40

# (surname, relative weight): the common ones dominate, as in RENIEC's counts.
SURNAMES = [
    ("QUISPE", 60),
    ("FLORES", 45),
    ("SÁNCHEZ", 35),
    ("RODRÍGUEZ", 33),
    ("GARCÍA", 32),
    ("ROJAS", 30),
    ("GONZALES", 29),
    ("HUAMÁN", 28),
    ("MAMANI", 27),
    ("RAMOS", 26),
    ("CHÁVEZ", 25),
    ("VÁSQUEZ", 25),
    ("TORRES", 24),
    ("DÍAZ", 23),
    ("LÓPEZ", 22),
    ("MENDOZA", 22),
    ("CASTILLO", 21),
    ("ESPINOZA", 20),
    ("RAMÍREZ", 20),
    ("CRUZ", 19),
    ("GUTIÉRREZ", 18),
    ("PÉREZ", 18),
    ("MORALES", 17),
    ("MEDINA", 16),
    ("HUAMANÍ", 15),
    ("CÓRDOVA", 14),
    ("NÚÑEZ", 14),
    ("RÍOS", 13),
    ("VARGAS", 13),
    ("ROMERO", 12),
    ("HERRERA", 12),
    ("SALAZAR", 11),
    ("CONDORI", 11),
    ("CAMPOS", 10),
    ("JIMÉNEZ", 10),
    ("AGUILAR", 10),
    ("CASTRO", 10),
    ("VEGA", 9),
    ("PAREDES", 9),
    ("FERNÁNDEZ", 9),
    ("ÁLVAREZ", 8),
    ("LEÓN", 8),
    ("MARTÍNEZ", 8),
    ("SILVA", 8),
    ("TICONA", 7),
    ("CCAHUANA", 6),
    ("YUPANQUI", 6),
    ("PALOMINO", 6),
    ("SOTO", 6),
    ("ARIAS", 6),
    ("CHOQUE", 6),
    ("INGA", 5),
    ("ÑAUPARI", 4),
    ("D'ANGELO", 1),
    ("DE LA CRUZ", 5),
    ("DEL ÁGUILA", 3),
    ("PAUCAR", 5),
    ("CUSI", 4),
    ("LLANOS", 4),
    ("VILLANUEVA", 5),
]
GIVEN_F = [
    ("MARÍA", 80),
    ("ROSA", 30),
    ("ANA", 25),
    ("CARMEN", 20),
    ("JULIA", 15),
    ("LUZ", 15),
    ("ELIZABETH", 12),
    ("GLADYS", 10),
    ("MILAGROS", 10),
    ("SOFÍA", 10),
    ("VALERIA", 10),
    ("CAMILA", 9),
    ("LUCÍA", 9),
    ("ROCÍO", 8),
    ("YESENIA", 7),
    ("FLOR", 7),
    ("MARISOL", 6),
    ("KATHERINE", 6),
    ("NOEMÍ", 5),
    ("BEATRIZ", 5),
    ("XIMENA", 4),
    ("INÉS", 4),
]
GIVEN_M = [
    ("JOSÉ", 70),
    ("JUAN", 50),
    ("LUIS", 40),
    ("CARLOS", 35),
    ("JORGE", 25),
    ("CÉSAR", 15),
    ("MIGUEL", 15),
    ("VÍCTOR", 15),
    ("PEDRO", 12),
    ("JESÚS", 12),
    ("ÁNGEL", 10),
    ("MANUEL", 10),
    ("RAÚL", 9),
    ("EDWIN", 8),
    ("FREDDY", 6),
    ("WILBER", 5),
    ("ALONSO", 5),
    ("SEBASTIÁN", 5),
    ("MATÍAS", 5),
    ("ÓSCAR", 5),
    ("RUBÉN", 4),
    ("NÉSTOR", 3),
]
SYLLABLES = ["CA", "HUA", "MA", "PA", "QUI", "TA", "YU", "LLA", "CHU", "RI", "SA", "NI", "TO"]


def open_bench_edge(settings: EdgeSettings) -> EdgeRuntime:
    """A bench's edge node at ``settings``: migrated and initialised (sede S01, an admin); an
    existing node is opened as it is."""
    rt = EdgeRuntime.open(settings)
    rt.migrate()
    with unit_of_work(rt.engine) as session:
        initialize(
            session, sede_code="S01", sede_name="Sede Bench", admin_username="admin",
            admin_password="bench-admin-clave", clock=SystemClock(),
        )  # fmt: skip
    return rt


def fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    ).lower()


def weighted(pairs: list[tuple[str, int]], rng: random.Random, k: int) -> list[str]:
    names = [n for n, _ in pairs]
    weights = [w for _, w in pairs]
    return rng.choices(names, weights=weights, k=k)


def rare_surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def generate(rt: EdgeRuntime, n: int, sede_id: str, rng: random.Random) -> list[tuple[str, ...]]:
    """Insert ``n`` patients in one transaction; return (doc_number, last_names, first) samples."""
    t0 = time.perf_counter()
    dnis = rng.sample(range(10_000_000, 79_999_999), n)
    created = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    samples: list[tuple[str, ...]] = []
    chunk = 50_000
    raw = rt.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            s1 = weighted(SURNAMES, rng, size)
            s2 = weighted(SURNAMES, rng, size)
            female = [rng.random() < 0.52 for _ in range(size)]
            rows = []
            for i in range(size):
                first_pool = GIVEN_F if female[i] else GIVEN_M
                given = " ".join(weighted(first_pool, rng, rng.choice((1, 2, 2))))
                last1 = rare_surname(rng) if rng.random() < 0.15 else s1[i]
                last = f"{last1} {s2[i]}"
                kind = rng.random()
                if kind < 0.97:
                    doc_type, doc = "1", f"{dnis[start + i]:08d}"
                elif kind < 0.99:
                    doc_type, doc = "4", f"{dnis[start + i]:012d}"
                else:
                    doc_type, doc = "7", f"P{dnis[start + i]}"
                born = dt.date(rng.randint(1935, 2022), rng.randint(1, 12), rng.randint(1, 28))
                at = (created + dt.timedelta(seconds=start + i)).isoformat(timespec="microseconds")
                rows.append(
                    (
                        new_id(), doc_type, doc, given, last,
                        born.isoformat(),
                        "F" if female[i] else "M", f"9{rng.randint(10_000_000, 99_999_999)}",
                        sede_id, at, at,
                    )
                )  # fmt: skip
                if rng.random() < 0.002:
                    samples.append((doc, last, given))
            cur.executemany(
                "INSERT INTO patient (id, doc_type, doc_number, first_names, last_names, "
                "birth_date, sex, phone, home_sede_id, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            done = start + size
            rate = done / (time.perf_counter() - t0)
            print(f"\r  {done:>9,} / {n:,} patients  ({rate:,.0f}/s)", end="", flush=True)
        cur.execute("COMMIT")
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cur.execute("ANALYZE")
    finally:
        raw.close()
    print(f"\n  generated in {time.perf_counter() - t0:.1f} s")
    return samples


def build_queries(
    samples: list[tuple[str, ...]], rng: random.Random, n: int
) -> list[tuple[str, str]]:
    kinds: list[tuple[str, str]] = []
    for _ in range(n):
        doc, last, given = rng.choice(samples)
        surname = last.split()[0] if not last.startswith(("DE ", "DEL ")) else last
        r = rng.random()
        if r < 0.20:
            kinds.append(("dni exact", doc))
        elif r < 0.32:
            kinds.append(("dni prefix", doc[: rng.randint(3, 6)]))
        elif r < 0.52:
            kinds.append(("surname (folded)", fold(surname)))
        elif r < 0.64:
            kinds.append(("surname prefix", fold(surname)[: rng.randint(3, 5)]))
        elif r < 0.82:
            kinds.append(("surname + given", f"{fold(last.split()[0])} {fold(given.split()[0])}"))
        elif r < 0.90:
            kinds.append(("given name", fold(given.split()[0])))
        else:
            kinds.append(("accented full", f"{last} {given}"))
    return kinds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    r = client.get(url, params=params)
    elapsed = (time.perf_counter() - t) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url} {params} -> {r.status_code} {r.text[:300]}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--data-dir", type=Path, default=None, help="reuse/keep a database here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    ap.add_argument("--seed", type=int, default=29733)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    tmp = tempfile.mkdtemp(prefix="bench-patients-") if args.data_dir is None else None
    data_dir = args.data_dir or Path(tmp or ".")
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = EdgeSettings(data_dir=data_dir, jwt_secret=SECRET)
    fresh = not settings.db_path.exists() or settings.db_path.stat().st_size == 0
    rt = open_bench_edge(settings)
    sede_id = rt.sede_id or ""
    with rt.engine.connect() as conn:
        have = conn.exec_driver_sql("SELECT count(*) FROM patient").scalar_one()
        user_id = conn.exec_driver_sql(
            "SELECT id FROM user_account WHERE username='admin'"
        ).scalar_one()
    print(f"database: {settings.db_path} ({'new' if fresh else f'{have:,} patients'})")
    if have < args.patients:
        samples = generate(rt, args.patients - have, sede_id, rng)
    else:
        with rt.engine.connect() as conn:
            samples = [
                tuple(r)
                for r in conn.exec_driver_sql(
                    "SELECT doc_number, last_names, first_names FROM patient "
                    "ORDER BY random() LIMIT 2000"
                )
            ]
    rt.engine.dispose()
    size_mb = settings.db_path.stat().st_size / 1e6
    print(f"database size: {size_mb:,.0f} MB")

    port = free_port()
    env = {**os.environ, "LABRED_EDGE_JWT_SECRET": SECRET, "LABRED_EDGE_LOG_LEVEL": "WARNING",
           "LABRED_EDGE_RATE_LIMIT_PER_MINUTE": "1000000"}  # fmt: skip
    log = open(data_dir / "bench-server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "labred", "edge", "serve", "--data-dir", str(data_dir),
         "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"edge did not start; see {data_dir / 'bench-server.log'}")
            time.sleep(0.2)
        principal = Principal(user_id, "admin", "Admin", Role.ADMIN, [sede_id])
        token = issue_access_token(principal, secret=SECRET, now=dt.datetime.now(dt.UTC))
        queries = build_queries(samples, rng, args.queries)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            for _, q in queries[:30]:  # warm-up: connection, page cache, code paths
                timed(client, "/api/patients/search", {"q": q})
                timed(client, "/health")
            search: list[float] = []
            health: list[float] = []
            by_kind: dict[str, list[float]] = {}
            for kind, q in queries:  # interleaved, so both see the same machine
                ms = timed(client, "/api/patients/search", {"q": q, "limit": "20"})
                search.append(ms)
                by_kind.setdefault(kind, []).append(ms)
                health.append(timed(client, "/health"))
            hits = client.get("/api/patients/search", params={"q": "nunez"}).json()["items"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()

    print(f"\npatient search over {args.patients:,} patients, {len(search)} queries over HTTP")
    print(f"  sample: 'nunez' -> {hits[0]['full_name'] if hits else '(none)'}")
    print(f"  {'kind':<18} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, values in sorted(by_kind.items()):
        print(
            f"  {kind:<18} {len(values):>4} {statistics.median(values):>8.2f} "
            f"{pct(values, 95):>8.2f} {max(values):>8.2f}"
        )
    rows = [("search", search), ("GET /health", health)]
    print(f"\n  {'endpoint':<12} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, values in rows:
        print(
            f"  {name:<12} {pct(values, 50):>8.2f} {pct(values, 95):>8.2f} {pct(values, 99):>8.2f}"
        )
    p95 = pct(search, 95)
    print(f"\n  search p95 / health p95 = {p95 / pct(health, 95):.1f}x")
    verdict = "OK" if p95 <= 20 else "OVER BUDGET"
    print(f"  budget: search p95 <= 20 ms -> {p95:.2f} ms  [{verdict}]")
    if tmp and not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    elif tmp:
        print(f"  data kept in {tmp}")
    return 0 if p95 <= 20 else 1


if __name__ == "__main__":
    sys.exit(main())
