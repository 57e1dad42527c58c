"""Creating an item in the back office: a SKU and a name make one (tracked as a whole, no
BigCommerce ids), it can then be adjusted like any other, and the BigCommerce fields, optional,
say plainly what they are for and what they need."""

import pytest
from django.urls import reverse

from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.models.catalog import derived_product_uuid, own_product_uuid
from inventory.stock import LineInput, apply_adjustment
from tests.factories import LocationFactory, manager

pytestmark = pytest.mark.django_db

ADD = reverse("admin:inventory_item_add")


def add_item(client, **fields):
    data = {"sku": "", "name": "", "barcode": "", "tracking": "product", "zettle_tracking": "on"}
    return client.post(ADD, {**data, **fields})


@pytest.fixture
def boss(client):
    client.force_login(manager())
    return client


def test_a_sku_and_a_name_make_an_item_that_can_be_adjusted(boss):
    response = add_item(boss, sku="MUG-BLUE", name="Blue mug")

    assert response.status_code == 302, response.context["adminform"].form.errors
    item = Item.objects.get(sku="MUG-BLUE")
    assert item.name == "Blue mug"
    assert item.tracking == Item.Tracking.PRODUCT
    assert item.product_id is None
    assert item.variant_id is None
    assert item.product_uuid == own_product_uuid(item.uuid)

    location = LocationFactory()
    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        lines=[LineInput(location_id=location.pk, sku="MUG-BLUE", quantity=12)],
        source=Adjustment.Source.ADMIN,
    )
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        lines=[LineInput(location_id=location.pk, sku="MUG-BLUE", quantity=-2)],
        source=Adjustment.Source.ADMIN,
    )

    assert Balance.objects.get(item=item, location=location).quantity == 10
    assert AdjustmentLine.objects.filter(item=item).count() == 2


def test_the_add_form_starts_tracked_as_a_whole_with_the_channels_folded_away(boss):
    page = boss.get(ADD)
    html = page.content.decode()

    assert page.context["adminform"].form["tracking"].value() == Item.Tracking.PRODUCT
    assert "<summary>" in html
    assert "BigCommerce and Zettle (optional)" in html
    assert "BigCommerce product id" in html
    assert "scanner finds the item" in html  # the barcode says what it is for
    assert "Balances" not in html  # a new item has no stock to list


def test_a_name_is_needed(boss):
    response = add_item(boss, sku="MUG-RED")

    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not Item.objects.exists()


def test_a_variant_needs_its_variant_id_said_next_to_the_field(boss):
    response = add_item(boss, sku="TEE-S", name="Tee S", tracking="variant", product_id="10")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["variant_id"]
    assert "needs its BigCommerce variant id" in errors["variant_id"][0]
    assert "Constraint" not in response.content.decode()
    assert not Item.objects.exists()


def test_a_bigcommerce_variant_keeps_its_ids_and_its_products_uuid(boss):
    response = add_item(
        boss, sku="TEE-S", name="Tee S", tracking="variant", product_id="10", variant_id="101"
    )

    assert response.status_code == 302
    item = Item.objects.get(sku="TEE-S")
    assert (item.product_id, item.variant_id) == (10, 101)
    assert item.product_uuid == derived_product_uuid(10)


def test_an_item_given_a_product_id_later_joins_that_product(boss):
    add_item(boss, sku="MUG-BLUE", name="Blue mug")
    item = Item.objects.get(sku="MUG-BLUE")

    url = reverse("admin:inventory_item_change", args=[item.pk])
    fields = {"sku": "MUG-BLUE", "name": "Blue mug", "barcode": "", "tracking": "product"}
    response = boss.post(url, {**fields, "zettle_tracking": "on", "product_id": "77"})

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.product_id == 77
    assert item.product_uuid == derived_product_uuid(77)


def test_items_made_in_bulk_without_a_product_id_are_products_of_their_own():
    first, second = Item.objects.bulk_create([Item(sku="A"), Item(sku="B")])

    assert first.product_uuid == own_product_uuid(first.uuid)
    assert second.product_uuid == own_product_uuid(second.uuid)
    assert first.product_uuid != second.product_uuid


def test_an_items_page_lists_its_stock_once_it_has_some(boss):
    add_item(boss, sku="MUG-BLUE", name="Blue mug")
    item = Item.objects.get(sku="MUG-BLUE")
    url = reverse("admin:inventory_item_change", args=[item.pk])
    assert not boss.get(url).context["inline_admin_formsets"]

    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        lines=[LineInput(location_id=LocationFactory().pk, sku="MUG-BLUE", quantity=3)],
        source=Adjustment.Source.ADMIN,
    )

    assert len(boss.get(url).context["inline_admin_formsets"]) == 1
