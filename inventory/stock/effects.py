"""What happens because stock or settings changed: low-stock alerts and their webhook events,
and the events of a settings change. (A stock change's own stock_changed events are part of its
record: `statements.record`.)

The write path (`stock.apply`) calls these inside its transaction, after the balances and the
ledger are written and before it commits, so an alert or an outbox event exists exactly when the
change does. Anything that leaves the process (email, HTTP) is scheduled with
`transaction.on_commit`, never done here: a refused or rolled-back batch sends nothing.

Cost: a batch that moves no balance across a warning level or zero runs no statement here; one
that does runs at most three (alerts opened or escalated, alerts closed, their events). Never
one per line.
"""

from collections.abc import Sequence

from django.utils import timezone

from inventory import alerts
from inventory.alerts import BalanceState, RaisedAlert
from inventory.models import Adjustment, Balance, LowStockAlert, WebhookScope
from inventory.sql import values_source
from inventory.stock.types import StockChange
from inventory.webhooks import outbox


def stock_transitions(changes: Sequence[StockChange]) -> alerts.Transitions:
    """The alert transitions `stock_changed` will record for these changes; known before the
    write is recorded, so the write path knows whether anything follows its record."""
    return alerts.stock_transitions(changes)


def stock_changed(
    *, adjustment: Adjustment, transitions: alerts.Transitions, notify_low_stock: bool = True
) -> None:
    """Called once per applied adjustment (never for a replay), inside its transaction, after
    its record: opens and closes low-stock alerts (`stock_transitions`), with
    their low_stock_reached / out_of_stock_reached events. `notify_low_stock=False` still opens
    alerts (and sends their webhooks) but emails nobody. Costs no statement when no balance
    crosses its warning level or zero."""
    raising, closing = transitions
    if not raising and not closing:
        return
    raised = alerts.record_stock_transitions(
        adjustment=adjustment, transitions=transitions, notify=notify_low_stock
    )
    outbox.enqueue_item_events(_reached(raised), created_at=adjustment.created_at)


def settings_changed(*, adjustment: Adjustment, balance_ids: Sequence[int]) -> None:
    """Called once per settings adjustment, inside its transaction, after the new settings are
    written."""
    balances = [
        BalanceState(*row)
        for row in Balance.objects.filter(pk__in=values_source(balance_ids, "bigint"))
        .order_by()
        .values_list("pk", "item_id", "location_id", "quantity", "warning_level")
    ]
    raised = alerts.record_settings_transitions(adjustment=adjustment, balances=balances)
    outbox.enqueue_item_events(
        [(WebhookScope.SETTINGS_CHANGED.value, b.item_id, b.location_id) for b in balances]
        + _reached(raised),
        created_at=adjustment.created_at,
    )


def _reached(raised: Sequence[RaisedAlert]) -> list[outbox.ItemEvent]:
    """BigCommerce's low_stock_reached / out_of_stock_reached for the alerts just raised. A
    drop straight to zero crosses the warning level too, so it sends both (when there is one)."""
    events = []
    for alert in raised:
        key = (alert.balance.item_id, alert.balance.location_id)
        if not alert.escalated and (
            alert.kind == LowStockAlert.Kind.LOW or alert.balance.warning_level
        ):
            events.append((WebhookScope.LOW_STOCK_REACHED.value, *key))
        if alert.kind == LowStockAlert.Kind.OUT:
            events.append((WebhookScope.OUT_OF_STOCK_REACHED.value, *key))
    return events


def locations_changed(*, created: Sequence[int] = (), updated: Sequence[int] = (), **_) -> None:
    """Receiver of `locations.signals.locations_changed` (connected in `InventoryConfig.ready`),
    which the locations app sends inside its transaction."""
    outbox.enqueue_location_events(
        [(WebhookScope.LOCATION_CREATED.value, pk) for pk in created]
        + [(WebhookScope.LOCATION_UPDATED.value, pk) for pk in updated],
        created_at=timezone.now(),
    )
