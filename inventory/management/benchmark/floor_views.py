"""The floor that the contention benchmark holds our write endpoint to: a bare view, served by
the same server, that makes the same durable write (the fast path's one statement: the same
balance update, adjustment, ledger line and outbox rows, in the same commit) with nothing
around it but the token lookup. No DRF, no validation, no scopes, no rate limit, no error
shapes. Our endpoint ÷ this view is what our code costs on top of the write itself.

Served only by the benchmark's server (`DJANGO_ROOT_URLCONF=inventory.management.benchmark.urls`),
never by the project's own URLs."""

import json

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from inventory.api_clients import client_for_token
from inventory.models import Adjustment
from inventory.stock import LineInput, fast_path


@csrf_exempt
def bare_relative(request: HttpRequest) -> HttpResponse:
    client = client_for_token(request.headers.get("X-Auth-Token", ""))
    if client is None:
        return HttpResponse(status=401)
    line = json.loads(request.body)["items"][0]
    adjustment = Adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        api_client=client,
        created_at=timezone.now(),
    )
    applied = fast_path.apply(
        adjustment,
        [LineInput(location_id=line["location_id"], sku=line["sku"], quantity=line["quantity"])],
    )
    # Refused (no stock, say): the fast path wrote nothing; our endpoint would explain why.
    return HttpResponse(status=200 if applied else 422)
