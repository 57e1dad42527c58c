"""Reads of transfers and supplier receipts: who sees which, their lists' filters, and the
quantities they hold per item and location (in transit out, incoming), computed from their
lines on every read rather than stored beside on-hand."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import django_filters
from django.db.models import F, Q, QuerySet, Sum

from inventory.models import (
    ApiClient,
    SupplierReceipt,
    SupplierReceiptLine,
    TransferLine,
    TransferOrder,
)
from locations.models import Location
from locations.selectors import User, locations_visible_to

Transfer = TransferOrder.Status
Receipt = SupplierReceipt.Status
IN_TRANSIT = (Transfer.SHIPPED, Transfer.PARTIALLY_RECEIVED)
EXPECTED = (Receipt.EXPECTED, Receipt.PARTIALLY_RECEIVED)
BalanceKey = tuple[int, int]  # (item_id, location_id)

# What a line still holds, in SQL: the same sums as the models' `outstanding`.
TRANSFER_OUTSTANDING = F("quantity") - F("received") - F("damaged") - F("missing")
RECEIPT_OUTSTANDING = F("expected") - F("received") - F("damaged")


# Who sees what


def transfers_visible_to(user: User) -> QuerySet[TransferOrder]:
    """Transfers from or to a location the user works at (managers: all)."""
    visible = locations_visible_to(user)
    return TransferOrder.objects.filter(Q(origin__in=visible) | Q(destination__in=visible))


def receipts_visible_to(user: User) -> QuerySet[SupplierReceipt]:
    return SupplierReceipt.objects.filter(location__in=locations_visible_to(user))


def client_location_ids(client: ApiClient) -> set[int] | None:
    """The locations a partner's token may touch; None when it may touch every one."""
    if not client.restricted_to_locations:
        return None
    return set(client.allowed_locations.values_list("pk", flat=True))


# Lists and their filters


class TransferFilter(django_filters.FilterSet):
    """The transfer list's filters, on its page and in the API."""

    status = django_filters.MultipleChoiceFilter(choices=Transfer.choices)
    origin = django_filters.ModelChoiceFilter(queryset=Location.objects.all(), label="From")
    destination = django_filters.ModelChoiceFilter(queryset=Location.objects.all(), label="To")
    location = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(), method="either_end", label="From or to"
    )
    sku = django_filters.CharFilter(field_name="lines__item__sku", distinct=True, label="SKU")
    open = django_filters.BooleanFilter(method="still_open", label="Open")

    class Meta:
        model = TransferOrder
        fields = ["status", "origin", "destination", "location", "sku", "open"]

    def either_end(self, queryset, name, value):
        return queryset.filter(Q(origin=value) | Q(destination=value))

    def still_open(self, queryset, name, value):
        open_statuses = (Transfer.DRAFT, *IN_TRANSIT)
        if value:
            return queryset.filter(status__in=open_statuses)
        return queryset.exclude(status__in=open_statuses)


class ReceiptFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Receipt.choices)
    location = django_filters.ModelChoiceFilter(queryset=Location.objects.all())
    supplier = django_filters.CharFilter(lookup_expr="icontains")
    reference = django_filters.CharFilter(lookup_expr="icontains")
    sku = django_filters.CharFilter(field_name="lines__item__sku", distinct=True, label="SKU")
    open = django_filters.BooleanFilter(method="still_open", label="Open")

    class Meta:
        model = SupplierReceipt
        fields = ["status", "location", "supplier", "reference", "sku", "open"]

    def still_open(self, queryset, name, value):
        if value:
            return queryset.filter(status__in=EXPECTED)
        return queryset.exclude(status__in=EXPECTED)


def transfer_list(queryset: QuerySet[TransferOrder], params) -> QuerySet[TransferOrder]:
    """`queryset` filtered by `params` (TransferFilter), newest first, with what a list shows."""
    filtered = TransferFilter(params, queryset=queryset).qs
    return filtered.select_related("origin", "destination", "created_by").order_by("-pk")


def receipt_list(queryset: QuerySet[SupplierReceipt], params) -> QuerySet[SupplierReceipt]:
    filtered = ReceiptFilter(params, queryset=queryset).qs
    return filtered.select_related("location", "created_by").order_by("-pk")


# Named quantities


@dataclass(slots=True)
class Quantities:
    """What one item at one location has beyond its on-hand."""

    in_transit_out: int = 0  # shipped from here, not yet accounted for at the destination
    in_transit_in: int = 0  # shipped to here, not yet received
    expected: int = 0  # expected here from suppliers, not yet received

    @property
    def incoming(self) -> int:
        return self.in_transit_in + self.expected


def named_quantities(
    item_ids: Iterable[int] | None = None, location_ids: Iterable[int] | None = None
) -> dict[BalanceKey, Quantities]:
    """Quantities per (item_id, location_id), for the balances that have any (three grouped
    queries whatever the number of balances). `None` means every item, or every location."""
    found: dict[BalanceKey, Quantities] = defaultdict(Quantities)
    items = None if item_ids is None else list(item_ids)
    locations = None if location_ids is None else list(location_ids)

    def sums(lines: QuerySet, location: str, outstanding) -> Iterable[tuple[int, int, int]]:
        if items is not None:
            lines = lines.filter(item_id__in=items)
        if locations is not None:
            lines = lines.filter(**{f"{location}__in": locations})
        return (
            lines.annotate(left=outstanding)
            .filter(left__gt=0)
            .values_list("item_id", location)
            .annotate(total=Sum("left"))
            .order_by()
        )

    in_transit = TransferLine.objects.filter(transfer__status__in=IN_TRANSIT)
    for item_id, location_id, total in sums(
        in_transit, "transfer__origin_id", TRANSFER_OUTSTANDING
    ):
        found[item_id, location_id].in_transit_out = total
    for item_id, location_id, total in sums(
        in_transit, "transfer__destination_id", TRANSFER_OUTSTANDING
    ):
        found[item_id, location_id].in_transit_in = total
    expected = SupplierReceiptLine.objects.filter(receipt__status__in=EXPECTED)
    for item_id, location_id, total in sums(expected, "receipt__location_id", RECEIPT_OUTSTANDING):
        found[item_id, location_id].expected = total
    return dict(found)


def quantities_of(item_id: int, location_id: int) -> Quantities:
    return named_quantities([item_id], [location_id]).get((item_id, location_id), Quantities())


@dataclass(frozen=True, slots=True)
class Incoming:
    """One document bringing an item to a location: "12 from Warehouse, shipped Dec 3"."""

    document: TransferOrder | SupplierReceipt
    quantity: int
    source: str  # the origin's name, or the supplier's
    since: datetime | None = None  # shipped at (transfers)
    expected_on: date | None = None  # supplier receipts
    kind: str = "transfer"


def incoming_to(item_id: int, location_id: int) -> list[Incoming]:
    """Every transfer in transit and expected delivery bringing the item to the location."""
    transfers = (
        TransferLine.objects.filter(
            item_id=item_id,
            transfer__destination_id=location_id,
            transfer__status__in=IN_TRANSIT,
        )
        .annotate(left=TRANSFER_OUTSTANDING)
        .filter(left__gt=0)
        .select_related("transfer__origin")
        .order_by("transfer__shipped_at", "pk")
    )
    receipts = (
        SupplierReceiptLine.objects.filter(
            item_id=item_id, receipt__location_id=location_id, receipt__status__in=EXPECTED
        )
        .annotate(left=RECEIPT_OUTSTANDING)
        .filter(left__gt=0)
        .select_related("receipt")
        .order_by(F("receipt__expected_on").asc(nulls_last=True), "pk")
    )
    return [
        Incoming(
            line.transfer, line.left, line.transfer.origin.label, since=line.transfer.shipped_at
        )
        for line in transfers
    ] + [
        Incoming(
            line.receipt,
            line.left,
            line.receipt.supplier,
            expected_on=line.receipt.expected_on,
            kind="receipt",
        )
        for line in receipts
    ]


def outgoing_from(item_id: int, location_id: int) -> list[Incoming]:
    """Every transfer in transit that left the location with the item (`source`: where to)."""
    lines = (
        TransferLine.objects.filter(
            item_id=item_id, transfer__origin_id=location_id, transfer__status__in=IN_TRANSIT
        )
        .annotate(left=TRANSFER_OUTSTANDING)
        .filter(left__gt=0)
        .select_related("transfer__destination")
        .order_by("transfer__shipped_at", "pk")
    )
    return [
        Incoming(
            line.transfer,
            line.left,
            line.transfer.destination.label,
            since=line.transfer.shipped_at,
        )
        for line in lines
    ]


def document_lines(document: TransferOrder | SupplierReceipt) -> list:
    """The document's lines with their items, in SKU order, for its page and packing list."""
    return list(document.lines.select_related("item").order_by("item__sku"))
