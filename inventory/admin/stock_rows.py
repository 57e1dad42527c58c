"""What the "Adjust stock" and "Move stock" pages share: a form of rows (an item by SKU or
barcode, a quantity) checked in one pass. Every error is shown at once, next to its row: the
form's, the rows', the blind counts' and the write path's refusals of every row. A row that
would change nothing is pointed out before it is recorded."""

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from inventory.admin.adjust_forms import (
    BaseStockRowFormSet,
    StockChangeForm,
    StockRowForm,
    item_label,
    items_by_code,
)
from inventory.admin.notices import say_what_blind_counts_hide
from inventory.admin.stock_messages import DESTINATION, SOURCE, box_of, summary_of
from inventory.errors import (
    AdjustmentRejected,
    ErrorCode,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    LineError,
)
from inventory.models import Adjustment, Balance, Item
from inventory.stock import LineInput, apply_adjustment, check_adjustment
from inventory.stock.messages import for_people
from inventory.stock.selectors import balances_at
from inventory.stocktakes.blind_counts import blind_counts_hiding_items
from locations.models import Location
from locations.selectors import locations_visible_to

BLANK_ROWS = 5
STALE = (
    "Stock changed since you opened this form. The on-hand column now shows the current"
    " numbers: check your quantities and apply again."
)


@dataclass
class Row:
    """A row as the page shows it."""

    number: int | str  # from 1 ("__number__" in the template of new rows)
    form: StockRowForm
    on_hand: int | None  # what the row expects; None when unknown or hidden from the reader
    warning: str = ""

    @property
    def messages(self) -> list[str]:
        """The row's errors, all in one place beside its item: the code's, the quantity's,
        then the row's own."""
        errors = self.form.errors if self.form.is_bound else {}
        order = ["code", "quantity", "expected_quantity", "confirmed", "__all__"]
        return [message for field in order for message in errors.get(field, [])]


class StockRowsPage:
    """One request to a page of rows. Subclasses say where stock is taken from (`source`),
    where it goes (`destination`), what kind of change a row is, and when a row changes
    nothing."""

    title = ""
    template = ""
    header_class: type[StockChangeForm]
    rows_class: type[BaseStockRowFormSet]
    source_field = ""  # the header field of the location the rows' on-hand is read at
    source_param = ""  # its prefill query parameter
    change = ""  # what a row's quantity does, for the page's script: "adjust" or "move"
    quantity_label = "Quantity"
    doing = ""  # for messages about hidden items: "adjust it", "move it"

    def __init__(self, request: HttpRequest, model_admin: ModelAdmin) -> None:
        if not request.user.has_perm("inventory.adjust_stock"):
            raise PermissionDenied
        self.request = request
        self.model_admin = model_admin
        self.locations = locations_visible_to(request.user)
        self.warnings: dict[int, str] = {}  # by row number
        self.hidden: set[int] = set()  # row numbers a blind count hides

    # --- what subclasses say --------------------------------------------------------------

    def kind(self, header: StockChangeForm) -> Adjustment.Kind | None:
        raise NotImplementedError

    def line(self, header: StockChangeForm, form: StockRowForm) -> LineInput:
        raise NotImplementedError

    def destination(self, header: StockChangeForm) -> Location | None:
        return None

    def changes_nothing(self, header: StockChangeForm, quantity: int, on_hand: int) -> str:
        """Why a row with this quantity changes nothing at this on-hand, or ""."""
        return ""

    def needs_on_hand(self, header: StockChangeForm, form: StockRowForm) -> bool:
        """Whether a row without the on-hand its reader saw is held until they have seen it."""
        return False

    def done(self, header: StockChangeForm, adjustment: Adjustment, count: int) -> str:
        raise NotImplementedError

    def again_url(self, header: StockChangeForm) -> str:
        """The page again, at the same location, for the next change."""
        source = header.cleaned_data[self.source_field]
        return f"{self.request.path}?{urlencode({self.source_param: source.pk})}"

    # --- the request ----------------------------------------------------------------------

    def respond(self) -> HttpResponse:
        if self.request.method == "POST":
            return self.post()
        return self.get()

    def get(self) -> HttpResponse:
        """A fresh form, prefilled from the query: the location (`source_param`), and items by
        `?sku=` (repeatable) or `?items=ID,ID` (the balance list's action). Items a blind count
        hides from the reader are left out: their rows would show on-hand."""
        query = self.request.GET
        stock: dict = {}
        source = self._visible(query.get(self.source_param)) or self._only_location()
        items = _prefilled_items(query)
        if source is not None:
            hidden = self._hiding(source, items)
            items = [item for item in items if item.pk not in hidden]
            stock = balances_at(item_ids=[item.pk for item in items], location_ids=[source.pk])
        initial = [
            {"code": item.sku, "expected_quantity": _on_hand(stock, item, source)}
            if source is not None
            else {"code": item.sku}
            for item in items
        ]
        header = self.header_class(
            initial={**self.initial_header(query, source), "submission_token": uuid.uuid4()},
            locations=self.locations,
        )
        rows = self.rows_class(initial=initial + [{}] * BLANK_ROWS, prefix="lines")
        for form, item in zip(rows.forms, items, strict=False):
            form.item = item
        say_what_blind_counts_hide(self.request)
        return self.render(header, rows)

    def initial_header(self, query: QueryDict, source: Location | None) -> dict:
        return {self.source_field: source}

    def post(self) -> HttpResponse:
        # A mutable copy: the page shown again carries the on-hand each row was checked against.
        data = self.request.POST.copy()
        header = self.header_class(data, locations=self.locations)
        rows = self.rows_class(data, prefix="lines")
        header.is_valid(), rows.is_valid()  # both, whatever the other finds: every error at once
        source = header.cleaned_data.get(self.source_field)
        checking = "_check" in data
        stock: dict = {}
        if source is not None:
            self._refuse_hidden(header, rows, source)
            stock = self._stock(rows, source)
            self._hold(header, rows, stock, source)
            _fill_on_hand(data, rows, stock, source, self.hidden)
        # Valid still, once the checks above added their errors?
        if header.is_valid() and rows.is_valid() and not self.warnings and not checking:
            return self.apply(header, rows, data, source)
        if source is not None:
            self._check(header, rows, data, source)
        return self.render(header, rows, checked=True, checking=checking)

    def apply(self, header, rows, data, source) -> HttpResponse:
        filled = rows.filled_forms()
        try:
            adjustment = apply_adjustment(
                kind=self.kind(header),
                lines=[self.line(header, form) for form in filled],
                **header.why(),
                source=Adjustment.Source.ADMIN,
                actor=self.request.user,
                idempotency_key=str(header.cleaned_data["submission_token"]),
            )
        except AdjustmentRejected as error:
            self._show(error.errors, header, filled, data, source)
            return self.render(header, rows, checked=True)
        except IdempotencyKeyReused:
            header.add_error(
                None, "This form was already used for another change. Reload the page."
            )
            return self.render(header, rows, checked=True)
        except IdempotencyKeyInFlight:
            header.add_error(None, "This form is being applied. Check the history in a moment.")
            return self.render(header, rows, checked=True)
        if adjustment.replayed:
            messages.info(
                self.request,
                f"This form was already applied (transaction {adjustment.short_id}); "
                "it was not applied a second time.",
            )
        else:
            again = format_html(
                '<a href="{}">{}</a>', self.again_url(header), f"{self.title} again"
            )
            text = self.done(header, adjustment, len(filled))
            messages.success(self.request, format_html("{} {}", text, again))
        return HttpResponseRedirect(
            reverse("admin:inventory_adjustment_change", args=[adjustment.pk])
        )

    # --- the checks -------------------------------------------------------------------------

    def _visible(self, location_id: str | None) -> Location | None:
        if not (location_id or "").isdigit():
            return None
        return self.locations.filter(pk=int(location_id), enabled=True).first()

    def _only_location(self) -> Location | None:
        """The reader's one location, when they have only one: nothing to choose."""
        enabled = list(self.locations.filter(enabled=True)[:2])
        return enabled[0] if len(enabled) == 1 else None

    def _hiding(self, source: Location, items: list[Item]) -> dict:
        return blind_counts_hiding_items(
            self.request.user, location_id=source.pk, item_ids=[item.pk for item in items]
        )

    def _refuse_hidden(self, header, rows: BaseStockRowFormSet, source: Location) -> None:
        """Items a blind count is counting cannot be changed by its counters: the form, its
        errors and the history would tell them the on-hand they are counting blind."""
        ends = [source, self.destination(header)]
        forms_ = rows.rows_with_items()
        for location in filter(None, ends):
            hidden = blind_counts_hiding_items(
                self.request.user, location_id=location.pk, item_ids=[f.item.pk for f in forms_]
            )
            for form in forms_:
                count = hidden.get(form.item.pk)
                if count is None or form.number in self.hidden:
                    continue
                self.hidden.add(form.number)
                form.add_error(
                    "code",
                    f"{item_label(form.item)} is being counted in stocktake #{count.pk} at "
                    f"{location.label}: {self.doing} once that count is applied or cancelled.",
                )

    def _stock(self, rows: BaseStockRowFormSet, source: Location) -> dict:
        item_ids = [form.item.pk for form in rows.rows_with_items()]
        return balances_at(item_ids=item_ids, location_ids=[source.pk])

    def _hold(self, header, rows: BaseStockRowFormSet, stock: dict, source: Location) -> None:
        """Rows to be seen again before they are recorded: a row that changes nothing (unless
        its reader confirmed that quantity), a row set without its on-hand having been shown."""
        for form in rows.filled_forms():
            number = form.number
            if number in self.hidden or form.errors:
                continue
            data = form.cleaned_data
            on_hand = _on_hand(stock, form.item, source)
            if self.needs_on_hand(header, form):
                self.warnings[number] = (
                    f"On-hand here is {on_hand}: check the quantity, then apply again."
                )
                continue
            why = self.changes_nothing(header, data["quantity"], on_hand)
            if why and data.get("confirmed") != data["quantity"]:
                self.warnings[number] = (
                    f"{why} Apply again to record it anyway, or clear the quantity."
                )
                rows.data[f"{form.prefix}-confirmed"] = str(data["quantity"])

    def _check(self, header, rows: BaseStockRowFormSet, data: QueryDict, source) -> None:
        """What the write path would refuse of the rows that passed every other check."""
        kind = self.kind(header)
        good = [
            form
            for form in rows.filled_forms()
            if not form.errors and form.number not in self.hidden
        ]
        if kind is None or not good:
            return
        errors = check_adjustment(kind=kind, lines=[self.line(header, form) for form in good])
        self._show(errors, header, good, data, source)

    def _show(self, errors: list[LineError], header, forms_, data, source) -> None:
        """Each of the write path's errors on the row it came from, in words; a stale row
        now expects today's on-hand, so applying it again is a deliberate choice."""
        stock = balances_at(item_ids=[form.item.pk for form in forms_], location_ids=[source.pk])
        sentences = for_people(errors, line_number=lambda index: forms_[index].number)
        for error, message in zip(errors, sentences, strict=True):
            if error.index is None:
                header.add_error(None, message)
                continue
            form = forms_[error.index]
            field = {SOURCE: self.source_field, DESTINATION: "to_location"}.get(
                box_of(error), box_of(error)
            )
            if field in header.fields:
                if field not in header.errors:
                    header.add_error(field, message)
            elif field is None or field not in form.errors:  # one message per box
                form.add_error(field, message)
            if error.code == ErrorCode.STALE_QUANTITY:
                data[f"{form.prefix}-expected_quantity"] = str(
                    _quantity(stock.get((form.item.pk, source.pk)))
                )
        if any(error.code == ErrorCode.STALE_QUANTITY for error in errors):
            header.add_error(None, STALE)

    # --- the page ---------------------------------------------------------------------------

    def render(self, header, rows, *, checked: bool = False, checking: bool = False):
        shown = [self._row(form) for form in rows.forms]
        bad = [row.number for row in shown if row.form.errors]
        summary = summary_of(header, rows, bad, sorted(self.warnings))
        if checked:
            _focus_first_to_do(shown)
        context = {
            **self.model_admin.admin_site.each_context(self.request),
            "opts": self.model_admin.model._meta,
            "title": self.title,
            "form": header,
            "lines": rows,
            "rows": shown,
            "summary": summary if checked else "",
            "all_clear": checking and not summary,
            "blocked": self.blocked(),
            "lookup_url": reverse("admin:inventory_balance_lookup"),
            "source_field": header[self.source_field],
            "why_fields": [header["reason_code"], header["reason"], header["reference"]],
            "empty_row": Row("__number__", rows.empty_form, None),
            "change": self.change,
            "quantity_label": self.quantity_label,
        }
        return render(self.request, self.template, context)

    def blocked(self) -> str:
        """Why the reader cannot use this page at all, or ""."""
        return ""

    def _row(self, form: StockRowForm) -> Row:
        expected = form["expected_quantity"].value()
        hidden = form.number in self.hidden or form.item is None
        on_hand = None if hidden or expected in (None, "") else int(expected)
        return Row(form.number, form, on_hand, self.warnings.get(form.number, ""))


def _focus_first_to_do(rows: list[Row]) -> None:
    """The page shown again puts the cursor where work is left: the first box with an error,
    else the quantity of the first item without one (a code scanned with the script off)."""
    for row in rows:
        for name in ("code", "quantity"):
            if name in row.form.errors:
                row.form.fields[name].widget.attrs["autofocus"] = True
                return
    for row in rows:
        if row.form.item is not None and row.form["quantity"].value() in (None, ""):
            row.form.fields["quantity"].widget.attrs["autofocus"] = True
            return


def _prefilled_items(query: QueryDict) -> list[Item]:
    """The items a link names: `?sku=` (repeatable) or `?items=ID,ID`, in the link's order."""
    ids = [int(part) for part in query.get("items", "").split(",") if part.strip().isdigit()]
    by_code = items_by_code(query.getlist("sku"))
    by_id = {item.pk: item for item in Item.objects.filter(pk__in=ids)} if ids else {}
    found = [by_code[code] for code in query.getlist("sku") if code in by_code]
    found += [by_id[pk] for pk in ids if pk in by_id]
    return list({item.pk: item for item in found}.values())


def _on_hand(stock: dict, item: Item, location: Location) -> int:
    return _quantity(stock.get((item.pk, location.pk)))


def _quantity(balance: Balance | None) -> int:
    return balance.quantity if balance is not None else 0


def _fill_on_hand(data: QueryDict, rows, stock: dict, source: Location, hidden: set) -> None:
    """Rows named without their on-hand (typed without the page's script) now show it and
    expect it: the next submission is protected against a change made meanwhile."""
    for form in rows.forms:
        if form.item is None or form.number in hidden:
            continue
        if form["expected_quantity"].value() in (None, ""):
            data[f"{form.prefix}-expected_quantity"] = str(_on_hand(stock, form.item, source))
