"""A location's admin page shows the metafields API clients keep about it, in plain words, to
Inventory managers, and lets nobody edit them there (they belong to the clients that wrote
them)."""

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
        assert f"<td>{shown}</td>" in html
    assert "<td>Other clients may read it</td>" in html
    assert "Ronaldo" not in page(client, LocationFactory())  # only this location's
    assert "None yet." in page(client, LocationFactory())


def test_values_are_escaped_and_long_ones_shortened(client, kept):
    client.force_login(manager())
    LocationMetafield.objects.update(value="<script>x</script>" + "y" * 500)

    html = page(client, kept)

    assert "<script>x" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" + "y" * 100 in html
    assert "y" * 300 not in html


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
        "metafields": "changed in the admin",  # not a field of the form: ignored
    }

    response = client.post(reverse("admin:locations_location_change", args=[kept.pk]), form)

    assert response.status_code == 302, response.content
    assert list(LocationMetafield.objects.values()) == before
    kept.refresh_from_db()
    assert kept.label == "Downtown"
