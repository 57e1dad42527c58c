"""Timing helpers: medians of repeated runs, with warm-up runs that are not counted."""

import statistics
import time
from collections.abc import Callable


def median_ms(work: Callable[[], object], *, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        work()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)
