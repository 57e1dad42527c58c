"""Timing helpers: medians of repeated runs, with warm-up runs that are not counted."""

import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def paired_medians_ms(*works: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    """The median of each of `works`, run in turn within every repetition (a, b, a, b, …): a
    machine that speeds up or slows down during the run (a shared VM does) then weighs on each
    alike, which one block of runs after the other would not."""
    for _ in range(warmup):
        for work in works:
            work()
    samples: list[list[float]] = [[] for _ in works]
    for _ in range(repeat):
        for work, times in zip(works, samples, strict=True):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
    return [statistics.median(times) for times in samples]


@contextmanager
def settled_heap() -> Iterator[None]:
    """Collect the garbage, then freeze what survives until the block ends, as a server process
    freezes what it loaded (`wsgi.py`). A timed block in this long-lived process would otherwise
    pay for full collections walking everything the earlier sections and setup left, which
    landed in the timed stocktake applies (README, Performance)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
