"""Location metafields (BigCommerce's): what an API client may read, and its writes, all or
nothing and set-based: a constant number of statements whatever the batch size.

Who may do what, by BigCommerce's `permission_set`: a client reads its own metafields and the
other clients' that are not `app_only`; it changes or deletes its own, and the others' shared
for writing (`write`, `write_and_sf_access`); only the client that wrote one changes who else
may use it. A metafield a client may not read does not exist for it. A client restricted to
some locations (`allowed`; None is every location) reads only theirs, and a batch write that
reaches another location is refused for it (403), as every write of the API refuses one."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory.errors import InventoryError
from inventory.metafields.selectors import Allowed, readable_by
from inventory.models import ApiClient, LocationMetafield
from inventory.sql import db_datetime, rows_source, table, values_source
from locations.models import Location


class MetafieldErrorCode(StrEnum):
    NO_LOCATION = "location_not_found"
    OUTSIDE_LOCATIONS = "location_not_allowed"
    NOT_FOUND = "metafield_not_found"
    READ_ONLY = "metafield_read_only"
    DUPLICATE = "duplicate_in_batch"
    TAKEN = "taken_by_another_metafield"


@dataclass(frozen=True, slots=True)
class MetafieldError:
    index: int  # in the batch, from 0
    field: str
    code: MetafieldErrorCode
    message: str


class MetafieldsRejected(InventoryError):
    """The batch breaks a rule; nothing was written. Lists every failing entry."""

    def __init__(self, errors: list[MetafieldError]) -> None:
        self.errors = sorted(errors, key=lambda error: error.index)
        self.codes = {error.code for error in errors}
        super().__init__("; ".join(error.message for error in self.errors))


class MetafieldsConflict(InventoryError):
    """Another request wrote the same namespace and key at the same moment; retrying is safe."""

    def __init__(self) -> None:
        super().__init__("Another request wrote these metafields at the same time; retry it.")


@dataclass(frozen=True, slots=True)
class NewMetafield:
    location_id: int
    namespace: str
    key: str
    value: str
    permission_set: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class MetafieldChange:
    """The fields to change of metafield `id`; None leaves a field as it is."""

    id: int
    namespace: str | None = None
    key: str | None = None
    value: str | None = None
    permission_set: str | None = None
    description: str | None = None


CHANGEABLE = ("namespace", "key", "value", "permission_set", "description")


def create_metafields(
    *, client: ApiClient, allowed: Allowed, entries: Sequence[NewMetafield]
) -> list[LocationMetafield]:
    """Create every entry as `client`'s, or none; returns them as stored, in order."""
    location_ids = sorted({entry.location_id for entry in entries})
    with transaction.atomic():
        names = dict(
            Location.objects.filter(pk__in=values_source(location_ids, "bigint")).values_list(
                "pk", "label"
            )
        )
        errors = [*_location_errors(entries, names, allowed), *_duplicates(enumerate(entries))]
        taken = _taken(client, entries)
        errors += [
            MetafieldError(
                index,
                "key",
                MetafieldErrorCode.TAKEN,
                f"{_named(entry)} is already kept at {names[entry.location_id]} by this "
                f"client (metafield {taken[_slot(entry)]}).",
            )
            for index, entry in enumerate(entries)
            if _slot(entry) in taken
        ]
        if errors:
            raise MetafieldsRejected(errors)
        now = timezone.now()
        try:
            ids = _insert(client, entries, now)
        except IntegrityError as exc:
            raise MetafieldsConflict() from exc
    return [
        LocationMetafield(
            pk=ids[_slot(entry)],
            **{field.name: getattr(entry, field.name) for field in fields(entry)},
            owner=client,
            created_at=now,
            updated_at=now,
        )
        for entry in entries
    ]


def update_metafields(
    *, client: ApiClient, allowed: Allowed, changes: Sequence[MetafieldChange]
) -> list[LocationMetafield]:
    """Apply every change, or none; returns the metafields as stored, in order."""
    with transaction.atomic():
        found = _locked(client, [change.id for change in changes])
        errors = _write_errors(client, allowed, found, [change.id for change in changes])
        errors += [
            MetafieldError(
                index,
                "permission_set",
                MetafieldErrorCode.READ_ONLY,
                f"Only the client that wrote metafield {change.id} may change who else uses it.",
            )
            for index, change in enumerate(changes)
            if change.id in found
            and found[change.id].owner_id != client.pk
            and change.permission_set not in (None, found[change.id].permission_set)
        ]
        if errors:
            raise MetafieldsRejected(errors)
        rows = [_changed(found[change.id], change) for change in changes]
        errors = _duplicates(enumerate(rows)) + _renamed_onto_others(rows)
        if errors:
            raise MetafieldsRejected(errors)
        now = timezone.now()
        try:
            _update(rows, now)
        except IntegrityError as exc:
            raise MetafieldsConflict() from exc
    for row in rows:
        row.updated_at = now
    return rows


def delete_metafields(*, client: ApiClient, allowed: Allowed, ids: Sequence[int]) -> list[int]:
    """Delete every metafield named, or none; returns their ids."""
    with transaction.atomic():
        found = _locked(client, ids)
        errors = _write_errors(client, allowed, found, ids)
        if errors:
            raise MetafieldsRejected(errors)
        LocationMetafield.objects.filter(pk__in=values_source(sorted(set(ids)), "bigint")).delete()
    return list(ids)


def _named(row: NewMetafield | LocationMetafield) -> str:
    return f"Namespace {row.namespace!r}, key {row.key!r}"


def _slot(row: NewMetafield | LocationMetafield) -> tuple[int, str, str]:
    return (row.location_id, row.namespace, row.key)


def _location_errors(
    entries: Sequence[NewMetafield], names: dict[int, str], allowed: Allowed
) -> Iterable[MetafieldError]:
    for index, entry in enumerate(entries):
        if entry.location_id not in names:
            yield MetafieldError(
                index,
                "location_id",
                MetafieldErrorCode.NO_LOCATION,
                f"Location {entry.location_id} does not exist.",
            )
        elif allowed is not None and entry.location_id not in allowed:
            yield MetafieldError(
                index,
                "location_id",
                MetafieldErrorCode.OUTSIDE_LOCATIONS,
                f"This token may not keep metafields at {names[entry.location_id]}.",
            )


def _duplicates(rows: Iterable[tuple[int, NewMetafield | LocationMetafield]]) -> list:
    """The same namespace and key twice at one location (for one owner) in one batch."""
    first: dict[tuple, int] = {}
    errors = []
    for index, row in rows:
        owner = getattr(row, "owner_id", None)
        seen = first.setdefault((owner, *_slot(row)), index)
        if seen != index:
            errors.append(
                MetafieldError(
                    index,
                    "key",
                    MetafieldErrorCode.DUPLICATE,
                    f"{_named(row)} appears more than once for one location in this request "
                    f"(first at {seen}).",
                )
            )
    return errors


def _taken(client: ApiClient, entries: Sequence[NewMetafield]) -> dict[tuple, int]:
    """The client's existing metafields at the batch's namespaces and keys, by slot (one
    query, a few more rows than needed, matched exactly here)."""
    held = LocationMetafield.objects.filter(
        owner=client,
        location_id__in=values_source(sorted({entry.location_id for entry in entries}), "bigint"),
        key__in=values_source(sorted({entry.key for entry in entries}), "text"),
    ).values_list("location_id", "namespace", "key", "pk")
    return {(location_id, namespace, key): pk for location_id, namespace, key, pk in held}


def _locked(client: ApiClient, ids: Sequence[int]) -> dict:
    """The metafields `ids` names that the client may read wherever they are, locked for the
    transaction (whether their location is the client's is `_write_errors`')."""
    rows = (
        readable_by(client, None)
        .select_related("location")
        .select_for_update(of=("self",))
        .filter(pk__in=values_source(sorted(set(ids)), "bigint"))
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


def _write_errors(
    client: ApiClient, allowed: Allowed, found: dict, ids: Sequence[int]
) -> list[MetafieldError]:
    """Why the client may not change each metafield `ids` names. One at a location outside
    its own is refused as such (403), as the other batch writes refuse such locations."""
    errors = []
    first: dict[int, int] = {}
    for index, pk in enumerate(ids):
        row = found.get(pk)
        if first.setdefault(pk, index) != index:
            code, message = MetafieldErrorCode.DUPLICATE, f"Metafield {pk} is named twice."
        elif row is None:
            code, message = MetafieldErrorCode.NOT_FOUND, f"Metafield {pk} does not exist."
        elif allowed is not None and row.location_id not in allowed:
            code = MetafieldErrorCode.OUTSIDE_LOCATIONS
            message = f"This token may not change metafields at {row.location.label}."
        elif row.owner_id != client.pk and not row.shared_for_writing:
            code = MetafieldErrorCode.READ_ONLY
            message = (
                f"Metafield {pk} belongs to API client {row.owner.name}: read-only for this token."
            )
        else:
            continue
        errors.append(MetafieldError(index, "id", code, message))
    return errors


def _changed(row: LocationMetafield, change: MetafieldChange) -> LocationMetafield:
    for name in CHANGEABLE:
        value = getattr(change, name)
        if value is not None:
            setattr(row, name, value)
    return row


def _renamed_onto_others(rows: Sequence[LocationMetafield]) -> list[MetafieldError]:
    """A new namespace and key its owner already keeps at that location on another metafield
    (refused even if that one is renamed in the same batch: swap in two requests)."""
    ids = [row.pk for row in rows]
    held = {
        (owner_id, *slot[:3]): slot[3]
        for owner_id, *slot in LocationMetafield.objects.filter(
            owner_id__in=values_source(sorted({row.owner_id for row in rows}), "bigint"),
            location_id__in=values_source(sorted({row.location_id for row in rows}), "bigint"),
            key__in=values_source(sorted({row.key for row in rows}), "text"),
        )
        .exclude(pk__in=values_source(ids, "bigint"))
        .values_list("owner_id", "location_id", "namespace", "key", "pk")
    }
    return [
        MetafieldError(
            index,
            "key",
            MetafieldErrorCode.TAKEN,
            f"{_named(row)} is already kept at {row.location.label} by its client "
            f"(metafield {held[(row.owner_id, *_slot(row))]}).",
        )
        for index, row in enumerate(rows)
        if (row.owner_id, *_slot(row)) in held
    ]


def _insert(client: ApiClient, entries: Sequence[NewMetafield], now) -> dict[tuple, int]:
    source, params = rows_source(
        [
            (e.location_id, e.namespace, e.key, e.value, e.permission_set, e.description)
            for e in entries
        ],
        ["bigint", "text", "text", "text", "text", "text"],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(LocationMetafield)} (location_id, namespace, key, value,"
            " permission_set, description, owner_id, created_at, updated_at)"
            " SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, %s, %s, %s"
            f" FROM ({source}) AS v RETURNING location_id, namespace, key, id",
            [client.pk, db_datetime(now), db_datetime(now), *params],
        )
        return {(location_id, ns, key): pk for location_id, ns, key, pk in cursor.fetchall()}


def _update(rows: Sequence[LocationMetafield], now) -> None:
    source, params = rows_source(
        [(row.pk, *(getattr(row, name) for name in CHANGEABLE)) for row in rows],
        ["bigint", "text", "text", "text", "text", "text"],
    )
    metafields = table(LocationMetafield)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {metafields} SET namespace = v.column2, key = v.column3, value = v.column4,"
            " permission_set = v.column5, description = v.column6, updated_at = %s"
            f" FROM ({source}) AS v WHERE {metafields}.id = v.column1",
            [db_datetime(now), *params],
        )
