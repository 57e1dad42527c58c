"""The admin's location form follows the locations API's rule for opening hours
(locations/rules.py): what it cannot answer (`[1, 2]`, `{"monday": "9-5"}`, NaN, which
PostgreSQL refuses) is a form error naming the field, and nothing is saved. Before, the admin
saved such hours and `GET /api/v3/inventory/locations` answered 500 to every client."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from inventory.api_clients import issue_token
from inventory.models import ApiClient, Balance
from locations.models import Location
from tests.factories import ItemFactory, LocationFactory, set_stock

READER = ["store_locations_read_only"]
WEEK = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
CLOSED = {"open": False, "opening": "00:00", "closing": "00:00"}


def change_url(location: Location) -> str:
    return reverse("admin:locations_location_change", args=[location.pk])


def form(location: Location, **fields) -> dict:
    """The change form as a browser posts it, hours as typed."""
    data = {
        "code": location.code,
        "label": location.label,
        "type_id": location.type_id,
        "time_zone": location.time_zone,
        "operating_hours": "{}",
        "special_hours": "[]",
    }
    return data | fields


def saved(location: Location) -> dict:
    return Location.objects.values().get(pk=location.pk)


def field_errors(response, field: str) -> list[str]:
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    return response.context["adminform"].form.errors[field]


@pytest.fixture
def reader(db) -> APIClient:
    """A partner reading locations through the API."""
    partner = ApiClient(name="partner", scopes=READER)
    token = issue_token(partner)
    partner.save()
    client = APIClient()
    client.credentials(HTTP_X_AUTH_TOKEN=token)
    return client


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("operating_hours", "[1, 2]", "Opening hours: must be an object in braces"),
        ("operating_hours", '{"monday": "9-5"}', "Opening hours, monday: must be an object"),
        ("operating_hours", "NaN", "Not valid JSON"),
        ("operating_hours", '{"monday": {"open": true, "x": NaN}}', "Not valid JSON"),
        (
            "operating_hours",
            '{"monday": {"open": true, "opening": "9"}}',
            "Opening hours, monday, opening: must be a time as HH:MM, such as 08:00.",
        ),
        ("operating_hours", '{"monday": {"open": "yes"}}', "monday, open: must be true or false"),
        ("operating_hours", "[" * 990 + "]" * 990, "Nested more than 200 levels deep."),
        ("operating_hours", '{"monday": {"x": "\\u0000"}}', "the NUL character"),
        ("operating_hours", '{"monday": {"x": "\\ud800"}}', "a lone surrogate such as"),
        ("operating_hours", "9 to 5", "Not valid JSON"),
        ("special_hours", '{"label": "Shut"}', "Special hours: must be a list"),
        (
            "special_hours",
            '[{"label": "Shut", "date": "2026-02-30", "open": false}]',
            "Special hours, entry 1, date: must be a date as YYYY-MM-DD.",
        ),
        ("special_hours", '[{"label": " Shut", "date": "2026-02-03", "open": false}]', "label"),
    ],
)
def test_hours_the_api_could_not_answer_are_a_form_error(
    admin_client, reader, field, typed, message
):
    location = LocationFactory()
    before = saved(location)

    response = admin_client.post(change_url(location), form(location, **{field: typed}))

    assert any(message in error for error in field_errors(response, field))
    assert saved(location) == before
    assert reader.get("/api/v3/inventory/locations").status_code == 200


def test_hours_are_stored_as_the_api_stores_them_and_the_api_answers_them(admin_client, reader):
    location = LocationFactory()
    hours = '{"monday": {"open": true, "opening": "09:00", "closing": "17:00", "note": "x"}}'
    special = '[{"label": "New Year", "date": "2026-01-01", "open": false, "note": "x"}]'

    response = admin_client.post(
        change_url(location), form(location, operating_hours=hours, special_hours=special)
    )

    assert response.status_code == 302
    monday = {"open": True, "opening": "09:00", "closing": "17:00"}
    week = {day: monday if day == "monday" else CLOSED for day in WEEK}
    new_year = {
        "label": "New Year",
        "date": "2026-01-01",
        "open": False,
        "opening": "00:00",
        "closing": "00:00",
        "all_day": False,
        "annual": False,
    }
    assert saved(location)["operating_hours"] == week
    assert saved(location)["special_hours"] == [new_year]
    listed = reader.get(f"/api/v3/inventory/locations?location_id:in={location.pk}")
    assert listed.status_code == 200
    [answered] = listed.json()["data"]
    assert answered["operating_hours"] == week
    assert answered["special_hours"] == [new_year]


def test_empty_hours_are_a_closed_week(admin_client):
    location = LocationFactory()

    response = admin_client.post(
        change_url(location), form(location, operating_hours="", special_hours="")
    )

    assert response.status_code == 302
    assert saved(location)["operating_hours"] == dict.fromkeys(WEEK, CLOSED)
    assert saved(location)["special_hours"] == []


def test_a_location_filter_that_names_no_offered_location_lists_nothing(admin_client, location):
    set_stock(ItemFactory(), location, 3)
    assert Balance.objects.exists()

    for value in ("abc", "12abc", "99999999999999999999999"):
        response = admin_client.get("/admin/inventory/balance/", {"location": value})

        assert response.status_code == 200
        assert response.context["cl"].result_count == 0
    shown = admin_client.get("/admin/inventory/balance/", {"location": location.pk})
    assert shown.context["cl"].result_count == 1
