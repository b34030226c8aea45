"""Build + sign one boleta, many times; compare with a bare RSA-SHA256 signature.

    .venv/bin/python bench/bench_sign.py [--n 2000] [--engine native|signxml]

Budget (DESIGN.md section 8): build + sign one UBL invoice <= 5 ms, and within 4x of a bare
RSA-SHA256 signature (cryptography) of the same bytes, measured in the same run. The key
is loaded once, as the edge worker does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

from domain.sunat import (  # noqa: E402
    Address,
    Customer,
    Document,
    DocumentType,
    IdentityType,
    Issuer,
    Line,
    SignEngine,
    Signer,
    build_document,
)
from sync.testcert import generate  # noqa: E402

BUDGET_MS = 5.0
BUDGET_RATIO = 4.0

ISSUER = Issuer(
    "20100070970",
    "LABORATORIOS CLÍNICOS LABRED S.A.C.",
    "LabRed",
    Address("150131", "AV. JAVIER PRADO ESTE 1234", "SAN ISIDRO", "LIMA", "LIMA"),
)
CUSTOMER = Customer(IdentityType.DNI, "45678912", "MARÍA JOSEFINA ÑAHUI QUISPE")
LINES = (
    Line("HEM001", "Hemograma completo automatizado", Decimal("1"), Decimal("35.00")),
    Line("BIO010", "Glucosa basal", Decimal("1"), Decimal("12.50")),
    Line("PRF100", "Perfil lipídico", Decimal("1"), Decimal("89.90"), discount=Decimal("9.90")),
)


def boleta(number: int) -> Document:
    return Document(
        DocumentType.BOLETA,
        "B001",
        number,
        dt.date(2025, 3, 14),
        ISSUER,
        CUSTOMER,
        LINES,
        issue_time=dt.time(9, 41, 7),
    )


def stats(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.fmean(samples) * 1e3, statistics.median(samples) * 1e3, p99 * 1e3


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="documents to build and sign")
    ap.add_argument("--engine", choices=[e.value for e in SignEngine], default="native")
    args = ap.parse_args()

    cert = generate()
    signer = Signer.from_pem(cert.key_pem, cert.cert_pem, engine=SignEngine(args.engine))
    docs = [boleta(i + 1) for i in range(args.n)]
    for d in docs[:50]:  # warm-up
        signer.sign_tree(build_document(d))

    doc_times: list[float] = []
    signed_bytes = b""
    for d in docs:
        t0 = time.perf_counter()
        signed = signer.sign_tree(build_document(d))
        doc_times.append(time.perf_counter() - t0)
        signed_bytes = signed.xml

    rsa_times: list[float] = []
    key = signer.key
    for _ in range(args.n):
        t0 = time.perf_counter()
        key.sign(signed_bytes, padding.PKCS1v15(), hashes.SHA256())
        rsa_times.append(time.perf_counter() - t0)

    mean, p50, p99 = stats(doc_times)
    rmean, rp50, rp99 = stats(rsa_times)
    ratio = mean / rmean
    ok_time, ok_ratio = p99 <= BUDGET_MS, ratio <= BUDGET_RATIO
    print(
        f"build + sign one boleta ({args.n} documents, engine {args.engine},"
        f" {len(signed_bytes)} bytes)"
    )
    print(f"  build+sign     mean {mean:6.3f} ms   p50 {p50:6.3f} ms   p99 {p99:6.3f} ms")
    print(f"  bare RSA-SHA256 mean {rmean:6.3f} ms   p50 {rp50:6.3f} ms   p99 {rp99:6.3f} ms")
    print(f"  budget: p99 <= {BUDGET_MS:.1f} ms per document -> {'OK' if ok_time else 'OVER'}")
    verdict = "OK" if ok_ratio else "OVER"
    print(f"  budget: ratio mean/bare <= {BUDGET_RATIO:.1f}x -> {ratio:.2f}x {verdict}")
    return 0 if ok_time and ok_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
