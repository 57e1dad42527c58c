"""Tokens on Ecwid's routes: `Authorization: Bearer <token>` as Ecwid documents it today, and
`?token=<token>`, its older way, which its documentation's examples and older clients still
use (Ecwid's own API stopped taking it in March 2025). Both are a Stockroom token with the same
scopes, location restrictions and rate limits; `X-Auth-Token` works too.

A request that sends `?token=` and a header with another token (or two different `?token=`)
is refused with 400 before either is checked: which one was meant cannot be told, and no
credential a request carries is ignored. The same token twice is accepted. The query token is
never echoed, and is left out of request fingerprints and of the development server's log
(inventory.api.query_token)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import status
from rest_framework.request import Request

from inventory.api import throttling
from inventory.api.query_token import QUERY_TOKEN
from inventory.api.vendor import VENDOR_AUTHENTICATION, BearerTokenAuthentication, VendorError


class QueryTokenAuthentication(BearerTokenAuthentication):
    """`?token=<token>`; without it, the headers decide (the classes after this one)."""

    def authenticate(self, request: Request):
        tokens = request.query_params.getlist(QUERY_TOKEN)
        if not tokens:
            return None
        if not tokens[0].strip():
            self.refuse(request, "The `token` query parameter is empty.")
        in_headers = [self.bearer_token(request), request.META.get("HTTP_X_AUTH_TOKEN")]
        if len({*tokens, *filter(None, in_headers)}) > 1:
            throttling.admit_bad_credentials(request)  # counted like a token that is not valid
            raise VendorError(
                status.HTTP_400_BAD_REQUEST,
                "Two different tokens were sent: send one, in the Authorization header "
                "(preferred) or as ?token=.",
                {QUERY_TOKEN: "Differs from another token of this request."},
                code="conflicting_tokens",
            )
        return self.authenticate_token(request, tokens[0])


ECWID_AUTHENTICATION = [QueryTokenAuthentication, *VENDOR_AUTHENTICATION]


class QueryTokenScheme(OpenApiAuthenticationExtension):
    target_class = "inventory.api.ecwid.auth.QueryTokenAuthentication"
    name = "EcwidQueryToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "query",
            "name": QUERY_TOKEN,
            "description": "A Stockroom API token in the query string, Ecwid's older way "
            "(`?token=<token>`). Prefer the Authorization header: a URL ends up in logs.",
        }
