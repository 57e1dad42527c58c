"""A small HTTP client for the batch section: one request per connection, as a partner's client
without keep-alive would send it. (The contention clients in load.py keep theirs alive.)"""

import http.client
import json
from urllib.parse import urlsplit


class ApiCaller:
    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"X-Auth-Token": token, "Accept": "application/json"}

    def call(self, method: str, path: str, body: object = None, headers=None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            payload = None if body is None else json.dumps(body).encode()
            sent = {**self.headers, **(headers or {})}
            if payload is not None:
                sent["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def expect(self, status: int, method: str, path: str, body: object = None) -> bytes:
        got, content = self.call(method, path, body)
        if got != status:
            raise RuntimeError(f"{method} {path}: expected {status}, got {got}: {content[:300]!r}")
        return content
