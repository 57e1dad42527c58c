"""The admin's "Adjust stock" page: it checks everything in one pass, calls the write path and
shows every error at once, on the row it belongs to, in words."""

import re
import uuid

import pytest
from django.urls import reverse

from inventory.models import Adjustment, AdjustmentLine, Balance
from inventory.stock import LineInput, apply_adjustment
from tests.factories import (
    ItemFactory,
    LocationFactory,
    UserFactory,
    manager,
    set_stock,
    store_staff,
)

ADJUST_URL = reverse("admin:inventory_balance_adjust")


def post_adjust(client, *, location, rows, mode="set", reason="Shelf count", token=None, **extra):
    """Submit the form as a browser would: rows are (code, quantity, expected_quantity), with
    an optional fourth item, the quantity confirmed when the row changed nothing."""
    data = {
        "location": "" if location is None else location.pk,
        "mode": mode,
        "reason": reason,
        "submission_token": token or str(uuid.uuid4()),
        "lines-TOTAL_FORMS": len(rows),
        "lines-INITIAL_FORMS": len(rows),
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 2000,
        "_apply": "Apply adjustment",
        **extra,
    }
    for index, (code, quantity, expected, *confirmed) in enumerate(rows):
        data[f"lines-{index}-code"] = code
        data[f"lines-{index}-quantity"] = "" if quantity is None else quantity
        data[f"lines-{index}-expected_quantity"] = "" if expected is None else expected
        data[f"lines-{index}-confirmed"] = confirmed[0] if confirmed else ""
    return client.post(ADJUST_URL, data)


def quantities(*items, location):
    return [Balance.objects.get(item=item, location=location).quantity for item in items]


def snapshot():
    return (
        list(Balance.objects.order_by("id").values_list("id", "quantity")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


def row_errors(response, number):
    """Every message on row `number` (from 1), as the page shows them."""
    form = response.context["rows"][number - 1].form
    return " ".join(message for messages in form.errors.values() for message in messages)


@pytest.fixture
def manager_client(client, db):
    user = manager()
    client.force_login(user)
    client.user = user
    return client


# --- opening the form ---------------------------------------------------------------------------


def test_form_opens_prefilled_with_on_hand(manager_client, location):
    first, second = ItemFactory(), ItemFactory()
    set_stock(first, location, 7)

    response = manager_client.get(
        f"{ADJUST_URL}?location={location.pk}&items={first.pk},{second.pk}"
    )

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row.form["code"].value(), row.on_hand) for row in rows[:2]] == [
        (first.sku, 7),
        (second.sku, 0),
    ]
    assert [row.number for row in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert response.context["form"]["location"].value() == location.pk
    assert first.name in response.content.decode()


def test_a_link_prefills_by_sku_and_location(manager_client, location):
    item = ItemFactory(sku="BEANIE", name="Wool beanie")
    set_stock(item, location, 4)

    response = manager_client.get(f"{ADJUST_URL}?sku=BEANIE&location={location.pk}")

    row = response.context["rows"][0]
    assert (row.form["code"].value(), row.form["expected_quantity"].value(), row.on_hand) == (
        "BEANIE",
        4,
        4,
    )
    assert "Wool beanie" in response.content.decode()


def test_locations_are_offered_by_name(manager_client, location):
    response = manager_client.get(ADJUST_URL)

    assert f">{location.label}</option>" in response.content.decode()


# --- applying -----------------------------------------------------------------------------------


def test_set_mode_applies_one_adjustment_through_the_service(manager_client, location):
    first, second = ItemFactory(), ItemFactory()
    set_stock(first, location, 7)

    response = post_adjust(
        manager_client,
        location=location,
        rows=[(first.sku, 10, 7), (second.barcode, 4, 0), ("", None, None)],
    )

    adjustment = Adjustment.objects.latest("id")
    assert response.status_code == 302
    assert response.url == reverse("admin:inventory_adjustment_change", args=[adjustment.pk])
    assert quantities(first, second, location=location) == [10, 4]
    assert (adjustment.kind, adjustment.source, adjustment.actor, adjustment.reason) == (
        Adjustment.Kind.ABSOLUTE,
        Adjustment.Source.ADMIN,
        manager_client.user,
        "Shelf count",
    )
    assert sorted(adjustment.lines.values_list("quantity_before", "quantity_after")) == [
        (0, 4),
        (7, 10),
    ]


def test_add_mode_adds_and_subtracts(manager_client, location, item):
    set_stock(item, location, 7)

    post_adjust(manager_client, location=location, mode="add", rows=[(item.sku, -2, 7)])

    assert quantities(item, location=location) == [5]
    assert Adjustment.objects.latest("id").kind == Adjustment.Kind.RELATIVE


def test_reason_code_note_and_reference_are_stored(manager_client, location, item):
    set_stock(item, location, 7)

    response = post_adjust(
        manager_client,
        location=location,
        mode="add",
        rows=[(item.sku, -1, 7)],
        reason="Dropped by the till",
        reason_code="damaged",
        reference="PO-4411",
    )

    assert response.status_code == 302
    adjustment = Adjustment.objects.latest("id")
    assert (adjustment.reason_code, adjustment.reason, adjustment.reference) == (
        Adjustment.ReasonCode.DAMAGED,
        "Dropped by the till",
        "PO-4411",
    )


def test_reason_and_note_are_optional(manager_client, location, item):
    response = post_adjust(
        manager_client, location=location, mode="add", rows=[(item.sku, 2, 0)], reason=""
    )

    assert response.status_code == 302
    adjustment = Adjustment.objects.latest("id")
    assert (adjustment.reason_code, adjustment.reason, adjustment.reference) == ("", "", "")


def test_an_unknown_reason_code_is_a_field_error(manager_client, location, item):
    before = snapshot()

    response = post_adjust(
        manager_client, location=location, mode="add", rows=[(item.sku, 2, 0)], reason_code="bribe"
    )

    assert response.status_code == 200
    assert "reason_code" in response.context["form"].errors
    assert snapshot() == before


def test_success_says_where_and_offers_another_adjustment(manager_client, location, item):
    response = post_adjust(manager_client, location=location, mode="add", rows=[(item.sku, 2, 0)])

    page = manager_client.get(response.url).content.decode()
    adjustment = Adjustment.objects.latest("id")
    assert f"Stock adjusted at {location.label}: 1 item (transaction {adjustment.short_id})" in page
    assert f'href="{ADJUST_URL}?location={location.pk}"' in page


# --- every error at once ------------------------------------------------------------------------


def test_every_form_and_row_error_shows_in_one_submit(manager_client, location):
    """A missing location, a row without an item, an unknown code, a quantity that is not a
    number and an item on two rows: all reported by the first submit, nothing written."""
    item = ItemFactory(sku="TEE-BLK", name="Black tee")
    set_stock(item, location, 5)
    before = snapshot()

    response = post_adjust(
        manager_client,
        location=None,
        rows=[
            ("TEE-BLK", 3, 5),
            ("", 4, None),
            ("NO-SUCH", 1, None),
            ("TEE-BLK", "lots", None),
            ("TEE-BLK", 2, 5),
        ],
    )

    assert response.status_code == 200
    assert response.context["form"].errors["location"] == ["Choose a location."]
    assert row_errors(response, 1) == ""
    assert "Which item?" in row_errors(response, 2)
    assert "No item has SKU or barcode “NO-SUCH”" in row_errors(response, 3)
    assert "Enter a whole number." in row_errors(response, 4)
    assert "TEE-BLK · Black tee is on row 1 too" in row_errors(response, 5)
    assert "rows 2, 3, 4 and 5" in response.context["summary"]
    assert snapshot() == before


def test_write_path_refusals_show_with_the_form_errors(manager_client, location):
    """Rows the form accepts are still checked by the write path in the same submit, so an
    unknown code elsewhere does not hide that another row would take too much stock."""
    plenty = ItemFactory(sku="MUG", name="Enamel mug")
    scarce = ItemFactory(sku="CAP", name="Cap")
    kept = ItemFactory(sku="SCARF", name="Scarf")
    set_stock(plenty, location, 9)
    set_stock(scarce, location, 1)
    set_stock(kept, location, 6)
    Balance.objects.filter(item=kept).update(safety_stock=4)
    before = snapshot()

    response = post_adjust(
        manager_client,
        location=location,
        mode="add",
        rows=[("MUG", -3, 9), ("CAP", -5, 1), ("NO-SUCH", 1, None), ("SCARF", -3, 6)],
    )

    assert response.status_code == 200
    assert row_errors(response, 1) == ""
    assert row_errors(response, 2) == (
        f"CAP · Cap at {location.label}: only 1 on hand, so 5 cannot be removed."
        " Remove at most 1, or count the shelf and set the number you find."
    )
    assert "NO-SUCH" in row_errors(response, 3)
    assert "4 of them kept as safety stock, so" in row_errors(response, 4)
    assert "rows 2, 3 and 4" in response.context["summary"]
    page = response.content.decode()
    assert "item_id" not in page
    assert f"location {location.pk}" not in page
    assert snapshot() == before


def test_a_refused_batch_shows_every_failing_row(manager_client, location):
    """No form error at all: the write path refuses, and names every failing row."""
    first, second = ItemFactory(), ItemFactory()
    set_stock(first, location, 1)
    set_stock(second, location, 2)
    before = snapshot()

    response = post_adjust(
        manager_client,
        location=location,
        mode="add",
        rows=[(first.sku, -5, 1), (second.sku, -9, 2)],
    )

    assert "only 1 on hand" in row_errors(response, 1)
    assert "only 2 on hand" in row_errors(response, 2)
    assert snapshot() == before


def test_setting_below_zero_says_how_to_take_units_out(manager_client, location, item):
    set_stock(item, location, 3)
    before = snapshot()

    response = post_adjust(manager_client, location=location, rows=[(item.sku, -2, 3)])

    assert "cannot be set below 0" in row_errors(response, 1)
    assert "choose “Add”" in row_errors(response, 1)
    assert snapshot() == before


def test_empty_form_asks_for_a_quantity(manager_client, location, item):
    response = post_adjust(manager_client, location=location, rows=[(item.sku, None, 0)])

    assert response.status_code == 200
    assert "at least one item" in str(response.context["lines"].non_form_errors())
    assert Adjustment.objects.count() == 0


def test_check_button_checks_and_changes_nothing(manager_client, location, item):
    set_stock(item, location, 3)
    before = snapshot()

    checked = post_adjust(
        manager_client, location=location, mode="add", rows=[(item.sku, 2, 3)], _check="Check"
    )
    refused = post_adjust(
        manager_client, location=location, mode="add", rows=[(item.sku, -9, 3)], _check="Check"
    )

    assert checked.status_code == refused.status_code == 200
    assert checked.context["all_clear"]
    assert "Everything checks out" in checked.content.decode()
    assert not refused.context["all_clear"]
    assert "only 3 on hand" in row_errors(refused, 1)
    assert snapshot() == before


# --- changed since you looked -------------------------------------------------------------------


def test_stale_balance_warns_and_applies_only_when_resubmitted(manager_client, location, item):
    set_stock(item, location, 5)  # what the manager sees when opening the form
    set_stock(item, location, 8)  # a sale or count lands meanwhile
    before = snapshot()

    response = post_adjust(manager_client, location=location, rows=[(item.sku, 6, 5)])

    assert response.status_code == 200
    assert "changed since you opened this form" in str(response.context["form"].non_field_errors())
    assert f"at {location.label}: on-hand is now 8, not 5" in row_errors(response, 1)
    assert snapshot() == before
    # The re-rendered form now expects today's on-hand: applying again is deliberate.
    assert response.context["rows"][0].form["expected_quantity"].value() == "8"
    assert response.context["rows"][0].on_hand == 8
    token = response.context["form"]["submission_token"].value()

    again = post_adjust(manager_client, location=location, rows=[(item.sku, 6, 8)], token=token)

    assert again.status_code == 302
    assert quantities(item, location=location) == [6]


def test_a_typed_row_changed_after_its_lookup_is_refused(manager_client, location):
    """The page's script keeps the looked-up on-hand as the row's expected quantity: a sale in
    another tab between the lookup and the submit is not overwritten by "set 31"."""
    item = ItemFactory(sku="TEE-BLA", name="Black tee")
    set_stock(item, location, 33)
    looked_up = manager_client.get(
        reverse("admin:inventory_balance_lookup"), {"code": "TEE-BLA", "location": location.pk}
    ).json()
    apply_adjustment(  # a sale through the API while the manager types
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=location.pk, sku="TEE-BLA", quantity=-2)],
    )
    before = snapshot()

    response = post_adjust(
        manager_client, location=location, rows=[("TEE-BLA", 31, looked_up["on_hand"])]
    )

    assert looked_up["on_hand"] == 33
    assert response.status_code == 200
    assert "TEE-BLA · Black tee at" in row_errors(response, 1)
    assert "on-hand is now 31, not 33" in row_errors(response, 1)
    assert snapshot() == before


def test_a_set_row_without_its_on_hand_is_shown_before_it_is_applied(
    manager_client, location, item
):
    """Without the page's script a typed row carries no on-hand: the page shows it and asks to
    apply again, which is then protected like any other row."""
    set_stock(item, location, 23)
    before = snapshot()

    shown = post_adjust(manager_client, location=location, rows=[(item.sku, 31, None)])

    assert shown.status_code == 200
    assert shown.context["rows"][0].warning.startswith("On-hand here is 23")
    assert shown.context["rows"][0].form["expected_quantity"].value() == "23"
    assert snapshot() == before
    applied = post_adjust(manager_client, location=location, rows=[(item.sku, 31, 23)])
    assert applied.status_code == 302
    assert quantities(item, location=location) == [31]


def test_an_added_row_without_its_on_hand_still_applies(manager_client, location, item):
    """Adding does not overwrite what happened meanwhile: no on-hand needed."""
    set_stock(item, location, 4)

    response = post_adjust(
        manager_client, location=location, mode="add", rows=[(item.sku, 3, None)]
    )

    assert response.status_code == 302
    assert quantities(item, location=location) == [7]


# --- a change that changes nothing --------------------------------------------------------------


@pytest.mark.parametrize(("mode", "quantity"), [("set", 12), ("add", 0)])
def test_a_row_that_changes_nothing_is_pointed_out_first(
    manager_client, location, item, mode, quantity
):
    set_stock(item, location, 12)
    before = snapshot()

    warned = post_adjust(
        manager_client, location=location, mode=mode, rows=[(item.sku, quantity, 12)]
    )

    assert warned.status_code == 200
    row = warned.context["rows"][0]
    assert "changes nothing" in row.warning
    assert "Apply again to record it anyway" in row.warning
    assert "row 1" in warned.context["summary"]
    assert row.form["confirmed"].value() == str(quantity)
    assert snapshot() == before

    confirmed = post_adjust(
        manager_client, location=location, mode=mode, rows=[(item.sku, quantity, 12, quantity)]
    )

    assert confirmed.status_code == 302
    assert AdjustmentLine.objects.filter(item=item, adjustment__source="admin").count() == 1


def test_a_confirmation_holds_only_for_the_quantity_confirmed(manager_client, location, item):
    set_stock(item, location, 12)
    before = snapshot()

    response = post_adjust(
        manager_client, location=location, mode="add", rows=[(item.sku, 0, 12, 5)]
    )

    assert "changes nothing" in response.context["rows"][0].warning
    assert snapshot() == before


# --- who may adjust where -----------------------------------------------------------------------


def test_staff_cannot_adjust_another_locations_stock(client, location, other_location, item):
    client.force_login(store_staff(location))
    set_stock(item, other_location, 5)
    before = snapshot()

    response = post_adjust(client, location=other_location, rows=[(item.sku, 1, 5)])

    assert response.status_code == 200
    assert "location" in response.context["form"].errors
    assert snapshot() == before


def test_staff_of_one_location_find_it_chosen(client, location, other_location):
    client.force_login(store_staff(location))

    response = client.get(ADJUST_URL)

    assert response.context["form"]["location"].value() == location.pk
    assert list(response.context["form"].fields["location"].queryset) == [location]


def test_staff_adjusts_at_their_location(client, location, item):
    client.force_login(store_staff(location))

    response = post_adjust(client, location=location, rows=[(item.sku, 2, 0)])

    assert response.status_code == 302
    assert quantities(item, location=location) == [2]


def test_adjust_page_needs_the_adjust_permission(client, db):
    client.force_login(UserFactory(is_staff=True))  # admin access, but in no group

    assert client.get(ADJUST_URL).status_code == 403


# --- fast by construction -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "quantity", "status"), [("applied", 1, 302), ("refused", -9, 200)]
)
def test_queries_do_not_grow_with_rows(
    manager_client, location, django_assert_max_num_queries, outcome, quantity, status
):
    few_items, many_items = ItemFactory.create_batch(2), ItemFactory.create_batch(40)
    for item in few_items + many_items:
        set_stock(item, location, 5)

    def submit(items):
        rows = [(item.sku, quantity, 5) for item in items]
        return post_adjust(manager_client, location=location, mode="add", rows=rows)

    with django_assert_max_num_queries(30) as few:
        small = submit(few_items)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = submit(many_items)

    assert small.status_code == large.status_code == status


# --- the balance list's links and action --------------------------------------------------------


def test_list_action_opens_the_form_for_selected_balances(manager_client, location):
    first, second = ItemFactory(), ItemFactory()
    set_stock(first, location, 1)
    set_stock(second, location, 2)
    ids = Balance.objects.filter(location=location).values_list("pk", flat=True)

    response = manager_client.post(
        reverse("admin:inventory_balance_changelist"),
        {"action": "adjust_selected", "_selected_action": list(ids)},
    )

    assert response.status_code == 302
    assert response.url.startswith(ADJUST_URL)
    assert f"location={location.pk}" in response.url
    assert (
        f"{first.pk}%2C{second.pk}" in response.url or f"{second.pk}%2C{first.pk}" in response.url
    )


def test_list_action_refuses_balances_of_two_locations(
    manager_client, location, other_location, item
):
    set_stock(item, location, 1)
    set_stock(item, other_location, 1)
    ids = Balance.objects.values_list("pk", flat=True)

    response = manager_client.post(
        reverse("admin:inventory_balance_changelist"),
        {"action": "adjust_selected", "_selected_action": list(ids)},
        follow=True,
    )

    assert "one location" in response.content.decode()


def test_balance_pages_link_to_adjust_and_move(manager_client, location, item):
    set_stock(item, location, 4)
    balance = Balance.objects.get(item=item, location=location)
    move_url = reverse("admin:inventory_balance_move")

    listed = manager_client.get(reverse("admin:inventory_balance_changelist")).content.decode()
    shown = manager_client.get(
        reverse("admin:inventory_balance_change", args=[balance.pk])
    ).content.decode()

    assert f'href="{ADJUST_URL}"' in listed
    assert f'href="{move_url}"' in listed
    assert re.search(rf'href="{move_url}\?sku={item.sku}&amp;from={location.pk}"', shown)


def test_settings_change_goes_through_the_service_and_is_recorded(manager_client, location, item):
    set_stock(item, location, 4)
    balance = Balance.objects.get(item=item, location=location)

    response = manager_client.post(
        reverse("admin:inventory_balance_change", args=[balance.pk]),
        {"safety_stock": 2, "warning_level": 3, "is_in_stock": "on", "bin_picking_number": "A-7"},
    )

    assert response.status_code == 302
    balance.refresh_from_db()
    assert (
        balance.quantity,
        balance.safety_stock,
        balance.warning_level,
        balance.bin_picking_number,
    ) == (
        4,
        2,
        3,
        "A-7",
    )
    recorded = Adjustment.objects.latest("id")
    assert recorded.kind == Adjustment.Kind.SETTINGS
    assert recorded.actor == manager_client.user
    assert "safety_stock 0 → 2" in recorded.reason
    assert list(recorded.lines.values_list("quantity_before", "quantity_after", "delta")) == [
        (4, 4, 0)
    ]


def test_double_submission_applies_once(manager_client, location, item):
    set_stock(item, location, 5)
    token = str(uuid.uuid4())

    first = post_adjust(
        manager_client, location=location, mode="add", rows=[(item.sku, 3, 5)], token=token
    )
    second = post_adjust(
        manager_client, location=location, mode="add", rows=[(item.sku, 3, 5)], token=token
    )

    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert quantities(item, location=location) == [8]
    assert Adjustment.objects.filter(source=Adjustment.Source.ADMIN).count() == 1
    messages = [str(message) for message in second.wsgi_request._messages]
    assert any("not applied a second time" in message for message in messages)


def test_reused_form_with_other_numbers_is_refused(manager_client, location, item):
    set_stock(item, location, 5)
    token = str(uuid.uuid4())
    post_adjust(manager_client, location=location, mode="add", rows=[(item.sku, 3, 5)], token=token)
    before = snapshot()

    response = post_adjust(
        manager_client, location=location, mode="add", rows=[(item.sku, 4, 8)], token=token
    )

    assert response.status_code == 200
    assert "already used" in str(response.context["form"].non_field_errors())
    assert snapshot() == before


def test_a_disabled_location_is_not_offered(manager_client, db):
    closed = LocationFactory(enabled=False, label="Old warehouse")

    response = manager_client.get(ADJUST_URL)

    assert "Old warehouse" not in response.content.decode()
    assert closed not in response.context["form"].fields["location"].queryset
