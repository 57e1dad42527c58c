"""What the current request decided about replicas: one object per request, in a context
variable, so the router (called for every query, without the request) can read it."""

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)
class RequestReads:
    """`may_use_replica`: the view is on the allow-list. `after_lsn`: the client's last write's
    WAL position, if remembered. The replica is picked at the request's first routed read and
    kept for the rest of it: the checks run at most once per request."""

    may_use_replica: bool = False
    after_lsn: str | None = None
    decided: bool = False
    replica: str | None = None

    def chosen(self, choose: Callable[[str | None], str | None]) -> str | None:
        if not self.decided:
            self.replica = choose(self.after_lsn)
            self.decided = True
        return self.replica


_current: ContextVar[RequestReads | None] = ContextVar("replica_reads", default=None)


def begin() -> RequestReads:
    reads = RequestReads()
    _current.set(reads)
    return reads


def current() -> RequestReads | None:
    return _current.get()


def end() -> None:
    _current.set(None)
