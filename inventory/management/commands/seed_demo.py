"""`manage.py seed_demo`: locations, ~300 items, 75 days of stock history ending with stock on
its way (transfers in transit, supplier deliveries expected), and two demo users.

Idempotent: locations, items, users and the demo's API clients are found by code, SKU, username
and name; the stock history (`inventory/management/demo_history.py`) is written only while the
demo items have no ledger yet. Every change goes through the write path (`apply_adjustment`,
`update_settings`, the stocktake and movement services), so the ledger explains every balance
(`manage.py verify_ledger` agrees). The history's past days are written under a simulated clock
(`demo_calendar.SimulatedClock`), the command's own; the low-stock alerts they open are not
emailed. Only the two passwords change on a second run: they are new and printed every time.
"""

import secrets
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from inventory.api_clients import issue_token
from inventory.management.demo.calendar import HISTORY_DAYS, history_clock
from inventory.management.demo.history import HistoryWritten, write_history
from inventory.management.demo.writer import Cast
from inventory.models import AdjustmentLine, ApiClient, Item, LowStockAlert
from inventory.permissions import INVENTORY_MANAGERS, STORE_STAFF
from locations.models import DEFAULT_LOCATION_ID, Location

LOGIN_URL = "http://127.0.0.1:8000/admin/"
ALERTS_URL = "http://127.0.0.1:8000/admin/inventory/lowstockalert/?state=open"

PORTLAND = {"city": "Portland", "state": "OR", "country_code": "US"}
LOCATIONS = [
    {
        "code": "DT",
        "label": "Downtown store",
        "address1": "120 SW Market Street",
        "zip": "97204",
        "time_zone": "America/Los_Angeles",
        **PORTLAND,
    },
    {
        "code": "WH",
        "label": "Warehouse",
        "address1": "4400 NW Industrial Way",
        "zip": "97210",
        "time_zone": "America/Los_Angeles",
        "storefront_visibility": False,
        **PORTLAND,
    },
    {
        "code": "AP",
        "label": "Airport kiosk",
        "address1": "Concourse C, Gate 7",
        "zip": "97218",
        "time_zone": "America/Los_Angeles",
        **PORTLAND,
    },
]

# Apparel is tracked by variant (colour x size); accessories are tracked by product.
APPAREL = [
    ("TEE", "Crew T-shirt"),
    ("POLO", "Pique polo"),
    ("OXF", "Oxford shirt"),
    ("SWT", "Merino sweater"),
    ("HOOD", "Zip hoodie"),
    ("CHINO", "Chino trousers"),
    ("JKT", "Rain jacket"),
    ("SOCK", "Running socks"),
]
COLOURS = ["Black", "Navy", "White", "Grey", "Olive", "Red"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
ACCESSORIES = [
    ("BOTTLE", "Steel water bottle 750 ml"),
    ("MUG", "Enamel camp mug"),
    ("TOTE", "Canvas tote bag"),
    ("BEANIE", "Wool beanie"),
    ("CAP", "Baseball cap"),
    ("UMBR", "Compact umbrella"),
    ("WALLET", "Leather card wallet"),
    ("BELT", "Leather belt"),
    ("SCARF", "Cashmere scarf"),
    ("GLOVES", "Knit gloves"),
    ("SUNGL", "Polarised sunglasses"),
    ("GIFTBOX", "Gift box"),
]
# Partner systems whose orders make the demo's sales (their tokens are never shown: create
# your own client with `manage.py create_api_client` to try the API).
POINT_OF_SALE = "Point of sale (demo)"
ONLINE_STORE = "Online store (demo)"


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    password: str
    note: str


class Command(BaseCommand):
    help = (
        f"Load demo data: locations, ~300 items with {HISTORY_DAYS} days of stock history, and"
        " the users 'manager' and 'staff' with fresh passwords. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            clock = None if demo_history_present() else history_clock()
            # New demo rows are dated at the start of the history they are part of.
            with clock.running() if clock else nullcontext():
                locations, new_locations = ensure_locations()
                items, new_items = ensure_items()
                clients = ensure_api_clients()
            manager, staff, users = ensure_users(locations["DT"])
            written = None
            if clock is not None:
                written = write_history(
                    clock=clock,
                    items=items,
                    locations=locations,
                    default_location=Location.objects.filter(
                        pk=DEFAULT_LOCATION_ID, enabled=True
                    ).first(),
                    cast=Cast(manager=manager, staff=staff, **clients),
                )
        history = (
            _describe(written) if written else "0 new adjustments (stock history already present)."
        )
        self.stdout.write(
            f"Demo data: {len(LOCATIONS)} demo locations ({new_locations} new),"
            f" {len(items)} items ({new_items} new), {history}"
        )
        if written:
            self._print_alerts()
        self._print_logins(users)

    def _print_alerts(self) -> None:
        open_alerts = LowStockAlert.objects.filter(closed_at__isnull=True).count()
        self.stdout.write(f"{open_alerts} low-stock alerts are open: {ALERTS_URL}")
        self.stdout.write(
            "  They opened as the demo's past was written, so they were not emailed. A change you\n"
            "  make now that takes stock below its warning level is (to this console while\n"
            "  DJANGO_DEBUG is on)."
        )

    def _print_logins(self, users: list[DemoUser]) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Log in at {LOGIN_URL}"))
        for user in users:
            self.stdout.write(
                f"  username: {user.username:<8} password: {user.password}  ({user.note})"
            )
        self.stdout.write("Passwords are generated anew on every run of seed_demo.")


def demo_history_present() -> bool:
    """Whether any demo item has a ledger: then the history is not written again."""
    skus = [spec["sku"] for spec in item_specs()]
    return AdjustmentLine.objects.filter(item__sku__in=skus).exists()


def ensure_locations() -> tuple[dict[str, Location], int]:
    """The demo locations by code, plus how many were created."""
    locations, created = {}, 0
    for spec in LOCATIONS:
        fields = dict(spec)
        code = fields.pop("code")
        locations[code], was_created = Location.objects.get_or_create(code=code, defaults=fields)
        created += was_created
    return locations, created


def ensure_items() -> tuple[list[Item], int]:
    """Every demo item (created when its SKU is missing, in a few statements), and how many
    were created. Existing items are left as they are."""
    specs = list(item_specs())
    skus = [spec["sku"] for spec in specs]
    existing = set(Item.objects.filter(sku__in=skus).values_list("sku", flat=True))
    missing = [Item(**spec) for spec in specs if spec["sku"] not in existing]
    Item.objects.bulk_create(missing)
    return list(Item.objects.filter(sku__in=skus).order_by("id")), len(missing)


def item_specs() -> Iterator[dict[str, Any]]:
    """Field values of the demo catalog, always the same."""
    number = 0
    for product_index, (code, name) in enumerate(APPAREL):
        for colour in COLOURS:
            for size in SIZES:
                number += 1
                yield {
                    "sku": f"{code}-{colour[:3].upper()}-{size}",
                    "name": f"{name}, {colour}, {size}",
                    "product_id": 101 + product_index,
                    "variant_id": 10_000 + number,
                    "barcode": ean13(f"2001{number:08d}"),
                    "tracking": Item.Tracking.VARIANT,
                }
    for product_index, (code, name) in enumerate(ACCESSORIES):
        number += 1
        yield {
            "sku": code,
            "name": name,
            "product_id": 201 + product_index,
            "variant_id": None,
            "barcode": ean13(f"2001{number:08d}"),
            "tracking": Item.Tracking.PRODUCT,
        }


def ean13(first_twelve: str) -> str:
    """Append the EAN-13 check digit: digits weigh 1, 3, 1, 3, ... from the left.
    (Prefix 200-299 is GS1's in-store range, so demo codes never clash with real products.)"""
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise ValueError(f"an EAN-13 starts with 12 digits, not {first_twelve!r}")
    total = sum(
        int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(first_twelve)
    )
    return first_twelve + str((10 - total % 10) % 10)


def ensure_users(store: Location) -> tuple[AbstractUser, AbstractUser, list[DemoUser]]:
    """The manager and the store staff user, each with a new random password."""
    manager, manager_password = _user_with_password("manager", INVENTORY_MANAGERS)
    staff, staff_password = _user_with_password("staff", STORE_STAFF)
    store.staff.add(staff)
    return (
        manager,
        staff,
        [
            DemoUser("manager", manager_password, f"{INVENTORY_MANAGERS}: every location"),
            DemoUser("staff", staff_password, f"{STORE_STAFF}: {store.label}"),
        ],
    )


def ensure_api_clients() -> dict[str, ApiClient]:
    """The partner systems the demo's sales come from, found by name. Their tokens are dropped
    unseen (only a hash is kept), so nobody can use them."""
    clients = {}
    for role, name in (("point_of_sale", POINT_OF_SALE), ("online_store", ONLINE_STORE)):
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            client = ApiClient(name=name, scopes=[ApiClient.Scope.INVENTORY.value])
            issue_token(client)
            client.save()
        clients[role] = client
    return clients


def _describe(written: HistoryWritten) -> str:
    first, last = (timezone.localdate(moment) for moment in (written.first, written.last))
    return (
        f"{written.adjustments} new adjustments over the last {HISTORY_DAYS} days"
        f" ({first:%-d %b} to {last:%-d %b %Y})."
    )


def _user_with_password(username: str, group: str) -> tuple[AbstractUser, str]:
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@stockroom.example"}
    )
    password = secrets.token_urlsafe(12)
    user.is_staff = True
    user.is_active = True
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=group))
    return user, password
