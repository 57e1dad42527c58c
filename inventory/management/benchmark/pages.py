"""Timing pages through the running server: GETs over one kept-alive connection, each page's
median after warm-up runs, the pages taking turns."""

import http.client
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

WARMUP = 2


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    headers: dict[str, str]
    lists: str | None = None  # a filtered page must show this text (checked before timing)
    note: str = "newest first"


def page_medians(client: "KeptAliveClient", pages: list[Page], *, repeat: int) -> dict[str, float]:
    """Median time per page after two warm-up runs. The pages take turns, so that each one's
    samples spread over the whole measurement: a burst of load from elsewhere on the machine
    then moves every median a little rather than one a lot."""
    samples: dict[str, list[float]] = {page.name: [] for page in pages}
    for run in range(WARMUP + repeat):
        for page in pages:
            started = time.perf_counter()
            client.get(page.path, page.headers)
            if run >= WARMUP:
                samples[page.name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(times) for name, times in samples.items()}


class KeptAliveClient:
    """GETs over one kept-alive HTTP connection, so that connection setup does not count."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)

    def get(self, path: str, headers: dict[str, str]) -> bytes:
        try:
            return self._get(path, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closes a connection left idle for a few seconds (gunicorn's keep-alive
            # timeout), as it is while the ledger grows: connect again, once.
            self.connection.close()
            return self._get(path, headers)

    def _get(self, path: str, headers: dict[str, str]) -> bytes:
        self.connection.request("GET", path, headers=headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return body
