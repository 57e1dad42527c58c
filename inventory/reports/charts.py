"""Server-side SVG charts for the back office: on-hand over time (a step line with the
adjustments marked) and adjustments per day by source (stacked bars).

Pure functions: plain data in, an SVG string out, every text escaped; nothing here touches the
database, so the drawing is tested without one. No JavaScript (the Content-Security-Policy would
refuse an inline script anyway): hovering a bar shows its <title>, the browser's own tooltip. A
marker is focusable, so a tap on a phone, a click or the Tab key shows its card (who, when, why,
and a link to the adjustment) through CSS alone, and hovering shows it too; see `_marker`.

Geometry. The outer <svg> is `width="100%"` with a height in CSS pixels (HEIGHT, or whatever the
page's CSS sets) and no viewBox of its own, so its text keeps a legible 12 px at any size (one
scaled viewBox would shrink 12 px labels to 5 px on a 390 px phone, or blow them up on a
desktop). Positions are percentages of the width and of the height. The step line, its shading and the bars sit in
a nested <svg> whose viewBox is stretched over the plot (`preserveAspectRatio="none"`), with
non-scaling strokes so lines stay 2 px wide whatever the stretch.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

from inventory.reports.chart_time import tick_text, time_ticks

# Layout, in CSS pixels (vertical) and percent of the width (horizontal).
HEIGHT = 250
TOP = 16  # room for the topmost y label above its grid line
PLOT_HEIGHT = 196
X_LABEL_Y = TOP + PLOT_HEIGHT + 20
LEFT, RIGHT = 1.0, 99.0  # plot edges: room for half a marker at either end
UNITS = 1000  # width of the nested viewBox
MARKER_RADIUS = 5
TAP_RADIUS = 22  # a marker's invisible tap target: 44 px across, a finger's width

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999"]

# Class names are prefixed: a <style> inside inline SVG applies to the whole page.
STYLE = """<style>
.sc-text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;fill:var(--body-quiet-color,#555);paint-order:stroke;stroke:var(--body-bg,#fff);stroke-width:3px;stroke-linejoin:round}
.sc-grid{stroke:var(--hairline-color,#ddd);stroke-width:1}
.sc-zero{stroke:var(--body-fg,#333);stroke-width:1}
.sc-warning{stroke:#b45309;stroke-width:1.5;stroke-dasharray:6 4}
.sc-line{fill:none;stroke:var(--secondary,#417690);stroke-width:2}
.sc-area{fill:var(--secondary,#417690);fill-opacity:.1;stroke:none}
.sc-band{fill:var(--secondary,#417690);fill-opacity:.28}
.sc-dot{stroke:var(--body-bg,#fff);stroke-width:1.5}
.sc-dot.sc-up{fill:#15803d}.sc-dot.sc-down{fill:#b91c1c}.sc-dot.sc-same{fill:#6b7280}
.sc-marker{outline:none;cursor:pointer;-webkit-tap-highlight-color:transparent}
.sc-hit{fill:transparent}
.sc-ring{fill:none;stroke:none;pointer-events:none}
.sc-marker:is(:hover,:focus-within) .sc-ring{stroke:var(--body-fg,#333);stroke-width:2}
.sc-marker:focus-visible .sc-ring{stroke:var(--link-fg,#417893);stroke-width:3}
.sc-tip{display:none;overflow:visible;pointer-events:none}
.sc-marker:is(:hover,:focus-within) .sc-tip{display:inline}
.sc-chart:has(.sc-marker:hover) .sc-marker:not(:hover) .sc-tip{display:none}
.sc-marker:focus-within~.sc-marker .sc-hit{pointer-events:none}
.sc-tip-place{display:flex;align-items:flex-start;justify-content:flex-start;box-sizing:border-box;width:100%;height:100%;padding:2px;pointer-events:none}
.sc-tip-place.sc-tip-right{justify-content:flex-end}
.sc-tip-place.sc-tip-low{align-items:flex-end}
.sc-tip-box{box-sizing:border-box;max-width:min(24rem,100%);padding:6px 10px 0;border:1px solid var(--border-color,#ccc);border-radius:6px;background:var(--body-bg,#fff);color:var(--body-fg,#333);box-shadow:0 2px 10px rgba(0,0,0,.2);font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere;pointer-events:auto}
.sc-tip-box p{margin:0}.sc-tip-box p:first-child{font-weight:600}
.sc-tip-box a{display:inline-flex;align-items:center;min-height:44px}
.sc-tip-box:not(:has(a)){padding-bottom:6px}
.sc-empty{font-size:14px}
@media (max-width:520px){.sc-minor{display:none}}
</style>"""


@dataclass(frozen=True, slots=True)
class Marker:
    """One adjustment on the step line: on-hand just after it, and what its tooltip says."""

    at: datetime
    value: int
    delta: int
    title: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class Band:
    """Older changes drawn as one step: on-hand moved between `low` and `high` meanwhile."""

    start: datetime
    end: datetime
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class StockSeries:
    """On-hand over [start, end]: `start_value` at `start`, then each step's value from its
    moment on (in time order)."""

    start: datetime
    end: datetime
    start_value: int
    steps: Sequence[tuple[datetime, int]]
    markers: Sequence[Marker] = ()
    bands: Sequence[Band] = ()
    warning_level: int = 0
    label: str = "On-hand over time"


@dataclass(frozen=True, slots=True)
class BarSeries:
    """One stack layer of the daily bars: a source's count per day, and its colour."""

    label: str
    counts: Sequence[int]
    colour: str


@dataclass(frozen=True, slots=True)
class _Scale:
    """Maps quantities to pixels from the top of the plot."""

    low: int
    high: int
    step: int

    def y(self, value: float) -> float:
        return PLOT_HEIGHT * (self.high - value) / (self.high - self.low)

    def ticks(self) -> range:
        return range(self.low, self.high + 1, self.step)


def nice_scale(low: int, high: int, *, ticks: int = 4) -> _Scale:
    """A scale from ≤ `low` to ≥ `high` (always including 0) whose grid lines fall on round
    numbers: 1, 2 or 5 times a power of ten."""
    low, high = min(low, 0), max(high, 0)
    if high == low:
        high = low + 1
    raw = (high - low) / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return _Scale(
        low=math.floor(low / step) * step, high=math.ceil(high / step) * step, step=int(step)
    )


def stock_chart_svg(series: StockSeries) -> str:
    """On-hand as a step line over time, with the adjustments marked, the warning level dashed,
    the zero line solid, and older grouped changes shaded with the range they spanned."""
    span = max((series.end - series.start).total_seconds(), 1.0)

    def frac(moment: datetime) -> float:
        return min(max((moment - series.start).total_seconds() / span, 0.0), 1.0)

    values = [series.start_value, *(value for _, value in series.steps)]
    values += [band.low for band in series.bands] + [band.high for band in series.bands]
    scale = nice_scale(min(values), max(*values, series.warning_level))
    parts = [
        # A group, not an image: its markers are controls of their own.
        _open_svg(series.label, _describe_stock(series), role="group"),
        *_y_grid(scale),
        *_time_labels(series.start, series.end),
        _plot(_stock_plot(series, scale, frac)),
    ]
    if series.warning_level > 0:
        parts.append(_warning_line(scale, series.warning_level))
    points = [(frac(marker.at), TOP + scale.y(marker.value)) for marker in series.markers]
    parts.append(_dots(series.markers, points))
    parts += [_marker(marker, at) for marker, at in zip(series.markers, points, strict=True)]
    if not series.steps and not series.bands:
        parts.append(_note("No stock changes in this period"))
    parts.append("</svg>")
    return "".join(parts)


def daily_bars_svg(*, days: Sequence[date], series: Sequence[BarSeries], label: str) -> str:
    """Stacked bars, one per day; hovering a bar lists that day's counts per layer."""
    totals = [sum(layer.counts[n] for layer in series) for n in range(len(days))]
    scale = nice_scale(0, max(totals, default=0), ticks=3)
    slot = UNITS / max(len(days), 1)
    bars = []
    for n, day in enumerate(days):
        if totals[n]:
            bars.append(_day_bar(day, n, slot, series, scale))
    plot = _plot("".join(bars))
    parts = [_open_svg(label, f"{sum(totals)} adjustments in {len(days)} days."), *_y_grid(scale)]
    parts += [plot, *_day_labels(days)]
    if not any(totals):
        parts.append(_note("No adjustments in this period"))
    parts.append("</svg>")
    return "".join(parts)


# --- pieces ----------------------------------------------------------------------------------


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _y(pixels: float) -> str:
    """A height laid out for HEIGHT pixels, as a percentage: the page may make the chart
    taller (CSS `height`) and everything but the text stretches with it."""
    return f"{pixels / HEIGHT * 100:.2f}%"


def _pct(fraction: float) -> str:
    return f"{LEFT + fraction * (RIGHT - LEFT):.2f}%"


def _open_svg(label: str, description: str, *, role: str = "img") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sc-chart" width="100%" height="{HEIGHT}"'
        f' role="{role}" aria-label="{_attr(label)}" style="display:block;overflow:visible">'
        f"<title>{escape(label)}</title><desc>{escape(description)}</desc>{STYLE}"
    )


def _plot(content: str) -> str:
    """The nested, stretched drawing area: x in 0..UNITS, y in pixels from the plot's top."""
    return (
        f'<svg x="{LEFT}%" y="{_y(TOP)}" width="{RIGHT - LEFT}%" height="{_y(PLOT_HEIGHT)}"'
        f' viewBox="0 0 {UNITS} {PLOT_HEIGHT}" preserveAspectRatio="none"'
        f' overflow="visible">{content}</svg>'
    )


def _y_grid(scale: _Scale) -> list[str]:
    """A grid line per tick, labelled at the left just above it (no margin needed)."""
    parts = []
    for value in scale.ticks():
        y = TOP + scale.y(value)
        css = "sc-zero" if value == 0 else "sc-grid"
        parts.append(f'<line class="{css}" x1="0" x2="100%" y1="{_y(y)}" y2="{_y(y)}"/>')
        parts.append(f'<text class="sc-text" x="0" y="{_y(y - 3)}">{value:,}</text>')
    return parts


def _stock_plot(series: StockSeries, scale: _Scale, frac) -> str:
    bands = []
    for band in series.bands:
        x0, x1 = frac(band.start) * UNITS, frac(band.end) * UNITS
        top, bottom = scale.y(band.high), scale.y(band.low)
        bands.append(
            f'<rect class="sc-band" x="{x0:.1f}" width="{max(x1 - x0, 2):.1f}"'
            f' y="{top - 1:.1f}" height="{bottom - top + 2:.1f}"/>'
        )
    points = [(0.0, scale.y(series.start_value))]
    for moment, value in series.steps:
        # Never step back in time: two transactions may commit in the other order than their
        # clocks read, a few milliseconds apart.
        x = max(frac(moment) * UNITS, points[-1][0])
        points += [(x, points[-1][1]), (x, scale.y(value))]
    points.append((float(UNITS), points[-1][1]))
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    zero = scale.y(0)
    area = f"0,{zero:.1f} {line} {UNITS},{zero:.1f}"
    return (
        f'<polygon class="sc-area" points="{area}"/>{"".join(bands)}'
        f'<polyline class="sc-line" points="{line}" vector-effect="non-scaling-stroke"/>'
    )


def _warning_line(scale: _Scale, level: int) -> str:
    """Dashed, unlabelled (the legend names it): a label at either end would sit on the
    newest or the oldest markers."""
    y = _y(TOP + scale.y(level))
    return (
        f'<g><title>Warning level {level:,}</title><line class="sc-warning" x1="0" x2="100%"'
        f' y1="{y}" y2="{y}"/></g>'
    )


def _direction(marker: Marker) -> str:
    return "sc-up" if marker.delta > 0 else "sc-down" if marker.delta < 0 else "sc-same"


def _dots(markers: Sequence[Marker], points: Sequence[tuple[float, float]]) -> str:
    """Every marker's dot, drawn below all the markers' cards so no dot shows through one."""
    dots = "".join(
        f'<circle class="sc-dot {_direction(marker)}" cx="{_pct(x)}" cy="{_y(y)}"'
        f' r="{MARKER_RADIUS}"/>'
        for marker, (x, y) in zip(markers, points, strict=True)
    )
    return f'<g aria-hidden="true">{dots}</g>'


def _marker(marker: Marker, at: tuple[float, float]) -> str:
    """A marker's tap target and its card. The target is focusable, so a tap (or a click, or
    Tab) focuses it and CSS shows the card while it or the card's link has the focus; the card
    holds the link, next in the Tab order. Cards sit in the plot's other half from their marker
    (left or right, top or bottom), so a card never hides its own marker. A later marker is drawn
    over an earlier one's card: while a card is open, later markers let taps through to it."""
    x, y = at
    cx, cy = _pct(x), _y(y)
    place = "sc-tip-place"
    if x < 0.5:
        place += " sc-tip-right"
    if y < TOP + PLOT_HEIGHT / 2:
        place += " sc-tip-low"
    lines = marker.title.split("\n")
    text = "".join(f"<p>{escape(line)}</p>" for line in lines)
    link = f'<p><a href="{_attr(marker.url)}">Open this adjustment</a></p>' if marker.url else ""
    return (
        f'<g class="sc-marker {_direction(marker)}" tabindex="0" role="group"'
        f' aria-label="{_attr("; ".join(lines))}">'
        f'<circle class="sc-hit" cx="{cx}" cy="{cy}" r="{TAP_RADIUS}"/>'
        f'<circle class="sc-ring" cx="{cx}" cy="{cy}" r="{MARKER_RADIUS + 3}"/>'
        f'<foreignObject class="sc-tip" x="0" y="{_y(TOP)}" width="100%"'
        f' height="{_y(PLOT_HEIGHT)}" overflow="visible">'
        f'<div xmlns="http://www.w3.org/1999/xhtml" class="{place}">'
        f'<div class="sc-tip-box">{text}{link}</div></div></foreignObject></g>'
    )


def _note(text: str) -> str:
    return (
        f'<text class="sc-text sc-empty" x="50%" y="{_y(TOP + PLOT_HEIGHT / 2)}"'
        f' text-anchor="middle">{escape(text)}</text>'
    )


def _label(fraction: float, text: str, *, minor: bool) -> str:
    anchor = "start" if fraction < 0.04 else "end" if fraction > 0.96 else "middle"
    css = "sc-text sc-minor" if minor else "sc-text"
    return (
        f'<text class="{css}" x="{_pct(fraction)}" y="{_y(X_LABEL_Y)}"'
        f' text-anchor="{anchor}">{escape(text)}</text>'
    )


# --- time axis -------------------------------------------------------------------------------


def _time_labels(start: datetime, end: datetime) -> list[str]:
    span = max(end - start, timedelta(seconds=1))
    ticks = time_ticks(start, end)
    return [
        _label((moment - start) / span, tick_text(moment, span), minor=n % 2 == 1)
        for n, moment in enumerate(ticks)
    ]


# --- bars ------------------------------------------------------------------------------------


def _day_bar(day: date, n: int, slot: float, series: Sequence[BarSeries], scale: _Scale) -> str:
    width = slot * 0.7
    x = n * slot + (slot - width) / 2
    rects, base = [], 0
    for layer in series:
        count = layer.counts[n]
        if not count:
            continue
        top, bottom = scale.y(base + count), scale.y(base)
        rects.append(
            f'<rect x="{x:.1f}" width="{width:.1f}" y="{top:.1f}" height="{bottom - top:.1f}"'
            f' fill="{_attr(layer.colour)}"/>'
        )
        base += count
    breakdown = ", ".join(f"{layer.counts[n]} {layer.label}" for layer in series if layer.counts[n])
    title = f"{day:%a} {day.day} {day:%b}: {base} ({breakdown})"
    return f"<g><title>{escape(title)}</title>{''.join(rects)}</g>"


def _day_labels(days: Sequence[date]) -> list[str]:
    """Every 7th day, counted back from the latest, so today is always labelled."""
    count = len(days)
    labels = []
    for n in range(count - 1, -1, -7):
        fraction = (n + 0.5) / count
        labels.append(_label(fraction, f"{days[n].day} {days[n]:%b}", minor=False))
    return labels


def _describe_stock(series: StockSeries) -> str:
    values = [series.start_value, *(value for _, value in series.steps)]
    now = values[-1]
    values += [band.low for band in series.bands] + [band.high for band in series.bands]
    return (
        f"From {series.start:%Y-%m-%d %H:%M} to {series.end:%Y-%m-%d %H:%M}: on-hand now {now},"
        f" lowest {min(values)}, highest {max(values)}, {len(series.markers)} adjustments marked."
    )
