"""Webhooks: events are written to the outbox in the change's own transaction (one per changed
balance and subscribed endpoint, none for a refused or rolled-back change), delivered signed
(verified here from scratch with hmac, following the documented recipe), retried with backoff,
recorded per attempt, and cost one statement per write whatever the batch and the endpoints."""

import hashlib
import hmac
import io
import json
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.errors import AdjustmentRejected
from inventory.models import (
    Adjustment,
    Item,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookScope,
)
from inventory.models.webhooks import TEST_SCOPE
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from inventory.webhooks import delivery
from inventory.webhooks.receiver import Receiver
from locations.models import Location
from locations.services import create_locations, update_locations
from tests.factories import ItemFactory, manager, set_stock, store_staff
from tests.prepared import statement_texts

pytestmark = pytest.mark.django_db

Scope = WebhookScope
Source = Adjustment.Source
ALL_SCOPES = [scope.value for scope in WebhookScope]


def endpoint(*scopes, url="https://partner.example.com/hooks", **fields):
    return WebhookEndpoint.objects.create(
        name=fields.pop("name", "Partner"), url=url, events=list(scopes), **fields
    )


def events(**filters):
    return list(WebhookEvent.objects.filter(**filters).order_by("id"))


def relative(item, location, quantity):
    return apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=quantity)],
        source=Source.API,
    )


# No traffic leaves this machine: names resolve to what a test says, and every connection is
# recorded and refused unless it goes to one of the test's own servers on 127.0.0.1.

PUBLIC = "93.184.215.14"  # a public address; never reached (connections to it are refused here)
LOCAL_SERVERS = set()  # ports of the servers the tests start on 127.0.0.1


class FakeDNS:
    """Host name -> addresses, as successive answers (the last one repeats); `asked` lists the
    names looked up, in order."""

    def __init__(self):
        self.names = {
            "partner.example.com": [[PUBLIC]],
            "erp.example.com": [[PUBLIC]],
            "localhost": [["127.0.0.1"]],
        }
        self.asked = []

    def __setitem__(self, name, addresses):
        self.names[name] = [addresses]

    def answers(self, name, *answers):
        self.names[name] = list(answers)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if host not in self.names:
            # Addresses written as numbers only: a name no test listed is never looked up.
            return REAL_GETADDRINFO(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        self.asked.append(host)
        answers = self.names[host]
        return [
            _address_info(address, port)
            for address in (answers.pop(0) if len(answers) > 1 else answers[0])
        ]


REAL_GETADDRINFO = socket.getaddrinfo


def _address_info(address, port):
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    fake = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture(autouse=True)
def outgoing(monkeypatch):
    """Every address a connection was attempted to, in order."""
    attempts = []
    real = socket.socket.connect

    def connect(sock, address):
        attempts.append(address[0])
        if address[0] in ("127.0.0.1", "::1") and address[1] in LOCAL_SERVERS:
            return real(sock, address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


# The outbox


def test_each_changed_balance_becomes_one_event_per_subscribed_endpoint(location):
    stock_partner = endpoint(Scope.STOCK_CHANGED, name="Stock")
    everything = endpoint(*ALL_SCOPES, name="Everything")
    endpoint(Scope.SETTINGS_CHANGED, name="Settings only")
    endpoint(Scope.STOCK_CHANGED, name="Switched off", active=False)
    first, second, unchanged = ItemFactory(), ItemFactory(), ItemFactory()
    set_stock(unchanged, location, 4)
    WebhookEvent.objects.all().delete()

    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        lines=[
            LineInput(location_id=location.pk, item_id=first.pk, quantity=5),
            LineInput(location_id=location.pk, item_id=second.pk, quantity=7),
            LineInput(location_id=location.pk, item_id=unchanged.pk, quantity=4),  # same value
        ],
        source=Source.API,
    )

    written = events()
    assert sorted((e.endpoint.name, e.scope, e.data["variant_id"]) for e in written) == sorted(
        (partner.name, Scope.STOCK_CHANGED, item.variant_id)
        for partner in (stock_partner, everything)
        for item in (first, second)
    )
    assert written[0].data == {
        "variant_id": written[0].data["variant_id"],
        "product_id": Item.objects.get(variant_id=written[0].data["variant_id"]).product_id,
        "location_id": location.pk,
    }
    assert len({e.event_id for e in written}) == 4
    assert all(e.attempts == 0 and e.delivered_at is None for e in written)
    assert all(e.next_attempt_at == e.created_at for e in written)


def test_a_transfer_reports_both_locations(item, location, other_location):
    endpoint(Scope.STOCK_CHANGED)
    set_stock(item, location, 5)
    WebhookEvent.objects.all().delete()

    apply_adjustment(
        kind=Adjustment.Kind.TRANSFER,
        lines=[
            LineInput(
                location_id=location.pk,
                to_location_id=other_location.pk,
                item_id=item.pk,
                quantity=2,
            )
        ],
        source=Source.API,
    )

    assert sorted(e.data["location_id"] for e in events()) == sorted(
        [location.pk, other_location.pk]
    )


def test_a_product_tracked_item_has_no_variant_id(location):
    endpoint(Scope.STOCK_CHANGED)
    item = ItemFactory(tracking=Item.Tracking.PRODUCT, variant_id=None)

    set_stock(item, location, 3)

    (event,) = events()
    assert event.data == {
        "variant_id": None,
        "product_id": item.product_id,
        "location_id": location.pk,
    }


def test_a_refused_batch_writes_no_events(item, location):
    endpoint(*ALL_SCOPES)
    set_stock(item, location, 1)
    WebhookEvent.objects.all().delete()

    with pytest.raises(AdjustmentRejected):
        relative(item, location, -2)

    assert events() == []


def test_a_rolled_back_transaction_leaves_no_events(item, location):
    endpoint(*ALL_SCOPES)

    def adjust_then_fail():
        with transaction.atomic():
            set_stock(item, location, 3)
            assert len(events()) == 1  # written inside the transaction…
            raise RuntimeError("the caller failed after the adjustment")

    with pytest.raises(RuntimeError):
        adjust_then_fail()

    assert events() == []  # …and gone with it


def test_reaching_low_and_out_of_stock_sends_bigcommerce_events(item, location):
    endpoint(*ALL_SCOPES)
    set_stock(item, location, 10)
    update_settings(
        lines=[SettingsInput(location_id=location.pk, item_id=item.pk, warning_level=5)],
        source=Source.ADMIN,
    )

    def scopes_of(change):
        WebhookEvent.objects.all().delete()
        change()
        return [event.scope for event in events()]

    assert scopes_of(lambda: relative(item, location, -6)) == [
        Scope.STOCK_CHANGED,
        Scope.LOW_STOCK_REACHED,
    ]
    assert scopes_of(lambda: relative(item, location, -1)) == [Scope.STOCK_CHANGED]
    assert scopes_of(lambda: relative(item, location, -3)) == [
        Scope.STOCK_CHANGED,
        Scope.OUT_OF_STOCK_REACHED,
    ]
    assert scopes_of(lambda: set_stock(item, location, 10)) == [Scope.STOCK_CHANGED]
    # Straight from fine to zero crosses the warning level too.
    assert scopes_of(lambda: set_stock(item, location, 0)) == [
        Scope.STOCK_CHANGED,
        Scope.LOW_STOCK_REACHED,
        Scope.OUT_OF_STOCK_REACHED,
    ]


def test_settings_changes_send_settings_changed_per_balance(location):
    endpoint(Scope.SETTINGS_CHANGED)
    first, second = ItemFactory(), ItemFactory()

    update_settings(
        lines=[
            SettingsInput(location_id=location.pk, item_id=first.pk, safety_stock=2),
            SettingsInput(location_id=location.pk, item_id=second.pk, warning_level=3),
        ],
        source=Source.API,
    )

    assert sorted(e.data["variant_id"] for e in events(scope=Scope.SETTINGS_CHANGED)) == sorted(
        [first.variant_id, second.variant_id]
    )


def test_locations_created_and_updated_through_the_service_send_events():
    endpoint(Scope.LOCATION_CREATED, Scope.LOCATION_UPDATED)

    (created,) = create_locations(locations=[{"code": "NEW", "label": "New store"}])
    update_locations(updates=[(created.pk, {"enabled": False})])

    assert [(e.scope, e.data) for e in events()] == [
        (Scope.LOCATION_CREATED, {"location_id": created.pk}),
        (Scope.LOCATION_UPDATED, {"location_id": created.pk}),
    ]


def test_locations_saved_in_the_admin_send_events(client):
    endpoint(Scope.LOCATION_CREATED, Scope.LOCATION_UPDATED)
    user = manager(is_superuser=True)
    client.force_login(user)
    form = {"code": "ADM", "label": "Admin store", "type_id": "PHYSICAL", "time_zone": "Etc/UTC"}
    # JSON fields with callable defaults carry a hidden initial value, as a browser posts it.
    form |= {"operating_hours": "{}", "special_hours": "[]"}
    form |= {"initial-operating_hours": "{}", "initial-special_hours": "[]"}

    added = client.post(reverse("admin:locations_location_add"), form)
    location = Location.objects.get(code="ADM")
    changed = client.post(
        reverse("admin:locations_location_change", args=[location.pk]),
        form | {"label": "Renamed"},
    )
    staff_only = client.post(
        reverse("admin:locations_location_change", args=[location.pk]),
        form | {"label": "Renamed", "staff": [user.pk]},
    )

    assert [r.status_code for r in (added, changed, staff_only)] == [302, 302, 302]
    assert [e.scope for e in events()] == [Scope.LOCATION_CREATED, Scope.LOCATION_UPDATED]


def test_webhook_urls_must_be_https_except_localhost_in_development(settings):
    def check(url):
        WebhookEndpoint(name="x", url=url, events=[Scope.STOCK_CHANGED]).full_clean()

    check("https://partner.example.com/hooks")
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    check("http://127.0.0.1:8765/")
    check("http://localhost/hooks")
    check("https://127.0.0.1:8443/hooks")
    with pytest.raises(ValidationError):
        check("http://partner.example.com/hooks")
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    with pytest.raises(ValidationError):
        check("http://127.0.0.1:8765/")
    with pytest.raises(ValidationError):
        check("https://127.0.0.1:8443/hooks")  # this machine, whatever the scheme


# Cost


def bulk_items(count):
    Item.objects.bulk_create(
        Item(sku=f"HOOK-{n:04d}", product_id=700_000 + n, variant_id=700_000 + n)
        for n in range(count)
    )
    return list(Item.objects.filter(sku__startswith="HOOK-").order_by("sku"))


def queries_for(location, items, quantity):
    with CaptureQueriesContext(connection) as context:
        apply_adjustment(
            kind=Adjustment.Kind.ABSOLUTE,
            lines=[
                LineInput(location_id=location.pk, item_id=i.pk, quantity=quantity) for i in items
            ],
            source=Source.IMPORT,
        )
    return len(context.captured_queries)


def test_events_cost_one_statement_whatever_the_batch_and_the_endpoints(location):
    items = bulk_items(500)
    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        lines=[LineInput(location_id=location.pk, item_id=i.pk, quantity=10) for i in items],
        source=Source.IMPORT,
    )
    nobody = [queries_for(location, items[:1], 11), queries_for(location, items, 12)]
    for n in range(3):
        endpoint(Scope.STOCK_CHANGED, name=f"Partner {n}")
    subscribed = [queries_for(location, items[:1], 13), queries_for(location, items, 14)]

    assert nobody[0] == nobody[1] == subscribed[0] == subscribed[1]
    assert WebhookEvent.objects.count() == 3 * 501
    sent = [statement_texts(q["sql"]) for q in _statements(location, items)]
    insert = [texts for texts in sent if any("inventory_webhookevent" in t for t in texts)]
    assert len(insert) == 1
    # On PostgreSQL the events travel with the write's own statement, in one round trip.
    assert 'INSERT INTO "inventory_webhookevent"' in insert[0][-1]


def _statements(location, items):
    with CaptureQueriesContext(connection) as context:
        queries_for(location, items, 15)
    return context.captured_queries


# Delivery, against a real HTTP server on localhost


class Partner(ThreadingHTTPServer):
    """Answers POSTs with the scripted statuses (then 200), after `delay` seconds; keeps what
    it got."""

    daemon_threads = True

    def __init__(self, statuses=(), delay=0.0, body=b"ok"):
        super().__init__(("127.0.0.1", 0), _PartnerHandler)
        LOCAL_SERVERS.add(self.server_port)
        self.statuses = list(statuses)
        self.delay = delay
        self.body = body
        self.requests = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_port}/hooks"


class _PartnerHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((dict(self.headers), body))
        time.sleep(self.server.delay)
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        if status in (301, 302, 307, 308):
            self.send_header("Location", "https://elsewhere.example.com/")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def partner():
    servers = []

    def start(statuses=(), delay=0.0, body=b"ok"):
        server = Partner(statuses, delay, body)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def local_delivery(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 30
    settings.WEBHOOK_BACKOFF_CAP_SECONDS = 3600
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    settings.WEBHOOK_STORE_ID = "1025646"
    settings.STORE_HASH = "abc123"


def make_due(event):
    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())


def test_the_signature_verifies_with_the_documented_recipe(partner, item, location):
    server = partner()
    hook = endpoint(Scope.STOCK_CHANGED, url=server.url)
    set_stock(item, location, 3)
    (event,) = events()

    _, outcome, state = delivery.deliver_next()

    assert (state, outcome.status_code) == ("delivered", 200)
    ((headers, body),) = server.requests
    # The recipe from inventory/webhooks/signing.py, written out with nothing of ours.
    fields = dict(part.split("=", 1) for part in headers["X-Stockroom-Signature"].split(","))
    expected = hmac.new(
        hook.secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"])
    assert abs(time.time() - int(fields["t"])) <= 300
    assert headers["X-Stockroom-Timestamp"] == fields["t"]
    assert headers["X-Stockroom-Event-Id"] == str(event.event_id)
    assert headers["X-Stockroom-Event"] == Scope.STOCK_CHANGED
    assert headers["Content-Type"] == "application/json"
    # Someone else's secret does not verify.
    forged = hmac.new(b"whsec_other", fields["t"].encode() + b"." + body, hashlib.sha256)
    assert not hmac.compare_digest(forged.hexdigest(), fields["v1"])

    payload = json.loads(body)
    data = {
        "variant_id": item.variant_id,
        "product_id": item.product_id,
        "location_id": location.pk,
    }
    assert payload == {
        "scope": "store/channel/*/inventory/product/stock_changed",
        "store_id": "1025646",
        "data": data,
        "hash": hashlib.sha1(
            json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest(),
        "created_at": int(event.created_at.timestamp()),
        "producer": "stores/abc123",
    }
    event.refresh_from_db()
    assert (event.attempts, event.claim_token, event.delivered_at is not None) == (1, None, True)


def test_a_failure_is_retried_with_backoff_then_delivered(partner, item, location):
    server = partner(statuses=[500])
    endpoint(Scope.STOCK_CHANGED, url=server.url)
    set_stock(item, location, 3)
    (event,) = events()

    before = timezone.now()
    assert delivery.deliver_next()[2] == "retry"
    event.refresh_from_db()
    wait = event.next_attempt_at - before
    assert timedelta(seconds=15) <= wait <= timedelta(seconds=31)  # base 30 s, half of it jitter
    assert event.attempts == 1
    assert event.delivered_at is None
    assert delivery.deliver_next() is None  # not due yet

    make_due(event)
    assert delivery.deliver_next()[2] == "delivered"

    attempts = list(event.delivery_attempts.order_by("id"))
    assert [(a.status_code, a.error) for a in attempts] == [(500, ""), (200, "")]
    assert all(a.duration_ms >= 0 for a in attempts)
    event.refresh_from_db()
    assert event.attempts == 2
    assert event.delivered_at is not None
    first, second = server.requests
    assert first[0]["X-Stockroom-Event-Id"] == second[0]["X-Stockroom-Event-Id"]


def test_backoff_doubles_with_jitter_up_to_the_cap(settings):
    import random

    rng = random.Random(7)
    waits = [delivery.backoff_seconds(n, rng=rng) for n in range(1, 10)]
    ceilings = [min(3600, 30 * 2 ** (n - 1)) for n in range(1, 10)]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert ceilings[-1] == 3600


def test_after_the_last_attempt_the_event_is_marked_failed(partner, settings, item, location):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    server = partner(statuses=[503, 503, 503])
    endpoint(Scope.STOCK_CHANGED, url=server.url)
    set_stock(item, location, 3)
    (event,) = events()

    assert delivery.deliver_next()[2] == "retry"
    make_due(event)
    assert delivery.deliver_next()[2] == "failed"

    event.refresh_from_db()
    assert event.failed_at is not None
    assert event.status == "failed"
    make_due(event)
    assert delivery.deliver_next() is None
    assert len(server.requests) == 2


def test_unreachable_slow_and_redirecting_endpoints_are_recorded_as_failures(
    partner, settings, item, location
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    slow = partner(delay=1.0)
    moved = partner(statuses=[302])
    closed = partner()
    closed_url = closed.url
    closed.shutdown()
    closed.server_close()
    for name, url in (("slow", slow.url), ("moved", moved.url), ("closed", closed_url)):
        endpoint(Scope.STOCK_CHANGED, url=url, name=name)
    set_stock(item, location, 3)

    outcomes = {event.endpoint.name: (outcome, state) for event, outcome, state in _deliver_all()}

    assert outcomes["moved"][0].status_code == 302  # a redirect is not a delivery
    assert "timed out" in outcomes["slow"][0].error
    assert "refused" in outcomes["closed"][0].error.lower()
    assert {state for _, state in outcomes.values()} == {"retry"}
    assert WebhookAttempt.objects.count() == 3


def _deliver_all():
    results = []
    while (delivered := delivery.deliver_next()) is not None:
        results.append(delivered)
    return results


def test_plain_http_to_another_host_is_refused_at_delivery_too(settings, item, location):
    hook = endpoint(Scope.STOCK_CHANGED, url="http://partner.example.com/hooks")
    set_stock(item, location, 3)

    _, outcome, state = delivery.deliver_next()

    assert state == "retry"
    assert outcome.error.startswith("URL not allowed")
    assert hook.outbox.get().delivery_attempts.get().status_code is None


def test_a_claim_is_a_lease_and_only_its_holder_records_the_outcome(partner, item, location):
    endpoint(Scope.STOCK_CHANGED, url=partner().url)
    set_stock(item, location, 3)

    first = delivery.claim_next()
    assert first is not None
    assert delivery.claim_next() is None  # leased: not due for anyone else

    # The lease runs out (the worker died): the event, and its endpoint, are free again, and the
    # event is taken under a new token.
    WebhookEvent.objects.filter(pk=first.event.pk).update(next_attempt_at=timezone.now())
    WebhookEndpoint.objects.update(delivering_until=timezone.now())
    second = delivery.claim_next()
    assert second is not None
    assert second.token != first.token

    ok = delivery.Outcome(200, "", 5)
    assert delivery.record(first, ok) == "lost"  # the late worker marks nothing
    event = WebhookEvent.objects.get()
    assert (event.delivered_at, event.attempts) == (None, 0)
    assert delivery.record(second, ok) == "delivered"
    event.refresh_from_db()
    assert event.delivered_at is not None
    assert event.attempts == 1
    assert event.delivery_attempts.count() == 2  # both tries are on record


def test_events_of_an_inactive_endpoint_wait(partner, item, location):
    hook = endpoint(Scope.STOCK_CHANGED, url=partner().url)
    set_stock(item, location, 3)
    hook.active = False
    hook.save()

    assert delivery.deliver_next() is None
    hook.active = True
    hook.save()
    assert delivery.deliver_next()[2] == "delivered"


def test_deliver_webhooks_once_delivers_what_is_due_and_exits(partner, location):
    server = partner()
    endpoint(Scope.STOCK_CHANGED, url=server.url)
    for item in ItemFactory.create_batch(3):
        set_stock(item, location, 2)
    out = io.StringIO()

    # One thread: the others, on connections of their own, would not see this test's rows (it
    # runs in a transaction that is never committed).
    call_command("deliver_webhooks", "--once", "--threads", "1", stdout=out)

    assert len(server.requests) == 3
    assert WebhookEvent.objects.filter(delivered_at__isnull=True).count() == 0
    assert out.getvalue().count("delivered ") == 3
    assert "Tried 3 event(s)." in out.getvalue()


def test_the_receiver_prints_verified_events_and_refuses_forged_ones(item, location):
    out = io.StringIO()
    receiver = Receiver(("127.0.0.1", 0), secret="whsec_right", out=out)
    LOCAL_SERVERS.add(receiver.server_port)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_port}/"
        endpoint(Scope.STOCK_CHANGED, url=url, name="right", secret="whsec_right")
        endpoint(Scope.STOCK_CHANGED, url=url, name="wrong", secret="whsec_wrong")
        set_stock(item, location, 3)
        results = {event.endpoint.name: outcome.status_code for event, outcome, _ in _deliver_all()}
    finally:
        receiver.shutdown()
        receiver.server_close()

    assert results == {"right": 204, "wrong": 401}
    right = WebhookEvent.objects.get(endpoint__name="right")
    printed = out.getvalue().splitlines()
    assert f"{right.event_id} {Scope.STOCK_CHANGED} " in printed[0] or any(
        line.startswith(f"{right.event_id} ") for line in printed
    )
    assert any(line.startswith("REJECTED ") for line in printed)
    assert receiver.received == [str(right.event_id)]


# Admin


@pytest.fixture
def manager_client(client):
    client.force_login(manager())
    return client


def test_a_manager_adds_an_endpoint_and_sees_its_secret(manager_client):
    added = manager_client.post(
        reverse("admin:inventory_webhookendpoint_add"),
        {
            "name": "ERP",
            "url": "https://erp.example.com/stock",
            "events": [Scope.STOCK_CHANGED, Scope.LOCATION_UPDATED],
            "active": "on",
        },
    )

    hook = WebhookEndpoint.objects.get()
    assert added.status_code == 302
    assert hook.events == [Scope.STOCK_CHANGED, Scope.LOCATION_UPDATED]
    assert hook.secret.startswith("whsec_")
    assert len(hook.secret) > 40
    assert hook.created_by is not None
    page = manager_client.get(reverse("admin:inventory_webhookendpoint_change", args=[hook.pk]))
    assert hook.secret in page.content.decode()
    assert "X-Stockroom-Signature" in page.content.decode()


def test_the_admin_refuses_an_insecure_url(manager_client, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    answer = manager_client.post(
        reverse("admin:inventory_webhookendpoint_add"),
        {"name": "ERP", "url": "http://erp.example.com/", "events": [Scope.STOCK_CHANGED]},
    )
    assert answer.status_code == 200
    assert "url" in answer.context["adminform"].form.errors
    assert WebhookEndpoint.objects.count() == 0


def test_send_test_event_and_retry_actions(manager_client, partner):
    hook = endpoint(Scope.STOCK_CHANGED, url=partner().url)
    changelist = reverse("admin:inventory_webhookendpoint_changelist")

    manager_client.post(changelist, {"action": "send_test_event", "_selected_action": [hook.pk]})
    (event,) = events()
    assert event.scope == TEST_SCOPE
    WebhookEvent.objects.filter(pk=event.pk).update(failed_at=timezone.now(), attempts=5)

    manager_client.post(
        reverse("admin:inventory_webhookevent_changelist"),
        {"action": "retry_now", "_selected_action": [event.pk]},
    )
    event.refresh_from_db()
    assert (event.failed_at, event.attempts) == (None, 0)
    assert delivery.deliver_next()[2] == "delivered"

    listing = manager_client.get(changelist)
    assert listing.status_code == 200
    detail = manager_client.get(reverse("admin:inventory_webhookevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert "200" in detail.content.decode()


def test_store_staff_cannot_see_webhooks(client, location):
    client.force_login(store_staff(location))
    assert client.get(reverse("admin:inventory_webhookendpoint_changelist")).status_code == 403
    assert client.get(reverse("admin:inventory_webhookevent_changelist")).status_code == 403


def test_deleting_an_endpoint_counts_its_events_and_takes_them_along(
    manager_client, item, location
):
    hook = endpoint(Scope.STOCK_CHANGED)
    set_stock(item, location, 3)
    delivery.record(delivery.claim_next(), delivery.Outcome(None, "refused", 1))
    url = reverse("admin:inventory_webhookendpoint_delete", args=[hook.pk])

    confirm = manager_client.get(url)
    deleted = manager_client.post(url, {"post": "yes"})

    assert confirm.status_code == 200
    assert "Webhook events (and their attempts): 1" in confirm.content.decode()
    assert deleted.status_code == 302
    assert (WebhookEndpoint.objects.count(), WebhookEvent.objects.count()) == (0, 0)
    assert WebhookAttempt.objects.count() == 0


# Where webhooks may go: public internet addresses only (issue 15, case 6)

REFUSED_URLS = {
    # URL: words the refusal must use
    "https://169.254.169.254/latest/meta-data/": "link-local",
    "https://10.0.0.5:6379/": "private network",
    "https://127.0.0.1:5432/": "this machine",
    "https://[::1]:8080/": "this machine",
    "https://0.0.0.0:8080/": "this machine",
    "https://[::ffff:10.0.0.5]/": "private network",
    "https://224.0.0.251/": "multicast",
    "https://100.64.0.1/": "not a public internet address",
    "https://internal.example.com/": "private network",  # a name for 10.0.0.5
    "https://mixed.example.com/": "private network",  # one public, one private address
    "https://metadata.example.com/": "link-local",  # a name for 169.254.169.254
    "https://user:secret@partner.example.com/hooks": "user name and password",
}


@pytest.fixture
def internal_names(dns):
    dns["internal.example.com"] = ["10.0.0.5"]
    dns["mixed.example.com"] = [PUBLIC, "192.168.1.10"]
    dns["metadata.example.com"] = ["169.254.169.254"]


@pytest.mark.usefixtures("internal_names")
def test_the_admin_refuses_urls_to_this_machine_private_networks_and_with_passwords(
    manager_client, settings, outgoing
):
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    add = reverse("admin:inventory_webhookendpoint_add")

    for url, words in REFUSED_URLS.items():
        answer = manager_client.post(
            add, {"name": "Probe", "url": url, "events": [Scope.STOCK_CHANGED], "active": "on"}
        )
        assert answer.status_code == 200, url
        (message,) = answer.context["adminform"].form.errors["url"]
        assert words in message, (url, message)
        assert "10.0.0.5" not in message or "10.0.0.5" in url  # a name's address is not told

    assert WebhookEndpoint.objects.count() == 0
    assert outgoing == []  # refused without connecting anywhere
    accepted = manager_client.post(
        add,
        {"name": "ERP", "url": "https://erp.example.com/stock", "events": [Scope.STOCK_CHANGED]},
    )
    assert accepted.status_code == 302
    assert WebhookEndpoint.objects.get().url == "https://erp.example.com/stock"


def test_an_unknown_host_name_is_refused_in_plain_words(manager_client):
    answer = manager_client.post(
        reverse("admin:inventory_webhookendpoint_add"),
        {"name": "ERP", "url": "https://erp.example.con/", "events": [Scope.STOCK_CHANGED]},
    )

    assert answer.status_code == 200
    (message,) = answer.context["adminform"].form.errors["url"]
    assert "erp.example.con could not be found" in message
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.usefixtures("internal_names")
def test_delivery_refuses_those_addresses_before_connecting(settings, outgoing, location):
    """Rows saved before the check, or names whose addresses changed since: the worker checks
    the addresses again and never connects."""
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False
    for n, url in enumerate(REFUSED_URLS):
        endpoint(Scope.STOCK_CHANGED, url=url, name=f"Probe {n}")
    set_stock(ItemFactory(), location, 3)

    results = _deliver_all()

    assert len(results) == len(REFUSED_URLS)
    assert outgoing == []
    for event, outcome, state in results:
        assert outcome.status_code is None
        assert outcome.error.startswith("URL not allowed"), (event.endpoint.url, outcome.error)
        assert REFUSED_URLS[event.endpoint.url] in outcome.error
        assert state == "retry"


def test_loopback_is_refused_at_delivery_unless_allowed_in_development(
    settings, partner, outgoing, item, location
):
    server = partner()
    endpoint(Scope.STOCK_CHANGED, url=server.url)
    set_stock(item, location, 3)
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = False

    _, outcome, _ = delivery.deliver_next()

    assert outcome.error.startswith("URL not allowed")
    assert (server.requests, outgoing) == ([], [])
    settings.WEBHOOK_ALLOW_HTTP_LOCALHOST = True
    make_due(WebhookEvent.objects.get())
    assert delivery.deliver_next()[2] == "delivered"


def test_delivery_connects_to_the_address_it_checked(dns, outgoing, item, location):
    """DNS rebinding: the name answers a public address to the check and a private one a moment
    later. The connection goes to the checked address; the name is not looked up twice."""
    dns.answers("rebind.example.com", [PUBLIC], ["10.0.0.5"])
    endpoint(Scope.STOCK_CHANGED, url="https://rebind.example.com/hooks")
    set_stock(item, location, 3)

    _, outcome, _ = delivery.deliver_next()

    assert outgoing == [PUBLIC]  # refused by this test's guard: nothing leaves the machine
    assert dns.asked == ["rebind.example.com"]
    assert outcome.error == "Connection refused"


@pytest.fixture
def tls_partner(monkeypatch):
    """An HTTPS endpoint on 127.0.0.1 whose certificate names partner.test, from a test CA the
    delivery trusts; it keeps the name each client asked for (SNI) and the Host header."""
    import ssl

    import trustme

    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("partner.test").configure_cert(server_context)
    server = Partner()
    server.server_names = []
    server_context.sni_callback = lambda sock, name, ctx: server.server_names.append(name)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    monkeypatch.setattr(delivery, "TLS", client_context)
    yield server
    server.shutdown()
    server.server_close()


def test_https_to_a_checked_address_keeps_the_host_name(tls_partner, dns, item, location):
    dns["partner.test"] = ["127.0.0.1"]
    endpoint(Scope.STOCK_CHANGED, url=f"https://partner.test:{tls_partner.server_port}/hooks")
    set_stock(item, location, 3)

    _, outcome, state = delivery.deliver_next()

    assert (state, outcome.status_code, outcome.error) == ("delivered", 200, "")
    assert tls_partner.server_names == ["partner.test"]  # the certificate was checked for it
    ((headers, _),) = tls_partner.requests
    assert headers["Host"] == f"partner.test:{tls_partner.server_port}"


class RawServer(threading.Thread):
    """A TCP server on 127.0.0.1 that reads the request, answers `chunks` (bytes, one every
    `pause` seconds), then closes the connection."""

    def __init__(self, chunks, pause=0.0):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        LOCAL_SERVERS.add(self.port)
        self.chunks, self.pause = chunks, pause

    def run(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.recv(65536)  # the request (small: it comes in one piece)
                    for chunk in self.chunks:
                        conn.sendall(chunk)
                        time.sleep(self.pause)
                except OSError:
                    pass

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks"

    def stop(self):
        self.listener.close()


def test_what_an_endpoint_answers_is_never_recorded_nor_shown(
    manager_client, partner, item, location
):
    not_http = RawServer([b"SSH-2.0-OpenSSH_9.2 secret-banner\r\n"])
    not_http.start()
    talkative = partner(statuses=[500], body=b"Traceback: secret-database-password")
    endpoint(Scope.STOCK_CHANGED, url=not_http.url, name="not http")
    endpoint(Scope.STOCK_CHANGED, url=talkative.url, name="talkative")
    set_stock(item, location, 3)
    try:
        outcomes = {event.endpoint.name: outcome for event, outcome, _ in _deliver_all()}
    finally:
        not_http.stop()

    assert outcomes["talkative"].status_code == 500
    assert outcomes["not http"].error == "The answer was not HTTP"
    for event in WebhookEvent.objects.all():
        page = manager_client.get(reverse("admin:inventory_webhookevent_change", args=[event.pk]))
        assert page.status_code == 200
        assert "secret" not in page.content.decode()
    assert not any("secret" in a.error for a in WebhookAttempt.objects.all())


def test_an_endpoint_that_trickles_its_answer_is_cut_at_the_timeout(settings, item, location):
    """Socket timeouts bound each read; the delivery as a whole must be bounded too."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    trickle = RawServer([b"HTTP/1.1 200 OK\r\n"] + [b"X"] * 40, pause=0.1)
    trickle.start()
    endpoint(Scope.STOCK_CHANGED, url=trickle.url)
    set_stock(item, location, 3)
    try:
        started = time.monotonic()
        _, outcome, state = delivery.deliver_next()
        took = time.monotonic() - started
    finally:
        trickle.stop()

    assert took < 1.5
    assert (state, outcome.status_code) == ("retry", None)
    assert outcome.error == "No complete answer within 0.5 s: timed out"


# One endpoint cannot hold up the others (issue 15, case 7)


def test_a_claim_skips_an_endpoint_with_a_delivery_under_way(partner, location):
    hanging = endpoint(Scope.STOCK_CHANGED, url=partner().url, name="hanging")
    healthy = endpoint(Scope.STOCK_CHANGED, url=partner().url, name="healthy")
    for item in ItemFactory.create_batch(2):
        set_stock(item, location, 3)
    earlier = timezone.now() - timedelta(minutes=1)
    hanging.outbox.update(next_attempt_at=earlier)  # the hanging endpoint's events come first

    first = delivery.claim_next()
    second = delivery.claim_next()

    assert first.event.endpoint == hanging
    assert second.event.endpoint == healthy  # not the hanging endpoint's second event
    assert delivery.claim_next() is None  # each endpoint has one delivery under way
    delivery.record(second, delivery.Outcome(200, "", 5))
    third = delivery.claim_next()
    assert third.event.endpoint == healthy
    delivery.record(first, delivery.Outcome(None, "Timed out", 5000))
    assert delivery.claim_next().event.endpoint == hanging


def test_an_endpoint_that_keeps_failing_is_paused_and_a_manager_resumes_it(
    manager_client, partner, settings, location
):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 3
    server = partner(statuses=[500, 503, 500])
    hook = endpoint(Scope.STOCK_CHANGED, url=server.url, name="Flaky ERP")
    for item in ItemFactory.create_batch(4):
        set_stock(item, location, 3)

    for _ in range(3):
        WebhookEvent.objects.update(next_attempt_at=timezone.now())
        assert delivery.deliver_next()[2] == "retry"

    hook.refresh_from_db()
    assert hook.paused_at is not None
    assert hook.pause_reason == "3 deliveries in a row failed. The last: it answered 500."
    WebhookEvent.objects.update(next_attempt_at=timezone.now())
    assert delivery.claim_next() is None  # its events wait
    listing = manager_client.get(reverse("admin:inventory_webhookendpoint_changelist"))
    assert "Paused" in listing.content.decode()
    page = manager_client.get(reverse("admin:inventory_webhookendpoint_change", args=[hook.pk]))
    assert "3 deliveries in a row failed" in page.content.decode()

    resumed = manager_client.post(
        reverse("admin:inventory_webhookendpoint_changelist"),
        {"action": "resume_deliveries", "_selected_action": [hook.pk]},
        follow=True,
    )
    assert "Resumed deliveries to Flaky ERP" in resumed.content.decode()
    hook.refresh_from_db()
    assert (hook.paused_at, hook.consecutive_failures) == (None, 0)
    assert len(_deliver_all()) == 4
    assert WebhookEvent.objects.filter(delivered_at__isnull=True).count() == 0


def test_a_delivery_that_succeeds_starts_the_count_of_failures_again(partner, settings, location):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 3
    hook = endpoint(Scope.STOCK_CHANGED, url=partner(statuses=[500, 500, 200, 500, 500]).url)
    for item in ItemFactory.create_batch(5):
        set_stock(item, location, 3)

    for _ in range(5):
        WebhookEvent.objects.update(next_attempt_at=timezone.now())
        delivery.deliver_next()

    hook.refresh_from_db()
    assert (hook.paused_at, hook.consecutive_failures) == (None, 2)
