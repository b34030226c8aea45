"""The reception header warns of the sede PC's disk before it fills, in headless Chromium
against a real ``labred edge serve``: nothing shows while there is room, "Disco casi lleno"
(amber) when ``/api/web/status`` says ``bajo`` and "Disco lleno" (red, "Avise al técnico") when
it says ``lleno``; it goes away once space is back. The node's real answer is passed through
with only its ``disk`` fields changed (filling this machine's disk is
tests/edge/disk/test_disk_full_process.py's job)."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.conftest import EdgeNode, expect, sign_in_reception


def test_the_header_warns_of_a_low_then_full_disk_and_clears_when_space_is_back(
    page: Any, edge_node: EdgeNode
) -> None:
    sign_in_reception(page, edge_node.receptionist)
    pill = page.locator("#st-disk")
    expect(page.locator("#st-sunat")).to_contain_text("SUNAT:")  # the header has been painted
    expect(pill).to_be_hidden()  # the test machine has room

    level = {"disk": "bajo", "disk_free_mb": 150}

    def with_disk(route: Any) -> None:
        answer = route.fetch()
        body = {**answer.json(), **level}
        route.fulfill(response=answer, body=json.dumps(body))

    page.route("**/api/web/status", with_disk)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # poll now
    expect(pill).to_have_text("Disco casi lleno: 150 MB libres")
    expect(pill).to_have_attribute("data-state", "warn")

    level.update(disk="lleno", disk_free_mb=3)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(pill).to_have_text("Disco lleno: 3 MB libres")
    expect(pill).to_have_attribute("data-state", "bad")
    assert "Avise al técnico" in (pill.get_attribute("title") or "")

    page.unroute("**/api/web/status")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(pill).to_be_hidden()
    assert not page.js_errors, page.js_errors
