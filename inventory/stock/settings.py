"""Balance settings (safety stock, warning level, in stock, bin): changed through the write path
too, so each balance's history shows who changed what, and its ledger chain stays unbroken."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.utils import timezone

from inventory.errors import AdjustmentRejected
from inventory.models import Adjustment, ApiClient, Balance
from inventory.sql import db_datetime, rows_source, table
from inventory.stock import effects
from inventory.stock.apply import once, request_fingerprint
from inventory.stock.resolve import plan_and_lock
from inventory.stock.statements import write_ledger
from inventory.stock.types import LineInput, StockChange

Kind = Adjustment.Kind
Source = Adjustment.Source


SETTING_FIELDS = ("safety_stock", "warning_level", "is_in_stock", "bin_picking_number")


@dataclass(frozen=True, slots=True)
class SettingsInput:
    """New settings for one balance; None leaves a setting as it is. Name the item as in
    LineInput."""

    location_id: int
    sku: str | None = None
    variant_id: int | None = None
    product_id: int | None = None
    item_id: int | None = None
    safety_stock: int | None = None
    warning_level: int | None = None
    is_in_stock: bool | None = None
    bin_picking_number: str | None = None

    def as_line(self) -> LineInput:
        return LineInput(
            location_id=self.location_id,
            quantity=0,
            sku=self.sku,
            variant_id=self.variant_id,
            product_id=self.product_id,
            item_id=self.item_id,
        )

    def changes(self) -> dict[str, object]:
        return {
            name: getattr(self, name) for name in SETTING_FIELDS if getattr(self, name) is not None
        }


def update_settings(
    *,
    lines: Sequence[SettingsInput],
    source: Source,
    actor: AbstractBaseUser | None = None,
    api_client: ApiClient | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Adjustment:
    """Change balances' settings (never their quantities), all or nothing, and record who
    changed what: an Adjustment of kind `settings` with one ledger line per balance whose
    before == after, so each balance's history shows the change and its chain stays unbroken.

    Identities, locations and duplicates are checked as for `apply_adjustment`; rows are locked
    the same way, in the same order. With `idempotency_key` it runs once per key, as
    `apply_adjustment` does."""
    return once(
        key=idempotency_key,
        actor=actor,
        api_client=api_client,
        fingerprint=lambda: request_fingerprint(kind=Kind.SETTINGS, lines=lines, reason=reason),
        act=lambda: _change_settings(
            lines, source=source, actor=actor, api_client=api_client, reason=reason
        ),
    )


def _change_settings(
    lines: Sequence[SettingsInput],
    *,
    source: Source,
    actor: AbstractBaseUser | None,
    api_client: ApiClient | None,
    reason: str,
) -> Adjustment:
    planned, errors, locked = plan_and_lock(Kind.ABSOLUTE, [line.as_line() for line in lines])
    if errors:
        raise AdjustmentRejected(errors)
    changes = [(effect, lines[effect.index].changes()) for effect in planned]
    before = _current_settings([locked[effect.key].id for effect in planned])
    adjustment = Adjustment.objects.create(
        kind=Kind.SETTINGS,
        reason=reason or _describe_settings(changes, locked, before),
        source=source,
        actor=actor,
        api_client=api_client,
        created_at=timezone.now(),
    )
    _write_settings(adjustment, changes, locked)
    effects.settings_changed(
        adjustment=adjustment, balance_ids=[locked[effect.key].id for effect in planned]
    )
    adjustment.replayed = False
    return adjustment


def update_balance_settings(
    *,
    balance: Balance,
    changes: Mapping[str, object],
    source: Source,
    actor: AbstractBaseUser | None = None,
) -> Adjustment | None:
    """The admin's edit of one balance's settings; None when nothing changed."""
    changes = {name: value for name, value in changes.items() if name in SETTING_FIELDS}
    if not changes:
        return None
    line = SettingsInput(location_id=balance.location_id, item_id=balance.item_id, **changes)
    return update_settings(lines=[line], source=source, actor=actor)


def _current_settings(balance_ids: list[int]) -> dict[int, dict[str, object]]:
    rows = Balance.objects.filter(pk__in=balance_ids).values("pk", *SETTING_FIELDS)
    return {row.pop("pk"): row for row in rows}


def _describe_settings(changes, locked, before) -> str:
    parts = []
    for effect, new in changes:
        old = before[locked[effect.key].id]
        described = ", ".join(f"{name} {old[name]!r} → {value!r}" for name, value in new.items())
        parts.append(f"{effect.label} at location {effect.key[1]}: {described}")
    text = "Settings: " + "; ".join(parts)
    return text if len(text) <= 1000 else text[:999] + "…"


def _write_settings(adjustment: Adjustment, changes, locked) -> None:
    """One UPDATE for every balance's settings, one INSERT for the ledger lines."""
    rows = [
        (
            locked[effect.key].id,
            new.get("safety_stock"),
            new.get("warning_level"),
            new.get("is_in_stock"),
            new.get("bin_picking_number"),
        )
        for effect, new in changes
    ]
    source, params = rows_source(rows, types=["bigint", "bigint", "bigint", "boolean", "text"])
    balance_table = table(Balance)
    now = db_datetime(adjustment.created_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {balance_table} SET"
            " safety_stock = COALESCE(v.column2, safety_stock),"
            " warning_level = COALESCE(v.column3, warning_level),"
            " is_in_stock = COALESCE(v.column4, is_in_stock),"
            " bin_picking_number = COALESCE(v.column5, bin_picking_number),"
            f" updated_at = %s FROM ({source}) AS v WHERE {balance_table}.id = v.column1",
            [now, *params],
        )
    unchanged = [
        StockChange(
            locked[effect.key].id,
            *effect.key,
            locked[effect.key].quantity,
            locked[effect.key].quantity,
            locked[effect.key].warning_level,
        )
        for effect, _ in changes
    ]
    write_ledger(adjustment, unchanged)
