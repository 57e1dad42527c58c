"""Load-generating client processes. Standard library only: they run in spawned processes that
never set Django up, so their CPU goes to sending requests, not to importing the project."""

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field

Window = tuple[float, float, str]  # (start, stop, kind): a stretch of one kind of request

# What each kind of request is: the authenticated no-op, our one-line relative adjustment, and
# the bare view that makes the same durable write with nothing around it (floor_views.py).
PING, ADJUST, BARE = "ping", "adjust", "bare"
PATHS = {
    PING: ("GET", "/api/v3/ping"),
    ADJUST: ("POST", "/api/v3/inventory/adjustments/relative"),
    BARE: ("POST", "/benchmark/bare-relative"),
}


@dataclass
class ClientResult:
    completed: int = 0
    errors: dict[int, int] = field(default_factory=dict)  # status → count, for non-2xx
    accepted_deltas: dict[str, int] = field(default_factory=dict)  # sku → sum of 2xx deltas


def schedule(start_at: float, seconds: float, windows: int, kinds: list[str]) -> list[Window]:
    """`windows` stretches of `seconds / windows`, the kinds taking turns in the order
    A B C C B A A B C …: a machine that speeds up or slows down during the run (a shared VM
    does) then weighs on every kind alike, which one long stretch of each would not."""
    length = seconds / windows
    order = kinds + kinds[::-1]
    return [
        (start_at + n * length, start_at + (n + 1) * length, order[n % len(order)])
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
) -> dict[str, ClientResult]:
    """Through each window, send one request after the other on a keep-alive connection: pings,
    or one-line relative adjustments of a random hot item by ±1 (a delta is counted only when
    the server accepted it, for the lost-update check). Returns each kind's results."""
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
    results = {kind: ClientResult() for _, _, kind in windows}
    for start, stop, kind in windows:
        result = results[kind]
        method, path = PATHS[kind]
        time.sleep(max(0.0, start - time.time()))
        while time.time() < stop:
            if method == "POST":
                sku, delta = rng.choice(skus), rng.choice((-1, 1))
                connection.request(method, path, bodies[sku, delta], headers)
            else:
                connection.request(method, path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                result.errors[response.status] = result.errors.get(response.status, 0) + 1
            elif method == "POST":
                result.accepted_deltas[sku] = result.accepted_deltas.get(sku, 0) + delta
            result.completed += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
    connection.close()
    return results


def buy_until_refused(
    *,
    base_url: str,
    token: str,
    sku: str,
    location_id: int,
    start_at: float,
    clients: int,
    kind: str = ADJUST,
) -> list[dict]:
    """`clients` buyers in threads of this process, from `start_at`: each sends one-unit sales
    of `sku` on its own keep-alive connection until one is refused. Returns each buyer's
    accepted count, refusals by status, and when it started and last had a sale accepted."""
    body = json.dumps({"items": [{"location_id": location_id, "sku": sku, "quantity": -1}]})
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    method, path = PATHS[kind]
    host, port = base_url.removeprefix("http://").split(":")
    results = [
        {"accepted": 0, "refused": {}, "started": start_at, "last_accepted": start_at}
        for _ in range(clients)
    ]

    def buyer(result: dict) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        time.sleep(max(0.0, start_at - time.time()))
        while True:
            connection.request(method, path, body.encode(), headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                result["refused"][response.status] = result["refused"].get(response.status, 0) + 1
                break
            result["accepted"] += 1
            result["last_accepted"] = time.time()
        connection.close()

    threads = [threading.Thread(target=buyer, args=(result,)) for result in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def warm(pool, processes: int) -> None:
    """Have every process of `pool` started before a schedule is set: spawning takes seconds on
    a loaded machine, and a client that starts late misses its first windows. Each submit with
    no idle process spawns one; a task long enough that no process takes two keeps the wait
    until the last one runs."""
    for future in [pool.submit(time.sleep, 1.0) for _ in range(processes)]:
        future.result()
