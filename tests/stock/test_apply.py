"""`apply_adjustment`, the single write path: every rule of DESIGN.md §5. Every refusal also proves
that nothing was written (balances, adjustments and ledger lines as before)."""

from itertools import pairwise
from uuid import UUID

import pytest
from django.utils import timezone

from inventory import idempotency
from inventory.errors import (
    AdjustmentRejected,
    ErrorCode,
    IdempotencyKeyReused,
    StaleBalances,
)
from inventory.models import (
    MAX_BATCH_LINES,
    MAX_QUANTITY,
    Adjustment,
    AdjustmentLine,
    ApiClient,
    Balance,
    IdempotencyRecord,
    Item,
)
from inventory.stock import LineInput, apply_adjustment, resolve
from tests.factories import ItemFactory, LocationFactory, UserFactory, set_stock

pytestmark = pytest.mark.django_db

Kind = Adjustment.Kind
Source = Adjustment.Source


# --- helpers ---------------------------------------------------------------------------------


def apply(kind, *lines, **kwargs):
    kwargs.setdefault("source", Source.API)
    return apply_adjustment(kind=kind, lines=list(lines), **kwargs)


def line(item, location, quantity, **kwargs):
    """A line naming the item by SKU, as most partners do."""
    return LineInput(location_id=location.pk, sku=item.sku, quantity=quantity, **kwargs)


def on_hand(item, location):
    """The balance's quantity, or None when the balance row does not exist."""
    return (
        Balance.objects.filter(item=item, location=location)
        .values_list("quantity", flat=True)
        .first()
    )


def stock(item, location, quantity, *, safety_stock=0):
    set_stock(item, location, quantity)
    if safety_stock:
        # Safety stock is a setting, not a quantity: it is not written through the ledger.
        Balance.objects.filter(item=item, location=location).update(safety_stock=safety_stock)


def snapshot():
    """Everything a refused batch must leave untouched, including rows it must not create."""
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


def refused(kind, *lines, expected=AdjustmentRejected, **kwargs):
    """Apply a batch that must be refused with `expected`; assert nothing changed; return the error."""
    before = snapshot()
    with pytest.raises(expected) as excinfo:
        apply(kind, *lines, **kwargs)
    assert snapshot() == before
    return excinfo.value


def errors_of(error):
    return [(e.index, e.field, e.code) for e in error.errors]


def ledger(item, location):
    return list(
        AdjustmentLine.objects.filter(item=item, location=location)
        .order_by("id")
        .values_list("quantity_before", "quantity_after", "delta")
    )


# --- absolute ----------------------------------------------------------------------------------


def test_absolute_sets_on_hand(item, location):
    stock(item, location, 5)

    apply(Kind.ABSOLUTE, line(item, location, 12))

    assert on_hand(item, location) == 12
    assert ledger(item, location) == [(0, 5, 5), (5, 12, 7)]


def test_absolute_can_set_zero_and_the_maximum(item, location, other_location):
    stock(item, location, 5)

    apply(Kind.ABSOLUTE, line(item, location, 0), line(item, other_location, MAX_QUANTITY))

    assert on_hand(item, location) == 0
    assert on_hand(item, other_location) == MAX_QUANTITY


def test_absolute_negative_is_refused(item, location):
    stock(item, location, 5)

    error = refused(Kind.ABSOLUTE, line(item, location, -1))

    assert errors_of(error) == [(0, "quantity", ErrorCode.NEGATIVE_QUANTITY)]
    assert error.code == ErrorCode.NEGATIVE_QUANTITY
    assert on_hand(item, location) == 5


def test_absolute_negative_is_refused_even_where_negative_stock_is_allowed(item):
    location = LocationFactory(allow_negative_stock=True)

    error = refused(Kind.ABSOLUTE, line(item, location, -1))

    assert errors_of(error) == [(0, "quantity", ErrorCode.NEGATIVE_QUANTITY)]


def test_absolute_above_int32_max_is_refused(item, location):
    stock(item, location, 5)

    error = refused(Kind.ABSOLUTE, line(item, location, MAX_QUANTITY + 1))

    assert errors_of(error) == [(0, "quantity", ErrorCode.QUANTITY_OUT_OF_RANGE)]
    assert MAX_QUANTITY == 2_147_483_647


# --- relative ----------------------------------------------------------------------------------


def test_relative_adds_signed_quantity(item, location):
    stock(item, location, 10)

    apply(Kind.RELATIVE, line(item, location, 5))
    apply(Kind.RELATIVE, line(item, location, -12))

    assert on_hand(item, location) == 3
    assert ledger(item, location) == [(0, 10, 10), (10, 15, 5), (15, 3, -12)]


def test_relative_may_take_on_hand_down_to_exactly_zero(item, location):
    stock(item, location, 4)

    apply(Kind.RELATIVE, line(item, location, -4))

    assert on_hand(item, location) == 0


def test_relative_below_zero_is_refused_as_insufficient_stock(item, location):
    stock(item, location, 4)

    error = refused(Kind.RELATIVE, line(item, location, -5))

    assert errors_of(error) == [(0, "quantity", ErrorCode.INSUFFICIENT_STOCK)]
    assert f"sku {item.sku} at location {location.pk}" in error.errors[0].message
    assert on_hand(item, location) == 4


def test_relative_decrease_below_safety_stock_is_refused(item, location):
    stock(item, location, 10, safety_stock=4)

    error = refused(Kind.RELATIVE, line(item, location, -7))

    assert errors_of(error) == [(0, "quantity", ErrorCode.INSUFFICIENT_STOCK)]
    assert "safety stock 4" in error.message


def test_relative_decrease_down_to_exactly_safety_stock_is_allowed(item, location):
    stock(item, location, 10, safety_stock=4)

    apply(Kind.RELATIVE, line(item, location, -6))

    assert on_hand(item, location) == 4


def test_absolute_may_set_on_hand_below_safety_stock(item, location):
    stock(item, location, 10, safety_stock=4)

    apply(Kind.ABSOLUTE, line(item, location, 1))

    assert on_hand(item, location) == 1


def test_relative_increase_is_never_refused_by_safety_stock(item, location):
    stock(item, location, 2, safety_stock=5)

    apply(Kind.RELATIVE, line(item, location, 1))

    assert on_hand(item, location) == 3


def test_location_allowing_negative_stock_lets_relative_go_negative(item):
    location = LocationFactory(allow_negative_stock=True)
    stock(item, location, 2)

    apply(Kind.RELATIVE, line(item, location, -5))

    assert on_hand(item, location) == -3
    assert ledger(item, location)[-1] == (2, -3, -5)


def test_relative_beyond_int32_max_is_refused(item, location):
    stock(item, location, MAX_QUANTITY - 1)

    error = refused(Kind.RELATIVE, line(item, location, 2))

    assert errors_of(error) == [(0, "quantity", ErrorCode.QUANTITY_OUT_OF_RANGE)]


def test_a_change_too_large_for_one_ledger_line_is_refused(item):
    # Found by the state machine: from far below zero straight to a count, the ledger line's
    # delta did not fit its column (on PostgreSQL a 500, "integer out of range").
    location = LocationFactory(allow_negative_stock=True)
    apply(Kind.RELATIVE, line(item, location, -MAX_QUANTITY))

    error = refused(Kind.ABSOLUTE, line(item, location, 6))

    assert errors_of(error) == [(0, "quantity", ErrorCode.QUANTITY_OUT_OF_RANGE)]
    assert "in one adjustment" in error.errors[0].message


def test_the_same_change_in_two_steps_is_applied(item):
    location = LocationFactory(allow_negative_stock=True)
    apply(Kind.RELATIVE, line(item, location, -MAX_QUANTITY))

    apply(Kind.ABSOLUTE, line(item, location, 0))
    apply(Kind.ABSOLUTE, line(item, location, 6))

    assert on_hand(item, location) == 6
    assert ledger(item, location)[-2:] == [(-MAX_QUANTITY, 0, MAX_QUANTITY), (0, 6, 6)]


# --- transfer ----------------------------------------------------------------------------------


def test_transfer_moves_stock_in_one_adjustment_with_two_ledger_lines(
    item, location, other_location
):
    stock(item, location, 10)
    stock(item, other_location, 1)

    adjustment = apply(Kind.TRANSFER, line(item, location, 4, to_location_id=other_location.pk))

    assert (on_hand(item, location), on_hand(item, other_location)) == (6, 5)
    assert adjustment.kind == Kind.TRANSFER
    assert sorted(
        adjustment.lines.values_list("location_id", "quantity_before", "quantity_after", "delta")
    ) == sorted([(location.pk, 10, 6, -4), (other_location.pk, 1, 5, 4)])


def test_transfer_creates_the_destination_balance(item, location, other_location):
    stock(item, location, 3)

    apply(Kind.TRANSFER, line(item, location, 3, to_location_id=other_location.pk))

    assert (on_hand(item, location), on_hand(item, other_location)) == (0, 3)


@pytest.mark.parametrize("quantity", [0, -2])
def test_transfer_of_non_positive_quantity_is_refused(item, location, other_location, quantity):
    stock(item, location, 10)

    error = refused(Kind.TRANSFER, line(item, location, quantity, to_location_id=other_location.pk))

    assert errors_of(error) == [(0, "quantity", ErrorCode.NON_POSITIVE_QUANTITY)]


def test_transfer_to_the_same_location_is_refused(item, location):
    stock(item, location, 10)

    error = refused(Kind.TRANSFER, line(item, location, 1, to_location_id=location.pk))

    assert errors_of(error) == [(0, "to_location_id", ErrorCode.SAME_LOCATION)]


def test_transfer_without_destination_is_refused(item, location):
    stock(item, location, 10)

    error = refused(Kind.TRANSFER, line(item, location, 1))

    assert errors_of(error) == [(0, "to_location_id", ErrorCode.UNKNOWN_LOCATION)]


def test_transfer_of_more_than_the_source_holds_is_refused(item, location, other_location):
    stock(item, location, 3)
    stock(item, other_location, 7)

    error = refused(Kind.TRANSFER, line(item, location, 4, to_location_id=other_location.pk))

    assert errors_of(error) == [(0, "quantity", ErrorCode.INSUFFICIENT_STOCK)]
    assert (on_hand(item, location), on_hand(item, other_location)) == (3, 7)


def test_transfer_to_a_disabled_location_is_refused(item, location):
    disabled = LocationFactory(enabled=False)
    stock(item, location, 3)

    error = refused(Kind.TRANSFER, line(item, location, 1, to_location_id=disabled.pk))

    assert errors_of(error) == [(0, "to_location_id", ErrorCode.LOCATION_DISABLED)]


# --- items and locations -----------------------------------------------------------------------


def test_unknown_item_is_refused_naming_the_identity(location):
    error = refused(Kind.RELATIVE, LineInput(location_id=location.pk, sku="NO-SUCH", quantity=1))

    assert errors_of(error) == [(0, "sku", ErrorCode.UNKNOWN_ITEM)]
    assert error.errors[0].message == "Item with sku NO-SUCH does not exist."


def test_unknown_location_is_refused(item):
    missing = LocationFactory()
    missing_id = missing.pk
    missing.delete()

    error = refused(Kind.ABSOLUTE, LineInput(location_id=missing_id, sku=item.sku, quantity=1))

    assert errors_of(error) == [(0, "location_id", ErrorCode.UNKNOWN_LOCATION)]
    assert error.errors[0].message == f"sku {item.sku}: location {missing_id} does not exist."


def test_disabled_location_is_refused(item):
    disabled = LocationFactory(enabled=False)

    error = refused(Kind.ABSOLUTE, line(item, disabled, 1))

    assert errors_of(error) == [(0, "location_id", ErrorCode.LOCATION_DISABLED)]


def test_variant_id_of_item_tracked_by_product_is_refused_with_bigcommerce_message(location):
    item = ItemFactory(tracking=Item.Tracking.PRODUCT, variant_id=106)

    error = refused(Kind.ABSOLUTE, LineInput(location_id=location.pk, variant_id=106, quantity=1))

    assert errors_of(error) == [(0, "variant_id", ErrorCode.WRONG_IDENTIFIER)]
    assert error.errors[0].message == (
        "Item with variant_id 106 is tracked by product, please update stock by product id"
    )
    assert on_hand(item, location) is None


def test_product_id_of_product_tracked_by_variant_is_refused(item, location):
    error = refused(
        Kind.ABSOLUTE, LineInput(location_id=location.pk, product_id=item.product_id, quantity=1)
    )

    assert errors_of(error) == [(0, "product_id", ErrorCode.WRONG_IDENTIFIER)]


def test_product_id_resolves_item_tracked_by_product(location):
    item = ItemFactory(tracking=Item.Tracking.PRODUCT, variant_id=None)

    apply(Kind.ABSOLUTE, LineInput(location_id=location.pk, product_id=item.product_id, quantity=7))

    assert on_hand(item, location) == 7


@pytest.mark.parametrize("identity", ["sku", "variant_id", "item_id"])
def test_sku_variant_id_and_item_id_resolve_the_item(item, location, identity):
    value = item.pk if identity == "item_id" else getattr(item, identity)

    apply(Kind.ABSOLUTE, LineInput(location_id=location.pk, quantity=7, **{identity: value}))

    assert on_hand(item, location) == 7


def test_line_without_identity_is_refused(location):
    error = refused(Kind.ABSOLUTE, LineInput(location_id=location.pk, quantity=1))

    assert errors_of(error) == [(0, "sku", ErrorCode.MISSING_IDENTITY)]


def test_line_naming_its_item_twice_applies_when_the_names_agree(item, location):
    # BigCommerce's own example sends sku and variant_id together.
    apply(
        Kind.ABSOLUTE,
        LineInput(location_id=location.pk, sku=item.sku, variant_id=item.variant_id, quantity=4),
    )

    assert on_hand(item, location) == 4


def test_line_naming_two_different_items_is_refused(item, location):
    other = ItemFactory()

    error = refused(
        Kind.ABSOLUTE,
        LineInput(location_id=location.pk, sku=item.sku, variant_id=other.variant_id, quantity=1),
    )

    assert errors_of(error) == [(0, "sku", ErrorCode.AMBIGUOUS_IDENTITY)]
    assert "name different items" in error.message


def test_a_line_whose_item_changed_before_the_lock_is_refused_as_stale(
    item, location, monkeypatch, full_path
):
    """A rename racing the batch, between the lookup and the lock of its one round trip,
    leaves the line's balance unlocked (simulated here): nothing is written, and the refusal
    is a conflict that is safe to retry."""
    stock(item, location, 5)
    lock = resolve.lock_named_balances

    def lock_without_the_balance(*args, **kwargs):
        found, _ = lock(*args, **kwargs)
        return found, {}

    monkeypatch.setattr(resolve, "lock_named_balances", lock_without_the_balance)

    error = refused(Kind.RELATIVE, line(item, location, -1), expected=StaleBalances)

    assert errors_of(error) == [(0, "sku", ErrorCode.IDENTITY_CHANGED)]
    assert on_hand(item, location) == 5


# --- batches -----------------------------------------------------------------------------------


def test_same_balance_twice_in_one_batch_is_refused(item, location):
    stock(item, location, 5)

    error = refused(Kind.RELATIVE, line(item, location, 1), line(item, location, 2))

    assert errors_of(error) == [(1, "sku", ErrorCode.DUPLICATE_LINE)]
    assert "already changed by line 0" in error.message


def test_two_identities_of_the_same_item_in_one_batch_are_duplicates(item, location):
    error = refused(
        Kind.ABSOLUTE,
        LineInput(location_id=location.pk, sku=item.sku, quantity=1),
        LineInput(location_id=location.pk, variant_id=item.variant_id, quantity=2),
    )

    # The error points at the field the line used, so an API can answer items.1.variant_id.
    assert errors_of(error) == [(1, "variant_id", ErrorCode.DUPLICATE_LINE)]


def test_same_item_at_two_locations_is_not_a_duplicate(item, location, other_location):
    apply(Kind.ABSOLUTE, line(item, location, 1), line(item, other_location, 2))

    assert (on_hand(item, location), on_hand(item, other_location)) == (1, 2)


def test_transfers_touching_the_same_balance_are_duplicates(item, location, other_location):
    third = LocationFactory()
    stock(item, location, 10)
    stock(item, other_location, 10)

    # Line 1's source is line 0's destination.
    error = refused(
        Kind.TRANSFER,
        line(item, location, 1, to_location_id=other_location.pk),
        line(item, other_location, 1, to_location_id=third.pk),
    )

    assert errors_of(error) == [(1, "sku", ErrorCode.DUPLICATE_LINE)]


def test_more_than_2000_lines_are_refused(item, location):
    lines = [line(item, location, 1)] * (MAX_BATCH_LINES + 1)

    error = refused(Kind.ABSOLUTE, *lines)

    assert errors_of(error) == [(None, "items", ErrorCode.TOO_MANY_LINES)]
    assert MAX_BATCH_LINES == 2000


def test_empty_batch_is_refused(db):
    error = refused(Kind.ABSOLUTE)

    assert errors_of(error) == [(None, "items", ErrorCode.EMPTY_BATCH)]


def test_one_failing_line_refuses_the_batch_and_every_failing_line_is_reported(location):
    fine, also_fine, short = ItemFactory(), ItemFactory(), ItemFactory()
    stock(fine, location, 1)
    stock(also_fine, location, 1)
    stock(short, location, 2)

    error = refused(
        Kind.RELATIVE,
        line(fine, location, 1),
        LineInput(location_id=location.pk, sku="NO-SUCH", quantity=1),
        line(also_fine, location, 1),
        line(short, location, -5),
    )

    assert errors_of(error) == [
        (1, "sku", ErrorCode.UNKNOWN_ITEM),
        (3, "quantity", ErrorCode.INSUFFICIENT_STOCK),
    ]
    assert (on_hand(fine, location), on_hand(also_fine, location)) == (1, 1)


def test_refused_batch_creates_no_balance_row(location):
    stocked, never_stocked = ItemFactory(), ItemFactory()
    stock(stocked, location, 1)

    refused(Kind.RELATIVE, line(never_stocked, location, 5), line(stocked, location, -2))

    assert on_hand(never_stocked, location) is None


def test_settings_kind_is_not_applied(item, location):
    before = snapshot()

    with pytest.raises(ValueError, match="does not apply"):
        apply(Kind.SETTINGS, line(item, location, 1))

    assert snapshot() == before


# --- expected_quantity -------------------------------------------------------------------------


def test_matching_expected_quantity_applies(item, location):
    stock(item, location, 5)

    apply(Kind.ABSOLUTE, line(item, location, 9, expected_quantity=5))

    assert on_hand(item, location) == 9


def test_stale_expected_quantity_is_a_conflict_listing_the_stale_lines(location):
    first, second, third = ItemFactory(), ItemFactory(), ItemFactory()
    for item in (first, second, third):
        stock(item, location, 5)

    error = refused(
        Kind.ABSOLUTE,
        line(first, location, 1, expected_quantity=4),
        line(second, location, 1, expected_quantity=5),
        line(third, location, 1, expected_quantity=6),
        expected=StaleBalances,
    )

    assert errors_of(error) == [
        (0, "expected_quantity", ErrorCode.STALE_QUANTITY),
        (2, "expected_quantity", ErrorCode.STALE_QUANTITY),
    ]
    assert error.code == ErrorCode.STALE_QUANTITY
    assert "on-hand is 5, not the expected 4" in error.errors[0].message


def test_stale_transfer_is_compared_at_the_source(item, location, other_location):
    stock(item, location, 5)
    stock(item, other_location, 8)

    error = refused(
        Kind.TRANSFER,
        line(item, location, 1, to_location_id=other_location.pk, expected_quantity=8),
        expected=StaleBalances,
    )

    assert errors_of(error) == [(0, "expected_quantity", ErrorCode.STALE_QUANTITY)]


def test_stale_line_with_a_broken_rule_is_rejected_not_stale(location):
    stale, short = ItemFactory(), ItemFactory()
    stock(stale, location, 5)
    stock(short, location, 1)

    error = refused(
        Kind.RELATIVE,
        line(stale, location, 1, expected_quantity=4),
        line(short, location, -2),
    )

    assert type(error) is AdjustmentRejected
    assert errors_of(error) == [
        (0, "expected_quantity", ErrorCode.STALE_QUANTITY),
        (1, "quantity", ErrorCode.INSUFFICIENT_STOCK),
    ]


# --- idempotency -------------------------------------------------------------------------------


def test_same_key_and_lines_replays_the_original_adjustment(item, location):
    user = UserFactory()
    stock(item, location, 10)
    first = apply(Kind.RELATIVE, line(item, location, 5), actor=user, idempotency_key="k-1")
    after_first = (snapshot(), IdempotencyRecord.objects.count())

    again = apply(Kind.RELATIVE, line(item, location, 5), actor=user, idempotency_key="k-1")

    assert (again.pk, again.transaction_id) == (first.pk, first.transaction_id)
    assert (first.replayed, again.replayed) == (False, True)
    assert on_hand(item, location) == 15
    assert (snapshot(), IdempotencyRecord.objects.count()) == after_first


def test_same_key_with_different_lines_is_refused(item, location):
    user = UserFactory()
    stock(item, location, 10)
    apply(Kind.RELATIVE, line(item, location, 5), actor=user, idempotency_key="k-1")

    error = refused(
        Kind.RELATIVE,
        line(item, location, 6),
        actor=user,
        idempotency_key="k-1",
        expected=IdempotencyKeyReused,
    )

    assert error.code == ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert on_hand(item, location) == 15


def test_a_keyed_write_is_fingerprinted_by_the_one_fingerprint(item, location, monkeypatch):
    made = []
    one_fingerprint = idempotency.fingerprint

    def recorded(*parts):
        made.append(one_fingerprint(*parts))
        return made[-1]

    monkeypatch.setattr(idempotency, "fingerprint", recorded)

    apply(Kind.RELATIVE, line(item, location, 5), actor=UserFactory(), idempotency_key="k-1")

    assert IdempotencyRecord.objects.get().fingerprint in made


def test_same_key_from_another_actor_is_another_request(item, location):
    stock(item, location, 10)
    first = apply(Kind.RELATIVE, line(item, location, 5), actor=UserFactory(), idempotency_key="k")

    second = apply(Kind.RELATIVE, line(item, location, 5), actor=UserFactory(), idempotency_key="k")

    assert second.pk != first.pk
    assert second.replayed is False
    assert on_hand(item, location) == 20


def test_refused_request_does_not_use_up_its_key(item, location):
    user = UserFactory()
    stock(item, location, 1)
    refused(Kind.RELATIVE, line(item, location, -2), actor=user, idempotency_key="k")
    stock(item, location, 2)

    adjustment = apply(Kind.RELATIVE, line(item, location, -2), actor=user, idempotency_key="k")

    assert adjustment.replayed is False
    assert on_hand(item, location) == 0


# --- balances and the ledger -------------------------------------------------------------------


def test_relative_write_creates_a_missing_balance_row(item, location):
    assert on_hand(item, location) is None

    apply(Kind.RELATIVE, line(item, location, 3))

    assert on_hand(item, location) == 3
    assert ledger(item, location) == [(0, 3, 3)]


def test_new_balance_row_has_default_settings(item, location):
    apply(Kind.RELATIVE, line(item, location, 3))

    balance = Balance.objects.get(item=item, location=location)
    assert (balance.safety_stock, balance.warning_level, balance.is_in_stock) == (
        0,
        0,
        True,
    )  # BigCommerce: in stock by default
    assert balance.bin_picking_number == ""


def test_ledger_lines_chain_and_end_at_the_balance(item, location, other_location):
    apply(Kind.RELATIVE, line(item, location, 3))
    apply(Kind.ABSOLUTE, line(item, location, 10))
    apply(Kind.TRANSFER, line(item, location, 4, to_location_id=other_location.pk))
    apply(Kind.RELATIVE, line(item, location, -6))

    lines = ledger(item, location)

    assert lines == [(0, 3, 3), (3, 10, 7), (10, 6, -4), (6, 0, -6)]
    assert all(later[0] == earlier[1] for earlier, later in pairwise(lines))
    assert lines[-1][1] == on_hand(item, location)
    assert ledger(item, other_location) == [(0, 4, 4)]


def test_adjustment_records_who_what_why_and_when(item, location):
    user = UserFactory()
    start = timezone.now()

    adjustment = apply(
        Kind.RELATIVE,
        line(item, location, 2),
        reason="Found behind the shelf",
        source=Source.ADMIN,
        actor=user,
    )

    stored = Adjustment.objects.get(pk=adjustment.pk)
    assert (stored.kind, stored.reason, stored.source, stored.actor) == (
        Kind.RELATIVE,
        "Found behind the shelf",
        Source.ADMIN,
        user,
    )
    assert isinstance(stored.transaction_id, UUID)
    assert start <= stored.created_at <= timezone.now()
    assert stored.api_client is None


def test_transaction_ids_are_time_ordered_version_7_uuids(item, location, monkeypatch):
    """Each new id sorts after the ones before it (so the unique index takes it on its newest
    page), from one millisecond to the next, and the single statement and the full path both
    store the model's id."""
    stock(item, location, 5)
    clock = iter(range(1_700_000_000_000_000_000, 1_800_000_000_000_000_000, 1_000_000))
    monkeypatch.setattr("inventory.models.ledger.time_ns", lambda: next(clock))

    made = [
        apply(Kind.RELATIVE, line(item, location, 1)),  # the single statement, on PostgreSQL
        apply(Kind.RELATIVE, line(item, location, -1), idempotency_key="k"),  # the full path
        apply(Kind.ABSOLUTE, line(item, location, 9)),
    ]

    stored = list(Adjustment.objects.filter(pk__in=[a.pk for a in made]).order_by("pk"))
    assert [a.transaction_id for a in stored] == [a.transaction_id for a in made]
    assert all(a.transaction_id.version == 7 for a in stored)
    ids = [a.transaction_id for a in stored]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    assert ids[0].int >> 80 == 1_700_000_000_000  # the clock's milliseconds lead the id


def test_the_short_id_shown_in_lists_is_the_random_end_of_the_id(item, location):
    """Adjustments made within a minute share their ids' leading (time) digits, so lists show
    the last ones."""
    stock(item, location, 5)

    first, second = (apply(Kind.RELATIVE, line(item, location, 1)) for _ in range(2))

    assert first.short_id == first.transaction_id.hex[-8:]
    assert first.short_id != second.short_id


def test_ledger_lines_carry_the_adjustments_created_at(item, location, other_location):
    stock(item, location, 5)

    adjustment = apply(Kind.TRANSFER, line(item, location, 2, to_location_id=other_location.pk))

    stored = Adjustment.objects.get(pk=adjustment.pk)
    assert list(stored.lines.values_list("created_at", flat=True)) == [stored.created_at] * 2
    assert stored.created_at == adjustment.created_at


def test_idempotency_keys_of_two_api_clients_never_meet(item, location):
    first_client = ApiClient.objects.create(name="shop", token_prefix="a", token_hash="x")
    second_client = ApiClient.objects.create(name="pos", token_prefix="b", token_hash="y")

    first = apply(
        Kind.RELATIVE, line(item, location, 5), api_client=first_client, idempotency_key="k"
    )
    second = apply(
        Kind.RELATIVE, line(item, location, 5), api_client=second_client, idempotency_key="k"
    )
    replay = apply(
        Kind.RELATIVE, line(item, location, 5), api_client=first_client, idempotency_key="k"
    )

    assert first.pk != second.pk
    assert (first.api_client, second.api_client) == (first_client, second_client)
    assert replay.pk == first.pk
    assert replay.replayed is True
    assert Balance.objects.get(item=item, location=location).quantity == 10
