"""Low-stock alerts: opened when a change takes a balance below its warning level or to zero,
closed when a change brings it back; emailed after the transaction commits; acknowledged by a
manager who is dealing with one (`acknowledge_alerts`).

What is low and what is out of stock is decided beside the balance (`models.stock.stock_level`).
Transitions are read from each change's before and after quantities, in
Python, so a write that crosses no line touches no alert row; one that does costs at most two
statements (open-or-escalate, close) whatever the batch size.

An alert is an episode: it opens once, becomes "out of stock" if on-hand reaches zero while it
is open (escalation, emailed too), and closes when on-hand is back at or above the warning level
and above zero. A settings change can open one (a raised warning level) or close one (a lowered
one); it never makes a balance out of stock, so it never opens or closes an out-of-stock alert.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from inventory.models import Adjustment, Balance, Item, LowStockAlert
from inventory.models.stock import StockLevel, stock_level
from inventory.sql import db_datetime, rows_source, table
from inventory.stocktakes.blind_counts import hidden_by_blind_counts
from locations.models import Location
from locations.selectors import User, locations_visible_to, sees_all_locations

if TYPE_CHECKING:
    from inventory.stock.types import StockChange


Kind = LowStockAlert.Kind
LOW, OUT = Kind.LOW.value, Kind.OUT.value


@dataclass(frozen=True, slots=True)
class BalanceState:
    """A balance as the alert rules see it."""

    balance_id: int
    item_id: int
    location_id: int
    quantity: int
    warning_level: int


@dataclass(frozen=True, slots=True)
class RaisedAlert:
    """An alert this adjustment opened, or escalated to out of stock."""

    alert_id: int
    balance: BalanceState
    kind: str
    escalated: bool


Transitions = tuple[list[BalanceState], list[BalanceState]]  # (raising, closing)


def stock_transitions(changes: Sequence["StockChange"]) -> Transitions:
    """The balances whose level these quantity changes move: those to raise an alert for (or
    escalate it), and those whose alert to close. Both empty for most writes."""
    raising, closing = [], []
    for change in changes:
        before = stock_level(change.before, change.warning_level)
        after = stock_level(change.after, change.warning_level)
        if after == before:
            continue
        state = BalanceState(
            change.balance_id,
            change.item_id,
            change.location_id,
            change.after,
            change.warning_level,
        )
        (closing if after == StockLevel.OK else raising).append(state)
    return raising, closing


def record_stock_transitions(
    *, adjustment: Adjustment, transitions: Transitions, notify: bool
) -> list[RaisedAlert]:
    """Open, escalate and close the alerts of `stock_transitions`. Runs inside the write
    transaction; the email goes after commit, if `notify`."""
    raising, closing = transitions
    return _apply(adjustment, raising=raising, closing=closing, notify=notify)


def record_settings_transitions(
    *, adjustment: Adjustment, balances: Sequence[BalanceState]
) -> list[RaisedAlert]:
    """After a settings change: open an alert for each balance now below its warning level
    without one, close the open alert of each balance now above it."""
    open_alerts = set(
        LowStockAlert.objects.filter(
            balance_id__in=[balance.balance_id for balance in balances], closed_at__isnull=True
        ).values_list("balance_id", flat=True)
    )
    raising, closing = [], []
    for balance in balances:
        level = stock_level(balance.quantity, balance.warning_level)
        if level == StockLevel.LOW and balance.balance_id not in open_alerts:
            raising.append(balance)
        elif level == StockLevel.OK and balance.balance_id in open_alerts:
            closing.append(balance)
    return _apply(adjustment, raising=raising, closing=closing, notify=True)


def _apply(
    adjustment: Adjustment,
    *,
    raising: list[BalanceState],
    closing: list[BalanceState],
    notify: bool,
) -> list[RaisedAlert]:
    raised = _open_or_escalate(adjustment, raising) if raising else []
    if closing:
        _close(adjustment, closing)
    if raised and notify:
        adjustment_id = adjustment.pk

        def email_alerts() -> None:  # not a partial: Django logs a failure by __qualname__
            send_alert_emails(adjustment_id=adjustment_id, raised=raised)

        # robust: a mail server that is down must not turn a committed change into an error.
        transaction.on_commit(email_alerts, robust=True)
    return raised


def _open_or_escalate(adjustment: Adjustment, balances: list[BalanceState]) -> list[RaisedAlert]:
    """One statement: insert an alert per balance; where one is already open (the unique index
    on open alerts), turn a low-stock alert into an out-of-stock one if that is what happened,
    else leave it. Returns the alerts inserted or escalated."""
    source, params = rows_source(
        [
            (
                balance.balance_id,
                OUT
                if stock_level(balance.quantity, balance.warning_level) == StockLevel.OUT
                else LOW,
                balance.quantity,
                balance.warning_level,
            )
            for balance in balances
        ],
        types=["bigint", "text", "bigint", "bigint"],
    )
    alert_table = table(LowStockAlert)
    now = db_datetime(adjustment.created_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {alert_table} (balance_id, kind, opened_at, opened_by_id,"
            " opened_quantity, warning_level, out_of_stock_at, out_of_stock_by_id)"
            " SELECT v.column1, v.column2, %s, %s, v.column3, v.column4,"
            " CASE WHEN v.column2 = %s THEN %s END, CASE WHEN v.column2 = %s THEN %s END"
            f" FROM ({source}) AS v WHERE true"
            " ON CONFLICT (balance_id) WHERE closed_at IS NULL DO UPDATE SET"
            " kind = excluded.kind, out_of_stock_at = excluded.opened_at,"
            " out_of_stock_by_id = excluded.opened_by_id"
            f" WHERE {alert_table}.kind = %s AND excluded.kind = %s"
            " RETURNING id, balance_id, kind, opened_by_id",
            [now, adjustment.pk, OUT, now, OUT, adjustment.pk, *params, LOW, OUT],
        )
        rows = cursor.fetchall()
    by_id = {balance.balance_id: balance for balance in balances}
    return [
        RaisedAlert(alert_id, by_id[balance_id], kind, escalated=opened_by != adjustment.pk)
        for alert_id, balance_id, kind, opened_by in rows
    ]


def _close(adjustment: Adjustment, balances: list[BalanceState]) -> None:
    source, params = rows_source([(balance.balance_id, balance.quantity) for balance in balances])
    alert_table = table(LowStockAlert)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {alert_table} SET closed_at = %s, closed_by_id = %s,"
            f" closed_quantity = v.column2 FROM ({source}) AS v"
            f" WHERE {alert_table}.balance_id = v.column1 AND {alert_table}.closed_at IS NULL",
            [db_datetime(adjustment.created_at), adjustment.pk, *params],
        )


def send_alert_emails(*, adjustment_id: int, raised: Sequence[RaisedAlert]) -> int:
    """One email per adjustment and group of recipients, listing the alerts it raised at the
    locations those recipients watch. Returns how many emails went out. Runs after commit."""
    adjustment = Adjustment.objects.select_related("actor", "api_client").get(pk=adjustment_id)
    items = Item.objects.in_bulk({alert.balance.item_id for alert in raised})
    locations = Location.objects.in_bulk({alert.balance.location_id for alert in raised})
    by_recipients: dict[tuple[str, ...], list[RaisedAlert]] = defaultdict(list)
    for alert in raised:
        recipients = locations[alert.balance.location_id].low_stock_recipients
        if recipients:
            by_recipients[tuple(recipients)].append(alert)
    messages = [
        EmailMessage(
            subject=_subject(alerts, items, locations),
            body=_body(adjustment, alerts, items, locations),
            to=list(recipients),
        )
        for recipients, alerts in by_recipients.items()
    ]
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


def _subject(alerts: list[RaisedAlert], items: dict, locations: dict) -> str:
    where = {alert.balance.location_id for alert in alerts}
    place = locations[next(iter(where))].label if len(where) == 1 else f"{len(where)} locations"
    if len(alerts) == 1:
        alert = alerts[0]
        return (
            f"[Stockroom] {Kind(alert.kind).label}: {items[alert.balance.item_id].sku} at {place}"
        )
    return f"[Stockroom] {len(alerts)} items low or out of stock at {place}"


def _body(adjustment: Adjustment, alerts: list[RaisedAlert], items: dict, locations: dict) -> str:
    lines = []
    for location_id in sorted({alert.balance.location_id for alert in alerts}):
        lines.append(f"At {locations[location_id]}:")
        for alert in alerts:
            if alert.balance.location_id != location_id:
                continue
            item = items[alert.balance.item_id]
            what = "now OUT OF STOCK" if alert.escalated else Kind(alert.kind).label.upper()
            level = alert.balance.warning_level
            lines.append(
                f"  {what:<16} {item.sku}  {item.name}: on-hand {alert.balance.quantity}"
                + (f" (warning level {level})" if level else "")
            )
        lines.append("")
    moment = timezone.localtime(adjustment.created_at)
    when = f"{date_format(moment, 'DATETIME_FORMAT')} {moment.strftime('%Z')}"
    lines += [
        f"Changed by {adjustment.made_by} on {when} ({adjustment.get_kind_display().lower()},"
        f" through {adjustment.get_source_display()}).",
    ]
    if adjustment.reason:
        lines.append(f"Reason: {adjustment.reason}")
    lines += [
        f"Transaction: {adjustment.transaction_id}",
        "",
        "Open alerts: "
        + settings.STOCK_ALERT_SITE_URL
        + reverse("admin:inventory_lowstockalert_changelist")
        + "?state=open",
    ]
    return "\n".join(lines) + "\n"


def sync_alerts() -> tuple[int, int]:
    """Make the open alerts match the balances as they are: open one (without email) for each
    balance low or out of stock that has none (or escalate its low-stock one to out of stock),
    close those of balances that recovered. For
    balances that were low before alerts existed, or were written around the write path (a bulk
    import). Returns (opened or escalated, closed). Run it when stock is quiet: it takes no balance locks."""
    alert_table, balance_table = table(LowStockAlert), table(Balance)
    now = db_datetime(timezone.now())
    low = "b.warning_level > 0 AND b.quantity < b.warning_level"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {alert_table} (balance_id, kind, opened_at, opened_quantity,"
            " warning_level, out_of_stock_at)"
            " SELECT b.id, CASE WHEN b.quantity <= 0 THEN %s ELSE %s END, %s, b.quantity,"
            " b.warning_level, CASE WHEN b.quantity <= 0 THEN %s END"
            f" FROM {balance_table} AS b WHERE (b.quantity <= 0 OR ({low}))"
            " ON CONFLICT (balance_id) WHERE closed_at IS NULL DO UPDATE SET kind = excluded.kind,"
            " out_of_stock_at = excluded.opened_at"
            f" WHERE {alert_table}.kind = %s AND excluded.kind = %s",
            [OUT, LOW, now, now, LOW, OUT],
        )
        opened = cursor.rowcount
        cursor.execute(
            f"UPDATE {alert_table} SET closed_at = %s, closed_quantity = b.quantity"
            f" FROM {balance_table} AS b WHERE {alert_table}.balance_id = b.id"
            f" AND {alert_table}.closed_at IS NULL AND b.quantity > 0 AND NOT ({low})",
            [now],
        )
        closed = cursor.rowcount
    return opened, closed


def acknowledge_alerts(*, alert_ids: Iterable[int], actor: AbstractBaseUser, note: str = "") -> int:
    """Record that `actor` has seen these alerts and is dealing with them (who, when, `note`).
    Only open alerts nobody acknowledged yet change: one UPDATE whose condition is checked row
    by row, so an alert closed or acknowledged meanwhile keeps what it has. An acknowledged
    alert stays open until stock is back; the next episode of the balance is a new alert.
    Returns how many were acknowledged. The caller decides who may (and which alerts they see)."""
    return LowStockAlert.objects.filter(
        pk__in=list(alert_ids), closed_at__isnull=True, acknowledged_at__isnull=True
    ).update(acknowledged_at=timezone.now(), acknowledged_by=actor, acknowledgement_note=note)


# --- reads -----------------------------------------------------------------------------------


def alerts_visible_to(user: User) -> QuerySet[LowStockAlert]:
    """Alerts at the locations whose stock `user` may see (not of an item a blind count is
    counting: an alert gives on-hand away), with what their pages show joined in."""
    alerts = LowStockAlert.objects.select_related(
        "balance__item", "balance__location", "opened_by", "closed_by", "acknowledged_by"
    ).exclude(hidden_by_blind_counts(user, prefix="balance__"))
    if sees_all_locations(user):
        return alerts
    return alerts.filter(balance__location__in=locations_visible_to(user))


def open_alert_counts(user: User) -> dict[str, int]:
    """Open alerts `user` may see, in one query: {"low", "out", "total", "unacknowledged"}."""
    if not user.has_perm("inventory.view_lowstockalert"):
        return {"low": 0, "out": 0, "total": 0, "unacknowledged": 0}
    counts = (
        alerts_visible_to(user)
        .filter(closed_at__isnull=True)
        .order_by()
        .aggregate(
            low=Count("pk", filter=Q(kind=Kind.LOW)),
            out=Count("pk", filter=Q(kind=Kind.OUT)),
            unacknowledged=Count("pk", filter=Q(acknowledged_at__isnull=True)),
        )
    )
    return {**counts, "total": counts["low"] + counts["out"]}


def worst_open_alerts(user: User, *, limit: int) -> list[LowStockAlert]:
    """The open alerts that most need someone, in one query: nobody acknowledged them yet,
    out of stock before low, the fewest on hand, the longest open."""
    if not user.has_perm("inventory.view_lowstockalert"):
        return []
    worst = alerts_visible_to(user).filter(closed_at__isnull=True)
    return list(
        worst.order_by(
            F("acknowledged_at").asc(nulls_first=True),
            F("kind").desc(),  # "out" after "low" in the alphabet
            "balance__quantity",
            "opened_at",
            "pk",
        )[:limit]
    )
