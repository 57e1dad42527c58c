"""Load-generating client processes. Standard library only: they run in spawned processes that
never set Django up, so their CPU goes to sending requests, not to importing the project."""

import http.client
import json
import random
import time
from dataclasses import dataclass, field


@dataclass
class ClientResult:
    completed: int = 0
    errors: dict[int, int] = field(default_factory=dict)  # status → count, for non-2xx
    accepted_deltas: dict[str, int] = field(default_factory=dict)  # sku → sum of 2xx deltas


def run_client(
    *,
    base_url: str,
    token: str,
    skus: list[str],
    location_id: int,
    adjust: bool,
    start_at: float,
    stop_at: float,
    seed: int,
) -> ClientResult:
    """Until `stop_at`, send one request after the other on a keep-alive connection: a ping, or
    a one-line relative adjustment of a random hot item by ±1 (its delta is counted only when
    the server accepted it, for the lost-update check)."""
    rng = random.Random(seed)
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    result = ClientResult()
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < stop_at:
        if adjust:
            sku, delta = rng.choice(skus), rng.choice((-1, 1))
            body = {"items": [{"location_id": location_id, "sku": sku, "quantity": delta}]}
            connection.request(
                "POST", "/api/v3/inventory/adjustments/relative", json.dumps(body), headers
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
    return result
