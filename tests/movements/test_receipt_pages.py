"""The supplier delivery pages: who sees and may do what, a new delivery's form with every
error at once, and closing one (what is still expected stops being incoming)."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import SupplierReceipt
from inventory.movements import selectors
from inventory.movements.services import Arrival, Planned, Who, create_receipt, receive_receipt
from tests.factories import ItemFactory, LocationFactory, manager, store_staff

pytestmark = pytest.mark.django_db
Status = SupplierReceipt.Status


def token() -> str:
    return str(uuid.uuid4())


def url(name: str, receipt: SupplierReceipt | None = None) -> str:
    return reverse(f"movements:{name}", args=[receipt.pk] if receipt else [])


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def downtown():
    return LocationFactory(label="Downtown")


@pytest.fixture
def uptown():
    return LocationFactory(label="Uptown")


@pytest.fixture
def tee():
    return ItemFactory(sku="TEE-BLA-M", name="Tee black M")


@pytest.fixture
def boss():
    return logged_in(manager())


def expected(location, *lines, supplier="Acme Textiles", reference="PO-1001") -> SupplierReceipt:
    return create_receipt(
        location=location,
        supplier=supplier,
        lines=[Planned(item, quantity) for item, quantity in lines],
        who=Who(actor=manager()),
        reference=reference,
    )


def test_every_page_renders_for_a_manager(boss, downtown, tee):
    receipt = expected(downtown, (tee, 10))
    receive_receipt(receipt=receipt, arrivals=[Arrival(tee, received=6)], who=Who(manager()))

    listed = boss.get(url("receipt_list"))
    new = boss.get(url("receipt_create"))
    shown = boss.get(url("receipt", receipt))

    assert listed.status_code == new.status_code == shown.status_code == 200
    assert receipt.number in listed.text
    assert "Acme Textiles → Downtown" in listed.text
    assert url("receipt_create") in listed.text
    text = shown.text
    assert "TEE-BLA-M" in text
    assert "Partly received" in text
    assert "PO-1001" in text
    assert "4 units still expected at Downtown" in text
    assert "6 received" in text
    assert url("receipt_receive", receipt) in text
    assert url("receipt_close", receipt) in text
    assert "stop counting as incoming" in text


def test_store_staff_see_their_deliveries_and_may_receive_but_not_close(downtown, tee):
    receipt = expected(downtown, (tee, 10))
    clerk = logged_in(store_staff(downtown))

    listed = clerk.get(url("receipt_list"))
    shown = clerk.get(url("receipt", receipt))

    assert listed.status_code == shown.status_code == 200
    assert receipt.number in listed.text
    assert url("receipt_create") not in listed.text
    assert url("receipt_receive", receipt) in shown.text
    assert url("receipt_close", receipt) not in shown.text
    assert clerk.post(url("receipt_close", receipt), {"token": token()}).status_code == 403
    assert clerk.get(url("receipt_create")).status_code == 403
    receipt.refresh_from_db()
    assert receipt.status == Status.EXPECTED


def test_staff_cannot_see_other_locations_deliveries(downtown, uptown, tee):
    theirs = expected(uptown, (tee, 3))
    clerk = logged_in(store_staff(downtown))

    assert theirs.number not in clerk.get(url("receipt_list")).text
    assert clerk.get(url("receipt", theirs)).status_code == 404
    assert clerk.post(url("receipt_close", theirs), {"token": token()}).status_code == 404


def new_receipt(location, *rows, supplier="Acme Textiles", **extra) -> dict:
    form = {
        "token": token(),
        "supplier": supplier,
        "reference": "PO-7",
        "expected_on": "2026-12-24",
        "location": location.pk if location else "",
        "note": "",
        "lines-TOTAL_FORMS": str(len(rows)),
        "lines-INITIAL_FORMS": "0",
        **extra,
    }
    for index, (code, quantity) in enumerate(rows):
        form[f"lines-{index}-code"] = code
        form[f"lines-{index}-quantity"] = quantity
    return form


def test_a_new_delivery_is_incoming_at_its_location(boss, downtown, tee):
    response = boss.post(url("receipt_create"), new_receipt(downtown, ("TEE-BLA-M", "12")))

    receipt = SupplierReceipt.objects.get()
    assert response.status_code == 302
    assert response.url == url("receipt", receipt)
    assert receipt.supplier == "Acme Textiles"
    assert receipt.reference == "PO-7"
    assert str(receipt.expected_on) == "2026-12-24"
    assert selectors.quantities_of(tee.pk, downtown.pk).expected == 12


def test_a_new_delivery_with_errors_shows_them_all_and_creates_nothing(boss, tee):
    form = new_receipt(None, ("NOPE", "1"), ("TEE-BLA-M", "-3"), supplier="", expected_on="someday")

    response = boss.post(url("receipt_create"), form)

    text = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was created" in text
    assert "Name the supplier." in text
    assert "Choose a location." in text
    assert "Enter a date" in text
    assert "No item has SKU or barcode “NOPE”" in text
    assert "Expect at least 1." in text
    assert SupplierReceipt.objects.count() == 0


def test_a_blank_supplier_is_refused_by_the_service_in_words(boss, downtown, tee):
    response = boss.post(
        url("receipt_create"), new_receipt(downtown, ("TEE-BLA-M", "1"), supplier="   ")
    )

    assert "Name the supplier." in response.content.decode()
    assert SupplierReceipt.objects.count() == 0


def test_close_stops_the_rest_being_incoming(boss, downtown, tee):
    receipt = expected(downtown, (tee, 10))
    form = {"token": token()}

    response = boss.post(url("receipt_close", receipt), form, follow=True)
    again = boss.post(url("receipt_close", receipt), form, follow=True)

    receipt.refresh_from_db()
    assert receipt.status == Status.CLOSED
    assert selectors.quantities_of(tee.pk, downtown.pk).expected == 0
    assert "no longer expected at Downtown" in response.content.decode()
    assert again.status_code == 200


def test_the_list_filters_by_supplier(boss, downtown, tee):
    acme = expected(downtown, (tee, 1), supplier="Acme Textiles")
    other = expected(downtown, (tee, 1), supplier="Bolt Supplies")

    text = boss.get(url("receipt_list"), {"supplier": "bolt"}).content.decode()

    assert f">{other.number}<" in text
    assert f">{acme.number}<" not in text


def test_staff_home_lists_deliveries_expected_with_a_receive_button(downtown, uptown, tee):
    coming = expected(downtown, (tee, 10))
    receive_receipt(receipt=coming, arrivals=[Arrival(tee, received=4)], who=Who(manager()))
    elsewhere = expected(uptown, (tee, 3))
    clerk = logged_in(store_staff(downtown))

    text = clerk.get(reverse("admin:index")).content.decode()

    assert f"Delivery {coming.number}</strong></a> from Acme Textiles to Downtown" in text
    assert "6 units expected" in text
    assert url("receipt_receive", coming) in text
    assert elsewhere.number not in text


def test_manager_home_counts_open_deliveries(downtown, tee):
    expected(downtown, (tee, 10))
    closed = expected(downtown, (tee, 1))
    boss = logged_in(manager())
    boss.post(url("receipt_close", closed), {"token": token()})

    text = boss.get(reverse("admin:index")).content.decode()

    assert "Supplier deliveries (1 expected)" in text
