"""The transfer pages: who sees and may do what, a new transfer's form with every error at
once, shipping refused in words with nothing changed, a double-posted ship shipping once, and
the packing list."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import Adjustment, Balance, ReceivingEvent, TransferOrder
from inventory.movements.services import (
    Arrival,
    Planned,
    Who,
    create_transfer,
    receive_transfer,
    ship_transfer,
)
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = pytest.mark.django_db
Status = TransferOrder.Status


def token() -> str:
    return str(uuid.uuid4())


def url(name: str, transfer: TransferOrder | None = None) -> str:
    return reverse(f"movements:{name}", args=[transfer.pk] if transfer else [])


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def warehouse():
    return LocationFactory(label="Warehouse")


@pytest.fixture
def downtown():
    return LocationFactory(label="Downtown")


@pytest.fixture
def uptown():
    return LocationFactory(label="Uptown")


@pytest.fixture
def tee():
    return ItemFactory(sku="TEE-BLA-M", name="Tee black M", barcode="4006381333931")


@pytest.fixture
def mug():
    return ItemFactory(sku="MUG-WHI", name="Mug white")


@pytest.fixture
def boss():
    return logged_in(manager())


def draft(origin, destination, *lines, reference="") -> TransferOrder:
    return create_transfer(
        origin=origin,
        destination=destination,
        lines=[Planned(item, quantity) for item, quantity in lines],
        who=Who(actor=manager()),
        reference=reference,
    )


def shipped(origin, destination, *lines) -> TransferOrder:
    for item, quantity in lines:
        set_stock(item, origin, quantity + 10)
    transfer = draft(origin, destination, *lines)
    return ship_transfer(transfer=transfer, who=Who(actor=manager()))


# Every page renders for a manager and for store staff


def test_every_page_renders_for_a_manager(boss, warehouse, downtown, tee, mug):
    transfer = shipped(warehouse, downtown, (tee, 4), (mug, 2))
    receive_transfer(
        transfer=transfer, arrivals=[Arrival(tee, received=3, damaged=1)], who=Who(manager())
    )

    listed = boss.get(url("transfer_list"))
    new = boss.get(url("transfer_create"))
    shown = boss.get(url("transfer", transfer))
    packing = boss.get(url("transfer_packing_list", transfer))

    assert all(page.status_code == 200 for page in (listed, new, shown, packing))
    assert transfer.number in listed.text
    assert "Warehouse → Downtown" in listed.text
    assert url("transfer_create") in listed.text  # the "New transfer" button
    text = shown.text
    assert "TEE-BLA-M" in text
    assert "Tee black M" in text
    assert "Partly received" in text
    assert url("transfer_receive", transfer) in text
    assert url("transfer_close", transfer) in text
    assert "recorded missing" in text
    assert "3 received, 1 damaged" in text  # the receiving event
    event = ReceivingEvent.objects.get(transfer=transfer)
    assert reverse("admin:inventory_adjustment_change", args=[event.adjustment_id]) in text


def test_store_staff_see_their_transfers_and_may_receive_but_not_ship(warehouse, downtown, tee):
    transfer = shipped(warehouse, downtown, (tee, 4))
    waiting = draft(warehouse, downtown, (tee, 1))
    clerk = logged_in(store_staff(downtown))

    listed = clerk.get(url("transfer_list"))
    shown = clerk.get(url("transfer", transfer))
    packing = clerk.get(url("transfer_packing_list", transfer))

    assert listed.status_code == shown.status_code == packing.status_code == 200
    assert transfer.number in listed.text
    assert waiting.number in listed.text
    assert url("transfer_create") not in listed.text  # no add permission, no button
    assert url("transfer_receive", transfer) in shown.text
    assert url("transfer_close", transfer) not in shown.text
    draft_page = clerk.get(url("transfer", waiting)).text
    assert url("transfer_ship", waiting) not in draft_page
    assert url("transfer_cancel", waiting) not in draft_page
    assert clerk.get(url("transfer_create")).status_code == 403


def test_header_links_to_transfers_and_deliveries_for_those_who_may_see_them(boss, downtown):
    clerk = logged_in(store_staff(downtown))
    page = clerk.get(url("transfer_list")).text

    assert f'href="{url("transfer_list")}"' in page
    assert f'href="{reverse("movements:receipt_list")}"' in page


def test_staff_cannot_see_other_locations_transfers(warehouse, downtown, uptown, tee):
    theirs = shipped(warehouse, uptown, (tee, 2))
    clerk = logged_in(store_staff(downtown))

    assert theirs.number not in clerk.get(url("transfer_list")).text
    for name in ("transfer", "transfer_packing_list"):
        assert clerk.get(url(name, theirs)).status_code == 404
    for name in ("transfer_ship", "transfer_cancel", "transfer_close"):
        assert clerk.post(url(name, theirs), {"token": token()}).status_code == 404


def test_staff_cannot_ship_cancel_or_close(warehouse, downtown, tee):
    set_stock(tee, warehouse, 10)
    waiting = draft(warehouse, downtown, (tee, 3))
    clerk = logged_in(store_staff(warehouse, downtown))

    for name in ("transfer_ship", "transfer_cancel", "transfer_close"):
        assert clerk.post(url(name, waiting), {"token": token()}).status_code == 403

    waiting.refresh_from_db()
    assert waiting.status == Status.DRAFT
    assert on_hand(tee, warehouse) == 10


def test_the_list_filters_by_status_and_location(boss, warehouse, downtown, uptown, tee):
    to_downtown = shipped(warehouse, downtown, (tee, 1))
    to_uptown = draft(warehouse, uptown, (tee, 1))

    in_transit = boss.get(url("transfer_list"), {"status": Status.SHIPPED}).text
    uptown_only = boss.get(url("transfer_list"), {"destination": uptown.pk}).text

    assert f">{to_downtown.number}<" in in_transit
    assert f">{to_uptown.number}<" not in in_transit
    assert f">{to_uptown.number}<" in uptown_only
    assert f">{to_downtown.number}<" not in uptown_only


# A new transfer


def new_transfer(origin, destination, *rows, reference="", **extra) -> dict:
    form = {
        "token": token(),
        "origin": origin.pk if origin else "",
        "destination": destination.pk if destination else "",
        "reference": reference,
        "note": "",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        **extra,
    }
    for index, (code, quantity) in enumerate(rows):
        form[f"lines-{index}-code"] = code
        form[f"lines-{index}-quantity"] = quantity
    return form


def test_a_new_transfer_is_a_draft_and_moves_nothing(boss, warehouse, downtown, tee, mug):
    set_stock(tee, warehouse, 10)
    form = new_transfer(
        warehouse, downtown, ("TEE-BLA-M", "4"), ("", ""), (mug.barcode, "2"), reference="WB-1"
    )

    response = boss.post(url("transfer_create"), form)

    transfer = TransferOrder.objects.get()
    assert response.status_code == 302
    assert response.url == url("transfer", transfer)
    assert transfer.status == Status.DRAFT
    assert transfer.reference == "WB-1"
    assert {(line.item.sku, line.quantity) for line in transfer.lines.all()} == {
        ("TEE-BLA-M", 4),
        ("MUG-WHI", 2),
    }
    assert on_hand(tee, warehouse) == 10


def test_a_new_transfer_with_errors_shows_them_all_and_creates_nothing(boss, warehouse, tee):
    form = new_transfer(
        None,
        warehouse,
        ("NOPE-1", "2"),
        ("TEE-BLA-M", "0"),
        ("", "5"),
        ("TEE-BLA-M", "x"),
    )

    response = boss.post(url("transfer_create"), form)

    text = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was created" in text
    assert "Choose a location." in text  # no origin
    assert "No item has SKU or barcode “NOPE-1”" in text  # row 1
    assert "Send at least 1." in text  # row 2
    assert "Which item? Enter its SKU or barcode." in text  # row 3
    assert "Enter a whole number." in text  # row 4
    assert TransferOrder.objects.count() == 0


def test_the_service_refusal_shows_beside_its_box(boss, warehouse, tee):
    form = new_transfer(warehouse, warehouse, ("TEE-BLA-M", "2"))

    response = boss.post(url("transfer_create"), form)

    assert response.status_code == 200
    assert "choose another destination" in response.content.decode()
    assert TransferOrder.objects.count() == 0


def test_checking_a_new_transfer_shows_on_hand_and_creates_nothing(boss, warehouse, downtown, tee):
    set_stock(tee, warehouse, 17)
    form = new_transfer(warehouse, downtown, ("TEE-BLA-M", "4"), _check="1")

    response = boss.post(url("transfer_create"), form)

    text = response.content.decode()
    assert "Everything checks out" in text
    assert "Tee black M" in text
    assert "<span data-on-hand>17</span>" in text
    assert TransferOrder.objects.count() == 0


def test_the_same_new_transfer_form_sent_twice_creates_one(boss, warehouse, downtown, tee):
    form = new_transfer(warehouse, downtown, ("TEE-BLA-M", "1"))

    first = boss.post(url("transfer_create"), form)
    second = boss.post(url("transfer_create"), form, follow=True)

    assert TransferOrder.objects.count() == 1
    assert first.url == url("transfer", TransferOrder.objects.get())
    assert "was already created" in second.content.decode()


# Shipping, cancelling, closing


def test_ship_takes_the_stock_out_of_the_origin(boss, warehouse, downtown, tee):
    set_stock(tee, warehouse, 10)
    transfer = draft(warehouse, downtown, (tee, 4))

    response = boss.post(url("transfer_ship", transfer), {"token": token()}, follow=True)

    transfer.refresh_from_db()
    assert transfer.status == Status.SHIPPED
    assert on_hand(tee, warehouse) == 6
    assert "in transit to Downtown" in response.content.decode()


def test_ship_refused_for_insufficient_stock_changes_nothing_and_says_why(
    boss, warehouse, downtown, tee, mug
):
    set_stock(tee, warehouse, 2)
    set_stock(mug, warehouse, 10)
    transfer = draft(warehouse, downtown, (tee, 5), (mug, 1))
    ledger = Adjustment.objects.count()

    response = boss.post(url("transfer_ship", transfer), {"token": token()}, follow=True)

    text = response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == Status.DRAFT
    assert transfer.shipment is None
    assert on_hand(tee, warehouse) == 2
    assert on_hand(mug, warehouse) == 10
    assert Adjustment.objects.count() == ledger
    assert "Nothing was changed." in text
    assert "TEE-BLA-M · Tee black M at Warehouse: only 2 on hand" in text
    assert f"{transfer.number} was not shipped." in text
    assert "cancel this transfer and create a new one" in text
    assert "MUG-WHI" not in text.split("Nothing was changed.")[1].split("</li>")[0]


def test_a_double_posted_ship_ships_once(boss, warehouse, downtown, tee):
    set_stock(tee, warehouse, 10)
    transfer = draft(warehouse, downtown, (tee, 4))
    form = {"token": token()}

    boss.post(url("transfer_ship", transfer), form)
    again = boss.post(url("transfer_ship", transfer), form, follow=True)

    assert on_hand(tee, warehouse) == 6
    assert Adjustment.objects.filter(kind=Adjustment.Kind.SHIPMENT).count() == 1
    assert "already shipped" in again.content.decode()


def test_shipping_a_shipped_transfer_from_another_form_is_refused_in_words(
    boss, warehouse, downtown, tee
):
    transfer = shipped(warehouse, downtown, (tee, 1))

    response = boss.post(url("transfer_ship", transfer), {"token": token()}, follow=True)

    assert f"{transfer.number} is in transit: that step is not possible now." in (
        response.content.decode()
    )
    assert Adjustment.objects.filter(kind=Adjustment.Kind.SHIPMENT).count() == 1


def test_cancel_a_draft(boss, warehouse, downtown, tee):
    transfer = draft(warehouse, downtown, (tee, 1))

    boss.post(url("transfer_cancel", transfer), {"token": token()})

    transfer.refresh_from_db()
    assert transfer.status == Status.CANCELLED


def test_close_short_records_the_rest_missing(boss, warehouse, downtown, tee):
    transfer = shipped(warehouse, downtown, (tee, 5))
    receive_transfer(transfer=transfer, arrivals=[Arrival(tee, received=3)], who=Who(manager()))

    response = boss.post(url("transfer_close", transfer), {"token": token()}, follow=True)

    transfer.refresh_from_db()
    line = transfer.lines.get()
    assert transfer.status == Status.CLOSED
    assert line.missing == 2
    assert line.outstanding == 0
    assert on_hand(tee, downtown) == 3
    assert "closed short" in response.content.decode()


def test_an_expired_form_changes_nothing(boss, warehouse, downtown, tee):
    set_stock(tee, warehouse, 10)
    transfer = draft(warehouse, downtown, (tee, 1))

    response = boss.post(url("transfer_ship", transfer), {}, follow=True)

    transfer.refresh_from_db()
    assert transfer.status == Status.DRAFT
    assert "expired" in response.content.decode()


def test_the_steps_answer_only_posts(boss, warehouse, downtown, tee):
    transfer = draft(warehouse, downtown, (tee, 1))

    assert boss.get(url("transfer_ship", transfer)).status_code == 405


# The packing list


def test_the_packing_list_names_what_goes_in_the_box(boss, warehouse, downtown, tee, mug):
    transfer = shipped(warehouse, downtown, (tee, 4), (mug, 2))
    transfer.reference = "WB-77"
    transfer.save()

    text = boss.get(url("transfer_packing_list", transfer)).content.decode()

    assert f"Packing list · Transfer {transfer.number}" in text
    assert "Warehouse" in text
    assert "Downtown" in text
    assert "WB-77" in text
    for sku, name, barcode, quantity in (
        ("TEE-BLA-M", "Tee black M", "4006381333931", "4"),
        ("MUG-WHI", "Mug white", mug.barcode, "2"),
    ):
        assert sku in text
        assert name in text
        assert barcode in text
        assert f'<td class="num">{quantity}</td>' in text
    assert "Received by:" in text
    assert "Packed by:" in text
    assert '<th scope="col" class="st-write">Received</th>' in text


def test_the_list_queries_do_not_grow_with_transfers(
    boss, warehouse, downtown, tee, django_assert_max_num_queries
):
    for _ in range(3):
        draft(warehouse, downtown, (tee, 1))
    boss.get(url("transfer_list"))  # warm the session and permission caches
    with django_assert_max_num_queries(12) as few:
        boss.get(url("transfer_list"))
    for _ in range(10):
        draft(warehouse, downtown, (tee, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        boss.get(url("transfer_list"))


# The home page


def test_staff_home_lists_transfers_on_their_way_with_a_receive_button(
    warehouse, downtown, uptown, tee
):
    coming = shipped(warehouse, downtown, (tee, 4))
    draft(warehouse, downtown, (tee, 1))  # not shipped: not on its way
    elsewhere = shipped(warehouse, uptown, (tee, 2))
    clerk = logged_in(store_staff(downtown))

    text = clerk.get(reverse("admin:index")).content.decode()

    assert "On its way to you" in text
    assert f"Transfer {coming.number}</strong></a> from Warehouse to Downtown" in text
    assert "4 units in transit" in text
    assert url("transfer_receive", coming) in text
    assert elsewhere.number not in text


def test_manager_home_counts_transfers_in_transit(warehouse, downtown, tee):
    shipped(warehouse, downtown, (tee, 4))
    draft(warehouse, downtown, (tee, 1))
    boss = logged_in(manager())

    text = boss.get(reverse("admin:index")).content.decode()

    assert "Transfers (1 in transit)" in text


def test_a_transfer_page_costs_the_same_queries_however_many_lines_and_receivings(
    boss, warehouse, downtown, django_assert_max_num_queries
):
    def received_twice(count: int) -> TransferOrder:
        items = [ItemFactory() for _ in range(count)]
        transfer = shipped(warehouse, downtown, *[(item, 4) for item in items])
        for _ in range(2):
            receive_transfer(
                transfer=transfer,
                arrivals=[Arrival(item, received=1) for item in items],
                who=Who(manager()),
            )
        return transfer

    small, large = received_twice(1), received_twice(8)
    boss.get(url("transfer", small))  # warm the session and permission caches
    with django_assert_max_num_queries(30) as few:
        boss.get(url("transfer", small))

    with django_assert_max_num_queries(len(few.captured_queries)):
        boss.get(url("transfer", large))
