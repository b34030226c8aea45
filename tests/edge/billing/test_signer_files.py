"""The company signer (loaded once, PKCS#12 / PEM / sandbox test certificate) and the files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import SecretStr

from domain.errors import InvalidInput, Unavailable
from edge.billing import files, signer
from edge.settings import EdgeSettings
from sync.testcert import generate

SECRET = "clave-del-p12-ñ"


def settings(tmp_path: Path, **kw: object) -> EdgeSettings:
    return EdgeSettings(data_dir=tmp_path, jwt_secret="x" * 40, **kw)  # type: ignore[arg-type]


def test_sandbox_creates_a_test_certificate_once_and_loads_it_once(tmp_path: Path) -> None:
    signer.clear_cache()
    s = settings(tmp_path)
    first = signer.get_signer(s)
    key, cert = (
        tmp_path / "secrets" / "sunat-test.key.pem",
        tmp_path / "secrets" / "sunat-test.cert.pem",
    )
    assert key.exists() and cert.exists()
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert signer.get_signer(s) is first  # loaded once per process
    signer.clear_cache()
    assert signer.get_signer(s).certificate_pem == first.certificate_pem  # same file reused


def test_pkcs12_with_password_and_wrong_password(tmp_path: Path) -> None:
    signer.clear_cache()
    p12 = tmp_path / "empresa.p12"
    p12.write_bytes(generate().pkcs12(SECRET.encode()))
    s = settings(
        tmp_path,
        sunat_mode="production",
        sunat_cert_path=p12,
        sunat_cert_password=SecretStr(SECRET),
    )
    assert (
        signer.get_signer(s)
        .sign(
            b"<a xmlns:ext='urn:oasis:names:specification:ubl:schema:"
            b"xsd:CommonExtensionComponents-2'><ext:ExtensionContent/>"
            b"</a>"
        )
        .digest_value
    )
    assert SECRET not in repr(s) and SECRET not in str(s.model_dump())
    signer.clear_cache()
    wrong = settings(
        tmp_path,
        sunat_mode="production",
        sunat_cert_path=p12,
        sunat_cert_password=SecretStr("otra"),
    )
    with pytest.raises(InvalidInput) as err:
        signer.get_signer(wrong)
    assert err.value.code == "certificate_invalid" and "otra" not in err.value.msg


def test_pem_pair_and_missing_certificate_outside_sandbox(tmp_path: Path) -> None:
    signer.clear_cache()
    tc = generate()
    (tmp_path / "c.pem").write_bytes(tc.cert_pem)
    (tmp_path / "k.pem").write_bytes(tc.key_pem)
    s = settings(
        tmp_path,
        sunat_mode="beta",
        sunat_cert_path=tmp_path / "c.pem",
        sunat_key_path=tmp_path / "k.pem",
    )
    assert signer.get_signer(s).certificate_pem == tc.cert_pem
    signer.clear_cache()
    with pytest.raises(Unavailable) as err:
        signer.get_signer(settings(tmp_path / "other", sunat_mode="production"))
    assert err.value.code == "certificate_missing"
    assert not (tmp_path / "other" / "secrets").exists()  # never a test cert in production


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    rel = files.xml_relpath(dt.date(2026, 3, 10), "20100070970-03-B001-7")
    assert rel == "documents/2026-03-10/20100070970-03-B001-7.xml"
    files.write_atomic(tmp_path / rel, b"<x/>")
    files.write_atomic(tmp_path / rel, b"<y/>")
    folder = (tmp_path / rel).parent
    assert [p.name for p in folder.iterdir()] == ["20100070970-03-B001-7.xml"]
    assert (tmp_path / rel).read_bytes() == b"<y/>"
    assert files.cdr_relpath(dt.date(2026, 3, 10), "S") == ("documents/2026-03-10/R-S.zip")
