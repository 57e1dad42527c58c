"""Security sweeps across the whole app (the per-route details live beside each route's tests):

- every write operation of the OpenAPI document refuses a read-only token, and a token restricted
  to one location refuses lines at another; the table of example requests must cover exactly
  the document's write operations, so a new write route without a case fails here;
- `check --deploy` is clean with production settings;
- the admin's and the stocktake pages' forms refuse a POST without a CSRF token;
- a 100 MB body is refused with 413 without being read (a real socket against live_server).

Every refusal also proves that nothing changed, and every example request is shown to succeed
with the right token, so each refusal is due to what the test varies and nothing else.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from wsgiref import simple_server

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.servers import basehttp
from django.test import Client, override_settings
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from inventory.api.zettle.ids import SUPPLIER, virtual_location_uuid
from inventory.api_clients import issue_token
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    ApiClient,
    Balance,
    IdempotencyRecord,
    Item,
    LocationMetafield,
    ReceivingEvent,
    Stocktake,
    StocktakeEvent,
    StocktakeLine,
    StocktakeUnknownCode,
    StocktakeUpload,
    SupplierReceipt,
    SupplierReceiptLine,
    TransferLine,
    TransferOrder,
)
from inventory.movements.services import (
    Planned,
    Who,
    create_receipt,
    create_transfer,
    ship_transfer,
)
from inventory.stocktakes import csv_upload
from inventory.stocktakes import services as stocktakes
from locations.models import Location
from tests.api.ecwid.test_views import assert_ecwid_error
from tests.api.problems import assert_problem
from tests.api.zettle.test_views import assert_zettle_error
from tests.factories import ItemFactory, LocationFactory, manager, set_stock

READ_ONLY = ["store_inventory_read_only", "store_locations_read_only"]
WRITE = ["store_inventory", "store_locations"]
BASE_DIR = Path(settings.BASE_DIR)

ABSOLUTE = "/api/v3/inventory/adjustments/absolute"
RELATIVE = "/api/v3/inventory/adjustments/relative"
TRANSFERS = "/api/v3/inventory/transfers"
LOCATION_ITEMS = "/api/v3/inventory/locations/{location_id}/items"
LOCATIONS = "/api/v3/inventory/locations"
CATALOG = "/api/v3/items"
ECWID_PRODUCT = "/api/ecwid/v3/{store_id}/products/{product_id}/inventory"
ECWID_COMBINATION = (
    "/api/ecwid/v3/{store_id}/products/{product_id}/combinations/{variant_id}/inventory"
)
ZETTLE = "/api/zettle/organizations/self/inventory"
ZETTLE_TRACKING = "/api/zettle/organizations/self/inventory/products/{product_uuid}"
METAFIELDS = "/api/v3/inventory/locations/metafields"
LOCATION_METAFIELDS = "/api/v3/inventory/locations/{location_id}/metafields"
METAFIELD = "/api/v3/inventory/locations/{location_id}/metafields/{metafield_id}"
TRANSFER_ORDERS = "/api/v3/inventory/transfer-orders"
TRANSFER_STEP = "/api/v3/inventory/transfer-orders/{transfer_id}/"
RECEIPTS = "/api/v3/inventory/receipts"
RECEIPT_STEP = "/api/v3/inventory/receipts/{receipt_id}/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Every test logs a user in or makes one; the default hasher costs a second each time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def snapshot() -> dict[str, list[dict]]:
    """Every row that a write of the API or of a form could change."""
    models = (
        Location,
        LocationMetafield,
        Item,
        Balance,
        Adjustment,
        AdjustmentLine,
        IdempotencyRecord,
        Stocktake,
        StocktakeLine,
        StocktakeEvent,
        StocktakeUnknownCode,
        StocktakeUpload,
        TransferOrder,
        TransferLine,
        SupplierReceipt,
        SupplierReceiptLine,
        ReceivingEvent,
    )
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


# --- the API's write operations ----------------------------------------------------------------


@dataclass
class World:
    """Two stocked locations, a third one that is empty (so it may be deleted), one item, one
    product tracked as a whole (Ecwid's product-level stock), one whose Zettle tracking is
    stopped, at `a` and `b` a metafield another client shares for writing, and from `a` to `b`
    a draft transfer and one in transit, and a supplier delivery expected at each."""

    a: Location
    b: Location
    spare: Location
    item: Item
    product: Item
    untracked: Item
    metafields: dict[str, LocationMetafield]
    draft: TransferOrder
    in_transit: TransferOrder
    receipts: dict[str, SupplierReceipt]


@pytest.fixture
def world(db) -> World:
    a, b, spare = LocationFactory.create_batch(3)
    item = ItemFactory()
    product = ItemFactory(variant_id=None, tracking=Item.Tracking.PRODUCT)
    untracked = ItemFactory(zettle_tracking=False)
    set_stock(item, a, 10)
    set_stock(item, b, 10)
    owner = ApiClient(name="metafield owner", scopes=WRITE)
    issue_token(owner)
    owner.save()
    shared = {"owner": owner, "namespace": "n", "key": "k", "value": "v", "permission_set": "write"}
    metafields = {
        "a": LocationMetafield.objects.create(location=a, **shared),
        "b": LocationMetafield.objects.create(location=b, **shared),
    }
    draft = create_transfer(origin=a, destination=b, lines=[Planned(item, 1)], who=Who())
    in_transit = create_transfer(origin=a, destination=b, lines=[Planned(item, 2)], who=Who())
    ship_transfer(transfer=in_transit, who=Who())
    set_stock(item, a, 10)  # as before the shipment: the forms' cases expect 10 on hand
    receipts = {
        name: create_receipt(location=at, supplier="Acme", lines=[Planned(item, 3)], who=Who())
        for name, at in (("a", a), ("b", b))
    }
    return World(a, b, spare, item, product, untracked, metafields, draft, in_transit, receipts)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: object = None

    def send(self, client):
        body = "" if self.body is None else json.dumps(self.body)
        return client.generic(self.method, self.path, body, content_type="application/json")


def line(world: World, location: Location, quantity: int) -> dict:
    return {"location_id": location.pk, "sku": world.item.sku, "quantity": quantity}


def transfer(world: World, source: Location, destination: Location) -> dict:
    return {
        "from_location_id": source.pk,
        "to_location_id": destination.pk,
        "sku": world.item.sku,
        "quantity": 1,
    }


def ecwid_product(world: World) -> str:
    return ECWID_PRODUCT.format(store_id=1, product_id=world.product.product_id)


def ecwid_combination(world: World) -> str:
    item = world.item
    return ECWID_COMBINATION.format(
        store_id=1, product_id=item.product_id, variant_id=item.variant_id
    )


def zettle_move(world: World, source: Location | None, destination: Location) -> dict:
    """One unit of the item from `source` (None: Zettle's SUPPLIER) to `destination`."""
    return {
        "productUuid": str(world.item.product_uuid),
        "variantUuid": str(world.item.uuid),
        "fromLocationUuid": str(virtual_location_uuid(SUPPLIER) if source is None else source.uuid),
        "toLocationUuid": str(destination.uuid),
        "change": 1,
    }


def new_location() -> dict:
    return {
        "label": "Pop-up store",
        "type_id": "VIRTUAL",
        "managed_by_external_source": False,
        "time_zone": "Etc/UTC",
    }


def metafield(**fields) -> dict:
    return {"namespace": "n", "key": "k", "value": "v", "permission_set": "read"} | fields


def metafield_at(world: World, name: str) -> str:
    row = world.metafields[name]
    return METAFIELD.format(location_id=row.location_id, metafield_id=row.pk)


def transfer_order(world: World) -> dict:
    return {
        "origin_location_id": world.a.pk,
        "destination_location_id": world.b.pk,
        "lines": [{"sku": world.item.sku, "quantity": 1}],
    }


def receipt(world: World, location: Location) -> dict:
    return {
        "location_id": location.pk,
        "supplier": "Acme",
        "lines": [{"sku": world.item.sku, "expected": 1}],
    }


def arrival(world: World) -> dict:
    return {"lines": [{"sku": world.item.sku, "received": 1}]}


def transfer_step(transfer: TransferOrder, step: str, body: object = None) -> Call:
    """A step's POST; a step that takes no body gets `{}` (the hostile-body sweep adds to it)."""
    return Call("POST", TRANSFER_STEP.format(transfer_id=transfer.pk) + step, body or {})


def receipt_step(receipt: SupplierReceipt, step: str, body: object = None) -> Call:
    return Call("POST", RECEIPT_STEP.format(receipt_id=receipt.pk) + step, body or {})


def safety_stock(world: World) -> dict:
    return {"settings": [{"identity": {"sku": world.item.sku}, "safety_stock": 2}]}


Operation = tuple[str, str]  # (method, path as the OpenAPI document writes it)

# A valid request for every write operation.
WRITE_CALLS: dict[Operation, Callable[[World], Call]] = {
    ("PUT", ABSOLUTE): lambda w: Call("PUT", ABSOLUTE, {"items": [line(w, w.a, 7)]}),
    ("POST", RELATIVE): lambda w: Call("POST", RELATIVE, {"items": [line(w, w.a, -2)]}),
    ("POST", TRANSFERS): lambda w: Call("POST", TRANSFERS, {"items": [transfer(w, w.a, w.b)]}),
    ("PUT", LOCATION_ITEMS): lambda w: Call(
        "PUT", LOCATION_ITEMS.format(location_id=w.a.pk), safety_stock(w)
    ),
    ("POST", LOCATIONS): lambda w: Call("POST", LOCATIONS, [new_location()]),
    ("PUT", LOCATIONS): lambda w: Call("PUT", LOCATIONS, [{"id": w.a.pk, "label": "Renamed"}]),
    ("DELETE", LOCATIONS): lambda w: Call("DELETE", f"{LOCATIONS}?location_id:in={w.spare.pk}"),
    ("POST", CATALOG): lambda w: Call("POST", CATALOG, [{"sku": "NEW-1", "product_id": 77}]),
    # Ecwid's deltas land at the default location (1).
    ("PUT", ECWID_PRODUCT): lambda w: Call("PUT", ecwid_product(w), {"quantityDelta": 3}),
    ("PUT", ECWID_COMBINATION): lambda w: Call("PUT", ecwid_combination(w), {"quantityDelta": 3}),
    ("PUT", ZETTLE): lambda w: Call("PUT", ZETTLE, {"changes": [zettle_move(w, w.a, w.b)]}),
    ("POST", ZETTLE): lambda w: Call(
        "POST", ZETTLE, {"productUuid": str(w.untracked.product_uuid)}
    ),
    ("DELETE", ZETTLE_TRACKING): lambda w: Call(
        "DELETE", ZETTLE_TRACKING.format(product_uuid=w.item.product_uuid)
    ),
    ("POST", LOCATION_METAFIELDS): lambda w: Call(
        "POST", LOCATION_METAFIELDS.format(location_id=w.a.pk), metafield()
    ),
    ("PUT", METAFIELD): lambda w: Call("PUT", metafield_at(w, "a"), {"value": "new"}),
    ("DELETE", METAFIELD): lambda w: Call("DELETE", metafield_at(w, "a")),
    ("POST", METAFIELDS): lambda w: Call(
        "POST", METAFIELDS, [metafield() | {"resource_id": w.a.pk}]
    ),
    ("PUT", METAFIELDS): lambda w: Call(
        "PUT", METAFIELDS, [{"id": w.metafields["a"].pk, "value": "new"}]
    ),
    ("DELETE", METAFIELDS): lambda w: Call("DELETE", METAFIELDS, [w.metafields["a"].pk]),
    ("POST", TRANSFER_ORDERS): lambda w: Call("POST", TRANSFER_ORDERS, transfer_order(w)),
    ("POST", TRANSFER_STEP + "ship"): lambda w: transfer_step(w.draft, "ship"),
    ("POST", TRANSFER_STEP + "cancel"): lambda w: transfer_step(w.draft, "cancel"),
    ("POST", TRANSFER_STEP + "receive"): lambda w: transfer_step(
        w.in_transit, "receive", arrival(w)
    ),
    ("POST", TRANSFER_STEP + "close"): lambda w: transfer_step(w.in_transit, "close"),
    ("POST", RECEIPTS): lambda w: Call("POST", RECEIPTS, receipt(w, w.a)),
    ("POST", RECEIPT_STEP + "receive"): lambda w: receipt_step(
        w.receipts["a"], "receive", arrival(w)
    ),
    ("POST", RECEIPT_STEP + "close"): lambda w: receipt_step(w.receipts["a"], "close"),
}


@dataclass(frozen=True)
class Refusal:
    """A request of a token restricted to location `a` that reaches location `b`, and how it is
    refused: the status and the fields named."""

    call: Call
    status: int
    fields: frozenset[str] = frozenset()


# Each write at another location than the token's; allowed lines go first, so a check that
# looked only at the first line would let these through.
RESTRICTED_CALLS: dict[Operation, Callable[[World], Refusal]] = {
    ("PUT", ABSOLUTE): lambda w: Refusal(
        Call("PUT", ABSOLUTE, {"items": [line(w, w.a, 7), line(w, w.b, 7)]}),
        403,
        frozenset({"items.1.location_id"}),
    ),
    ("POST", RELATIVE): lambda w: Refusal(
        Call("POST", RELATIVE, {"items": [line(w, w.a, 1), line(w, w.b, -1)]}),
        403,
        frozenset({"items.1.location_id"}),
    ),
    ("POST", TRANSFERS): lambda w: Refusal(
        Call("POST", TRANSFERS, {"items": [transfer(w, w.a, w.b)]}),
        403,
        frozenset({"items.0.to_location_id"}),
    ),
    # Another location's stock does not exist for the token.
    ("PUT", LOCATION_ITEMS): lambda w: Refusal(
        Call("PUT", LOCATION_ITEMS.format(location_id=w.b.pk), safety_stock(w)), 404
    ),
    # A restricted token creates no locations at all.
    ("POST", LOCATIONS): lambda w: Refusal(Call("POST", LOCATIONS, [new_location()]), 403),
    ("PUT", LOCATIONS): lambda w: Refusal(
        Call("PUT", LOCATIONS, [{"id": w.a.pk, "label": "A"}, {"id": w.b.pk, "label": "B"}]),
        403,
        frozenset({"1.id"}),
    ),
    ("DELETE", LOCATIONS): lambda w: Refusal(
        Call("DELETE", f"{LOCATIONS}?location_id:in={w.spare.pk}"),
        403,
        frozenset({"location_id:in.0"}),
    ),
    # Ecwid's errors name no fields; the message names the default location.
    ("PUT", ECWID_PRODUCT): lambda w: Refusal(
        Call("PUT", ecwid_product(w), {"quantityDelta": 3}), 403
    ),
    ("PUT", ECWID_COMBINATION): lambda w: Refusal(
        Call("PUT", ecwid_combination(w), {"quantityDelta": 3}), 403
    ),
    ("PUT", ZETTLE): lambda w: Refusal(
        Call("PUT", ZETTLE, {"changes": [zettle_move(w, None, w.a), zettle_move(w, w.a, w.b)]}),
        403,
        frozenset({"changes[1].toLocationUuid"}),
    ),
    # Another location's metafields do not exist on its own paths; a batch naming one there
    # is refused for it.
    ("POST", LOCATION_METAFIELDS): lambda w: Refusal(
        Call("POST", LOCATION_METAFIELDS.format(location_id=w.b.pk), metafield()), 404
    ),
    ("PUT", METAFIELD): lambda w: Refusal(Call("PUT", metafield_at(w, "b"), {"value": "x"}), 404),
    ("DELETE", METAFIELD): lambda w: Refusal(Call("DELETE", metafield_at(w, "b")), 404),
    ("POST", METAFIELDS): lambda w: Refusal(
        Call(
            "POST",
            METAFIELDS,
            [metafield() | {"resource_id": w.a.pk}, metafield() | {"resource_id": w.b.pk}],
        ),
        403,
        frozenset({"1.resource_id"}),
    ),
    ("PUT", METAFIELDS): lambda w: Refusal(
        Call(
            "PUT",
            METAFIELDS,
            [
                {"id": w.metafields["a"].pk, "value": "x"},
                {"id": w.metafields["b"].pk, "value": "x"},
            ],
        ),
        403,
        frozenset({"1.id"}),
    ),
    ("DELETE", METAFIELDS): lambda w: Refusal(
        Call("DELETE", METAFIELDS, [w.metafields["a"].pk, w.metafields["b"].pk]),
        403,
        frozenset({"1"}),
    ),
    # Every step of a transfer answers for both of its ends; a delivery expected elsewhere
    # does not exist for the token.
    ("POST", TRANSFER_ORDERS): lambda w: Refusal(
        Call("POST", TRANSFER_ORDERS, transfer_order(w)),
        403,
        frozenset({"destination_location_id"}),
    ),
    **{
        ("POST", TRANSFER_STEP + step): (
            lambda w, step=step, body=body, document=document: Refusal(
                transfer_step(getattr(w, document), step, body and body(w)),
                403,
                frozenset({"destination_location_id"}),
            )
        )
        for step, document, body in (
            ("ship", "draft", None),
            ("cancel", "draft", None),
            ("receive", "in_transit", arrival),
            ("close", "in_transit", None),
        )
    },
    ("POST", RECEIPTS): lambda w: Refusal(
        Call("POST", RECEIPTS, receipt(w, w.b)), 403, frozenset({"location_id"})
    ),
    ("POST", RECEIPT_STEP + "receive"): lambda w: Refusal(
        receipt_step(w.receipts["b"], "receive", arrival(w)), 404
    ),
    ("POST", RECEIPT_STEP + "close"): lambda w: Refusal(
        receipt_step(w.receipts["b"], "close"), 404
    ),
}
SUCCESS = {200, 204}  # 204: a single metafield deleted, Zettle's tracking stopped
# Items belong to the whole store, not to a location (inventory/api/catalog.py), and so does
# Zettle's tracking of them.
NOT_LOCATION_BOUND = {("POST", CATALOG), ("POST", ZETTLE), ("DELETE", ZETTLE_TRACKING)}


def refused_fields(response, status: int) -> frozenset[str]:
    """The fields a refusal names, in the shape of the API that answered: problem+json, or
    Ecwid's or Zettle's own error body for their routes."""
    path = response.wsgi_request.path
    if path.startswith("/api/ecwid/"):
        assert_ecwid_error(response, status)
        return frozenset()
    if path.startswith("/api/zettle/"):
        return frozenset(assert_zettle_error(response, status)["fields"])
    return frozenset(assert_problem(response, status)["errors"])


def write_operations() -> set[Operation]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}
    }


def test_the_tables_cover_every_write_operation_of_the_schema():
    operations = write_operations()

    assert set(WRITE_CALLS) == operations
    assert set(RESTRICTED_CALLS) == operations - NOT_LOCATION_BOUND


def operation_id(operation: Operation) -> str:
    return " ".join(operation)


@pytest.mark.parametrize("operation", sorted(WRITE_CALLS), ids=operation_id)
def test_a_read_only_token_writes_nothing(operation, world, api_client_factory, api):
    call = WRITE_CALLS[operation](world)
    _, reader = api_client_factory(READ_ONLY, name="reader")
    _, writer = api_client_factory(WRITE, name="writer")
    before = snapshot()

    refused = call.send(api(reader))

    refused_fields(refused, 403)
    assert snapshot() == before
    # The request itself is fine: with the scope it succeeds.
    assert call.send(api(writer)).status_code in SUCCESS
    assert snapshot() != before


@pytest.mark.parametrize("operation", sorted(RESTRICTED_CALLS), ids=operation_id)
def test_a_token_for_one_location_changes_nothing_at_another(
    operation, world, api_client_factory, api
):
    refusal = RESTRICTED_CALLS[operation](world)
    _, restricted = api_client_factory(WRITE, [world.a], name="restricted")
    _, unrestricted = api_client_factory(WRITE, name="unrestricted")
    before = snapshot()

    refused = refusal.call.send(api(restricted))

    assert refused_fields(refused, refusal.status) == refusal.fields
    assert snapshot() == before
    assert refusal.call.send(api(unrestricted)).status_code in SUCCESS
    assert snapshot() != before


@pytest.mark.parametrize("operation", sorted(RESTRICTED_CALLS), ids=operation_id)
def test_a_token_whose_locations_were_all_deleted_changes_nothing(
    operation, world, api_client_factory, api, client
):
    """Deleting a client's only location (here in the admin, which does not ask the API's
    refusals) leaves the client with no location, not with every location."""
    gone = LocationFactory(label="Closed kiosk")
    api_client, token = api_client_factory(WRITE, [gone], name="kiosk till")
    client.force_login(manager(is_superuser=True))
    deleted = client.post(
        reverse("admin:locations_location_delete", args=[gone.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert not Location.objects.filter(pk=gone.pk).exists()
    before = snapshot()

    refused = WRITE_CALLS[operation](world).send(api(token))

    assert refused.status_code in {403, 404}, refused.content
    refused_fields(refused, refused.status_code)
    assert snapshot() == before
    listed = api(token).get("/api/v3/inventory/items")
    assert listed.status_code == 200
    assert all(row["locations"] == [] for row in listed.json()["data"]), listed.json()
    api_client.refresh_from_db()
    assert api_client.restricted_to_locations


# --- deployment settings -----------------------------------------------------------------------


def deploy_check(debug: str, **variables: str) -> subprocess.CompletedProcess:
    # Settings are read at import, so production settings need a process of their own.
    env = {
        **os.environ,
        "DJANGO_DEBUG": debug,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        **variables,
    }
    # Set for Playwright's event loop by tests/browser when the whole suite runs; a deployment
    # never has it, and the deploy check rightly flags it (async.E001).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deploy_check_is_clean_with_production_settings():
    result = deploy_check("0")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("cache_url", "warned"),
    [("locmem://", True), ("db://stockroom_cache", True), ("redis://127.0.0.1:6379/3", False)],
)
def test_the_deploy_check_warns_when_the_rate_limit_cache_is_not_shared(cache_url, warned):
    result = deploy_check("0", CACHE_URL=cache_url, API_RATE_LIMIT_STORE="cache")

    output = result.stdout + result.stderr
    assert ("inventory.W001" in output) is warned, output
    assert (result.returncode != 0) is warned


def test_the_deploy_check_does_complain_about_debug_settings():
    # The control: the check above can fail.
    result = deploy_check("1")

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on


# --- CSRF on the forms -------------------------------------------------------------------------


@dataclass
class Form:
    """A form POST that is valid (it succeeds with a CSRF token) and should change `changes`."""

    url: str
    data: Callable[[], dict]  # fresh each time: an uploaded file is read once
    changes: bool = True


def count_in_progress(user, world: World, counted: int | None = 9) -> Stocktake:
    stocktake = stocktakes.start_stocktake(location=world.a, actor=user)
    if counted is not None:
        stocktakes.count_item(
            stocktake=stocktake, code=world.item.sku, actor=user, quantity=counted
        )
    return stocktake


def submitted(user, world: World, counted: int) -> Stocktake:
    stocktake = count_in_progress(user, world, counted)
    return stocktakes.submit_stocktake(stocktake=stocktake, actor=user)


def stocktake_url(name: str, stocktake: Stocktake) -> str:
    return reverse(f"stocktakes:{name}", args=[stocktake.pk])


def token() -> dict:
    return {"token": str(uuid.uuid4())}


def adjust_form(user, world: World) -> Form:
    data = {
        "location": world.a.pk,
        "mode": "set",
        "reason": "Shelf count",
        "submission_token": str(uuid.uuid4()),
        "lines-TOTAL_FORMS": 1,
        "lines-INITIAL_FORMS": 1,
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 2000,
        "lines-0-code": world.item.sku,
        "lines-0-quantity": 3,
        "lines-0-expected_quantity": 10,
    }
    return Form(reverse("admin:inventory_balance_adjust"), lambda: data)


def balance_settings_form(user, world: World) -> Form:
    balance = Balance.objects.get(item=world.item, location=world.a)
    data = {"safety_stock": 2, "warning_level": 3, "is_in_stock": "on", "bin_picking_number": "A"}
    return Form(reverse("admin:inventory_balance_change", args=[balance.pk]), lambda: data)


def start_form(user, world: World) -> Form:
    data = {"location": world.a.pk, "scope": "whole", **token()}
    return Form(reverse("stocktakes:list"), lambda: data)


def scan_form(user, world: World) -> Form:
    stocktake = count_in_progress(user, world, counted=None)
    return Form(stocktake_url("scan", stocktake), lambda: {"code": world.item.sku})


def submit_form(user, world: World) -> Form:
    data = token()
    return Form(stocktake_url("submit", count_in_progress(user, world)), lambda: data)


@override_settings(STOCKTAKE_VARIANCE_THRESHOLD=0)
def approve_form(user, world: World) -> Form:
    data = token()
    return Form(stocktake_url("approve", submitted(user, world, counted=4)), lambda: data)


def apply_form(user, world: World) -> Form:
    data = token()
    return Form(stocktake_url("apply", submitted(user, world, counted=10)), lambda: data)


def cancel_form(user, world: World) -> Form:
    data = token()
    return Form(stocktake_url("cancel", count_in_progress(user, world)), lambda: data)


def upload_form(user, world: World) -> Form:
    """The first step: a preview, which changes nothing even when it succeeds."""
    content = f"sku,counted\n{world.item.sku},5\n".encode()

    def data() -> dict:
        return {"file": SimpleUploadedFile("counts.csv", content), "mode": "replace"}

    return Form(stocktake_url("upload", count_in_progress(user, world)), data, changes=False)


def confirm_upload_form(user, world: World) -> Form:
    """The second step: the file kept when it was previewed, named."""
    count = count_in_progress(user, world)
    kept = csv_upload.keep_for_confirm(
        stocktake=count,
        data=f"sku,counted\n{world.item.sku},5\n".encode(),
        mode="replace",
        actor=user,
    )
    data = {"confirm": "1", "upload": kept.pk, **token()}
    return Form(stocktake_url("upload", count), lambda: data)


FORMS: dict[str, Callable[..., Form]] = {
    "admin adjust stock": adjust_form,
    "admin balance settings": balance_settings_form,
    "stocktake start": start_form,
    "stocktake scan": scan_form,
    "stocktake submit": submit_form,
    "stocktake approve": approve_form,
    "stocktake apply": apply_form,
    "stocktake cancel": cancel_form,
    "stocktake upload": upload_form,
    "stocktake confirm upload": confirm_upload_form,
}


def csrf_token(client: Client) -> str:
    """The token a page would have put in its form (any admin page sets the cookie)."""
    client.get(reverse("admin:index"))
    return client.cookies[settings.CSRF_COOKIE_NAME].value


@pytest.mark.parametrize("name", sorted(FORMS))
def test_forms_refuse_a_post_without_a_csrf_token(name, world):
    user = manager()
    form = FORMS[name](user, world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = snapshot()

    refused = client.post(form.url, form.data())

    assert refused.status_code == 403
    assert snapshot() == before
    accepted = client.post(form.url, {**form.data(), "csrfmiddlewaretoken": csrf_token(client)})
    assert accepted.status_code in (200, 302)
    assert (snapshot() != before) == form.changes


def test_the_admin_login_refuses_a_post_without_a_csrf_token(db):
    user = manager()  # password "pw"
    client = Client(enforce_csrf_checks=True)
    data = {"username": user.username, "password": "pw"}

    refused = client.post(reverse("admin:login"), data)

    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.get(pk=user.pk).last_login is None
    client.get(reverse("admin:login"))  # the login page sets the CSRF cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = client.post(reverse("admin:login"), {**data, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert get_user_model().objects.get(pk=user.pk).last_login is not None


# --- a body far over the limit -----------------------------------------------------------------

DECLARED = 100 * 1024 * 1024
SENT = 4096


def drain_in_chunks(handler) -> None:
    """Django's development server (live_server) discards an unread body after answering with
    one read() of the whole declared length, which allocates all 100 MB at once; gunicorn
    discards it 8 KB at a time. Drain like gunicorn, so tracemalloc measures the app and not
    the test server."""
    stdin = handler.get_stdin()
    while stdin.read(64 * 1024):
        pass
    simple_server.ServerHandler.close(handler)


def read_answer(sock: socket.socket) -> tuple[str, dict[str, str], bytes]:
    """Status line, headers and body of one HTTP response. The body ends where its JSON does:
    the server may answer without Content-Length and close only after the client has gone."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += receive(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (x.partition(": ") for x in lines)}
    while not complete_json(body):
        body += receive(sock)
    return status, headers, body


def receive(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)  # times out (the test fails) if the server waits for the body
    if not chunk:
        pytest.fail("the server closed the connection before answering")
    return chunk


def complete_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


@pytest.mark.django_db(transaction=True)  # live_server's thread sees only committed rows
def test_a_100_mb_body_is_refused_without_being_read(live_server, api_client_factory, monkeypatch):
    monkeypatch.setattr(basehttp.ServerHandler, "close", drain_in_chunks)
    _, token = api_client_factory(WRITE)
    host, port = live_server.thread.host, live_server.thread.port
    head = (
        f"PUT {ABSOLUTE} HTTP/1.1\r\nHost: {host}:{port}\r\nX-Auth-Token: {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {DECLARED}\r\n\r\n"
    )
    before = snapshot()
    tracemalloc.start()
    try:
        with socket.create_connection((host, port), timeout=10) as sock:
            # A few KB of the 100 MB, then wait: the answer must come without the rest.
            sock.sendall(head.encode() + b'{"items": [' + b" " * SENT)
            status, headers, body = read_answer(sock)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert status.split()[1] == "413"
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 413
    assert peak < 5 * 1024 * 1024, f"{peak} bytes allocated while answering"
    assert snapshot() == before
