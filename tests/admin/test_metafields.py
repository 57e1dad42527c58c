"""A location's admin page shows the metafields API clients keep about it, in plain words, and
lets nobody edit them there (they belong to the clients that wrote them)."""

import pytest
from django.urls import reverse

from inventory.api_clients import issue_token
from inventory.models import ApiClient, LocationMetafield
from tests.factories import LocationFactory, manager, store_staff


@pytest.fixture
def kept(db):
    location = LocationFactory(label="Downtown store")
    client = ApiClient(name="Shop sync", scopes=["store_locations"])
    issue_token(client)
    client.save()
    LocationMetafield.objects.create(
        location=location,
        owner=client,
        namespace="Sales Department",
        key="Staff Name",
        value="Ronaldo",
        permission_set=LocationMetafield.Permission.READ,
    )
    return location


def page(client, location):
    response = client.get(reverse("admin:locations_location_change", args=[location.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_manager_sees_what_api_clients_keep_about_a_location(client, kept):
    client.force_login(manager())

    html = page(client, kept)

    assert "Values kept by API clients (metafields)" in html
    for shown in ["Sales Department", "Staff Name", "Ronaldo", "Shop sync"]:
        assert shown in html
    assert "Other clients may read it" in html
    assert 'name="metafields-0-value"' not in html  # shown, not an input
    assert 'name="metafields-__prefix__' not in html  # nothing to add


def test_store_staff_do_not_see_them(client, kept):
    client.force_login(store_staff(kept))

    assert "Ronaldo" not in page(client, kept)


def test_saving_the_location_leaves_its_metafields_as_they_were(client, kept):
    client.force_login(manager())
    before = list(LocationMetafield.objects.values())
    form = {
        "code": kept.code,
        "label": "Downtown",
        "type_id": kept.type_id,
        "time_zone": kept.time_zone,
        "operating_hours": "{}",
        "special_hours": "[]",
        "metafields-TOTAL_FORMS": "1",
        "metafields-INITIAL_FORMS": "1",
        "metafields-MIN_NUM_FORMS": "0",
        "metafields-MAX_NUM_FORMS": "1000",
        "metafields-0-id": str(before[0]["id"]),
        "metafields-0-location": str(kept.pk),
        "metafields-0-value": "changed in the admin",
    }

    response = client.post(reverse("admin:locations_location_change", args=[kept.pk]), form)

    assert response.status_code == 302, response.content
    assert list(LocationMetafield.objects.values()) == before
    kept.refresh_from_db()
    assert kept.label == "Downtown"
