"""Fixtures for the SUNAT tests: the shared SUNAT checker (validate.py) and a test signer."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree

from domain.sunat.signing import Signer
from sync.testcert import TestCertificate as Cert
from sync.testcert import generate

ROOT = Path(__file__).resolve().parents[3]
SUNAT_DIR = Path(os.environ.get("SUNAT_DATA", ROOT.parent / "shared" / "sunat"))
SKIP_REASON = (
    f"SUNAT validation data not found at {SUNAT_DIR} (../shared/sunat with validate.py, xsd/,"
    " xsl/; set SUNAT_DATA to point elsewhere): XSD/XSL checks skipped"
)

Checker = Callable[[bytes], tuple[list[str], list[str]]]


def _load_validator() -> ModuleType | None:
    path = SUNAT_DIR / "validate.py"
    if not path.is_file() or not (SUNAT_DIR / "xsd").is_dir():
        return None
    spec = importlib.util.spec_from_file_location("sunat_validate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sunat_check() -> Checker:
    """XSD + SUNAT XSL rules + digest of one document -> (errors, observations)."""
    v = _load_validator()
    if v is None:
        pytest.skip(reason=SKIP_REASON)
    data_dir = str(SUNAT_DIR)

    def check(xml: bytes) -> tuple[list[str], list[str]]:
        doc = etree.fromstring(xml, v._parser()).getroottree()
        info = v.detect(doc.getroot())
        assert info is not None, "unknown root element"
        _rel, errors = v.check_xsd(doc, info, data_dir)
        errors = ["XSD " + e for e in errors]
        _rel, rerr, rwarn, note = v.check_rules(doc, info, data_dir, info.sunat_filename(), False)
        assert note is None, note
        errors += rerr
        warnings = ["{}: {}".format(*cw) for cw in rwarn]
        state, problem = v.check_digest(doc)
        if problem:
            errors.append(problem)
        elif not state.startswith("signed, reference digest OK"):
            errors.append("signature: " + state)
        return errors, warnings

    return check


@pytest.fixture(scope="session")
def test_cert() -> Cert:
    return generate()


@pytest.fixture(scope="session")
def signer(test_cert: Cert) -> Signer:
    return Signer.from_pem(test_cert.key_pem, test_cert.cert_pem)
