"""Export: the peak memory of producing each CSV export, the balances of one location and the
history of one location, at 10,000 rows and again at 1,000,000. Each export runs in this
process through its own URL and view (as a server would run it) and its streamed body is
consumed block by block and thrown away (as a server sends it). Streaming holds one chunk at a
time, so the peak must not grow with the export: the figure is the peak at 1M rows over the
peak at 10k, target ≤ 1.5.

Peak memory is what tracemalloc saw allocated by Python during the export (it cannot see
memory that libpq holds for a query result). The note adds the process's peak resident memory
(VmHWM, reset before each export), which sees every allocation, the C library's included. The
second figure per export is its throughput, rows per second at 1M over at 10k: the cost of a
row must not grow with the export either (each chunk is one short indexed query)."""

import dataclasses
import re
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils.http import urlencode

from inventory.management.benchmark.context import Context
from inventory.management.benchmark.export_fill import analyze_items, fill_export_stock
from inventory.management.benchmark.ledger_fill import vacuum_analyze
from inventory.management.benchmark.report import Row

SCALES = (10_000, 1_000_000)
QUICK_SCALES = (10_000, 100_000)  # both above CHUNK_SIZE: full chunks at both scales
SMALL_RUNS = 3  # a 10k export takes a fraction of a second: median of a few


@dataclass(frozen=True)
class Export:
    name: str
    url_name: str


EXPORTS = [
    Export("balances CSV of one location", "exports:balances"),
    Export("history CSV of one location", "admin:inventory_adjustmentline_export"),
]


@dataclass(frozen=True)
class Measured:
    rows: int
    megabytes: float  # size of the CSV
    peak_python_mb: float  # tracemalloc's peak during the export
    peak_rss_mb: float | None  # growth of the process's resident peak; None where unknown
    rows_per_second: float
    first_rows_ms: float  # until the first block of rows (after the header) arrived


def run(context: Context) -> list[Row]:
    small, large = QUICK_SCALES if context.quick else SCALES
    small_location, large_location = fill_export_stock(small=small, large=large)
    vacuum_analyze()
    analyze_items()
    user = get_user_model().objects.create_superuser("export-benchmark", "", None)
    rows = []
    for export in EXPORTS:
        url = reverse(export.url_name)
        at_small = _measure_repeatedly(f"{url}?{urlencode({'location': small_location.pk})}", user)
        at_large = _measure(f"{url}?{urlencode({'location': large_location.pk})}", user)
        for measured, expected in ((at_small, small), (at_large, large)):
            if measured.rows != expected:
                raise RuntimeError(f"{export.name}: {measured.rows:,} rows, not {expected:,}")
        rows += _rows(export, at_small, at_large)
    return rows


def _rows(export: Export, small: Measured, large: Measured) -> list[Row]:
    floor_measure = f"same export, {small.rows:,} rows"
    rss = (
        f"; process peak RSS +{large.peak_rss_mb:.1f} MB (+{small.peak_rss_mb:.1f} MB at"
        f" {small.rows:,})"
        if large.peak_rss_mb is not None and small.peak_rss_mb is not None
        else ""
    )
    return [
        Row(
            "export",
            f"{export.name}, {large.rows:,} rows: peak Python memory",
            large.peak_python_mb,
            "MB",
            floor=small.peak_python_mb,
            floor_measure=floor_measure,
            target="<= 1.5",
            note=f"{large.megabytes:,.0f} MB of CSV streamed{rss}",
        ),
        Row(
            "export",
            f"{export.name}, {large.rows:,} rows: throughput",
            large.rows_per_second,
            "rows/s",
            floor=small.rows_per_second,
            floor_measure=floor_measure,
            target=">= 0.5",
            note=(
                f"first rows after {large.first_rows_ms:.0f} ms"
                f" ({small.first_rows_ms:.0f} ms at {small.rows:,})"
            ),
        ),
    ]


def _measure(url: str, user, *, traced: bool = True) -> Measured:
    """Time the export once, untraced (tracing slows Python several times over); then, if
    `traced`, run it again under tracemalloc for its peak."""
    rss_before = _rss_mb("VmRSS") if _reset_rss_peak() else None
    started = time.perf_counter()
    first_rows = None
    rows = size = 0
    for number, block in enumerate(_stream(url, user)):
        if number == 1:
            first_rows = time.perf_counter() - started
        rows += block.count(b"\n")
        size += len(block)
    seconds = time.perf_counter() - started
    rss_peak = _rss_mb("VmHWM")
    return Measured(
        rows=rows - 1,  # the header
        megabytes=size / 1e6,
        peak_python_mb=_traced_peak_mb(url, user) if traced else 0.0,
        peak_rss_mb=None if rss_peak is None or rss_before is None else rss_peak - rss_before,
        rows_per_second=(rows - 1) / seconds,
        first_rows_ms=(first_rows or seconds) * 1000,
    )


def _traced_peak_mb(url: str, user) -> float:
    tracemalloc.start()
    try:
        for _ in _stream(url, user):
            pass
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _stream(url: str, user):
    """The view's streamed body, block by block: the URL resolved and its view called as the
    request handler would (the admin's login check included), minus the middleware."""
    request = RequestFactory().get(url)
    request.user = user
    match = resolve(urlsplit(url).path)
    response = match.func(request, *match.args, **match.kwargs)
    if response.status_code != 200 or not response.streaming:
        raise RuntimeError(f"GET {url}: {response.status_code}, streaming={response.streaming}")
    return response.streaming_content


def _measure_repeatedly(url: str, user) -> Measured:
    """A small export takes a fraction of a second: its speed is the median of a few runs, its
    memory that of the first (the only one traced)."""
    runs = [_measure(url, user)] + [
        _measure(url, user, traced=False) for _ in range(SMALL_RUNS - 1)
    ]
    return dataclasses.replace(
        runs[0],
        rows_per_second=statistics.median(run.rows_per_second for run in runs),
        first_rows_ms=statistics.median(run.first_rows_ms for run in runs),
    )


def _rss_mb(field: str) -> float | None:
    """VmRSS (resident now) or VmHWM (resident peak) of this process, in MB; None off Linux."""
    try:
        with open("/proc/self/status") as status:
            found = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) / 1000 if found else None


def _reset_rss_peak() -> bool:
    """Linux resets VmHWM to the current RSS when "5" is written to clear_refs; False when the
    peak could not be reset (then it is the whole process's, and says nothing)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True
