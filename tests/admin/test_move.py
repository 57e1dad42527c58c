"""The admin's "Move stock" page: units of some items from one location to another, at once,
through the write path's transfer, with the adjust form's one-pass checks."""

import uuid

import pytest
from django.urls import reverse

from inventory.models import Adjustment, AdjustmentLine, Balance
from inventory.stocktakes import services as stocktakes
from tests.admin.test_adjust import snapshot
from tests.factories import (
    ItemFactory,
    LocationFactory,
    UserFactory,
    manager,
    set_stock,
    store_staff,
)

MOVE_URL = reverse("admin:inventory_balance_move")


def post_move(client, *, source, destination, rows, token=None, **extra):
    """Rows are (code, quantity, expected on-hand at the source)."""
    data = {
        "from_location": "" if source is None else source.pk,
        "to_location": "" if destination is None else destination.pk,
        "reason_code": "restock",
        "reason": "",
        "reference": "",
        "submission_token": token or str(uuid.uuid4()),
        "lines-TOTAL_FORMS": len(rows),
        "lines-INITIAL_FORMS": 0,
        "_apply": "Move stock",
        **extra,
    }
    for index, (code, quantity, expected) in enumerate(rows):
        data[f"lines-{index}-code"] = code
        data[f"lines-{index}-quantity"] = "" if quantity is None else quantity
        data[f"lines-{index}-expected_quantity"] = "" if expected is None else expected
    return client.post(MOVE_URL, data)


def on_hand(item, location):
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def row_errors(response, number):
    form = response.context["rows"][number - 1].form
    return " ".join(message for messages in form.errors.values() for message in messages)


@pytest.fixture
def manager_client(client, db):
    user = manager()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def shop(db):
    return LocationFactory(label="Downtown"), LocationFactory(label="Warehouse")


def test_moves_stock_with_ledger_lines_at_both_ends(manager_client, shop):
    downtown, warehouse = shop
    tee, mug = ItemFactory(sku="TEE"), ItemFactory(sku="MUG")
    set_stock(tee, warehouse, 10)
    set_stock(mug, warehouse, 4)
    set_stock(tee, downtown, 1)

    response = post_move(
        manager_client,
        source=warehouse,
        destination=downtown,
        rows=[("TEE", 6, 10), ("MUG", 4, 4), ("", None, None)],
        reference="Van run 12",
    )

    assert response.status_code == 302
    adjustment = Adjustment.objects.latest("id")
    assert response.url == reverse("admin:inventory_adjustment_change", args=[adjustment.pk])
    assert (adjustment.kind, adjustment.source, adjustment.actor) == (
        Adjustment.Kind.TRANSFER,
        Adjustment.Source.ADMIN,
        manager_client.user,
    )
    assert (adjustment.reason_code, adjustment.reference) == ("restock", "Van run 12")
    assert sorted(
        adjustment.lines.values_list("item__sku", "location__label", "quantity_before", "delta")
    ) == [
        ("MUG", "Downtown", 0, 4),
        ("MUG", "Warehouse", 4, -4),
        ("TEE", "Downtown", 1, 6),
        ("TEE", "Warehouse", 10, -6),
    ]
    assert [on_hand(tee, warehouse), on_hand(tee, downtown), on_hand(mug, downtown)] == [4, 7, 4]
    page = manager_client.get(response.url).content.decode()
    assert "Moved 2 items from Warehouse to Downtown" in page


def test_a_short_move_is_refused_and_nothing_moves(manager_client, shop):
    downtown, warehouse = shop
    tee, mug = ItemFactory(sku="TEE", name="Tee"), ItemFactory(sku="MUG")
    set_stock(tee, warehouse, 3)
    set_stock(mug, warehouse, 9)
    before = snapshot()

    response = post_move(
        manager_client,
        source=warehouse,
        destination=downtown,
        rows=[("MUG", 2, 9), ("TEE", 5, 3)],
    )

    assert response.status_code == 200
    assert row_errors(response, 1) == ""
    assert row_errors(response, 2) == (
        "TEE · Tee at Warehouse: only 3 on hand, so 5 cannot be removed. Remove at most 3, or"
        " count the shelf and set the number you find."
    )
    assert snapshot() == before


def test_every_error_at_once_even_without_a_destination(manager_client, shop):
    """The destination is missing, yet the rows are checked at the source in the same submit."""
    _, warehouse = shop
    tee = ItemFactory(sku="TEE", name="Tee")
    set_stock(tee, warehouse, 3)
    before = snapshot()

    response = post_move(
        manager_client,
        source=warehouse,
        destination=None,
        rows=[("TEE", 5, 3), ("NOPE", 1, None), ("TEE", 0, None)],
    )

    assert response.context["form"].errors["to_location"] == ["Choose a location."]
    assert "at Warehouse: only 3 on hand" in row_errors(response, 1)
    assert "No item has SKU or barcode “NOPE”" in row_errors(response, 2)
    assert row_errors(response, 3) == "Move at least 1."
    assert snapshot() == before


def test_a_move_to_the_same_location_is_refused(manager_client, shop):
    _, warehouse = shop
    tee = ItemFactory(sku="TEE")
    set_stock(tee, warehouse, 3)
    before = snapshot()

    response = post_move(
        manager_client, source=warehouse, destination=warehouse, rows=[("TEE", 1, 3)]
    )

    assert "both are the same" in str(response.context["form"].errors["to_location"])
    assert snapshot() == before


def test_a_stale_row_is_refused_with_the_new_on_hand(manager_client, shop):
    downtown, warehouse = shop
    tee = ItemFactory(sku="TEE", name="Tee")
    set_stock(tee, warehouse, 8)
    before = snapshot()

    response = post_move(
        manager_client, source=warehouse, destination=downtown, rows=[("TEE", 2, 10)]
    )

    assert "at Warehouse: on-hand is now 8, not 10" in row_errors(response, 1)
    assert response.context["rows"][0].form["expected_quantity"].value() == "8"
    assert snapshot() == before


def test_a_double_submission_moves_once(manager_client, shop):
    downtown, warehouse = shop
    tee = ItemFactory(sku="TEE")
    set_stock(tee, warehouse, 8)
    token = str(uuid.uuid4())

    first = post_move(
        manager_client, source=warehouse, destination=downtown, rows=[("TEE", 2, 8)], token=token
    )
    second = post_move(
        manager_client, source=warehouse, destination=downtown, rows=[("TEE", 2, 8)], token=token
    )

    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert [on_hand(tee, warehouse), on_hand(tee, downtown)] == [6, 2]


def test_staff_move_only_between_their_locations(client, shop):
    downtown, warehouse = shop
    elsewhere = LocationFactory(label="Airport")
    clerk = store_staff(downtown, warehouse)
    client.force_login(clerk)
    tee = ItemFactory(sku="TEE")
    set_stock(tee, warehouse, 5)
    set_stock(tee, elsewhere, 5)
    before = snapshot()

    out = post_move(client, source=warehouse, destination=elsewhere, rows=[("TEE", 1, 5)])
    into = post_move(client, source=elsewhere, destination=downtown, rows=[("TEE", 1, 5)])

    assert "to_location" in out.context["form"].errors
    assert "from_location" in into.context["form"].errors
    assert snapshot() == before
    allowed = post_move(client, source=warehouse, destination=downtown, rows=[("TEE", 1, 5)])
    assert allowed.status_code == 302
    assert [on_hand(tee, warehouse), on_hand(tee, downtown)] == [4, 1]


def test_staff_of_one_location_are_told_why_they_cannot_move(client, shop):
    downtown, _ = shop
    client.force_login(store_staff(downtown))

    response = client.get(MOVE_URL)

    page = response.content.decode()
    assert "Moving stock takes two locations you work at, and you work at one" in page
    assert 'id="stock-form"' not in page


def test_a_blind_count_at_the_destination_hides_its_items_from_staff(client, shop):
    downtown, warehouse = shop
    clerk = store_staff(downtown, warehouse)
    tee = ItemFactory(sku="TEE", name="Tee")
    set_stock(tee, warehouse, 5)
    count = stocktakes.start_stocktake(location=downtown, actor=clerk, blind=True)
    client.force_login(clerk)
    before = snapshot()

    response = post_move(client, source=warehouse, destination=downtown, rows=[("TEE", 1, 5)])

    assert f"TEE · Tee is being counted in stocktake #{count.pk} at Downtown" in row_errors(
        response, 1
    )
    assert snapshot() == before


def test_a_link_prefills_the_item_and_the_source(manager_client, shop):
    downtown, warehouse = shop
    tee = ItemFactory(sku="TEE", name="Tee")
    set_stock(tee, warehouse, 7)

    response = manager_client.get(f"{MOVE_URL}?sku=TEE&from={warehouse.pk}&to={downtown.pk}")

    form = response.context["form"]
    row = response.context["rows"][0]
    assert (form["from_location"].value(), form["to_location"].value()) == (
        warehouse.pk,
        downtown.pk,
    )
    assert (row.form["code"].value(), row.on_hand) == ("TEE", 7)


def test_move_page_needs_the_adjust_permission(client, db):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(MOVE_URL).status_code == 403


def test_queries_do_not_grow_with_rows(manager_client, shop, django_assert_max_num_queries):
    downtown, warehouse = shop
    few, many = ItemFactory.create_batch(2), ItemFactory.create_batch(40)
    for item in few + many:
        set_stock(item, warehouse, 5)

    def move(items):
        rows = [(item.sku, 1, 5) for item in items]
        return post_move(manager_client, source=warehouse, destination=downtown, rows=rows)

    with django_assert_max_num_queries(30) as counted:
        small = move(few)
    with django_assert_max_num_queries(len(counted.captured_queries)):
        large = move(many)

    assert small.status_code == large.status_code == 302
    assert AdjustmentLine.objects.filter(location=downtown).count() == 42
