"""The browser's copies of the domain rules (documents, money) agree with domain/.

Runs the ES modules with Node when it is installed; the browser tests cover them otherwise.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from domain.errors import InvalidInput
from domain.identity import validate_document
from edge.web.router import STATIC_DIR

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None, reason="Node.js not installed (apt-get install nodejs)"
)

CASES = [
    ("1", "45871236"), ("1", "4587123"), ("1", "458712361"), ("1", "4587123A"), ("1", " 45871236 "),
    ("6", "20100070970"), ("6", "20100070971"), ("6", "10458712365"), ("6", "10458712366"),
    ("6", "30100070970"), ("6", "2010007097"), ("6", "20601030013"), ("6", "15000000000"),
    ("4", "001234567"), ("4", "00123456"), ("4", "ab1234567"), ("7", "X12345"), ("7", "X1234"),
    ("7", "X1234567890123"), ("A", "D1"), ("0", ""), ("0", "-"),
]  # fmt: skip


def _run(script: str) -> object:
    out = subprocess.run(
        [str(NODE), "--input-type=module", "-e", script],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def test_documents_match_domain_identity() -> None:
    module = (STATIC_DIR / "lib" / "documents.js").as_uri()
    script = (
        f"import {{ checkDocument }} from {json.dumps(module)};"
        f"const cases = {json.dumps(CASES)};"
        "console.log(JSON.stringify(cases.map(([t, n]) => checkDocument(t, n))));"
    )
    results = _run(script)
    assert isinstance(results, list)
    for (doc_type, number), js in zip(CASES, results, strict=True):
        try:
            expected = validate_document(doc_type, number)
            py_ok, py_msg = True, ""
        except InvalidInput as exc:
            expected, py_ok, py_msg = None, False, exc.msg
        assert js["ok"] is py_ok, (doc_type, number, js, py_msg)
        if py_ok:
            assert js["value"] == expected
        else:
            assert js["msg"] == py_msg, (doc_type, number)


def test_money_is_integer_cents_with_half_up() -> None:
    module = (STATIC_DIR / "lib" / "money.js").as_uri()
    script = (
        f"import {{ toCents, fromCents, fmt, percentOf }} from {json.dumps(module)};"
        "console.log(JSON.stringify({"
        "a: toCents('12.5'), b: toCents('0.10'), c: toCents('1,25'), d: toCents('1.234'),"
        "e: toCents('abc'), f: fromCents(1250), g: fmt(123456), h: fmt('-7.50'),"
        "i: percentOf(9000, '20'), j: percentOf(1005, '50'), k: percentOf(1, '50')}));"
    )
    assert _run(script) == {
        "a": 1250, "b": 10, "c": 125, "d": None, "e": None, "f": "12.50",
        "g": "S/ 1,234.56", "h": "-S/ 7.50", "i": 1800, "j": 503, "k": 1,
    }  # fmt: skip
