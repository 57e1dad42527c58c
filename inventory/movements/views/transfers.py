"""The transfer pages: the list, a new transfer, one transfer (ship, cancel, close short) and
its packing list. Receiving is its own page (`receiving.py`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from inventory.models import TransferOrder
from inventory.movements import selectors, services
from inventory.movements.forms import TransferForm, TransferRows
from inventory.movements.services import Planned, Who
from inventory.movements.views.common import (
    adjustment_url,
    blank_rows,
    created_once,
    document_page,
    empty_row,
    page,
    posted_once,
    receiving_events,
    require,
    rows_with_on_hand,
)
from inventory.stocktakes.forms import TokenForm
from locations.models import Location
from locations.selectors import locations_visible_to

Status = TransferOrder.Status
VIEW = "inventory.view_transferorder"
ADD = "inventory.add_transferorder"
SHIP = "inventory.ship_transferorder"
RECEIVE = "inventory.receive_transferorder"
PER_PAGE = 50
# A draft's lines are fixed: what to do when the origin cannot send them all.
CANNOT_EDIT = (
    "To send fewer, cancel this transfer and create a new one; or ship it once the stock is there."
)
# The service's names of a transfer's header fields, and the form's.
HEADER_FIELDS = {"origin": "origin", "destination": "destination", "lines": None}


def transfer_page(methods: tuple[str, ...] = ("GET",)):
    return document_page(VIEW, _visible, methods)


def _visible(user):
    """The reader's transfers, with the people and places a transfer's page names."""
    return selectors.transfers_visible_to(user).select_related(
        "origin", "destination", "created_by", "shipped_by", "closed_by", "api_client"
    )


def _url(transfer: TransferOrder) -> str:
    return reverse("movements:transfer", args=[transfer.pk])


@transfer_page()
def transfer_list(request: HttpRequest) -> HttpResponse:
    """Transfers from or to the reader's locations, newest first, filtered by the query."""
    visible = selectors.transfers_visible_to(request.user)
    filters = selectors.TransferFilter(request.GET, queryset=visible)
    transfers = selectors.transfer_list(visible, request.GET).annotate(
        line_count=Count("lines"), units=Sum("lines__quantity")
    )
    listed = Paginator(transfers, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "transfer_list.html",
        "Transfers",
        transfers=listed,
        filters=filters.form,
        statuses=Status.choices,
        chosen=request.GET,
        # A clerk's transfers come from, or go to, any of our locations.
        locations=Location.objects.order_by("label"),
        location_filters=[
            ("origin", "From", request.GET.get("origin", "")),
            ("destination", "To", request.GET.get("destination", "")),
        ],
        filtered=any(request.GET.get(name) for name in filters.form.fields),
        query=query.urlencode(),
        can_add=request.user.has_perm(ADD),
    )


@transfer_page(("GET", "POST"))
def transfer_create(request: HttpRequest) -> HttpResponse:
    """A draft transfer from one of the reader's locations: nothing moves until it is shipped."""
    require(request, ADD)
    origins = locations_visible_to(request.user)
    if request.method != "POST":
        chosen = request.GET.get("from", "")
        header = TransferForm(origins=origins, initial={"origin": chosen} if chosen else {})
        return _form_page(request, header, TransferRows(initial=blank_rows(), prefix="lines"))
    header = TransferForm(request.POST, origins=origins)
    data = request.POST.copy()
    rows = TransferRows(data, prefix="lines")
    header.is_valid(), rows.is_valid()  # both, whatever the other finds: every error at once
    if header.is_valid() and rows.is_valid() and "_check" not in request.POST:
        created = _create(request, header, rows)
        if created is not None:
            return created
    return _form_page(request, header, rows, data=data)


def _create(request: HttpRequest, header: TransferForm, rows) -> HttpResponse | None:
    data = header.cleaned_data
    filled = rows.filled_forms()
    created = created_once(
        request,
        header,
        filled,
        model=TransferOrder,
        name="transfer",
        word="transfer",
        fields=HEADER_FIELDS,
        create=lambda: services.create_transfer(
            origin=data["origin"],
            destination=data["destination"],
            lines=[Planned(form.item, form.cleaned_data["quantity"]) for form in filled],
            who=Who(actor=request.user),
            reference=data["reference"],
            note=data["note"],
        ),
    )
    if created is None:
        return None
    transfer, replayed = created
    if not replayed:
        messages.success(
            request,
            f"{transfer.number} is ready to ship. Nothing has moved yet: print the packing list, "
            "then ship it when it leaves.",
        )
    return HttpResponseRedirect(_url(transfer))


def _form_page(request, header: TransferForm, rows, data=None) -> HttpResponse:
    origin = header.cleaned_data.get("origin") if header.is_bound else None
    return page(
        request,
        "transfer_form.html",
        "New transfer",
        form=header,
        lines=rows,
        rows=rows_with_on_hand(request.user, rows, origin, data),
        empty_row=empty_row(rows),
        bound=header.is_bound,
        bad_rows=[form.number for form in rows.forms if form.errors] if rows.is_bound else [],
        source_id=header["origin"].id_for_label,
    )


# One transfer


@transfer_page()
def transfer_detail(request: HttpRequest, transfer: TransferOrder) -> HttpResponse:
    user = request.user
    lines = selectors.document_lines(transfer)
    return page(
        request,
        "transfer.html",
        f"Transfer {transfer.number}",
        transfer=transfer,
        lines=lines,
        totals=_totals(lines),
        events=receiving_events(request, transfer),
        shipment_url=adjustment_url(user, transfer.shipment_id),
        shipped=transfer.shipped_at is not None,
        can_ship=transfer.status == Status.DRAFT and _may_ship(request, transfer),
        can_close=transfer.in_transit and _may_ship(request, transfer),
        can_receive=transfer.in_transit and _may_receive(request, transfer),
        ship_form=TokenForm(),
        cancel_form=TokenForm(),
        close_form=TokenForm(),
    )


def _may_ship(request: HttpRequest, transfer: TransferOrder) -> bool:
    """Shipping, cancelling and closing are a manager's, at a location they work at."""
    user = request.user
    return user.has_perm(SHIP) and locations_visible_to(user).filter(pk=transfer.origin_id).exists()


def _may_receive(request: HttpRequest, transfer: TransferOrder) -> bool:
    user = request.user
    return (
        user.has_perm(RECEIVE)
        and locations_visible_to(user).filter(pk=transfer.destination_id).exists()
    )


def _totals(lines) -> dict[str, int]:
    return {
        name: sum(getattr(line, name) for line in lines)
        for name in ("quantity", "received", "damaged", "missing", "outstanding")
    }


# The steps


@transfer_page(("POST",))
def transfer_ship(request: HttpRequest, transfer: TransferOrder) -> HttpResponse:
    if not _may_ship(request, transfer):
        raise PermissionDenied  # not theirs to ship
    done = posted_once(
        request,
        "ship",
        transfer,
        lambda: {
            "shipped": services.ship_transfer(transfer=transfer, who=Who(actor=request.user)).pk
        },
        refused=f"{transfer.number} was not shipped.",
        next_step=CANNOT_EDIT,
    )
    if done is not None:
        _, replayed = done
        if replayed:
            messages.info(request, f"{transfer.number} was already shipped; not twice.")
        else:
            messages.success(
                request,
                f"{transfer.number} shipped: its stock left {transfer.origin.label} and is in "
                f"transit to {transfer.destination.label} until it is received there.",
            )
    return HttpResponseRedirect(_url(transfer))


@transfer_page(("POST",))
def transfer_cancel(request: HttpRequest, transfer: TransferOrder) -> HttpResponse:
    if not _may_ship(request, transfer):
        raise PermissionDenied
    done = posted_once(
        request,
        "cancel",
        transfer,
        lambda: {
            "cancelled": services.cancel_transfer(transfer=transfer, who=Who(actor=request.user)).pk
        },
    )
    if done is not None:
        messages.success(request, f"{transfer.number} is cancelled. No stock was moved.")
    return HttpResponseRedirect(_url(transfer))


@transfer_page(("POST",))
def transfer_close(request: HttpRequest, transfer: TransferOrder) -> HttpResponse:
    if not _may_ship(request, transfer):
        raise PermissionDenied
    done = posted_once(
        request,
        "close",
        transfer,
        lambda: {
            "closed": services.close_transfer(transfer=transfer, who=Who(actor=request.user)).pk
        },
    )
    if done is not None:
        messages.success(
            request,
            f"{transfer.number} is closed short: what had not arrived is recorded missing and "
            "is no longer in transit.",
        )
    return HttpResponseRedirect(_url(transfer))


@transfer_page()
def packing_list(request: HttpRequest, transfer: TransferOrder) -> HttpResponse:
    """A printable list of what goes in the box, with a column to tick on arrival."""
    lines = selectors.document_lines(transfer)
    return page(
        request,
        "packing_list.html",
        f"Packing list {transfer.number}",
        transfer=transfer,
        lines=lines,
        total=sum(line.quantity for line in lines),
    )
