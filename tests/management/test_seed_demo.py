"""`manage.py seed_demo`: demo data that is complete, consistent with the ledger, idempotent, and
has 75 days of history from several sources for the charts and dashboards to show."""

import re
from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from inventory.management.commands.seed_demo import ean13
from inventory.management.demo.calendar import HISTORY_DAYS, SimulatedClock, history_clock
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    ApiClient,
    Balance,
    Item,
    LowStockAlert,
    Stocktake,
)
from inventory.permissions import INVENTORY_MANAGERS, STORE_STAFF
from inventory.stock.audit import find_ledger_discrepancies
from locations.models import Location

pytestmark = pytest.mark.django_db

User = get_user_model()
Kind = Adjustment.Kind
Source = Adjustment.Source


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def printed_passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"username: (\S+)\s+password: (\S+)", output))


def counts() -> dict[str, int]:
    return {
        "locations": Location.objects.count(),
        "items": Item.objects.count(),
        "balances": Balance.objects.count(),
        "adjustments": Adjustment.objects.count(),
        "lines": AdjustmentLine.objects.count(),
        "users": User.objects.count(),
        "api clients": ApiClient.objects.count(),
        "alerts": LowStockAlert.objects.count(),
        "stocktakes": Stocktake.objects.count(),
    }


def test_creates_locations_items_stock_and_history():
    output = seed()

    assert set(Location.objects.values_list("code", flat=True)) >= {"DEFAULT", "DT", "WH", "AP"}
    assert 250 <= Item.objects.count() <= 350
    assert Item.objects.filter(tracking=Item.Tracking.PRODUCT, variant_id=None).count() >= 3
    for location in Location.objects.all():
        assert Balance.objects.filter(location=location, quantity__gt=0).exists(), location
    assert Balance.objects.exclude(bin_picking_number="").exists()
    assert Balance.objects.filter(safety_stock__gt=0).exists()
    assert "http://127.0.0.1:8000/admin/" in output
    assert f"over the last {HISTORY_DAYS} days" in output


def test_seeding_opens_alerts_but_sends_no_email(
    settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.STOCK_ALERT_EMAILS = ["alerts@example.com"]

    with django_capture_on_commit_callbacks(execute=True):
        output = seed()

    assert LowStockAlert.objects.exists()
    assert mailoutbox == []
    open_alerts = LowStockAlert.objects.filter(closed_at__isnull=True).count()
    assert f"{open_alerts} low-stock alerts are open" in output
    assert "not emailed" in output


def test_the_clock_is_simulated_only_while_seeding():
    real_now = timezone.now

    seed()

    assert timezone.now is real_now
    assert abs(timezone.now() - datetime.now(tz=UTC)) < timedelta(minutes=1)


def test_the_simulated_clock_only_moves_forward_and_never_past_its_end():
    end = timezone.now()
    clock = SimulatedClock(start=end - timedelta(days=2), end=end)

    clock.move_to(end - timedelta(days=3))
    assert clock.now() == end - timedelta(days=2) + timedelta(seconds=1)
    clock.move_to(end + timedelta(hours=1))
    assert clock.now() == end
    with clock.running():
        assert timezone.now() == end
    assert timezone.now() != end


def test_the_history_ends_with_the_last_closed_trading_day():
    clock = history_clock()

    first_day = timezone.localdate(clock.start)
    assert timezone.localtime(clock.start).time() == time(9)
    last_close = timezone.make_aware(
        datetime.combine(first_day + timedelta(days=HISTORY_DAYS - 1), time(18))
    )
    assert last_close <= timezone.now() < last_close + timedelta(days=1)


class _RollBack(Exception):
    pass


def _seeded_state() -> tuple[dict, list]:
    """What a seed writes, by SKU and location code (ids differ between runs), then undone."""
    try:
        with transaction.atomic():
            seed()
            balances = {
                (sku, code): (quantity, warning_level)
                for sku, code, quantity, warning_level in Balance.objects.values_list(
                    "item__sku", "location__code", "quantity", "warning_level"
                )
            }
            adjustments = [
                # A stocktake's, a transfer's or a delivery's number is its id, which a
                # rolled-back sequence does not reuse.
                (kind, source, re.sub(r"Stocktake #\d+|\b[TR]-\d+\b", "#", reason))
                for kind, source, reason in Adjustment.objects.order_by("id").values_list(
                    "kind", "source", "reason"
                )
            ]
            raise _RollBack
    except _RollBack:
        return balances, adjustments


def test_the_history_is_the_same_on_every_run():
    first = _seeded_state()
    assert not Item.objects.exists()

    assert _seeded_state() == first


def test_barcodes_are_valid_unique_ean13():
    seed()

    barcodes = list(Item.objects.values_list("barcode", flat=True))
    assert len(set(barcodes)) == len(barcodes)
    assert all(len(code) == 13 and ean13(code[:12]) == code for code in barcodes)
    # A published EAN-13 (ISBN 978-0-306-40615-7) as a check of the check digit itself.
    assert ean13("978030640615") == "9780306406157"


def sign_in(username: str, password: str):
    # As the login form does: django-axes' backend needs the request to throttle by address.
    return authenticate(
        RequestFactory().post("/admin/login/"), username=username, password=password
    )


def test_users_have_their_roles_and_printed_passwords():
    output = seed()

    passwords = printed_passwords(output)
    manager = sign_in("manager", passwords["manager"])
    staff = sign_in("staff", passwords["staff"])
    assert manager is not None
    assert staff is not None
    assert manager.is_staff
    assert staff.is_staff
    assert list(manager.groups.values_list("name", flat=True)) == [INVENTORY_MANAGERS]
    assert list(staff.groups.values_list("name", flat=True)) == [STORE_STAFF]
    assert list(staff.assigned_locations.values_list("code", flat=True)) == ["DT"]


def test_second_run_changes_nothing_but_the_passwords():
    first = seed()
    before = counts()
    quantities = dict(Balance.objects.values_list("id", "quantity"))
    created = dict(Location.objects.values_list("id", "created_at"))

    second = seed()

    assert counts() == before
    assert dict(Balance.objects.values_list("id", "quantity")) == quantities
    assert dict(Location.objects.values_list("id", "created_at")) == created
    assert printed_passwords(first)["manager"] != printed_passwords(second)["manager"]
    assert sign_in("staff", printed_passwords(second)["staff"])
    assert "0 new adjustments" in second
    assert "low-stock alerts" not in second
    assert find_ledger_discrepancies() == []
