"""Talking HTTP to a real server with nothing but the standard library.

Imports no Django: the load generator runs in spawned processes that never set Django up."""

import http.client
import json
import random
from dataclasses import dataclass
from urllib.parse import urlsplit

ABSOLUTE = "/api/v3/inventory/adjustments/absolute"
RELATIVE = "/api/v3/inventory/adjustments/relative"


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: object  # parsed JSON, or the raw text when it is not JSON
    headers: dict[str, str]


def call(
    base_url: str,
    method: str,
    path: str,
    *,
    token: str,
    body: object = None,
    idempotency_key: str | None = None,
    timeout: float = 30,
) -> Answer:
    """One request on a fresh connection. Connection errors propagate (OSError)."""
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    headers = {"X-Auth-Token": token, "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read().decode()
        try:
            parsed: object = json.loads(raw)
        except ValueError:
            parsed = raw
        return Answer(
            response.status,
            response.getheader("Content-Type", ""),
            parsed,
            dict(response.getheaders()),
        )
    finally:
        connection.close()


def adjust(base_url: str, token: str, kind: str, items: list[dict], **options) -> Answer:
    """`kind` is "absolute" (PUT) or "relative" (POST), as BigCommerce routes them."""
    method, path = ("PUT", ABSOLUTE) if kind == "absolute" else ("POST", RELATIVE)
    return call(base_url, method, path, token=token, body={"items": items}, **options)


def random_batches(
    seed: int, keys: list[tuple[str, int]], count: int
) -> list[tuple[str, list[dict]]]:
    """`count` batches of 1 to 20 distinct lines in random order over `keys` ((sku,
    location_id)): absolute ones set 0 to 30, relative ones add up to 6 or take up to 3 (a few
    find too little stock)."""
    rng = random.Random(seed)
    batches = []
    for _ in range(count):
        kind = rng.choice(["absolute", "relative"])
        chosen = rng.sample(keys, rng.randint(1, min(20, len(keys))))
        items = [
            {
                "sku": sku,
                "location_id": location_id,
                "quantity": rng.randint(0, 30)
                if kind == "absolute"
                else rng.choice([-3, -2, -1, 1, 2, 3, 4, 5, 6]),
            }
            for sku, location_id in chosen
        ]
        batches.append((kind, items))
    return batches


_start_line = None  # a multiprocessing.Barrier, in load-generating processes


def share_start_line(barrier) -> None:
    """Pool initializer: every load process gets the barrier that releases them together."""
    global _start_line
    _start_line = barrier


def send_batches(base_url: str, token: str, seed: int, keys: list, count: int) -> list:
    """A load-generating process: once every other one is ready too (so their batches
    overlap), sends its batches one after another and returns, per batch, (kind, items,
    status, body). Module-level, so a spawned process can import and run it."""
    if _start_line is not None:
        _start_line.wait(timeout=60)
    results = []
    for kind, items in random_batches(seed, [tuple(key) for key in keys], count):
        answer = adjust(base_url, token, kind, items)
        results.append((kind, items, answer.status, answer.body))
    return results
