"""API clients in the back office: create one (its token is shown once, on the page that answers
the form, and stored nowhere but as a hash), change its name, scopes and locations, revoke it."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from inventory import idempotency
from inventory.api_clients import issue_token
from inventory.errors import IdempotencyKeyInFlight
from inventory.idempotency import Kept
from inventory.models import ApiClient, IdempotencyRecord

Scope = ApiClient.Scope
EDITABLE = ["name", "scopes", "location_access", "allowed_locations"]
# The add form's submission token is all that identifies a resubmission; the body is not compared.
ADD_FINGERPRINT = idempotency.fingerprint(idempotency.API_CLIENT_FORM)


EVERY_LOCATION, CHOSEN_LOCATIONS = "every", "chosen"


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="A modify scope includes its read-only one.",
    )
    # Said in so many words, not read from an empty list: a client whose chosen locations are
    # all deleted later keeps none, and must not become an every-location client.
    location_access = forms.ChoiceField(
        label="Locations",
        choices=[
            (EVERY_LOCATION, "Every location, including locations added later"),
            (CHOSEN_LOCATIONS, "Only the locations chosen below"),
        ],
        widget=forms.RadioSelect,
        initial=EVERY_LOCATION,
    )
    # One per opened add form: a second submission of the same form (a double click, a reload)
    # finds the client the first one created instead of creating another.
    submission_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    class Meta:
        model = ApiClient
        fields = ["name", "scopes", "allowed_locations"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.restricted_to_locations:
            self.fields["location_access"].initial = CHOSEN_LOCATIONS

    def clean_scopes(self) -> list[str]:
        chosen = set(self.cleaned_data["scopes"])
        return [scope for scope in Scope.values if scope in chosen]  # a stable order

    def clean(self) -> dict:
        cleaned = super().clean()
        access = cleaned.get("location_access")
        chosen = cleaned.get("allowed_locations")
        if access == CHOSEN_LOCATIONS and chosen is not None and not chosen.exists():
            self.add_error(
                "allowed_locations", "Choose at least one location, or allow every location."
            )
        if access == EVERY_LOCATION and chosen:
            self.add_error(
                "allowed_locations",
                "Every location is allowed: remove the chosen locations, or choose "
                "“Only the locations chosen below”.",
            )
        self.instance.restricted_to_locations = access == CHOSEN_LOCATIONS
        return cleaned


class AlreadySubmitted(Exception):
    def __init__(self, client_id: int | None):
        self.client_id = client_id


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = [
        "name",
        "token_prefix",
        "scope_list",
        "location_list",
        "created_by",
        "created_at",
        "last_used_at",
        "status",
    ]
    list_filter = [StatusFilter]
    search_fields = ["name", "=token_prefix"]
    filter_horizontal = ["allowed_locations"]
    readonly_fields = ["token_prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .prefetch_related("allowed_locations")
        )

    def get_fieldsets(self, request: HttpRequest, obj: ApiClient | None = None):
        if obj is None:
            return [(None, {"fields": [*EDITABLE, "submission_token"]})]
        return [
            (None, {"fields": EDITABLE}),
            ("Token", {"fields": self.readonly_fields}),
        ]

    def has_delete_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        # Adjustments keep a reference to the client that made them: revoke, never delete.
        return False

    @admin.display(description="scopes")
    def scope_list(self, client: ApiClient) -> str:
        return ", ".join(client.scopes) or "—"

    @admin.display(description="locations")
    def location_list(self, client: ApiClient) -> str:
        if not client.restricted_to_locations:
            return "All locations"
        codes = [location.code for location in client.allowed_locations.all()]
        return ", ".join(codes) or "None (its locations were deleted)"

    @admin.display(description="status", ordering="revoked_at")
    def status(self, client: ApiClient) -> str:
        if client.revoked_at is None:
            return "Active"
        return f"Revoked {timezone.localtime(client.revoked_at):%Y-%m-%d %H:%M}"

    @admin.action(description="Revoke selected clients", permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {revoked} API client(s); their tokens now get 401.")

    def save_model(self, request: HttpRequest, obj: ApiClient, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # Runs in the admin's transaction: the client and the record of its submission are
        # saved together, so a resubmission sees both or neither.
        nonce = form.cleaned_data.get("submission_token")

        def create() -> ApiClient:
            obj.created_by = request.user
            request.api_client_token = issue_token(obj)  # type: ignore[attr-defined]
            super(ApiClientAdmin, self).save_model(request, obj, form, change)
            return obj

        def already(previous: IdempotencyRecord) -> ApiClient:
            raise AlreadySubmitted((previous.response_body or {}).get("api_client_id"))

        idempotency.run_once(
            scope=idempotency.scope_of(actor=request.user),
            key=None if nonce is None else idempotency.key_of(idempotency.API_CLIENT_FORM, nonce),
            fingerprint=ADD_FINGERPRINT,
            act=create,
            keep=lambda client: Kept(body={"api_client_id": client.pk}),
            replay=already,
        )

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except IdempotencyKeyInFlight:
            self.message_user(
                request, "This form is already being submitted; see the list.", messages.WARNING
            )
            return HttpResponseRedirect(reverse("admin:inventory_apiclient_changelist"))
        except AlreadySubmitted as already:
            self.message_user(
                request,
                "This form was already submitted: the client below was created then and its "
                "token shown once. If the token was lost, revoke the client and add a new one.",
                messages.WARNING,
            )
            if already.client_id is None:
                return HttpResponseRedirect(reverse("admin:inventory_apiclient_changelist"))
            return HttpResponseRedirect(
                reverse("admin:inventory_apiclient_change", args=[already.client_id])
            )

    def response_add(self, request: HttpRequest, obj: ApiClient, post_url_continue=None):
        # The token is rendered into this response and kept nowhere else (no message, no
        # session); admin_view already marks admin responses never-cache (no-store).
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Token for {obj.name}",
            "client": obj,
            "token": request.api_client_token,  # type: ignore[attr-defined]
        }
        return TemplateResponse(request, "admin/inventory/apiclient/token_once.html", context)
