"""Webhooks in the back office: partners' endpoints (add one, choose its events, see its secret
and how to verify signatures, send it a test event, rotate its secret, resume one the worker
paused) and the outbox of events with every delivery attempt (filter by status; retry a
failed one)."""

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from inventory.models import WebhookAttempt, WebhookEndpoint, WebhookEvent, WebhookScope
from inventory.models.webhooks import generate_secret
from inventory.webhooks import outbox, signing

RECENT_EVENTS = 20


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="https:// to a public internet address (localhost only in development).",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="BigCommerce's event names; each change sends one event per endpoint.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "active"]

    def clean_events(self) -> list[str]:
        chosen = set(self.cleaned_data["events"])
        return [scope for scope in WebhookScope.values if scope in chosen]  # a stable order


class DeliveriesFilter(admin.SimpleListFilter):
    title = "deliveries"
    parameter_name = "deliveries"

    def lookups(self, request, model_admin):
        return [("running", "Running"), ("paused", "Paused")]

    def queryset(self, request, queryset):
        if self.value() == "running":
            return queryset.filter(paused_at__isnull=True)
        if self.value() == "paused":
            return queryset.filter(paused_at__isnull=False)
        return queryset


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = [
        "name",
        "url",
        "active",
        "deliveries",
        "event_list",
        "pending",
        "failed",
        "last_delivery",
    ]
    list_filter = ["active", DeliveriesFilter]
    search_fields = ["name", "url"]
    readonly_fields = [
        "delivery_state",
        "secret",
        "how_to_verify",
        "created_by",
        "created_at",
        "updated_at",
        "recent_events",
    ]
    actions = ["send_test_event", "rotate_secret", "resume_deliveries"]

    def get_fieldsets(self, request: HttpRequest, obj: WebhookEndpoint | None = None):
        main = (None, {"fields": ["name", "url", "events", "active"]})
        if obj is None:
            return [main]  # the secret is generated on save and shown on the next page
        return [
            main,
            ("Signing", {"fields": ["secret", "how_to_verify"]}),
            ("Deliveries", {"fields": ["delivery_state", "recent_events"]}),
            ("Record", {"fields": ["created_by", "created_at", "updated_at"]}),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        # Subqueries over undelivered events (a small partial index) and the latest delivered
        # one: never a scan of an endpoint's whole history.
        events = WebhookEvent.objects.filter(endpoint=OuterRef("pk")).order_by()
        undelivered = events.filter(delivered_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_count=_count(undelivered.filter(failed_at__isnull=True)),
                failed_count=_count(undelivered.filter(failed_at__isnull=False)),
                last_delivered_at=Subquery(
                    events.filter(delivered_at__isnull=False)
                    .order_by("-id")
                    .values("delivered_at")[:1]
                ),
            )
        )

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Counts instead of Django's list of every related row: an endpoint's outbox holds
        every event it was ever sent, each with its attempts, which go with it."""
        endpoints = list(objs)
        events = WebhookEvent.objects.filter(endpoint__in=endpoints).count()
        counts = {
            "webhook endpoints": len(endpoints),
            "webhook events (and their attempts)": events,
        }
        return [str(endpoint) for endpoint in endpoints], counts, set(), []

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="deliveries")
    def deliveries(self, endpoint: WebhookEndpoint) -> str:
        if endpoint.paused_at is None:
            return "Running"
        return format_html("<strong>Paused</strong>: {}", endpoint.pause_reason)

    @admin.display(description="deliveries")
    def delivery_state(self, endpoint: WebhookEndpoint) -> str:
        if endpoint.paused_at is None:
            return "Running"
        return format_html(
            "<strong>Paused</strong> since {}. {} Its events wait; to resume, select it in the "
            "list of endpoints and choose “Resume deliveries to the selected endpoints”.",
            f"{timezone.localtime(endpoint.paused_at):%Y-%m-%d %H:%M}",
            endpoint.pause_reason,
        )

    @admin.display(description="events")
    def event_list(self, endpoint: WebhookEndpoint) -> str:
        labels = dict(WebhookScope.choices)
        return ", ".join(str(labels.get(scope, scope)) for scope in endpoint.events) or "—"

    @admin.display(description="pending", ordering="pending_count")
    def pending(self, endpoint: WebhookEndpoint) -> int:
        return endpoint.pending_count

    @admin.display(description="failed", ordering="failed_count")
    def failed(self, endpoint: WebhookEndpoint) -> str:
        if not endpoint.failed_count:
            return "0"
        url = reverse("admin:inventory_webhookevent_changelist")
        query = urlencode({"endpoint__id__exact": endpoint.pk, "status": "failed"})
        return format_html('<a href="{}?{}">{}</a>', url, query, endpoint.failed_count)

    @admin.display(description="last delivery", ordering="last_delivered_at")
    def last_delivery(self, endpoint: WebhookEndpoint) -> str:
        last = endpoint.last_delivered_at
        return f"{timezone.localtime(last):%Y-%m-%d %H:%M:%S}" if last else "—"

    @admin.display(description="how to verify")
    def how_to_verify(self, endpoint: WebhookEndpoint) -> str:
        return format_html(
            "<p>Each POST carries <code>{}</code> (the event id, the same on every retry: drop "
            "duplicates by it), <code>{}</code> and <code>{}: t=&lt;unix time&gt;,v1=&lt;hex&gt;"
            "</code>, where v1 is the HMAC-SHA256 of <code>t + '.' + raw body</code> keyed with "
            "the secret above. Refuse a t older than 5 minutes; compare in constant time; answer "
            "2xx once stored. Python:</p><pre>{}</pre>",
            signing.EVENT_ID_HEADER,
            signing.TIMESTAMP_HEADER,
            signing.SIGNATURE_HEADER,
            "fields = dict(p.split('=', 1) for p in header.split(','))\n"
            "expected = hmac.new(secret.encode(), fields['t'].encode() + b'.' + body,"
            " hashlib.sha256).hexdigest()\n"
            "ok = abs(time.time() - int(fields['t'])) <= 300"
            " and hmac.compare_digest(expected, fields['v1'])",
        )

    @admin.display(description=f"latest {RECENT_EVENTS} events")
    def recent_events(self, endpoint: WebhookEndpoint) -> str:
        events = list(endpoint.outbox.order_by("-id")[:RECENT_EVENTS])
        if not events:
            return "No events yet."
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:inventory_webhookevent_change", args=[event.pk]),
                    str(event.event_id)[:8],
                    event.scope,
                    f"{timezone.localtime(event.created_at):%Y-%m-%d %H:%M:%S}",
                    event.status,
                    event.attempts,
                )
                for event in events
            ),
        )
        more = reverse("admin:inventory_webhookevent_changelist")
        return format_html(
            "<table><thead><tr><th>event</th><th>scope</th><th>created</th><th>status</th>"
            '<th>attempts</th></tr></thead><tbody>{}</tbody></table><p><a href="{}?{}">All '
            "events of this endpoint</a></p>",
            rows,
            more,
            urlencode({"endpoint__id__exact": endpoint.pk}),
        )

    @admin.action(description="Send a test event to the selected endpoints", permissions=["change"])
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        endpoints = list(queryset)
        for endpoint in endpoints:
            outbox.enqueue_test_event(endpoint)
        waiting = sum(
            not endpoint.active or endpoint.paused_at is not None for endpoint in endpoints
        )
        note = f" ({waiting} inactive or paused: theirs wait)" if waiting else ""
        self.message_user(
            request,
            f"Queued a test event for {len(endpoints)} endpoint(s){note}; the deliver_webhooks "
            "worker sends it.",
        )

    @admin.action(description="Rotate the secret of the selected endpoints", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        rotated = 0
        for endpoint in queryset:
            endpoint.secret = generate_secret()
            endpoint.save(update_fields=["secret", "updated_at"])
            rotated += 1
        self.message_user(
            request,
            f"New secret for {rotated} endpoint(s): give it to the receiver; requests are "
            "signed with it from now on, retries of older events included.",
        )

    @admin.action(description="Resume deliveries to the selected endpoints", permissions=["change"])
    def resume_deliveries(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        paused = list(queryset.filter(paused_at__isnull=False).order_by("name"))
        WebhookEndpoint.objects.filter(pk__in=[endpoint.pk for endpoint in paused]).update(
            paused_at=None, pause_reason="", consecutive_failures=0, updated_at=timezone.now()
        )
        if not paused:
            self.message_user(request, "None of the selected endpoints was paused.")
            return
        names = ", ".join(endpoint.name for endpoint in paused)
        self.message_user(
            request, f"Resumed deliveries to {names}: their waiting events go out now."
        )


def _count(events: QuerySet[WebhookEvent]) -> Coalesce:
    counted = events.values("endpoint").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class DeliveryStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Failed")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(delivered_at__isnull=True, failed_at__isnull=True)
        if self.value() == "delivered":
            return queryset.filter(delivered_at__isnull=False)
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        return queryset


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "status_code", "error", "duration_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = [
        "short_id",
        "scope",
        "endpoint",
        "created_at",
        "status",
        "attempts",
        "next_attempt",
        "delivered_at",
    ]
    list_select_related = ["endpoint"]
    list_filter = [DeliveryStatusFilter, "scope", "endpoint"]
    search_fields = ["=event_id"]
    search_help_text = "Event id (the X-Stockroom-Event-Id header)"
    fields = [
        "event_id",
        "endpoint",
        "scope",
        "data",
        "created_at",
        "status",
        "attempts",
        "next_attempt",
        "claimed_until",
        "delivered_at",
        "failed_at",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["retry_now"]
    list_per_page = 100
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the outbox is written by the changes it reports

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.change_webhookevent")

    @admin.display(description="event id")
    def short_id(self, event: WebhookEvent) -> str:
        return str(event.event_id)[:8]

    @admin.display(description="next attempt", ordering="next_attempt_at")
    def next_attempt(self, event: WebhookEvent) -> str:
        if event.status != "pending":
            return "—"
        return f"{timezone.localtime(event.next_attempt_at):%Y-%m-%d %H:%M:%S}"

    @admin.action(description="Retry the selected events now", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        now = timezone.now()
        # Not one a worker is delivering right now (it would be sent twice); a retried event
        # starts a fresh round of attempts, its earlier attempts stay listed.
        retried = (
            queryset.filter(delivered_at__isnull=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(failed_at=None, next_attempt_at=now, attempts=0, claim_token=None)
        )
        self.message_user(request, f"{retried} event(s) will be sent again by the worker.")
