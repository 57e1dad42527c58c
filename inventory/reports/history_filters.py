"""The stock history's filters as one django-filter FilterSet: where, which item, why (the reason
code), what kind of change, through which channel, by whom, and a range of days (from, to). The
history page renders its form above the rows, and the page and its CSV export filter with it, so
both always hold the same lines.

Choices are narrowed to what the reader may see: their locations, and only the people and API
clients who changed stock there."""

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from inventory.models import Adjustment, AdjustmentLine, ApiClient
from locations.selectors import User, locations_visible_to, sees_all_locations

SYSTEM = "system"  # the "by" choice for changes no person or API client made
NO_REASON = "none"  # the "reason" choice for changes made without a reason code


def actors_visible_to(user: User) -> QuerySet:
    """The people who changed stock at a location `user` may see: one query, an EXISTS over
    the ledger (over the adjustments only, for a manager)."""
    return _acted(get_user_model()._default_manager.all(), "actor", user).order_by(
        get_user_model().USERNAME_FIELD
    )


def api_clients_visible_to(user: User) -> QuerySet[ApiClient]:
    """The API clients that changed stock at a location `user` may see (as actors_visible_to)."""
    return _acted(ApiClient.objects.all(), "api_client", user).order_by("name")


def _acted(candidates: QuerySet, field: str, user: User) -> QuerySet:
    if sees_all_locations(user):
        return candidates.filter(Exists(Adjustment.objects.filter(**{field: OuterRef("pk")})))
    acted = AdjustmentLine.objects.filter(
        location__in=locations_visible_to(user), **{f"adjustment__{field}": OuterRef("pk")}
    )
    return candidates.filter(Exists(acted))


def day_start(day: date) -> datetime | None:
    """Midnight at the start of `day` in the store's time zone; None past what a datetime
    holds (the range is then open on that side)."""
    try:
        return timezone.make_aware(datetime.combine(day, time.min))
    except OverflowError:
        return None


def date_presets(today: date) -> list[tuple[str, date | None, date | None]]:
    """The quick ranges offered beside the date inputs: (label, from, to)."""
    return [
        ("Today", today, today),
        ("Last 7 days", today - timedelta(days=6), today),
        ("This month", today.replace(day=1), today),
        ("This year", today.replace(month=1, day=1), today),
        ("Any date", None, None),
    ]


class HistoryFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date: swap them.")
        return cleaned


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class HistoryFilterSet(django_filters.FilterSet):
    """Ledger lines by location, item, reason code, kind, source, who made the change and days
    (both ends included, in the store's time zone). Pass `request`: the choices are its user's."""

    location = django_filters.ChoiceFilter(
        field_name="location_id", label="Location", empty_label="All locations"
    )
    item = django_filters.NumberFilter(field_name="item_id", label="Item", widget=forms.HiddenInput)
    reason = django_filters.ChoiceFilter(
        label="Reason",
        choices=Adjustment.ReasonCode.choices,
        empty_label="Any reason",
        null_label="No reason given",
        null_value=NO_REASON,
        method="with_reason",
    )
    kind = django_filters.ChoiceFilter(
        field_name="adjustment__kind",
        label="Kind",
        choices=Adjustment.Kind.choices,
        empty_label="Any kind",
    )
    source = django_filters.ChoiceFilter(
        field_name="adjustment__source",
        label="Channel",
        choices=Adjustment.Source.choices,
        empty_label="Any channel",
    )
    by = django_filters.ChoiceFilter(label="By", empty_label="Anyone", method="made_by")
    since = django_filters.DateFilter(label="From", method="from_day", widget=_date_input())
    until = django_filters.DateFilter(label="To", method="to_day", widget=_date_input())

    class Meta:
        model = AdjustmentLine
        fields: list[str] = []
        form = HistoryFilterForm

    def __init__(self, *args: Any, request, **kwargs: Any) -> None:
        super().__init__(*args, request=request, **kwargs)
        user = request.user
        self.filters["location"].extra["choices"] = [
            (str(location.pk), str(location)) for location in locations_visible_to(user)
        ]
        self.filters["by"].extra["choices"] = [
            *((f"user:{person.pk}", person.get_username()) for person in actors_visible_to(user)),
            *(
                (f"client:{client.pk}", f"API: {client.name}")
                for client in api_clients_visible_to(user)
            ),
            (SYSTEM, "System"),
        ]

    def with_reason(self, lines: QuerySet, name: str, value: str) -> QuerySet:
        return lines.filter(adjustment__reason_code="" if value == NO_REASON else value)

    def made_by(self, lines: QuerySet, name: str, value: str) -> QuerySet:
        kind, _, pk = value.partition(":")
        if kind == "user":
            return lines.filter(adjustment__actor_id=int(pk))
        if kind == "client":
            return lines.filter(adjustment__api_client_id=int(pk))
        return lines.filter(Q(adjustment__actor__isnull=True, adjustment__api_client__isnull=True))

    def from_day(self, lines: QuerySet, name: str, value: date) -> QuerySet:
        start = day_start(value)
        return lines if start is None else lines.filter(created_at__gte=start)

    def to_day(self, lines: QuerySet, name: str, value: date) -> QuerySet:
        try:
            end = day_start(value + timedelta(days=1))
        except OverflowError:  # the last day a date holds
            end = None
        return lines if end is None else lines.filter(created_at__lt=end)
