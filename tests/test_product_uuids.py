"""Every item carries its product's UUID (Zettle's productUuid): the same for every item of a
product, whichever way the item was made (the catalog API, the admin, bulk_create), stored so a
product can be found by it, and filled in for the items that existed before (migration 0018)."""

import importlib
import uuid

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from inventory.catalog.services import ItemInput, upsert_items
from inventory.models import Item
from inventory.models.catalog import DERIVED_UUID_NAMESPACE, derived_product_uuid
from tests.factories import ItemFactory, manager

migration = importlib.import_module(
    "inventory.migrations.0018_item_product_uuid_and_zettle_tracking"
)


def test_the_derived_uuid_never_changes():
    # Clients store these: the same value on every installation, forever.
    assert str(derived_product_uuid(500)) == "2a5db6d9-28ee-5144-99ff-abe43767911b"


@pytest.mark.django_db
def test_a_new_product_gets_the_uuid_derived_from_its_id():
    item = ItemFactory(product_id=42)

    assert Item.objects.get(pk=item.pk).product_uuid == derived_product_uuid(42)


@pytest.mark.django_db
def test_a_new_variant_takes_its_products_uuid_even_a_given_one():
    given = uuid.uuid4()
    first = ItemFactory(product_id=42, product_uuid=given)

    second = ItemFactory(product_id=42)
    [third] = Item.objects.bulk_create([Item(sku="B-1", product_id=42, variant_id=9)])
    [fourth] = upsert_items(items=[ItemInput(sku="C-1", product_id=42, variant_id=10)])

    assert {first.product_uuid, second.product_uuid, third.product_uuid} == {given}
    assert fourth.product_uuid == given


@pytest.mark.django_db
def test_the_catalog_gives_a_batchs_new_products_one_uuid_each():
    items = upsert_items(
        items=[
            ItemInput(sku="A-1", product_id=7, variant_id=1),
            ItemInput(sku="A-2", product_id=7, variant_id=2),
            ItemInput(sku="B-1", product_id=8, variant_id=3),
        ]
    )

    assert [item.product_uuid for item in items] == [
        derived_product_uuid(7),
        derived_product_uuid(7),
        derived_product_uuid(8),
    ]


@pytest.mark.django_db
def test_an_item_moved_to_another_product_takes_that_products_uuid():
    target = ItemFactory(product_id=20, product_uuid=uuid.uuid4())
    by_api = ItemFactory(product_id=10, sku="MOVE-1")
    by_form = ItemFactory(product_id=11)
    renamed = ItemFactory(product_id=12, product_uuid=uuid.uuid4())

    upsert_items(items=[ItemInput(sku="MOVE-1", product_id=20, variant_id=by_api.variant_id)])
    by_form = Item.objects.get(pk=by_form.pk)
    by_form.product_id = 21
    by_form.save()
    upsert_items(
        items=[
            ItemInput(sku=renamed.sku, product_id=12, name="New name", given=frozenset({"name"}))
        ]
    )

    assert Item.objects.get(pk=by_api.pk).product_uuid == target.product_uuid
    assert Item.objects.get(pk=by_form.pk).product_uuid == derived_product_uuid(21)
    assert Item.objects.get(pk=renamed.pk).product_uuid == renamed.product_uuid  # kept


@pytest.mark.django_db
def test_the_migration_fills_each_item_with_its_products_derived_uuid():
    items = [ItemFactory(product_id=5), ItemFactory(product_id=5), ItemFactory(product_id=6)]
    Item.objects.update(product_uuid=uuid.uuid4())  # as if made before the field

    migration.fill_product_uuids(historical_apps(), None)

    assert [Item.objects.get(pk=item.pk).product_uuid for item in items] == [
        derived_product_uuid(5),
        derived_product_uuid(5),
        derived_product_uuid(6),
    ]
    assert migration.NAMESPACE == DERIVED_UUID_NAMESPACE  # written out there, never to change


def historical_apps():
    """The models as the migration sees them, not as they are today."""
    state = MigrationLoader(connection).project_state(
        ("inventory", "0018_item_product_uuid_and_zettle_tracking")
    )
    return state.apps


@pytest.mark.django_db
def test_the_admin_shows_the_product_uuid_read_only(client):
    item = ItemFactory()
    client.force_login(manager(is_superuser=True))

    page = client.get(reverse("admin:inventory_item_change", args=[item.pk]))

    assert str(item.product_uuid) in page.content.decode()
    assert 'name="product_uuid"' not in page.content.decode()
