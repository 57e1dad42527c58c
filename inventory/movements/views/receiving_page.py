"""The receiving page's two kinds of document (a transfer arriving at its destination, a
supplier delivery at its location: what differs between them) and how the page shows one:
its lines with what was typed, each refusal on its line, the codes not on it."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from inventory.models import Item, SupplierReceipt, TransferOrder
from inventory.models.catalog import item_label
from inventory.movements import services as movements
from inventory.movements.forms import ReceivingForm
from locations.selectors import locations_visible_to


@dataclass(frozen=True)
class Kind:
    """What differs between receiving a transfer and a supplier delivery."""

    model: type[TransferOrder] | type[SupplierReceipt]
    word: str  # "transfer" / "delivery", as people call it on the page
    into: str  # the document's field naming the location the stock arrives at
    places: tuple[str, ...]  # the locations its header names, read with it
    has_missing: bool
    still_to_come: str  # what the outstanding units are called after a receiving
    document_page: str  # URL name of the document's own page
    receive_page: str
    receive: Callable[..., Any]

    def documents(self, user) -> QuerySet:
        """The documents `user` may receive: those arriving at one of their locations."""
        mine = self.model.objects.filter(**{f"{self.into}__in": locations_visible_to(user)})
        return mine.select_related(*self.places)

    def location(self, document):
        return getattr(document, self.into)


TRANSFER = Kind(
    model=TransferOrder,
    word="transfer",
    into="destination",
    places=("origin", "destination"),
    has_missing=True,
    still_to_come="still in transit",
    document_page="movements:transfer",
    receive_page="movements:transfer_receive",
    receive=lambda document, **kwargs: movements.receive_transfer(transfer=document, **kwargs),
)
RECEIPT = Kind(
    model=SupplierReceipt,
    word="delivery",
    into="location",
    places=("location",),
    has_missing=False,
    still_to_come="still expected",
    document_page="movements:receipt",
    receive_page="movements:receipt_receive",
    receive=lambda document, **kwargs: movements.receive_receipt(receipt=document, **kwargs),
)


def is_open(document) -> bool:
    return document.in_transit if isinstance(document, TransferOrder) else document.open


def refused_page(
    request, kind: Kind, document, form, lines, strays, by_line, general
) -> HttpResponse:
    """The page again with every refusal on its line, the typed quantities kept."""
    return page(
        request,
        kind,
        document,
        form,
        lines,
        strays=strays,
        row_errors=by_line,
        general_errors=general,
        status=422,
    )


def page(
    request,
    kind: Kind,
    document,
    form: ReceivingForm,
    lines,
    *,
    strays: Sequence[str] = (),
    last=None,
    scanned: str = "",
    row_errors: dict[int, list[str]] | None = None,
    general_errors: Sequence[str] = (),
    status: int = 200,
) -> HttpResponse:
    row_errors = row_errors or {}
    rows = [
        {
            "number": number,
            "line": line,
            "sent": line.quantity if kind.has_missing else line.expected,
            "inputs": [(column, form[form.name(line, column)]) for column in form.columns],
            "received": _typed(form, form.name(line, "received")),
            "errors": row_errors.get(line.pk, []),
            "last": last is not None and line.pk == last.pk,
        }
        for number, line in enumerate(lines, start=1)
    ]
    errors_total = sum(len(found) for found in row_errors.values()) + len(general_errors)
    return render(
        request,
        "movements/receiving.html",
        {
            **admin.site.each_context(request),
            "title": f"Receive {document.number}",
            "kind": kind,
            "document": document,
            "location": kind.location(document),
            "form": form,
            "rows": rows,
            "strays": _named(strays),
            "last": last,
            "last_received": next((row["received"] for row in rows if row["last"]), 0),
            "received_total": sum(row["received"] for row in rows),
            "scanned": scanned,
            "general_errors": general_errors,
            "row_errors": [error for found in row_errors.values() for error in found],
            "errors_total": errors_total,
            "document_url": reverse(kind.document_page, args=[document.pk]),
        },
        status=status,
    )


def _typed(form: ReceivingForm, name: str) -> int:
    """A quantity as typed on a bound form (0 when empty or not a number), for the totals."""
    try:
        return max(int(form[name].value() or 0), 0)
    except (TypeError, ValueError):
        return 0


def _named(codes: Sequence[str]) -> list[dict]:
    """The stray codes with the item each names, if any (one query)."""
    if not codes:
        return []
    items = Item.objects.filter(Q(sku__in=codes) | Q(barcode__in=codes)).values_list(
        "sku", "barcode", "name"
    )
    names: dict[str, str] = {}
    skus = set()
    for sku, barcode, name in items:
        names[sku] = item_label(sku, name)
        skus.add(sku)
        if barcode:
            names.setdefault(barcode, item_label(sku, name))
    return [{"code": code, "item": names.get(code), "by_sku": code in skus} for code in codes]


def closed_page(request, kind: Kind, document, status: int = 200) -> HttpResponse:
    """A document that cannot be received now: why, and where to go instead."""
    return render(
        request,
        "movements/receiving_closed.html",
        {
            **admin.site.each_context(request),
            "title": f"Receive {document.number}",
            "kind": kind,
            "document": document,
            "location": kind.location(document),
            "document_url": reverse(kind.document_page, args=[document.pk]),
        },
        status=status,
    )
