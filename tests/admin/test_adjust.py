"""The admin's "Adjust stock" page: it validates, calls the write path and maps its errors."""

import uuid

import pytest
from django.urls import reverse

from inventory.models import Adjustment, AdjustmentLine, Balance
from tests.factories import ItemFactory, UserFactory, manager, set_stock, store_staff

ADJUST_URL = reverse("admin:inventory_balance_adjust")


def post_adjust(client, *, location, rows, mode="set", reason="Shelf count", token=None):
    """Submit the form as a browser would: rows are (code, quantity, expected_quantity)."""
    data = {
        "location": location.pk,
        "mode": mode,
        "reason": reason,
        "submission_token": token or str(uuid.uuid4()),
        "lines-TOTAL_FORMS": len(rows),
        "lines-INITIAL_FORMS": len(rows),
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 2000,
    }
    for index, (code, quantity, expected) in enumerate(rows):
        data[f"lines-{index}-code"] = code
        data[f"lines-{index}-quantity"] = "" if quantity is None else quantity
        data[f"lines-{index}-expected_quantity"] = "" if expected is None else expected
    return client.post(ADJUST_URL, data)


def quantities(*items, location):
    return [Balance.objects.get(item=item, location=location).quantity for item in items]


@pytest.fixture
def manager_client(client, db):
    user = manager()
    client.force_login(user)
    client.user = user
    return client


def test_form_opens_prefilled_with_on_hand(manager_client, location):
    first, second = ItemFactory(), ItemFactory()
    set_stock(first, location, 7)

    response = manager_client.get(
        f"{ADJUST_URL}?location={location.pk}&items={first.pk},{second.pk}"
    )

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(form["code"].value(), form["expected_quantity"].value()) for form, _ in rows[:2]] == [
        (first.sku, 7),
        (second.sku, 0),
    ]
    assert response.context["form"]["location"].value() == location.pk


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


def snapshot():
    return (
        list(Balance.objects.order_by("id").values_list("id", "quantity")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


def test_refused_batch_shows_errors_on_rows_and_changes_nothing(manager_client, location):
    plenty, scarce = ItemFactory(), ItemFactory()
    set_stock(plenty, location, 9)
    set_stock(scarce, location, 1)
    before = snapshot()

    response = post_adjust(
        manager_client,
        location=location,
        mode="add",
        rows=[(plenty.sku, -3, 9), (scarce.sku, -5, 1)],
    )

    assert response.status_code == 200
    forms = response.context["lines"].forms
    assert forms[0].errors == {}
    refusal = forms[1].errors["quantity"][0]
    named = f"{scarce.sku} · {scarce.name} at {location.label}"
    assert refusal.startswith(f"{named}: only 1 on hand, so 5 cannot be removed.")
    assert snapshot() == before


def test_unknown_code_is_a_row_error_and_changes_nothing(manager_client, location, item):
    set_stock(item, location, 3)
    before = snapshot()

    response = post_adjust(
        manager_client, location=location, rows=[(item.sku, 5, 3), ("NO-SUCH-SKU", 1, None)]
    )

    assert response.status_code == 200
    assert "NO-SUCH-SKU" in response.context["lines"].forms[1].errors["code"][0]
    assert snapshot() == before


def test_empty_form_asks_for_a_quantity(manager_client, location, item):
    response = post_adjust(manager_client, location=location, rows=[(item.sku, None, 0)])

    assert response.status_code == 200
    assert "at least one item" in str(response.context["lines"].non_form_errors())
    assert Adjustment.objects.count() == 0


def test_stale_balance_warns_and_applies_only_when_resubmitted(manager_client, location, item):
    set_stock(item, location, 5)  # what the manager sees when opening the form
    set_stock(item, location, 8)  # a sale or count lands meanwhile
    before = snapshot()

    response = post_adjust(manager_client, location=location, rows=[(item.sku, 6, 5)])

    assert response.status_code == 200
    assert "changed since you opened this form" in str(response.context["form"].non_field_errors())
    assert "on-hand is now 8, not 5" in str(response.context["lines"].forms[0].non_field_errors())
    assert snapshot() == before
    # The re-rendered form now expects today's on-hand: applying again is deliberate.
    assert response.context["lines"].forms[0]["expected_quantity"].value() == "8"
    token = response.context["form"]["submission_token"].value()

    again = post_adjust(manager_client, location=location, rows=[(item.sku, 6, 8)], token=token)

    assert again.status_code == 302
    assert quantities(item, location=location) == [6]


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


def test_staff_cannot_adjust_another_locations_stock(client, location, other_location, item):
    client.force_login(store_staff(location))
    set_stock(item, other_location, 5)
    before = snapshot()

    response = post_adjust(client, location=other_location, rows=[(item.sku, 1, 5)])

    assert response.status_code == 200
    assert "location" in response.context["form"].errors
    assert snapshot() == before


def test_staff_adjusts_at_their_location(client, location, item):
    client.force_login(store_staff(location))

    response = post_adjust(client, location=location, rows=[(item.sku, 2, 0)])

    assert response.status_code == 302
    assert quantities(item, location=location) == [2]


def test_adjust_page_needs_the_adjust_permission(client, db):
    client.force_login(UserFactory(is_staff=True))  # admin access, but in no group

    assert client.get(ADJUST_URL).status_code == 403


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
