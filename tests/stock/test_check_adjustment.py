"""`check_adjustment`: what `apply_adjustment` would refuse, with nothing written."""

from inventory.errors import ErrorCode
from inventory.models import Adjustment, AdjustmentLine, Balance
from inventory.stock import LineInput, check_adjustment
from tests.factories import ItemFactory, set_stock

Kind = Adjustment.Kind


def snapshot():
    return (
        list(Balance.objects.order_by("id").values_list("id", "quantity")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


def test_every_failing_line_and_nothing_written(location):
    scarce, fine, fresh = ItemFactory(), ItemFactory(), ItemFactory()
    set_stock(scarce, location, 2)
    set_stock(fine, location, 5)
    before = snapshot()

    errors = check_adjustment(
        kind=Kind.RELATIVE,
        lines=[
            LineInput(location_id=location.pk, item_id=scarce.pk, quantity=-3),
            LineInput(location_id=location.pk, item_id=fine.pk, quantity=-1, expected_quantity=4),
            LineInput(location_id=location.pk, item_id=fresh.pk, quantity=1),
            LineInput(location_id=location.pk, sku="NO-SUCH", quantity=1),
        ],
    )

    assert [(error.index, error.code) for error in errors] == [
        (0, ErrorCode.INSUFFICIENT_STOCK),
        (1, ErrorCode.STALE_QUANTITY),
        (3, ErrorCode.UNKNOWN_ITEM),
    ]
    # Not even the balance row the fresh item's line needed to be locked.
    assert snapshot() == before
    assert not Balance.objects.filter(item=fresh).exists()


def test_a_batch_the_write_would_take_has_no_errors(location, item):
    set_stock(item, location, 5)
    before = snapshot()

    errors = check_adjustment(
        kind=Kind.ABSOLUTE,
        lines=[
            LineInput(location_id=location.pk, item_id=item.pk, quantity=9, expected_quantity=5)
        ],
    )

    assert errors == []
    assert snapshot() == before


def test_a_transfer_is_checked_at_both_ends(location, other_location, item):
    set_stock(item, location, 1)

    errors = check_adjustment(
        kind=Kind.TRANSFER,
        lines=[
            LineInput(
                location_id=location.pk,
                to_location_id=other_location.pk,
                item_id=item.pk,
                quantity=4,
            )
        ],
    )

    assert [error.code for error in errors] == [ErrorCode.INSUFFICIENT_STOCK]
    assert not Balance.objects.filter(location=other_location).exists()


def test_an_empty_batch_is_one_error(db):
    assert [error.code for error in check_adjustment(kind=Kind.RELATIVE, lines=[])] == [
        ErrorCode.EMPTY_BATCH
    ]
