"""`manage.py seed_demo`: demo data that is complete, consistent with the ledger, and idempotent."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from inventory.audit import find_ledger_discrepancies
from inventory.management.commands.seed_demo import ean13
from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.roles import INVENTORY_MANAGERS, STORE_STAFF
from locations.models import Location

pytestmark = pytest.mark.django_db

User = get_user_model()


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
    }


def test_creates_locations_items_stock_and_history():
    output = seed()

    assert set(Location.objects.values_list("code", flat=True)) >= {"DEFAULT", "DT", "WH", "AP"}
    assert 250 <= Item.objects.count() <= 350
    assert Item.objects.filter(tracking=Item.Tracking.PRODUCT, variant_id=None).count() >= 3
    for location in Location.objects.all():
        assert Balance.objects.filter(location=location, quantity__gt=0).exists(), location
    kinds = set(Adjustment.objects.values_list("kind", "source"))
    assert {
        (Adjustment.Kind.ABSOLUTE, Adjustment.Source.SYSTEM),
        (Adjustment.Kind.RELATIVE, Adjustment.Source.API),
        (Adjustment.Kind.TRANSFER, Adjustment.Source.ADMIN),
    } <= kinds
    assert Adjustment.objects.filter(actor__username="manager").exists()
    assert Balance.objects.exclude(bin_picking_number="").exists()
    assert Balance.objects.filter(safety_stock__gt=0).exists()
    assert "http://127.0.0.1:8000/admin/" in output


def test_every_quantity_is_explained_by_the_ledger():
    seed()

    assert find_ledger_discrepancies() == []


def test_barcodes_are_valid_unique_ean13():
    seed()

    barcodes = list(Item.objects.values_list("barcode", flat=True))
    assert len(set(barcodes)) == len(barcodes)
    assert all(len(code) == 13 and ean13(code[:12]) == code for code in barcodes)
    # A published EAN-13 (ISBN 978-0-306-40615-7) as a check of the check digit itself.
    assert ean13("978030640615") == "9780306406157"


def test_users_have_their_roles_and_printed_passwords():
    output = seed()

    passwords = printed_passwords(output)
    manager = authenticate(username="manager", password=passwords["manager"])
    staff = authenticate(username="staff", password=passwords["staff"])
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

    second = seed()

    assert counts() == before
    assert dict(Balance.objects.values_list("id", "quantity")) == quantities
    assert printed_passwords(first)["manager"] != printed_passwords(second)["manager"]
    assert authenticate(username="staff", password=printed_passwords(second)["staff"])
    assert "0 new adjustments" in second
    assert find_ledger_discrepancies() == []
