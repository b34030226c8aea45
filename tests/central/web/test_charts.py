"""Server-side SVG charts: the right bars for known figures, and escaped text."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from central.web import charts

NS = "{http://www.w3.org/2000/svg}"


def bars(svg: str) -> list[dict[str, str]]:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    return [r.attrib for r in root.iter(f"{NS}rect") if r.get("class") == "bar"]


def test_bar_chart_has_one_bar_per_item_scaled_to_the_largest() -> None:
    svg = charts.bar_chart(
        "Medios de pago",
        [charts.Bar("Efectivo", Decimal("300.00")), charts.Bar("Yape", Decimal("150.00"))],
    )
    found = bars(svg)
    assert [(b["data-label"], b["data-value"]) for b in found] == [
        ("Efectivo", "300.00"),
        ("Yape", "150.00"),
    ]
    widths = [float(b["width"]) for b in found]
    assert widths[0] == 2 * widths[1] > 0
    assert "S/ 300.00" in svg


def test_stacked_days_puts_each_sede_on_its_day() -> None:
    d1, d2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
    svg = charts.stacked_days(
        "Ventas",
        [d1, d2],
        {"S01": {d1: Decimal("100.00"), d2: Decimal("50.00")}, "S02": {d2: Decimal("50.00")}},
    )
    found = {(b["data-label"], b["data-day"]): b for b in bars(svg)}
    assert set(found) == {("S01", "2026-11-01"), ("S01", "2026-11-02"), ("S02", "2026-11-02")}
    # day 2 totals 100, like day 1: its two halves stack to the same height
    h = {k: float(b["height"]) for k, b in found.items()}
    assert h[("S01", "2026-11-02")] + h[("S02", "2026-11-02")] == h[("S01", "2026-11-01")]
    assert h[("S01", "2026-11-02")] == h[("S02", "2026-11-02")]


def test_column_chart_and_empty_chart() -> None:
    svg = charts.column_chart(
        "Mes a mes",
        [charts.Bar("2026-10", Decimal("10")), charts.Bar("2026-11", Decimal("40"))],
    )
    heights = [float(b["height"]) for b in bars(svg)]
    assert heights[1] == 4 * heights[0]
    empty = charts.bar_chart("Nada", [])
    assert bars(empty) == [] and "Sin datos en el periodo." in empty


def test_text_from_the_data_is_escaped() -> None:
    evil = '<script>alert(1)</script>"&'
    svg = charts.bar_chart(evil, [charts.Bar(evil, Decimal("1"), money=False)])
    other = charts.stacked_days(
        "x",
        [dt.date(2026, 1, 1)],
        {"<img src=x onerror=alert(2)>": {dt.date(2026, 1, 1): Decimal(1)}},
    )
    assert bars(other)[0]["data-label"] == "<img src=x onerror=alert(2)>"
    svg += other
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;" in svg
    labels = [b["data-label"] for b in bars(svg.split("</svg>")[0] + "</svg>")]
    assert labels[0] == evil  # the parsed attribute is the original text, as text
    assert not re.search(r"<(?!/?(svg|title|text|rect|line)\b)", svg)


def test_a_hundred_sedes_stack_as_the_seven_biggest_and_the_others() -> None:
    days = [dt.date(2026, 11, d) for d in (27, 28, 29)]
    series = {
        f"S{n:02d}": {d: Decimal(n * 10 + i) for i, d in enumerate(days)} for n in range(1, 101)
    }
    svg = charts.stacked_days("Ventas por sede y día", days, series, year=2026)
    found = bars(svg)
    labels = list(dict.fromkeys(b["data-label"] for b in found))
    assert labels == ["S100", "S99", "S98", "S97", "S96", "S95", "S94", "Otras (93 sedes)"]
    for i, d in enumerate(days):  # every sede's sales are still in the day's column
        day_total = sum(Decimal(b["data-value"]) for b in found if b["data-day"] == d.isoformat())
        assert day_total == sum(Decimal(n * 10 + i) for n in range(1, 101))
    legend = re.findall(r'<text class="lbl" x="([\d.]+)" y="\d+">([^<]+)</text>', svg)
    names = [name for _, name in legend if not re.fullmatch(r"[\d/]+", name)]
    assert names == labels  # one legend entry per colour, all within the chart's width
    assert max(float(x) for x, _ in legend) + 16 * 7 < charts.WIDE


def test_up_to_eight_sedes_keep_their_own_colours_and_order() -> None:
    days = [dt.date(2026, 11, 29)]
    series = {f"S{n:02d}": {days[0]: Decimal(n)} for n in range(1, 9)}
    labels = [b["data-label"] for b in bars(charts.stacked_days("x", days, series, year=2026))]
    assert labels == list(series)
