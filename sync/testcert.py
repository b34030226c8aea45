"""Self-signed test certificates for the sandbox, the demo, an edge in sandbox mode and the
tests.

Never a real certificate in the repository: this generates one on demand (RSA-2048,
valid 10 years) and caches it under a directory the caller chooses (:func:`ensure`), once even
when several processes ask at the same moment (an edge's API and its worker both sign).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class TestCertificate:
    key_pem: bytes
    cert_pem: bytes

    def pkcs12(self, password: bytes) -> bytes:
        key = serialization.load_pem_private_key(self.key_pem, password=None)
        cert = x509.load_pem_x509_certificate(self.cert_pem)
        assert isinstance(key, rsa.RSAPrivateKey)
        return pkcs12.serialize_key_and_certificates(
            b"labred-test",
            key,
            cert,
            None,
            serialization.BestAvailableEncryption(password),
        )


def generate(common_name: str = "LABRED PRUEBAS SAC", ruc: str = "20100070970") -> TestCertificate:
    """A fresh self-signed RSA-2048 certificate (for tests only)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} {ruc} (CERTIFICADO DE PRUEBA)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return TestCertificate(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(mode)
    tmp.replace(path)


def ensure(directory: Path, name: str = "sunat-test") -> tuple[Path, Path]:
    """Create (once) ``<name>.key.pem`` and ``<name>.cert.pem`` under ``directory``.

    Processes that ask at the same time wait on a lock file and find the pair the first one
    wrote: two generations racing could leave one process's key beside another's
    certificate. Each file appears whole (written aside, then renamed)."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / f"{name}.key.pem"
    cert_path = directory / f"{name}.cert.pem"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    with (directory / f".{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (key_path.exists() and cert_path.exists()):
            tc = generate()
            _write(cert_path, tc.cert_pem, 0o644)
            _write(key_path, tc.key_pem, 0o600)
    return key_path, cert_path
