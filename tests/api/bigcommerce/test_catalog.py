"""Our item catalog over HTTP: `GET /api/v3/items` and `POST /api/v3/items` (upsert by SKU)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import IdempotencyRecord, Item
from tests.api.bigcommerce.schema import assert_matches
from tests.api.problems import assert_problem
from tests.concurrency import run_together
from tests.factories import ItemFactory

URL = "/api/v3/items"
WRITE = "store_inventory"
READ_ONLY = "store_inventory_read_only"


@pytest.fixture
def writer(api_client_factory, api):
    _, token = api_client_factory([WRITE])
    return api(token)


@pytest.fixture
def reader(api_client_factory, api):
    _, token = api_client_factory([READ_ONLY], name="reader")
    return api(token)


def snapshot() -> list[tuple]:
    return list(
        Item.objects.order_by("pk").values_list(
            "pk", "sku", "product_id", "variant_id", "name", "barcode", "tracking", "updated_at"
        )
    )


def upserted(response) -> list[dict]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"data"}
    return body["data"]


def test_post_creates_items_with_tracking_defaults(writer):
    data = upserted(
        writer.post(
            URL,
            [
                {"sku": "TEE-S", "product_id": 10, "variant_id": 101, "name": "Tee S"},
                {"sku": "MUG", "product_id": 11, "barcode": "4006381333931"},
                {"sku": "CAP", "product_id": 12, "variant_id": 0},
                {"sku": "KIT", "product_id": 13, "variant_id": 130, "tracking": "product"},
            ],
            format="json",
        )
    )

    assert [(row["sku"], row["variant_id"], row["tracking"]) for row in data] == [
        ("TEE-S", 101, "variant"),
        ("MUG", None, "product"),
        ("CAP", None, "product"),
        ("KIT", 130, "product"),
    ]
    tee = Item.objects.get(sku="TEE-S")
    assert data[0] == {
        "sku": "TEE-S",
        "product_id": 10,
        "variant_id": 101,
        "name": "Tee S",
        "barcode": None,
        "tracking": "variant",
        "uuid": str(tee.uuid),
    }
    assert data[1]["barcode"] == "4006381333931"
    assert Item.objects.count() == 4


def test_post_updates_existing_items_by_sku_keeping_fields_left_out(writer):
    item = ItemFactory(sku="TEE-M", product_id=10, variant_id=102, name="Tee M", barcode="111")
    updated_at = Item.objects.get(pk=item.pk).updated_at

    data = upserted(
        writer.post(
            URL,
            [
                {"sku": "TEE-M", "product_id": 20, "name": "Tee, medium"},
                {"sku": "NEW", "product_id": 21, "variant_id": 210},
            ],
            format="json",
        )
    )

    item.refresh_from_db()
    assert (item.product_id, item.name) == (20, "Tee, medium")
    assert (item.variant_id, item.barcode, item.tracking) == (102, "111", "variant")
    assert item.updated_at > updated_at
    assert data[0]["uuid"] == str(item.uuid)
    assert [row["sku"] for row in data] == ["TEE-M", "NEW"]


def test_post_clears_variant_and_switches_to_product_tracking(writer):
    item = ItemFactory(sku="BOX", product_id=30, variant_id=300, barcode="222")

    [row] = upserted(
        writer.post(
            URL,
            [{"sku": "BOX", "product_id": 30, "variant_id": None, "barcode": None}],
            format="json",
        )
    )

    assert (row["variant_id"], row["tracking"], row["barcode"]) == (None, "product", None)
    item.refresh_from_db()
    assert (item.variant_id, item.tracking, item.barcode) == (None, "product", "")


def test_an_unchanged_item_is_not_rewritten(writer):
    item = ItemFactory(sku="SAME", product_id=40, variant_id=400, name="Same", barcode="333")
    before = snapshot()

    upserted(
        writer.post(
            URL,
            [
                {
                    "sku": "SAME",
                    "product_id": 40,
                    "variant_id": 400,
                    "name": "Same",
                    "barcode": "333",
                }
            ],
            format="json",
        )
    )

    assert snapshot() == before
    assert item.pk == Item.objects.get(sku="SAME").pk


@pytest.mark.parametrize(
    ("payload", "paths"),
    [
        ([{"product_id": 1}], {"0.sku"}),
        ([{"sku": "A"}], {"0.product_id"}),
        ([{"sku": "A", "product_id": "1"}], {"0.product_id"}),
        ([{"sku": "A", "product_id": 0}], {"0.product_id"}),
        ([{"sku": "A", "product_id": 2_147_483_648}], {"0.product_id"}),
        ([{"sku": "A", "product_id": 1, "variant_id": -1}], {"0.variant_id"}),
        ([{"sku": " A", "product_id": 1}], {"0.sku"}),
        ([{"sku": "", "product_id": 1}], {"0.sku"}),
        ([{"sku": "A", "product_id": 1, "tracking": "lot"}], {"0.tracking"}),
        ([{"sku": "A", "product_id": 1, "barcode": "x" * 65}], {"0.barcode"}),
        ([{"sku": "A", "product_id": 1, "tracking": "variant"}], {"0.variant_id"}),
        ([], {"body"}),
        ({"sku": "A", "product_id": 1}, {"body"}),
    ],
)
def test_post_refuses_invalid_items_naming_the_fields(writer, payload, paths):
    before = snapshot()

    body = assert_problem(writer.post(URL, payload, format="json"), 422)

    assert set(body["errors"]) == paths
    assert snapshot() == before


def test_post_refuses_duplicates_within_the_batch(writer):
    payload = [
        {"sku": "A", "product_id": 1, "variant_id": 11, "barcode": "B1"},
        {"sku": "B", "product_id": 2, "variant_id": 12},
        {"sku": "C", "product_id": 3, "variant_id": 11, "barcode": "B1"},
        {"sku": "A", "product_id": 4, "variant_id": 14},
        {"sku": "D", "product_id": 5},
        {"sku": "E", "product_id": 5},
    ]

    body = assert_problem(writer.post(URL, payload, format="json"), 422)

    assert set(body["errors"]) == {"2.variant_id", "2.barcode", "3.sku", "5.product_id"}
    assert "first at 0" in body["errors"]["3.sku"]
    assert Item.objects.count() == 0


def test_post_refuses_values_held_by_other_items_before_writing(writer):
    ItemFactory(sku="HOLDER", product_id=1, variant_id=11, barcode="B1")
    ItemFactory(sku="WHOLE", product_id=7, variant_id=None, tracking="product", barcode="")
    ItemFactory(sku="VARIANT-OF-8", product_id=8, variant_id=81, barcode="")
    before = snapshot()

    body = assert_problem(
        writer.post(
            URL,
            [
                {"sku": "OK", "product_id": 99},
                {"sku": "X", "product_id": 2, "variant_id": 11},
                {"sku": "Y", "product_id": 3, "barcode": "B1"},
                {"sku": "Z", "product_id": 7},
                {"sku": "V", "product_id": 8},
            ],
            format="json",
        ),
        422,
    )

    assert set(body["errors"]) == {"1.variant_id", "2.barcode", "3.product_id"}
    assert "belongs to SKU HOLDER" in body["errors"]["1.variant_id"]
    assert "belongs to SKU WHOLE" in body["errors"]["3.product_id"]
    assert snapshot() == before


def test_post_refuses_more_than_2000_items(writer):
    payload = [{"sku": f"S{n}", "product_id": n + 1} for n in range(2001)]

    body = assert_problem(writer.post(URL, payload, format="json"), 422)

    assert "2000" in body["title"]
    assert Item.objects.count() == 0


def test_post_needs_a_token_and_the_inventory_modify_scope(api, api_client_factory, reader):
    _, locations_only = api_client_factory(["store_locations"], name="locations")
    payload = [{"sku": "A", "product_id": 1}]

    assert_problem(api(None).post(URL, payload, format="json"), 401)
    assert_problem(reader.post(URL, payload, format="json"), 403)
    assert_problem(api(locations_only).post(URL, payload, format="json"), 403)
    assert Item.objects.count() == 0


def test_post_not_json_is_refused(writer):
    assert_problem(writer.post(URL, "sku=A", content_type="text/plain"), 415)
    assert_problem(writer.post(URL, "[{", content_type="application/json"), 400)


def test_idempotent_retry_replays_and_upserts_once(writer):
    headers = {"Idempotency-Key": "catalog-1"}
    payload = [{"sku": "A", "product_id": 1, "variant_id": 11}]

    first = writer.post(URL, payload, format="json", headers=headers)
    Item.objects.filter(sku="A").update(name="changed since")
    retry = writer.post(URL, payload, format="json", headers=headers)

    assert upserted(retry) == upserted(first)
    assert retry["Idempotent-Replayed"] == "true"
    assert Item.objects.get(sku="A").name == "changed since"  # not applied again
    assert IdempotencyRecord.objects.count() == 1


def test_same_key_with_another_body_is_refused(writer):
    headers = {"Idempotency-Key": "catalog-2"}
    upserted(writer.post(URL, [{"sku": "A", "product_id": 1}], format="json", headers=headers))
    before = snapshot()

    body = assert_problem(
        writer.post(URL, [{"sku": "B", "product_id": 2}], format="json", headers=headers), 422
    )

    assert "Idempotency-Key" in body["errors"]
    assert snapshot() == before


def test_get_lists_items_with_filters_and_pagination(reader):
    a = ItemFactory(sku="A", product_id=1, variant_id=11, barcode="111")
    b = ItemFactory(sku="B", product_id=1, variant_id=12, barcode="")
    ItemFactory(sku="C", product_id=2, variant_id=None, tracking="product", barcode="333")

    def skus(query: str = "") -> list[str]:
        response = reader.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        body = response.json()
        assert_matches(body["meta"], "Meta")
        return [row["sku"] for row in body["data"]]

    assert skus() == ["A", "B", "C"]
    assert skus("sku:in=C,A,NOPE") == ["A", "C"]
    assert skus(f"variant_id:in={b.variant_id}") == ["B"]
    assert skus("product_id:in=1") == ["A", "B"]
    assert skus("barcode:in=333,111") == ["A", "C"]
    assert skus("limit=2&page=2") == ["C"]
    response = reader.get(f"{URL}?sku:in=A")
    assert response.json()["data"] == [
        {
            "sku": "A",
            "product_id": 1,
            "variant_id": 11,
            "name": a.name,
            "barcode": "111",
            "tracking": "variant",
            "uuid": str(a.uuid),
        }
    ]


def test_get_needs_a_token_and_the_inventory_scope(api, api_client_factory):
    _, locations_only = api_client_factory(["store_locations_read_only"], name="locations")

    assert_problem(api(None).get(URL), 401)
    assert_problem(api(locations_only).get(URL), 403)


@pytest.mark.parametrize("query", ["variant_id:in=x", "product_id:in=-1", "page=0"])
def test_get_with_bad_filters_is_422(reader, query):
    assert_problem(reader.get(f"{URL}?{query}"), 422)


def _batch(size: int, existing: int) -> list[dict]:
    """`size` items, the first `existing` of them already stored (and renamed here)."""
    ItemFactory.reset_sequence()
    for n in range(existing):
        ItemFactory(sku=f"Q{n:05d}", product_id=n + 1, variant_id=n + 1, barcode=f"BC{n}")
    return [
        {
            "sku": f"Q{n:05d}",
            "product_id": n + 1,
            "variant_id": n + 1,
            "name": f"renamed {n}",
            "barcode": f"BC{n}",
        }
        for n in range(size)
    ]


def _count_queries(client, payload, key: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, payload, format="json", headers={"Idempotency-Key": key})
    assert response.status_code == 200, response.content
    assert len(response.json()["data"]) == len(payload)
    return len(queries)


def test_upserting_2000_items_costs_the_same_queries_as_10(writer, django_assert_max_num_queries):
    small = _count_queries(writer, _batch(10, existing=5), "small")
    Item.objects.all().delete()
    payload = _batch(2000, existing=1000)

    with django_assert_max_num_queries(small):
        response = writer.post(URL, payload, format="json", headers={"Idempotency-Key": "large"})

    assert response.status_code == 200, response.content
    assert Item.objects.count() == 2000
    assert Item.objects.filter(name="renamed 1999").exists()
    assert Item.objects.filter(name="renamed 0").exists()


def test_a_value_taken_by_a_concurrent_request_is_409_not_500(writer, monkeypatch):
    # The race: the barcode was free when checked, and taken before the write.
    ItemFactory(sku="FIRST", barcode="RACE")
    monkeypatch.setattr("inventory.catalog.services._taken_errors", lambda rows: [])
    before = snapshot()

    body = assert_problem(
        writer.post(URL, [{"sku": "SECOND", "product_id": 1, "barcode": "RACE"}], format="json"),
        409,
    )

    assert "retry" in body["title"]
    assert snapshot() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_the_same_new_skus_never_fail_with_500(api_client_factory, api):
    _, token = api_client_factory([WRITE])
    payload = [{"sku": f"C{n}", "product_id": n + 1, "variant_id": n + 1} for n in range(50)]

    def post():
        return api(token).post(URL, payload, format="json").status_code

    statuses = run_together([post] * 4)

    assert set(statuses) <= {200, 409}
    assert 200 in statuses
    assert Item.objects.filter(sku__startswith="C").count() == 50
