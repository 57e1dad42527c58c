"""The lookup the adjust and move rows use: a typed or scanned code's item and its on-hand."""

import pytest
from django.urls import reverse

from inventory.stocktakes import services as stocktakes
from tests.factories import (
    ItemFactory,
    LocationFactory,
    UserFactory,
    manager,
    set_stock,
    store_staff,
)

LOOKUP_URL = reverse("admin:inventory_balance_lookup")


@pytest.fixture
def manager_client(client, db):
    client.force_login(manager())
    return client


def test_a_sku_gives_the_items_name_and_on_hand(manager_client, location):
    item = ItemFactory(sku="TEE-BLA", name="Black tee")
    set_stock(item, location, 23)

    response = manager_client.get(LOOKUP_URL, {"code": "TEE-BLA", "location": location.pk})

    assert response.status_code == 200
    assert response.json() == {
        "sku": "TEE-BLA",
        "name": "Black tee",
        "on_hand": 23,
        "location": location.label,
        "message": "",
    }


def test_a_barcode_finds_its_item_and_no_balance_is_zero(manager_client, location):
    ItemFactory(sku="MUG", name="Mug", barcode="4006381333931")

    answer = manager_client.get(LOOKUP_URL, {"code": " 4006381333931 ", "location": location.pk})

    assert (answer.json()["sku"], answer.json()["on_hand"]) == ("MUG", 0)


def test_a_code_that_is_a_sku_and_another_items_barcode_names_the_sku(manager_client, location):
    ItemFactory(sku="12345", name="By SKU")
    ItemFactory(sku="OTHER", name="By barcode", barcode="12345")

    answer = manager_client.get(LOOKUP_URL, {"code": "12345", "location": location.pk})

    assert answer.json()["name"] == "By SKU"


def test_an_unknown_code_says_so(manager_client, location):
    response = manager_client.get(LOOKUP_URL, {"code": "NOPE", "location": location.pk})

    assert response.status_code == 404
    assert response.json() == {"message": "No item has SKU or barcode “NOPE”. Check the code."}


def test_without_a_location_the_name_and_a_hint(manager_client, db):
    ItemFactory(sku="CAP", name="Cap")

    answer = manager_client.get(LOOKUP_URL, {"code": "CAP"}).json()

    assert (answer["name"], answer["on_hand"]) == ("Cap", None)
    assert answer["message"] == "Choose a location to see its on-hand."


@pytest.mark.parametrize("code", ["", "   "])
def test_no_code_is_a_clear_400(manager_client, location, code):
    response = manager_client.get(LOOKUP_URL, {"code": code, "location": location.pk})

    assert response.status_code == 400
    assert response.json()["message"] == "Enter a SKU or barcode."


def test_a_nul_in_the_code_is_refused_before_any_query(manager_client, location):
    """The NUL middleware answers (PostgreSQL cannot compare text holding it)."""
    response = manager_client.get(LOOKUP_URL, {"code": "A\x00B", "location": location.pk})

    assert response.status_code == 400


def test_it_needs_the_adjust_permission(client, location):
    ItemFactory(sku="CAP")
    client.force_login(UserFactory(is_staff=True))

    response = client.get(LOOKUP_URL, {"code": "CAP", "location": location.pk})

    assert response.status_code == 403
    assert "on_hand" not in response.json()


def test_it_needs_a_login(client, location):
    ItemFactory(sku="CAP")

    response = client.get(LOOKUP_URL, {"code": "CAP", "location": location.pk})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_see_only_their_locations(client, location, other_location):
    item = ItemFactory(sku="CAP")
    set_stock(item, other_location, 9)
    client.force_login(store_staff(location))

    theirs = client.get(LOOKUP_URL, {"code": "CAP", "location": location.pk})
    not_theirs = client.get(LOOKUP_URL, {"code": "CAP", "location": other_location.pk})

    assert theirs.status_code == 200
    assert not_theirs.status_code == 403
    assert "9" not in not_theirs.content.decode()


def test_a_blind_count_hides_the_on_hand_from_its_counters(client, location):
    item = ItemFactory(sku="CAP", name="Cap")
    set_stock(item, location, 7919)
    clerk = store_staff(location)
    count = stocktakes.start_stocktake(location=location, actor=clerk, blind=True)
    client.force_login(clerk)

    answer = client.get(LOOKUP_URL, {"code": "CAP", "location": location.pk})

    assert answer.json()["on_hand"] is None
    assert f"being counted in stocktake #{count.pk}" in answer.json()["message"]
    assert "7919" not in answer.content.decode()


def test_the_same_few_queries_whatever_is_asked(client, db, django_assert_max_num_queries):
    clerk_location = LocationFactory()
    clerk = store_staff(clerk_location)
    item = ItemFactory(sku="CAP")
    set_stock(item, clerk_location, 3)
    client.force_login(clerk)

    with django_assert_max_num_queries(10):
        found = client.get(LOOKUP_URL, {"code": "CAP", "location": clerk_location.pk})
    with django_assert_max_num_queries(10):
        missing = client.get(LOOKUP_URL, {"code": "NOPE", "location": clerk_location.pk})

    assert (found.status_code, missing.status_code) == (200, 404)
