"""THE write path. Every change to `Balance.quantity` goes through `apply_adjustment`, which writes
the balances and their ledger lines in one transaction, or nothing at all."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import fields

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from inventory import idempotency
from inventory.errors import AdjustmentRejected, ErrorCode, LineError, StaleBalances
from inventory.models import (
    MAX_BATCH_LINES,
    MAX_QUANTITY,
    Adjustment,
    AdjustmentLine,
    ApiClient,
    Balance,
)
from inventory.sql import db_datetime, on_postgresql, prepared, rows_source, table
from inventory.stock import effects, fast_path
from inventory.stock.locking import BalanceKey, LockedBalance
from inventory.stock.resolve import plan_and_lock
from inventory.stock.types import Effect, LineInput, Op, StockChange
from inventory.webhooks.outbox import Statement

__all__ = ["LineInput", "apply_adjustment", "request_fingerprint"]

Kind = Adjustment.Kind
Source = Adjustment.Source
_LINE_FIELDS = [field.name for field in fields(LineInput)]


def apply_adjustment(
    *,
    kind: Kind,
    lines: Sequence[LineInput],
    reason: str = "",
    source: Source,
    actor: AbstractBaseUser | None = None,
    api_client: ApiClient | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    max_lines: int | None = MAX_BATCH_LINES,
    notify_low_stock: bool = True,
) -> Adjustment:
    """Apply a batch of lines of one kind, all or nothing, and return its Adjustment.

    In one transaction: resolve every identity (constant number of queries), lock all touched
    balances in key order, check every rule against the locked values, then write balances and
    ledger lines with one statement each. Any failing line raises `AdjustmentRejected` (or
    `StaleBalances`) listing every failing line; nothing is written. On PostgreSQL a batch
    without an idempotency key is first offered to `fast_path`, which applies the
    batches these steps plainly accept in one statement, and leaves the others to them.

    With `idempotency_key`, a repeat of the same request (same kind, reason and lines) returns
    the original Adjustment with `replayed = True` and applies nothing; a different request under
    the same key raises `IdempotencyKeyReused`. Keys are scoped per API client (or per actor).

    `max_lines` is a partner batch's limit (BigCommerce's 2000); None lifts it, for a stocktake
    that counts a whole location. `notify_low_stock=False` still opens low-stock alerts but
    sends no email (Ecwid's `checkLowStockNotification`).
    """
    if kind not in (Kind.ABSOLUTE, Kind.RELATIVE, Kind.TRANSFER, Kind.STOCKTAKE):
        raise ValueError(f"apply_adjustment does not apply {kind!r} adjustments")
    adjustment = Adjustment(
        kind=kind,
        reason=reason,
        source=source,
        actor=actor,
        api_client=api_client,
        created_at=timezone.now(),
    )
    within_limit = max_lines is None or len(lines) <= max_lines
    if not idempotency_key and within_limit and fast_path.apply(adjustment, lines):
        adjustment.replayed = False
        return adjustment
    scope = idempotency.scope_of(actor=actor, api_client=api_client)
    if idempotency_key and not fingerprint:
        fingerprint = request_fingerprint(kind=kind, lines=lines, reason=reason)

    with transaction.atomic():
        if idempotency_key:
            previous = idempotency.claim(scope=scope, key=idempotency_key, fingerprint=fingerprint)
            if previous is not None:
                return replayed(previous.adjustment)
        # Lines that failed planning are left out, but the rest are still checked against the
        # locked balances, so one refusal reports every failing line.
        planned, errors, locked = plan_and_lock(kind, lines, max_lines=max_lines)
        changes, rule_errors, stale = _check_rules(planned, locked)
        _refuse_if_any(errors + rule_errors, stale)
        adjustment.created_at = timezone.now()  # once the locks are held, as the write is made
        transitions = effects.stock_transitions(changes)
        # The record's round trip commits too when nothing is written after it (see `_record`):
        # whatever is (alerts, the idempotency record) must be counted here.
        _record(
            adjustment,
            changes,
            also=effects.statements_with_write(adjustment=adjustment, changes=changes),
            commit=not idempotency_key and not any(transitions) and _outermost_transaction(),
        )
        effects.stock_changed(
            adjustment=adjustment, transitions=transitions, notify_low_stock=notify_low_stock
        )
        if idempotency_key:
            idempotency.remember(
                scope=scope, key=idempotency_key, fingerprint=fingerprint, adjustment=adjustment
            )
    adjustment.replayed = False
    return adjustment


def replayed(adjustment: Adjustment | None) -> Adjustment:
    assert adjustment is not None, "a ledger write's idempotency record names its adjustment"
    adjustment.replayed = True
    return adjustment


def request_fingerprint(*, kind: str, lines: Sequence[LineInput], reason: str) -> str:
    """A stable hash of what a request asks for, to tell a retry from a different request."""
    rows = [[getattr(line, name) for name in _LINE_FIELDS] for line in lines]
    payload = json.dumps([kind, reason, rows])
    return hashlib.sha256(payload.encode()).hexdigest()


def _check_rules(
    effects: list[Effect], locked: dict[BalanceKey, LockedBalance]
) -> tuple[list[StockChange], list[LineError], list[LineError]]:
    """Compute each new quantity from the locked row. Returns the changes, the broken rules and
    the stale `expected_quantity` lines."""
    changes, errors, stale = [], [], []
    for effect in effects:
        balance = locked[effect.key]
        before = balance.quantity
        after = effect.amount if effect.op is Op.SET else before + effect.amount
        changes.append(StockChange(balance.id, *effect.key, before, after, balance.warning_level))
        if effect.expected_quantity is not None and effect.expected_quantity != before:
            stale.append(
                LineError(
                    effect.index,
                    "expected_quantity",
                    ErrorCode.STALE_QUANTITY,
                    f"{_where(effect)}: on-hand is {before}, not the expected"
                    f" {effect.expected_quantity}.",
                )
            )
        if abs(after) > MAX_QUANTITY:
            errors.append(
                LineError(
                    effect.index,
                    "quantity",
                    ErrorCode.QUANTITY_OUT_OF_RANGE,
                    f"{_where(effect)}: on-hand would be {after}, beyond the limit of"
                    f" {MAX_QUANTITY}.",
                )
            )
        elif _takes_too_much(effect, after, balance.safety_stock):
            kept = f" (safety stock {balance.safety_stock})" if balance.safety_stock else ""
            errors.append(
                LineError(
                    effect.index,
                    "quantity",
                    ErrorCode.INSUFFICIENT_STOCK,
                    f"{_where(effect)}: insufficient stock: on-hand {before}{kept},"
                    f" change {effect.amount}.",
                )
            )
    return changes, errors, stale


def _takes_too_much(effect: Effect, after: int, safety_stock: int) -> bool:
    """A decrease may not take on-hand below the safety stock (nor below zero), unless the
    location allows negative stock."""
    decrease = effect.op is Op.ADD and effect.amount < 0
    return decrease and not effect.may_go_negative and after < max(safety_stock, 0)


def _where(effect: Effect) -> str:
    return f"{effect.label} at location {effect.key[1]}"


def _refuse_if_any(errors: list[LineError], stale: list[LineError]) -> None:
    """A stale line alone is a concurrency conflict (409, retry with fresh numbers); together
    with a broken rule the request itself is wrong (422) and both are reported."""
    if errors:
        raise AdjustmentRejected(sorted(errors + stale, key=_by_line))
    if stale:
        raise StaleBalances(sorted(stale, key=_by_line))


def _by_line(error: LineError) -> int:
    return -1 if error.index is None else error.index


def _outermost_transaction() -> bool:
    """Whether the atomic block we are in is the outermost one: its end commits."""
    return len(connection.atomic_blocks) == 1


def _record(
    adjustment: Adjustment,
    changes: list[StockChange],
    *,
    also: Sequence[Statement] = (),
    commit: bool = False,
) -> None:
    """Insert `adjustment`, then write every balance and every ledger line, then run `also`
    (what the write records besides: outbox events, each an INSERT). On PostgreSQL that is ONE
    statement, prepared: the adjustment, balances, ledger and `also`, each a data-modifying
    CTE. SQLite has no such CTEs and takes a statement each. Either way the count does not grow
    with the batch; fewer statements matter most to the many one-line requests, where each
    one's round trip and executor setup outweigh its work.

    `commit`: nothing is written after this statement and the transaction is the outermost one,
    so on PostgreSQL the statement's round trip carries the COMMIT too. The atomic block's own
    commit then finds the transaction closed and only runs the on_commit callbacks (psycopg
    sends nothing for a commit outside a transaction). One round trip fewer, and the row locks
    are released one round trip sooner, for the writes `fast_path` leaves to this path
    (a balance's first write, an alert level crossed)."""
    changes = sorted(changes, key=_balance_key)
    if not on_postgresql():
        adjustment.save(force_insert=True)
        _write_balances(adjustment, changes)
        write_ledger(adjustment, changes)
        with connection.cursor() as cursor:
            for sql, params in also:
                cursor.execute(sql, params)
        return
    source, params = rows_source(
        [change[:5] for change in changes]  # balance_id, item_id, location_id, before, after
    )
    record = (
        f"WITH new_adjustment AS (INSERT INTO {table(Adjustment)}"
        f" ({Adjustment.INSERTED_COLUMNS})"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id, created_at),"
        f" change AS ({source}),"
        f" balance AS (UPDATE {table(Balance)} AS b SET quantity = change.column5,"
        " updated_at = new_adjustment.created_at FROM change CROSS JOIN new_adjustment"
        " WHERE b.id = change.column1),"
        f" ledger AS (INSERT INTO {table(AdjustmentLine)} (adjustment_id, item_id,"
        " location_id, quantity_before, quantity_after, delta, created_at)"
        " SELECT new_adjustment.id, change.column2, change.column3, change.column4,"
        " change.column5, change.column5 - change.column4, new_adjustment.created_at"
        " FROM change CROSS JOIN new_adjustment)"
        + "".join(f", also_{n} AS ({sql})" for n, (sql, _) in enumerate(also))
        + " SELECT id FROM new_adjustment"
    )
    record_params = [*adjustment.inserted_values(), *params]
    with connection.cursor() as cursor:
        cursor.execute(
            prepared(record) + ("; COMMIT" if commit else ""),
            record_params + [param for _, statement_params in also for param in statement_params],
        )
        adjustment.mark_inserted(cursor.fetchone()[0], connection.alias)


def _balance_key(change: StockChange) -> tuple[int, int]:
    return change.item_id, change.location_id


def _write_balances(adjustment: Adjustment, changes: list[StockChange]) -> None:
    source, params = rows_source([(change.balance_id, change.after) for change in changes])
    balance_table = table(Balance)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {balance_table} SET quantity = v.column2, updated_at = %s"
            f" FROM ({source}) AS v WHERE {balance_table}.id = v.column1",
            [db_datetime(adjustment.created_at), *params],
        )


def write_ledger(adjustment: Adjustment, changes: list[StockChange]) -> None:
    source, params = rows_source(
        [
            (
                change.item_id,
                change.location_id,
                change.before,
                change.after,
                change.after - change.before,
            )
            for change in sorted(changes, key=_balance_key)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(AdjustmentLine)} (adjustment_id, item_id, location_id,"
            " quantity_before, quantity_after, delta, created_at)"
            " SELECT %s, v.column1, v.column2, v.column3, v.column4, v.column5, %s"
            f" FROM ({source}) AS v",
            [adjustment.pk, db_datetime(adjustment.created_at), *params],
        )
