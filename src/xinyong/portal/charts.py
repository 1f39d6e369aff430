"""Bar charts as inline SVG, drawn here rather than by a charting library: a page needs no script, the
chart scales with the text, prints, and carries a title and description for screen readers (each chart
sits next to a table with the same numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from itertools import count

from markupsafe import Markup

_ids = count(1)
#: Series colours (CSS classes in portal.css), chosen to stay apart for colour-blind readers.
SERIES_CLASSES = ("s1", "s2", "s3", "s4")


@dataclass(frozen=True, slots=True)
class Series:
    """One series of values, one per category."""

    name: str
    values: Sequence[float]


def _nice_max(value: float) -> float:
    # Counts: the axis tops out at a round whole number no lower than 4.
    if value <= 4:
        return 4.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        top = round(step * magnitude, 6)
        if top >= value and float(top).is_integer():
            return float(top)
    return float(10 * magnitude)


def _intervals(top: float) -> int:
    # As many gridlines as divide the top into whole numbers, five when they can.
    for n in (5, 4, 6, 3):
        if (top / n).is_integer():
            return n
    return 4


def empty(series: Sequence[Series]) -> bool:
    """Whether every value is zero (a chart of nothing is left out; its table says so)."""
    return not any(v for s in series for v in s.values)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or value >= 100 else f"{value:,.1f}"


def column_chart(title: str, description: str, categories: Sequence[str], series: Sequence[Series]) -> Markup:
    """Vertical bars, one group per category (months along the bottom)."""
    uid = next(_ids)
    width, height = 720, 270
    left, right, top, bottom = 48, 12, 16, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for s in series for v in s.values), default=0))
    group_w = plot_w / max(len(categories), 1)
    bar_w = max(2.0, (group_w * 0.8) / max(len(series), 1))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart{uid}-t chart{uid}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart{uid}-t">{escape(title)}</title><desc id="chart{uid}-d">{escape(description)}</desc>',
    ]
    steps = _intervals(top_value)
    for i in range(steps + 1):
        value = top_value * i / steps
        y = top + plot_h - plot_h * i / steps
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>')
    for ci, category in enumerate(categories):
        x0 = left + ci * group_w + group_w * 0.1
        for si, s in enumerate(series):
            value = s.values[ci]
            h = plot_h * value / top_value
            x = x0 + si * bar_w
            css = SERIES_CLASSES[si % len(SERIES_CLASSES)]
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}">'
                f"<title>{escape(s.name)} · {escape(category)}: {_number(value)}</title></rect>"
            )
        label_x = left + ci * group_w + group_w / 2
        parts.append(
            f'<text class="axis" x="{label_x:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{escape(category[-5:])}</text>"
        )
    parts.append(_legend(series, left, height - 8))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text above is escaped


def bar_chart(title: str, description: str, categories: Sequence[str], series: Sequence[Series]) -> Markup:
    """Horizontal bars, one group per category (long labels such as measures down the side)."""
    uid = next(_ids)
    label_w, right, top = 340, 56, 8
    row_h = 14 * max(len(series), 1) + 10
    width = 860
    height = top + row_h * max(len(categories), 1) + 28
    plot_w = width - label_w - right
    top_value = _nice_max(max((v for s in series for v in s.values), default=0))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart{uid}-t chart{uid}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart{uid}-t">{escape(title)}</title><desc id="chart{uid}-d">{escape(description)}</desc>',
    ]
    for ci, category in enumerate(categories):
        y0 = top + ci * row_h
        text = _fit(category, label_w - 16)
        parts.append(
            f'<text class="label" x="{label_w - 8}" y="{y0 + row_h / 2 + 4:.1f}" text-anchor="end">'
            f"<title>{escape(category)}</title>{escape(text)}</text>"
        )
        for si, s in enumerate(series):
            value = s.values[ci]
            w = plot_w * value / top_value
            y = y0 + 5 + si * 14
            css = SERIES_CLASSES[si % len(SERIES_CLASSES)]
            parts.append(f'<rect class="{css}" x="{label_w}" y="{y}" width="{max(w, 0.5):.1f}" height="12"/>')
            parts.append(f'<text class="value" x="{label_w + w + 4:.1f}" y="{y + 10}">{_number(value)}</text>')
    parts.append(_legend(series, label_w, height - 8))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text above is escaped


def _text_width(text: str) -> float:
    # Chinese characters take about a full em at 13px, Latin letters a little over half of one.
    return sum(13.0 if ord(ch) > 0x2E7F else 7.0 for ch in text)


def _fit(text: str, width: float) -> str:
    """The text cut to about `width` pixels, with an ellipsis when cut (the full text is in its tooltip)."""
    if _text_width(text) <= width:
        return text
    kept = ""
    for ch in text:
        if _text_width(kept + ch + "…") > width:
            break
        kept += ch
    return kept + "…"


def _legend(series: Sequence[Series], x: float, y: float) -> str:
    parts = []
    for si, s in enumerate(series):
        css = SERIES_CLASSES[si % len(SERIES_CLASSES)]
        parts.append(f'<rect class="{css}" x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10"/>')
        parts.append(f'<text class="legend" x="{x + 14:.1f}" y="{y:.1f}">{escape(s.name)}</text>')
        x += 24 + _text_width(s.name)
    return "".join(parts)
