"""The stock history page's reasons, search and filters: shown, filtered, exported alike."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import Adjustment
from inventory.stock import LineInput, apply_adjustment
from tests.factories import ItemFactory, LocationFactory, UserFactory, manager

HISTORY_URL = reverse("admin:inventory_adjustmentline_changelist")
EXPORT_URL = reverse("admin:inventory_adjustmentline_export")
Code = Adjustment.ReasonCode


@pytest.fixture
def shop(db):
    store = LocationFactory(code="DT", label="Downtown store")
    tee = ItemFactory(sku="TEE-BLA-L", name="Crew T-shirt, Black, L")
    beanie = ItemFactory(sku="BEANIE", name="Wool beanie")

    def change(*items, quantity=3, **why):
        return apply_adjustment(
            kind=Adjustment.Kind.RELATIVE,
            source=Adjustment.Source.ADMIN,
            lines=[LineInput(location_id=store.pk, item_id=i.pk, quantity=quantity) for i in items],
            **why,
        )

    return {
        "store": store,
        "tee": tee,
        "beanie": beanie,
        "change": change,
        "delivery": change(tee, beanie, reason_code=Code.RECEIVED, reference="PO-2291"),
        "sale": change(tee, quantity=-1, reason="Sale, order #10741"),
        "damage": change(beanie, quantity=-1, reason_code=Code.DAMAGED, reason="Seams torn"),
    }


@pytest.fixture
def boss(client, shop):
    client.force_login(manager(username="boss"))
    return client


def listed(response) -> list[tuple[str, int]]:
    return [(line.item.sku, line.delta) for line in response.context["cl"].result_list]


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("received", [("BEANIE", 3), ("TEE-BLA-L", 3)]),
        ("damaged", [("BEANIE", -1)]),
        ("none", [("TEE-BLA-L", -1)]),  # "No reason given"
        ("", [("BEANIE", -1), ("TEE-BLA-L", -1), ("BEANIE", 3), ("TEE-BLA-L", 3)]),
    ],
)
def test_filter_by_reason_code(boss, reason, expected):
    response = boss.get(HISTORY_URL, {"reason": reason})

    assert sorted(listed(response)) == sorted(expected)


def test_the_reason_column_shows_the_reasons_name_note_and_reference(boss):
    page = boss.get(HISTORY_URL).content.decode()

    assert '<span class="reason-code">Damaged</span> <span class="reason-note">Seams torn' in page
    assert (
        '<span class="reason-code">Received</span> <span class="reason-reference">Ref. PO-2291'
        in page
    )
    assert '<span class="reason-note">Sale, order #10741</span>' in page


def test_the_export_carries_reason_code_and_reference_and_keeps_to_the_filter(boss):
    rows = read_csv(boss.get(EXPORT_URL, {"reason": "received", "q": "beanie"}))

    assert [(row["sku"], row["reason_code"], row["reason"], row["reference"]) for row in rows] == [
        ("BEANIE", "received", "", "PO-2291")
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("TEE-BLA", [("TEE-BLA-L", -1), ("TEE-BLA-L", 3)]),
        ("beanie", [("BEANIE", -1), ("BEANIE", 3)]),
        ("10741", [("TEE-BLA-L", -1)]),
        ("order 10741", [("TEE-BLA-L", -1)]),
        ("PO-2291", [("BEANIE", 3), ("TEE-BLA-L", 3)]),
        ("torn", [("BEANIE", -1)]),
    ],
)
def test_search_on_the_page_and_in_its_export(boss, query, expected):
    page = boss.get(HISTORY_URL, {"q": query})
    rows = read_csv(boss.get(EXPORT_URL, {"q": query}))

    assert sorted(listed(page)) == sorted(expected)
    assert sorted((row["sku"], int(row["delta"])) for row in rows) == sorted(expected)


def test_the_short_id_shown_in_the_list_finds_its_transaction(boss, shop):
    page = boss.get(HISTORY_URL).content.decode()
    short_id = shop["sale"].short_id
    assert f">{short_id}</a>" in page

    assert listed(boss.get(HISTORY_URL, {"q": short_id.upper()})) == [("TEE-BLA-L", -1)]


def test_a_range_with_its_end_before_its_start_lists_nothing_and_says_why(boss):
    today = timezone.localdate()
    query = {"since": today.isoformat(), "until": (today - timedelta(days=2)).isoformat()}

    response = boss.get(HISTORY_URL, query)
    export = boss.get(EXPORT_URL, query)

    assert response.status_code == 200
    assert listed(response) == []
    assert "The end date is before the start date" in response.content.decode()
    assert export.status_code == 400
    assert "until: The end date is before the start date" in export.content.decode()


def test_a_location_the_reader_may_not_see_is_refused_not_shown(client, shop):
    elsewhere = LocationFactory()
    staff = UserFactory(groups=["Store staff"])
    shop["store"].staff.add(staff)
    client.force_login(staff)

    response = client.get(HISTORY_URL, {"location": elsewhere.pk})

    assert listed(response) == []
    assert "Select a valid choice" in response.content.decode()


def test_the_quick_dates_set_the_range(boss):
    response = boss.get(HISTORY_URL, {"q": "beanie", "p": "2"})
    presets = {
        label: link for label, link, _ in response.context["cl"].filter_specs[0].date_presets
    }
    today = timezone.localdate()

    assert presets["Today"] == f"?q=beanie&since={today}&until={today}"
    assert presets["Any date"] == "?q=beanie"
    assert len(listed(boss.get(HISTORY_URL + presets["Last 7 days"]))) == 2


def test_the_page_costs_the_same_queries_for_many_lines(boss, shop, django_assert_max_num_queries):
    query = {"q": "crew", "reason": "received", "since": timezone.localdate().isoformat()}

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert boss.get(HISTORY_URL, query).status_code == 200
        return len(captured)

    few = queries_for_page()
    for _ in range(3):
        more = [ItemFactory(name="Crew T-shirt") for _ in range(10)]
        shop["change"](*more, reason_code=Code.RECEIVED)
    with django_assert_max_num_queries(few):
        response = boss.get(HISTORY_URL, query)
    assert len(listed(response)) == 31


def test_a_reader_who_may_not_open_transactions_sees_their_ids_without_links(client, shop):
    reader = UserFactory(is_superuser=False)
    reader.user_permissions.add(
        Permission.objects.get(codename="view_adjustmentline"),
        Permission.objects.get(codename="access_all_locations"),
    )
    client.force_login(reader)

    page = client.get(HISTORY_URL).content.decode()

    assert shop["sale"].short_id in page
    assert reverse("admin:inventory_adjustment_change", args=[shop["sale"].pk]) not in page


def test_the_page_is_titled_for_what_it_is(boss):
    page = boss.get(HISTORY_URL).content.decode()

    assert "<h1>Stock history</h1>" in page
    assert "<title>Stock history" in page


def test_a_link_to_one_items_history_names_it_and_a_broken_one_says_so(boss, shop):
    one = boss.get(HISTORY_URL, {"item": shop["beanie"].pk})
    broken = boss.get(HISTORY_URL, {"item": "abc"})

    assert sorted(listed(one)) == [("BEANIE", -1), ("BEANIE", 3)]
    assert "Only <strong>BEANIE</strong> Wool beanie" in one.content.decode()
    assert listed(broken) == []
    assert "Item: Enter a number." in broken.content.decode()
