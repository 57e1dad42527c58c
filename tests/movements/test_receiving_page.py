"""The receiving page, for transfers and supplier deliveries: who may open it, what a
submission receives (once), and refusals shown on their lines with nothing changed."""

import re
import uuid

import pytest
from django.urls import reverse

from inventory.models import (
    Adjustment,
    Balance,
    ReceivingEvent,
    SupplierReceipt,
    TransferOrder,
)
from inventory.movements.services import (
    Planned,
    Who,
    create_receipt,
    create_transfer,
    ship_transfer,
)
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = pytest.mark.django_db


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


@pytest.fixture
def warehouse():
    return LocationFactory(label="Warehouse")


@pytest.fixture
def downtown():
    return LocationFactory(label="Downtown")


@pytest.fixture
def boss():
    return manager()


@pytest.fixture
def shirt():
    return ItemFactory(sku="SHIRT", name="Linen shirt", barcode="4006381333931")


@pytest.fixture
def mug():
    return ItemFactory(sku="MUG", name="Enamel mug", barcode="4006381333948")


def shipped(origin, destination, who, **quantities_by_item):
    """A transfer shipped from `origin` with `quantities_by_item` (item -> units)."""
    lines = []
    for item, quantity in quantities_by_item.values():
        set_stock(item, origin, quantity)
        lines.append(Planned(item, quantity))
    transfer = create_transfer(origin=origin, destination=destination, lines=lines, who=who)
    return ship_transfer(transfer=transfer, who=who)


def expected_delivery(location, who, lines, supplier="Acme Textiles", reference="PO-1001"):
    return create_receipt(
        location=location,
        supplier=supplier,
        reference=reference,
        lines=[Planned(item, quantity) for item, quantity in lines],
        who=Who(actor=who),
    )


def text_of(response) -> str:
    """The page as read: tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()).replace(" ,", ",")


def receive_url(document):
    name = "transfer_receive" if isinstance(document, TransferOrder) else "receipt_receive"
    return reverse(f"movements:{name}", args=[document.pk])


COLUMNS = ("received", "damaged", "missing")


def form_data(document, token=None, note="", accept=False, **by_sku):
    """The page's form: {sku: (received, damaged[, missing])} for the lines typed in."""
    data = {"token": token or str(uuid.uuid4()), "action": "receive", "note": note}
    for line in document.lines.select_related("item"):
        for column, value in zip(COLUMNS, by_sku.get(line.item.sku, ()), strict=False):
            data[f"{column}_{line.pk}"] = str(value)
    if accept:
        data["accept_overage"] = "on"
    return data


def lines_of(document):
    fields = (
        ("received", "damaged", "missing")
        if isinstance(document, TransferOrder)
        else (
            "received",
            "damaged",
        )
    )
    return {
        line.item.sku: tuple(getattr(line, field) for field in fields)
        for line in document.lines.select_related("item")
    }


@pytest.fixture
def transfer(warehouse, downtown, boss, shirt, mug):
    return shipped(warehouse, downtown, Who(actor=boss), a=(shirt, 20), b=(mug, 5))


@pytest.fixture
def clerk(client, downtown):
    client.force_login(store_staff(downtown, username="clerk"))
    return client


def test_the_page_says_what_is_received_and_lists_the_lines(clerk, transfer):
    response = clerk.get(receive_url(transfer))
    assert response.status_code == 200
    assert f"Transfer {transfer.number} from Warehouse to Downtown, shipped" in text_of(response)
    page = response.content.decode()
    assert "Linen shirt" in page
    assert "Enamel mug" in page
    assert 'data-barcode="4006381333931"' in page
    assert 'name="code" id="rc-code" class="rc-code" maxlength="270" autofocus' in page
    assert "Accept extra units" not in page  # a clerk may not
    assert "ask an inventory manager" in page


def test_a_partial_receive_adds_to_stock_and_leaves_the_rest_in_transit(
    clerk, transfer, downtown, shirt
):
    response = clerk.post(receive_url(transfer), form_data(transfer, SHIRT=(12,)))
    assert response.status_code == 302
    assert response["Location"] == reverse("movements:transfer", args=[transfer.pk])
    transfer.refresh_from_db()
    assert transfer.status == TransferOrder.Status.PARTIALLY_RECEIVED
    assert lines_of(transfer) == {"SHIRT": (12, 0, 0), "MUG": (0, 0, 0)}
    assert on_hand(shirt, downtown) == 12
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Received 12. 13 still in transit."]


def test_damaged_and_missing_leave_transit_without_entering_stock(
    clerk, transfer, downtown, shirt, mug
):
    data = form_data(transfer, note="Box torn", SHIRT=(18, 1, 1), MUG=(5,))
    response = clerk.post(receive_url(transfer), data)
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferOrder.Status.RECEIVED
    assert lines_of(transfer) == {"SHIRT": (18, 1, 1), "MUG": (5, 0, 0)}
    assert on_hand(shirt, downtown) == 18
    assert on_hand(mug, downtown) == 5
    event = ReceivingEvent.objects.get(transfer=transfer)
    assert event.note == "Box torn"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Received 23, 1 damaged, 1 missing. 0 still in transit."]


def test_an_overage_is_refused_for_staff_on_its_line_and_changes_nothing(
    clerk, transfer, downtown, shirt
):
    data = form_data(transfer, SHIRT=(21,), MUG=(2, "x"))
    response = clerk.post(receive_url(transfer), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Line 1, MUG · Enamel mug: Damaged must be a whole number, 0 or more." in page
    # The form's own errors first; the service's once they are fixed.
    data = form_data(transfer, SHIRT=(21,), MUG=(2,))
    response = clerk.post(receive_url(transfer), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing was received." in page
    assert "Line 2, SHIRT · Linen shirt: 21 entered, but only 20 of the 20 sent" in page
    assert 'class="rc-row-error' in page
    # What was typed is kept.
    shirt_line, mug_line = transfer.lines.get(item=shirt), transfer.lines.get(item__sku="MUG")
    assert f'name="received_{shirt_line.pk}" id="id_received_{shirt_line.pk}" value="21"' in page
    assert f'name="received_{mug_line.pk}" id="id_received_{mug_line.pk}" value="2"' in page
    transfer.refresh_from_db()
    assert transfer.status == TransferOrder.Status.SHIPPED
    assert lines_of(transfer) == {"SHIRT": (0, 0, 0), "MUG": (0, 0, 0)}
    assert on_hand(shirt, downtown) == 0
    assert not ReceivingEvent.objects.exists()
    assert not Adjustment.objects.filter(kind=Adjustment.Kind.RECEIPT).exists()


def test_a_clerk_cannot_accept_an_overage_even_by_posting_the_box(clerk, transfer, shirt, downtown):
    response = clerk.post(receive_url(transfer), form_data(transfer, accept=True, SHIRT=(21,)))
    assert response.status_code == 422
    assert on_hand(shirt, downtown) == 0


def test_a_manager_accepts_an_overage(client, boss, transfer, shirt, downtown):
    client.force_login(boss)
    page = client.get(receive_url(transfer)).content.decode()
    assert "Accept extra units" in page
    response = client.post(receive_url(transfer), form_data(transfer, accept=True, SHIRT=(21,)))
    assert response.status_code == 302
    assert on_hand(shirt, downtown) == 21
    assert ReceivingEvent.objects.get().overage_accepted


def test_a_supplier_delivery_is_received_in_part(client, downtown, boss, shirt, mug):
    receipt = expected_delivery(downtown, boss, [(shirt, 10), (mug, 4)])
    client.force_login(store_staff(downtown))
    page = text_of(client.get(receive_url(receipt)))
    assert f"Delivery {receipt.number} from Acme Textiles, PO-1001, into Downtown" in page
    assert "Missing" not in page
    response = client.post(receive_url(receipt), form_data(receipt, SHIRT=(6, 1)))
    assert response.status_code == 302
    assert response["Location"] == reverse("movements:receipt", args=[receipt.pk])
    receipt.refresh_from_db()
    assert receipt.status == SupplierReceipt.Status.PARTIALLY_RECEIVED
    assert lines_of(receipt) == {"SHIRT": (6, 1), "MUG": (0, 0)}
    assert on_hand(shirt, downtown) == 6
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Received 6, 1 damaged. 7 still expected."]


def test_a_scan_without_javascript_adds_a_unit_and_receives_nothing(clerk, transfer, shirt):
    url = receive_url(transfer)
    data = form_data(transfer, SHIRT=(2,))
    data.update(action="scan", code=shirt.barcode)
    response = clerk.post(url, data)
    assert response.status_code == 200
    line = transfer.lines.get(item=shirt)
    assert f'name="received_{line.pk}" id="id_received_{line.pk}" value="3"' in (
        response.content.decode()
    )
    data.update(code="4*MUG")
    page = clerk.post(url, data).content.decode()
    mug_line = transfer.lines.get(item__sku="MUG")
    assert f'name="received_{mug_line.pk}" id="id_received_{mug_line.pk}" value="4"' in page
    assert not ReceivingEvent.objects.exists()


def test_unknown_codes_and_items_not_on_the_document_are_listed_not_added(
    clerk, transfer, downtown
):
    stranger = ItemFactory(sku="HAT", name="Wool hat")
    url = receive_url(transfer)
    data = form_data(transfer)
    data.update(action="scan", code="0000000000017")
    page = clerk.post(url, data).content.decode()
    assert "<code>0000000000017</code>" in page
    assert "no item has this code" in page
    data.update(code="HAT", stray=["0000000000017"])
    page = clerk.post(url, data).content.decode()
    assert "<code>0000000000017</code>" in page
    assert "<span>HAT · Wool hat</span>" in page  # scanned by its SKU: named once
    assert "“HAT” is not on this transfer: not added." in page
    answer = clerk.get(url, {"lookup": "HAT"}).json()
    assert answer == {"code": "HAT", "item": "HAT · Wool hat", "on_document": False}
    assert clerk.get(url, {"lookup": "nope"}).json()["item"] is None
    # Received with the strays still listed: the lines are received, the strays named.
    data = form_data(transfer, SHIRT=(1,))
    data["stray"] = ["0000000000017", "HAT"]
    response = clerk.post(url, data)
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "Not received, not on this transfer: 0000000000017, HAT." in messages[1]
    assert on_hand(stranger, downtown) == 0


def test_a_double_post_receives_once(clerk, transfer, downtown, shirt):
    data = form_data(transfer, SHIRT=(5,))
    first = clerk.post(receive_url(transfer), data)
    second = clerk.post(receive_url(transfer), data)
    assert first.status_code == second.status_code == 302
    assert on_hand(shirt, downtown) == 5
    assert ReceivingEvent.objects.count() == 1
    messages = [str(m) for m in second.wsgi_request._messages]
    assert messages[-1] == "These units were already received: nothing was received twice."
    # The same form sent again with other numbers is refused, not received.
    other = clerk.post(
        receive_url(transfer), {**data, next(k for k in data if k.startswith("received_")): "6"}
    )
    assert other.status_code == 302
    assert on_hand(shirt, downtown) == 5


def test_a_double_post_after_the_last_units_receives_once(clerk, transfer, downtown, shirt):
    data = form_data(transfer, SHIRT=(20,), MUG=(5,))
    assert clerk.post(receive_url(transfer), data).status_code == 302
    again = clerk.post(receive_url(transfer), data)
    assert again.status_code == 302  # the first one's answer, though now fully received
    assert on_hand(shirt, downtown) == 20
    assert ReceivingEvent.objects.count() == 1


def test_staff_of_another_location_get_404(client, transfer, warehouse, boss, shirt):
    elsewhere = LocationFactory(label="Uptown")
    client.force_login(store_staff(elsewhere))
    assert client.get(receive_url(transfer)).status_code == 404
    assert client.post(receive_url(transfer), form_data(transfer, SHIRT=(1,))).status_code == 404
    # Staff at the origin see the transfer elsewhere, but receive only at the destination.
    client.force_login(store_staff(warehouse))
    assert client.get(receive_url(transfer)).status_code == 404
    receipt = expected_delivery(warehouse, boss, [(shirt, 1)])
    client.force_login(store_staff(elsewhere))
    assert client.get(receive_url(receipt)).status_code == 404
    assert not ReceivingEvent.objects.exists()


def test_without_the_permission_to_receive_403(client, transfer, downtown):
    user = store_staff(downtown)
    user.groups.clear()
    client.force_login(user)
    assert client.get(receive_url(transfer)).status_code == 403


def test_a_document_that_cannot_be_received_says_why(
    clerk, client, warehouse, downtown, boss, shirt
):
    draft = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(shirt, 1)], who=Who(actor=boss)
    )
    response = clerk.get(receive_url(draft))
    assert response.status_code == 200
    assert "has not been shipped yet" in response.content.decode()
    response = clerk.post(receive_url(draft), form_data(draft, SHIRT=(1,)))
    assert response.status_code == 409
    assert "has not been shipped yet" in response.content.decode()
    assert not ReceivingEvent.objects.exists()


def test_a_received_transfer_says_so(clerk, transfer):
    clerk.post(receive_url(transfer), form_data(transfer, SHIRT=(20,), MUG=(5,)))
    response = clerk.get(receive_url(transfer))
    assert response.status_code == 200
    assert "already received in full" in response.content.decode()


def test_a_refusal_of_the_write_path_is_worded_for_people(clerk, transfer, downtown, shirt):
    downtown.enabled = False
    downtown.save()
    response = clerk.post(receive_url(transfer), form_data(transfer, SHIRT=(3,)))
    assert response.status_code == 422
    page = text_of(response)
    assert "Nothing was received." in page
    assert "Downtown is switched off: turn it on under Locations first." in page
    shirt_row = re.search(
        rf'<tr id="line-{transfer.lines.get(item=shirt).pk}"[^>]*class="([^"]*)"',
        response.content.decode(),
    )
    assert "rc-row-error" in shirt_row[1]  # on the line stocked, the page's line 2
    transfer.refresh_from_db()
    assert transfer.status == TransferOrder.Status.SHIPPED
    assert lines_of(transfer)["SHIRT"] == (0, 0, 0)
    assert on_hand(shirt, downtown) == 0
    assert not ReceivingEvent.objects.exists()


def test_a_note_too_long_is_refused_and_said(clerk, transfer):
    response = clerk.post(receive_url(transfer), form_data(transfer, note="x" * 1001, SHIRT=(1,)))
    assert response.status_code == 422
    page = text_of(response)
    assert "Nothing was received. Fix this" in page
    assert "Note: Ensure this value has at most 1000 characters" in page
    assert not ReceivingEvent.objects.exists()


def test_nothing_entered_is_refused_in_words(clerk, transfer):
    response = clerk.post(receive_url(transfer), form_data(transfer))
    assert response.status_code == 422
    assert "Enter what arrived." in response.content.decode()


def test_the_posts_queries_do_not_grow_with_the_lines(
    client, warehouse, downtown, boss, django_assert_max_num_queries
):
    client.force_login(store_staff(downtown))

    def receive_all(count):
        items = ItemFactory.create_batch(count)
        transfer = shipped(
            warehouse, downtown, Who(actor=boss), **{item.sku: (item, 3) for item in items}
        )
        data = form_data(transfer, **{item.sku: (2, 1) for item in items})
        client.get(receive_url(transfer))  # the session and permissions cached alike
        return transfer, data

    small, small_data = receive_all(2)
    large, large_data = receive_all(40)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small_queries:
        assert client.post(receive_url(small), small_data).status_code == 302
    with django_assert_max_num_queries(len(small_queries)):
        assert client.post(receive_url(large), large_data).status_code == 302
    assert lines_of(large)[large.lines.first().item.sku] == (2, 1, 0)
