"""The stock history: every ledger line (HistoryAdmin) and every transaction (AdjustmentAdmin),
read-only (the ledger is append-only), narrowed to what the reader may see. Searching is
inventory.reports.history_search's, filtering inventory.reports.history_filters': the page and
its CSV export use the same two, so the export holds exactly the lines the page lists."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    QueryDict,
    StreamingHttpResponse,
)
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from inventory.admin.history_columns import (
    DOCUMENT_JOINS,
    HistoryColumns,
    document_of,
    reason_html,
)
from inventory.admin.notices import HiddenStockNoticeMixin
from inventory.admin.paging import CappedCountPaginator
from inventory.models import Adjustment, AdjustmentLine, Item
from inventory.reports import exports
from inventory.reports.history_filters import (
    HistoryFilterSet,
    actors_visible_to,
    api_clients_visible_to,
    date_presets,
)
from inventory.reports.history_search import search_adjustments, search_lines
from inventory.reports.visibility import adjustments_visible_to, history_visible_to
from inventory_project.admin_site import link_for_reader
from locations.admin import HiddenIsNotFoundMixin, title_by_location

HISTORY_SEARCH_HELP = (
    "A SKU or part of one, words of the item name, the transaction id, or words of the reason "
    "or reference."
)


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
    """The "by user" and "by API client" choices of the transactions list: only those who
    changed stock at a location the reader may see (one query each)."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.empty_value_display = "None" if field.name == "actor" else "Not through the API"

    def field_choices(self, field, request, model_admin):
        acted = {"actor": actors_visible_to, "api_client": api_clients_visible_to}[field.name]
        return [(choice.pk, str(choice)) for choice in acted(request.user)]


class ReaderChangeList(ChangeList):
    """Each row of the page knows its `reader` (the user), so that its columns link only to
    pages the reader may open (no query: permissions are cached on the user)."""

    def get_results(self, request):
        super().get_results(request)
        for row in self.result_list:
            row.reader = request.user


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
    list_display = ["transaction_id", "created_at", "kind", "source", "made_by", "why"]
    list_filter = [
        "reason_code",
        "kind",
        "source",
        ("created_at", admin.DateFieldListFilter),
        ("actor", ActedWhereVisibleFilter),
        ("api_client", ActedWhereVisibleFilter),
    ]
    search_fields = ["transaction_id"]  # shows the box; get_search_results does the work
    search_help_text = HISTORY_SEARCH_HELP
    fields = [
        "created_at",
        "kind",
        "source",
        "made_by",
        "reason_code",
        "reason",
        "reference",
        "document",
        "transaction_id",
    ]
    readonly_fields = fields
    inlines = [AdjustmentLineInline]
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request: HttpRequest) -> QuerySet[Adjustment]:
        return adjustments_visible_to(request.user).select_related(*DOCUMENT_JOINS)

    def get_changelist(self, request, **kwargs):
        return ReaderChangeList

    def get_search_results(self, request, queryset, search_term):
        return search_adjustments(queryset, search_term), False

    def get_fields(self, request, obj=None):
        """What was not recorded is not shown: no row of dashes."""
        return [
            name
            for name in self.fields
            if obj is None
            or (
                document_of(obj) is not None
                if name == "document"
                else getattr(obj, name, True) != ""
            )
        ]

    @admin.display(description="by")
    def made_by(self, adjustment: Adjustment) -> str:
        """The person or API client, linked only for a reader who may open their page."""
        reader = getattr(adjustment, "reader", None)
        if adjustment.actor_id is not None:
            return link_for_reader(adjustment.actor, reader, adjustment.actor.get_username())
        if adjustment.api_client_id is not None:
            return link_for_reader(adjustment.api_client, reader, adjustment.made_by)
        return adjustment.made_by

    @admin.display(description="reason")
    def why(self, adjustment: Adjustment) -> str:
        return reason_html(adjustment, getattr(adjustment, "reader", None))

    @admin.display(description="transfer or delivery")
    def document(self, adjustment: Adjustment) -> str:
        """The transfer or supplier receipt this change shipped or received."""
        found = document_of(adjustment, getattr(adjustment, "reader", None))
        if found is None:
            return ""
        if not found.url:
            return found.number
        return format_html('<a href="{}">{}</a>', found.url, found.number)


class HistoryFilters(admin.ListFilter):
    """The history's FilterSet (inventory.reports.history_filters) as the list's one filter: it
    takes its parameters from the query string and filters the page and the CSV export alike.
    The page renders its form above the rows (change_list.html), not in the admin's sidebar.

    Links made before the FilterSet (bookmarks, the stocktake pages) name kind and source the
    admin's way, `adjustment__kind__exact=`: read as `kind=`."""

    title = "filters"
    OLD_NAMES = {"adjustment__kind__exact": "kind", "adjustment__source__exact": "source"}

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        data = QueryDict(mutable=True)
        for name in self.expected_parameters():
            if name in params:
                data.setlist(self.OLD_NAMES.get(name, name), params.pop(name))
        self.request = request
        self.filterset = HistoryFilterSet(data, request=request)
        self.is_valid = self.filterset.is_valid()

    def has_output(self) -> bool:
        return True  # else the changelist would not apply it

    def expected_parameters(self) -> list[str]:
        return [*HistoryFilterSet.base_filters, *self.OLD_NAMES]

    def queryset(self, request, queryset):
        if not self.is_valid:
            return queryset.none()  # the form says what is wrong
        return self.filterset.filter_queryset(queryset)

    def choices(self, changelist):
        return []

    @property
    def form(self):
        return self.filterset.form

    @property
    def error_text(self) -> str:
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in self.form.errors.items()
        )

    @cached_property
    def active_count(self) -> int:
        data = self.form.data
        return sum(1 for name in HistoryFilterSet.base_filters if data.get(name))

    @cached_property
    def chosen_item(self) -> Item | None:
        if not self.is_valid or self.form.cleaned_data.get("item") is None:
            return None
        return Item.objects.filter(pk=self.form.cleaned_data["item"]).first()

    def link(self, **changes: str | None) -> str:
        """This page's query string with `changes` (None removes a parameter), on page 1."""
        query = self.request.GET.copy()
        for name, value in [*changes.items(), ("p", None)]:
            query.pop(name, None)
            if value is not None:
                query[name] = value
        return f"?{query.urlencode()}"

    @cached_property
    def date_presets(self) -> list[tuple[str, str, bool]]:
        """Today, last 7 days, …: (label, link, whether it is the range shown)."""
        data = self.form.data
        shown = (data.get("since") or None, data.get("until") or None)
        presets = []
        for label, since, until in date_presets(timezone.localdate()):
            values = (since and since.isoformat(), until and until.isoformat())
            presets.append((label, self.link(since=values[0], until=values[1]), values == shown))
        return presets

    @property
    def without_item(self) -> str:
        return self.link(item=None)

    @property
    def carried(self) -> list[tuple[str, str]]:
        """Parameters the form does not show, kept when it is sent (the sort order)."""
        shown = {SEARCH_VAR, "p", *self.expected_parameters()}
        return [(name, value) for name, value in self.request.GET.items() if name not in shown]


@admin.register(AdjustmentLine)
class HistoryAdmin(HiddenStockNoticeMixin, HistoryColumns, HiddenIsNotFoundMixin, ReadOnlyAdmin):
    """Every change to every balance: when, what, where, how much, why and who."""

    list_display = [
        "when",
        "item_sku_name",
        "location_name",
        "change",
        "on_hand",
        "why",
        "by",
        "kind",
        "transaction",
    ]
    list_display_links = None
    list_filter = [HistoryFilters]
    search_fields = ["item__sku"]  # shows the box; get_search_results does the work
    search_help_text = HISTORY_SEARCH_HELP
    list_per_page = 100
    sortable_by = ["when"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a COUNT per filter choice, over the whole ledger

    def get_queryset(self, request: HttpRequest) -> QuerySet[AdjustmentLine]:
        documents = (f"adjustment__{join}" for join in DOCUMENT_JOINS)
        return history_visible_to(request.user).select_related(*documents)

    def get_changelist(self, request, **kwargs):
        return ReaderChangeList

    def get_list_display(self, request):
        if request.user.has_perm("inventory.view_adjustment"):
            return self.list_display
        # No link to a page the reader may not open.
        return [*self.list_display[:-1], "transaction_id_text"]

    def get_search_results(self, request, queryset, search_term):
        return search_lines(queryset, search_term), False

    def lookup_allowed(self, lookup, value, request=None):
        # HistoryFilters reads these (older links); the admin checks every parameter first.
        return lookup in HistoryFilters.OLD_NAMES or super().lookup_allowed(lookup, value, request)

    def list_title(self, request: HttpRequest) -> str:
        return title_by_location(request, "Stock history", "Stock history at {}")

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
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters as error:
            return _bad_filter(str(error))
        filters = changelist.filter_specs[0]
        if not filters.is_valid:
            return _bad_filter(filters.error_text)
        return exports.history_csv(changelist.queryset)


def _bad_filter(message: str) -> HttpResponse:
    return HttpResponseBadRequest(
        f"Bad filter: {message}", content_type="text/plain; charset=utf-8"
    )
