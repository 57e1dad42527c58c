"""The history `manage.py seed_demo` writes: 75 days from several sources, through the write
path, ending with something for the dashboard and the alerts to show. One seed serves every test
here (they only read it)."""

from datetime import time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from inventory.management.demo.calendar import HISTORY_DAYS
from inventory.management.demo.story import RAISED_WARNING_LEVEL
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    Balance,
    Item,
    LowStockAlert,
    Stocktake,
    SupplierReceipt,
    TransferOrder,
)
from inventory.movements.selectors import named_quantities
from inventory.reports.dashboard import BELOW_WARNING, OUT_OF_STOCK
from inventory.stock.audit import find_ledger_discrepancies
from locations.models import Location

pytestmark = pytest.mark.django_db

Kind = Adjustment.Kind
Source = Adjustment.Source


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module, inside a transaction rolled back after its last test (as
    TestCase.setUpTestData does): each test runs in a savepoint within it. Seeding takes a
    second or two, and nothing here writes."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            out = StringIO()
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)


def test_every_quantity_is_explained_by_the_ledger(seeded):
    assert find_ledger_discrepancies() == []
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().startswith("Ledger OK")


def test_history_spans_the_last_75_days_in_opening_hours(seeded):
    moments = list(AdjustmentLine.objects.order_by("id").values_list("created_at", flat=True))
    days = {timezone.localdate(moment) for moment in moments}
    today = timezone.localdate()
    assert len(days) == HISTORY_DAYS  # something happened on every day
    assert min(days) >= today - timedelta(days=HISTORY_DAYS)
    assert max(days) >= today - timedelta(days=1)
    assert max(moments) <= timezone.now()
    assert all(time(9) <= timezone.localtime(moment).time() <= time(18) for moment in moments)
    # Ledger ids and times agree (the charts group lines by id).
    assert moments == sorted(moments)


def test_new_demo_rows_are_dated_at_the_start_of_their_history(seeded):
    first_write = Adjustment.objects.aggregate(first=Min("created_at"))["first"]
    assert Item.objects.filter(created_at__gt=first_write).count() == 0
    assert Location.objects.get(code="DT").created_at <= first_write
    assert Location.objects.get(code="DT").created_at.date() < timezone.localdate()


def test_history_comes_from_several_sources_and_people(seeded):
    made = set(Adjustment.objects.values_list("kind", "source"))
    assert {
        (Kind.SETTINGS, Source.ADMIN),  # store setup, the raised warning level
        (Kind.ABSOLUTE, Source.SYSTEM),  # opening stock
        (Kind.RELATIVE, Source.API),  # sales
        (Kind.TRANSFER, Source.ADMIN),  # replenishment from the warehouse
        (Kind.RELATIVE, Source.IMPORT),  # supplier deliveries
        (Kind.RELATIVE, Source.ADMIN),  # write-offs
        (Kind.ABSOLUTE, Source.ADMIN),  # shelf count corrections
        (Kind.STOCKTAKE, Source.STOCKTAKE),
    } <= made
    actors = set(Adjustment.objects.values_list("actor__username", flat=True))
    assert {"manager", "staff"} <= actors
    clients = set(
        Adjustment.objects.filter(source=Source.API).values_list("api_client__name", flat=True)
    )
    assert clients == {"Point of sale (demo)", "Online store (demo)"}
    sales_per_day = Adjustment.objects.filter(source=Source.API).count() / HISTORY_DAYS
    assert sales_per_day >= 5
    moved = AdjustmentLine.objects.filter(adjustment__kind=Kind.TRANSFER)
    assert set(moved.filter(delta__lt=0).values_list("location__code", flat=True)) == {"WH"}
    assert set(moved.filter(delta__gt=0).values_list("location__code", flat=True)) == {
        "DT",
        "AP",
        "DEFAULT",
    }


def test_a_settings_change_raises_the_warning_level_of_best_sellers(seeded):
    raised = Adjustment.objects.get(
        kind=Kind.SETTINGS, reason__contains=f"warning level 5 → {RAISED_WARNING_LEVEL}"
    )
    assert raised.actor.username == "manager"
    lines = list(raised.lines.all())
    assert lines
    assert all(line.quantity_before == line.quantity_after for line in lines)
    later_setup = Adjustment.objects.filter(kind=Kind.SETTINGS, created_at__gt=raised.created_at)
    assert not later_setup.exists()
    assert set(
        Balance.objects.filter(location__code="DT", warning_level=RAISED_WARNING_LEVEL).values_list(
            "item_id", flat=True
        )
    ) == {line.item_id for line in lines}
    # It is in the history's last month, where the dashboard's activity chart looks.
    assert raised.created_at >= timezone.now() - timedelta(days=30)


def test_a_stocktake_is_counted_approved_and_applied_with_variances(seeded):
    stocktake = Stocktake.objects.get()
    assert stocktake.status == Stocktake.Status.APPLIED
    assert stocktake.location.code == "DT"
    assert stocktake.created_by.username == "staff"
    assert stocktake.approved_by.username == "manager"
    assert stocktake.needs_approval  # one variance is beyond the threshold
    variances = [line.variance for line in stocktake.lines.all()]
    assert min(variances) <= -6
    assert any(variance > 0 for variance in variances)
    assert stocktake.adjustment.kind == Kind.STOCKTAKE
    assert stocktake.adjustment.created_at >= timezone.now() - timedelta(days=30)


def test_ends_with_low_and_out_of_stock_balances_and_their_alerts_open(seeded):
    store = Balance.objects.filter(location__code="DT")
    below = store.filter(BELOW_WARNING)
    out = store.filter(OUT_OF_STOCK)
    assert below.count() >= 3
    assert out.count() >= 1
    open_alerts = LowStockAlert.objects.filter(closed_at__isnull=True)
    assert set(below.values_list("pk", flat=True)) <= set(
        open_alerts.values_list("balance_id", flat=True)
    )
    assert open_alerts.filter(balance__in=out, kind=LowStockAlert.Kind.OUT).count() == out.count()
    # Alerts also opened and closed again along the way (a top-up recovered them).
    assert LowStockAlert.objects.filter(closed_at__isnull=False).exists()


def test_stock_is_on_its_way_when_the_history_ends(seeded):
    """A new user sees in-transit and incoming quantities at once: transfers from the
    warehouse in every state, a delivery partly received and one expected."""
    transfers = TransferOrder.objects.order_by("pk")
    assert [(t.origin.code, t.destination.code, t.status) for t in transfers] == [
        ("WH", "AP", TransferOrder.Status.RECEIVED),
        ("WH", "DT", TransferOrder.Status.PARTIALLY_RECEIVED),
        ("WH", "DT", TransferOrder.Status.SHIPPED),
        ("WH", "AP", TransferOrder.Status.DRAFT),
    ]
    partly, in_transit = transfers[1], transfers[2]
    assert partly.lines.filter(damaged=1).exists()
    last = AdjustmentLine.objects.order_by("-id").values_list("created_at", flat=True)[0]
    shipped = timezone.localdate(in_transit.shipped_at)
    assert shipped == timezone.localdate(last) - timedelta(days=2)
    receipts = SupplierReceipt.objects.order_by("pk")
    assert [(r.location.code, r.status) for r in receipts] == [
        ("WH", SupplierReceipt.Status.PARTIALLY_RECEIVED),
        ("DT", SupplierReceipt.Status.EXPECTED),
    ]
    assert receipts[1].expected_on > timezone.localdate()
    found = named_quantities(None, [Location.objects.get(code="DT").pk])
    assert sum(quantities.in_transit_in for quantities in found.values()) >= 10
    assert sum(quantities.expected for quantities in found.values()) == 22
    # The steps went through the write path: shipped and received stock is in the ledger.
    assert {Kind.SHIPMENT, Kind.RECEIPT} <= set(Adjustment.objects.values_list("kind", flat=True))
