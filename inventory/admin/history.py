"""The history: every adjustment and every ledger line, read-only (the ledger is append-only),
searchable and filterable, narrowed to what the user may see."""

import uuid

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html

from inventory.admin import adjust
from inventory.admin.notices import HiddenStockNoticeMixin
from inventory.models import Adjustment, AdjustmentLine, Item
from inventory.selectors import (
    adjustments_visible_to,
    history_visible_to,
)
from inventory_project.admin_site import link_for_reader
from locations.admin import HiddenIsNotFoundMixin, VisibleLocationFilter, title_by_location
from locations.selectors import locations_visible_to, sees_all_locations


class CappedCountPaginator(Paginator):
    """Counting every row of a million-line ledger on each page view is what makes big admin
    changelists slow. Count at most CAP rows instead (a bounded index scan); to reach older rows
    the user filters, which is how history is read anyway.

    The count drops the ordering: which rows are counted does not matter, and ordered by id
    a search for one SKU would walk the whole ledger backwards on the primary key, filtering,
    instead of reading that item's entries of an index."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP + 1].count()

    def page(self, number):
        """The page's rows in two steps, in one query: their ids (filters, order and LIMIT
        through the ledger's indexes), then those rows with their joins. Otherwise the planner
        may join every line of a searched SKU with its adjustment (a scan of all adjustments)
        before keeping one page: a cost that grows with the ledger."""
        page = super().page(number)
        page.object_list = self.object_list.filter(pk__in=page.object_list.values("pk"))
        return page

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


class ItemColumnsMixin:
    """SKU and name of a ledger line's item, for tables of ledger lines."""

    @admin.display(description="SKU")
    def sku(self, line: AdjustmentLine) -> str:
        return line.item.sku

    @admin.display(description="item")
    def item_name(self, line: AdjustmentLine) -> str:
        return line.item.name


class AdjustmentLineInline(admin.TabularInline):
    """An adjustment's lines in four columns, so that they fit a phone's width."""

    model = AdjustmentLine
    verbose_name_plural = "lines"
    fields = ["location", "item", "on_hand", "signed_change"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="on hand")
    def on_hand(self, line: AdjustmentLine) -> str:
        return f"{line.quantity_before} → {line.quantity_after}"

    @admin.display(description="change")
    def signed_change(self, line: AdjustmentLine) -> str:
        return f"{line.delta:+d}" if line.delta else "0"

    def get_queryset(self, request):
        return history_visible_to(request.user).order_by("id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActedWhereVisibleFilter(admin.RelatedFieldListFilter):
    """The "by user" and "by API client" choices of the history lists: for store staff, only
    those who changed stock at a location they may see, so a filter does not list everyone who
    works elsewhere or every partner the store has. One query (EXISTS over the ledger, by the
    adjustment's actor or client). Managers see every location, so every choice."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.empty_value_display = "None" if field.name == "actor" else "Not through the API"

    def field_choices(self, field, request, model_admin):
        if sees_all_locations(request.user):
            return super().field_choices(field, request, model_admin)
        acted = AdjustmentLine.objects.filter(
            location__in=locations_visible_to(request.user),
            **{f"adjustment__{field.name}": OuterRef("pk")},
        )
        choices = field.related_model._default_manager.filter(Exists(acted))
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            choices = choices.order_by(*ordering)
        return [(choice.pk, str(choice)) for choice in choices]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is append-only: nobody adds, changes or deletes it here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Adjustment)
class AdjustmentAdmin(HiddenIsNotFoundMixin, ReadOnlyAdmin):
    list_display = ["transaction_id", "created_at", "kind", "source", "made_by", "reason"]
    list_filter = [
        "kind",
        "source",
        ("created_at", admin.DateFieldListFilter),
        ("actor", ActedWhereVisibleFilter),
        ("api_client", ActedWhereVisibleFilter),
    ]
    search_fields = ["=transaction_id", "reason"]
    fields = [
        "created_at",
        "kind",
        "source",
        "made_by",
        "reason_code",
        "reason",
        "reference",
        "transaction_id",
    ]
    readonly_fields = fields
    inlines = [AdjustmentLineInline]
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request: HttpRequest) -> QuerySet[Adjustment]:
        return adjustments_visible_to(request.user)

    def get_search_results(self, request, queryset, search_term):
        return _search_history(queryset, search_term, prefix=""), False

    def get_fields(self, request, obj=None):
        """What was not recorded is not shown: no row of dashes."""
        return [name for name in self.fields if obj is None or getattr(obj, name, True) != ""]

    @admin.display(description="by")
    def made_by(self, adjustment: Adjustment) -> str:
        """The person or API client, linked only for a reader who may open their page."""
        reader = getattr(adjustment, "reader", None)
        if adjustment.actor_id is not None:
            return link_for_reader(adjustment.actor, reader, adjustment.actor.get_username())
        if adjustment.api_client_id is not None:
            return link_for_reader(adjustment.api_client, reader, adjustment.made_by)
        return adjustment.made_by


@admin.register(AdjustmentLine)
class HistoryAdmin(HiddenStockNoticeMixin, ItemColumnsMixin, HiddenIsNotFoundMixin, ReadOnlyAdmin):
    """Every change to every balance: who, when, why, before and after."""

    list_display = [
        "when",
        "location_code",
        "sku",
        "item_name",
        "on_hand",
        "signed_delta",
        "kind_and_source",
        "actor",
        "reason",
        "transaction",
    ]
    list_display_links = None
    list_filter = [
        VisibleLocationFilter,
        "adjustment__kind",
        "adjustment__source",
        ("created_at", admin.DateFieldListFilter),
        ("adjustment__actor", ActedWhereVisibleFilter),
        ("adjustment__api_client", ActedWhereVisibleFilter),
    ]
    search_fields = ["item__sku"]  # shows the box; get_search_results does the work
    search_help_text = "SKU, barcode, transaction id, or words of the reason"
    list_per_page = 100
    sortable_by = ["when"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a COUNT per filter choice, over the whole ledger

    def get_queryset(self, request: HttpRequest) -> QuerySet[AdjustmentLine]:
        return history_visible_to(request.user)

    def list_title(self, request: HttpRequest) -> str:
        return title_by_location(request, "Stock history", "Stock history at {}")

    def get_search_results(self, request, queryset, search_term):
        return _search_history(queryset, search_term, prefix="adjustment__"), False

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in {"item", "item__exact"} or super().lookup_allowed(lookup, value, request)

    def get_urls(self):
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_view),
            name="inventory_adjustmentline_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The changelist's own query: exactly the rows the filters and search select.
        try:
            lines = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters as error:
            return HttpResponseBadRequest(f"Bad filter: {error}", content_type="text/plain")
        return adjust.history_csv_response(lines)

    @admin.display(description="when", ordering="created_at")
    def when(self, line: AdjustmentLine) -> str:
        return date_format(timezone.localtime(line.created_at), "DATETIME_FORMAT")

    @admin.display(description="location", ordering="location__code")
    def location_code(self, line: AdjustmentLine) -> str:
        return line.location.code

    @admin.display(description="on-hand")
    def on_hand(self, line: AdjustmentLine) -> str:
        return f"{line.quantity_before} → {line.quantity_after}"

    @admin.display(description="change")
    def signed_delta(self, line: AdjustmentLine) -> str:
        return f"{line.delta:+d}" if line.delta else "0"

    @admin.display(description="kind")
    def kind_and_source(self, line: AdjustmentLine) -> str:
        adjustment = line.adjustment
        return f"{adjustment.get_kind_display()} · {adjustment.get_source_display()}"

    @admin.display(description="by")
    def actor(self, line: AdjustmentLine) -> str:
        return line.adjustment.made_by

    @admin.display(description="reason")
    def reason(self, line: AdjustmentLine) -> str:
        return line.adjustment.reason

    @admin.display(description="adjustment")
    def transaction(self, line: AdjustmentLine) -> str:
        url = reverse("admin:inventory_adjustment_change", args=[line.adjustment_id])
        return format_html('<a href="{}">{}</a>', url, line.adjustment.short_id)


def _search_history(queryset: QuerySet, term: str, *, prefix: str) -> QuerySet:
    """A transaction id finds its adjustment; a SKU or barcode finds that item's lines (an index
    range, even on a million-line ledger); any other text searches the reasons."""
    term = term.strip()
    if not term:
        return queryset
    try:
        return queryset.filter(**{f"{prefix}transaction_id": uuid.UUID(term)})
    except ValueError:
        pass
    item_ids = list(Item.objects.filter(Q(sku=term) | Q(barcode=term)).values_list("pk", flat=True))
    if not item_ids:
        return queryset.filter(**{f"{prefix}reason__icontains": term})
    if prefix:  # ledger lines
        return queryset.filter(item__in=item_ids)
    # adjustments: match through the ledger with a subquery, so no adjustment repeats
    return queryset.filter(
        pk__in=AdjustmentLine.objects.filter(item__in=item_ids).values("adjustment_id")
    )
