"""Server-side SVG charts of the dashboard: pure functions of already-computed figures.

Every text that reaches the SVG (sede codes, service names, payment methods) goes through
``esc``; every bar is a ``<rect class="bar">`` with ``data-label`` and ``data-value`` so tests
(and screen readers, via ``<title>``) can read the figures back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from domain.money import fmt_soles

PALETTE = ("#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#1b7c83", "#953800", "#57606a")
WIDTH = 640
#: the sales-by-day chart spans the whole row (about 1,290 px at 1366x768): drawn about that
#: wide, its text shows at the 12 px of the other charts instead of being scaled up to 18 px
WIDE = 1280
LABEL_W = 170
ROW_H = 26
#: characters of a bar's label that fit left of the bars (12 px text in LABEL_W); longer labels
#: end in "…" (the whole label stays in the bar's <title> and data-label)
LABEL_CHARS = 23


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    money: bool = True
    shown: str | None = None  # the text under a column when not the label ("nov. 2026")


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def soles(value: Decimal) -> str:
    """Amounts as the pages show them (es-PE): ``S/ 1,234.50``."""
    return fmt_soles(value)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _num(value: Decimal, money: bool) -> str:
    return soles(value) if money else f"{int(value):,}".replace(",", " ")


def _frame(title: str, height: int, body: list[str], width: int = WIDTH) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-label="{esc(title)}">'
        f"<title>{esc(title)}</title>" + "".join(body) + "</svg>"
    )


def _empty(title: str, width: int = WIDTH) -> str:
    text = '<text class="empty" x="10" y="35">Sin datos en el periodo.</text>'
    return _frame(title, 60, [text], width)


def bar_chart(title: str, bars: Sequence[Bar]) -> str:
    """Horizontal bars, one per row, scaled to the largest value."""
    if not bars:
        return _empty(title)
    top = max((b.value for b in bars), default=Decimal(0)) or Decimal(1)
    span = WIDTH - LABEL_W - 120
    body: list[str] = []
    for i, b in enumerate(bars):
        y = 8 + i * ROW_H
        w = max(Decimal(0), b.value) * span / top
        body.append(
            f'<text class="lbl" x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end">'
            f"{esc(clip(b.label, LABEL_CHARS))}</text>"
            f'<rect class="bar" x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW_H - 8}" '
            f'fill="{PALETTE[i % len(PALETTE)]}" data-label="{esc(b.label)}" '
            f'data-value="{b.value}"><title>{esc(b.label)}: {_num(b.value, b.money)}</title></rect>'
            f'<text class="val" x="{LABEL_W + float(w) + 6:.1f}" y="{y + 16}">'
            f"{_num(b.value, b.money)}</text>"
        )
    return _frame(title, 16 + len(bars) * ROW_H, body)


def column_chart(title: str, bars: Sequence[Bar]) -> str:
    """Vertical columns (months, categories) with the value over each column."""
    if not bars:
        return _empty(title)
    top = max((b.value for b in bars), default=Decimal(0)) or Decimal(1)
    height, plot = 240, 170
    slot = (WIDTH - 40) / len(bars)
    body: list[str] = []
    for i, b in enumerate(bars):
        h = float(max(Decimal(0), b.value) * plot / top)
        x = 20 + i * slot + slot * 0.15
        w = slot * 0.7
        y = 30 + plot - h
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{PALETTE[i % len(PALETTE)]}" data-label="{esc(b.label)}" '
            f'data-value="{b.value}"><title>{esc(b.label)}: {_num(b.value, b.money)}</title></rect>'
            f'<text class="val" x="{x + w / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle">'
            f"{_num(b.value, b.money)}</text>"
            f'<text class="lbl" x="{x + w / 2:.1f}" y="{30 + plot + 18}" text-anchor="middle">'
            f"{esc(clip(b.shown or b.label, 16))}</text>"
        )
    return _frame(title, height, body)


def day_labels(days: Sequence[dt.date], shown: Sequence[int], year: int | None) -> dict[int, str]:
    """The text under the columns at the indexes ``shown``: "28/11", with the year ("28/11/25")
    on the first label and on the first of each new year when the labels are not all of
    ``year`` (the current business year; None: always say it), so "02/01" after "31/12/25"
    cannot be read as a date of another year."""
    out: dict[int, str] = {}
    says_year = year is None or any(days[i].year != year for i in shown)
    previous: int | None = None
    for i in shown:
        d = days[i]
        out[i] = f"{d:%d/%m/%y}" if says_year and d.year != previous else f"{d:%d/%m}"
        previous = d.year
    return out


#: a stacked chart shows at most this many series; past it, the biggest ``MAX_SERIES - 1`` and
#: "Otras (N sedes)" (one colour per series, a legend that fits one line)
MAX_SERIES = len(PALETTE)
OTHERS_COLOUR = "#8c959f"


def top_series(series: dict[str, dict[dt.date, Decimal]]) -> dict[str, dict[dt.date, Decimal]]:
    """``series`` as given when there are at most ``MAX_SERIES``; else the ``MAX_SERIES - 1``
    with the largest totals (largest first) and one "Otras (N sedes)" summing the rest, so a
    chain of 100 sedes still reads as a few colours and a legend that fits."""
    if len(series) <= MAX_SERIES:
        return series
    total = {name: sum(values.values(), Decimal(0)) for name, values in series.items()}
    ranked = sorted(series, key=lambda name: (-total[name], name))
    kept = ranked[: MAX_SERIES - 1]
    others: dict[dt.date, Decimal] = {}
    for name in ranked[MAX_SERIES - 1 :]:
        for day, value in series[name].items():
            others[day] = others.get(day, Decimal(0)) + value
    out = {name: series[name] for name in kept}
    out[f"Otras ({len(ranked) - len(kept)} sedes)"] = others
    return out


def _colour(k: int, name: str) -> str:
    return OTHERS_COLOUR if name.startswith("Otras (") else PALETTE[k % len(PALETTE)]


def stacked_days(
    title: str,
    days: Sequence[dt.date],
    series: dict[str, dict[dt.date, Decimal]],
    *,
    year: int | None = None,
) -> str:
    """Sales by day (columns) stacked by sede (colours, with a legend); ``year`` is the
    current business year, whose dates go without it under the columns (``day_labels``)."""
    if not days or not series:
        return _empty(title, WIDE)
    series = top_series(series)
    totals = {d: sum((s.get(d, Decimal(0)) for s in series.values()), Decimal(0)) for d in days}
    top = max(totals.values()) or Decimal(1)
    height, plot, left = 270, 180, 60
    slot = (WIDE - left - 10) / len(days)
    body = [
        f'<text class="val axis" x="{left}" y="22">{esc(soles(top))}</text>',
        f'<line x1="{left}" y1="{30 + plot}" x2="{WIDE - 10}" y2="{30 + plot}" stroke="#999"/>',
    ]
    step = 1 if len(days) <= 16 else max(1, len(days) // 8)
    labels = day_labels(days, range(0, len(days), step), year)
    for i, d in enumerate(days):
        base = float(30 + plot)
        x = left + i * slot + slot * 0.1
        for k, (sede, values) in enumerate(series.items()):
            v = values.get(d, Decimal(0))
            if v <= 0:
                continue
            h = float(v * plot / top)
            base -= h
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{slot * 0.8:.1f}" '
                f'height="{h:.1f}" fill="{_colour(k, sede)}" data-label="{esc(sede)}" '
                f'data-day="{d.isoformat()}" data-value="{v}">'
                f"<title>{esc(sede)} {d:%d/%m/%Y}: {soles(v)}</title></rect>"
            )
        if i in labels:
            body.append(
                f'<text class="lbl" x="{x + slot * 0.4:.1f}" y="{30 + plot + 16}" '
                f'text-anchor="middle">{labels[i]}</text>'
            )
    for k, sede in enumerate(series):
        x = left + k * 140
        body.append(
            f'<rect x="{x}" y="{height - 22}" width="12" height="12" fill="{_colour(k, sede)}"/>'
            f'<text class="lbl" x="{x + 16}" y="{height - 12}">{esc(clip(sede, 16))}</text>'
        )
    return _frame(title, height, body, WIDE)
