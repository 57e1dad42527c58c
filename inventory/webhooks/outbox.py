"""Writing webhook events to the outbox, inside the transaction of the change they report.

Each function is ONE `INSERT … SELECT` whatever the number of changes and endpoints: the
changes travel as one JSON parameter (`inventory.sql.rows_source`) and are joined with the
active endpoints subscribed to each change's scope, so nobody subscribing costs one statement
that inserts nothing. Event ids (UUIDs) and payloads are made by the database, in that same
statement. The payload's `data` is BigCommerce's: `{variant_id, product_id, location_id}` for
inventory events, `{location_id}` for location events; the envelope is added at delivery.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import connection
from django.utils import timezone

from inventory.models import Item, WebhookEndpoint, WebhookEvent
from inventory.models.webhooks import TEST_SCOPE
from inventory.sql import db_datetime, on_postgresql, rows_source, table, typed_param

# (scope, item_id, location_id) and (scope, location_id)
ItemEvent = tuple[str, int, int]
LocationEvent = tuple[str, int]
Statement = tuple[str, list]  # SQL and its parameters


def enqueue_item_events(events: Sequence[ItemEvent], *, created_at: datetime) -> None:
    """An event per (scope, item, location) for every active endpoint subscribed to scope."""
    if statement := item_events_statement(events, created_at=created_at):
        _execute(statement)


def item_events_statement(events: Sequence[ItemEvent], *, created_at: datetime) -> Statement | None:
    """`enqueue_item_events` as a statement to run later (None when there are no events), for
    a caller that makes it part of its own (an INSERT, it can be a data-modifying CTE)."""
    if not events:
        return None
    source, params = rows_source(events, types=["text", "bigint", "bigint"])
    sql, insert_params = item_events_from(source, created_at=created_at)
    return sql, insert_params + params


def item_events_from(source: str, *, created_at: datetime) -> Statement:
    """`item_events_statement` for the events a query yields, as rows of column1 scope,
    column2 item_id and column3 location_id; the query's own parameters come after the
    statement's."""
    # The item is looked up per event row produced, through its primary key: with nobody
    # subscribed that lookup never runs (a join would have the planner, which cannot count the
    # JSON's rows, hash the whole item table on every write).
    data = _json_object(
        {"variant_id": "i.variant_id", "product_id": "i.product_id", "location_id": "v.column3"}
    )
    return _insert(
        source, f"(SELECT {data} FROM {table(Item)} AS i WHERE i.id = v.column2)", [], created_at
    )


def enqueue_location_events(events: Sequence[LocationEvent], *, created_at: datetime) -> None:
    """An event per (scope, location) for every active endpoint subscribed to scope."""
    if not events:
        return
    source, params = rows_source(events, types=["text", "bigint"])
    _execute(_insert(source, _json_object({"location_id": "v.column2"}), params, created_at))


def enqueue_document_event(scope: str, data: dict, *, created_at: datetime) -> None:
    """An event about a transfer or supplier receipt (`data` names it and its locations) for
    every active endpoint subscribed to scope: a step of a document is one event, not one per
    line, so two short queries."""
    endpoints = WebhookEndpoint.objects.filter(active=True).values_list("pk", "events")
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            endpoint_id=pk,
            scope=scope,
            data=data,
            created_at=created_at,
            next_attempt_at=created_at,
        )
        for pk, events in endpoints
        if scope in events
    )


def enqueue_test_event(endpoint: WebhookEndpoint) -> WebhookEvent:
    """A test event for one endpoint, whatever it subscribes to (the admin's action)."""
    now = timezone.now()
    return WebhookEvent.objects.create(
        endpoint=endpoint,
        scope=TEST_SCOPE,
        data={"endpoint": endpoint.name},
        created_at=now,
        next_attempt_at=now,
    )


def _insert(source: str, data_sql: str, params: list, created_at: datetime) -> Statement:
    """`source` yields rows `v` whose column1 is the scope; each becomes an event, with
    `data_sql` as its data, for every active endpoint subscribed to that scope."""
    now = db_datetime(created_at)
    moment = typed_param("timestamptz")
    return (
        f"INSERT INTO {table(WebhookEvent)} (event_id, endpoint_id, scope, data,"
        " created_at, next_attempt_at, attempts)"
        f" SELECT {_new_uuid()}, e.id, v.column1, {data_sql}, {moment}, {moment}, 0"
        f" FROM {table(WebhookEndpoint)} AS e JOIN ({source}) AS v"
        f" ON {_subscribed('e.events', 'v.column1')} WHERE e.active",
        [now, now, *params],
    )


def _execute(statement: Statement) -> None:
    with connection.cursor() as cursor:
        cursor.execute(*statement)


def _new_uuid() -> str:
    if on_postgresql():
        return "gen_random_uuid()"
    # SQLite has no UUID function; Django keeps UUIDs there as 32 hex digits. A version 4 UUID:
    # random bits, with the version nibble 4 and the variant nibble one of 8, 9, a, b.
    return (
        "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2)"
        " || substr('89ab', 1 + (abs(random()) %% 4), 1) || substr(hex(randomblob(2)), 2)"
        " || hex(randomblob(6)))"
    )


def _json_object(fields: dict[str, str]) -> str:
    """A JSON object built by the database from SQL expressions (keys are trusted literals)."""
    pairs = ", ".join(f"'{key}', {expression}" for key, expression in fields.items())
    if on_postgresql():
        return f"jsonb_build_object({pairs})"
    return f"json_object({pairs})"


def _subscribed(events_column: str, scope: str) -> str:
    """The endpoint's list of scopes contains `scope`."""
    if on_postgresql():
        return f"{events_column} @> jsonb_build_array({scope})"
    return f"EXISTS (SELECT 1 FROM json_each({events_column}) WHERE json_each.value = {scope})"
