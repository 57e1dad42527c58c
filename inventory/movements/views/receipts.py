"""The supplier receipt pages: the list, a new receipt (an expected delivery), one receipt and
closing it. Receiving is its own page (`receiving.py`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from inventory.models import SupplierReceipt
from inventory.movements import selectors, services
from inventory.movements.forms import ReceiptForm, ReceiptRows
from inventory.movements.services import Planned, Who
from inventory.movements.views.common import (
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
from locations.selectors import locations_visible_to

Status = SupplierReceipt.Status
VIEW = "inventory.view_supplierreceipt"
ADD = "inventory.add_supplierreceipt"
MANAGE = "inventory.manage_supplierreceipt"
RECEIVE = "inventory.receive_transferorder"  # receives transfers and deliveries alike
PER_PAGE = 50
HEADER_FIELDS = {"location": "location", "supplier": "supplier", "lines": None}


def receipt_page(methods: tuple[str, ...] = ("GET",)):
    return document_page(VIEW, _visible, methods)


def _visible(user):
    """The reader's deliveries, with the people and place a delivery's page names."""
    return selectors.receipts_visible_to(user).select_related(
        "location", "created_by", "closed_by", "api_client"
    )


def _url(receipt: SupplierReceipt) -> str:
    return reverse("movements:receipt", args=[receipt.pk])


@receipt_page()
def receipt_list(request: HttpRequest) -> HttpResponse:
    """Deliveries expected at, or received into, the reader's locations, newest first."""
    visible = selectors.receipts_visible_to(request.user)
    filters = selectors.ReceiptFilter(request.GET, queryset=visible)
    receipts = selectors.receipt_list(visible, request.GET).annotate(
        line_count=Count("lines"), units=Sum("lines__expected")
    )
    listed = Paginator(receipts, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "receipt_list.html",
        "Supplier deliveries",
        receipts=listed,
        filters=filters.form,
        statuses=Status.choices,
        chosen=request.GET,
        locations=locations_visible_to(request.user).order_by("label"),
        location_filters=[("location", "Into", request.GET.get("location", ""))],
        text_filters=[
            ("supplier", "Supplier", request.GET.get("supplier", "")),
            ("reference", "Reference", request.GET.get("reference", "")),
        ],
        filtered=any(request.GET.get(name) for name in filters.form.fields),
        query=query.urlencode(),
        can_add=request.user.has_perm(ADD),
    )


@receipt_page(("GET", "POST"))
def receipt_create(request: HttpRequest) -> HttpResponse:
    """An expected delivery: its items are incoming at the location until received or closed."""
    require(request, ADD)
    locations = locations_visible_to(request.user)
    if request.method != "POST":
        return _form_page(
            request,
            ReceiptForm(locations=locations),
            ReceiptRows(initial=blank_rows(), prefix="lines"),
        )
    header = ReceiptForm(request.POST, locations=locations)
    data = request.POST.copy()
    rows = ReceiptRows(data, prefix="lines")
    header.is_valid(), rows.is_valid()  # both, whatever the other finds: every error at once
    if header.is_valid() and rows.is_valid() and "_check" not in request.POST:
        created = _create(request, header, rows)
        if created is not None:
            return created
    return _form_page(request, header, rows, data=data)


def _create(request: HttpRequest, header: ReceiptForm, rows) -> HttpResponse | None:
    data = header.cleaned_data
    filled = rows.filled_forms()
    created = created_once(
        request,
        header,
        filled,
        model=SupplierReceipt,
        name="receipt",
        word="delivery",
        fields=HEADER_FIELDS,
        create=lambda: services.create_receipt(
            location=data["location"],
            supplier=data["supplier"],
            lines=[Planned(form.item, form.cleaned_data["quantity"]) for form in filled],
            who=Who(actor=request.user),
            reference=data["reference"],
            expected_on=data["expected_on"],
            note=data["note"],
        ),
    )
    if created is None:
        return None
    receipt, replayed = created
    if not replayed:
        messages.success(
            request,
            f"{receipt.number} from {receipt.supplier} is expected at {receipt.location.label}. "
            "Its items count as incoming there until they are received.",
        )
    return HttpResponseRedirect(_url(receipt))


def _form_page(request, header: ReceiptForm, rows, data=None) -> HttpResponse:
    location = header.cleaned_data.get("location") if header.is_bound else None
    return page(
        request,
        "receipt_form.html",
        "New supplier delivery",
        form=header,
        lines=rows,
        rows=rows_with_on_hand(request.user, rows, location, data),
        empty_row=empty_row(rows),
        bound=header.is_bound,
        bad_rows=[form.number for form in rows.forms if form.errors] if rows.is_bound else [],
        source_id=header["location"].id_for_label,
    )


@receipt_page()
def receipt_detail(request: HttpRequest, receipt: SupplierReceipt) -> HttpResponse:
    user = request.user
    lines = selectors.document_lines(receipt)
    return page(
        request,
        "receipt.html",
        f"Supplier delivery {receipt.number}",
        receipt=receipt,
        lines=lines,
        totals={
            name: sum(getattr(line, name) for line in lines)
            for name in ("expected", "received", "damaged", "outstanding")
        },
        events=receiving_events(request, receipt),
        can_receive=receipt.open and user.has_perm(RECEIVE),
        can_close=receipt.open and user.has_perm(MANAGE),
        close_form=TokenForm(),
    )


@receipt_page(("POST",))
def receipt_close(request: HttpRequest, receipt: SupplierReceipt) -> HttpResponse:
    if not request.user.has_perm(MANAGE):
        raise PermissionDenied
    done = posted_once(
        request,
        "close",
        receipt,
        lambda: {"closed": services.close_receipt(receipt=receipt, who=Who(actor=request.user)).pk},
    )
    if done is not None:
        messages.success(
            request,
            f"{receipt.number} is closed: what had not arrived is no longer expected at "
            f"{receipt.location.label}.",
        )
    return HttpResponseRedirect(_url(receipt))
