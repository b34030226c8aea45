"""The company's signer, loaded ONCE per process from the settings' certificate paths.

* ``sunat_cert_path`` ending in ``.p12`` / ``.pfx``: PKCS#12 with ``sunat_cert_password``;
* otherwise a PEM certificate plus ``sunat_key_path`` (PEM key, ``sunat_cert_password`` if
  the key is encrypted);
* nothing configured and ``sunat_mode == "sandbox"``: a self-signed test certificate is
  created (once) under ``<data-dir>/secrets`` and used — never a real one in the repository.

Passwords are ``SecretStr`` and are never logged or put in error messages.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from domain.errors import Unavailable
from domain.sunat import SignatureAlgorithm, Signer
from edge.settings import EdgeSettings
from sync import testcert

log = logging.getLogger("labred.edge.billing")

TEST_CERT_NAME = "sunat-test"
_lock = threading.Lock()
_cache: dict[tuple[object, ...], Signer] = {}


def _key(settings: EdgeSettings) -> tuple[object, ...]:
    return (
        str(settings.data_dir.resolve()),
        str(settings.sunat_cert_path),
        str(settings.sunat_key_path),
        settings.sunat_mode,
        settings.sunat_sign_sha1,
    )


def get_signer(settings: EdgeSettings) -> Signer:
    """The process-wide signer for these settings (loaded on first use, then reused)."""
    key = _key(settings)
    signer = _cache.get(key)
    if signer is not None:
        return signer
    with _lock:
        signer = _cache.get(key)
        if signer is None:
            signer = _load(settings)
            _cache[key] = signer
    return signer


def _algorithm(settings: EdgeSettings) -> SignatureAlgorithm:
    return (
        SignatureAlgorithm.RSA_SHA1 if settings.sunat_sign_sha1 else SignatureAlgorithm.RSA_SHA256
    )


def _load(settings: EdgeSettings) -> Signer:
    password = settings.sunat_cert_password.get_secret_value().encode() or None
    algorithm = _algorithm(settings)
    cert_path = settings.sunat_cert_path
    if cert_path is None:
        if settings.sunat_mode != "sandbox":
            raise Unavailable(
                "No hay certificado digital configurado (sunat_cert_path): no se puede firmar.",
                code="certificate_missing",
            )
        key_path, cert_path = ensure_test_certificate(settings.data_dir / "secrets")
        log.info("using the sandbox test certificate", extra={"path": str(cert_path)})
        return Signer.from_pem(key_path.read_bytes(), cert_path.read_bytes(), algorithm=algorithm)
    try:
        data = cert_path.read_bytes()
        if cert_path.suffix.lower() in (".p12", ".pfx"):
            return Signer.from_pkcs12(data, password, algorithm=algorithm)
        if settings.sunat_key_path is None:
            raise Unavailable(
                "Falta la clave privada del certificado (sunat_key_path).",
                code="certificate_missing",
            )
        key = settings.sunat_key_path.read_bytes()
    except OSError as exc:
        raise Unavailable(
            f"No se pudo leer el certificado digital ({exc.strerror}).",
            code="certificate_missing",
        ) from None
    return Signer.from_pem(key, data, password=password, algorithm=algorithm)


def ensure_test_certificate(directory: Path, name: str = TEST_CERT_NAME) -> tuple[Path, Path]:
    """Create (once, even with the worker asking at the same moment) a self-signed RSA-2048
    test certificate: ``(key path, cert path)``."""
    return testcert.ensure(directory, name)


def clear_cache() -> None:
    """Forget loaded signers (tests, or after the certificate was replaced)."""
    with _lock:
        _cache.clear()


__all__ = ["clear_cache", "ensure_test_certificate", "get_signer"]
