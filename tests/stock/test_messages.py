"""A refusal in words for a person (inventory.stock.messages): the item by SKU and name, the
location by name, lines from 1, what to do next; the API's wording is left as it was."""

import pytest

from inventory.errors import AdjustmentRejected
from inventory.models import Adjustment
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from inventory.stock.messages import for_people
from tests.factories import ItemFactory, LocationFactory, set_stock

pytestmark = pytest.mark.django_db


def refused(kind, *lines) -> AdjustmentRejected:
    with pytest.raises(AdjustmentRejected) as error:
        apply_adjustment(kind=kind, lines=list(lines), reason="test", source="admin")
    return error.value


def test_insufficient_stock_names_item_and_location_and_says_how_much_can_go(location, item):
    set_stock(item, location, 23)

    error = refused(
        Adjustment.Kind.RELATIVE, LineInput(location_id=location.pk, item_id=item.pk, quantity=-500)
    )

    assert for_people(error.errors) == [
        f"{item.sku} · {item.name} at {location.label}: only 23 on hand, so 500 cannot be removed."
        " Remove at most 23, or count the shelf and set the number you find."
    ]
    # The API's words are the write path's own, unchanged.
    assert error.errors[0].message == (
        f"item_id {item.pk} at location {location.pk}: insufficient stock: on-hand 23, change -500."
    )


def test_safety_stock_is_counted_out_of_what_can_be_removed(location, item):
    set_stock(item, location, 10)
    update_settings(
        lines=[SettingsInput(location_id=location.pk, item_id=item.pk, safety_stock=4)],
        source="admin",
    )

    error = refused(
        Adjustment.Kind.RELATIVE, LineInput(location_id=location.pk, item_id=item.pk, quantity=-8)
    )

    (sentence,) = for_people(error.errors)
    assert "only 10 on hand, 4 of them kept as safety stock, so 8 cannot be removed." in sentence
    assert "Remove at most 6" in sentence


def test_a_duplicate_counts_lines_from_one(location, item):
    other = ItemFactory()
    error = refused(
        Adjustment.Kind.ABSOLUTE,
        LineInput(location_id=location.pk, item_id=item.pk, quantity=1),
        LineInput(location_id=location.pk, item_id=other.pk, quantity=1),
        LineInput(location_id=location.pk, sku=item.sku, quantity=2),
    )

    assert for_people(error.errors) == [
        f"{item.sku} · {item.name} at {location.label} is already on line 1:"
        " put the whole change on one line."
    ]
    assert for_people(error.errors, line_number=lambda index: index + 4)[0].endswith(
        "is already on line 4: put the whole change on one line."
    )


def test_unknown_item_disabled_location_and_negative_count(location, item):
    closed = LocationFactory(label="Old warehouse", enabled=False)

    error = refused(
        Adjustment.Kind.ABSOLUTE,
        LineInput(location_id=location.pk, sku="NO-SUCH", quantity=1),
        LineInput(location_id=closed.pk, item_id=item.pk, quantity=1),
        LineInput(location_id=location.pk, variant_id=item.variant_id, quantity=-1),
    )

    assert for_people(error.errors) == [
        "No item has SKU “NO-SUCH”. Check it, or create the item first.",
        "Old warehouse is switched off: turn it on under Locations first.",
        f"{item.sku} · {item.name}: on-hand cannot be set below 0. To take units out, choose"
        " “Add” and enter a negative number.",
    ]


def test_a_stale_line_says_what_on_hand_is_now(location, item):
    set_stock(item, location, 8)

    error = refused(
        Adjustment.Kind.ABSOLUTE,
        LineInput(location_id=location.pk, item_id=item.pk, quantity=3, expected_quantity=5),
    )

    assert for_people(error.errors) == [
        f"{item.sku} · {item.name} at {location.label}: on-hand is now 8, not 5 as when this"
        " was opened. Check the quantity and apply again."
    ]


def test_names_cost_two_queries_however_many_errors(location, django_assert_max_num_queries):
    items = [ItemFactory() for _ in range(30)]
    for item in items:
        set_stock(item, location, 1)
    error = refused(
        Adjustment.Kind.RELATIVE,
        *(LineInput(location_id=location.pk, item_id=item.pk, quantity=-2) for item in items),
    )

    with django_assert_max_num_queries(2):
        sentences = for_people(error.errors)

    assert len(sentences) == 30
    assert all(f"at {location.label}: only 1 on hand" in sentence for sentence in sentences)
    assert not any("item_id" in sentence or "location " in sentence for sentence in sentences)


def test_no_errors_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert for_people([]) == []
