"""Stock history in the admin: read-only, filterable, searchable, exportable, scoped."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.admin.paging import CappedCountPaginator
from inventory.models import Adjustment, AdjustmentLine, ApiClient, Balance
from inventory.stock import LineInput, apply_adjustment
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

HISTORY_URL = reverse("admin:inventory_adjustmentline_changelist")
EXPORT_URL = reverse("admin:inventory_adjustmentline_export")


@pytest.fixture
def store(db):
    """Two stores with some history: opening stock by the system, a sale through the API, and
    a manager's transfer between them."""
    north, south = LocationFactory(code="NORTH"), LocationFactory(code="SOUTH")
    boss = manager(username="boss")
    shirt, socks = ItemFactory(sku="SHIRT"), ItemFactory(sku="SOCKS")
    opening = apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        source=Adjustment.Source.SYSTEM,
        reason="Opening stock",
        lines=[
            LineInput(location_id=north.pk, item_id=shirt.pk, quantity=10),
            LineInput(location_id=north.pk, item_id=socks.pk, quantity=20),
            LineInput(location_id=south.pk, item_id=shirt.pk, quantity=5),
        ],
    )
    sale = apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        reason="Order 1001",
        lines=[LineInput(location_id=north.pk, item_id=shirt.pk, quantity=-2)],
    )
    transfer = apply_adjustment(
        kind=Adjustment.Kind.TRANSFER,
        source=Adjustment.Source.ADMIN,
        actor=boss,
        reason="Restock south",
        lines=[
            LineInput(location_id=north.pk, to_location_id=south.pk, item_id=socks.pk, quantity=4)
        ],
    )
    return {
        "north": north,
        "south": south,
        "boss": boss,
        "shirt": shirt,
        "socks": socks,
        "opening": opening,
        "sale": sale,
        "transfer": transfer,
    }


def listed(response) -> list[AdjustmentLine]:
    return list(response.context["cl"].result_list)


def line_keys(lines) -> set[tuple[str, str, int]]:
    return {(line.location.code, line.item.sku, line.delta) for line in lines}


@pytest.fixture
def boss_client(client, store):
    client.force_login(store["boss"])
    return client


def test_lists_every_line_newest_first(boss_client, store):
    response = boss_client.get(HISTORY_URL)

    lines = listed(response)
    assert response.status_code == 200
    assert len(lines) == 6
    assert [line.id for line in lines] == sorted((line.id for line in lines), reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "location={north}",
            {
                ("NORTH", "SHIRT", 10),
                ("NORTH", "SOCKS", 20),
                ("NORTH", "SHIRT", -2),
                ("NORTH", "SOCKS", -4),
            },
        ),
        ("kind=transfer", {("NORTH", "SOCKS", -4), ("SOUTH", "SOCKS", 4)}),
        # Links made before the filters had their names (the stocktake pages, bookmarks).
        ("adjustment__kind__exact=transfer", {("NORTH", "SOCKS", -4), ("SOUTH", "SOCKS", 4)}),
        ("adjustment__source__exact=api", {("NORTH", "SHIRT", -2)}),
        ("source=api", {("NORTH", "SHIRT", -2)}),
        ("by=user:{boss}", {("NORTH", "SOCKS", -4), ("SOUTH", "SOCKS", 4)}),
        # Neither a person nor an API client: the opening stock, and the sale (no client).
        (
            "by=system",
            {
                ("NORTH", "SHIRT", 10),
                ("NORTH", "SOCKS", 20),
                ("SOUTH", "SHIRT", 5),
                ("NORTH", "SHIRT", -2),
            },
        ),
        ("location={south}&kind=absolute", {("SOUTH", "SHIRT", 5)}),
        ("item={shirt}&location={north}", {("NORTH", "SHIRT", 10), ("NORTH", "SHIRT", -2)}),
        ("q=SOCKS", {("NORTH", "SOCKS", 20), ("NORTH", "SOCKS", -4), ("SOUTH", "SOCKS", 4)}),
        ("q=order 1001", {("NORTH", "SHIRT", -2)}),
        ("q={sale_txn}", {("NORTH", "SHIRT", -2)}),
    ],
)
def test_filters_and_search(boss_client, store, query, expected):
    query = query.format(
        north=store["north"].pk,
        south=store["south"].pk,
        boss=store["boss"].pk,
        shirt=store["shirt"].pk,
        sale_txn=store["sale"].transaction_id,
    )

    response = boss_client.get(f"{HISTORY_URL}?{query}")

    assert response.status_code == 200
    assert line_keys(listed(response)) == expected


def test_date_range_takes_both_days_whole(boss_client, store):
    today = timezone.localdate()
    tomorrow = (today + timedelta(days=1)).isoformat()

    today_only = boss_client.get(HISTORY_URL, {"since": today.isoformat(), "until": today})
    from_tomorrow = boss_client.get(HISTORY_URL, {"since": tomorrow})
    until_yesterday = boss_client.get(HISTORY_URL, {"until": today - timedelta(days=1)})

    assert len(listed(today_only)) == 6
    assert listed(from_tomorrow) == []
    assert listed(until_yesterday) == []


def read_csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_csv_export_holds_exactly_the_filtered_rows(boss_client, store):
    query = f"location={store['north'].pk}&q=SOCKS"
    shown = boss_client.get(f"{HISTORY_URL}?{query}")

    exported = boss_client.get(f"{EXPORT_URL}?{query}")

    assert exported["Content-Type"].startswith("text/csv")
    rows = read_csv(exported)
    assert [(row["location"], row["sku"], int(row["delta"])) for row in rows] == [
        (line.location.code, line.item.sku, line.delta) for line in listed(shown)
    ]
    assert rows[0] == {
        "created_at": rows[0]["created_at"],
        "transaction_id": str(store["transfer"].transaction_id),
        "kind": "transfer",
        "source": "admin",
        "user": "boss",
        "location": "NORTH",
        "sku": "SOCKS",
        "item": store["socks"].name,
        "quantity_before": "20",
        "quantity_after": "16",
        "delta": "-4",
        "reason_code": "",
        "reason": "Restock south",
        "reference": "",
        "document": "",
    }


def test_csv_export_defuses_spreadsheet_formulas(boss_client, store):
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        reason='=HYPERLINK("http://evil")',
        lines=[LineInput(location_id=store["north"].pk, item_id=store["shirt"].pk, quantity=1)],
    )

    rows = read_csv(boss_client.get(f"{EXPORT_URL}?source=api"))

    assert rows[0]["reason"].startswith("'=")


def test_history_is_read_only_for_everyone(boss_client, store, admin_user, client):
    line = AdjustmentLine.objects.first()
    adjustment = store["sale"]
    client.force_login(admin_user)  # even a superuser
    for user_client in (boss_client, client):
        assert user_client.get(reverse("admin:inventory_adjustmentline_add")).status_code == 403
        assert user_client.get(reverse("admin:inventory_adjustment_add")).status_code == 403
        assert (
            user_client.post(
                reverse("admin:inventory_adjustment_delete", args=[adjustment.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        detail = user_client.post(
            reverse("admin:inventory_adjustment_change", args=[adjustment.pk]),
            {"reason": "rewritten"},
        )
        assert detail.status_code == 403
    assert Adjustment.objects.get(pk=adjustment.pk).reason == "Order 1001"
    assert AdjustmentLine.objects.filter(pk=line.pk).exists()


def test_adjustment_detail_lists_every_line(boss_client, store):
    response = boss_client.get(
        reverse("admin:inventory_adjustment_change", args=[store["opening"].pk])
    )

    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0]
    lines = [form.original for form in inline]
    assert {
        (line.location.code, line.item.sku, line.quantity_before, line.quantity_after)
        for line in lines
    } == {
        ("NORTH", "SHIRT", 0, 10),
        ("NORTH", "SOCKS", 0, 20),
        ("SOUTH", "SHIRT", 0, 5),
    }


def test_changelist_never_counts_the_whole_ledger(boss_client, store):
    with CaptureQueriesContext(connection) as queries:
        boss_client.get(HISTORY_URL)

    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert counts, "the paginator should still count (a bounded number of) rows"
    assert all("LIMIT" in sql.upper() for sql in counts)


def test_pagination_says_when_the_count_is_capped(boss_client, store, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 4)

    response = boss_client.get(HISTORY_URL)

    assert "More than 4 changes" in response.content.decode()


@pytest.fixture
def staff_client(client, store):
    client.force_login(store_staff(store["south"]))
    return client


def test_staff_see_only_their_locations_history(staff_client, store):
    response = staff_client.get(HISTORY_URL)

    assert line_keys(listed(response)) == {("SOUTH", "SHIRT", 5), ("SOUTH", "SOCKS", 4)}
    exported = read_csv(staff_client.get(EXPORT_URL))
    assert {row["location"] for row in exported} == {"SOUTH"}


def test_staff_see_only_their_lines_of_a_shared_adjustment(staff_client, store):
    response = staff_client.get(
        reverse("admin:inventory_adjustment_change", args=[store["transfer"].pk])
    )

    lines = [form.original for form in response.context["inline_admin_formsets"][0]]
    assert [line.location.code for line in lines] == ["SOUTH"]


def test_staff_get_404_for_other_locations_objects(staff_client, store):
    north_balance = Balance.objects.get(location=store["north"], item=store["shirt"])
    urls = [
        reverse("admin:inventory_adjustment_change", args=[store["sale"].pk]),
        reverse("admin:inventory_balance_change", args=[north_balance.pk]),
        reverse("admin:locations_location_change", args=[store["north"].pk]),
    ]

    assert [staff_client.get(url).status_code for url in urls] == [404, 404, 404]


def test_staff_balance_list_and_filters_show_only_their_locations(staff_client, store):
    response = staff_client.get(reverse("admin:inventory_balance_changelist"))

    assert {balance.location.code for balance in response.context["cl"].result_list} == {"SOUTH"}
    filter_choices = response.context["cl"].filter_specs[0].lookup_choices
    assert [label for _, label in filter_choices] == [str(store["south"])]


def test_balance_stock_level_filters(boss_client, store):
    set_stock(store["shirt"], store["south"], 0)
    Balance.objects.filter(location=store["north"], item=store["socks"]).update(warning_level=50)
    url = reverse("admin:inventory_balance_changelist")

    out = boss_client.get(f"{url}?stock=out")
    low = boss_client.get(f"{url}?stock=below_warning")

    assert [(b.location.code, b.item.sku) for b in out.context["cl"].result_list] == [
        ("SOUTH", "SHIRT")
    ]
    assert [(b.location.code, b.item.sku) for b in low.context["cl"].result_list] == [
        ("NORTH", "SOCKS")
    ]


def test_changes_made_through_the_api_name_their_client(boss_client, store):
    partner = ApiClient.objects.create(name="Shop sync", token_prefix="p", token_hash="h")
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        api_client=partner,
        lines=[LineInput(location_id=store["north"].pk, item_id=store["shirt"].pk, quantity=1)],
    )

    response = boss_client.get(f"{HISTORY_URL}?by=client:{partner.pk}")
    rows = read_csv(boss_client.get(f"{EXPORT_URL}?by=client:{partner.pk}"))

    assert "API: Shop sync" in response.content.decode()
    assert [row["user"] for row in rows] == ["API: Shop sync"]


@pytest.mark.parametrize(
    ("query", "named"),
    [("location=abc", "location"), ("since=2026-13-01", "since"), ("by=user:x", "by")],
)
def test_csv_export_refuses_a_bad_filter_with_400_not_500(boss_client, store, query, named):
    answer = boss_client.get(f"{EXPORT_URL}?{query}")

    assert answer.status_code == 400
    assert answer.content.decode().startswith(f"Bad filter: {named}: ")


@pytest.fixture
def who_acted_where(db):
    """At each of two stores, a user and an API client who changed stock there, and nowhere
    else."""
    north, south = LocationFactory(code="NORTH"), LocationFactory(code="SOUTH")
    item = ItemFactory()
    for location, name in ((north, "north"), (south, "south")):
        user = manager(username=f"{name}-clerk")
        client = ApiClient.objects.create(name=f"{name} till", token_prefix=name, token_hash="x")
        for actor, api_client, source in (
            (user, None, Adjustment.Source.ADMIN),
            (None, client, Adjustment.Source.API),
        ):
            apply_adjustment(
                kind=Adjustment.Kind.RELATIVE,
                source=source,
                actor=actor,
                api_client=api_client,
                reason="Delivery",
                lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=1)],
            )
    return north, south


def filter_choices(response, title: str) -> list[str]:
    spec = next(spec for spec in response.context["cl"].filter_specs if spec.title == title)
    return [str(label) for _, label in spec.lookup_choices]


def by_choices(response) -> list[str]:
    """The history's "By" choices, but "Anyone"."""
    form = response.context["cl"].filter_specs[0].form
    return [str(label) for value, label in form.fields["by"].choices if value]


def test_staff_choose_among_those_who_acted_at_their_locations_only(client, who_acted_where):
    north, _ = who_acted_where
    client.force_login(store_staff(north, username="north-staff"))

    history = client.get(HISTORY_URL)
    transactions = client.get(reverse("admin:inventory_adjustment_changelist"))

    assert by_choices(history) == ["north-clerk", "API: north till", "System"]
    assert filter_choices(transactions, "person") == ["north-clerk"]
    assert filter_choices(transactions, "API client") == ["north till"]
    for response in (history, transactions):
        assert response.status_code == 200
        page = response.content.decode()
        assert "south-clerk" not in page
        assert "south till" not in page


def test_managers_choose_among_everyone_who_acted(client, who_acted_where):
    client.force_login(manager(username="boss"))

    response = client.get(HISTORY_URL)

    assert by_choices(response) == [
        "north-clerk",
        "south-clerk",
        "API: north till",
        "API: south till",
        "System",
    ]


def test_the_filter_choices_cost_one_query_each_however_many_acted(client, who_acted_where):
    north, _ = who_acted_where
    client.force_login(store_staff(north))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HISTORY_URL).status_code == 200
        return len(captured)

    before = queries()
    for n in range(5):
        user = manager(username=f"more-{n}")
        apply_adjustment(
            kind=Adjustment.Kind.RELATIVE,
            source=Adjustment.Source.ADMIN,
            actor=user,
            reason="Delivery",
            lines=[LineInput(location_id=north.pk, item_id=ItemFactory().pk, quantity=1)],
        )

    assert queries() == before
