"""The item lists' pages at scale: the total of an unfiltered list is the count the database
keeps (no COUNT of every item per page), and a client walking the pages reads each one after
the previous page's last id instead of skipping rows, with the same rows as by offset."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.catalog.services import ItemInput, upsert_items
from inventory.models import Item
from inventory.stock.selectors import item_total
from tests.factories import ItemFactory, LocationFactory

ITEMS = "/api/v3/inventory/items"


@pytest.fixture
def reader(api_client_factory, api):
    _, token = api_client_factory(["store_inventory_read_only"])
    return api(token)


def skus(response) -> list[str]:
    return [row["identity"]["sku"] for row in response.json()["data"]]


def walk(reader, path, limit):
    """Every page in order, as a BigCommerce client reads them; each page's SQL."""
    pages, page = [], 1
    while True:
        with CaptureQueriesContext(connection) as queries:
            response = reader.get(path, {"limit": limit, "page": page})
        pages.append((skus(response), [query["sql"] for query in queries]))
        if page >= response.json()["meta"]["pagination"]["total_pages"]:
            return pages
        page += 1


@pytest.mark.django_db
def test_the_total_counts_every_way_items_come_and_go():
    ItemFactory.create_batch(3)
    Item.objects.bulk_create([Item(sku=f"BULK-{n}", product_id=900 + n) for n in range(4)])
    upsert_items(items=[ItemInput(sku="UP-1", product_id=1), ItemInput(sku="UP-2", product_id=2)])
    Item.objects.filter(sku="BULK-0").delete()

    assert item_total() == Item.objects.count() == 8


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_the_total_is_read_not_counted(reader):
    ItemFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries:
        response = reader.get(ITEMS)

    assert response.json()["meta"]["pagination"]["total"] == 3
    item_table = Item._meta.db_table
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"] and item_table in q["sql"]]
    assert counts == []


@pytest.mark.django_db
def test_a_filtered_list_counts_what_it_found(reader):
    items = ItemFactory.create_batch(3)

    response = reader.get(ITEMS, {"sku:in": f"{items[0].sku},{items[2].sku}"})

    assert response.json()["meta"]["pagination"]["total"] == 2
    assert skus(response) == [items[0].sku, items[2].sku]


@pytest.mark.django_db
def test_a_walk_reads_each_next_page_after_the_last_id_with_the_rows_offsets_give(reader):
    items = ItemFactory.create_batch(7)
    by_offset = [skus(reader.get(ITEMS, {"limit": 2, "page": n})) for n in (1, 2, 3, 4)]

    pages = walk(reader, ITEMS, limit=2)

    assert [rows for rows, _ in pages] == by_offset
    assert [row for rows, _ in pages for row in rows] == [item.sku for item in items]
    for _, sql in pages[1:]:
        item_reads = [q for q in sql if q.startswith("SELECT") and '"sku"' in q]
        assert "OFFSET" not in item_reads[0]


@pytest.mark.django_db
def test_a_page_asked_for_out_of_order_is_read_by_offset(reader):
    items = ItemFactory.create_batch(5)

    with CaptureQueriesContext(connection) as queries:
        response = reader.get(ITEMS, {"limit": 2, "page": 3})

    assert skus(response) == [items[4].sku]
    assert any("OFFSET" in query["sql"] for query in queries)


@pytest.mark.django_db
def test_a_row_deleted_behind_the_walk_neither_skips_nor_repeats_one(reader):
    items = ItemFactory.create_batch(6)
    first = skus(reader.get(ITEMS, {"limit": 2, "page": 1}))
    second = skus(reader.get(ITEMS, {"limit": 2, "page": 2}))
    Item.objects.filter(pk=items[0].pk).delete()

    third = skus(reader.get(ITEMS, {"limit": 2, "page": 3}))

    assert first + second + third == [item.sku for item in items]


@pytest.mark.django_db
def test_each_filter_and_location_walks_on_its_own(reader):
    location = LocationFactory()
    items = ItemFactory.create_batch(4)
    reader.get(ITEMS, {"limit": 2, "page": 1})

    filtered = reader.get(ITEMS, {"limit": 2, "page": 2, "sku:in": items[3].sku})
    at_location = reader.get(
        f"/api/v3/inventory/locations/{location.pk}/items", {"limit": 2, "page": 2}
    )

    assert skus(filtered) == []
    assert [row["identity"]["sku"] for row in at_location.json()["data"]] == [
        item.sku for item in items[2:]
    ]
