"""The stock history names the transfer or supplier receipt a change shipped or received: the
number links to its page for who may open it, the new kinds read and filter as people say
them, the CSV export carries them, and the page costs the same queries however many rows
belong to documents."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import Adjustment, Balance
from inventory.movements.services import (
    Arrival,
    Planned,
    Who,
    create_receipt,
    create_transfer,
    receive_receipt,
    receive_transfer,
    ship_transfer,
)
from tests.factories import ItemFactory, LocationFactory, UserFactory, manager, set_stock

pytestmark = pytest.mark.django_db

HISTORY_URL = reverse("admin:inventory_adjustmentline_changelist")
EXPORT_URL = reverse("admin:inventory_adjustmentline_export")


@pytest.fixture
def boss():
    return manager(username="boss")


@pytest.fixture
def moved(boss):
    """A transfer shipped and partly received (its own reference WB-7), and a supplier receipt
    (PO-1001) received in part."""
    warehouse = LocationFactory(code="WH", label="Warehouse")
    downtown = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT")
    set_stock(shirt, warehouse, 20)
    who = Who(actor=boss)
    transfer = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(shirt, 6)], who=who
    )
    ship_transfer(transfer=transfer, who=who)
    receive_transfer(transfer=transfer, arrivals=[Arrival(shirt, received=4)], who=who)
    receipt = create_receipt(
        location=downtown,
        supplier="Acme Textiles",
        reference="PO-1001",
        lines=[Planned(shirt, 8)],
        who=who,
    )
    receive_receipt(receipt=receipt, arrivals=[Arrival(shirt, received=3)], who=who)
    return {
        "transfer": transfer,
        "receipt": receipt,
        "who": who,
        "shirt": shirt,
        "warehouse": warehouse,
        "downtown": downtown,
    }


def rows_of(page: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)[1]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_each_row_links_the_document_it_shipped_or_received(client, boss, moved):
    client.force_login(boss)
    page = client.get(HISTORY_URL).content.decode()

    transfer, receipt = moved["transfer"], moved["receipt"]
    transfer_link = f'<a class="reason-document" href="{reverse("movements:transfer", args=[transfer.pk])}">{transfer.number}</a>'
    receipt_link = f'<a class="reason-document" href="{reverse("movements:receipt", args=[receipt.pk])}">{receipt.number}</a>'
    rows = rows_of(page)
    received, delivered, shipped = rows[0], rows[1], rows[2]
    assert f"Delivery {receipt_link} from Acme Textiles" in received
    assert "Ref. PO-1001" in received
    assert f"Transfer {transfer_link} from Warehouse" in delivered
    assert f"Transfer {transfer_link} to Downtown" in shipped
    assert text_of(shipped).count(transfer.number) == 1  # the reference was only its number
    assert "Transfer shipped" in text_of(shipped)
    assert "Received" in text_of(received)


def test_who_may_not_open_the_documents_reads_their_numbers_unlinked(client, moved):
    reader = UserFactory()
    reader.user_permissions.add(Permission.objects.get(codename="view_adjustmentline"))
    moved["downtown"].staff.add(reader)
    client.force_login(reader)
    page = client.get(HISTORY_URL).content.decode()

    assert moved["receipt"].number in text_of(page)
    assert moved["transfer"].number in text_of(page)
    assert "/transfers/" not in page
    assert "/receipts/" not in page


def test_the_kind_filter_offers_and_finds_the_new_kinds(client, boss, moved):
    client.force_login(boss)
    page = client.get(HISTORY_URL).content.decode()
    shipped = client.get(f"{HISTORY_URL}?kind=shipment").content.decode()
    received = client.get(f"{HISTORY_URL}?kind=receipt").content.decode()

    assert '<option value="shipment">Transfer shipped</option>' in page
    assert '<option value="receipt">Received</option>' in page
    assert len(rows_of(shipped)) == 1
    assert "to Downtown" in shipped
    assert len(rows_of(received)) == 2


def test_the_csv_export_names_the_kinds_and_the_documents(client, boss, moved):
    client.force_login(boss)
    response = client.get(f"{EXPORT_URL}?location={moved['downtown'].pk}")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    shipped = client.get(f"{EXPORT_URL}?kind=shipment")
    shipped_rows = list(csv.DictReader(io.StringIO(b"".join(shipped.streaming_content).decode())))

    assert [(row["kind"], row["document"], row["reference"]) for row in rows] == [
        ("receipt", moved["receipt"].number, "PO-1001"),
        ("receipt", moved["transfer"].number, moved["transfer"].number),
    ]
    assert [(row["kind"], row["location"], row["document"]) for row in shipped_rows] == [
        ("shipment", "WH", moved["transfer"].number)
    ]


def test_the_transaction_page_links_its_document(client, boss, moved):
    client.force_login(boss)
    shipment = Adjustment.objects.get(kind=Adjustment.Kind.SHIPMENT)
    settings_change = Adjustment.objects.filter(kind=Adjustment.Kind.ABSOLUTE).first()

    page = client.get(reverse("admin:inventory_adjustment_change", args=[shipment.pk]))
    other = client.get(reverse("admin:inventory_adjustment_change", args=[settings_change.pk]))

    url = reverse("movements:transfer", args=[moved["transfer"].pk])
    assert f'<a href="{url}">{moved["transfer"].number}</a>' in page.content.decode()
    assert "Transfer or delivery" not in other.content.decode()


@pytest.mark.parametrize(
    "url",
    [HISTORY_URL, reverse("admin:inventory_adjustment_changelist")],
    ids=["lines", "transactions"],
)
def test_the_page_costs_the_same_queries_however_many_rows_are_documents(
    client, boss, moved, django_assert_max_num_queries, url
):
    client.force_login(boss)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    who, warehouse, downtown = moved["who"], moved["warehouse"], moved["downtown"]
    for _ in range(8):
        transfer = create_transfer(
            origin=warehouse, destination=downtown, lines=[Planned(moved["shirt"], 1)], who=who
        )
        ship_transfer(transfer=transfer, who=who)
        receive_transfer(transfer=transfer, arrivals=[Arrival(moved["shirt"], received=1)], who=who)

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('class="reason-document"') >= 19


def test_the_balance_pages_latest_adjustments_link_their_documents(client, boss, moved):
    client.force_login(boss)
    balance = Balance.objects.get(item=moved["shirt"], location=moved["downtown"])
    page = client.get(reverse("admin:inventory_balance_change", args=[balance.pk]))

    changes = re.search(r'<ol class="stock-changes">(.*?)</ol>', page.content.decode(), re.S)[1]
    transfer, receipt = moved["transfer"], moved["receipt"]
    receipt_url = reverse("movements:receipt", args=[receipt.pk])
    transfer_url = reverse("movements:transfer", args=[transfer.pk])
    receipt_link = f'<a class="reason-document" href="{receipt_url}">{receipt.number}</a>'
    transfer_link = f'<a class="reason-document" href="{transfer_url}">{transfer.number}</a>'
    assert f"Delivery {receipt_link} from Acme Textiles" in changes
    assert f"Transfer {transfer_link} from Warehouse" in changes
