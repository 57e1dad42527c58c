"""Low-stock alerts: one per episode (opens once, closes on recovery), escalated when stock runs
out, opened and closed by settings changes, emailed after commit to the right people, never for
a refused batch, and costing a constant number of statements whatever the batch size."""

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.errors import AdjustmentRejected
from inventory.models import Adjustment, Balance, Item, LowStockAlert, Stocktake
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = pytest.mark.django_db

Kind = LowStockAlert.Kind
Source = Adjustment.Source


@pytest.fixture(autouse=True)
def default_recipients(settings):
    settings.STOCK_ALERT_EMAILS = ["store@example.com"]


def warn_at(item, location, level):
    update_settings(
        lines=[SettingsInput(location_id=location.pk, item_id=item.pk, warning_level=level)],
        source=Source.ADMIN,
    )


def relative(item, location, quantity, **kwargs):
    return apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=quantity)],
        source=Source.API,
        **kwargs,
    )


def alerts(item, location):
    return list(
        LowStockAlert.objects.filter(balance__item=item, balance__location=location).order_by("id")
    )


@pytest.fixture
def stocked(item, location):
    """10 on hand, warning level 5."""
    set_stock(item, location, 10)
    warn_at(item, location, 5)
    return item, location


def test_an_alert_opens_once_closes_on_recovery_and_opens_again_on_the_next_drop(stocked):
    item, location = stocked

    first_drop = relative(item, location, -6)  # 10 → 4: below 5
    relative(item, location, -1)  # 4 → 3: still low, no second alert
    relative(item, location, +1)  # 3 → 4: still low

    (alert,) = alerts(item, location)
    assert (alert.kind, alert.opened_by, alert.opened_quantity, alert.warning_level) == (
        Kind.LOW,
        first_drop,
        4,
        5,
    )
    assert alert.closed_at is None

    recovery = relative(item, location, +1)  # 4 → 5: at the warning level, recovered
    alert.refresh_from_db()
    assert (alert.closed_by, alert.closed_quantity) == (recovery, 5)
    assert alert.closed_at == recovery.created_at

    second_drop = relative(item, location, -2)  # 5 → 3
    old, new = alerts(item, location)
    assert old.pk == alert.pk
    assert old.closed_at is not None
    assert (new.kind, new.opened_by, new.closed_at) == (Kind.LOW, second_drop, None)


def test_running_out_escalates_the_open_alert_and_recovery_closes_it(stocked):
    item, location = stocked
    relative(item, location, -7)  # 10 → 3: low

    emptied = relative(item, location, -3)  # 3 → 0: out
    (alert,) = alerts(item, location)
    assert (alert.kind, alert.out_of_stock_by, alert.closed_at) == (Kind.OUT, emptied, None)

    relative(item, location, +2)  # 0 → 2: still below 5: stays open, still "out" (worst reached)
    (alert,) = alerts(item, location)
    assert (alert.kind, alert.closed_at) == (Kind.OUT, None)

    set_stock(item, location, 8)
    (alert,) = alerts(item, location)
    assert alert.closed_quantity == 8


def test_reaching_zero_without_a_warning_level_opens_an_out_of_stock_alert(item, location):
    set_stock(item, location, 3)
    assert alerts(item, location) == []  # no warning level: 3 is fine

    emptied = relative(item, location, -3)

    (alert,) = alerts(item, location)
    assert (alert.kind, alert.opened_by, alert.out_of_stock_by, alert.warning_level) == (
        Kind.OUT,
        emptied,
        emptied,
        0,
    )


def test_settings_changes_open_and_close_alerts(item, location):
    set_stock(item, location, 4)

    warn_at(item, location, 5)  # 4 is now below the warning level
    (alert,) = alerts(item, location)
    assert (alert.kind, alert.opened_by.kind, alert.warning_level) == (
        Kind.LOW,
        Adjustment.Kind.SETTINGS,
        5,
    )

    warn_at(item, location, 6)  # still low: the same alert
    assert len(alerts(item, location)) == 1

    warn_at(item, location, 3)  # 4 is fine now
    (alert,) = alerts(item, location)
    assert alert.closed_by.kind == Adjustment.Kind.SETTINGS


def test_a_warning_level_on_an_empty_balance_opens_nothing(item, location):
    # Configuring levels before the first delivery is not news: out of stock is about changes.
    warn_at(item, location, 5)
    assert alerts(item, location) == []


def test_a_refused_batch_opens_nothing(stocked, django_capture_on_commit_callbacks, mailoutbox):
    item, location = stocked
    other = ItemFactory()
    lines = [
        LineInput(location_id=location.pk, item_id=item.pk, quantity=-8),  # would go low
        LineInput(location_id=location.pk, item_id=other.pk, quantity=-1),  # insufficient
    ]

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AdjustmentRejected):
        apply_adjustment(kind=Adjustment.Kind.RELATIVE, lines=lines, source=Source.API)

    assert LowStockAlert.objects.count() == 0
    assert mailoutbox == []


def test_the_database_allows_one_open_alert_per_balance(stocked):
    item, location = stocked
    relative(item, location, -7)
    (alert,) = alerts(item, location)

    with pytest.raises(IntegrityError), transaction.atomic():
        LowStockAlert.objects.create(
            balance=alert.balance,
            kind=Kind.LOW,
            opened_at=timezone.now(),
            opened_by=alert.opened_by,
            opened_quantity=3,
            warning_level=5,
        )


# Email


def test_the_email_goes_after_commit_and_lists_the_alerts(
    stocked, django_capture_on_commit_callbacks, mailoutbox
):
    item, location = stocked
    other = ItemFactory(sku="MUG-RED", name="Red mug")
    set_stock(other, location, 2)  # no warning level

    with django_capture_on_commit_callbacks() as callbacks:
        adjustment = apply_adjustment(
            kind=Adjustment.Kind.RELATIVE,
            lines=[
                LineInput(location_id=location.pk, item_id=item.pk, quantity=-7),
                LineInput(location_id=location.pk, item_id=other.pk, quantity=-2),
            ],
            source=Source.API,
            reason="Sold at the counter",
        )
        assert mailoutbox == []  # not before the transaction commits

    for callback in callbacks:
        callback()
    (email,) = mailoutbox
    assert email.to == ["store@example.com"]
    assert email.subject == f"[Stockroom] 2 items low or out of stock at {location.label}"
    assert f"LOW STOCK        {item.sku}  {item.name}: on-hand 3 (warning level 5)" in email.body
    assert "OUT OF STOCK     MUG-RED  Red mug: on-hand 0" in email.body
    assert "Reason: Sold at the counter" in email.body
    assert str(adjustment.transaction_id) in email.body
    assert "/admin/inventory/lowstockalert/?state=open" in email.body


def test_an_escalation_is_emailed_too(stocked, django_capture_on_commit_callbacks, mailoutbox):
    item, location = stocked
    relative(item, location, -7)

    with django_capture_on_commit_callbacks(execute=True):
        relative(item, location, -3)

    (email,) = mailoutbox
    assert email.subject == f"[Stockroom] Out of stock: {item.sku} at {location.label}"
    assert "now OUT OF STOCK" in email.body


def test_no_email_while_nothing_crosses_a_line(
    stocked, django_capture_on_commit_callbacks, mailoutbox
):
    item, location = stocked
    with django_capture_on_commit_callbacks(execute=True):
        relative(item, location, -7)  # opens: one email
        relative(item, location, -1)  # still low: none
        relative(item, location, +5)  # recovers: none
    assert len(mailoutbox) == 1


def test_notify_low_stock_false_opens_the_alert_but_emails_nobody(
    stocked, django_capture_on_commit_callbacks, mailoutbox
):
    item, location = stocked
    with django_capture_on_commit_callbacks(execute=True):
        relative(item, location, -7, notify_low_stock=False)

    assert len(alerts(item, location)) == 1
    assert mailoutbox == []


def test_a_rolled_back_transaction_sends_nothing(
    stocked, django_capture_on_commit_callbacks, mailoutbox
):
    item, location = stocked

    def adjust_then_fail():
        with transaction.atomic():
            relative(item, location, -7)
            raise RuntimeError("something after the adjustment failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        adjust_then_fail()

    assert LowStockAlert.objects.count() == 0
    assert mailoutbox == []


def test_each_location_emails_its_own_recipients_or_the_default(
    item, django_capture_on_commit_callbacks, mailoutbox
):
    own = LocationFactory(low_stock_emails="a@example.com, b@example.com")
    default = LocationFactory()
    for location in (own, default):
        set_stock(item, location, 1)

    with django_capture_on_commit_callbacks(execute=True):
        apply_adjustment(
            kind=Adjustment.Kind.RELATIVE,
            lines=[
                LineInput(location_id=own.pk, item_id=item.pk, quantity=-1),
                LineInput(location_id=default.pk, item_id=item.pk, quantity=-1),
            ],
            source=Source.API,
        )

    sent = {tuple(email.to): email for email in mailoutbox}
    assert set(sent) == {("a@example.com", "b@example.com"), ("store@example.com",)}
    assert own.label in sent[("a@example.com", "b@example.com")].subject
    assert default.label not in sent[("a@example.com", "b@example.com")].body
    assert default.label in sent[("store@example.com",)].subject


def test_no_recipients_anywhere_sends_nothing(
    stocked, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.STOCK_ALERT_EMAILS = []
    item, location = stocked
    with django_capture_on_commit_callbacks(execute=True):
        relative(item, location, -7)
    assert len(alerts(item, location)) == 1
    assert mailoutbox == []


def test_a_failing_mail_server_does_not_undo_the_change(
    stocked, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.stock.test_alerts.BrokenBackend"
    item, location = stocked
    with django_capture_on_commit_callbacks(execute=True):
        relative(item, location, -7)
    assert Balance.objects.get(item=item, location=location).quantity == 3
    assert len(alerts(item, location)) == 1


class BrokenBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_recipient_lists_are_validated_naming_the_bad_addresses():
    location = LocationFactory.build(low_stock_emails="ok@example.com, not-an-address, x@")
    with pytest.raises(ValidationError) as excinfo:
        location.full_clean()
    assert "not-an-address, x@" in str(excinfo.value.message_dict["low_stock_emails"])


# Cost


def bulk_items(count):
    Item.objects.bulk_create(
        Item(sku=f"ALERT-{n:04d}", product_id=800_000 + n, variant_id=800_000 + n)
        for n in range(count)
    )
    return list(Item.objects.filter(sku__startswith="ALERT-").order_by("sku"))


def count_queries(kind, location, items, quantity):
    with CaptureQueriesContext(connection) as context:
        apply_adjustment(
            kind=kind,
            lines=[
                LineInput(location_id=location.pk, item_id=i.pk, quantity=quantity) for i in items
            ],
            source=Source.IMPORT,
        )
    return len(context.captured_queries)


def test_alert_statements_do_not_grow_with_the_batch(location, full_path):
    """Crossing the line costs the same for 1 and 300 balances: opening, escalating, closing."""
    items = bulk_items(301)
    set_up = [LineInput(location_id=location.pk, item_id=i.pk, quantity=10) for i in items]
    apply_adjustment(kind=Adjustment.Kind.ABSOLUTE, lines=set_up, source=Source.IMPORT)
    update_settings(
        lines=[
            SettingsInput(location_id=location.pk, item_id=i.pk, warning_level=5) for i in items
        ],
        source=Source.IMPORT,
    )
    one, many = items[:1], items[1:]
    Relative, Absolute = Adjustment.Kind.RELATIVE, Adjustment.Kind.ABSOLUTE

    steady = count_queries(Relative, location, one, -1)  # 10 → 9: nothing crossed
    opening = count_queries(Relative, location, one, -6)  # 9 → 3: opens
    assert count_queries(Relative, location, many, -7) == opening  # 10 → 3

    emptying = count_queries(Absolute, location, one, 0)  # escalates
    assert count_queries(Absolute, location, many, 0) == emptying

    closing = count_queries(Absolute, location, one, 10)
    assert count_queries(Absolute, location, many, 10) == closing

    # A quiet write's stock_changed events travel with the ledger write itself; raising an
    # alert adds its statement and its low/out-of-stock events, closing one only its own.
    assert steady + 2 == opening == emptying
    assert steady + 1 == closing
    assert LowStockAlert.objects.filter(closed_at__isnull=True).count() == 0
    assert LowStockAlert.objects.filter(kind=Kind.OUT).count() == 301


# Admin


def test_managers_see_open_alerts_first_and_on_the_home_page(client, stocked):
    item, location = stocked
    relative(item, location, -7)
    relative(item, location, +7)
    relative(item, location, -10)  # a closed alert and an open out-of-stock one
    client.force_login(manager())

    listing = client.get(reverse("admin:inventory_lowstockalert_changelist"))
    home = client.get(reverse("admin:index"))

    assert listing.status_code == 200
    shown = list(listing.context["cl"].result_list)
    assert [alert.is_open for alert in shown] == [True, False]
    assert "1 open: 1 out of stock, 0 below warning level;" in listing.content.decode()
    assert home.status_code == 200
    html = home.content.decode()
    assert re.search(r'Open alerts <span class="home-count">1</span>', html)
    assert re.search(r'kind__exact=out">1 out of stock</a>', html)
    assert item.sku in html


def test_store_staff_see_only_their_locations_alerts(client, item):
    mine, theirs = LocationFactory(), LocationFactory()
    for location in (mine, theirs):
        set_stock(item, location, 1)
        relative(item, location, -1)
    client.force_login(store_staff(mine))

    listing = client.get(reverse("admin:inventory_lowstockalert_changelist"))
    hidden = LowStockAlert.objects.get(balance__location=theirs)

    assert [alert.balance.location_id for alert in listing.context["cl"].result_list] == [mine.pk]
    assert (
        client.get(reverse("admin:inventory_lowstockalert_change", args=[hidden.pk])).status_code
        == 404
    )
    home = client.get(reverse("admin:index")).content.decode()
    assert f"?location={mine.pk}&amp;stock=out" in home
    assert f"?location={theirs.pk}" not in home


def test_the_alert_list_filters_by_location(client, item):
    here, there = LocationFactory(), LocationFactory()
    for location in (here, there):
        set_stock(item, location, 1)
        relative(item, location, -1)
    client.force_login(manager())

    listing = client.get(reverse("admin:inventory_lowstockalert_changelist"), {"location": here.pk})

    assert [alert.balance.location_id for alert in listing.context["cl"].result_list] == [here.pk]


def test_alerts_are_hidden_during_a_blind_count(client, item, location):
    set_stock(item, location, 1)
    relative(item, location, -1)
    user = store_staff(location)
    Stocktake.objects.create(location=location, blind=True, created_by=user)
    client.force_login(user)

    listing = client.get(reverse("admin:inventory_lowstockalert_changelist"))

    assert list(listing.context["cl"].result_list) == []


def test_alerts_are_read_only_in_the_admin(client, stocked):
    item, location = stocked
    relative(item, location, -7)
    (alert,) = alerts(item, location)
    user = manager()
    user.user_permissions.add(*Permission.objects.filter(codename__endswith="lowstockalert"))
    client.force_login(user)

    page = client.get(reverse("admin:inventory_lowstockalert_change", args=[alert.pk]))
    posted = client.post(reverse("admin:inventory_lowstockalert_change", args=[alert.pk]), {})

    assert page.status_code == 200
    # The one form is the acknowledgement, which posts to the list's action.
    form = page.content.decode().split('id="content-main"')[1].split('id="acknowledge"')
    assert 'type="submit"' not in form[0]
    assert posted.status_code == 403
    assert client.get(reverse("admin:inventory_lowstockalert_add")).status_code == 403


# Balances that were low before alerts existed (or were loaded around the write path)


def test_sync_opens_missing_alerts_and_closes_recovered_ones(location, mailoutbox):
    low, out, emptied, fine, recovered = ItemFactory.create_batch(5)
    for item, quantity in ((low, 3), (out, 9), (emptied, 2), (fine, 9), (recovered, 2)):
        set_stock(item, location, quantity)
        warn_at(item, location, 5)  # opens alerts for low, emptied and recovered
    # Written around the write path, as a bulk import would:
    Balance.objects.filter(item__in=[out, emptied]).update(quantity=0)
    Balance.objects.filter(item=recovered).update(quantity=8)
    LowStockAlert.objects.filter(balance__item=low).delete()

    out_buf = io.StringIO()
    call_command("sync_low_stock_alerts", stdout=out_buf)

    assert out_buf.getvalue().strip() == "Low-stock alerts: 3 opened or escalated, 1 closed."
    opened = {a.balance.item_id: a for a in LowStockAlert.objects.filter(closed_at__isnull=True)}
    assert {item_id: alert.kind for item_id, alert in opened.items()} == {
        low.pk: Kind.LOW,
        out.pk: Kind.OUT,
        emptied.pk: Kind.OUT,
    }
    assert opened[out.pk].opened_by is None
    assert opened[emptied.pk].opened_by.kind == Adjustment.Kind.SETTINGS  # the same episode
    (closed,) = alerts(recovered, location)
    assert (closed.closed_by, closed.closed_quantity) == (None, 8)
    assert mailoutbox == []
    call_command("sync_low_stock_alerts", stdout=out_buf)  # idempotent
    assert out_buf.getvalue().strip().endswith("0 opened or escalated, 0 closed.")
