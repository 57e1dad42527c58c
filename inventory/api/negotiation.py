"""Which renderer answers a request: DRF's choice by the Accept header, except that a header no
renderer can satisfy gets the view's first one (JSON) instead of 406. BigCommerce's schema takes
any Accept value (a string defaulting to application/json) and documents no 406; a client that
sends `Accept: text/plain` or a typo still gets the JSON it can read. Found by fuzzing."""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JsonUnlessAcceptable(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
