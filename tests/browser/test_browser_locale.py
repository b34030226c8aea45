"""The test browser is a Peruvian counter's: dates typed day first, Lima's clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import SPANISH_PAK, new_tab


def test_a_date_input_takes_day_month_year_like_at_the_counter(browser: Any) -> None:
    if not SPANISH_PAK.exists():
        pytest.skip(reason=f"{SPANISH_PAK} missing: apt-get install chromium-l10n")
    page = new_tab(browser, "http://127.0.0.1")
    try:
        page.set_content('<input type="date" id="d">')
        page.locator("#d").focus()
        page.keyboard.type("28112026")  # dd/mm/aaaa; in en-US "28" is no month
        assert page.locator("#d").input_value() == "2026-11-28"
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/Lima"
        assert page.evaluate("navigator.language") == "es-PE"
        assert not page.js_errors
    finally:
        page.context.close()
