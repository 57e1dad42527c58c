"""The single-statement write (PostgreSQL): it takes the batches the rules plainly accept, in one
statement, and must do exactly what the full path would, or nothing at all.

The property test runs random batches on random stock both ways, each in a savepoint rolled
back afterwards, and compares everything a write leaves behind."""

import json
from collections import Counter
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.errors import AdjustmentRejected, ErrorCode, InventoryError
from inventory.models import (
    MAX_QUANTITY,
    Adjustment,
    AdjustmentLine,
    Balance,
    Item,
    LowStockAlert,
    WebhookEndpoint,
    WebhookEvent,
    WebhookScope,
)
from inventory.stock import LineInput, apply_adjustment, fast_path
from tests.concurrency import quantity_seen_by_another_connection
from tests.factories import ItemFactory, LocationFactory

pytestmark = [pytest.mark.postgres]

Kind = Adjustment.Kind
IDENTITIES = ("sku", "variant_id", "product_id", "item_id")


def write(kind, lines, **options) -> Adjustment:
    return apply_adjustment(kind=kind, lines=lines, source=Adjustment.Source.API, **options)


def unsaved(kind) -> Adjustment:
    return Adjustment(kind=kind, source=Adjustment.Source.API, created_at=timezone.now())


def line(item, location, quantity=None, **fields) -> LineInput:
    fields.setdefault("quantity", quantity)
    return LineInput(location_id=location.pk, sku=item.sku, **fields)


@pytest.mark.django_db(transaction=True)
def test_a_plain_write_outside_a_transaction_is_one_statement_and_is_committed():
    item, location = ItemFactory(), LocationFactory()
    write(Kind.ABSOLUTE, [line(item, location, 10)])  # creates the balance: the full path

    with CaptureQueriesContext(connection) as queries:
        adjustment = write(Kind.RELATIVE, [line(item, location, -3)], reason="sale")

    assert len(queries) == 1
    # In autocommit: the statement is its own transaction, with no BEGIN nor COMMIT to send.
    assert connection.get_autocommit()
    assert quantity_seen_by_another_connection(item, location) == 7
    stored = Adjustment.objects.get(pk=adjustment.pk)
    assert (stored.kind, stored.reason, stored.transaction_id) == (
        Kind.RELATIVE,
        "sale",
        adjustment.transaction_id,
    )
    assert stored.created_at == adjustment.created_at
    assert list(
        AdjustmentLine.objects.filter(adjustment=adjustment).values_list(
            "item_id", "location_id", "quantity_before", "quantity_after", "delta"
        )
    ) == [(item.pk, location.pk, 10, 7, -3)]
    assert adjustment.replayed is False


@pytest.mark.django_db
def test_a_batch_it_refuses_leaves_nothing_behind():
    """Called directly: one line would oversell, so the whole statement writes nothing."""
    items, location = [ItemFactory(), ItemFactory()], LocationFactory()
    endpoint = WebhookEndpoint.objects.create(
        name="Partner", url="https://partner.example.com/hooks", events=[WebhookScope.STOCK_CHANGED]
    )
    write(Kind.ABSOLUTE, [line(item, location, 5) for item in items])
    before = (
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
        WebhookEvent.objects.filter(endpoint=endpoint).count(),
    )

    applied = fast_path.apply(
        unsaved(Kind.RELATIVE), [line(items[0], location, 2), line(items[1], location, -6)]
    )

    assert applied is False
    assert list(Balance.objects.order_by("item_id").values_list("quantity", flat=True)) == [5, 5]
    after = (
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
        WebhookEvent.objects.filter(endpoint=endpoint).count(),
    )
    assert after == before


@pytest.mark.django_db
def test_it_records_an_event_per_moved_balance_for_subscribers():
    items, location = [ItemFactory(), ItemFactory()], LocationFactory()
    write(Kind.ABSOLUTE, [line(item, location, 5) for item in items])
    endpoint = WebhookEndpoint.objects.create(
        name="Partner", url="https://partner.example.com/hooks", events=[WebhookScope.STOCK_CHANGED]
    )

    with CaptureQueriesContext(connection) as queries:
        write(Kind.ABSOLUTE, [line(items[0], location, 9), line(items[1], location, 5)])

    assert len(queries) == 1  # inside the test's transaction: still the one statement
    [event] = WebhookEvent.objects.filter(endpoint=endpoint)
    assert (event.scope, event.data) == (
        WebhookScope.STOCK_CHANGED,
        {
            "variant_id": items[0].variant_id,
            "product_id": items[0].product_id,
            "location_id": location.pk,
        },
    )


@contextmanager
def offers_recorded():
    """Within the block, what each offer to the single statement returned (True: it applied
    the batch), in order; `fast_path.apply` is itself again afterwards."""
    original = fast_path.apply
    offered = []

    def spy(adjustment, lines):
        applied = original(adjustment, lines)
        offered.append(applied)
        return applied

    fast_path.apply = spy
    try:
        yield offered
    finally:
        fast_path.apply = original


@pytest.mark.django_db
def test_it_leaves_to_the_full_path_what_it_cannot_do_alone():
    """A missing balance, an alert level crossed, an idempotency key: the full path's."""
    item, location = ItemFactory(), LocationFactory()

    with offers_recorded() as offered:
        write(Kind.RELATIVE, [line(item, location, 5)])  # no balance yet
        write(Kind.RELATIVE, [line(item, location, 1)])  # plain
        write(Kind.RELATIVE, [line(item, location, -6)])  # out of stock: opens an alert
        write(Kind.RELATIVE, [line(item, location, 1)], idempotency_key="k1")

    assert offered == [False, True, False]  # the keyed write is not offered
    assert Balance.objects.get(item=item, location=location).quantity == 1
    assert LowStockAlert.objects.filter(closed_at__isnull=True).count() == 0  # closed again


REFUSED = {
    # name: (balance settings, location settings, kind, line fields)
    "below the safety stock": (
        {"quantity": 5, "safety_stock": 3},
        {},
        Kind.RELATIVE,
        {"quantity": -3},
    ),
    "below zero": ({"quantity": -1}, {}, Kind.RELATIVE, {"quantity": -1}),
    "beyond the limit": ({"quantity": 1}, {}, Kind.RELATIVE, {"quantity": MAX_QUANTITY}),
    "an absolute below zero": ({"quantity": 0}, {}, Kind.ABSOLUTE, {"quantity": -1}),
    "to the warning level": (
        {"quantity": 5, "warning_level": 4},
        {},
        Kind.RELATIVE,
        {"quantity": -2},
    ),
    "to zero": ({"quantity": 5}, {}, Kind.ABSOLUTE, {"quantity": 0}),
    "back above zero": ({"quantity": 0}, {}, Kind.RELATIVE, {"quantity": 1}),
    "a stale expected quantity": (
        {"quantity": 5},
        {},
        Kind.RELATIVE,
        {"quantity": 1, "expected_quantity": 4},
    ),
    "a disabled location": ({"quantity": 5}, {"enabled": False}, Kind.RELATIVE, {"quantity": 1}),
    "no balance yet": (None, {}, Kind.RELATIVE, {"quantity": 1}),
    "an item by a variant_id it is not tracked by": (
        {"quantity": 5},
        {},
        Kind.RELATIVE,
        {"quantity": 1, "sku": None, "variant_id": "tracked by product"},
    ),
    "two ways to name the item": (
        {"quantity": 5},
        {},
        Kind.RELATIVE,
        {"quantity": 1, "item_id": "its id"},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSED)
def test_it_writes_nothing_when_a_rule_would_refuse_or_needs_the_full_path(case):
    balance_settings, location_settings, kind, fields = REFUSED[case]
    location = LocationFactory(**location_settings)
    item = ItemFactory(tracking=Item.Tracking.PRODUCT)
    if balance_settings is not None:
        Balance.objects.create(item=item, location=location, **balance_settings)
    fields = {
        name: {"tracked by product": item.variant_id, "its id": item.pk}.get(value, value)
        for name, value in fields.items()
    }
    before = list(Balance.objects.values_list("id", "quantity"))

    applied = fast_path.apply(
        unsaved(kind), [LineInput(location_id=location.pk, **{"sku": item.sku, **fields})]
    )

    assert applied is False
    assert list(Balance.objects.values_list("id", "quantity")) == before
    assert not Adjustment.objects.exists()


@pytest.mark.django_db
def test_a_location_that_allows_negative_stock_may_go_further_below_zero():
    location = LocationFactory(allow_negative_stock=True)
    item = ItemFactory()
    Balance.objects.create(item=item, location=location, quantity=-1)

    with CaptureQueriesContext(connection) as queries:
        write(Kind.RELATIVE, [line(item, location, -2)])

    assert len(queries) == 1
    assert Balance.objects.get().quantity == -3


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["quantity", "expected_quantity"])
def test_a_number_too_large_for_the_database_is_refused_not_crashed(field):
    """Callers other than the API (forms, imports) may pass any int: the full path refuses it."""
    item, location = ItemFactory(), LocationFactory()
    write(Kind.ABSOLUTE, [line(item, location, 5)])
    fields = {"quantity": 1, field: 10**20}

    with pytest.raises(AdjustmentRejected) as refused:
        write(Kind.RELATIVE, [line(item, location, **fields)])

    assert [error.code for error in refused.value.errors] == [ErrorCode.QUANTITY_OUT_OF_RANGE]
    assert Balance.objects.get().quantity == 5


# --- both paths agree --------------------------------------------------------------------

# Drawn to be plausible: mostly balances that exist, lines that name them at enabled locations,
# quantities around the rules' edges (zero, the safety stock, the warning level, the limit).
stock = st.fixed_dictionaries(
    {
        "quantity": st.integers(0, 9),
        "safety_stock": st.integers(0, 4),
        "warning_level": st.sampled_from([0] * 4 + [3, 6]),
    }
)
EXTREMES = [MAX_QUANTITY, -MAX_QUANTITY, MAX_QUANTITY + 1]
quantities = st.tuples(st.integers(-8, 12), st.integers(0, 9)).map(
    lambda drawn: EXTREMES[drawn[0] % 3] if drawn[1] == 0 else drawn[0]  # 1 in 10: the limit
)
batch_lines = st.lists(
    st.fixed_dictionaries(
        {
            "item": st.sampled_from([0, 1, 2] * 4 + [3]),  # 3: an item that does not exist
            "location": st.sampled_from([0, 1] * 4 + [2]),  # 2: disabled
            "quantity": quantities,
            "expected": st.sampled_from([None] * 6 + [0, 1]),  # on-hand + this
        }
    ),
    min_size=1,
    max_size=3,
)
outcomes = Counter()


@pytest.mark.django_db
def test_the_single_statement_and_the_full_path_agree():
    outcomes.clear()

    both_paths_agree()

    # The batches drawn exercised the statement: some it applied, some it left to the full
    # path, which then applied them or refused them.
    assert outcomes["single statement"] >= 30, outcomes
    assert outcomes["full path applied"] >= 30, outcomes
    assert outcomes["refused"] >= 30, outcomes


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    balances=st.lists(
        st.tuples(stock, st.integers(0, 9)).map(lambda drawn: drawn[0] if drawn[1] else None),
        min_size=9,
        max_size=9,
    ),
    # Mostly tracked the way the batch names them (product_id names product-tracked items).
    mistracked=st.lists(st.sampled_from([False] * 9 + [True]), min_size=3, max_size=3),
    negative_allowed=st.booleans(),
    kind=st.sampled_from([Kind.ABSOLUTE, Kind.STOCKTAKE, Kind.RELATIVE]),
    identity=st.sampled_from(IDENTITIES),
    lines=batch_lines,
)
def both_paths_agree(balances, mistracked, negative_allowed, kind, identity, lines):
    with transaction.atomic():
        items = [
            ItemFactory(
                tracking=Item.Tracking.PRODUCT
                if (identity == "product_id") != wrong
                else Item.Tracking.VARIANT
            )
            for wrong in mistracked
        ]
        locations = [
            LocationFactory(allow_negative_stock=negative_allowed),
            LocationFactory(),
            LocationFactory(enabled=False),
        ]
        for n, settings_ in enumerate(balances):
            if settings_ is not None:
                Balance.objects.create(item=items[n % 3], location=locations[n // 3], **settings_)
        WebhookEndpoint.objects.create(
            name="All",
            url="https://partner.example.com/hooks",
            events=[scope.value for scope in WebhookScope],
        )
        batch = [_line(kind, items, locations, identity, **fields) for fields in lines]

        with offers_recorded() as taken:
            offered_first = _outcome(kind, batch)
            fast_path.apply = lambda *_: False
            full_path_only = _outcome(kind, batch)

        assert offered_first == full_path_only
        if offered_first[0] == "refused":
            outcomes["refused"] += 1
        else:
            outcomes["single statement" if taken == [True] else "full path applied"] += 1
        transaction.set_rollback(True)


def _line(kind, items, locations, identity, *, item, location, quantity, expected) -> LineInput:
    if item < len(items):
        value = {
            "sku": items[item].sku,
            "variant_id": items[item].variant_id,
            "product_id": items[item].product_id,
            "item_id": items[item].pk,
        }[identity]
        balance = Balance.objects.filter(item=items[item], location=locations[location]).first()
    else:
        value = "NO-SUCH-SKU" if identity == "sku" else 987_654_321
        balance = None
    on_hand = balance.quantity if balance else 0
    if kind != Kind.RELATIVE and -MAX_QUANTITY < quantity < -1:
        quantity = -quantity  # on-hand is set to a positive number, and now and then to -1
    return LineInput(
        location_id=locations[location].pk,
        quantity=quantity,
        expected_quantity=None if expected is None else on_hand + expected,
        **{identity: value},
    )


def _outcome(kind, batch):
    """Everything the write leaves behind (or its refusal), in a savepoint rolled back after."""
    with transaction.atomic():
        try:
            adjustment = write(kind, batch)
        except InventoryError as error:
            result = ("refused", type(error).__name__, getattr(error, "errors", error.message))
        else:
            result = (
                "applied",
                list(
                    AdjustmentLine.objects.filter(adjustment=adjustment)
                    .order_by("id")
                    .values_list("item_id", "location_id", "quantity_before", "quantity_after")
                ),
                sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
                sorted(
                    LowStockAlert.objects.filter(closed_at__isnull=True).values_list(
                        "balance_id", "kind"
                    )
                ),
                sorted(
                    (scope, json.dumps(data, sort_keys=True))
                    for scope, data in WebhookEvent.objects.values_list("scope", "data")
                ),
            )
        transaction.set_rollback(True)
    return result
