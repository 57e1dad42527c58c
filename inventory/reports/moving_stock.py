"""Stock on its way, as the back office's balance, item and dashboard pages show it: the named
quantities of `inventory.movements.selectors` (computed from the documents on every read, never
stored), fetched once per page of balances, and explained per document in words."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import timezone

from inventory.models import Adjustment, Balance, Item, SupplierReceipt, TransferOrder
from inventory.movements.selectors import (
    Incoming,
    Quantities,
    incoming_to,
    named_quantities,
    outgoing_from,
)
from inventory.reports.visibility import balances_visible_to
from locations.models import Location
from locations.selectors import locations_visible_to

NOTHING = Quantities()
# Who may open a document's page (its view answers 404 to the rest anyway).
DOCUMENT_PERMISSIONS = {
    "transfer": "inventory.view_transferorder",
    "receipt": "inventory.view_supplierreceipt",
}
DOCUMENT_URLS = {"transfer": "movements:transfer", "receipt": "movements:receipt"}


def attach_quantities(balances: Iterable[Balance]) -> list[Balance]:
    """The balances (evaluated), each with `.moving`: its Quantities. One call of
    named_quantities for all of them, so a page of balances costs the same queries whatever
    its length."""
    balances = list(balances)
    if not balances:
        return balances
    found = named_quantities(
        {balance.item_id for balance in balances}, {balance.location_id for balance in balances}
    )
    for balance in balances:
        balance.moving = found.get((balance.item_id, balance.location_id), NOTHING)
    return balances


def moving_of(balance: Balance) -> Quantities:
    """What attach_quantities found for the balance (nothing, if it was not asked)."""
    return getattr(balance, "moving", NOTHING)


@dataclass(frozen=True, slots=True)
class Movement:
    """One document bringing stock here or taking it away, in words: "12 from Warehouse,
    shipped 3 Dec" (T-12, linked for those who may open it; the document's own reference)."""

    quantity: int
    text: str
    number: str
    reference: str
    url: str


@dataclass(frozen=True, slots=True)
class MovingStock:
    """One balance's stock on its way: what comes in (transfers, then supplier deliveries) and
    what is in transit out."""

    incoming: list[Movement]
    outgoing: list[Movement]

    @property
    def incoming_total(self) -> int:
        return sum(movement.quantity for movement in self.incoming)

    @property
    def outgoing_total(self) -> int:
        return sum(movement.quantity for movement in self.outgoing)

    def __bool__(self) -> bool:
        return bool(self.incoming or self.outgoing)


def moving_stock(
    *, item_id: int, location_id: int, user: AbstractBaseUser, quantities: Quantities | None = None
) -> MovingStock:
    """The documents behind one balance's incoming and in-transit-out figures. With the
    balance's `quantities` already known, a side that holds nothing costs no query."""
    incoming = outgoing = None
    if quantities is not None:
        incoming = [] if not quantities.incoming else None
        outgoing = [] if not quantities.in_transit_out else None
    if incoming is None:
        incoming = [_in_words(entry, user, "in") for entry in incoming_to(item_id, location_id)]
    if outgoing is None:
        outgoing = [_in_words(entry, user, "out") for entry in outgoing_from(item_id, location_id)]
    return MovingStock(incoming=incoming, outgoing=outgoing)


def _in_words(entry: Incoming, user: AbstractBaseUser, direction: str) -> Movement:
    document = entry.document
    kind = "transfer" if isinstance(document, TransferOrder) else "receipt"
    if kind == "receipt":
        text = f"{entry.quantity:,} expected from {entry.source}{_when(entry.expected_on)}"
    else:
        way = "from" if direction == "in" else "to"
        shipped = f", shipped {short_date(timezone.localdate(entry.since))}" if entry.since else ""
        text = f"{entry.quantity:,} {way} {entry.source}{shipped}"
    url = ""
    if user.has_perm(DOCUMENT_PERMISSIONS[kind]):
        url = reverse(DOCUMENT_URLS[kind], args=[document.pk])
    reference = document.reference if document.reference != document.number else ""
    return Movement(entry.quantity, text, document.number, reference, url)


def _when(expected_on: date | None) -> str:
    """When a delivery is due, and that it is late once that day has passed."""
    if expected_on is None:
        return ""
    if expected_on < timezone.localdate():
        return f", due {short_date(expected_on)} (late)"
    return f" on {short_date(expected_on)}"


def short_date(day: date) -> str:
    """ "3 Dec", with the year only when it is not this year's."""
    text = f"{day.day} {day:%b}"
    return text if day.year == timezone.localdate().year else f"{text} {day.year}"


def moving_by_location(item: Item, user: AbstractBaseUser) -> list[tuple[Location, MovingStock]]:
    """The item's stock on its way at each location the user may see, explained per document,
    by location name: also where the item has no stock yet (a first delivery), never where a
    blind count hides its balance from the user. The documents are read only for the
    locations that have some."""
    visible = locations_visible_to(user)
    found = {
        location_id: quantities
        for (_, location_id), quantities in named_quantities(
            [item.pk], visible.values_list("pk", flat=True)
        ).items()
        if quantities.incoming or quantities.in_transit_out
    }
    if not found:
        return []
    stocked = set(Balance.objects.filter(item=item).values_list("location_id", flat=True))
    shown = set(balances_visible_to(user).filter(item=item).values_list("location_id", flat=True))
    locations = visible.filter(pk__in=found).order_by("label")
    return [
        (
            location,
            moving_stock(
                item_id=item.pk,
                location_id=location.pk,
                user=user,
                quantities=found[location.pk],
            ),
        )
        for location in locations
        if location.pk in shown or location.pk not in stocked
    ]


@dataclass(frozen=True, slots=True)
class LocationMoving:
    """A location's stock on its way, summed over its items."""

    in_transit_out: int = 0
    incoming: int = 0


def moving_per_location(location_ids: Iterable[int]) -> dict[int, LocationMoving]:
    """In transit out and incoming per location, over every item (named_quantities' three
    queries, whatever the number of locations)."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (_, location_id), found in named_quantities(None, list(location_ids)).items():
        totals[location_id][0] += found.in_transit_out
        totals[location_id][1] += found.incoming
    return {
        location_id: LocationMoving(out, incoming)
        for location_id, (out, incoming) in totals.items()
    }


LISTED_MOVING = 10


@dataclass(frozen=True, slots=True)
class MovingItem:
    """One item on its way to or from a location, for its dashboard."""

    item: Item
    balance_id: int | None  # its balance page, when the item has stock there
    in_transit_out: int
    incoming: int


def moving_at(location: Location, user: AbstractBaseUser) -> tuple[list[MovingItem], int]:
    """The items with stock on its way at the location, most first (at most LISTED_MOVING),
    and how many there are. Items a blind count hides from the user are left out, as their
    balances are. A constant number of queries."""
    found = {
        item_id: quantities
        for (item_id, _), quantities in named_quantities(None, [location.pk]).items()
        if quantities.incoming or quantities.in_transit_out
    }
    if not found:
        return [], 0
    here = Balance.objects.filter(location=location, item_id__in=found)
    every = dict(here.values_list("item_id", "pk"))
    visible = set(
        balances_visible_to(user).filter(pk__in=every.values()).values_list("item_id", flat=True)
    )
    shown = [item_id for item_id in found if item_id not in every or item_id in visible]
    shown.sort(key=lambda item_id: -(found[item_id].incoming + found[item_id].in_transit_out))
    items = Item.objects.in_bulk(shown[:LISTED_MOVING])
    listed = [
        MovingItem(
            item=items[item_id],
            balance_id=every.get(item_id),
            in_transit_out=found[item_id].in_transit_out,
            incoming=found[item_id].incoming,
        )
        for item_id in shown[:LISTED_MOVING]
    ]
    listed.sort(key=lambda row: (-(row.incoming + row.in_transit_out), row.item.sku))
    return listed, len(shown)


# Joins that let a page of ledger lines name each adjustment's transfer or supplier receipt
# without a query per row (reverse one-to-ones: the shipment, the receiving event).
DOCUMENT_JOINS = ("shipped_transfer", "receiving")


@dataclass(frozen=True, slots=True)
class Document:
    """The transfer or supplier receipt an adjustment belongs to: "T-12", and its page's
    address for a reader who may open it (else "")."""

    number: str
    url: str


def document_of(adjustment: Adjustment, reader=None) -> Document | None:
    """From the rows DOCUMENT_JOINS fetched with the adjustment: no query of its own."""
    try:
        transfer = adjustment.shipped_transfer
    except ObjectDoesNotExist:
        transfer = None
    if transfer is not None:
        return _document("transfer", transfer.pk, reader)
    try:
        event = adjustment.receiving
    except ObjectDoesNotExist:
        return None
    if event.transfer_id is not None:
        return _document("transfer", event.transfer_id, reader)
    return _document("receipt", event.receipt_id, reader)


def _document(kind: str, pk: int, reader) -> Document:
    model = TransferOrder if kind == "transfer" else SupplierReceipt
    may_open = reader is not None and reader.has_perm(DOCUMENT_PERMISSIONS[kind])
    url = reverse(DOCUMENT_URLS[kind], args=[pk]) if may_open else ""
    return Document(model(pk=pk).number, url)
