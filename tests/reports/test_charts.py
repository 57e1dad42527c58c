"""The SVG drawing on its own (no database): well-formed, escaped, marked, bounded in size."""

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest

from inventory.reports.chart_time import MAX_TIME_LABELS, time_ticks
from inventory.reports.charts import (
    Band,
    BarSeries,
    Marker,
    StockSeries,
    daily_bars_svg,
    nice_scale,
    stock_chart_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def series(**overrides) -> StockSeries:
    fields = {
        "start": NOW - timedelta(days=30),
        "end": NOW,
        "start_value": 0,
        "steps": [(NOW - timedelta(days=20), 12), (NOW - timedelta(days=5), 9)],
        "markers": [
            Marker(NOW - timedelta(days=20), 12, 12, "2025-02-20 · boss\nOpening stock", "/a/1/"),
            Marker(NOW - timedelta(days=5), 9, -3, "2025-03-07 · API: Shop\nOrder 1001", "/a/2/"),
        ],
        "warning_level": 5,
    }
    return StockSeries(**(fields | overrides))


def markers(root: ET.Element) -> list[ET.Element]:
    return [node for node in root.iter() if "sc-marker" in node.get("class", "")]


def test_the_chart_is_well_formed_svg_that_fills_the_width():
    root = parse(stock_chart_svg(series()))

    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "100%"
    assert root.get("role") == "group"  # not "img": that would hide the markers' cards
    assert root.get("aria-label") == "On-hand over time"
    assert root.find(f"{SVG}title").text == "On-hand over time"
    # The stretched plot has a viewBox; the outer SVG has none, so its text never scales.
    plot = root.find(f"{SVG}svg")
    assert plot.get("viewBox").startswith("0 0 ")
    assert plot.get("preserveAspectRatio") == "none"
    assert root.get("viewBox") is None


XHTML = "{http://www.w3.org/1999/xhtml}"


def card(marker: ET.Element) -> ET.Element:
    """The card a marker shows when tapped, hovered or focused."""
    (box,) = [node for node in marker.iter() if node.get("class") == "sc-tip-box"]
    return box


def card_lines(marker: ET.Element) -> list[str]:
    return ["".join(p.itertext()) for p in card(marker).iter(f"{XHTML}p")]


def card_links(marker: ET.Element) -> list[str]:
    return [a.get("href") for a in card(marker).iter(f"{XHTML}a")]


def test_each_marker_says_who_when_and_why_and_links_to_its_adjustment():
    root = parse(stock_chart_svg(series()))

    found = markers(root)
    assert [marker.get("aria-label") for marker in found] == [
        "2025-02-20 · boss; Opening stock",
        "2025-03-07 · API: Shop; Order 1001",
    ]
    assert [card_lines(marker) for marker in found] == [
        ["2025-02-20 · boss", "Opening stock", "Open this adjustment"],
        ["2025-03-07 · API: Shop", "Order 1001", "Open this adjustment"],
    ]
    assert [card_links(marker) for marker in found] == [["/a/1/"], ["/a/2/"]]
    assert ["sc-up" in m.get("class") for m in found] == [True, False]
    assert ["sc-down" in m.get("class") for m in found] == [False, True]


def test_a_marker_is_a_focusable_tap_target_a_finger_wide():
    root = parse(stock_chart_svg(series()))

    for marker in markers(root):
        assert marker.get("tabindex") == "0"  # a tap, a click or Tab focuses it: CSS shows the card
        (target,) = [node for node in marker if node.get("class") == "sc-hit"]
        assert float(target.get("r")) * 2 >= 44


def test_a_card_sits_in_the_other_half_from_its_marker():
    early_high = Marker(NOW - timedelta(days=29), 12, 12, "early, high", "/a/1/")
    late_low = Marker(NOW - timedelta(days=1), 1, -11, "late, low", "/a/2/")
    root = parse(stock_chart_svg(series(markers=[early_high, late_low])))

    places = [
        next(node.get("class") for node in m.iter() if "sc-tip-place" in node.get("class", ""))
        for m in markers(root)
    ]
    assert places == ["sc-tip-place sc-tip-right sc-tip-low", "sc-tip-place"]


def test_every_dot_is_drawn_before_any_card():
    root = parse(stock_chart_svg(series()))

    order = [node.get("class", "") for node in root.iter()]
    last_dot = max(n for n, css in enumerate(order) if "sc-dot" in css)
    first_card = min(n for n, css in enumerate(order) if "sc-tip-box" in css)
    assert last_dot < first_card  # no later marker's dot shows through an open card
    assert len([css for css in order if "sc-dot" in css]) == 2


def test_a_marker_without_an_adjustment_to_open_has_no_link():
    root = parse(stock_chart_svg(series(markers=[Marker(NOW, 3, 0, "settings", "")])))

    (marker,) = markers(root)
    assert card_lines(marker) == ["settings"]
    assert card_links(marker) == []


def test_text_from_users_is_escaped():
    reason = '<script>alert("x")</script> & <b>'
    svg = stock_chart_svg(
        series(
            markers=[Marker(NOW, 3, -1, reason, '/a/?x="1"&y=<2>')],
            label="On-hand of <SKU> & co",
        )
    )

    assert "<script" not in svg
    assert "<b>" not in svg
    root = parse(svg)
    (marker,) = markers(root)
    assert marker.get("aria-label") == reason
    assert card_lines(marker)[0] == reason
    assert card_links(marker) == ['/a/?x="1"&y=<2>']
    assert root.get("aria-label") == "On-hand of <SKU> & co"


def test_the_step_line_holds_each_value_until_the_next_change():
    root = parse(stock_chart_svg(series()))

    line = next(node for node in root.iter(f"{SVG}polyline"))
    points = [tuple(map(float, pair.split(","))) for pair in line.get("points").split()]
    # start, then a horizontal and a vertical segment per step, then on to the right edge
    assert len(points) == 1 + 2 * 2 + 1
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert xs == sorted(xs)
    assert xs[0] == 0
    assert xs[-1] == 1000
    assert ys[1] == ys[0]
    assert ys[3] == ys[2]
    assert xs[1] == xs[2]
    assert xs[3] == xs[4]
    assert ys[2] < ys[0]  # 0 → 12 goes up (SVG y grows downwards)


def test_the_line_never_steps_back_in_time():
    # Two transactions whose clocks read in the other order than they committed.
    steps = [(NOW - timedelta(hours=1), 5), (NOW - timedelta(hours=1, seconds=1), 7)]
    root = parse(stock_chart_svg(series(steps=steps, markers=[])))

    line = next(node for node in root.iter(f"{SVG}polyline"))
    xs = [float(pair.split(",")[0]) for pair in line.get("points").split()]
    assert xs == sorted(xs)


def test_warning_level_and_zero_lines():
    with_warning = parse(stock_chart_svg(series(warning_level=5)))
    without = parse(stock_chart_svg(series(warning_level=0)))

    def classes(root):
        return [node.get("class") for node in root.iter(f"{SVG}line")]

    assert classes(with_warning).count("sc-warning") == 1
    assert classes(with_warning).count("sc-zero") == 1
    assert "sc-warning" not in classes(without)
    assert classes(without).count("sc-zero") == 1


def test_negative_stock_brings_the_zero_line_inside_the_plot():
    root = parse(stock_chart_svg(series(steps=[(NOW - timedelta(days=1), -4)], markers=[])))

    labels = [node.text for node in root.iter(f"{SVG}text")]
    assert "0" in labels
    assert any(label.startswith("-") for label in labels)


def test_grouped_changes_are_shaded_with_their_range():
    band = Band(NOW - timedelta(days=25), NOW - timedelta(days=21), low=2, high=40)
    root = parse(stock_chart_svg(series(bands=[band])))

    rects = [node for node in root.iter(f"{SVG}rect") if node.get("class") == "sc-band"]
    assert len(rects) == 1
    # the scale reaches the band's high, not only the values the line visits
    assert (
        max(
            int(node.text.replace(",", ""))
            for node in root.iter(f"{SVG}text")
            if node.text.replace(",", "").lstrip("-").isdigit()
        )
        >= 40
    )


def test_an_empty_history_says_so():
    root = parse(stock_chart_svg(series(steps=[], markers=[], start_value=7)))

    assert "No stock changes in this period" in [node.text for node in root.iter(f"{SVG}text")]


def test_the_size_is_bounded_by_markers_and_bands_not_by_history():
    many = series(
        steps=[(NOW - timedelta(hours=n), n % 50) for n in range(90, 0, -1)],
        markers=[
            Marker(NOW - timedelta(hours=n), n % 50, -1, "x" * 120, f"/admin/a/{n}/")
            for n in range(30, 0, -1)
        ],
        bands=[
            Band(NOW - timedelta(hours=n + 1), NOW - timedelta(hours=n), 0, 99)
            for n in range(90, 30, -1)
        ],
    )

    assert len(stock_chart_svg(many)) < 45_000  # each marker carries its card


@pytest.mark.parametrize(
    "span",
    [
        timedelta(seconds=30),
        timedelta(minutes=7),
        timedelta(hours=5),
        timedelta(days=2),
        timedelta(days=30),
        timedelta(days=90),
        timedelta(days=365),
        timedelta(days=3000),
    ],
)
def test_time_labels_fall_inside_the_range_in_order_and_few(span):
    ticks = time_ticks(NOW - span, NOW)

    assert ticks == sorted(ticks)
    assert all(NOW - span <= tick <= NOW for tick in ticks)
    assert 1 <= len(ticks) <= MAX_TIME_LABELS


@pytest.mark.parametrize(
    ("low", "high"), [(0, 0), (0, 7), (0, 15), (-3, 47), (0, 1234), (5, 2_000_000_000)]
)
def test_the_quantity_scale_has_round_steps_and_covers_zero_and_the_data(low, high):
    scale = nice_scale(low, high)

    assert scale.low <= min(low, 0)
    assert scale.high >= high
    assert str(scale.step).strip("0") in {"1", "2", "5"}
    assert scale.low % scale.step == 0
    assert scale.high % scale.step == 0
    assert len(scale.ticks()) <= 6


def test_daily_bars_stack_sources_and_explain_each_day():
    days = [date(2025, 3, 1) + timedelta(days=n) for n in range(30)]
    api = [0] * 30
    admin = [0] * 30
    api[3], admin[3], api[29] = 4, 1, 2
    svg = daily_bars_svg(
        days=days,
        series=[BarSeries("API", api, "#0072B2"), BarSeries("Admin", admin, "#E69F00")],
        label="Adjustments per day",
    )

    root = parse(svg)
    bars = [group for group in root.iter(f"{SVG}g") if group.find(f"{SVG}title") is not None]
    assert [bar.find(f"{SVG}title").text for bar in bars] == [
        "Tue 4 Mar: 5 (4 API, 1 Admin)",
        "Sun 30 Mar: 2 (2 API)",
    ]
    assert [len(bar.findall(f"{SVG}rect")) for bar in bars] == [2, 1]
    labels = [node.text for node in root.iter(f"{SVG}text")]
    assert "30 Mar" in labels  # the latest day is always labelled


def test_daily_bars_without_activity_say_so():
    days = [date(2025, 3, 1) + timedelta(days=n) for n in range(30)]
    root = parse(daily_bars_svg(days=days, series=[BarSeries("API", [0] * 30, "#000")], label="x"))

    assert "No adjustments in this period" in [node.text for node in root.iter(f"{SVG}text")]
    assert not list(root.iter(f"{SVG}rect"))
