"""Opts a request in to replica reads (views.may_read_replica) with the client's last write
position, and after a write remembers the primary's position for that client."""

from collections.abc import Callable

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase

from inventory_project.replicas import positions, state
from inventory_project.replicas.views import READ_METHODS, may_read_replica

SAFE_METHODS = READ_METHODS | {"OPTIONS", "TRACE"}


class ReplicaReadsMiddleware:
    """After SessionMiddleware (the signed-in user is the client of a page's write)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        state.begin()
        response = self.get_response(request)
        # Whatever the answer: a refused write wrote nothing, but one that failed half-way
        # (a 500 after the commit) may have, and remembering costs one cheap query.
        if request.method not in SAFE_METHODS:
            positions.remember_write(positions.client_of(request))
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if may_read_replica(request.method, request.resolver_match):
            reads = state.current()
            if reads is not None:
                reads.may_use_replica = True
                reads.after_lsn = positions.last_write(positions.client_of(request))


def _end_of_request(**kwargs) -> None:
    # When the response is closed, not when the middleware returns: a streamed export still
    # reads (from the replica it was given) while its body is sent.
    state.end()


request_finished.connect(_end_of_request, dispatch_uid="replicas.end_of_request")
