"""The printable ticket prints itself through a local script the CSP allows (no inline code).

No browser needed here; ``test_reception`` checks in Chromium that ``window.print`` is called.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from fastapi.testclient import TestClient

from edge.billing import printing


def _data() -> printing.PrintData:
    zero = Decimal("0.00")
    return printing.PrintData(
        company_ruc="20100070970", company_name="LABRED S.A.C.", trade_name="labred",
        company_address="Av. Arequipa 1234", sede_name="Sede 1", sede_address="",
        title="BOLETA DE VENTA ELECTRÓNICA", full_number="B001-1",
        issued_at=dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.UTC), customer_id_label="DNI",
        customer_doc_number="45678912", customer_name="<script>alert(1)</script>",
        customer_address="", lines=(), gravado=Decimal("50.85"), exonerado=zero,
        inafecto=zero, discount=zero, igv=Decimal("9.15"), total=Decimal("60.00"),
        words="SESENTA CON 00/100 SOLES", digest_value="abc=", qr_text="x", reference=None,
        reason="", state="aceptado",
    )  # fmt: skip


def test_ticket_has_no_inline_script_and_its_print_script_is_served(
    edge_client: TestClient,
) -> None:
    page = printing.html_ticket(_data())
    assert "onload" not in page and "window.print" not in page
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    assert scripts == [""], "every script must be an empty tag with src (CSP: script-src 'self')"
    src = re.search(r'<script src="([^"]+)"', page)
    assert src is not None
    served = edge_client.get(src.group(1))
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    assert "window.print()" in served.text
    csp = served.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )


def test_ticket_styles_come_from_a_served_file_and_the_csp_refuses_inline_styles(
    edge_client: TestClient,
) -> None:
    page = printing.html_ticket(_data())
    assert "<style" not in page and "style=" not in page
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert href is not None
    served = edge_client.get(href.group(1))
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/css")
    assert "@page" in served.text and "80mm" in served.text
    style_src = served.headers["content-security-policy"].split("style-src")[1].split(";")[0]
    assert style_src.strip() == "'self'"
