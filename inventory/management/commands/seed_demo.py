"""`manage.py seed_demo`: locations, ~300 items, stock with some history, and two demo users.

Idempotent: locations, items and users are found by code, SKU and username; stock history is
written only while the demo items have no ledger yet. Every quantity goes through
`apply_adjustment`, so the ledger explains every balance (`manage.py verify_ledger` agrees).
Only the two passwords change on a second run: they are new and printed every time.
"""

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.management.base import BaseCommand
from django.db import transaction

from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.roles import INVENTORY_MANAGERS, STORE_STAFF
from inventory.services import LineInput, apply_adjustment
from locations.models import DEFAULT_LOCATION_ID, Location

LOGIN_URL = "http://127.0.0.1:8000/admin/"
Kind = Adjustment.Kind
Source = Adjustment.Source
Stock = dict[tuple[int, int], int]  # (item_id, location_id) -> on-hand, as the demo wrote it

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
# What the airport kiosk carries: travel-sized things.
KIOSK_PREFIXES = ("TEE-", "SOCK-", "BOTTLE", "CAP", "UMBR", "SUNGL", "BEANIE")


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    password: str
    note: str


class Command(BaseCommand):
    help = (
        "Load demo data: locations, ~300 items with stock and history, and the users 'manager'"
        " and 'staff' with fresh passwords. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            locations, new_locations = ensure_locations()
            items, new_items = ensure_items()
            manager, users = ensure_users(locations["DT"])
            adjustments = 0
            if not AdjustmentLine.objects.filter(item__in=items).exists():
                adjustments = create_history(items, locations, manager)
        self.stdout.write(
            f"Demo data: {len(LOCATIONS)} demo locations ({new_locations} new),"
            f" {len(items)} items ({new_items} new),"
            f" {adjustments} new adjustments"
            + ("." if adjustments else " (stock history already present).")
        )
        self._print_logins(users)

    def _print_logins(self, users: list[DemoUser]) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Log in at {LOGIN_URL}"))
        for user in users:
            self.stdout.write(
                f"  username: {user.username:<8} password: {user.password}  ({user.note})"
            )
        self.stdout.write("Passwords are generated anew on every run of seed_demo.")


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


def ensure_users(store: Location) -> tuple[AbstractUser, list[DemoUser]]:
    """The manager and the store staff user, each with a new random password."""
    manager, manager_password = _user_with_password("manager", INVENTORY_MANAGERS)
    staff, staff_password = _user_with_password("staff", STORE_STAFF)
    store.staff.add(staff)
    return (
        manager,
        [
            DemoUser("manager", manager_password, f"{INVENTORY_MANAGERS}: every location"),
            DemoUser("staff", staff_password, f"{STORE_STAFF}: {store.label}"),
        ],
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


def create_history(items: list[Item], locations: dict[str, Location], manager: AbstractUser) -> int:
    """Opening stock everywhere, then a little life: sales, a transfer, a write-off and a count
    correction. Returns the number of adjustments made. Quantities are reproducible."""
    rng = random.Random(2024)
    stock: Stock = {}
    adjustments = _opening_stock(items, locations, rng, stock)
    adjustments += _sales(locations, rng, stock)
    adjustments += _replenishment(items, locations, manager, stock)
    adjustments += _corrections(locations, manager, rng, stock)
    _balance_settings(items, locations)
    return adjustments


def _opening_stock(
    items: list[Item], locations: dict[str, Location], rng: random.Random, stock: Stock
) -> int:
    """One absolute adjustment per location: the whole catalog in one set-based batch."""
    ranges = {"WH": (20, 120), "DT": (0, 25), "AP": (0, 10)}
    targets = [(code, location, ranges[code]) for code, location in locations.items()]
    default = Location.objects.filter(pk=DEFAULT_LOCATION_ID, enabled=True).first()
    if default is not None:
        targets.append(("DEFAULT", default, (0, 15)))
    for code, location, (low, high) in targets:
        carried = [item for item in items if code != "AP" or item.sku.startswith(KIOSK_PREFIXES)]
        lines = [
            LineInput(location_id=location.pk, item_id=item.pk, quantity=rng.randint(low, high))
            for item in carried
        ]
        _apply(Kind.ABSOLUTE, lines, "Opening stock", Source.SYSTEM, None, stock)
    return len(targets)


def _sales(locations: dict[str, Location], rng: random.Random, stock: Stock) -> int:
    """A few storefront orders, as a partner system would post them through the API."""
    count = 0
    for order_number, code in enumerate(["DT", "DT", "AP", "DT", "AP", "DT"], start=10_041):
        location = locations[code]
        sellable = sorted(
            key for key, on_hand in stock.items() if key[1] == location.pk and on_hand >= 3
        )
        lines = [
            LineInput(location_id=location.pk, item_id=item_id, quantity=-rng.randint(1, 2))
            for item_id, _ in rng.sample(sellable, k=min(3, len(sellable)))
        ]
        if lines:
            _apply(Kind.RELATIVE, lines, f"Sale, order #{order_number}", Source.API, None, stock)
            count += 1
    return count


def _replenishment(
    items: list[Item], locations: dict[str, Location], manager: AbstractUser, stock: Stock
) -> int:
    """The manager moves stock from the warehouse to the downtown store's lowest shelves."""
    warehouse, store = locations["WH"], locations["DT"]
    lowest = sorted(items, key=lambda item: (stock.get((item.pk, store.pk), 0), item.pk))[:20]
    lines = [
        LineInput(location_id=warehouse.pk, to_location_id=store.pk, item_id=item.pk, quantity=10)
        for item in lowest
    ]
    _apply(Kind.TRANSFER, lines, "Weekly replenishment", Source.ADMIN, manager, stock)
    return 1


def _corrections(
    locations: dict[str, Location], manager: AbstractUser, rng: random.Random, stock: Stock
) -> int:
    """A damaged-goods write-off at the warehouse and a shelf count correction downtown."""
    warehouse, store = locations["WH"], locations["DT"]
    damaged = sorted(key for key in stock if key[1] == warehouse.pk)[:2]
    write_off = [
        LineInput(location_id=warehouse.pk, item_id=item_id, quantity=-1) for item_id, _ in damaged
    ]
    _apply(Kind.RELATIVE, write_off, "Damaged in storage", Source.ADMIN, manager, stock)
    counted = sorted(key for key in stock if key[1] == store.pk)[-3:]
    recount = [
        LineInput(location_id=store.pk, item_id=item_id, quantity=rng.randint(0, 12))
        for item_id, _ in counted
    ]
    _apply(Kind.ABSOLUTE, recount, "Shelf count correction", Source.ADMIN, manager, stock)
    return 2


def _apply(
    kind: Kind,
    lines: list[LineInput],
    reason: str,
    source: Source,
    actor: AbstractUser | None,
    stock: Stock,
) -> None:
    """Write through the service, and follow along in `stock` to pick sensible later lines."""
    adjustment = apply_adjustment(kind=kind, lines=lines, reason=reason, source=source, actor=actor)
    for line in adjustment.lines.all():
        stock[(line.item_id, line.location_id)] = line.quantity_after


def _balance_settings(items: list[Item], locations: dict[str, Location]) -> None:
    """Per-location settings (not quantities, so plain updates are fine): warning levels, safety
    stock on the best sellers downtown, and bin locations in the warehouse."""
    store, kiosk, warehouse = locations["DT"], locations["AP"], locations["WH"]
    Balance.objects.filter(location=store).update(warning_level=5)
    Balance.objects.filter(location=store, item__sku__startswith="TEE-").update(safety_stock=2)
    Balance.objects.filter(location=kiosk).update(warning_level=2)
    bins = list(Balance.objects.filter(location=warehouse, item__in=items).order_by("item__sku"))
    for position, balance in enumerate(bins):
        aisle, shelf = divmod(position, 24)
        balance.bin_picking_number = (
            f"{chr(ord('A') + aisle % 26)}-{shelf // 4 + 1:02d}-{shelf % 4 + 1}"
        )
    Balance.objects.bulk_update(bins, ["bin_picking_number"])
