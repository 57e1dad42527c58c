"""Load-generating client processes. Standard library only: they run in spawned processes that
never set Django up, so their CPU goes to sending requests, not to importing the project."""

import http.client
import json
import random
import time
from dataclasses import dataclass, field

Window = tuple[float, float, bool]  # (start, stop, adjust): a stretch of one kind of request


@dataclass
class ClientResult:
    completed: int = 0
    errors: dict[int, int] = field(default_factory=dict)  # status → count, for non-2xx
    accepted_deltas: dict[str, int] = field(default_factory=dict)  # sku → sum of 2xx deltas


def schedule(start_at: float, seconds: float, windows: int) -> list[Window]:
    """`windows` stretches of `seconds / windows`, pings and adjustments in the order A B B A
    A B B A …: a machine that speeds up or slows down during the run (a shared VM does) then
    weighs on both kinds alike, which one long stretch of each would not."""
    length = seconds / windows
    return [
        (start_at + n * length, start_at + (n + 1) * length, n % 4 in (1, 2))
        for n in range(windows)
    ]


def run_client(
    *,
    base_url: str,
    token: str,
    skus: list[str],
    location_id: int,
    windows: list[Window],
    seed: int,
) -> tuple[ClientResult, ClientResult]:
    """Through each window, send one request after the other on a keep-alive connection: pings,
    or one-line relative adjustments of a random hot item by ±1 (a delta is counted only when
    the server accepted it, for the lost-update check). Returns the pings' and the
    adjustments' results."""
    rng = random.Random(seed)
    # Every body this client can send, encoded once: the load generator shares the server's
    # CPUs, and what it spends on JSON per request would be charged to the adjustments.
    bodies = {
        (sku, delta): json.dumps(
            {"items": [{"location_id": location_id, "sku": sku, "quantity": delta}]}
        ).encode()
        for sku in skus
        for delta in (-1, 1)
    }
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    pings, adjustments = ClientResult(), ClientResult()
    for start, stop, adjust in windows:
        result = adjustments if adjust else pings
        time.sleep(max(0.0, start - time.time()))
        while time.time() < stop:
            if adjust:
                sku, delta = rng.choice(skus), rng.choice((-1, 1))
                connection.request(
                    "POST", "/api/v3/inventory/adjustments/relative", bodies[sku, delta], headers
                )
            else:
                connection.request("GET", "/api/v3/ping", headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                result.errors[response.status] = result.errors.get(response.status, 0) + 1
            elif adjust:
                result.accepted_deltas[sku] = result.accepted_deltas.get(sku, 0) + delta
            result.completed += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
    connection.close()
    return pings, adjustments
