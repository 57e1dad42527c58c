"""The stocktake pages: they check who may see what, validate, call the stocktake services and
map their errors. A blind count's expected quantities never reach a counter."""

import json
import re
import uuid

import pytest
from django.test import override_settings
from django.urls import reverse

from inventory.models import Adjustment, Balance, Stocktake
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.totals import ReviewTotals
from tests.factories import (
    ItemFactory,
    LocationFactory,
    UserFactory,
    manager,
    set_stock,
    store_staff,
)

pytestmark = pytest.mark.django_db

SECRET = 7919  # an on-hand to look for on the pages (shows_number: as a number of its own)


def shows_number(text: str, number: int) -> bool:
    """`number` standing as a number of its own in `text`, not inside a longer one (a time's
    microseconds, an id): a quantity a blind counter must not see."""
    return re.search(rf"(?<![\d.]){number}(?!\d)", text) is not None


def url(name, stocktake=None):
    return reverse(f"stocktakes:{name}", args=[stocktake.pk] if stocktake else [])


def token():
    return str(uuid.uuid4())


def on_hand(item, location):
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def logged_in(client, user):
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def staff(client, location):
    return logged_in(client, store_staff(location))


@pytest.fixture
def boss(location):
    from django.test import Client

    return logged_in(Client(), manager())


def start(client, location, **data):
    form = {"location": location.pk, "scope": "whole", "token": token(), **data}
    return client.post(url("list"), form)


def open_count(location, user, **kwargs):
    return stocktakes.start_stocktake(location=location, actor=user, **kwargs)


def scan_json(client, stocktake, code, **data):
    response = client.post(
        url("scan", stocktake), {"code": code, **data}, HTTP_ACCEPT="application/json"
    )
    return response, json.loads(response.content)


# --- access -------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_admin_login(client, location):
    count = open_count(location, UserFactory())

    for response in (
        client.get(url("list")),
        client.get(url("count", count)),
        client.post(url("scan", count), {"code": "x"}),
        client.post(url("apply", count), {"token": token()}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_users_without_the_stocktake_permission_are_refused(client, location):
    logged_in(client, UserFactory())

    assert client.get(url("list")).status_code == 403


ALL_PAGES = ["count", "scan", "submit", "cancel", "review", "approve", "apply", "sheet", "upload"]


@pytest.mark.parametrize("name", ALL_PAGES)
def test_another_locations_stocktake_is_not_found_for_get_and_post(staff, other_location, name):
    item = ItemFactory()
    set_stock(item, other_location, 4)
    theirs = open_count(other_location, UserFactory())

    get = staff.get(url(name, theirs))
    post = staff.post(url(name, theirs), {"code": item.sku, "token": token()})

    assert (get.status_code, post.status_code) == (404, 404)
    assert not theirs.lines.exists()
    theirs.refresh_from_db()
    assert theirs.status == Stocktake.Status.COUNTING


def test_the_admin_links_to_the_stocktakes(staff):
    response = staff.get(reverse("admin:index"))

    assert f'href="{url("list")}"' in response.content.decode()


# --- starting -----------------------------------------------------------------------------------


def test_start_a_whole_location_count(staff, location, other_location):
    page = staff.get(url("list"))
    offered = list(page.context["form"].fields["location"].queryset)

    response = start(staff, location, blind="on")

    count = Stocktake.objects.get()
    assert offered == [location]
    assert response.status_code == 302
    assert response["Location"] == url("count", count)
    assert (count.location, count.full, count.blind, count.created_by) == (
        location,
        True,
        True,
        staff.user,
    )


def test_start_a_count_of_some_items_by_sku_or_barcode(staff, location):
    first, second, _ = ItemFactory(), ItemFactory(), ItemFactory()

    start(staff, location, scope="subset", codes=f"{first.sku}\n{second.barcode}, {first.sku}")

    count = Stocktake.objects.get()
    assert count.full is False
    assert set(count.lines.values_list("item", flat=True)) == {first.pk, second.pk}


def test_unknown_codes_in_the_item_list_are_named_and_nothing_starts(staff, location):
    known = ItemFactory()

    response = start(staff, location, scope="subset", codes=f"{known.sku}\nNOPE-1\nNOPE-2")

    assert response.status_code == 200
    assert "NOPE-1, NOPE-2" in str(response.context["form"].errors["codes"])
    assert not Stocktake.objects.exists()


def test_a_location_the_user_is_not_assigned_to_cannot_be_counted(staff, other_location):
    response = start(staff, other_location)

    assert response.status_code == 200
    assert "location" in response.context["form"].errors
    assert not Stocktake.objects.exists()


def test_starting_twice_with_the_same_form_starts_one_count(staff, location):
    form = {"location": location.pk, "scope": "whole", "token": token()}

    first = staff.post(url("list"), form)
    second = staff.post(url("list"), form, follow=True)

    count = Stocktake.objects.get()
    assert first["Location"] == url("count", count)
    assert second.redirect_chain[0][0] == url("count", count)
    assert "not started twice" in second.content.decode()


def test_the_list_shows_open_counts_of_the_users_locations_only(staff, location, other_location):
    mine = open_count(location, staff.user)
    theirs = open_count(other_location, UserFactory())

    response = staff.get(url("list"))

    assert list(response.context["open_stocktakes"]) == [mine]
    assert f'href="{url("count", theirs)}"' not in response.content.decode()


# --- counting -----------------------------------------------------------------------------------


def test_a_scan_without_javascript_adds_one_and_redirects_back(staff, location, item):
    count = open_count(location, staff.user)

    first = staff.post(url("count", count), {"code": item.barcode})
    second = staff.post(url("count", count), {"code": item.sku}, follow=True)

    assert first.status_code == 302
    assert first["Location"] == f"{url('count', count)}?last={item.pk}"
    line = count.lines.get()
    assert (line.counted_quantity, line.counted_by) == (2, staff.user)
    assert second.context["last"] == line
    assert 'id="last-total">2<' in second.content.decode()


def test_a_scan_through_the_json_endpoint_adds_one(staff, location, item):
    count = open_count(location, staff.user)

    scan_json(staff, count, item.barcode)
    response, body = scan_json(staff, count, item.barcode)

    assert response.status_code == 200
    assert (body["ok"], body["counted"], body["item"]["sku"]) == (True, 2, item.sku)
    assert item.sku in body["lines_html"]
    assert 'id="last-total">2<' in body["last_html"]
    assert count.lines.get().counted_quantity == 2


def test_a_typed_quantity_sets_the_count(staff, location, item):
    count = open_count(location, staff.user)
    scan_json(staff, count, item.sku)

    scan_json(staff, count, item.sku, quantity="12")
    staff.post(url("count", count), {"code": item.sku, "quantity": "12"})

    assert count.lines.get().counted_quantity == 12


def test_undo_takes_one_off(staff, location, item):
    count = open_count(location, staff.user)
    scan_json(staff, count, item.sku, quantity="3")

    _, body = scan_json(staff, count, item.sku, add="-1")

    assert body["counted"] == 2


def test_an_unknown_code_is_an_error_and_is_listed(staff, location):
    count = open_count(location, staff.user)

    response, body = scan_json(staff, count, "0000000000017")
    page = staff.post(url("count", count), {"code": "NOT-A-SKU"}, follow=True)

    assert response.status_code == 422
    assert (body["ok"], body["error"]) == (False, "unknown_code")
    assert "0000000000017" in body["message"]
    assert "0000000000017" in body["unknown_html"]
    html = page.content.decode()
    assert 'role="alert">No item has SKU or barcode “NOT-A-SKU”' in html
    assert "<code>NOT-A-SKU</code>" in html
    assert set(count.unknown_codes.values_list("code", flat=True)) == {
        "0000000000017",
        "NOT-A-SKU",
    }


def test_an_empty_scan_is_refused(staff, location):
    count = open_count(location, staff.user)

    response, body = scan_json(staff, count, "  ")

    assert (response.status_code, body["error"]) == (400, "invalid")


def test_the_count_page_shows_who_counted_each_line_and_expected_when_not_blind(
    staff, location, item
):
    set_stock(item, location, SECRET)
    count = open_count(location, staff.user)
    other = store_staff(location, username="colleague")
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=5, actor=other)

    html = staff.get(url("count", count)).content.decode()

    assert "colleague" in html
    assert str(SECRET) in html  # not blind: expected on-hand and variance are shown
    assert str(5 - SECRET) in html


def test_a_blind_count_never_shows_expected_quantities_to_counters(staff, boss, location, item):
    set_stock(item, location, SECRET)
    other = ItemFactory()
    set_stock(other, location, SECRET + 1)  # uncounted: listed on the sheet and in review
    start(staff, location, blind="on")
    count = Stocktake.objects.get()

    seen = []
    seen.append(scan_json(staff, count, item.barcode)[0].content.decode())
    seen.append(scan_json(staff, count, item.sku, quantity="3")[0].content.decode())
    seen.append(scan_json(staff, count, "UNKNOWN")[0].content.decode())
    seen.append(staff.get(url("scan", count), HTTP_ACCEPT="application/json").content.decode())
    seen.append(staff.get(url("count", count), {"last": item.pk}).content.decode())
    seen.append(staff.get(url("sheet", count)).content.decode())
    staff.post(url("submit", count), {"token": token()})
    seen.append(staff.get(url("review", count)).content.decode())
    manager_review = boss.get(url("review", count)).content.decode()
    boss.post(url("approve", count), {"token": token()})
    applied = staff.post(url("apply", count), {"token": token()}, follow=True)
    seen.append(applied.content.decode())

    assert on_hand(item, location) == 3
    for html in seen:
        assert not shows_number(html, SECRET)
        assert not shows_number(html, SECRET + 1)
        assert not shows_number(html, 3 - SECRET)
    assert str(SECRET) in manager_review  # those who approve see the variances
    assert str(3 - SECRET) in manager_review


def test_the_count_sheet_lists_the_locations_items_with_bins(staff, location):
    shelf, floor = ItemFactory(), ItemFactory()
    set_stock(shelf, location, 3)
    set_stock(floor, location, 6)
    Balance.objects.filter(item=shelf).update(bin_picking_number="A-01-3")
    count = open_count(location, staff.user)

    html = staff.get(url("sheet", count)).content.decode()

    assert "A-01-3" in html
    assert shelf.sku in html
    assert floor.barcode in html
    assert "@media print" in staff.get("/static/stocktakes/count.css").getvalue().decode()


def test_the_sheet_of_some_items_lists_only_those(staff, location):
    chosen, other = ItemFactory(), ItemFactory()
    set_stock(other, location, 3)
    count = open_count(location, staff.user, items=[chosen])

    html = staff.get(url("sheet", count)).content.decode()

    assert chosen.sku in html
    assert other.sku not in html


# --- submit, review, approve, apply -------------------------------------------------------------


def test_submit_once_even_when_sent_twice(staff, location, item):
    count = open_count(location, staff.user)
    scan_json(staff, count, item.sku, quantity="2")
    form = {"token": token()}

    first = staff.post(url("submit", count), form)
    second = staff.post(url("submit", count), form, follow=True)

    assert first["Location"] == url("review", count)
    assert "not submitted twice" in second.content.decode()
    assert list(count.events.values_list("action", flat=True)) == ["started", "submitted"]


def test_review_shows_variance_movements_and_what_applying_will_set(staff, location, item):
    set_stock(item, location, 12)
    count = open_count(location, staff.user)
    scan_json(staff, count, item.sku, quantity="10")
    apply_adjustment(  # a sale through the API during the count
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-2)],
    )
    staff.post(url("submit", count), {"token": token()})

    response = staff.get(url("review", count))
    (row,) = response.context["rows"]
    staff.post(url("apply", count), {"token": token()})

    assert (row["expected"], row["counted"], row["variance"]) == (12, 10, -2)
    assert (row["moved_since"], row["on_hand_now"], row["will_set"]) == (-2, 10, 8)
    assert response.context["totals"] == ReviewTotals(counted=1, not_counted=0, variance=-2, over=0)
    assert on_hand(item, location) == 8


@override_settings(STOCKTAKE_VARIANCE_THRESHOLD=5)
def test_over_the_threshold_staff_wait_for_a_manager_who_approves(staff, boss, location, item):
    set_stock(item, location, 20)
    count = open_count(location, staff.user)
    scan_json(staff, count, item.sku, quantity="14")
    staff.post(url("submit", count), {"token": token()})

    page = staff.get(url("review", count)).content.decode()
    refused = staff.post(url("apply", count), {"token": token()}, follow=True)
    not_allowed = staff.post(url("approve", count), {"token": token()})

    assert "waiting for a manager" in page
    assert url("apply", count) not in page
    assert url("approve", count) not in page
    assert "must approve this count" in refused.content.decode()
    assert not_allowed.status_code == 403
    assert on_hand(item, location) == 20

    manager_page = boss.get(url("review", count)).content.decode()
    approval = {"token": token()}
    boss.post(url("approve", count), approval)
    again = boss.post(url("approve", count), approval, follow=True)
    after = staff.get(url("review", count)).content.decode()
    applied = staff.post(url("apply", count), {"token": token()}, follow=True)

    assert url("approve", count) in manager_page
    assert "already approved" in again.content.decode()
    assert list(count.events.values_list("action", flat=True)) == [
        "started",
        "submitted",
        "approved",
        "applied",
    ]
    assert url("apply", count) in after
    assert on_hand(item, location) == 14
    count.refresh_from_db()
    adjustment_url = reverse("admin:inventory_adjustment_change", args=[count.adjustment_id])
    assert applied.redirect_chain[-1][0] == url("count", count)
    assert f'href="{adjustment_url}"' in applied.content.decode()


def test_applying_twice_with_the_same_form_applies_once(staff, location, item):
    set_stock(item, location, 4)
    count = open_count(location, staff.user)
    scan_json(staff, count, item.sku, quantity="5")
    staff.post(url("submit", count), {"token": token()})
    form = {"token": token()}

    staff.post(url("apply", count), form)
    second = staff.post(url("apply", count), form, follow=True)
    third = staff.post(url("apply", count), {"token": token()}, follow=True)

    assert Adjustment.objects.filter(kind=Adjustment.Kind.STOCKTAKE).count() == 1
    assert on_hand(item, location) == 5
    assert "not applied twice" in second.content.decode()
    assert "applied; that step is not possible now" in third.content.decode()


def test_cancel_asks_first_then_closes_the_count(staff, location, item):
    set_stock(item, location, 4)
    count = open_count(location, staff.user)
    scan_json(staff, count, item.sku, quantity="1")

    confirm = staff.get(url("cancel", count))
    form = {"token": token()}
    staff.post(url("cancel", count), form)
    again = staff.post(url("cancel", count), form, follow=True)

    assert "Yes, cancel this count" in confirm.content.decode()
    count.refresh_from_db()
    assert count.status == Stocktake.Status.CANCELLED
    assert "already cancelled" in again.content.decode()
    assert list(count.events.values_list("action", flat=True)) == ["started", "cancelled"]
    assert on_hand(item, location) == 4
    _, body = scan_json(staff, count, item.sku)
    assert body["error"] == "wrong_status"


@pytest.mark.parametrize(
    ("action", "form_page"),
    [("submit", "count"), ("cancel", "cancel"), ("approve", "review"), ("apply", "review")],
)
def test_a_form_without_its_token_does_nothing_and_goes_back_to_it(
    boss, location, item, action, form_page
):
    count = open_count(location, boss.user)

    response = boss.post(url(action, count), {}, follow=True)

    assert response.redirect_chain[0][0] == url(form_page, count)
    assert "expired" in response.content.decode()
    count.refresh_from_db()
    assert count.status == Stocktake.Status.COUNTING
    assert list(count.events.values_list("action", flat=True)) == ["started"]


def test_a_refused_cancel_says_why_and_changes_nothing(staff, location, item):
    set_stock(item, location, 4)
    count = open_count(location, staff.user)
    scan_json(staff, count, item.sku, quantity="5")
    staff.post(url("submit", count), {"token": token()})
    staff.post(url("apply", count), {"token": token()})

    response = staff.post(url("cancel", count), {"token": token()}, follow=True)

    assert response.redirect_chain[-1][0] == url("count", count)
    assert "applied; that step is not possible now" in response.content.decode()
    count.refresh_from_db()
    assert count.status == Stocktake.Status.APPLIED
    assert on_hand(item, location) == 5


# --- CSV upload ---------------------------------------------------------------------------------


def upload_file(client, stocktake, content: bytes, mode="replace"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv_file = SimpleUploadedFile("counts.csv", content, content_type="text/csv")
    return client.post(url("upload", stocktake), {"file": csv_file, "mode": mode})


def confirm_upload(client, preview, **data):
    form = preview.context["confirm_form"]
    fields = {name: form[name].value() for name in ("token", "upload")}
    return client.post(
        url("upload", preview.context["stocktake"]), {**fields, "confirm": "1", **data}
    )


def test_an_upload_is_previewed_without_changing_anything_then_confirmed(staff, location):
    first, second = ItemFactory(), ItemFactory()
    count = open_count(location, staff.user)
    scan_json(staff, count, first.sku)
    content = f"sku,counted\n{first.sku},5\n{second.sku},2\n".encode()

    preview = upload_file(staff, count, content)

    assert preview.status_code == 200
    rows = preview.context["rows"]
    assert [(r["code"], r["current_count"], r["new_count"]) for r in rows] == [
        (first.sku, 1, 5),
        (second.sku, None, 2),
    ]
    assert dict(count.lines.values_list("item__sku", "counted_quantity")) == {first.sku: 1}
    assert 'name="confirm"' in preview.content.decode()

    done = confirm_upload(staff, preview)
    again = confirm_upload(staff, preview)  # the same form sent twice

    assert done["Location"] == url("count", count)
    assert again.status_code == 302
    assert dict(count.lines.values_list("item__sku", "counted_quantity")) == {
        first.sku: 5,
        second.sku: 2,
    }
    assert list(count.events.values_list("action", flat=True)) == ["started", "uploaded"]


def test_adding_the_same_file_twice_is_refused(staff, location, item):
    count = open_count(location, staff.user)
    content = f"barcode,counted\n{item.barcode},3\n".encode()
    confirm_upload(staff, upload_file(staff, count, content, mode="add"))

    second = upload_file(staff, count, content, mode="add")
    forced = confirm_upload(staff, second)  # a fresh token, past the hidden button

    assert "would count every item in it twice" in second.content.decode()
    assert 'name="confirm"' not in second.content.decode()
    assert "already applied to this count" in forced.content.decode()
    assert count.lines.get().counted_quantity == 3


def test_an_upload_with_errors_shows_them_and_cannot_be_confirmed(staff, location, item):
    count = open_count(location, staff.user)

    preview = upload_file(staff, count, f"sku,counted\n{item.sku},x\nNOPE,1\n".encode())
    forced = confirm_upload(staff, preview)

    html = preview.content.decode()
    assert "is not a whole number" in html
    assert "No item has SKU “NOPE”" in html
    assert 'name="confirm"' not in html
    assert forced.status_code == 200
    assert not count.lines.exists()


def test_a_file_without_the_header_is_explained(staff, location):
    count = open_count(location, staff.user)

    preview = upload_file(staff, count, b"foo,bar\n1,2\n")

    assert "The first row must be a header" in preview.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_apply_form_sent_twice_at_once_applies_once(location, item):
    from django.test import Client

    from tests.concurrency import run_together

    user = store_staff(location)
    set_stock(item, location, 4)
    count = open_count(location, user)
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=5, actor=user)
    stocktakes.submit_stocktake(stocktake=count, actor=user)
    form = {"token": token()}

    def send():
        client = Client()
        client.force_login(user)
        return client.post(url("apply", count), form).status_code

    results = run_together([send, send])

    assert results == [302, 302]
    assert Adjustment.objects.filter(kind=Adjustment.Kind.STOCKTAKE).count() == 1
    assert on_hand(item, location) == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_counters_scanning_at_once_through_the_pages_lose_no_scan(location, item):
    from django.test import Client

    from tests.concurrency import run_together

    people = [store_staff(location) for _ in range(3)]
    count = open_count(location, people[0])

    def scanner(person):
        def scan_five():
            client = Client()
            client.force_login(person)
            return [
                client.post(url("scan", count), {"code": item.barcode}).status_code
                for _ in range(5)
            ]

        return scan_five

    results = run_together([scanner(person) for person in people])

    assert results == [[200] * 5] * 3
    assert count.lines.get().counted_quantity == 15


def test_blind_count_hides_the_locations_on_hand_from_staff_in_the_admin(client):
    location, item = LocationFactory(), ItemFactory()
    set_stock(item, location, 7919)
    counter = store_staff(location)
    stocktakes.start_stocktake(location=location, actor=counter, blind=True)
    client.force_login(counter)

    balances = client.get(reverse("admin:inventory_balance_changelist")).content.decode()
    history = client.get(reverse("admin:inventory_adjustmentline_changelist")).content.decode()
    adjust = client.get(
        reverse("admin:inventory_balance_adjust") + f"?location={location.pk}&items={item.pk}"
    ).content.decode()

    assert "7919" not in balances + history + adjust
    assert "7,919" not in balances + history + adjust  # as the balance list writes it
    client.force_login(manager())
    assert "7,919" in client.get(reverse("admin:inventory_balance_changelist")).content.decode()
