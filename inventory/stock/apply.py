"""THE write path. Every change to `Balance.quantity` goes through `apply_adjustment`, which writes
the balances and their ledger lines in one transaction, or nothing at all. Orchestration only:
resolve (`resolve`), lock (`locking`), check (`rules`), record (`statements`), effects."""

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from inventory import idempotency
from inventory.errors import AdjustmentRejected, LineError, StaleBalances
from inventory.idempotency import Kept
from inventory.models import MAX_BATCH_LINES, Adjustment, ApiClient
from inventory.stock import effects, fast_path, rules, statements
from inventory.stock.resolve import plan_and_lock
from inventory.stock.types import LineInput

if TYPE_CHECKING:
    from inventory.stock.settings import SettingsInput

__all__ = ["LineInput", "apply_adjustment", "check_adjustment", "request_fingerprint"]

Kind = Adjustment.Kind
Source = Adjustment.Source


def apply_adjustment(
    *,
    kind: Kind,
    lines: Sequence[LineInput],
    reason: str = "",
    reason_code: str = "",
    reference: str = "",
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

    With `idempotency_key`, the full path runs once per key (`once`): a repeat of the same
    request (same kind, reason and lines: `request_fingerprint`) returns the original Adjustment
    with `replayed = True` and applies nothing; a different request under the same key raises
    `IdempotencyKeyReused`. Keys are scoped per API client (or per actor).

    `max_lines` is a partner batch's limit (BigCommerce's 2000); None lifts it, for a stocktake
    that counts a whole location. `notify_low_stock=False` still opens low-stock alerts but
    sends no email (Ecwid's `checkLowStockNotification`).
    """
    if kind == Kind.SETTINGS:
        raise ValueError(f"apply_adjustment does not apply {kind!r} adjustments")
    adjustment = Adjustment(
        kind=kind,
        reason_code=reason_code,
        reason=reason,
        reference=reference,
        source=source,
        actor=actor,
        api_client=api_client,
        created_at=timezone.now(),
    )
    within_limit = max_lines is None or len(lines) <= max_lines
    if not idempotency_key and within_limit and fast_path.apply(adjustment, lines):
        adjustment.replayed = False
        return adjustment
    return once(
        key=idempotency_key,
        actor=actor,
        api_client=api_client,
        fingerprint=fingerprint
        or (
            lambda: request_fingerprint(
                kind=kind, lines=lines, reason=reason, reason_code=reason_code, reference=reference
            )
        ),
        act=lambda: _apply_in_full(
            adjustment,
            lines,
            max_lines=max_lines,
            notify_low_stock=notify_low_stock,
            # A keyed write's idempotency record is written after its record.
            last_write=not idempotency_key,
        ),
    )


def check_adjustment(
    *, kind: Kind, lines: Sequence[LineInput], max_lines: int | None = MAX_BATCH_LINES
) -> list[LineError]:
    """Every line `apply_adjustment` would refuse now, and why, writing nothing: the same
    resolve, lock and rules, then a rollback (of the balance rows resolving created, too).
    For a form that shows all of its errors at once; the write still checks under its lock."""
    try:
        with transaction.atomic():
            planned, errors, locked = plan_and_lock(kind, lines, max_lines=max_lines)
            _, rule_errors, stale = rules.check_locked(planned, locked)
            transaction.set_rollback(True)
    except AdjustmentRejected as error:
        return error.errors
    return sorted(errors + rule_errors + stale, key=_by_line)


def once(
    *,
    key: str | None,
    actor: AbstractBaseUser | None,
    api_client: ApiClient | None,
    fingerprint: str | Callable[[], str],
    act: Callable[[], Adjustment],
) -> Adjustment:
    """`idempotency.run_once` for a write that keeps a ledger: keys are scoped per API client
    (or per actor), and a repeat returns the first request's Adjustment with `replayed` True."""
    return idempotency.run_once(
        scope=idempotency.scope_of(actor=actor, api_client=api_client),
        key=key,
        fingerprint=fingerprint,
        act=act,
        keep=lambda adjustment: Kept(adjustment=adjustment),
        replay=lambda record: _replayed(record.adjustment),
    )


def _apply_in_full(
    adjustment: Adjustment,
    lines: Sequence[LineInput],
    *,
    max_lines: int | None,
    notify_low_stock: bool,
    last_write: bool,
) -> Adjustment:
    """Resolve, lock, check, record, effects, in the caller's transaction. `last_write`: the
    caller writes nothing after this, so the record may commit it (see below)."""
    # Lines that failed planning are left out, but the rest are still checked against the
    # locked balances, so one refusal reports every failing line.
    planned, errors, locked = plan_and_lock(adjustment.kind, lines, max_lines=max_lines)
    changes, rule_errors, stale = rules.check_locked(planned, locked)
    _refuse_if_any(errors + rule_errors, stale)
    adjustment.created_at = timezone.now()  # once the locks are held, as the write is made
    transitions = effects.stock_transitions(changes)
    # The record's round trip commits too when nothing is written after it (see
    # `statements.write_record`): whatever is (alerts, the idempotency record) counts here.
    statements.write_record(
        adjustment,
        changes,
        commit=last_write and not any(transitions) and _outermost_transaction(),
    )
    effects.stock_changed(
        adjustment=adjustment, transitions=transitions, notify_low_stock=notify_low_stock
    )
    adjustment.replayed = False
    return adjustment


def _replayed(adjustment: Adjustment | None) -> Adjustment:
    assert adjustment is not None, "a ledger write's idempotency record names its adjustment"
    adjustment.replayed = True
    return adjustment


def request_fingerprint(
    *,
    kind: str,
    lines: "Sequence[LineInput] | Sequence[SettingsInput]",
    reason: str,
    reason_code: str = "",
    reference: str = "",
) -> str:
    """What a write asks for (its kind, why, and every field of every line), hashed by
    `idempotency.fingerprint`: a retry hashes the same, any other request differently."""
    names = [field.name for field in fields(lines[0])] if lines else []
    rows = [[getattr(line, name) for name in names] for line in lines]
    # A write without a reason code or reference hashes as before they existed, so a retry
    # that spans the deploy which added them is still recognised.
    why = [reason, reason_code, reference] if reason_code or reference else [reason]
    return idempotency.fingerprint(kind, *why, rows)


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
