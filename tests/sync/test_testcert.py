"""The sandbox test certificate is created once, even by processes asking at the same moment
(an edge's API and its worker both sign their first document on a fresh node)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sync import testcert

ROOT = Path(__file__).resolve().parents[2]
ASK = (
    "import hashlib, sys; from pathlib import Path; from sync import testcert; "
    "k, c = testcert.ensure(Path(sys.argv[1])); "
    "print(hashlib.sha256(k.read_bytes() + c.read_bytes()).hexdigest())"
)


def _public(pem: bytes, *, key: bool) -> bytes:
    public = (
        serialization.load_pem_private_key(pem, password=None).public_key()
        if key
        else x509.load_pem_x509_certificate(pem).public_key()
    )
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_processes_asking_together_get_one_matching_pair(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ASK, str(directory)], cwd=ROOT, stdout=subprocess.PIPE
        )
        for _ in range(6)
    ]
    seen = {p.communicate(timeout=60)[0].decode().strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(seen) == 1, seen  # every process read the same key and certificate
    key_path, cert_path = testcert.ensure(directory)
    assert _public(key_path.read_bytes(), key=True) == _public(cert_path.read_bytes(), key=False)
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in directory.iterdir() if p.suffix == ".tmp") == []


def test_an_existing_pair_is_kept(tmp_path: Path) -> None:
    key_path, cert_path = testcert.ensure(tmp_path)
    before = key_path.read_bytes(), cert_path.read_bytes()
    assert testcert.ensure(tmp_path) == (key_path, cert_path)
    assert (key_path.read_bytes(), cert_path.read_bytes()) == before
